/*
 * The check catalogue: one row per LOCKOUTS.md cause implemented so far,
 * each a read-only check and its remedy; config and sshd rows live here.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.h"
#include "checks_int.h"
#include "closure.h"
#include "hostkeys.h"
#include "lockout.h"
#include "log.h"
#include "misc.h"
#include "sshd.h"
#include "validate.h"

/* What sshd -t says when no host key loads (C6, not a syntax error). */
#define SSHD_NO_HOSTKEYS	"no hostkeys available"

void
check_ctx_init(struct check_ctx *x, const struct sm_conf *c, pid_t master)
{
	memset(x, 0, sizeof(*x));
	x->conf = c;
	x->master = master != 0 ? master : sshd_pid(c);
}

void
check_ctx_free(struct check_ctx *x)
{
	if (x->closure_done == 1)
		closure_free(&x->cl);
	x->closure_done = 0;
}

const char *
check_state_name(enum check_state s)
{
	switch (s) {
	case CHK_OK:
		return "ok";
	case CHK_FAIL:
		return "fail";
	case CHK_UNKNOWN:
		return "unknown";
	case CHK_WARN:
		return "warn";
	}
	return "unknown";
}

/* The closure, read once per run; NULL when it could not be read. */
static const struct closure *
ctx_closure(struct check_ctx *x)
{
	if (x->closure_done == 0)
		x->closure_done = closure_read(x->conf->sshd_config,
		    x->conf->sshd_dir, &x->cl) == 0 ? 1 : -1;
	return x->closure_done == 1 ? &x->cl : NULL;
}

/* validate_config once per run: three rows read its stages. */
static const struct vd_result *
ctx_vd(struct check_ctx *x)
{
	if (!x->vd_done) {
		validate_config(x->conf, &x->vr);
		x->vd_done = 1;
	}
	return &x->vr;
}

int
check_closure_shape(const struct closure *cl, char *reason, size_t len)
{
	const struct cl_file *f;
	size_t i;

	/*
	 * sshd -t reads a main config that is a directory as empty, and an
	 * Include of a dangling symlink or a directory as matching nothing:
	 * each silently drops configuration the admin had.
	 */
	for (i = 0; i < cl->nfiles; i++) {
		f = &cl->files[i];
		if (f->role == CL_HOSTKEY)
			continue;
		switch (f->state) {
		case CL_DIR:
		case CL_DANGLING:
		case CL_OTHER:
		case CL_UNREADABLE:
		case CL_TOOBIG:
			snprintf(reason, len, "%s is %s where sshd expects a "
			    "configuration file", f->path,
			    f->state == CL_DIR ? "a directory" :
			    f->state == CL_DANGLING ? "a dangling symlink" :
			    f->state == CL_OTHER ? "not a regular file" :
			    f->state == CL_TOOBIG ? "too large" : "unreadable");
			return 1;
		case CL_MISSING:
			if (f->role == CL_MAIN) {
				snprintf(reason, len, "%s is missing", f->path);
				return 1;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Predicate: sshd -t failed only because no host key loads. */
static int
vd_no_hostkeys(const struct vd_result *vr)
{
	return vr->stage == VD_STAGE_SYNTAX && vr->verdict == VD_SYNTAX &&
	    strstr(vr->detail, SSHD_NO_HOSTKEYS) != NULL;
}

/* C1/C2 */
static enum check_state
row_syntax(struct check_ctx *x, char *detail, size_t len)
{
	const struct closure *cl;
	const struct vd_result *vr;

	if ((cl = ctx_closure(x)) == NULL) {
		snprintf(detail, len, "cannot read the closure of %s",
		    x->conf->sshd_config);
		return CHK_UNKNOWN;
	}
	if (check_closure_shape(cl, detail, len))
		return CHK_FAIL;
	vr = ctx_vd(x);
	if (vr->stage != VD_STAGE_SYNTAX || vr->verdict == VD_VALID) {
		snprintf(detail, len, "sshd -t passes on %s (closure of %zu "
		    "files)",
		    x->conf->sshd_config, cl->nfiles);
		return CHK_OK;
	}
	if (vd_no_hostkeys(vr)) {
		snprintf(detail, len, "the files parse; sshd -t stops at the "
		    "host keys (see C6)");
		return CHK_OK;
	}
	snprintf(detail, len, "%s", vr->reason);
	return vr->verdict == VD_SYNTAX ? CHK_FAIL : CHK_UNKNOWN;
}

/* C3/C4/C5 */
static enum check_state
row_lockout(struct check_ctx *x, char *detail, size_t len)
{
	const struct vd_result *vr = ctx_vd(x);

	if (vr->stage != VD_STAGE_USERS) {
		snprintf(detail, len, "not judged: %s fails first",
		    vr->stage == VD_STAGE_SYNTAX ? "sshd -t" : "the host "
		    "key check");
		return CHK_UNKNOWN;
	}
	if (vr->verdict == VD_VALID) {
		if (x->conf->nprotected == 0)
			snprintf(detail, len, "no protected_users configured: "
			    "the lockout guard has nobody to check");
		else
			snprintf(detail, len, "%zu protected user%s can log "
			    "in (sshd -T -C)", x->conf->nprotected,
			    x->conf->nprotected == 1 ? "" : "s");
		return CHK_OK;
	}
	snprintf(detail, len, "%s", vr->reason);
	return vr->verdict == VD_LOCKOUT ? CHK_FAIL : CHK_UNKNOWN;
}

/* C6 */
static enum check_state
row_hostkey_types(struct check_ctx *x, char *detail, size_t len)
{
	const struct vd_result *vr = ctx_vd(x);

	if (vd_no_hostkeys(vr)) {
		snprintf(detail, len, "sshd -t: no host key loads (%s)",
		    vr->reason);
		return CHK_FAIL;
	}
	switch (vr->stage) {
	case VD_STAGE_SYNTAX:
		snprintf(detail, len, "not judged: sshd -t fails first");
		return CHK_UNKNOWN;
	case VD_STAGE_HOSTKEYS:
		snprintf(detail, len, "%s", vr->reason);
		return vr->verdict == VD_LOCKOUT ? CHK_FAIL : CHK_UNKNOWN;
	default:
		snprintf(detail, len, "a host key of a type HostKeyAlgorithms "
		    "allows loads");
		return CHK_OK;
	}
}

/*
 * Predicate-like: 1 when pid runs binary (a package upgrade leaves
 * "(deleted)" behind the name; that is still sshd), 0 when it runs
 * something else (a reused pid), -1 when it cannot be told. exe gets
 * what the process runs.
 */
static int
runs_binary(pid_t pid, const char *binary, char *exe, size_t len)
{
	char link[64], want[PATH_MAX], *p;
	ssize_t l;

	snprintf(link, sizeof(link), "/proc/%ld/exe", (long)pid);
	if ((l = readlink(link, exe, len - 1)) <= 0)
		return -1;
	exe[l] = '\0';
	if ((p = strstr(exe, " (deleted)")) != NULL && p[10] == '\0')
		*p = '\0';
	if (realpath(binary, want) == NULL)
		sm_strlcpy(want, binary, sizeof(want));
	return strcmp(exe, want) == 0;
}

/* S1 */
static enum check_state
row_master(struct check_ctx *x, char *detail, size_t len)
{
	char exe[PATH_MAX], comm[64];
	struct stat st;

	if (x->master == 0) {
		if (lstat(x->conf->sshd_pidfile, &st) == -1)
			snprintf(detail, len, "no sshd master: %s: %s",
			    x->conf->sshd_pidfile, strerror(errno));
		else
			snprintf(detail, len, "no sshd master: %s names no "
			    "live process", x->conf->sshd_pidfile);
		return CHK_FAIL;
	}
	check_proc_comm(x->master, comm, sizeof(comm));
	if (runs_binary(x->master, x->conf->sshd_binary, exe,
	    sizeof(exe)) == 0) {
		snprintf(detail, len, "pid %ld in %s runs %s, not %s (a stale "
		    "pidfile and a reused pid)", (long)x->master,
		    x->conf->sshd_pidfile, exe, x->conf->sshd_binary);
		return CHK_FAIL;
	}
	snprintf(detail, len, "pid %ld (%s)", (long)x->master, comm);
	return CHK_OK;
}

/* S2 */
static enum check_state
row_banner(struct check_ctx *x, char *detail, size_t len)
{
	if (!sshd_probe_banner(x->conf, detail, len))
		return CHK_FAIL;
	snprintf(detail, len, "SSH banner from %s port %d",
	    x->conf->probe_address, x->conf->probe_port);
	return CHK_OK;
}

/* S3 */
static enum check_state
row_privsep(struct check_ctx *x, char *detail, size_t len)
{
	return check_privsep(x->conf, detail, len);
}

/* S4: the same predicate the daemon's repair acts on. */
static enum check_state
row_hostkeys(struct check_ctx *x, char *detail, size_t len)
{
	const struct closure *cl;
	char what[CHECK_DETAIL_MAX];
	size_t i, nkeys = 0, nbad = 0;

	if ((cl = ctx_closure(x)) == NULL) {
		snprintf(detail, len, "cannot read the closure of %s",
		    x->conf->sshd_config);
		return CHK_UNKNOWN;
	}
	for (i = 0; i < cl->nfiles; i++) {
		if (cl->files[i].role != CL_HOSTKEY)
			continue;
		nkeys++;
		if (!hostkey_needs_repair(cl->files[i].path, what,
		    sizeof(what)))
			continue;
		if (nbad++ == 0)
			snprintf(detail, len, "%s", what);
	}
	if (nbad > 1) {
		size_t used = strlen(detail);

		snprintf(detail + used, len - used, " (and %zu more)",
		    nbad - 1);
	}
	if (nbad > 0)
		return CHK_FAIL;
	snprintf(detail, len, "%zu host key%s present, root, not readable "
	    "by others", nkeys, nkeys == 1 ? "" : "s");
	return CHK_OK;
}

/* S6 */
static enum check_state
row_port(struct check_ctx *x, char *detail, size_t len)
{
	return check_port(x->conf, x->master, detail, len);
}

/* See checks.h: the rank, or -1. */
int
check_loglevel_rank(const char *name)
{
	static const char *const levels[] = {
		"QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG1",
		"DEBUG2", "DEBUG3",
	};
	size_t i;

	if (name == NULL)
		return -1;
	if (strcasecmp(name, "DEBUG") == 0)
		return 5;
	for (i = 0; i < SM_NELEM(levels); i++)
		if (strcasecmp(name, levels[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * A1: rejected public keys never reach PAM; sshd logs them only at
 * LogLevel VERBOSE, which is read as sshd applies it to a protected
 * user's connection (Match blocks included). sshmedic never edits it.
 */
static enum check_state
row_authlog(struct check_ctx *x, char *detail, size_t len)
{
	const struct sm_conf *c = x->conf;
	struct lk_target t;
	char *dump = NULL, *lv, why[300];
	size_t i, n = c->nprotected > 0 ? c->nprotected : 1;
	int rank;

	if (c->authlog_file[0] == '\0' && c->authlog_command[0] == NULL) {
		snprintf(detail, len, "authlog is off: rejected public keys "
		    "(they never reach PAM) are not counted");
		return CHK_WARN;
	}
	for (i = 0; i < n; i++) {
		memset(&t, 0, sizeof(t));
		t.user = c->nprotected > 0 ? c->protected_users[i].name : "root";
		t.addr = c->nprotected > 0 && c->protected_users[i].addr != NULL ?
		    c->protected_users[i].addr : c->probe_address;
		t.host = c->nprotected > 0 && c->protected_users[i].host != NULL ?
		    c->protected_users[i].host : t.addr;
		t.laddr = c->probe_address;
		t.lport = c->probe_port;
		if (lockout_dump(c->sshd_binary, c->sshd_config, &t,
		    c->sshd_test_timeout_ms, &dump, why, sizeof(why)) == -1) {
			snprintf(detail, len, "sshd's LogLevel unknown: %s", why);
			return CHK_UNKNOWN;
		}
		lv = lockout_dump_value(dump, "loglevel");
		free(dump);
		dump = NULL;
		rank = check_loglevel_rank(lv);
		if (rank < CHECK_LOGLEVEL_VERBOSE) {
			snprintf(detail, len, "sshd logs at LogLevel %s for %s "
			    "from %s: rejected keys are logged only at VERBOSE "
			    "and are not counted", lv != NULL ? lv : "(none)",
			    t.user, t.addr);
			free(lv);
			return rank == -1 ? CHK_UNKNOWN : CHK_FAIL;
		}
		free(lv);
	}
	snprintf(detail, len, "read from %s %s; sshd logs rejected keys "
	    "(LogLevel VERBOSE or more for %s)", c->authlog_file[0] != '\0' ?
	    "file" : "command", c->authlog_file[0] != '\0' ? c->authlog_file :
	    c->authlog_command[0], c->nprotected > 0 ? "every protected user" :
	    "root");
	return CHK_OK;
}

const struct check_row check_catalogue[] = {
	{ "C1/C2", "sshd -t passes and no file of the closure lost its shape",
	    row_syntax, "quarantine the rejected files, roll the closure back "
	    "to the last known-good generation (sshmedic diff shows what "
	    "changed)" },
	{ "C3-C5", "every protected user can still log in (lockout guard)",
	    row_lockout, "roll back to the last known-good generation" },
	{ "C6", "a host key loads and HostKeyAlgorithms allows its type",
	    row_hostkey_types, "regenerate the named keys with ssh-keygen, "
	    "or roll back the HostKey/HostKeyAlgorithms lines" },
	{ "S1", "an sshd master process is in the pidfile", row_master,
	    "restart sshd with sshd.start, with backoff and a burst limit" },
	{ "S2", "sshd answers with an SSH banner on the probe address",
	    row_banner, "a master that is alive but does not answer is killed "
	    "and restarted; a dead one is restarted (S1)" },
	{ "S3", "the privilege separation directory exists", row_privsep,
	    "create it, owner root, mode 0755" },
	{ "S4", "host key files present, non-empty, root and 0600",
	    row_hostkeys, "regenerate missing or empty keys with ssh-keygen, "
	    "chmod 0600 and chown root the others; never restore a copy" },
	{ "S6", "no other process holds sshd's port", row_port,
	    "report the holder (pid, command); a person decides, it is "
	    "never killed" },
	{ "M1", CHECK_NOLOGIN " is absent", check_nologin,
	    "report; remove " CHECK_NOLOGIN " only if policy says so" },
	{ "M2", "free space and inodes where sshmedic and sshd write",
	    check_space, "free space; sshmedic writes nothing partial and "
	    "deletes no user data" },
	{ "A1", "rejected public keys are counted (sshd's log)", row_authlog,
	    "set authlog.file (or authlog.command) in sshmedic.conf and "
	    "LogLevel VERBOSE in sshd_config; sshmedic never edits it" },
	{ "U1", "the protected users' keys files pass StrictModes",
	    check_user_modes, "policy fix_modes: owner to the user, group and "
	    "other write removed, never through a symlink" },
	{ "U3", "no protected account is locked or expired",
	    check_user_accounts, "policy unlock: usermod -U, chage -E -1 (a "
	    "'!'-only password is never emptied)" },
	{ "U6", "the protected users' login shells run and are in /etc/shells",
	    check_user_shells, "policy set_shell: a shell of /etc/shells" },
	{ "M3", "every module line of sshd's PAM stack loads", check_pam_stack,
	    "policy restore_pam: the known-good copy taken at a login, only "
	    "while the stack is broken" },
};
const size_t check_ncatalogue = SM_NELEM(check_catalogue);
