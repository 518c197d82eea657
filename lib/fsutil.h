/*
 * Safe file operations: atomic replacement, bounded reads, path safety
 * checked on open descriptors, never following a symlink we did not expect.
 */
#ifndef SM_FSUTIL_H
#define SM_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Largest file any sshmedic code reads into memory (config, manifest). */
#define FS_READ_MAX	(4 * 1024 * 1024)

/*
 * Name prefix of fs_write_atomic's temporaries: hidden, and never matching
 * an Include glob; a crash can leave one, which rollback_resume sweeps.
 */
#define FS_TMP_PREFIX	".sshmedic-tmp."

/*
 * Atomically replaces path with buf: a temporary file in the same directory
 * (O_EXCL, O_NOFOLLOW), fchown/fchmod to uid/gid/mode, write, fsync, rename
 * over path, fsync of the directory. The final component may be a symlink:
 * rename replaces the link itself, never writing through it. The parent
 * directory is opened with O_NOFOLLOW|O_DIRECTORY. On any failure the
 * temporary is removed and path is untouched. uid or gid (uid_t)-1 /
 * (gid_t)-1 keep the process's own. 0 on success, -1 with errno.
 */
int	fs_write_atomic(const char *path, const void *buf, size_t len,
	    uid_t uid, gid_t gid, mode_t mode);

/* Same as fs_write_atomic, relative to an open directory. */
int	fs_write_atomicat(int dirfd, const char *name, const void *buf,
	    size_t len, uid_t uid, gid_t gid, mode_t mode);

/*
 * Reads a whole regular file of at most cap bytes, following symlinks only
 * if follow is set. *buf is NUL-terminated (not counted in *len) and must be
 * freed. 0 on success, -1 with errno (EFBIG when over cap, EISDIR/EINVAL
 * when not a regular file).
 */
int	fs_read_file(const char *path, size_t cap, int follow, char **buf,
	    size_t *len);
int	fs_read_fileat(int dirfd, const char *name, size_t cap, char **buf,
	    size_t *len);
/* The same for a file already open; fd is left open. */
int	fs_read_fd(int fd, size_t cap, char **buf, size_t *len);

/*
 * Removes the temporaries of fs_write_atomic (FS_TMP_PREFIX) a killed
 * writer left in dir, looking at most FS_SWEEP_MAX entries; nothing else
 * is touched and nothing below dir. The number removed, -1 with errno when
 * dir cannot be opened.
 */
#define FS_SWEEP_MAX	4096
int	fs_sweep_temps(const char *dir);

/*
 * Writes all of buf to fd, again after EINTR and short writes (a write of
 * 0 is EIO). Only write(2): safe in a forked child. 0/-1 with errno.
 */
int	fs_write_all(int fd, const void *buf, size_t len);

/* fsync of a directory by path. 0/-1 with errno. */
int	fs_fsync_dir(const char *dir);

/* mkdir -p with mode for created components. 0/-1 with errno. */
int	fs_mkdir_p(const char *path, mode_t mode);

/*
 * OpenSSH's safe_path, on an open descriptor: the file and every parent up
 * to / must be owned by root (or uid) and not writable by group or other.
 * 1 safe, 0 unsafe (reason written to err), -1 error (errno).
 */
int	fs_path_is_safe(const char *path, uid_t uid, char *err, size_t errlen);

/* Splits path into a malloc'd directory and base name. 0/-1 (EINVAL). */
int	fs_split(const char *path, char **dir, char **base);

/*
 * Copies a regular file, following no symlinks, to dst atomically with
 * the given mode (owner: the caller). 0/-1 with errno.
 */
int	fs_copy_file(const char *src, const char *dst, mode_t mode);

/*
 * What lstat says of a path, to tell cheaply whether it changed: inode,
 * size, modification and change times (chmod and chown included), mode,
 * owner. present 0: nothing there.
 */
struct fs_sig {
	int	 present;
	dev_t	 dev;
	ino_t	 ino;
	off_t	 size;
	long long mtime_ns, ctime_ns;
	mode_t	 mode;
	uid_t	 uid;
	gid_t	 gid;
};

void	fs_sig_of(const char *path, struct fs_sig *s);
/* Predicate: a and b describe the same state (1/0). */
int	fs_sig_equal(const struct fs_sig *a, const struct fs_sig *b);

#endif
