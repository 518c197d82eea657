/*
 * Between live.c (the master and the ladder) and live_probe.c (banner
 * probe and canary); not for the rest of the daemon.
 */
#ifndef SM_LIVE_INT_H
#define SM_LIVE_INT_H

#include <sys/types.h>

#include "live.h"

struct daemon;

/* An event with unit=sshd, also logged. */
void	live_emit(struct daemon *d, int type, const char *op, int ok,
	    const char *reason);
/* Holds pid through a pidfd in the loop. 0/-1 (the process is gone). */
int	live_adopt(struct daemon *d, pid_t pid);
/* sshd is down or useless (cause): audit it and start climbing now. */
void	live_down(struct daemon *d, enum live_cause cause, const char *why);
/* Arms the next banner probe and canary login as configured. */
void	live_arm_probe(struct daemon *d);
/* The deadlines of live_probe.c. */
void	live_probe(struct daemon *d);
void	live_canary(struct daemon *d);

#endif
