/*
 * The catalogue of LOCKOUTS.md: one read-only check per cause with its
 * remedy text, run by `sshmedic check` and by the daemon's repairs alike.
 */
#ifndef SM_CHECKS_H
#define SM_CHECKS_H

#include <stddef.h>
#include <sys/types.h>

#include "closure.h"
#include "conf.h"
#include "validate.h"

/*
 * M1: a fixed path, as in sshd and pam_nologin. Tests create it only
 * inside a private mount namespace over an overlay of /etc.
 */
#define CHECK_NOLOGIN		"/etc/nologin"
/* M2: below either limit a filesystem counts as full. */
#define CHECK_MIN_FREE_BYTES	(1024ULL * 1024)
#define CHECK_MIN_FREE_INODES	64ULL
#define CHECK_MIN_FREE_PERCENT	1
#define CHECK_DETAIL_MAX	512

enum check_state {
	CHK_OK = 0,
	CHK_FAIL,
	CHK_UNKNOWN,		/* could not tell; never counted as ok */
	CHK_WARN,		/* works, but not as well as it could: exit 0 */
};

/* One run of the catalogue: the results several rows share, made once. */
struct check_ctx {
	const struct sm_conf *conf;
	pid_t	 master;	/* the sshd master; 0: from the pidfile */
	int	 closure_done;	/* 1 read, -1 failed */
	struct closure cl;
	int	 vd_done;
	struct vd_result vr;
};

struct check_row {
	const char *cause;	/* LOCKOUTS.md id: "C1/C2", "S4" */
	const char *title;
	enum check_state (*fn)(struct check_ctx *, char *detail, size_t len);
	const char *remedy;
};

extern const struct check_row check_catalogue[];
extern const size_t check_ncatalogue;

/* master: the sshd master the caller holds (the daemon), 0 to use the pidfile. */
void	check_ctx_init(struct check_ctx *x, const struct sm_conf *c, pid_t master);
void	check_ctx_free(struct check_ctx *x);

/*
 * sshd -T's LogLevel name (any case; "DEBUG" is DEBUG1) as a rank, QUIET 0
 * .. DEBUG3 7, VERBOSE CHECK_LOGLEVEL_VERBOSE; -1 for anything else.
 */
#define CHECK_LOGLEVEL_VERBOSE	4
int	check_loglevel_rank(const char *name);

/* "ok", "fail", "unknown", "warn". */
const char *check_state_name(enum check_state);

/*
 * C1/C2, the shapes sshd -t accepts but that drop configuration: a main
 * config that is a directory or missing, an Include of a dangling symlink,
 * a directory, a fifo, an unreadable or oversized file. Predicate: 1 broken
 * (reason set), 0 fine.
 */
int	check_closure_shape(const struct closure *cl, char *reason, size_t len);

/* S3: sshd.privsep_dir exists, is a directory, root's, not group/other writable. */
enum check_state check_privsep(const struct sm_conf *c, char *detail,
	    size_t len);

/*
 * S6: a process other than except listening on TCP port (any address),
 * found through /proc/net/tcp{,6} and the fds under /proc. Predicate: 1
 * found (pid and comm set), 0 none.
 */
int	check_port_holder(int port, pid_t except, pid_t *pid, char *comm,
	    size_t len);

/* S6 as a row: fail when probe.port is held by anything but master. */
enum check_state check_port(const struct sm_conf *c, pid_t master,
	    char *detail, size_t len);

/*
 * M2's limit, pure: 1 when avail is below min_abs or below
 * CHECK_MIN_FREE_PERCENT of total (total 0: the filesystem does not count,
 * e.g. inodes on btrfs; only min_abs applies then).
 */
int	check_space_low(unsigned long long avail, unsigned long long total,
	    unsigned long long min_abs);

/*
 * Socket inodes in LISTEN state on port from one /proc/net/tcp-format
 * file; at most max. Returns how many.
 */
size_t	check_listen_inodes(const char *file, int port, unsigned long *ino,
	    size_t max);

#endif
