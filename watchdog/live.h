/*
 * sshd's liveness: the master held through a pidfd, the banner probe, the
 * canary login, and the escalation ladder that brings sshd back.
 */
#ifndef SM_LIVE_H
#define SM_LIVE_H

#include <stdint.h>
#include <sys/types.h>

struct daemon;

enum ladder_step {
	LADDER_IDLE = 0,	/* sshd serves */
	LADDER_RESTART,		/* 1: start as configured */
	LADDER_ROLLBACK,	/* 2: invalid closure: known-good, then start */
	LADDER_REPAIR,		/* 3: the repairs whose checks fail, then start */
	LADDER_VENDOR,		/* 4: the vendor default configuration */
	LADDER_LOUD,		/* 5: keep trying at the cap, loudly */
	LADDER_NSTEPS
};

#define LIVE_BURST_MAX	1000

/* Why sshd had to be brought back (each one starts the ladder). */
enum live_cause {
	LIVE_EXITED = 0,	/* S1: the master exited (pidfd) */
	LIVE_UNRESPONSIVE,	/* S2: alive, banner probes missed: killed */
	LIVE_NOT_RUNNING,	/* no master at start, or the pidfile is stale */
	LIVE_CANARY,		/* the canary login kept failing */
	LIVE_NCAUSES
};

struct live {
	pid_t	 pid;			/* adopted sshd master, 0 none */
	int	 pidfd;			/* -1 none */
	int	 misses;		/* banner probes failed in a row */
	int	 canary_misses;
	int	 canary_failing;	/* kept across a restart: say when it works again */
	enum ladder_step step;
	int	 attempts;		/* start attempts since sshd went down */
	int64_t	 backoff_ms;
	int64_t	 down_since_ms;		/* realtime, 0 when up */
	int64_t	*restarts;		/* monotonic times, ring of restart.burst */
	size_t	 nrestarts;
	char	 last_error[512];	/* why the last start failed */
	unsigned long deaths;
	unsigned long starts;
	unsigned long start_failures;
	unsigned long down[LIVE_NCAUSES];	/* deaths by cause */
	int64_t	 probe_ok_ms;		/* realtime of the last banner answer */
};

/* Adopts a running sshd or starts the ladder; arms probes. */
void	live_start(struct daemon *d);
void	live_stop(struct daemon *d);
/* The pidfd became readable: the master exited. */
void	live_on_pidfd(struct daemon *d);
/* sshd rewrote its pidfile: follow the (maybe new) master. */
void	live_on_pidfile(struct daemon *d);
/* DL_PROBE, DL_RESTART or DL_CANARY passed. */
void	live_on_deadline(struct daemon *d, int slot);
/* SIGHUP: probe and canary settings may have changed. */
void	live_on_reconfig(struct daemon *d);

const char *live_step_name(enum ladder_step);
/* "exited", "unresponsive", "not_running", "canary". */
const char *live_cause_name(enum live_cause);

#endif
