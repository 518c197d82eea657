/*
 * Tests for lib/authkeys.c: a key found among authorized_keys lines the
 * way sshd compares them, and fingerprints equal to ssh-keygen -l's.
 */
#include "unit.h"

#include <errno.h>

#include "authkeys.h"

/* Made with ssh-keygen; the fingerprints are what ssh-keygen -l printed. */
#define ED	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBwfyoPLzoSj/6kXZ30aBDwu4WIa9P9jnpMl344PUHSt"
#define ED_FP	"SHA256:fGb7HLWLWXhVffAkPOHTNJ4SF1M05x74aqX9qElH9IU"
#define RSA	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC+2NMp+5ettLmRyzxvD/yGRYQlqsf+" \
	"JqRR05hsCXh89nCGKTgulsGNJYmZS+1w4s1JR/tl/WV095PjojqfJrFszt7nhK0bkY8VNe" \
	"JXtgzcq1MoBUy+RWqvxF57UKZz9WR0A4scXT4zGnWRnwOizDJ82akuBUMubIGUHEgdD1W1mw=="
#define RSA_FP	"SHA256:ZH//QEgcIHo181NZ98Qre3tL4DcnmsBKerKP9bYhe8c"

static int
has(const char *content, const char *key)
{
	return authkeys_has_key(content, strlen(content), key);
}

static void
test_has_key(void **s)
{
	(void)s;
	assert_true(has(ED " test\n", ED));
	assert_true(has(ED, ED));		/* no newline at the end */
	assert_true(has("# admin\n\n" RSA " r\n" ED " x\n", ED));
	assert_true(has("from=\"10.0.0.0/8\",no-pty " ED " c\n", ED));
	assert_true(has("command=\"echo a b\" " ED "\r\n", ED));
	assert_true(has("  \t" ED " lead\n", ED));
	/* The key given with its comment still matches. */
	assert_true(has(ED "\n", ED " some comment"));
	/* Commented out, cut, or another key: no. */
	assert_false(has("#" ED "\n", ED));
	assert_false(has("# " ED "\n", ED));
	assert_false(has(RSA "\n", ED));
	assert_false(has("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBwfyoPLzoSj\n",
	    ED));
	assert_false(has(ED "X\n", ED));
	assert_false(has("", ED));
	/* Not a key at all. */
	assert_false(has(ED "\n", ""));
	assert_false(has(ED "\n", "ssh-ed25519"));
	assert_false(has(ED "\n", "ssh-ed25519 "));
	assert_false(authkeys_has_key(NULL, 0, ED));
}

static void
test_fingerprint(void **s)
{
	char fp[AUTHKEYS_FP_MAX];

	(void)s;
	assert_int_equal(authkeys_fingerprint(ED " test", fp, sizeof(fp)), 0);
	assert_string_equal(fp, ED_FP);
	assert_int_equal(authkeys_fingerprint(ED, fp, sizeof(fp)), 0);
	assert_string_equal(fp, ED_FP);
	assert_int_equal(authkeys_fingerprint(RSA " r", fp, sizeof(fp)), 0);
	assert_string_equal(fp, RSA_FP);
	assert_int_equal(authkeys_fingerprint("ssh-ed25519 AAA", fp,
	    sizeof(fp)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(authkeys_fingerprint("ssh-ed25519 !!!!", fp,
	    sizeof(fp)), -1);
	assert_int_equal(authkeys_fingerprint("nospace", fp, sizeof(fp)), -1);
	assert_int_equal(authkeys_fingerprint(ED, fp, 20), -1);
	assert_int_equal(errno, ENOSPC);
}

static int
text_ok(const char *t, int opts)
{
	char why[128];

	return authkeys_text_ok(t, strlen(t), opts, why, sizeof(why));
}

static void
test_text_ok(void **s)
{
	char why[128];

	(void)s;
	assert_true(text_ok(ED " c\n", 0));
	assert_true(text_ok(ED, 0));
	assert_true(text_ok("# keys\n\n" ED " a\r\n" RSA " b\n", 0));
	assert_true(text_ok("no-pty,command=\"a b\" " ED " c\n", 1));
	assert_false(text_ok("no-pty,command=\"a b\" " ED " c\n", 0));
	assert_false(text_ok("", 0));
	assert_false(text_ok("# only a comment\n", 0));
	assert_false(text_ok("ssh-ed25519\n", 0));
	assert_false(text_ok("ssh-ed25519 AAAA\n", 0));
	/* The blob says ssh-ed25519, the line says ssh-rsa: no. */
	assert_false(text_ok("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIBwfyoPLzoSj/6kXZ30"
	    "aBDwu4WIa9P9jnpMl344PUHSt\n", 0));
	assert_false(text_ok("ssh-dss AAAAB3NzaC1kc3M=\n", 0));
	assert_false(text_ok("hunter2\n", 0));
	assert_false(authkeys_text_ok(ED "\0x", strlen(ED) + 2, 0, why,
	    sizeof(why)));
	assert_false(authkeys_text_ok(ED "\nnot a key\n",
	    strlen(ED "\nnot a key\n"), 0, why, sizeof(why)));
	assert_non_null(strstr(why, "line 2"));
}

static void
test_crypt_ok(void **s)
{
	(void)s;
	assert_true(authkeys_crypt_ok("$y$j9T$lFZ4XNP5t0UbB3bO8lXTJ0$ZjzhdvuM5sm."
	    "fBeL8J2F/3UtG5tHu3oyNhNkW3Eh5M6"));
	assert_true(authkeys_crypt_ok("$6$saltsalt$4mLwDpkoXCZjZfnl4E9eAdSGLv2jv"
	    "3TiaAxq3RA3KnZSQbGm4HTC3PqWs6jmVuGkEmX3Ajs7qWQ2pnXGpkdH3/"));
	assert_true(authkeys_crypt_ok("$6$rounds=5000$salt$4mLwDpkoXCZjZfnl4E9e"
	    "AdSGLv2jv3TiaAxq3RA3"));
	assert_true(authkeys_crypt_ok("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquz"
	    "i.Ss7KIUgO2t0jWMUW"));
	assert_false(authkeys_crypt_ok("hunter2"));
	assert_false(authkeys_crypt_ok(""));
	assert_false(authkeys_crypt_ok("!"));
	assert_false(authkeys_crypt_ok("*"));
	assert_false(authkeys_crypt_ok("!$6$salt$4mLwDpkoXCZjZfnl4E9eAdSGLv2"));
	assert_false(authkeys_crypt_ok("$1$salt$qJH7.N4xYta3aEG/dfqo/0"));
	assert_false(authkeys_crypt_ok("$6$salt"));
	assert_false(authkeys_crypt_ok("$6$salt$short"));
	assert_false(authkeys_crypt_ok("$6$salt$4mLwDpkoXCZjZfnl4E9eAdSGLv2 x"));
	assert_false(authkeys_crypt_ok("$6$$4mLwDpkoXCZjZfnl4E9eAdSGLv2jv3Ti"));
	assert_false(authkeys_crypt_ok("$6$salt$4mLwDpkoXCZjZfnl4E9eAdSGLv2\n"));
	assert_false(authkeys_crypt_ok(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_has_key),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_text_ok),
		cmocka_unit_test(test_crypt_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
