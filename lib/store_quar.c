/*
 * The quarantine: rejected files copied (or moved aside) into a directory
 * per event with a .meta beside each, never deleted, pruned oldest first.
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
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

/*
 * Quarantine. Each event has quarantine/<YYYYmmddTHHMMSS>-<evid>/; each
 * rejected object gets a slot named after its encoded path plus "~N"
 * ('~' never occurs in an encoded path, so no slot collides with another
 * path's ".meta"): "SLOT" (file content or symlink target text), "SLOT.d/"
 * (a directory's regular files), "SLOT" moved in whole, and "SLOT.meta":
 *
 *   version=1, path=, type=(file|symlink|dir|fifo|socket|chardev|blockdev),
 *   uid=, gid=, mode= (octal), size=, sha256= (file content, symlink text or
 *   directory listing; - for others), target= (symlink), entry=TYPE:NAME
 *   (directory, one per entry), moved_to= (when moved), reason=, evid=, time=
 *
 * Text values are encoded like manifest fields.
 */
#define QUAR_SUB	STORE_QUAR_DIR
#define QUAR_SLOTS	64
#define QUAR_DIRENTS	1024
#define QUAR_LIST_MAX	100000
#define QUAR_STAMP_LEN	15	/* YYYYmmddTHHMMSS */
#define QUAR_BASE_MAX	200

/* Predicate: an event id usable in a directory name. */
static int
evid_ok(const char *evid)
{
	return sm_token_ok(evid, 64, "_-");
}

static int
quar_is_name(const char *name)
{
	size_t i;

	if (strlen(name) < QUAR_STAMP_LEN + 2 || name[QUAR_STAMP_LEN] != '-')
		return 0;
	for (i = 0; i < QUAR_STAMP_LEN; i++)
		if (i == 8 ? name[i] != 'T' : (name[i] < '0' || name[i] > '9'))
			return 0;
	return evid_ok(name + QUAR_STAMP_LEN + 1);
}

/* Names of the event directories, ascending (oldest first). */
static int
quar_names(int qfd, char ***names, size_t *n)
{
	struct dirent *de;
	DIR *d;
	int fd;

	*names = NULL;
	*n = 0;
	if ((fd = dup(qfd)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL && *n < QUAR_LIST_MAX) {
		if (!quar_is_name(de->d_name))
			continue;
		*names = xreallocarray(*names, *n + 1, sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), sm_strpcmp);
	return 0;
}

/* See store_int.h: 0/-1 with errno (ELOOP past STORE_RM_DEPTH). */
int
store_rmtree_at(int dfd, const char *name, int depth)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int fd, r = 0;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlinkat(dfd, name, 0);
	if (depth >= STORE_RM_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (store_rmtree_at(dirfd(d), de->d_name, depth + 1) == -1)
			r = -1;
	}
	closedir(d);
	if (r == 0)
		r = unlinkat(dfd, name, AT_REMOVEDIR);
	return r;
}

/* Drops the oldest event directories beyond keep_quarantine, loudly. */
static void
prune_quarantine(struct store *st, int qfd, const char *keep_name)
{
	char **names;
	size_t n, i, drop;

	if (st->keep_quarantine < 1 || quar_names(qfd, &names, &n) == -1)
		return;
	drop = n > (size_t)st->keep_quarantine ?
	    n - (size_t)st->keep_quarantine : 0;
	for (i = 0; i < n && drop > 0; i++) {
		if (strcmp(names[i], keep_name) == 0)
			continue;
		if (store_rmtree_at(qfd, names[i], 0) == -1)
			error_f("prune quarantine %s: %s", names[i],
			    strerror(errno));
		else
			logit("quarantine %s pruned (keep_quarantine %d)",
			    names[i], st->keep_quarantine);
		drop--;
	}
	sm_strv_free(names, n);
}

/* Finds or creates the event's quarantine directory; returns its fd. */
static int
quar_event_dir(struct store *st, const char *evid, char *name, size_t len)
{
	char **names, stamp[QUAR_STAMP_LEN + 1];
	size_t n, i, el;
	struct tm tm;
	time_t now;
	int qfd, efd, found = 0, saved;

	if (!evid_ok(evid)) {
		errno = EINVAL;
		return -1;
	}
	if ((qfd = store_subdir(st, QUAR_SUB)) < 0)
		return -1;
	if (quar_names(qfd, &names, &n) == -1) {
		saved = errno;
		close(qfd);
		errno = saved;
		return -1;
	}
	el = strlen(evid);
	for (i = 0; i < n && !found; i++) {
		if (strlen(names[i]) == QUAR_STAMP_LEN + 1 + el &&
		    strcmp(names[i] + QUAR_STAMP_LEN + 1, evid) == 0) {
			sm_strlcpy(name, names[i], len);
			found = 1;
		}
	}
	sm_strv_free(names, n);
	if (!found) {
		now = time(NULL);
		if (gmtime_r(&now, &tm) == NULL ||
		    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) !=
		    QUAR_STAMP_LEN) {
			close(qfd);
			errno = EINVAL;
			return -1;
		}
		snprintf(name, len, "%s-%s", stamp, evid);
		if (store_mkdirat(qfd, name, 0700) == -1) {
			saved = errno;
			close(qfd);
			errno = saved;
			return -1;
		}
		fsync(qfd);
		prune_quarantine(st, qfd, name);
	}
	efd = openat(qfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	saved = errno;
	close(qfd);
	errno = saved;
	return efd;
}

/* Slot base for path: its encoding, or a hash when that is too long. */
static void
quar_base(const char *path, char *base, size_t len)
{
	char h[DIGEST_HEX_LEN + 1];

	if (store_field_encode(path, base, len) == 0 &&
	    strlen(base) <= QUAR_BASE_MAX)
		return;
	digest_buf(path, strlen(path), h);
	snprintf(base, len, "h-%.40s", h);
}

static int
exists_at(int dfd, const char *name)
{
	struct stat sb;

	return fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Value of key in a .meta buffer (first match), copied into val. */
static int
meta_value(const char *meta, const char *key, char *val, size_t vlen)
{
	const char *p = meta, *nl;
	size_t kl = strlen(key), n;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		n = nl == NULL ? strlen(p) : (size_t)(nl - p);
		if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			n -= kl + 1;
			if (n >= vlen)
				return -1;
			memcpy(val, p + kl + 1, n);
			val[n] = '\0';
			return 0;
		}
		p = nl == NULL ? NULL : nl + 1;
	}
	return -1;
}

/*
 * Picks the slot for path: the first free one, or -1 with EEXIST when a
 * slot already holds this very type and content (nothing to do).
 */
static int
quar_slot(int efd, const char *base, const char *type, const char *sha,
    char *slot, size_t len)
{
	char meta[NAME_MAX + 1], v[DIGEST_HEX_LEN + 16], *buf;
	size_t blen;
	int k, same;

	for (k = 1; k <= QUAR_SLOTS; k++) {
		snprintf(slot, len, "%s~%d", base, k);
		snprintf(meta, sizeof(meta), "%s.meta", slot);
		if (fs_read_fileat(efd, meta, 64 * 1024, &buf, &blen) == -1) {
			if (errno != ENOENT)
				return -1;
			/* A slot without meta was a crash mid-copy: reuse. */
			if (sha == NULL && exists_at(efd, slot))
				continue;	/* a move wants an empty name */
			return 0;
		}
		same = sha != NULL && strcmp(sha, "-") != 0 &&
		    meta_value(buf, "type", v, sizeof(v)) == 0 &&
		    strcmp(v, type) == 0 &&
		    meta_value(buf, "sha256", v, sizeof(v)) == 0 &&
		    strcmp(v, sha) == 0 &&
		    meta_value(buf, "moved_to", v, sizeof(v)) == -1;
		free(buf);
		if (same) {
			errno = EEXIST;
			return -1;
		}
	}
	errno = ENOSPC;
	return -1;
}

static const char *
type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISDIR(m))
		return "dir";
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISCHR(m))
		return "chardev";
	return "blockdev";
}

static void
meta_text(struct store_sbuf *b, const char *key, const char *val)
{
	char enc[STORE_FIELD_MAX * 3];

	if (store_field_encode(val, enc, sizeof(enc)) == -1)
		sm_strlcpy(enc, "-", sizeof(enc));
	store_sbuf_addf(b, "%s=%s\n", key, enc);
}

static void
meta_head(struct store_sbuf *b, const char *path, const struct stat *sb,
    const char *sha)
{
	store_sbuf_addf(b, "version=1\n");
	meta_text(b, "path", path);
	store_sbuf_addf(b, "type=%s\nuid=%lu\ngid=%lu\nmode=%04o\nsize=%lld\n"
	    "sha256=%s\n", type_name(sb->st_mode), (unsigned long)sb->st_uid,
	    (unsigned long)sb->st_gid, (unsigned)(sb->st_mode & 07777),
	    (long long)sb->st_size, sha == NULL ? "-" : sha);
}

static int
meta_finish(int efd, const char *slot, struct store_sbuf *b, const char *reason,
    const char *evid)
{
	char meta[NAME_MAX + 1];
	int r, saved;

	meta_text(b, "reason", reason);
	store_sbuf_addf(b, "evid=%s\ntime=%lld\n", evid, (long long)time(NULL));
	snprintf(meta, sizeof(meta), "%s.meta", slot);
	r = fs_write_atomicat(efd, meta, b->p, b->len, (uid_t)-1, (gid_t)-1,
	    0600);
	saved = errno;
	free(b->p);
	b->p = NULL;
	errno = saved;
	return r;
}

/*
 * A directory: its listing in the meta (hashed, so a second quarantine of
 * the same directory is recognised) and copies of its regular files.
 */
static int
quar_dir_copy(int efd, const char *path, const char *slot, struct store_sbuf *lst,
    int do_copy)
{
	char sub[NAME_MAX + 1], enc[NAME_MAX * 3 + 1], *buf;
	struct dirent *de;
	struct stat sb;
	size_t len, count = 0;
	DIR *d;
	int fd, cfd = -1, r = 0;

	fd = open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (do_copy) {
		snprintf(sub, sizeof(sub), "%s.d", slot);
		if (store_mkdirat(efd, sub, 0700) == -1 ||
		    (cfd = openat(efd, sub,
		    O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)) < 0) {
			closedir(d);
			return -1;
		}
	}
	while ((de = readdir(d)) != NULL && count < QUAR_DIRENTS) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		count++;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (store_field_encode(de->d_name, enc, sizeof(enc)) == -1)
			continue;
		store_sbuf_addf(lst, "entry=%s:%s\n", type_name(sb.st_mode), enc);
		if (!do_copy || !S_ISREG(sb.st_mode))
			continue;
		if (fs_read_fileat(dirfd(d), de->d_name, FS_READ_MAX, &buf,
		    &len) == -1) {
			error_f("quarantine copy %s/%s: %s", path, de->d_name,
			    strerror(errno));
			continue;	/* the directory itself is moved aside */
		}
		if (fs_write_atomicat(cfd, de->d_name, buf, len, (uid_t)-1,
		    (gid_t)-1, 0600) == -1)
			r = -1;
		free(buf);
	}
	closedir(d);
	if (cfd >= 0)
		close(cfd);
	return r;
}

/* See store.h: 0/-1 with errno. */
int
store_quarantine_buf(struct store *st, const char *evid, const char *path,
    const struct stat *sb, const void *buf, size_t len, const char *reason)
{
	char ename[NAME_MAX + 1], base[NAME_MAX + 1], slot[NAME_MAX + 1];
	char sha[DIGEST_HEX_LEN + 1];
	struct store_sbuf b = { NULL, 0, 0 };
	int efd, r = -1, saved;

	if (!S_ISREG(sb->st_mode)) {
		errno = EINVAL;
		return -1;
	}
	digest_buf(buf, len, sha);
	if ((efd = quar_event_dir(st, evid, ename, sizeof(ename))) < 0)
		goto out;
	quar_base(path, base, sizeof(base));
	if (quar_slot(efd, base, "file", sha, slot, sizeof(slot)) == -1) {
		if (errno == EEXIST)
			r = 0;
		goto close_out;
	}
	meta_head(&b, path, sb, sha);
	if (fs_write_atomicat(efd, slot, buf, len, (uid_t)-1, (gid_t)-1,
	    0600) == -1 || meta_finish(efd, slot, &b, reason, evid) == -1)
		goto close_out;
	info_f("%s quarantined in %s/%s", path, ename, slot);
	r = 0;
 close_out:
	saved = errno;
	close(efd);
	errno = saved;
 out:
	saved = errno;
	if (r == -1)
		error_f("quarantine %s: %s", path, strerror(errno));
	free(b.p);
	errno = saved;
	return r;
}

/* See store.h: 0/-1 with errno (ENOENT nothing at path, EFBIG too big). */
int
store_quarantine_add(struct store *st, const char *evid, const char *path,
    const char *reason)
{
	char ename[NAME_MAX + 1], base[NAME_MAX + 1], slot[NAME_MAX + 1];
	char sha[DIGEST_HEX_LEN + 1], target[PATH_MAX], *buf = NULL;
	struct store_sbuf b = { NULL, 0, 0 }, lst = { NULL, 0, 0 };
	struct stat sb;
	size_t len = 0;
	ssize_t tl;
	int efd, r = -1, saved;

	if (lstat(path, &sb) == -1)
		return -1;
	/* A regular file: its content, as for one read elsewhere. */
	if (S_ISREG(sb.st_mode)) {
		if (fs_read_file(path, FS_READ_MAX, 0, &buf, &len) == -1) {
			saved = errno;
			error_f("quarantine %s: %s", path, strerror(saved));
			errno = saved;
			return -1;
		}
		r = store_quarantine_buf(st, evid, path, &sb, buf, len, reason);
		saved = errno;
		free(buf);
		errno = saved;
		return r;
	}
	sm_strlcpy(sha, "-", sizeof(sha));
	if (S_ISLNK(sb.st_mode)) {
		if ((tl = readlink(path, target, sizeof(target) - 1)) < 0)
			goto out;
		target[tl] = '\0';
		buf = xstrdup(target);
		len = (size_t)tl;
		digest_buf(buf, len, sha);
	} else if (S_ISDIR(sb.st_mode)) {
		store_sbuf_addf(&lst, "%s", "");
		if (quar_dir_copy(-1, path, NULL, &lst, 0) == -1)
			goto out;
		digest_buf(lst.p, lst.len, sha);
	}
	if ((efd = quar_event_dir(st, evid, ename, sizeof(ename))) < 0)
		goto out;
	quar_base(path, base, sizeof(base));
	if (quar_slot(efd, base, type_name(sb.st_mode), sha, slot,
	    sizeof(slot)) == -1) {
		if (errno == EEXIST) {
			debug_f("%s already in quarantine %s", path, ename);
			r = 0;
		}
		goto close_out;
	}
	meta_head(&b, path, &sb, sha);
	if (S_ISLNK(sb.st_mode)) {
		if (fs_write_atomicat(efd, slot, buf, len, (uid_t)-1,
		    (gid_t)-1, 0600) == -1)
			goto close_out;
		meta_text(&b, "target", target);
	} else if (S_ISDIR(sb.st_mode)) {
		free(lst.p);
		lst.p = NULL;
		lst.len = lst.cap = 0;
		store_sbuf_addf(&lst, "%s", "");
		if (quar_dir_copy(efd, path, slot, &lst, 1) == -1)
			goto close_out;
		store_sbuf_addf(&b, "%s", lst.p);
	}
	if (meta_finish(efd, slot, &b, reason, evid) == -1)
		goto close_out;
	info_f("%s quarantined in %s/%s", path, ename, slot);
	r = 0;
 close_out:
	saved = errno;
	close(efd);
	errno = saved;
 out:
	saved = errno;
	if (r == -1)
		error_f("quarantine %s: %s", path, strerror(errno));
	free(buf);
	free(b.p);
	free(lst.p);
	errno = saved;
	return r;
}

/* See store.h: 0/-1 with errno (ENOENT nothing at path). */
int
store_quarantine_move(struct store *st, const char *evid, const char *path,
    const char *reason)
{
	char ename[NAME_MAX + 1], base[NAME_MAX + 1], slot[NAME_MAX + 1];
	char *moved = NULL, *dir = NULL, *bn = NULL;
	struct store_sbuf b = { NULL, 0, 0 };
	struct stat sb;
	int efd, k, r = -1, saved;

	if (lstat(path, &sb) == -1)
		return -1;
	if ((efd = quar_event_dir(st, evid, ename, sizeof(ename))) < 0)
		return -1;
	quar_base(path, base, sizeof(base));
	if (quar_slot(efd, base, type_name(sb.st_mode), NULL, slot,
	    sizeof(slot)) == -1)
		goto out;
	if (fs_split(path, &dir, &bn) == -1)
		goto out;
	if (renameat2(AT_FDCWD, path, efd, slot, RENAME_NOREPLACE) == 0) {
		xasprintf(&moved, "%s/%s/%s/%s", st->dir, QUAR_SUB, ename,
		    slot);
		fsync(efd);
	} else if (errno == EXDEV) {
		for (k = 1; k <= QUAR_SLOTS; k++) {
			free(moved);
			if (k == 1)
				xasprintf(&moved, "%s/.%s.sshmedic-%s", dir, bn,
				    evid);
			else
				xasprintf(&moved, "%s/.%s.sshmedic-%s~%d", dir,
				    bn, evid, k);
			if (renameat2(AT_FDCWD, path, AT_FDCWD, moved,
			    RENAME_NOREPLACE) == 0)
				break;
			if (errno != EEXIST)
				goto out;
		}
		if (k > QUAR_SLOTS)
			goto out;
	} else
		goto out;
	if (fs_fsync_dir(dir) == -1)
		error_f("fsync %s: %s", dir, strerror(errno));
	meta_head(&b, path, &sb, NULL);
	meta_text(&b, "moved_to", moved);
	if (meta_finish(efd, slot, &b, reason, evid) == -1)
		error_f("%s moved to %s but its meta failed: %s", path, moved,
		    strerror(errno));
	logit("%s moved aside to %s", path, moved);
	r = 0;
 out:
	saved = errno;
	if (r == -1)
		error_f("move %s aside: %s", path, strerror(errno));
	close(efd);
	free(moved);
	free(dir);
	free(bn);
	free(b.p);
	errno = saved;
	return r;
}

/* See store.h: 0/-1 with errno. */
int
store_quarantine_list(struct store *st, char ***names, size_t *n)
{
	size_t i;
	char *t;
	int qfd, r, saved;

	if ((qfd = store_subdir(st, QUAR_SUB)) < 0)
		return -1;
	r = quar_names(qfd, names, n);
	saved = errno;
	close(qfd);
	errno = saved;
	if (r == -1)
		return -1;
	for (i = 0; i < *n / 2; i++) {
		t = (*names)[i];
		(*names)[i] = (*names)[*n - 1 - i];
		(*names)[*n - 1 - i] = t;
	}
	return 0;
}
