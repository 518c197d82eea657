/*
 * The sshd configuration closure: the main sshd_config, every file its
 * Include lines reach, and the host keys sshd needs, read the way sshd does.
 */
#ifndef SM_CLOSURE_H
#define SM_CLOSURE_H

#include <stddef.h>
#include <sys/types.h>

#include "digest.h"

#define CLOSURE_MAX_DEPTH	16	/* sshd's READCONF_MAX_DEPTH */
#define CLOSURE_MAX_FILES	256
#define CLOSURE_MAX_FILE_SIZE	(1024 * 1024)

enum cl_role {
	CL_MAIN = 0,		/* the -f file */
	CL_INCLUDE,		/* reached through Include */
	CL_HOSTKEY,		/* a private host key (never stored, only checked) */
};

enum cl_state {
	CL_REG = 0,		/* regular file, content hashed */
	CL_MISSING,		/* does not exist (named explicitly, or main) */
	CL_DIR,			/* a directory where a file should be */
	CL_DANGLING,		/* symlink to nothing */
	CL_OTHER,		/* fifo, socket, device */
	CL_UNREADABLE,		/* exists, could not be read (errno in err) */
	CL_TOOBIG,		/* over CLOSURE_MAX_FILE_SIZE */
};

struct cl_file {
	char	*path;		/* as sshd opens it (absolute) */
	enum cl_role role;
	enum cl_state state;
	int	 is_symlink;	/* the path itself is a symlink (to a file) */
	uid_t	 uid;		/* of the file sshd would read (followed) */
	gid_t	 gid;
	mode_t	 mode;		/* permission bits only */
	off_t	 size;
	char	 sha256[DIGEST_HEX_LEN + 1];	/* content, "" unless CL_REG; always "" for host keys: private key material is never hashed or stored */
	int	 err;		/* errno for CL_UNREADABLE */
	char	*from;		/* file whose Include reached it, NULL for main */
	int	 line;		/* line of that Include */
	int	 depth;
};

struct closure {
	struct cl_file *files;	/* main first, then in sshd's reading order */
	size_t	 nfiles;
	char	**dirs;		/* directories to watch (deduplicated) */
	size_t	 ndirs;
	char	**problems;	/* parse problems ("FILE:LINE: reason") */
	size_t	 nproblems;
	int	 truncated;	/* CLOSURE_MAX_FILES or depth hit */
	/* sha256 over roles, paths, states, modes, owners, content hashes */
	char	 digest[DIGEST_HEX_LEN + 1];
};

/*
 * Reads config and everything it reaches. Relative Include paths are taken
 * relative to sshdir (sshd's /etc/ssh), globs are expanded and sorted like
 * glob(3), nesting stops at CLOSURE_MAX_DEPTH. HostKey lines name the host
 * keys; without any, sshd's defaults under sshdir (rsa, ecdsa, ed25519).
 * Broken content is recorded, never fatal. For every file, its directory and
 * for every Include pattern, the pattern's directory, are in dirs; a
 * directory that does not exist is replaced by its nearest existing parent.
 * 0 on success, -1 only on allocation or internal error.
 */
int	closure_read(const char *config, const char *sshdir, struct closure *cl);
void	closure_free(struct closure *cl);

/* The entry for path, or NULL. */
const struct cl_file *closure_find(const struct closure *cl, const char *path);

/* Names for logs and manifests: "main", "include", "hostkey"; "reg" ... */
const char *closure_role_name(enum cl_role);
const char *closure_state_name(enum cl_state);
/* Inverse of the above: -1 on unknown names. */
int	closure_role_from_name(const char *);
int	closure_state_from_name(const char *);

#endif
