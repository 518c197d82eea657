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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_has_key),
		cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
