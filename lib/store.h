/*
 * The store under paths.state: content-addressed blobs, one manifest per
 * known-good generation, the quarantine of rejected files, small state files.
 * Shared by the daemon and the CLI (which reads it when the daemon is down).
 *
 * Layout (all 0700/0600, root):
 *   blobs/ab/ab12...ef          sha256-named file contents
 *   gen/0000000001.manifest     one per generation
 *   quarantine/<time>-<evid>/   rejected files, each with a .meta beside it
 *   intent                      a rollback in progress (see rollback.h)
 *   guard.state                 pause, fight memory (key=value)
 */
#ifndef SM_STORE_H
#define SM_STORE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "closure.h"
#include "digest.h"

#define STORE_MAX_GENERATIONS	100000

struct mf_entry {
	char	*path;
	enum cl_role role;
	enum cl_state state;	/* CL_REG or CL_MISSING (explicit Include of an absent file) */
	uid_t	 uid;
	gid_t	 gid;
	mode_t	 mode;
	off_t	 size;
	char	 sha256[DIGEST_HEX_LEN + 1];	/* blob name; "" for host keys */
	char	*fingerprint;	/* host keys: "SHA256:..." public fingerprint, or NULL */
};

struct manifest {
	unsigned long gen;
	time_t	 when;
	char	*reason;	/* why it became known-good */
	char	*evid;		/* event id of the promotion */
	char	 digest[DIGEST_HEX_LEN + 1];	/* closure digest it was made from */
	struct mf_entry *e;
	size_t	 n;
	int	 usable;	/* every blob present and matching its hash */
	char	*unusable_reason;
};

struct store {
	char	*dir;
	int	 dirfd;
	int	 keep_generations;
	int	 keep_quarantine;
};

/*
 * Opens (creating with mode 0700 if needed) the store at dir. Refuses a
 * store directory not owned by the caller or writable by group/other.
 * 0/-1 with errno.
 */
int	store_open(struct store *st, const char *dir, int keep_generations,
	    int keep_quarantine);
/*
 * The same checks on a store that must already exist; creates nothing,
 * not even a missing subdirectory. 0/-1 with errno (ENOENT: none there).
 */
int	store_open_existing(struct store *st, const char *dir);
void	store_close(struct store *st);

/*
 * Records the closure as a new generation: every CL_REG non-hostkey file's
 * content as a blob (re-read and re-hashed; fails with ESTALE if it changed
 * since cl was read), host keys by fingerprint, then the manifest written
 * atomically. Prunes to keep_generations afterwards. *gen gets the new
 * number. 0/-1 with errno (ENOSPC leaves no partial file).
 */
int	store_commit(struct store *st, const struct closure *cl,
	    const char *reason, const char *evid, unsigned long *gen);

/* All generation numbers, ascending (malloc'd). 0/-1. */
int	store_list(struct store *st, unsigned long **gens, size_t *n);

/*
 * Loads a manifest and verifies every blob (m->usable, m->unusable_reason).
 * 0 loaded (usable or not), -1 with errno (ENOENT no such generation,
 * EBADMSG malformed manifest).
 */
int	store_load(struct store *st, unsigned long gen, struct manifest *m);

/* The newest usable generation: 0 found, -1 with ENOENT when none. */
int	store_latest(struct store *st, struct manifest *m);

void	manifest_free(struct manifest *m);

/* Reads a blob, verifying its hash. 0/-1 (EBADMSG on mismatch). */
int	store_blob_read(struct store *st, const char *sha256, char **buf,
	    size_t *len);

/* Entry of a manifest by path, or NULL. */
const struct mf_entry *manifest_find(const struct manifest *m,
	    const char *path);

/*
 * Quarantine: a directory per event, quarantine/<YYYYmmddTHHMMSS>-<evid>/.
 * store_quarantine_add copies whatever is at path (regular file content,
 * symlink target text, directory listing and its regular files one level
 * deep) into that directory, with a .meta file (original path, type, owner,
 * mode, size, sha256, reason). It never removes the original. 0/-1.
 */
int	store_quarantine_add(struct store *st, const char *evid,
	    const char *path, const char *reason);

/*
 * Quarantines the content of a regular file the caller has read safely
 * itself (a user's file, read without following links): buf/len with sb's
 * owner, mode and size in the .meta, under the original path. 0/-1.
 */
int	store_quarantine_buf(struct store *st, const char *evid,
	    const char *path, const struct stat *sb, const void *buf,
	    size_t len, const char *reason);

/*
 * Moves whatever is at path (a directory where a file belongs, a special
 * file, a file too big to copy) into the event's quarantine directory when
 * that is on the same filesystem, else to a hidden sibling
 * ".NAME.sshmedic-<evid>"; either way a .meta (with moved_to=) records it.
 * Never deletes anything. 0/-1 with errno (ENOENT: nothing at path).
 */
int	store_quarantine_move(struct store *st, const char *evid,
	    const char *path, const char *reason);

/* Newest-first list of quarantine directory names (malloc'd). 0/-1. */
int	store_quarantine_list(struct store *st, char ***names, size_t *n);

/* Small key=value state file under the store, written atomically. */
int	store_state_get(struct store *st, const char *key, char *val,
	    size_t vlen);	/* 0 found, -1 ENOENT */
int	store_state_set(struct store *st, const char *key, const char *val);
					/* val NULL removes the key */
/* Every key of guard.state, in file order (malloc'd). 0/-1 (EBADMSG). */
int	store_state_keys(struct store *st, char ***keys, size_t *n);

/*
 * Removes the temporaries a killed writer left in the store (names starting
 * with FS_TMP_PREFIX, down to quarantine/<event>/ and blobs/xx/). Only the
 * daemon calls it, at start, holding its pidfile lock: no writer is running.
 * Returns how many were removed.
 */
int	store_sweep_temps(struct store *st);
#define STORE_SWEEP_MAX	1000000	/* entries looked at per directory */

/* Fingerprint of a host key via ssh-keygen -l -f (malloc'd) or NULL. */
char	*store_hostkey_fingerprint(const char *path);

#endif
