/*
 * The control protocol between `sshmedic` and `sshmedicd`: one request line
 * ("status", "rollback 3", "pause 900000", ...) over a root-only unix stream
 * socket, one JSON document back, then close.
 */
#ifndef SM_CTL_H
#define SM_CTL_H

#include <stddef.h>

#define CTL_MAX_REQUEST	1024
#define CTL_MAX_REPLY	(1024 * 1024)

/*
 * Client: connects to sock, sends req (one line, no newline needed), reads
 * the whole reply (bounded, timeout_ms). 0 with *reply malloc'd, -1 with
 * errno (ENOENT/ECONNREFUSED: daemon not running).
 */
int	ctl_request(const char *sock, const char *req, int timeout_ms,
	    char **reply);

/*
 * Server side: a listening socket at path, mode 0600, replacing a stale
 * socket file (never a regular file). fd or -1 with errno.
 */
int	ctl_listen(const char *path);

/* Peer credentials of a connected unix socket: 0/-1 with errno. */
int	ctl_peer_uid(int fd, unsigned int *uid, int *pid);

#endif
