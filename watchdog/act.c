/*
 * One action of a policy or a request: dispatched to the part that knows
 * how, its change written to the audit log with the type DESIGN.md names.
 */
#include "config.h"

#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "act.h"
#include "acct.h"
#include "creds.h"
#include "daemon.h"
#include "fsutil.h"
#include "guard.h"
#include "guard_int.h"
#include "log.h"
#include "misc.h"
#include "pamfile.h"
#include "report.h"
#include "spawn.h"
#include "xmalloc.h"

#ifndef AUDIT_RESP_EXEC
#define AUDIT_RESP_EXEC 2210
#endif

#define ACT_OUT_CAP	4096	/* bytes of a tool's output kept */
#define HOOK_ENV_MAX	12

/* The record each action's change is written as. */
static const struct {
	enum pol_action	 kind;
	int		 type;
	const char	*op;
} act_records[] = {
	{ PA_RESTORE_KEYS, AUDIT_USER_MGMT, "sshmedic-keys-restore" },
	{ PA_FIX_MODES, AUDIT_USER_MGMT, "sshmedic-modes-fix" },
	{ PA_FAILLOCK_RESET, AUDIT_USER_MGMT, "sshmedic-faillock-reset" },
	{ PA_UNLOCK, AUDIT_ACCT_UNLOCK, "sshmedic-account-unlock" },
	{ PA_SET_PASSWORD, AUDIT_USER_CHAUTHTOK, "sshmedic-password-set" },
	{ PA_SET_SHELL, AUDIT_USER_MGMT, "sshmedic-shell-set" },
	{ PA_BREAKGLASS, AUDIT_USER_MGMT, "sshmedic-breakglass" },
	{ PA_RESTORE_PAM, AUDIT_USYS_CONFIG, "sshmedic-pam-restore" },
	{ PA_HOOK, AUDIT_RESP_EXEC, "sshmedic-hook" },
};

/* See act.h: 0/-1. */
int
act_tool(char *const argv[], const char *in, size_t inlen, int timeout_ms,
    const char *secret, struct act_out *o)
{
	struct spawn_res sr;
	char how[96], line[256], *p;
	size_t n;

	memset(&sr, 0, sizeof(sr));
	if (spawn_run(argv, NULL, in, inlen, timeout_ms, ACT_OUT_CAP,
	    &sr) == -1) {
		snprintf(o->why, sizeof(o->why), "%s: cannot run: %s", argv[0],
		    strerror(errno));
		return -1;
	}
	if (spawn_ok(&sr)) {
		spawn_res_free(&sr);
		return 0;
	}
	p = sr.err != NULL && sr.err[0] != '\0' ? sr.err :
	    sr.out != NULL ? sr.out : "";
	n = strcspn(p, "\n");
	snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n :
	    sizeof(line) - 1), p);
	/* A tool may echo its input: the secret never leaves this function. */
	if (secret != NULL && secret[0] != '\0' && strstr(line, secret) != NULL)
		sm_strlcpy(line, "(its message held the secret: not shown)",
		    sizeof(line));
	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	snprintf(o->why, sizeof(o->why), "%s: %s%s%s", argv[0],
	    spawn_describe(&sr, how, sizeof(how)), line[0] ? ": " : "", line);
	if (sr.err != NULL)
		explicit_bzero(sr.err, sr.errlen);
	if (sr.out != NULL)
		explicit_bzero(sr.out, sr.outlen);
	spawn_res_free(&sr);
	return -1;
}

static int
timeout_of(const struct act_req *r)
{
	return r->spec != NULL && r->spec->timeout_ms > 0 ?
	    r->spec->timeout_ms : ACT_TOOL_TIMEOUT_MS;
}

/* Runs the hook's argv with the event in its environment. */
static int
run_hook(const struct act_req *r, struct act_out *o)
{
	char *envp[HOOK_ENV_MAX], *e;
	struct spawn_res sr;
	char how[96];
	size_t n = 0, i;
	int ok;

	if (r->spec == NULL || r->spec->argv == NULL) {
		snprintf(o->why, sizeof(o->why), "hook without argv");
		return -1;
	}
	if (r->dry) {
		snprintf(o->did, sizeof(o->did), "would run %s", r->spec->argv[0]);
		return 0;
	}
	/* Values are names, numeric addresses and ids: nothing to quote. */
	xasprintf(&e, "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	envp[n++] = e;
	xasprintf(&e, "SSHMEDIC_CAUSE=%s", r->cause != NULL ? r->cause : "");
	envp[n++] = e;
	xasprintf(&e, "SSHMEDIC_USER=%s", r->user != NULL ? r->user : "");
	envp[n++] = e;
	xasprintf(&e, "SSHMEDIC_SOURCE=%s", r->addr != NULL ? r->addr : "");
	envp[n++] = e;
	xasprintf(&e, "SSHMEDIC_EVENT_ID=%s", r->cause_evid != NULL ?
	    r->cause_evid : "");
	envp[n++] = e;
	envp[n] = NULL;
	memset(&sr, 0, sizeof(sr));
	if (spawn_run(r->spec->argv, envp, NULL, 0, timeout_of(r),
	    ACT_OUT_CAP, &sr) == -1) {
		ok = 0;
		snprintf(o->why, sizeof(o->why), "%s: cannot run: %s",
		    r->spec->argv[0], strerror(errno));
	} else if (!(ok = spawn_ok(&sr)))
		snprintf(o->why, sizeof(o->why), "%s: %s", r->spec->argv[0],
		    spawn_describe(&sr, how, sizeof(how)));
	else
		snprintf(o->did, sizeof(o->did), "ran %s", r->spec->argv[0]);
	o->changed = 1;		/* a hook ran: that is the record */
	spawn_res_free(&sr);
	for (i = 0; i < n; i++)
		free(envp[i]);
	return ok ? 0 : -1;
}

/*
 * The break-glass account: the root-provided key file is checked again
 * now (root's, not writable by others, public keys only), then the sudo
 * user is made with it.
 */
static int
act_breakglass(struct daemon *d, const struct act_req *r, struct act_out *o)
{
	const struct pol_action_spec *sp = r->spec;
	struct stat sb;
	char *keys = NULL;
	size_t len;
	int rv;

	if (sp == NULL || sp->user == NULL || sp->key == NULL) {
		snprintf(o->why, sizeof(o->why), "breakglass needs user and key");
		return -1;
	}
	if (fs_read_file(sp->key, ACCT_KEYS_MAX, 0, &keys, &len) == -1 ||
	    stat(sp->key, &sb) == -1 || sb.st_uid != 0 ||
	    (sb.st_mode & 022) != 0) {
		snprintf(o->why, sizeof(o->why), "key file %s: %s", sp->key,
		    keys == NULL ? strerror(errno) : "must be root's and not "
		    "writable by group or other");
		free(keys);
		return -1;
	}
	rv = acct_add_sudo_user(d, sp->user, keys, len, sp->sudoers_dir != NULL ?
	    sp->sudoers_dir : d->conf.sudoers_dir, sp->shell, 0, r->cause_evid,
	    r->dry, timeout_of(r), o);
	free(keys);
	return rv;
}

static int
dispatch(struct daemon *d, const struct act_req *r, struct act_out *o)
{
	const struct pol_action_spec *sp = r->spec;
	char msg[1024];
	int tmo = timeout_of(r), changed = 0, rv;

	switch (r->kind) {
	case PA_RESTORE_KEYS:
		return creds_restore_keys(d, r->user, r->cause_evid, r->dry, o);
	case PA_FIX_MODES:
		return creds_fix_modes(d, r->user, r->addr, r->dry, o);
	case PA_FAILLOCK_RESET:
		return acct_faillock_reset(r->user, sp != NULL ?
		    sp->faillock_dir : NULL, r->dry, tmo, o);
	case PA_UNLOCK:
		return acct_unlock(r->user, r->dry, tmo, o);
	case PA_SET_PASSWORD:
		return acct_set_password(r->user, sp != NULL ? sp->escrow : NULL,
		    NULL, r->dry, tmo, o);
	case PA_SET_SHELL:
		return acct_set_shell(r->user, sp != NULL ? sp->shell : NULL,
		    r->dry, tmo, o);
	case PA_BREAKGLASS:
		return act_breakglass(d, r, o);
	case PA_RESET_CONFIG:
		if (r->dry) {
			snprintf(o->did, sizeof(o->did), "would reset the sshd "
			    "configuration to %s", sp != NULL &&
			    sp->reset_to == PR_VENDOR ? "the vendor default" :
			    "the known-good generation");
			return 0;
		}
		snprintf(msg, sizeof(msg), "%s", r->cause != NULL ? r->cause :
		    "reset");
		rv = guard_reset(d, sp != NULL && sp->reset_to == PR_VENDOR, msg,
		    &changed, o->did, sizeof(o->did));
		if (rv == -1)
			sm_strlcpy(o->why, o->did, sizeof(o->why));
		o->changed = changed;
		return rv;
	case PA_RESTART_SSHD:
		if (r->dry) {
			snprintf(o->did, sizeof(o->did), "would restart sshd");
			return 0;
		}
		if (guard_reload_sshd(d, r->cause != NULL ? r->cause :
		    "restart") == -1) {
			snprintf(o->why, sizeof(o->why), "sshd does not serve "
			    "after the restart");
			return -1;
		}
		o->changed = 1;
		snprintf(o->did, sizeof(o->did), "sshd restarted and serving");
		return 0;
	case PA_RESTORE_PAM:
		return pamfile_restore(d, r->service, r->cause_evid, r->dry, o);
	case PA_HOOK:
		return run_hook(r, o);
	case PA_NACTIONS:
		break;
	}
	snprintf(o->why, sizeof(o->why), "unknown action");
	return -1;
}

/* See act.h. */
void
act_record(int type, const char *op, int ok, const char *user,
    const char *cause, struct act_out *o)
{
	char reason[3200];

	snprintf(reason, sizeof(reason), "%s: %.1500s%s%.1500s",
	    cause != NULL ? cause : "-", ok ? o->did : o->why,
	    !ok && o->did[0] ? "; done before: " : "", !ok ? o->did : "");
	report_account(type, op, ok, user, NULL, reason, NULL, NULL, o->evid);
}

/* See act.h: 0/-1. */
int
act_run(struct daemon *d, const struct act_req *r, struct act_out *o)
{
	const char *acct;
	size_t i;
	int rv;

	memset(o, 0, sizeof(*o));
	if (policy_action_needs_user(r->kind) && (r->user == NULL ||
	    r->user[0] == '\0')) {
		snprintf(o->why, sizeof(o->why), "%s needs a user",
		    policy_action_name(r->kind));
		return -1;
	}
	rv = dispatch(d, r, o);
	if (r->dry || (!o->changed && rv == 0))
		return rv;
	/* The account break-glass makes is what its record is about. */
	acct = r->kind == PA_BREAKGLASS && r->spec != NULL ? r->spec->user :
	    r->user;
	for (i = 0; i < SM_NELEM(act_records); i++) {
		if (act_records[i].kind != r->kind)
			continue;
		act_record(act_records[i].type, act_records[i].op, rv == 0,
		    acct, r->cause, o);
		break;
	}
	return rv;
}
