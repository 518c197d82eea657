/*
 * Rollback of the sshd configuration closure to a known-good generation:
 * intent first, everything rejected to quarantine, atomic restores, resume.
 *
 * Intent record ("intent" in the store, written atomically):
 *   sshmedic-intent 1
 *   gen <generation>
 *   evid <event id>
 * It exists from before the first file is touched until the closure equals
 * the target, so a crash at any point is finished by rollback_resume. Every
 * step is idempotent: a file already equal to the target is left alone, a
 * version already in quarantine is not copied twice (store.c dedupes).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "rollback.h"
#include "xmalloc.h"

#define RB_PASSES	4
#define INTENT_FILE	"intent"
#define INTENT_MAGIC	"sshmedic-intent 1"

enum rb_kind { K_MISSING, K_REG, K_LINK, K_DIR, K_OTHER };

/* What is at a path right now, seen without following its last component. */
struct rb_cur {
	enum rb_kind kind;
	int	 parent_link;	/* some parent component is a symlink */
	char	 sha256[DIGEST_HEX_LEN + 1];	/* K_REG content, "" if unread */
	uid_t	 uid;
	gid_t	 gid;
	mode_t	 mode;
};

struct rb_action {
	const char *path;
	const struct mf_entry *e;	/* target entry, NULL: not in target */
	struct rb_cur cur;
	int	 moved;		/* moved aside into quarantine */
};

static void rb_fail(struct rb_result *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets r->reason to "what: strerror(err)" and logs it. */
static void
rb_fail(struct rb_result *r, int err, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->reason, sizeof(r->reason), "%s: %s", msg, strerror(err));
	error_f("%s", r->reason);
}

static void
rb_add_file(struct rb_result *r, const char *path)
{
	char *n;
	const char *p;
	size_t pl = strlen(path);

	for (p = r->files; p != NULL; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, path, pl) == 0 && (p[pl] == ',' || p[pl] == '\0'))
			return;
	}
	if (r->files == NULL)
		n = xstrdup(path);
	else {
		xasprintf(&n, "%s,%s", r->files, path);
		free(r->files);
	}
	r->files = n;
}

/* 1 when a directory component of path (not path itself) is a symlink. */
static int
parent_is_link(const char *path)
{
	char buf[PATH_MAX];
	struct stat sb;
	size_t i, len;

	if ((len = sm_strlcpy(buf, path, sizeof(buf))) >= sizeof(buf))
		return 0;
	for (i = len; i > 0 && buf[i - 1] != '/'; i--)
		;
	for (len = i > 0 ? i - 1 : 0, i = 1; i <= len; i++) {
		if (buf[i] != '/' && i != len)
			continue;
		buf[i] = '\0';
		if (lstat(buf, &sb) == 0 && S_ISLNK(sb.st_mode))
			return 1;
		buf[i] = '/';
	}
	return 0;
}

static void
rb_status(const char *path, struct rb_cur *c)
{
	struct stat sb;
	char *buf;
	size_t len;

	memset(c, 0, sizeof(*c));
	c->parent_link = parent_is_link(path);
	if (lstat(path, &sb) == -1) {
		c->kind = K_MISSING;	/* ENOENT, ENOTDIR, or unreadable */
		return;
	}
	c->uid = sb.st_uid;
	c->gid = sb.st_gid;
	c->mode = sb.st_mode & 07777;
	if (S_ISLNK(sb.st_mode))
		c->kind = K_LINK;
	else if (S_ISDIR(sb.st_mode))
		c->kind = K_DIR;
	else if (!S_ISREG(sb.st_mode))
		c->kind = K_OTHER;
	else {
		c->kind = K_REG;
		if (fs_read_file(path, CLOSURE_MAX_FILE_SIZE, 0, &buf,
		    &len) == 0) {
			digest_buf(buf, len, c->sha256);
			free(buf);
		}
	}
}

/* Predicate: what is at the path is exactly the target entry. */
static int
rb_matches(const struct mf_entry *e, const struct rb_cur *c)
{
	if (c->parent_link)
		return 0;
	if (e->state == CL_MISSING)
		return c->kind == K_MISSING;
	return c->kind == K_REG && strcmp(c->sha256, e->sha256) == 0 &&
	    c->uid == e->uid && c->gid == e->gid && c->mode == e->mode;
}

/*
 * Everything that must change: target files that differ, and files in the
 * current closure that the target does not have. Host keys are never ours.
 */
static size_t
rb_plan(const struct manifest *t, const struct closure *cl,
    struct rb_action *a, size_t max, size_t *unchanged)
{
	const struct mf_entry *e;
	size_t i, n = 0;
	struct rb_cur c;

	*unchanged = 0;
	for (i = 0; i < t->n && n < max; i++) {
		e = &t->e[i];
		if (e->role == CL_HOSTKEY)
			continue;
		rb_status(e->path, &c);
		if (rb_matches(e, &c)) {
			(*unchanged)++;
			continue;
		}
		a[n].path = e->path;
		a[n].e = e;
		a[n].cur = c;
		a[n++].moved = 0;
	}
	for (i = 0; i < cl->nfiles && n < max; i++) {
		if (cl->files[i].role == CL_HOSTKEY)
			continue;
		e = manifest_find(t, cl->files[i].path);
		if (e != NULL)
			continue;	/* handled above (a host key path too) */
		rb_status(cl->files[i].path, &c);
		if (c.kind == K_MISSING)
			continue;
		a[n].path = cl->files[i].path;
		a[n].e = NULL;
		a[n].cur = c;
		a[n++].moved = 0;
	}
	return n;
}

/* Copies (or for what cannot be copied, moves) the current object aside. */
static int
rb_quarantine(struct store *st, const char *evid, struct rb_action *a,
    struct rb_result *r)
{
	const char *why = a->e == NULL ? "not in known-good generation" :
	    "differs from known-good generation";

	if (a->cur.kind == K_MISSING)
		return 0;
	if (a->cur.kind == K_REG || a->cur.kind == K_LINK) {
		if (store_quarantine_add(st, evid, a->path, why) == 0)
			return 0;
		if (errno == ENOENT)
			return 0;
		/* Too big or unreadable: keep it whole by moving it. */
	} else if (store_quarantine_add(st, evid, a->path, why) == -1 &&
	    errno == ENOENT)
		return 0;
	if (store_quarantine_move(st, evid, a->path, why) == -1) {
		if (errno == ENOENT)
			return 0;
		rb_fail(r, errno, "quarantine %s", a->path);
		return -1;
	}
	a->moved = 1;
	return 0;
}

/*
 * Makes every directory above path a real directory: missing ones created
 * 0755 root (create set), a symlink replaced by a directory after its text
 * went to quarantine, anything else moved aside. Never writes through a link.
 */
static int
rb_fix_parents(struct store *st, const char *evid, const char *path,
    int create, struct rb_result *r)
{
	char buf[PATH_MAX];
	struct stat sb;
	size_t i, len;

	if ((len = sm_strlcpy(buf, path, sizeof(buf))) >= sizeof(buf)) {
		rb_fail(r, ENAMETOOLONG, "path %s", path);
		return -1;
	}
	for (i = len; i > 0 && buf[i - 1] != '/'; i--)
		;
	for (len = i > 0 ? i - 1 : 0, i = 1; i <= len; i++) {
		if (buf[i] != '/' && i != len)
			continue;
		buf[i] = '\0';
		if (lstat(buf, &sb) == 0) {
			if (S_ISDIR(sb.st_mode))
				goto next;
			if (S_ISLNK(sb.st_mode)) {
				if (store_quarantine_add(st, evid, buf,
				    "symlink in a configuration path") == -1 ||
				    unlink(buf) == -1) {
					rb_fail(r, errno, "replace symlink %s", buf);
					return -1;
				}
			} else if (store_quarantine_move(st, evid, buf,
			    "not a directory in a configuration path") == -1) {
				rb_fail(r, errno, "move aside %s", buf);
				return -1;
			}
		} else if (errno != ENOENT) {
			rb_fail(r, errno, "lstat %s", buf);
			return -1;
		} else if (!create)
			return 0;	/* nothing below can exist */
		if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
			rb_fail(r, errno, "mkdir %s", buf);
			return -1;
		}
		if ((geteuid() == 0 && lchown(buf, 0, 0) == -1) ||
		    chmod(buf, 0755) == -1) {
			rb_fail(r, errno, "chown/chmod %s", buf);
			return -1;
		}
		info_f("created directory %s", buf);
 next:
		if (i != len)
			buf[i] = '/';
	}
	return 0;
}

static int
rb_restore(struct store *st, const char *evid, struct rb_action *a,
    struct rb_result *r)
{
	char *buf;
	size_t len;

	if (rb_fix_parents(st, evid, a->path, 1, r) == -1)
		return -1;
	if (store_blob_read(st, a->e->sha256, &buf, &len) == -1) {
		rb_fail(r, errno, "blob for %s", a->path);
		return -1;
	}
	if (fs_write_atomic(a->path, buf, len, a->e->uid, a->e->gid,
	    a->e->mode) == -1) {
		free(buf);
		rb_fail(r, errno, "restore %s", a->path);
		return -1;
	}
	free(buf);
	if (a->cur.kind == K_MISSING || a->moved)
		r->recreated++;
	else
		r->restored++;
	rb_add_file(r, a->path);
	info_f("%s restored", a->path);
	return 0;
}

static int
rb_remove(struct store *st, const char *evid, struct rb_action *a,
    struct rb_result *r)
{
	struct stat sb;
	char *dir, *base;

	if (rb_fix_parents(st, evid, a->path, 0, r) == -1)
		return -1;
	if (lstat(a->path, &sb) == -1) {
		if (a->moved || a->cur.parent_link) {
			r->removed++;
			rb_add_file(r, a->path);
		}
		return 0;
	}
	if (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode)) {
		if (unlink(a->path) == -1 && errno != ENOENT) {
			rb_fail(r, errno, "unlink %s", a->path);
			return -1;
		}
	} else if (store_quarantine_move(st, evid, a->path,
	    "not in known-good generation") == -1 && errno != ENOENT) {
		rb_fail(r, errno, "move aside %s", a->path);
		return -1;
	}
	if (fs_split(a->path, &dir, &base) == 0) {
		if (fs_fsync_dir(dir) == -1)
			error_f("fsync %s: %s", dir, strerror(errno));
		free(dir);
		free(base);
	}
	r->removed++;
	rb_add_file(r, a->path);
	info_f("%s removed (kept in quarantine)", a->path);
	return 0;
}

static int
intent_write(struct store *st, unsigned long gen, const char *evid)
{
	char buf[128];
	int n;

	n = snprintf(buf, sizeof(buf), "%s\ngen %lu\nevid %s\n", INTENT_MAGIC,
	    gen, evid);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		errno = EINVAL;
		return -1;
	}
	return fs_write_atomicat(st->dirfd, INTENT_FILE, buf, (size_t)n,
	    (uid_t)-1, (gid_t)-1, 0600);
}

/* Predicate: an event id fit for the intent file. */
static int
evid_valid(const char *evid)
{
	return sm_token_ok(evid, 32, "_-");
}

/* Host keys are regenerated elsewhere; a missing one is only reported. */
static void
rb_report_hostkeys(const struct manifest *t, struct rb_result *r)
{
	struct stat sb;
	size_t i, used;

	r->reason[0] = '\0';
	for (i = 0; i < t->n; i++) {
		if (t->e[i].role != CL_HOSTKEY || t->e[i].state != CL_REG ||
		    lstat(t->e[i].path, &sb) == 0)
			continue;
		used = strlen(r->reason);
		snprintf(r->reason + used, sizeof(r->reason) - used, "%s%s",
		    used == 0 ? "host key missing: " : ",", t->e[i].path);
	}
}

/*
 * One pass: quarantine all, then restore, then remove. 0/-1.
 * XXX an edit landing between a file's quarantine copy and its replacement
 * is not copied; the window is one fsync'd write. Moving the original into
 * quarantine would close it but only works on the store's filesystem.
 */
static int
rb_pass(struct store *st, struct rb_action *a, size_t n, const char *evid,
    struct rb_result *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rb_quarantine(st, evid, &a[i], r) == -1)
			return -1;
	for (i = 0; i < n; i++)
		if (a[i].e != NULL && a[i].e->state == CL_REG &&
		    rb_restore(st, evid, &a[i], r) == -1)
			return -1;
	for (i = 0; i < n; i++)
		if ((a[i].e == NULL || a[i].e->state == CL_MISSING) &&
		    rb_remove(st, evid, &a[i], r) == -1)
			return -1;
	return 0;
}

/* See rollback.h: 0 the closure equals target, -1 with r->reason. */
int
rollback_to(struct store *st, const struct manifest *target,
    const char *sshdir, const char *evid, struct rb_result *r)
{
	struct rb_action *a;
	struct closure cl;
	size_t n, unchanged, pass;
	int done = 0;

	memset(r, 0, sizeof(*r));
	if (target == NULL || !target->usable || target->n == 0 ||
	    target->e[0].role != CL_MAIN) {
		snprintf(r->reason, sizeof(r->reason), "target generation %lu "
		    "not usable%s%s", target == NULL ? 0 : target->gen,
		    target != NULL && target->unusable_reason != NULL ? ": " :
		    "", target != NULL && target->unusable_reason != NULL ?
		    target->unusable_reason : "");
		errno = EINVAL;
		return -1;
	}
	if (evid == NULL || !evid_valid(evid)) {
		snprintf(r->reason, sizeof(r->reason), "bad event id");
		errno = EINVAL;
		return -1;
	}
	if (intent_write(st, target->gen, evid) == -1) {
		rb_fail(r, errno, "write intent in %s", st->dir);
		return -1;
	}
	a = xcalloc(target->n + CLOSURE_MAX_FILES, sizeof(*a));
	for (pass = 0; pass < RB_PASSES && !done; pass++) {
		if (closure_read(target->e[0].path, sshdir, &cl) == -1) {
			rb_fail(r, errno, "read closure of %s", target->e[0].path);
			break;
		}
		n = rb_plan(target, &cl, a, target->n + CLOSURE_MAX_FILES,
		    &unchanged);
		if (pass == 0)
			r->unchanged = unchanged;
		if (n == 0)
			done = 1;
		else if (rb_pass(st, a, n, evid, r) == -1) {
			closure_free(&cl);
			break;
		}
		closure_free(&cl);
	}
	free(a);
	if (!done) {
		if (r->reason[0] == '\0')
			snprintf(r->reason, sizeof(r->reason), "closure still "
			    "differs from generation %lu after %d passes",
			    target->gen, RB_PASSES);
		return -1;	/* the intent stays for rollback_resume */
	}
	if (unlinkat(st->dirfd, INTENT_FILE, 0) == -1 && errno != ENOENT) {
		rb_fail(r, errno, "remove intent in %s", st->dir);
		return -1;
	}
	fsync(st->dirfd);
	rb_report_hostkeys(target, r);
	logit("rolled back to generation %lu: %zu restored, %zu recreated, "
	    "%zu removed, %zu unchanged", target->gen, r->restored,
	    r->recreated, r->removed, r->unchanged);
	return 0;
}

static int
intent_parse(char *buf, size_t len, unsigned long *gen, char evid[33])
{
	char *l1, *l2, *l3, *save = NULL;
	long long g;

	if (memchr(buf, '\0', len) != NULL || len == 0 || buf[len - 1] != '\n' ||
	    (l1 = strtok_r(buf, "\n", &save)) == NULL ||
	    (l2 = strtok_r(NULL, "\n", &save)) == NULL ||
	    (l3 = strtok_r(NULL, "\n", &save)) == NULL ||
	    strtok_r(NULL, "\n", &save) != NULL)
		return -1;
	if (strcmp(l1, INTENT_MAGIC) != 0 || strncmp(l2, "gen ", 4) != 0 ||
	    parse_ll(l2 + 4, 1, STORE_MAX_GENERATIONS, &g) == -1 ||
	    strncmp(l3, "evid ", 5) != 0 || !evid_valid(l3 + 5))
		return -1;
	*gen = (unsigned long)g;
	sm_strlcpy(evid, l3 + 5, 33);
	return 0;
}

/* See rollback.h: 1 finished, 0 nothing pending, -1 failed (r->reason). */
int
rollback_resume(struct store *st, const char *sshdir, struct rb_result *r,
    unsigned long *gen, char evid[33])
{
	struct manifest m;
	char *buf, *dir, *base;
	size_t len, i;
	int ret;

	memset(r, 0, sizeof(*r));
	if (fs_read_fileat(st->dirfd, INTENT_FILE, 4096, &buf, &len) == -1) {
		if (errno == ENOENT)
			return 0;
		rb_fail(r, errno, "read intent in %s", st->dir);
		return -1;
	}
	ret = intent_parse(buf, len, gen, evid);
	free(buf);
	if (ret == -1) {
		snprintf(r->reason, sizeof(r->reason), "malformed intent in %s",
		    st->dir);
		errno = EBADMSG;
		return -1;
	}
	if (store_load(st, *gen, &m) == -1) {
		rb_fail(r, errno, "pending rollback: generation %lu", *gen);
		return -1;
	}
	for (i = 0; i < m.n; i++) {
		if (m.e[i].role == CL_HOSTKEY ||
		    fs_split(m.e[i].path, &dir, &base) == -1)
			continue;
		(void)fs_sweep_temps(dir);
		free(dir);
		free(base);
	}
	logit("resuming rollback to generation %lu (event %s)", *gen, evid);
	ret = rollback_to(st, &m, sshdir, evid, r);
	manifest_free(&m);
	return ret == 0 ? 1 : -1;
}

void
rb_result_free(struct rb_result *r)
{
	if (r == NULL)
		return;
	free(r->files);
	r->files = NULL;
}

/* See rollback.h: 1/0 (an intent that cannot be looked at counts as one). */
int
rollback_pending(struct store *st)
{
	struct stat sb;

	return fstatat(st->dirfd, INTENT_FILE, &sb, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT;
}
