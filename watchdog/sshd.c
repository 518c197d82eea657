/*
 * sshd as the guard sees it: the pidfile's process, the SSH banner on the
 * probe address, and making sshd load its configuration again.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "spawn.h"
#include "sshd.h"

#define PIDFILE_MAX	64
#define BANNER_MAX	256
#define POLL_STEP_MS	5

/*
 * Predicate: pid is a zombie. kill(pid, 0) succeeds on one, and a reaper
 * that is slow (or a pid 1 that does not reap) keeps a dead master there.
 */
static int
proc_is_zombie(pid_t pid)
{
	char path[64], *p;
	size_t len;
	char *text = NULL;
	int z = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (fs_read_file(path, 4096, 1, &text, &len) == -1)
		return 0;
	/* "pid (comm) S ...": comm may hold spaces and ')', the state follows the last ')'. */
	if ((p = strrchr(text, ')')) != NULL && p[1] == ' ')
		z = p[2] == 'Z' || p[2] == 'X';
	free(text);
	return z;
}

pid_t
sshd_pid(const struct sm_conf *c)
{
	char *buf = NULL;
	size_t len;
	long long v;
	pid_t pid = 0;

	if (fs_read_file(c->sshd_pidfile, PIDFILE_MAX, 0, &buf, &len) == -1)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_ll(buf, 2, 4194304, &v) == 0 &&
	    (kill((pid_t)v, 0) == 0 || errno == EPERM) &&
	    !proc_is_zombie((pid_t)v))
		pid = (pid_t)v;
	free(buf);
	return pid;
}

int64_t
sshd_pidfile_mtime_ms(const struct sm_conf *c)
{
	struct stat st;

	if (lstat(c->sshd_pidfile, &st) == -1)
		return 0;
	return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

static int
probe_sockaddr(const struct sm_conf *c, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, c->probe_address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)c->probe_port);
		*sslen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, c->probe_address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)c->probe_port);
		*sslen = sizeof(*s6);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

int
sshd_probe_banner(const struct sm_conf *c, char *reason, size_t rlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct pollfd pfd;
	char buf[BANNER_MAX];
	size_t got = 0;
	int64_t deadline = monotime_ms() + c->probe_timeout_ms;
	int fd, r, soerr, ok = 0;
	socklen_t olen = sizeof(soerr);
	ssize_t n;

	if (probe_sockaddr(c, &ss, &sslen) == -1) {
		snprintf(reason, rlen, "bad probe address %s", c->probe_address);
		return 0;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(reason, rlen, "socket: %s", strerror(errno));
		return 0;
	}
	if (connect(fd, (struct sockaddr *)&ss, sslen) == -1 &&
	    errno != EINPROGRESS) {
		snprintf(reason, rlen, "connect %s:%d: %s", c->probe_address,
		    c->probe_port, strerror(errno));
		goto out;
	}
	pfd.fd = fd;
	for (;;) {
		int64_t left = deadline - monotime_ms();

		if (left <= 0) {
			snprintf(reason, rlen, "no SSH banner from %s:%d within "
			    "%d ms", c->probe_address, c->probe_port,
			    c->probe_timeout_ms);
			goto out;
		}
		pfd.events = POLLIN | POLLOUT;
		pfd.revents = 0;
		if ((r = poll(&pfd, 1, (int)left)) == -1 && errno != EINTR) {
			snprintf(reason, rlen, "poll: %s", strerror(errno));
			goto out;
		}
		if (r <= 0)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &olen) == 0 &&
		    soerr != 0) {
			snprintf(reason, rlen, "connect %s:%d: %s",
			    c->probe_address, c->probe_port, strerror(soerr));
			goto out;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			snprintf(reason, rlen, "connection to %s:%d closed "
			    "before the SSH banner", c->probe_address,
			    c->probe_port);
			goto out;
		}
		got += (size_t)n;
		buf[got] = '\0';
		if (strchr(buf, '\n') != NULL || got >= sizeof(buf) - 1)
			break;
	}
	/* sshd may send other lines before the version; it sends none. */
	if (strncmp(buf, "SSH-2.0-", 8) == 0 || strncmp(buf, "SSH-1.99-", 9) == 0)
		ok = 1;
	else
		snprintf(reason, rlen, "unexpected banner from %s:%d",
		    c->probe_address, c->probe_port);
 out:
	close(fd);
	return ok;
}

static int
run_argv(char **argv, int timeout_ms, char *reason, size_t rlen)
{
	struct spawn_res r;
	char how[128];
	int ok;

	if (spawn_run(argv, NULL, NULL, 0, timeout_ms, 4096, &r) == -1) {
		snprintf(reason, rlen, "%s: %s", argv[0], strerror(errno));
		return -1;
	}
	ok = spawn_ok(&r);
	if (!ok)
		snprintf(reason, rlen, "%s: %s: %.200s", argv[0],
		    spawn_describe(&r, how, sizeof(how)), r.err);
	spawn_res_free(&r);
	return ok ? 0 : -1;
}

int
sshd_reload_and_wait(const struct sm_conf *c, int timeout_ms, int *started,
    char *reason, size_t rlen)
{
	int64_t before = sshd_pidfile_mtime_ms(c);
	int64_t deadline = monotime_ms() + timeout_ms;
	pid_t pid = sshd_pid(c);
	struct timespec ts = { 0, POLL_STEP_MS * 1000000L };

	*started = 0;
	reason[0] = '\0';
	if (pid == 0) {
		*started = 1;
		if (run_argv(c->sshd_start, timeout_ms, reason, rlen) == -1)
			return -1;
	} else if (c->sshd_reload == NULL || c->sshd_reload[0] == NULL) {
		if (kill(pid, SIGHUP) == -1) {
			snprintf(reason, rlen, "kill -HUP %ld: %s", (long)pid,
			    strerror(errno));
			return -1;
		}
	} else if (run_argv(c->sshd_reload, timeout_ms, reason, rlen) == -1)
		return -1;

	/*
	 * sshd writes its pidfile after it has bound its listeners, on every
	 * start and on every SIGHUP re-exec: a newer pidfile means the new
	 * configuration is loaded, and then the banner must answer.
	 */
	while (monotime_ms() < deadline) {
		if (sshd_pidfile_mtime_ms(c) != before && sshd_pid(c) != 0 &&
		    sshd_probe_banner(c, reason, rlen)) {
			reason[0] = '\0';
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	if (reason[0] == '\0')
		snprintf(reason, rlen, "sshd did not rewrite %s within %d ms",
		    c->sshd_pidfile, timeout_ms);
	return -1;
}
