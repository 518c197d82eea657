/*
 * Encoding and defensive decoding of the PAM event datagram (event.h).
 * Pure functions: no allocation, no logging, no exit, as the module links it.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "event.h"

#define EV_MAGIC	"SMEV "

static const char *const kind_names[] = {
	NULL, "auth_fail", "auth_ok", "acct_denied", "session_open"
};
#define KIND_LAST	EVK_SESSION_OPEN

/* Which field a key names; the bit keeps duplicates out. */
enum ev_key { K_KIND, K_USER, K_RHOST, K_SERVICE, K_METHOD, K_KEY, K_PID,
	K_CODE, K_NKEYS };
static const char *const key_names[K_NKEYS] = {
	"kind", "user", "rhost", "service", "method", "key", "pid", "code"
};

const char *
event_kind_name(enum event_kind k)
{
	if ((int)k < EVK_AUTH_FAIL || (int)k > KIND_LAST)
		return "unknown";
	return kind_names[k];
}

static int
kept_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("._@:+/=-", c) != NULL;
}

/* Appends s to buf at *off; 0 or -1 when it would not fit. */
static int
put_raw(char *buf, size_t len, size_t *off, const char *s, size_t n)
{
	if (n > len - *off)
		return -1;
	memcpy(buf + *off, s, n);
	*off += n;
	return 0;
}

/* Appends "name=<pct of v>\n"; v must end within vsize bytes. */
static int
put_field(char *buf, size_t len, size_t *off, const char *name,
    const char *v, size_t vsize)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = strnlen(v, vsize);
	char esc[3];

	if (n == vsize) {
		errno = EINVAL;
		return -1;
	}
	if (put_raw(buf, len, off, name, strlen(name)) == -1 ||
	    put_raw(buf, len, off, "=", 1) == -1)
		goto nospc;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (kept_char(c)) {
			if (put_raw(buf, len, off, v + i, 1) == -1)
				goto nospc;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 0xf];
		if (put_raw(buf, len, off, esc, 3) == -1)
			goto nospc;
	}
	if (put_raw(buf, len, off, "\n", 1) == -1)
		goto nospc;
	return 0;
 nospc:
	errno = ENOSPC;
	return -1;
}

static int
put_num(char *buf, size_t len, size_t *off, const char *name, long v)
{
	char tmp[64];
	int n;

	n = snprintf(tmp, sizeof(tmp), "%s=%ld\n", name, v);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    put_raw(buf, len, off, tmp, (size_t)n) == -1) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int
event_format(const struct sm_event *e, char *buf, size_t len, size_t *outlen)
{
	char head[32];
	size_t off = 0;
	int n;

	if ((int)e->kind < EVK_AUTH_FAIL || (int)e->kind > KIND_LAST ||
	    e->user[0] == '\0' || e->pid < 0 || e->code < 0) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(head, sizeof(head), EV_MAGIC "%d\nkind=%s\n",
	    EVENT_VERSION, kind_names[e->kind]);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    put_raw(buf, len, &off, head, (size_t)n) == -1) {
		errno = ENOSPC;
		return -1;
	}
	if (put_field(buf, len, &off, "user", e->user, sizeof(e->user)) == -1 ||
	    put_field(buf, len, &off, "rhost", e->rhost,
	    sizeof(e->rhost)) == -1 ||
	    put_field(buf, len, &off, "service", e->service,
	    sizeof(e->service)) == -1 ||
	    put_field(buf, len, &off, "method", e->method,
	    sizeof(e->method)) == -1 ||
	    put_field(buf, len, &off, "key", e->key, sizeof(e->key)) == -1 ||
	    put_num(buf, len, &off, "pid", e->pid) == -1 ||
	    put_num(buf, len, &off, "code", e->code) == -1)
		return -1;
	*outlen = off;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;	/* lowercase is not what event_format writes */
}

/* Decodes v[0..n) into dst[dsize]; 0, or -1 on a bad escape or overflow. */
static int
decode(const char *v, size_t n, char *dst, size_t dsize)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (o + 1 >= dsize)
			return -1;
		if (kept_char(c)) {
			dst[o++] = (char)c;
			continue;
		}
		if (c != '%' || n - i < 3)
			return -1;
		if ((hi = hexval(v[i + 1])) == -1 ||
		    (lo = hexval(v[i + 2])) == -1 || (hi | lo) == 0)
			return -1;
		dst[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	dst[o] = '\0';
	return 0;
}

/* Strict decimal in [0, max]: digits only, no sign, no leading zeros. */
static int
decnum(const char *v, size_t n, long max, long *out)
{
	long r = 0;
	size_t i;

	if (n == 0 || n > 19 || (n > 1 && v[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (r > (max - (v[i] - '0')) / 10)
			return -1;
		r = r * 10 + (v[i] - '0');
	}
	*out = r;
	return 0;
}

static int
parse_value(struct sm_event *e, enum ev_key k, const char *v, size_t n)
{
	long num;
	int i;

	switch (k) {
	case K_KIND:
		for (i = EVK_AUTH_FAIL; i <= KIND_LAST; i++) {
			if (strlen(kind_names[i]) == n &&
			    memcmp(kind_names[i], v, n) == 0) {
				e->kind = (enum event_kind)i;
				return 0;
			}
		}
		return -1;
	case K_USER:
		return decode(v, n, e->user, sizeof(e->user));
	case K_RHOST:
		return decode(v, n, e->rhost, sizeof(e->rhost));
	case K_SERVICE:
		return decode(v, n, e->service, sizeof(e->service));
	case K_METHOD:
		return decode(v, n, e->method, sizeof(e->method));
	case K_KEY:
		return decode(v, n, e->key, sizeof(e->key));
	case K_PID:
		if (decnum(v, n, LONG_MAX, &num) == -1)
			return -1;
		e->pid = num;
		return 0;
	case K_CODE:
		if (decnum(v, n, INT_MAX, &num) == -1)
			return -1;
		e->code = (int)num;
		return 0;
	default:
		return -1;
	}
}

int
event_parse(const char *buf, size_t len, struct sm_event *e)
{
	const char *p, *end, *nl, *eq;
	unsigned int seen = 0;
	int k;

	memset(e, 0, sizeof(*e));
	if (len > EVENT_MAX)
		goto bad;
	end = buf + len;
	/* The header is exactly "SMEV 1\n"; other versions are refused. */
	if (len < sizeof(EV_MAGIC) + 1 ||
	    memcmp(buf, EV_MAGIC, sizeof(EV_MAGIC) - 1) != 0 ||
	    buf[sizeof(EV_MAGIC) - 1] != '0' + EVENT_VERSION ||
	    buf[sizeof(EV_MAGIC)] != '\n')
		goto bad;
	e->version = EVENT_VERSION;
	/* Each line "key=value\n"; at most K_NKEYS lines (duplicates fail). */
	for (p = buf + sizeof(EV_MAGIC) + 1; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			goto bad;	/* truncated: last line unterminated */
		if ((eq = memchr(p, '=', (size_t)(nl - p))) == NULL)
			goto bad;
		for (k = 0; k < K_NKEYS; k++) {
			if (strlen(key_names[k]) == (size_t)(eq - p) &&
			    memcmp(key_names[k], p, (size_t)(eq - p)) == 0)
				break;
		}
		if (k == K_NKEYS || (seen & (1u << k)) != 0)
			goto bad;
		seen |= 1u << k;
		if (parse_value(e, (enum ev_key)k, eq + 1,
		    (size_t)(nl - eq - 1)) == -1)
			goto bad;
	}
	/* Every key, as event_format writes them all: a cut datagram fails. */
	if (seen != (1u << K_NKEYS) - 1 || e->user[0] == '\0')
		goto bad;
	return 0;
 bad:
	memset(e, 0, sizeof(*e));
	errno = EBADMSG;
	return -1;
}
