/*
 * The config guard: decides what a change of the sshd closure means
 * (promote, wait, reject, roll back, back off) and carries it out.
 */
#ifndef SM_GUARD_H
#define SM_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "store.h"
#include "watch.h"

struct daemon;

enum guard_state {
	GS_NOBASELINE = 0,	/* no known-good generation yet; nothing is touched */
	GS_WATCHING,		/* closure equals the known-good generation */
	GS_CANDIDATE,		/* valid change, waiting to be served by sshd */
	GS_GRACE,		/* rejected change, waiting for the admin to fix it */
	GS_FIGHT,		/* same rejected content keeps coming back: backing off */
	GS_PAUSED,		/* sshmedic pause */
	GS_PROVISIONAL,		/* served, reverted unless a login confirms it */
	GS_NSTATES
};

#define GUARD_MAX_FIGHTS	8
#define GUARD_MAX_WRITERS	16

struct guard_fight {
	char	 digest[DIGEST_HEX_LEN + 1];
	int	 count;			/* rollbacks of this content in the window */
	int64_t	 first_ms;		/* monotonic */
	int64_t	 backoff_ms;		/* current backoff length */
	int64_t	 until_ms;		/* monotonic end of the backoff, 0 none */
};

struct guard_writer {
	int	 used;
	char	 path[512];		/* modified, not yet closed */
};

struct guard {
	enum guard_state state;
	unsigned long good_gen;		/* 0: none */
	char	 good_digest[DIGEST_HEX_LEN + 1];
	char	 seen_digest[DIGEST_HEX_LEN + 1];	/* last closure evaluated */
	char	 candidate_digest[DIGEST_HEX_LEN + 1];
	char	 rejected_digest[DIGEST_HEX_LEN + 1];
	char	 rejected_reason[512];
	int64_t	 paused_until_ms;	/* realtime; 0: not paused */
	int64_t	 good_pid_mtime;	/* sshd's pidfile when known-good was served */
	struct guard_fight fights[GUARD_MAX_FIGHTS];
	struct guard_writer writers[GUARD_MAX_WRITERS];
	int64_t	 writers_since_ms;	/* monotonic, first unclosed write */
	struct manifest good_m;		/* good_gen's manifest, see guard_good_manifest */
	int	 good_m_loaded;
	char	**dirs;			/* the closure's directories, last read */
	size_t	 ndirs;
	char	 last_evid[33];
	char	 prov_digest[DIGEST_HEX_LEN + 1];	/* provisional closure */
	int64_t	 prov_served_ms;	/* realtime sshd began serving it */
	int64_t	 prov_until_ms;		/* realtime it is reverted at */
	int64_t	 try_ms;		/* sshmedic try: next change, this long */
	unsigned long rollbacks;
	unsigned long rejections;
	unsigned long promotions;
};

/* Start-up: resume an interrupted rollback, load known-good, first look. */
void	guard_start(struct daemon *d);
/* Frees what the guard holds (at exit). */
void	guard_stop(struct daemon *d);
/* Every inotify event. */
void	guard_on_watch(struct daemon *d, const struct watch_ev *ev);
/* A deadline of the guard's slots passed. */
void	guard_on_deadline(struct daemon *d, int slot);
/* SIGHUP re-read the configuration: look again. */
void	guard_on_reconfig(struct daemon *d);

/*
 * Control requests; each returns 0 on success or -1 with msg set to the
 * reason it was refused, and fills msg with a one-line result.
 */
int	guard_pause(struct daemon *d, int64_t duration_ms, char *msg, size_t len);
int	guard_resume(struct daemon *d, char *msg, size_t len);
int	guard_rollback(struct daemon *d, unsigned long gen, char *msg, size_t len);
int	guard_promote(struct daemon *d, char *msg, size_t len);
/* sshmedic try: the next change is provisional for duration_ms. */
int	guard_try(struct daemon *d, int64_t duration_ms, char *msg, size_t len);

/*
 * A fresh login of a protected user (who) or of the canary: confirms a
 * provisional configuration. pid is the sshd process that opened the
 * session (0 for the canary, whose login is fresh by construction).
 */
void	guard_on_login(struct daemon *d, const char *who, long pid);

/*
 * For the ladder (live.c). guard_restore_now puts the newest usable
 * generation back at once, without grace or fight backoff: 0 restored, -1
 * not. guard_vendor_reset quarantines the closure and installs
 * sshd.vendor_config as the main file, its record giving why ("ladder
 * step 4", "policy NAME"): 0 done, -1 not (msg says why).
 */
int	guard_restore_now(struct daemon *d, const char *why);
/*
 * A reset of the sshd configuration asked for by a policy or a request:
 * to the newest usable known-good generation (nothing to do when the
 * closure is that already), or to the vendor default; then sshd is made
 * to serve it. *changed says whether files changed. 0/-1 (msg says).
 */
int	guard_reset(struct daemon *d, int to_vendor, const char *why,
	    int *changed, char *msg, size_t len);
int	guard_vendor_reset(struct daemon *d, const char *why, char *msg,
	    size_t len);
/*
 * The ladder brought sshd back on what is on disk now (repaired host keys,
 * the vendor default): that closure is served, so it becomes the newest
 * known-good generation. 0/-1.
 */
int	guard_adopt_current(struct daemon *d, const char *why);

const char *guard_state_name(enum guard_state);

#endif
