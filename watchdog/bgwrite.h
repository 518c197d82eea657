/*
 * A forked child that writes one file (temporary, fsync, rename) while the
 * daemon's loop goes on; the loop reaps it at a short deadline.
 */
#ifndef SM_BGWRITE_H
#define SM_BGWRITE_H

#include <sys/types.h>

struct daemon;

struct bgwrite {
	pid_t	 pid;		/* the child writing now, 0 none */
};

/*
 * Forks a child that runs fn(arg) and exits 0 when it returned 0, 1
 * otherwise; it closes the pidfile's lock first. 0 started, -1 fork failed
 * (errno; the caller writes in place).
 */
int	bgwrite_start(struct daemon *d, struct bgwrite *w, int (*fn)(void *),
	    void *arg);

/*
 * The child, if any: 1 still running, 0 none or it succeeded, -1 it failed
 * (or was killed). block waits for it (at exit).
 */
int	bgwrite_reap(struct bgwrite *w, int block);

#endif
