/*
 * bench/pam, daemon side: how many PAM event datagrams per second sshmedicd
 * takes in from many senders, what is lost, and a spray of distinct users.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"
#include "event.h"
#include "sandbox.h"
#include "pam_int.h"

#define PI_POLL_MS	2	/* status polls while waiting for the daemon */
#define PI_CTL_MS	2000	/* one status request */

static char ctl_sock[108], ev_sock[108];

void
pi_setup(const char *ctl, const char *ev)
{
	snprintf(ctl_sock, sizeof(ctl_sock), "%s", ctl);
	snprintf(ev_sock, sizeof(ev_sock), "%s", ev);
}

static int
get_u64(json_object *o, const char *key, uint64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = (uint64_t)json_object_get_int64(v);
	return 0;
}

int
pi_status(uint64_t *received, uint64_t *rejected)
{
	json_object *o;
	char *reply;
	uint64_t rej;
	int r = -1;

	if (ctl_request(ctl_sock, "events", PI_CTL_MS, &reply) == -1)
		return -1;
	if ((o = json_tokener_parse(reply)) != NULL) {
		if (get_u64(o, "events_received", received) == 0 &&
		    get_u64(o, "events_rejected", &rej) == 0) {
			if (rejected != NULL)
				*rejected = rej;
			r = 0;
		}
		json_object_put(o);
	}
	free(reply);
	return r;
}

long long
pi_field(const char *key)
{
	json_object *o;
	char *reply;
	uint64_t v;
	long long r = -1;

	if (ctl_request(ctl_sock, "events", PI_CTL_MS, &reply) == -1)
		return -1;
	if ((o = json_tokener_parse(reply)) != NULL) {
		if (get_u64(o, key, &v) == 0)
			r = (long long)v;
		json_object_put(o);
	}
	free(reply);
	return r;
}

int
pi_wait_up(int timeout_ms)
{
	double deadline = sb_now_ms() + timeout_ms;
	uint64_t v;

	while (pi_status(&v, NULL) == -1) {
		if (sb_now_ms() >= deadline)
			return -1;
		sb_msleep(10);
	}
	return 0;
}

int
pi_wait_received(uint64_t want, int settle_ms, int timeout_ms, uint64_t *got,
    double *t_ms)
{
	double now, deadline = sb_now_ms() + timeout_ms, seen;
	uint64_t v, last;

	if (pi_status(&last, NULL) == -1)
		return -1;
	seen = sb_now_ms();
	while (last < want) {
		sb_msleep(PI_POLL_MS);
		if (pi_status(&v, NULL) == -1)
			return -1;
		now = sb_now_ms();
		if (v != last) {
			last = v;
			seen = now;
		} else if (now - seen >= settle_ms)
			break;
		if (now >= deadline)
			break;
	}
	*got = last;
	*t_ms = seen;
	return 0;
}

double
pi_status_cost_ms(void)
{
	double v[9], t0;
	uint64_t x;
	int i;

	for (i = 0; i < 9; i++) {
		t0 = sb_now_ms();
		if (pi_status(&x, NULL) == -1)
			return -1;
		v[i] = sb_now_ms() - t0;
	}
	qsort(v, 9, sizeof(v[0]), sb_cmp_double);
	return v[4];
}

/* One datagram as the module would send it; exits if it does not fit. */
static size_t
format_event(const char *user, const char *rhost, char *buf, size_t len)
{
	struct sm_event e;
	size_t n;

	memset(&e, 0, sizeof(e));
	e.version = EVENT_VERSION;
	e.kind = EVK_AUTH_FAIL;
	e.pid = (long)getpid();
	snprintf(e.user, sizeof(e.user), "%s", user);
	snprintf(e.rhost, sizeof(e.rhost), "%s", rhost);
	snprintf(e.service, sizeof(e.service), "sshd");
	if (event_format(&e, buf, len, &n) == -1)
		sb_die("event_format");
	return n;
}

/* A datagram socket connected to the daemon's event socket. */
static int
connect_event(int blocking)
{
	struct sockaddr_un sun;
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
	    (blocking ? 0 : SOCK_NONBLOCK), 0)) == -1)
		sb_die("socket");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ev_sock);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		sb_die(ev_sock);
	return fd;
}

/* One datagram, once (a signal aside): 0, or -1 with errno. */
static int
send_one(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		errno = EMSGSIZE;
	return -1;
}

struct sender {
	pthread_t	 th;
	pthread_barrier_t *go;
	int		 fd, per;
	char		 buf[EVENT_MAX];
	size_t		 len;
	long long	 sent, dropped, errors;
	double		 t_first;
};

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	int i;

	pthread_barrier_wait(s->go);
	s->t_first = sb_now_ms();
	for (i = 0; i < s->per; i++) {
		if (send_one(s->fd, s->buf, s->len) == 0)
			s->sent++;
		else if (errno == EAGAIN || errno == ENOBUFS)
			s->dropped++;
		else
			s->errors++;
	}
	return NULL;
}

/* Fills the daemon's side of r: waits, then counts and times. */
static void
finish(struct pi_run *r, uint64_t base, uint64_t rej0, double t_first)
{
	uint64_t got, rej;
	double t_last;

	if (pi_wait_received(base + (uint64_t)r->sent, 500, 60000, &got,
	    &t_last) == -1 || pi_status(&got, &rej) == -1) {
		fprintf(stderr, "bench/pam: the daemon stopped answering\n");
		exit(1);
	}
	r->received = (long long)(got - base);
	r->rejected = (long long)(rej - rej0);
	r->lost = r->attempted - r->received;
	r->elapsed_ms = t_last - t_first;
	r->eps = r->elapsed_ms > 0 ? r->received * 1000.0 / r->elapsed_ms : 0;
}

void
pi_burst(int senders, int per, int blocking, struct pi_run *r)
{
	pthread_barrier_t go;
	struct sender *s;
	char user[32], rhost[32];
	uint64_t base, rej0;
	double t_first = 0;
	int i;

	memset(r, 0, sizeof(*r));
	if ((s = calloc((size_t)senders, sizeof(*s))) == NULL)
		sb_die("calloc");
	if (pi_status(&base, &rej0) == -1)
		sb_die("status");
	pthread_barrier_init(&go, NULL, (unsigned)senders);
	for (i = 0; i < senders; i++) {
		/* One user and source per sender: each hits its own entry. */
		snprintf(user, sizeof(user), "ingest%02d", i);
		snprintf(rhost, sizeof(rhost), "198.51.100.%d", i % 256);
		s[i].len = format_event(user, rhost, s[i].buf, sizeof(s[i].buf));
		s[i].fd = connect_event(blocking);
		s[i].per = per;
		s[i].go = &go;
		if ((errno = pthread_create(&s[i].th, NULL, sender_main,
		    &s[i])) != 0)
			sb_die("pthread_create");
	}
	for (i = 0; i < senders; i++) {
		pthread_join(s[i].th, NULL);
		close(s[i].fd);
		r->attempted += per;
		r->sent += s[i].sent;
		r->dropped += s[i].dropped;
		r->errors += s[i].errors;
		if (i == 0 || s[i].t_first < t_first)
			t_first = s[i].t_first;
	}
	pthread_barrier_destroy(&go);
	free(s);
	finish(r, base, rej0, t_first);
}

void
pi_spray(int n, struct pi_run *r)
{
	char buf[EVENT_MAX], user[40], rhost[32];
	uint64_t base, rej0, x;
	double t_first;
	size_t len;
	int fd, i;

	memset(r, 0, sizeof(*r));
	if (getrandom(&x, sizeof(x), 0) != sizeof(x))
		sb_die("getrandom");
	if (pi_status(&base, &rej0) == -1)
		sb_die("status");
	fd = connect_event(1);
	t_first = sb_now_ms();
	for (i = 0; i < n; i++) {
		/* Random names; the index appended keeps them distinct. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		snprintf(user, sizeof(user), "%012llx%06d",
		    (unsigned long long)(x & 0xffffffffffffULL), i);
		snprintf(rhost, sizeof(rhost), "203.0.113.%d", i % 256);
		len = format_event(user, rhost, buf, sizeof(buf));
		r->attempted++;
		if (send_one(fd, buf, len) == 0)
			r->sent++;
		else
			r->errors++;
	}
	close(fd);
	finish(r, base, rej0, t_first);
}
