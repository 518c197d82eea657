/*
 * Tests for lib/conf.c: every key, every error class with its file:line,
 * numeric boundaries, ownership and mode checks, protected users.
 */
#include "unit.h"

#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/stat.h>

#include "conf.h"

static char *tdir;
static char cpath[512];

static int
setup(void **s)
{
	(void)s;
	tdir = unit_mkdtemp();
	snprintf(cpath, sizeof(cpath), "%s/sshmedic.conf", tdir);
	return 0;
}

static int
teardown(void **s)
{
	(void)s;
	unit_rmtree(tdir);
	tdir = NULL;
	return 0;
}

static int
load(const char *text, struct sm_conf *c, char *err, size_t errlen)
{
	unit_write(cpath, text);
	assert_int_equal(chmod(cpath, 0600), 0);
	return conf_load(cpath, c, 0, err, errlen);
}

/* The text must be refused naming line (0: the file only) and containing what. */
static void
expect_err(const char *text, unsigned int line, const char *what)
{
	struct sm_conf c;
	char err[1024], want[600];

	assert_int_equal(load(text, &c, err, sizeof(err)), -1);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%u: ", cpath, line);
	else
		snprintf(want, sizeof(want), "%s: ", cpath);
	if (strncmp(err, want, strlen(want)) != 0 ||
	    strstr(err, what) == NULL)
		fail_msg("for <<%s>>\n got: %s\nwant: %s...%s", text, err,
		    want, what);
	/* back to the defaults */
	assert_int_equal(c.probe_port, 22);
	assert_string_equal(c.sshd_binary, "/usr/sbin/sshd");
	assert_int_equal(c.nprotected, 0);
	assert_null(c.path);
	conf_free(&c);
}

static void
assert_defaults(const struct sm_conf *c)
{
	assert_string_equal(c->sshd_binary, "/usr/sbin/sshd");
	assert_string_equal(c->sshd_config, "/etc/ssh/sshd_config");
	assert_string_equal(c->sshd_dir, "/etc/ssh");
	assert_string_equal(c->sshd_pidfile, "/run/sshd.pid");
	assert_string_equal(c->sshd_start[0], "/usr/sbin/sshd");
	assert_null(c->sshd_start[1]);
	assert_null(c->sshd_reload[0]);
	assert_int_equal(c->sshd_test_timeout_ms, 5000);
	assert_string_equal(c->sshd_vendor_config,
	    "/usr/share/openssh/sshd_config");
	assert_string_equal(c->sshd_privsep_dir, "/run/sshd");
	assert_string_equal(c->probe_address, "127.0.0.1");
	assert_int_equal(c->probe_port, 22);
	assert_int_equal(c->probe_interval_ms, 5000);
	assert_int_equal(c->probe_timeout_ms, 2000);
	assert_int_equal(c->probe_misses, 3);
	assert_string_equal(c->canary_user, "");
	assert_string_equal(c->canary_key, "");
	assert_int_equal(c->canary_interval_ms, 60000);
	assert_int_equal(c->canary_misses, 2);
	assert_int_equal(c->restart_backoff_ms, 100);
	assert_int_equal(c->restart_backoff_max_ms, 30000);
	assert_int_equal(c->restart_burst, 10);
	assert_int_equal(c->restart_burst_window_ms, 60000);
	assert_int_equal(c->restart_vendor_default, 1);
	assert_int_equal(c->debounce_ms, 200);
	assert_int_equal(c->grace_ms, 10000);
	assert_int_equal(c->write_timeout_ms, 60000);
	assert_int_equal(c->serve_timeout_ms, 60000);
	assert_int_equal(c->fight_limit, 3);
	assert_int_equal(c->fight_window_ms, 600000);
	assert_int_equal(c->fight_backoff_ms, 300000);
	assert_int_equal(c->apply, 0);
	assert_int_equal(c->nprotected, 0);
	assert_int_equal(c->keep_generations, 20);
	assert_int_equal(c->keep_quarantine, 200);
	assert_int_equal(c->counters_users, 4096);
	assert_int_equal(c->counters_sources, 4096);
	assert_string_equal(c->state_dir, "/var/lib/sshmedic");
	assert_string_equal(c->run_dir, "/run/sshmedic");
	assert_string_equal(c->policies_dir, "/etc/sshmedic/policies.d");
	assert_string_equal(c->log_json, "/var/log/sshmedic/events.json");
	assert_int_equal(c->log_audit, 1);
	assert_int_equal(c->log_syslog, 1);
	assert_string_equal(c->metrics_textfile, "");
	assert_int_equal(c->metrics_interval_ms, 15000);
	assert_string_equal(c->authlog_file, "");
	assert_null(c->authlog_command[0]);
	assert_string_equal(c->sshd_pam_service, "sshd");
	assert_int_equal(c->confirm_login, 0);
	assert_int_equal(c->confirm_timeout_ms, 300000);
	assert_string_equal(c->requests_dir, "/var/lib/sshmedic/requests");
	assert_string_equal(c->pam_dir, "/etc/pam.d");
	assert_string_equal(c->sudoers_dir, "/etc/sudoers.d");
}

/* The keys of the credential work: confirm, requests, PAM, sudoers. */
static void
t_credential_keys(void **s)
{
	struct sm_conf c;
	char err[512];

	(void)s;
	assert_int_equal(load("guard = { confirm = \"login\"; "
	    "confirm_timeout_ms = 1000; };\n"
	    "sshd = { pam_service = \"sshd-test\"; };\n"
	    "paths = { requests = \"/q\"; pam = \"/pd\"; sudoers = \"/sd\"; };\n",
	    &c, err, sizeof(err)), 0);
	assert_int_equal(c.confirm_login, 1);
	assert_int_equal(c.confirm_timeout_ms, 1000);
	assert_string_equal(c.sshd_pam_service, "sshd-test");
	assert_string_equal(c.requests_dir, "/q");
	assert_string_equal(c.pam_dir, "/pd");
	assert_string_equal(c.sudoers_dir, "/sd");
	conf_free(&c);
	assert_int_equal(load("guard = { confirm = \"none\"; };\n", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(c.confirm_login, 0);
	conf_free(&c);
	expect_err("guard = {\n confirm = \"always\"; };\n", 2,
	    "guard.confirm: \"always\" is not \"none\" or \"login\"");
	expect_err("guard = {\n confirm = true; };\n", 2,
	    "guard.confirm: expected a string");
	expect_err("paths = {\n requests = \"var/req\"; };\n", 2,
	    "not an absolute path");
	expect_err("paths = {\n sudoers = \"\"; };\n", 2,
	    "not an absolute path");
	expect_err("sshd = {\n pam_service = \"../sshd\"; };\n", 2,
	    "not a valid user name");
}

static void
t_defaults_and_empty(void **s)
{
	struct sm_conf c;
	char err[512];

	(void)s;
	conf_defaults(&c);
	assert_defaults(&c);
	assert_null(c.path);
	conf_free(&c);

	assert_int_equal(load("", &c, err, sizeof(err)), 0);
	assert_defaults(&c);
	assert_string_equal(c.path, cpath);
	conf_free(&c);

	/* comments and empty groups only */
	assert_int_equal(load("# nothing\n// here\nsshd = { };\nlog = {};\n",
	    &c, err, sizeof(err)), 0);
	assert_defaults(&c);
	conf_free(&c);
}

static const char full[] =
    "sshd = {\n"
    "  binary = \"/opt/sshd\";\n"
    "  config = \"/srv/etc/sshd_config\";\n"
    "  dir = \"/srv/etc\";\n"
    "  pidfile = \"/srv/run/sshd.pid\";\n"
    "  start = [ \"/opt/sshd\", \"-f\", \"/srv/etc/sshd_config\", \"\" ];\n"
    "  reload = ( \"/bin/systemctl\", \"reload\", \"ssh\" );\n"
    "  test_timeout_ms = 700;\n"
    "};\n"
    "probe = { address = \"::1\"; port = 2222; interval_ms = 0;\n"
    "  timeout_ms = 300; };\n"
    "guard = { debounce_ms = 0; grace_ms = 1; write_timeout_ms = 2;\n"
    "  serve_timeout_ms = 3000; fight_limit = 4; fight_window_ms = 5000;\n"
    "  fight_backoff_ms = 6; apply = true; };\n"
    "protected_users = [ \"root\", \"ops@10.0.0.5\", \"a.b_c-d@::1\",\n"
    "  \"ops\" ];\n"
    "store = { keep_generations = 7; keep_quarantine = 8; };\n"
    "counters = { users = 17; sources = 18; };\n"
    "paths = { state = \"/s\"; run = \"/r\"; policies = \"/p\"; };\n"
    "log = { json = \"\"; audit = false; syslog = false; };\n"
    "metrics = { textfile = \"/m/sshmedic.prom\"; };\n"
    "authlog = { file = \"/nonexistent/sshmedic/auth.log\"; };\n";

static void
t_every_key(void **s)
{
	struct sm_conf c;
	char err[512], *p;

	(void)s;
	if (load(full, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(c.sshd_binary, "/opt/sshd");
	assert_string_equal(c.sshd_config, "/srv/etc/sshd_config");
	assert_string_equal(c.sshd_dir, "/srv/etc");
	assert_string_equal(c.sshd_pidfile, "/srv/run/sshd.pid");
	assert_string_equal(c.sshd_start[0], "/opt/sshd");
	assert_string_equal(c.sshd_start[2], "/srv/etc/sshd_config");
	assert_string_equal(c.sshd_start[3], "");
	assert_null(c.sshd_start[4]);
	assert_string_equal(c.sshd_reload[0], "/bin/systemctl");
	assert_string_equal(c.sshd_reload[2], "ssh");
	assert_null(c.sshd_reload[3]);
	assert_int_equal(c.sshd_test_timeout_ms, 700);
	assert_string_equal(c.probe_address, "::1");
	assert_int_equal(c.probe_port, 2222);
	assert_int_equal(c.probe_interval_ms, 0);
	assert_int_equal(c.probe_timeout_ms, 300);
	assert_int_equal(c.debounce_ms, 0);
	assert_int_equal(c.grace_ms, 1);
	assert_int_equal(c.write_timeout_ms, 2);
	assert_int_equal(c.serve_timeout_ms, 3000);
	assert_int_equal(c.fight_limit, 4);
	assert_int_equal(c.fight_window_ms, 5000);
	assert_int_equal(c.fight_backoff_ms, 6);
	assert_int_equal(c.apply, 1);
	assert_int_equal(c.nprotected, 4);
	assert_string_equal(c.protected_users[0].name, "root");
	assert_string_equal(c.protected_users[0].addr, "::1");
	assert_string_equal(c.protected_users[0].host, "::1");
	assert_string_equal(c.protected_users[1].name, "ops");
	assert_string_equal(c.protected_users[1].addr, "10.0.0.5");
	assert_string_equal(c.protected_users[1].host, "10.0.0.5");
	assert_string_equal(c.protected_users[2].name, "a.b_c-d");
	assert_string_equal(c.protected_users[2].addr, "::1");
	/* same user from another address is not a duplicate */
	assert_string_equal(c.protected_users[3].name, "ops");
	assert_string_equal(c.protected_users[3].addr, "::1");
	assert_int_equal(c.keep_generations, 7);
	assert_int_equal(c.keep_quarantine, 8);
	assert_int_equal(c.counters_users, 17);
	assert_int_equal(c.counters_sources, 18);
	assert_string_equal(c.state_dir, "/s");
	assert_string_equal(c.run_dir, "/r");
	assert_string_equal(c.policies_dir, "/p");
	assert_string_equal(c.log_json, "");
	assert_int_equal(c.log_audit, 0);
	assert_int_equal(c.log_syslog, 0);
	assert_string_equal(c.metrics_textfile, "/m/sshmedic.prom");
	assert_string_equal(c.authlog_file, "/nonexistent/sshmedic/auth.log");
	assert_null(c.authlog_command[0]);

	p = conf_ctl_socket(&c);
	assert_string_equal(p, "/r/ctl.sock");
	free(p);
	p = conf_event_socket(&c);
	assert_string_equal(p, "/r/event.sock");
	free(p);
	p = conf_pidfile(&c);
	assert_string_equal(p, "/r/sshmedicd.pid");
	free(p);
	conf_free(&c);
}

struct numkey {
	const char *group, *name;
	size_t off;
	long long min, max;
	int zero_ok;
};

#define O(m)	offsetof(struct sm_conf, m)
static const struct numkey numkeys[] = {
	{ "sshd", "test_timeout_ms", O(sshd_test_timeout_ms), 100, 600000, 0 },
	{ "probe", "port", O(probe_port), 1, 65535, 0 },
	{ "probe", "interval_ms", O(probe_interval_ms), 100, 86400000, 1 },
	{ "probe", "timeout_ms", O(probe_timeout_ms), 10, 60000, 0 },
	{ "guard", "debounce_ms", O(debounce_ms), 0, 60000, 0 },
	{ "guard", "grace_ms", O(grace_ms), 0, 3600000, 0 },
	{ "guard", "write_timeout_ms", O(write_timeout_ms), 0, 3600000, 0 },
	{ "guard", "serve_timeout_ms", O(serve_timeout_ms), 1000, 3600000, 0 },
	{ "guard", "fight_limit", O(fight_limit), 1, 1000, 0 },
	{ "guard", "fight_window_ms", O(fight_window_ms), 1000, 86400000, 0 },
	{ "guard", "fight_backoff_ms", O(fight_backoff_ms), 0, 86400000, 0 },
	{ "guard", "confirm_timeout_ms", O(confirm_timeout_ms), 1000, 86400000,
	    0 },
	{ "store", "keep_generations", O(keep_generations), 2, 10000, 0 },
	{ "store", "keep_quarantine", O(keep_quarantine), 1, 100000, 0 },
	{ "counters", "users", O(counters_users), 16, 1000000, 0 },
	{ "counters", "sources", O(counters_sources), 16, 1000000, 0 },
	{ "metrics", "interval_ms", O(metrics_interval_ms), 1000, 3600000, 0 },
};

static void
try_num(const struct numkey *k, long long v, int ok)
{
	struct sm_conf c;
	char text[256], err[1024];
	int r;

	/* line 3, so that a wrong line number would show */
	snprintf(text, sizeof(text), "# x\n%s = {\n  %s = %lld%s;\n};\n",
	    k->group, k->name, v, v > 2147483647LL || v < -2147483647LL ?
	    "L" : "");
	r = load(text, &c, err, sizeof(err));
	if (ok) {
		if (r != 0)
			fail_msg("%s.%s = %lld refused: %s", k->group, k->name,
			    v, err);
		assert_int_equal(*(int *)((char *)&c + k->off), (int)v);
		conf_free(&c);
	} else {
		conf_free(&c);
		snprintf(text, sizeof(text), "# x\n%s = {\n  %s = %lld%s;\n};\n",
		    k->group, k->name, v, v > 2147483647LL ||
		    v < -2147483647LL ? "L" : "");
		expect_err(text, 3, "out of range");
	}
}

static void
t_numeric_boundaries(void **s)
{
	const struct numkey *k;
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(numkeys) / sizeof(numkeys[0]); i++) {
		k = &numkeys[i];
		try_num(k, k->min, 1);
		try_num(k, k->max, 1);
		try_num(k, k->max + 1, 0);
		if (k->min - 1 != 0 || !k->zero_ok)
			try_num(k, k->min - 1, k->zero_ok && k->min - 1 == 0);
		try_num(k, -1, 0);
		try_num(k, 0, k->min == 0 || k->zero_ok);
		try_num(k, 4294967297LL, 0);	/* would wrap to 1 in an int */
	}
	/* Without L, libconfig wraps 2^32 + 200 to 200, which is in range. */
	expect_err("guard = {\n  debounce_ms = 4294967496;\n};\n", 2,
	    "does not fit in a 32-bit integer");
}

static void
t_type_errors(void **s)
{
	(void)s;
	expect_err("\nprobe = {\n port = \"22\";\n};\n", 3, "expected an integer");
	expect_err("probe = { port = 22.5; };\n", 1, "expected an integer");
	expect_err("\n\nguard = { apply = 1; };\n", 3, "expected true or false");
	expect_err("log = {\n audit = \"yes\";\n};\n", 2, "expected true or false");
	expect_err("sshd = { binary = 5; };\n", 1, "expected a string");
	expect_err("sshd = {\n start = \"/usr/sbin/sshd\";\n};\n", 2,
	    "expected a list of strings");
	expect_err("sshd = {\n start = ( \"/usr/sbin/sshd\",\n 5 );\n};\n", 3,
	    "not a string");
	expect_err("protected_users = 5;\n", 1, "expected a list");
	expect_err("protected_users = (\n \"root\",\n 5 );\n", 3, "not a string");
	expect_err("\nguard = 5;\n", 2, "expected a group");
	expect_err("probe = { address = [ \"127.0.0.1\" ]; };\n", 1,
	    "expected a string");
}

static void
t_unknown(void **s)
{
	(void)s;
	expect_err("sshd = {\n binary = \"/x\";\n binray = \"/x\";\n};\n", 3,
	    "unknown key sshd.binray");
	expect_err("\n\ncolour = \"blue\";\n", 3, "unknown setting colour");
	expect_err("probes = { port = 22; };\n", 1, "unknown setting probes");
	/* a key that exists, but in another group */
	expect_err("guard = {\n port = 22;\n};\n", 2, "unknown key guard.port");
	/* keys that only make sense together, and user names */
	expect_err("probe = {\n canary_user = \"smt\";\n};\n", 1,
	    "go together");
	expect_err("probe = { canary_key = \"/k\"; };\n", 1, "go together");
	expect_err("probe = {\n canary_user = \"-x\";\n};\n", 2,
	    "not a valid user name");
	expect_err("restart = { backoff_ms = 5000; backoff_max_ms = 100; };\n",
	    1, "above restart.backoff_max_ms");
	expect_err("restart = {\n burst = 1001;\n};\n", 2, "out of range");
	expect_err("sshd = { probe = { port = 22; }; };\n", 1,
	    "unknown key sshd.probe");
}

/* authlog: a file or a command, never both; a file only when safe. */
static void
t_authlog(void **s)
{
	struct sm_conf c;
	char err[1024], text[1024], path[600];

	(void)s;
	/* root's file in root's directories, and one still to appear */
	assert_int_equal(load("authlog = { file = \"/etc/passwd\"; };\n", &c,
	    err, sizeof(err)), 0);
	assert_string_equal(c.authlog_file, "/etc/passwd");
	conf_free(&c);
	assert_int_equal(load("authlog = { file = \"/nonexistent/a.log\"; "
	    "command = [ ]; };\n", &c, err, sizeof(err)), 0);
	assert_null(c.authlog_command[0]);
	conf_free(&c);
	/* the command for journald systems */
	if (load("authlog = {\n command = [ \"/usr/bin/journalctl\", "
	    "\"--follow\", \"--lines=0\", \"--output=cat\", \"_COMM=sshd\", "
	    "\"_UID=0\" ];\n};\n", &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(c.authlog_file, "");
	assert_string_equal(c.authlog_command[0], "/usr/bin/journalctl");
	assert_string_equal(c.authlog_command[5], "_UID=0");
	assert_null(c.authlog_command[6]);
	conf_free(&c);

	/* both: refused, naming both, at the group's line */
	expect_err("\nauthlog = {\n file = \"/x/auth.log\";\n command = [ "
	    "\"/bin/cat\" ];\n};\n", 2, "authlog.file and authlog.command "
	    "exclude each other");
	expect_err("authlog = { file = \"auth.log\"; };\n", 1,
	    "not an absolute path");
	expect_err("authlog = { command = [ \"tail\", \"-F\" ]; };\n", 1,
	    "not an absolute path");
	expect_err("authlog = { command = \"/usr/bin/tail\"; };\n", 1,
	    "expected a list");
	expect_err("authlog = { file = 7; };\n", 1, "expected a string");
	expect_err("authlog = { files = \"/x\"; };\n", 1,
	    "unknown key authlog.files");
	expect_err("authlog = \"/var/log/auth.log\";\n", 1, "expected a group");

	/* a file in a directory others may write (or not root's): refused */
	snprintf(path, sizeof(path), "%s/auth.log", tdir);
	unit_write(path, "");
	assert_int_equal(chmod(path, 0644), 0);
	snprintf(text, sizeof(text), "authlog = {\n file = \"%s\";\n};\n", path);
	expect_err(text, 2, "can make up rejected keys");
	assert_int_equal(chmod(path, 0666), 0);
	expect_err(text, 2, "bad ownership or modes for file");
}

static void
t_paths_and_argv(void **s)
{
	(void)s;
	expect_err("paths = {\n state = \"var/lib/sshmedic\";\n};\n", 2,
	    "not an absolute path");
	expect_err("paths = { run = \"\"; };\n", 1, "not an absolute path");
	expect_err("log = { json = \"events.json\"; };\n", 1,
	    "not an absolute path");
	expect_err("metrics = { textfile = \"./m\"; };\n", 1,
	    "not an absolute path");
	expect_err("sshd = {\n\n start = [ ];\n};\n", 3, "command is empty");
	expect_err("sshd = { start = [ \"sshd\", \"-D\" ]; };\n", 1,
	    "not an absolute path");
	expect_err("sshd = { reload = [ \"kill\" ]; };\n", 1,
	    "not an absolute path");
	expect_err("paths = { run = \"/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaa\"; };\n", 1, "too long for a unix socket");
}

static void
t_argv_limits(void **s)
{
	struct sm_conf c;
	char text[2048], err[512];
	size_t o;
	int i;

	(void)s;
	for (int n = CONF_MAX_ARGV; n <= CONF_MAX_ARGV + 1; n++) {
		o = (size_t)snprintf(text, sizeof(text), "sshd = { start = [ "
		    "\"/usr/sbin/sshd\"");
		for (i = 1; i < n; i++)
			o += (size_t)snprintf(text + o, sizeof(text) - o,
			    ", \"-%d\"", i);
		snprintf(text + o, sizeof(text) - o, " ]; };\n");
		if (n == CONF_MAX_ARGV) {
			assert_int_equal(load(text, &c, err, sizeof(err)), 0);
			assert_string_equal(c.sshd_start[n - 1], "-31");
			assert_null(c.sshd_start[n]);
			conf_free(&c);
		} else
			expect_err(text, 1, "more than 32 arguments");
	}
	/* an empty reload is allowed: it means SIGHUP */
	assert_int_equal(load("sshd = { reload = [ ]; reload2 = 1; };\n", &c,
	    err, sizeof(err)), -1);
	conf_free(&c);
	assert_int_equal(load("sshd = { reload = [ ]; };\n", &c, err,
	    sizeof(err)), 0);
	assert_null(c.sshd_reload[0]);
	conf_free(&c);
}

static void
t_address(void **s)
{
	struct sm_conf c;
	char err[512];

	(void)s;
	expect_err("probe = {\n address = \"localhost\";\n};\n", 2,
	    "not a numeric IPv4 or IPv6 address");
	expect_err("probe = { address = \"\"; };\n", 1, "not a numeric");
	expect_err("probe = { address = \"127.0.0.1:22\"; };\n", 1,
	    "not a numeric");
	expect_err("probe = { address = \"256.0.0.1\"; };\n", 1,
	    "not a numeric");
	assert_int_equal(load("probe = { address = \"fe80::1\"; };\n", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(c.probe_address, "fe80::1");
	conf_free(&c);
}

static void
t_protected_users(void **s)
{
	struct sm_conf c;
	char text[4096], err[512], name[64];
	size_t o;
	int i, n;

	(void)s;
	/* probe.address may come after the list and still be the default */
	assert_int_equal(load("protected_users = [ \"admin\" ];\n"
	    "probe = { address = \"10.1.2.3\"; };\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nprotected, 1);
	assert_string_equal(c.protected_users[0].addr, "10.1.2.3");
	assert_string_equal(c.protected_users[0].host, "10.1.2.3");
	conf_free(&c);

	assert_int_equal(load("protected_users = [ ];\n", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(c.nprotected, 0);
	conf_free(&c);

	expect_err("protected_users = [\n \"root\",\n \"ops\",\n \"root\" ];\n", 4,
	    "listed twice");
	/* the default address makes these the same entry */
	expect_err("protected_users = [ \"root\", \"root@127.0.0.1\" ];\n", 1,
	    "listed twice");
	expect_err("protected_users = [\n \"-root\" ];\n", 2,
	    "not a valid user name");
	expect_err("protected_users = [ \"\" ];\n", 1, "not a valid user name");
	expect_err("protected_users = [ \"@10.0.0.1\" ];\n", 1,
	    "not a valid user name");
	expect_err("protected_users = [ \"ro ot\" ];\n", 1,
	    "not a valid user name");
	expect_err("protected_users = [ \"root,ops\" ];\n", 1,
	    "not a valid user name");
	expect_err("protected_users = [ \"root@host.example\" ];\n", 1,
	    "not a numeric");
	expect_err("protected_users = [ \"root@\" ];\n", 1, "not a numeric");
	expect_err("protected_users = [ \"root@1.2.3.4@5.6.7.8\" ];\n", 1,
	    "not a numeric");

	/* name length: 32 ok, 33 refused */
	memset(name, 'u', 33);
	name[32] = '\0';
	snprintf(text, sizeof(text), "protected_users = [ \"%s\" ];\n", name);
	assert_int_equal(load(text, &c, err, sizeof(err)), 0);
	assert_string_equal(c.protected_users[0].name, name);
	conf_free(&c);
	name[32] = 'u';
	name[33] = '\0';
	snprintf(text, sizeof(text), "protected_users = [ \"%s\" ];\n", name);
	expect_err(text, 1, "not a valid user name");

	/* CONF_MAX_PROTECTED entries ok, one more refused */
	for (n = CONF_MAX_PROTECTED; n <= CONF_MAX_PROTECTED + 1; n++) {
		o = (size_t)snprintf(text, sizeof(text), "protected_users = [");
		for (i = 0; i < n; i++)
			o += (size_t)snprintf(text + o, sizeof(text) - o,
			    "%s\"u%d\"", i ? ", " : " ", i);
		snprintf(text + o, sizeof(text) - o, " ];\n");
		if (n == CONF_MAX_PROTECTED) {
			assert_int_equal(load(text, &c, err, sizeof(err)), 0);
			assert_int_equal(c.nprotected, CONF_MAX_PROTECTED);
			conf_free(&c);
		} else
			expect_err(text, 1, "more than 64 entries");
	}
}

static void
t_garbage_and_syntax(void **s)
{
	struct sm_conf c;
	char err[512], *big;
	size_t n = 1024 * 1024 + 1;

	(void)s;
	expect_err("probe = {\n port = ;\n};\n", 2, "syntax error");
	expect_err("}}}{{{\n", 1, "syntax error");
	expect_err("\n\n\x01\x02garbage\xff\n", 3, "");
	expect_err("sshd = { binary = \"/a\"; binary = \"/b\"; };\n", 1,
	    "duplicate");
	expect_err("# ok\n@include \"/etc/passwd\"\n", 2,
	    "@include is not supported");
	expect_err("probe = {\n port = 2222;\n};\nguard = { x = 1; };\n", 4,
	    "unknown key guard.x");

	/* a valid prefix does not leak into c when a later line fails */
	assert_int_equal(load("probe = { port = 2222; };\nbogus = 1;\n", &c,
	    err, sizeof(err)), -1);
	assert_int_equal(c.probe_port, 22);
	conf_free(&c);

	/* size bound: 1 MiB of comment + 1 byte */
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, '#', n);
	big[n] = '\0';
	expect_err(big, 0, "larger than");
	big[n - 1] = '\0';
	big[n - 2] = '\n';
	assert_int_equal(load(big, &c, err, sizeof(err)), 0);
	conf_free(&c);
	free(big);
}

static void
t_file_checks(void **s)
{
	struct sm_conf c;
	struct passwd *pw;
	char err[1024], link[600];
	static const mode_t bad[] = { 0666, 0620, 0602, 0660 };
	size_t i;

	(void)s;
	unit_write(cpath, "probe = { port = 2222; };\n");
	assert_int_equal(chown(cpath, 0, 0), 0);
	assert_int_equal(chmod(cpath, 0600), 0);
	assert_int_equal(conf_load(cpath, &c, 1, err, sizeof(err)), 0);
	assert_int_equal(c.probe_port, 2222);
	conf_free(&c);
	assert_int_equal(chmod(cpath, 0644), 0);
	assert_int_equal(conf_load(cpath, &c, 1, err, sizeof(err)), 0);
	conf_free(&c);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(cpath, bad[i]), 0);
		assert_int_equal(conf_load(cpath, &c, 1, err, sizeof(err)), -1);
		assert_int_equal(strncmp(err, cpath, strlen(cpath)), 0);
		assert_non_null(strstr(err, "writable by"));
		assert_int_equal(c.probe_port, 22);
		conf_free(&c);
		/* unit tests may skip the check */
		assert_int_equal(conf_load(cpath, &c, 0, err, sizeof(err)), 0);
		conf_free(&c);
	}
	assert_int_equal(chmod(cpath, 0666), 0);
	assert_int_equal(conf_load(cpath, &c, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 0666"));
	conf_free(&c);

	pw = getpwnam("nobody");
	assert_non_null(pw);
	assert_int_equal(chmod(cpath, 0600), 0);
	assert_int_equal(chown(cpath, pw->pw_uid, 0), 0);
	assert_int_equal(conf_load(cpath, &c, 1, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, cpath, strlen(cpath)), 0);
	assert_non_null(strstr(err, "(nobody), not root"));
	conf_free(&c);
	assert_int_equal(chown(cpath, 0, 0), 0);

	/* a symlink is not followed; a directory is not a file */
	snprintf(link, sizeof(link), "%s/link.conf", tdir);
	assert_int_equal(symlink(cpath, link), 0);
	assert_int_equal(conf_load(link, &c, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, link));
	conf_free(&c);
	assert_int_equal(conf_load(tdir, &c, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	conf_free(&c);

	/* missing file */
	snprintf(link, sizeof(link), "%s/missing.conf", tdir);
	assert_int_equal(conf_load(link, &c, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_defaults(&c);
	conf_free(&c);
}

/*
 * CONF_ABSENT_OK: the default file may be missing (a deleted Debian
 * conffile, a make install that puts none in place): the defaults. Only
 * ENOENT: a dangling symlink, a directory or a bad file are still refused.
 */
static void
t_absent_ok(void **s)
{
	const int fl = CONF_CHECK_OWNER | CONF_ABSENT_OK;
	struct sm_conf c;
	char err[1024], p[600];

	(void)s;
	snprintf(p, sizeof(p), "%s/missing.conf", tdir);
	assert_int_equal(conf_load(p, &c, fl, err, sizeof(err)), 0);
	assert_null(c.path);
	assert_string_equal(err, "");
	assert_defaults(&c);
	conf_free(&c);
	/* a missing directory above it (no /etc/sshmedic at all) */
	snprintf(p, sizeof(p), "%s/nodir/sshmedic.conf", tdir);
	assert_int_equal(conf_load(p, &c, fl, err, sizeof(err)), 0);
	assert_null(c.path);
	conf_free(&c);
	/* without the flag (sshmedicd -f FILE) a missing file is an error */
	assert_int_equal(conf_load(p, &c, CONF_CHECK_OWNER, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "No such file"));
	conf_free(&c);

	snprintf(p, sizeof(p), "%s/dangling.conf", tdir);
	assert_int_equal(symlink("/nonexistent/sshmedic.conf", p), 0);
	assert_int_equal(conf_load(p, &c, fl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, p));
	assert_defaults(&c);
	conf_free(&c);
	assert_int_equal(conf_load(tdir, &c, fl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	conf_free(&c);

	/* a file that is there is read and checked as ever */
	unit_write(cpath, "probe = { port = 2222; };\n");
	assert_int_equal(chown(cpath, 0, 0), 0);
	assert_int_equal(chmod(cpath, 0600), 0);
	assert_int_equal(conf_load(cpath, &c, fl, err, sizeof(err)), 0);
	assert_int_equal(c.probe_port, 2222);
	assert_string_equal(c.path, cpath);
	conf_free(&c);
	assert_int_equal(chmod(cpath, 0666), 0);
	assert_int_equal(conf_load(cpath, &c, fl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 0666"));
	conf_free(&c);
}

/* The shipped example sets every key to its default: the two stay in step. */
static void
t_example_file(void **s)
{
	struct sm_conf c;
	const char *top = getenv("top_srcdir");
	char path[1024], err[1024], *p;

	(void)s;
	if (top != NULL && *top != '\0')
		snprintf(path, sizeof(path), "%s/examples/sshmedic.conf", top);
	else {
		/* run by hand: find it from this source file's path */
		snprintf(path, sizeof(path), "%s", __FILE__);
		if ((p = strstr(path, "tests/unit/test_conf.c")) == NULL)
			skip();
		snprintf(p, sizeof(path) - (size_t)(p - path),
		    "examples/sshmedic.conf");
	}
	if (conf_load(path, &c, 0, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_defaults(&c);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(t_defaults_and_empty, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(t_numeric_boundaries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_type_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(t_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(t_paths_and_argv, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_argv_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(t_address, setup, teardown),
		cmocka_unit_test_setup_teardown(t_protected_users, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_garbage_and_syntax, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_file_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_authlog, setup, teardown),
		cmocka_unit_test_setup_teardown(t_credential_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_absent_ok, setup, teardown),
		cmocka_unit_test(t_example_file),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
