/*
 * One policy file: a libconfig list of { name; on; ...; actions; }, taken
 * whole or refused whole with FILE:LINE; the trigger table and its keys.
 */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf_int.h"
#include "counters.h"
#include "misc.h"
#include "policy.h"
#include "policy_int.h"
#include "xmalloc.h"

/* The ranges are documented in sshmedic-policies(5); keep both in step. */
#define POL_FAILURES_DEFAULT	3
#define POL_WINDOW_MIN		1000LL
#define POL_WINDOW_MAX		604800000LL		/* 7 days */
#define POL_WINDOW_DEFAULT	600000LL
#define POL_COOLDOWN_MAX	2592000000LL		/* 30 days */
#define POL_COOLDOWN_DEFAULT	3600000LL

/*
 * counts: failures and window_ms apply; users: users = [...] applies (the
 * trigger is about protected users); requests: requests = [...] applies;
 * one_user: it names a single user an action can act on.
 */
static const struct trig_def {
	const char	*name;
	int		 counts;
	int		 users;
	int		 requests;
	int		 one_user;
} trig_defs[PT_NTRIGGERS] = {
	[PT_USER_FAILURES] = { "user_failures", 1, 1, 0, 1 },
	[PT_ACCOUNT_DENIED] = { "account_denied", 0, 1, 0, 1 },
	[PT_SOURCE_FAILURES] = { "source_failures", 1, 0, 0, 0 },
	[PT_NO_SUCCESS] = { "no_success", 1, 1, 0, 0 },
	[PT_CONFIG_ROLLBACK] = { "config_rollback", 0, 0, 0, 0 },
	[PT_SSHD_START_FAILED] = { "sshd_start_failed", 0, 0, 0, 0 },
	[PT_REQUEST] = { "request", 0, 0, 1, 0 },
};

#define TF(m)		offsetof(struct trig_def, m)
#define TF_ALL		SIZE_MAX

/* The kinds of request (DESIGN.md, "Requests"), as written in requests. */
static const char *const request_kinds[] = {
	"reset-ssh", "set-key", "set-password", "add-sudo-user", "remove-user",
	"expire",
};

/* Wire name of a trigger; "unknown" if out of range. */
const char *
policy_trigger_name(enum pol_trigger t)
{
	if ((unsigned int)t >= PT_NTRIGGERS)
		return "unknown";
	return trig_defs[t].name;
}

/* See policy_int.h: 1/0. */
int
pol_trigger_has_user(enum pol_trigger t)
{
	return (unsigned int)t < PT_NTRIGGERS && trig_defs[t].one_user;
}

/* See policy_int.h: buf. */
const char *
pol_quote(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < POL_QUOTE_MAX && i + 1 < len; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i] != '\0' && i + 4 <= len) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	if (len > 0)
		buf[i < len ? i : len - 1] = '\0';
	return buf;
}

/* See policy_int.h: 0/-1 (x->err). */
int
pol_get_string(struct conf_ctx *x, const config_setting_t *s,
    const char *what, const char **out)
{
	int t = config_setting_type(s);

	*out = "";
	if (t != CONFIG_TYPE_STRING)
		return conf_err(x, conf_line_of(s), "%s: expected a string, got "
		    "%s", what, conf_type_name(t));
	*out = config_setting_get_string(s);
	return 0;
}

/* See policy_int.h: 0/-1 (x->err). */
int
pol_get_int(struct conf_ctx *x, const config_setting_t *s, const char *what,
    long long min, long long max, long long *out)
{
	int t = config_setting_type(s);
	long long v;

	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return conf_err(x, conf_line_of(s), "%s: expected an integer, "
		    "got %s", what, conf_type_name(t));
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return conf_err(x, conf_line_of(s), "%s: %lld is out of range "
		    "%lld..%lld", what, v, min, max);
	*out = v;
	return 0;
}

static void
policy_free(struct policy *p)
{
	size_t i;

	free(p->file);
	sm_strv_free(p->users, p->nusers);
	sm_strv_free(p->requests, p->nrequests);
	for (i = 0; i < p->nactions; i++)
		pol_action_free(&p->actions[i]);
	memset(p, 0, sizeof(*p));
}

/* Frees the policies, the errors and zeroes set. */
void
policy_set_free(struct policy_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		policy_free(&set->p[i]);
	free(set->p);
	sm_strv_free(set->errors, set->nerrors);
	memset(set, 0, sizeof(*set));
}

static int
request_kind_ok(const char *v)
{
	size_t i;

	for (i = 0; i < SM_NELEM(request_kinds); i++)
		if (strcmp(request_kinds[i], v) == 0)
			return 1;
	return 0;
}

/*
 * users = [...] or requests = [...]: a non-empty list of distinct strings,
 * at most max, each accepted by ok. 0/-1 (x->err).
 */
static int
parse_strlist(struct conf_ctx *x, const config_setting_t *s, const char *what,
    int max, int is_users, char ***out, size_t *nout)
{
	const config_setting_t *e;
	char q[POL_QUOTE_BUF], **v;
	const char *str;
	int n, i, j;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return conf_err(x, conf_line_of(s), "%s: expected a list of "
		    "strings, got %s", what, conf_type_name(config_setting_type(s)));
	n = config_setting_length(s);
	if (n == 0)
		return conf_err(x, conf_line_of(s), "%s: the list is empty (leave "
		    "%s out for %s)", what, what, is_users ? "the protected users" :
		    "any request");
	if (n > max)
		return conf_err(x, conf_line_of(s), "%s: more than %d entries",
		    what, max);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return conf_err(x, conf_line_of(e), "%s: entry %d is %s, "
			    "not a string", what, i + 1,
			    conf_type_name(config_setting_type(e)));
		str = config_setting_get_string(e);
		if (is_users && !conf_user_name_ok(str, strlen(str)))
			return conf_err(x, conf_line_of(e), "%s: \"%s\" is not a "
			    "valid user name", what, pol_quote(str, q, sizeof(q)));
		if (!is_users && !request_kind_ok(str))
			return conf_err(x, conf_line_of(e), "%s: \"%s\" is not a "
			    "request (one of reset-ssh, set-key, set-password, "
			    "add-sudo-user, remove-user, expire)", what,
			    pol_quote(str, q, sizeof(q)));
		for (j = 0; j < i; j++)
			if (strcmp(str, config_setting_get_string(
			    config_setting_get_elem(s, (unsigned int)j))) == 0)
				return conf_err(x, conf_line_of(e), "%s: \"%s\" is "
				    "listed twice", what, str);
	}
	v = xcalloc((size_t)n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = xstrdup(config_setting_get_string(
		    config_setting_get_elem(s, (unsigned int)i)));
	*out = v;
	*nout = (size_t)n;
	return 0;
}

/*
 * "user_failures, source_failures, no_success": the triggers whose int
 * member at flag_off is set (TF_ALL: every trigger).
 */
static void
trigger_list(char *buf, size_t len, size_t flag_off)
{
	size_t i, o = 0;
	int first = 1;

	buf[0] = '\0';
	for (i = 0; i < PT_NTRIGGERS && o < len; i++) {
		if (flag_off != TF_ALL &&
		    !*(const int *)((const char *)&trig_defs[i] + flag_off))
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    first ? "" : ", ", trig_defs[i].name);
		first = 0;
	}
}

/* Refuses a key on a trigger it does not belong to. 0/-1 (x->err). */
static int
applies(struct conf_ctx *x, const config_setting_t *s, const struct policy *p,
    size_t flag_off, int ok)
{
	char list[256];

	if (ok)
		return 0;
	trigger_list(list, sizeof(list), flag_off);
	return conf_err(x, conf_line_of(s), "%s does not apply to trigger %s "
	    "(only %s)", config_setting_name(s), trig_defs[p->trigger].name,
	    list);
}

/* name and on, which the other keys depend on. 0/-1 (x->err). */
static int
parse_head(struct conf_ctx *x, const config_setting_t *g, int idx,
    struct policy *p)
{
	const config_setting_t *s;
	char q[POL_QUOTE_BUF], list[256];
	const char *v;
	size_t i;

	if ((s = config_setting_get_member(g, "name")) == NULL)
		return conf_err(x, p->line, "policy %d: name is required", idx + 1);
	if (pol_get_string(x, s, "name", &v) == -1)
		return -1;
	if (strlen(v) > POLICY_NAME_MAX)
		return conf_err(x, conf_line_of(s), "name: %zu characters, longer "
		    "than %d", strlen(v), POLICY_NAME_MAX);
	if (!sm_token_ok(v, POLICY_NAME_MAX, "._-"))
		return conf_err(x, conf_line_of(s), "name: \"%s\" is not 1..%d of "
		    "[A-Za-z0-9._-]", pol_quote(v, q, sizeof(q)), POLICY_NAME_MAX);
	sm_strlcpy(p->name, v, sizeof(p->name));

	trigger_list(list, sizeof(list), TF_ALL);
	if ((s = config_setting_get_member(g, "on")) == NULL)
		return conf_err(x, p->line, "policy %s: on is required (one of "
		    "%s)", p->name, list);
	if (pol_get_string(x, s, "on", &v) == -1)
		return -1;
	for (i = 0; i < PT_NTRIGGERS; i++)
		if (strcmp(trig_defs[i].name, v) == 0)
			break;
	if (i == PT_NTRIGGERS)
		return conf_err(x, conf_line_of(s), "on: \"%s\" is not a trigger "
		    "(one of %s)", pol_quote(v, q, sizeof(q)), list);
	p->trigger = (enum pol_trigger)i;
	return 0;
}

/* One { ... } of policies into p. 0/-1 (x->err). */
static int
parse_policy(struct conf_ctx *x, const config_setting_t *g, int idx,
    struct policy *p, int check_owner)
{
	const struct trig_def *td;
	const config_setting_t *s, *actions = NULL;
	const char *name;
	long long v;
	int n, j;

	p->line = conf_line_of(g);
	p->file = xstrdup(x->path);
	if (!config_setting_is_group(g))
		return conf_err(x, p->line, "policy %d: expected a group "
		    "{ ... }, got %s", idx + 1,
		    conf_type_name(config_setting_type(g)));
	if (parse_head(x, g, idx, p) == -1)
		return -1;
	td = &trig_defs[p->trigger];
	if (td->counts) {
		p->failures = POL_FAILURES_DEFAULT;
		p->window_ms = POL_WINDOW_DEFAULT;
	}
	p->cooldown_ms = POL_COOLDOWN_DEFAULT;
	n = config_setting_length(g);
	for (j = 0; j < n; j++) {
		s = config_setting_get_elem(g, (unsigned int)j);
		name = config_setting_name(s);
		if (strcmp(name, "name") == 0 || strcmp(name, "on") == 0)
			continue;
		if (strcmp(name, "users") == 0) {
			if (applies(x, s, p, TF(users), td->users) == -1 ||
			    parse_strlist(x, s, "users", POLICY_MAX_USERS, 1,
			    &p->users, &p->nusers) == -1)
				return -1;
		} else if (strcmp(name, "requests") == 0) {
			if (applies(x, s, p, TF(requests), td->requests) == -1 ||
			    parse_strlist(x, s, "requests",
			    (int)SM_NELEM(request_kinds), 0, &p->requests,
			    &p->nrequests) == -1)
				return -1;
		} else if (strcmp(name, "failures") == 0) {
			if (applies(x, s, p, TF(counts), td->counts) == -1 ||
			    pol_get_int(x, s, name, 1, COUNTERS_RING, &v) == -1)
				return -1;
			p->failures = (unsigned int)v;
		} else if (strcmp(name, "window_ms") == 0) {
			if (applies(x, s, p, TF(counts), td->counts) == -1 ||
			    pol_get_int(x, s, name, POL_WINDOW_MIN, POL_WINDOW_MAX,
			    &v) == -1)
				return -1;
			p->window_ms = v;
		} else if (strcmp(name, "cooldown_ms") == 0) {
			if (pol_get_int(x, s, name, 0, POL_COOLDOWN_MAX, &v) == -1)
				return -1;
			p->cooldown_ms = v;
		} else if (strcmp(name, "dry_run") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_BOOL)
				return conf_err(x, conf_line_of(s), "dry_run: "
				    "expected true or false, got %s",
				    conf_type_name(config_setting_type(s)));
			p->dry_run = config_setting_get_bool(s) ? 1 : 0;
		} else if (strcmp(name, "actions") == 0)
			actions = s;
		else
			return conf_err(x, conf_line_of(s), "unknown key %s", name);
	}
	if (actions == NULL)
		return conf_err(x, p->line, "policy %s: actions is required",
		    p->name);
	return pol_actions_parse(x, actions, p, check_owner);
}

/* The policy called name in set or in tmp[0..n), or NULL. */
static const struct policy *
find_name(const struct policy_set *set, const struct policy *tmp, size_t n,
    const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->p[i].name, name) == 0)
			return &set->p[i];
	for (i = 0; i < n; i++)
		if (strcmp(tmp[i].name, name) == 0)
			return &tmp[i];
	return NULL;
}

/* policies = ( ... ) into a temporary array, then into set. 0/-1 (x->err). */
static int
parse_policies(struct conf_ctx *x, const config_setting_t *s,
    struct policy_set *set, int check_owner)
{
	const struct policy *other;
	struct policy *tmp;
	size_t n, i, done = 0;
	int r = -1;

	if (!config_setting_is_list(s) && !config_setting_is_array(s))
		return conf_err(x, conf_line_of(s), "policies: expected a list "
		    "( { ... }, ... ), got %s",
		    conf_type_name(config_setting_type(s)));
	n = (size_t)config_setting_length(s);
	if (n == 0)
		return 0;
	if (n > POLICY_MAX - set->n)
		return conf_err(x, conf_line_of(s), "policies: %zu here and %zu "
		    "already loaded: more than %d in all files", n, set->n,
		    POLICY_MAX);
	tmp = xcalloc(n, sizeof(*tmp));
	for (i = 0; i < n; i++) {
		done = i + 1;
		if (parse_policy(x, config_setting_get_elem(s, (unsigned int)i),
		    (int)i, &tmp[i], check_owner) == -1)
			goto out;
		if ((other = find_name(set, tmp, i, tmp[i].name)) != NULL) {
			conf_err(x, tmp[i].line, "name: \"%s\" is already the "
			    "name of the policy at %s:%u", tmp[i].name,
			    other->file, other->line);
			goto out;
		}
	}
	set->p = xreallocarray(set->p, set->n + n, sizeof(*set->p));
	memcpy(set->p + set->n, tmp, n * sizeof(*tmp));
	set->n += n;
	done = 0;	/* set owns them now */
	r = 0;
 out:
	for (i = 0; i < done; i++)
		policy_free(&tmp[i]);
	free(tmp);
	return r;
}

/* One file's text into set, whole or not at all. 0/-1 (x->err). */
static int
parse_text(struct conf_ctx *x, const char *text, struct policy_set *set,
    int check_owner)
{
	const config_setting_t *root, *s, *pols = NULL;
	config_t cfg;
	int n, j, r = -1;

	config_init(&cfg);
	if ((root = conf_read_text(x, &cfg, text)) == NULL)
		goto out;
	n = config_setting_length(root);
	for (j = 0; j < n; j++) {
		s = config_setting_get_elem(root, (unsigned int)j);
		if (strcmp(config_setting_name(s), "policies") != 0) {
			conf_err(x, conf_line_of(s), "unknown setting %s",
			    config_setting_name(s));
			goto out;
		}
		pols = s;
	}
	if (pols != NULL && parse_policies(x, pols, set, check_owner) == -1)
		goto out;
	set->nfiles++;
	r = 0;
 out:
	config_destroy(&cfg);
	return r;
}

/* See policy_int.h: 0/-1 (err). */
int
pol_load_at(struct policy_set *set, int dirfd, const char *name, const char *path,
    int check_owner, char *err, size_t errlen)
{
	struct conf_ctx x = { path, err, errlen };
	char *text = NULL;
	int r;

	if (errlen > 0)
		err[0] = '\0';
	r = conf_open_checked(&x, dirfd, name, check_owner, POLICY_FILE_MAX,
	    &text);
	if (r == 0)
		r = conf_refuse_include(&x, text);
	if (r == 0)
		r = conf_refuse_wide_ints(&x, text);
	if (r == 0)
		r = parse_text(&x, text, set, check_owner);
	free(text);
	return r;
}

/* See policy.h: 0/-1 (err). */
int
policy_load_file(struct policy_set *set, const char *path, int check_owner,
    char *err, size_t errlen)
{
	return pol_load_at(set, AT_FDCWD, path, path, check_owner, err, errlen);
}
