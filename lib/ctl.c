/*
 * Both ends of the control socket: the CLI's bounded request/reply and the
 * daemon's root-only listening socket with peer credentials.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "misc.h"
#include "xmalloc.h"

#define CTL_BACKLOG	16

static int
ctl_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (path == NULL || *path == '\0') {
		errno = EINVAL;
		return -1;
	}
	if (sm_strlcpy(sun->sun_path, path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd pfd = { fd, ev, 0 };
	int64_t left;
	int r;

	for (;;) {
		if ((left = deadline - monotime_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
	}
}

/* Blocking connect bounded by SO_SNDTIMEO (unix sockets honour it). */
static int
connect_bounded(const char *sock, int timeout_ms)
{
	struct sockaddr_un sun;
	struct timeval tv;
	int fd, e;

	if (ctl_addr(sock, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (timeout_ms > 0 && timeout_ms < 1000 && tv.tv_usec == 0)
		tv.tv_usec = 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		goto fail;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EINPROGRESS)
			errno = ETIMEDOUT;
		goto fail;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		goto fail;
	return fd;
 fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/*
 * 0 with *reply malloc'd (NUL-terminated); -1 with errno: EINVAL for a
 * request that is not one line of at most CTL_MAX_REQUEST - 2 bytes,
 * ENOENT/ECONNREFUSED when no daemon listens, ETIMEDOUT, EMSGSIZE for a
 * reply over CTL_MAX_REPLY.
 */
int
ctl_request(const char *sock, const char *req, int timeout_ms, char **reply)
{
	char line[CTL_MAX_REQUEST], *buf = NULL;
	size_t len, off = 0, got = 0, alloc = 0;
	int64_t deadline;
	ssize_t n;
	int fd, e;

	*reply = NULL;
	len = req != NULL ? strlen(req) : 0;
	/* the daemon reads into CTL_MAX_REQUEST bytes: line, '\n' and NUL */
	if (req == NULL || timeout_ms <= 0 || len + 2 > sizeof(line) ||
	    strpbrk(req, "\r\n") != NULL) {
		errno = EINVAL;
		return -1;
	}
	memcpy(line, req, len);
	line[len++] = '\n';
	deadline = monotime_ms() + timeout_ms;
	if ((fd = connect_bounded(sock, timeout_ms)) == -1)
		return -1;

	while (off < len) {
		if (wait_fd(fd, POLLOUT, deadline) == -1)
			goto fail;
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	for (;;) {
		if (got + 1 >= alloc) {
			alloc = alloc == 0 ? 4096 : alloc * 2;
			if (alloc > CTL_MAX_REPLY + 2)
				alloc = CTL_MAX_REPLY + 2;
			buf = xreallocarray(buf, 1, alloc);
		}
		if (wait_fd(fd, POLLIN, deadline) == -1)
			goto fail;
		n = read(fd, buf + got, alloc - 1 - got);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > CTL_MAX_REPLY) {
			errno = EMSGSIZE;
			goto fail;
		}
	}
	close(fd);
	buf[got] = '\0';
	*reply = buf;
	return 0;
 fail:
	e = errno;
	close(fd);
	free(buf);
	errno = e;
	return -1;
}

/*
 * A socket file at path that nobody accepts on is stale; one that accepts
 * belongs to a running daemon and is left alone.
 */
static int
remove_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, r, e;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		return -1;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	e = errno;
	close(fd);
	if (r == 0 || e == EAGAIN) {
		errno = EADDRINUSE;
		return -1;
	}
	if (e != ECONNREFUSED) {
		errno = e;
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

/*
 * A listening socket (SOCK_CLOEXEC|SOCK_NONBLOCK, backlog 16) at path,
 * mode 0600. fd, or -1 with errno: EEXIST when path is not a socket,
 * EADDRINUSE when a live daemon listens there, ENAMETOOLONG.
 */
int
ctl_listen(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, r, e;

	if (ctl_addr(path, &sun) == -1 || remove_stale(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	/* the mode is right from creation: no window where others connect */
	old = umask(077);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	e = errno;
	umask(old);
	if (r == -1) {
		close(fd);
		errno = e;
		return -1;
	}
	if (lstat(path, &st) == -1)
		goto fail;
	if (!S_ISSOCK(st.st_mode)) {
		/* replaced between bind and here: not ours to remove */
		close(fd);
		errno = EEXIST;
		return -1;
	}
	if (((st.st_mode & 0777) != 0600 && chmod(path, 0600) == -1) ||
	    listen(fd, CTL_BACKLOG) == -1)
		goto fail;
	return fd;
 fail:
	e = errno;
	close(fd);
	(void)unlink(path);
	errno = e;
	return -1;
}

/* 0 with the peer's uid and pid (SO_PEERCRED), -1 with errno. */
int
ctl_peer_uid(int fd, unsigned int *uid, int *pid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return -1;
	if (len != sizeof(cr)) {
		errno = EINVAL;
		return -1;
	}
	*uid = (unsigned int)cr.uid;
	*pid = (int)cr.pid;
	return 0;
}
