/*
 * Runs helper programs (sshd -t, sshd -T, ssh-keygen, start commands) with
 * an argv, a hard deadline on the whole process group and bounded capture.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "misc.h"
#include "spawn.h"
#include "xmalloc.h"

static int child_nice_set;
static int child_nice;

/* See spawn.h. */
void
spawn_set_child_nice(int nice)
{
	child_nice = nice;
	child_nice_set = 1;
}

#define SPAWN_READ_CHUNK	65536
#define SPAWN_FALLBACK_TICK_MS	20	/* exit polling when pidfd is missing */

extern char **environ;

struct spawn_buf {
	char	*p;
	size_t	 len;
	size_t	 alloc;
	size_t	 cap;
	int	 truncated;
	int	 fd;		/* -1 once EOF was seen */
};

/*
 * A pipe whose both ends are above 2, so that the dup2 actions onto 0/1/2
 * cannot clobber one another when the caller runs with a standard fd closed.
 */
static int
pipe_high(int p[2])
{
	int i, fd;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (p[i] > 2)
			continue;
		if ((fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3)) == -1) {
			close(p[0]);
			close(p[1]);
			return -1;
		}
		close(p[i]);
		p[i] = fd;
	}
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

static int
set_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Appends what fits under cap; the rest is counted as truncation. */
static void
buf_add(struct spawn_buf *b, const char *data, size_t n)
{
	size_t room = b->cap - b->len, take = n < room ? n : room;
	size_t want;

	if (take < n)
		b->truncated = 1;
	if (take == 0)
		return;
	if (b->len + take + 1 > b->alloc) {
		want = b->alloc * 2;
		if (want < b->len + take + 1)
			want = b->len + take + 1;
		if (want > b->cap + 1)
			want = b->cap + 1;
		b->p = xreallocarray(b->p, 1, want);
		b->alloc = want;
	}
	memcpy(b->p + b->len, data, take);
	b->len += take;
	b->p[b->len] = '\0';
}

/* Reads until EAGAIN or EOF; EOF closes the fd. */
static void
buf_drain(struct spawn_buf *b, char *chunk)
{
	ssize_t n;

	for (;;) {
		n = read(b->fd, chunk, SPAWN_READ_CHUNK);
		if (n > 0) {
			buf_add(b, chunk, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		/* EOF, or an error that will not go away. */
		close_fd(&b->fd);
		return;
	}
}

/* Writes what the pipe takes; closes it when done or the reader is gone. */
static void
stdin_feed(int *fd, const char *buf, size_t len, size_t *off, int *epipe)
{
	ssize_t n;

	while (*off < len) {
		n = write(*fd, buf + *off, len - *off);
		if (n > 0) {
			*off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1 && errno == EPIPE)
			*epipe = 1;
		break;
	}
	close_fd(fd);
}

/* Predicate: the child has exited (left a zombie we have not reaped). */
static int
child_gone(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1)
		return errno == ECHILD;
	return si.si_pid == pid;
}

static int
pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* See spawn.h: only async-signal-safe calls. */
void
spawn_reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * The child side between fork and exec: only async-signal-safe calls.
 * Reports an exec failure's errno through errfd (close-on-exec).
 */
static void __attribute__((noreturn))
spawn_child(char *const argv[], char *const envp[], int infd, int outfd,
    int errfd, int reportfd)
{
	struct sched_param sp;
	int e, nullfd;

	(void)setpgid(0, 0);
	spawn_reset_signals();
	/*
	 * sshmedicd runs SCHED_BATCH, which fork passes on (RESET_ON_FORK
	 * resets only real-time policies): sshd and the tools run normally.
	 */
	memset(&sp, 0, sizeof(sp));
	(void)sched_setscheduler(0, SCHED_OTHER, &sp);
	/* Raising one's nice is always allowed: no failure to handle. */
	if (child_nice_set)
		(void)setpriority(PRIO_PROCESS, 0, child_nice);

	/* All pipe ends are above 2 (pipe_high): no dup2 clobbers another. */
	if (infd == -1) {
		if ((nullfd = open("/dev/null", O_RDONLY)) == -1 ||
		    (nullfd != 0 && dup2(nullfd, 0) == -1))
			goto fail;
	} else if (dup2(infd, 0) == -1)
		goto fail;
	if (dup2(outfd, 1) == -1 || dup2(errfd, 2) == -1)
		goto fail;
	if (dup2(reportfd, 3) == -1 || fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	reportfd = 3;
	/* Libraries in the daemon may leak descriptors without O_CLOEXEC. */
#ifdef SYS_close_range
	(void)syscall(SYS_close_range, 4U, ~0U, 0U);
#endif
	execve(argv[0], argv, envp);
 fail:
	e = errno;
	(void)!write(reportfd, &e, sizeof(e));
	_exit(127);
}

static int
spawn_start(char *const argv[], char *const envp[], int infd, int outfd,
    int errfd, pid_t *pid)
{
	static char *const min_env[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL
	};
	int rep[2], e, st;
	ssize_t n;

	if (pipe_high(rep) == -1)
		return -1;
	if ((*pid = fork()) == -1) {
		e = errno;
		close(rep[0]);
		close(rep[1]);
		errno = e;
		return -1;
	}
	if (*pid == 0)
		spawn_child(argv, envp != NULL ? envp : min_env, infd, outfd,
		    errfd, rep[1]);
	/* Both sides set the group, so killpg works whoever runs first. */
	(void)setpgid(*pid, *pid);
	close(rep[1]);
	do {
		n = read(rep[0], &e, sizeof(e));
	} while (n == -1 && errno == EINTR);
	close(rep[0]);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(e))
		e = EIO;
	while (waitpid(*pid, &st, 0) == -1 && errno == EINTR)
		;
	errno = e;
	return -1;
}

/*
 * The poll loop: feeds stdin, drains both outputs, notices the exit. Ends
 * when the child exited and both outputs reached EOF, or at the deadline.
 * Returns 1 when the child exited (not yet reaped), 0 at the deadline.
 */
static int
spawn_wait(pid_t pid, int pidfd, int *infd, const char *in, size_t inlen,
    struct spawn_buf *out, struct spawn_buf *err, int64_t deadline,
    int *epipe)
{
	struct pollfd pfd[4];
	char *chunk = xmalloc(SPAWN_READ_CHUNK);
	size_t inoff = 0;
	int exited = 0, n, i_in, i_out, i_err, i_pid, wait_ms;
	int64_t now;

	if (*infd != -1 && inlen == 0)
		close_fd(infd);
	for (;;) {
		if (!exited)
			exited = pidfd == -1 ? child_gone(pid) : 0;
		if (exited && out->fd == -1 && err->fd == -1)
			break;
		now = monotime_ms();
		if (now >= deadline)
			break;
		wait_ms = (int)(deadline - now);
		n = 0;
		i_in = i_out = i_err = i_pid = -1;
		if (*infd != -1) {
			pfd[n].fd = *infd;
			pfd[n].events = POLLOUT;
			i_in = n++;
		}
		if (out->fd != -1) {
			pfd[n].fd = out->fd;
			pfd[n].events = POLLIN;
			i_out = n++;
		}
		if (err->fd != -1) {
			pfd[n].fd = err->fd;
			pfd[n].events = POLLIN;
			i_err = n++;
		}
		if (!exited && pidfd != -1) {
			pfd[n].fd = pidfd;
			pfd[n].events = POLLIN;
			i_pid = n++;
		} else if (!exited && wait_ms > SPAWN_FALLBACK_TICK_MS)
			wait_ms = SPAWN_FALLBACK_TICK_MS;
		if (poll(pfd, (nfds_t)n, wait_ms) == -1) {
			if (errno == EINTR)
				continue;
			error_f("poll: %s", strerror(errno));
			break;
		}
		if (i_in != -1 && pfd[i_in].revents != 0)
			stdin_feed(infd, in, inlen, &inoff, epipe);
		if (i_out != -1 && pfd[i_out].revents != 0)
			buf_drain(out, chunk);
		if (i_err != -1 && pfd[i_err].revents != 0)
			buf_drain(err, chunk);
		if (i_pid != -1 && pfd[i_pid].revents != 0)
			exited = 1;
	}
	free(chunk);
	return exited;
}

static void
res_init(struct spawn_res *r, struct spawn_buf *out, struct spawn_buf *err,
    size_t cap)
{
	size_t first = cap < 4096 ? cap + 1 : 4096;

	memset(r, 0, sizeof(*r));
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	out->cap = err->cap = cap;
	out->alloc = err->alloc = first;
	out->p = xcalloc(1, first);
	err->p = xcalloc(1, first);
	out->fd = err->fd = -1;
}

/*
 * 0 when the program ran (how it ended is in r), -1 with errno when it
 * could not be started (r then holds nothing to free).
 */
int
spawn_run(char *const argv[], char *const envp[], const char *stdin_buf,
    size_t stdin_len, int timeout_ms, size_t cap, struct spawn_res *r)
{
	struct spawn_buf out, err;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, pi[2] = { -1, -1 };
	int pidfd = -1, exited, status, epipe = 0, saved, pipe_pending;
	sigset_t pipeset, oldmask, pend;
	pid_t pid;
	int64_t start;

	res_init(r, &out, &err, cap);
	r->out = out.p;
	r->err = err.p;
	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/' ||
	    timeout_ms < 0 || cap == SIZE_MAX) {
		errno = EINVAL;
		goto fail;
	}
	if (pipe_high(po) == -1 || pipe_high(pe) == -1 ||
	    (stdin_buf != NULL && pipe_high(pi) == -1))
		goto fail;
	if (set_nonblock(po[0]) == -1 || set_nonblock(pe[0]) == -1 ||
	    (pi[1] != -1 && set_nonblock(pi[1]) == -1))
		goto fail;

	/*
	 * A child that exits without reading its stdin makes our write raise
	 * SIGPIPE; hold it blocked and consume it, unless it was already
	 * pending for some other reason.
	 */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &oldmask);
	sigpending(&pend);
	pipe_pending = sigismember(&pend, SIGPIPE);

	start = monotime_ms();
	if (spawn_start(argv, envp, pi[0], po[1], pe[1], &pid) == -1) {
		saved = errno;
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
		errno = saved;
		goto fail;
	}
	close_fd(&po[1]);
	close_fd(&pe[1]);
	close_fd(&pi[0]);
	out.fd = po[0];
	err.fd = pe[0];
	po[0] = pe[0] = -1;

	/* The zombie keeps pid (and pgid) reserved until we reap below. */
	if ((pidfd = pidfd_for(pid)) == -1)
		debug_f("pidfd_open: %s; polling for exit", strerror(errno));

	exited = spawn_wait(pid, pidfd, &pi[1], stdin_buf, stdin_len, &out,
	    &err, start + timeout_ms, &epipe);
	/*
	 * At the deadline everything left in the group goes, including a
	 * grandchild that kept our pipes open after its parent exited. A
	 * clean exit does not kill the group: a daemonising start command
	 * leaves a child that is still between fork and setsid.
	 */
	if (!exited || out.fd != -1 || err.fd != -1) {
		if (!exited)
			r->timed_out = 1;
		if (kill(-pid, SIGKILL) == -1 && errno != ESRCH)
			error_f("kill -%ld: %s", (long)pid, strerror(errno));
		(void)kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			error_f("waitpid %ld: %s", (long)pid, strerror(errno));
			status = 0;
			break;
		}
	}
	r->elapsed_ms = (long)(monotime_ms() - start);
	if (WIFEXITED(status) && !r->timed_out) {
		r->exited = 1;
		r->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status))
		r->signo = WTERMSIG(status);

	if (epipe && !pipe_pending) {
		struct timespec zero = { 0, 0 };

		(void)sigtimedwait(&pipeset, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);

	close_fd(&pidfd);
	close_fd(&out.fd);
	close_fd(&err.fd);
	close_fd(&pi[1]);
	r->out = out.p;
	r->outlen = out.len;
	r->out_truncated = out.truncated;
	r->err = err.p;
	r->errlen = err.len;
	r->err_truncated = err.truncated;
	return 0;

 fail:
	saved = errno;
	close_fd(&po[0]);
	close_fd(&po[1]);
	close_fd(&pe[0]);
	close_fd(&pe[1]);
	close_fd(&pi[0]);
	close_fd(&pi[1]);
	free(out.p);
	free(err.p);
	memset(r, 0, sizeof(*r));
	errno = saved;
	return -1;
}

/* 0 with *pid and *outfd set, -1 with errno (nothing left to clean up). */
int
spawn_background(char *const argv[], char *const envp[], pid_t *pid,
    int *outfd)
{
	int po[2], e;

	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/') {
		errno = EINVAL;
		return -1;
	}
	if (pipe_high(po) == -1)
		return -1;
	if (set_nonblock(po[0]) == -1 ||
	    spawn_start(argv, envp, -1, po[1], STDERR_FILENO, pid) == -1) {
		e = errno;
		close(po[0]);
		close(po[1]);
		errno = e;
		return -1;
	}
	close(po[1]);
	*outfd = po[0];
	return 0;
}

/* Predicate: exited with status 0 before the deadline. */
int
spawn_ok(const struct spawn_res *r)
{
	return r->exited && r->status == 0 && !r->timed_out;
}

/* Frees the capture buffers and zeroes r. */
void
spawn_res_free(struct spawn_res *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Returns buf, always terminated. */
const char *
spawn_describe(const struct spawn_res *r, char *buf, size_t len)
{
	if (r->timed_out)
		snprintf(buf, len, "timed out after %ld ms", r->elapsed_ms);
	else if (r->exited)
		snprintf(buf, len, "exit %d", r->status);
	else if (r->signo != 0)
		snprintf(buf, len, "killed by signal %d (%s)", r->signo,
		    strsignal(r->signo));
	else
		snprintf(buf, len, "ended in an unknown way");
	return buf;
}
