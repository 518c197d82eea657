/*
 * Policies at work: a trigger fires a policy once per cooldown and
 * subject, its actions run in order, each decision and action audited.
 */
#include "config.h"

#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "counters.h"
#include "creds.h"
#include "daemon.h"
#include "event.h"
#include "fsutil.h"
#include "log.h"
#include "metrics.h"
#include "misc.h"
#include "policies.h"
#include "report.h"
#include "store_int.h"
#include "xmalloc.h"

#ifndef AUDIT_RESP_EXEC
#define AUDIT_RESP_EXEC 2210
#endif
#ifndef AUDIT_RESP_ANOMALY
#define AUDIT_RESP_ANOMALY 2200
#endif
#ifndef AUDIT_ANOM_LOGIN_FAILURES
#define AUDIT_ANOM_LOGIN_FAILURES 2100
#endif
#ifndef AUDIT_ANOM_ORIGIN_FAILURES
#define AUDIT_ANOM_ORIGIN_FAILURES 2120
#endif

#define STATE_MAGIC	"sshmedic-policy-state 1"
#define STATE_MAX	(POLICY_MAX * POL_CD_SLOTS * 160)

/* What fired a policy: its subject and a sentence for the record. */
struct pol_ctx {
	const char	*user;
	const char	*addr;
	const char	*service;
	char		 what[512];
	int		 anom;		/* ANOM_* type, 0: a plain decision */
	const char	*anom_op;
};

/* --- cooldown state, kept in paths.state/policy.state ------------------ */

static int
subj_ok(const char *s)
{
	return strcmp(s, "*") == 0 || sm_token_ok(s, COUNTERS_KEY_MAX, "._:-@");
}

static struct pol_cd *
cd_find(struct pol_run *run, const char *subj, int create)
{
	struct pol_cd *oldest = &run->cd[0];
	size_t i;

	for (i = 0; i < POL_CD_SLOTS; i++) {
		if (run->cd[i].last_ms != 0 &&
		    strcmp(run->cd[i].subj, subj) == 0)
			return &run->cd[i];
		if (run->cd[i].last_ms < oldest->last_ms)
			oldest = &run->cd[i];
	}
	if (!create)
		return NULL;
	/* Full: the subject fired longest ago makes room. */
	memset(oldest, 0, sizeof(*oldest));
	sm_strlcpy(oldest->subj, subj, sizeof(oldest->subj));
	return oldest;
}

static void
state_save(struct daemon *d)
{
	struct policies *P = &d->pol;
	struct store_sbuf b = { NULL, 0, 0 };
	const struct pol_run *run;
	size_t i, j;
	int64_t ms;

	store_sbuf_addf(&b, "%s\n", STATE_MAGIC);
	for (i = 0; i < P->set.n; i++) {
		run = &P->run[i];
		for (j = 0; j < POL_CD_SLOTS; j++)
			if (run->cd[j].last_ms != 0)
				store_sbuf_addf(&b, "cd %s %s %lld\n",
				    P->set.p[i].name, run->cd[j].subj,
				    (long long)run->cd[j].last_ms);
		/* The burst ring, oldest first, so that it refills in order. */
		for (j = 0; j < POL_BURST; j++)
			if ((ms = run->fired_at[(run->pos + j) % POL_BURST]) != 0)
				store_sbuf_addf(&b, "fired %s %lld\n",
				    P->set.p[i].name, (long long)ms);
	}
	store_sbuf_addf(&b, "end\n");
	if (fs_write_atomic(P->state_path, b.p, b.len, (uid_t)-1, (gid_t)-1,
	    0600) == -1)
		error_f("write %s: %s", P->state_path, strerror(errno));
	free(b.p);
}

/*
 * Reads the cooldowns and recent firings of the policies loaded now; the
 * rest is dropped.
 */
static void
state_load(struct daemon *d)
{
	struct policies *P = &d->pol;
	char *buf, *cur, *line, *f[4], *p;
	struct pol_run *run;
	struct pol_cd *cd;
	long long ms;
	size_t len, i, k;

	if (fs_read_file(P->state_path, STATE_MAX, 0, &buf, &len) == -1) {
		if (errno != ENOENT)
			error_f("%s: %s; cooldowns start afresh",
			    P->state_path, strerror(errno));
		return;
	}
	cur = buf;
	if ((line = store_next_line(&cur, buf + len, 256)) == NULL ||
	    strcmp(line, STATE_MAGIC) != 0) {
		error_f("%s: not a policy state file; ignored", P->state_path);
		goto out;
	}
	while ((line = store_next_line(&cur, buf + len, 256)) != NULL &&
	    strcmp(line, "end") != 0) {
		p = line;
		for (k = 0; k < 4 && (f[k] = strsep(&p, " ")) != NULL; k++)
			;
		/* "cd NAME SUBJECT MS" or "fired NAME MS" */
		if (k < 3 || p != NULL ||
		    parse_ll(f[k - 1], 1, INT64_MAX, &ms) == -1)
			continue;
		for (i = 0; i < P->set.n; i++)
			if (strcmp(P->set.p[i].name, f[1]) == 0)
				break;
		if (i == P->set.n)
			continue;
		run = &P->run[i];
		if (k == 4 && strcmp(f[0], "cd") == 0 && subj_ok(f[2]) &&
		    (cd = cd_find(run, f[2], 1)) != NULL)
			cd->last_ms = ms;
		else if (k == 3 && strcmp(f[0], "fired") == 0) {
			run->fired_at[run->pos] = ms;
			run->pos = (run->pos + 1) % POL_BURST;
		}
	}
 out:
	free(buf);
}

/* --- loading ----------------------------------------------------------- */

/* See policies.h. */
void
policies_load(struct daemon *d, int reload)
{
	struct policies *P = &d->pol;
	struct policy_set ns;
	char reason[1200];
	size_t i;
	int r;

	memset(&ns, 0, sizeof(ns));
	if (P->state_path == NULL)
		xasprintf(&P->state_path, "%s/%s", d->conf.state_dir,
		    POL_STATE_FILE);
	r = policy_load_dir(&ns, d->conf.policies_dir, 1);
	for (i = 0; i < ns.nerrors; i++) {
		snprintf(reason, sizeof(reason), "policy file refused%s: %s",
		    reload ? " (the running policies are kept)" : "",
		    ns.errors[i]);
		error_f("%s", reason);
		report_account(AUDIT_USYS_CONFIG, "sshmedic-policy-refused", 0,
		    NULL, NULL, reason, NULL, NULL, NULL);
	}
	if (reload && (r == -1 || ns.nerrors > 0)) {
		/* The set stays; status shows what this reading refused. */
		sm_strv_free(P->set.errors, P->set.nerrors);
		P->set.errors = ns.errors;
		P->set.nerrors = ns.nerrors;
		ns.errors = NULL;
		ns.nerrors = 0;
		P->stale = 1;
		policy_set_free(&ns);
		return;
	}
	P->stale = 0;
	if (P->set.n > 0 && P->run != NULL)
		state_save(d);	/* the cooldowns of the old set, kept by name */
	policy_set_free(&P->set);
	free(P->run);
	P->set = ns;
	P->run = xcalloc(ns.n > 0 ? ns.n : 1, sizeof(*P->run));
	state_load(d);
	logit("%zu policies loaded from %s (%zu files, %zu refused)", ns.n,
	    d->conf.policies_dir, ns.nfiles, ns.nerrors);
}

/* See policies.h. */
void
policies_free(struct daemon *d)
{
	struct policies *P = &d->pol;

	if (P->run != NULL && P->set.n > 0)
		state_save(d);
	policy_set_free(&P->set);
	free(P->run);
	free(P->state_path);
	memset(P, 0, sizeof(*P));
}

/* --- firing ------------------------------------------------------------ */

static int
burst_ok(struct pol_run *run, int64_t now)
{
	int64_t oldest = run->fired_at[run->pos];

	/* The ring holds the last POL_BURST firings; the oldest decides. */
	return oldest == 0 || now - oldest >= POL_BURST_MS;
}

static void
run_actions(struct daemon *d, const struct policy *p, const struct pol_ctx *c,
    const char *evid)
{
	struct policies *P = &d->pol;
	struct act_req r;
	struct act_out o;
	char cause[POLICY_NAME_MAX + 16], reason[3400];
	size_t i;
	int rv;

	snprintf(cause, sizeof(cause), "policy %s", p->name);
	P->busy = 1;
	for (i = 0; i < p->nactions; i++) {
		memset(&r, 0, sizeof(r));
		r.kind = p->actions[i].kind;
		r.spec = &p->actions[i];
		r.user = c->user;
		r.addr = c->addr;
		r.service = c->service;
		r.cause = cause;
		r.cause_evid = evid;
		r.dry = p->dry_run;
		rv = act_run(d, &r, &o);
		snprintf(reason, sizeof(reason), "%s%s: %s%s%s: %s",
		    p->dry_run ? "dry run of " : "", cause,
		    policy_action_name(r.kind), c->user != NULL ? " for " : "",
		    c->user != NULL ? c->user : "", rv == -1 ? o.why :
		    o.did[0] != '\0' ? o.did : "nothing to do");
		if (p->dry_run)
			report_account(AUDIT_RESP_ANOMALY,
			    "sshmedic-policy-dryrun", rv == 0, c->user, NULL,
			    reason, NULL, NULL, NULL);
		else
			report_account(AUDIT_RESP_EXEC, "sshmedic-policy-action",
			    rv == 0, c->user, NULL, reason, o.evid[0] ? o.evid :
			    NULL, NULL, NULL);
		if (rv == 0)
			P->actions_ok++;
		else
			P->actions_failed++;
		metrics_policy(d, p->name, p->dry_run ? MPR_DRY_RUN :
		    rv == 0 ? MPR_OK : MPR_FAILED);
	}
	P->busy = 0;
}

static void
fire(struct daemon *d, size_t idx, const struct pol_ctx *c)
{
	struct policies *P = &d->pol;
	const struct policy *p = &P->set.p[idx];
	struct pol_run *run = &P->run[idx];
	const char *subj = c->user != NULL ? c->user : c->addr != NULL ?
	    c->addr : "*";
	int64_t now = realtime_ms();
	struct pol_cd *cd;
	char reason[1024], evid[33];

	if (!subj_ok(subj))
		subj = "*";
	cd = cd_find(run, subj, 1);
	if (cd->last_ms != 0 && now - cd->last_ms < p->cooldown_ms) {
		P->suppressed++;
		metrics_policy(d, p->name, MPR_SUPPRESSED);
		if (cd->said_ms < cd->last_ms) {
			snprintf(reason, sizeof(reason), "policy %s: %s; not "
			    "acting: in its cooldown for another %lld s",
			    p->name, c->what, (long long)((p->cooldown_ms -
			    (now - cd->last_ms)) / 1000));
			report_account(AUDIT_RESP_ANOMALY,
			    "sshmedic-policy-suppressed", 1, c->user, NULL, reason,
			    NULL, NULL, NULL);
			cd->said_ms = now;
		}
		return;
	}
	if (!burst_ok(run, now)) {
		P->suppressed++;
		metrics_policy(d, p->name, MPR_SUPPRESSED);
		if (now - run->burst_said_ms >= POL_BURST_MS) {
			snprintf(reason, sizeof(reason), "policy %s: %s; not "
			    "acting: it fired %d times within %d s (for many "
			    "subjects)", p->name, c->what, POL_BURST,
			    POL_BURST_MS / 1000);
			report_account(AUDIT_RESP_ANOMALY,
			    "sshmedic-policy-suppressed", 1, c->user, NULL, reason,
			    NULL, NULL, NULL);
			run->burst_said_ms = now;
		}
		return;
	}
	cd->last_ms = now;
	cd->said_ms = 0;
	run->fired_at[run->pos] = now;
	run->pos = (run->pos + 1) % POL_BURST;
	state_save(d);
	if (p->dry_run)
		P->dry_runs++;
	else
		P->fired++;
	snprintf(reason, sizeof(reason), "%s; policy %s %s", c->what, p->name,
	    p->dry_run ? "would act (dry run)" : "acts");
	if (c->anom != 0)
		report_account(c->anom, c->anom_op, 1, c->user, NULL, reason,
		    NULL, NULL, evid);
	else
		report_account(p->dry_run ? AUDIT_RESP_ANOMALY : AUDIT_RESP_EXEC,
		    "sshmedic-policy-fire", 1, c->user, NULL, reason, NULL, NULL,
		    evid);
	run_actions(d, p, c, evid);
}

/* --- triggers ---------------------------------------------------------- */

/* Predicate: user is one the policy watches (its list, or the protected). */
static int
user_in(const struct daemon *d, const struct policy *p, const char *user)
{
	size_t i;

	if (user == NULL || user[0] == '\0')
		return 0;
	if (p->users == NULL)
		return creds_is_protected(d, user);
	for (i = 0; i < p->nusers; i++)
		if (strcmp(p->users[i], user) == 0)
			return 1;
	return 0;
}

/*
 * no_success: none of the policy's users succeeded within the window and
 * together they failed at least its threshold: 1 (what filled), else 0.
 */
static int
nobody_succeeds(const struct daemon *d, const struct policy *p, int64_t now,
    char *what, size_t wlen)
{
	const struct counters *c = &d->events.counters;
	const struct counters_entry *e;
	unsigned int fails = 0;
	size_t i, n;
	const char *u;

	n = p->users != NULL ? p->nusers : d->conf.nprotected;
	for (i = 0; i < n; i++) {
		u = p->users != NULL ? p->users[i] :
		    d->conf.protected_users[i].name;
		if ((e = counters_user(c, u)) == NULL)
			continue;
		if (e->last_ok_ms != 0 && e->last_ok_ms >= now - p->window_ms)
			return 0;
		fails += counters_recent_failures(e, now - p->window_ms);
	}
	/* Logins that failed before any user was known count too. */
	fails += events_anon_recent(&d->events, now - p->window_ms);
	if (fails < p->failures)
		return 0;
	snprintf(what, wlen, "no %s user logged in for %lld s while %u "
	    "logins failed", p->users != NULL ? "listed" : "protected",
	    (long long)(p->window_ms / 1000), fails);
	return 1;
}

/* See policies.h. */
void
policies_on_auth(struct daemon *d, const struct sm_event *e)
{
	struct policies *P = &d->pol;
	const struct counters_entry *ce;
	struct pol_ctx c;
	const struct policy *p;
	int64_t now = realtime_ms();
	unsigned int n;
	size_t i;

	if (e->kind != EVK_AUTH_FAIL && e->kind != EVK_ACCT_DENIED)
		return;
	if (!d->events.have_counters)
		return;
	for (i = 0; i < P->set.n; i++) {
		p = &P->set.p[i];
		memset(&c, 0, sizeof(c));
		c.service = e->service;
		switch (p->trigger) {
		case PT_USER_FAILURES:
			if (!user_in(d, p, e->user) || (ce = counters_user(
			    &d->events.counters, e->user)) == NULL)
				continue;
			n = counters_recent_failures(ce, now - p->window_ms);
			if (n < p->failures)
				continue;
			c.user = e->user;
			c.addr = e->rhost[0] ? e->rhost : NULL;
			c.anom = AUDIT_ANOM_LOGIN_FAILURES;
			c.anom_op = "sshmedic-failures-user";
			snprintf(c.what, sizeof(c.what), "%u failed logins of %s "
			    "within %lld s", n, e->user,
			    (long long)(p->window_ms / 1000));
			break;
		case PT_ACCOUNT_DENIED:
			if (e->kind != EVK_ACCT_DENIED || !user_in(d, p, e->user))
				continue;
			c.user = e->user;
			c.addr = e->rhost[0] ? e->rhost : NULL;
			c.anom = AUDIT_ANOM_LOGIN_FAILURES;
			c.anom_op = "sshmedic-account-denied";
			snprintf(c.what, sizeof(c.what), "PAM's account phase "
			    "denied %s (locked or expired)", e->user);
			break;
		case PT_SOURCE_FAILURES:
			if (e->rhost[0] == '\0' || (ce = counters_source(
			    &d->events.counters, e->rhost)) == NULL)
				continue;
			n = counters_recent_failures(ce, now - p->window_ms);
			if (n < p->failures)
				continue;
			c.addr = e->rhost;
			c.anom = AUDIT_ANOM_ORIGIN_FAILURES;
			c.anom_op = "sshmedic-failures-source";
			snprintf(c.what, sizeof(c.what), "%u failed logins from "
			    "%s within %lld s", n, e->rhost,
			    (long long)(p->window_ms / 1000));
			break;
		case PT_NO_SUCCESS:
			if ((e->user[0] != '\0' && !user_in(d, p, e->user)) ||
			    !nobody_succeeds(d, p, now, c.what, sizeof(c.what)))
				continue;
			c.anom = AUDIT_ANOM_LOGIN_FAILURES;
			c.anom_op = "sshmedic-failures-nosuccess";
			break;
		default:
			continue;
		}
		fire(d, i, &c);
	}
}

/* Fires every policy of trigger t with what as its cause. */
static void
fire_all(struct daemon *d, enum pol_trigger t, const char *what,
    const char *kind, const char *user)
{
	struct policies *P = &d->pol;
	struct pol_ctx c;
	size_t i, j;
	int match;

	if (P->busy) {
		debug_f("not evaluated (caused by a policy's action): %s", what);
		return;
	}
	for (i = 0; i < P->set.n; i++) {
		const struct policy *p = &P->set.p[i];

		if (p->trigger != t)
			continue;
		if (t == PT_REQUEST && p->requests != NULL) {
			for (match = 0, j = 0; j < p->nrequests && !match; j++)
				match = strcmp(p->requests[j], kind) == 0;
			if (!match)
				continue;
		}
		memset(&c, 0, sizeof(c));
		c.user = user;
		sm_strlcpy(c.what, what, sizeof(c.what));
		fire(d, i, &c);
	}
}

/* See policies.h. */
void
policies_on_rollback(struct daemon *d, unsigned long gen, int ok,
    const char *reason)
{
	char what[512];

	snprintf(what, sizeof(what), "the sshd configuration %s generation "
	    "%lu (%.300s)", ok ? "was rolled back to" : "could not be rolled "
	    "back to", gen, reason);
	fire_all(d, PT_CONFIG_ROLLBACK, what, NULL, NULL);
}

/* See policies.h. */
void
policies_on_sshd_failed(struct daemon *d, const char *reason)
{
	char what[512];

	snprintf(what, sizeof(what), "sshd failed to start (%.400s)", reason);
	fire_all(d, PT_SSHD_START_FAILED, what, NULL, NULL);
}

/* See policies.h. */
void
policies_on_request(struct daemon *d, const char *kind, const char *user,
    const char *evid)
{
	char what[256];

	snprintf(what, sizeof(what), "request %s%s%s (event %s) processed",
	    kind, user != NULL ? " for " : "", user != NULL ? user : "",
	    evid != NULL ? evid : "-");
	/* The account is the subject: its cooldown, SSHMEDIC_USER, acct=. */
	fire_all(d, PT_REQUEST, what, kind, user);
}
