/*
 * The config guard's actions: promotion to a new generation, rollback with
 * the fight check, making sshd serve the result, and the ladder's hooks.
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

#include "closure.h"
#include "daemon.h"
#include "fsutil.h"
#include "guard.h"
#include "guard_int.h"
#include "hostkeys.h"
#include "log.h"
#include "misc.h"
#include "report.h"
#include "rollback.h"
#include "sshd.h"
#include "store.h"
#include "store_int.h"
#include "validate.h"
#include "xmalloc.h"

#ifndef AUDIT_RESP_ANOMALY
#define AUDIT_RESP_ANOMALY 2200
#endif

/* One event to audit, syslog and JSON; remembers its id for status. */
/*
 * The known-good manifest for listing what changed, loaded once per
 * generation: a manifest never changes once written, so the cache is keyed
 * by the generation number alone. A rollback still loads (and verifies)
 * its target itself. NULL when there is none or it cannot be read.
 */
const struct manifest *
guard_good_manifest(struct daemon *d)
{
	struct guard *g = &d->guard;

	if (g->good_m_loaded && g->good_m.gen == g->good_gen)
		return &g->good_m;
	if (g->good_m_loaded) {
		manifest_free(&g->good_m);
		g->good_m_loaded = 0;
	}
	if (g->good_gen == 0 ||
	    store_load(&d->store, g->good_gen, &g->good_m) == -1)
		return NULL;
	g->good_m_loaded = 1;
	return &g->good_m;
}

void
guard_emit(struct daemon *d, int type, const char *op, int ok, unsigned long gen,
    unsigned long prev, const char *files, const char *reason,
    const char *detail, char *evid)
{
	struct report_ev ev;
	char id[33];

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.op = op;
	ev.success = ok;
	ev.gen = gen;
	ev.prev_gen = prev;
	ev.files = files;
	ev.reason = reason;
	ev.detail = detail;
	ev.evid = evid != NULL && evid[0] != '\0' ? evid : NULL;
	if (type == AUDIT_SERVICE_START || type == AUDIT_SERVICE_STOP)
		ev.unit = "sshd";
	report_emit(&ev, id);
	sm_strlcpy(d->guard.last_evid, id, sizeof(d->guard.last_evid));
	if (evid != NULL)
		memcpy(evid, id, sizeof(id));
	if (ok)
		logit("%s gen=%lu %s%s%s", op, gen, files ? files : "",
		    reason ? " reason=" : "", reason ? reason : "");
	else
		error_f("%s gen=%lu %s%s%s", op, gen, files ? files : "",
		    reason ? " reason=" : "", reason ? reason : "");
}

/* Appends path to a bounded comma list. */
static void
files_add(char *buf, size_t len, const char *path)
{
	size_t used = strlen(buf);

	if (used > 0 && used + 1 < len)
		buf[used++] = ',', buf[used] = '\0';
	sm_strlcpy(buf + used, path, len - used);
}

/* The paths whose state differs between the closure and a manifest. */
void
guard_changed_files(const struct closure *cl, const struct manifest *m,
    char *buf, size_t len)
{
	const struct mf_entry *e;
	const struct cl_file *f;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < cl->nfiles; i++) {
		f = &cl->files[i];
		e = m != NULL ? manifest_find(m, f->path) : NULL;
		if (f->role == CL_HOSTKEY) {
			/* Keys are compared by shape only: content is never read. */
			if (e == NULL || e->state != f->state ||
			    e->mode != f->mode || e->uid != f->uid)
				files_add(buf, len, f->path);
			continue;
		}
		if (e == NULL || e->state != f->state ||
		    strcmp(e->sha256, f->sha256) != 0 || e->mode != f->mode ||
		    e->uid != f->uid || e->gid != f->gid)
			files_add(buf, len, f->path);
	}
	for (i = 0; m != NULL && i < m->n; i++) {
		e = &m->e[i];
		if (e->role != CL_HOSTKEY && closure_find(cl, e->path) == NULL)
			files_add(buf, len, e->path);
	}
}

/* Newest modification time among the closure's config files, in ms. */
static int64_t
closure_mtime_ms(const struct closure *cl)
{
	struct stat st;
	int64_t t, newest = 0;
	size_t i;

	for (i = 0; i < cl->nfiles; i++) {
		if (cl->files[i].role == CL_HOSTKEY ||
		    stat(cl->files[i].path, &st) == -1)
			continue;
		t = (int64_t)st.st_mtim.tv_sec * 1000 +
		    st.st_mtim.tv_nsec / 1000000;
		if (t > newest)
			newest = t;
	}
	return newest;
}

/* A manifest's host keys as "path fingerprint" lines (malloc'd; "" none). */
static char *
hostkey_set(const struct manifest *m)
{
	struct store_sbuf b = { NULL, 0, 0 };
	size_t i;

	store_sbuf_addf(&b, "%s", "");
	for (i = 0; m != NULL && i < m->n; i++)
		if (m->e[i].role == CL_HOSTKEY)
			store_sbuf_addf(&b, "%s %s\n", m->e[i].path,
			    m->e[i].fingerprint != NULL ? m->e[i].fingerprint :
			    "-");
	return b.p;
}

/*
 * Host keys that changed (regenerated at a first boot, rotated) make the
 * canary's pinned key stale: it is forgotten once sshd serves the new ones.
 */
static void
forget_stale_pin(struct daemon *d, const char *before)
{
	char *after = hostkey_set(guard_good_manifest(d));

	if (strcmp(before, after) != 0 &&
	    hostkey_forget_pin(d->conf.state_dir) == 1)
		logit("host keys of generation %lu differ from the last "
		    "known-good ones: the canary's pinned key is forgotten; its "
		    "next login pins the keys sshd serves", d->guard.good_gen);
	free(after);
}

/* Makes the closure a new known-good generation. 0/-1. */
int
guard_do_promote(struct daemon *d, const struct closure *cl, const char *why)
{
	struct guard *g = &d->guard;
	const struct manifest *prev = guard_good_manifest(d);
	unsigned long gen = 0, prev_gen = g->good_gen;
	char files[GUARD_FILES_MAX], evid[33], reason[256], *keys;

	random_id(evid);
	files[0] = '\0';
	if (prev != NULL)
		guard_changed_files(cl, prev, files, sizeof(files));
	keys = hostkey_set(prev);
	if (store_commit(&d->store, cl, why, evid, &gen) == -1) {
		snprintf(reason, sizeof(reason), "store: %s; generation %lu "
		    "stays the rollback target", strerror(errno), prev_gen);
		guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-promoted", 0,
		    prev_gen, 0, files, reason, NULL, evid);
		free(keys);
		return -1;
	}
	g->good_gen = gen;
	sm_strlcpy(g->good_digest, cl->digest, sizeof(g->good_digest));
	g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
	g->candidate_digest[0] = '\0';
	g->promotions++;
	guard_emit(d, AUDIT_USYS_CONFIG, prev_gen == 0 ? "sshmedic-config-baseline" :
	    "sshmedic-config-promoted", 1, gen, prev_gen,
	    files[0] != '\0' ? files : NULL, why, NULL, evid);
	forget_stale_pin(d, keys);
	free(keys);
	/* A promote or rollback requested during a pause keeps the pause. */
	if (g->state != GS_PAUSED)
		guard_set_state(d, GS_WATCHING);
	daemon_set_deadline(d, DL_SERVE, 0);
	return 0;
}

/*
 * A valid candidate is promoted once sshd is seen serving it: sshd rewrote
 * its pidfile after the newest edit (it does so on every start and reload,
 * after binding), and the banner answers. Without a baseline there is no
 * edit to compare with: a running, answering sshd is enough.
 */
void
guard_try_promote(struct daemon *d, const struct closure *cl, const char *why)
{
	char reason[256];
	int64_t pid_mtime = sshd_pidfile_mtime_ms(&d->conf);

	if (sshd_pid(&d->conf) == 0)
		return;
	if (d->guard.good_gen != 0 && pid_mtime < closure_mtime_ms(cl))
		return;
	if (!sshd_probe_banner(&d->conf, reason, sizeof(reason))) {
		debug_f("not promoting yet: %s", reason);
		return;
	}
	if (d->guard.good_gen != 0 && guard_confirm_needed(d)) {
		guard_make_provisional(d, cl);
		return;
	}
	guard_do_promote(d, cl, why);
}

static struct guard_fight *
fight_slot(struct guard *g, const char *digest, int64_t now, int window)
{
	struct guard_fight *f, *oldest = &g->fights[0];
	size_t i;

	for (i = 0; i < GUARD_MAX_FIGHTS; i++) {
		f = &g->fights[i];
		if (strcmp(f->digest, digest) == 0) {
			if (now - f->first_ms > window) {
				f->count = 0;
				f->first_ms = now;
			}
			return f;
		}
		if (f->first_ms < oldest->first_ms)
			oldest = f;
	}
	memset(oldest, 0, sizeof(*oldest));
	sm_strlcpy(oldest->digest, digest, sizeof(oldest->digest));
	oldest->first_ms = now;
	return oldest;
}

/* Makes sshd serve what is on disk now; audited. 0 serving, -1 not. */
int
guard_reload_sshd(struct daemon *d, const char *why)
{
	char reason[512], msg[600];
	int started = 0, r;

	r = sshd_reload_and_wait(&d->conf, d->conf.sshd_test_timeout_ms +
	    d->conf.probe_timeout_ms, &started, reason, sizeof(reason));
	snprintf(msg, sizeof(msg), "%s%s%s", why, r == 0 ? "" : ": ",
	    r == 0 ? "" : reason);
	guard_emit(d, AUDIT_SERVICE_START, started ? "sshmedic-sshd-start" :
	    "sshmedic-sshd-reload", r == 0, d->guard.good_gen, 0, NULL, msg,
	    NULL, NULL);
	return r;
}

/*
 * After a rollback the known-good files are on disk; sshd must serve them.
 * If sshd has not loaded anything since the known-good generation was
 * served (its pidfile is unchanged), it still serves it and a banner probe
 * proves that; otherwise it may have loaded the rejected files: reload.
 * 0 serving (how in msg), -1 not.
 */
static int
ensure_served(struct daemon *d, char *msg, size_t len)
{
	struct guard *g = &d->guard;
	char reason[256];

	if (sshd_pid(&d->conf) != 0 && g->good_pid_mtime != 0 &&
	    sshd_pidfile_mtime_ms(&d->conf) == g->good_pid_mtime &&
	    sshd_probe_banner(&d->conf, reason, sizeof(reason))) {
		snprintf(msg, len, "sshd never loaded the rejected files and "
		    "still serves generation %lu", g->good_gen);
		return 0;
	}
	if (guard_reload_sshd(d, "serve the restored known-good configuration") == 0) {
		g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
		snprintf(msg, len, "sshd reloaded and serves generation %lu",
		    g->good_gen);
		return 0;
	}
	snprintf(msg, len, "sshd does not serve generation %lu", g->good_gen);
	return -1;
}

/*
 * Host keys named by the restored configuration that are missing, empty
 * or too open are repaired, never restored from a copy (DESIGN: golden
 * images must not share keys). Returns how many were changed.
 */
static int
repair_hostkeys(struct daemon *d, const struct closure *cl)
{
	const struct cl_file *f;
	char what[512];
	size_t i;
	int n = 0, r;

	for (i = 0; i < cl->nfiles; i++) {
		f = &cl->files[i];
		if (f->role != CL_HOSTKEY ||
		    !hostkey_needs_repair(f->path, what, sizeof(what)))
			continue;
		r = hostkey_repair(f->path, what, sizeof(what));
		guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-hostkey-repair",
		    r == 1, d->guard.good_gen, 0, f->path, what, NULL, NULL);
		if (r == 1)
			n++;
	}
	return n;
}

/* Puts the known-good generation back; the fight check first. */
void
guard_do_rollback(struct daemon *d, const char *why)
{
	struct guard *g = &d->guard;
	struct guard_fight *f;
	struct manifest m;
	struct rb_result rr;
	struct closure cl;
	char evid[33], reason[1024], served[256], files[GUARD_FILES_MAX];
	int64_t now = monotime_ms();
	int keys_changed = 0;
	int r;

	f = fight_slot(g, g->rejected_digest, now, d->conf.fight_window_ms);
	/*
	 * A backoff that ran out allows one more rollback: the rejected files
	 * must not stay on disk for good. If they come back again, the next
	 * backoff is twice as long.
	 */
	if (f->count >= d->conf.fight_limit && f->until_ms != 0 &&
	    now >= f->until_ms) {
		f->until_ms = 0;
		f->count = d->conf.fight_limit - 1;
	}
	if (f->count >= d->conf.fight_limit) {
		f->backoff_ms = f->backoff_ms == 0 ? d->conf.fight_backoff_ms :
		    f->backoff_ms * 2;
		if (f->backoff_ms > 86400000)
			f->backoff_ms = 86400000;
		snprintf(reason, sizeof(reason), "the same rejected content came "
		    "back after %d rollbacks; not rolling back for %lld s; sshd "
		    "keeps the configuration it has loaded", f->count,
		    (long long)(f->backoff_ms / 1000));
		guard_emit(d, AUDIT_RESP_ANOMALY, "sshmedic-config-fight", 0,
		    g->good_gen, 0, NULL, reason, NULL, NULL);
		f->until_ms = now + f->backoff_ms;
		daemon_set_deadline(d, DL_FIGHT, f->until_ms);
		daemon_set_deadline(d, DL_GRACE, 0);
		guard_set_state(d, GS_FIGHT);
		return;
	}
	memset(&m, 0, sizeof(m));
	if ((r = store_load(&d->store, g->good_gen, &m)) == -1 || !m.usable) {
		/* Corrupt since start: fall back to the newest usable one. */
		if (r == 0)
			manifest_free(&m);
		if (store_latest(&d->store, &m) == -1) {
			guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rollback", 0,
			    0, 0, NULL, "no usable known-good generation; "
			    "nothing changed", NULL, NULL);
			guard_set_state(d, GS_NOBASELINE);
			return;
		}
		g->good_gen = m.gen;
		sm_strlcpy(g->good_digest, m.digest, sizeof(g->good_digest));
	}
	random_id(evid);
	memset(&rr, 0, sizeof(rr));
	r = rollback_to(&d->store, &m, d->conf.sshd_dir, evid, &rr);
	f->count++;
	g->rollbacks++;
	daemon_set_deadline(d, DL_GRACE, 0);
	guard_read_closure(d, &cl);
	served[0] = '\0';
	if (r == 0 && strcmp(cl.digest, g->good_digest) != 0 &&
	    repair_hostkeys(d, &cl) > 0) {
		closure_free(&cl);
		guard_read_closure(d, &cl);
		keys_changed = 1;
	}
	sm_strlcpy(g->seen_digest, cl.digest, sizeof(g->seen_digest));
	if (r != 0) {
		/*
		 * The restore itself failed (a full disk, a store error):
		 * look again later rather than leave the broken files for
		 * good; each try counts toward the fight limit, which bounds
		 * the retries.
		 */
		g->seen_digest[0] = '\0';
		daemon_set_deadline(d, DL_DEBOUNCE, monotime_ms() +
		    (d->conf.grace_ms > GUARD_RETRY_MS ? d->conf.grace_ms :
		    GUARD_RETRY_MS));
	}
	guard_changed_files(&cl, &m, files, sizeof(files));
	if (r == 0 && (keys_changed ? files[0] != '\0' :
	    strcmp(cl.digest, g->good_digest) != 0)) {
		r = -1;
		snprintf(rr.reason, sizeof(rr.reason), "the closure still "
		    "differs from generation %lu after the restore%s%.150s",
		    m.gen, files[0] ? ": " : " (host keys)", files);
		/*
		 * Written to while we restored: what is there now was never
		 * judged. Not marking it seen makes the events of that write
		 * (or this deadline) look at it again.
		 */
		g->seen_digest[0] = '\0';
		daemon_set_deadline(d, DL_DEBOUNCE,
		    monotime_ms() + d->conf.debounce_ms);
	}
	if (r == 0 && keys_changed) {
		/* New host keys: sshd must load them; that makes a new generation. */
		if (guard_reload_sshd(d, "load the regenerated host keys") == 0) {
			g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
			snprintf(served, sizeof(served), "host keys regenerated "
			    "and served");
			guard_set_state(d, GS_WATCHING);
			guard_do_promote(d, &cl, "host keys regenerated");
		} else {
			r = -1;
			snprintf(served, sizeof(served), "sshd does not serve "
			    "the regenerated host keys");
		}
	} else if (r == 0) {
		guard_set_state(d, GS_WATCHING);
		if (ensure_served(d, served, sizeof(served)) == -1)
			r = -1;
	}
	closure_free(&cl);
	if (r == 0)
		snprintf(reason, sizeof(reason), "%s; %s", why, served);
	else
		snprintf(reason, sizeof(reason), "%s; rollback failed: %s%s%s",
		    why, rr.reason[0] ? rr.reason : served,
		    rr.reason[0] && served[0] ? "; " : "",
		    rr.reason[0] ? served : "");
	/* Emitted last: the record says whether sshd serves the result. */
	guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rollback", r == 0, m.gen, 0,
	    rr.files, reason, NULL, evid);
	policies_on_rollback(d, m.gen, r == 0, reason);
	rb_result_free(&rr);
	manifest_free(&m);
}

/* The newest usable generation back on disk, reason recorded. 0/-1. */
static int
restore_latest(struct daemon *d, const char *reason_text)
{
	struct guard *g = &d->guard;
	struct manifest m;
	struct rb_result rr;
	struct closure cl;
	char evid[33], reason[1024];
	int r;

	if (store_latest(&d->store, &m) == -1)
		return -1;
	random_id(evid);
	memset(&rr, 0, sizeof(rr));
	r = rollback_to(&d->store, &m, d->conf.sshd_dir, evid, &rr);
	g->rollbacks++;
	snprintf(reason, sizeof(reason), "%s%s%s", reason_text,
	    r == 0 ? "" : "; rollback failed: ", r == 0 ? "" : rr.reason);
	guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rollback", r == 0,
	    m.gen, 0, rr.files, reason, NULL, evid);
	rb_result_free(&rr);
	g->good_gen = m.gen;
	sm_strlcpy(g->good_digest, m.digest, sizeof(g->good_digest));
	manifest_free(&m);
	daemon_set_deadline(d, DL_GRACE, 0);
	guard_read_closure(d, &cl);
	sm_strlcpy(g->seen_digest, cl.digest, sizeof(g->seen_digest));
	if (r == 0 && strcmp(cl.digest, g->good_digest) == 0 &&
	    g->state != GS_PAUSED)
		guard_set_state(d, GS_WATCHING);
	closure_free(&cl);
	return r;
}

int
guard_restore_now(struct daemon *d, const char *why)
{
	char reason[1024];
	int r;

	snprintf(reason, sizeof(reason), "sshd could not start: %s", why);
	if ((r = restore_latest(d, reason)) == 0)
		policies_on_rollback(d, d->guard.good_gen, 1, reason);
	return r;
}

int
guard_reset(struct daemon *d, int to_vendor, const char *why, int *changed,
    char *msg, size_t len)
{
	struct guard *g = &d->guard;
	struct closure cl;
	int same;

	*changed = 0;
	if (to_vendor) {
		if (guard_vendor_reset(d, why, msg, len) == -1)
			return -1;
		*changed = 1;
	} else {
		guard_read_closure(d, &cl);
		same = g->good_gen != 0 && strcmp(cl.digest, g->good_digest) == 0;
		closure_free(&cl);
		if (same) {
			snprintf(msg, len, "the sshd configuration is the "
			    "known-good generation %lu already", g->good_gen);
			return 0;
		}
		if (restore_latest(d, why) == -1) {
			snprintf(msg, len, "no usable known-good generation to "
			    "restore");
			return -1;
		}
		*changed = 1;
		snprintf(msg, len, "known-good generation %lu restored",
		    g->good_gen);
	}
	if (guard_reload_sshd(d, why) == -1) {
		sm_appendf(msg, len, "; ", "but sshd does not serve it");
		return -1;
	}
	g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
	sm_appendf(msg, len, "; ", "sshd serves it");
	return 0;
}

int
guard_vendor_reset(struct daemon *d, const char *why, char *msg, size_t len)
{
	struct guard *g = &d->guard;
	struct closure cl;
	struct stat st;
	char *buf = NULL, evid[33], reason[256];
	size_t blen, i;
	int r = -1;

	if (d->conf.sshd_vendor_config[0] == '\0' ||
	    fs_read_file(d->conf.sshd_vendor_config, CLOSURE_MAX_FILE_SIZE, 1,
	    &buf, &blen) == -1) {
		snprintf(msg, len, "no vendor default configuration (%s)",
		    d->conf.sshd_vendor_config[0] ? d->conf.sshd_vendor_config :
		    "sshd.vendor_config is empty");
		return -1;
	}
	random_id(evid);
	snprintf(reason, sizeof(reason), "%.100s: replaced by the vendor "
	    "default %s", why, d->conf.sshd_vendor_config);
	/*
	 * Every file of the failing closure goes to quarantine first; the
	 * included ones are then removed so the vendor default stands alone.
	 */
	guard_read_closure(d, &cl);
	for (i = 0; i < cl.nfiles; i++) {
		if (cl.files[i].role == CL_HOSTKEY ||
		    lstat(cl.files[i].path, &st) == -1)
			continue;
		if (store_quarantine_add(&d->store, evid, cl.files[i].path,
		    reason) == -1) {
			snprintf(msg, len, "quarantine %s: %s; nothing replaced",
			    cl.files[i].path, strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < cl.nfiles; i++)
		if (cl.files[i].role == CL_INCLUDE &&
		    cl.files[i].state == CL_REG && unlink(cl.files[i].path) == -1)
			error_f("unlink %s: %s", cl.files[i].path, strerror(errno));
	if (fs_write_atomic(d->conf.sshd_config, buf, blen, 0, 0, 0644) == -1) {
		snprintf(msg, len, "write %s: %s", d->conf.sshd_config,
		    strerror(errno));
		goto out;
	}
	snprintf(msg, len, "vendor default %s installed as %s (old files in "
	    "quarantine)", d->conf.sshd_vendor_config, d->conf.sshd_config);
	guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-vendor-default", 1,
	    g->good_gen, 0, d->conf.sshd_config, reason, NULL, evid);
	r = 0;
 out:
	closure_free(&cl);
	free(buf);
	if (r == -1)
		guard_emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-vendor-default",
		    0, g->good_gen, 0, d->conf.sshd_config, msg, NULL, evid);
	return r;
}

int
guard_adopt_current(struct daemon *d, const char *why)
{
	struct guard *g = &d->guard;
	struct closure cl;
	int r = 0;

	guard_read_closure(d, &cl);
	sm_strlcpy(g->seen_digest, cl.digest, sizeof(g->seen_digest));
	if (strcmp(cl.digest, g->good_digest) != 0) {
		r = guard_do_promote(d, &cl, why);
		g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
	}
	closure_free(&cl);
	return r;
}
