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

#include "closure.h"
#include "daemon.h"
#include "fsutil.h"
#include "guard.h"
#include "log.h"
#include "misc.h"
#include "report.h"
#include "rollback.h"
#include "sshd.h"
#include "store.h"
#include "validate.h"
#include "xmalloc.h"

#ifndef AUDIT_RESP_ANOMALY
#define AUDIT_RESP_ANOMALY 2200
#endif

#define FILES_MAX	4096

static const char *state_names[GS_NSTATES] = {
	"nobaseline", "watching", "candidate", "grace", "fight", "paused",
};

const char *
guard_state_name(enum guard_state s)
{
	return s < GS_NSTATES ? state_names[s] : "unknown";
}

static void
set_state(struct daemon *d, enum guard_state s)
{
	if (d->guard.state != s)
		debug_f("guard %s -> %s", guard_state_name(d->guard.state),
		    guard_state_name(s));
	d->guard.state = s;
}

/* One event to audit, syslog and JSON; remembers its id for status. */
static void
emit(struct daemon *d, int type, const char *op, int ok, unsigned long gen,
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
static void
changed_files(const struct closure *cl, const struct manifest *m,
    char *buf, size_t len)
{
	const struct mf_entry *e;
	const struct cl_file *f;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < cl->nfiles; i++) {
		f = &cl->files[i];
		if (f->role == CL_HOSTKEY)
			continue;
		e = m != NULL ? manifest_find(m, f->path) : NULL;
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

static char *
pidfile_dir(const struct sm_conf *c)
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
static void
read_closure(struct daemon *d, struct closure *cl)
{
	char *pdir = pidfile_dir(&d->conf);
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

/* Makes the closure a new known-good generation. 0/-1. */
static int
promote(struct daemon *d, const struct closure *cl, const char *why)
{
	struct guard *g = &d->guard;
	struct manifest prev;
	unsigned long gen = 0, prev_gen = g->good_gen;
	char files[FILES_MAX], evid[33], reason[256];
	int have_prev = 0;

	random_id(evid);
	files[0] = '\0';
	if (prev_gen != 0 && store_load(&d->store, prev_gen, &prev) == 0) {
		have_prev = 1;
		changed_files(cl, &prev, files, sizeof(files));
	}
	if (store_commit(&d->store, cl, why, evid, &gen) == -1) {
		snprintf(reason, sizeof(reason), "store: %s; generation %lu "
		    "stays the rollback target", strerror(errno), prev_gen);
		emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-promoted", 0,
		    prev_gen, 0, files, reason, NULL, evid);
		if (have_prev)
			manifest_free(&prev);
		return -1;
	}
	if (have_prev)
		manifest_free(&prev);
	g->good_gen = gen;
	sm_strlcpy(g->good_digest, cl->digest, sizeof(g->good_digest));
	g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
	g->candidate_digest[0] = '\0';
	g->promotions++;
	emit(d, AUDIT_USYS_CONFIG, prev_gen == 0 ? "sshmedic-config-baseline" :
	    "sshmedic-config-promoted", 1, gen, prev_gen,
	    files[0] != '\0' ? files : NULL, why, NULL, evid);
	set_state(d, GS_WATCHING);
	daemon_set_deadline(d, DL_SERVE, 0);
	return 0;
}

/*
 * A valid candidate is promoted once sshd is seen serving it: sshd rewrote
 * its pidfile after the newest edit (it does so on every start and reload,
 * after binding), and the banner answers. Without a baseline there is no
 * edit to compare with: a running, answering sshd is enough.
 */
static void
try_promote(struct daemon *d, const struct closure *cl, const char *why)
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
	promote(d, cl, why);
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
static int
reload_sshd(struct daemon *d, const char *why)
{
	char reason[512], msg[600];
	int started = 0, r;

	r = sshd_reload_and_wait(&d->conf, d->conf.sshd_test_timeout_ms +
	    d->conf.probe_timeout_ms, &started, reason, sizeof(reason));
	snprintf(msg, sizeof(msg), "%s%s%s", why, r == 0 ? "" : ": ",
	    r == 0 ? "" : reason);
	emit(d, AUDIT_SERVICE_START, started ? "sshmedic-sshd-start" :
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
	if (reload_sshd(d, "serve the restored known-good configuration") == 0) {
		g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
		snprintf(msg, len, "sshd reloaded and serves generation %lu",
		    g->good_gen);
		return 0;
	}
	snprintf(msg, len, "sshd does not serve generation %lu", g->good_gen);
	return -1;
}

/* Puts the known-good generation back; the fight check first. */
static void
do_rollback(struct daemon *d, const char *why)
{
	struct guard *g = &d->guard;
	struct guard_fight *f;
	struct manifest m;
	struct rb_result rr;
	struct closure cl;
	char evid[33], reason[1024], served[256];
	int64_t now = monotime_ms();
	int r;

	f = fight_slot(g, g->rejected_digest, now, d->conf.fight_window_ms);
	if (f->count >= d->conf.fight_limit) {
		f->backoff_ms = f->backoff_ms == 0 ? d->conf.fight_backoff_ms :
		    f->backoff_ms * 2;
		if (f->backoff_ms > 86400000)
			f->backoff_ms = 86400000;
		snprintf(reason, sizeof(reason), "the same rejected content came "
		    "back after %d rollbacks; not rolling back for %lld s; sshd "
		    "keeps the configuration it has loaded", f->count,
		    (long long)(f->backoff_ms / 1000));
		emit(d, AUDIT_RESP_ANOMALY, "sshmedic-config-fight", 0,
		    g->good_gen, 0, NULL, reason, NULL, NULL);
		daemon_set_deadline(d, DL_FIGHT, now + f->backoff_ms);
		daemon_set_deadline(d, DL_GRACE, 0);
		set_state(d, GS_FIGHT);
		return;
	}
	memset(&m, 0, sizeof(m));
	if ((r = store_load(&d->store, g->good_gen, &m)) == -1 || !m.usable) {
		/* Corrupt since start: fall back to the newest usable one. */
		if (r == 0)
			manifest_free(&m);
		if (store_latest(&d->store, &m) == -1) {
			emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rollback", 0,
			    0, 0, NULL, "no usable known-good generation; "
			    "nothing changed", NULL, NULL);
			set_state(d, GS_NOBASELINE);
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
	read_closure(d, &cl);
	sm_strlcpy(g->seen_digest, cl.digest, sizeof(g->seen_digest));
	served[0] = '\0';
	if (r == 0 && strcmp(cl.digest, g->good_digest) != 0) {
		r = -1;
		snprintf(rr.reason, sizeof(rr.reason), "the closure still "
		    "differs from generation %lu after the restore", m.gen);
	}
	if (r == 0) {
		set_state(d, GS_WATCHING);
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
	emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rollback", r == 0, m.gen, 0,
	    rr.files, reason, NULL, evid);
	rb_result_free(&rr);
	manifest_free(&m);
}

/*
 * sshd -t accepts some broken shapes: a main config that is a directory is
 * read as empty, an Include of a dangling symlink or of a directory matches
 * nothing. Each of those silently drops configuration the admin had, so the
 * guard rejects them itself. 1 with reason set when the shape is broken.
 */
static int
closure_broken_shape(const struct closure *cl, char *reason, size_t len)
{
	const struct cl_file *f;
	size_t i;

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

/*
 * The closure on disk is looked at again: the heart of the guard. force
 * evaluates even when nothing changed since the last look.
 */
static void
look(struct daemon *d, int force)
{
	struct guard *g = &d->guard;
	struct closure cl;
	struct manifest m;
	struct vd_result vr;
	char files[FILES_MAX];
	int have_m = 0;

	read_closure(d, &cl);
	if (!force && strcmp(cl.digest, g->seen_digest) == 0)
		goto out;
	sm_strlcpy(g->seen_digest, cl.digest, sizeof(g->seen_digest));
	if (g->state == GS_PAUSED)
		goto out;
	if (g->good_gen != 0 && strcmp(cl.digest, g->good_digest) == 0) {
		/* Back to known-good (an edit undone): nothing to decide. */
		if (g->state != GS_WATCHING)
			emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-changed", 1,
			    g->good_gen, 0, NULL, "closure equals the known-good "
			    "generation again", NULL, NULL);
		daemon_set_deadline(d, DL_GRACE, 0);
		g->candidate_digest[0] = '\0';
		set_state(d, GS_WATCHING);
		goto out;
	}
	if (g->state == GS_FIGHT && strcmp(cl.digest, g->rejected_digest) == 0)
		goto out;

	if (g->good_gen != 0 && store_load(&d->store, g->good_gen, &m) == 0)
		have_m = 1;
	changed_files(&cl, have_m ? &m : NULL, files, sizeof(files));
	if (have_m)
		manifest_free(&m);
	if (g->good_gen != 0)
		emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-changed", 1,
		    g->good_gen, 0, files, NULL, NULL, NULL);

	memset(&vr, 0, sizeof(vr));
	if (closure_broken_shape(&cl, vr.reason, sizeof(vr.reason)))
		vr.verdict = VD_SYNTAX;
	else
		validate_config(&d->conf, &vr);
	switch (vr.verdict) {
	case VD_VALID:
		daemon_set_deadline(d, DL_GRACE, 0);
		sm_strlcpy(g->candidate_digest, cl.digest,
		    sizeof(g->candidate_digest));
		set_state(d, GS_CANDIDATE);
		if (g->good_gen != 0)
			emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-valid", 1,
			    g->good_gen, 0, files, "passed sshd -t and the "
			    "lockout guard; promoted once sshd serves it",
			    NULL, NULL);
		if (d->conf.apply && g->good_gen != 0)
			reload_sshd(d, "apply the validated configuration");
		try_promote(d, &cl, g->good_gen == 0 ? "first known-good "
		    "configuration" : "validated and served by sshd");
		break;
	case VD_ERROR:
		/* Not knowing is no reason to touch anything. */
		emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rejected", 0,
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
			emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-nobaseline",
			    0, 0, 0, NULL, vr.reason, vr.detail, NULL);
			error_f("NO KNOWN-GOOD CONFIGURATION: the sshd "
			    "configuration is invalid and sshmedic has no "
			    "generation to restore; nothing was changed");
			set_state(d, GS_NOBASELINE);
			break;
		}
		emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rejected", 0,
		    g->good_gen, 0, files, vr.reason, vr.detail, NULL);
		if (d->conf.grace_ms == 0) {
			do_rollback(d, vr.reason);
			break;
		}
		/* Grace runs from the first rejection; edits do not extend it. */
		if (g->state != GS_GRACE) {
			daemon_set_deadline(d, DL_GRACE,
			    monotime_ms() + d->conf.grace_ms);
			set_state(d, GS_GRACE);
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
			if (mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM))
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
		free_slot->used = 1;
		sm_strlcpy(free_slot->path, path, sizeof(free_slot->path));
	}
}

void
guard_on_watch(struct daemon *d, const struct watch_ev *ev)
{
	char path[1024], *pdir;
	int is_pidfile;

	snprintf(path, sizeof(path), "%s/%s", ev->dir, ev->name);
	pdir = pidfile_dir(&d->conf);
	is_pidfile = strcmp(pdir, ev->dir) == 0 &&
	    strcmp(path, d->conf.sshd_pidfile) == 0;
	free(pdir);
	if (is_pidfile) {
		if ((ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) &&
		    d->guard.state == GS_CANDIDATE) {
			struct closure cl;

			read_closure(d, &cl);
			if (strcmp(cl.digest, d->guard.candidate_digest) == 0)
				try_promote(d, &cl, "validated and served by sshd");
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
		look(d, 0);
		break;
	case DL_GRACE:
		if (g->state != GS_GRACE)
			return;
		/* The admin may have fixed it in the meantime. */
		g->seen_digest[0] = '\0';
		look(d, 1);
		if (g->state == GS_GRACE)
			do_rollback(d, g->rejected_reason);
		break;
	case DL_PAUSE:
		if (g->state == GS_PAUSED)
			guard_resume(d, NULL, 0);
		break;
	case DL_FIGHT:
		if (g->state == GS_FIGHT) {
			set_state(d, GS_WATCHING);
			look(d, 1);
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
}

void
guard_on_reconfig(struct daemon *d)
{
	if (d->guard.state != GS_PAUSED)
		look(d, 1);
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
			emit(d, AUDIT_USYS_CONFIG, "sshmedic-store-corrupt", 0,
			    gens[i], 0, NULL, "manifest unreadable or malformed; "
			    "this generation is never restored", NULL, NULL);
			continue;
		}
		if (!m.usable)
			emit(d, AUDIT_USYS_CONFIG, "sshmedic-store-corrupt", 0,
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
	set_state(d, GS_WATCHING);
	memset(&rr, 0, sizeof(rr));
	if ((r = rollback_resume(&d->store, d->conf.sshd_dir, &rr, &gen,
	    evid)) != 0)
		emit(d, AUDIT_USYS_CONFIG, "sshmedic-rollback-resume", r == 1,
		    gen, 0, rr.files, r == 1 ? "completed a rollback that was "
		    "interrupted" : rr.reason, NULL, NULL);
	rb_result_free(&rr);
	verify_store(d);
	if (store_latest(&d->store, &m) == 0) {
		g->good_gen = m.gen;
		sm_strlcpy(g->good_digest, m.digest, sizeof(g->good_digest));
		manifest_free(&m);
	} else
		set_state(d, GS_NOBASELINE);

	if (store_state_get(&d->store, "paused_until", val, sizeof(val)) == 0 &&
	    parse_ll(val, 0, INT64_MAX, &until) == 0 && until > realtime_ms()) {
		g->paused_until_ms = until;
		set_state(d, GS_PAUSED);
		daemon_set_deadline(d, DL_PAUSE,
		    monotime_ms() + (until - realtime_ms()));
		logit("guard paused until %lld (set before the restart)", until);
	}
	look(d, 1);
	if (r == 1)
		reload_sshd(d, "serve the configuration of the completed rollback");
	/* What sshd serves now is taken to be what it loaded last. */
	if (g->state == GS_WATCHING && g->good_pid_mtime == 0)
		g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
}

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
	set_state(d, GS_PAUSED);
	snprintf(reason, sizeof(reason), "paused for %lld s",
	    (long long)(duration_ms / 1000));
	emit(d, AUDIT_USYS_CONFIG, "sshmedic-guard-pause", 1, g->good_gen, 0,
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
	set_state(d, g->good_gen != 0 ? GS_WATCHING : GS_NOBASELINE);
	emit(d, AUDIT_USYS_CONFIG, "sshmedic-guard-resume", 1, g->good_gen, 0,
	    NULL, msg == NULL ? "pause ended" : "resumed on request", NULL, NULL);
	if (msg != NULL)
		snprintf(msg, len, "guard resumed");
	look(d, 1);
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
	emit(d, AUDIT_USYS_CONFIG, "sshmedic-config-rollback", r == 0, gen,
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
	if (reload_sshd(d, "serve the generation restored on request") == 0)
		g->good_pid_mtime = sshd_pidfile_mtime_ms(&d->conf);
	/* An older generation put back becomes the newest known-good. */
	read_closure(d, &cl);
	sm_strlcpy(g->seen_digest, cl.digest, sizeof(g->seen_digest));
	if (strcmp(cl.digest, g->good_digest) != 0) {
		snprintf(reason, sizeof(reason), "rollback to generation %lu "
		    "requested by root", gen);
		promote(d, &cl, reason);
	}
	set_state(d, GS_WATCHING);
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

	read_closure(d, &cl);
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
	reload_sshd(d, "promote requested by root");
	if (!sshd_probe_banner(&d->conf, vr.reason, sizeof(vr.reason))) {
		snprintf(msg, len, "refused: sshd does not serve it: %s",
		    vr.reason);
		goto out;
	}
	sm_strlcpy(g->seen_digest, cl.digest, sizeof(g->seen_digest));
	if (promote(d, &cl, "promoted on request") == -1) {
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
