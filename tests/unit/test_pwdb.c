/*
 * Tests for lib/pwdb.c: lookups answered by a child, which is killed at
 * its deadline, cannot answer more than the cap, holds none of the
 * caller's descriptors, and leaves no NSS module mapped in the caller.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lockout.h"
#include "pwdb.h"

static char *tdir;

static int
setup(void **s)
{
	(void)s;
	tdir = unit_mkdtemp();
	return 0;
}

static int
teardown(void **s)
{
	(void)s;
	pwdb_set_timeout_ms(0);
	unit_rmtree(tdir);
	return 0;
}

/* Predicate: /proc/self/maps names a shared object containing what. */
static int
mapped(const char *what)
{
	char line[1024];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, what) != NULL)
			found = 1;
	fclose(f);
	return found;
}

/*
 * Runs first, before this process makes a lookup of its own: every kind
 * of lookup, and still no NSS module in our maps (nsswitch.conf on Debian
 * 12 names systemd for passwd, group and shadow).
 */
static void
t_no_module_in_caller(void **s)
{
	struct pwdb_user u;
	struct pwdb_shadow sh;
	struct lk_userinfo ui;
	char name[64], reason[256];

	(void)s;
	assert_int_equal(pwdb_user_byname("root", &u), 1);
	assert_int_equal(pwdb_user_byname("no-such-user-sshmedic", &u), 0);
	assert_string_equal(pwdb_uid_name(0, name, sizeof(name)), "root");
	(void)pwdb_shadow("root", &sh);
	explicit_bzero(&sh, sizeof(sh));
	(void)pwdb_group_private(0, 0, 1000);
	assert_int_equal(lockout_userinfo("root", &ui, reason,
	    sizeof(reason)), 0);
	lockout_userinfo_free(&ui);
	assert_false(mapped("libnss_"));
}

/* The answers equal what this process's own lookups say. */
static void
t_user_matches_getpwnam(void **s)
{
	struct pwdb_user u;
	struct passwd *pw;
	char name[64];

	(void)s;
	assert_int_equal(pwdb_user_byname("root", &u), 1);
	pw = getpwnam("root");
	assert_non_null(pw);
	assert_int_equal(u.uid, pw->pw_uid);
	assert_int_equal(u.gid, pw->pw_gid);
	assert_string_equal(u.name, pw->pw_name);
	assert_string_equal(u.dir, pw->pw_dir);
	assert_string_equal(u.shell, pw->pw_shell);

	assert_int_equal(pwdb_user_byuid(0, &u), 1);
	assert_string_equal(u.name, "root");
	if ((pw = getpwnam("nobody")) != NULL) {
		assert_int_equal(pwdb_user_byname("nobody", &u), 1);
		assert_int_equal(u.uid, pw->pw_uid);
		assert_string_equal(pwdb_uid_name(pw->pw_uid, name,
		    sizeof(name)), "nobody");
	}
	/* Boundaries: empty, absent, a uid nobody has. */
	assert_int_equal(pwdb_user_byname("", &u), 0);
	assert_int_equal(pwdb_user_byname("no-such-user-sshmedic", &u), 0);
	assert_int_equal(pwdb_user_byuid((uid_t)4000000001U, &u), 0);
	assert_string_equal(pwdb_uid_name((uid_t)4000000001U, name,
	    sizeof(name)), "?");
}

static void
t_shadow(void **s)
{
	struct pwdb_shadow sh;

	(void)s;
	/* Only root reads shadow: anyone else gets no entry, never a hash. */
	assert_int_equal(pwdb_shadow("root", &sh) == 1, getuid() == 0);
	explicit_bzero(&sh, sizeof(sh));
	assert_int_equal(pwdb_shadow("no-such-user-sshmedic", &sh), 0);
	assert_int_equal(pwdb_shadow("", &sh), 0);
}

/* lockout_userinfo: the user's groups as getgrouplist names them. */
static void
t_userinfo_groups(void **s)
{
	struct lk_userinfo ui;
	struct group *gr;
	gid_t gids[256];
	int ng = 256, i;
	size_t j;
	char reason[256];

	(void)s;
	assert_int_equal(lockout_userinfo("root", &ui, reason,
	    sizeof(reason)), 0);
	assert_int_equal(ui.exists, 1);
	assert_int_equal(ui.uid, 0);
	assert_string_equal(ui.home, getpwnam("root")->pw_dir);
	assert_true(getgrouplist("root", 0, gids, &ng) >= 0);
	for (i = 0; i < ng; i++) {
		int seen = 0;

		if ((gr = getgrgid(gids[i])) == NULL)
			continue;
		for (j = 0; j < ui.ngroups; j++)
			if (strcmp(ui.groups[j], gr->gr_name) == 0)
				seen = 1;
		assert_true(seen);
	}
	lockout_userinfo_free(&ui);

	assert_int_equal(lockout_userinfo("no-such-user-sshmedic", &ui,
	    reason, sizeof(reason)), 0);
	assert_int_equal(ui.exists, 0);
	lockout_userinfo_free(&ui);
}

static int
hang_fn(const void *arg, char **out, size_t *outlen)
{
	const char *pidfile = arg;
	char buf[32];
	int fd, n;

	(void)out;
	(void)outlen;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if ((fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
		(void)!write(fd, buf, (size_t)n);
		close(fd);
	}
	/* Far past any deadline the test sets: only the kill ends it. */
	(void)sleep(3600);
	return 0;
}

/* A lookup that hangs is killed at the deadline and reaped. */
static void
t_deadline(void **s)
{
	char *pidfile = unit_path(tdir, "pid"), buf[32], *res;
	uint64_t calls0, failed0, calls1, failed1;
	size_t reslen;
	long pid;
	int fd;
	ssize_t n;

	(void)s;
	pwdb_stats(&calls0, &failed0);
	pwdb_set_timeout_ms(300);
	assert_int_equal(pwdb_call(hang_fn, pidfile, &res, &reslen), -1);
	assert_int_equal(errno, ETIMEDOUT);
	pwdb_stats(&calls1, &failed1);
	assert_int_equal(calls1, calls0 + 1);
	assert_int_equal(failed1, failed0 + 1);
	assert_null(res);
	assert_int_equal(reslen, 0);
	pwdb_set_timeout_ms(0);
	fd = open(pidfile, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	assert_true(pid > 0);
	/* Killed and reaped: no such process (not even a zombie) is left. */
	assert_int_equal(kill((pid_t)pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	free(pidfile);
}

static int
die_fn(const void *arg, char **out, size_t *outlen)
{
	(void)arg;
	(void)out;
	(void)outlen;
	raise(SIGKILL);
	return 1;
}

static int
errno_fn(const void *arg, char **out, size_t *outlen)
{
	(void)arg;
	(void)out;
	(void)outlen;
	errno = EPERM;
	return -7;
}

static int
big_fn(const void *arg, char **out, size_t *outlen)
{
	size_t n = *(const size_t *)arg;

	if ((*out = malloc(n)) == NULL)
		return -1;
	memset(*out, 'x', n);
	*outlen = n;
	return 1;
}

/* Open descriptors of the caller are closed in the child. */
static int
fd_fn(const void *arg, char **out, size_t *outlen)
{
	int fd = *(const int *)arg;

	(void)out;
	(void)outlen;
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

static void
t_answers(void **s)
{
	uint64_t calls0, failed0, calls1, failed1;
	char *res;
	size_t reslen, n;
	int fd;

	(void)s;
	/* A child that dies without answering: counted as failed. */
	pwdb_stats(&calls0, &failed0);
	assert_int_equal(pwdb_call(die_fn, NULL, &res, &reslen), -1);
	assert_int_equal(errno, EIO);
	assert_null(res);
	/* Its value and errno come back as they were: an answer, not a failure. */
	assert_int_equal(pwdb_call(errno_fn, NULL, &res, &reslen), -7);
	assert_int_equal(errno, EPERM);
	pwdb_stats(&calls1, &failed1);
	assert_int_equal(calls1, calls0 + 2);
	assert_int_equal(failed1, failed0 + 1);
	/* Answers up to the cap, byte for byte; one more is refused. */
	n = PWDB_RES_MAX;
	assert_int_equal(pwdb_call(big_fn, &n, &res, &reslen), 1);
	assert_int_equal(reslen, n);
	assert_true(res[0] == 'x' && res[n - 1] == 'x');
	free(res);
	n = 1;
	assert_int_equal(pwdb_call(big_fn, &n, &res, &reslen), 1);
	assert_int_equal(reslen, 1);
	free(res);
	n = PWDB_RES_MAX + 1;
	assert_int_equal(pwdb_call(big_fn, &n, &res, &reslen), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(res);
	/* A descriptor of ours (a lock, a socket) is not the child's. */
	/* 3 is where the child's answer goes; every one above is ours. */
	for (fd = 4; fd <= 10; fd++) {
		int mine = fcntl(fd, F_GETFD) == -1;

		if (mine)
			assert_int_equal(dup2(1, fd), fd);
		assert_int_equal(pwdb_call(fd_fn, &fd, &res, &reslen), 1);
		if (mine)
			close(fd);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_no_module_in_caller),
		cmocka_unit_test(t_user_matches_getpwnam),
		cmocka_unit_test(t_shadow),
		cmocka_unit_test(t_userinfo_groups),
		cmocka_unit_test(t_deadline),
		cmocka_unit_test(t_answers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
