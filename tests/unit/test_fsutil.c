/*
 * Unit tests for lib/fsutil.c: atomic writes (including ENOSPC on a tiny
 * tmpfs), capped reads, path safety, mkdir -p, split and copy.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "fsutil.h"

static char *
path_in(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* Number of entries in dir other than . and .. */
static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
t_write_atomic_basic(void **s)
{
	char *d = unit_mkdtemp(), *p = path_in(d, "f"), *buf;
	struct stat sb;
	size_t len;

	(void)s;
	assert_int_equal(fs_write_atomic(p, "hello\n", 6, 1234, 5678, 0640), 0);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0640);
	assert_int_equal(sb.st_uid, 1234);
	assert_int_equal(sb.st_gid, 5678);
	assert_int_equal(fs_read_file(p, 100, 0, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "hello\n");
	free(buf);
	/* Replace, empty content, own owner. */
	assert_int_equal(fs_write_atomic(p, "", 0, (uid_t)-1, (gid_t)-1, 0600), 0);
	assert_int_equal(lstat(p, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(sb.st_uid, geteuid());
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(count_entries(d), 1);	/* no temporary left */
	free(p);
	unit_rmtree(d);
}

static void
t_write_atomic_symlink_replaced(void **s)
{
	char *d = unit_mkdtemp(), *p = path_in(d, "link");
	char *victim = path_in(d, "victim"), *buf;
	struct stat sb;
	size_t len;

	(void)s;
	unit_write(victim, "untouched");
	assert_int_equal(symlink(victim, p), 0);
	assert_int_equal(fs_write_atomic(p, "new", 3, (uid_t)-1, (gid_t)-1, 0644), 0);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(fs_read_file(victim, 100, 0, &buf, &len), 0);
	assert_string_equal(buf, "untouched");
	free(buf);
	free(p);
	free(victim);
	unit_rmtree(d);
}

static void
t_write_atomic_errors(void **s)
{
	char *d = unit_mkdtemp(), *p, *sub = path_in(d, "sub");
	char *lnk = path_in(d, "dirlink");
	int dfd;

	(void)s;
	/* Missing parent. */
	p = path_in(d, "nope/f");
	assert_int_equal(fs_write_atomic(p, "x", 1, (uid_t)-1, (gid_t)-1, 0644), -1);
	assert_int_equal(errno, ENOENT);
	free(p);
	/* Parent reached through a symlink is refused. */
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(symlink(sub, lnk), 0);
	p = path_in(d, "dirlink/f");
	assert_int_equal(fs_write_atomic(p, "x", 1, (uid_t)-1, (gid_t)-1, 0644), -1);
	/* O_DIRECTORY|O_NOFOLLOW on a symlink: Linux says ENOTDIR. */
	assert_true(errno == ELOOP || errno == ENOTDIR);
	assert_int_equal(count_entries(sub), 0);
	free(p);
	/* Bad names. */
	dfd = open(d, O_RDONLY|O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(fs_write_atomicat(dfd, "a/b", "x", 1, (uid_t)-1, (gid_t)-1, 0644), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fs_write_atomicat(dfd, "", "x", 1, (uid_t)-1, (gid_t)-1, 0644), -1);
	assert_int_equal(fs_write_atomicat(dfd, "..", "x", 1, (uid_t)-1, (gid_t)-1, 0644), -1);
	/* A directory in the way: rename fails, the temporary is gone. */
	assert_int_equal(fs_write_atomicat(dfd, "sub", "x", 1, (uid_t)-1, (gid_t)-1, 0644), -1);
	assert_int_equal(errno, EISDIR);
	close(dfd);
	assert_int_equal(count_entries(d), 2);
	assert_int_equal(fs_write_atomic("", "x", 1, (uid_t)-1, (gid_t)-1, 0644), -1);
	free(sub);
	free(lnk);
	unit_rmtree(d);
}

static void
t_write_atomic_enospc(void **s)
{
	char *d = unit_mkdtemp(), *p = path_in(d, "target"), *buf, *big;
	size_t len, bigsz = 256 * 1024;

	(void)s;
	if (mount("tmpfs", d, "tmpfs", 0, "size=64k") == -1) {
		fprintf(stderr, "mount tmpfs: %s (skipped)\n", strerror(errno));
		unit_rmtree(d);
		skip();
	}
	unit_write(p, "original content\n");
	big = malloc(bigsz);
	assert_non_null(big);
	memset(big, 'A', bigsz);
	assert_int_equal(fs_write_atomic(p, big, bigsz, (uid_t)-1, (gid_t)-1, 0644), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(count_entries(d), 1);
	assert_int_equal(fs_read_file(p, 100, 0, &buf, &len), 0);
	assert_string_equal(buf, "original content\n");
	free(buf);
	/* Copy of a big file fails the same clean way. */
	{
		char *src;
		int fd;

		assert_true(asprintf(&src, "/tmp/sshmedic-unit-big.%d", (int)getpid()) > 0);
		fd = open(src, O_WRONLY|O_CREAT|O_TRUNC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, big, bigsz), (ssize_t)bigsz);
		close(fd);
		assert_int_equal(fs_copy_file(src, p, 0600), -1);
		assert_int_equal(errno, ENOSPC);
		assert_int_equal(count_entries(d), 1);
		unlink(src);
		free(src);
	}
	free(big);
	assert_int_equal(umount(d), 0);
	free(p);
	unit_rmtree(d);
}

static void
t_read_caps(void **s)
{
	char *d = unit_mkdtemp(), *p = path_in(d, "f"), *buf;
	char *lnk = path_in(d, "l"), *fifo = path_in(d, "fifo");
	size_t len;

	(void)s;
	unit_write(p, "0123456789");
	/* Exactly at the cap, one over. */
	assert_int_equal(fs_read_file(p, 10, 0, &buf, &len), 0);
	assert_int_equal(len, 10);
	free(buf);
	assert_int_equal(fs_read_file(p, 9, 0, &buf, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(buf);
	/* Empty file. */
	unit_write(p, "");
	assert_int_equal(fs_read_file(p, 0, 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	/* Symlinks only when asked. */
	assert_int_equal(symlink(p, lnk), 0);
	assert_int_equal(fs_read_file(lnk, 10, 0, &buf, &len), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(fs_read_file(lnk, 10, 1, &buf, &len), 0);
	free(buf);
	/* Directory, fifo. */
	assert_int_equal(fs_read_file(d, 10, 0, &buf, &len), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(fs_read_file(fifo, 10, 0, &buf, &len), -1);
	assert_int_equal(errno, EINVAL);
	{
		int dfd = open(d, O_RDONLY|O_DIRECTORY);

		assert_int_equal(fs_read_fileat(dfd, "f", 10, &buf, &len), 0);
		free(buf);
		assert_int_equal(fs_read_fileat(dfd, "l", 10, &buf, &len), -1);
		assert_int_equal(errno, ELOOP);
		close(dfd);
	}
	assert_int_equal(fs_fsync_dir(d), 0);
	assert_int_equal(fs_fsync_dir(p), -1);
	free(p);
	free(lnk);
	free(fifo);
	unit_rmtree(d);
}

/* fs_read_fd reads to the cap, leaves the fd open, and reads from its offset. */
static void
t_read_fd(void **s)
{
	char *d = unit_mkdtemp(), *p = path_in(d, "f"), *buf;
	size_t len;
	int fd;

	(void)s;
	unit_write(p, "0123456789");
	assert_true((fd = open(p, O_RDONLY|O_CLOEXEC)) >= 0);
	assert_int_equal(fs_read_fd(fd, 9, &buf, &len), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(buf);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fs_read_fd(fd, 10, &buf, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);
	/* Still open: a second read sees end of file. */
	assert_int_equal(fs_read_fd(fd, 10, &buf, &len), 0);
	assert_int_equal(len, 0);
	free(buf);
	assert_int_equal(close(fd), 0);
	free(p);
	unit_rmtree(d);
}

static void
t_mkdir_p(void **s)
{
	char *d = unit_mkdtemp(), *p = path_in(d, "a/b//c/"), *f;
	struct stat sb;

	(void)s;
	assert_int_equal(fs_mkdir_p(p, 0750), 0);
	assert_int_equal(fs_mkdir_p(p, 0750), 0);	/* exists: fine */
	free(p);
	p = path_in(d, "a/b/c");
	assert_int_equal(stat(p, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0750);
	f = path_in(d, "a/file");
	unit_write(f, "x");
	free(p);
	p = path_in(d, "a/file/sub");
	assert_int_equal(fs_mkdir_p(p, 0755), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(fs_mkdir_p("", 0755), -1);
	free(p);
	free(f);
	unit_rmtree(d);
}

static void
t_split(void **s)
{
	char *dir, *base;

	(void)s;
	assert_int_equal(fs_split("/etc/ssh/sshd_config", &dir, &base), 0);
	assert_string_equal(dir, "/etc/ssh");
	assert_string_equal(base, "sshd_config");
	free(dir);
	free(base);
	assert_int_equal(fs_split("/f", &dir, &base), 0);
	assert_string_equal(dir, "/");
	assert_string_equal(base, "f");
	free(dir);
	free(base);
	assert_int_equal(fs_split("rel", &dir, &base), 0);
	assert_string_equal(dir, ".");
	free(dir);
	free(base);
	assert_int_equal(fs_split("/a//b", &dir, &base), 0);
	assert_string_equal(dir, "/a");
	assert_string_equal(base, "b");
	free(dir);
	free(base);
	assert_int_equal(fs_split("", &dir, &base), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fs_split("/", &dir, &base), -1);
	assert_int_equal(fs_split("/a/", &dir, &base), -1);
	assert_int_equal(fs_split("/a/..", &dir, &base), -1);
	assert_null(dir);
	assert_null(base);
}

static void
t_path_is_safe(void **s)
{
	char *d = unit_mkdtemp(), *p = path_in(d, "f"), err[256];
	char *sub = path_in(d, "sub"), *q = path_in(d, "sub/g");
	char *lnk = path_in(d, "lnk");

	(void)s;
	/* /tmp itself is 1777: anything under it is unsafe, like OpenSSH. */
	unit_write(p, "x");
	assert_int_equal(fs_path_is_safe(p, 0, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "directory /tmp"));
	/* A tree of our own under a safe root. */
	assert_int_equal(fs_path_is_safe("/etc/passwd", 0, err, sizeof(err)), 1);
	assert_int_equal(fs_path_is_safe("/etc", 0, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(fs_path_is_safe("/nonexistent/x", 0, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	/* Under /tmp, build a chain and test the file checks against /tmp's mode. */
	assert_int_equal(mkdir(sub, 0755), 0);
	unit_write(q, "y");
	assert_int_equal(chmod(q, 0666), 0);
	assert_int_equal(fs_path_is_safe(q, 0, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "for file"));
	assert_int_equal(chmod(q, 0644), 0);
	assert_int_equal(chown(q, 4242, 0), 0);
	assert_int_equal(fs_path_is_safe(q, 0, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "for file"));
	/* Owned by the given uid is allowed for the file; parents decide. */
	assert_int_equal(chmod(sub, 0775), 0);
	assert_int_equal(fs_path_is_safe(q, 4242, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "directory"));
	assert_non_null(strstr(err, "/sub"));
	/* Through a symlink: the real path is what is checked. */
	assert_int_equal(symlink("/etc/passwd", lnk), 0);
	assert_int_equal(fs_path_is_safe(lnk, 0, err, sizeof(err)), 1);
	free(p);
	free(q);
	free(sub);
	free(lnk);
	unit_rmtree(d);
}

static void
t_copy_file(void **s)
{
	char *d = unit_mkdtemp(), *a = path_in(d, "a"), *b = path_in(d, "b");
	char *l = path_in(d, "l"), *buf;
	struct stat sb;
	size_t len;

	(void)s;
	unit_write(a, "copy me");
	assert_int_equal(fs_copy_file(a, b, 0400), 0);
	assert_int_equal(fs_read_file(b, 100, 0, &buf, &len), 0);
	assert_string_equal(buf, "copy me");
	free(buf);
	assert_int_equal(stat(b, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0400);
	assert_int_equal(symlink(a, l), 0);
	assert_int_equal(fs_copy_file(l, b, 0600), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(fs_copy_file(d, b, 0600), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(count_entries(d), 3);
	free(a);
	free(b);
	free(l);
	unit_rmtree(d);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(t_write_atomic_basic),
		cmocka_unit_test(t_write_atomic_symlink_replaced),
		cmocka_unit_test(t_write_atomic_errors),
		cmocka_unit_test(t_write_atomic_enospc),
		cmocka_unit_test(t_read_caps),
		cmocka_unit_test(t_read_fd),
		cmocka_unit_test(t_mkdir_p),
		cmocka_unit_test(t_split),
		cmocka_unit_test(t_path_is_safe),
		cmocka_unit_test(t_copy_file),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
