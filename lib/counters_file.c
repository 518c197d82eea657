/*
 * The persisted form of the counters: a versioned text file written
 * atomically, and a defensive parser that trusts nothing it reads.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "counters_int.h"
#include "fsutil.h"
#include "misc.h"
#include "xmalloc.h"

/* Longest line we write: tag, encoded key, 8 numbers, the ring. */
#define LINE_MAX_LEN	(4 + 3 * COUNTERS_KEY_MAX + (8 + COUNTERS_RING) * 21)
#define FIELDS_FIXED	9	/* tag key failures ok streak lf lo ls nring */

struct sbuf {
	char	*p;
	size_t	len, cap;
};

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (n > 0 ? (size_t)n : 0);
		b->p = xreallocarray(b->p, b->cap, 1);
	}
}

/* Same alphabet as the event protocol: names are arbitrary PAM input. */
static int
key_char_plain(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr("._@:+/=-", ch) != NULL;
}

struct save_ctx {
	struct sbuf	*b;
	char		tag;
	size_t		nlines;
};

static void
save_entry(const struct counters_entry *e, void *arg)
{
	struct save_ctx *s = arg;
	const unsigned char *p;
	uint32_t k, n;

	sb_printf(s->b, "%c ", s->tag);
	for (p = (const unsigned char *)e->key; *p != '\0'; p++) {
		if (*p != '\0' && key_char_plain(*p))
			sb_printf(s->b, "%c", *p);
		else
			sb_printf(s->b, "%%%02X", *p);
	}
	n = e->nring > COUNTERS_RING ? COUNTERS_RING : e->nring;
	sb_printf(s->b, " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64
	    " %" PRId64 " %" PRId64 " %" PRIu32, e->failures, e->successes,
	    e->fails_since_ok, e->last_fail_ms, e->last_ok_ms,
	    e->last_seen_ms, n);
	/* Oldest first, so a reload refills the ring in the same order. */
	for (k = 0; k < n; k++)
		sb_printf(s->b, " %" PRId64, counters_ring_at(e, k));
	sb_printf(s->b, "\n");
	s->nlines++;
}

/* 0 on success, -1 with errno. */
int
counters_save(const struct counters *c, const char *path)
{
	struct sbuf b;
	struct save_ctx s;
	int r, saved;

	b.cap = 4096;
	b.len = 0;
	b.p = xmalloc(b.cap);
	s.b = &b;
	s.nlines = 0;
	sb_printf(&b, "%s\n", COUNTERS_MAGIC);
	s.tag = 'u';
	/* LRU order, oldest first: a reload into a smaller table drops them. */
	counters_foreach(&c->users, save_entry, &s);
	s.tag = 's';
	counters_foreach(&c->sources, save_entry, &s);
	sb_printf(&b, "end %zu\n", s.nlines);
	r = fs_write_atomic(path, b.p, b.len, (uid_t)-1, (gid_t)-1, 0600);
	saved = errno;
	free(b.p);
	errno = saved;
	return r;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes a key; 0 on success, -1 when malformed or too long. */
static int
key_decode(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	int hi, lo;

	for (; *in != '\0'; in++) {
		if (o + 1 >= outlen)
			return -1;
		if (*in == '%') {
			if ((hi = hexval(in[1])) < 0 || (lo = hexval(in[2])) < 0)
				return -1;
			if (hi == 0 && lo == 0)
				return -1;
			out[o++] = (char)(hi << 4 | lo);
			in += 2;
		} else if (key_char_plain((unsigned char)*in))
			out[o++] = *in;
		else
			return -1;
	}
	out[o] = '\0';
	return o == 0 ? -1 : 0;
}

static int
num(const char *s, int64_t *out)
{
	long long v;

	if (parse_ll(s, 0, INT64_MAX, &v) != 0)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Parses one entry line (NUL-terminated, no newline) into t. 0/-1. */
static int
load_line(struct counters *c, struct counters_table *t, char *line,
    const char **why)
{
	char *f[FIELDS_FIXED + COUNTERS_RING], *save = NULL, *tok;
	char key[COUNTERS_KEY_MAX + 1];
	int64_t v[FIELDS_FIXED - 2 + COUNTERS_RING];
	size_t nf = 0, i;
	struct counters_entry *e;

	for (tok = strtok_r(line, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (nf == SM_NELEM(f)) {
			*why = "too many fields";
			return -1;
		}
		f[nf++] = tok;
	}
	if (nf < FIELDS_FIXED) {
		*why = "too few fields";
		return -1;
	}
	if (key_decode(f[1], key, sizeof(key)) != 0) {
		*why = "bad key";
		return -1;
	}
	for (i = 2; i < nf; i++) {
		if (num(f[i], &v[i - 2]) != 0) {
			*why = "bad number";
			return -1;
		}
	}
	/* v: failures ok streak last_fail last_ok last_seen nring ring... */
	if (v[6] > COUNTERS_RING || nf != FIELDS_FIXED + (size_t)v[6]) {
		*why = "bad ring size";
		return -1;
	}
	if (v[2] > v[0] || v[6] > v[0]) {
		*why = "inconsistent counts";
		return -1;
	}
	e = counters_get(c, t, key, 0);
	if (e != NULL && !e->protected) {
		*why = "duplicate key";
		return -1;
	}
	if (e == NULL && (e = counters_get(c, t, key, 1)) == NULL) {
		*why = "no room";
		return -1;
	}
	e->failures = (uint64_t)v[0];
	e->successes = (uint64_t)v[1];
	e->fails_since_ok = (uint64_t)v[2];
	e->last_fail_ms = v[3];
	e->last_ok_ms = v[4];
	e->last_seen_ms = v[5];
	e->nring = e->ring_pos = 0;
	for (i = 0; i < (size_t)v[6]; i++)
		counters_ring_push(e, v[7 + i]);
	counters_touch(t, e);
	return 0;
}

static int
load_buf(struct counters *tmp, char *buf, size_t len, char *err,
    size_t errlen)
{
	char *line, *nl, *end = buf + len;
	const char *why = NULL;
	size_t lineno = 1, nentries = 0;
	long long want;
	int seen_end = 0, in_sources = 0;

	if (strlen(buf) != len) {
		why = "NUL byte";
		goto bad;
	}
	for (line = buf; line < end; line = nl + 1, lineno++) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL) {
			why = "truncated (no final newline)";
			goto bad;
		}
		*nl = '\0';
		if (seen_end) {
			why = "data after the end line";
			goto bad;
		}
		if (lineno == 1) {
			if (strcmp(line, COUNTERS_MAGIC) != 0) {
				why = "unknown magic or version";
				goto bad;
			}
			continue;
		}
		if ((size_t)(nl - line) > LINE_MAX_LEN) {
			why = "line too long";
			goto bad;
		}
		if (strncmp(line, "end ", 4) == 0) {
			if (parse_ll(line + 4, 0, LLONG_MAX, &want) != 0 ||
			    (size_t)want != nentries) {
				why = "bad entry count";
				goto bad;
			}
			seen_end = 1;
			continue;
		}
		if (line[0] == 'u' && line[1] == ' ' && !in_sources) {
			if (load_line(tmp, &tmp->users, line, &why) != 0)
				goto bad;
		} else if (line[0] == 's' && line[1] == ' ') {
			in_sources = 1;
			if (load_line(tmp, &tmp->sources, line, &why) != 0)
				goto bad;
		} else {
			why = "unknown line";
			goto bad;
		}
		nentries++;
	}
	if (!seen_end) {
		why = lineno == 1 ? "empty" : "truncated (no end line)";
		goto bad;
	}
	return 0;
 bad:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "line %zu: %s", lineno, why);
	errno = EBADMSG;
	return -1;
}

/* 0 on success, -1 with errno (ENOENT, EBADMSG with err set, ...). */
int
counters_load(struct counters *c, const char *path, char *err, size_t errlen)
{
	struct counters tmp;
	char *buf = NULL;
	size_t len, cap;
	int saved;

	if (err != NULL && errlen > 0)
		*err = '\0';
	cap = (c->users.cap + c->sources.cap + 2) * (LINE_MAX_LEN + 1) + 64;
	if (fs_read_file(path, cap, 0, &buf, &len) != 0) {
		saved = errno;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", strerror(saved));
		errno = saved;
		return -1;
	}
	if (counters_init(&tmp, c->n_users, c->n_sources,
	    (const char *const *)c->protected, c->nprotected) != 0) {
		saved = errno;
		free(buf);
		errno = saved;
		return -1;
	}
	if (load_buf(&tmp, buf, len, err, errlen) != 0) {
		free(buf);
		counters_free(&tmp);
		errno = EBADMSG;
		return -1;
	}
	free(buf);
	tmp.refused = c->refused;
	counters_free(c);
	*c = tmp;
	return 0;
}
