/*
 * Audit watch rules for the files sshmedic guards and keeps, so ausearch
 * -k (and sshmedic history) shows who changed what; one list, two uses.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "auditwatch.h"
#include "closure.h"
#include "fsutil.h"
#include "misc.h"
#include "pamcheck.h"
#include "policy.h"
#include "xmalloc.h"

#define AWATCH_DAEMON_DEFAULT	"/usr/sbin/sshmedicd"

/* Predicate: path is dir or below it. */
static int
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Why path cannot be written into an auditctl rule, or NULL. */
static const char *
rule_path_bad(const char *path)
{
	const unsigned char *p;

	if (path[0] != '/')
		return "not an absolute path";
	if (strlen(path) >= PATH_MAX)
		return "longer than PATH_MAX";
	for (p = (const unsigned char *)path; *p != '\0'; p++)
		if (isspace(*p) || *p < 0x20 || *p == 0x7f)
			return "contains white space or a control character "
			    "(auditctl rule lines cannot quote it)";
	return NULL;
}

static void
add(struct awatch_set *s, const char *path, int dir, const char *perm,
    const char *key, int not_daemon, int from_files)
{
	struct awatch *w;
	char *p;
	size_t i, n;

	if (path == NULL || path[0] == '\0' || s->n >= AWATCH_MAX)
		return;
	p = xstrdup(path);
	for (n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = '\0';
	for (i = 0; i < s->n; i++)
		if (s->w[i].dir == dir && strcmp(s->w[i].path, p) == 0) {
			free(p);
			return;
		}
	w = &s->w[s->n++];
	memset(w, 0, sizeof(*w));
	w->path = p;
	w->dir = dir;
	w->perm = perm;
	w->key = key;
	w->not_daemon = not_daemon;
	w->from_files = from_files;
	if ((w->bad_why = rule_path_bad(p)) != NULL)
		w->bad = 1;
}

/* Depth of a path in components: "/" 0, "/srv" 1, "/srv/ssh" 2. */
static int
depth(const char *p)
{
	int d = 0;

	for (; *p != '\0'; p++)
		if (*p == '/' && p[1] != '\0' && p[1] != '/')
			d++;
	return d;
}

/*
 * A file's own directory when it holds none of the other paths sshmedic
 * uses (then new files there are seen too), else NULL: the sandbox keeps
 * its configuration beside the store, which must keep its own key.
 */
static char *
own_dir(const struct sm_conf *c, const char *file)
{
	const char *others[] = { c->sshd_config, c->sshd_dir, c->state_dir,
	    c->run_dir, c->requests_dir, c->pam_dir, c->sudoers_dir,
	    c->log_json, c->path != NULL ? c->path : CONF_DEFAULT_PATH,
	    c->metrics_textfile };
	char *dir = NULL, *base = NULL;
	size_t i;

	if (file == NULL || fs_split(file, &dir, &base) == -1)
		return NULL;
	free(base);
	for (i = 0; i < SM_NELEM(others); i++) {
		if (others[i] == NULL || others[i][0] == '\0' ||
		    strcmp(others[i], file) == 0)
			continue;
		if (under(others[i], dir))
			break;
	}
	if (i < SM_NELEM(others) || depth(dir) < 2) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* Remembers dir's device and inode for awatch_dir_of. */
static void
know_dir(struct awatch_set *s, const char *dir)
{
	struct awatch_dir *d;
	struct stat st;
	size_t i;

	if (s->ndirs >= AWATCH_MAX || stat(dir, &st) == -1 ||
	    !S_ISDIR(st.st_mode))
		return;
	for (i = 0; i < s->ndirs; i++)
		if (s->dirs[i].ino == (unsigned long long)st.st_ino &&
		    strcmp(s->dirs[i].path, dir) == 0)
			return;
	d = &s->dirs[s->ndirs++];
	d->path = xstrdup(dir);
	d->ino = (unsigned long long)st.st_ino;
	snprintf(d->dev, sizeof(d->dev), "%02x:%02x", major(st.st_dev),
	    minor(st.st_dev));
}

/* Closure files and Include directories outside sshd.dir. */
static void
add_closure(const struct sm_conf *c, struct awatch_set *s)
{
	struct closure cl;
	size_t i;

	memset(&cl, 0, sizeof(cl));
	if (closure_read(c->sshd_config, c->sshd_dir, &cl) == -1)
		return;
	for (i = 0; i < cl.ndirs; i++)
		know_dir(s, cl.dirs[i]);
	for (i = 0; i < cl.nfiles; i++)
		if (cl.files[i].role != CL_MAIN &&
		    !under(cl.files[i].path, c->sshd_dir))
			add(s, cl.files[i].path, 0, "wa", "sshd-config", 0, 1);
	/*
	 * A directory that does not exist stands for its nearest parent in
	 * the closure: never watch a whole top-level tree for one Include.
	 */
	for (i = 0; i < cl.ndirs; i++)
		if (!under(cl.dirs[i], c->sshd_dir) && depth(cl.dirs[i]) >= 2)
			add(s, cl.dirs[i], 1, "wa", "sshd-config", 0, 1);
	closure_free(&cl);
}

/* The files of sshd's PAM stack after the service file itself. */
static void
add_pam(const struct sm_conf *c, struct awatch_set *s)
{
	static char files[PAMCHECK_MAX_FILES][PATH_MAX];
	size_t i, n;

	n = pamcheck_files(c->pam_dir, c->sshd_pam_service, files,
	    PAMCHECK_MAX_FILES);
	for (i = 1; i < n; i++)
		add(s, files[i], 0, "wa", "pam", 0, 1);
}

/* Escrow files (reads matter: the hash) and break-glass key files. */
static void
add_policies(const struct sm_conf *c, struct awatch_set *s)
{
	struct policy_set set;
	const struct pol_action_spec *a;
	size_t i, j;

	memset(&set, 0, sizeof(set));
	(void)policy_load_dir(&set, c->policies_dir, 1);
	for (i = 0; i < set.n; i++)
		for (j = 0; j < set.p[i].nactions; j++) {
			a = &set.p[i].actions[j];
			if (a->kind == PA_SET_PASSWORD && a->escrow != NULL)
				add(s, a->escrow, 0, "rwa", "escrow", 1, 1);
			if (a->kind == PA_BREAKGLASS && a->key != NULL)
				add(s, a->key, 0, "wa", "config", 0, 1);
		}
	policy_set_free(&set);
}

/* The sshmedicd installed beside this program, else the usual path. */
static char *
default_daemon(void)
{
	char self[PATH_MAX], *dir = NULL, *base = NULL, *p;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if (fs_split(self, &dir, &base) == 0) {
			free(base);
			xasprintf(&p, "%s/sshmedicd", dir);
			free(dir);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup(AWATCH_DAEMON_DEFAULT);
}

/* Predicate: some path both watches match. */
static int
overlap(const struct awatch *a, const struct awatch *b)
{
	return (a->dir && under(b->path, a->path)) ||
	    (b->dir && under(a->path, b->path)) || strcmp(a->path, b->path) == 0;
}

static int
same_kind(const struct awatch *a, const struct awatch *b)
{
	return strcmp(a->key, b->key) == 0 && strcmp(a->perm, b->perm) == 0 &&
	    a->not_daemon == b->not_daemon;
}

/*
 * Drops a watch another directory watch of the same key covers: the
 * policies in sshmedic's own directory, a key file there. Kept when a
 * rule between them matches its paths first (the kernel's first match).
 */
static void
prune(struct awatch_set *s)
{
	size_t i, j, k, lo, hi;
	int dead;

	for (i = 0; i < s->n; i++) {
		dead = 0;
		for (j = 0; j < s->n && !dead; j++) {
			if (j == i || !s->w[j].dir || !same_kind(&s->w[i], &s->w[j]) ||
			    !under(s->w[i].path, s->w[j].path))
				continue;
			lo = i < j ? i : j;
			hi = i < j ? j : i;
			for (k = lo + 1; k < hi; k++)
				if (!same_kind(&s->w[k], &s->w[i]) &&
				    overlap(&s->w[k], &s->w[i]))
					break;
			dead = j < i || k == hi;
		}
		if (!dead)
			continue;
		free(s->w[i].path);
		memmove(&s->w[i], &s->w[i + 1], (s->n - i - 1) * sizeof(s->w[0]));
		s->n--;
		i--;
	}
}

int
awatch_build(const struct sm_conf *c, const char *prefix, const char *daemon,
    struct awatch_set *s, char *err, size_t errlen)
{
	const char *conf;
	char *confdir, *logdir, *pam, *dir, *base;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (prefix == NULL)
		prefix = AWATCH_PREFIX;
	if (!sm_token_ok(prefix, AWATCH_PREFIX_MAX, "-_")) {
		snprintf(err, errlen, "key prefix '%.*s': 1 to %d letters, "
		    "digits, '-' or '_'", AWATCH_PREFIX_MAX, prefix,
		    AWATCH_PREFIX_MAX);
		return -1;
	}
	sm_strlcpy(s->prefix, prefix, sizeof(s->prefix));
	if (daemon != NULL && (daemon[0] != '/' || rule_path_bad(daemon))) {
		snprintf(err, errlen, "daemon path '%.*s': %s", PATH_MAX, daemon,
		    daemon[0] != '/' ? "not absolute" : rule_path_bad(daemon));
		return -1;
	}
	s->daemon = daemon != NULL ? xstrdup(daemon) : default_daemon();
	/* No file read (an absent default): where the admin would put one. */
	conf = c->path != NULL ? c->path : CONF_DEFAULT_PATH;
	confdir = own_dir(c, conf);

	/* Named by files on this machine: specific, so loaded first. */
	add_policies(c, s);
	add_pam(c, s);
	add_closure(c, s);

	/* The paths sshmedic.conf names. */
	add(s, c->sshd_config, 0, "wa", "sshd-config", 0, 0);
	add(s, c->sshd_dir, 1, "wa", "sshd-config", 0, 0);
	xasprintf(&pam, "%s/%s", c->pam_dir, c->sshd_pam_service);
	add(s, pam, 0, "wa", "pam", 0, 0);
	free(pam);
	add(s, c->policies_dir, 1, "wa", "config", 0, 0);
	if (confdir != NULL)
		add(s, confdir, 1, "wa", "config", 0, 0);
	else
		add(s, conf, 0, "wa", "config", 0, 0);
	add(s, c->requests_dir, 1, "wa", "requests", 1, 0);
	add(s, c->state_dir, 1, "wa", "store", 1, 0);
	if (c->log_json != NULL && c->log_json[0] != '\0') {
		if ((logdir = own_dir(c, c->log_json)) != NULL)
			add(s, logdir, 1, "wa", "log", 1, 0);
		else
			add(s, c->log_json, 0, "wa", "log", 1, 0);
		free(logdir);
	}
	free(confdir);
	prune(s);
	for (i = 0; i < s->n; i++) {
		if (s->w[i].dir)
			know_dir(s, s->w[i].path);
		else if (fs_split(s->w[i].path, &dir, &base) == 0) {
			know_dir(s, dir);
			free(dir);
			free(base);
		}
	}
	return 0;
}

void
awatch_free(struct awatch_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->w[i].path);
	for (i = 0; i < s->ndirs; i++)
		free(s->dirs[i].path);
	free(s->daemon);
	memset(s, 0, sizeof(*s));
}

const char *
awatch_dir_of(const struct awatch_set *s, const char *dev,
    unsigned long long ino)
{
	size_t i;

	for (i = 0; dev != NULL && i < s->ndirs; i++)
		if (s->dirs[i].ino == ino && strcasecmp(s->dirs[i].dev, dev) == 0)
			return s->dirs[i].path;
	return NULL;
}

const struct awatch *
awatch_match(const struct awatch_set *s, const char *path)
{
	size_t i;

	if (path == NULL || path[0] != '/')
		return NULL;
	for (i = 0; i < s->n; i++)
		if (!s->w[i].bad && (s->w[i].dir ? under(path, s->w[i].path) :
		    strcmp(path, s->w[i].path) == 0))
			return &s->w[i];
	return NULL;
}

static void
print_keys(const struct awatch_set *s, FILE *f)
{
	const char *seen[AWATCH_MAX];
	size_t i, j, n = 0;

	fprintf(f, "## Keys:");
	for (i = 0; i < s->n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(seen[j], s->w[i].key) == 0)
				break;
		if (j < n)
			continue;
		seen[n++] = s->w[i].key;
		fprintf(f, " %s-%s", s->prefix, s->w[i].key);
	}
	fprintf(f, "\n");
}

static int
print_rule(const struct awatch_set *s, const struct awatch *w, FILE *f)
{
	if (w->bad) {
		fprintf(stderr, "sshmedic: %s: %s; not watched\n", w->path,
		    w->bad_why);
		fprintf(f, "## NOT WATCHED (%s): a path that %s\n",
		    w->key, w->bad_why);
		return 1;
	}
	if (w->dir && access(w->path, F_OK) == -1)
		fprintf(stderr, "sshmedic: %s: %s; auditctl refuses its rule "
		    "until it exists\n", w->path, strerror(errno));
	fprintf(f, "-a always,exit -F %s=%s -F perm=%s", w->dir ? "dir" : "path",
	    w->path, w->perm);
	if (w->not_daemon)
		fprintf(f, " -F exit!=-EEXIST -F exe!=%s", s->daemon);
	fprintf(f, " -F key=%s-%s\n", s->prefix, w->key);
	return 0;
}

int
awatch_print(const struct awatch_set *s, const char *conf_path, FILE *f)
{
	size_t i, n = 0;
	int r = 0;

	fprintf(f,
	    "## sshmedic: audit watch rules for the files of %s\n"
	    "## (printed by 'sshmedic audit-rules'; change the paths there, "
	    "not here).\n"
	    "##\n"
	    "## Install as /etc/audit/rules.d/60-sshmedic.rules, then "
	    "augenrules --load.\n"
	    "## Each -F dir= must exist when the rules load (auditctl stops at "
	    "the first\n"
	    "## rule the kernel refuses); a -F path= needs only its directory. "
	    "The kernel\n"
	    "## takes the first rule that matches: keep this order.\n"
	    "## Review: ausearch -i -k KEY, or 'sshmedic history', which joins "
	    "these with\n"
	    "## sshmedic's own records. Remove: auditctl -D -k KEY for each "
	    "key (auditctl -l\n"
	    "## prints exe!= as exe=: its lines cannot be given back to "
	    "auditctl -d).\n"
	    "## exe!= leaves out sshmedicd's routine writes (store, requests, "
	    "its log) and its\n"
	    "## escrow reads; its writes to sshd's and PAM's files are kept: "
	    "they are the\n"
	    "## rollbacks and restores its USYS_CONFIG records describe. "
	    "exit!=-EEXIST: the\n"
	    "## CLI's mkdir -p of the store at each run changes nothing.\n",
	    conf_path);
	print_keys(s, f);
	fprintf(f, "\n## Named by files on this machine (sshd's closure outside "
	    "its directory, sshd's\n## PAM stack, the policies' escrow and key "
	    "files):\n");
	for (i = 0; i < s->n; i++)
		if (s->w[i].from_files) {
			r |= print_rule(s, &s->w[i], f);
			n++;
		}
	if (n == 0)
		fprintf(f, "## (none)\n");
	fprintf(f, "\n## The paths the configuration names:\n");
	for (i = 0; i < s->n; i++)
		if (!s->w[i].from_files)
			r |= print_rule(s, &s->w[i], f);
	return r;
}
