/*
 * Tests for lib/homefs.c: the walk rules (no symlink below the home, only
 * root's above it), atomic writes as the user, StrictModes check and fix.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "homefs.h"

static char *tdir;
static char home[1024];
static struct hf_user user;

/* As root the user is nobody (65534), so ownership changes are visible. */
static int
setup(void **s)
{
	(void)s;
	tdir = unit_mkdtemp();
	assert_int_equal(chmod(tdir, 0755), 0);
	snprintf(home, sizeof(home), "%s/home", tdir);
	assert_int_equal(mkdir(home, 0755), 0);
	user.name = "tester";
	user.uid = getuid() == 0 ? 65534 : getuid();
	user.gid = getuid() == 0 ? 65534 : getgid();
	user.home = home;
	if (getuid() == 0)
		assert_int_equal(chown(home, user.uid, user.gid), 0);
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

static void
path_in(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", home, rel);
}

static void
test_write_creates_dirs(void **s)
{
	char p[PATH_MAX], d[PATH_MAX], err[512], *buf;
	struct stat sb;
	size_t len;

	(void)s;
	path_in(p, sizeof(p), ".ssh/authorized_keys");
	assert_int_equal(hf_write(&user, p, "key\n", 4, user.uid,
	    user.gid, 0600, err, sizeof(err)), 0);
	path_in(d, sizeof(d), ".ssh");
	assert_int_equal(lstat(d, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(sb.st_uid, user.uid);
	assert_int_equal(lstat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_uid, user.uid);
	assert_int_equal(sb.st_gid, user.gid);
	assert_int_equal(hf_read(&user, p, 1024, &buf, &len, &sb, err,
	    sizeof(err)), 0);
	assert_int_equal(len, 4);
	assert_string_equal(buf, "key\n");
	free(buf);
	/* A second write replaces the file (still one, no temporaries). */
	assert_int_equal(hf_write(&user, p, "two\n", 4, user.uid,
	    user.gid, 0600, err, sizeof(err)), 0);
	assert_int_equal(unit_count_entries(d), 1);
}

static void
test_read_missing_and_bounds(void **s)
{
	char p[PATH_MAX], err[512], *buf;
	size_t len;

	(void)s;
	path_in(p, sizeof(p), "nope/file");
	assert_int_equal(hf_read(&user, p, 10, &buf, &len, NULL, err,
	    sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	path_in(p, sizeof(p), "big");
	unit_write(p, "0123456789A");
	assert_int_equal(hf_read(&user, p, 10, &buf, &len, NULL, err,
	    sizeof(err)), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(hf_read(&user, p, 11, &buf, &len, NULL, err,
	    sizeof(err)), 0);
	free(buf);
	/* Relative paths, "." and ".." are refused outright. */
	assert_int_equal(hf_read(&user, "rel/path", 10, &buf, &len, NULL, err,
	    sizeof(err)), -1);
	assert_int_equal(errno, EINVAL);
	path_in(p, sizeof(p), "../home/big");
	assert_int_equal(hf_read(&user, p, 100, &buf, &len, NULL, err,
	    sizeof(err)), -1);
	assert_int_equal(errno, EINVAL);
	path_in(p, sizeof(p), "./big");
	assert_int_equal(hf_read(&user, p, 100, &buf, &len, NULL, err,
	    sizeof(err)), -1);
	assert_int_equal(errno, EINVAL);
	/* A directory is not a file. */
	assert_int_equal(hf_read(&user, home, 100, &buf, &len, NULL, err,
	    sizeof(err)), -1);
}

/* The classic: ~/.ssh/authorized_keys -> a secret file. */
static void
test_symlink_final_not_followed(void **s)
{
	char p[PATH_MAX], d[PATH_MAX], secret[PATH_MAX], err[512], *buf;
	struct stat sb;
	size_t len;

	(void)s;
	snprintf(secret, sizeof(secret), "%s/shadow", tdir);
	unit_write(secret, "root:$6$secret:1::::::\n");
	path_in(d, sizeof(d), ".ssh");
	assert_int_equal(mkdir(d, 0700), 0);
	path_in(p, sizeof(p), ".ssh/authorized_keys");
	assert_int_equal(symlink(secret, p), 0);
	assert_int_equal(hf_read(&user, p, 1024, &buf, &len, NULL, err,
	    sizeof(err)), -1);
	assert_int_equal(errno, ELOOP);
	assert_non_null(strstr(err, "symlink"));
	assert_null(strstr(err, "$6$"));
	/* A write replaces the link, never the file it points at. */
	assert_int_equal(hf_write(&user, p, "key\n", 4, user.uid,
	    user.gid, 0600, err, sizeof(err)), 0);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(fs_read_file(secret, 1024, 0, &buf, &len), 0);
	assert_string_equal(buf, "root:$6$secret:1::::::\n");
	free(buf);
}

/* ~/.ssh itself a symlink to a directory elsewhere. */
static void
test_symlink_dir_below_home(void **s)
{
	char p[PATH_MAX], d[PATH_MAX], other[1024], err[512], *buf;
	size_t len;

	(void)s;
	snprintf(other, sizeof(other), "%s/elsewhere", tdir);
	assert_int_equal(mkdir(other, 0755), 0);
	snprintf(p, sizeof(p), "%s/authorized_keys", other);
	unit_write(p, "planted\n");
	path_in(d, sizeof(d), ".ssh");
	assert_int_equal(symlink(other, d), 0);
	path_in(p, sizeof(p), ".ssh/authorized_keys");
	assert_int_equal(hf_read(&user, p, 1024, &buf, &len, NULL, err,
	    sizeof(err)), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(hf_write(&user, p, "key\n", 4, user.uid,
	    user.gid, 0600, err, sizeof(err)), -1);
	assert_int_equal(errno, ELOOP);
	snprintf(p, sizeof(p), "%s/authorized_keys", other);
	assert_int_equal(fs_read_file(p, 1024, 0, &buf, &len), 0);
	assert_string_equal(buf, "planted\n");
	free(buf);
}

/*
 * Above the home a symlink is followed only when root placed it in a
 * directory only root can write (the temporary directory is root's 0755
 * when the tests run as root).
 */
static void
test_symlink_above_home(void **s)
{
	char link[1024], p[PATH_MAX], err[512], *buf;
	struct hf_user viahome = user;
	size_t len;
	int r;

	(void)s;
	snprintf(link, sizeof(link), "%s/homelink", tdir);
	assert_int_equal(symlink(home, link), 0);
	path_in(p, sizeof(p), "file");
	unit_write(p, "x\n");
	if (getuid() == 0)
		assert_int_equal(chown(p, user.uid, user.gid), 0);
	viahome.home = link;
	snprintf(p, sizeof(p), "%s/file", link);
	r = hf_read(&viahome, p, 100, &buf, &len, NULL, err, sizeof(err));
	if (getuid() == 0) {
		assert_int_equal(r, 0);
		free(buf);
		/* The same link in a directory others may write: refused. */
		assert_int_equal(chmod(tdir, 0777), 0);
		assert_int_equal(hf_read(&viahome, p, 100, &buf, &len, NULL,
		    err, sizeof(err)), -1);
		assert_int_equal(errno, ELOOP);
		assert_int_equal(chmod(tdir, 0755), 0);
	} else {
		assert_int_equal(r, -1);
		assert_int_equal(errno, ELOOP);
	}
}

static void
test_check_and_fix_modes(void **s)
{
	char p[PATH_MAX], d[PATH_MAX], prob[2048], did[2048], err[2048];
	struct stat sb;

	(void)s;
	path_in(p, sizeof(p), ".ssh/authorized_keys");
	assert_int_equal(hf_write(&user, p, "key\n", 4, user.uid,
	    user.gid, 0600, err, sizeof(err)), 0);
	assert_int_equal(hf_check_modes(&user, p, prob, sizeof(prob)), 1);
	assert_string_equal(prob, "");

	/* chmod 777 ~ ; chmod 666 authorized_keys */
	assert_int_equal(chmod(home, 0777), 0);
	assert_int_equal(chmod(p, 0666), 0);
	assert_int_equal(hf_check_modes(&user, p, prob, sizeof(prob)), 0);
	assert_non_null(strstr(prob, home));
	assert_non_null(strstr(prob, "authorized_keys writable by other"));
	assert_int_equal(hf_fix_modes(&user, p, did, sizeof(did), err,
	    sizeof(err)), 0);
	assert_non_null(strstr(did, "group/other write removed"));
	assert_int_equal(stat(home, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	assert_int_equal(hf_check_modes(&user, p, prob, sizeof(prob)), 1);
	/* Nothing left to do: an empty list. */
	assert_int_equal(hf_fix_modes(&user, p, did, sizeof(did), err,
	    sizeof(err)), 0);
	assert_string_equal(did, "");

	if (getuid() == 0) {
		/* ~/.ssh owned by someone else (root is fine for sshd). */
		path_in(d, sizeof(d), ".ssh");
		assert_int_equal(chown(d, 1, 1), 0);
		assert_int_equal(hf_check_modes(&user, p, prob, sizeof(prob)),
		    0);
		assert_non_null(strstr(prob, "owned by someone else"));
		assert_int_equal(hf_fix_modes(&user, p, did, sizeof(did), err,
		    sizeof(err)), 0);
		assert_int_equal(stat(d, &sb), 0);
		assert_int_equal(sb.st_uid, user.uid);
		assert_int_equal(chown(d, 0, 0), 0);
		assert_int_equal(hf_check_modes(&user, p, prob, sizeof(prob)),
		    1);
	}
}

static void
test_fix_refuses_outside_home(void **s)
{
	char p[PATH_MAX], did[256], err[512];

	(void)s;
	snprintf(p, sizeof(p), "%s/keys", tdir);
	unit_write(p, "k\n");
	assert_int_equal(chmod(p, 0666), 0);
	assert_int_equal(hf_fix_modes(&user, p, did, sizeof(did), err,
	    sizeof(err)), -1);
	assert_int_equal(errno, EPERM);
	/* The check still reports it (sshd walks up to / there). */
	assert_int_equal(hf_check_modes(&user, p, err, sizeof(err)), 0);
}

static void
test_check_symlink_is_problem(void **s)
{
	char p[PATH_MAX], d[PATH_MAX], prob[1024];

	(void)s;
	path_in(d, sizeof(d), ".ssh");
	assert_int_equal(mkdir(d, 0700), 0);
	if (getuid() == 0)
		assert_int_equal(chown(d, user.uid, user.gid), 0);
	path_in(p, sizeof(p), ".ssh/authorized_keys");
	assert_int_equal(symlink("/etc/shadow", p), 0);
	assert_int_equal(hf_check_modes(&user, p, prob, sizeof(prob)), 0);
	assert_non_null(strstr(prob, "symlink"));
	/* A missing file is nothing sshd refuses. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(hf_check_modes(&user, p, prob, sizeof(prob)), 1);
}

static void
test_user_lookup(void **s)
{
	struct hf_user u;
	char buf[4096];

	(void)s;
	assert_int_equal(hf_user_lookup("root", &u, buf, sizeof(buf)), 0);
	assert_int_equal(u.uid, 0);
	assert_string_equal(u.name, "root");
	assert_int_equal(hf_user_lookup("no-such-user-sshmedic", &u, buf,
	    sizeof(buf)), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(hf_user_lookup("root", &u, buf, 8), -1);
	assert_int_equal(errno, ERANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_creates_dirs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_missing_and_bounds,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_final_not_followed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_dir_below_home,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_above_home, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_and_fix_modes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fix_refuses_outside_home,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_symlink_is_problem,
		    setup, teardown),
		cmocka_unit_test(test_user_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
