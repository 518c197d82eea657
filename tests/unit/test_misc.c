/*
 * Unit tests for lib/misc.c: the shared string helpers (token predicate,
 * string-array comparator and free) and read_sysctl_long at its boundaries.
 */
#include "unit.h"

#include "misc.h"

static void
t_token_ok(void **s)
{
	(void)s;
	assert_int_equal(sm_token_ok("", 8, "-"), 0);
	assert_int_equal(sm_token_ok("a", 8, "-"), 1);
	assert_int_equal(sm_token_ok("abcdefgh", 8, "-"), 1);	/* max */
	assert_int_equal(sm_token_ok("abcdefghi", 8, "-"), 0);	/* max+1 */
	assert_int_equal(sm_token_ok("Az09-x", 8, "-"), 1);
	assert_int_equal(sm_token_ok("a_b", 8, "-"), 0);
	assert_int_equal(sm_token_ok("a_b", 8, "_-"), 1);
	assert_int_equal(sm_token_ok("a.b", 8, "_-"), 0);
	assert_int_equal(sm_token_ok("a b", 8, "_-"), 0);
	assert_int_equal(sm_token_ok("a/b", 8, "_-"), 0);
	assert_int_equal(sm_token_ok("\xc3\xa9", 8, "_-"), 0);
	assert_int_equal(sm_token_ok("ab", 8, ""), 1);
}

static void
t_strv(void **s)
{
	char **v;
	size_t i;

	(void)s;
	v = calloc(3, sizeof(*v));
	assert_non_null(v);
	v[0] = strdup("b");
	v[1] = strdup("c");
	v[2] = strdup("a");
	qsort(v, 3, sizeof(*v), sm_strpcmp);
	for (i = 0; i < 3; i++)
		assert_int_equal(v[i][0], 'a' + (int)i);
	sm_strv_free(v, 3);
	sm_strv_free(NULL, 0);
}

static void
t_sysctl(void **s)
{
	static const struct {
		const char *text;
		long want;
	} c[] = {
		{ "512\n", 512 }, { "10", 10 }, { "0\n", 0 },
		{ "9223372036854775807\n", 9223372036854775807L },	/* max */
		{ "9223372036854775808\n", -1 },	/* max+1 */
		{ "-1\n", -1 }, { "", -1 }, { "\n", -1 }, { "12 13\n", -1 },
		{ "0x10\n", -1 }, { "garbage\n", -1 },
	};
	char *dir = unit_mkdtemp(), *p = unit_path(dir, "v");
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		unit_write(p, c[i].text);
		assert_int_equal(read_sysctl_long(p), c[i].want);
	}
	assert_int_equal(read_sysctl_long("/nonexistent/sysctl"), -1);
	assert_int_equal(read_sysctl_long(dir), -1);	/* a directory */
	free(p);
	unit_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(t_token_ok),
		cmocka_unit_test(t_strv),
		cmocka_unit_test(t_sysctl),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
