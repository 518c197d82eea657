/*
 * Root working in a user's home: every component opened relative to its
 * parent, symlinks below the home never followed, StrictModes checked.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "homefs.h"
#include "log.h"
#include "misc.h"
#include "pwdb.h"
#include "xmalloc.h"

/* Password entries looked at for a group's primary members: bounded. */
#define HF_PWENT_MAX	100000

/* One directory of a walk, handed to the visitor with its descriptor. */
struct hf_dir {
	int	 fd;
	struct stat st;
	char	 path[PATH_MAX];
	int	 below;		/* strictly below the home */
	int	 is_home;	/* the home directory itself */
	int	 scope;		/* StrictModes looks at it */
	int	 created;
};

typedef int (*hf_visit_fn)(const struct hf_user *, struct hf_dir *, void *);

/* See homefs.h: 0/-1 with errno. */
int
hf_user_lookup(const char *name, struct hf_user *u, char *buf, size_t len)
{
	struct pwdb_user pw;
	size_t nlen, hlen;
	int r;

	memset(u, 0, sizeof(*u));
	if ((r = pwdb_user_byname(name, &pw)) == -1)
		return -1;
	if (r == 0 || pw.dir[0] != '/') {
		errno = ENOENT;
		return -1;
	}
	nlen = strlen(pw.name) + 1;
	hlen = strlen(pw.dir) + 1;
	if (nlen + hlen > len) {
		errno = ERANGE;
		return -1;
	}
	memcpy(buf, pw.name, nlen);
	memcpy(buf + nlen, pw.dir, hlen);
	u->name = buf;
	u->uid = pw.uid;
	u->gid = pw.gid;
	u->home = buf + nlen;
	return 0;
}

/* Length of home without trailing slashes ("/" stays 1). */
static size_t
trimmed_len(const char *p)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	return n;
}

/* Predicate: path lies strictly below home (at a component boundary). */
static int
under_home(const char *path, const char *home)
{
	size_t n = trimmed_len(home);

	if (n == 1)
		return path[0] == '/' && path[1] != '\0';
	return strncmp(path, home, n) == 0 && path[n] == '/' &&
	    path[n + 1] != '\0';
}

/* Number of components of an absolute path ("/" has none). */
static size_t
ncomponents(const char *p, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (p[i] != '/' && (i == 0 || p[i - 1] == '/'))
			n++;
	return n;
}

/*
 * Splits path into components in place (comp[] point into copy). -1 with
 * EINVAL for a relative path, "." or "..", too many components or none.
 */
static int
split(const char *path, char *copy, size_t clen, char **comp, size_t *n)
{
	char *p, *tok;

	*n = 0;
	if (path == NULL || path[0] != '/' || strlen(path) >= clen) {
		errno = path != NULL && path[0] == '/' ? ENAMETOOLONG : EINVAL;
		return -1;
	}
	sm_strlcpy(copy, path, clen);
	p = copy;
	while ((tok = strsep(&p, "/")) != NULL) {
		if (*tok == '\0')
			continue;
		if (strcmp(tok, ".") == 0 || strcmp(tok, "..") == 0 ||
		    *n >= HF_MAX_DEPTH) {
			errno = EINVAL;
			return -1;
		}
		comp[(*n)++] = tok;
	}
	if (*n == 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * Opens component name of the directory dir (whose stat is dst) under the
 * walk rules; creates it when allowed. fd or -1 with errno.
 */
static int
open_component(const struct hf_user *u, int dir, const struct stat *dst,
    const char *name, int below, int create, int *created, char *err,
    size_t elen, const char *shown)
{
	struct stat lst;
	int fd, flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;

	*created = 0;
	if (fstatat(dir, name, &lst, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT || !create || !below) {
			snprintf(err, elen, "%s: %s", shown, strerror(errno));
			return -1;
		}
		if (mkdirat(dir, name, 0700) == -1 && errno != EEXIST) {
			snprintf(err, elen, "mkdir %s: %s", shown,
			    strerror(errno));
			return -1;
		}
		*created = 1;
	} else if (S_ISLNK(lst.st_mode)) {
		/* Only what root alone could have placed is followed. */
		if (below || lst.st_uid != 0 || dst->st_uid != 0 ||
		    (dst->st_mode & 022) != 0) {
			if (below)
				snprintf(err, elen, "%s is a symlink in the home "
				    "of %s; not followed", shown, u->name);
			else
				snprintf(err, elen, "%s is a symlink root did "
				    "not place; not followed", shown);
			errno = ELOOP;
			return -1;
		}
	} else
		flags |= O_NOFOLLOW;
	if ((fd = openat(dir, name, flags)) == -1) {
		snprintf(err, elen, "%s: %s", shown, errno == ELOOP ?
		    "became a symlink; not followed" : strerror(errno));
		return -1;
	}
	if (*created && fchown(fd, u->uid, u->gid) == -1) {
		snprintf(err, elen, "chown %s: %s", shown, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The walk: from / down to the directory holding path's last component,
 * calling visit (may be NULL) for each directory StrictModes looks at.
 * Returns that directory's fd (base set), or -1 with errno and err.
 */
static int
walk(const struct hf_user *u, const char *path, int create, hf_visit_fn visit,
    void *arg, char *base, size_t blen, char *err, size_t elen)
{
	char copy[PATH_MAX], *comp[HF_MAX_DEPTH];
	struct hf_dir hd;
	size_t n, i, homen, plen;
	int fd, nfd, inhome, saved;

	if (split(path, copy, sizeof(copy), comp, &n) == -1) {
		snprintf(err, elen, "%s: not an absolute path without . or ..",
		    path);
		return -1;
	}
	inhome = u->home != NULL && under_home(path, u->home);
	homen = inhome ? ncomponents(u->home, trimmed_len(u->home)) : 0;
	if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, elen, "open /: %s", strerror(errno));
		return -1;
	}
	memset(&hd, 0, sizeof(hd));
	sm_strlcpy(hd.path, "/", sizeof(hd.path));
	plen = 0;
	for (i = 0;; i++) {
		hd.fd = fd;
		if (fstat(fd, &hd.st) == -1) {
			snprintf(err, elen, "fstat %s: %s", hd.path,
			    strerror(errno));
			goto fail;
		}
		/* Inside the home: the home and below; elsewhere: all, up to /. */
		hd.below = inhome && i > homen;
		hd.is_home = inhome && i == homen;
		hd.scope = !inhome || i >= homen;
		if (visit != NULL && hd.scope && visit(u, &hd, arg) == -1)
			goto fail;
		if (i + 1 == n)
			break;
		plen += (size_t)snprintf(hd.path + plen, sizeof(hd.path) - plen,
		    "/%s", comp[i]);
		if (plen >= sizeof(hd.path)) {
			errno = ENAMETOOLONG;
			snprintf(err, elen, "%s: path too long", path);
			goto fail;
		}
		nfd = open_component(u, fd, &hd.st, comp[i], inhome && i >= homen,
		    create, &hd.created, err, elen, hd.path);
		if (nfd == -1)
			goto fail;
		close(fd);
		fd = nfd;
	}
	if (sm_strlcpy(base, comp[n - 1], blen) >= blen) {
		errno = ENAMETOOLONG;
		snprintf(err, elen, "%s: name too long", path);
		goto fail;
	}
	return fd;
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* See homefs.h: fd or -1 with errno. */
int
hf_open_parent(const struct hf_user *u, const char *path, int create,
    char *base, size_t blen, char *err, size_t elen)
{
	return walk(u, path, create, NULL, NULL, base, blen, err, elen);
}

/* Opens the final component of path, never following it. fd or -1. */
static int
open_final(int dir, const char *base, const char *path, struct stat *sb,
    char *err, size_t elen)
{
	int fd, saved;

	fd = openat(dir, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		saved = errno;
		snprintf(err, elen, "%s: %s", path, saved == ELOOP ?
		    "is a symlink; not followed" : strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, sb) == -1) {
		saved = errno;
		snprintf(err, elen, "fstat %s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(sb->st_mode)) {
		snprintf(err, elen, "%s: not a regular file", path);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* See homefs.h: 0/-1 with errno. */
int
hf_read(const struct hf_user *u, const char *path, size_t cap, char **buf,
    size_t *len, struct stat *sb, char *err, size_t elen)
{
	char base[NAME_MAX + 1];
	struct stat tmp;
	int dir, fd, r, saved;

	*buf = NULL;
	*len = 0;
	if ((dir = walk(u, path, 0, NULL, NULL, base, sizeof(base), err,
	    elen)) == -1)
		return -1;
	fd = open_final(dir, base, path, sb != NULL ? sb : &tmp, err, elen);
	saved = errno;
	close(dir);
	if (fd == -1) {
		errno = saved;
		return -1;
	}
	if ((r = fs_read_fd(fd, cap, buf, len)) == -1) {
		saved = errno;
		snprintf(err, elen, "read %s: %s", path, strerror(saved));
	}
	close(fd);
	if (r == -1)
		errno = saved;
	return r;
}

/* See homefs.h: 0/-1 with errno. */
int
hf_write(const struct hf_user *u, const char *path, const void *buf,
    size_t len, uid_t uid, gid_t gid, mode_t mode, char *err, size_t elen)
{
	char base[NAME_MAX + 1];
	int dir, r, saved;

	if ((dir = walk(u, path, 1, NULL, NULL, base, sizeof(base), err,
	    elen)) == -1)
		return -1;
	r = fs_write_atomicat(dir, base, buf, len, uid, gid, mode);
	saved = errno;
	if (r == -1)
		snprintf(err, elen, "write %s: %s", path, strerror(saved));
	close(dir);
	errno = saved;
	return r;
}

/* What StrictModes says of one object: NULL when it passes. */
static const char *
strict_problem(const struct hf_user *u, const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != u->uid)
		return "owned by someone else";
	if ((st->st_mode & 002) != 0)
		return "writable by other";
	if ((st->st_mode & 020) != 0 && !pwdb_group_private(st->st_gid,
	    st->st_uid, HF_PWENT_MAX))
		return "writable by group";
	return NULL;
}

static void
list_add(char *buf, size_t len, const char *what, const char *path,
    const struct stat *st)
{
	size_t used = strlen(buf);

	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, "%s%s %s (uid %lu, mode %04o)",
	    used > 0 ? "; " : "", path, what, (unsigned long)st->st_uid,
	    (unsigned)(st->st_mode & 07777));
}

static void
list_text(char *buf, size_t len, const char *text)
{
	size_t used = strlen(buf);

	if (used + 1 < len)
		snprintf(buf + used, len - used, "%s%s", used > 0 ? "; " : "",
		    text);
}

struct check_arg {
	char	*out;
	size_t	 len;
	int	 bad;
};

static int
visit_check(const struct hf_user *u, struct hf_dir *hd, void *arg)
{
	struct check_arg *ca = arg;
	const char *why;

	if ((why = strict_problem(u, &hd->st)) != NULL) {
		list_add(ca->out, ca->len, why, hd->path, &hd->st);
		ca->bad = 1;
	}
	return 0;
}

/* See homefs.h: 1/0/-1. */
int
hf_check_modes(const struct hf_user *u, const char *path, char *problems,
    size_t plen)
{
	struct check_arg ca = { problems, plen, 0 };
	char base[NAME_MAX + 1], err[512];
	const char *why;
	struct stat sb;
	int dir, fd;

	problems[0] = '\0';
	if ((dir = walk(u, path, 0, visit_check, &ca, base, sizeof(base), err,
	    sizeof(err))) == -1) {
		if (errno == ENOENT)
			return !ca.bad;	/* sshd finds no file: nothing more */
		list_text(problems, plen, err);
		return errno == ELOOP ? 0 : -1;
	}
	if ((fd = open_final(dir, base, path, &sb, err, sizeof(err))) == -1) {
		close(dir);
		if (errno == ENOENT)
			return !ca.bad;
		list_text(problems, plen, err);
		return errno == ELOOP || errno == EINVAL ? 0 : -1;
	}
	close(fd);
	close(dir);
	if ((why = strict_problem(u, &sb)) != NULL) {
		list_add(problems, plen, why, path, &sb);
		ca.bad = 1;
	}
	return !ca.bad;
}

struct fix_arg {
	char	*did;
	size_t	 dlen;
	char	*err;
	size_t	 elen;
	int	 failed;
};

/* Fixes one object through fd; notes what it did or could not do. */
static void
fix_one(const struct hf_user *u, int fd, const char *path, struct stat *st,
    int fixable, struct fix_arg *fa)
{
	mode_t m;

	if (strict_problem(u, st) == NULL)
		return;
	if (!fixable) {
		list_add(fa->err, fa->elen, "is outside the home: not changed",
		    path, st);
		fa->failed = 1;
		return;
	}
	if (st->st_uid != 0 && st->st_uid != u->uid) {
		if (fchown(fd, u->uid, (gid_t)-1) == -1) {
			list_add(fa->err, fa->elen, strerror(errno), path, st);
			fa->failed = 1;
			return;
		}
		list_add(fa->did, fa->dlen, "owner set to the user", path, st);
		st->st_uid = u->uid;
	}
	if (strict_problem(u, st) != NULL) {
		m = st->st_mode & 07777 & ~(mode_t)022;
		if (fchmod(fd, m) == -1) {
			list_add(fa->err, fa->elen, strerror(errno), path, st);
			fa->failed = 1;
			return;
		}
		list_add(fa->did, fa->dlen, "group/other write removed", path,
		    st);
		st->st_mode = (st->st_mode & ~(mode_t)07777) | m;
	}
}

static int
visit_fix(const struct hf_user *u, struct hf_dir *hd, void *arg)
{
	/* The home itself is the user's: it is fixed too, its parents not. */
	fix_one(u, hd->fd, hd->path, &hd->st, hd->below || hd->is_home, arg);
	return 0;
}

/* See homefs.h: 0/-1 with errno. */
int
hf_fix_modes(const struct hf_user *u, const char *path, char *did,
    size_t dlen, char *err, size_t elen)
{
	struct fix_arg fa = { did, dlen, err, elen, 0 };
	char base[NAME_MAX + 1];
	struct stat sb;
	int dir, fd;

	did[0] = '\0';
	err[0] = '\0';
	if (!under_home(path, u->home != NULL ? u->home : "")) {
		snprintf(err, elen, "%s is not in the home of %s: not changed",
		    path, u->name);
		errno = EPERM;
		return -1;
	}
	if ((dir = walk(u, path, 0, visit_fix, &fa, base, sizeof(base), err,
	    elen)) == -1)
		return errno == ENOENT && !fa.failed ? 0 : -1;
	fd = open_final(dir, base, path, &sb, err, elen);
	close(dir);
	if (fd == -1)
		return errno == ENOENT && !fa.failed ? 0 : -1;
	fix_one(u, fd, path, &sb, 1, &fa);
	close(fd);
	if (fa.failed) {
		errno = EPERM;
		return -1;
	}
	return 0;
}
