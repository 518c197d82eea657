/*
 * The PAM stack sshd runs: a module line that cannot load fails every
 * login, so each line is checked, and a copy that worked is kept.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <libaudit.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act.h"
#include "daemon.h"
#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "pamfile.h"
#include "report.h"
#include "snap.h"
#include "store.h"
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
	char	 files[PAMFILE_MAX_FILES][PATH_MAX];
	size_t	 n;
	char	*problems;
	size_t	 plen;
	int	 bad;
	char	 moddirs[PF_MODDIRS_MAX][PATH_MAX];
	size_t	 nmoddirs;
};

static void
find_moddirs(struct pf_walk *w)
{
	glob_t g;
	size_t i, j;

	for (i = 0; i < SM_NELEM(moddir_globs); i++) {
		memset(&g, 0, sizeof(g));
		if (glob(moddir_globs[i], GLOB_ONLYDIR, NULL, &g) != 0)
			continue;
		for (j = 0; j < g.gl_pathc && w->nmoddirs < PF_MODDIRS_MAX; j++)
			sm_strlcpy(w->moddirs[w->nmoddirs++], g.gl_pathv[j],
			    sizeof(w->moddirs[0]));
		globfree(&g);
	}
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
	if (depth > PAMFILE_MAX_DEPTH || w->n >= PAMFILE_MAX_FILES) {
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

/* See pamfile.h: 1/0/-1. */
int
pamfile_check(const char *dir, const char *service, char *problems,
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

/* The files of the stack as pamfile_check walked them. */
static size_t
stack_files(const char *dir, const char *service, char files[][PATH_MAX],
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

/* See pamfile.h. */
void
pamfile_on_session(struct daemon *d, const char *service)
{
	char (*files)[PATH_MAX], problems[2048], *buf;
	struct snap cur, old;
	struct stat sb;
	struct report_ev ev;
	size_t n, i, len;

	if (service[0] == '\0' || pamfile_check(d->conf.pam_dir, service,
	    problems, sizeof(problems)) != 1)
		return;
	files = xcalloc(PAMFILE_MAX_FILES, sizeof(*files));
	n = stack_files(d->conf.pam_dir, service, files, PAMFILE_MAX_FILES);
	memset(&cur, 0, sizeof(cur));
	for (i = 0; i < n && i < SNAP_MAX_FILES; i++) {
		if (lstat(files[i], &sb) == -1 || fs_read_file(files[i],
		    PF_FILE_MAX, 0, &buf, &len) == -1)
			goto out;
		if (snap_add(&cur, files[i], buf, len, sb.st_uid, sb.st_gid,
		    sb.st_mode) == -1) {
			free(buf);
			goto out;
		}
		free(buf);
	}
	if (snap_load(&d->store, SNAP_PAM, service, &old) == 0 &&
	    snap_same(&old, &cur)) {
		snap_free(&old);
		goto out;
	}
	snap_free(&old);
	cur.kind = SNAP_PAM;
	sm_strlcpy(cur.name, service, sizeof(cur.name));
	cur.when = time(NULL);
	memset(&ev, 0, sizeof(ev));
	ev.type = AUDIT_USYS_CONFIG;
	ev.op = "sshmedic-pam-snapshot";
	ev.success = snap_save(&d->store, &cur) == 0;
	snprintf(problems, sizeof(problems), "known-good PAM stack of service "
	    "%s (%zu files), taken at a successful login%s%s", service, cur.n,
	    ev.success ? "" : ": not saved: ", ev.success ? "" :
	    strerror(errno));
	ev.reason = problems;
	report_emit(&ev, NULL);
 out:
	snap_free(&cur);
	free(files);
}

/* See pamfile.h: 0/-1. */
int
pamfile_restore(struct daemon *d, const char *service, const char *evid,
    int dry, struct act_out *o)
{
	char problems[2048], *buf;
	struct snap s;
	struct stat sb;
	size_t i, len;
	int r = -1;

	if (service == NULL || service[0] == '\0')
		service = "sshd";
	if (pamfile_check(d->conf.pam_dir, service, problems,
	    sizeof(problems)) == 1)
		return 0;	/* every line loads: the admin's stack stays */
	if (snap_load(&d->store, SNAP_PAM, service, &s) == -1) {
		snprintf(o->why, sizeof(o->why), "the PAM stack of %s fails "
		    "(%.800s) and there is %s known-good copy", service, problems,
		    errno == ENOENT ? "no" : "only a corrupt");
		snap_free(&s);
		return -1;
	}
	for (i = 0; i < s.n; i++) {
		const struct snap_file *f = &s.f[i];

		buf = NULL;
		len = 0;
		if (fs_read_file(f->path, PF_FILE_MAX, 0, &buf, &len) == 0 &&
		    len == f->len && memcmp(buf, f->content, len) == 0) {
			free(buf);
			continue;
		}
		free(buf);
		if (dry) {
			sm_appendf(o->did, sizeof(o->did), "; ", "would restore "
			    "%s", f->path);
			continue;
		}
		if (lstat(f->path, &sb) == 0 && store_quarantine_add(&d->store,
		    evid, f->path, "a PAM file replaced by its known-good "
		    "copy") == -1) {
			snprintf(o->why, sizeof(o->why), "quarantine of %s failed "
			    "(%s); not replaced", f->path, strerror(errno));
			goto out;
		}
		if (fs_write_atomic(f->path, f->content, f->len, f->uid, f->gid,
		    f->mode) == -1) {
			snprintf(o->why, sizeof(o->why), "write %s: %s", f->path,
			    strerror(errno));
			goto out;
		}
		o->changed = 1;
		sm_appendf(o->did, sizeof(o->did), "; ", "restored %s", f->path);
	}
	sm_appendf(o->did, sizeof(o->did), "; ", "was failing: %.900s",
	    problems);
	if (!dry && o->changed && pamfile_check(d->conf.pam_dir, service,
	    problems, sizeof(problems)) != 1) {
		snprintf(o->why, sizeof(o->why), "restored, yet still failing: "
		    "%.900s", problems);
		goto out;
	}
	r = 0;
 out:
	snap_free(&s);
	return r;
}
