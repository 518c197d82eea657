/*
 * Reads the sshd configuration closure the way sshd 9.2 does (servconf.c:
 * tokeniser, Include with its glob cache and depth limit, HostKey), and
 * records what each file is, so the guard knows what to watch and restore.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "closure.h"
#include "digest.h"
#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "xmalloc.h"

#define CL_MAX_PROBLEMS	64
#define CL_MAX_DIRS	(4 * CLOSURE_MAX_FILES)
/* Work bounds: a glob cycle through sshd's include cache can be exponential. */
#define CL_MAX_PARSES	(CLOSURE_MAX_FILES * CLOSURE_MAX_DEPTH)
#define CL_MAX_BYTES	(64LL * CLOSURE_MAX_FILE_SIZE)
#define CL_WS		" \t\r\n"

/* sshd's include cache entry: a glob selector and one file it matched. */
struct cl_item {
	char	*selector;
	int	 file;		/* index in files, -1: matched nothing */
};

struct cl_hostkey {
	char	*path;
	char	*from;
	int	 line;
	int	 depth;
};

struct cl_ctx {
	struct closure	*cl;
	char		 sshdir[PATH_MAX];
	char		 cwd[PATH_MAX];
	struct cl_item	*items;
	size_t		 nitems;
	struct cl_hostkey *hk;
	size_t		 nhk;
	int		 hk_lines;	/* HostKey lines, "none" included */
	size_t		 nconfig;
	long long	*mtimes;	/* per file, for CL_TOOBIG digests */
	size_t		 parses;
	long long	 bytes;
	int		 work_noted;
	int		 depth_noted;
	int		 files_noted;
};

static void cl_parse(struct cl_ctx *, int, const char *, size_t, int, int,
    int *);

static const char *role_names[] = { "main", "include", "hostkey" };
static const char *state_names[] = {
	"reg", "missing", "dir", "dangling", "other", "unreadable", "toobig",
};

static void __attribute__((format(printf, 4, 5)))
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
static void
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
 * Fills f's state and stat facts for path, following a symlink as sshd
 * does. With content != NULL (config files only) a regular file is read
 * and hashed; host keys pass NULL and are never opened.
 */
static void
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
	if (digest_buf(buf, len, f->sha256) != 0) {
		f->err = errno;
		f->state = CL_UNREADABLE;
		free(buf);
		goto out;
	}
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
static int
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

/* Absolute form of p: sshd opens relative names from its cwd. */
static char *
cl_absolute(struct cl_ctx *ctx, const char *p)
{
	char *r;

	if (*p == '/')
		return xstrdup(p);
	xasprintf(&r, "%s/%s", strcmp(ctx->cwd, "/") == 0 ? "" : ctx->cwd, p);
	return r;
}

/*
 * sshd's load_server_config: every line loses its leading " \t\r", and
 * (getline + strlen) everything from a NUL byte to the end of its line,
 * newline included.
 */
static char *
cl_sshd_buffer(const char *buf, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t i = 0, o = 0, end, n;

	while (i < len) {
		for (end = i; end < len && buf[end] != '\n'; end++)
			;
		if (end < len)
			end++;
		while (i < end && (buf[i] == ' ' || buf[i] == '\t' ||
		    buf[i] == '\r'))
			i++;
		for (n = i; n < end && buf[n] != '\0'; n++)
			;
		memcpy(out + o, buf + i, n - i);
		o += n - i;
		i = end;
	}
	out[o] = '\0';
	return out;
}

/* sshd's strdelim(): one token, '=' allowed once as a separator. */
static char *
cl_strdelim(char **s)
{
	char *old;
	int wspace = 0;

	if (*s == NULL)
		return NULL;
	old = *s;
	if ((*s = strpbrk(*s, CL_WS "\"=")) == NULL)
		return old;
	if (**s == '"') {
		memmove(*s, *s + 1, strlen(*s));
		if ((*s = strpbrk(*s, "\"")) == NULL)
			return NULL;
		**s = '\0';
		*s += strspn(*s + 1, CL_WS) + 1;
		return old;
	}
	if (**s == '=')
		wspace = 1;
	**s = '\0';
	*s += strspn(*s + 1, CL_WS) + 1;
	if (**s == '=' && !wspace)
		*s += strspn(*s + 1, CL_WS) + 1;
	return old;
}

/*
 * sshd's argv_split(..., terminate_on_comment=1): blanks separate, '"' and
 * '\'' quote, backslash escapes quotes, itself and (unquoted) a space.
 * 0, or -1 on an unterminated quote.
 */
static int
cl_argv_split(const char *s, int *acp, char ***avp)
{
	char **av = NULL, *arg;
	int ac = 0, quote;
	size_t i, j;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == ' ' || s[i] == '\t')
			continue;
		if (s[i] == '#')
			break;
		quote = 0;
		av = xreallocarray(av, (size_t)ac + 1, sizeof(*av));
		arg = av[ac++] = xcalloc(1, strlen(s + i) + 1);
		for (j = 0; s[i] != '\0'; i++) {
			if (s[i] == '\\') {
				if (s[i + 1] == '\'' || s[i + 1] == '"' ||
				    s[i + 1] == '\\' ||
				    (quote == 0 && s[i + 1] == ' '))
					i++;
				arg[j++] = s[i];
			} else if (quote == 0 && (s[i] == ' ' || s[i] == '\t'))
				break;
			else if (quote == 0 && (s[i] == '"' || s[i] == '\''))
				quote = s[i];
			else if (quote != 0 && s[i] == quote)
				quote = 0;
			else
				arg[j++] = s[i];
		}
		if (s[i] == '\0') {
			if (quote != 0) {
				sm_strv_free(av, (size_t)ac);
				return -1;
			}
			break;
		}
	}
	*acp = ac;
	*avp = av;
	return 0;
}

/* sshd dies at the first one; later ones would only repeat it. */
static void
cl_too_deep(struct cl_ctx *ctx, const char *from, int line, const char *path,
    int depth)
{
	ctx->cl->truncated = 1;
	if (ctx->depth_noted++)
		return;
	cl_problem(ctx, from, line, "include %s: too many recursive "
	    "configuration includes (depth %d > %d)", path, depth,
	    CLOSURE_MAX_DEPTH);
}

/* Parses one more copy of a file sshd reads again (include cache hit). */
static void
cl_reparse(struct cl_ctx *ctx, int idx, const char *from, int line,
    int depth, int nevermatch, int *activep)
{
	struct cl_file tmp;
	long long mtime;
	char *content = NULL, *path;
	size_t clen = 0;

	path = ctx->cl->files[idx].path;
	if (depth > CLOSURE_MAX_DEPTH) {
		cl_too_deep(ctx, from, line, path, depth);
		return;
	}
	memset(&tmp, 0, sizeof(tmp));
	cl_examine(path, &tmp, &mtime, &content, &clen);
	if (content == NULL)
		return;
	cl_parse(ctx, idx, content, clen, depth, nevermatch, activep);
	free(content);
}

/* One Include argument, as servconf.c's sInclude handles it. */
static void
cl_include(struct cl_ctx *ctx, const char *from, int line, int depth,
    const char *arg2, int *activep)
{
	char *arg, *abs, *content;
	glob_t g;
	size_t i, clen, n;
	int oactive = *activep, found = 0, r, idx;
	struct cl_file *f;

	if (*arg2 != '/' && *arg2 != '~')
		xasprintf(&arg, "%s/%s", ctx->sshdir, arg2);
	else
		arg = xstrdup(arg2);
	abs = cl_absolute(ctx, arg);
	cl_add_pattern_dir(ctx, abs);
	free(abs);
	/* sshd's cache: a selector seen before re-reads what it matched */
	for (i = 0; i < ctx->nitems; i++) {
		if (strcmp(ctx->items[i].selector, arg) != 0)
			continue;
		if (ctx->items[i].file >= 0)
			cl_reparse(ctx, ctx->items[i].file, from, line,
			    depth + 1, !oactive, activep);
		found = 1;
		*activep = oactive;
	}
	if (found) {
		free(arg);
		return;
	}
	memset(&g, 0, sizeof(g));
	/* sorted below with strcmp: sshd sorts in the C locale */
	r = glob(arg, GLOB_NOSORT, NULL, &g);
	if (r == GLOB_NOMATCH) {
		ctx->items = xreallocarray(ctx->items, ctx->nitems + 1,
		    sizeof(*ctx->items));
		ctx->items[ctx->nitems].selector = xstrdup(arg);
		ctx->items[ctx->nitems++].file = -1;
		/* a file named without wildcards is watched for its return */
		if (strcspn(arg, "*?[\\") == strlen(arg)) {
			abs = cl_absolute(ctx, arg);
			cl_add_file(ctx, abs, CL_INCLUDE, from, line,
			    depth + 1, NULL, NULL);
			free(abs);
		}
	} else if (r != 0) {
		cl_problem(ctx, from, line, "include \"%s\" glob failed", arg);
	}
	n = r == 0 ? g.gl_pathc : 0;
	if (n > 1)
		qsort(g.gl_pathv, n, sizeof(*g.gl_pathv), sm_strpcmp);
	for (i = 0; i < n; i++) {
		abs = cl_absolute(ctx, g.gl_pathv[i]);
		content = NULL;
		clen = 0;
		idx = cl_add_file(ctx, abs, CL_INCLUDE, from, line, depth + 1,
		    &content, &clen);
		free(abs);
		if (idx < 0)
			break;
		f = &ctx->cl->files[idx];
		if (content == NULL && f->state != CL_DIR) {
			/* sshd exits when it cannot read a matched file */
			cl_problem(ctx, from, line, "include %s: %s", f->path,
			    f->state == CL_TOOBIG ? "too big to check" :
			    f->state == CL_OTHER ? "not a regular file" :
			    strerror(f->err ? f->err : EIO));
		} else if (depth + 1 > CLOSURE_MAX_DEPTH) {
			cl_too_deep(ctx, from, line, f->path, depth + 1);
		} else if (content != NULL) {
			cl_parse(ctx, idx, content, clen, depth + 1,
			    !oactive, activep);
		}
		free(content);
		*activep = oactive;
		ctx->items = xreallocarray(ctx->items, ctx->nitems + 1,
		    sizeof(*ctx->items));
		ctx->items[ctx->nitems].selector = xstrdup(arg);
		ctx->items[ctx->nitems++].file = idx;
	}
	if (r == 0)
		globfree(&g);
	free(arg);
}

/* sshd's derelativise_path: "~" expanded, relative to the cwd. */
static char *
cl_hostkey_path(struct cl_ctx *ctx, const char *p)
{
	const struct passwd *pw = NULL;
	const char *rest;
	char *user, *r;
	size_t n;

	if (*p != '~')
		return cl_absolute(ctx, p);
	n = strcspn(p + 1, "/");
	rest = p + 1 + n;
	if (n == 0)
		pw = getpwuid(getuid());
	else {
		user = xstrndup(p + 1, n);
		pw = getpwnam(user);
		free(user);
	}
	if (pw == NULL || pw->pw_dir == NULL)
		return cl_absolute(ctx, p);
	xasprintf(&r, "%s%s", pw->pw_dir, rest);
	return r;
}

static void
cl_hostkey(struct cl_ctx *ctx, const char *from, int line, int depth,
    int ac, char **av, int active)
{
	struct cl_hostkey *h;

	if (!active) {
		cl_problem(ctx, from, line, "Directive 'HostKey' is not "
		    "allowed within a Match block");
		return;
	}
	if (ac < 1 || *av[0] == '\0') {
		cl_problem(ctx, from, line, "HostKey: missing file name");
		return;
	}
	if (ac > 1)
		cl_problem(ctx, from, line, "HostKey: extra arguments");
	ctx->hk_lines++;
	if (strcasecmp(av[0], "none") == 0 || ctx->nhk >= CLOSURE_MAX_FILES)
		return;
	ctx->hk = xreallocarray(ctx->hk, ctx->nhk + 1, sizeof(*ctx->hk));
	h = &ctx->hk[ctx->nhk++];
	h->path = cl_hostkey_path(ctx, av[0]);
	h->from = xstrdup(from);
	h->line = line;
	h->depth = depth;
}

/* Match at start-up: only "Match all" makes the block active. */
static int
cl_match_active(const char *str)
{
	char *copy = xstrdup(str), *cp = copy, *attr, *arg;
	int r = 0;

	attr = cl_strdelim(&cp);
	if (attr != NULL && strcasecmp(attr, "all") == 0) {
		arg = cl_strdelim(&cp);
		r = arg == NULL || *arg == '\0' || *arg == '#';
	}
	free(copy);
	return r;
}

static void
cl_line(struct cl_ctx *ctx, const char *file, int linenum, char *line,
    int depth, int nevermatch, int *activep)
{
	char *str = line, *keyword, **av = NULL;
	size_t len;
	int ac = 0, i;

	if ((len = strlen(line)) == 0)
		return;
	for (len--; len > 0; len--) {
		if (strchr(CL_WS "\f", line[len]) == NULL)
			break;
		line[len] = '\0';
	}
	if ((keyword = cl_strdelim(&str)) == NULL)
		return;
	if (*keyword == '\0')
		keyword = cl_strdelim(&str);
	if (keyword == NULL || *keyword == '\0' || *keyword == '#')
		return;
	if (str == NULL || *str == '\0') {
		cl_problem(ctx, file, linenum, "no argument after keyword "
		    "\"%.64s\"", keyword);
		return;
	}
	if (cl_argv_split(str, &ac, &av) != 0) {
		cl_problem(ctx, file, linenum, "invalid quotes");
		return;
	}
	if (strcasecmp(keyword, "include") == 0) {
		for (i = 0; i < ac; i++) {
			if (*av[i] == '\0') {
				cl_problem(ctx, file, linenum,
				    "Include: empty argument");
				break;
			}
			cl_include(ctx, file, linenum, depth, av[i], activep);
		}
		if (ac == 0)
			cl_problem(ctx, file, linenum,
			    "Include: missing filename argument");
	} else if (strcasecmp(keyword, "hostkey") == 0 ||
	    strcasecmp(keyword, "hostdsakey") == 0) {
		cl_hostkey(ctx, file, linenum, depth, ac, av, *activep);
	} else if (strcasecmp(keyword, "match") == 0) {
		*activep = nevermatch ? 0 : cl_match_active(str);
	}
	sm_strv_free(av, (size_t)ac);
}

/* parse_server_config_depth over one file's content. */
static void
cl_parse(struct cl_ctx *ctx, int idx, const char *content, size_t clen,
    int depth, int nevermatch, int *activep)
{
	struct closure *cl = ctx->cl;
	char *buf, *cp, *line;
	const char *file = cl->files[idx].path;	/* stable when files grows */
	int linenum = 1;

	if (++ctx->parses > CL_MAX_PARSES ||
	    (ctx->bytes += (long long)clen) > CL_MAX_BYTES) {
		cl->truncated = 1;
		if (!ctx->work_noted++)
			cl_problem(ctx, file, 0, "includes re-read too often, "
			    "closure not followed further");
		return;
	}
	buf = cp = cl_sshd_buffer(content, clen);
	while ((line = strsep(&cp, "\n")) != NULL)
		cl_line(ctx, file, linenum++, line, depth, nevermatch, activep);
	free(buf);
}

/* Canonical serialisation of every entry; size and mtime where no hash is. */
static int
cl_digest(struct cl_ctx *ctx)
{
	struct closure *cl = ctx->cl;
	struct digest_ctx *d;
	const struct cl_file *f;
	char *rec;
	size_t i;
	int r = 0;

	if ((d = digest_new()) == NULL)
		return -1;
	for (i = 0; i < cl->nfiles && r == 0; i++) {
		f = &cl->files[i];
		xasprintf(&rec, "%s\n%zu:%s\n%s\n%d\n%lu\n%lu\n%04o\n%s\n",
		    closure_role_name(f->role), strlen(f->path), f->path,
		    closure_state_name(f->state), f->is_symlink,
		    (unsigned long)f->uid, (unsigned long)f->gid,
		    (unsigned int)f->mode, f->sha256);
		r = digest_update(d, rec, strlen(rec));
		free(rec);
		/*
		 * XXX: past the size limit, size and mtime stand in for
		 * content; for host keys always (their content is never
		 * read), so an emptied or replaced key is a change.
		 */
		if (r == 0 && (f->state == CL_TOOBIG || f->role == CL_HOSTKEY)) {
			xasprintf(&rec, "%lld %lld\n", (long long)f->size,
			    ctx->mtimes[i]);
			r = digest_update(d, rec, strlen(rec));
			free(rec);
		}
	}
	if (r == 0)
		r = digest_update(d, cl->truncated ? "T" : "-", 1);
	if (r != 0) {
		digest_free(d);
		return -1;
	}
	return digest_final(d, cl->digest);
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
	int active = 1, r;

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
	r = cl_digest(&ctx);
	cl_ctx_free(&ctx);
	if (r != 0) {
		error_f("digest of closure of %s failed", config);
		closure_free(cl);
		errno = EIO;
		return -1;
	}
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
