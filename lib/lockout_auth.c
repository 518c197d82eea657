/*
 * The lockout guard's method and listener checks: public keys (with
 * AuthorizedKeysFile), password, keyboard-interactive, and ListenAddress/Port.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lockout.h"
#include "lockout_int.h"
#include "log.h"
#include "misc.h"
#include "xmalloc.h"

static int
lk_yes(const char *v)
{
	return strcasecmp(v, "yes") == 0;
}

/* The methods a protected user can rely on; see lk_method_index. */
enum { LK_PUBKEY, LK_PASSWORD, LK_KBDINT, LK_NMETHODS };

static const char *const lk_method_names[LK_NMETHODS] = {
	"publickey", "password", "keyboard-interactive"
};

struct lk_methods {
	int	 ok[LK_NMETHODS];
	char	 why[LK_NMETHODS][256];
};

/* Appends s to buf, truncating; never overflows. */
static void
lk_append(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf);

	if (used + 1 < len)
		sm_strlcpy(buf + used, s, len - used);
}

/*
 * sshd's expand_authorized_keys: %h %u %U %% (anything else makes sshd
 * fail the key lookup), then relative paths are taken from the home.
 * 0, or -1 on an unknown escape or overflow.
 */
int
lk_expand(const char *tmpl, const char *user, const struct lk_userinfo *ui,
    char *out, size_t olen)
{
	char tmp[4096], uid[32];
	const char *rep;
	size_t n = 0, k;
	int r;

	snprintf(uid, sizeof(uid), "%llu", (unsigned long long)ui->uid);
	for (; *tmpl != '\0'; tmpl++) {
		if (*tmpl != '%') {
			rep = NULL;
			k = 1;
		} else {
			switch (*++tmpl) {
			case 'h': rep = ui->home; break;
			case 'u': rep = user; break;
			case 'U': rep = uid; break;
			case '%': rep = "%"; break;
			default: return -1;
			}
			k = strlen(rep);
		}
		if (n + k >= sizeof(tmp))
			return -1;
		memcpy(tmp + n, rep != NULL ? rep : tmpl, k);
		n += k;
	}
	tmp[n] = '\0';
	if (tmp[0] == '/')
		r = snprintf(out, olen, "%s", tmp);
	else
		r = snprintf(out, olen, "%s/%s", ui->home, tmp);
	return (r < 0 || (size_t)r >= olen) ? -1 : 0;
}

/* Predicate: some AuthorizedKeysFile entry is a non-empty regular file. */
static int
lk_keys_present(const char *akf, const char *user,
    const struct lk_userinfo *ui, char *why, size_t wlen)
{
	char *copy, *p, *tok, path[4096], looked[200] = "";
	struct stat st;
	size_t ntok = 0;
	int found = 0;

	copy = p = xstrdup(akf);
	while (!found && ntok < LK_MAX_ENTRIES &&
	    (tok = strsep(&p, " ")) != NULL) {
		if (*tok == '\0' || strcasecmp(tok, "none") == 0)
			continue;
		ntok++;
		if (ui->home == NULL || *ui->home == '\0') {
			/* home unknown: cannot look, trust the setting */
			found = 1;
			break;
		}
		if (lk_expand(tok, user, ui, path, sizeof(path)) != 0) {
			lk_append(looked, sizeof(looked), *looked ? ", " : "");
			lk_append(looked, sizeof(looked), tok);
			lk_append(looked, sizeof(looked), " (bad %-token)");
			continue;
		}
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size > 0)
			found = 1;
		else {
			lk_append(looked, sizeof(looked), *looked ? ", " : "");
			lk_append(looked, sizeof(looked), path);
		}
	}
	free(copy);
	if (found)
		return 1;
	if (ntok == 0)
		snprintf(why, wlen, "AuthorizedKeysFile none and no "
		    "AuthorizedKeysCommand");
	else
		snprintf(why, wlen, "no non-empty authorized keys file "
		    "(looked for %s)", looked);
	return 0;
}

static void
lk_methods_init(struct lk_methods *m, const struct lk_dump *d,
    const struct lk_target *t, const struct lk_userinfo *ui, int keys_only)
{
	const char *akc = d->authorizedkeyscommand;

	memset(m, 0, sizeof(*m));
	if (!lk_yes(d->pubkeyauthentication))
		snprintf(m->why[LK_PUBKEY], sizeof(m->why[0]),
		    "PubkeyAuthentication %s", d->pubkeyauthentication);
	else if (*akc != '\0' && strcasecmp(akc, "none") != 0)
		m->ok[LK_PUBKEY] = 1;
	else
		m->ok[LK_PUBKEY] = lk_keys_present(d->authorizedkeysfile,
		    t->user, ui, m->why[LK_PUBKEY], sizeof(m->why[0]));

	if (!lk_yes(d->passwordauthentication))
		snprintf(m->why[LK_PASSWORD], sizeof(m->why[0]),
		    "PasswordAuthentication %s", d->passwordauthentication);
	else if (keys_only)
		snprintf(m->why[LK_PASSWORD], sizeof(m->why[0]),
		    "PermitRootLogin %s", d->permitrootlogin);
	else
		m->ok[LK_PASSWORD] = 1;

	/* on Linux keyboard-interactive has no device but PAM */
	if (!lk_yes(d->kbdinteractiveauthentication))
		snprintf(m->why[LK_KBDINT], sizeof(m->why[0]),
		    "KbdInteractiveAuthentication %s",
		    d->kbdinteractiveauthentication);
	else if (!lk_yes(d->usepam))
		snprintf(m->why[LK_KBDINT], sizeof(m->why[0]),
		    "UsePAM %s", d->usepam);
	else if (keys_only)
		snprintf(m->why[LK_KBDINT], sizeof(m->why[0]),
		    "PermitRootLogin %s", d->permitrootlogin);
	else
		m->ok[LK_KBDINT] = 1;
}

/*
 * One AuthenticationMethods element to our index, -1 (why set) for a
 * method the guard does not count: hostbased and gssapi-with-mic need
 * setup outside sshd_config that we cannot verify, so relying on them
 * could pass a config that locks the admin out.
 */
static int
lk_method_index(const char *name, char *out, size_t olen)
{
	const char *kbd = "keyboard-interactive";
	size_t kl = strlen(kbd);
	int i;

	for (i = 0; i < LK_NMETHODS; i++)
		if (strcmp(name, lk_method_names[i]) == 0)
			return i;
	if (strncmp(name, kbd, kl) == 0 && name[kl] == ':') {
		if (strcmp(name + kl + 1, "pam") == 0)
			return LK_KBDINT;
		snprintf(out, olen, "%s: no such device on this system", name);
		return -1;
	}
	if (strcmp(name, "hostbased") == 0 ||
	    strcmp(name, "gssapi-with-mic") == 0)
		snprintf(out, olen, "%s is not counted by the guard", name);
	else
		snprintf(out, olen, "unknown method %s", name);
	return -1;
}

static int
lk_eval_methods(const struct lk_methods *m, const char *am,
    const struct lk_target *t, char *reason, size_t rlen)
{
	char *copy, *p, *list, *meth, first[300] = "", why[256];
	const char *w[LK_NMETHODS];
	size_t nlists = 0, bad;
	int i, ok = 0, idx;

	for (i = 0; i < LK_NMETHODS; i++)
		w[i] = m->why[i];
	if (*am == '\0' || strcasecmp(am, "any") == 0) {
		for (i = 0; i < LK_NMETHODS; i++)
			if (m->ok[i])
				return 1;
		return lk_fail(reason, rlen, "no usable authentication method "
		    "for %s: publickey: %s; password: %s; "
		    "keyboard-interactive: %s", t->user, w[LK_PUBKEY],
		    w[LK_PASSWORD], w[LK_KBDINT]);
	}
	copy = p = xstrdup(am);
	while (!ok && nlists < LK_MAX_ENTRIES &&
	    (list = strsep(&p, " ")) != NULL) {
		if (*list == '\0')
			continue;
		nlists++;
		bad = 0;
		*why = '\0';
		while ((meth = strsep(&list, ",")) != NULL) {
			idx = lk_method_index(meth, why, sizeof(why));
			if (idx >= 0 && m->ok[idx])
				continue;
			if (idx >= 0)
				snprintf(why, sizeof(why), "%s: %s", meth,
				    m->why[idx]);
			bad++;
			break;
		}
		if (bad == 0)
			ok = 1;
		else if (*first == '\0')
			snprintf(first, sizeof(first), "%s", why);
	}
	free(copy);
	if (ok)
		return 1;
	return lk_fail(reason, rlen, "AuthenticationMethods '%s' cannot be "
	    "met by %s: %s", am, t->user, first);
}

struct lk_addr {
	int	 family;
	unsigned char a[16];
};

static int
lk_parse_addr(const char *s, struct lk_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->a) == 1)
		a->family = AF_INET6;
	else
		return -1;
	return 0;
}

/* "ADDR:PORT" or "[V6]:PORT", optionally " rdomain NAME". 0 or -1. */
static int
lk_parse_listen(const char *ent, struct lk_addr *a, int *port)
{
	char buf[128], *host, *ps;
	long long v;

	if (sm_strlcpy(buf, ent, sizeof(buf)) >= sizeof(buf))
		return -1;
	buf[strcspn(buf, " ")] = '\0';
	if (buf[0] == '[') {
		host = buf + 1;
		if ((ps = strchr(host, ']')) == NULL || ps[1] != ':')
			return -1;
		*ps = '\0';
		ps += 2;
	} else {
		host = buf;
		if ((ps = strrchr(buf, ':')) == NULL)
			return -1;
		*ps++ = '\0';
	}
	if (lk_parse_addr(host, a) != 0 || parse_ll(ps, 1, 65535, &v) != 0)
		return -1;
	*port = (int)v;
	return 0;
}

static int
lk_is_wildcard(const struct lk_addr *a)
{
	static const unsigned char zero[16];

	return memcmp(a->a, zero, sizeof(zero)) == 0;
}

/*
 * laddr:lport must be served. sshd sets IPV6_V6ONLY on its IPv6 listeners,
 * so [::] serves IPv6 only and 0.0.0.0 IPv4 only. No listenaddress lines
 * (never seen from sshd -T) means sshd's default: every port on both
 * wildcards. lport 0 means the caller has no probe port: not checked.
 */
int
lk_eval_listen(const struct lk_dump *d, const struct lk_target *t,
    char *reason, size_t rlen)
{
	struct lk_addr want, got;
	char seen[200] = "", where[80];
	int have_addr, port;
	long long v;
	size_t i;

	if (t->lport == 0)
		return 1;
	if (t->lport < 0 || t->lport > 65535)
		return lk_fail(reason, rlen, "probe port %d out of range",
		    t->lport);
	have_addr = t->laddr != NULL && *t->laddr != '\0';
	if (have_addr && lk_parse_addr(t->laddr, &want) != 0)
		return lk_fail(reason, rlen, "probe address '%s' is not a "
		    "numeric address", t->laddr);
	if (have_addr && want.family == AF_INET6)
		snprintf(where, sizeof(where), "[%s]:%d", t->laddr, t->lport);
	else
		snprintf(where, sizeof(where), "%s:%d",
		    have_addr ? t->laddr : "*", t->lport);
	if (d->listenaddress.overflow || d->port.overflow)
		return lk_fail(reason, rlen, "more than %d ListenAddress/Port "
		    "entries are not evaluated", LK_MAX_ENTRIES);
	if (d->listenaddress.n == 0) {
		if (d->port.n == 0)
			return t->lport == 22 ? 1 : lk_fail(reason, rlen,
			    "Port: sshd listens on 22 (default), not %s",
			    where);
		for (i = 0; i < d->port.n; i++) {
			if (parse_ll(d->port.v[i], 1, 65535, &v) == 0 &&
			    v == t->lport)
				return 1;
		}
		return lk_fail(reason, rlen, "Port: no Port serves %s", where);
	}
	for (i = 0; i < d->listenaddress.n; i++) {
		lk_append(seen, sizeof(seen), i > 0 ? ", " : "");
		lk_append(seen, sizeof(seen), d->listenaddress.v[i]);
		if (lk_parse_listen(d->listenaddress.v[i], &got, &port) != 0) {
			debug_f("unparsable listenaddress '%s'",
			    d->listenaddress.v[i]);
			continue;
		}
		if (port != t->lport)
			continue;
		if (!have_addr)
			return 1;
		if (got.family == want.family && (lk_is_wildcard(&got) ||
		    memcmp(got.a, want.a, sizeof(got.a)) == 0))
			return 1;
	}
	return lk_fail(reason, rlen, "ListenAddress/Port: nothing serves %s "
	    "(sshd listens on %s)", where, seen);
}

/* See lockout_int.h: 1/0. */
int
lk_eval_auth(const struct lk_dump *d, const struct lk_target *t,
    const struct lk_userinfo *ui, int keys_only, char *reason, size_t rlen)
{
	struct lk_methods m;

	lk_methods_init(&m, d, t, ui, keys_only);
	return lk_eval_methods(&m, d->authenticationmethods, t, reason, rlen);
}
