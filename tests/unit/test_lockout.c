/*
 * Tests for the lockout guard: lockout_eval on captured `sshd -T` dumps for
 * every rule both ways, then lockout_check against the real sshd.
 */
#include "unit.h"

#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>

#include "lockout.h"

/*
 * Captured from /usr/sbin/sshd -T (9.2p1, Debian) with UsePAM yes and
 * KbdInteractiveAuthentication no, as Debian ships it; only the lines the
 * guard reads, in sshd's order. Scalars are overridden by putting a line
 * before this text (the guard keeps the first, as sshd prints each once).
 */
static const char base_auth[] =
	"usepam yes\n"
	"logingracetime 120\n"
	"permitrootlogin without-password\n"
	"hostbasedauthentication no\n"
	"pubkeyauthentication yes\n"
	"gssapiauthentication no\n"
	"passwordauthentication yes\n"
	"kbdinteractiveauthentication no\n"
	"authorizedkeyscommand none\n"
	"authorizedkeyscommanduser none\n"
	"authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2\n"
	"authenticationmethods any\n"
	"pubkeyauthoptions none\n";

static const char base_listen[] =
	"port 2222\n"
	"addressfamily any\n"
	"listenaddress [::]:2222\n"
	"listenaddress 0.0.0.0:2222\n";

struct fx {
	char	*dir;		/* home of the test user */
	char	 reason[512];
	const char *groups[2];
	struct lk_target t;
	struct lk_userinfo ui;
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[1024];

	assert_non_null(f);
	f->dir = unit_mkdtemp();
	snprintf(path, sizeof(path), "%s/.ssh", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.ssh/authorized_keys", f->dir);
	unit_write(path, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA admin\n");
	f->groups[0] = "smt-admin";
	f->groups[1] = "sudo";
	f->t.user = "smt-admin";
	f->t.host = "10.1.2.3";
	f->t.addr = "10.1.2.3";
	f->t.laddr = "127.0.0.1";
	f->t.lport = 2222;
	f->ui.exists = 1;
	f->ui.uid = 1001;
	f->ui.home = f->dir;
	f->ui.groups = f->groups;
	f->ui.ngroups = 2;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	unit_rmtree(f->dir);
	free(f);
	return 0;
}

/* Runs lockout_eval on pre + base_auth + listen (NULL: base_listen) + post. */
static int
ev(struct fx *f, const char *pre, const char *listen, const char *post)
{
	char *dump;
	int r;

	if (asprintf(&dump, "%s%s%s%s", pre ? pre : "", base_auth,
	    listen ? listen : base_listen, post ? post : "") < 0)
		abort();
	memset(f->reason, 'X', sizeof(f->reason));
	r = lockout_eval(dump, &f->t, &f->ui, f->reason, sizeof(f->reason));
	assert_non_null(memchr(f->reason, '\0', sizeof(f->reason)));
	if (r == 0)
		assert_true(strlen(f->reason) > 0);
	else
		assert_int_equal(f->reason[0], '\0');
	assert_null(strchr(f->reason, '\n'));
	if (getenv("UNIT_VERBOSE") != NULL)
		fprintf(stderr, "  -> %d %s\n", r, f->reason);
	free(dump);
	return r;
}

#define assert_reason(f, s) do { \
	if (strstr((f)->reason, (s)) == NULL) \
		fail_msg("reason '%s' lacks '%s'", (f)->reason, (s)); \
} while (0)

static void
t_base_ok(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ev(f, NULL, NULL, NULL), 1);
}

static void
t_denyusers(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ev(f, NULL, NULL, "denyusers smt-admin\n"), 0);
	assert_reason(f, "DenyUsers pattern 'smt-admin' excludes smt-admin");
	assert_int_equal(ev(f, NULL, NULL, "denyusers smt-*\n"), 0);
	assert_reason(f, "smt-*");
	assert_int_equal(ev(f, NULL, NULL, "denyusers adm*\n"), 1);
	assert_int_equal(ev(f, NULL, NULL,
	    "denyusers alice\ndenyusers sm?-admin\n"), 0);
	/* sshd matches the user part as one pattern: no list, no negation */
	assert_int_equal(ev(f, NULL, NULL, "denyusers !smt-admin\n"), 1);
	assert_int_equal(ev(f, NULL, NULL, "denyusers bob,smt-admin\n"), 1);
	assert_int_equal(ev(f, NULL, NULL, "denyusers SMT-ADMIN\n"), 1);
}

static void
t_denyusers_host(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ev(f, NULL, NULL,
	    "denyusers smt-admin@10.0.0.0/8\n"), 0);
	assert_reason(f, "smt-admin@10.0.0.0/8");
	assert_int_equal(ev(f, NULL, NULL,
	    "denyusers smt-admin@192.168.0.0/16\n"), 1);
	assert_int_equal(ev(f, NULL, NULL, "denyusers *@10.1.2.3\n"), 0);
	/* negated host: no match, so not denied */
	assert_int_equal(ev(f, NULL, NULL,
	    "denyusers smt-admin@!10.1.2.3,10.0.0.0/8\n"), 1);
	assert_int_equal(ev(f, NULL, NULL,
	    "denyusers smt-admin@!10.9.9.9,10.0.0.0/8\n"), 0);
	f->t.host = "bastion.example.com";
	assert_int_equal(ev(f, NULL, NULL,
	    "denyusers *@*.example.com\n"), 0);
	assert_int_equal(ev(f, NULL, NULL,
	    "denyusers *@*.example.org\n"), 1);
	/* a bad CIDR makes sshd fatal() on every connection */
	assert_int_equal(ev(f, NULL, NULL,
	    "denyusers smt-admin@10.0.0.0/99\n"), 0);
	assert_reason(f, "invalid");
	/* no host name given: the address stands in, as with UseDNS no */
	f->t.host = NULL;
	assert_int_equal(ev(f, NULL, NULL, "denyusers *@10.1.2.*\n"), 0);
}

static void
t_allowusers(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ev(f, NULL, NULL,
	    "allowusers root\nallowusers alice\n"), 0);
	assert_reason(f, "AllowUsers");
	assert_reason(f, "smt-admin");
	assert_int_equal(ev(f, NULL, NULL,
	    "allowusers root\nallowusers smt-*\n"), 1);
	assert_int_equal(ev(f, NULL, NULL,
	    "allowusers smt-admin@192.168.0.0/16\n"), 0);
	assert_int_equal(ev(f, NULL, NULL,
	    "allowusers smt-admin@10.0.0.0/8\n"), 1);
	/* DenyUsers is checked first and wins over AllowUsers */
	assert_int_equal(ev(f, NULL, NULL,
	    "allowusers smt-admin\ndenyusers smt-admin\n"), 0);
	assert_reason(f, "DenyUsers");
}

static void
t_groups(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ev(f, NULL, NULL, "denygroups sudo\n"), 0);
	assert_reason(f, "DenyGroups pattern 'sudo' matches group sudo");
	assert_int_equal(ev(f, NULL, NULL, "denygroups wheel\n"), 1);
	assert_int_equal(ev(f, NULL, NULL, "denygroups su*\n"), 0);
	assert_int_equal(ev(f, NULL, NULL, "allowgroups sudo\n"), 1);
	assert_int_equal(ev(f, NULL, NULL, "allowgroups wheel\n"), 0);
	assert_reason(f, "AllowGroups");
	assert_int_equal(ev(f, NULL, NULL,
	    "allowgroups wheel\nallowgroups smt-?dmin\n"), 1);
	assert_int_equal(ev(f, NULL, NULL,
	    "allowgroups sudo\ndenygroups smt-admin\n"), 0);
	assert_reason(f, "DenyGroups");
	/* users pass before groups are looked at */
	assert_int_equal(ev(f, NULL, NULL,
	    "allowusers smt-admin\nallowgroups wheel\n"), 0);
	assert_reason(f, "AllowGroups");
	f->ui.ngroups = 0;
	assert_int_equal(ev(f, NULL, NULL, "allowgroups *\n"), 0);
	assert_reason(f, "no group");
	assert_int_equal(ev(f, NULL, NULL, NULL), 1);
}

static void
t_root(void **state)
{
	struct fx *f = *state;

	f->t.user = "root";
	f->ui.uid = 0;
	assert_int_equal(ev(f, "permitrootlogin yes\n", NULL, NULL), 1);
	assert_int_equal(ev(f, "permitrootlogin no\n", NULL, NULL), 0);
	assert_reason(f, "PermitRootLogin no");
	assert_int_equal(ev(f, "permitrootlogin forced-commands-only\n",
	    NULL, NULL), 0);
	assert_reason(f, "forced-commands-only");
	assert_int_equal(ev(f, "permitrootlogin maybe\n", NULL, NULL), 0);
	assert_reason(f, "maybe");
	/* without-password is how sshd prints prohibit-password */
	assert_int_equal(ev(f, NULL, NULL, NULL), 1);
	assert_int_equal(ev(f, "permitrootlogin prohibit-password\n", NULL,
	    NULL), 1);
	/* ... where only keys count */
	assert_int_equal(ev(f, "pubkeyauthentication no\n", NULL, NULL), 0);
	assert_reason(f, "password: PermitRootLogin without-password");
	assert_int_equal(ev(f, "pubkeyauthentication no\n"
	    "permitrootlogin yes\n", NULL, NULL), 1);
	assert_int_equal(ev(f, "authenticationmethods publickey,password\n",
	    NULL, NULL), 0);
	/* the same settings do not restrict a non-root user */
	f->t.user = "smt-admin";
	f->ui.uid = 1001;
	assert_int_equal(ev(f, "pubkeyauthentication no\n"
	    "permitrootlogin no\n", NULL, NULL), 1);
}

static void
t_no_methods(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ev(f, "pubkeyauthentication no\n"
	    "passwordauthentication no\n", NULL, NULL), 0);
	assert_reason(f, "no usable authentication method");
	assert_reason(f, "PubkeyAuthentication no");
	assert_reason(f, "PasswordAuthentication no");
	assert_reason(f, "KbdInteractiveAuthentication no");
	assert_int_equal(ev(f, "pubkeyauthentication no\n", NULL, NULL), 1);
	/* keyboard-interactive rescues only with PAM behind it */
	assert_int_equal(ev(f, "pubkeyauthentication no\n"
	    "passwordauthentication no\n"
	    "kbdinteractiveauthentication yes\n", NULL, NULL), 1);
	assert_int_equal(ev(f, "pubkeyauthentication no\n"
	    "passwordauthentication no\nusepam no\n"
	    "kbdinteractiveauthentication yes\n", NULL, NULL), 0);
	assert_reason(f, "UsePAM no");
}

static void
t_authmethods(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ev(f, "authenticationmethods publickey,password\n"
	    "passwordauthentication no\n", NULL, NULL), 0);
	assert_reason(f, "AuthenticationMethods 'publickey,password'");
	assert_reason(f, "password: PasswordAuthentication no");
	assert_int_equal(ev(f, "authenticationmethods publickey,password\n",
	    NULL, NULL), 1);
	/* one satisfiable list is enough */
	assert_int_equal(ev(f, "authenticationmethods publickey,password "
	    "publickey\npasswordauthentication no\n", NULL, NULL), 1);
	assert_int_equal(ev(f, "authenticationmethods password\n"
	    "passwordauthentication no\n", NULL, NULL), 0);
	assert_int_equal(ev(f, "authenticationmethods "
	    "keyboard-interactive:pam\nkbdinteractiveauthentication yes\n",
	    NULL, NULL), 1);
	assert_int_equal(ev(f, "authenticationmethods "
	    "keyboard-interactive:bsdauth\n"
	    "kbdinteractiveauthentication yes\n", NULL, NULL), 0);
	assert_reason(f, "bsdauth");
	assert_int_equal(ev(f, "authenticationmethods hostbased\n"
	    "hostbasedauthentication yes\n", NULL, NULL), 0);
	assert_reason(f, "hostbased");
	assert_int_equal(ev(f, "authenticationmethods publickey,bogus\n",
	    NULL, NULL), 0);
	assert_int_equal(ev(f, "authenticationmethods publickey,publickey\n",
	    NULL, NULL), 1);
}

static void
t_keysfile(void **state)
{
	struct fx *f = *state;
	char pre[2048], path[1024];

	assert_int_equal(ev(f, "authorizedkeysfile none\n"
	    "passwordauthentication no\n", NULL, NULL), 0);
	assert_reason(f, "AuthorizedKeysFile none");
	/* password still works for a non-root user */
	assert_int_equal(ev(f, "authorizedkeysfile none\n", NULL, NULL), 1);
	/* an AuthorizedKeysCommand serves keys without any file */
	assert_int_equal(ev(f, "authorizedkeysfile none\n"
	    "passwordauthentication no\n"
	    "authorizedkeyscommand /usr/bin/sss_ssh_authorizedkeys\n",
	    NULL, NULL), 1);
	assert_int_equal(ev(f, "authorizedkeysfile .ssh/nokeys\n"
	    "passwordauthentication no\n", NULL, NULL), 0);
	assert_reason(f, "looked for");
	assert_reason(f, "/.ssh/nokeys");

	snprintf(path, sizeof(path), "%s/empty", f->dir);
	unit_write(path, "");
	snprintf(pre, sizeof(pre), "authorizedkeysfile %s\n"
	    "passwordauthentication no\n", path);
	assert_int_equal(ev(f, pre, NULL, NULL), 0);
	unit_write(path, "ssh-ed25519 AAAA k\n");
	assert_int_equal(ev(f, pre, NULL, NULL), 1);
	/* a directory is not a keys file */
	snprintf(pre, sizeof(pre), "authorizedkeysfile %%h/.ssh\n"
	    "passwordauthentication no\n");
	assert_int_equal(ev(f, pre, NULL, NULL), 0);

	/* %h %u %U %% expansions; the second listed file is enough */
	snprintf(path, sizeof(path), "%s/k-smt-admin-1001%%", f->dir);
	unit_write(path, "ssh-ed25519 AAAA k\n");
	assert_int_equal(ev(f, "authorizedkeysfile .ssh/none1 "
	    "%h/k-%u-%U%%\npasswordauthentication no\n", NULL, NULL), 1);
	assert_int_equal(ev(f, "authorizedkeysfile k-%u-%U%%\n"
	    "passwordauthentication no\n", NULL, NULL), 1);
	assert_int_equal(ev(f, "authorizedkeysfile %h/k-%u-%i\n"
	    "passwordauthentication no\n", NULL, NULL), 0);
	assert_reason(f, "bad %-token");

	/* home unknown: the setting is trusted */
	f->ui.home = NULL;
	assert_int_equal(ev(f, "authorizedkeysfile .ssh/nokeys\n"
	    "passwordauthentication no\n", NULL, NULL), 1);
}

static void
t_listen(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ev(f, NULL, "port 2222\n"
	    "listenaddress 127.0.0.1:2222\n", NULL), 1);
	assert_int_equal(ev(f, NULL, "port 2222\n"
	    "listenaddress 10.0.0.1:2222\n", NULL), 0);
	assert_reason(f, "nothing serves 127.0.0.1:2222");
	assert_reason(f, "10.0.0.1:2222");
	/* port moved */
	assert_int_equal(ev(f, NULL, "port 2200\n"
	    "listenaddress [::]:2200\nlistenaddress 0.0.0.0:2200\n", NULL),
	    0);
	assert_reason(f, "ListenAddress");
	/* IPv6 listeners are v6-only in sshd */
	assert_int_equal(ev(f, NULL, "port 2222\n"
	    "listenaddress [::]:2222\n", NULL), 0);
	f->t.laddr = "::1";
	assert_int_equal(ev(f, NULL, "port 2222\n"
	    "listenaddress [::]:2222\n", NULL), 1);
	assert_int_equal(ev(f, NULL, "port 2222\n"
	    "listenaddress [::1]:2222\n", NULL), 1);
	assert_int_equal(ev(f, NULL, "port 2222\n"
	    "listenaddress 0.0.0.0:2222\n", NULL), 0);
	assert_reason(f, "[::1]:2222");
	f->t.laddr = "127.0.0.1";
	assert_int_equal(ev(f, NULL, "listenaddress 127.0.0.1:2222 "
	    "rdomain 5\n", NULL), 1);
	/* garbage entries are skipped, not trusted */
	assert_int_equal(ev(f, NULL, "listenaddress 127.0.0.1\n"
	    "listenaddress [127.0.0.1:2222\nlistenaddress 127.0.0.1:99999\n"
	    "listenaddress host:2222\n", NULL), 0);
	/* no listenaddress lines: ports on every address */
	assert_int_equal(ev(f, NULL, "port 2222\n", NULL), 1);
	assert_int_equal(ev(f, NULL, "port 22\n", NULL), 0);
	assert_int_equal(ev(f, NULL, "", NULL), 0);
	f->t.lport = 22;
	assert_int_equal(ev(f, NULL, "", NULL), 1);
	/* probe values */
	f->t.lport = 65536;
	assert_int_equal(ev(f, NULL, NULL, NULL), 0);
	f->t.lport = 0;
	assert_int_equal(ev(f, NULL, "port 2200\n", NULL), 1);
	f->t.lport = 2222;
	f->t.laddr = "localhost";
	assert_int_equal(ev(f, NULL, NULL, NULL), 0);
	assert_reason(f, "numeric");
	f->t.laddr = NULL;
	assert_int_equal(ev(f, NULL, NULL, NULL), 1);
}

static void
t_bounds(void **state)
{
	struct fx *f = *state;
	char small[8], *big;
	size_t i, n;
	int r;

	assert_int_equal(lockout_eval("", &f->t, &f->ui, f->reason,
	    sizeof(f->reason)), 0);
	assert_string_equal(f->reason, "empty sshd -T output");
	assert_int_equal(lockout_eval("\n\n", &f->t, &f->ui, f->reason,
	    sizeof(f->reason)), 0);
	assert_int_equal(lockout_eval(NULL, &f->t, &f->ui, f->reason,
	    sizeof(f->reason)), 0);
	/* garbage: defaults apply, and sshd's default port 22 is not 2222 */
	assert_int_equal(lockout_eval("hello world\n\x01\x02 x\n", &f->t,
	    &f->ui, f->reason, sizeof(f->reason)), 0);
	assert_reason(f, "2222");
	/* reason truncated but terminated; NULL reason allowed */
	assert_int_equal(lockout_eval("", &f->t, &f->ui, small,
	    sizeof(small)), 0);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(lockout_eval("", &f->t, &f->ui, NULL, 0), 0);
	/* unknown user */
	f->ui.exists = 0;
	assert_int_equal(ev(f, NULL, NULL, NULL), 0);
	assert_string_equal(f->reason, "no such user");
	f->ui.exists = 1;

	/* 1024 DenyUsers entries are evaluated, 1025 are refused */
	for (n = 1024; n <= 1025; n++) {
		big = calloc(n, 32);
		assert_non_null(big);
		for (i = 0; i < n; i++)
			snprintf(big + strlen(big), 32, "denyusers u%zu\n", i);
		r = ev(f, NULL, NULL, big);
		assert_int_equal(r, n == 1024 ? 1 : 0);
		free(big);
	}
	assert_reason(f, "1024");
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(t_base_ok, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(t_denyusers, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(t_denyusers_host, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_allowusers, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_groups, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(t_root, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(t_no_methods, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_authmethods, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_keysfile, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(t_listen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(t_bounds, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
