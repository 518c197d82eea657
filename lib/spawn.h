/*
 * Running programs: argv only (never a shell), a hard timeout after which
 * the whole process group is killed, stdout and stderr captured and bounded.
 */
#ifndef SM_SPAWN_H
#define SM_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct spawn_res {
	int	 exited;	/* 1 if it exited (status valid) */
	int	 status;	/* exit status when exited */
	int	 signo;		/* terminating signal, 0 if none */
	int	 timed_out;	/* 1 if we killed it at the deadline */
	char	*out;		/* captured stdout, NUL-terminated, may be "" */
	size_t	 outlen;
	int	 out_truncated;
	char	*err;		/* captured stderr, NUL-terminated, may be "" */
	size_t	 errlen;
	int	 err_truncated;
	long	 elapsed_ms;
};

/*
 * Runs argv[0] (an absolute path) with argv, environment envp (NULL: a
 * minimal PATH=/usr/sbin:/usr/bin:/sbin:/bin), stdin from stdin_buf (NULL:
 * /dev/null), in its own process group. Captures at most cap bytes of each
 * output stream (the rest is read and dropped). Kills the process group with
 * SIGKILL when timeout_ms runs out and reaps it. 0 when the program ran (see
 * r->exited/status/signo/timed_out), -1 with errno when it could not start.
 */
int	spawn_run(char *const argv[], char *const envp[], const char *stdin_buf,
	    size_t stdin_len, int timeout_ms, size_t cap, struct spawn_res *r);

/*
 * Starts argv[0] (an absolute path) in the background with argv, envp as
 * for spawn_run, in its own process group, stdin from /dev/null, stderr
 * the caller's stderr, stdout a pipe whose read end (non-blocking,
 * close-on-exec) is *outfd. The caller reads it, and reaps and kills the
 * process (group) itself. 0 with *pid and *outfd set, -1 with errno.
 */
int	spawn_background(char *const argv[], char *const envp[], pid_t *pid,
	    int *outfd);

/*
 * The nice value every spawned program gets (the one the caller was
 * started with, before it raised its own priority): sshd, its sessions and
 * the tools never inherit the daemon's. Not called: they keep the caller's.
 */
void	spawn_set_child_nice(int nice);

/*
 * In a forked child: every signal back to its default action, none
 * blocked (the daemon blocks them for signalfd and may ignore SIGPIPE).
 */
void	spawn_reset_signals(void);

/* Predicate: 1 when the run exited with status 0 in time. */
int	spawn_ok(const struct spawn_res *r);

/* Frees the captured buffers; r may be reused. */
void	spawn_res_free(struct spawn_res *r);

/*
 * One-line human description of how it ended, e.g. "exit 255",
 * "killed by signal 9", "timed out after 5000 ms".
 */
const char *spawn_describe(const struct spawn_res *r, char *buf, size_t len);

#endif
