/*
 * The config guard's decisions: every closure change is validated, a valid
 * one promoted once sshd serves it, a rejected one rolled back after grace.
 */
#include "config.h"

#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.h"
#include "closure.h"
#include "daemon.h"
#include "fsutil.h"
#include "guard.h"
#include "guard_int.h"
#include "log.h"
#include "metrics.h"
#include "misc.h"
#include "report.h"
#include "rollback.h"
#include "sshd.h"
#include "store.h"
#include "validate.h"
#include "xmalloc.h"

static const char *state_names[GS_NSTATES] = {
	"nobaseline", "watching", "candidate", "grace", "fight", "paused",
	"provisional",
};

const char *
guard_state_name(enum guard_state s)
{
	return s < GS_NSTATES ? state_names[s] : "unknown";
}

void
guard_set_state(struct daemon *d, enum guard_state s)
{
	if (d->guard.state != s) {
		debug_f("guard %s -> %s", guard_state_name(d->guard.state),
		    guard_state_name(s));
		metrics_changed(d);
	}
	/* Leaving provisional in any way ends its deadline. */
	if (d->guard.state == GS_PROVISIONAL && s != GS_PROVISIONAL)
		guard_confirm_clear(d);
	d->guard.state = s;
}

char *
guard_pidfile_dir(const struct sm_conf *c)
{
	char *dir = NULL, *base = NULL;

	if (fs_split(c->sshd_pidfile, &dir, &base) == -1)
		return xstrdup("/");
	free(base);
	return dir;
}

static void
remember_dirs(struct guard *g, const struct closure *cl)
{
	size_t i;

	for (i = 0; i < g->ndirs; i++)
		free(g->dirs[i]);
	free(g->dirs);
	g->dirs = NULL;
	g->ndirs = 0;
	if (cl->ndirs == 0)
		return;
	g->dirs = xcalloc(cl->ndirs, sizeof(*g->dirs));
	for (i = 0; i < cl->ndirs; i++)
		g->dirs[i] = xstrdup(cl->dirs[i]);
	g->ndirs = cl->ndirs;
}

/* Predicate: dir is one of the closure's directories. */
static int
closure_dir(const struct guard *g, const char *dir)
{
	size_t i;

	for (i = 0; i < g->ndirs; i++)
		if (strcmp(g->dirs[i], dir) == 0)
			return 1;
	return 0;
}

/* Reads the closure and points the watches at its directories. */
void
guard_read_closure(struct daemon *d, struct closure *cl)
{
	char *pdir = guard_pidfile_dir(&d->conf);
	int pass;

	/*
	 * A directory that just appeared gets its watch after the read: a
	 * file created in it between the two would go unseen, so read again
	 * whenever a watch was added (bounded: nesting is).
	 */
	for (pass = 0; pass < CLOSURE_MAX_DEPTH; pass++) {
		if (closure_read(d->conf.sshd_config, d->conf.sshd_dir, cl) == -1)
			fatal_f("closure_read %s failed", d->conf.sshd_config);
		if (watch_set(cl->dirs, cl->ndirs, pdir) == 0)
			break;
		if (pass + 1 < CLOSURE_MAX_DEPTH)
			closure_free(cl);
	}
	free(pdir);
	remember_dirs(&d->guard, cl);
}

/*
 * The closure on disk is looked at again: the heart of the guard. force
 * evaluates even when nothing changed since the last look.
 */
void
guard_look(struct daemon *d, int force)
{
	struct guard *g = &d->guard;
	struct closure cl;
	struct vd_result vr;
	char files[GUARD_FILES_MAX];

	guard_read_closure(d, &cl);
	if (!force && strcmp(cl.digest, g->seen_digest) == 0)
		goto out;
	sm_strlcpy(g->seen_digest, cl.digest, sizeof(g->seen_digest));
	if (g->state == GS_PAUSED)
		goto out;
	if (g->good_gen != 0 && strcmp(cl.digest, g->good_digest) == 0) {
		/* Back to known-good (an edit undone): nothing to decide. */
		if (g->state != GS_WATCHING)
			guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-changed", 1,
			    g->good_gen, 0, NULL, "closure equals the known-good "
			    "generation again", NULL, NULL);
		daemon_set_deadline(d, DL_GRACE, 0);
		g->candidate_digest[0] = '\0';
		guard_set_state(d, GS_WATCHING);
		goto out;
	}
	if (g->state == GS_FIGHT && strcmp(cl.digest, g->rejected_digest) == 0)
		goto out;

	guard_changed_files(&cl, guard_good_manifest(d), files, sizeof(files));
	if (g->good_gen != 0)
		guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-changed", 1,
		    g->good_gen, 0, files, NULL, NULL, NULL);

	memset(&vr, 0, sizeof(vr));
	if (check_closure_shape(&cl, vr.reason, sizeof(vr.reason)))
		vr.verdict = VD_SYNTAX;
	else
		validate_config(&d->conf, &vr);
	switch (vr.verdict) {
	case VD_VALID:
		daemon_set_deadline(d, DL_GRACE, 0);
		sm_strlcpy(g->candidate_digest, cl.digest,
		    sizeof(g->candidate_digest));
		guard_set_state(d, GS_CANDIDATE);
		daemon_set_deadline(d, DL_SERVE,
		    monotime_ms() + d->conf.serve_timeout_ms);
		if (g->good_gen != 0)
			guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-valid", 1,
			    g->good_gen, 0, files, "passed sshd -t and the "
			    "lockout guard; promoted once sshd serves it",
			    NULL, NULL);
		if (d->conf.apply && g->good_gen != 0)
			guard_reload_sshd(d, "apply the validated configuration");
		guard_try_promote(d, &cl, g->good_gen == 0 ? "first known-good "
		    "configuration" : "validated and served by sshd");
		break;
	case VD_ERROR:
		/* Not knowing is no reason to touch anything. */
		guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rejected", 0,
		    g->good_gen, 0, files, vr.reason, vr.detail, NULL);
		break;
	default:
		g->rejections++;
		sm_strlcpy(g->rejected_digest, cl.digest,
		    sizeof(g->rejected_digest));
		sm_strlcpy(g->rejected_reason, vr.reason,
		    sizeof(g->rejected_reason));
		g->candidate_digest[0] = '\0';
		if (g->good_gen == 0) {
			guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-nobaseline",
			    0, 0, 0, NULL, vr.reason, vr.detail, NULL);
			error_f("NO KNOWN-GOOD CONFIGURATION: the sshd "
			    "configuration is invalid and sshmedic has no "
			    "generation to restore; nothing was changed");
			guard_set_state(d, GS_NOBASELINE);
			break;
		}
		guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rejected", 0,
		    g->good_gen, 0, files, vr.reason, vr.detail, NULL);
		if (d->conf.grace_ms == 0) {
			guard_do_rollback(d, vr.reason);
			break;
		}
		/* Grace runs from the first rejection; edits do not extend it. */
		if (g->state != GS_GRACE) {
			daemon_set_deadline(d, DL_GRACE,
			    monotime_ms() + d->conf.grace_ms);
			guard_set_state(d, GS_GRACE);
		}
		break;
	}
 out:
	closure_free(&cl);
}

static int
writers_pending(struct guard *g)
{
	size_t i;

	for (i = 0; i < GUARD_MAX_WRITERS; i++)
		if (g->writers[i].used)
			return 1;
	return 0;
}

static void
writer_track(struct guard *g, const char *path, uint32_t mask)
{
	struct guard_writer *free_slot = NULL;
	size_t i;

	for (i = 0; i < GUARD_MAX_WRITERS; i++) {
		if (g->writers[i].used && strcmp(g->writers[i].path, path) == 0) {
			/*
			 * A file renamed over the path (a rollback's restore,
			 * an mv) ends the wait too: the old inode's writer
			 * gets no more events, its close included.
			 */
			if (mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM |
			    IN_MOVED_TO))
				g->writers[i].used = 0;
			return;
		}
		if (!g->writers[i].used && free_slot == NULL)
			free_slot = &g->writers[i];
	}
	/* Full table: the write timeout still bounds the wait. */
	if ((mask & IN_MODIFY) && free_slot != NULL) {
		if (!writers_pending(g))
			g->writers_since_ms = monotime_ms();
		debug_f("%s is being written; waiting for it to be closed", path);
		free_slot->used = 1;
		sm_strlcpy(free_slot->path, path, sizeof(free_slot->path));
	}
}

void
guard_on_watch(struct daemon *d, const struct watch_ev *ev)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", ev->dir, ev->name);
	if (strcmp(path, d->conf.sshd_pidfile) == 0) {
		if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
			live_on_pidfile(d);
		if ((ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) &&
		    d->guard.state == GS_CANDIDATE) {
			struct closure cl;

			guard_read_closure(d, &cl);
			if (strcmp(cl.digest, d->guard.candidate_digest) == 0)
				guard_try_promote(d, &cl, "validated and served by sshd");
			closure_free(&cl);
		}
		return;
	}
	/* The pidfile's directory is watched for the pidfile alone. */
	if (!closure_dir(&d->guard, ev->dir))
		return;
	if (ev->name[0] != '\0')
		writer_track(&d->guard, path, ev->mask);
	daemon_set_deadline(d, DL_DEBOUNCE, monotime_ms() + d->conf.debounce_ms);
}

void
guard_on_deadline(struct daemon *d, int slot)
{
	struct guard *g = &d->guard;

	switch (slot) {
	case DL_DEBOUNCE:
		/* A writer still has a file open: wait for its close, bounded. */
		if (writers_pending(g) && monotime_ms() - g->writers_since_ms <
		    d->conf.write_timeout_ms) {
			daemon_set_deadline(d, DL_DEBOUNCE, monotime_ms() +
			    (d->conf.debounce_ms > 50 ? d->conf.debounce_ms : 50));
			return;
		}
		memset(g->writers, 0, sizeof(g->writers));
		guard_look(d, 0);
		break;
	case DL_GRACE:
		if (g->state != GS_GRACE)
			return;
		/* The admin may have fixed it in the meantime. */
		g->seen_digest[0] = '\0';
		guard_look(d, 1);
		if (g->state == GS_GRACE)
			guard_do_rollback(d, g->rejected_reason);
		break;
	case DL_PAUSE:
		if (g->state == GS_PAUSED)
			guard_resume(d, NULL, 0);
		break;
	case DL_FIGHT:
		if (g->state == GS_FIGHT) {
			guard_set_state(d, GS_WATCHING);
			guard_look(d, 1);
		}
		break;
	case DL_CONFIRM:
		guard_confirm_expired(d);
		break;
	case DL_SERVE:
		/* Said once: a valid edit nobody loaded is not protected yet. */
		if (g->state == GS_CANDIDATE) {
			char why[256];

			snprintf(why, sizeof(why), "a validated change has not been "
			    "loaded by sshd for %d s; generation %lu stays the "
			    "rollback target until sshd is reloaded or `sshmedic "
			    "promote` is run", d->conf.serve_timeout_ms / 1000,
			    g->good_gen);
			guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-unserved",
			    0, g->good_gen, 0, NULL, why, NULL, NULL);
		}
		break;
	default:
		break;
	}
}

void
guard_stop(struct daemon *d)
{
	struct closure empty;

	memset(&empty, 0, sizeof(empty));
	remember_dirs(&d->guard, &empty);
	if (d->guard.good_m_loaded)
		manifest_free(&d->guard.good_m);
	d->guard.good_m_loaded = 0;
}

void
guard_on_reconfig(struct daemon *d)
{
	if (d->guard.state != GS_PAUSED)
		guard_look(d, 1);
}

static void
verify_store(struct daemon *d)
{
	unsigned long *gens = NULL;
	struct manifest m;
	size_t n = 0, i;

	if (store_list(&d->store, &gens, &n) == -1) {
		error_f("store %s: %s", d->conf.state_dir, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		if (store_load(&d->store, gens[i], &m) == -1) {
			guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-store-corrupt", 0,
			    gens[i], 0, NULL, "manifest unreadable or malformed; "
			    "this generation is never restored", NULL, NULL);
			continue;
		}
		if (!m.usable)
			guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-store-corrupt", 0,
			    gens[i], 0, NULL, m.unusable_reason, NULL, NULL);
		manifest_free(&m);
	}
	free(gens);
}

void
guard_start(struct daemon *d)
{
	struct guard *g = &d->guard;
	struct rb_result rr;
	struct manifest m;
	unsigned long gen = 0;
	char evid[33] = "", val[64];
	long long until;
	int r;

	memset(g, 0, sizeof(*g));
	guard_set_state(d, GS_WATCHING);
	memset(&rr, 0, sizeof(rr));
	if ((r = rollback_resume(&d->store, d->conf.sshd_dir, &rr, &gen,
	    evid)) != 0)
		guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-rollback-resume", r == 1,
		    gen, 0, rr.files, r == 1 ? "completed a rollback that was "
		    "interrupted" : rr.reason, NULL, NULL);
	rb_result_free(&rr);
	verify_store(d);
	if (store_latest(&d->store, &m) == 0) {
		g->good_gen = m.gen;
		sm_strlcpy(g->good_digest, m.digest, sizeof(g->good_digest));
		manifest_free(&m);
	} else
		guard_set_state(d, GS_NOBASELINE);

	if (store_state_get(&d->store, "paused_until", val, sizeof(val)) == 0 &&
	    parse_ll(val, 0, INT64_MAX, &until) == 0 && until > realtime_ms()) {
		g->paused_until_ms = until;
		guard_set_state(d, GS_PAUSED);
		daemon_set_deadline(d, DL_PAUSE,
		    monotime_ms() + (until - realtime_ms()));
		logit("guard paused until %lld (set before the restart)", until);
	}
	guard_confirm_start(d);
	guard_look(d, 1);
	if (r == 1)
		guard_reload_sshd(d, "serve the configuration of the completed rollback");
	/* What sshd serves now is taken to be what it loaded last. */
	if (g->state == GS_WATCHING && g->good_pid_mtime == 0)
		g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
}
