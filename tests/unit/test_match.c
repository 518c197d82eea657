/*
 * Unit tests for lib/match.c: the answers sshd 9.2 gives for wildcards,
 * pattern lists, CIDR lists and AllowUsers/DenyUsers entries.
 */
#include "unit.h"

#include "match.h"

static void
t_pattern_basic(void **state)
{
	(void)state;
	assert_int_equal(match_pattern("", ""), 1);
	assert_int_equal(match_pattern("", "*"), 1);
	assert_int_equal(match_pattern("", "**"), 1);
	assert_int_equal(match_pattern("", "?"), 0);
	assert_int_equal(match_pattern("a", ""), 0);
	assert_int_equal(match_pattern("abc", "abc"), 1);
	assert_int_equal(match_pattern("abc", "ab"), 0);
	assert_int_equal(match_pattern("ab", "abc"), 0);
	assert_int_equal(match_pattern("abc", "a?c"), 1);
	assert_int_equal(match_pattern("ac", "a?c"), 0);
	assert_int_equal(match_pattern("abc", "*"), 1);
	assert_int_equal(match_pattern("abc", "a*"), 1);
	assert_int_equal(match_pattern("abc", "*c"), 1);
	assert_int_equal(match_pattern("abc", "*b*"), 1);
	assert_int_equal(match_pattern("abc", "*d*"), 0);
	assert_int_equal(match_pattern("abc", "???"), 1);
	assert_int_equal(match_pattern("abc", "????"), 0);
	assert_int_equal(match_pattern("abc", "*?"), 1);
	assert_int_equal(match_pattern("abc", "*???"), 1);
	assert_int_equal(match_pattern("abc", "*????"), 0);
	assert_int_equal(match_pattern("aaab", "*a*b"), 1);
	assert_int_equal(match_pattern("mississippi", "*sip*"), 1);
	assert_int_equal(match_pattern("mississippi", "m*iss*ppi"), 1);
	assert_int_equal(match_pattern("mississippi", "m*x*"), 0);
	/* case sensitive, no character classes */
	assert_int_equal(match_pattern("Root", "root"), 0);
	assert_int_equal(match_pattern("a", "[a]"), 0);
	assert_int_equal(match_pattern("[a]", "[a]"), 1);
	assert_int_equal(match_pattern(NULL, "*"), 0);
}

static void
t_pattern_long(void **state)
{
	char s[4097], p[4097];

	(void)state;
	/* pathological backtracking must finish and be right */
	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	memset(p, '*', sizeof(p) - 1);
	p[sizeof(p) - 1] = '\0';
	p[1] = 'a';
	p[3] = 'b';
	assert_int_equal(match_pattern(s, p), 0);
	p[3] = 'a';
	assert_int_equal(match_pattern(s, p), 1);
}

static void
t_list(void **state)
{
	(void)state;
	assert_int_equal(match_pattern_list("alice", "alice", 0), 1);
	assert_int_equal(match_pattern_list("alice", "bob,alice", 0), 1);
	assert_int_equal(match_pattern_list("alice", "bob,carol", 0), 0);
	assert_int_equal(match_pattern_list("alice", "", 0), 0);
	assert_int_equal(match_pattern_list("", "", 0), 0);
	/* an empty entry matches only the empty string */
	assert_int_equal(match_pattern_list("", ",x", 0), 1);
	assert_int_equal(match_pattern_list("a", "a,", 0), 1);
	assert_int_equal(match_pattern_list("", "a,", 0), 0);
	/* negation wins wherever it is */
	assert_int_equal(match_pattern_list("alice", "*,!alice", 0), -1);
	assert_int_equal(match_pattern_list("alice", "!alice,*", 0), -1);
	assert_int_equal(match_pattern_list("bob", "*,!alice", 0), 1);
	assert_int_equal(match_pattern_list("bob", "!alice", 0), 0);
	assert_int_equal(match_pattern_list("", "!", 0), -1);
	assert_int_equal(match_pattern_list("a", "!", 0), 0);
	/* case */
	assert_int_equal(match_pattern_list("Alice", "alice", 0), 0);
	assert_int_equal(match_pattern_list("Alice", "ALICE", 1), 1);
	assert_int_equal(match_pattern_list("host.EXAMPLE.com", "*.example.com",
	    1), 1);
	assert_int_equal(match_pattern_list("x", NULL, 0), 0);
}

static void
t_list_long_entry(void **state)
{
	char list[1100];

	(void)state;
	/* sshd gives up (no match) on an entry of 1023 bytes or more */
	memset(list, 'a', 1022);
	list[1022] = '\0';
	assert_int_equal(match_pattern_list(list, list, 0), 1);
	memset(list, 'a', 1023);
	list[1023] = '\0';
	assert_int_equal(match_pattern_list(list, list, 0), 0);
	snprintf(list, sizeof(list), "x,%01030d", 0);
	assert_int_equal(match_pattern_list("x", list, 0), 0);
}

static void
t_cidr_list(void **state)
{
	(void)state;
	assert_int_equal(match_addr_cidr_list("10.1.2.3", "10.0.0.0/8"), 1);
	assert_int_equal(match_addr_cidr_list("11.1.2.3", "10.0.0.0/8"), 0);
	assert_int_equal(match_addr_cidr_list("10.1.2.3", "0.0.0.0/0"), 1);
	assert_int_equal(match_addr_cidr_list("10.1.2.3", "10.1.2.3/32"), 1);
	assert_int_equal(match_addr_cidr_list("10.1.2.4", "10.1.2.3/32"), 0);
	assert_int_equal(match_addr_cidr_list("10.1.2.3", "10.1.2.3"), 1);
	assert_int_equal(match_addr_cidr_list("10.1.2.3", "10.1.2.3/33"), -2);
	assert_int_equal(match_addr_cidr_list("10.1.2.3", "10.1.3.0/23"), -2);
	assert_int_equal(match_addr_cidr_list("10.1.3.3", "10.1.2.0/23"), 1);
	assert_int_equal(match_addr_cidr_list("10.1.2.3", "10.1.2.0/24"), 1);
	assert_int_equal(match_addr_cidr_list("10.1.3.3", "10.1.2.0/24"), 0);
	/* /31 and /25: the boundary inside a byte */
	assert_int_equal(match_addr_cidr_list("10.0.0.127", "10.0.0.0/25"), 1);
	assert_int_equal(match_addr_cidr_list("10.0.0.128", "10.0.0.0/25"), 0);
	assert_int_equal(match_addr_cidr_list("10.0.0.1", "10.0.0.0/31"), 1);
	assert_int_equal(match_addr_cidr_list("10.0.0.2", "10.0.0.0/31"), 0);
	/* IPv6 */
	assert_int_equal(match_addr_cidr_list("::1", "::1/128"), 1);
	assert_int_equal(match_addr_cidr_list("::2", "::1/128"), 0);
	assert_int_equal(match_addr_cidr_list("::1", "::1/129"), -2);
	assert_int_equal(match_addr_cidr_list("2001:db8::5", "2001:db8::/32"),
	    1);
	assert_int_equal(match_addr_cidr_list("2001:db9::5", "2001:db8::/32"),
	    0);
	assert_int_equal(match_addr_cidr_list("2001:db8::5", "::/0"), 1);
	assert_int_equal(match_addr_cidr_list("2001:db8::5", "2001:db8::1/64"),
	    -2);
	assert_int_equal(match_addr_cidr_list("2001:db8:0:0:7fff::1",
	    "2001:db8::/65"), 1);
	assert_int_equal(match_addr_cidr_list("2001:db8:0:0:8000::1",
	    "2001:db8::/65"), 0);
	/* families never match each other */
	assert_int_equal(match_addr_cidr_list("10.0.0.1", "::/0"), 0);
	assert_int_equal(match_addr_cidr_list("::ffff:10.0.0.1", "10.0.0.0/8"),
	    0);
	/* negation, lists, garbage */
	assert_int_equal(match_addr_cidr_list("10.0.0.1",
	    "10.0.0.0/8,!10.0.0.1"), -1);
	assert_int_equal(match_addr_cidr_list("10.0.0.2",
	    "10.0.0.0/8,!10.0.0.1"), 1);
	assert_int_equal(match_addr_cidr_list("10.0.0.1", ""), -2);
	assert_int_equal(match_addr_cidr_list("10.0.0.1", "10.0.0.0/8,"), -2);
	assert_int_equal(match_addr_cidr_list("10.0.0.1", "10.*"), -2);
	assert_int_equal(match_addr_cidr_list("10.0.0.1", "host.example"), -2);
	assert_int_equal(match_addr_cidr_list("10.0.0.1", "10.0.0.0/"), -2);
	assert_int_equal(match_addr_cidr_list("10.0.0.1", "10.0.0.0/x"), -2);
	assert_int_equal(match_addr_cidr_list("10.0.0.1", "10.0.0.0/-1"), -2);
	assert_int_equal(match_addr_cidr_list("10.0.0.1", "300.0.0.0/8"), -2);
	/* an address that is not one matches nothing */
	assert_int_equal(match_addr_cidr_list("nonsense", "0.0.0.0/0"), 0);
	/* NULL address: validate only */
	assert_int_equal(match_addr_cidr_list(NULL, "10.0.0.0/8,::1"), 0);
	assert_int_equal(match_addr_cidr_list(NULL, "10.0.0.1/8"), -2);
	assert_int_equal(match_addr_cidr_list("10.0.0.1", NULL), -2);
}

static void
t_host_and_ip(void **state)
{
	(void)state;
	assert_int_equal(match_host_and_ip("h.example.com", "10.0.0.1",
	    "*.example.com"), 1);
	assert_int_equal(match_host_and_ip("H.EXAMPLE.COM", "10.0.0.1",
	    "*.Example.com"), 1);
	assert_int_equal(match_host_and_ip("h.example.org", "10.0.0.1",
	    "*.example.com"), 0);
	assert_int_equal(match_host_and_ip("h", "10.0.0.1", "10.0.0.0/8"), 1);
	assert_int_equal(match_host_and_ip("h", "10.0.0.1", "10.0.0.*"), 1);
	assert_int_equal(match_host_and_ip("h", "10.0.0.1", "10.0.0.1/32"), 1);
	assert_int_equal(match_host_and_ip("h", "10.0.0.1", "0.0.0.0/0"), 1);
	assert_int_equal(match_host_and_ip("h", "10.0.0.1", "11.0.0.0/8"), 0);
	assert_int_equal(match_host_and_ip("h", "10.0.0.1", "10.0.0.1/33"), -2);
	assert_int_equal(match_host_and_ip("h", "10.0.0.1", "10.0.0.1/24"), -2);
	/* /129 is not a CIDR to sshd: a wildcard that matches nothing */
	assert_int_equal(match_host_and_ip("h", "::1", "::1/129"), 0);
	assert_int_equal(match_host_and_ip("h", "::1", "::1/128"), 1);
	assert_int_equal(match_host_and_ip("h", "::1", "::/0"), 1);
	assert_int_equal(match_host_and_ip("h", "10.0.0.1", "a,,b"), -2);
	/* negation by address or by name */
	assert_int_equal(match_host_and_ip("h", "10.0.0.1",
	    "*,!10.0.0.0/8"), -1);
	assert_int_equal(match_host_and_ip("bad.example", "10.0.0.1",
	    "10.0.0.0/8,!bad.example"), -1);
	assert_int_equal(match_host_and_ip("good.example", "10.0.0.1",
	    "10.0.0.0/8,!bad.example"), 1);
	/* validation only */
	assert_int_equal(match_host_and_ip(NULL, NULL, "10.0.0.0/8"), 0);
	assert_int_equal(match_host_and_ip(NULL, NULL, "10.0.0.1/8"), -2);
	assert_int_equal(match_host_and_ip("h", NULL, "h"), 0);
	/* an unparsable address skips the address check entirely */
	assert_int_equal(match_host_and_ip("h", "junk", "10.0.0.1/8,h"), 1);
}

static void
t_user(void **state)
{
	(void)state;
	assert_int_equal(match_user("alice", "h", "10.0.0.1", "alice"), 1);
	assert_int_equal(match_user("alice", "h", "10.0.0.1", "al*"), 1);
	assert_int_equal(match_user("alice", "h", "10.0.0.1", "bob"), 0);
	assert_int_equal(match_user("alice", "h", "10.0.0.1", ""), 0);
	assert_int_equal(match_user("", "h", "10.0.0.1", ""), 1);
	/* user@host forms */
	assert_int_equal(match_user("alice", "h.example", "10.0.0.1",
	    "alice@*.example"), 1);
	assert_int_equal(match_user("alice", "h.example", "10.0.0.1",
	    "alice@10.0.0.0/8"), 1);
	assert_int_equal(match_user("alice", "h.example", "192.168.1.1",
	    "alice@10.0.0.0/8"), 0);
	assert_int_equal(match_user("alice", "h.example", "10.0.0.1",
	    "alice@10.0.0.0/8,!10.0.0.1"), 0);
	assert_int_equal(match_user("bob", "h.example", "10.0.0.1",
	    "alice@10.0.0.0/8"), 0);
	assert_int_equal(match_user("alice", "h", "::1", "alice@::1/128"), 1);
	assert_int_equal(match_user("alice", "h", "10.0.0.1",
	    "alice@10.0.0.0/33"), -1);
	assert_int_equal(match_user("alice", "h", "10.0.0.1", "*@"), -1);
	/* a bad CIDR is only seen when the user part matched */
	assert_int_equal(match_user("bob", "h", "10.0.0.1",
	    "alice@10.0.0.0/33"), 0);
	/* user patterns are case sensitive, host parts are not */
	assert_int_equal(match_user("Alice", "h", "10.0.0.1", "alice"), 0);
	assert_int_equal(match_user("alice", "H.EXAMPLE", "10.0.0.1",
	    "alice@h.example"), 1);
	/* only the first '@' splits */
	assert_int_equal(match_user("alice", "x@y", "10.0.0.1",
	    "alice@x@y"), 1);
	/* pattern check mode */
	assert_int_equal(match_user(NULL, NULL, NULL, "alice@10.0.0.0/8"), 0);
	assert_int_equal(match_user(NULL, NULL, NULL, "alice@10.0.0.0/33"), -1);
	assert_int_equal(match_user(NULL, NULL, NULL, "alice"), 0);
	assert_int_equal(match_user("alice", "h", "10.0.0.1", NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_pattern_basic),
		cmocka_unit_test(t_pattern_long),
		cmocka_unit_test(t_list),
		cmocka_unit_test(t_list_long_entry),
		cmocka_unit_test(t_cidr_list),
		cmocka_unit_test(t_host_and_ip),
		cmocka_unit_test(t_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
