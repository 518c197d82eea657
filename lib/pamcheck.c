/*
 * sshd's PAM stack read the way libpam reads it: every module a line names
 * must load (exist), every included file too; nothing is changed here.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fsutil.h"
#include "misc.h"
#include "pamcheck.h"
#include "xmalloc.h"

#define PF_FILE_MAX	(64 * 1024)
#define PF_LINE_MAX	4096
#define PF_MODDIRS_MAX	8

/* Where libpam looks for a module named without a path. */
static const char *const moddir_globs[] = {
	"/lib/*-linux-gnu*/security", "/usr/lib/*-linux-gnu*/security",
	"/lib/security", "/lib64/security", "/usr/lib/security",
	"/usr/lib64/security",
};

struct pf_walk {
	const char *dir;
	char	 files[PAMCHECK_MAX_FILES][PATH_MAX];
	size_t	 n;
	char	*problems;
	size_t	 plen;
	int	 bad;
	char	 moddirs[PF_MODDIRS_MAX][PATH_MAX];
	size_t	 nmoddirs;
};

/*
 * The security directories, globbed once per process: the system's module
 * directories do not move, and the daemon checks the stack at every
 * protected login (bench/pam saw ~30 syscalls an event for the globs).
 */
static void
find_moddirs(struct pf_walk *w)
{
	static char dirs[PF_MODDIRS_MAX][PATH_MAX];
	static size_t ndirs;
	static int done;
	glob_t g;
	size_t i, j;

	if (!done) {
		for (i = 0; i < SM_NELEM(moddir_globs); i++) {
			memset(&g, 0, sizeof(g));
			if (glob(moddir_globs[i], GLOB_ONLYDIR, NULL, &g) != 0)
				continue;
			for (j = 0; j < g.gl_pathc && ndirs < PF_MODDIRS_MAX; j++)
				sm_strlcpy(dirs[ndirs++], g.gl_pathv[j],
				    sizeof(dirs[0]));
			globfree(&g);
		}
		done = 1;
	}
	memcpy(w->moddirs, dirs, sizeof(dirs));
	w->nmoddirs = ndirs;
}

static int
module_found(const struct pf_walk *w, const char *mod)
{
	char p[PATH_MAX];
	size_t i;

	if (mod[0] == '/')
		return access(mod, R_OK) == 0;
	for (i = 0; i < w->nmoddirs; i++) {
		snprintf(p, sizeof(p), "%s/%s", w->moddirs[i], mod);
		if (access(p, R_OK) == 0)
			return 1;
	}
	return 0;
}

static void
problem(struct pf_walk *w, const char *file, unsigned int line,
    const char *what, const char *name)
{
	w->bad = 1;
	sm_appendf(w->problems, w->plen, "; ", "%s:%u: %s %s", file, line, what,
	    name);
}

/* Cuts the next word of *p (a "[...]" group whole when brackets). */
static char *
word(char **p)
{
	char *s = *p, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return NULL;
	if (*s == '[' && (e = strchr(s, ']')) != NULL)
		e++;
	else
		e = s + strcspn(s, " \t");
	if (*e != '\0')
		*e++ = '\0';
	*p = e;
	return s;
}

static int walk_file(struct pf_walk *, const char *, const char *,
    unsigned int, int);

/* One logical line of file (continuations joined). */
static void
check_line(struct pf_walk *w, const char *file, unsigned int ln, char *line,
    int depth)
{
	char *p = line, *type, *ctl, *mod;
	int optional;

	if ((type = word(&p)) == NULL || type[0] == '#')
		return;
	if (strcmp(type, "@include") == 0) {
		if ((mod = word(&p)) == NULL)
			problem(w, file, ln, "@include without a file", "");
		else
			walk_file(w, mod, file, ln, depth + 1);
		return;
	}
	optional = type[0] == '-';
	if (optional)
		type++;
	if (strcasecmp(type, "auth") != 0 && strcasecmp(type, "account") != 0 &&
	    strcasecmp(type, "password") != 0 &&
	    strcasecmp(type, "session") != 0) {
		problem(w, file, ln, "unknown type", type);
		return;
	}
	if ((ctl = word(&p)) == NULL || (mod = word(&p)) == NULL) {
		problem(w, file, ln, "incomplete line for", type);
		return;
	}
	if (strcmp(ctl, "include") == 0 || strcmp(ctl, "substack") == 0) {
		walk_file(w, mod, file, ln, depth + 1);
		return;
	}
	if (!optional && !module_found(w, mod))
		problem(w, file, ln, "module not found:", mod);
}

/* Reads and checks one file (once), following its includes. 0/-1. */
static int
walk_file(struct pf_walk *w, const char *name, const char *from,
    unsigned int fromline, int depth)
{
	char path[PATH_MAX], logical[PF_LINE_MAX + 2], *buf, *cur, *nl;
	size_t len, i, n, ll;
	unsigned int ln = 0, first;
	int cont;

	if (name[0] == '/')
		sm_strlcpy(path, name, sizeof(path));
	else
		snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	for (i = 0; i < w->n; i++)
		if (strcmp(w->files[i], path) == 0)
			return 0;
	if (depth > PAMCHECK_MAX_DEPTH || w->n >= PAMCHECK_MAX_FILES) {
		problem(w, from != NULL ? from : path, fromline,
		    "includes nested too deep or too many:", path);
		return -1;
	}
	if (fs_read_file(path, PF_FILE_MAX, 1, &buf, &len) == -1) {
		if (from == NULL)
			return -1;
		problem(w, from, fromline, "included file unreadable:", path);
		return -1;
	}
	sm_strlcpy(w->files[w->n++], path, sizeof(w->files[0]));
	logical[0] = '\0';
	first = 0;
	for (cur = buf; cur != NULL; cur = nl) {
		if ((nl = strchr(cur, '\n')) != NULL)
			*nl++ = '\0';
		else if (*cur == '\0')
			break;
		ln++;
		if (logical[0] == '\0')
			first = ln;
		n = strlen(cur);
		/* A backslash at the end of a line continues it. */
		cont = n > 0 && cur[n - 1] == '\\';
		if (cont)
			cur[--n] = '\0';
		if (strlen(logical) + n + 2 > sizeof(logical)) {
			problem(w, path, first, "line too long", "");
			logical[0] = '\0';
			continue;
		}
		ll = strlen(logical);
		memcpy(logical + ll, cur, n + 1);
		if (cont) {
			memcpy(logical + ll + n, " ", 2);
			continue;
		}
		check_line(w, path, first, logical, depth);
		logical[0] = '\0';
	}
	if (logical[0] != '\0')
		check_line(w, path, first, logical, depth);
	free(buf);
	return 0;
}

/* See pamcheck.h: 1/0/-1. */
int
pamcheck_stack(const char *dir, const char *service, char *problems,
    size_t plen)
{
	struct pf_walk *w = xcalloc(1, sizeof(*w));
	int r;

	problems[0] = '\0';
	w->dir = dir;
	w->problems = problems;
	w->plen = plen;
	find_moddirs(w);
	if (!sm_token_ok(service, 64, "._-") || service[0] == '.') {
		snprintf(problems, plen, "\"%s\" is not a PAM service name",
		    service);
		r = -1;
	} else if (walk_file(w, service, NULL, 0, 0) == -1 && w->n == 0) {
		snprintf(problems, plen, "%s/%s: %s", dir, service,
		    strerror(errno));
		r = -1;
	} else
		r = !w->bad;
	free(w);
	return r;
}

/* See pamcheck.h: the count. */
size_t
pamcheck_files(const char *dir, const char *service, char files[][PATH_MAX],
    size_t max)
{
	struct pf_walk *w = xcalloc(1, sizeof(*w));
	char problems[2048];
	size_t i, n;

	w->dir = dir;
	w->problems = problems;
	w->plen = sizeof(problems);
	problems[0] = '\0';
	find_moddirs(w);
	(void)walk_file(w, service, NULL, 0, 0);
	n = w->n < max ? w->n : max;
	for (i = 0; i < n; i++)
		sm_strlcpy(files[i], w->files[i], PATH_MAX);
	free(w);
	return n;
}

