/*
 * Small helpers shared by every layer: strict number and duration parsing,
 * monotonic time, bounded string copies, path encoding for store names.
 */
#ifndef SM_MISC_H
#define SM_MISC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses a whole decimal integer in [min, max]. 0 on success, -1 with errno
 * EINVAL (not a number, trailing junk, empty) or ERANGE (out of range).
 */
int	parse_ll(const char *s, long long min, long long max, long long *out);

/*
 * Parses a duration: a number with an optional unit ms, s, m, h, d
 * (no unit = seconds), e.g. "90", "30s", "15m", "250ms". Result in
 * milliseconds. 0 on success, -1 with errno EINVAL/ERANGE.
 */
int	parse_duration_ms(const char *s, long long *out_ms);

/* A non-negative number from a one-line file (/proc/sys/...), or -1. */
long	read_sysctl_long(const char *path);

/* Milliseconds on CLOCK_MONOTONIC; never fails on Linux. */
int64_t	monotime_ms(void);
/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t	realtime_ms(void);

/*
 * Bounded copy that always terminates dst (when size > 0). Returns
 * strlen(src): a result >= size means it was truncated.
 */
size_t	sm_strlcpy(char *dst, const char *src, size_t size);

/*
 * Encodes a path into one file name: [A-Za-z0-9._-] kept, '/' becomes '%2F',
 * everything else %XX. 0 on success, -1 with ENAMETOOLONG if it does not fit.
 */
int	path_encode(const char *path, char *out, size_t outlen);
/* Inverse of path_encode. 0 on success, -1 with EINVAL on bad input. */
int	path_decode(const char *in, char *out, size_t outlen);
/* The value of one hexadecimal digit (either case), -1 for another character. */
int	sm_hexval(int c);

/*
 * Predicate: s is 1..maxlen characters, each a letter, a digit or one of
 * extra (ids, state keys: text that needs no encoding anywhere). 1/0.
 */
int	sm_token_ok(const char *s, size_t maxlen, const char *extra);

/* qsort/bsearch comparator for an array of char *, by strcmp. */
int	sm_strpcmp(const void *a, const void *b);

/* Frees the n strings of v and v itself; v may be NULL. */
void	sm_strv_free(char **v, size_t n);

/*
 * Appends sep (when buf is not empty) and the formatted text to buf,
 * truncating; buf stays terminated. For "a; b; c" lists in messages.
 */
void	sm_appendf(char *buf, size_t len, const char *sep, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Predicate: "YYYY-MM-DD" naming a real day from 1970 on (1/0). */
int	sm_date_ok(const char *s);

/* 32 lowercase hex digits from getrandom(): event ids. */
void	random_id(char out[33]);

/*
 * json-c copies bytes >= 0x80 as they are, and a strict reader then refuses
 * the whole document: a malloc'd copy of at most max bytes of s in which
 * invalid UTF-8 (and a sequence cut at max) is '?'. *cut: s was longer.
 */
char	*sm_utf8_clean(const char *s, size_t max, int *cut);

#define SM_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#endif
