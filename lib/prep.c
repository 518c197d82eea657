/*
 * sshmedic image-prep's plan and the store's part of it: what paths.state
 * holds, item by item, and the renames and unlinks that clear it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counters.h"
#include "fsutil.h"
#include "misc.h"
#include "prep.h"
#include "rollback.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

#define PREP_DIRENTS	100000	/* entries looked at per directory */
#define PREP_DETAIL_MAX	1024	/* names listed in one item */
#define STATE_FILE	STORE_STATE_FILE
#define QUAR_SUB	STORE_QUAR_DIR

void
prep_plan_init(struct prep_plan *p)
{
	memset(p, 0, sizeof(*p));
	random_id(p->evid);
}

void
prep_plan_free(struct prep_plan *p)
{
	size_t i;

	for (i = 0; i < p->nitems; i++) {
		free(p->items[i].what);
		free(p->items[i].path);
		free(p->items[i].detail);
	}
	for (i = 0; i < p->nops; i++)
		free(p->ops[i].arg);
	free(p->items);
	free(p->ops);
	memset(p, 0, sizeof(*p));
}

void
prep_item(struct prep_plan *p, const char *what, enum prep_action a,
    size_t count, const char *path, const char *detail)
{
	struct prep_item *it;

	p->items = xreallocarray(p->items, p->nitems + 1, sizeof(*p->items));
	it = &p->items[p->nitems++];
	it->what = xstrdup(what);
	it->action = a;
	it->count = count;
	it->path = xstrdup(path != NULL ? path : "");
	it->detail = xstrdup(detail != NULL ? detail : "");
}

void
prep_op(struct prep_plan *p, enum prep_op_kind kind, const char *arg)
{
	p->ops = xreallocarray(p->ops, p->nops + 1, sizeof(*p->ops));
	p->ops[p->nops].kind = kind;
	p->ops[p->nops].arg = xstrdup(arg != NULL ? arg : "");
	p->nops++;
}

const char *
prep_action_word(enum prep_action a, int dry_run)
{
	static const char *done[PREP_NACTIONS] = {
		"cleared", "quarantined", "kept", "discarded" };
	static const char *would[PREP_NACTIONS] = {
		"would clear", "would quarantine", "would keep",
		"would discard" };

	if ((unsigned)a >= PREP_NACTIONS)
		return "?";
	return dry_run ? would[a] : done[a];
}

const char *
prep_action_name(enum prep_action a)
{
	static const char *names[PREP_NACTIONS] = {
		"clear", "quarantine", "keep", "discard" };

	return (unsigned)a < PREP_NACTIONS ? names[a] : "?";
}

/* See prep.h: 1/0. */
int
prep_rotated_name(const char *base, const char *name)
{
	static const char *comp[] = { "", ".gz", ".xz", ".bz2", ".zst" };
	size_t bl = strlen(base), i, d;
	const char *p;

	if (bl == 0 || strncmp(name, base, bl) != 0 ||
	    (name[bl] != '.' && name[bl] != '-'))
		return 0;
	p = name + bl + 1;
	for (d = 0; p[d] >= '0' && p[d] <= '9'; d++)
		;
	if (d == 0 || d > 20)
		return 0;
	for (i = 0; i < SM_NELEM(comp); i++)
		if (strcmp(p + d, comp[i]) == 0)
			return 1;
	return 0;
}

/* Appends name to a space-separated, bounded list ("..." once it is full). */
static void
detail_add(char *buf, size_t len, const char *name)
{
	size_t used = strlen(buf);

	if (used > 0 && strcmp(buf + used - 3, "...") == 0)
		return;
	if (used + strlen(name) + 5 >= len) {
		sm_strlcpy(buf + used, used > 0 ? " ..." : "...", len - used);
		return;
	}
	sm_appendf(buf, len, " ", "%s", name);
}

/*
 * Calls fn for each entry of the directory open at dfd (not . and ..),
 * bounded; the directory stays open. 0/-1 with errno.
 */
static int
each_entry(int dfd, void (*fn)(int, const char *, void *), void *arg)
{
	struct dirent *de;
	DIR *d;
	size_t seen = 0;
	int fd;

	if ((fd = dup(dfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL && seen++ < PREP_DIRENTS) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		fn(dfd, de->d_name, arg);
	}
	closedir(d);
	return 0;
}

/* Opens a subdirectory without following links: fd, or -1 (ENOENT: none). */
static int
subdir_at(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
}

struct tally {
	size_t	 n;
	char	 names[PREP_DETAIL_MAX];
	const char *prefix;	/* for names: "keys/" */
	const char *suffix;	/* count only names ending so; NULL: all */
	int	 depth;		/* count the entries of each subdirectory */
};

static void
tally_one(int dfd, const char *name, void *arg)
{
	struct tally *t = arg, sub;
	size_t nl = strlen(name), sl;
	char full[600];
	int fd;

	if (t->depth > 0) {
		if ((fd = subdir_at(dfd, name)) < 0)
			return;
		sub = *t;
		sub.n = 0;
		sub.depth--;
		(void)each_entry(fd, tally_one, &sub);
		close(fd);
		t->n += sub.n;
		return;
	}
	if (t->suffix != NULL) {
		sl = strlen(t->suffix);
		if (nl < sl || strcmp(name + nl - sl, t->suffix) != 0)
			return;
	}
	t->n++;
	snprintf(full, sizeof(full), "%s%s", t->prefix != NULL ? t->prefix : "",
	    name);
	detail_add(t->names, sizeof(t->names), full);
}

/* Counts the entries of a store subdirectory (depth levels down). */
static size_t
count_sub(struct store *st, const char *sub, int depth, const char *suffix)
{
	struct tally t;
	int fd;

	memset(&t, 0, sizeof(t));
	t.depth = depth;
	t.suffix = suffix;
	if ((fd = store_subdir(st, sub)) < 0)
		return 0;
	(void)each_entry(fd, tally_one, &t);
	close(fd);
	return t.n;
}

static int
present_at(int dfd, const char *name)
{
	struct stat sb;

	return fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

/* An item about an entry of paths.state, named by its full path. */
static void
store_item(struct prep_plan *p, struct store *st, const char *what,
    enum prep_action a, size_t count, const char *name, const char *detail)
{
	char *path = NULL;

	xasprintf(&path, "%s/%s", st->dir, name);
	prep_item(p, what, a, count, path, detail);
	free(path);
}

static void
scan_generations(struct store *st, struct prep_plan *p)
{
	unsigned long *gens = NULL;
	size_t n = 0;
	char detail[64] = "";

	if (store_list(st, &gens, &n) == 0 && n > 0)
		snprintf(detail, sizeof(detail), n == 1 ? "%lu" : "%lu-%lu",
		    gens[0], gens[n - 1]);
	free(gens);
	store_item(p, st, "generations", PREP_CLEAR, n, "gen", detail);
	store_item(p, st, "blobs", PREP_CLEAR, count_sub(st, "blobs", 1, NULL),
	    "blobs", NULL);
	if (present_at(st->dirfd, "gen"))
		prep_op(p, PREP_OP_TRASH, "gen");
	if (present_at(st->dirfd, "blobs"))
		prep_op(p, PREP_OP_TRASH, "blobs");
}

/* snap/KIND/NAME/: one snapshot each, named KIND/NAME. */
static void
snap_kind(int dfd, const char *kind, void *arg)
{
	struct tally *t = arg, sub;
	char prefix[80];
	int fd;

	if ((fd = subdir_at(dfd, kind)) < 0)
		return;
	sub = *t;
	snprintf(prefix, sizeof(prefix), "%s/", kind);
	sub.prefix = prefix;
	(void)each_entry(fd, tally_one, &sub);
	close(fd);
	t->n = sub.n;
	memcpy(t->names, sub.names, sizeof(t->names));
}

static void
scan_snapshots(struct store *st, struct prep_plan *p)
{
	struct tally t;
	int fd;

	memset(&t, 0, sizeof(t));
	if ((fd = store_subdir(st, "snap")) >= 0) {
		(void)each_entry(fd, snap_kind, &t);
		close(fd);
		prep_op(p, PREP_OP_TRASH, "snap");
	}
	store_item(p, st, "snapshots", PREP_CLEAR, t.n, "snap", t.names);
}

static void
scan_counters(struct store *st, int nusers, int nsources, struct prep_plan *p)
{
	struct counters c;
	char *path = NULL, err[256], detail[320] = "";
	size_t n = 0;

	xasprintf(&path, "%s/%s", st->dir, COUNTERS_FILE);
	if (present_at(st->dirfd, COUNTERS_FILE)) {
		prep_op(p, PREP_OP_TRASH, COUNTERS_FILE);
		memset(&c, 0, sizeof(c));
		if (counters_init(&c, (size_t)nusers, (size_t)nsources, NULL,
		    0) == 0 && counters_load(&c, path, err, sizeof(err)) == 0) {
			n = c.users.used + c.sources.used;
			snprintf(detail, sizeof(detail), "%zu user%s, %zu "
			    "source%s", c.users.used, c.users.used == 1 ? "" :
			    "s", c.sources.used, c.sources.used == 1 ? "" : "s");
		} else
			snprintf(detail, sizeof(detail), "unreadable: %s",
			    errno == EBADMSG ? err : strerror(errno));
		counters_free(&c);
	}
	prep_item(p, "counters", PREP_CLEAR, n, path, detail);
	free(path);
}

/*
 * guard.state: pause, ladder step, confirm deadlines, fights, authlog's
 * offset all go; the marks of accounts sshmedic created stay, for those
 * accounts stay in the image (image-prep removes no account).
 */
static void
scan_guard_state(struct store *st, struct prep_plan *p)
{
	char **keys = NULL, cleared[PREP_DETAIL_MAX] = "";
	char kept[PREP_DETAIL_MAX] = "", *path = NULL;
	size_t n = 0, i, nclear = 0, nkept = 0;
	size_t pl = strlen(PREP_ACCOUNT_PREFIX);

	xasprintf(&path, "%s/%s", st->dir, STATE_FILE);
	if (store_state_keys(st, &keys, &n) == -1) {
		/* Ours and corrupt: nothing in it can be trusted or kept. */
		prep_item(p, "guard-state", PREP_CLEAR, 1, path,
		    "malformed: cleared whole");
		prep_op(p, PREP_OP_TRASH, STATE_FILE);
		free(path);
		return;
	}
	for (i = 0; i < n; i++) {
		if (strncmp(keys[i], PREP_ACCOUNT_PREFIX, pl) == 0 &&
		    keys[i][pl] != '\0') {
			nkept++;
			detail_add(kept, sizeof(kept), keys[i] + pl);
			continue;
		}
		nclear++;
		detail_add(cleared, sizeof(cleared), keys[i]);
	}
	prep_item(p, "guard-state", PREP_CLEAR, nclear, path, cleared);
	if (nkept == 0 && present_at(st->dirfd, STATE_FILE))
		prep_op(p, PREP_OP_TRASH, STATE_FILE);
	for (i = 0; nkept > 0 && i < n; i++)
		if (strncmp(keys[i], PREP_ACCOUNT_PREFIX, pl) != 0 ||
		    keys[i][pl] == '\0')
			prep_op(p, PREP_OP_STATE_KEY, keys[i]);
	if (nkept > 0)
		prep_item(p, "accounts", PREP_KEEP, nkept, path, kept);
	sm_strv_free(keys, n);
	free(path);
}

struct others {
	struct prep_plan *p;
	const struct stat *skip;
	size_t	 nskip;
	size_t	 n;
	char	 names[PREP_DETAIL_MAX];
};

/* Every other entry of paths.state is sshmedic's own state too. */
static void
other_one(int dfd, const char *name, void *arg)
{
	static const char *handled[] = { "gen", "blobs", "snap", QUAR_SUB,
	    COUNTERS_FILE, STATE_FILE, PREP_TRASH };
	struct others *o = arg;
	struct stat sb;
	size_t i;

	for (i = 0; i < SM_NELEM(handled); i++)
		if (strcmp(name, handled[i]) == 0)
			return;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return;
	for (i = 0; i < o->nskip; i++)
		if (sb.st_dev == o->skip[i].st_dev &&
		    sb.st_ino == o->skip[i].st_ino)
			return;
	o->n++;
	detail_add(o->names, sizeof(o->names), name);
	prep_op(o->p, PREP_OP_TRASH, name);
}

/* See prep.h: 0, or -1 with err. */
int
prep_scan_store(struct store *st, const struct stat *skip, size_t nskip,
    int counters_users, int counters_sources, struct prep_plan *p,
    char *err, size_t errlen)
{
	struct others o;

	if (rollback_pending(st)) {
		snprintf(err, errlen, "%s/intent: a rollback was interrupted; "
		    "start sshmedicd once so that it completes it, stop it, "
		    "then run image-prep again", st->dir);
		return -1;
	}
	if (present_at(st->dirfd, PREP_TRASH)) {
		store_item(p, st, "interrupted", PREP_CLEAR, 1, PREP_TRASH,
		    "left by an image-prep that did not finish");
		prep_op(p, PREP_OP_EMPTY_TRASH, NULL);
	}
	/* Generations first: once they are gone the next start is gen 1. */
	scan_generations(st, p);
	scan_snapshots(st, p);
	scan_counters(st, counters_users, counters_sources, p);
	scan_guard_state(st, p);
	memset(&o, 0, sizeof(o));
	o.p = p;
	o.skip = skip;
	o.nskip = nskip;
	if (each_entry(st->dirfd, other_one, &o) == -1) {
		snprintf(err, errlen, "%s: %s", st->dir, strerror(errno));
		return -1;
	}
	prep_item(p, "state-files", PREP_CLEAR, o.n, st->dir, o.names);
	return 0;
}

/* See prep.h: 0/-1 with err. */
int
prep_scan_quarantine(struct store *st, int discard, struct prep_plan *p,
    char *err, size_t errlen)
{
	char **names = NULL, *path = NULL, detail[128];
	size_t n = 0, files;

	if (present_at(st->dirfd, QUAR_SUB) &&
	    store_quarantine_list(st, &names, &n) == -1) {
		snprintf(err, errlen, "%s/%s: %s", st->dir, QUAR_SUB,
		    strerror(errno));
		return -1;
	}
	sm_strv_free(names, n);
	files = count_sub(st, QUAR_SUB, 1, ".meta");
	xasprintf(&path, "%s/%s", st->dir, QUAR_SUB);
	snprintf(detail, sizeof(detail), "%zu event director%s, %zu file%s",
	    n, n == 1 ? "y" : "ies", files, files == 1 ? "" : "s");
	prep_item(p, "quarantine", discard ? PREP_DISCARD : PREP_KEEP, files,
	    path, detail);
	free(path);
	if (discard && present_at(st->dirfd, QUAR_SUB))
		prep_op(p, PREP_OP_TRASH, QUAR_SUB);
	prep_op(p, PREP_OP_EMPTY_TRASH, NULL);
	return 0;
}

/* Renames an entry of paths.state into the trash. 0/-1. */
static int
to_trash(struct store *st, const char *name)
{
	int tfd, r, saved;

	if (!present_at(st->dirfd, name))
		return 0;
	if (store_mkdirat(st->dirfd, PREP_TRASH, 0700) == -1 ||
	    (tfd = subdir_at(st->dirfd, PREP_TRASH)) < 0)
		return -1;
	r = renameat(st->dirfd, name, tfd, name);
	saved = errno;
	if (r == 0)
		(void)fsync(st->dirfd);
	close(tfd);
	errno = saved;
	return r == -1 && errno == ENOENT ? 0 : r;
}

/* Removes a file outside the store and syncs its directory. 0/-1. */
static int
unlink_path(const char *path)
{
	char *dir = NULL, *base = NULL;

	if (unlink(path) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fs_split(path, &dir, &base) == 0)
		(void)fs_fsync_dir(dir);
	free(dir);
	free(base);
	return 0;
}

static int
run_op(struct store *st, const struct prep_plan *p, const struct prep_op *op)
{
	switch (op->kind) {
	case PREP_OP_TRASH:
		return to_trash(st, op->arg);
	case PREP_OP_STATE_KEY:
		return store_state_set(st, op->arg, NULL);
	case PREP_OP_UNLINK:
		return unlink_path(op->arg);
	case PREP_OP_QUARANTINE:
		if (store_quarantine_move(st, p->evid, op->arg, "image-prep: an "
		    "admin's request file, never processed or refused, moved "
		    "out of the image's requests") == -1)
			return errno == ENOENT ? 0 : -1;
		return 0;
	case PREP_OP_EMPTY_TRASH:
		if (store_rmtree_at(st->dirfd, PREP_TRASH, 0) == -1)
			return -1;
		return fsync(st->dirfd);
	}
	errno = EINVAL;
	return -1;
}

/* See prep.h: 0, or -1 with err. */
int
prep_apply(struct store *st, const struct prep_plan *p, char *err,
    size_t errlen)
{
	static const char *kinds[] = { "move into the trash", "drop key",
	    "remove", "quarantine", "empty the trash" };
	size_t i;

	for (i = 0; i < p->nops; i++) {
		if (run_op(st, p, &p->ops[i]) == 0)
			continue;
		snprintf(err, errlen, "%s %s%s%s: %s", kinds[p->ops[i].kind],
		    p->ops[i].kind == PREP_OP_TRASH ? st->dir : "",
		    p->ops[i].kind == PREP_OP_TRASH ? "/" : "",
		    p->ops[i].kind == PREP_OP_EMPTY_TRASH ? PREP_TRASH :
		    p->ops[i].arg, strerror(errno));
		return -1;
	}
	return 0;
}
