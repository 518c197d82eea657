/*
 * Prometheus text format, written by hand: names checked, label values and
 * help escaped as the format says, each family announced once; atomic file.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"
#include "metrics.h"
#include "misc.h"
#include "xmalloc.h"

#define METRICS_CHUNK	4096

void
metrics_buf_init(struct metrics_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
metrics_buf_free(struct metrics_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
name_char(char c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    (colon && c == ':'))
		return 1;
	return !first && c >= '0' && c <= '9';
}

static int
ident_ok(const char *s, int colon)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= 200 || !name_char(s[i], i == 0, colon))
			return 0;
	return 1;
}

/* Predicate: 1/0. */
int
metrics_name_ok(const char *name)
{
	return ident_ok(name, 1);
}

/* Predicate: 1/0; names starting with "__" are Prometheus's own. */
int
metrics_label_ok(const char *name)
{
	return ident_ok(name, 0) && strncmp(name, "__", 2) != 0;
}

static int
fail(struct metrics_buf *b, int e)
{
	b->err = 1;
	errno = e;
	return -1;
}

/* Room for n more bytes and a NUL; 0/-1 (ENOSPC past METRICS_DOC_MAX). */
static int
reserve(struct metrics_buf *b, size_t n)
{
	size_t want;

	if (b->len + n + 1 > METRICS_DOC_MAX)
		return fail(b, ENOSPC);
	if (b->len + n + 1 <= b->cap)
		return 0;
	want = (b->len + n + 1 + METRICS_CHUNK) / METRICS_CHUNK * METRICS_CHUNK;
	b->p = xreallocarray(b->p, 1, want);
	b->cap = want;
	return 0;
}

static int
put(struct metrics_buf *b, const char *s, size_t n)
{
	if (reserve(b, n) == -1)
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
put_str(struct metrics_buf *b, const char *s)
{
	return put(b, s, strlen(s));
}

static int
putf(struct metrics_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
putf(struct metrics_buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return fail(b, EINVAL);
	return put(b, tmp, (size_t)n);
}

/*
 * Escapes as the format says: help text \\ and \n; a label value also \".
 * At most max bytes of s are taken.
 */
static int
put_escaped(struct metrics_buf *b, const char *s, int quote, size_t max)
{
	size_t i;
	char c;
	int r;

	for (i = 0; s[i] != '\0' && i < max; i++) {
		c = s[i];
		if (c == '\\')
			r = put_str(b, "\\\\");
		else if (c == '\n')
			r = put_str(b, "\\n");
		else if (c == '"' && quote)
			r = put_str(b, "\\\"");
		else
			r = put(b, &c, 1);
		if (r == -1)
			return -1;
	}
	return 0;
}

static int
seen(const struct metrics_buf *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nfamilies; i++)
		if (strcmp(b->families[i], name) == 0)
			return 1;
	return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* 0/-1 (EINVAL: a bad, repeated or misnamed family), b->err set. */
int
metrics_family(struct metrics_buf *b, const char *name,
    enum metrics_type type, const char *help)
{
	if (!metrics_name_ok(name) || seen(b, name) ||
	    b->nfamilies >= METRICS_FAMILIES_MAX ||
	    (type == MT_COUNTER) != ends_with(name, "_total")) {
		error_f("metric family %s: bad, repeated or misnamed",
		    name != NULL ? name : "(null)");
		return fail(b, EINVAL);
	}
	b->families[b->nfamilies++] = name;
	b->family = name;
	if (putf(b, "# HELP %s ", name) == -1 ||
	    put_escaped(b, help != NULL ? help : "", 0, 4096) == -1 ||
	    putf(b, "\n# TYPE %s %s\n", name,
	    type == MT_COUNTER ? "counter" : "gauge") == -1)
		return -1;
	return 0;
}

/* name{l1="v1",...} with the values escaped; 0/-1 (also once b->err). */
static int
put_series(struct metrics_buf *b, const char *const *labels)
{
	size_t i;

	if (b->err)
		return -1;
	if (b->family == NULL)
		return fail(b, EINVAL);
	if (put_str(b, b->family) == -1)
		return -1;
	if (labels == NULL || labels[0] == NULL)
		return put_str(b, " ");
	for (i = 0; labels[i] != NULL; i += 2) {
		if (!metrics_label_ok(labels[i]) || labels[i + 1] == NULL) {
			error_f("metric %s: bad label %s", b->family, labels[i]);
			return fail(b, EINVAL);
		}
		if (putf(b, "%s%s=\"", i == 0 ? "{" : ",", labels[i]) == -1 ||
		    put_escaped(b, labels[i + 1], 1, METRICS_LABEL_MAX) == -1 ||
		    put_str(b, "\"") == -1)
			return -1;
	}
	return put_str(b, "} ");
}

/* 0/-1 with errno, b->err set. */
int
metrics_u64(struct metrics_buf *b, const char *const *labels, uint64_t v)
{
	if (put_series(b, labels) == -1)
		return -1;
	return putf(b, "%llu\n", (unsigned long long)v);
}

/* 0/-1 with errno, b->err set. */
int
metrics_double(struct metrics_buf *b, const char *const *labels, double v)
{
	if (put_series(b, labels) == -1)
		return -1;
	if (isnan(v))
		return put_str(b, "NaN\n");
	if (isinf(v))
		return put_str(b, v > 0 ? "+Inf\n" : "-Inf\n");
	return putf(b, "%.15g\n", v);
}

/* 0/-1. */
int
metrics_one_u64(struct metrics_buf *b, const char *name,
    enum metrics_type type, const char *help, uint64_t v)
{
	if (metrics_family(b, name, type, help) == -1)
		return -1;
	return metrics_u64(b, NULL, v);
}

/* 0/-1 with errno. */
int
metrics_write(const struct metrics_buf *b, const char *path)
{
	if (b->err || b->p == NULL) {
		errno = EINVAL;
		return -1;
	}
	return fs_write_atomic(path, b->p, b->len, (uid_t)-1, (gid_t)-1,
	    0644);
}

/* The number removed, -1 with errno. */
int
metrics_sweep(const char *path)
{
	char *dir = NULL, *base = NULL;
	int n;

	if (fs_split(path, &dir, &base) == -1)
		return -1;
	n = fs_sweep_temps(dir);
	free(dir);
	free(base);
	return n;
}
