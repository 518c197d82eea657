/*
 * bench/pam, PAM side: the three stacks, callers timing each call in
 * rounds, all in a child whose libpam cannot flood the audit log.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "sandbox.h"
#include "pam_int.h"

#define BP_RHOST	"192.0.2.1"
#define BP_WARMUP	20		/* untimed rounds per caller first */
#define BP_EVENTS_PER_ROUND 4		/* authsucc, authfail, denied, session */

const char *const ps_stack_name[NSTACK] = { "base", "medic", "faillock" };
const char *const ps_phase_name[NPHASE] = { "auth ok", "auth fail",
	"account ok", "account denied", "session open" };

struct worker {
	pthread_t	 th;
	pthread_barrier_t *go;
	int		 n;
	pam_handle_t	*h[NSTACK][2];	/* [stack][0 ok service, 1 fail] */
	int		 want[NPHASE];	/* the base stack's results */
	double		*lat[NSTACK][NPHASE];
	double		*cpu[NSTACK][NPHASE];	/* thread CPU time, us */
	long long	 preempted[NSTACK][NPHASE];
	long long	 blocked[NSTACK][NPHASE];
	char		 err[200];
};

static char confdir[128], tally[128];

/* See pam_int.h. */
void
ps_setup(const char *conf_dir, const char *tally_dir)
{
	snprintf(confdir, sizeof(confdir), "%s", conf_dir);
	snprintf(tally, sizeof(tally), "%s", tally_dir);
}

/* See pam_int.h. */
int
ps_timed(int s, int p)
{
	return !(s == ST_FAILLOCK && p == PH_SESSION);
}

static int
fails(int p)
{
	return p == PH_AUTH_FAIL || p == PH_ACCT_FAIL;
}

/*
 * The module's documented stack (pam_sshmedic(8), README) with pam_permit
 * (the "ok" services) or pam_deny ("fail") as the real check. The base is
 * the same lines without the module; faillock's auth lines sit where the
 * module's do, with the module's "optional" so that the three stacks take
 * the same path and differ only in the work of those lines. Faillock has
 * no denial hook: its account line is the one its manual gives, first.
 */
void
ps_write_stacks(const char *module, const char *sock)
{
	char text[8192], name[64], m[600], f[600];
	const char *check;
	int s, o;

	if ((size_t)snprintf(m, sizeof(m), "optional %s", module) >=
	    sizeof(m) || (size_t)snprintf(f, sizeof(f), "dir=%s", tally) >=
	    sizeof(f) || strlen(sock) > 200) {
		errno = ENAMETOOLONG;
		sb_die(module);
	}
	for (s = 0; s < NSTACK; s++) {
		for (o = 0; o < 2; o++) {
			check = o ? "pam_deny.so" : "pam_permit.so";
			if (s == ST_BASE)
				snprintf(text, sizeof(text),
				    "auth [success=1 default=ignore] %s\n"
				    "auth requisite pam_deny.so\n"
				    "auth required pam_permit.so\n"
				    "account [success=1 new_authtok_reqd=done "
				    "default=ignore] %s\n"
				    "account requisite pam_deny.so\n"
				    "account required pam_permit.so\n"
				    "session required pam_permit.so\n",
				    check, check);
			else if (s == ST_MEDIC)
				snprintf(text, sizeof(text),
				    "auth %s preauth socket=%s\n"
				    "auth [success=2 default=ignore] %s\n"
				    "auth %s authfail socket=%s\n"
				    "auth requisite pam_deny.so\n"
				    "auth %s authsucc socket=%s\n"
				    "auth required pam_permit.so\n"
				    "account [success=2 new_authtok_reqd=done "
				    "default=ignore] %s\n"
				    "account %s denied socket=%s\n"
				    "account requisite pam_deny.so\n"
				    "account required pam_permit.so\n"
				    "session required pam_permit.so\n"
				    "session %s socket=%s\n",
				    m, sock, check, m, sock, m, sock, check, m,
				    sock, m, sock);
			else
				snprintf(text, sizeof(text),
				    "auth optional pam_faillock.so preauth %s\n"
				    "auth [success=2 default=ignore] %s\n"
				    "auth optional pam_faillock.so authfail %s\n"
				    "auth requisite pam_deny.so\n"
				    "auth optional pam_faillock.so authsucc %s\n"
				    "auth required pam_permit.so\n"
				    "account required pam_faillock.so %s\n"
				    "account [success=1 new_authtok_reqd=done "
				    "default=ignore] %s\n"
				    "account requisite pam_deny.so\n"
				    "account required pam_permit.so\n"
				    "session required pam_permit.so\n",
				    f, check, f, f, f, check);
			snprintf(name, sizeof(name), "pam.d/%s-%s",
			    ps_stack_name[s], o ? "fail" : "ok");
			sb_put(name, text, 0644);
		}
	}
}

/* Nothing prompts in these stacks; a conversation is still required. */
static int
conv_none(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	return PAM_CONV_ERR;
}

static const struct pam_conv conv = { conv_none, NULL };

/* PAM_FAIL_DELAY: a failing stack returns at once instead of sleeping. */
static void
no_delay(int status, unsigned int usec, void *data)
{
}

typedef int (*pam_call)(pam_handle_t *, int);

static pam_call
phase_fn(int p)
{
	if (p == PH_AUTH_OK || p == PH_AUTH_FAIL)
		return pam_authenticate;
	if (p == PH_ACCT_OK || p == PH_ACCT_FAIL)
		return pam_acct_mgmt;
	return pam_open_session;
}

static double
ts_us(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e6 + (b->tv_nsec - a->tv_nsec) / 1e3;
}

/*
 * One call, timed alone: its result, the microseconds in *us, the
 * calling thread's CPU time in *cpu_us (what the call itself cost, without
 * the time it waited for a CPU: with more callers than CPUs that wait is
 * the run queue's, milliseconds). The thread's context switches, read
 * outside the timed part, tell whether the call was preempted (*inv) or
 * slept (*vol): the module must never sleep, and a tail made of preempted
 * calls is the scheduler's.
 */
static int
timed_call(pam_handle_t *h, int p, double *us, double *cpu_us, int *inv,
    int *vol)
{
	struct timespec a, b, ca, cb;
	struct rusage r0, r1;
	pam_call fn = phase_fn(p);
	int rc;

	getrusage(RUSAGE_THREAD, &r0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = fn(h, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
	getrusage(RUSAGE_THREAD, &r1);
	*us = ts_us(&a, &b);
	*cpu_us = ts_us(&ca, &cb);
	*inv = r1.ru_nivcsw != r0.ru_nivcsw;
	*vol = r1.ru_nvcsw != r0.ru_nvcsw;
	if (p == PH_SESSION && rc == PAM_SUCCESS)
		(void)pam_close_session(h, 0);
	return rc;
}

/*
 * Fresh handles for stack s, one per service, as sshd opens one per
 * connection (pam_modutil_getpwnam, which faillock calls, keeps a data
 * item per call until pam_end: a handle reused for thousands of calls
 * gets slower with each). 0, or -1 with w->err set.
 */
static int
open_pair(struct worker *w, int s)
{
	char svc[64];
	int o, rc;

	for (o = 0; o < 2; o++) {
		snprintf(svc, sizeof(svc), "%s-%s", ps_stack_name[s],
		    o ? "fail" : "ok");
		w->h[s][o] = NULL;
		rc = pam_start_confdir(svc, BP_USER, &conv, confdir,
		    &w->h[s][o]);
		if (rc == PAM_SUCCESS)
			rc = pam_set_item(w->h[s][o], PAM_RHOST, BP_RHOST);
		if (rc == PAM_SUCCESS)
			rc = pam_set_item(w->h[s][o], PAM_TTY, "ssh");
		if (rc == PAM_SUCCESS)
			rc = pam_set_item(w->h[s][o], PAM_FAIL_DELAY,
			    (const void *)no_delay);
		if (rc != PAM_SUCCESS) {
			snprintf(w->err, sizeof(w->err), "pam_start %s: %s",
			    svc, pam_strerror(w->h[s][o], rc));
			return -1;
		}
	}
	return 0;
}

static void
close_pair(struct worker *w, int s)
{
	int o;

	for (o = 0; o < 2; o++) {
		if (w->h[s][o] != NULL)
			pam_end(w->h[s][o], PAM_SUCCESS);
		w->h[s][o] = NULL;
	}
}

/*
 * One round: every phase on every stack, the stacks in an order that
 * rotates with the round, so that machine noise, caches and the daemon's
 * wakeups fall on all three alike. A result that differs from the base
 * stack's is an error: the module must never change one.
 */
static int
one_round(struct worker *w, int r, int timed)
{
	double us, cpu_us;
	int k, s, p, rc, inv, vol;

	for (k = 0; k < NSTACK; k++) {
		s = (r + k) % NSTACK;
		if (open_pair(w, s) == -1)
			return -1;
		for (p = 0; p < NPHASE; p++) {
			if (!ps_timed(s, p))
				continue;
			rc = timed_call(w->h[s][fails(p)], p, &us, &cpu_us,
			    &inv, &vol);
			if (rc != w->want[p]) {
				snprintf(w->err, sizeof(w->err), "%s stack, "
				    "%s: %s, the base stack gave %s",
				    ps_stack_name[s], ps_phase_name[p],
				    pam_strerror(w->h[s][0], rc),
				    pam_strerror(w->h[s][0], w->want[p]));
				close_pair(w, s);
				return -1;
			}
			if (!timed)
				continue;
			w->lat[s][p][r] = us;
			w->cpu[s][p][r] = cpu_us;
			w->preempted[s][p] += inv;
			w->blocked[s][p] += vol;
		}
		close_pair(w, s);
	}
	return 0;
}

/* The base stack's results, which the other two must give as well. */
static int
base_results(struct worker *w)
{
	double us, cpu_us;
	int p, inv, vol, bad = 0;

	if (open_pair(w, ST_BASE) == -1)
		return -1;
	for (p = 0; p < NPHASE && bad == 0; p++) {
		w->want[p] = timed_call(w->h[ST_BASE][fails(p)], p, &us,
		    &cpu_us, &inv, &vol);
		if ((w->want[p] == PAM_SUCCESS) == fails(p)) {
			snprintf(w->err, sizeof(w->err), "base stack, %s: %s",
			    ps_phase_name[p], pam_strerror(w->h[ST_BASE][0],
			    w->want[p]));
			bad = -1;
		}
	}
	close_pair(w, ST_BASE);
	return bad;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	int r, bad = base_results(w);

	for (r = 0; r < BP_WARMUP && bad == 0; r++)
		bad = one_round(w, r, 0);
	/* A failed caller still meets the others, then stops. */
	pthread_barrier_wait(w->go);
	for (r = 0; r < w->n && bad == 0; r++)
		bad = one_round(w, r, 1);
	return NULL;
}

/*
 * The p50 and p99 of the callers' samples (which: 0 wall clock, 1 CPU
 * time; parity: -1 every round, 0 the even ones, 1 the odd ones). 0, or -1
 * when out of memory.
 */
static int
quantiles(struct worker *w, int callers, int n, int s, int p, int which,
    int parity, double *p50, double *p99)
{
	double *v = malloc((size_t)callers * (size_t)n * sizeof(*v));
	size_t k = 0;
	int i, r;

	if (v == NULL)
		return -1;
	for (i = 0; i < callers; i++)
		for (r = 0; r < n; r++)
			if (parity == -1 || r % 2 == parity)
				v[k++] = which ? w[i].cpu[s][p][r] :
				    w[i].lat[s][p][r];
	qsort(v, k, sizeof(*v), sb_cmp_double);
	*p50 = sb_pct(v, (int)k, 0.5);
	*p99 = sb_pct(v, (int)k, 0.99);
	free(v);
	return 0;
}

/* Pools the callers' samples of one stack and phase into res slot c. */
static void
pool(struct worker *w, int callers, int n, int s, int p, struct bp_res *res,
    int c)
{
	size_t total = (size_t)callers * (size_t)n;
	long long inv = 0, vol = 0;
	double e50, e99, o50, o99;
	int i;

	if (quantiles(w, callers, n, s, p, 0, -1, &res->p50[c][s][p],
	    &res->p99[c][s][p]) == -1 || quantiles(w, callers, n, s, p, 1, -1,
	    &res->cp50[c][s][p], &res->cp99[c][s][p]) == -1) {
		res->p50[c][s][p] = res->p99[c][s][p] = -1;
		return;
	}
	if (s == ST_BASE) {
		if (quantiles(w, callers, n, s, p, 0, 0, &e50, &e99) == 0 &&
		    quantiles(w, callers, n, s, p, 0, 1, &o50, &o99) == 0)
			res->p99_noise[c][p] = e99 > o99 ? e99 - o99 : o99 - e99;
		else
			res->p99_noise[c][p] = -1;
	}
	for (i = 0; i < callers; i++) {
		inv += w[i].preempted[s][p];
		vol += w[i].blocked[s][p];
	}
	res->preempted[c][s][p] = (double)inv / total;
	res->blocked[c][s][p] = (double)vol / total;
}

/* callers threads at once, n rounds each, into res slot c. 0 or -1. */
static int
run_callers(struct bp_res *res, int c, int callers, int n)
{
	pthread_barrier_t go;
	struct worker *w, keeper;
	double t0;
	int i, s, p, rc = 0;

	if ((w = calloc((size_t)callers, sizeof(*w))) == NULL)
		return -1;
	/*
	 * A handle per stack held for the run keeps the modules loaded: the
	 * last pam_end would dlclose them, and every call would be charged
	 * for mapping them afresh (sshd pays that once per connection).
	 */
	memset(&keeper, 0, sizeof(keeper));
	for (s = 0; s < NSTACK; s++)
		if (open_pair(&keeper, s) == -1) {
			snprintf(res->err, sizeof(res->err), "%s", keeper.err);
			return -1;
		}
	pthread_barrier_init(&go, NULL, (unsigned)callers + 1);
	for (i = 0; i < callers; i++) {
		w[i].go = &go;
		w[i].n = n;
		for (s = 0; s < NSTACK; s++)
			for (p = 0; p < NPHASE; p++)
				if ((w[i].lat[s][p] = calloc((size_t)n,
				    sizeof(double))) == NULL ||
				    (w[i].cpu[s][p] = calloc((size_t)n,
				    sizeof(double))) == NULL)
					return -1;
		if ((errno = pthread_create(&w[i].th, NULL, worker_main,
		    &w[i])) != 0)
			return -1;
	}
	pthread_barrier_wait(&go);
	t0 = sb_now_ms();
	for (i = 0; i < callers; i++)
		pthread_join(w[i].th, NULL);
	res->wall_s[c] = (sb_now_ms() - t0) / 1000;
	res->callers[c] = callers;
	for (i = 0; i < callers && rc == 0; i++) {
		if (w[i].err[0] != '\0') {
			snprintf(res->err, sizeof(res->err), "%s", w[i].err);
			rc = -1;
		}
	}
	for (s = 0; s < NSTACK && rc == 0; s++)
		for (p = 0; p < NPHASE; p++)
			if (ps_timed(s, p))
				pool(w, callers, n, s, p, res, c);
	for (i = 0; i < callers; i++)
		for (s = 0; s < NSTACK; s++)
			for (p = 0; p < NPHASE; p++)
			{
				free(w[i].lat[s][p]);
				free(w[i].cpu[s][p]);
			}
	for (s = 0; s < NSTACK; s++)
		close_pair(&keeper, s);
	pthread_barrier_destroy(&go);
	free(w);
	return rc;
}

static int
write_proc(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, text, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/*
 * libpam writes a USER_AUTH/USER_ACCT/USER_START audit record per call:
 * millions here, which would flood the machine's audit log (and the tests
 * that read it). In a user namespace the kernel refuses them with
 * ECONNREFUSED, which libpam takes as "no audit" and goes on. Root stays
 * root (uid 0 mapped to 0), so the daemon still counts our datagrams. The
 * refused round trip is in all three stacks alike and cancels out.
 */
static int
enter_userns(void)
{
	if (unshare(CLONE_NEWUSER) == -1 ||
	    write_proc("/proc/self/setgroups", "deny") == -1 ||
	    write_proc("/proc/self/uid_map", "0 0 1\n") == -1 ||
	    write_proc("/proc/self/gid_map", "0 0 1\n") == -1)
		return -1;
	return 0;
}

/* The daemon's events_received once it has stopped growing, or -1. */
static long long
settled_received(uint64_t want)
{
	uint64_t got;
	double t;

	if (pi_wait_received(want, 500, 60000, &got, &t) == -1)
		return -1;
	return (long long)got;
}

/* The child: 1 caller, then callers at once. Never returns. */
static void
pam_child(struct bp_res *res, int callers, int n)
{
	long long before, after, lost0, lost1, wk0, wk1, dl0, dl1;
	int c;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* Killed with this bench, however it ends. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() == 1)
		_exit(1);
	if (enter_userns() == -1) {
		snprintf(res->err, sizeof(res->err), "user namespace: %s",
		    strerror(errno));
		_exit(1);
	}
	for (c = 0; c < 2; c++) {
		if ((before = settled_received(UINT64_MAX)) == -1)
			goto nodaemon;
		lost0 = pi_field("events_lost");
		wk0 = pi_field("events_wakeups");
		dl0 = pi_field("events_deadline_reads");
		if (run_callers(res, c, c == 0 ? 1 : callers, n) == -1) {
			if (res->err[0] == '\0')
				snprintf(res->err, sizeof(res->err),
				    "run_callers: %s", strerror(errno));
			_exit(1);
		}
		res->ev_sent[c] = (long long)res->callers[c] *
		    (BP_WARMUP + n) * BP_EVENTS_PER_ROUND;
		if ((after = settled_received((uint64_t)(before +
		    res->ev_sent[c]))) == -1)
			goto nodaemon;
		res->ev_got[c] = after - before;
		lost1 = pi_field("events_lost");
		res->ev_counted[c] = lost0 >= 0 && lost1 >= 0 ? lost1 - lost0 :
		    -1;
		wk1 = pi_field("events_wakeups");
		dl1 = pi_field("events_deadline_reads");
		res->wakeups[c] = wk0 >= 0 && wk1 >= 0 ? wk1 - wk0 : -1;
		res->dl_reads[c] = dl0 >= 0 && dl1 >= 0 ? dl1 - dl0 : -1;
	}
	res->done = 1;
	_exit(0);
 nodaemon:
	snprintf(res->err, sizeof(res->err), "the daemon stopped answering");
	_exit(1);
}

/* See pam_int.h. */
pid_t
ps_start(struct bp_res *res, int callers, int n)
{
	pid_t pid;

	if ((pid = fork()) == 0)
		pam_child(res, callers, n);
	return pid;
}
