/*
 * Tests for lib/policy.c, the policy format: every trigger and key, each
 * refused combination and bound with its file:line. The other sources of
 * this binary cover actions, secret files and directories.
 */
#include "policy_unit.h"

#include <sys/stat.h>

#include "counters.h"

static void
t_empty(void **s)
{
	static const char *const ok[] = {
		"", "# nothing\n", "// nothing\n", "policies = ( );\n",
		"policies = [ ];\n", "\n\npolicies = ();\n# end\n",
	};
	struct policy_set set;
	char err[512];
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (load_text(ok[i], &set, err, sizeof(err)) != 0)
			fail_msg("<<%s>>: %s", ok[i], err);
		assert_int_equal(set.n, 0);
		assert_int_equal(set.nfiles, 1);
		assert_int_equal(set.nerrors, 0);
		policy_set_free(&set);
	}
	assert_int_equal(set.n, 0);
	assert_null(set.p);
}

static void
t_defaults(void **s)
{
	struct policy_set set;
	const struct policy *p;
	const struct pol_action_spec *a;

	(void)s;
	expect_ok("name = \"admin-keys\";\non = \"user_failures\";\n"
	    "actions = (\n\"restore_keys\" );\n", &set, 1);
	p = &set.p[0];
	assert_string_equal(p->name, "admin-keys");
	assert_string_equal(p->file, ppath);
	assert_int_equal(p->line, 1);
	assert_int_equal(p->trigger, PT_USER_FAILURES);
	assert_null(p->users);
	assert_int_equal(p->nusers, 0);
	assert_null(p->requests);
	assert_int_equal(p->nrequests, 0);
	assert_int_equal(p->failures, 3);
	assert_int_equal(p->window_ms, 600000);
	assert_int_equal(p->cooldown_ms, 3600000);
	assert_int_equal(p->dry_run, 0);
	assert_int_equal(p->nactions, 1);
	a = &p->actions[0];
	assert_int_equal(a->kind, PA_RESTORE_KEYS);
	assert_int_equal(a->line, 5);
	assert_int_equal(a->timeout_ms, 10000);
	assert_null(a->escrow);
	assert_null(a->shell);
	assert_null(a->user);
	assert_null(a->key);
	assert_null(a->sudoers_dir);
	assert_null(a->faillock_dir);
	assert_null(a->argv);
	assert_int_equal(a->reset_to, PR_KNOWN_GOOD);
	policy_set_free(&set);
	assert_null(set.p);
}

/* The example of the format, as documented. */
static void
t_documented_example(void **s)
{
	struct policy_set set;
	const struct policy *p;

	(void)s;
	expect_ok(
	    "    name = \"admin-keys\";\n"
	    "    on = \"user_failures\";\n"
	    "    users = [ \"alice\", \"bob\" ];\n"
	    "    failures = 3;\n"
	    "    window_ms = 600000;\n"
	    "    cooldown_ms = 7200000;\n"
	    "    dry_run = true;\n"
	    "    actions = ( \"restore_keys\", \"fix_modes\",\n"
	    "      { do = \"hook\"; argv = [ \"/usr/local/bin/page-oncall\", "
	    "\"keys\" ]; timeout_ms = 5000; } );\n", &set, 1);
	p = &set.p[0];
	assert_int_equal(p->nusers, 2);
	assert_string_equal(p->users[0], "alice");
	assert_string_equal(p->users[1], "bob");
	assert_int_equal(p->failures, 3);
	assert_int_equal(p->window_ms, 600000);
	assert_int_equal(p->cooldown_ms, 7200000);
	assert_int_equal(p->dry_run, 1);
	assert_int_equal(p->nactions, 3);
	assert_int_equal(p->actions[0].kind, PA_RESTORE_KEYS);
	assert_int_equal(p->actions[1].kind, PA_FIX_MODES);
	assert_int_equal(p->actions[2].kind, PA_HOOK);
	assert_int_equal(p->actions[2].line, 10);
	assert_string_equal(p->actions[2].argv[0], "/usr/local/bin/page-oncall");
	assert_string_equal(p->actions[2].argv[1], "keys");
	assert_null(p->actions[2].argv[2]);
	assert_int_equal(p->actions[2].timeout_ms, 5000);
	policy_set_free(&set);
}

static void
t_names_of(void **s)
{
	int i;

	(void)s;
	for (i = 0; i < PT_NTRIGGERS; i++)
		assert_string_equal(policy_trigger_name((enum pol_trigger)i),
		    trig_names[i]);
	for (i = 0; i < PA_NACTIONS; i++)
		assert_string_equal(policy_action_name((enum pol_action)i),
		    act_names[i]);
	assert_string_equal(policy_trigger_name(PT_NTRIGGERS), "unknown");
	assert_string_equal(policy_trigger_name((enum pol_trigger)-1),
	    "unknown");
	assert_string_equal(policy_action_name(PA_NACTIONS), "unknown");
	assert_string_equal(policy_action_name((enum pol_action)-1), "unknown");
	assert_int_equal(policy_action_needs_user(PA_NACTIONS), 0);
}

/* failures, window_ms, users, requests: only where they apply. */
static void
t_keys_per_trigger(void **s)
{
	static const struct {
		const char *text, *key;
		int (*ok)(int);
	} keys[] = {
		{ "failures = 5;", "failures", counts },
		{ "window_ms = 5000;", "window_ms", counts },
		{ "users = [ \"alice\" ];", "users", NULL },
		{ "requests = [ \"set-key\" ];", "requests", NULL },
	};
	struct policy_set set;
	char body[512], want[200];
	size_t k;
	int t, ok;

	(void)s;
	for (t = 0; t < PT_NTRIGGERS; t++) {
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (keys[k].ok != NULL)
				ok = keys[k].ok(t);
			else if (k == 2)
				ok = t == PT_USER_FAILURES ||
				    t == PT_ACCOUNT_DENIED || t == PT_NO_SUCCESS;
			else
				ok = t == PT_REQUEST;
			snprintf(body, sizeof(body), "name = \"k\"; on = \"%s\";\n"
			    "\n%s\nactions = ( \"restart_sshd\" );\n",
			    trig_names[t], keys[k].text);
			if (!ok) {
				snprintf(want, sizeof(want), "%s does not apply "
				    "to trigger %s (only ", keys[k].key,
				    trig_names[t]);
				expect_err(body, 4, want);
				continue;
			}
			expect_ok(body, &set, 1);
			if (k == 0)
				assert_int_equal(set.p[0].failures, 5);
			if (k == 1)
				assert_int_equal(set.p[0].window_ms, 5000);
			if (k == 2)
				assert_string_equal(set.p[0].users[0], "alice");
			if (k == 3)
				assert_string_equal(set.p[0].requests[0],
				    "set-key");
			policy_set_free(&set);
		}
	}
	expect_err("name = \"k\"; on = \"account_denied\";\nfailures = 3;\n"
	    "actions = ( \"unlock\" );\n", 3, "(only user_failures, "
	    "source_failures, no_success)");
	expect_err("name = \"k\"; on = \"source_failures\";\nusers = [ \"a\" ];\n"
	    "actions = ( \"restart_sshd\" );\n", 3, "(only user_failures, "
	    "account_denied, no_success)");
	expect_err("name = \"k\"; on = \"no_success\";\nrequests = [ \"expire\" ];\n"
	    "actions = ( \"restart_sshd\" );\n", 3, "(only request)");
}

static void
t_requests(void **s)
{
	struct policy_set set;

	(void)s;
	expect_ok("name = \"r\"; on = \"request\";\nrequests = [ \"reset-ssh\", "
	    "\"set-key\", \"set-password\", \"add-sudo-user\", \"remove-user\", "
	    "\"expire\" ];\nactions = ( \"restart_sshd\" );\n", &set, 1);
	assert_int_equal(set.p[0].nrequests, 6);
	assert_string_equal(set.p[0].requests[3], "add-sudo-user");
	assert_string_equal(set.p[0].requests[5], "expire");
	policy_set_free(&set);
	/* missing: any request */
	expect_ok("name = \"r\"; on = \"request\";\n"
	    "actions = ( \"restart_sshd\" );\n", &set, 1);
	assert_null(set.p[0].requests);
	policy_set_free(&set);
	expect_err("name = \"r\"; on = \"request\";\nrequests = [\n \"set-key\",\n"
	    " \"reboot\" ];\nactions = ( \"restart_sshd\" );\n", 5,
	    "requests: \"reboot\" is not a request (one of reset-ssh,");
	expect_err("name = \"r\"; on = \"request\";\nrequests = [ \"expire\",\n"
	    " \"expire\" ];\nactions = ( \"restart_sshd\" );\n", 4,
	    "requests: \"expire\" is listed twice");
	expect_err("name = \"r\"; on = \"request\";\nrequests = [ ];\n"
	    "actions = ( \"restart_sshd\" );\n", 3, "requests: the list is empty");
	expect_err("name = \"r\"; on = \"request\";\nrequests = \"expire\";\n"
	    "actions = ( \"restart_sshd\" );\n", 3,
	    "requests: expected a list of strings, got a string");
	expect_err("name = \"r\"; on = \"request\";\nrequests = ( \"expire\", 4 );\n"
	    "actions = ( \"restart_sshd\" );\n", 3,
	    "requests: entry 2 is an integer, not a string");
}

static void
t_users(void **s)
{
	struct policy_set set;
	char body[4096], name[40];
	size_t o;
	int i, n;

	(void)s;
	for (n = POLICY_MAX_USERS; n <= POLICY_MAX_USERS + 1; n++) {
		o = (size_t)snprintf(body, sizeof(body), "name = \"u\"; "
		    "on = \"user_failures\";\nusers = [");
		for (i = 0; i < n; i++)
			o += (size_t)snprintf(body + o, sizeof(body) - o,
			    "%s\"u%d\"", i ? ", " : " ", i);
		snprintf(body + o, sizeof(body) - o, " ];\n"
		    "actions = ( \"unlock\" );\n");
		if (n > POLICY_MAX_USERS) {
			expect_err(body, 3, "users: more than 64 entries");
			continue;
		}
		expect_ok(body, &set, 1);
		assert_int_equal(set.p[0].nusers, POLICY_MAX_USERS);
		assert_string_equal(set.p[0].users[63], "u63");
		policy_set_free(&set);
	}
	expect_err("name = \"u\"; on = \"user_failures\";\nusers = [ \"alice\",\n"
	    " \"bob\",\n \"alice\" ];\nactions = ( \"unlock\" );\n", 5,
	    "users: \"alice\" is listed twice");
	expect_err("name = \"u\"; on = \"user_failures\";\nusers = [\n \"-x\" ];\n"
	    "actions = ( \"unlock\" );\n", 4, "users: \"-x\" is not a valid user");
	expect_err("name = \"u\"; on = \"user_failures\";\nusers = [ \"a b\" ];\n"
	    "actions = ( \"unlock\" );\n", 3, "not a valid user name");
	expect_err("name = \"u\"; on = \"user_failures\";\nusers = [ \"\" ];\n"
	    "actions = ( \"unlock\" );\n", 3, "not a valid user name");
	expect_err("name = \"u\"; on = \"user_failures\";\nusers = [ \"\\x1b[2J\" ];\n"
	    "actions = ( \"unlock\" );\n", 3, "users: \"?[2J\" is not a valid");
	memset(name, 'a', 33);
	name[33] = '\0';
	snprintf(body, sizeof(body), "name = \"u\"; on = \"user_failures\";\n"
	    "users = [ \"%s\" ];\nactions = ( \"unlock\" );\n", name);
	expect_err(body, 3, "not a valid user name");
	name[32] = '\0';
	snprintf(body, sizeof(body), "name = \"u\"; on = \"user_failures\";\n"
	    "users = [ \"%s\" ];\nactions = ( \"unlock\" );\n", name);
	expect_ok(body, &set, 1);
	policy_set_free(&set);
	expect_err("name = \"u\"; on = \"user_failures\";\nusers = [ ];\n"
	    "actions = ( \"unlock\" );\n", 3,
	    "users: the list is empty (leave users out for the protected users)");
	expect_err("name = \"u\"; on = \"user_failures\";\nusers = \"alice\";\n"
	    "actions = ( \"unlock\" );\n", 3, "users: expected a list of strings");
	expect_err("name = \"u\"; on = \"user_failures\";\nusers = ( \"a\",\n 5 );\n"
	    "actions = ( \"unlock\" );\n", 4, "users: entry 2 is an integer");
}

struct numkey {
	const char *key;
	const char *trigger;
	int in_action;		/* a parameter of the hook action */
	long long min, max;
};

static const struct numkey numkeys[] = {
	{ "failures", "user_failures", 0, 1, COUNTERS_RING },
	{ "failures", "no_success", 0, 1, 16 },
	{ "window_ms", "source_failures", 0, 1000, 604800000 },
	{ "cooldown_ms", "config_rollback", 0, 0, 2592000000LL },
	{ "timeout_ms", "request", 1, 100, 600000 },
};

static void
try_num(const struct numkey *k, long long v, int ok)
{
	struct policy_set set;
	char body[512], num[32], want[128];

	snprintf(num, sizeof(num), "%lld%s", v,
	    v > 2147483647LL || v < -2147483648LL ? "L" : "");
	if (k->in_action)
		snprintf(body, sizeof(body), "name = \"n\"; on = \"%s\";\n"
		    "actions = ( { do = \"hook\"; argv = [ \"/bin/true\" ];\n"
		    "%s = %s; } );\n", k->trigger, k->key, num);
	else
		snprintf(body, sizeof(body), "name = \"n\"; on = \"%s\";\n"
		    "%s = %s;\nactions = ( \"restart_sshd\" );\n", k->trigger,
		    k->key, num);
	if (!ok) {
		snprintf(want, sizeof(want), "%s: %lld is out of range "
		    "%lld..%lld", k->key, v, k->min, k->max);
		expect_err(body, k->in_action ? 4 : 3, want);
		return;
	}
	expect_ok(body, &set, 1);
	if (strcmp(k->key, "failures") == 0)
		assert_int_equal(set.p[0].failures, v);
	else if (strcmp(k->key, "window_ms") == 0)
		assert_int_equal(set.p[0].window_ms, v);
	else if (strcmp(k->key, "cooldown_ms") == 0)
		assert_int_equal(set.p[0].cooldown_ms, v);
	else
		assert_int_equal(set.p[0].actions[0].timeout_ms, v);
	policy_set_free(&set);
}

static void
t_numeric_bounds(void **s)
{
	const struct numkey *k;
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(numkeys) / sizeof(numkeys[0]); i++) {
		k = &numkeys[i];
		try_num(k, k->min, 1);
		try_num(k, k->max, 1);
		try_num(k, k->min - 1, 0);
		try_num(k, k->max + 1, 0);
		try_num(k, -1, k->min <= -1);
		try_num(k, 4294967297LL, 0);	/* 1 if it wrapped to 32 bits */
	}
	/* the spelled-out boundaries of the brief */
	expect_err("name = \"n\"; on = \"user_failures\";\nfailures = 20;\n"
	    "actions = ( \"unlock\" );\n", 3, "failures: 20 is out of range "
	    "1..16");
	expect_err("name = \"n\"; on = \"user_failures\";\nfailures = 0;\n"
	    "actions = ( \"unlock\" );\n", 3, "failures: 0 is out of range");
	/*
	 * libconfig 1.5 wraps a literal beyond 32 bits without L: 4294967299
	 * would read as 3. Refused before it gets the text; digits in strings
	 * and comments are left alone.
	 */
	expect_err("name = \"n\"; on = \"user_failures\";\n"
	    "\nfailures = 4294967299;\nactions = ( \"unlock\" );\n", 4,
	    "4294967299 does not fit in a 32-bit integer (libconfig would wrap "
	    "it): write 4294967299L");
	expect_err("name = \"n\"; on = \"user_failures\";\n"
	    "cooldown_ms = 2592000000;\nactions = ( \"unlock\" );\n", 3,
	    "write 2592000000L");
	expect_err("name = \"n\"; on = \"user_failures\";\n"
	    "cooldown_ms = -2147483649;\nactions = ( \"unlock\" );\n", 3,
	    "-2147483649 does not fit in a 32-bit");
	expect_err("name = \"n\"; on = \"user_failures\";\n"
	    "cooldown_ms = 0x100000000;\nactions = ( \"unlock\" );\n", 3,
	    "0x100000000 does not fit in a 32-bit");
	expect_err("name = \"n\"; on = \"user_failures\";\n"
	    "cooldown_ms = 99999999999999999999L;\nactions = ( \"unlock\" );\n",
	    3, "99999999999999999999 does not fit in a 64-bit integer");
	{
		struct policy_set set;

		expect_ok("name = \"n\"; on = \"user_failures\";\n"
		    "# 4294967299 in a comment /* 99999999999999999999 */\n"
		    "/* 4294967299\n 4294967299 */ cooldown_ms = 2147483647;\n"
		    "actions = ( { do = \"hook\";\n"
		    "argv = [ \"/bin/x\", \"4294967299\", \"\\\"4294967299\" ]; "
		    "timeout_ms = 0x3e8; } ); // 4294967299\n", &set, 1);
		assert_int_equal(set.p[0].cooldown_ms, 2147483647);
		assert_string_equal(set.p[0].actions[0].argv[2], "\"4294967299");
		assert_int_equal(set.p[0].actions[0].timeout_ms, 1000);
		policy_set_free(&set);
		expect_ok("name = \"n\"; on = \"user_failures\";\n"
		    "cooldown_ms = 2592000000L;\n"
		    "actions = ( \"unlock\" );\n", &set, 1);
		assert_int_equal(set.p[0].cooldown_ms, 2592000000LL);
		policy_set_free(&set);
		/* a float is libconfig's to refuse, however large */
		expect_err("name = \"n\"; on = \"user_failures\";\n"
		    "window_ms = 4294967299.5e3;\nactions = ( \"unlock\" );\n", 3,
		    "window_ms: expected an integer, got a float");
	}
	/* types */
	expect_err("name = \"n\"; on = \"user_failures\";\nfailures = \"3\";\n"
	    "actions = ( \"unlock\" );\n", 3, "failures: expected an integer, "
	    "got a string");
	expect_err("name = \"n\"; on = \"user_failures\";\nwindow_ms = 1000.0;\n"
	    "actions = ( \"unlock\" );\n", 3, "window_ms: expected an integer, "
	    "got a float");
	expect_err("name = \"n\"; on = \"user_failures\";\ncooldown_ms = true;\n"
	    "actions = ( \"unlock\" );\n", 3, "expected an integer, got a boolean");
	expect_err("name = \"n\"; on = \"user_failures\";\nactions = (\n"
	    " { do = \"unlock\"; timeout_ms = [ 5 ]; } );\n", 4,
	    "action 1 (unlock): timeout_ms: expected an integer, got a list");
	expect_err("name = \"n\"; on = \"user_failures\";\ndry_run = 1;\n"
	    "actions = ( \"unlock\" );\n", 3, "dry_run: expected true or false");
	expect_err("name = \"n\"; on = \"user_failures\";\ndry_run = \"yes\";\n"
	    "actions = ( \"unlock\" );\n", 3, "dry_run: expected true or false");
}

static void
t_names(void **s)
{
	static const char *const bad[] = {
		"a b", "a/b", "a:b", "\\xc3\\xa4", "a\\tb", "x;y", "",
	};
	struct policy_set set;
	char body[512], name[80], err[1024];
	size_t i;

	(void)s;
	memset(name, 'n', 65);
	name[64] = '\0';
	snprintf(body, sizeof(body), "name = \"%s\"; on = \"request\";\n"
	    "actions = ( \"restart_sshd\" );\n", name);
	expect_ok(body, &set, 1);
	assert_string_equal(set.p[0].name, name);
	policy_set_free(&set);
	name[64] = 'n';
	name[65] = '\0';
	snprintf(body, sizeof(body), "\nname = \"%s\"; on = \"request\";\n"
	    "actions = ( \"restart_sshd\" );\n", name);
	expect_err(body, 3, "name: 65 characters, longer than 64");
	expect_ok("name = \"A-z_0.9\"; on = \"request\";\n"
	    "actions = ( \"restart_sshd\" );\n", &set, 1);
	policy_set_free(&set);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "on = \"request\";\nname = \"%s\";\n"
		    "actions = ( \"restart_sshd\" );\n", bad[i]);
		expect_err(body, 3, "is not 1..64 of [A-Za-z0-9._-]");
	}
	expect_err("on = \"request\";\nname = 5;\n"
	    "actions = ( \"restart_sshd\" );\n", 3,
	    "name: expected a string, got an integer");
	expect_err("on = \"request\";\nactions = ( \"restart_sshd\" );\n", 1,
	    "policy 1: name is required");
	expect_err("name = \"x\";\nactions = ( \"restart_sshd\" );\n", 1,
	    "policy x: on is required (one of user_failures, account_denied, "
	    "source_failures, no_success, config_rollback, sshd_start_failed, "
	    "request)");
	expect_err("name = \"x\";\non = \"user_failure\";\n"
	    "actions = ( \"restart_sshd\" );\n", 3,
	    "on: \"user_failure\" is not a trigger (one of user_failures,");
	expect_err("name = \"x\";\non = [ \"request\" ];\n"
	    "actions = ( \"restart_sshd\" );\n", 3, "on: expected a string");
	/* two with one name in a file: the second is refused, naming the first */
	snprintf(err, sizeof(err), "name: \"dup\" is already the name of the "
	    "policy at %s:1", ppath);
	expect_err("name = \"dup\"; on = \"request\"; actions = ( \"restart_sshd\" );\n"
	    "}, {\n name = \"other\"; on = \"request\"; actions = ( \"restart_sshd\" );\n"
	    "}, {\n name = \"dup\"; on = \"request\"; actions = ( \"restart_sshd\" );\n",
	    5, err);
	/* names are case sensitive */
	expect_ok("name = \"dup\"; on = \"request\"; actions = ( \"restart_sshd\" );\n"
	    "}, {\n name = \"DUP\"; on = \"request\"; actions = ( \"restart_sshd\" );\n",
	    &set, 2);
	policy_set_free(&set);
}

/* policy_load_file appends to a set; a clash with it refuses the new file. */
static void
t_load_file_appends(void **s)
{
	struct policy_set set;
	char other[600], err[1024], want[1024];

	(void)s;
	memset(&set, 0, sizeof(set));
	snprintf(other, sizeof(other), "%s/other.conf", tdir);
	write_mode(other, "policies = ( { name = \"a\"; on = \"request\";\n"
	    "actions = ( \"restart_sshd\" ); } );\n", 0600);
	write_mode(ppath, "policies = ( { name = \"b\"; on = \"request\";\n"
	    "actions = ( \"restart_sshd\" ); },\n"
	    "{ name = \"a\"; on = \"request\"; actions = ( \"restart_sshd\" ); } );\n",
	    0600);
	assert_int_equal(policy_load_file(&set, other, 0, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(policy_load_file(&set, ppath, 0, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "name: \"a\" is already the name of the "
	    "policy at %s:1", other);
	want_err("append", err, ppath, 3, want);
	/* whole or nothing: "b" did not come in */
	assert_int_equal(set.n, 1);
	assert_int_equal(set.nfiles, 1);
	assert_string_equal(set.p[0].name, "a");
	assert_string_equal(set.p[0].file, other);
	/* the set is untouched by the failure and can take more */
	write_mode(ppath, "policies = ( { name = \"b\"; on = \"request\";\n"
	    "actions = ( \"restart_sshd\" ); } );\n", 0600);
	assert_int_equal(policy_load_file(&set, ppath, 0, err, sizeof(err)), 0);
	assert_int_equal(set.n, 2);
	assert_int_equal(set.nfiles, 2);
	assert_string_equal(set.p[1].file, ppath);
	policy_set_free(&set);
	assert_int_equal(set.n, 0);
}

static void
t_unknown_and_types(void **s)
{
	(void)s;
	expect_err_text("policies = ( );\n\ncolour = \"blue\";\n", 3,
	    "unknown setting colour");
	expect_err_text("policy = ( );\n", 1, "unknown setting policy");
	expect_err_text("policies = { name = \"x\"; };\n", 1,
	    "policies: expected a list ( { ... }, ... ), got a group");
	expect_err_text("policies = 5;\n", 1, "policies: expected a list");
	expect_err_text("policies = ( { name = \"a\"; on = \"request\"; "
	    "actions = ( \"restart_sshd\" ); },\n \"b\" );\n", 2,
	    "policy 2: expected a group { ... }, got a string");
	expect_err_text("policies = [ \"a\" ];\n", 1,
	    "policy 1: expected a group");
	expect_err_text("policies = ( );\npolicies = ( );\n", 2, "duplicate");
	expect_err("name = \"x\"; on = \"request\";\ncolour = 5;\n"
	    "actions = ( \"restart_sshd\" );\n", 3, "unknown key colour");
	expect_err("name = \"x\"; on = \"request\";\nactions = ( \"restart_sshd\" );\n"
	    "Name = \"y\";\n", 4, "unknown key Name");
	expect_err("name = \"x\"; on = \"request\";\nactions = ( \"restart_sshd\" );\n"
	    "extra = { a = 1; };\n", 4, "unknown key extra");
	expect_err("name = \"x\"; on = \"request\";\n", 1,
	    "policy x: actions is required");
	expect_err("name = \"x\"; on = \"request\";\n\nactions = ( );\n", 4,
	    "actions: the list is empty");
	expect_err("name = \"x\"; on = \"request\";\nactions = [ ];\n", 3,
	    "actions: the list is empty");
	expect_err("name = \"x\"; on = \"request\";\nactions = \"restart_sshd\";\n",
	    3, "actions: expected a list, got a string");
	expect_err("name = \"x\"; on = \"request\";\nactions = { do = \"hook\"; };\n",
	    3, "actions: expected a list, got a group");
	expect_err("name = \"x\"; on = \"request\";\nactions = (\n \"restart_sshd\",\n"
	    " 5 );\n", 5, "action 2: expected a name or { do = \"name\"; ... }, "
	    "got an integer");
	expect_err("name = \"x\"; on = \"request\";\nactions = (\n \"restart\" );\n",
	    4, "action 1: \"restart\" is not an action (one of restore_keys, "
	    "fix_modes,");
	expect_err("name = \"x\"; on = \"request\";\nactions = (\n"
	    " { argv = [ \"/bin/true\" ]; } );\n", 4,
	    "action 1: a group needs do = \"name\"");
	expect_err("name = \"x\"; on = \"request\";\nactions = (\n"
	    " { do = 5; } );\n", 4, "action 1: do: expected a string, got an "
	    "integer");
	expect_err("name = \"x\"; on = \"request\";\nactions = (\n"
	    " { do = \"restart_sshd\";\n  wait = 5; } );\n", 5,
	    "action 1 (restart_sshd): unknown key wait");
	/* a parameter of another action is named, with the action */
	expect_err("name = \"x\"; on = \"user_failures\";\nactions = (\n"
	    " { do = \"restore_keys\";\n  escrow = \"@ESCROW@\"; } );\n", 5,
	    "action 1 (restore_keys): escrow is not a parameter of restore_keys");
	expect_err("name = \"x\"; on = \"user_failures\";\nactions = ( \"unlock\",\n"
	    " { do = \"set_shell\"; shell = \"/bin/sh\";\n  user = \"bob\"; } );\n",
	    5, "action 2 (set_shell): user is not a parameter of set_shell");
	expect_err("name = \"x\"; on = \"request\";\nactions = (\n"
	    " { do = \"hook\"; argv = [ \"/bin/true\" ];\n  to = \"vendor\"; } );\n",
	    5, "action 1 (hook): to is not a parameter of hook");
	expect_err("name = \"x\"; on = \"request\";\nactions = (\n"
	    " { do = \"restart_sshd\"; do = \"hook\"; } );\n", 4, "duplicate");
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(t_empty, pu_setup, pu_teardown),
		cmocka_unit_test_setup_teardown(t_defaults, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_documented_example, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_keys_per_trigger, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_requests, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_users, pu_setup, pu_teardown),
		cmocka_unit_test_setup_teardown(t_numeric_bounds, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_names, pu_setup, pu_teardown),
		cmocka_unit_test_setup_teardown(t_load_file_appends, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_unknown_and_types, pu_setup,
		    pu_teardown),
		cmocka_unit_test(t_names_of),
	};
	int failed;

	failed = cmocka_run_group_tests_name("policy", t, NULL, NULL);
	failed += policy_action_tests();
	failed += policy_secret_tests();
	failed += policy_dir_tests();
	return failed;
}
