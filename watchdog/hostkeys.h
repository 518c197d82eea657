/*
 * Host keys are repaired, never restored: a missing or empty key is
 * regenerated with ssh-keygen, a key readable by others gets mode 0600.
 */
#ifndef SM_HOSTKEYS_H
#define SM_HOSTKEYS_H

#include <stddef.h>

/*
 * Checks the private host key at path. Predicate-like: 1 when it needs a
 * repair (what says why), 0 when it is fine.
 */
int	hostkey_needs_repair(const char *path, char *what, size_t len);

/*
 * Repairs the host key at path: regenerates it (type from the file name:
 * from a leftover .pub, else the name, else ed25519) into a temporary in the
 * same directory and renames it into place with its .pub, or fixes owner
 * root and mode 0600. A DSA key is not generated. 1 repaired (what says how), 0 nothing to
 * do, -1 failed (what says why).
 */
int	hostkey_repair(const char *path, char *what, size_t len);

#endif
