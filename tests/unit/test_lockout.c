/*
 * Tests for the lockout guard: lockout_eval on captured `sshd -T` dumps for
 * every rule both ways, then lockout_check against the real sshd.
 */
#include "unit.h"

#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>

#include "conf.h"
#include "lockout.h"
#include "validate.h"

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


/*
 * Real sshd: a sandboxed config in a temp dir (own host key, own keys
 * directory, port 2222 on 127.0.0.1), evaluated for the existing accounts
 * root and nobody. Nothing under /etc/ssh is read or written.
 */
#define SSHD	"/usr/sbin/sshd"

struct rx {
	char	*dir;
	char	 conf[1024];
	char	 reason[512];
	struct lk_target t;
};

static int
rx_setup(void **state)
{
	struct rx *x = calloc(1, sizeof(*x));
	char cmd[2048], path[1024];

	assert_non_null(x);
	x->dir = unit_mkdtemp();
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' "
	    "-f '%s/hk' >/dev/null", x->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/keys", x->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/conf.d", x->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/keys/root", x->dir);
	unit_write(path, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA root\n");
	snprintf(path, sizeof(path), "%s/keys/nobody", x->dir);
	unit_write(path, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA nobody\n");
	snprintf(x->conf, sizeof(x->conf), "%s/sshd_config", x->dir);
	x->t.user = "root";
	x->t.addr = "10.1.2.3";
	x->t.host = "bastion.example.com";
	x->t.laddr = "127.0.0.1";
	x->t.lport = 2222;
	*state = x;
	return 0;
}

static int
rx_teardown(void **state)
{
	struct rx *x = *state;

	unit_rmtree(x->dir);
	free(x);
	return 0;
}

/* Writes sshd_config: pre, the sandbox lines, then post. */
static void
rx_config(struct rx *x, const char *pre, const char *post)
{
	char text[8192];

	snprintf(text, sizeof(text),
	    "%s"
	    "HostKey %s/hk\n"
	    "Port 2222\n"
	    "ListenAddress 127.0.0.1\n"
	    "AuthorizedKeysFile %s/keys/%%u\n"
	    "PasswordAuthentication no\n"
	    "KbdInteractiveAuthentication no\n"
	    "%s",
	    pre ? pre : "", x->dir, x->dir, post ? post : "");
	unit_write(x->conf, text);
}

static int
rx_check(struct rx *x)
{
	int r;

	memset(x->reason, 'X', sizeof(x->reason));
	r = lockout_check(SSHD, x->conf, &x->t, 5000, x->reason,
	    sizeof(x->reason));
	assert_non_null(memchr(x->reason, '\0', sizeof(x->reason)));
	if (getenv("UNIT_VERBOSE") != NULL)
		fprintf(stderr, "  => %d %s\n", r, x->reason);
	return r;
}

/* sshd -T as root needs its privilege separation directory. */
static int
rx_usable(void)
{
	return access(SSHD, X_OK) == 0 &&
	    (geteuid() != 0 || access("/run/sshd", F_OK) == 0);
}

#define RX_REQUIRE() do { \
	if (!rx_usable()) { \
		fprintf(stderr, "skipped: no " SSHD " or no /run/sshd\n"); \
		skip(); \
	} \
} while (0)

static void
t_real_basic(void **state)
{
	struct rx *x = *state;

	RX_REQUIRE();
	rx_config(x, NULL, NULL);
	assert_int_equal(rx_check(x), 1);
	rx_config(x, NULL, "PermitRootLogin no\n");
	assert_int_equal(rx_check(x), 0);
	assert_reason(x, "PermitRootLogin no");
	/* listen address and port moved */
	x->t.laddr = "127.0.0.2";
	rx_config(x, NULL, NULL);
	assert_int_equal(rx_check(x), 0);
	assert_reason(x, "nothing serves 127.0.0.2:2222");
	x->t.laddr = "127.0.0.1";
	x->t.lport = 22;
	assert_int_equal(rx_check(x), 0);
	x->t.lport = 2222;
	/* root's key file gone */
	snprintf(x->reason, sizeof(x->reason), "%s/keys/root", x->dir);
	assert_int_equal(unlink(x->reason), 0);
	assert_int_equal(rx_check(x), 0);
	assert_reason(x, "keys/root");
}

static void
t_real_match(void **state)
{
	struct rx *x = *state;

	RX_REQUIRE();
	rx_config(x, NULL, "Match User root\n\tPubkeyAuthentication no\n");
	assert_int_equal(rx_check(x), 0);
	assert_reason(x, "PubkeyAuthentication no");
	x->t.user = "nobody";
	assert_int_equal(rx_check(x), 1);

	x->t.user = "root";
	rx_config(x, NULL, "Match Address 10.0.0.0/8\n\tDenyUsers root\n");
	assert_int_equal(rx_check(x), 0);
	assert_reason(x, "DenyUsers pattern 'root'");
	x->t.addr = "192.168.7.7";
	x->t.host = NULL;
	assert_int_equal(rx_check(x), 1);

	rx_config(x, NULL, "Match Host *.example.com\n\tAllowUsers admin\n");
	assert_int_equal(rx_check(x), 1);
	x->t.host = "bastion.example.com";
	assert_int_equal(rx_check(x), 0);
	assert_reason(x, "AllowUsers");
}

static void
t_real_groups(void **state)
{
	struct rx *x = *state;

	RX_REQUIRE();
	x->t.user = "nobody";
	rx_config(x, NULL, "AllowGroups nogroup\n");
	assert_int_equal(rx_check(x), 1);
	rx_config(x, NULL, "AllowGroups root\n");
	assert_int_equal(rx_check(x), 0);
	rx_config(x, NULL, "DenyGroups nog*\n");
	assert_int_equal(rx_check(x), 0);
	assert_reason(x, "group nogroup of nobody");
	x->t.user = "root";
	assert_int_equal(rx_check(x), 1);
}

static void
t_real_include_first_wins(void **state)
{
	struct rx *x = *state;
	char inc[1200], path[1024];

	RX_REQUIRE();
	snprintf(path, sizeof(path), "%s/conf.d/10-lock.conf", x->dir);
	unit_write(path, "PubkeyAuthentication no\n");
	/* the drop-in comes first: its value wins over the main file's */
	snprintf(inc, sizeof(inc), "Include %s/conf.d/*.conf\n", x->dir);
	rx_config(x, inc, "PubkeyAuthentication yes\n");
	assert_int_equal(rx_check(x), 0);
	assert_reason(x, "PubkeyAuthentication no");
	/* the main file's own line first: it wins */
	rx_config(x, "PubkeyAuthentication yes\n", inc);
	assert_int_equal(rx_check(x), 1);
}

static void
t_real_errors(void **state)
{
	struct rx *x = *state;
	char path[1024];

	RX_REQUIRE();
	rx_config(x, NULL, NULL);
	x->t.user = "sshmedic-no-such-user";
	assert_int_equal(rx_check(x), 0);
	assert_string_equal(x->reason, "no such user");
	x->t.user = "root";

	/* a target sshd's -C cannot carry */
	x->t.user = "ro,ot";
	assert_int_equal(rx_check(x), -1);
	assert_int_equal(errno, EINVAL);
	x->t.user = "";
	assert_int_equal(rx_check(x), -1);
	x->t.user = "root";
	x->t.addr = NULL;
	assert_int_equal(rx_check(x), -1);
	x->t.addr = "10.1.2.3";

	rx_config(x, "NoSuchKeyword yes\n", NULL);
	assert_int_equal(rx_check(x), -1);
	assert_int_equal(errno, EBADMSG);
	assert_reason(x, "exit 255");
	assert_reason(x, "Bad configuration option: NoSuchKeyword");
	assert_null(strchr(x->reason, '?'));

	assert_int_equal(lockout_check("/nonexistent/sshd", x->conf, &x->t,
	    1000, x->reason, sizeof(x->reason)), -1);
	assert_reason(x, "/nonexistent/sshd");

	/* a hung sshd is bounded by the timeout */
	snprintf(path, sizeof(path), "%s/hang", x->dir);
	unit_write(path, "#!/bin/sh\nexec sleep 30\n");
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(lockout_check(path, x->conf, &x->t, 200, x->reason,
	    sizeof(x->reason)), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_reason(x, "timed out");
}

/* An sm_conf for the sandbox, protecting root (and nobody if asked). */
static void
rx_conf(struct rx *x, struct sm_conf *c, const char *bin, int nobody)
{
	conf_defaults(c);
	free(c->sshd_binary);
	c->sshd_binary = strdup(bin);
	free(c->sshd_config);
	c->sshd_config = strdup(x->conf);
	free(c->probe_address);
	c->probe_address = strdup("127.0.0.1");
	c->probe_port = 2222;
	c->nprotected = nobody ? 2 : 1;
	c->protected_users = calloc(2, sizeof(*c->protected_users));
	assert_non_null(c->protected_users);
	c->protected_users[0].name = strdup("root");
	c->protected_users[0].addr = strdup("10.1.2.3");
	c->protected_users[0].host = strdup("10.1.2.3");
	c->protected_users[1].name = strdup("nobody");
	c->protected_users[1].addr = strdup("127.0.0.1");
	c->protected_users[1].host = strdup("127.0.0.1");
}

static void
t_validate(void **state)
{
	struct rx *x = *state;
	struct sm_conf c;
	struct vd_result r;
	char path[1024];

	RX_REQUIRE();
	rx_conf(x, &c, SSHD, 1);
	rx_config(x, NULL, NULL);
	assert_int_equal(validate_config(&c, &r), VD_VALID);
	assert_int_equal(r.verdict, VD_VALID);
	assert_true(r.test_ms >= 0 && r.test_ms < 5000);
	assert_string_equal(r.reason, "");

	rx_config(x, "Port banana\n", NULL);
	assert_int_equal(validate_config(&c, &r), VD_SYNTAX);
	assert_non_null(strstr(r.reason, "line 1"));
	assert_null(strchr(r.reason, '\n'));
	assert_non_null(strstr(r.detail, "Badly formatted port number"));

	/* the second protected user is locked out, the first is not */
	rx_config(x, NULL, "DenyUsers nobody\n");
	assert_int_equal(validate_config(&c, &r), VD_LOCKOUT);
	assert_non_null(strstr(r.reason, "nobody: DenyUsers pattern"));
	assert_string_equal(validate_verdict_name(r.verdict), "lockout");
	c.nprotected = 1;
	assert_int_equal(validate_config(&c, &r), VD_VALID);
	c.nprotected = 0;
	rx_config(x, NULL, "DenyUsers *\n");
	assert_int_equal(validate_config(&c, &r), VD_VALID);
	c.nprotected = 2;

	/* sshd without /run/sshd says nothing about the config */
	snprintf(path, sizeof(path), "%s/noprivsep", x->dir);
	unit_write(path, "#!/bin/sh\necho 'Missing privilege separation "
	    "directory: /run/sshd' >&2\nexit 255\n");
	assert_int_equal(chmod(path, 0755), 0);
	free(c.sshd_binary);
	c.sshd_binary = strdup(path);
	assert_int_equal(validate_config(&c, &r), VD_ERROR);
	assert_non_null(strstr(r.reason, "privilege separation"));

	/* sshd -t hanging is an error, not a syntax verdict */
	snprintf(path, sizeof(path), "%s/hang", x->dir);
	unit_write(path, "#!/bin/sh\nexec sleep 30\n");
	assert_int_equal(chmod(path, 0755), 0);
	free(c.sshd_binary);
	c.sshd_binary = strdup(path);
	c.sshd_test_timeout_ms = 200;
	assert_int_equal(validate_config(&c, &r), VD_ERROR);
	assert_non_null(strstr(r.reason, "timed out"));

	free(c.sshd_binary);
	c.sshd_binary = strdup("/nonexistent/sshd");
	assert_int_equal(validate_config(&c, &r), VD_ERROR);
	assert_string_equal(validate_verdict_name(r.verdict), "error");
	conf_free(&c);
}

static void
t_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(validate_verdict_name(VD_VALID), "valid");
	assert_string_equal(validate_verdict_name(VD_SYNTAX), "syntax");
	assert_string_equal(validate_verdict_name(VD_LOCKOUT), "lockout");
	assert_string_equal(validate_verdict_name(VD_ERROR), "error");
	assert_string_equal(validate_verdict_name((enum vd_verdict)42),
	    "unknown");
}

/* C6: which host key types a HostKeyAlgorithms list can serve. */
static void
t_keytype_allowed(void **state)
{
	(void)state;
	assert_true(validate_keytype_allowed("ssh-ed25519",
	    "rsa-sha2-512,ssh-ed25519"));
	assert_false(validate_keytype_allowed("ssh-ed25519", "rsa-sha2-512"));
	assert_true(validate_keytype_allowed("ssh-rsa", "rsa-sha2-256"));
	assert_true(validate_keytype_allowed("ssh-rsa", "ssh-rsa"));
	assert_false(validate_keytype_allowed("ssh-rsa",
	    "rsa-sha2-512-cert-v01@openssh.com"));
	assert_true(validate_keytype_allowed("ecdsa-sha2-nistp384",
	    "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384"));
	assert_false(validate_keytype_allowed("ecdsa-sha2-nistp256",
	    "ecdsa-sha2-nistp384"));
	/* prefixes and empty lists never match */
	assert_false(validate_keytype_allowed("ssh-ed25519", "ssh-ed2551"));
	assert_false(validate_keytype_allowed("ssh-ed25519", ""));
	assert_false(validate_keytype_allowed("ssh-ed25519", ","));
	assert_false(validate_keytype_allowed("garbage", "ssh-ed25519"));
}

/* lockout_keys_files: sshd's expansion of AuthorizedKeysFile, bounded. */
static void
t_keys_files(void **state)
{
	struct fx *f = *state;
	char *paths[4], dump[1024], *v;
	int n, bad, i;

	n = lockout_keys_files(base_auth, "alice", &f->ui, paths, 4, &bad);
	assert_int_equal(n, 2);
	assert_int_equal(bad, 0);
	assert_non_null(strstr(paths[0], "/.ssh/authorized_keys"));
	assert_int_equal(strncmp(paths[0], f->dir, strlen(f->dir)), 0);
	assert_non_null(strstr(paths[1], "/.ssh/authorized_keys2"));
	for (i = 0; i < n; i++)
		free(paths[i]);
	snprintf(dump, sizeof(dump), "authorizedkeysfile /etc/keys/%%u "
	    "%%h/k%%%%  none /x/%%U %%z\n");
	f->ui.uid = 1234;
	n = lockout_keys_files(dump, "alice", &f->ui, paths, 4, &bad);
	assert_int_equal(n, 3);
	assert_int_equal(bad, 1);	/* %z: sshd skips it too */
	assert_string_equal(paths[0], "/etc/keys/alice");
	assert_int_equal(strcmp(paths[1] + strlen(f->dir), "/k%"), 0);
	assert_string_equal(paths[2], "/x/1234");
	for (i = 0; i < n; i++)
		free(paths[i]);
	/* max bounds the result. */
	n = lockout_keys_files(dump, "alice", &f->ui, paths, 1, NULL);
	assert_int_equal(n, 1);
	free(paths[0]);
	n = lockout_keys_files("authorizedkeysfile none\n", "alice", &f->ui,
	    paths, 4, NULL);
	assert_int_equal(n, 0);
	assert_int_equal(lockout_keys_files("", "alice", &f->ui, paths, 4,
	    NULL), -1);
	assert_int_equal(errno, EBADMSG);

	v = lockout_dump_value("port 22\nloglevel VERBOSE\r\n", "loglevel");
	assert_non_null(v);
	assert_string_equal(v, "VERBOSE");
	free(v);
	assert_null(lockout_dump_value("port 22\n", "loglevel"));
	assert_null(lockout_dump_value("loglevelx 1\n", "loglevel"));
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
		cmocka_unit_test_setup_teardown(t_keys_files, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(t_listen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(t_bounds, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(t_real_basic, rx_setup,
		    rx_teardown),
		cmocka_unit_test_setup_teardown(t_real_match, rx_setup,
		    rx_teardown),
		cmocka_unit_test_setup_teardown(t_real_groups, rx_setup,
		    rx_teardown),
		cmocka_unit_test_setup_teardown(t_real_include_first_wins,
		    rx_setup, rx_teardown),
		cmocka_unit_test_setup_teardown(t_real_errors, rx_setup,
		    rx_teardown),
		cmocka_unit_test_setup_teardown(t_validate, rx_setup,
		    rx_teardown),
		cmocka_unit_test(t_verdict_names),
		cmocka_unit_test(t_keytype_allowed),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
