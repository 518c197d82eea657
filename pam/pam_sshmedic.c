/*
 * pam_sshmedic.so: tells sshmedicd about authentication failures and
 * successes, account denials and opened sessions, one datagram per event.
 *
 * Stack (Debian 12 /etc/pam.d/sshd). PAM gives no module the stack's
 * result so far, so the lines sit between the real check and pam_deny and
 * are reached through jumps, as with pam_faillock. common-auth and
 * common-account end on "requisite pam_deny.so", so their lines are copied
 * into /etc/pam.d/sshd in place of the @include, with the jump widened by
 * one (with more modules from pam-auth-update, every success=N grows by 1):
 *
 *   auth    optional                    pam_sshmedic.so preauth
 *   auth    [success=2 default=ignore]  pam_unix.so nullok
 *   auth    optional                    pam_sshmedic.so authfail
 *   auth    requisite                   pam_deny.so
 *   auth    optional                    pam_sshmedic.so authsucc
 *   auth    required                    pam_permit.so
 *
 *   account [success=2 new_authtok_reqd=done default=ignore]  pam_unix.so
 *   account optional                    pam_sshmedic.so denied
 *   account requisite                   pam_deny.so
 *   account required                    pam_permit.so
 *
 *   @include common-session
 *   session optional                    pam_sshmedic.so
 *
 * Every entry point returns PAM_IGNORE (setcred PAM_SUCCESS), so the stack
 * decides exactly as it would without the module. The session event has
 * the method and key only with sshd's "ExposeAuthInfo yes".
 * Options: socket=PATH (default /run/sshmedic/event.sock), debug.
 * Sending never blocks: one non-blocking datagram, sent once, no retry;
 * when nobody listens or the queue is full the event is dropped, and the
 * drop is counted: one byte appended to the drop file beside the socket
 * (event.drops), which sshmedicd creates and reads (never created here).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#define PAM_SM_SESSION
#include <security/pam_modules.h>
#include <security/pam_ext.h>

#include "event.h"

#define SMPAM_DEFAULT_SOCKET	"/run/sshmedic/event.sock"
#define SMPAM_DROPS_MAX		(1024 * 1024)	/* the count saturates there */

enum smpam_action {
	ACT_NONE = 0, ACT_PREAUTH, ACT_AUTHFAIL, ACT_AUTHSUCC, ACT_DENIED
};

/* The module's argv, parsed once per call; no state outlives a call. */
struct smpam_opts {
	enum smpam_action action;
	const char	*socket;
	int		 debug;
};

/*
 * The one parser for the module's argv. Unknown options are logged and
 * ignored (as a typo must never lock anyone out).
 */
static void
parse_args(pam_handle_t *pamh, int argc, const char **argv,
    struct smpam_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->socket = SMPAM_DEFAULT_SOCKET;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "preauth") == 0)
			o->action = ACT_PREAUTH;
		else if (strcmp(argv[i], "authfail") == 0)
			o->action = ACT_AUTHFAIL;
		else if (strcmp(argv[i], "authsucc") == 0)
			o->action = ACT_AUTHSUCC;
		else if (strcmp(argv[i], "denied") == 0)
			o->action = ACT_DENIED;
		else if (strcmp(argv[i], "debug") == 0)
			o->debug = 1;
		else if (strncmp(argv[i], "socket=", 7) == 0)
			o->socket = argv[i] + 7;
		else
			pam_syslog(pamh, LOG_ERR, "unknown option: %s",
			    argv[i]);
	}
}

/* Copies a PAM string item into dst; an unset item leaves "". */
static void
get_item_str(pam_handle_t *pamh, int item, char *dst, size_t dsize)
{
	const void *v = NULL;
	size_t n;

	dst[0] = '\0';
	if (pam_get_item(pamh, item, &v) != PAM_SUCCESS || v == NULL)
		return;
	/* Longer values are cut: the record stays bounded, the event kept. */
	n = strnlen(v, dsize - 1);
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/*
 * Method and key from the first line of SSH_AUTH_INFO_0, e.g.
 * "publickey ssh-ed25519 AAAA..." or "password". A key that does not fit
 * is left out rather than cut, as a cut key names no key.
 */
static void
get_auth_info(pam_handle_t *pamh, struct sm_event *e)
{
	const char *info, *sp, *nl;
	size_t mlen, klen;

	if ((info = pam_getenv(pamh, "SSH_AUTH_INFO_0")) == NULL)
		return;
	nl = strchr(info, '\n');
	if (nl == NULL)
		nl = info + strlen(info);
	sp = memchr(info, ' ', (size_t)(nl - info));
	mlen = (size_t)((sp != NULL ? sp : nl) - info);
	if (mlen >= sizeof(e->method))
		return;
	memcpy(e->method, info, mlen);
	e->method[mlen] = '\0';
	if (sp == NULL)
		return;
	klen = (size_t)(nl - sp - 1);
	if (klen >= sizeof(e->key))
		return;
	memcpy(e->key, sp + 1, klen);
	e->key[klen] = '\0';
}

/* Sends one datagram; 0 or -1 with errno. Never blocks, never retries. */
static int
send_datagram(const char *path, const char *buf, size_t len)
{
	struct sockaddr_un sun;
	size_t plen = strlen(path);
	int fd, r = -1, saved;

	if (path[0] != '/' || plen >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, sizeof(sun)) == (ssize_t)len)
		r = 0;
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/*
 * Counts one dropped event: a byte appended to the socket's drop file
 * ("X.sock" -> "X.drops"). Only an existing file of the daemon's is
 * written (no O_CREAT, no symlink followed, no terminal); never blocks.
 */
static void
count_drop(pam_handle_t *pamh, const struct smpam_opts *o)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	size_t n = strlen(o->socket);
	struct stat st;
	int fd;

	if (n >= sizeof(path) - 8)
		return;
	memcpy(path, o->socket, n + 1);
	if (n > 5 && strcmp(path + n - 5, ".sock") == 0)
		n -= 5;
	memcpy(path + n, ".drops", 7);
	fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < SMPAM_DROPS_MAX && write(fd, "x", 1) != 1 && o->debug)
		pam_syslog(pamh, LOG_DEBUG, "drop not counted in %s: %m", path);
	close(fd);
}

/*
 * Builds and sends one event. Always returns nothing: whatever happens
 * here must not change the stack's result.
 */
static void
report(pam_handle_t *pamh, const struct smpam_opts *o, enum event_kind kind,
    int with_auth_info)
{
	struct sm_event e;
	char buf[EVENT_MAX];
	size_t len;

	memset(&e, 0, sizeof(e));
	e.version = EVENT_VERSION;
	e.kind = kind;
	e.pid = (long)getpid();
	get_item_str(pamh, PAM_USER, e.user, sizeof(e.user));
	get_item_str(pamh, PAM_RHOST, e.rhost, sizeof(e.rhost));
	get_item_str(pamh, PAM_SERVICE, e.service, sizeof(e.service));
	if (e.user[0] == '\0') {
		if (o->debug)
			pam_syslog(pamh, LOG_DEBUG, "%s: no user, no event",
			    event_kind_name(kind));
		goto out;
	}
	if (with_auth_info)
		get_auth_info(pamh, &e);
	if (event_format(&e, buf, sizeof(buf), &len) == -1) {
		/* Encoded long values may not fit: the key goes first. */
		e.key[0] = '\0';
		if (event_format(&e, buf, sizeof(buf), &len) == -1) {
			if (o->debug)
				pam_syslog(pamh, LOG_DEBUG,
				    "%s: event does not fit",
				    event_kind_name(kind));
			goto out;
		}
	}
	if (send_datagram(o->socket, buf, len) == -1) {
		if (o->debug)
			pam_syslog(pamh, LOG_DEBUG, "%s: not sent to %s: %m",
			    event_kind_name(kind), o->socket);
		count_drop(pamh, o);
		goto out;
	}
	if (o->debug)
		pam_syslog(pamh, LOG_DEBUG, "%s: sent", event_kind_name(kind));
 out:
	return;
}

/* PAM code: always PAM_IGNORE, the stack's result is the other modules'. */
int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct smpam_opts o;

	parse_args(pamh, argc, argv, &o);
	switch (o.action) {
	case ACT_AUTHFAIL:
		report(pamh, &o, EVK_AUTH_FAIL, 0);
		break;
	case ACT_AUTHSUCC:
		report(pamh, &o, EVK_AUTH_OK, 0);
		break;
	case ACT_PREAUTH:
	default:
		break;
	}
	return PAM_IGNORE;
}

/*
 * PAM code: PAM_SUCCESS, as pam_faillock does, so an auth line of this
 * module never fails the credential phase that follows authentication.
 */
int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}

/* PAM code: always PAM_IGNORE; reports a denial only with "denied". */
int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct smpam_opts o;

	parse_args(pamh, argc, argv, &o);
	if (o.action == ACT_DENIED)
		report(pamh, &o, EVK_ACCT_DENIED, 0);
	return PAM_IGNORE;
}

/* PAM code: always PAM_IGNORE; reports the session with method and key. */
int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct smpam_opts o;

	parse_args(pamh, argc, argv, &o);
	report(pamh, &o, EVK_SESSION_OPEN, 1);
	return PAM_IGNORE;
}

/* PAM code: always PAM_IGNORE; a closed session is not an event. */
int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	return PAM_IGNORE;
}
