/*
 * Tests for lib/policy_action.c: every action with its parameters on every
 * trigger, the refused combinations, repeats and limits.
 */
#include "policy_unit.h"

/* How each action is written when it must be valid (the paths filled in). */
static const char *const act_text[PA_NACTIONS] = {
	[PA_RESTORE_KEYS] = "\"restore_keys\"",
	[PA_FIX_MODES] = "\"fix_modes\"",
	[PA_FAILLOCK_RESET] = "\"faillock_reset\"",
	[PA_UNLOCK] = "\"unlock\"",
	[PA_SET_PASSWORD] = "{ do = \"set_password\"; escrow = \"@ESCROW@\"; }",
	[PA_SET_SHELL] = "{ do = \"set_shell\"; shell = \"/bin/sh\"; }",
	[PA_BREAKGLASS] = "{ do = \"breakglass\"; user = \"glass\"; "
	    "key = \"@KEY@\"; }",
	[PA_RESET_CONFIG] = "\"reset_config\"",
	[PA_RESTART_SSHD] = "\"restart_sshd\"",
	[PA_RESTORE_PAM] = "\"restore_pam\"",
	[PA_HOOK] = "{ do = \"hook\"; argv = [ \"/bin/true\" ]; }",
};

/* Every action on every trigger: refused exactly when it needs a user. */
static void
t_trigger_action_matrix(void **s)
{
	static const int needs[PA_NACTIONS] = {
		[PA_RESTORE_KEYS] = 1, [PA_FIX_MODES] = 1,
		[PA_FAILLOCK_RESET] = 1, [PA_UNLOCK] = 1,
		[PA_SET_PASSWORD] = 1, [PA_SET_SHELL] = 1,
	};
	struct policy_set set;
	char body[512], want[200];
	int t, a;

	(void)s;
	for (a = 0; a < PA_NACTIONS; a++)
		assert_int_equal(policy_action_needs_user((enum pol_action)a),
		    needs[a]);
	for (t = 0; t < PT_NTRIGGERS; t++) {
		for (a = 0; a < PA_NACTIONS; a++) {
			snprintf(body, sizeof(body), "name = \"m\"; on = \"%s\";\n"
			    "actions = (\n %s );\n", trig_names[t], act_text[a]);
			if (needs[a] && !one_user(t)) {
				snprintf(want, sizeof(want), "trigger %s has no "
				    "single user: action %s acts on one",
				    trig_names[t], act_names[a]);
				expect_err(body, 4, want);
				continue;
			}
			expect_ok(body, &set, 1);
			assert_int_equal(set.p[0].trigger, t);
			assert_int_equal(set.p[0].failures, counts(t) ? 3 : 0);
			assert_int_equal(set.p[0].window_ms,
			    counts(t) ? 600000 : 0);
			assert_int_equal(set.p[0].nactions, 1);
			assert_int_equal(set.p[0].actions[0].kind, a);
			assert_int_equal(set.p[0].actions[0].line, 4);
			policy_set_free(&set);
		}
	}
}

/* Every action with every parameter it takes. */
static void
t_every_action(void **s)
{
	struct policy_set set;
	const struct pol_action_spec *a;
	size_t i;

	(void)s;
	expect_ok("name = \"all\"; on = \"account_denied\";\nactions = (\n"
	    " \"restore_keys\",\n"
	    " { do = \"fix_modes\"; timeout_ms = 100; },\n"
	    " { do = \"faillock_reset\"; faillock_dir = \"/run/faillock\"; },\n"
	    " \"unlock\",\n"
	    " { do = \"set_password\"; escrow = \"@ESCROW@\"; },\n"
	    " { do = \"set_shell\"; shell = \"/bin/sh\"; },\n"
	    " { do = \"breakglass\"; user = \"glass\"; key = \"@KEY@\"; },\n"
	    " { do = \"breakglass\"; user = \"glass2\"; key = \"@KEY@\";\n"
	    "   sudoers_dir = \"/etc/sudo.d\"; shell = \"/bin/zsh\";\n"
	    "   timeout_ms = 600000; },\n"
	    " \"reset_config\",\n"
	    " \"restart_sshd\",\n"
	    " \"restore_pam\",\n"
	    " { do = \"hook\"; argv = [ \"/bin/echo\", \"a b\", \"\" ]; },\n"
	    " { do = \"hook\"; argv = ( \"/bin/true\" ); timeout_ms = 250; }\n"
	    ");\n"
	    "} , {\n"
	    " name = \"second\"; on = \"user_failures\";\n"
	    " actions = ( { do = \"reset_config\"; to = \"vendor\"; },\n"
	    "  { do = \"restart_sshd\" } );\n", &set, 2);
	assert_int_equal(set.p[0].nactions, 13);
	a = set.p[0].actions;
	for (i = 0; i < 13; i++)
		assert_int_equal(a[i].line, 4 + i + (i >= 8 ? 2 : 0));
	assert_int_equal(a[0].kind, PA_RESTORE_KEYS);
	assert_int_equal(a[1].kind, PA_FIX_MODES);
	assert_int_equal(a[1].timeout_ms, 100);
	assert_int_equal(a[2].kind, PA_FAILLOCK_RESET);
	assert_string_equal(a[2].faillock_dir, "/run/faillock");
	assert_int_equal(a[3].kind, PA_UNLOCK);
	assert_int_equal(a[4].kind, PA_SET_PASSWORD);
	assert_string_equal(a[4].escrow, escrow);
	assert_int_equal(a[5].kind, PA_SET_SHELL);
	assert_string_equal(a[5].shell, "/bin/sh");
	assert_int_equal(a[6].kind, PA_BREAKGLASS);
	assert_string_equal(a[6].user, "glass");
	assert_string_equal(a[6].key, keyf);
	assert_null(a[6].sudoers_dir);	/* the daemon's paths.sudoers */
	assert_string_equal(a[6].shell, "/bin/bash");
	assert_int_equal(a[6].timeout_ms, 10000);
	assert_string_equal(a[7].user, "glass2");
	assert_string_equal(a[7].sudoers_dir, "/etc/sudo.d");
	assert_string_equal(a[7].shell, "/bin/zsh");
	assert_int_equal(a[7].timeout_ms, 600000);
	assert_int_equal(a[8].kind, PA_RESET_CONFIG);
	assert_int_equal(a[8].reset_to, PR_KNOWN_GOOD);
	assert_int_equal(a[9].kind, PA_RESTART_SSHD);
	assert_int_equal(a[10].kind, PA_RESTORE_PAM);
	assert_int_equal(a[11].kind, PA_HOOK);
	assert_string_equal(a[11].argv[1], "a b");
	assert_string_equal(a[11].argv[2], "");
	assert_null(a[11].argv[3]);
	assert_int_equal(a[12].timeout_ms, 250);
	assert_null(a[12].argv[1]);
	assert_null(a[0].faillock_dir);
	for (i = 0; i < 13; i++)
		if (i != 1 && i != 7 && i != 12)
			assert_int_equal(a[i].timeout_ms, 10000);
	assert_int_equal(set.p[1].trigger, PT_USER_FAILURES);
	assert_int_equal(set.p[1].line, 20);
	assert_int_equal(set.p[1].actions[0].reset_to, PR_VENDOR);
	policy_set_free(&set);
	/* a second reset_config is refused: the last line of it */
	expect_err("name = \"r\"; on = \"request\";\nactions = (\n"
	    " { do = \"reset_config\"; to = \"vendor\"; },\n"
	    " \"reset_config\" );\n", 5, "action 2 (reset_config): already "
	    "action 1");
}

static void
t_action_params(void **s)
{
	static const struct {
		const char *bare, *need;
	} bare[] = {
		{ "set_password", "escrow" }, { "set_shell", "shell" },
		{ "breakglass", "user" }, { "hook", "argv" },
	};
	char body[512], want[256];
	size_t i;

	(void)s;
	/* a bare name that needs parameters */
	for (i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
		snprintf(body, sizeof(body), "name = \"x\"; on = \"user_failures\";\n"
		    "actions = ( \"fix_modes\",\n \"%s\" );\n", bare[i].bare);
		snprintf(want, sizeof(want), "action 2: %s needs %s = ...",
		    bare[i].bare, bare[i].need);
		expect_err(body, 4, want);
		snprintf(body, sizeof(body), "name = \"x\"; on = \"user_failures\";\n"
		    "actions = ( \"fix_modes\",\n { do = \"%s\"; } );\n",
		    bare[i].bare);
		snprintf(want, sizeof(want), "action 2 (%s): needs %s",
		    bare[i].bare, bare[i].need);
		expect_err(body, 4, want);
	}
	expect_err("name = \"x\"; on = \"no_success\";\nactions = (\n"
	    " { do = \"breakglass\"; user = \"glass\"; } );\n", 4,
	    "action 1 (breakglass): needs key");
	expect_err("name = \"x\"; on = \"no_success\";\nactions = (\n"
	    " { do = \"breakglass\"; key = \"@KEY@\"; } );\n", 4,
	    "action 1 (breakglass): needs user");
	expect_err("name = \"x\"; on = \"no_success\";\nactions = (\n"
	    " { do = \"breakglass\"; key = \"@KEY@\";\n user = \"root\"; } );\n", 5,
	    "action 1 (breakglass): user: breakglass creates a new account");
	expect_err("name = \"x\"; on = \"no_success\";\nactions = (\n"
	    " { do = \"breakglass\"; key = \"@KEY@\";\n user = \"-rf\"; } );\n", 5,
	    "action 1 (breakglass): user: \"-rf\" is not a valid user name");
	expect_err("name = \"x\"; on = \"no_success\";\nactions = (\n"
	    " { do = \"breakglass\"; key = \"@KEY@\"; user = \"g\";\n"
	    " sudoers_dir = \"etc/sudoers.d\"; } );\n", 5,
	    "action 1 (breakglass): sudoers_dir: \"etc/sudoers.d\" is not an "
	    "absolute path");
	expect_err("name = \"x\"; on = \"no_success\";\nactions = (\n"
	    " { do = \"breakglass\"; key = \"@KEY@\"; user = \"g\";\n"
	    " shell = \"bash\"; } );\n", 5, "shell: \"bash\" is not an absolute");
	expect_err("name = \"x\"; on = \"no_success\";\nactions = (\n"
	    " { do = \"breakglass\"; key = \"glass.pub\"; user = \"g\"; } );\n", 4,
	    "key: \"glass.pub\" is not an absolute path");
	expect_err("name = \"x\"; on = \"user_failures\";\nactions = (\n"
	    " { do = \"set_shell\"; shell = \"\"; } );\n", 4,
	    "action 1 (set_shell): shell: \"\" is not an absolute path");
	expect_err("name = \"x\"; on = \"user_failures\";\nactions = (\n"
	    " { do = \"set_shell\"; shell = 5; } );\n", 4,
	    "action 1 (set_shell): shell: expected a string, got an integer");
	expect_err("name = \"x\"; on = \"user_failures\";\nactions = (\n"
	    " { do = \"faillock_reset\"; faillock_dir = \"run\"; } );\n", 4,
	    "faillock_dir: \"run\" is not an absolute path");
	expect_err("name = \"x\"; on = \"user_failures\";\nactions = (\n"
	    " { do = \"set_password\"; escrow = \"alice.hash\"; } );\n", 4,
	    "action 1 (set_password): escrow: \"alice.hash\" is not an absolute");
	expect_err("name = \"x\"; on = \"request\";\nactions = (\n"
	    " { do = \"reset_config\";\n to = \"factory\"; } );\n", 5,
	    "action 1 (reset_config): to: \"factory\" is neither \"known-good\" "
	    "nor \"vendor\"");
	expect_err("name = \"x\"; on = \"request\";\nactions = (\n"
	    " { do = \"reset_config\"; to = true; } );\n", 4,
	    "to: expected a string, got a boolean");
	/* repeats: refused but for hook and breakglass */
	expect_err("name = \"x\"; on = \"user_failures\";\nactions = ( \"unlock\",\n"
	    " \"fix_modes\",\n \"unlock\" );\n", 5,
	    "action 3 (unlock): already action 1");
	expect_err("name = \"x\"; on = \"user_failures\";\nactions = (\n"
	    " { do = \"set_shell\"; shell = \"/bin/sh\"; },\n"
	    " { do = \"set_shell\"; shell = \"/bin/bash\"; } );\n", 5,
	    "action 2 (set_shell): already action 1");
}

static void
t_actions_and_argv_limits(void **s)
{
	struct policy_set set;
	char body[8192];
	size_t o;
	int i, n;

	(void)s;
	for (n = POLICY_MAX_ACTIONS; n <= POLICY_MAX_ACTIONS + 1; n++) {
		o = (size_t)snprintf(body, sizeof(body), "name = \"a\"; "
		    "on = \"request\";\nactions = (");
		for (i = 0; i < n; i++)
			o += (size_t)snprintf(body + o, sizeof(body) - o,
			    "%s{ do = \"hook\"; argv = [ \"/bin/h%d\" ]; }",
			    i ? ",\n" : "\n", i);
		snprintf(body + o, sizeof(body) - o, " );\n");
		if (n > POLICY_MAX_ACTIONS) {
			expect_err(body, 3, "actions: more than 16 actions");
			continue;
		}
		expect_ok(body, &set, 1);
		assert_int_equal(set.p[0].nactions, POLICY_MAX_ACTIONS);
		assert_string_equal(set.p[0].actions[15].argv[0], "/bin/h15");
		assert_int_equal(set.p[0].actions[15].line, 19);
		policy_set_free(&set);
	}
	for (n = 32; n <= 33; n++) {
		o = (size_t)snprintf(body, sizeof(body), "name = \"a\"; "
		    "on = \"request\";\nactions = ( { do = \"hook\";\n"
		    "argv = [ \"/usr/local/bin/page\"");
		for (i = 1; i < n; i++)
			o += (size_t)snprintf(body + o, sizeof(body) - o,
			    ", \"-%d\"", i);
		snprintf(body + o, sizeof(body) - o, " ]; } );\n");
		if (n > 32) {
			expect_err(body, 4, "action 1 (hook): argv: more than 32 "
			    "arguments");
			continue;
		}
		expect_ok(body, &set, 1);
		assert_string_equal(set.p[0].actions[0].argv[31], "-31");
		assert_null(set.p[0].actions[0].argv[32]);
		policy_set_free(&set);
	}
	expect_err("name = \"a\"; on = \"request\";\nactions = (\n"
	    " { do = \"hook\"; argv = [ ]; } );\n", 4,
	    "action 1 (hook): argv: the command is empty");
	expect_err("name = \"a\"; on = \"request\";\nactions = (\n"
	    " { do = \"hook\"; argv = [ \"page-oncall\" ]; } );\n", 4,
	    "argv: \"page-oncall\" is not an absolute path");
	expect_err("name = \"a\"; on = \"request\";\nactions = (\n"
	    " { do = \"hook\"; argv = ( \"/bin/x\",\n 5 ); } );\n", 5,
	    "argv: argument 1 is an integer, not a string");
	expect_err("name = \"a\"; on = \"request\";\nactions = (\n"
	    " { do = \"hook\"; argv = \"/bin/x\"; } );\n", 4,
	    "argv: expected a list of strings, got a string");
}

int
policy_action_tests(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(t_trigger_action_matrix, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_every_action, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_action_params, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_actions_and_argv_limits, pu_setup,
		    pu_teardown),
	};

	return cmocka_run_group_tests_name("policy_action", t, NULL, NULL);
}
