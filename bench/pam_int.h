/*
 * bench/pam's parts: the PAM stacks timed in pam_stack.c, the daemon's
 * event intake and memory in pam_ingest.c, the report in pam.c.
 */
#ifndef SM_BENCH_PAM_INT_H
#define SM_BENCH_PAM_INT_H

#include <stdint.h>
#include <sys/types.h>

#define BP_USER		"root"		/* faillock needs a real user */

enum { ST_BASE, ST_MEDIC, ST_FAILLOCK, NSTACK };
enum { PH_AUTH_OK, PH_AUTH_FAIL, PH_ACCT_OK, PH_ACCT_FAIL, PH_SESSION,
	NPHASE };

extern const char *const ps_stack_name[NSTACK];
extern const char *const ps_phase_name[NPHASE];

/*
 * What the PAM child hands back (shared memory): per caller count (1,
 * then N), stack and phase, the quantiles of the call latency in
 * microseconds and the share of calls that were preempted or slept.
 */
struct bp_res {
	int		done;		/* the child got to its end */
	char		err[256];
	int		callers[2];
	double		p50[2][NSTACK][NPHASE], p99[2][NSTACK][NPHASE];
	/* The same over the calling thread's CPU time per call. */
	double		cp50[2][NSTACK][NPHASE], cp99[2][NSTACK][NPHASE];
	/*
	 * The wall-clock p99's own noise: how far the base stack's p99 over
	 * its even rounds is from its p99 over the odd ones.
	 */
	double		p99_noise[2][NPHASE];
	double		preempted[2][NSTACK][NPHASE];
	double		blocked[2][NSTACK][NPHASE];
	long long	ev_sent[2];	/* datagrams the module should send */
	long long	ev_got[2];	/* events_received grew by this */
	long long	ev_counted[2];	/* events_lost grew by this, or -1 */
	long long	wakeups[2];	/* reads a datagram's wakeup started */
	long long	dl_reads[2];	/* reads the hold-off's deadline started */
	double		wall_s[2];
};

/* The confdir the stacks go into, faillock's tally directory. */
void	ps_setup(const char *confdir, const char *tally);

/*
 * Writes the base, sshmedic and faillock stacks, each as an "ok" and a
 * "fail" service, the module sending to sock. Exits on failure.
 */
void	ps_write_stacks(const char *module, const char *sock);

/* Predicate: phase p is timed on stack s (faillock has no session part). */
int	ps_timed(int s, int p);

/*
 * Forks the child that times the stacks with 1, then callers callers, n
 * rounds each, into res. Its pid (-1: fork failed); res->done tells
 * whether it got to its end, res->err why not.
 */
pid_t	ps_start(struct bp_res *res, int callers, int n);

/* One run of senders against the daemon's event socket. */
struct pi_run {
	long long	attempted;	/* datagrams the senders tried */
	long long	sent;		/* accepted by the kernel */
	long long	dropped;	/* EAGAIN/ENOBUFS at the sender */
	long long	errors;		/* any other send error */
	long long	received;	/* events_received grew by this */
	long long	rejected;	/* events_rejected grew by this */
	long long	lost;		/* attempted - received */
	double		elapsed_ms;	/* first send -> last one received */
	double		eps;		/* received / elapsed */
};

/* The daemon's sockets; call once before anything below. */
void	pi_setup(const char *ctl_sock, const char *event_sock);

/*
 * The daemon's events_received and events_rejected, from the status
 * request `sshmedic --json status` makes. 0, or -1 (no answer).
 */
int	pi_status(uint64_t *received, uint64_t *rejected);

/*
 * One integer of the daemon's events status, e.g. events_lost (the drops
 * the module counted in the daemon's drop file), events_wakeups. -1 when
 * the daemon does not report it.
 */
long long pi_field(const char *key);

/* Polls status until it answers: 0, or -1 after timeout_ms. */
int	pi_wait_up(int timeout_ms);

/*
 * Polls until events_received reaches want or has not grown for
 * settle_ms (or timeout_ms passed). *got is its last value, *t_ms the
 * time (sb_now_ms) of the first poll that saw it. 0, or -1 (no answer).
 */
int	pi_wait_received(uint64_t want, int settle_ms, int timeout_ms,
	    uint64_t *got, double *t_ms);

/* Milliseconds one status request takes, the median of a few. */
double	pi_status_cost_ms(void);

/*
 * senders threads each send per datagrams as fast as they can, each on
 * its own socket: non-blocking as the module does (a full queue drops the
 * datagram, counted), or blocking (the kernel holds a sender until the
 * daemon has room: nothing is dropped). Exits on setup errors.
 */
void	pi_burst(int senders, int per, int blocking, struct pi_run *r);

/*
 * n auth_fail events, each for a distinct random user name, from one
 * blocking sender; waits until the daemon has them.
 */
void	pi_spray(int n, struct pi_run *r);

#endif
