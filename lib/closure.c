/*
 * The sshd configuration closure: every file sshd 9.2 would read (parsed in
 * closure_parse.c), what each is, the directories to watch, its digest.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "closure.h"
#include "closure_int.h"
#include "digest.h"
#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "xmalloc.h"

#define CL_MAX_PROBLEMS	64
#define CL_MAX_DIRS	(4 * CLOSURE_MAX_FILES)

static const char *role_names[] = { "main", "include", "hostkey" };
static const char *state_names[] = {
	"reg", "missing", "dir", "dangling", "other", "unreadable", "toobig",
};

/* See closure_int.h. */
void
cl_problem(struct cl_ctx *ctx, const char *file, int line, const char *fmt,
    ...)
{
	struct closure *cl = ctx->cl;
	char msg[512], *p;
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xasprintf(&p, "%s:%d: %s", file, line, msg);
	for (i = 0; i < cl->nproblems; i++) {
		if (strcmp(cl->problems[i], p) == 0) {
			free(p);
			return;
		}
	}
	if (cl->nproblems >= CL_MAX_PROBLEMS) {
		free(p);
		return;
	}
	if (cl->nproblems == CL_MAX_PROBLEMS - 1) {
		free(p);
		xasprintf(&p, "%s:%d: too many problems, rest not listed",
		    file, line);
	}
	cl->problems = xreallocarray(cl->problems, cl->nproblems + 1,
	    sizeof(*cl->problems));
	cl->problems[cl->nproblems++] = p;
	debug_f("%s", p);
}

/* Parent directory of path ("/" for "/x" and for "/"), malloc'd. */
static char *
cl_dirname(const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return xstrdup(".");
	return xstrndup(path, n);
}

/* Adds dir, or its nearest existing ancestor, to cl->dirs once. */
static void
cl_add_dir(struct cl_ctx *ctx, const char *dir)
{
	struct closure *cl = ctx->cl;
	struct stat st;
	char *d = xstrdup(dir), *up;
	size_t i;
	int guard;

	for (guard = 0; guard < PATH_MAX; guard++) {
		if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
			break;
		up = cl_dirname(d);
		if (strcmp(up, d) == 0) {
			free(up);
			break;
		}
		free(d);
		d = up;
	}
	for (i = 0; i < cl->ndirs; i++) {
		if (strcmp(cl->dirs[i], d) == 0) {
			free(d);
			return;
		}
	}
	if (cl->ndirs >= CL_MAX_DIRS) {
		cl->truncated = 1;
		free(d);
		return;
	}
	cl->dirs = xreallocarray(cl->dirs, cl->ndirs + 1, sizeof(*cl->dirs));
	cl->dirs[cl->ndirs++] = d;
}

/* The directory an Include pattern watches: its part before any wildcard. */
void
cl_add_pattern_dir(struct cl_ctx *ctx, const char *pattern)
{
	size_t n = strcspn(pattern, "*?[\\");
	char *d;

	if (pattern[n] == '\0')
		d = cl_dirname(pattern);
	else {
		while (n > 0 && pattern[n - 1] != '/')
			n--;
		d = n <= 1 ? xstrdup(n == 1 ? "/" : ".") :
		    xstrndup(pattern, n - 1);
	}
	cl_add_dir(ctx, d);
	free(d);
}

static void
cl_set_stat(struct cl_file *f, const struct stat *st, long long *mtime)
{
	f->uid = st->st_uid;
	f->gid = st->st_gid;
	f->mode = st->st_mode & 07777;
	f->size = st->st_size;
	*mtime = (long long)st->st_mtim.tv_sec * 1000000000LL +
	    st->st_mtim.tv_nsec;
}

/*
 * See closure_int.h. A symlink is followed as sshd does. Host keys pass
 * content NULL and are never opened.
 */
void
cl_examine(const char *path, struct cl_file *f, long long *mtime,
    char **content, size_t *clen)
{
	struct stat lst, st;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	if (content != NULL)
		*content = NULL;
	if (lstat(path, &lst) != 0) {
		f->err = errno;
		f->state = errno == ENOENT || errno == ENOTDIR ?
		    CL_MISSING : CL_UNREADABLE;
		return;
	}
	st = lst;
	if (S_ISLNK(lst.st_mode)) {
		f->is_symlink = 1;
		if (stat(path, &st) != 0) {
			f->err = errno;
			f->state = errno == ENOENT || errno == ENOTDIR ?
			    CL_DANGLING : CL_UNREADABLE;
			return;
		}
	}
	cl_set_stat(f, &st, mtime);
	if (S_ISDIR(st.st_mode)) {
		f->state = CL_DIR;
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		f->state = CL_OTHER;
		return;
	}
	f->state = CL_REG;
	if (content == NULL)
		return;
	/* O_NONBLOCK: a fifo swapped in after the stat must not hang us */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		f->err = errno;
		f->state = errno == ENOENT ? CL_MISSING : CL_UNREADABLE;
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		f->err = errno;
		f->state = S_ISDIR(st.st_mode) ? CL_DIR : CL_OTHER;
		goto out;
	}
	cl_set_stat(f, &st, mtime);
	if (st.st_size > CLOSURE_MAX_FILE_SIZE) {
		f->state = CL_TOOBIG;
		goto out;
	}
	if (fs_read_fd(fd, CLOSURE_MAX_FILE_SIZE, &buf, &len) != 0) {
		f->err = errno;
		f->state = errno == EFBIG ? CL_TOOBIG : CL_UNREADABLE;
		goto out;
	}
	digest_buf(buf, len, f->sha256);
	f->size = (off_t)len;
	*content = buf;
	*clen = len;
 out:
	close(fd);
}

static int
cl_find_index(const struct closure *cl, const char *path, int hostkey)
{
	size_t i;

	for (i = 0; i < cl->nfiles; i++) {
		if ((cl->files[i].role == CL_HOSTKEY) == (hostkey != 0) &&
		    strcmp(cl->files[i].path, path) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * Records path once. Config files are read into *content (NULL when not
 * a readable regular file), also when already recorded, since sshd reads
 * them again. Returns the index, or -1 past CLOSURE_MAX_FILES.
 */
int
cl_add_file(struct cl_ctx *ctx, const char *path, enum cl_role role,
    const char *from, int line, int depth, char **content, size_t *clen)
{
	struct closure *cl = ctx->cl;
	struct cl_file *f, tmp;
	long long mtime = 0;
	char *d;
	char real[PATH_MAX];
	int idx;

	if ((idx = cl_find_index(cl, path, role == CL_HOSTKEY)) != -1) {
		if (content != NULL) {
			memset(&tmp, 0, sizeof(tmp));
			cl_examine(path, &tmp, &mtime, content, clen);
		}
		return idx;
	}
	if (role != CL_HOSTKEY && ctx->nconfig >= CLOSURE_MAX_FILES) {
		cl->truncated = 1;
		if (!ctx->files_noted++)
			cl_problem(ctx, from ? from : path, line,
			    "more than %d configuration files, rest not read",
			    CLOSURE_MAX_FILES);
		return -1;
	}
	cl->files = xreallocarray(cl->files, cl->nfiles + 1,
	    sizeof(*cl->files));
	ctx->mtimes = xreallocarray(ctx->mtimes, cl->nfiles + 1,
	    sizeof(*ctx->mtimes));
	f = &cl->files[cl->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->role = role;
	f->from = from != NULL ? xstrdup(from) : NULL;
	f->line = line;
	f->depth = depth;
	cl_examine(path, f, &mtime, role == CL_HOSTKEY ? NULL : content,
	    clen);
	ctx->mtimes[cl->nfiles] = mtime;
	if (role != CL_HOSTKEY)
		ctx->nconfig++;
	idx = (int)cl->nfiles++;
	d = cl_dirname(path);
	cl_add_dir(ctx, d);
	free(d);
	/* an edit through the link target's own directory must be seen too */
	if (f->is_symlink && realpath(path, real) != NULL) {
		d = cl_dirname(real);
		cl_add_dir(ctx, d);
		free(d);
	}
	return idx;
}

/* See closure_int.h. */
char *
cl_absolute(struct cl_ctx *ctx, const char *p)
{
	char *r;

	if (*p == '/')
		return xstrdup(p);
	xasprintf(&r, "%s/%s", strcmp(ctx->cwd, "/") == 0 ? "" : ctx->cwd, p);
	return r;
}


/* Canonical serialisation of every entry; size and mtime where no hash is. */
static void
cl_digest(struct cl_ctx *ctx)
{
	struct closure *cl = ctx->cl;
	struct digest_ctx *d;
	const struct cl_file *f;
	char *rec;
	size_t i;

	d = digest_new();
	for (i = 0; i < cl->nfiles; i++) {
		f = &cl->files[i];
		xasprintf(&rec, "%s\n%zu:%s\n%s\n%d\n%lu\n%lu\n%04o\n%s\n",
		    closure_role_name(f->role), strlen(f->path), f->path,
		    closure_state_name(f->state), f->is_symlink,
		    (unsigned long)f->uid, (unsigned long)f->gid,
		    (unsigned int)f->mode, f->sha256);
		digest_update(d, rec, strlen(rec));
		free(rec);
		/*
		 * XXX: past the size limit, size and mtime stand in for
		 * content; for host keys always (their content is never
		 * read), so an emptied or replaced key is a change.
		 */
		if (f->state == CL_TOOBIG || f->role == CL_HOSTKEY) {
			xasprintf(&rec, "%lld %lld\n", (long long)f->size,
			    ctx->mtimes[i]);
			digest_update(d, rec, strlen(rec));
			free(rec);
		}
	}
	digest_update(d, cl->truncated ? "T" : "-", 1);
	digest_final(d, cl->digest);
}

static void
cl_ctx_free(struct cl_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nitems; i++)
		free(ctx->items[i].selector);
	free(ctx->items);
	for (i = 0; i < ctx->nhk; i++) {
		free(ctx->hk[i].path);
		free(ctx->hk[i].from);
	}
	free(ctx->hk);
	free(ctx->mtimes);
}

/* 0, or -1 with errno (EINVAL, ENAMETOOLONG, EIO); see closure.h. */
int
closure_read(const char *config, const char *sshdir, struct closure *cl)
{
	static const char *defkeys[] = {
		"ssh_host_rsa_key", "ssh_host_ecdsa_key", "ssh_host_ed25519_key",
	};
	struct cl_ctx ctx;
	char *main_path, *content = NULL, *p;
	size_t clen = 0, i, n;
	int active = 1;

	memset(cl, 0, sizeof(*cl));
	if (config == NULL || sshdir == NULL || *config == '\0' ||
	    *sshdir == '\0') {
		errno = EINVAL;
		return -1;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.cl = cl;
	if (getcwd(ctx.cwd, sizeof(ctx.cwd)) == NULL)
		sm_strlcpy(ctx.cwd, "/", sizeof(ctx.cwd));
	if (sm_strlcpy(ctx.sshdir, sshdir, sizeof(ctx.sshdir)) >=
	    sizeof(ctx.sshdir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* SSHDIR is spelled without a trailing slash */
	for (n = strlen(ctx.sshdir); n > 1 && ctx.sshdir[n - 1] == '/'; n--)
		ctx.sshdir[n - 1] = '\0';

	main_path = cl_absolute(&ctx, config);
	cl_add_file(&ctx, main_path, CL_MAIN, NULL, 0, 0, &content, &clen);
	if (content != NULL)
		cl_parse(&ctx, 0, content, clen, 0, 0, &active);
	else if (cl->files[0].state != CL_DIR)
		cl_problem(&ctx, main_path, 0, "%s",
		    cl->files[0].state == CL_TOOBIG ? "too big to check" :
		    cl->files[0].state == CL_OTHER ? "not a regular file" :
		    strerror(cl->files[0].err ? cl->files[0].err : EIO));
	free(content);
	free(main_path);

	if (ctx.hk_lines == 0) {
		for (i = 0; i < SM_NELEM(defkeys); i++) {
			xasprintf(&p, "%s/%s", ctx.sshdir, defkeys[i]);
			cl_add_file(&ctx, p, CL_HOSTKEY, NULL, 0, 0, NULL,
			    NULL);
			free(p);
		}
	}
	for (i = 0; i < ctx.nhk; i++) {
		cl_add_file(&ctx, ctx.hk[i].path, CL_HOSTKEY, ctx.hk[i].from,
		    ctx.hk[i].line, ctx.hk[i].depth, NULL, NULL);
	}
	cl_digest(&ctx);
	cl_ctx_free(&ctx);
	return 0;
}

/* Frees everything closure_read allocated; cl may be NULL. */
void
closure_free(struct closure *cl)
{
	size_t i;

	if (cl == NULL)
		return;
	for (i = 0; i < cl->nfiles; i++) {
		free(cl->files[i].path);
		free(cl->files[i].from);
	}
	free(cl->files);
	sm_strv_free(cl->dirs, cl->ndirs);
	sm_strv_free(cl->problems, cl->nproblems);
	memset(cl, 0, sizeof(*cl));
}

/* The entry for path, or NULL. */
const struct cl_file *
closure_find(const struct closure *cl, const char *path)
{
	size_t i;

	if (cl == NULL || path == NULL)
		return NULL;
	for (i = 0; i < cl->nfiles; i++) {
		if (strcmp(cl->files[i].path, path) == 0)
			return &cl->files[i];
	}
	return NULL;
}

/* Never NULL: "unknown" for a value out of range. */
const char *
closure_role_name(enum cl_role role)
{
	if ((size_t)role >= SM_NELEM(role_names))
		return "unknown";
	return role_names[role];
}

/* Never NULL: "unknown" for a value out of range. */
const char *
closure_state_name(enum cl_state state)
{
	if ((size_t)state >= SM_NELEM(state_names))
		return "unknown";
	return state_names[state];
}

/* The role, or -1 for an unknown name. */
int
closure_role_from_name(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < SM_NELEM(role_names); i++) {
		if (strcmp(name, role_names[i]) == 0)
			return (int)i;
	}
	return -1;
}

/* The state, or -1 for an unknown name. */
int
closure_state_from_name(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < SM_NELEM(state_names); i++) {
		if (strcmp(name, state_names[i]) == 0)
			return (int)i;
	}
	return -1;
}
