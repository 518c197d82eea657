/*
 * Account database lookups in a child with a deadline: a hung NSS backend
 * cannot stop the daemon, and the modules it loads never stay mapped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <shadow.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "pwdb.h"
#include "spawn.h"

/* Without close_range (kernels before 5.9): the daemon's fds are below. */
#define PWDB_CLOSE_FALLBACK	1024

/* getpw*_r buffers start at the sysconf hint and double up to this. */
#define PWDB_NSS_BUF_MAX	(1024 * 1024)

struct pwdb_hdr {
	int32_t	 rv;
	int32_t	 err;
};

struct pwdb_key {
	const char	*name;		/* NULL: by uid */
	uid_t		 uid;
};

struct pwdb_grp {
	gid_t		 gid;
	uid_t		 uid;
	size_t		 max;
};

static int pwdb_timeout = PWDB_TIMEOUT_MS;
static uint64_t pwdb_calls, pwdb_failed;

/* See pwdb.h. */
void
pwdb_stats(uint64_t *calls, uint64_t *failed)
{
	*calls = pwdb_calls;
	*failed = pwdb_failed;
}

/* See pwdb.h. */
int
pwdb_timeout_ms(void)
{
	return pwdb_timeout;
}

/* See pwdb.h. */
void
pwdb_set_timeout_ms(int ms)
{
	pwdb_timeout = ms > 0 ? ms : PWDB_TIMEOUT_MS;
}

/*
 * The child: the answer goes to fd 3, every other descriptor above 2 is
 * closed (the daemon's pidfile lock among them: a child hung in a lookup
 * must not hold it), and it dies with its parent.
 */
static void __attribute__((noreturn))
pwdb_child(pwdb_fn fn, const void *arg, int wfd, pid_t parent)
{
	struct pwdb_hdr h;
	char *out = NULL;
	size_t outlen = 0;
	int fd;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(1);
	if (wfd != 3 && dup2(wfd, 3) == -1)
		_exit(1);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 4U, ~0U, 0U) == -1)
#endif
		for (fd = 4; fd < PWDB_CLOSE_FALLBACK; fd++)
			(void)close(fd);
	/* The daemon's signal setup is for its loop, not for NSS modules. */
	spawn_reset_signals();

	errno = 0;
	h.rv = fn(arg, &out, &outlen);
	h.err = errno;
	if (out == NULL)
		outlen = 0;
	if (fs_write_all(3, &h, sizeof(h)) == -1 ||
	    fs_write_all(3, out, outlen) == -1)
		_exit(1);
	_exit(0);
}

/*
 * Reads the child's answer until EOF: 0, or the errno of why not
 * (ETIMEDOUT at the deadline, EFBIG over PWDB_RES_MAX, ENOMEM, EIO).
 */
static int
pwdb_read(int fd, char **buf, size_t *len, int64_t deadline)
{
	/* One byte over the largest answer is enough to refuse it. */
	const size_t cap = sizeof(struct pwdb_hdr) + PWDB_RES_MAX + 1;
	struct pollfd pfd;
	size_t alloc = 0;
	ssize_t n;
	int64_t now;
	char *p;

	for (;;) {
		if (*len == cap)
			return EFBIG;
		if (*len == alloc) {
			alloc = alloc == 0 ? 16384 : alloc * 2;
			if (alloc > cap)
				alloc = cap;
			if ((p = realloc(*buf, alloc)) == NULL)
				return ENOMEM;
			*buf = p;
		}
		n = read(fd, *buf + *len, alloc - *len);
		if (n > 0) {
			*len += (size_t)n;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return EIO;
		if ((now = monotime_ms()) >= deadline)
			return ETIMEDOUT;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(deadline - now)) == -1 &&
		    errno != EINTR)
			return EIO;
	}
}

/* A lookup that got no answer: counted and logged. -1 with errno e. */
static int
pwdb_failure(int e, const char *call)
{
	pwdb_failed++;
	if (call != NULL)
		error_f("account lookup: %s: %s", call, strerror(e));
	else if (e == ETIMEDOUT)
		error_f("account lookup killed after %d ms: the NSS backend "
		    "does not answer", pwdb_timeout);
	else if (e == EIO)
		error_f("account lookup: its process died without answering");
	else if (e == EFBIG)
		error_f("account lookup: answer over %d bytes, refused",
		    PWDB_RES_MAX);
	else
		error_f("account lookup: %s", strerror(e));
	errno = e;
	return -1;
}

/* See pwdb.h: fn's value, or -1 with errno. */
int
pwdb_call(pwdb_fn fn, const void *arg, char **res, size_t *reslen)
{
	struct pwdb_hdr h;
	char *buf = NULL;
	size_t len = 0;
	int p[2], st, why, e;
	pid_t pid, self = getpid();

	*res = NULL;
	*reslen = 0;
	pwdb_calls++;
	/* Only our end is non-blocking: the child writes its whole answer. */
	if (pipe2(p, O_CLOEXEC) == -1)
		return pwdb_failure(errno, "pipe");
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) == -1 || (pid = fork()) == -1) {
		e = errno;
		close(p[0]);
		close(p[1]);
		return pwdb_failure(e, "fork");
	}
	if (pid == 0) {
		close(p[0]);
		pwdb_child(fn, arg, p[1], self);
	}
	close(p[1]);
	why = pwdb_read(p[0], &buf, &len, monotime_ms() + pwdb_timeout);
	close(p[0]);
	if (why != 0)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	/* A whole answer is one whose writer exited 0 after writing it. */
	if (why == 0 && (len < sizeof(h) || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0))
		why = EIO;
	if (why != 0) {
		if (buf != NULL) {
			explicit_bzero(buf, len);
			free(buf);
		}
		return pwdb_failure(why, NULL);
	}
	memcpy(&h, buf, sizeof(h));
	*reslen = len - sizeof(h);
	if (*reslen > 0) {
		memmove(buf, buf + sizeof(h), *reslen);
		*res = buf;
	} else
		free(buf);
	errno = h.err;
	return h.rv;
}

/* getpwnam_r / getpwuid_r / getgrgid_r / getspnam_r behind one shape. */
typedef int (*nss_r_fn)(const void *key, void *ent, char *buf, size_t sz,
    void **found);

static int
pw_r(const void *key, void *ent, char *buf, size_t sz, void **found)
{
	const struct pwdb_key *k = key;
	struct passwd *res = NULL;
	int r;

	r = k->name != NULL ? getpwnam_r(k->name, ent, buf, sz, &res) :
	    getpwuid_r(k->uid, ent, buf, sz, &res);
	*found = res;
	return r;
}

static int
gr_r(const void *key, void *ent, char *buf, size_t sz, void **found)
{
	struct group *res = NULL;
	int r;

	r = getgrgid_r(*(const gid_t *)key, ent, buf, sz, &res);
	*found = res;
	return r;
}

static int
sp_r(const void *key, void *ent, char *buf, size_t sz, void **found)
{
	struct spwd *res = NULL;
	int r;

	r = getspnam_r(key, ent, buf, sz, &res);
	/* Some backends say "no entry" with ENOENT rather than a bare NULL. */
	if (r == ENOENT)
		r = 0;
	*found = res;
	return r;
}

/*
 * One *_r call with its buffer doubled from the sysconf hint while it says
 * ERANGE. *buf (malloc'd, *sz bytes) holds the entry's strings: the
 * caller frees it, zeroing it first when they are secret; it is NULL when
 * none could be allocated. 1 found, 0 none, -1 with errno.
 */
static int
nss_grow(nss_r_fn fn, const void *key, void *ent, int hint, char **buf,
    size_t *sz)
{
	long n = hint != 0 ? sysconf(hint) : -1;
	void *found = NULL;
	char *nb;
	int r;

	*buf = NULL;
	*sz = (n <= 0 || n > PWDB_NSS_BUF_MAX) ? 16384 : (size_t)n;
	for (;;) {
		if ((nb = malloc(*sz)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		if ((r = fn(key, ent, nb, *sz, &found)) != ERANGE ||
		    *sz >= PWDB_NSS_BUF_MAX)
			break;
		explicit_bzero(nb, *sz);
		free(nb);
		*sz *= 2;
	}
	*buf = nb;
	if (r != 0) {
		errno = r;
		return -1;
	}
	return found != NULL;
}

/* See pwdb.h: 1/0/-1, *buf for the caller to free. */
int
pwdb_child_getpw(const char *name, uid_t uid, struct passwd *pw, char **buf)
{
	struct pwdb_key k = { name, uid };
	size_t sz;

	return nss_grow(pw_r, &k, pw, _SC_GETPW_R_SIZE_MAX, buf, &sz);
}

/* See pwdb.h: 1/0/-1, *buf for the caller to free. */
int
pwdb_child_getgr(gid_t gid, struct group *gr, char **buf)
{
	size_t sz;

	return nss_grow(gr_r, &gid, gr, _SC_GETGR_R_SIZE_MAX, buf, &sz);
}

/* Child side: one passwd entry into a malloc'd struct pwdb_user. */
static int
user_fn(const void *arg, char **out, size_t *outlen)
{
	const struct pwdb_key *k = arg;
	struct passwd pw;
	struct pwdb_user *u;
	char *buf;
	int r;

	if ((r = pwdb_child_getpw(k->name, k->uid, &pw, &buf)) != 1) {
		free(buf);
		return r;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		free(buf);
		errno = ENOMEM;
		return -1;
	}
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	if (sm_strlcpy(u->name, pw.pw_name, sizeof(u->name)) >=
	    sizeof(u->name) || sm_strlcpy(u->dir, pw.pw_dir != NULL ?
	    pw.pw_dir : "", sizeof(u->dir)) >= sizeof(u->dir) ||
	    sm_strlcpy(u->shell, pw.pw_shell != NULL ? pw.pw_shell : "",
	    sizeof(u->shell)) >= sizeof(u->shell)) {
		free(u);
		free(buf);
		errno = ENAMETOOLONG;
		return -1;
	}
	free(buf);
	*out = (char *)u;
	*outlen = sizeof(*u);
	return 1;
}

/* Takes a fixed-size answer of a found entry: 1/0/-1 as pwdb.h says. */
static int
fixed_answer(int r, char *res, size_t reslen, void *dst, size_t dlen)
{
	int e = errno;

	if (r == 1 && (res == NULL || reslen != dlen)) {
		r = -1;
		e = EIO;
	} else if (r == 1)
		memcpy(dst, res, dlen);
	if (res != NULL) {
		explicit_bzero(res, reslen);
		free(res);
	}
	errno = e;
	return r;
}

static int
user_lookup(const struct pwdb_key *k, struct pwdb_user *u)
{
	char *res;
	size_t reslen;
	int r;

	memset(u, 0, sizeof(*u));
	r = pwdb_call(user_fn, k, &res, &reslen);
	return fixed_answer(r, res, reslen, u, sizeof(*u));
}

/* See pwdb.h: 1/0/-1. */
int
pwdb_user_byname(const char *name, struct pwdb_user *u)
{
	struct pwdb_key k = { name, 0 };

	if (name == NULL || *name == '\0') {
		memset(u, 0, sizeof(*u));
		return 0;
	}
	return user_lookup(&k, u);
}

/* See pwdb.h: 1/0/-1. */
int
pwdb_user_byuid(uid_t uid, struct pwdb_user *u)
{
	struct pwdb_key k = { NULL, uid };

	return user_lookup(&k, u);
}

/* See pwdb.h. */
const char *
pwdb_uid_name(uid_t uid, char *buf, size_t len)
{
	struct pwdb_user u;

	if (pwdb_user_byuid(uid, &u) == 1)
		sm_strlcpy(buf, u.name, len);
	else
		sm_strlcpy(buf, "?", len);
	return buf;
}

/* Child side: one shadow entry; the buffer that held the hash zeroed. */
static int
shadow_fn(const void *arg, char **out, size_t *outlen)
{
	struct spwd sp;
	struct pwdb_shadow *s = NULL;
	size_t sz;
	char *buf;
	int r, e = 0;

	if ((r = nss_grow(sp_r, arg, &sp, 0, &buf, &sz)) == 1) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			e = ENOMEM;
		else if (sm_strlcpy(s->hash, sp.sp_pwdp != NULL ?
		    sp.sp_pwdp : "", sizeof(s->hash)) >= sizeof(s->hash))
			e = ENAMETOOLONG;
		else
			s->expire = sp.sp_expire;
	} else
		e = errno;
	if (buf != NULL) {
		explicit_bzero(buf, sz);
		free(buf);
	}
	if (r == 1 && e != 0) {
		if (s != NULL) {
			explicit_bzero(s, sizeof(*s));
			free(s);
		}
		r = -1;
	}
	if (r != 1) {
		errno = e;
		return r;
	}
	*out = (char *)s;
	*outlen = sizeof(*s);
	return 1;
}

/* See pwdb.h: 1/0/-1. */
int
pwdb_shadow(const char *name, struct pwdb_shadow *s)
{
	char *res;
	size_t reslen;
	int r;

	memset(s, 0, sizeof(*s));
	if (name == NULL || *name == '\0')
		return 0;
	r = pwdb_call(shadow_fn, name, &res, &reslen);
	return fixed_answer(r, res, reslen, s, sizeof(*s));
}

/* Child side of pwdb_group_private: the answer is the return value. */
static int
group_private_fn(const void *arg, char **out, size_t *outlen)
{
	const struct pwdb_grp *g = arg;
	struct passwd *pw;
	struct group *gr;
	char name[PWDB_NAME_MAX];
	size_t seen = 0;
	int members = 0, ok = 1;

	(void)out;
	(void)outlen;
	if ((pw = getpwuid(g->uid)) == NULL ||
	    sm_strlcpy(name, pw->pw_name, sizeof(name)) >= sizeof(name))
		return 0;
	if ((gr = getgrgid(g->gid)) == NULL)
		return 0;
	if (gr->gr_mem[0] != NULL) {
		if (strcmp(gr->gr_mem[0], name) != 0 || gr->gr_mem[1] != NULL)
			return 0;
		members++;
	}
	setpwent();
	while (ok && seen++ < g->max && (pw = getpwent()) != NULL) {
		if (pw->pw_gid != g->gid)
			continue;
		members++;
		if (pw->pw_uid != g->uid)
			ok = 0;
	}
	endpwent();
	return ok && seen < g->max && members > 0;
}

/* See pwdb.h: 1/0. */
int
pwdb_group_private(gid_t gid, uid_t uid, size_t max)
{
	struct pwdb_grp g = { gid, uid, max };
	char *res;
	size_t reslen;
	int r;

	r = pwdb_call(group_private_fn, &g, &res, &reslen);
	free(res);
	return r == 1;
}
