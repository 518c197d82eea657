/*
 * The actions of a policy: a name or { do = "name"; parameters }, each
 * parameter checked against the one table of what every action takes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf.h"
#include "conf_int.h"
#include "misc.h"
#include "policy.h"
#include "policy_int.h"
#include "xmalloc.h"

#define ACT_TIMEOUT_MIN		100
#define ACT_TIMEOUT_MAX		600000
#define ACT_TIMEOUT_DEFAULT	10000

/* Parameters, as bits of the table below. */
enum pol_param {
	PP_ESCROW = 0,
	PP_SHELL,
	PP_USER,
	PP_KEY,
	PP_SUDOERS_DIR,
	PP_FAILLOCK_DIR,
	PP_TO,
	PP_ARGV,
	PP_TIMEOUT,
	PP_NPARAMS
};

#define B(p)	(1u << (p))

static const char *const param_names[PP_NPARAMS] = {
	"escrow", "shell", "user", "key", "sudoers_dir", "faillock_dir", "to",
	"argv", "timeout_ms",
};

/*
 * What each action takes and needs. needs_user: it acts on the trigger's
 * one user, so the trigger must have one. repeat_ok: it may appear twice
 * in a policy (different hooks, different break-glass accounts); for the
 * others a second one is a mistake. restore_pam repairs the sshd PAM
 * service, breakglass creates its own account: neither needs a user.
 */
static const struct act_def {
	const char	*name;
	int		 needs_user;
	int		 repeat_ok;
	unsigned int	 takes;		/* B(PP_*) besides timeout_ms */
	unsigned int	 needs;
} act_defs[PA_NACTIONS] = {
	[PA_RESTORE_KEYS] = { "restore_keys", 1, 0, 0, 0 },
	[PA_FIX_MODES] = { "fix_modes", 1, 0, 0, 0 },
	[PA_FAILLOCK_RESET] = { "faillock_reset", 1, 0, B(PP_FAILLOCK_DIR), 0 },
	[PA_UNLOCK] = { "unlock", 1, 0, 0, 0 },
	[PA_SET_PASSWORD] = { "set_password", 1, 0, B(PP_ESCROW),
	    B(PP_ESCROW) },
	[PA_SET_SHELL] = { "set_shell", 1, 0, B(PP_SHELL), B(PP_SHELL) },
	[PA_BREAKGLASS] = { "breakglass", 0, 1,
	    B(PP_USER) | B(PP_KEY) | B(PP_SUDOERS_DIR) | B(PP_SHELL),
	    B(PP_USER) | B(PP_KEY) },
	[PA_RESET_CONFIG] = { "reset_config", 0, 0, B(PP_TO), 0 },
	[PA_RESTART_SSHD] = { "restart_sshd", 0, 0, 0, 0 },
	[PA_RESTORE_PAM] = { "restore_pam", 0, 0, 0, 0 },
	[PA_HOOK] = { "hook", 0, 1, B(PP_ARGV), B(PP_ARGV) },
};

/* Wire name of an action; "unknown" if out of range. */
const char *
policy_action_name(enum pol_action a)
{
	if ((unsigned int)a >= PA_NACTIONS)
		return "unknown";
	return act_defs[a].name;
}

/* Predicate: the action acts on one user (needs a trigger that has one). */
int
policy_action_needs_user(enum pol_action a)
{
	if ((unsigned int)a >= PA_NACTIONS)
		return 0;
	return act_defs[a].needs_user;
}

/* See policy_int.h. */
void
pol_action_free(struct pol_action_spec *a)
{
	size_t i;

	free(a->escrow);
	free(a->shell);
	free(a->user);
	free(a->key);
	free(a->sudoers_dir);
	free(a->faillock_dir);
	if (a->argv != NULL) {
		for (i = 0; a->argv[i] != NULL; i++)
			free(a->argv[i]);
		free(a->argv);
	}
	memset(a, 0, sizeof(*a));
}

static int
action_lookup(const char *name, enum pol_action *out)
{
	size_t i;

	for (i = 0; i < PA_NACTIONS; i++) {
		if (strcmp(act_defs[i].name, name) == 0) {
			*out = (enum pol_action)i;
			return 0;
		}
	}
	return -1;
}

static void
action_list(char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < PA_NACTIONS && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
		    act_defs[i].name);
}

/* An absolute path parameter into *out. 0/-1 (x->err). */
static int
param_path(struct conf_ctx *x, const config_setting_t *s, const char *what,
    char **out)
{
	const char *v;

	if (pol_get_string(x, s, what, &v) == -1 ||
	    conf_check_path(x, s, what, v, 0) == -1)
		return -1;
	*out = xstrdup(v);
	return 0;
}

/* One parameter of a { do = ...; } group. 0/-1 (x->err). */
static int
param_parse(struct conf_ctx *x, const config_setting_t *s, const char *pfx,
    enum pol_param pp, struct pol_action_spec *a, int check_owner)
{
	char what[128], q[POL_QUOTE_BUF];
	const char *v;
	long long n;

	snprintf(what, sizeof(what), "%s: %s", pfx, param_names[pp]);
	switch (pp) {
	case PP_ESCROW:
		if (param_path(x, s, what, &a->escrow) == -1)
			return -1;
		return pol_check_escrow(x, conf_line_of(s), what, a->escrow,
		    check_owner);
	case PP_KEY:
		if (param_path(x, s, what, &a->key) == -1)
			return -1;
		return pol_check_pubkeys(x, conf_line_of(s), what, a->key,
		    check_owner);
	case PP_SHELL:
		return param_path(x, s, what, &a->shell);
	case PP_SUDOERS_DIR:
		return param_path(x, s, what, &a->sudoers_dir);
	case PP_FAILLOCK_DIR:
		return param_path(x, s, what, &a->faillock_dir);
	case PP_USER:
		if (pol_get_string(x, s, what, &v) == -1)
			return -1;
		if (!conf_user_name_ok(v, strlen(v)))
			return conf_err(x, conf_line_of(s), "%s: \"%s\" is not a "
			    "valid user name", what, pol_quote(v, q, sizeof(q)));
		/* It creates the account: root is always there already. */
		if (strcmp(v, "root") == 0)
			return conf_err(x, conf_line_of(s), "%s: breakglass "
			    "creates a new account, it cannot be root", what);
		a->user = xstrdup(v);
		return 0;
	case PP_TO:
		if (pol_get_string(x, s, what, &v) == -1)
			return -1;
		if (strcmp(v, "known-good") == 0)
			a->reset_to = PR_KNOWN_GOOD;
		else if (strcmp(v, "vendor") == 0)
			a->reset_to = PR_VENDOR;
		else
			return conf_err(x, conf_line_of(s), "%s: \"%s\" is neither "
			    "\"known-good\" nor \"vendor\"", what,
			    pol_quote(v, q, sizeof(q)));
		return 0;
	case PP_ARGV:
		return conf_parse_argv(x, s, what, 0, &a->argv);
	case PP_TIMEOUT:
		if (pol_get_int(x, s, what, ACT_TIMEOUT_MIN, ACT_TIMEOUT_MAX,
		    &n) == -1)
			return -1;
		a->timeout_ms = (int)n;
		return 0;
	case PP_NPARAMS:
		break;
	}
	return conf_err(x, conf_line_of(s), "%s: internal error", what);
}

/* The parameters of { do = "..."; ... } (a->kind set). 0/-1 (x->err). */
static int
action_group(struct conf_ctx *x, const config_setting_t *g, const char *pfx,
    struct pol_action_spec *a, int check_owner)
{
	const struct act_def *d = &act_defs[a->kind];
	const config_setting_t *s;
	const char *name;
	unsigned int seen = 0, pp;
	int n, j;

	n = config_setting_length(g);
	for (j = 0; j < n; j++) {
		s = config_setting_get_elem(g, (unsigned int)j);
		name = config_setting_name(s);
		if (strcmp(name, "do") == 0)
			continue;
		for (pp = 0; pp < PP_NPARAMS; pp++)
			if (strcmp(param_names[pp], name) == 0)
				break;
		if (pp == PP_NPARAMS)
			return conf_err(x, conf_line_of(s), "%s: unknown key %s",
			    pfx, name);
		if (pp != PP_TIMEOUT && (d->takes & B(pp)) == 0)
			return conf_err(x, conf_line_of(s), "%s: %s is not a "
			    "parameter of %s", pfx, name, d->name);
		if (param_parse(x, s, pfx, (enum pol_param)pp, a,
		    check_owner) == -1)
			return -1;
		seen |= B(pp);
	}
	for (pp = 0; pp < PP_NPARAMS; pp++)
		if ((d->needs & B(pp)) != 0 && (seen & B(pp)) == 0)
			return conf_err(x, conf_line_of(g), "%s: needs %s", pfx,
			    param_names[pp]);
	return 0;
}

/* Defaults of the optional parameters, after the written ones. */
static void
action_defaults(struct pol_action_spec *a)
{
	if (a->timeout_ms == 0)
		a->timeout_ms = ACT_TIMEOUT_DEFAULT;
	/* sudoers_dir left NULL: the daemon's paths.sudoers. */
	if (a->kind == PA_BREAKGLASS) {
		if (a->shell == NULL)
			a->shell = xstrdup("/bin/bash");
	}
}

/* The first required parameter of d, for "set_password needs escrow = ...". */
static const char *
first_needed(const struct act_def *d)
{
	unsigned int pp;

	for (pp = 0; pp < PP_NPARAMS; pp++)
		if ((d->needs & B(pp)) != 0)
			return param_names[pp];
	return NULL;
}

/* Element i (0-based) of actions into a. 0/-1 (x->err). */
static int
action_parse(struct conf_ctx *x, const config_setting_t *e, int i,
    const struct policy *p, struct pol_action_spec *a, int check_owner)
{
	const config_setting_t *d = e;
	char pfx[64], list[256], q[POL_QUOTE_BUF];
	const char *name, *need;
	int t = config_setting_type(e);

	a->line = conf_line_of(e);
	if (t == CONFIG_TYPE_GROUP) {
		if ((d = config_setting_get_member(e, "do")) == NULL)
			return conf_err(x, a->line, "action %d: a group needs "
			    "do = \"name\"", i + 1);
	} else if (t != CONFIG_TYPE_STRING)
		return conf_err(x, a->line, "action %d: expected a name or "
		    "{ do = \"name\"; ... }, got %s", i + 1, conf_type_name(t));
	snprintf(pfx, sizeof(pfx), "action %d: do", i + 1);
	if (pol_get_string(x, d, pfx, &name) == -1)
		return -1;
	if (action_lookup(name, &a->kind) == -1) {
		action_list(list, sizeof(list));
		return conf_err(x, conf_line_of(d), "action %d: \"%s\" is not an "
		    "action (one of %s)", i + 1, pol_quote(name, q, sizeof(q)),
		    list);
	}
	snprintf(pfx, sizeof(pfx), "action %d (%s)", i + 1, act_defs[a->kind].name);
	if (act_defs[a->kind].needs_user && !pol_trigger_has_user(p->trigger))
		return conf_err(x, a->line, "trigger %s has no single user: "
		    "action %s acts on one", policy_trigger_name(p->trigger),
		    act_defs[a->kind].name);
	if (t == CONFIG_TYPE_GROUP) {
		if (action_group(x, e, pfx, a, check_owner) == -1)
			return -1;
	} else if ((need = first_needed(&act_defs[a->kind])) != NULL)
		return conf_err(x, a->line, "action %d: %s needs %s = ...; "
		    "write it as { do = \"%s\"; %s = ...; }", i + 1,
		    act_defs[a->kind].name, need, act_defs[a->kind].name, need);
	action_defaults(a);
	return 0;
}

/* See policy_int.h: 0/-1 (x->err). */
int
pol_actions_parse(struct conf_ctx *x, const config_setting_t *s,
    struct policy *p, int check_owner)
{
	const config_setting_t *e;
	size_t i, j;
	int n;

	if (!config_setting_is_list(s) && !config_setting_is_array(s))
		return conf_err(x, conf_line_of(s), "actions: expected a list, "
		    "got %s", conf_type_name(config_setting_type(s)));
	n = config_setting_length(s);
	if (n == 0)
		return conf_err(x, conf_line_of(s), "actions: the list is empty");
	if (n > POLICY_MAX_ACTIONS)
		return conf_err(x, conf_line_of(s), "actions: more than %d "
		    "actions", POLICY_MAX_ACTIONS);
	for (i = 0; i < (size_t)n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		/* Counted first, so a failure frees what this one took. */
		p->nactions = i + 1;
		if (action_parse(x, e, (int)i, p, &p->actions[i],
		    check_owner) == -1)
			return -1;
		if (act_defs[p->actions[i].kind].repeat_ok)
			continue;
		for (j = 0; j < i; j++)
			if (p->actions[j].kind == p->actions[i].kind)
				return conf_err(x, p->actions[i].line, "action "
				    "%zu (%s): already action %zu", i + 1,
				    act_defs[p->actions[i].kind].name, j + 1);
	}
	return 0;
}
