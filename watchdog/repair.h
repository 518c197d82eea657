/*
 * Ladder step 3: the repairs of LOCKOUTS.md whose checks fail when sshd
 * will not start (privsep directory, host keys, a port held by another).
 */
#ifndef SM_REPAIR_H
#define SM_REPAIR_H

#include <stddef.h>
#include <sys/types.h>

struct daemon;

/*
 * Runs every check and applies the remedies policy allows; each one is
 * audited. did gets a one-line summary. Returns the number of repairs made.
 */
int	repair_all(struct daemon *d, char *did, size_t len);

/*
 * S6: the process listening on TCP port (any address), found through
 * /proc/net/tcp{,6} and the fds under /proc. 1 found (pid, comm set), 0 not.
 */
int	repair_port_holder(int port, pid_t *pid, char *comm, size_t len);

#endif
