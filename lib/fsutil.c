/*
 * Safe file operations for everything sshmedic writes or reads: atomic
 * replacement through a same-directory temporary, capped reads, path checks.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "xmalloc.h"

#define FS_TMP_TRIES	16
#define FS_COPY_CHUNK	65536
/* Parents walked by fs_path_is_safe: more than any real path has. */
#define FS_MAX_DEPTH	(PATH_MAX / 2)

/* See fsutil.h: 0/-1 with errno. */
int
fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Copies srcfd to fd until EOF. 0/-1 with errno. */
static int
copy_fd(int srcfd, int fd)
{
	char *chunk = xmalloc(FS_COPY_CHUNK);
	ssize_t r;
	int ret = -1;

	for (;;) {
		r = read(srcfd, chunk, FS_COPY_CHUNK);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (r == 0)
			break;
		if (fs_write_all(fd, chunk, (size_t)r) == -1)
			goto out;
	}
	ret = 0;
 out:
	free(chunk);
	return ret;
}

/*
 * The one atomic writer: content from buf, or from srcfd when srcfd >= 0.
 * Every failure path unlinks the temporary, so ENOSPC leaves nothing behind.
 */
static int
atomic_at(int dirfd, const char *name, const void *buf, size_t len, int srcfd,
    uid_t uid, gid_t gid, mode_t mode)
{
	char tmp[64], id[33];
	int fd = -1, i, saved;

	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < FS_TMP_TRIES; i++) {
		random_id(id);
		snprintf(tmp, sizeof(tmp), "%s%.16s", FS_TMP_PREFIX, id);
		fd = openat(dirfd, tmp,
		    O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return -1;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchown(fd, uid, gid) == -1)
		goto fail;
	if (fchmod(fd, mode & 07777) == -1)
		goto fail;
	if (srcfd >= 0) {
		if (copy_fd(srcfd, fd) == -1)
			goto fail;
	} else if (fs_write_all(fd, buf, len) == -1)
		goto fail;
	if (fsync(fd) == -1)
		goto fail;
	i = close(fd);
	fd = -1;
	if (i == -1)
		goto fail;
	if (renameat(dirfd, tmp, dirfd, name) == -1)
		goto fail;
	/* The rename happened; a failed directory fsync is still reported. */
	if (fsync(dirfd) == -1) {
		saved = errno;
		error_f("fsync directory of %s: %s", name, strerror(errno));
		errno = saved;
		return -1;
	}
	return 0;
 fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (unlinkat(dirfd, tmp, 0) == -1 && errno != ENOENT)
		error_f("unlink temporary %s: %s", tmp, strerror(errno));
	errno = saved;
	return -1;
}

/* See fsutil.h: how many were removed, or -1 with errno. */
int
fs_sweep_temps(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int fd, n = 0, seen = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL && seen++ < FS_SWEEP_MAX) {
		if (strncmp(de->d_name, FS_TMP_PREFIX,
		    strlen(FS_TMP_PREFIX)) != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
			info_f("removed stale temporary %s/%s", dir, de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

/* Opens the parent directory of path without following its last component. */
static int
open_parent(const char *path, char **base)
{
	char *dir;
	int dfd, saved;

	if (fs_split(path, &dir, base) == -1)
		return -1;
	dfd = open(dir, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	saved = errno;
	free(dir);
	if (dfd < 0) {
		free(*base);
		*base = NULL;
		errno = saved;
	}
	return dfd;
}

/* See fsutil.h: 0/-1 with errno. */
int
fs_write_atomicat(int dirfd, const char *name, const void *buf, size_t len,
    uid_t uid, gid_t gid, mode_t mode)
{
	return atomic_at(dirfd, name, buf, len, -1, uid, gid, mode);
}

/* See fsutil.h: 0/-1 with errno. */
int
fs_write_atomic(const char *path, const void *buf, size_t len, uid_t uid,
    gid_t gid, mode_t mode)
{
	char *base;
	int dfd, r, saved;

	if ((dfd = open_parent(path, &base)) < 0)
		return -1;
	r = atomic_at(dfd, base, buf, len, -1, uid, gid, mode);
	saved = errno;
	close(dfd);
	free(base);
	errno = saved;
	return r;
}

/* See fsutil.h: 0/-1 with errno (EFBIG, EISDIR, EINVAL). */
int
fs_read_fd(int fd, size_t cap, char **bufp, size_t *lenp)
{
	struct stat sb;
	char *buf = NULL;
	size_t have = 0, alloc;
	ssize_t r;
	int saved;

	*bufp = NULL;
	*lenp = 0;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (!S_ISREG(sb.st_mode)) {
		errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (sb.st_size < 0 || (unsigned long long)sb.st_size > cap) {
		errno = EFBIG;
		goto fail;
	}
	/* One spare byte to see growth past cap, one for the NUL. */
	alloc = (size_t)sb.st_size + 2;
	buf = xmalloc(alloc);
	for (;;) {
		if (have + 1 >= alloc) {
			if (alloc > cap + 1) {
				errno = EFBIG;
				goto fail;
			}
			alloc = alloc * 2 > cap + 2 ? cap + 2 : alloc * 2;
			buf = xreallocarray(buf, 1, alloc);
		}
		r = read(fd, buf + have, alloc - 1 - have);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		have += (size_t)r;
		if (have > cap) {
			errno = EFBIG;
			goto fail;
		}
	}
	buf[have] = '\0';
	*bufp = buf;
	*lenp = have;
	return 0;
 fail:
	saved = errno;
	free(buf);
	errno = saved;
	return -1;
}

/* fs_read_fd, then closes fd. */
static int
read_fd(int fd, size_t cap, char **bufp, size_t *lenp)
{
	int r, saved;

	r = fs_read_fd(fd, cap, bufp, lenp);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* See fsutil.h: 0/-1 with errno. */
int
fs_read_file(const char *path, size_t cap, int follow, char **buf, size_t *len)
{
	int fd;

	/* O_NONBLOCK: opening a fifo planted at path must not hang us. */
	fd = open(path, O_RDONLY|O_CLOEXEC|O_NONBLOCK|O_NOCTTY|
	    (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return -1;
	return read_fd(fd, cap, buf, len);
}

/* See fsutil.h: 0/-1 with errno. */
int
fs_read_fileat(int dirfd, const char *name, size_t cap, char **buf,
    size_t *len)
{
	int fd;

	fd = openat(dirfd, name, O_RDONLY|O_CLOEXEC|O_NONBLOCK|O_NOCTTY|
	    O_NOFOLLOW);
	if (fd < 0)
		return -1;
	return read_fd(fd, cap, buf, len);
}

/* See fsutil.h: 0/-1 with errno. */
int
fs_fsync_dir(const char *dir)
{
	int fd, r, saved;

	if ((fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC)) < 0)
		return -1;
	r = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* See fsutil.h: 0/-1 with errno (ENOTDIR when a component is not one). */
int
fs_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	struct stat sb;
	size_t i, len;

	if (path == NULL || *path == '\0') {
		errno = EINVAL;
		return -1;
	}
	if ((len = sm_strlcpy(buf, path, sizeof(buf))) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue;	/* "//" or a trailing slash */
		buf[i] = '\0';
		if (mkdir(buf, mode) == -1) {
			if (errno != EEXIST)
				return -1;
			if (stat(buf, &sb) == -1)
				return -1;
			if (!S_ISDIR(sb.st_mode)) {
				errno = ENOTDIR;
				return -1;
			}
		}
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

static int
unsafe_owner_mode(const struct stat *sb, uid_t uid)
{
	return (sb->st_uid != 0 && sb->st_uid != uid) ||
	    (sb->st_mode & 022) != 0;
}

/*
 * See fsutil.h: 1 safe, 0 unsafe, -1 error. The parents are walked with
 * openat(".."), so a rename of a path component during the walk cannot
 * make us check a different directory than the one holding the file.
 */
int
fs_path_is_safe(const char *path, uid_t uid, char *err, size_t errlen)
{
	char canon[PATH_MAX], *slash;
	struct stat sb, rsb, psb;
	int fd = -1, dfd = -1, nfd, depth, ret = -1, saved;

	if (errlen > 0)
		*err = '\0';
	if (realpath(path, canon) == NULL) {
		snprintf(err, errlen, "realpath %s: %s", path, strerror(errno));
		return -1;
	}
	fd = open(canon, O_RDONLY|O_CLOEXEC|O_NONBLOCK|O_NOCTTY|O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "open %s: %s", canon, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", canon);
		ret = 0;
		goto out;
	}
	if (unsafe_owner_mode(&sb, uid)) {
		snprintf(err, errlen, "bad ownership or modes for file %s",
		    canon);
		ret = 0;
		goto out;
	}
	if (stat("/", &rsb) == -1) {
		snprintf(err, errlen, "stat /: %s", strerror(errno));
		goto out;
	}
	if ((slash = strrchr(canon, '/')) != NULL)
		*(slash == canon ? slash + 1 : slash) = '\0';
	dfd = open(canon, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
	for (depth = 0; depth < FS_MAX_DEPTH; depth++) {
		if (dfd < 0 || fstat(dfd, &psb) == -1) {
			snprintf(err, errlen, "open directory %s: %s", canon,
			    strerror(errno));
			goto out;
		}
		if (!S_ISDIR(psb.st_mode) || unsafe_owner_mode(&psb, uid)) {
			snprintf(err, errlen,
			    "bad ownership or modes for directory %s", canon);
			ret = 0;
			goto out;
		}
		if (psb.st_dev == rsb.st_dev && psb.st_ino == rsb.st_ino) {
			ret = 1;
			goto out;
		}
		if ((slash = strrchr(canon, '/')) != NULL)
			*(slash == canon ? slash + 1 : slash) = '\0';
		nfd = openat(dfd, "..", O_RDONLY|O_DIRECTORY|O_CLOEXEC);
		close(dfd);
		dfd = nfd;
	}
	snprintf(err, errlen, "%s: too deep", path);
	errno = ELOOP;
 out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	errno = saved;
	return ret;
}

/*
 * See fsutil.h: 0/-1 (EINVAL for "", "/", a trailing slash, or a base
 * name "." or ".."). Repeated slashes before the base are dropped.
 */
int
fs_split(const char *path, char **dir, char **base)
{
	const char *slash, *b;
	size_t dlen;

	*dir = *base = NULL;
	if (path == NULL || *path == '\0') {
		errno = EINVAL;
		return -1;
	}
	slash = strrchr(path, '/');
	b = slash == NULL ? path : slash + 1;
	if (*b == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if (slash == NULL) {
		*dir = xstrdup(".");
	} else {
		dlen = (size_t)(slash - path);
		while (dlen > 0 && path[dlen - 1] == '/')
			dlen--;
		*dir = dlen == 0 ? xstrdup("/") : xstrndup(path, dlen);
	}
	*base = xstrdup(b);
	return 0;
}

/* See fsutil.h: 0/-1 with errno (EINVAL when src is not a regular file). */
int
fs_copy_file(const char *src, const char *dst, mode_t mode)
{
	struct stat sb;
	char *base = NULL;
	int sfd, dfd = -1, r = -1, saved;

	sfd = open(src, O_RDONLY|O_CLOEXEC|O_NONBLOCK|O_NOCTTY|O_NOFOLLOW);
	if (sfd < 0)
		return -1;
	if (fstat(sfd, &sb) == -1)
		goto out;
	if (!S_ISREG(sb.st_mode)) {
		errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
		goto out;
	}
	if ((dfd = open_parent(dst, &base)) < 0)
		goto out;
	r = atomic_at(dfd, base, NULL, 0, sfd, (uid_t)-1, (gid_t)-1, mode);
 out:
	saved = errno;
	close(sfd);
	if (dfd >= 0)
		close(dfd);
	free(base);
	errno = saved;
	return r;
}

/* See fsutil.h. */
void
fs_sig_of(const char *path, struct fs_sig *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (lstat(path, &st) == -1)
		return;
	s->present = 1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL +
	    st.st_mtim.tv_nsec;
	s->ctime_ns = (long long)st.st_ctim.tv_sec * 1000000000LL +
	    st.st_ctim.tv_nsec;
	s->mode = st.st_mode;
	s->uid = st.st_uid;
	s->gid = st.st_gid;
}

/* See fsutil.h: 1/0. */
int
fs_sig_equal(const struct fs_sig *a, const struct fs_sig *b)
{
	if (a->present != b->present)
		return 0;
	return !a->present || (a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime_ns == b->mtime_ns &&
	    a->ctime_ns == b->ctime_ns && a->mode == b->mode &&
	    a->uid == b->uid && a->gid == b->gid);
}
