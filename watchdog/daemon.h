/*
 * State shared by the parts of sshmedicd: the configuration, the store, the
 * descriptors of the one epoll loop and the deadlines its timerfd serves.
 */
#ifndef SM_DAEMON_H
#define SM_DAEMON_H

#include <stdint.h>

#include "conf.h"
#include "store.h"
#include "guard.h"
#include "live.h"
#include "events.h"
#include "policies.h"
#include "creds.h"
#include "authlog.h"
#include "metrics.h"

/* Everything the loop waits for has one deadline slot (monotonic ms, 0 = off). */
enum dl_slot {
	DL_DEBOUNCE = 0,	/* a burst of file events settled */
	DL_GRACE,		/* the admin's time to fix a rejected edit ran out */
	DL_PAUSE,		/* sshmedic pause ends */
	DL_FIGHT,		/* fight backoff ends */
	DL_SERVE,		/* a valid change waited too long to be served */
	DL_PROBE,		/* next banner probe */
	DL_RESTART,		/* next rung of the ladder */
	DL_CANARY,		/* next canary login */
	DL_WATCHDOG,		/* next WATCHDOG=1 to systemd */
	DL_EVENTS,		/* counters due to be saved */
	DL_CONFIRM,		/* a provisional change is reverted */
	DL_REQUESTS,		/* request files to process (a burst's rest) */
	DL_AUTHLOG,		/* sshd's log: read on, save the position, restart */
	DL_METRICS,		/* metrics.textfile: write, or reap its writer */
	DL_EVREAD,		/* the parked event socket is read (hold-off) */
	DL_NSLOTS
};

struct daemon {
	struct sm_conf conf;
	const char *conf_path;
	int	 conf_flags;		/* conf_load's: -f makes it required */
	int	 foreground;
	int	 debug;

	int	 epfd;
	int	 sigfd;
	int	 timerfd;
	int	 inofd;
	int	 ctlfd;
	int	 lockfd;		/* pidfile, locked: single instance */

	struct store store;
	struct guard guard;
	struct live live;
	struct events events;
	struct policies pol;		/* the policy engine */
	struct creds_state creds;	/* what the last sessions proved */
	struct authlog authlog;		/* sshd's log: rejected keys */
	struct metrics metrics;		/* metrics.textfile */
	int64_t	 watchdog_ms;		/* systemd WatchdogSec / 2, 0 off */

	int64_t	 deadline[DL_NSLOTS];
	int	 quit;
	int64_t	 started_ms;		/* realtime */
};

/* Adds fd to the loop's epoll set, readable events tagged tag. 0/-1 (errno). */
int	daemon_epoll_add(struct daemon *d, int fd, uint64_t tag);

/* Sets or clears (when_ms 0) a deadline; the loop re-arms its timerfd. */
void	daemon_set_deadline(struct daemon *d, enum dl_slot slot, int64_t when_ms);

#endif
