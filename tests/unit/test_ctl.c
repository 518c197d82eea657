/*
 * Tests for lib/ctl.c: request/reply through a real socket with a forked
 * server, reply and request bounds, timeouts, stale sockets, modes, peers.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "ctl.h"
#include "misc.h"

static char *tdir;
static char spath[256];

static int
setup(void **s)
{
	(void)s;
	tdir = unit_mkdtemp();
	snprintf(spath, sizeof(spath), "%s/ctl.sock", tdir);
	return 0;
}

static int
teardown(void **s)
{
	(void)s;
	unit_rmtree(tdir);
	tdir = NULL;
	return 0;
}

enum srv_mode { SRV_ECHO, SRV_BIG, SRV_SILENT, SRV_CLOSE, SRV_SLAM };

/*
 * Forks a one-shot server on lfd. Its exit status: 0 when it saw a peer
 * with our uid and the expected request line, 1 otherwise.
 */
static pid_t
serve_once(int lfd, enum srv_mode mode, size_t big, const char *want)
{
	pid_t pid = fork();
	struct pollfd pfd = { lfd, POLLIN, 0 };
	char buf[CTL_MAX_REQUEST + 16], *out;
	unsigned int uid;
	int fd, ppid, ok = 1;
	size_t got = 0, off;
	ssize_t n;

	assert_true(pid != -1);
	if (pid != 0)
		return pid;
	if (poll(&pfd, 1, 10000) != 1 ||
	    (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		_exit(2);
	if (ctl_peer_uid(fd, &uid, &ppid) == -1 || uid != getuid() ||
	    ppid != getppid())
		ok = 0;
	if (mode == SRV_SLAM)
		_exit(close(fd) == 0 && ok ? 0 : 1);
	while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL) {
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (want != NULL && (got == 0 || buf[got - 1] != '\n' ||
	    strncmp(buf, want, got - 1) != 0 || strlen(want) != got - 1))
		ok = 0;
	if (mode == SRV_CLOSE)
		_exit(close(fd) == 0 && ok ? 0 : 1);
	if (mode == SRV_SILENT) {
		/* hold the connection until the client gives up */
		(void)read(fd, buf, 1);
		_exit(ok ? 0 : 1);
	}
	if (mode == SRV_ECHO) {
		out = buf;
		big = got;
	} else {
		out = malloc(big);
		if (out == NULL)
			_exit(3);
		memset(out, 'r', big);
	}
	for (off = 0; off < big; off += (size_t)n) {
		n = write(fd, out + off, big - off);
		if (n <= 0)
			_exit(4);
	}
	_exit(close(fd) == 0 && ok ? 0 : 1);
}

static void
reap(pid_t pid, int want)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), want);
}

static void
t_roundtrip(void **s)
{
	struct stat st;
	char *reply;
	pid_t pid;
	int lfd;

	(void)s;
	lfd = ctl_listen(spath);
	assert_true(lfd >= 0);
	assert_int_equal(lstat(spath, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fcntl(lfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(lfd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);

	pid = serve_once(lfd, SRV_ECHO, 0, "rollback 3");
	assert_int_equal(ctl_request(spath, "rollback 3", 5000, &reply), 0);
	assert_string_equal(reply, "rollback 3\n");
	free(reply);
	reap(pid, 0);

	/* a server that reads and closes: an empty reply */
	pid = serve_once(lfd, SRV_CLOSE, 0, "status");
	assert_int_equal(ctl_request(spath, "status", 5000, &reply), 0);
	assert_string_equal(reply, "");
	free(reply);
	reap(pid, 0);

	/* one that hangs up without reading (a refused peer): an error */
	pid = serve_once(lfd, SRV_SLAM, 0, NULL);
	errno = 0;
	assert_int_equal(ctl_request(spath, "status", 5000, &reply), -1);
	assert_true(errno == EPIPE || errno == ECONNRESET);
	assert_null(reply);
	reap(pid, 0);
	close(lfd);
}

static void
t_reply_bound(void **s)
{
	char *reply;
	pid_t pid;
	int lfd;

	(void)s;
	lfd = ctl_listen(spath);
	assert_true(lfd >= 0);
	pid = serve_once(lfd, SRV_BIG, CTL_MAX_REPLY, NULL);
	assert_int_equal(ctl_request(spath, "history", 10000, &reply), 0);
	assert_int_equal(strlen(reply), CTL_MAX_REPLY);
	free(reply);
	reap(pid, 0);

	pid = serve_once(lfd, SRV_BIG, CTL_MAX_REPLY + 1, NULL);
	reply = (char *)1;
	errno = 0;
	assert_int_equal(ctl_request(spath, "history", 10000, &reply), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_null(reply);
	/* the server may see EPIPE once we hang up: either exit is fine */
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	close(lfd);
}

static void
t_request_bound(void **s)
{
	char req[CTL_MAX_REQUEST + 1], *reply;
	pid_t pid;
	int lfd;

	(void)s;
	lfd = ctl_listen(spath);
	assert_true(lfd >= 0);
	/* the longest line whose '\n' and NUL still fit the daemon's buffer */
	memset(req, 'p', sizeof(req));
	req[CTL_MAX_REQUEST - 2] = '\0';
	pid = serve_once(lfd, SRV_ECHO, 0, req);
	assert_int_equal(ctl_request(spath, req, 5000, &reply), 0);
	assert_int_equal(strlen(reply), CTL_MAX_REQUEST - 1);
	free(reply);
	reap(pid, 0);

	req[CTL_MAX_REQUEST - 2] = 'p';
	req[CTL_MAX_REQUEST - 1] = '\0';
	errno = 0;
	assert_int_equal(ctl_request(spath, req, 5000, &reply), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ctl_request(spath, "status\nrollback", 5000, &reply),
	    -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ctl_request(spath, "status\r", 5000, &reply), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ctl_request(spath, "status", 0, &reply), -1);
	assert_int_equal(errno, EINVAL);
	close(lfd);
}

static void
t_timeout(void **s)
{
	char *reply;
	int64_t t0;
	pid_t pid;
	int lfd;

	(void)s;
	lfd = ctl_listen(spath);
	assert_true(lfd >= 0);
	pid = serve_once(lfd, SRV_SILENT, 0, "status");
	t0 = monotime_ms();
	errno = 0;
	assert_int_equal(ctl_request(spath, "status", 300, &reply), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(monotime_ms() - t0 >= 300);
	assert_true(monotime_ms() - t0 < 5000);
	reap(pid, 0);
	close(lfd);
}

static void
t_no_daemon(void **s)
{
	struct sockaddr_un sun;
	char *reply, longp[200];
	int fd;

	(void)s;
	errno = 0;
	assert_int_equal(ctl_request(spath, "status", 1000, &reply), -1);
	assert_int_equal(errno, ENOENT);

	/* a socket file left by a dead daemon */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	sm_strlcpy(sun.sun_path, spath, sizeof(sun.sun_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	errno = 0;
	assert_int_equal(ctl_request(spath, "status", 1000, &reply), -1);
	assert_int_equal(errno, ECONNREFUSED);

	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(ctl_request(longp, "status", 1000, &reply), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(ctl_listen(longp), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

static void
t_listen_replaces_only_stale_sockets(void **s)
{
	struct sockaddr_un sun;
	struct stat st;
	char *text;
	int fd, lfd, lfd2;
	mode_t old;

	(void)s;
	/* stale socket: replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	sm_strlcpy(sun.sun_path, spath, sizeof(sun.sun_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	/* a permissive umask does not leak into the socket's mode */
	old = umask(0);
	lfd = ctl_listen(spath);
	umask(old);
	assert_true(lfd >= 0);
	assert_int_equal(lstat(spath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* a live one: refused and left working */
	errno = 0;
	assert_int_equal(ctl_listen(spath), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(lstat(spath, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	close(lfd);

	/* a regular file is never removed */
	assert_int_equal(unlink(spath), 0);
	unit_write(spath, "keep me\n");
	errno = 0;
	assert_int_equal(ctl_listen(spath), -1);
	assert_int_equal(errno, EEXIST);
	fd = open(spath, O_RDONLY);
	assert_true(fd >= 0);
	text = calloc(1, 16);
	assert_non_null(text);
	assert_int_equal(read(fd, text, 15), 8);
	assert_string_equal(text, "keep me\n");
	free(text);
	close(fd);

	/* nor a symlink, even to a socket */
	assert_int_equal(unlink(spath), 0);
	lfd2 = ctl_listen(spath);
	assert_true(lfd2 >= 0);
	{
		char lpath[300];

		snprintf(lpath, sizeof(lpath), "%s/link.sock", tdir);
		assert_int_equal(symlink(spath, lpath), 0);
		close(lfd2);
		errno = 0;
		assert_int_equal(ctl_listen(lpath), -1);
		assert_int_equal(errno, EEXIST);
		assert_int_equal(lstat(lpath, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
}

static void
t_peer_uid(void **s)
{
	unsigned int uid;
	int sv[2], pid, fd;

	(void)s;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ctl_peer_uid(sv[0], &uid, &pid), 0);
	assert_int_equal(uid, getuid());
	assert_int_equal(pid, getpid());
	close(sv[0]);
	close(sv[1]);

	fd = open("/dev/null", O_RDONLY);
	assert_int_equal(ctl_peer_uid(fd, &uid, &pid), -1);
	assert_int_equal(errno, ENOTSOCK);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(t_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(t_reply_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(t_request_bound, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(t_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(t_no_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    t_listen_replaces_only_stale_sockets, setup, teardown),
		cmocka_unit_test_setup_teardown(t_peer_uid, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(t, NULL, NULL);
}
