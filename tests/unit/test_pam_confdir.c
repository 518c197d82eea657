/*
 * pam_sshmedic.so driven through a real libpam stack (pam_start_confdir):
 * the stack's result is unchanged and exactly one parsable event is sent.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <security/pam_appl.h>

#include "event.h"

#define TEST_USER	"smt-user"
#define TEST_RHOST	"192.0.2.7"

struct fixture {
	char	*dir;		/* confdir and socket directory */
	char	 sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int	 rfd;		/* the bound receiver, or -1 */
};

/* The module's path from the environment (AM_TESTS_ENVIRONMENT). */
static const char *
module_path(void)
{
	const char *p = getenv("SSHMEDIC_PAM_MODULE");

	if (p == NULL || *p == '\0')
		return NULL;
	return p;
}

/* No module of these stacks prompts; a conversation is still required. */
static int
conv_none(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)data;
	return PAM_CONV_ERR;
}

static const struct pam_conv conv = { conv_none, NULL };

static int
setup(void **state)
{
	struct fixture *f;

	if (module_path() == NULL) {
		print_message("SSHMEDIC_PAM_MODULE not set\n");
		return -1;
	}
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->dir = unit_mkdtemp();
	f->rfd = -1;
	assert_true((size_t)snprintf(f->sock, sizeof(f->sock), "%s/ev.sock",
	    f->dir) < sizeof(f->sock));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->rfd != -1)
		close(f->rfd);
	unit_rmtree(f->dir);
	free(f);
	return 0;
}

/* Binds a non-blocking datagram receiver at path. */
static int
bind_receiver(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_not_equal(fd, -1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/*
 * Writes service file dir/service: optionally the module line with
 * action and socket, then the deciding module (pam_deny or pam_permit).
 */
static void
write_service(const char *dir, const char *service, int with_module,
    const char *action, const char *sock, const char *decider)
{
	char path[4096], text[8192];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, service);
	assert_true(n > 0 && (size_t)n < sizeof(path));
	if (with_module)
		n = snprintf(text, sizeof(text),
		    "auth optional %s %s socket=%s\n"
		    "auth required %s\n",
		    module_path(), action, sock, decider);
	else
		n = snprintf(text, sizeof(text), "auth required %s\n",
		    decider);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	unit_write(path, text);
}

static pam_handle_t *
start(const char *dir, const char *service)
{
	pam_handle_t *pamh = NULL;

	assert_int_equal(pam_start_confdir(service, TEST_USER, &conv, dir,
	    &pamh), PAM_SUCCESS);
	assert_non_null(pamh);
	assert_int_equal(pam_set_item(pamh, PAM_RHOST, TEST_RHOST),
	    PAM_SUCCESS);
	return pamh;
}

/* Runs pam_authenticate on a fresh handle; returns its result. */
static int
authenticate(const char *dir, const char *service)
{
	pam_handle_t *pamh = start(dir, service);
	int r;

	r = pam_authenticate(pamh, 0);
	assert_int_equal(pam_end(pamh, r), PAM_SUCCESS);
	return r;
}

/* Reads exactly one event from fd and checks it; none may follow. */
static void
expect_one_event(int fd, enum event_kind kind, const char *service)
{
	char buf[EVENT_MAX + 1];
	struct sm_event e;
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(n > 0);
	assert_true((size_t)n <= EVENT_MAX);
	assert_int_equal(event_parse(buf, (size_t)n, &e), 0);
	assert_int_equal(e.version, EVENT_VERSION);
	assert_int_equal(e.kind, kind);
	assert_string_equal(e.user, TEST_USER);
	assert_string_equal(e.rhost, TEST_RHOST);
	assert_string_equal(e.service, service);
	assert_int_equal(e.pid, (long)getpid());
	/* A second datagram would be a duplicate event. */
	errno = 0;
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
expect_no_event(int fd)
{
	char buf[EVENT_MAX + 1];

	errno = 0;
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* One stack checked against the same stack without the module. */
static void
check_stack(struct fixture *f, const char *action, const char *decider,
    int want, enum event_kind kind)
{
	write_service(f->dir, "plain", 0, NULL, NULL, decider);
	write_service(f->dir, "smtest", 1, action, f->sock, decider);
	assert_int_equal(authenticate(f->dir, "plain"), want);

	f->rfd = bind_receiver(f->sock);
	assert_int_equal(authenticate(f->dir, "smtest"), want);
	expect_one_event(f->rfd, kind, "smtest");
	/* The unrelated stack sends nothing. */
	assert_int_equal(authenticate(f->dir, "plain"), want);
	expect_no_event(f->rfd);

	/* Nobody listening: the event is dropped, the result the same. */
	close(f->rfd);
	f->rfd = -1;
	assert_int_equal(unlink(f->sock), 0);
	assert_int_equal(authenticate(f->dir, "smtest"), want);
	/* A stale socket file with no receiver behind it: the same. */
	close(bind_receiver(f->sock));
	assert_int_equal(authenticate(f->dir, "smtest"), want);
}

static void
test_authfail_deny(void **state)
{
	check_stack(*state, "authfail", "pam_deny.so", PAM_AUTH_ERR,
	    EVK_AUTH_FAIL);
}

static void
test_authsucc_permit(void **state)
{
	check_stack(*state, "authsucc", "pam_permit.so", PAM_SUCCESS,
	    EVK_AUTH_OK);
}

/* preauth sends nothing; setcred of the stack still succeeds. */
static void
test_preauth_setcred(void **state)
{
	struct fixture *f = *state;
	pam_handle_t *pamh;
	int r;

	write_service(f->dir, "smtest", 1, "preauth", f->sock,
	    "pam_permit.so");
	f->rfd = bind_receiver(f->sock);
	pamh = start(f->dir, "smtest");
	r = pam_authenticate(pamh, 0);
	assert_int_equal(r, PAM_SUCCESS);
	assert_int_equal(pam_setcred(pamh, PAM_ESTABLISH_CRED), PAM_SUCCESS);
	assert_int_equal(pam_end(pamh, r), PAM_SUCCESS);
	expect_no_event(f->rfd);
}

/* A receiver whose queue is full: the module must not block. */
static void
test_full_receiver(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun;
	char buf[EVENT_MAX];
	int s, i;

	write_service(f->dir, "smtest", 1, "authfail", f->sock,
	    "pam_deny.so");
	f->rfd = bind_receiver(f->sock);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_not_equal(s, -1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, f->sock, strlen(f->sock) + 1);
	memset(buf, 'x', sizeof(buf));
	/* Bounded: the kernel queue fills long before this. */
	for (i = 0; i < 100000; i++)
		if (sendto(s, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&sun, sizeof(sun)) == -1)
			break;
	assert_true(i < 100000);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	close(s);
	assert_int_equal(authenticate(f->dir, "smtest"), PAM_AUTH_ERR);
}

/* Two handles alive at once, each with its own stack and socket. */
static void
test_two_handles(void **state)
{
	struct fixture *f = *state;
	pam_handle_t *a, *b;
	char sock2[sizeof(f->sock)];
	int fd2, ra, rb;

	assert_true((size_t)snprintf(sock2, sizeof(sock2), "%s/ev2.sock",
	    f->dir) < sizeof(sock2));
	write_service(f->dir, "sma", 1, "authfail", f->sock, "pam_deny.so");
	write_service(f->dir, "smb", 1, "authsucc", sock2, "pam_permit.so");
	f->rfd = bind_receiver(f->sock);
	fd2 = bind_receiver(sock2);

	a = start(f->dir, "sma");
	b = start(f->dir, "smb");
	rb = pam_authenticate(b, 0);
	ra = pam_authenticate(a, 0);
	assert_int_equal(ra, PAM_AUTH_ERR);
	assert_int_equal(rb, PAM_SUCCESS);
	expect_one_event(f->rfd, EVK_AUTH_FAIL, "sma");
	expect_one_event(fd2, EVK_AUTH_OK, "smb");
	/* Again, in the other order, on the same handles. */
	ra = pam_authenticate(a, 0);
	rb = pam_authenticate(b, 0);
	assert_int_equal(ra, PAM_AUTH_ERR);
	assert_int_equal(rb, PAM_SUCCESS);
	expect_one_event(f->rfd, EVK_AUTH_FAIL, "sma");
	expect_one_event(fd2, EVK_AUTH_OK, "smb");
	assert_int_equal(pam_end(a, ra), PAM_SUCCESS);
	assert_int_equal(pam_end(b, rb), PAM_SUCCESS);
	close(fd2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_authfail_deny, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_authsucc_permit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_preauth_setcred, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_full_receiver, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_handles, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
