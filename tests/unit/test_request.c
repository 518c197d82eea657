/*
 * Tests for lib/request.c: every kind and field, each refusal with its
 * file:line, conflicts, bounds, the writer round trip and the redaction.
 */
#include "unit.h"

#include <errno.h>

#include "request.h"
#include "xmalloc.h"

#define KEY	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBwfyoPLzoSj/6kXZ30aBDwu4WIa9P9jnpMl344PUHSt"
#define HASH	"$6$saltsalt$4mLwDpkoXCZjZfnl4E9eAdSGLv2jv3TiaAxq3RA3KnZSQbGm4HTC3PqWs6jmVuGkEmX3Ajs7qWQ2pnXGpkdH3/"

static int
parse(const char *text, struct request *r, char *err, size_t len)
{
	return request_parse("r.req", text, strlen(text), r, err, len);
}

static void
ok(const char *text, size_t n)
{
	struct request r;
	char err[512];

	if (parse(text, &r, err, sizeof(err)) != 0)
		fail_msg("refused: %s\n%s", err, text);
	assert_int_equal(r.n, n);
	request_free(&r);
}

/* Refused with "r.req:LINE: ...what..." (line 0: the file itself). */
static void
bad(const char *text, unsigned int line, const char *what)
{
	struct request r;
	char err[512], want[32];

	assert_int_equal(parse(text, &r, err, sizeof(err)), -1);
	if (line > 0)
		snprintf(want, sizeof(want), "r.req:%u: ", line);
	else
		snprintf(want, sizeof(want), "r.req: ");
	if (strncmp(err, want, strlen(want)) != 0 || strstr(err, what) == NULL)
		fail_msg("for <<%s>>\n got: %s\nwant: %s...%s", text, err, want,
		    what);
	/* A hash is never quoted back. */
	if (strstr(err, "saltsalt") != NULL)
		fail_msg("hash quoted: %s", err);
	request_free(&r);
}

static void
test_kinds(void **s)
{
	struct request r;
	char err[256];

	(void)s;
	ok("requests = ( { op = \"reset-ssh\"; } );", 1);
	ok("requests = ( { op = \"set-key\"; user = \"alice\"; keys = \""
	    KEY " a\"; } );", 1);
	ok("requests = ( { op = \"set-key\"; user = \"alice\"; keys = [ \""
	    KEY " a\", \"" KEY " b\" ]; replace = true; } );", 1);
	ok("requests = ( { op = \"set-password\"; user = \"alice\"; hash = \""
	    HASH "\"; } );", 1);
	ok("requests = ( { op = \"add-sudo-user\"; user = \"ops\"; keys = [ \""
	    KEY "\" ]; } );", 1);
	ok("requests = ( { op = \"remove-user\"; user = \"old\"; keep_home = "
	    "true; } );", 1);
	ok("requests = ( { op = \"expire\"; user = \"bob\"; date = "
	    "\"2027-01-31\"; }, { op = \"expire\"; user = \"eve\"; date = "
	    "\"never\"; } );", 2);
	assert_int_equal(parse("requests = ( { op = \"set-key\"; user = \"a\";"
	    " keys = \"" KEY "\"; replace = true; } );", &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.op[0].kind, RQ_SET_KEY);
	assert_string_equal(r.op[0].user, "a");
	assert_true(r.op[0].replace);
	assert_int_equal(r.op[0].keyslen, strlen(KEY));
	request_free(&r);
}

static void
test_refusals(void **s)
{
	(void)s;
	bad("", 0, "no requests");
	bad("requests = ( );", 1, "0 entries");
	bad("requests = 3;", 1, "expected a list");
	bad("other = 1;", 1, "unknown setting other");
	bad("requests = ( {\n user = \"a\"; } );", 1, "without op");
	bad("requests = ( { op = \"format-disk\"; } );", 1, "unknown request");
	bad("requests = ( { op = \"reset-ssh\";\n user = \"a\"; } );", 2,
	    "reset-ssh takes no user");
	bad("requests = ( { op = \"set-key\"; user = \"a\"; } );", 1,
	    "set-key needs keys");
	bad("requests = ( { op = \"set-key\";\n keys = \"" KEY "\"; } );", 1,
	    "set-key needs user");
	bad("requests = ( { op = \"set-key\"; user = \"a\";\n keys = "
	    "\"hunter2\"; } );", 2, "not a public key");
	bad("requests = ( { op = \"set-key\"; user = \"a\";\n keys = [ 1 ]; } );",
	    2, "not a string");
	bad("requests = ( { op = \"set-key\";\n user = \"-rf\"; keys = \"" KEY
	    "\"; } );", 2, "not a valid user name");
	bad("requests = ( { op = \"set-key\";\n user = \"a b\"; keys = \"" KEY
	    "\"; } );", 2, "not a valid user name");
	bad("requests = ( { op = \"set-password\"; user = \"a\";\n hash = "
	    "\"hunter2\"; } );", 2, "not a crypt(3) hash");
	bad("requests = ( { op = \"set-password\"; user = \"a\";\n hash = \""
	    HASH "\"; date = \"never\"; } );", 2, "takes no date");
	bad("requests = ( { op = \"expire\"; user = \"a\";\n date = "
	    "\"2027-02-31\"; } );", 2, "not YYYY-MM-DD");
	bad("requests = ( { op = \"expire\"; user = \"a\";\n date = "
	    "\"tomorrow\"; } );", 2, "not YYYY-MM-DD");
	bad("requests = ( { op = \"remove-user\"; user = \"a\";\n keep_home = "
	    "\"yes\"; } );", 2, "expected true or false");
	bad("requests = ( { op = \"reset-ssh\";\n bogus = 1; } );", 2,
	    "takes no bogus");
	bad("@include \"/etc/shadow\"\nrequests = ( );", 1, "@include");
	bad("requests = ( { op = \"reset-ssh\" } ", 1, "");
	bad("requests = ( 1 );", 1, "is a group");
}

static void
test_conflicts(void **s)
{
	(void)s;
	bad("requests = (\n { op = \"remove-user\"; user = \"a\"; },\n"
	    " { op = \"set-password\"; user = \"a\"; hash = \"" HASH "\"; } );",
	    3, "conflicting requests");
	bad("requests = (\n { op = \"expire\"; user = \"a\"; date = \"never\"; },"
	    "\n { op = \"remove-user\"; user = \"a\"; } );", 2,
	    "conflicting requests");
	/* Different users do not conflict; two removals of one do. */
	ok("requests = ( { op = \"remove-user\"; user = \"a\"; }, { op = "
	    "\"expire\"; user = \"b\"; date = \"never\"; } );", 2);
	bad("requests = (\n { op = \"remove-user\"; user = \"a\"; },\n"
	    " { op = \"remove-user\"; user = \"a\"; } );", 3,
	    "conflicting requests");
}

static void
test_bounds(void **s)
{
	char *t, *p;
	size_t i, len;
	struct request r;
	char err[256];

	(void)s;
	/* REQ_MAX_OPS ops are fine, one more is not. */
	len = (REQ_MAX_OPS + 1) * 64 + 64;
	t = xcalloc(1, len);
	for (i = 0; i <= REQ_MAX_OPS; i++) {
		p = t + strlen(t);
		snprintf(p, len - strlen(t), "%s{ op = \"reset-ssh\"; }",
		    i == 0 ? "requests = ( " : ", ");
		if (i + 1 == REQ_MAX_OPS) {
			char *copy = xstrdup(t);

			copy = xreallocarray(copy, 1, strlen(copy) + 8);
			memcpy(copy + strlen(copy), " );", 4);
			ok(copy, REQ_MAX_OPS);
			free(copy);
		}
	}
	memcpy(t + strlen(t), " );", 4);
	bad(t, 1, "17 entries");
	free(t);
	/* Over the size cap, and a NUL byte. */
	t = xcalloc(1, REQ_FILE_MAX + 2);
	memset(t, ' ', REQ_FILE_MAX + 1);
	assert_int_equal(request_parse("r.req", t, REQ_FILE_MAX + 1, &r, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than"));
	request_free(&r);
	free(t);
	assert_int_equal(request_parse("r.req", "requests\0 = ();", 15, &r, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));
	request_free(&r);
}

static void
test_format_round_trip(void **s)
{
	struct req_op op;
	struct request r;
	char err[256], *t, *red;

	(void)s;
	memset(&op, 0, sizeof(op));
	op.kind = RQ_SET_PASSWORD;
	op.user = "alice";
	op.hash = HASH;
	t = request_format(&op);
	assert_int_equal(parse(t, &r, err, sizeof(err)), 0);
	assert_int_equal(r.op[0].kind, RQ_SET_PASSWORD);
	assert_string_equal(r.op[0].hash, HASH);
	red = request_redacted(&r);
	assert_null(strstr(red, HASH));
	assert_non_null(strstr(red, "alice"));
	free(red);
	request_free(&r);
	free(t);

	/* A comment with quotes and a backslash survives the escaping. */
	memset(&op, 0, sizeof(op));
	op.kind = RQ_SET_KEY;
	op.user = "bob";
	op.keys = KEY " \"quoted\" back\\slash\n" KEY " second\n";
	op.replace = 1;
	t = request_format(&op);
	assert_int_equal(parse(t, &r, err, sizeof(err)), 0);
	assert_string_equal(r.op[0].keys, op.keys);
	assert_true(r.op[0].replace);
	red = request_redacted(&r);
	request_free(&r);
	assert_int_equal(parse(red, &r, err, sizeof(err)), 0);
	assert_string_equal(r.op[0].keys, op.keys);
	request_free(&r);
	free(red);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_format_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
