/*
 * sshd_config read as sshd 9.2's servconf.c reads it: the tokeniser, then
 * Include (glob cache, depth limit), HostKey and Match at start-up.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "closure.h"
#include "closure_int.h"
#include "misc.h"
#include "pwdb.h"
#include "xmalloc.h"

/* Work bounds: a glob cycle through sshd's include cache can be exponential. */
#define CL_MAX_PARSES	(CLOSURE_MAX_FILES * CLOSURE_MAX_DEPTH)
#define CL_MAX_BYTES	(64LL * CLOSURE_MAX_FILE_SIZE)
#define CL_WS		" \t\r\n"

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
	struct pwdb_user pw;
	const char *rest;
	char *user, *r;
	size_t n;
	int found;

	if (*p != '~')
		return cl_absolute(ctx, p);
	n = strcspn(p + 1, "/");
	rest = p + 1 + n;
	if (n == 0)
		found = pwdb_user_byuid(getuid(), &pw);
	else {
		user = xstrndup(p + 1, n);
		found = pwdb_user_byname(user, &pw);
		free(user);
	}
	if (found != 1)
		return cl_absolute(ctx, p);
	xasprintf(&r, "%s%s", pw.dir, rest);
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

/* See closure_int.h. */
void
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

