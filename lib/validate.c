/*
 * Running sshd to judge a closure: `sshd -t` for syntax, then `sshd -T -C`
 * per protected user with the account looked up (lockout_check).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fsutil.h"
#include "lockout.h"
#include "log.h"
#include "misc.h"
#include "pwdb.h"
#include "spawn.h"
#include "validate.h"
#include "xmalloc.h"

/*
 * sshd -T prints ~10 KiB; a dump cut at the cap would hide lines (a
 * DenyUsers entry), so a truncated one is refused rather than judged.
 */
#define VD_DUMP_CAP	(1024 * 1024)
#define VD_MAX_GROUPS	65537		/* Linux NGROUPS_MAX + primary */
#define VD_NO_PRIVSEP	"Missing privilege separation directory"

/* What lockout_userinfo keeps: the strings lk_userinfo points into. */
struct vd_user {
	char	 home[PWDB_PATH_MAX];
	const char **names;
	size_t	 ngroups;
};

/* The answer of the lookup child: this, the home, then the group names. */
struct vd_wire {
	uid_t	 uid;
	gid_t	 gid;
	uint32_t ngroups;
	uint32_t homelen;
};

/*
 * The first line of s that says something, control characters replaced:
 * one-line reasons. sshd frames some warnings in lines of '@' (an
 * unprotected key file); those frames are skipped.
 */
static void
vd_first_line(const char *s, char *out, size_t len)
{
	size_t i;
	const char *next;

	if (len == 0)
		return;
	while (*s == '@' && (next = strchr(s, '\n')) != NULL)
		s = next + 1;
	/* sshd ends its stderr lines with \r\n */
	for (i = 0; i + 1 < len && s[i] != '\0' && s[i] != '\n' &&
	    s[i] != '\r'; i++)
		out[i] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	out[i] = '\0';
}

/*
 * In the lookup child (malloc only, see pwdb.h): name of gid into the
 * answer, nothing when the group has no entry (sshd skips those). 0, or -1
 * with errno.
 */
static int
vd_add_group(gid_t gid, char **ans, size_t *len, size_t *alloc,
    uint32_t *n)
{
	struct group gr;
	size_t l, want;
	char *buf, *nb;

	if (pwdb_child_getgr(gid, &gr, &buf) == 1) {
		l = strlen(gr.gr_name) + 1;
		if (*len + l > *alloc) {
			want = (*len + l) * 2;
			if ((nb = realloc(*ans, want)) == NULL) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			*ans = nb;
			*alloc = want;
		}
		memcpy(*ans + *len, gr.gr_name, l);
		*len += l;
		(*n)++;
	}
	free(buf);
	return 0;
}

/*
 * The lookup child: the user's passwd entry and every group sshd's
 * ga_init would see. 1 found, 0 no such user, -3 getpwnam_r failed, -2
 * getgrouplist failed (-1 is pwdb_call's own: no answer); errno.
 */
static int
vd_userinfo_fn(const void *arg, char **out, size_t *outlen)
{
	const char *user = arg;
	struct passwd pw;
	struct vd_wire w;
	size_t len, alloc;
	char *pwbuf, *ans = NULL;
	gid_t *gids = NULL, *ng_p;
	int r, ng = 64, tries, i, ret = -2;

	if ((r = pwdb_child_getpw(user, 0, &pw, &pwbuf)) != 1) {
		free(pwbuf);
		return r == -1 ? -3 : r;
	}
	memset(&w, 0, sizeof(w));
	w.uid = pw.pw_uid;
	w.gid = pw.pw_gid;
	w.homelen = (uint32_t)strnlen(pw.pw_dir != NULL ? pw.pw_dir : "",
	    PWDB_PATH_MAX);
	if (w.homelen >= PWDB_PATH_MAX) {
		free(pwbuf);
		errno = ENAMETOOLONG;
		return -3;
	}
	len = sizeof(w) + w.homelen + 1;
	alloc = len + 1024;
	if ((ans = malloc(alloc)) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	memcpy(ans + sizeof(w), pw.pw_dir != NULL ? pw.pw_dir : "",
	    w.homelen + 1);
	for (tries = 0; tries < 4; tries++) {
		if ((ng_p = realloc(gids, (size_t)ng * sizeof(*gids))) ==
		    NULL) {
			errno = ENOMEM;
			goto out;
		}
		gids = ng_p;
		if (getgrouplist(user, pw.pw_gid, gids, &ng) != -1)
			break;
		if (ng <= 0 || ng > VD_MAX_GROUPS) {
			errno = E2BIG;
			goto out;
		}
	}
	if (tries == 4) {
		errno = EAGAIN;
		goto out;
	}
	for (i = 0; i < ng; i++)
		if (vd_add_group(gids[i], &ans, &len, &alloc, &w.ngroups) ==
		    -1)
			goto out;
	memcpy(ans, &w, sizeof(w));
	*out = ans;
	*outlen = len;
	ans = NULL;
	ret = 1;
 out:
	free(ans);
	free(gids);
	free(pwbuf);
	return ret;
}

/* Takes the child's answer apart into u and ui. 0, or -1 (malformed). */
static int
vd_userinfo_parse(const char *a, size_t alen, struct vd_user *u,
    struct lk_userinfo *ui)
{
	struct vd_wire w;
	const char *p, *end = a + alen, *nul;
	size_t i;

	if (alen < sizeof(w))
		return -1;
	memcpy(&w, a, sizeof(w));
	p = a + sizeof(w);
	if (w.homelen >= sizeof(u->home) || (size_t)(end - p) < w.homelen + 1 ||
	    p[w.homelen] != '\0' || w.ngroups > VD_MAX_GROUPS)
		return -1;
	memcpy(u->home, p, w.homelen + 1);
	p += w.homelen + 1;
	u->names = xcalloc((size_t)w.ngroups + 1, sizeof(*u->names));
	for (i = 0; i < w.ngroups; i++) {
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return -1;
		u->names[u->ngroups++] = xstrdup(p);
		p = nul + 1;
	}
	if (p != end)
		return -1;
	ui->exists = 1;
	ui->uid = w.uid;
	ui->gid = w.gid;
	ui->home = u->home;
	ui->groups = u->names;
	ui->ngroups = u->ngroups;
	return 0;
}

static void
vd_user_free(struct vd_user *u)
{
	size_t i;

	for (i = 0; i < u->ngroups; i++)
		free((char *)u->names[i]);
	free(u->names);
	memset(u, 0, sizeof(*u));
}

/* Predicate: v can go into sshd's -C spec (split on ',') unharmed. */
static int
vd_spec_value_ok(const char *v)
{
	return v != NULL && *v != '\0' && strpbrk(v, ", \t\r\n") == NULL;
}

/* See lockout.h: 0/-1 with reason and errno. */
int
lockout_dump(const char *sshd_bin, const char *config,
    const struct lk_target *t, int timeout_ms, char **dump, char *reason,
    size_t rlen)
{
	struct spawn_res sr;
	char *spec = NULL, *lport = NULL, line[256], how[96];
	const char *host;
	char *argv[7];
	int ret = -1, saved;

	memset(&sr, 0, sizeof(sr));
	*dump = NULL;
	if (reason != NULL && rlen > 0)
		*reason = '\0';
	if (sshd_bin == NULL || config == NULL || t == NULL ||
	    !vd_spec_value_ok(t->user) || !vd_spec_value_ok(t->addr) ||
	    (t->laddr != NULL && *t->laddr != '\0' &&
	    !vd_spec_value_ok(t->laddr)) || t->lport < 0 || t->lport > 65535) {
		snprintf(reason, rlen, "invalid lockout target");
		errno = EINVAL;
		return -1;
	}
	host = (t->host != NULL && *t->host != '\0') ? t->host : t->addr;
	if (!vd_spec_value_ok(host)) {
		snprintf(reason, rlen, "invalid host name for the guard");
		errno = EINVAL;
		return -1;
	}
	if (t->lport > 0)
		xasprintf(&lport, ",lport=%d", t->lport);
	xasprintf(&spec, "user=%s,host=%s,addr=%s%s%s%s", t->user, host,
	    t->addr, t->laddr != NULL && *t->laddr != '\0' ? ",laddr=" : "",
	    t->laddr != NULL ? t->laddr : "", lport != NULL ? lport : "");
	argv[0] = (char *)sshd_bin;
	argv[1] = "-T";
	argv[2] = "-f";
	argv[3] = (char *)config;
	argv[4] = "-C";
	argv[5] = spec;
	argv[6] = NULL;
	if (spawn_run(argv, NULL, NULL, 0, timeout_ms, VD_DUMP_CAP, &sr) != 0) {
		saved = errno;
		snprintf(reason, rlen, "cannot run %s: %s", sshd_bin,
		    strerror(saved));
		errno = saved;
		goto out;
	}
	if (!spawn_ok(&sr)) {
		vd_first_line(sr.err != NULL ? sr.err : "", line,
		    sizeof(line));
		snprintf(reason, rlen, "sshd -T for %s: %s%s%s", t->user,
		    spawn_describe(&sr, how, sizeof(how)), *line ? ": " : "",
		    line);
		errno = sr.timed_out ? ETIMEDOUT : sr.exited ? EBADMSG : EIO;
		goto out;
	}
	if (sr.out_truncated) {
		snprintf(reason, rlen, "sshd -T output over %d bytes",
		    VD_DUMP_CAP);
		errno = EFBIG;
		goto out;
	}
	debug_f("sshd -T -C %s", spec);
	*dump = sr.out;
	sr.out = NULL;
	ret = 0;
 out:
	saved = errno;
	spawn_res_free(&sr);
	free(spec);
	free(lport);
	errno = saved;
	return ret;
}

/* See lockout.h: 0/-1 with errno. */
int
lockout_userinfo(const char *user, struct lk_userinfo *ui, char *reason,
    size_t rlen)
{
	struct vd_user *u = xcalloc(1, sizeof(*u));
	char *ans = NULL;
	size_t alen = 0;
	int r, saved;

	memset(ui, 0, sizeof(*ui));
	r = pwdb_call(vd_userinfo_fn, user, &ans, &alen);
	saved = errno;
	if (r == 1 && vd_userinfo_parse(ans, alen, u, ui) == -1) {
		r = -1;
		saved = EIO;
	}
	free(ans);
	if (r < 0) {
		if (r == -1 && saved == ETIMEDOUT)
			snprintf(reason, rlen, "looking up %s: no answer in %d "
			    "ms, the NSS backend does not answer", user,
			    pwdb_timeout_ms());
		else
			snprintf(reason, rlen, "%s %s: %s", r == -2 ?
			    "getgrouplist" : r == -3 ? "getpwnam" :
			    "looking up", user, strerror(saved));
		vd_user_free(u);
		free(u);
		memset(ui, 0, sizeof(*ui));
		errno = saved;
		return -1;
	}
	ui->priv = u;
	return 0;
}

/* See lockout.h. */
void
lockout_userinfo_free(struct lk_userinfo *ui)
{
	if (ui->priv != NULL) {
		vd_user_free(ui->priv);
		free(ui->priv);
	}
	memset(ui, 0, sizeof(*ui));
}

/*
 * 1 can log in, 0 locked out (reason), -1 could not evaluate (reason) with
 * errno: EBADMSG sshd -T exited non-zero (it refuses the configuration for
 * this connection, as sshd would), EINVAL bad target, ETIMEDOUT, EFBIG
 * dump over the cap, EIO sshd died by a signal, or the errno of spawning
 * or of the user lookup.
 */
int
lockout_check(const char *sshd_bin, const char *config,
    const struct lk_target *t, int timeout_ms, char *reason, size_t rlen)
{
	struct lk_userinfo ui;
	char *dump = NULL;
	int ret, saved;

	if (lockout_dump(sshd_bin, config, t, timeout_ms, &dump, reason,
	    rlen) == -1)
		return -1;
	if (lockout_userinfo(t->user, &ui, reason, rlen) == -1) {
		saved = errno;
		free(dump);
		errno = saved;
		return -1;
	}
	ret = lockout_eval(dump, t, &ui, reason, rlen);
	debug_f("%s: %s", t->user, ret ? "can log in" : reason);
	lockout_userinfo_free(&ui);
	free(dump);
	return ret;
}

const char *
validate_verdict_name(enum vd_verdict v)
{
	switch (v) {
	case VD_VALID:
		return "valid";
	case VD_SYNTAX:
		return "syntax";
	case VD_LOCKOUT:
		return "lockout";
	case VD_ERROR:
		return "error";
	}
	return "unknown";
}

/* sshd -t; VD_VALID when it passed, else the verdict with r filled. */
static enum vd_verdict
vd_syntax(const struct sm_conf *c, struct vd_result *r)
{
	struct spawn_res sr;
	char *argv[5], how[96];

	memset(&sr, 0, sizeof(sr));
	argv[0] = c->sshd_binary;
	argv[1] = "-t";
	argv[2] = "-f";
	argv[3] = c->sshd_config;
	argv[4] = NULL;
	if (spawn_run(argv, NULL, NULL, 0, c->sshd_test_timeout_ms,
	    VALIDATE_DETAIL_MAX, &sr) != 0) {
		snprintf(r->reason, sizeof(r->reason), "cannot run %s: %s",
		    c->sshd_binary, strerror(errno));
		return VD_ERROR;
	}
	r->test_ms = sr.elapsed_ms;
	sm_strlcpy(r->detail, sr.err != NULL ? sr.err : "", sizeof(r->detail));
	if (spawn_ok(&sr)) {
		spawn_res_free(&sr);
		return VD_VALID;
	}
	spawn_describe(&sr, how, sizeof(how));
	if (!sr.exited || sr.timed_out) {
		snprintf(r->reason, sizeof(r->reason), "sshd -t %s", how);
		spawn_res_free(&sr);
		return VD_ERROR;
	}
	vd_first_line(sr.err != NULL ? sr.err : "", r->reason,
	    sizeof(r->reason));
	if (r->reason[0] == '\0')
		snprintf(r->reason, sizeof(r->reason), "sshd -t %s", how);
	spawn_res_free(&sr);
	/*
	 * A missing /run/sshd (S3, tmpfs /run after a reboot) fails every
	 * config alike; rolling back would not help, so it is no verdict on
	 * the files.
	 */
	if (strstr(r->detail, VD_NO_PRIVSEP) != NULL)
		return VD_ERROR;
	return VD_SYNTAX;
}

int
validate_keytype_allowed(const char *keytype, const char *algs)
{
	static const struct {
		const char *type;	/* first word of a .pub file */
		const char *alg;	/* a HostKeyAlgorithms name it can sign */
	} map[] = {
		{ "ssh-ed25519", "ssh-ed25519" },
		{ "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com" },
		{ "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256" },
		{ "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384" },
		{ "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521" },
		{ "ssh-rsa", "rsa-sha2-512" },
		{ "ssh-rsa", "rsa-sha2-256" },
		{ "ssh-rsa", "ssh-rsa" },
	};
	const char *p, *e;
	size_t i, n;

	for (p = algs; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		for (i = 0; i < SM_NELEM(map); i++)
			if (strcmp(keytype, map[i].type) == 0 &&
			    strlen(map[i].alg) == n &&
			    strncmp(p, map[i].alg, n) == 0)
				return 1;
	}
	return 0;
}

/*
 * The type of the host key at path as its .pub file names it, or from
 * `ssh-keygen -l` (which reads the key in its own process) when there is
 * no .pub. NULL when sshd would not load it: missing, empty, or readable by
 * others. sshmedicd itself never reads private key material.
 */
static char *
vd_hostkey_type(const char *path, int timeout_ms)
{
	struct spawn_res sr;
	struct stat st;
	char *pub = NULL, *buf = NULL, *t = NULL, *argv[5], *p;
	size_t len;

	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (st.st_mode & 077) != 0)
		return NULL;
	xasprintf(&pub, "%s.pub", path);
	if (fs_read_file(pub, 65536, 1, &buf, &len) == 0) {
		buf[strcspn(buf, " \t\n")] = '\0';
		if (buf[0] != '\0')
			t = xstrdup(buf);
		free(buf);
	}
	free(pub);
	if (t != NULL)
		return t;
	argv[0] = "/usr/bin/ssh-keygen";
	argv[1] = "-l";
	argv[2] = "-f";
	argv[3] = (char *)path;
	argv[4] = NULL;
	if (spawn_run(argv, NULL, NULL, 0, timeout_ms, 4096, &sr) != 0)
		return NULL;
	/* "256 SHA256:... comment (ED25519)" */
	if (spawn_ok(&sr) && (p = strrchr(sr.out, '(')) != NULL) {
		if (strncmp(p, "(ED25519)", 9) == 0)
			t = xstrdup("ssh-ed25519");
		else if (strncmp(p, "(RSA)", 5) == 0)
			t = xstrdup("ssh-rsa");
		else if (strncmp(p, "(ECDSA)", 7) == 0)
			xasprintf(&t, "ecdsa-sha2-nistp%ld", strtol(sr.out,
			    NULL, 10));
	}
	spawn_res_free(&sr);
	return t;
}

/*
 * C6: sshd -t passes when one host key loads, even if HostKeyAlgorithms
 * allows none of the loaded keys' types; then every client fails key
 * exchange. At least one usable key must have an allowed type.
 */
static enum vd_verdict
vd_hostkeys(const struct sm_conf *c, struct vd_result *r)
{
	struct spawn_res sr;
	char *argv[5], *line, *next, *algs = NULL, *t;
	char keys[256] = "";
	int ok = 0, nkeys = 0, pass;

	argv[0] = c->sshd_binary;
	argv[1] = "-T";
	argv[2] = "-f";
	argv[3] = c->sshd_config;
	argv[4] = NULL;
	memset(&sr, 0, sizeof(sr));
	if (spawn_run(argv, NULL, NULL, 0, c->sshd_test_timeout_ms, VD_DUMP_CAP,
	    &sr) != 0 || !spawn_ok(&sr) || sr.out_truncated) {
		snprintf(r->reason, sizeof(r->reason), "sshd -T -f %s failed",
		    c->sshd_config);
		spawn_res_free(&sr);
		return VD_ERROR;
	}
	/* Pass 0 finds the algorithm list, pass 1 judges each host key. */
	for (pass = 0; pass < 2 && !ok; pass++) {
		for (line = sr.out; line != NULL && *line != '\0' && !ok;
		    line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			if (pass == 0 &&
			    strncmp(line, "hostkeyalgorithms ", 18) == 0)
				algs = xstrdup(line + 18);
			if (pass == 1 && strncmp(line, "hostkey ", 8) == 0) {
				nkeys++;
				t = vd_hostkey_type(line + 8,
				    c->sshd_test_timeout_ms);
				if (t == NULL)
					continue;
				if (validate_keytype_allowed(t, algs))
					ok = 1;
				else if (strlen(keys) + strlen(t) + 2 <
				    sizeof(keys)) {
					if (keys[0] != '\0')
						strcat(keys, ",");
					strcat(keys, t);
				}
				free(t);
			}
			if (next != NULL)
				next[-1] = '\n';	/* keep the buffer for pass 1 */
		}
		if (algs == NULL)
			break;	/* no list printed: sshd's default allows all types */
	}
	spawn_res_free(&sr);
	if (algs != NULL && !ok && nkeys > 0) {
		snprintf(r->reason, sizeof(r->reason), "HostKeyAlgorithms %.200s "
		    "allows none of the host keys (%s): no client could "
		    "connect", algs, keys[0] ? keys : "none loadable");
		free(algs);
		return VD_LOCKOUT;
	}
	free(algs);
	return VD_VALID;
}

enum vd_verdict
validate_config(const struct sm_conf *c, struct vd_result *r)
{
	const struct conf_user *pu;
	struct lk_target t;
	char why[400];
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	r->stage = VD_STAGE_SYNTAX;
	if ((r->verdict = vd_syntax(c, r)) != VD_VALID)
		return r->verdict;
	r->stage = VD_STAGE_HOSTKEYS;
	if ((r->verdict = vd_hostkeys(c, r)) != VD_VALID)
		return r->verdict;
	r->stage = VD_STAGE_USERS;
	for (i = 0; i < c->nprotected; i++) {
		pu = &c->protected_users[i];
		memset(&t, 0, sizeof(t));
		t.user = pu->name;
		t.addr = pu->addr != NULL ? pu->addr : c->probe_address;
		t.host = pu->host != NULL ? pu->host : t.addr;
		t.laddr = c->probe_address;
		t.lport = c->probe_port;
		rc = lockout_check(c->sshd_binary, c->sshd_config, &t,
		    c->sshd_test_timeout_ms, why, sizeof(why));
		if (rc == 1)
			continue;
		/* sshd -T refusing this connection's config is a lockout too */
		r->verdict = (rc == 0 || errno == EBADMSG) ?
		    VD_LOCKOUT : VD_ERROR;
		snprintf(r->reason, sizeof(r->reason), "%s: %s", pu->name,
		    why);
		return r->verdict;
	}
	return VD_VALID;
}
