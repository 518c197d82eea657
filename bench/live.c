/*
 * bench/live: how fast a SIGKILLed sshd master serves again under sshmedicd,
 * under monit, and with no supervisor (the floor), all in one run; memory.
 *
 * usage: bench/live [-n RUNS] [-i IDLE_SECONDS] [-s sshmedicd] [-R] [-k] [-d]
 * -R: leave orphaned sshd masters to PID 1 (here it reaps them seconds late,
 * which monit waits for); -k: keep the sandbox and its logs; -d: sshmedicd
 * logs at debug level into the sandbox's sshmedicd.log.
 * Runs as root against a sandboxed sshd on 127.0.0.1 (never /etc/ssh).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "misc.h"
#include "sandbox.h"

#define MONIT_PATH	"/usr/bin/monit"
#define READY_MS	10000	/* a supervisor settles within this */
#define BANNER_MS	10000	/* sshd serves again within this ... */
#define MONIT_BANNER_MS	30000	/* ... or, for monit's cycle, this */
#define DEATH_MS	2000	/* a SIGKILLed master is gone within this */
#define INSTALL_MS	600000

static int port;
static char conf[256], pidfile[256];
static unsigned long rnd;
static char *medic_mode = "-D";

/*
 * Uniform in [0, max): kills land at random phases of a supervisor's cycle,
 * not always at the same distance from its last restart.
 */
static int
jitter(int max)
{
	rnd = rnd * 6364136223846793005UL + 1442695040888963407UL;
	return (int)((rnd >> 33) % (unsigned long)max);
}

/* Predicate: one connect to the port gets "SSH-2.0-" within a second. */
static int
banner_once(void)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	char buf[64];
	size_t got = 0;
	double deadline = sb_now_ms() + 1000;
	ssize_t n;
	int fd, ok = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		sb_die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		goto out;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < 8) {
		double left = deadline - sb_now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left + 1) <= 0)
			goto out;
		if ((n = read(fd, buf + got, 8 - got)) <= 0)
			goto out;
		got += (size_t)n;
	}
	ok = memcmp(buf, "SSH-2.0-", 8) == 0;
 out:
	close(fd);
	return ok;
}

/* Polls the banner every millisecond: the time it answered, or -1. */
static double
wait_banner(int timeout_ms)
{
	double deadline = sb_now_ms() + timeout_ms;

	while (sb_now_ms() < deadline) {
		if (banner_once())
			return sb_now_ms();
		sb_msleep(1);
	}
	return -1;
}

/* Waits for a live master in the pidfile other than old: it, or 0. */
static pid_t
wait_master(pid_t old, int timeout_ms)
{
	double deadline = sb_now_ms() + timeout_ms;
	pid_t pid;

	for (;;) {
		if ((pid = sb_pidfile_pid(pidfile)) != 0 && pid != old)
			return pid;
		if (sb_now_ms() >= deadline)
			return 0;
		sb_msleep(1);
	}
}

/* Predicate: process holder has a pidfd open on pid (sshmedicd holds it). */
static int
holds_pidfd(pid_t holder, pid_t pid)
{
	char dir[64], p[PATH_MAX], buf[1024], want[32];
	struct dirent *de;
	int found = 0, n = 0, fd;
	ssize_t len;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%ld/fdinfo", (long)holder);
	snprintf(want, sizeof(want), "\nPid:\t%ld\n", (long)pid);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!found && n++ < 1024 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[len > 0 ? len : 0] = '\0';
		found = strstr(buf, want) != NULL;
	}
	closedir(d);
	return found;
}

static int
wait_holds(pid_t holder, pid_t pid, int timeout_ms)
{
	double deadline = sb_now_ms() + timeout_ms;

	while (!holds_pidfd(holder, pid)) {
		if (sb_now_ms() >= deadline || !sb_alive(holder))
			return -1;
		sb_msleep(1);
	}
	return 0;
}

/*
 * SIGKILLs the master and waits until it is gone (the clock runs from the
 * kill). The time of the kill; exits when the master cannot be held.
 */
static double
kill_master(pid_t pid)
{
	struct pollfd pfd;
	double t0;
	int fd;

	if ((fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		sb_die("pidfd_open sshd master");
	t0 = sb_now_ms();
	if (kill(pid, SIGKILL) == -1)
		sb_die("kill sshd master");
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, DEATH_MS) != 1) {
		fprintf(stderr, "bench/live: master %ld not gone after SIGKILL\n",
		    (long)pid);
		exit(1);
	}
	close(fd);
	return t0;
}

static void
start_sshd(void)
{
	char *argv[] = { SSHD_PATH, "-f", conf, NULL };

	if (!sb_run(argv))
		exit(1);
}

static void
stop_sshd(void)
{
	pid_t pid = sb_pidfile_pid(pidfile);

	if (pid != 0)
		kill_master(pid);
}

/* No supervisor: the bench itself starts sshd right after the death. */
static void
bench_floor(int runs, double *kill_ms, double *exec_ms)
{
	double t0, te, tb;
	pid_t pid;
	int i;

	start_sshd();
	if (wait_banner(BANNER_MS) < 0 || (pid = wait_master(0, READY_MS)) == 0) {
		fprintf(stderr, "bench/live: the sandboxed sshd does not start\n");
		exit(1);
	}
	for (i = 0; i < runs; i++) {
		sb_msleep(20 + jitter(100));
		t0 = kill_master(pid);
		te = sb_now_ms();
		start_sshd();
		if ((tb = wait_banner(BANNER_MS)) < 0 ||
		    (pid = wait_master(pid, READY_MS)) == 0) {
			fprintf(stderr, "bench/live: floor run %d: sshd did not "
			    "come back\n", i);
			exit(1);
		}
		kill_ms[i] = tb - t0;
		exec_ms[i] = tb - te;
	}
}

struct medic {
	long	rss_kb;
	long	floor_kb;	/* a process mapping its objects, or -1 */
	long	wakeups;	/* context switches over the idle period */
	int	died, started, failed;
};

static void
medic_conf(void)
{
	char text[4096];

	snprintf(text, sizeof(text),
	    "sshd = { config = \"%s\"; dir = \"%s/etc\"; pidfile = \"%s\";\n"
	    "  start = [\"%s\", \"-f\", \"%s\"]; };\n"
	    "probe = { address = \"127.0.0.1\"; port = %d; interval_ms = 5000;\n"
	    "  timeout_ms = 2000; misses = 3; };\n"
	    "restart = { backoff_ms = 100; backoff_max_ms = 5000; burst = 1000;\n"
	    "  burst_window_ms = 1000; vendor_default = false; };\n"
	    "protected_users = [ \"root\" ];\n"
	    "paths = { state = \"%s/state\"; run = \"%s/run\"; "
	    "policies = \"%s/policies.d\"; requests = \"%s/requests\"; };\n"
	    "log = { json = \"%s/events.json\"; audit = false; syslog = false; };\n",
	    conf, sb_dir, pidfile, SSHD_PATH, conf, port, sb_dir, sb_dir,
	    sb_dir, sb_dir, sb_dir);
	sb_put("sshmedic.conf", text, 0600);
}

#define EV_DIED		"\"sshmedic-sshd-died\""
#define EV_STARTED	"\"sshmedic-sshd-start\",\"res\":\"success\""
#define EV_START_FAILED	"\"sshmedic-sshd-start\",\"res\":\"failed\""

static void
medic_fail(pid_t dpid, int run, const char *what)
{
	fprintf(stderr, "bench/live: sshmedicd run %d: %s (daemon %s)\n", run,
	    what, sb_alive(dpid) ? "alive" : "exited");
	sb_show_tail("events.json", 8);
	sb_show_tail("sshmedicd.log", 8);
	exit(1);
}

static void
bench_medic(const char *sshmedicd, int runs, int idle, double *ms,
    struct medic *m)
{
	char cpath[PATH_MAX];
	char *argv[] = { (char *)sshmedicd, medic_mode, "-f", cpath, NULL };
	struct timespec rest = { idle, 0 };
	double t0, tb;
	long sw0, sw1;
	pid_t dpid, pid;
	int i, ino, st;

	medic_conf();
	snprintf(cpath, sizeof(cpath), "%s/sshmedic.conf", sb_dir);
	if ((pid = sb_pidfile_pid(pidfile)) == 0)
		sb_die("no sshd for sshmedicd to adopt");
	if ((ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(ino, sb_dir, IN_MODIFY | IN_CREATE) == -1)
		sb_die("inotify");
	dpid = sb_spawn(argv, "sshmedicd.log");
	if (sb_wait_events(ino, "\"sshmedic-config-baseline\"", 1,
	    READY_MS) == -1)
		medic_fail(dpid, 0, "no config baseline");
	close(ino);
	/* Ready: it holds the running master (adopted, not restarted). */
	if (wait_holds(dpid, pid, READY_MS) == -1)
		medic_fail(dpid, 0, "does not hold the sshd master's pidfd");
	for (i = 0; i < runs; i++) {
		sb_msleep(20 + jitter(100));
		t0 = kill_master(pid);
		if ((tb = wait_banner(BANNER_MS)) < 0)
			medic_fail(dpid, i, "sshd did not serve again");
		ms[i] = tb - t0;
		/* Settled: it said so, and holds the new master. */
		if (sb_wait_count("events.json", EV_STARTED, i + 1, READY_MS) == -1)
			medic_fail(dpid, i, "no sshmedic-sshd-start success");
		if ((pid = wait_master(pid, READY_MS)) == 0)
			medic_fail(dpid, i, "no new master in the pidfile");
		if (wait_holds(dpid, pid, READY_MS) == -1)
			medic_fail(dpid, i, "does not hold the new master");
	}
	m->died = sb_count_in("events.json", EV_DIED);
	m->started = sb_count_in("events.json", EV_STARTED);
	m->failed = sb_count_in("events.json", EV_START_FAILED);

	/* Idle: a banner probe every 5 s is all that should wake it. */
	sb_msleep(1000);
	sw0 = sb_proc_status(dpid, "voluntary_ctxt_switches:") +
	    sb_proc_status(dpid, "nonvoluntary_ctxt_switches:");
	nanosleep(&rest, NULL);
	sw1 = sb_proc_status(dpid, "voluntary_ctxt_switches:") +
	    sb_proc_status(dpid, "nonvoluntary_ctxt_switches:");
	m->wakeups = sw1 - sw0;
	m->rss_kb = sb_proc_status(dpid, "VmRSS:");
	m->floor_kb = sb_rss_floor(dpid);
	if ((st = sb_stop(dpid, 5000)) != 0)
		fprintf(stderr, "bench/live: sshmedicd did not stop cleanly on "
		    "SIGTERM (wait status %d)\n", st);
}

/* Runs argv to its end (bounded); predicate: it exited 0. */
static int
run_long(char **argv)
{
	double deadline = sb_now_ms() + INSTALL_MS;
	pid_t pid = sb_spawn(argv, NULL);

	while (sb_alive(pid) && sb_now_ms() < deadline)
		sb_msleep(50);
	return sb_stop(pid, 1000) == 0;
}

/* Debian's monit, installed when missing; exits when it cannot be. */
static void
need_monit(void)
{
	char *inst[] = { "/usr/bin/apt-get", "install", "-y", "-q", "monit",
	    NULL };
	char *upd[] = { "/usr/bin/apt-get", "update", "-q", NULL };

	if (access(MONIT_PATH, X_OK) == 0) {
		printf("monit: %s present, nothing installed\n", MONIT_PATH);
		fflush(stdout);
		return;
	}
	printf("monit: %s missing: apt-get install -y monit\n", MONIT_PATH);
	fflush(stdout);
	setenv("DEBIAN_FRONTEND", "noninteractive", 1);
	if (!run_long(inst)) {
		printf("monit: install failed: apt-get update, then again\n");
		fflush(stdout);
		if (!run_long(upd) || !run_long(inst) ||
		    access(MONIT_PATH, X_OK) != 0) {
			fprintf(stderr, "bench/live: cannot install monit\n");
			exit(1);
		}
	}
	printf("monit: installed %s\n", MONIT_PATH);
	fflush(stdout);
}

#define MONIT_UP	"' process is running with pid"

static void
monit_fail(pid_t mpid, int run, const char *what)
{
	fprintf(stderr, "bench/live: monit run %d: %s (monit %s)\n", run, what,
	    sb_alive(mpid) ? "alive" : "exited");
	sb_show_tail("monit.log", 8);
	exit(1);
}

static void
bench_monit(int runs, double *ms, long *rss_kb)
{
	char text[4096], rc[256];
	char *argv[] = { MONIT_PATH, "-I", "-c", rc, NULL };
	double t0, tb;
	pid_t mpid, pid;
	int i;

	need_monit();
	snprintf(rc, sizeof(rc), "%s/monitrc", sb_dir);
	snprintf(text, sizeof(text),
	    "set daemon 1\n"
	    "set pidfile %s/monit.pid\n"
	    "set statefile %s/monit.state\n"
	    "set idfile %s/monit.id\n"
	    "set logfile %s/monit.log\n"
	    "check process sshd with pidfile %s\n"
	    "  start program = \"%s -f %s\"\n"
	    "  stop program = \"/bin/sh -c '/bin/kill -TERM $(cat %s)'\"\n"
	    "  if failed host 127.0.0.1 port %d protocol ssh then restart\n",
	    sb_dir, sb_dir, sb_dir, sb_dir, pidfile, SSHD_PATH, conf, pidfile,
	    port);
	sb_put("monitrc", text, 0600);
	/* monit starts sshd itself: then it surely monitors it. */
	stop_sshd();
	mpid = sb_spawn(argv, "monit.out");
	if (wait_banner(MONIT_BANNER_MS) < 0 ||
	    (pid = wait_master(0, READY_MS)) == 0)
		monit_fail(mpid, 0, "sshd not started");
	if (sb_wait_count("monit.log", MONIT_UP, 1, READY_MS) == -1)
		monit_fail(mpid, 0, "monit does not say sshd is running");
	for (i = 0; i < runs; i++) {
		/* A kill at any phase of its 1 s cycle. */
		sb_msleep(20 + jitter(1000));
		t0 = kill_master(pid);
		if ((tb = wait_banner(MONIT_BANNER_MS)) < 0)
			monit_fail(mpid, i, "sshd did not serve again");
		ms[i] = tb - t0;
		if ((pid = wait_master(pid, READY_MS)) == 0)
			monit_fail(mpid, i, "no new master in the pidfile");
		if (sb_wait_count("monit.log", MONIT_UP, i + 2, READY_MS) == -1)
			monit_fail(mpid, i, "monit does not say sshd runs");
	}
	sb_msleep(3000);
	*rss_kb = sb_proc_status(mpid, "VmRSS:");
	if (sb_stop(mpid, 5000) == -1)
		fprintf(stderr, "bench/live: monit did not stop on SIGTERM\n");
}

static void
row(const char *name, double *v, int n)
{
	printf("%-40s %8.1f %8.1f %8.1f %8.1f\n", name, sb_pct(v, n, 0.5),
	    sb_pct(v, n, 0.99), v[0], v[n - 1]);
}

static const char *
met(int ok)
{
	return ok ? "met" : "NOT met";
}

int
main(int argc, char **argv)
{
	char sshmedicd[PATH_MAX];
	double *fl, *fe, *lv, *mn, l50, l99, f50, m50;
	struct medic m;
	long long v;
	long monit_rss = -1, floor_kb;
	int ch, runs = 50, idle = 30, reaper = 1;

	sb_sshmedicd_path(argv[0], sshmedicd, sizeof(sshmedicd));
	while ((ch = getopt(argc, argv, "dFkn:i:s:R")) != -1) {
		switch (ch) {
		case 'F':
			return sb_rss_floor_main();
		case 'n':
			if (parse_ll(optarg, 50, 100000, &v) == -1)
				goto usage;
			runs = (int)v;
			break;
		case 'i':
			if (parse_ll(optarg, 1, 3600, &v) == -1)
				goto usage;
			idle = (int)v;
			break;
		case 's':
			snprintf(sshmedicd, sizeof(sshmedicd), "%s", optarg);
			break;
		case 'R':
			reaper = 0;
			break;
		case 'k':
			sb_keep();
			break;
		case 'd':
			medic_mode = "-d";
			break;
		default:
 usage:
			fprintf(stderr, "usage: bench/live [-n RUNS>=50] "
			    "[-i IDLE_S] [-s sshmedicd] [-R] [-k] [-d]\n");
			return 64;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench/live: needs root (sshd)\n");
		return 77;
	}
	if (access(sshmedicd, X_OK) == -1)
		sb_die(sshmedicd);
	rnd = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
	memset(&m, 0, sizeof(m));
	fl = calloc((size_t)runs, sizeof(double));
	fe = calloc((size_t)runs, sizeof(double));
	lv = calloc((size_t)runs, sizeof(double));
	mn = calloc((size_t)runs, sizeof(double));
	if (fl == NULL || fe == NULL || lv == NULL || mn == NULL)
		sb_die("calloc");
	sb_init("bench/live", reaper);
	port = sb_free_port();
	/* Its own directory: sshmedicd's inotify sees the pidfile alone. */
	snprintf(pidfile, sizeof(pidfile), "%s/pid", sb_dir);
	if (mkdir(pidfile, 0755) == -1)
		sb_die(pidfile);
	sb_sshd_sandbox(port, "pid/sshd.pid", conf, sizeof(conf));
	snprintf(pidfile, sizeof(pidfile), "%s/pid/sshd.pid", sb_dir);
	printf("sandbox %s, sshd on 127.0.0.1:%d, %d SIGKILLs per "
	    "supervisor\n", sb_dir, port, runs);
	printf("orphans reaped by %s\n", reaper ? "this bench at once "
	    "(child subreaper, as a real init would)" : "PID 1 (-R)");
	fflush(stdout);

	bench_floor(runs, fl, fe);
	bench_medic(sshmedicd, runs, idle, lv, &m);
	bench_monit(runs, mn, &monit_rss);
	stop_sshd();
	floor_kb = m.floor_kb;

	qsort(fl, (size_t)runs, sizeof(double), sb_cmp_double);
	qsort(fe, (size_t)runs, sizeof(double), sb_cmp_double);
	qsort(lv, (size_t)runs, sizeof(double), sb_cmp_double);
	qsort(mn, (size_t)runs, sizeof(double), sb_cmp_double);
	l50 = sb_pct(lv, runs, 0.5);
	l99 = sb_pct(lv, runs, 0.99);
	f50 = sb_pct(fl, runs, 0.5);
	m50 = sb_pct(mn, runs, 0.5);

	printf("\nSIGKILL of the sshd master -> SSH banner again (ms)\n");
	printf("%-40s %8s %8s %8s %8s\n", "", "p50", "p99", "min", "max");
	row("floor: kill -> banner (exec at death)", fl, runs);
	row("floor: exec of sshd -> banner", fe, runs);
	row("sshmedicd", lv, runs);
	row("monit (set daemon 1, protocol ssh)", mn, runs);
	printf("\nsshmedicd events: %d sshd-died, %d sshd-start success, "
	    "%d sshd-start failed (for %d kills)\n", m.died, m.started,
	    m.failed, runs);
	printf("resident memory, idle: sshmedicd %ld kB, monit %ld kB\n",
	    m.rss_kb, monit_rss);
	if (floor_kb > 0)
		printf("rss floor (a process mapping sshmedicd's shared "
		    "objects, one sha256, nothing else): %ld kB; sshmedicd is "
		    "%.2fx of it\n", floor_kb,
		    (double)m.rss_kb / floor_kb);
	printf("sshmedicd idle wakeups (probe.interval_ms=5000): %ld "
	    "context switches in %d s = %.1f per minute\n", m.wakeups, idle,
	    m.wakeups * 60.0 / idle);

	printf("\ngoals (the floor is its p50, kill -> banner):\n");
	printf("  median <= 1.5x floor: %.1f <= %.1f: %s\n", l50, 1.5 * f50,
	    met(l50 <= 1.5 * f50));
	printf("  p99 <= 3x floor: %.1f <= %.1f: %s\n", l99, 3 * f50,
	    met(l99 <= 3 * f50));
	printf("  >= 25x faster than monit (p50): %.1fx: %s\n", m50 / l50,
	    met(m50 / l50 >= 25));
	printf("  rss below monit's: %ld < %ld kB: %s\n", m.rss_kb, monit_rss,
	    met(m.rss_kb > 0 && monit_rss > 0 && m.rss_kb < monit_rss));
	if (m.died != runs || m.started != runs)
		printf("  NOTE: %d kills but %d died / %d start events\n", runs,
		    m.died, m.started);
	printf("live_p50_ms=%.1f live_p99_ms=%.1f floor_p50_ms=%.1f "
	    "monit_p50_ms=%.1f ratio_floor=%.2f speedup_vs_monit=%.1f "
	    "rss_kb=%ld monit_rss_kb=%ld\n", l50, l99, f50, m50, l50 / f50,
	    m50 / l50, m.rss_kb, monit_rss);
	free(fl);
	free(fe);
	free(lv);
	free(mn);
	return 0;
}
