/*
 * Strict parsing, time and string helpers: the small pieces every other
 * file needs and none should write twice.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "misc.h"
#include "xmalloc.h"

int
parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* See misc.h. */
long
read_sysctl_long(const char *path)
{
	char buf[64];
	long long v;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return parse_ll(buf, 0, LONG_MAX, &v) == -1 ? -1 : (long)v;
}

int
parse_duration_ms(const char *s, long long *out_ms)
{
	static const struct { const char *unit; long long mult; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "", 1000 },
	};
	char num[32];
	size_t i, n;
	long long v;

	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (n = 0; isdigit((unsigned char)s[n]); n++)
		;
	if (n == 0 || n >= sizeof(num)) {
		errno = n == 0 ? EINVAL : ERANGE;
		return -1;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	for (i = 0; i < SM_NELEM(units); i++) {
		if (strcmp(s + n, units[i].unit) != 0)
			continue;
		if (parse_ll(num, 0, LLONG_MAX / units[i].mult, &v) == -1)
			return -1;
		*out_ms = v * units[i].mult;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int64_t
monotime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t
sm_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
path_encode(const char *path, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '.' || *p == '_' || *p == '-') {
			if (o + 1 >= outlen)
				goto toolong;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= outlen)
				goto toolong;
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0xf];
		}
	}
	if (o >= outlen)
		goto toolong;
	out[o] = '\0';
	/* "." and ".." are not usable file names. */
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
 toolong:
	errno = ENAMETOOLONG;
	return -1;
}

int
sm_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
path_decode(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	int hi, lo;

	for (; *in != '\0'; in++) {
		if (o + 1 >= outlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (*in != '%') {
			out[o++] = *in;
			continue;
		}
		if ((hi = sm_hexval(in[1])) < 0 || (lo = sm_hexval(in[2])) < 0 ||
		    (hi == 0 && lo == 0)) {
			errno = EINVAL;
			return -1;
		}
		out[o++] = (char)(hi << 4 | lo);
		in += 2;
	}
	out[o] = '\0';
	return 0;
}

void
random_id(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, got = 0;
	ssize_t r;

	while (got < sizeof(b)) {
		r = getrandom(b + got, sizeof(b) - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* Ids need to be unique, not secret. */
			unsigned long long t = (unsigned long long)realtime_ms();
			for (; got < sizeof(b); got++)
				b[got] = (unsigned char)(t >> (8 * (got % 8)));
			break;
		}
		got += (size_t)r;
	}
	for (i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0xf];
	}
	out[32] = '\0';
}

/* See misc.h: 1/0. */
int
sm_token_ok(const char *s, size_t maxlen, const char *extra)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= maxlen)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr(extra, s[i]) != NULL))
			return 0;
	}
	return i > 0;
}

int
sm_strpcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
sm_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* See misc.h. */
void
sm_appendf(char *buf, size_t len, const char *sep, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (len == 0 || used + 1 >= len)
		return;
	if (used > 0 && sep != NULL) {
		sm_strlcpy(buf + used, sep, len - used);
		used = strnlen(buf, len);
		if (used + 1 >= len)
			return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* See misc.h: 1/0. */
int
sm_date_ok(const char *s)
{
	struct tm tm;
	const char *end;
	char back[16];

	if (s == NULL || strlen(s) != 10)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0' || tm.tm_year < 70)
		return 0;
	/* strptime takes 2027-02-31; the round trip does not. */
	tm.tm_isdst = 0;
	if (timegm(&tm) == (time_t)-1 ||
	    strftime(back, sizeof(back), "%Y-%m-%d", &tm) != 10)
		return 0;
	return strcmp(back, s) == 0;
}

/* See misc.h: at most max bytes of s, bad UTF-8 as '?'. */
char *
sm_utf8_clean(const char *s, size_t max, int *cut)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max + 1), i = 0, o = 0, k, need;
	char *r;

	*cut = n > max;
	if (*cut)
		n = max;
	r = xmalloc(n + 1);
	while (i < n) {
		if (p[i] < 0x80) {
			r[o++] = (char)p[i++];
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			need = 1;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			need = 2;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			need = 3;
		else
			need = 0;
		for (k = 1; need > 0 && k <= need; k++)
			if (i + k >= n || (p[i + k] & 0xc0) != 0x80)
				need = 0;
		/* overlong 3/4-byte forms, surrogates, > U+10FFFF */
		if ((need == 2 && p[i] == 0xe0 && p[i + 1] < 0xa0) ||
		    (need == 2 && p[i] == 0xed && p[i + 1] >= 0xa0) ||
		    (need == 3 && p[i] == 0xf0 && p[i + 1] < 0x90) ||
		    (need == 3 && p[i] == 0xf4 && p[i + 1] >= 0x90))
			need = 0;
		if (need == 0) {
			r[o++] = '?';
			i++;
			continue;
		}
		memcpy(r + o, p + i, need + 1);
		o += need + 1;
		i += need + 1;
	}
	r[o] = '\0';
	return r;
}
