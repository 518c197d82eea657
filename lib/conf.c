/*
 * sshmedic.conf parser: one table of keys with types and ranges, checked
 * strictly (unknown keys, types, ranges, paths) with file:line in each error.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libconfig.h>

#include "conf.h"
#include "conf_int.h"
#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "pwdb.h"
#include "xmalloc.h"

#define CONF_MAX_SIZE		(1024 * 1024)
#define CONF_LONGEST_SOCK	"/event.sock"

enum conf_kind {
	K_PATH,		/* absolute path */
	K_PATH_OPT,	/* absolute path or "" (off) */
	K_ADDR,		/* numeric IPv4/IPv6 address */
	K_USER_OPT,	/* a portable user name, or "" (off) */
	K_INT,		/* integer in [min, max], or 0 when zero_ok */
	K_BOOL,
	K_ARGV,		/* non-empty list of strings, [0] absolute */
	K_ARGV_OPT,	/* same, or an empty list */
	K_CONFIRM,	/* "none" or "login", into an int flag */
};

struct conf_key {
	const char	*group;
	const char	*name;
	enum conf_kind	 kind;
	size_t		 off;
	long long	 min, max;
	int		 zero_ok;
};

#define F(m)	offsetof(struct sm_conf, m)

/* The ranges are documented in sshmedic.conf(5); keep both in step. */
static const struct conf_key conf_keys[] = {
	{ "sshd", "binary", K_PATH, F(sshd_binary), 0, 0, 0 },
	{ "sshd", "config", K_PATH, F(sshd_config), 0, 0, 0 },
	{ "sshd", "dir", K_PATH, F(sshd_dir), 0, 0, 0 },
	{ "sshd", "pidfile", K_PATH, F(sshd_pidfile), 0, 0, 0 },
	{ "sshd", "start", K_ARGV, F(sshd_start), 0, 0, 0 },
	{ "sshd", "reload", K_ARGV_OPT, F(sshd_reload), 0, 0, 0 },
	{ "sshd", "test_timeout_ms", K_INT, F(sshd_test_timeout_ms),
	    100, 600000, 0 },
	{ "sshd", "vendor_config", K_PATH_OPT, F(sshd_vendor_config), 0, 0, 0 },
	{ "sshd", "privsep_dir", K_PATH, F(sshd_privsep_dir), 0, 0, 0 },
	{ "sshd", "pam_service", K_USER_OPT, F(sshd_pam_service), 0, 0, 0 },
	{ "probe", "address", K_ADDR, F(probe_address), 0, 0, 0 },
	{ "probe", "port", K_INT, F(probe_port), 1, 65535, 0 },
	{ "probe", "interval_ms", K_INT, F(probe_interval_ms),
	    100, 86400000, 1 },
	{ "probe", "timeout_ms", K_INT, F(probe_timeout_ms), 10, 60000, 0 },
	{ "probe", "misses", K_INT, F(probe_misses), 1, 100, 0 },
	{ "probe", "canary_user", K_USER_OPT, F(canary_user), 0, 0, 0 },
	{ "probe", "canary_key", K_PATH_OPT, F(canary_key), 0, 0, 0 },
	{ "probe", "canary_interval_ms", K_INT, F(canary_interval_ms),
	    1000, 86400000, 0 },
	{ "probe", "canary_misses", K_INT, F(canary_misses), 1, 100, 0 },
	{ "restart", "backoff_ms", K_INT, F(restart_backoff_ms), 1, 600000, 0 },
	{ "restart", "backoff_max_ms", K_INT, F(restart_backoff_max_ms),
	    1, 3600000, 0 },
	{ "restart", "burst", K_INT, F(restart_burst), 1, LIVE_BURST_LIMIT, 0 },
	{ "restart", "burst_window_ms", K_INT, F(restart_burst_window_ms),
	    1000, 86400000, 0 },
	{ "restart", "vendor_default", K_BOOL, F(restart_vendor_default),
	    0, 0, 0 },
	{ "guard", "debounce_ms", K_INT, F(debounce_ms), 0, 60000, 0 },
	{ "guard", "grace_ms", K_INT, F(grace_ms), 0, 3600000, 0 },
	{ "guard", "write_timeout_ms", K_INT, F(write_timeout_ms),
	    0, 3600000, 0 },
	{ "guard", "serve_timeout_ms", K_INT, F(serve_timeout_ms),
	    1000, 3600000, 0 },
	{ "guard", "fight_limit", K_INT, F(fight_limit), 1, 1000, 0 },
	{ "guard", "fight_window_ms", K_INT, F(fight_window_ms),
	    1000, 86400000, 0 },
	{ "guard", "fight_backoff_ms", K_INT, F(fight_backoff_ms),
	    0, 86400000, 0 },
	{ "guard", "apply", K_BOOL, F(apply), 0, 0, 0 },
	{ "guard", "confirm", K_CONFIRM, F(confirm_login), 0, 0, 0 },
	{ "guard", "confirm_timeout_ms", K_INT, F(confirm_timeout_ms),
	    1000, 86400000, 0 },
	{ "store", "keep_generations", K_INT, F(keep_generations),
	    2, 10000, 0 },
	{ "store", "keep_quarantine", K_INT, F(keep_quarantine),
	    1, 100000, 0 },
	{ "counters", "users", K_INT, F(counters_users), 16, 1000000, 0 },
	{ "counters", "sources", K_INT, F(counters_sources), 16, 1000000, 0 },
	{ "paths", "state", K_PATH, F(state_dir), 0, 0, 0 },
	{ "paths", "run", K_PATH, F(run_dir), 0, 0, 0 },
	{ "paths", "policies", K_PATH, F(policies_dir), 0, 0, 0 },
	{ "paths", "requests", K_PATH, F(requests_dir), 0, 0, 0 },
	{ "paths", "pam", K_PATH, F(pam_dir), 0, 0, 0 },
	{ "paths", "sudoers", K_PATH, F(sudoers_dir), 0, 0, 0 },
	{ "log", "json", K_PATH_OPT, F(log_json), 0, 0, 0 },
	{ "log", "audit", K_BOOL, F(log_audit), 0, 0, 0 },
	{ "log", "syslog", K_BOOL, F(log_syslog), 0, 0, 0 },
	{ "metrics", "textfile", K_PATH_OPT, F(metrics_textfile), 0, 0, 0 },
	{ "metrics", "interval_ms", K_INT, F(metrics_interval_ms),
	    1000, 3600000, 0 },
	{ "authlog", "file", K_PATH_OPT, F(authlog_file), 0, 0, 0 },
	{ "authlog", "command", K_ARGV_OPT, F(authlog_command), 0, 0, 0 },
};

static const char *const conf_groups[] = {
	"sshd", "probe", "guard", "restart", "store", "paths", "log", "metrics",
	"counters", "authlog",
};

static char **
argv_dup(const char *const *v)
{
	size_t n, i;
	char **r;

	for (n = 0; v[n] != NULL; n++)
		;
	r = xcalloc(n + 1, sizeof(*r));
	for (i = 0; i < n; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

static void
argv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Fills every field with its default; c need not be initialised. */
void
conf_defaults(struct sm_conf *c)
{
	static const char *const start[] = { "/usr/sbin/sshd", NULL };
	static const char *const reload[] = { NULL };

	memset(c, 0, sizeof(*c));
	c->sshd_binary = xstrdup("/usr/sbin/sshd");
	c->sshd_config = xstrdup("/etc/ssh/sshd_config");
	c->sshd_dir = xstrdup("/etc/ssh");
	c->sshd_pidfile = xstrdup("/run/sshd.pid");
	c->sshd_start = argv_dup(start);
	c->sshd_reload = argv_dup(reload);
	c->sshd_test_timeout_ms = 5000;
	c->sshd_vendor_config = xstrdup("/usr/share/openssh/sshd_config");
	c->sshd_privsep_dir = xstrdup("/run/sshd");
	c->sshd_pam_service = xstrdup("sshd");

	c->probe_address = xstrdup("127.0.0.1");
	c->probe_port = 22;
	c->probe_interval_ms = 5000;
	c->probe_timeout_ms = 2000;
	c->probe_misses = 3;
	c->canary_user = xstrdup("");
	c->canary_key = xstrdup("");
	c->canary_interval_ms = 60000;
	c->canary_misses = 2;

	c->restart_backoff_ms = 100;
	c->restart_backoff_max_ms = 30000;
	c->restart_burst = 10;
	c->restart_burst_window_ms = 60000;
	c->restart_vendor_default = 1;

	c->debounce_ms = 200;
	c->grace_ms = 10000;
	c->write_timeout_ms = 60000;
	c->serve_timeout_ms = 60000;
	c->fight_limit = 3;
	c->fight_window_ms = 600000;
	c->fight_backoff_ms = 300000;
	c->apply = 0;
	c->confirm_login = 0;
	c->confirm_timeout_ms = 300000;

	/* No implicit root: with PermitRootLogin no it would veto every change. */
	c->protected_users = NULL;
	c->nprotected = 0;

	c->keep_generations = 20;
	c->keep_quarantine = 200;

	c->counters_users = 4096;
	c->counters_sources = 4096;

	c->state_dir = xstrdup("/var/lib/sshmedic");
	c->run_dir = xstrdup("/run/sshmedic");
	c->policies_dir = xstrdup("/etc/sshmedic/policies.d");
	c->requests_dir = xstrdup("/var/lib/sshmedic/requests");
	c->pam_dir = xstrdup("/etc/pam.d");
	c->sudoers_dir = xstrdup("/etc/sudoers.d");

	c->log_json = xstrdup("/var/log/sshmedic/events.json");
	c->log_audit = 1;
	c->log_syslog = 1;
	c->metrics_textfile = xstrdup("");
	c->metrics_interval_ms = 15000;

	c->authlog_file = xstrdup("");
	c->authlog_command = argv_dup(reload);	/* the empty list */
}

/* Frees every field and zeroes c; safe on a zeroed struct. */
void
conf_free(struct sm_conf *c)
{
	size_t i;

	free(c->path);
	for (i = 0; i < SM_NELEM(conf_keys); i++) {
		void *field = (char *)c + conf_keys[i].off;

		switch (conf_keys[i].kind) {
		case K_PATH:
		case K_PATH_OPT:
		case K_ADDR:
		case K_USER_OPT:
			free(*(char **)field);
			break;
		case K_ARGV:
		case K_ARGV_OPT:
			argv_free(*(char ***)field);
			break;
		case K_INT:
		case K_BOOL:
		case K_CONFIRM:
			break;
		}
	}
	conf_users_free(c->protected_users, c->nprotected);
	memset(c, 0, sizeof(*c));
}

/* See conf_int.h: -1. */
int
conf_err(struct conf_ctx *x, unsigned int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(x->err, x->errlen, "%s:%u: %s", x->path, line, msg);
	else
		snprintf(x->err, x->errlen, "%s: %s", x->path, msg);
	return -1;
}

/* See conf_int.h. */
unsigned int
conf_line_of(const config_setting_t *s)
{
	return config_setting_source_line(s);
}

/* See conf_int.h: never NULL. */
const char *
conf_type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "nothing";
}

/* See conf_int.h: 0/-1 (x->err). */
int
conf_check_path(struct conf_ctx *x, const config_setting_t *s, const char *what,
    const char *v, int empty_ok)
{
	if (*v == '\0' && empty_ok)
		return 0;
	if (*v != '/')
		return conf_err(x, conf_line_of(s), "%s: \"%s\" is not an absolute "
		    "path", what, v);
	if (strlen(v) >= PATH_MAX)
		return conf_err(x, conf_line_of(s), "%s: path longer than %d bytes",
		    what, PATH_MAX - 1);
	return 0;
}

/* See conf_int.h: 1/0. */
int
conf_addr_is_numeric(const char *a)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, a, buf) == 1 ||
	    inet_pton(AF_INET6, a, buf) == 1;
}

/* See conf_int.h: 0/-1 (x->err). */
int
conf_parse_argv(struct conf_ctx *x, const config_setting_t *s, const char *what,
    int empty_ok, char ***out)
{
	const config_setting_t *e;
	char **v;
	int n, i;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return conf_err(x, conf_line_of(s), "%s: expected a list of "
		    "strings, got %s", what, conf_type_name(config_setting_type(s)));
	n = config_setting_length(s);
	if (n == 0 && !empty_ok)
		return conf_err(x, conf_line_of(s), "%s: the command is empty",
		    what);
	if (n > CONF_MAX_ARGV)
		return conf_err(x, conf_line_of(s), "%s: more than %d arguments",
		    what, CONF_MAX_ARGV);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return conf_err(x, conf_line_of(e), "%s: argument %d is %s, "
			    "not a string", what, i, conf_type_name(
			    config_setting_type(e)));
		if (i == 0 && conf_check_path(x, e, what,
		    config_setting_get_string(e), 0) == -1)
			return -1;
	}
	v = xcalloc((size_t)n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = xstrdup(config_setting_get_string(
		    config_setting_get_elem(s, (unsigned int)i)));
	argv_free(*out);
	*out = v;
	return 0;
}

static int
parse_key(struct conf_ctx *x, const struct conf_key *k,
    const config_setting_t *s, struct sm_conf *c)
{
	void *field = (char *)c + k->off;
	char what[64];
	const char *str;
	long long v;
	int t = config_setting_type(s);

	snprintf(what, sizeof(what), "%s.%s", k->group, k->name);
	switch (k->kind) {
	case K_PATH:
	case K_PATH_OPT:
	case K_ADDR:
	case K_USER_OPT:
		if (t != CONFIG_TYPE_STRING)
			return conf_err(x, conf_line_of(s), "%s: expected a string, "
			    "got %s", what, conf_type_name(t));
		str = config_setting_get_string(s);
		if (k->kind == K_USER_OPT) {
			if (*str != '\0' && !conf_user_name_ok(str, strlen(str)))
				return conf_err(x, conf_line_of(s), "%s: \"%s\" is "
				    "not a valid user name", what, str);
		} else if (k->kind == K_ADDR) {
			if (!conf_addr_is_numeric(str))
				return conf_err(x, conf_line_of(s), "%s: \"%s\" is "
				    "not a numeric IPv4 or IPv6 address",
				    what, str);
		} else if (conf_check_path(x, s, what, str,
		    k->kind == K_PATH_OPT) == -1)
			return -1;
		free(*(char **)field);
		*(char **)field = xstrdup(str);
		return 0;
	case K_INT:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			return conf_err(x, conf_line_of(s), "%s: expected an "
			    "integer, got %s", what, conf_type_name(t));
		v = config_setting_get_int64(s);
		if ((v < k->min || v > k->max) && !(v == 0 && k->zero_ok))
			return conf_err(x, conf_line_of(s), "%s: %lld is out of "
			    "range %s%lld..%lld", what, v,
			    k->zero_ok ? "0 or " : "", k->min, k->max);
		*(int *)field = (int)v;
		return 0;
	case K_CONFIRM:
		if (t != CONFIG_TYPE_STRING)
			return conf_err(x, conf_line_of(s), "%s: expected a string, "
			    "got %s", what, conf_type_name(t));
		str = config_setting_get_string(s);
		if (strcmp(str, "none") != 0 && strcmp(str, "login") != 0)
			return conf_err(x, conf_line_of(s), "%s: \"%s\" is not "
			    "\"none\" or \"login\"", what, str);
		*(int *)field = strcmp(str, "login") == 0;
		return 0;
	case K_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			return conf_err(x, conf_line_of(s), "%s: expected true or "
			    "false, got %s", what, conf_type_name(t));
		*(int *)field = config_setting_get_bool(s) ? 1 : 0;
		return 0;
	case K_ARGV:
	case K_ARGV_OPT:
		return conf_parse_argv(x, s, what, k->kind == K_ARGV_OPT,
		    (char ***)field);
	}
	return conf_err(x, conf_line_of(s), "%s: internal error", what);
}

static int
parse_group(struct conf_ctx *x, const config_setting_t *g, struct sm_conf *c)
{
	const char *gname = config_setting_name(g), *name;
	const config_setting_t *s;
	size_t i;
	int n, j;

	if (!config_setting_is_group(g))
		return conf_err(x, conf_line_of(g), "%s: expected a group "
		    "{ ... }, got %s", gname, conf_type_name(config_setting_type(g)));
	n = config_setting_length(g);
	for (j = 0; j < n; j++) {
		s = config_setting_get_elem(g, (unsigned int)j);
		name = config_setting_name(s);
		for (i = 0; i < SM_NELEM(conf_keys); i++)
			if (strcmp(conf_keys[i].group, gname) == 0 &&
			    strcmp(conf_keys[i].name, name) == 0)
				break;
		if (i == SM_NELEM(conf_keys))
			return conf_err(x, conf_line_of(s), "unknown key %s.%s",
			    gname, name);
		if (parse_key(x, &conf_keys[i], s, c) == -1)
			return -1;
	}
	return 0;
}

/* The sockets under paths.run must fit in sun_path. */
static int
check_run_dir(struct conf_ctx *x, const config_t *cfg, const struct sm_conf *c)
{
	struct sockaddr_un sun;
	const config_setting_t *s;

	if (strlen(c->run_dir) + strlen(CONF_LONGEST_SOCK) < sizeof(sun.sun_path))
		return 0;
	s = config_lookup(cfg, "paths.run");
	return conf_err(x, s != NULL ? conf_line_of(s) : 0, "paths.run: too long "
	    "for a unix socket path (at most %zu bytes)",
	    sizeof(sun.sun_path) - 1 - strlen(CONF_LONGEST_SOCK));
}

/*
 * authlog: one source or none. A log file that exists must be root's and
 * not writable by group or other, nor its directories: whoever can write
 * it can make up rejected keys. One that does not exist yet is waited for.
 */
static int
check_authlog(struct conf_ctx *x, const config_t *cfg, const struct sm_conf *c)
{
	const config_setting_t *s = config_lookup(cfg, "authlog");
	char why[600];

	if (c->authlog_file[0] != '\0' && c->authlog_command[0] != NULL)
		return conf_err(x, s != NULL ? conf_line_of(s) : 0, "authlog.file "
		    "and authlog.command exclude each other: set one of them");
	if (c->authlog_file[0] == '\0' ||
	    fs_path_is_safe(c->authlog_file, 0, why, sizeof(why)) != 0)
		return 0;
	s = config_lookup(cfg, "authlog.file");
	return conf_err(x, s != NULL ? conf_line_of(s) : 0, "authlog.file: %s "
	    "(whoever can write it can make up rejected keys)", why);
}

/* Reads the whole file from the descriptor that was checked. */
static int
read_fd(struct conf_ctx *x, int fd, size_t max, char **out)
{
	size_t len;

	if (fs_read_fd(fd, max, out, &len) == -1) {
		if (errno == EFBIG)
			return conf_err(x, 0, "larger than %zu bytes", max);
		return conf_err(x, 0, "read: %s", strerror(errno));
	}
	if (memchr(*out, '\0', len) != NULL) {
		free(*out);
		*out = NULL;
		return conf_err(x, 0, "contains a NUL byte");
	}
	return 0;
}

/*
 * @include would pull in a file whose owner and mode nobody checked;
 * libconfig recognises it only at the start of a line. 0/-1 (x->err).
 */
int
conf_refuse_include(struct conf_ctx *x, const char *text)
{
	const char *p = text;
	unsigned int line = 1;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "@include", 8) == 0)
			return conf_err(x, line, "@include is not supported");
		if ((p = strchr(p, '\n')) == NULL)
			return 0;
		p++;
		line++;
	}
}

/* See conf_int.h: 0/-1 (x->err). */
int
conf_open_checked(struct conf_ctx *x, int dirfd, const char *name,
    int check_owner, size_t max, char **text)
{
	char owner[PWDB_NAME_MAX];
	struct stat st;
	int fd, r;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return conf_err(x, 0, "open: %s", strerror(errno));
	if (fstat(fd, &st) == -1) {
		r = conf_err(x, 0, "fstat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = conf_err(x, 0, "not a regular file");
		goto out;
	}
	if (check_owner && st.st_uid != 0) {
		r = conf_err(x, 0, "owned by uid %lu (%s), not root",
		    (unsigned long)st.st_uid,
		    pwdb_uid_name(st.st_uid, owner, sizeof(owner)));
		goto out;
	}
	if (check_owner && (st.st_mode & 022) != 0) {
		r = conf_err(x, 0, "mode %04o is writable by %s",
		    (unsigned int)(st.st_mode & 07777),
		    (st.st_mode & 022) == 022 ? "group and other" :
		    (st.st_mode & 020) ? "group" : "other");
		goto out;
	}
	r = read_fd(x, fd, max, text);
 out:
	close(fd);
	return r;
}

static int
conf_parse(struct conf_ctx *x, const char *text, struct sm_conf *c)
{
	const config_setting_t *root, *s, *users = NULL;
	const char *name;
	config_t cfg;
	size_t i;
	int n, j, r = -1;

	config_init(&cfg);
	if ((root = conf_read_text(x, &cfg, text)) == NULL)
		goto out;
	n = config_setting_length(root);
	for (j = 0; j < n; j++) {
		s = config_setting_get_elem(root, (unsigned int)j);
		name = config_setting_name(s);
		if (strcmp(name, "protected_users") == 0) {
			if (conf_users_parse(x, s, c) == -1)
				goto out;
			users = s;
			continue;
		}
		for (i = 0; i < SM_NELEM(conf_groups); i++)
			if (strcmp(conf_groups[i], name) == 0)
				break;
		if (i == SM_NELEM(conf_groups)) {
			conf_err(x, conf_line_of(s), "unknown setting %s", name);
			goto out;
		}
		if (parse_group(x, s, c) == -1)
			goto out;
	}
	if (users != NULL && conf_users_finish(x, users, c) == -1)
		goto out;
	if (check_run_dir(x, &cfg, c) == -1)
		goto out;
	if ((c->canary_user[0] != '\0') != (c->canary_key[0] != '\0')) {
		s = config_lookup(&cfg, "probe");
		conf_err(x, s != NULL ? conf_line_of(s) : 0, "probe.canary_user "
		    "and probe.canary_key go together: set both or neither");
		goto out;
	}
	if (c->restart_backoff_ms > c->restart_backoff_max_ms) {
		s = config_lookup(&cfg, "restart");
		conf_err(x, s != NULL ? conf_line_of(s) : 0, "restart.backoff_ms "
		    "%d is above restart.backoff_max_ms %d",
		    c->restart_backoff_ms, c->restart_backoff_max_ms);
		goto out;
	}
	if (check_authlog(x, &cfg, c) == -1)
		goto out;
	r = 0;
 out:
	config_destroy(&cfg);
	return r;
}

/*
 * 0 on success (c->path NULL for an absent file with CONF_ABSENT_OK); -1
 * with err set to "FILE:LINE: reason" ("FILE: reason" for problems of the
 * file itself), c then holding the defaults.
 */
int
conf_load(const char *path, struct sm_conf *c, int flags,
    char *err, size_t errlen)
{
	struct conf_ctx x = { path, err, errlen };
	struct stat st;
	char *text = NULL;

	conf_defaults(c);
	if (errlen > 0)
		err[0] = '\0';
	if ((flags & CONF_ABSENT_OK) && lstat(path, &st) == -1 &&
	    errno == ENOENT)
		return 0;
	if (conf_open_checked(&x, AT_FDCWD, path, flags & CONF_CHECK_OWNER,
	    CONF_MAX_SIZE, &text) == -1 ||
	    conf_refuse_include(&x, text) == -1 ||
	    conf_refuse_wide_ints(&x, text) == -1 ||
	    conf_parse(&x, text, c) == -1) {
		free(text);
		conf_free(c);
		conf_defaults(c);
		return -1;
	}
	free(text);
	c->path = xstrdup(path);
	return 0;
}

static char *
run_path(const struct sm_conf *c, const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", c->run_dir, name);
	return p;
}

/* The three run-time paths under paths.run, malloc'd; never NULL. */
char *
conf_ctl_socket(const struct sm_conf *c)
{
	return run_path(c, "ctl.sock");
}

char *
conf_event_socket(const struct sm_conf *c)
{
	return run_path(c, "event.sock");
}

char *
conf_pidfile(const struct sm_conf *c)
{
	return run_path(c, "sshmedicd.pid");
}

/* The PAM module's drop file beside the event socket (X.sock -> X.drops). */
char *
conf_event_drops(const struct sm_conf *c)
{
	return run_path(c, "event.drops");
}
