/*
 * Known-good credential snapshots in the store: a protected user's
 * authorized-keys files taken at a successful login, and sshd's PAM file.
 *
 * Layout: snap/<kind>/<name>/manifest plus one file per content, named by
 * its sha256, in the same directory; the manifest is written last.
 *
 *   sshmedic-snapshot 1
 *   kind <keys | pam>
 *   name <text>
 *   when <seconds since the epoch>
 *   evid <text | ->
 *   key <text | ->          (keys: the public key of that login)
 *   files <count>
 *   file <present 0|1> <uid> <gid> <mode, octal> <size> <sha256 | -> <path>
 *   end
 */
#ifndef SM_SNAP_H
#define SM_SNAP_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "digest.h"
#include "store.h"

#define SNAP_MAX_FILES	16		/* AuthorizedKeysFile takes a list */
#define SNAP_FILE_MAX	(1024 * 1024)	/* bytes per file */
#define SNAP_NAME_MAX	64

enum snap_kind {
	SNAP_KEYS = 0,
	SNAP_PAM,
};

struct snap_file {
	char	*path;
	int	 present;	/* 0: did not exist when taken */
	uid_t	 uid;
	gid_t	 gid;
	mode_t	 mode;
	off_t	 size;
	char	 sha256[DIGEST_HEX_LEN + 1];	/* "" when absent */
	char	*content;	/* NUL-terminated; NULL when absent */
	size_t	 len;
};

struct snap {
	enum snap_kind kind;
	char	 name[SNAP_NAME_MAX + 1];
	time_t	 when;
	char	*evid;		/* may be NULL */
	char	*key;		/* may be NULL */
	struct snap_file f[SNAP_MAX_FILES];
	size_t	 n;
};

/*
 * Adds a file to s (copies path and content; content NULL = absent).
 * 0, or -1 with errno (E2BIG: SNAP_MAX_FILES reached; EFBIG: content over
 * SNAP_FILE_MAX).
 */
int	snap_add(struct snap *s, const char *path, const void *content,
	    size_t len, uid_t uid, gid_t gid, mode_t mode);

/*
 * Writes s (name: sm_token_ok with "._-", at most SNAP_NAME_MAX) as the
 * snapshot of its kind and name: contents first, then the manifest
 * atomically, then contents no longer named are removed. A failure
 * leaves the previous snapshot whole. 0/-1 with errno.
 */
int	snap_save(struct store *st, const struct snap *s);

/*
 * Loads the snapshot of kind and name, every content verified against its
 * hash. 0, or -1 with errno (ENOENT: none; EBADMSG: malformed manifest or
 * a content missing or not matching: never to be restored). s is zeroed
 * first and must be freed with snap_free in both cases.
 */
int	snap_load(struct store *st, enum snap_kind kind, const char *name,
	    struct snap *s);

/* Predicate: a and b hold the same files, states and contents (1/0). */
int	snap_same(const struct snap *a, const struct snap *b);

/* The entry for path, or NULL. */
const struct snap_file *snap_find(const struct snap *s, const char *path);

void	snap_free(struct snap *s);

const char *snap_kind_name(enum snap_kind);

#endif
