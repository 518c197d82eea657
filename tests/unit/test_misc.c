/*
 * Unit tests for lib/misc.c: the shared string helpers (token predicate,
 * string-array comparator and free).
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

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(t_token_ok),
		cmocka_unit_test(t_strv),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
