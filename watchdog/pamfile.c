/*
 * The PAM stack sshd runs: a module line that cannot load fails every
 * login, so each line is checked, and a copy that worked is kept.
 */
#include "config.h"

#include <errno.h>
#include <libaudit.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act.h"
#include "daemon.h"
#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "pamcheck.h"
#include "pamfile.h"
#include "report.h"
#include "snap.h"
#include "store.h"
#include "xmalloc.h"

/*
 * Predicate: service's stack files are as they were when last found equal
 * to the snapshot (the lstat of each, taken before they were read).
 */
static int
pam_unchanged(struct creds_state *cs, const char *service)
{
	struct fs_sig now;
	size_t i;

	if (!cs->pam_settled || strcmp(cs->pam_service, service) != 0)
		return 0;
	for (i = 0; i < cs->npam; i++) {
		fs_sig_of(cs->pam_files[i], &now);
		if (!fs_sig_equal(&now, &cs->pam_sig[i]))
			return 0;
	}
	return 1;
}

/* See pamfile.h. */
void
pamfile_on_session(struct daemon *d, const char *service)
{
	struct creds_state *cs = &d->creds;
	char problems[2048], *buf;
	struct snap cur, old;
	struct stat sb;
	size_t n, i, len;
	int ok;

	if (service[0] == '\0' || pam_unchanged(cs, service))
		return;
	cs->pam_settled = 0;
	sm_strlcpy(cs->pam_service, service, sizeof(cs->pam_service));
	n = pamcheck_files(d->conf.pam_dir, service, cs->pam_files,
	    PAMCHECK_MAX_FILES);
	cs->npam = n;
	for (i = 0; i < n; i++)
		fs_sig_of(cs->pam_files[i], &cs->pam_sig[i]);
	if (pamcheck_stack(d->conf.pam_dir, service, problems,
	    sizeof(problems)) != 1)
		return;
	memset(&cur, 0, sizeof(cur));
	for (i = 0; i < n && i < SNAP_MAX_FILES; i++) {
		if (lstat(cs->pam_files[i], &sb) == -1 ||
		    fs_read_file(cs->pam_files[i], PAMFILE_READ_MAX, 0, &buf,
		    &len) == -1)
			goto out;
		if (snap_add(&cur, cs->pam_files[i], buf, len, sb.st_uid,
		    sb.st_gid, sb.st_mode) == -1) {
			free(buf);
			goto out;
		}
		free(buf);
	}
	if (snap_load(&d->store, SNAP_PAM, service, &old) == 0 &&
	    snap_same(&old, &cur)) {
		snap_free(&old);
		cs->pam_settled = 1;
		goto out;
	}
	snap_free(&old);
	cur.kind = SNAP_PAM;
	sm_strlcpy(cur.name, service, sizeof(cur.name));
	cur.when = time(NULL);
	ok = snap_save(&d->store, &cur) == 0;
	cs->pam_settled = ok;
	snprintf(problems, sizeof(problems), "known-good PAM stack of service "
	    "%s (%zu files), taken at a successful login%s%s", service, cur.n,
	    ok ? "" : ": not saved: ", ok ? "" : strerror(errno));
	report_account(AUDIT_USYS_CONFIG, "sshmedic-pam-snapshot", ok, NULL,
	    NULL, problems, NULL, NULL, NULL);
 out:
	snap_free(&cur);
}

/* See pamfile.h: 0/-1. */
int
pamfile_restore(struct daemon *d, const char *service, const char *evid,
    int dry, struct act_out *o)
{
	char problems[2048], *buf;
	struct snap s;
	struct stat sb;
	size_t i, len;
	int r = -1;

	if (service == NULL || service[0] == '\0')
		service = d->conf.sshd_pam_service[0] ?
		    d->conf.sshd_pam_service : "sshd";
	if (pamcheck_stack(d->conf.pam_dir, service, problems,
	    sizeof(problems)) == 1)
		return 0;	/* every line loads: the admin's stack stays */
	if (snap_load(&d->store, SNAP_PAM, service, &s) == -1) {
		snprintf(o->why, sizeof(o->why), "the PAM stack of %s fails "
		    "(%.800s) and there is %s known-good copy", service, problems,
		    errno == ENOENT ? "no" : "only a corrupt");
		snap_free(&s);
		return -1;
	}
	for (i = 0; i < s.n; i++) {
		const struct snap_file *f = &s.f[i];

		buf = NULL;
		len = 0;
		if (fs_read_file(f->path, PAMFILE_READ_MAX, 0, &buf, &len) == 0 &&
		    len == f->len && memcmp(buf, f->content, len) == 0) {
			free(buf);
			continue;
		}
		free(buf);
		if (dry) {
			sm_appendf(o->did, sizeof(o->did), "; ", "would restore "
			    "%s", f->path);
			continue;
		}
		if (lstat(f->path, &sb) == 0 && store_quarantine_add(&d->store,
		    evid, f->path, "a PAM file replaced by its known-good "
		    "copy") == -1) {
			snprintf(o->why, sizeof(o->why), "quarantine of %s failed "
			    "(%s); not replaced", f->path, strerror(errno));
			goto out;
		}
		if (fs_write_atomic(f->path, f->content, f->len, f->uid, f->gid,
		    f->mode) == -1) {
			snprintf(o->why, sizeof(o->why), "write %s: %s", f->path,
			    strerror(errno));
			goto out;
		}
		o->changed = 1;
		sm_appendf(o->did, sizeof(o->did), "; ", "restored %s", f->path);
	}
	sm_appendf(o->did, sizeof(o->did), "; ", "was failing: %.900s",
	    problems);
	if (!dry && o->changed && pamcheck_stack(d->conf.pam_dir, service,
	    problems, sizeof(problems)) != 1) {
		snprintf(o->why, sizeof(o->why), "restored, yet still failing: "
		    "%.900s", problems);
		goto out;
	}
	r = 0;
 out:
	snap_free(&s);
	return r;
}
