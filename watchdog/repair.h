/*
 * Ladder step 3: the repairs of LOCKOUTS.md whose checks fail when sshd
 * will not start (privsep directory, host keys, a port held by another).
 */
#ifndef SM_REPAIR_H
#define SM_REPAIR_H

#include <stddef.h>

struct daemon;

/*
 * Runs every check and applies the remedies policy allows; each one is
 * audited. did gets a one-line summary. Returns the number of repairs made.
 */
int	repair_all(struct daemon *d, char *did, size_t len);

#endif
