/*
 * The daemon's end of the PAM event socket: datagrams from root only,
 * parsed defensively, counted into the fixed counter tables, persisted.
 */
#ifndef SM_EVENTS_H
#define SM_EVENTS_H

#include <stdint.h>
#include <sys/types.h>

#include "bgwrite.h"
#include "counters.h"

struct daemon;

/*
 * Persisted at most this often while events arrive, and at exit. The write
 * and its fsyncs (1-18 ms measured) happen in a forked child, so the loop
 * keeps reading datagrams meanwhile; the child is reaped at the next
 * deadline (EVENTS_REAP_MS).
 */
#define EVENTS_REAP_MS			20
#define EVENTS_SAVE_INTERVAL_MS		1000
/* Rejections are logged at most once per this interval (with a count). */
#define EVENTS_REJECT_LOG_MS		10000
/* Datagrams read per wakeup: the loop stays fair to its other fds. */
#define EVENTS_BATCH			256

/* The event socket's epoll tag (sshmedicd.c's loop). */
#define EVENTS_EV			6

/*
 * Hold-off, as a network driver's interrupt mitigation: after a wakeup
 * that read datagrams the socket leaves the epoll set for
 * EVENTS_HOLDOFF_MS and is read on a deadline instead, again and again
 * while datagrams keep coming; the first read that finds none puts it back
 * (epoll reports at once what arrived in between). While it is out, a
 * module's send only queues its datagram: with no sleeper on the socket
 * nothing is woken, so a burst of logins does not pay one wakeup of the
 * daemon (an IPI; ~10 us in a VM) per event. An idle daemon still sleeps
 * on the socket: no timer runs when nothing arrives. Only where the
 * socket's queue holds EVENTS_HOLDOFF_MIN_QLEN datagrams or more
 * (net.unix.max_dgram_qlen: systemd sets 512 at boot, the kernel's own
 * default was 10): a short queue would overflow during the hold-off.
 */
#define EVENTS_HOLDOFF_MS		1
#define EVENTS_HOLDOFF_MIN_QLEN		128
/* Predicate: the socket's queue is long enough for the hold-off. */
#define EVENTS_HOLDOFF_ON(ev)	((ev)->qlen >= EVENTS_HOLDOFF_MIN_QLEN)
/* Parked and epoll refuses it back (never seen): read this often. */
#define EVENTS_UNPARK_RETRY_MS		100

/*
 * One login refused by PAM's account phase reaches the daemon twice when
 * the module's denied line saw it: its datagram, and sshd's "Failed
 * publickey" of a good key. Each source records it here; the second, from
 * the other source within EVENTS_DEDUP_MS for the same user, is the same
 * login. A denial the module did not see (a broken module line, another
 * module denying) comes from the log alone and is counted.
 */
#define EVENTS_DEDUP		16
#define EVENTS_DEDUP_MS		5000
enum ev_src { EVS_PAM = 1, EVS_LOG };

struct events {
	int		 fd;		/* -1: not open */
	long		 qlen;		/* max_dgram_qlen at bind, -1 unknown */
	int		 parked;	/* out of the epoll set, read on DL_EVREAD */
	int		 park_failed;	/* epoll_ctl refused, logged once */
	uint64_t	 wakeups;	/* reads started by epoll */
	uint64_t	 deadline_reads; /* reads started by DL_EVREAD */
	int		 have_counters;
	struct counters	 counters;
	char		*sock_path;
	char		*state_path;	/* paths.state/counters */
	uint64_t	 received;	/* accepted and parsed */
	uint64_t	 rejected;	/* refused: credentials or format */
	uint64_t	 rejected_cred;
	uint64_t	 rejected_format;
	uint64_t	 other_service;	/* from a PAM service that is not sshd's */
	uint64_t	 save_errors;
	int		 dirty;		/* counters changed since the last save */
	struct bgwrite	 saver;		/* the child writing them now */
	int64_t		 last_save_ms;	/* monotonic */
	int64_t		 rej_log_ms;	/* monotonic, last rejection logged */
	uint64_t	 rej_unlogged;	/* rejections not yet logged */
	/*
	 * The module's drop file (paths.run/event.drops): one byte per event
	 * it could not send (no daemon, queue full). Read at start (what was
	 * lost while down), then kept open and measured.
	 */
	int		 drops_fd;
	char		*drops_path;
	uint64_t	 lost_before;	/* counted in the file found at start */
	/*
	 * Failures no user can be named for (sshd's "PAM: initialisation
	 * failed": the stack broke before the user was asked): the recent
	 * ones, for no_success; not persisted.
	 */
	int64_t		 anon_ring[COUNTERS_RING];	/* realtime */
	uint32_t	 anon_n, anon_pos;
	uint64_t	 anon_failures;
	struct {
		char	 user[65];
		int64_t	 at_ms;		/* monotonic; 0 free */
		enum ev_src src;
	} denied[EVENTS_DEDUP];
	size_t		 denied_pos;
	uint64_t	 denied_twice;	/* second reports of one login, not counted */
	/* What events_record counted since this start, by source (metrics). */
	uint64_t	 seen_fail[EVS_LOG + 1];
	uint64_t	 seen_ok[EVS_LOG + 1];
	int64_t		 last_ok_ms;	/* realtime of the newest login, 0 none */
};

/*
 * Creates the counter tables from the config (loading paths.state/counters
 * when it exists and parses; a corrupt file is logged and set aside) and
 * binds the event socket (AF_UNIX datagram, mode 0666: the credentials,
 * not the mode, decide). 0 on success, -1 with errno.
 */
int	events_open(struct daemon *d);

/*
 * One authentication event, from the PAM socket (src EVS_PAM) or from
 * sshd's own log (EVS_LOG, authlog.c): counted per user and source
 * address, then handed to the policies.
 */
struct sm_event;
void	events_record(struct daemon *d, const struct sm_event *e,
	    enum ev_src src);

/*
 * Predicate: the other source reported this user's denied login already
 * (that record consumed); else this one is recorded for the other. 1/0.
 */
int	events_denied_seen(struct daemon *d, const char *user, enum ev_src src);

/* Events the module could not send, since this daemon started and before. */
uint64_t events_lost(const struct events *ev);

/* Failures without a user at or after since_ms, among the last COUNTERS_RING. */
unsigned int events_anon_recent(const struct events *ev, int64_t since_ms);

/*
 * Reads the pending datagrams (at most EVENTS_BATCH), from epoll's wakeup
 * (from_deadline 0) or DL_EVREAD's (1); then parks or unparks the socket
 * (EVENTS_HOLDOFF_MS).
 */
void	events_handle(struct daemon *d, int from_deadline);

/* DL_EVENTS: writes the counters if they changed. */
void	events_on_deadline(struct daemon *d);

/*
 * 1 when the counters on disk are the ones in memory (none changed since
 * the last write, none in flight), or when none are kept.
 */
int	events_counters_durable(struct daemon *d);

/* Waits for a write in flight, then writes what changed since, in place. */
void	events_flush(struct daemon *d);

/* Saves the counters, closes and removes the socket. */
void	events_close(struct daemon *d);

#endif
