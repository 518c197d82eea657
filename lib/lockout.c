/*
 * The lockout guard: reads sshd's effective configuration for one user
 * (sshd -T -C ...) and decides, with sshd 9.2's rules, whether that user can log in.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lockout.h"
#include "lockout_int.h"
#include "log.h"
#include "match.h"
#include "misc.h"
#include "xmalloc.h"

static const struct {
	const char *kw;
	size_t	 off;
	const char *dflt;	/* sshd 9.2 fill_default_server_options */
} lk_scalars[] = {
	{ "permitrootlogin", offsetof(struct lk_dump, permitrootlogin),
	    "prohibit-password" },
	{ "pubkeyauthentication",
	    offsetof(struct lk_dump, pubkeyauthentication), "yes" },
	{ "passwordauthentication",
	    offsetof(struct lk_dump, passwordauthentication), "yes" },
	{ "kbdinteractiveauthentication",
	    offsetof(struct lk_dump, kbdinteractiveauthentication), "yes" },
	{ "usepam", offsetof(struct lk_dump, usepam), "no" },
	{ "authorizedkeysfile", offsetof(struct lk_dump, authorizedkeysfile),
	    ".ssh/authorized_keys .ssh/authorized_keys2" },
	{ "authorizedkeyscommand",
	    offsetof(struct lk_dump, authorizedkeyscommand), "none" },
	{ "authenticationmethods",
	    offsetof(struct lk_dump, authenticationmethods), "any" },
};

static const struct {
	const char *kw;
	size_t	 off;
} lk_lists[] = {
	{ "allowusers", offsetof(struct lk_dump, allowusers) },
	{ "denyusers", offsetof(struct lk_dump, denyusers) },
	{ "allowgroups", offsetof(struct lk_dump, allowgroups) },
	{ "denygroups", offsetof(struct lk_dump, denygroups) },
	{ "listenaddress", offsetof(struct lk_dump, listenaddress) },
	{ "port", offsetof(struct lk_dump, port) },
};

/* See lockout_int.h: always 0. */
int
lk_fail(char *reason, size_t rlen, const char *fmt, ...)
{
	va_list ap;

	if (reason != NULL && rlen > 0) {
		va_start(ap, fmt);
		vsnprintf(reason, rlen, fmt, ap);
		va_end(ap);
	}
	return 0;
}

static void
lk_list_add(struct lk_list *l, const char *v)
{
	if (l->n >= LK_MAX_ENTRIES) {
		l->overflow = 1;
		return;
	}
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = v;
}

static void
lk_dump_free(struct lk_dump *d)
{
	size_t i;

	for (i = 0; i < SM_NELEM(lk_lists); i++)
		free(((struct lk_list *)((char *)d + lk_lists[i].off))->v);
	free(d->buf);
	memset(d, 0, sizeof(*d));
}

/* Splits the dump into keyword/value pairs. 0, or -1 if it had no lines. */
static int
lk_dump_parse(const char *text, struct lk_dump *d)
{
	char *line, *next, *val;
	const char **sp;
	size_t i, nlines = 0;
	int found;

	memset(d, 0, sizeof(*d));
	d->buf = xstrdup(text);
	for (line = d->buf; line != NULL && nlines < LK_MAX_LINES;
	    line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (*line == '\0')
			continue;
		nlines++;
		if ((val = strchr(line, ' ')) != NULL)
			*val++ = '\0';
		else
			val = line + strlen(line);
		found = 0;
		for (i = 0; !found && i < SM_NELEM(lk_scalars); i++) {
			if (strcasecmp(line, lk_scalars[i].kw) != 0)
				continue;
			sp = (const char **)((char *)d + lk_scalars[i].off);
			if (*sp == NULL)	/* sshd prints each once */
				*sp = val;
			found = 1;
		}
		for (i = 0; !found && i < SM_NELEM(lk_lists); i++) {
			if (strcasecmp(line, lk_lists[i].kw) != 0)
				continue;
			lk_list_add((struct lk_list *)((char *)d +
			    lk_lists[i].off), val);
			found = 1;
		}
	}
	if (nlines == 0)
		return -1;
	for (i = 0; i < SM_NELEM(lk_scalars); i++) {
		sp = (const char **)((char *)d + lk_scalars[i].off);
		if (*sp == NULL)
			*sp = lk_scalars[i].dflt;
	}
	return 0;
}

/* DenyUsers, AllowUsers, DenyGroups, AllowGroups in sshd's order. */
static int
lk_eval_users(const struct lk_dump *d, const struct lk_target *t,
    const struct lk_userinfo *ui, char *reason, size_t rlen)
{
	const char *user = t->user;
	const char *addr = t->addr != NULL ? t->addr : "";
	/* with UseDNS no (the default) sshd's "host" is the address */
	const char *host = (t->host != NULL && *t->host != '\0') ?
	    t->host : addr;
	size_t i, j;
	int r;

	if (d->denyusers.overflow || d->allowusers.overflow ||
	    d->denygroups.overflow || d->allowgroups.overflow)
		return lk_fail(reason, rlen, "Allow/Deny lists longer than %d "
		    "entries are not evaluated", LK_MAX_ENTRIES);
	for (i = 0; i < d->denyusers.n; i++) {
		r = match_user(user, host, addr, d->denyusers.v[i]);
		if (r < 0)
			return lk_fail(reason, rlen, "DenyUsers pattern '%s' "
			    "is invalid (sshd refuses every login)",
			    d->denyusers.v[i]);
		if (r != 0)
			return lk_fail(reason, rlen, "DenyUsers pattern '%s' "
			    "excludes %s from %s", d->denyusers.v[i], user,
			    host);
	}
	for (i = 0; i < d->allowusers.n; i++) {
		r = match_user(user, host, addr, d->allowusers.v[i]);
		if (r < 0)
			return lk_fail(reason, rlen, "AllowUsers pattern '%s' "
			    "is invalid (sshd refuses every login)",
			    d->allowusers.v[i]);
		if (r == 1)
			break;
	}
	if (d->allowusers.n > 0 && i >= d->allowusers.n)
		return lk_fail(reason, rlen, "AllowUsers (%zu entries) does "
		    "not list %s from %s", d->allowusers.n, user, host);
	if (d->denygroups.n == 0 && d->allowgroups.n == 0)
		return 1;
	if (ui->ngroups == 0)
		return lk_fail(reason, rlen, "%s is in no group and "
		    "Allow/DenyGroups is set", user);
	/* sshd matches each group name against each single pattern */
	for (i = 0; i < ui->ngroups; i++)
		for (j = 0; j < d->denygroups.n; j++)
			if (match_pattern(ui->groups[i], d->denygroups.v[j]))
				return lk_fail(reason, rlen, "DenyGroups "
				    "pattern '%s' matches group %s of %s",
				    d->denygroups.v[j], ui->groups[i], user);
	if (d->allowgroups.n == 0)
		return 1;
	for (i = 0; i < ui->ngroups; i++)
		for (j = 0; j < d->allowgroups.n; j++)
			if (match_pattern(ui->groups[i], d->allowgroups.v[j]))
				return 1;
	return lk_fail(reason, rlen, "AllowGroups lists none of the groups "
	    "of %s (%zu groups, first %s)", user, ui->ngroups, ui->groups[0]);
}

/*
 * PermitRootLogin for uid 0 (sshd checks the uid, not the name).
 * 1 and *keys_only set, or 0 locked out. forced-commands-only counts as
 * locked out: it gives only the command named in a key, never the shell
 * an admin needs, and the guard cannot see those keys' options reliably.
 */
static int
lk_eval_root(const char *prl, const struct lk_userinfo *ui, int *keys_only,
    char *reason, size_t rlen)
{
	*keys_only = 0;
	if (ui->uid != 0 || strcasecmp(prl, "yes") == 0)
		return 1;
	if (strcasecmp(prl, "prohibit-password") == 0 ||
	    strcasecmp(prl, "without-password") == 0) {
		*keys_only = 1;
		return 1;
	}
	if (strcasecmp(prl, "forced-commands-only") == 0)
		return lk_fail(reason, rlen, "PermitRootLogin "
		    "forced-commands-only gives root no login shell");
	if (strcasecmp(prl, "no") == 0)
		return lk_fail(reason, rlen, "PermitRootLogin no refuses "
		    "uid 0");
	return lk_fail(reason, rlen, "PermitRootLogin '%s' not understood",
	    prl);
}

int
lockout_eval(const char *dump, const struct lk_target *t,
    const struct lk_userinfo *ui, char *reason, size_t rlen)
{
	struct lk_dump d;
	int ok, keys_only = 0;

	if (reason != NULL && rlen > 0)
		*reason = '\0';
	if (dump == NULL || t == NULL || t->user == NULL || *t->user == '\0')
		return lk_fail(reason, rlen, "no dump or no user to evaluate");
	if (ui == NULL || !ui->exists)
		return lk_fail(reason, rlen, "no such user");
	if (lk_dump_parse(dump, &d) != 0) {
		lk_dump_free(&d);
		return lk_fail(reason, rlen, "empty sshd -T output");
	}
	ok = lk_eval_users(&d, t, ui, reason, rlen);
	if (ok)
		ok = lk_eval_root(d.permitrootlogin, ui, &keys_only, reason,
		    rlen);
	if (ok)
		ok = lk_eval_auth(&d, t, ui, keys_only, reason, rlen);
	if (ok)
		ok = lk_eval_listen(&d, t, reason, rlen);
	lk_dump_free(&d);
	return ok;
}

/* See lockout.h: the count, or -1 with errno. */
int
lockout_keys_files(const char *dump, const char *user,
    const struct lk_userinfo *ui, char **paths, size_t max, int *bad)
{
	struct lk_dump d;
	char *copy, *p, *tok, path[4096];
	size_t n = 0, seen = 0;

	if (bad != NULL)
		*bad = 0;
	if (lk_dump_parse(dump, &d) != 0) {
		lk_dump_free(&d);
		errno = EBADMSG;
		return -1;
	}
	copy = p = xstrdup(d.authorizedkeysfile);
	while (n < max && seen++ < LK_MAX_ENTRIES &&
	    (tok = strsep(&p, " ")) != NULL) {
		if (*tok == '\0' || strcasecmp(tok, "none") == 0)
			continue;
		if (ui->home == NULL || lk_expand(tok, user, ui, path,
		    sizeof(path)) != 0) {
			if (bad != NULL)
				(*bad)++;
			continue;
		}
		paths[n++] = xstrdup(path);
	}
	free(copy);
	lk_dump_free(&d);
	return (int)n;
}

/* See lockout.h: malloc'd, or NULL. */
char *
lockout_dump_value(const char *dump, const char *keyword)
{
	const char *p = dump, *nl, *v;
	size_t kl = strlen(keyword), n;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n > kl && strncasecmp(p, keyword, kl) == 0 && p[kl] == ' ') {
			v = p + kl + 1;
			n -= kl + 1;
			while (n > 0 && v[n - 1] == '\r')
				n--;
			return xstrndup(v, n);
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	return NULL;
}
