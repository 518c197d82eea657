/*
 * The control requests the guard answers (pause, resume, rollback,
 * promote), on top of the actions in guard_act.c.
 */
#include "config.h"

#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "closure.h"
#include "daemon.h"
#include "fsutil.h"
#include "guard.h"
#include "guard_int.h"
#include "log.h"
#include "misc.h"
#include "report.h"
#include "rollback.h"
#include "sshd.h"
#include "store.h"
#include "validate.h"
#include "xmalloc.h"

int
guard_pause(struct daemon *d, int64_t duration_ms, char *msg, size_t len)
{
	struct guard *g = &d->guard;
	char val[32], reason[128];

	g->paused_until_ms = realtime_ms() + duration_ms;
	snprintf(val, sizeof(val), "%lld", (long long)g->paused_until_ms);
	if (store_state_set(&d->store, "paused_until", val) == -1) {
		snprintf(msg, len, "cannot record the pause: %s", strerror(errno));
		return -1;
	}
	daemon_set_deadline(d, DL_PAUSE, monotime_ms() + duration_ms);
	daemon_set_deadline(d, DL_GRACE, 0);
	daemon_set_deadline(d, DL_FIGHT, 0);
	guard_set_state(d, GS_PAUSED);
	snprintf(reason, sizeof(reason), "paused for %lld s",
	    (long long)(duration_ms / 1000));
	guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-guard-pause", 1, g->good_gen, 0,
	    NULL, reason, NULL, NULL);
	snprintf(msg, len, "guard %s; resumes by itself", reason);
	return 0;
}

int
guard_resume(struct daemon *d, char *msg, size_t len)
{
	struct guard *g = &d->guard;

	if (g->state != GS_PAUSED) {
		if (msg != NULL)
			snprintf(msg, len, "guard is not paused");
		return -1;
	}
	store_state_set(&d->store, "paused_until", NULL);
	g->paused_until_ms = 0;
	daemon_set_deadline(d, DL_PAUSE, 0);
	guard_set_state(d, g->good_gen != 0 ? GS_WATCHING : GS_NOBASELINE);
	guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-guard-resume", 1, g->good_gen, 0,
	    NULL, msg == NULL ? "pause ended" : "resumed on request", NULL, NULL);
	if (msg != NULL)
		snprintf(msg, len, "guard resumed");
	guard_look(d, 1);
	return 0;
}

int
guard_rollback(struct daemon *d, unsigned long gen, char *msg, size_t len)
{
	struct guard *g = &d->guard;
	struct manifest m;
	struct rb_result rr;
	struct closure cl;
	char evid[33], reason[512];
	int r;

	if (gen == 0)
		gen = g->good_gen;
	if (gen == 0) {
		snprintf(msg, len, "no known-good generation to roll back to");
		return -1;
	}
	if (store_load(&d->store, gen, &m) == -1) {
		snprintf(msg, len, "generation %lu: %s", gen, strerror(errno));
		return -1;
	}
	if (!m.usable) {
		snprintf(msg, len, "generation %lu is unusable: %s", gen,
		    m.unusable_reason);
		manifest_free(&m);
		return -1;
	}
	random_id(evid);
	memset(&rr, 0, sizeof(rr));
	r = rollback_to(&d->store, &m, d->conf.sshd_dir, evid, &rr);
	snprintf(reason, sizeof(reason), "requested by root%s%s",
	    r == 0 ? "" : ": ", r == 0 ? "" : rr.reason);
	guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rollback", r == 0, gen,
	    g->good_gen, rr.files, reason, NULL, evid);
	if (r == 0)
		snprintf(msg, len, "rolled back to generation %lu (%zu files "
		    "changed)", gen, rr.restored + rr.recreated + rr.removed);
	else
		snprintf(msg, len, "rollback to generation %lu failed: %s", gen,
		    rr.reason);
	rb_result_free(&rr);
	manifest_free(&m);
	if (r != 0)
		return -1;
	daemon_set_deadline(d, DL_GRACE, 0);
	if (guard_reload_sshd(d, "serve the generation restored on request") == 0)
		g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
	/* An older generation put back becomes the newest known-good. */
	guard_read_closure(d, &cl);
	sm_strlcpy(g->seen_digest, cl.digest, sizeof(g->seen_digest));
	if (strcmp(cl.digest, g->good_digest) != 0) {
		snprintf(reason, sizeof(reason), "rollback to generation %lu "
		    "requested by root", gen);
		guard_do_promote(d, &cl, reason);
	}
	if (g->state != GS_PAUSED)
		guard_set_state(d, GS_WATCHING);
	closure_free(&cl);
	return 0;
}

int
guard_promote(struct daemon *d, char *msg, size_t len)
{
	struct guard *g = &d->guard;
	struct vd_result vr;
	struct closure cl;
	int r = -1;

	guard_read_closure(d, &cl);
	if (g->good_gen != 0 && strcmp(cl.digest, g->good_digest) == 0) {
		snprintf(msg, len, "the closure already is generation %lu",
		    g->good_gen);
		goto out;
	}
	memset(&vr, 0, sizeof(vr));
	if (validate_config(&d->conf, &vr) != VD_VALID) {
		snprintf(msg, len, "refused: %s", vr.reason);
		goto out;
	}
	guard_reload_sshd(d, "promote requested by root");
	if (!sshd_probe_banner(&d->conf, vr.reason, sizeof(vr.reason))) {
		snprintf(msg, len, "refused: sshd does not serve it: %s",
		    vr.reason);
		goto out;
	}
	sm_strlcpy(g->seen_digest, cl.digest, sizeof(g->seen_digest));
	if (guard_do_promote(d, &cl, "promoted on request") == -1) {
		snprintf(msg, len, "could not record the generation: %s",
		    strerror(errno));
		goto out;
	}
	snprintf(msg, len, "promoted to generation %lu", g->good_gen);
	r = 0;
 out:
	closure_free(&cl);
	return r;
}
