/*
 * The inotify side of the guard, through libinotifytools: keeps the set of
 * watched directories equal to the closure's, hands events to the guard.
 */
#ifndef SM_WATCH_H
#define SM_WATCH_H

#include <stdint.h>

/* Mask used for every watched directory. */
#define WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | \
	IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | \
	IN_MOVE_SELF | IN_ONLYDIR)

struct watch_ev {
	const char *dir;	/* watched directory */
	const char *name;	/* entry name, "" for the directory itself */
	uint32_t mask;
};

/*
 * Initialises libinotifytools and returns its descriptor for epoll (the
 * library keeps it private; we learn it as the lowest free descriptor it
 * takes and check that it is an inotify instance). fd or -1 with errno.
 */
int	watch_init(void);

/*
 * Makes the watched set exactly dirs (plus extra, may be NULL): new ones
 * added, the rest removed. A directory that cannot be watched is logged
 * and retried on the next call. Returns the number of watches added.
 */
int	watch_set(char **dirs, size_t ndirs, const char *extra);

/* Directories kept watched for parts other than the guard (watch_pin). */
#define WATCH_PINS	2
#define WATCH_PIN_AUTHLOG	0	/* the directory of authlog.file */
#define WATCH_PIN_REQUESTS	1	/* paths.requests */

/*
 * Keeps dir watched for another part of the daemon whatever watch_set is
 * given (its events reach the same callback; the guard ignores them); NULL
 * drops the pin of slot (the watch goes at the next watch_set unless the
 * closure needs it). Predicate: 1 when dir is watched now, 0 when it could
 * not be (gone, or no room): call again later.
 */
int	watch_pin(int slot, const char *dir);

/*
 * Drains every pending event, calling cb for each. Returns the number of
 * events seen; a watched directory that went away is dropped from the set
 * (cb still sees its IN_DELETE_SELF/IN_IGNORED).
 */
int	watch_drain(void (*cb)(void *arg, const struct watch_ev *ev), void *arg);

void	watch_close(void);

#endif
