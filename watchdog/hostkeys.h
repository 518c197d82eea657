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

/*
 * The canary's own known-hosts file under paths.state: its ssh pins the
 * host key sshd serves at the first canary login (accept-new).
 */
#define HOSTKEY_CANARY_PIN	"canary_known_hosts"

/*
 * Forgets that pin, so that the next canary login pins the keys sshd
 * serves now: after host keys were regenerated (cloud-init at a first
 * boot, an admin's rotation) the old pin would fail every canary login
 * and have sshd restarted again and again. 1 removed, 0 there was none,
 * -1 with errno.
 */
int	hostkey_forget_pin(const char *state_dir);

#endif
