/*
 * Files in users' homes, handled as root without following a symlink the
 * user could have planted, and sshd's StrictModes rules checked and fixed.
 */
#ifndef SM_HOMEFS_H
#define SM_HOMEFS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define HF_MAX_DEPTH	64	/* components in one path */

/* The account a path belongs to (from getpwnam). */
struct hf_user {
	const char *name;
	uid_t	 uid;
	gid_t	 gid;		/* primary group */
	const char *home;	/* absolute */
};

/*
 * Fills u from the password database into the caller's buffer (home points
 * into buf). 0, or -1 with errno (ENOENT: no such user; ERANGE: buf small).
 */
int	hf_user_lookup(const char *name, struct hf_user *u, char *buf,
	    size_t len);

/*
 * The walk rules, for every path these functions take (absolute, no "."
 * or ".." components, at most HF_MAX_DEPTH components):
 * - below the home directory no symlink is ever followed (ELOOP);
 * - elsewhere (the home itself, its parents, paths outside the home) a
 *   symlink is followed only when root owns it and the directory holding
 *   it is root's and not writable by group or other: root placed it.
 *
 * Opens the directory that holds path and copies the last component to
 * base. With create, missing directories below the home are made (mode
 * 0700, owned by the user and its primary group). The directory fd, or -1
 * with errno (ELOOP, ENOENT, ENOTDIR, EINVAL) and err set.
 */
int	hf_open_parent(const struct hf_user *u, const char *path, int create,
	    char *base, size_t blen, char *err, size_t elen);

/*
 * Reads the regular file at path (at most cap bytes), its final component
 * never followed. *buf NUL-terminated, malloc'd. sb (may be NULL) gets its
 * fstat. 0, or -1 with errno (ENOENT missing, ELOOP a symlink, EINVAL not
 * a regular file, EFBIG over cap) and err set.
 */
int	hf_read(const struct hf_user *u, const char *path, size_t cap,
	    char **buf, size_t *len, struct stat *sb, char *err, size_t elen);

/*
 * Replaces path atomically with buf (a temporary beside it, fsync, rename,
 * fsync of the directory), owned by uid:gid with mode; a symlink at path
 * is replaced, never written through; missing directories below the home
 * are created (the user's, 0700). 0, or -1 with errno and err.
 */
int	hf_write(const struct hf_user *u, const char *path, const void *buf,
	    size_t len, uid_t uid, gid_t gid, mode_t mode, char *err,
	    size_t elen);

/*
 * sshd's StrictModes test (auth_secure_path) for path: the file, when it
 * exists, must be a regular file, and it and every directory from its own
 * up to the home (up to / for a path outside the home) must be owned by
 * root or the user and not writable by group or other. As in Debian's
 * OpenSSH, group write is harmless when the group is the user's own
 * private group (named after the user, no other members).
 * 1 sshd accepts it, 0 it does not (problems: "; "-separated, the path of
 * each), -1 error (errno, problems holds the reason).
 */
int	hf_check_modes(const struct hf_user *u, const char *path,
	    char *problems, size_t plen);

/*
 * Makes hf_check_modes pass for what lies at or below the home: a wrong
 * owner becomes the user, group and other write bits are cleared; nothing
 * else changes, nothing above the home is touched (it is reported in err
 * as not fixed). Every change is made on a descriptor opened without
 * following links. did gets a "; "-separated list of what was changed ("" for
 * nothing). 0 when the path now passes, -1 otherwise (errno, err).
 */
int	hf_fix_modes(const struct hf_user *u, const char *path, char *did,
	    size_t dlen, char *err, size_t elen);

#endif
