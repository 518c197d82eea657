/*
 * The catalogue rows about the protected users' own files and accounts
 * (U1, U3, U6) and sshd's PAM stack (M3): read only, as every check.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acctinfo.h"
#include "checks.h"
#include "checks_int.h"
#include "homefs.h"
#include "lockout.h"
#include "misc.h"
#include "pamcheck.h"
#include "xmalloc.h"

#define KEYS_PATHS_MAX	8
#define PWBUF		16384

/* No protected user: the rows have nothing to look at. */
static enum check_state
no_users(const struct check_ctx *x, char *detail, size_t len)
{
	snprintf(detail, len, "no protected_users configured");
	(void)x;
	return CHK_WARN;
}

/* The keys files sshd reads for protected user i (sshd -T -C). -1: why. */
static int
keys_paths(const struct sm_conf *c, size_t i, char **paths, size_t max,
    char *why, size_t wlen)
{
	const struct conf_user *pu = &c->protected_users[i];
	struct lk_target t;
	struct lk_userinfo ui;
	char *dump = NULL;
	int n, exists;

	memset(&t, 0, sizeof(t));
	t.user = pu->name;
	t.addr = pu->addr != NULL ? pu->addr : c->probe_address;
	t.host = pu->host != NULL ? pu->host : t.addr;
	t.laddr = c->probe_address;
	t.lport = c->probe_port;
	if (lockout_dump(c->sshd_binary, c->sshd_config, &t,
	    c->sshd_test_timeout_ms, &dump, why, wlen) == -1)
		return -1;
	if (lockout_userinfo(pu->name, &ui, why, wlen) == -1) {
		free(dump);
		return -1;
	}
	exists = ui.exists;
	n = exists ? lockout_keys_files(dump, pu->name, &ui, paths, max,
	    NULL) : -1;
	if (!exists)
		snprintf(why, wlen, "no such user %s", pu->name);
	else if (n == -1)
		snprintf(why, wlen, "sshd -T printed no configuration");
	lockout_userinfo_free(&ui);
	free(dump);
	return n;
}

/* U1: every keys file of every protected user passes StrictModes. */
enum check_state
check_user_modes(struct check_ctx *x, char *detail, size_t len)
{
	const struct sm_conf *c = x->conf;
	struct hf_user u;
	char *paths[KEYS_PATHS_MAX], why[1024], pwbuf[PWBUF];
	enum check_state st = CHK_OK;
	size_t i;
	int n, k, r, nfiles = 0;

	if (c->nprotected == 0)
		return no_users(x, detail, len);
	detail[0] = '\0';
	for (i = 0; i < c->nprotected; i++) {
		if ((n = keys_paths(c, i, paths, KEYS_PATHS_MAX, why,
		    sizeof(why))) == -1 || hf_user_lookup(
		    c->protected_users[i].name, &u, pwbuf, sizeof(pwbuf)) == -1) {
			sm_appendf(detail, len, "; ", "%s: %s",
			    c->protected_users[i].name, n == -1 ? why :
			    strerror(errno));
			if (st == CHK_OK)
				st = CHK_UNKNOWN;
			for (k = 0; k < n; k++)
				free(paths[k]);
			continue;
		}
		for (k = 0; k < n; k++) {
			nfiles++;
			if ((r = hf_check_modes(&u, paths[k], why,
			    sizeof(why))) != 1) {
				sm_appendf(detail, len, "; ", "%s", why);
				st = r == 0 ? CHK_FAIL : (st == CHK_OK ?
				    CHK_UNKNOWN : st);
			}
			free(paths[k]);
		}
	}
	if (st == CHK_OK)
		snprintf(detail, len, "%d keys file%s of %zu protected user%s: "
		    "owners and modes as StrictModes needs", nfiles,
		    nfiles == 1 ? "" : "s", c->nprotected,
		    c->nprotected == 1 ? "" : "s");
	return st;
}

/* U3: no protected account expired; a locked password only warns. */
enum check_state
check_user_accounts(struct check_ctx *x, char *detail, size_t len)
{
	const struct sm_conf *c = x->conf;
	struct acctinfo ai;
	enum check_state st = CHK_OK;
	char why[256];
	size_t i;

	if (c->nprotected == 0)
		return no_users(x, detail, len);
	detail[0] = '\0';
	for (i = 0; i < c->nprotected; i++) {
		const char *u = c->protected_users[i].name;

		if (acctinfo_state(u, &ai, why, sizeof(why)) == -1) {
			sm_appendf(detail, len, "; ", "%s", why);
			if (st == CHK_OK || st == CHK_WARN)
				st = CHK_UNKNOWN;
			continue;
		}
		if (ai.expired) {
			sm_appendf(detail, len, "; ", "%s: account expired", u);
			st = CHK_FAIL;
		}
		/* "!" alone is a key-only account (Debian's useradd), not a lock. */
		if (ai.locked && !ai.only_bang) {
			/* Key logins still work under PAM; passwords do not. */
			sm_appendf(detail, len, "; ", "%s: password locked", u);
			if (st == CHK_OK)
				st = CHK_WARN;
		}
	}
	if (st == CHK_OK)
		snprintf(detail, len, "no protected account locked or expired");
	return st;
}

/* U6: each protected user's login shell runs and is in /etc/shells. */
enum check_state
check_user_shells(struct check_ctx *x, char *detail, size_t len)
{
	const struct sm_conf *c = x->conf;
	enum check_state st = CHK_OK;
	char why[512];
	size_t i;
	int r;

	if (c->nprotected == 0)
		return no_users(x, detail, len);
	detail[0] = '\0';
	for (i = 0; i < c->nprotected; i++) {
		if ((r = acctinfo_shell_ok(c->protected_users[i].name, why,
		    sizeof(why))) == 1)
			continue;
		sm_appendf(detail, len, "; ", "%s: %s",
		    c->protected_users[i].name, why);
		/* sshd runs a shell missing from /etc/shells; pam_shells does not. */
		if (r == 0 && strstr(why, "is not in") != NULL) {
			if (st == CHK_OK)
				st = CHK_WARN;
		} else
			st = r == 0 ? CHK_FAIL : CHK_UNKNOWN;
	}
	if (st == CHK_OK)
		snprintf(detail, len, "every protected user's login shell runs "
		    "and is in /etc/shells");
	return st;
}

/* M3: every module line of sshd's PAM stack can load. */
enum check_state
check_pam_stack(struct check_ctx *x, char *detail, size_t len)
{
	const struct sm_conf *c = x->conf;
	const char *svc = c->sshd_pam_service[0] ? c->sshd_pam_service : "sshd";
	char problems[2048];
	int r;

	if ((r = pamcheck_stack(c->pam_dir, svc, problems,
	    sizeof(problems))) == 1) {
		snprintf(detail, len, "%s/%s: every module line loads",
		    c->pam_dir, svc);
		return CHK_OK;
	}
	snprintf(detail, len, "%s", problems);
	return r == 0 ? CHK_FAIL : CHK_UNKNOWN;
}
