/*
 * Unit tests for lib/authlog.c: sshd's "Failed publickey" line in every
 * shape, and every way a forged, cut or foreign line must be refused.
 */
#include "unit.h"

#include "authlog.h"
#include "counters.h"
#include "misc.h"

#define FP1	"SHA256:S34DyjVcvBSZq3EtBikzVDXY32ooJeLhi3WLV/HuZtk"
#define FP2	"SHA256:aseNP+iEw2sPbmI4HCjuF+fxFFXeFCDrBVhpGsYFH2Y"
#define MD5FP	"MD5:3f:4e:2a:11:00:ff:ab:cd:ef:01:23:45:67:89:9a:bc"
/* A real line of sshd 9.2 -E at LogLevel VERBOSE. */
#define REAL	"Failed publickey for smt-admin from 127.0.0.1 port 51754 " \
	"ssh2: ED25519 " FP1

static int
parse(const char *s, struct authlog_rec *r)
{
	return authlog_parse(s, strlen(s), r);
}

static void
expect_rec(const char *line, const char *user, const char *addr, int port,
    const char *type, const char *fp, int invalid, int suspect)
{
	struct authlog_rec r;

	if (parse(line, &r) != 1)
		fail_msg("not parsed: <<%s>>", line);
	assert_string_equal(r.user, user);
	assert_int_equal(r.user_len, strlen(user));
	assert_string_equal(r.addr, addr);
	assert_int_equal(r.port, port);
	assert_string_equal(r.keytype, type);
	assert_string_equal(r.fingerprint, fp);
	assert_int_equal(r.invalid_user, invalid);
	assert_int_equal(r.suspect, suspect);
}

static void
expect_no(const char *line)
{
	struct authlog_rec r;

	memset(&r, 'x', sizeof(r));
	if (parse(line, &r) != 0)
		fail_msg("parsed, should not be: <<%s>> (user <<%s>> addr %s)",
		    line, r.user, r.addr);
	/* nothing half-filled is left for a careless caller */
	assert_string_equal(r.user, "");
	assert_string_equal(r.addr, "");
	assert_int_equal(r.port, 0);
}

static void
t_shapes(void **s)
{
	(void)s;
	/* bare: sshd -E FILE, journalctl -o cat */
	expect_rec(REAL, "smt-admin", "127.0.0.1", 51754, "ED25519", FP1, 0,
	    0);
	/* rsyslog's RSYSLOG_TraditionalFileFormat, day space-padded or not */
	expect_rec("Dec  1 07:00:00 vm1 sshd[1234]: " REAL, "smt-admin",
	    "127.0.0.1", 51754, "ED25519", FP1, 0, 0);
	expect_rec("Jan 31 23:59:59 vm1.example.org sshd[1]: " REAL,
	    "smt-admin", "127.0.0.1", 51754, "ED25519", FP1, 0, 0);
	/* RSYSLOG_FileFormat (RFC 3339), with and without a fraction */
	expect_rec("2026-12-01T07:00:00.123456+00:00 vm1 sshd[1234]: " REAL,
	    "smt-admin", "127.0.0.1", 51754, "ED25519", FP1, 0, 0);
	expect_rec("2026-12-01T07:00:00-05:30 vm1 sshd[99]: " REAL,
	    "smt-admin", "127.0.0.1", 51754, "ED25519", FP1, 0, 0);
	expect_rec("2026-12-01T07:00:00Z vm1 sshd[99]: " REAL,
	    "smt-admin", "127.0.0.1", 51754, "ED25519", FP1, 0, 0);
	/* OpenSSH 9.8+ logs the same line from sshd-session */
	expect_rec("Dec  1 07:00:00 vm1 sshd-session[77]: " REAL,
	    "smt-admin", "127.0.0.1", 51754, "ED25519", FP1, 0, 0);
	/* other key types and the MD5 fingerprint form */
	expect_rec("Failed publickey for root from 10.0.0.1 port 22 ssh2: RSA "
	    FP2, "root", "10.0.0.1", 22, "RSA", FP2, 0, 0);
	expect_rec("Failed publickey for a.b_c-d from 10.0.0.1 port 65535 "
	    "ssh2: ECDSA-SK " MD5FP, "a.b_c-d", "10.0.0.1", 65535, "ECDSA-SK",
	    MD5FP, 0, 0);
	/* names of NSS back ends: user@domain, DOMAIN\\user, machine$ */
	expect_rec("Failed publickey for ops@ad.example from 10.0.0.1 port 1 "
	    "ssh2: ED25519 " FP1, "ops@ad.example", "10.0.0.1", 1, "ED25519",
	    FP1, 0, 0);
	expect_rec("Failed publickey for AD\\\\ops from 10.0.0.1 port 1 "
	    "ssh2: ED25519 " FP1, "AD\\\\ops", "10.0.0.1", 1, "ED25519", FP1,
	    0, 0);
}

static void
t_line_endings(void **s)
{
	struct authlog_rec r;

	(void)s;
	assert_int_equal(parse(REAL "\n", &r), 1);
	assert_string_equal(r.fingerprint, FP1);
	assert_int_equal(parse(REAL "\r\n", &r), 1);
	assert_string_equal(r.fingerprint, FP1);
	assert_int_equal(parse(REAL "\r", &r), 1);
	assert_int_equal(parse(REAL "\n\n", &r), 1);
	/* a CR inside is not an ending */
	expect_no("Failed publickey for smt-admin\r from 127.0.0.1 port 1 "
	    "ssh2: ED25519 " FP1 "x");
	expect_no(REAL "\r\nx");
	/* a NUL anywhere */
	assert_int_equal(authlog_parse(REAL "\0", sizeof(REAL), &r), 0);
	assert_int_equal(authlog_parse("Failed\0" REAL, sizeof(REAL) + 7, &r),
	    0);
}

static void
t_invalid_user(void **s)
{
	(void)s;
	expect_rec("Failed publickey for invalid user bob from 192.0.2.1 "
	    "port 4242 ssh2: ED25519 " FP1, "bob", "192.0.2.1", 4242,
	    "ED25519", FP1, 1, 0);
	/* "invalid user" named "user", and one named like the prefix */
	expect_rec("Failed publickey for invalid user user from 192.0.2.1 "
	    "port 4242 ssh2: ED25519 " FP1, "user", "192.0.2.1", 4242,
	    "ED25519", FP1, 1, 0);
	expect_rec("Failed publickey for invalid user invalid user smt-admin "
	    "from 192.0.2.1 port 1 ssh2: ED25519 " FP1,
	    "invalid user smt-admin", "192.0.2.1", 1, "ED25519", FP1, 1, 1);
	/* an empty name, from either side */
	expect_no("Failed publickey for invalid user  from 192.0.2.1 port 1 "
	    "ssh2: ED25519 " FP1);
	expect_no("Failed publickey for  from 192.0.2.1 port 1 ssh2: ED25519 "
	    FP1);
	expect_no("Failed publickey for from 192.0.2.1 port 1 ssh2: ED25519 "
	    FP1);
}

static void
t_injected(void **s)
{
	struct authlog_rec r;

	(void)s;
	/*
	 * The client chose the whole name of an invalid user: whatever it
	 * looks like, the address is the one sshd wrote last, and the user
	 * is the whole text, marked.
	 */
	expect_rec("Failed publickey for invalid user smt-admin from "
	    "192.0.2.99 port 22 ssh2: ED25519 " FP2 " from 198.51.100.7 port "
	    "4242 ssh2: ED25519 " FP1,
	    "smt-admin from 192.0.2.99 port 22 ssh2: ED25519 " FP2,
	    "198.51.100.7", 4242, "ED25519", FP1, 1, 1);
	/* a trailing space in the name stays in the name */
	expect_rec("Failed publickey for invalid user x  from 192.0.2.1 port 1 "
	    "ssh2: ED25519 " FP1, "x ", "192.0.2.1", 1, "ED25519", FP1, 1, 1);
	/* text after the fingerprint is nothing sshd writes */
	expect_no(REAL " from 10.0.0.1 port 22 ssh2: ED25519");
	expect_no(REAL " [preauth]");
	expect_no(REAL " ");
	/* a valid user cannot have such a name: forged, refused */
	expect_no("Failed publickey for smt-admin from 10.9.9.9 port 22 ssh2: "
	    "ED25519 " FP2 " from 127.0.0.1 port 5 ssh2: ED25519 " FP1);
	expect_no("Failed publickey for smt admin from 10.9.9.9 port 22 ssh2: "
	    "ED25519 " FP1);
	expect_no("Failed publickey for -oProxy from 10.9.9.9 port 22 ssh2: "
	    "ED25519 " FP1);
	/*
	 * A certificate's key id is the client's text too, right of the
	 * address: read from the left, for valid users only.
	 */
	assert_int_equal(parse("Failed publickey for smt-admin from 10.0.0.5 "
	    "port 4242 ssh2: ED25519-CERT " FP1 " ID evil from 192.0.2.1 port "
	    "1 ssh2: ED25519 " FP2 " (serial 7) CA ED25519 " FP2, &r), 1);
	assert_string_equal(r.user, "smt-admin");
	assert_string_equal(r.addr, "10.0.0.5");
	assert_int_equal(r.port, 4242);
	assert_string_equal(r.keytype, "ED25519-CERT");
	assert_string_equal(r.fingerprint, FP1);
	assert_int_equal(r.cert, 1);
	assert_int_equal(r.suspect, 0);
	/* ... also when sshd's 1024-byte buffer cut it after the key id */
	assert_int_equal(parse("Failed publickey for smt-admin from 10.0.0.5 "
	    "port 4242 ssh2: ED25519-CERT " FP1 " ID x from 192.0.2.1 port 1 "
	    "ssh2: ED25519 " FP2, &r), 1);
	assert_string_equal(r.user, "smt-admin");
	assert_string_equal(r.addr, "10.0.0.5");
	assert_int_equal(r.cert, 1);
	/* an invalid user's certificate: both ends are the client's */
	expect_no("Failed publickey for invalid user a from 10.0.0.5 port 1 "
	    "ssh2: ED25519-CERT " FP1 " ID k (serial 7) CA ED25519 " FP2);
	/* a certificate type in the plain layout, a plain one with ID */
	expect_no("Failed publickey for smt-admin from 10.0.0.5 port 1 ssh2: "
	    "ED25519-CERT " FP1);
	expect_no("Failed publickey for smt-admin from 10.0.0.5 port 1 ssh2: "
	    "ED25519 " FP1 " ID k (serial 7) CA ED25519 " FP2);
}

static void
t_addresses(void **s)
{
	(void)s;
	expect_rec("Failed publickey for u from ::1 port 2 ssh2: ED25519 " FP1,
	    "u", "::1", 2, "ED25519", FP1, 0, 0);
	expect_rec("Failed publickey for u from 2001:db8::7 port 2 ssh2: "
	    "ED25519 " FP1, "u", "2001:db8::7", 2, "ED25519", FP1, 0, 0);
	expect_rec("Failed publickey for u from fe80::1%eth0 port 2 ssh2: "
	    "ED25519 " FP1, "u", "fe80::1%eth0", 2, "ED25519", FP1, 0, 0);
	expect_rec("Failed publickey for u from ::ffff:10.0.0.1 port 2 ssh2: "
	    "ED25519 " FP1, "u", "::ffff:10.0.0.1", 2, "ED25519", FP1, 0, 0);
	expect_no("Failed publickey for u from fe80::1% port 2 ssh2: ED25519 "
	    FP1);
	expect_no("Failed publickey for u from 10.0.0.1%eth0 port 2 ssh2: "
	    "ED25519 " FP1);
	expect_no("Failed publickey for u from 10.0.0.256 port 2 ssh2: "
	    "ED25519 " FP1);
	expect_no("Failed publickey for u from 10.0.0 port 2 ssh2: ED25519 "
	    FP1);
	expect_no("Failed publickey for u from host.example.org port 2 ssh2: "
	    "ED25519 " FP1);
	expect_no("Failed publickey for u from UNKNOWN port 65535 ssh2: "
	    "ED25519 " FP1);
	expect_no("Failed publickey for u from 2001:db8:::7 port 2 ssh2: "
	    "ED25519 " FP1);
}

static void
t_ports(void **s)
{
	static const char *const bad[] = {
		"0", "65536", "99999", "022", "-1", "+22", "22x", "x", "123456",
	};
	char line[512];
	size_t i;

	(void)s;
	for (i = 0; i < SM_NELEM(bad); i++) {
		snprintf(line, sizeof(line), "Failed publickey for u from "
		    "10.0.0.1 port %s ssh2: ED25519 " FP1, bad[i]);
		expect_no(line);
	}
	expect_no("Failed publickey for u from 10.0.0.1 port  ssh2: ED25519 "
	    FP1);
	expect_no("Failed publickey for u from 10.0.0.1 ssh2: ED25519 " FP1);
}

static void
t_prefixes(void **s)
{
	(void)s;
	/* another program, or sshd's name inside another */
	expect_no("Dec  1 07:00:00 vm1 sudo[1234]: " REAL);
	expect_no("Dec  1 07:00:00 vm1 sshdx[1234]: " REAL);
	expect_no("Dec  1 07:00:00 vm1 xsshd[1234]: " REAL);
	expect_no("Dec  1 07:00:00 vm1 logger: sshd[1234]: " REAL);
	expect_no("2026-12-01T07:00:00+00:00 vm1 su[1]: " REAL);
	/* no pid, an empty or non-numeric one, a missing colon or space */
	expect_no("Dec  1 07:00:00 vm1 sshd: " REAL);
	expect_no("Dec  1 07:00:00 vm1 sshd[]: " REAL);
	expect_no("Dec  1 07:00:00 vm1 sshd[12a]: " REAL);
	expect_no("Dec  1 07:00:00 vm1 sshd[12345678901]: " REAL);
	expect_no("Dec  1 07:00:00 vm1 sshd[12] " REAL);
	expect_no("Dec  1 07:00:00 vm1 sshd[12]:" REAL);
	/* malformed time stamps and host fields */
	expect_no("Foo  1 07:00:00 vm1 sshd[1]: " REAL);
	expect_no("Dec  1 07:00 vm1 sshd[1]: " REAL);
	expect_no("Dec  1 07:00:00  sshd[1]: " REAL);
	expect_no("Dec  1 07:00:00 sshd[1]: " REAL);
	expect_no("2026-12-01 07:00:00+00:00 vm1 sshd[1]: " REAL);
	expect_no("2026-12-01T07:00:00.+00:00 vm1 sshd[1]: " REAL);
	expect_no("2026-12-01T07:00:00.1234567890+00:00 vm1 sshd[1]: " REAL);
	expect_no("2026-12-01T07:00:00 vm1 sshd[1]: " REAL);
	expect_no("2026-12-01T07:00:00+0000 vm1 sshd[1]: " REAL);
	/* a prefix, then something that is not the message */
	expect_no("Dec  1 07:00:00 vm1 sshd[1]: Connection closed by "
	    "authenticating user smt-admin 127.0.0.1 port 1 [preauth]");
	expect_no(" " REAL);
}

static void
t_other_messages(void **s)
{
	(void)s;
	expect_no("Accepted publickey for smt-admin from 127.0.0.1 port 51778 "
	    "ssh2: ED25519 " FP2);
	expect_no("Partial publickey for smt-admin from 127.0.0.1 port 1 "
	    "ssh2: ED25519 " FP2);
	/* PAM reports these already (pam_sshmedic.so): never twice */
	expect_no("Failed password for smt-admin from 127.0.0.1 port 56328 "
	    "ssh2");
	expect_no("Failed password for invalid user x from 127.0.0.1 port 1 "
	    "ssh2");
	expect_no("Failed keyboard-interactive/pam for smt-admin from "
	    "127.0.0.1 port 1 ssh2");
	expect_no("Failed none for invalid user x from 127.0.0.1 port 1 ssh2");
	expect_no("Invalid user nosuchuser from 127.0.0.1 port 55352");
	expect_no("Connection closed by invalid user nosuchuser 127.0.0.1 "
	    "port 55352 [preauth]");
	expect_no("Failed publickey/x for u from 10.0.0.1 port 1 ssh2: "
	    "ED25519 " FP1);
	/* key types and fingerprints sshd does not write */
	expect_no("Failed publickey for u from 10.0.0.1 port 1 ssh2: FOO " FP1);
	expect_no("Failed publickey for u from 10.0.0.1 port 1 ssh2: ed25519 "
	    FP1);
	expect_no("Failed publickey for u from 10.0.0.1 port 1 ssh2: ED25519 "
	    "SHA256:S34DyjVcvBSZq3EtBikzVDXY32ooJeLhi3WLV/HuZt");
	expect_no("Failed publickey for u from 10.0.0.1 port 1 ssh2: ED25519 "
	    "SHA256:S34DyjVcvBSZq3EtBikzVDXY32ooJeLhi3WLV/HuZt=");
	expect_no("Failed publickey for u from 10.0.0.1 port 1 ssh2: ED25519 "
	    "MD5:3f:4e:2a:11:00:ff:ab:cd:ef:01:23:45:67:89:9a:BC");
	expect_no("Failed publickey for u from 10.0.0.1 port 1 ssh2: ED25519");
	expect_no("Failed publickey for u from 10.0.0.1 port 1 ssh2:");
	expect_no("Failed publickey for u from 10.0.0.1 port 1 ssh2 ED25519 "
	    FP1);
}

static void
t_truncated(void **s)
{
	static const char *const lines[] = {
		REAL,
		"Dec  1 07:00:00 vm1 sshd[1234]: " REAL,
		"2026-12-01T07:00:00.123456+00:00 vm1 sshd[1234]: " REAL,
		"Failed publickey for invalid user bob from 2001:db8::7 port "
		    "4242 ssh2: RSA " FP2,
	};
	struct authlog_rec r;
	size_t i, n;

	(void)s;
	/* every cut of a good line is refused: nothing half-read counts */
	for (i = 0; i < SM_NELEM(lines); i++) {
		assert_int_equal(parse(lines[i], &r), 1);
		for (n = 0; n < strlen(lines[i]); n++)
			if (authlog_parse(lines[i], n, &r) != 0)
				fail_msg("cut at %zu parsed: <<%.*s>>", n,
				    (int)n, lines[i]);
	}
}

static void
t_garbage(void **s)
{
	struct authlog_rec r;
	unsigned char buf[600];
	unsigned int seed = 1;
	size_t i, j;

	(void)s;
	expect_no("");
	expect_no("\n");
	expect_no("\r\n");
	expect_no("Failed publickey for ");
	expect_no("Failed publickey for u");
	expect_no("hello world");
	expect_no("Dec  1 07:00:00 vm1 sshd[1234]: ");
	assert_int_equal(authlog_parse(NULL, 0, &r), 0);
	assert_int_equal(authlog_parse(REAL, 0, &r), 0);
	/* random bytes, and random bytes after a good start */
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < sizeof(buf); j++) {
			seed = seed * 1103515245 + 12345;
			buf[j] = (unsigned char)(seed >> 16);
		}
		assert_int_equal(authlog_parse((char *)buf, i % sizeof(buf),
		    &r), 0);
		memcpy(buf, "Failed publickey for ", 21);
		assert_int_equal(authlog_parse((char *)buf, sizeof(buf), &r),
		    0);
	}
}

/* An invalid user's line of exactly total bytes. */
static char *
long_line(size_t total)
{
	static const char tail[] = " from 192.0.2.1 port 1 ssh2: ED25519 " FP1;
	static const char head[] = "Failed publickey for invalid user ";
	char *l = malloc(total + 1);
	size_t ulen = total - strlen(head) - strlen(tail);

	assert_non_null(l);
	memcpy(l, head, strlen(head));
	memset(l + strlen(head), 'a', ulen);
	memcpy(l + strlen(head) + ulen, tail, strlen(tail) + 1);
	assert_int_equal(strlen(l), total);
	return l;
}

static void
t_lengths(void **s)
{
	struct authlog_rec r;
	char *l, name[COUNTERS_KEY_MAX + 2], line[512];

	(void)s;
	/* AUTHLOG_LINE_MAX parses (the name marked and cut), +1 does not */
	l = long_line(AUTHLOG_LINE_MAX);
	assert_int_equal(parse(l, &r), 1);
	assert_int_equal(r.invalid_user, 1);
	assert_int_equal(r.suspect, 1);
	assert_int_equal(strlen(r.user), AUTHLOG_USER_MAX);
	assert_true(r.user_len > AUTHLOG_USER_MAX);
	assert_string_equal(r.addr, "192.0.2.1");
	free(l);
	l = long_line(AUTHLOG_LINE_MAX + 1);
	assert_int_equal(parse(l, &r), 0);
	free(l);
	/* a line ending does not count against the limit's caller... */
	l = long_line(AUTHLOG_LINE_MAX - 1);
	assert_int_equal(parse(l, &r), 1);
	free(l);

	/* names up to COUNTERS_KEY_MAX are fine, one more is marked */
	memset(name, 'n', COUNTERS_KEY_MAX);
	name[COUNTERS_KEY_MAX] = '\0';
	snprintf(line, sizeof(line), "Failed publickey for %s from 10.0.0.1 "
	    "port 1 ssh2: ED25519 " FP1, name);
	expect_rec(line, name, "10.0.0.1", 1, "ED25519", FP1, 0, 0);
	name[COUNTERS_KEY_MAX] = 'n';
	name[COUNTERS_KEY_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "Failed publickey for %s from 10.0.0.1 "
	    "port 1 ssh2: ED25519 " FP1, name);
	expect_rec(line, name, "10.0.0.1", 1, "ED25519", FP1, 0, 1);
	snprintf(line, sizeof(line), "Failed publickey for invalid user %s "
	    "from 10.0.0.1 port 1 ssh2: ED25519 " FP1, name);
	expect_rec(line, name, "10.0.0.1", 1, "ED25519", FP1, 1, 1);
}

/* allowed_user()'s refusals, before any method runs. */
static void
t_not_allowed(void **s)
{
	struct authlog_rec r;

	(void)s;
	assert_int_equal(parse("User smt-admin not allowed because shell "
	    "/nonexistent does not exist", &r), 1);
	assert_int_equal(r.kind, AL_NOT_ALLOWED);
	assert_string_equal(r.user, "smt-admin");
	assert_string_equal(r.addr, "");
	assert_string_equal(r.why, "shell /nonexistent does not exist");
	assert_int_equal(parse("Dec  1 07:00:00 vm1 sshd[1]: User alice from "
	    "10.0.0.7 not allowed because listed in DenyUsers\r\n", &r), 1);
	assert_string_equal(r.user, "alice");
	assert_string_equal(r.addr, "10.0.0.7");
	assert_string_equal(r.why, "listed in DenyUsers");
	/* a host name (UseDNS): the user counted, no address */
	assert_int_equal(parse("User bob from host.example not allowed because "
	    "not listed in AllowUsers", &r), 1);
	assert_string_equal(r.user, "bob");
	assert_string_equal(r.addr, "");
	assert_int_equal(parse("User carol not allowed because account is "
	    "locked", &r), 1);
	assert_int_equal(r.kind, AL_NOT_ALLOWED);
	/* the refused key keeps its kind */
	assert_int_equal(parse(REAL, &r), 1);
	assert_int_equal(r.kind, AL_REFUSED_KEY);
	/* no reason, no name, a name with a space, a foreign tag */
	expect_no("User alice not allowed because ");
	expect_no("User  not allowed because shell /x does not exist");
	expect_no("User a b not allowed because shell /x does not exist");
	expect_no("User alice from a b not allowed because listed in DenyUsers");
	expect_no("User alice is fine");
	/* a key sshd found good: its connection's later failure is no rejection */
	assert_int_equal(parse("Postponed publickey for smt-admin from "
	    "127.0.0.1 port 4242 ssh2 [preauth]", &r), 1);
	assert_int_equal(r.kind, AL_POSTPONED);
	assert_string_equal(r.user, "smt-admin");
	assert_string_equal(r.addr, "127.0.0.1");
	assert_int_equal(r.port, 4242);
	assert_int_equal(parse("Dec  1 07:00:00 vm1 sshd[1]: Postponed publickey "
	    "for bob from ::1 port 22 ssh2\n", &r), 1);
	assert_int_equal(r.port, 22);
	expect_no("Postponed publickey for a b from 127.0.0.1 port 1 ssh2");
	expect_no("Postponed publickey for bob from nohost port 1 ssh2");
	expect_no("Postponed publickey for bob from 127.0.0.1 port 1");
	/* PAM could not start: a failure with no user named */
	assert_int_equal(parse("PAM: initialisation failed", &r), 1);
	assert_int_equal(r.kind, AL_PAM_INIT);
	assert_string_equal(r.user, "");
	assert_int_equal(parse("Dec  1 07:00:00 vm1 sshd[1]: PAM: "
	    "initialisation failed\n", &r), 1);
	assert_int_equal(r.kind, AL_PAM_INIT);
	expect_no("PAM: initialisation failed for alice");
	expect_no("Dec  1 07:00:00 vm1 su[1]: PAM: initialisation failed");
	expect_no("Dec  1 07:00:00 vm1 logger[1]: User alice not allowed "
	    "because shell /x does not exist");
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_shapes),
		cmocka_unit_test(t_line_endings),
		cmocka_unit_test(t_invalid_user),
		cmocka_unit_test(t_injected),
		cmocka_unit_test(t_addresses),
		cmocka_unit_test(t_ports),
		cmocka_unit_test(t_prefixes),
		cmocka_unit_test(t_other_messages),
		cmocka_unit_test(t_truncated),
		cmocka_unit_test(t_garbage),
		cmocka_unit_test(t_lengths),
		cmocka_unit_test(t_not_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
