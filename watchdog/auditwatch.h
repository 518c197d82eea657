/*
 * The files whose changes a reviewer wants in the audit log, for one
 * sshmedic.conf: audit watch rules for them and the match history uses.
 */
#ifndef SM_AUDITWATCH_H
#define SM_AUDITWATCH_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"

#define AWATCH_MAX		128
#define AWATCH_PREFIX_MAX	64
#define AWATCH_PREFIX		"sshmedic"

struct awatch {
	char	*path;		/* absolute */
	int	 dir;		/* -F dir= (the whole tree) or -F path= */
	const char *perm;	/* "wa", or "rwa" where a read matters */
	const char *key;	/* the key after the prefix: "sshd-config" */
	int	 not_daemon;	/* -F exe!=DAEMON: sshmedicd's own writes left out */
	int	 from_files;	/* named by files here (closure, PAM, policies) */
	int	 bad;		/* cannot be an audit rule (bad_why) */
	const char *bad_why;
};

/* A directory as the kernel names it in a PATH record (dev=MAJ:MIN inode=). */
struct awatch_dir {
	char	*path;
	char	 dev[16];	/* "fe:00", as auditd prints it */
	unsigned long long ino;
};

struct awatch_set {
	struct awatch w[AWATCH_MAX];
	size_t	 n;
	struct awatch_dir dirs[AWATCH_MAX];	/* the watched ones and sshd's */
	size_t	 ndirs;
	char	 prefix[AWATCH_PREFIX_MAX + 1];
	char	*daemon;	/* sshmedicd's path for exe!= */
};

/*
 * The watches for c, in the order their rules must be loaded (the kernel
 * takes the first rule that matches: specific files first). Reads the
 * sshd closure, sshd's PAM stack and the policies for the files they
 * name; what cannot be read adds nothing. prefix NULL: "sshmedic";
 * daemon NULL: the sshmedicd beside this program. 0, or -1 with err for a
 * prefix that is not a token.
 */
int	awatch_build(const struct sm_conf *c, const char *prefix,
	    const char *daemon, struct awatch_set *s, char *err, size_t errlen);
void	awatch_free(struct awatch_set *s);

/*
 * The path of a directory the watches name (or one of sshd's Include
 * directories) by the device and inode a PATH record gives for it: a name
 * the kernel got relative to a directory descriptor (openat, renameat: how
 * sshmedicd writes) is resolved through its PARENT item. NULL: unknown.
 */
const char *awatch_dir_of(const struct awatch_set *s, const char *dev,
	    unsigned long long ino);

/* The first watch whose rule would match path (exe!= aside), or NULL. */
const struct awatch *awatch_match(const struct awatch_set *s, const char *path);

/*
 * Prints the rules in auditctl syntax (for /etc/audit/rules.d/) to f,
 * with the configuration's path in the header. 0, or 1 when a watch could
 * not be written as a rule (said on stderr and in a comment).
 */
int	awatch_print(const struct awatch_set *s, const char *conf_path, FILE *f);

#endif
