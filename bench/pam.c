/*
 * bench/pam: the latency pam_sshmedic.so adds to a PAM stack, against
 * pam_faillock in the same run; the daemon's event intake and memory.
 *
 * usage: bench/pam [-n CALLS] [-t THREADS] [-m pam_sshmedic.so]
 *     [-s sshmedicd] [-k]
 * Runs as root: a sandboxed sshd on 127.0.0.1 for the daemon's guard, a
 * real `sshmedicd -D`, PAM stacks in a confdir of the sandbox
 * (pam_start_confdir; /etc/pam.d is never touched). -k keeps the sandbox.
 *
 * What is timed: one pam_authenticate, pam_acct_mgmt or pam_open_session
 * call, CLOCK_MONOTONIC read right before and right after it. Each round
 * a caller opens fresh handles (one per stack and service, as sshd opens
 * one per connection); pam_start, pam_set_item, the pam_close_session
 * after each open and pam_end are outside the timed part.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "misc.h"
#include "sandbox.h"
#include "pam_int.h"

#define BP_BURST_PER	20000		/* datagrams per sender, burst */
#define BP_BLOCK_PER	2000		/* datagrams per sender, blocking */
#define BP_SPRAY	100000		/* distinct users for the memory figure */
#define BP_UP_MS	10000

static char tally[64];		/* faillock's dir=, on tmpfs */
static pid_t pam_pid;		/* the child running the PAM half */

/* At exit: the PAM child, faillock's directory and the tally in it. */
static void
cleanup_pam(void)
{
	char p[128];
	int st;

	if (pam_pid > 0) {
		kill(pam_pid, SIGKILL);
		waitpid(pam_pid, &st, 0);
		pam_pid = 0;
	}
	snprintf(p, sizeof(p), "%s/" BP_USER, tally);
	(void)unlink(p);
	(void)rmdir(tally);
}

/* The built module beside this binary: argv0/../pam/.libs/. */
static void
module_path(const char *argv0, char *buf, size_t len)
{
	const char *slash = strrchr(argv0, '/');

	if (slash == NULL)
		snprintf(buf, len, "../pam/.libs/pam_sshmedic.so");
	else
		snprintf(buf, len, "%.*s/../pam/.libs/pam_sshmedic.so",
		    (int)(slash - argv0), argv0);
}

static void
start_daemon(const char *sshmedicd, pid_t *pid)
{
	char conf[256], text[4096], p[PATH_MAX], ctl[256], ev[256];
	char *sshd[] = { SSHD_PATH, "-f", conf, NULL };
	char *dargv[] = { (char *)sshmedicd, "-D", "-f", p, NULL };
	int port = sb_free_port();

	sb_sshd_sandbox(port, "sshd.pid", conf, sizeof(conf));
	if (!sb_run(sshd))
		exit(1);
	snprintf(text, sizeof(text),
	    "sshd = { config = \"%s\"; dir = \"%s/etc\"; "
	    "pidfile = \"%s/sshd.pid\";\n"
	    "  start = [\"%s\", \"-f\", \"%s\"]; };\n"
	    "probe = { address = \"127.0.0.1\"; port = %d; interval_ms = 0; };\n"
	    "protected_users = [ \"" BP_USER "\" ];\n"
	    "paths = { state = \"%s/state\"; run = \"%s/run\"; "
	    "policies = \"%s/policies.d\"; requests = \"%s/requests\"; };\n"
	    "log = { json = \"%s/events.json\"; audit = false; "
	    "syslog = false; };\n",
	    conf, sb_dir, sb_dir, SSHD_PATH, conf, port, sb_dir, sb_dir,
	    sb_dir, sb_dir, sb_dir);
	sb_put("sshmedic.conf", text, 0600);
	snprintf(p, sizeof(p), "%s/sshmedic.conf", sb_dir);
	*pid = sb_spawn(dargv, "sshmedicd.log");
	snprintf(ctl, sizeof(ctl), "%s/run/ctl.sock", sb_dir);
	snprintf(ev, sizeof(ev), "%s/run/event.sock", sb_dir);
	pi_setup(ctl, ev);
	if (pi_wait_up(BP_UP_MS) == -1 || access(ev, F_OK) == -1) {
		fprintf(stderr, "bench/pam: %s does not answer\n", sshmedicd);
		sb_show_tail("sshmedicd.log", 8);
		exit(1);
	}
}

/* The headline: the worst case, with the condition it came from. */
struct headline {
	double	add50, add99, fl50, ratio;
	int	c50, p50, c99, p99, cr, pr;
	int	cpu99;		/* add99 is a CPU-time difference */
	double	wall99;		/* the worst wall-clock p99 addition */
	int	cw99, pw99;	/* where it was */
};

/*
 * The p99 the goal reads, per caller count: wall clock where every caller
 * has a CPU; the calling thread's CPU time where callers outnumber the
 * CPUs. There the wall-clock tail is the run queue's: every stack's p99 is
 * tens of ms, and the same stack's p99 over its even and its odd rounds
 * differ by hundreds of us (p99_noise, printed), so a 50 us difference
 * cannot be read off it; the CPU time is what the module's code cost the
 * call, the wakeups it caused included, the waits for a CPU left out.
 */
static int
p99_by_cpu(const struct bp_res *r, int c)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	return ncpu > 0 && r->callers[c] > ncpu;
}

/*
 * The module's added cost is the difference of the two distributions'
 * quantiles (p50 with the module minus p50 without, the same for p99),
 * not a quantile of per-call differences: calls are not paired, and the
 * difference of two independent noisy calls would add their noise. It
 * says how far the module moves the latency a login sees. The headline
 * takes the worst phase and caller count for the module; the ratio to
 * faillock is the worst over pam_authenticate (ok and fail, 1 and N
 * callers), where both modules sit on the same lines.
 */
static void
pick_headline(const struct bp_res *r, struct headline *h)
{
	double a, f, q;
	int c, p;

	memset(h, 0, sizeof(*h));
	h->add50 = h->add99 = h->ratio = h->wall99 = -1e9;
	for (c = 0; c < 2; c++) {
		for (p = 0; p < NPHASE; p++) {
			a = r->p50[c][ST_MEDIC][p] - r->p50[c][ST_BASE][p];
			if (a > h->add50) {
				h->add50 = a;
				h->c50 = c;
				h->p50 = p;
			}
			a = r->p99[c][ST_MEDIC][p] - r->p99[c][ST_BASE][p];
			if (a > h->wall99) {
				h->wall99 = a;
				h->cw99 = c;
				h->pw99 = p;
			}
			if (p99_by_cpu(r, c))
				a = r->cp99[c][ST_MEDIC][p] -
				    r->cp99[c][ST_BASE][p];
			if (a > h->add99) {
				h->add99 = a;
				h->c99 = c;
				h->p99 = p;
				h->cpu99 = p99_by_cpu(r, c);
			}
			if (p != PH_AUTH_OK && p != PH_AUTH_FAIL)
				continue;
			a = r->p50[c][ST_MEDIC][p] - r->p50[c][ST_BASE][p];
			f = r->p50[c][ST_FAILLOCK][p] - r->p50[c][ST_BASE][p];
			q = f > 0 ? a / f : 1e9;
			if (q > h->ratio) {
				h->ratio = q;
				h->fl50 = f;
				h->cr = c;
				h->pr = p;
			}
		}
	}
}

/*
 * One table of quantiles (wall clock or CPU time) per caller count and
 * phase: the base stack's p50 and p99, what the module's and faillock's
 * stacks add to them, and last the ratio to faillock or the wall-clock
 * p99's noise.
 */
static void
print_quantiles(const struct bp_res *r, const double q50[][NSTACK][NPHASE],
    const double q99[][NSTACK][NPHASE], int noise)
{
	double b50, b99, f50 = 0;
	int c, p, fl;

	printf("%-7s %-14s %8s %8s | %9s %8s | %9s %8s | %*s\n", "callers",
	    "phase", "base p50", "p99", "+sshmedic", "+p99", "+faillock",
	    "+p99", noise ? 8 : 5, noise ? "noise" : "ratio");
	for (c = 0; c < 2; c++) {
		for (p = 0; p < NPHASE; p++) {
			b50 = q50[c][ST_BASE][p];
			b99 = q99[c][ST_BASE][p];
			printf("%-7d %-14s %8.2f %8.2f | %9.2f %8.2f |",
			    r->callers[c], ps_phase_name[p], b50, b99,
			    q50[c][ST_MEDIC][p] - b50,
			    q99[c][ST_MEDIC][p] - b99);
			if ((fl = ps_timed(ST_FAILLOCK, p))) {
				f50 = q50[c][ST_FAILLOCK][p] - b50;
				printf(" %9.2f %8.2f |", f50,
				    q99[c][ST_FAILLOCK][p] - b99);
			} else
				printf(" %9s %8s |", "-", "-");
			if (noise)
				printf(" %8.2f\n", r->p99_noise[c][p]);
			else if (fl && f50 > 0)
				printf(" %5.2f\n",
				    (q50[c][ST_MEDIC][p] - b50) / f50);
			else
				printf(" %5s\n", "-");
		}
	}
}

static void
print_table(const struct bp_res *r, int n)
{
	int c, p, s;

	printf("\nper call, us (p50, p99 over every call of every caller); "
	    "+ = that stack's p50/p99\nminus the base stack's p50/p99; "
	    "%d calls per stack and phase per caller\n", n);
	print_quantiles(r, r->p50, r->p99, 0);
	printf("\nthe calling thread's CPU time per call, us (p50, p99), the "
	    "same way; noise: how far\nthe base stack's wall-clock p99 over "
	    "its even rounds is from its p99 over the odd ones\n");
	print_quantiles(r, r->cp50, r->cp99, 1);
	printf("\ncalls preempted / that slept (context switches of the "
	    "calling thread), %%\n%-7s %-14s %13s %13s %13s\n", "callers",
	    "phase", "base", "sshmedic", "faillock");
	for (c = 0; c < 2; c++) {
		for (p = 0; p < NPHASE; p++) {
			printf("%-7d %-14s", r->callers[c], ps_phase_name[p]);
			for (s = 0; s < NSTACK; s++)
				if (ps_timed(s, p))
					printf("   %5.2f/%5.2f",
					    100 * r->preempted[c][s][p],
					    100 * r->blocked[c][s][p]);
				else
					printf(" %13s", "-");
			printf("\n");
		}
	}
	for (c = 0; c < 2; c++)
		printf("module datagrams, %d caller%s: %lld sent, %lld received "
		    "by the daemon, %lld lost (%.1f%%),\n  %lld of them counted "
		    "by the module (events_lost); %.1f s\n", r->callers[c],
		    r->callers[c] == 1 ? "" : "s", r->ev_sent[c], r->ev_got[c],
		    r->ev_sent[c] - r->ev_got[c],
		    100.0 * (r->ev_sent[c] - r->ev_got[c]) / r->ev_sent[c],
		    r->ev_counted[c], r->wall_s[c]);
	for (c = 0; c < 2; c++)
		printf("daemon reads, %d caller%s: %lld started by a datagram's "
		    "wakeup, %lld by the hold-off's deadline\n", r->callers[c],
		    r->callers[c] == 1 ? "" : "s", r->wakeups[c], r->dl_reads[c]);
}

/* Predicate: every datagram the module lost, it counted. */
static int
module_counted(const struct bp_res *r)
{
	int c;

	for (c = 0; c < 2; c++)
		if (r->ev_counted[c] != r->ev_sent[c] - r->ev_got[c])
			return 0;
	return 1;
}

/* Predicate: no datagram vanished after the kernel took it. */
static int
all_counted(const struct pi_run *r)
{
	return r->errors == 0 && r->rejected == 0 && r->sent == r->received;
}

static void
print_run(const char *what, const struct pi_run *r)
{
	printf("%s:\n  %lld attempted, %lld sent, %lld dropped at the sender "
	    "(EAGAIN), %lld other send errors;\n  %lld received, %lld "
	    "rejected, %lld lost; %lld in %.1f ms = %.0f events/s\n", what,
	    r->attempted, r->sent, r->dropped, r->errors, r->received,
	    r->rejected, r->lost, r->received, r->elapsed_ms, r->eps);
}

static const char *
met(int ok)
{
	return ok ? "met" : "NOT met";
}

/* The first line of /proc/loadavg, for the record: others share this VM. */
static void
print_load(const char *when)
{
	char buf[128];
	ssize_t n;
	int fd;

	if ((fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("load average %s: %s\n", when, buf);
}


#define QLEN_PATH	"/proc/sys/net/unix/max_dgram_qlen"
#define QLEN_SYSTEMD	512	/* systemd sets at least this at every boot */

static long qlen_saved = -1;

/* Writes v to QLEN_PATH; 0/-1. */
static int
qlen_write(long v)
{
	char buf[32];
	int fd, n, r;

	if ((fd = open(QLEN_PATH, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = snprintf(buf, sizeof(buf), "%ld\n", v);
	r = write(fd, buf, (size_t)n) == n ? 0 : -1;
	close(fd);
	return r;
}

static void
qlen_restore(void)
{
	if (qlen_saved >= 0 && qlen_write(qlen_saved) == -1)
		fprintf(stderr, "bench/pam: could not restore %s to %ld\n",
		    QLEN_PATH, qlen_saved);
}

/*
 * The daemon's queue is the kernel's max_dgram_qlen, read when its socket
 * is made. Debian 12 boots under systemd, which sets 512 (Linux 6.5 made
 * that the default); a VM without systemd keeps the old 10. -q sets the
 * value for the run (0: the system's), restored at exit.
 */
static void
qlen_set(long want)
{
	long cur = read_sysctl_long(QLEN_PATH);

	if (want == 0 || cur == want)
		return;
	qlen_saved = cur;
	atexit(qlen_restore);
	if (qlen_write(want) == -1)
		sb_die(QLEN_PATH);
	printf("net.unix.max_dgram_qlen %ld -> %ld for this run (as systemd "
	    "sets it at boot; restored at exit)\n", cur, want);
}

int
main(int argc, char **argv)
{
	char sshmedicd[PATH_MAX], module[PATH_MAX], p[PATH_MAX];
	char sock[PATH_MAX];
	struct pi_run burst, block, spray;
	struct headline h;
	struct bp_res *res;
	long long v;
	long rss0, rss1, rss, hwm, floor_kb;
	double status_ms;
	pid_t dpid;
	int ch, n = 2000, callers = 64, st, ev_ok;
	long qlen = QLEN_SYSTEMD;

	sb_sshmedicd_path(argv[0], sshmedicd, sizeof(sshmedicd));
	module_path(argv[0], module, sizeof(module));
	while ((ch = getopt(argc, argv, "Fkn:q:t:m:s:")) != -1) {
		switch (ch) {
		case 'F':
			return sb_rss_floor_main();
		case 'k':
			sb_keep();
			break;
		case 'n':
			if (parse_ll(optarg, 100, 1000000, &v) == -1)
				goto usage;
			n = (int)v;
			break;
		case 't':
			if (parse_ll(optarg, 2, 1024, &v) == -1)
				goto usage;
			callers = (int)v;
			break;
		case 'm':
			snprintf(module, sizeof(module), "%s", optarg);
			break;
		case 'q':
			if (parse_ll(optarg, 0, 1000000, &v) == -1)
				goto usage;
			qlen = (long)v;
			break;
		case 's':
			snprintf(sshmedicd, sizeof(sshmedicd), "%s", optarg);
			break;
		default:
 usage:
			fprintf(stderr, "usage: bench/pam [-n CALLS>=100] "
			    "[-t THREADS>=2] [-q QLEN (0: the system's)] "
			    "[-m pam_sshmedic.so] [-s sshmedicd] [-k]\n");
			return 64;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench/pam: needs root (sshd, sshmedicd, "
		    "pam_faillock)\n");
		return 77;
	}
	/* libpam wants an absolute module path; so does the dlopen. */
	if (realpath(module, p) == NULL)
		sb_die(module);
	snprintf(module, sizeof(module), "%s", p);
	if (access(sshmedicd, X_OK) == -1)
		sb_die(sshmedicd);

	sb_init("bench/pam", 0);
	qlen_set(qlen);
	snprintf(p, sizeof(p), "%s/pam.d", sb_dir);
	if (mkdir(p, 0755) == -1)
		sb_die(p);
	/*
	 * Faillock's tallies where Debian keeps them, on tmpfs (/run is
	 * tmpfs under systemd; on disk each reset is a journaled truncate).
	 */
	snprintf(tally, sizeof(tally), "/dev/shm/sshmedic-bench.XXXXXX");
	if (mkdtemp(tally) == NULL)
		sb_die("mkdtemp /dev/shm");
	atexit(cleanup_pam);
	ps_setup(p, tally);
	start_daemon(sshmedicd, &dpid);
	snprintf(sock, sizeof(sock), "%s/run/event.sock", sb_dir);
	ps_write_stacks(module, sock);
	sb_msleep(1000);
	rss0 = sb_proc_status(dpid, "VmRSS:");
	status_ms = pi_status_cost_ms();
	printf("sandbox %s; module %s\n%d calls per stack and phase per "
	    "caller, with 1 and %d callers on %ld CPUs; %d senders\n", sb_dir,
	    module, n, callers, sysconf(_SC_NPROCESSORS_ONLN), callers);
	print_load("at start");
	fflush(stdout);

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		sb_die("mmap");
	memset(res, 0, sizeof(*res));
	if ((pam_pid = ps_start(res, callers, n)) == -1)
		sb_die("fork");
	if (waitpid(pam_pid, &st, 0) == -1)
		sb_die("waitpid");
	pam_pid = 0;
	if (!res->done) {
		fprintf(stderr, "bench/pam: PAM runs: %s (wait status %d)\n",
		    res->err[0] != '\0' ? res->err : "failed", st);
		return 1;
	}
	rss1 = sb_proc_status(dpid, "VmRSS:");

	pi_burst(callers, BP_BURST_PER, 0, &burst);
	pi_burst(callers, BP_BLOCK_PER, 1, &block);
	pi_spray(BP_SPRAY, &spray);
	/* A counters save (at most once a second) is part of the figure. */
	sb_msleep(1500);
	rss = sb_proc_status(dpid, "VmRSS:");
	hwm = sb_proc_status(dpid, "VmHWM:");
	floor_kb = sb_rss_floor(dpid);
	if (!sb_alive(dpid)) {
		fprintf(stderr, "bench/pam: sshmedicd exited\n");
		sb_show_tail("sshmedicd.log", 8);
		return 1;
	}
	if ((st = sb_stop(dpid, 5000)) != 0)
		fprintf(stderr, "bench/pam: sshmedicd did not stop cleanly on "
		    "SIGTERM (wait status %d)\n", st);

	print_load("at the end");
	pick_headline(res, &h);
	print_table(res, n);
	printf("\nevent intake, %d senders, one socket each, auth_fail "
	    "datagrams as event_format makes them\n", callers);
	print_run("burst: non-blocking sends (as the module's), as fast as "
	    "the senders can", &burst);
	print_run("blocking sends (the kernel holds a sender while the "
	    "daemon's queue is full)", &block);
	print_run("spray of distinct random users, one blocking sender",
	    &spray);
	printf("timing: first send -> first status poll (every 2 ms) that "
	    "saw the final events_received;\none status request costs "
	    "%.2f ms; net.unix.max_dgram_qlen = %ld (the daemon's queue, "
	    "datagrams)\n", status_ms,
	    read_sysctl_long("/proc/sys/net/unix/max_dgram_qlen"));
	printf("sshmedicd VmRSS: %ld kB at start, %ld kB after the PAM runs, "
	    "%ld kB after %d distinct users (VmHWM %ld kB)\n", rss0, rss1, rss,
	    BP_SPRAY, hwm);
	if (floor_kb > 0)
		printf("rss floor (a process mapping sshmedicd's shared "
		    "objects, one sha256, nothing else): %ld kB\n", floor_kb);

	ev_ok = module_counted(res) && all_counted(&burst) &&
	    all_counted(&block) && all_counted(&spray);
	printf("\ngoals:\n");
	printf("  module median addition <= 10 us: %.2f us (worst: %d "
	    "caller%s, %s): %s\n", h.add50, res->callers[h.c50],
	    h.c50 ? "s" : "", ps_phase_name[h.p50], met(h.add50 <= 10));
	printf("  module p99 addition <= 50 us: %.2f us (worst: %d caller%s, "
	    "%s; %s): %s\n", h.add99, res->callers[h.c99], h.c99 ? "s" : "",
	    ps_phase_name[h.p99], h.cpu99 ? "CPU time, more callers than "
	    "CPUs" : "wall clock", met(h.add99 <= 50));
	printf("    the worst wall-clock p99 addition: %.2f us (%d caller%s, "
	    "%s), where the base stack's p99 noise is %.2f us\n", h.wall99,
	    res->callers[h.cw99], h.cw99 ? "s" : "", ps_phase_name[h.pw99],
	    res->p99_noise[h.cw99][h.pw99]);
	printf("  <= half of pam_faillock's median addition to "
	    "pam_authenticate: ratio %.2f (worst: %d caller%s, %s; faillock "
	    "+%.2f us): %s\n", h.ratio, res->callers[h.cr], h.cr ? "s" : "",
	    ps_phase_name[h.pr], h.fl50, met(h.ratio <= 0.5));
	printf("  >= 100000 events/s with %d senders (burst): %.0f: %s "
	    "(blocking, nothing lost: %.0f)\n", callers, burst.eps,
	    met(burst.eps >= 100000), block.eps);
	printf("  every loss counted: %s (the module's: lost %lld + %lld, "
	    "counted %lld + %lld;\n  the bench's senders: every datagram the "
	    "kernel took was received, the rest\n  failed with EAGAIN, burst "
	    "%lld + %lld of %lld)\n", met(ev_ok),
	    res->ev_sent[0] - res->ev_got[0], res->ev_sent[1] - res->ev_got[1],
	    res->ev_counted[0], res->ev_counted[1], burst.received,
	    burst.dropped, burst.attempted);
	printf("  rss <= 4096 kB after %d users: %ld kB: %s\n", BP_SPRAY, rss,
	    met(rss > 0 && rss <= 4096));
	printf("pam_add_p50_us=%.2f pam_add_p99_us=%.2f faillock_add_p50_us=%.2f "
	    "ratio_vs_faillock=%.2f events_per_s=%.0f lost=%lld rss_kb=%ld\n",
	    h.add50, h.add99, h.fl50, h.ratio, burst.eps, burst.lost, rss);
	munmap(res, sizeof(*res));
	return 0;
}
