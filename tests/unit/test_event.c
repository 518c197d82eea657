/*
 * Unit tests for lib/event.c: the PAM event datagram, formatted and parsed
 * back, and every way a hostile or broken datagram must be refused.
 */
#include "unit.h"

#include <errno.h>

#include "event.h"

static void
fill(struct sm_event *e)
{
	memset(e, 0, sizeof(*e));
	e->version = EVENT_VERSION;
	e->kind = EVK_SESSION_OPEN;
	snprintf(e->user, sizeof(e->user), "smt-admin");
	snprintf(e->rhost, sizeof(e->rhost), "2001:db8::1");
	snprintf(e->service, sizeof(e->service), "sshd");
	snprintf(e->method, sizeof(e->method), "publickey");
	snprintf(e->key, sizeof(e->key), "ssh-ed25519 AAAAC3Nz+/=");
	e->pid = 12345;
	e->code = 7;
}

static void
roundtrip(const struct sm_event *e)
{
	struct sm_event d;
	char buf[EVENT_MAX];
	size_t len;

	assert_int_equal(event_format(e, buf, sizeof(buf), &len), 0);
	assert_true(len <= EVENT_MAX);
	assert_int_equal(event_parse(buf, len, &d), 0);
	assert_int_equal(d.version, EVENT_VERSION);
	assert_int_equal(d.kind, e->kind);
	assert_string_equal(d.user, e->user);
	assert_string_equal(d.rhost, e->rhost);
	assert_string_equal(d.service, e->service);
	assert_string_equal(d.method, e->method);
	assert_string_equal(d.key, e->key);
	assert_int_equal(d.pid, e->pid);
	assert_int_equal(d.code, e->code);
}

/* Parses a literal; returns event_parse's result, checks errno on -1. */
static int
parse_str(const char *s, struct sm_event *e)
{
	int r;

	errno = 0;
	r = event_parse(s, strlen(s), e);
	if (r == -1)
		assert_int_equal(errno, EBADMSG);
	return r;
}

static void
t_roundtrip(void **s)
{
	struct sm_event e;
	int k;

	(void)s;
	fill(&e);
	for (k = EVK_AUTH_FAIL; k <= EVK_SESSION_OPEN; k++) {
		e.kind = (enum event_kind)k;
		roundtrip(&e);
	}
	/* Everything that needs encoding: controls, '%', '=', spaces, 8-bit. */
	snprintf(e.user, sizeof(e.user), "a b%%c\nd=e\x01\xff\xc3\xa9");
	snprintf(e.rhost, sizeof(e.rhost), "host\r\n\tkind=auth_ok");
	e.method[0] = e.key[0] = '\0';
	e.pid = 0;
	e.code = 0;
	roundtrip(&e);
}

static void
t_wire(void **s)
{
	struct sm_event e;
	char buf[EVENT_MAX];
	size_t len;
	const char *want = "SMEV 1\nkind=auth_fail\nuser=r%20t%25%0A\n"
	    "rhost=\nservice=sshd\nmethod=\nkey=\npid=1\ncode=0\n";

	(void)s;
	memset(&e, 0, sizeof(e));
	e.kind = EVK_AUTH_FAIL;
	snprintf(e.user, sizeof(e.user), "r t%%\n");
	snprintf(e.service, sizeof(e.service), "sshd");
	e.pid = 1;
	assert_int_equal(event_format(&e, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
	assert_string_equal(event_kind_name(EVK_AUTH_FAIL), "auth_fail");
	assert_string_equal(event_kind_name(EVK_SESSION_OPEN), "session_open");
	assert_string_equal(event_kind_name((enum event_kind)0), "unknown");
	assert_string_equal(event_kind_name((enum event_kind)5), "unknown");
}

static void
t_format_refuses(void **s)
{
	struct sm_event e;
	char buf[EVENT_MAX];
	size_t len;

	(void)s;
	fill(&e);
	e.user[0] = '\0';
	assert_int_equal(event_format(&e, buf, sizeof(buf), &len), -1);
	assert_int_equal(errno, EINVAL);
	fill(&e);
	e.kind = (enum event_kind)0;
	assert_int_equal(event_format(&e, buf, sizeof(buf), &len), -1);
	assert_int_equal(errno, EINVAL);
	fill(&e);
	memset(e.service, 'x', sizeof(e.service));	/* no NUL inside */
	assert_int_equal(event_format(&e, buf, sizeof(buf), &len), -1);
	assert_int_equal(errno, EINVAL);
	fill(&e);
	e.pid = -1;
	assert_int_equal(event_format(&e, buf, sizeof(buf), &len), -1);
	assert_int_equal(errno, EINVAL);
}

/* Maximum lengths pass both ways; one more byte is refused by the parser. */
static void
t_max_lengths(void **s)
{
	struct sm_event e, d;
	char buf[EVENT_MAX * 2];

	(void)s;
	fill(&e);
	memset(e.user, 'u', sizeof(e.user) - 1);
	e.user[sizeof(e.user) - 1] = '\0';
	memset(e.rhost, 'r', sizeof(e.rhost) - 1);
	e.rhost[sizeof(e.rhost) - 1] = '\0';
	memset(e.service, 's', sizeof(e.service) - 1);
	e.service[sizeof(e.service) - 1] = '\0';
	memset(e.method, 'm', sizeof(e.method) - 1);
	e.method[sizeof(e.method) - 1] = '\0';
	memset(e.key, 'k', sizeof(e.key) - 1);
	e.key[sizeof(e.key) - 1] = '\0';
	roundtrip(&e);

	/* max+1 for each field, written by hand. */
	{
		static const struct { const char *k; size_t n; } f[] = {
			{ "user", 257 }, { "rhost", 257 }, { "service", 65 },
			{ "method", 65 }, { "key", 1025 },
		};
		size_t i, off;

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			off = (size_t)snprintf(buf, sizeof(buf),
			    "SMEV 1\nkind=auth_ok\npid=1\ncode=0\n%s%s%s%s"
			    "%s=",
			    strcmp(f[i].k, "user") ? "user=u\n" : "",
			    strcmp(f[i].k, "rhost") ? "rhost=\n" : "",
			    strcmp(f[i].k, "service") ? "service=\n" : "",
			    strcmp(f[i].k, "method") ? "method=\n" : "",
			    f[i].k);
			if (strcmp(f[i].k, "key") != 0) {
				memcpy(buf + off - strlen(f[i].k) - 1, "key=\n",
				    5);
				off = off - strlen(f[i].k) - 1 + 5;
				off += (size_t)snprintf(buf + off,
				    sizeof(buf) - off, "%s=", f[i].k);
			}
			memset(buf + off, 'x', f[i].n - 1);
			buf[off + f[i].n - 1] = '\n';
			assert_int_equal(event_parse(buf, off + f[i].n, &d),
			    0);	/* max */
			memset(buf + off, 'x', f[i].n);
			buf[off + f[i].n] = '\n';
			errno = 0;
			assert_int_equal(event_parse(buf, off + f[i].n + 1,
			    &d), -1);	/* max+1 */
			assert_int_equal(errno, EBADMSG);
			/* an escape counts as one byte of the value */
			memset(buf + off, 'x', f[i].n - 2);
			memcpy(buf + off + f[i].n - 2, "%41\n", 4);
			assert_int_equal(event_parse(buf, off + f[i].n + 2,
			    &d), 0);
		}
	}
}

/* The datagram limit: EVENT_MAX bytes parse, one more is refused. */
static void
t_event_max(void **s)
{
	struct sm_event e, d;
	char buf[EVENT_MAX + 2];
	size_t len, off;

	(void)s;
	/* Shrink escaped user bytes until the datagram just fits. */
	fill(&e);
	memset(e.key, 'k', sizeof(e.key) - 1);
	e.key[sizeof(e.key) - 1] = '\0';
	memset(e.user, ' ', sizeof(e.user) - 1);	/* 3 bytes each */
	e.user[sizeof(e.user) - 1] = '\0';
	memset(e.rhost, ' ', sizeof(e.rhost) - 1);
	e.rhost[sizeof(e.rhost) - 1] = '\0';
	/* 2 * 256*3 + 1024 + the rest is more than EVENT_MAX: ENOSPC. */
	errno = 0;
	assert_int_equal(event_format(&e, buf, EVENT_MAX, &len), -1);
	assert_int_equal(errno, ENOSPC);
	/* Shrink the user until it fits exactly, then check len - 1. */
	for (off = sizeof(e.user) - 1; off > 0; off--) {
		e.user[off] = '\0';
		if (event_format(&e, buf, EVENT_MAX, &len) == 0)
			break;
	}
	assert_true(off > 0);
	assert_true(len <= EVENT_MAX);
	assert_int_equal(event_parse(buf, len, &d), 0);
	assert_int_equal(event_format(&e, buf, len, &len), 0);
	errno = 0;
	assert_int_equal(event_format(&e, buf, len - 1, &len), -1);
	assert_int_equal(errno, ENOSPC);

	/* A hand-built datagram of exactly EVENT_MAX and EVENT_MAX + 1: the
	 * key pads it with escapes (3 bytes each), then raw bytes. */
	off = (size_t)snprintf(buf, sizeof(buf), "SMEV 1\nkind=auth_ok\n"
	    "user=u\nrhost=\nservice=\nmethod=\npid=1\ncode=0\nkey=");
	while (EVENT_MAX - 1 - off >= 3 + 1) {
		memcpy(buf + off, "%41", 3);
		off += 3;
	}
	memset(buf + off, 'k', EVENT_MAX - 1 - off);
	buf[EVENT_MAX - 1] = '\n';
	assert_int_equal(event_parse(buf, EVENT_MAX, &d), 0);
	buf[EVENT_MAX] = '\n';
	errno = 0;
	assert_int_equal(event_parse(buf, EVENT_MAX + 1, &d), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
t_refused(void **s)
{
	static const char *bad[] = {
		"",
		"SMEV",
		"SMEV 1",				/* truncated header */
		"SMEV 2\nkind=auth_ok\nuser=u\n",	/* wrong version */
		"SMEV 10\nkind=auth_ok\nuser=u\n",
		"SMEV 0\nkind=auth_ok\nuser=u\n",
		"smev 1\nkind=auth_ok\nuser=u\n",	/* wrong magic */
		"SMEV 1\n",				/* no kind, no user */
		"SMEV 1\nkind=auth_ok\n",		/* missing user */
		"SMEV 1\nuser=u\n",			/* missing kind */
		"SMEV 1\nkind=auth_ok\nuser=\n",	/* empty user */
		"SMEV 1\nkind=nope\nuser=u\n",		/* unknown kind */
		"SMEV 1\nkind=\nuser=u\n",
		"SMEV 1\nkind=auth_okx\nuser=u\n",
		"SMEV 1\nkind=auth_ok\nuser=u",		/* truncated line */
		"SMEV 1\nkind=auth_ok\nuser=u\nrhost=h",
		"SMEV 1\nkind=auth_ok\nuser=u\nuser=v\n",	/* duplicate */
		"SMEV 1\nkind=auth_ok\nkind=auth_fail\nuser=u\n",
		"SMEV 1\nkind=auth_ok\nuser=u\ncolour=red\n",	/* unknown */
		"SMEV 1\nkind=auth_ok\nuser=u\nUser=v\n",
		"SMEV 1\nkind=auth_ok\nuser=u\n\n",	/* empty line */
		"SMEV 1\nkind=auth_ok\nuser=u\njunk\n",	/* no '=' */
		"SMEV 1\nkind=auth_ok\nuser=u%00v\n",	/* %00 */
		"SMEV 1\nkind=auth_ok\nuser=u%4\n",	/* bad escapes */
		"SMEV 1\nkind=auth_ok\nuser=u%\n",
		"SMEV 1\nkind=auth_ok\nuser=u%zz\n",
		"SMEV 1\nkind=auth_ok\nuser=u%4a\n",	/* lowercase hex */
		"SMEV 1\nkind=auth_ok\nuser=a b\n",	/* raw space */
		"SMEV 1\nkind=auth_ok\nuser=a%\n",
		"SMEV 1\nkind=auth_ok\nuser=\xc3\xa9\n",	/* raw 8-bit */
		"SMEV 1\nkind=auth_ok\nuser=u\r\n",
		"SMEV 1\nkind=auth_ok\nuser=u\npid=\n",	/* numbers */
		"SMEV 1\nkind=auth_ok\nuser=u\npid=-1\n",
		"SMEV 1\nkind=auth_ok\nuser=u\npid=+1\n",
		"SMEV 1\nkind=auth_ok\nuser=u\npid=01\n",
		"SMEV 1\nkind=auth_ok\nuser=u\npid=1x\n",
		"SMEV 1\nkind=auth_ok\nuser=u\npid=99999999999999999999\n",
		"SMEV 1\nkind=auth_ok\nuser=u\ncode=2147483648\n",
		"\x00\x01\x02garbage\xff",
	};
	struct sm_event e;
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0x5a, sizeof(e));
		if (parse_str(bad[i], &e) != -1)
			fail_msg("accepted bad datagram %zu", i);
		assert_int_equal(e.user[0], '\0');	/* nothing half-set */
	}
	/* A raw NUL inside an otherwise good datagram. */
	{
		static const char nul[] = "SMEV 1\nkind=auth_ok\nuser=u\0v\n";

		errno = 0;
		assert_int_equal(event_parse(nul, sizeof(nul) - 1, &e), -1);
		assert_int_equal(errno, EBADMSG);
	}
}

static void
t_accepted(void **s)
{
	struct sm_event e;

	(void)s;
	/* Any key order; numbers at their limits; every key is required. */
	assert_int_equal(parse_str("SMEV 1\ncode=0\npid=1\nkey=\nmethod=\n"
	    "service=\nrhost=\nuser=root\nkind=acct_denied\n", &e), 0);
	assert_int_equal(e.kind, EVK_ACCT_DENIED);
	assert_string_equal(e.user, "root");
	assert_string_equal(e.rhost, "");
	assert_int_equal(e.pid, 1);
	assert_int_equal(parse_str("SMEV 1\nkind=auth_ok\nuser=u\nrhost=\n"
	    "service=\nmethod=\nkey=\ncode=2147483647\npid=0\n", &e), 0);
	assert_int_equal(e.code, 2147483647);
	assert_int_equal(parse_str("SMEV 1\nkind=auth_ok\nuser=%FF%0A\n"
	    "rhost=\nservice=\nmethod=\nkey=\npid=1\ncode=0\n", &e), 0);
	assert_string_equal(e.user, "\xff\n");
	/* The same with one key left out: refused. */
	assert_int_equal(parse_str("SMEV 1\nkind=auth_ok\nuser=u\n"
	    "service=\nmethod=\nkey=\npid=1\ncode=0\n", &e), -1);
}

/* Deterministic pseudo-random garbage and mutations never crash. */
static void
t_fuzz(void **s)
{
	struct sm_event e, d;
	char buf[EVENT_MAX], m[EVENT_MAX];
	size_t len, i, n;
	unsigned int x = 12345;

	(void)s;
	fill(&e);
	assert_int_equal(event_format(&e, buf, sizeof(buf), &len), 0);
	for (i = 0; i < 20000; i++) {
		memcpy(m, buf, len);
		x = x * 1103515245u + 12345u;
		m[(x >> 8) % len] = (char)(x >> 16);
		n = (x >> 4) % (len + 1);
		if (event_parse(m, n, &d) == 0)
			assert_true(d.user[0] != '\0');
	}
	/* Every truncation of a good datagram is refused. */
	for (n = 0; n < len; n++)
		assert_int_equal(event_parse(buf, n, &d), -1);
	assert_int_equal(event_parse(buf, len, &d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_roundtrip),
		cmocka_unit_test(t_wire),
		cmocka_unit_test(t_format_refuses),
		cmocka_unit_test(t_max_lengths),
		cmocka_unit_test(t_event_max),
		cmocka_unit_test(t_refused),
		cmocka_unit_test(t_accepted),
		cmocka_unit_test(t_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
