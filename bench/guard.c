/*
 * bench/guard: how fast a broken sshd configuration is healed, against the
 * floor of one `sshd -t` in the same run; and sshmedicd's idle footprint.
 *
 * usage: bench/guard [-n RUNS] [-i IDLE_SECONDS] [-s PATH_TO_SSHMEDICD]
 * Runs as root against a sandboxed sshd on 127.0.0.1 (never /etc/ssh).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "misc.h"
#include "spawn.h"

#define EVENT_WAIT_MS	10000

static char T[128];	/* mkdtemp path: short by construction */
static pid_t daemon_pid;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench/guard: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
put(const char *rel, const char *text, mode_t mode)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", T, rel);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) == -1)
		die(p);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(p);
	if (close(fd) == -1)
		die(p);
}

static int
run(char **argv)
{
	struct spawn_res r;
	int ok;

	if (spawn_run(argv, NULL, NULL, 0, 20000, 65536, &r) == -1)
		die(argv[0]);
	ok = spawn_ok(&r);
	if (!ok)
		fprintf(stderr, "%s: %s\n", argv[0], r.err);
	spawn_res_free(&r);
	return ok;
}

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
		die("free port");
	close(fd);
	return ntohs(sa.sin_port);
}

/* Number of lines of the event log containing needle. */
static int
count_events(const char *needle)
{
	char p[PATH_MAX], *buf = NULL, *s;
	size_t cap = 0;
	ssize_t n;
	int count = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/events.json", T);
	if ((f = fopen(p, "re")) == NULL)
		return 0;
	while ((n = getline(&buf, &cap, f)) > 0)
		if ((s = strstr(buf, needle)) != NULL)
			count++;
	free(buf);
	fclose(f);
	return count;
}

/* Blocks on inotify until count_events(needle) >= want; -1 on timeout. */
static int
wait_events(int ino, const char *needle, int want)
{
	char buf[4096];
	double deadline = now_ms() + EVENT_WAIT_MS;
	struct pollfd pfd = { ino, POLLIN, 0 };

	while (count_events(needle) < want) {
		double left = deadline - now_ms();

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) > 0 &&
		    read(ino, buf, sizeof(buf)) == -1 && errno != EAGAIN)
			die("inotify read");
	}
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

static long
proc_status(pid_t pid, const char *key)
{
	char p[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%ld/status", (long)pid);
	if ((f = fopen(p, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static void
cleanup(void)
{
	char p[PATH_MAX + 8], buf[32];
	char *rm[] = { "/bin/rm", "-rf", T, NULL };
	FILE *f;

	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, NULL, 0);
	}
	snprintf(p, sizeof(p), "%s/sshd.pid", T);
	if ((f = fopen(p, "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			kill((pid_t)atol(buf), SIGTERM);
		fclose(f);
	}
	if (T[0] != '\0')
		run(rm);
}

static void
on_signal(int sig)
{
	(void)sig;
	exit(2);
}

int
main(int argc, char **argv)
{
	char sshmedicd[PATH_MAX], conf[256], text[4096], p[PATH_MAX];
	double *restore, *sshd_t, t0;
	long long v;
	long rss, sw0, sw1;
	int ch, i, runs = 50, idle = 10, port, ino;
	char *slash;

	snprintf(sshmedicd, sizeof(sshmedicd), "%s", argv[0]);
	if ((slash = strrchr(sshmedicd, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(sshmedicd, sizeof(sshmedicd), ".");
	strncat(sshmedicd, "/../watchdog/sshmedicd",
	    sizeof(sshmedicd) - strlen(sshmedicd) - 1);
	while ((ch = getopt(argc, argv, "Fn:i:s:")) != -1) {
		switch (ch) {
		case 'F': {
			/*
			 * The floor for resident memory: this binary links the
			 * same libraries as sshmedicd; hash once through EVP
			 * (as the daemon must) and report what that costs.
			 */
			char hex[DIGEST_HEX_LEN + 1];

			if (digest_buf("x", 1, hex) == -1)
				return 1;
			printf("%ld\n", proc_status(getpid(), "VmRSS:"));
			return 0;
		}
		case 'n':
			if (parse_ll(optarg, 5, 100000, &v) == -1)
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
		default:
 usage:
			fprintf(stderr, "usage: bench/guard [-n RUNS>=5] "
			    "[-i IDLE_S] [-s sshmedicd]\n");
			return 64;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench/guard: needs root (sshd)\n");
		return 77;
	}
	snprintf(T, sizeof(T), "/tmp/sshmedic-bench.XXXXXX");
	if (mkdtemp(T) == NULL)
		die("mkdtemp");
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	chmod(T, 0755);
	snprintf(p, sizeof(p), "%s/etc", T);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/sshd_config.d", T);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/keys", T);
	mkdir(p, 0755);
	{
		char hk[PATH_MAX], ck[PATH_MAX];
		char *kg1[] = { "/usr/bin/ssh-keygen", "-q", "-t", "ed25519",
		    "-N", "", "-f", hk, NULL };
		char *kg2[] = { "/usr/bin/ssh-keygen", "-q", "-t", "ed25519",
		    "-N", "", "-f", ck, NULL };
		char *pub;
		size_t len;
		FILE *f;

		snprintf(hk, sizeof(hk), "%s/etc/hostkey", T);
		snprintf(ck, sizeof(ck), "%s/client", T);
		if (!run(kg1) || !run(kg2))
			return 1;
		snprintf(p, sizeof(p), "%s/client.pub", T);
		if ((f = fopen(p, "re")) == NULL)
			die(p);
		pub = NULL;
		len = 0;
		if (getline(&pub, &len, f) <= 0)
			die("read client key");
		fclose(f);
		put("keys/root", pub, 0644);
		free(pub);
	}
	port = free_port();
	snprintf(text, sizeof(text),
	    "Include %s/etc/sshd_config.d/*.conf\n"
	    "Port %d\nListenAddress 127.0.0.1\nHostKey %s/etc/hostkey\n"
	    "PidFile %s/sshd.pid\nUsePAM no\n"
	    "AuthorizedKeysFile %s/keys/%%u\n", T, port, T, T, T);
	put("etc/sshd_config", text, 0644);
	snprintf(conf, sizeof(conf), "%s/etc/sshd_config", T);
	{
		char *sshd[] = { SSHD_PATH, "-f", conf, NULL };

		if (!run(sshd))
			return 1;
	}
	snprintf(text, sizeof(text),
	    "sshd = { config = \"%s\"; dir = \"%s/etc\"; pidfile = \"%s/sshd.pid\";\n"
	    "  start = [\"%s\", \"-f\", \"%s\"]; };\n"
	    "probe = { address = \"127.0.0.1\"; port = %d; interval_ms = 0; };\n"
	    "guard = { debounce_ms = 0; grace_ms = 0; fight_limit = 1000; };\n"
	    "protected_users = [ \"root\" ];\n"
	    "paths = { state = \"%s/state\"; run = \"%s/run\"; policies = \"%s/policies.d\"; };\n"
	    "log = { json = \"%s/events.json\"; audit = false; syslog = false; };\n",
	    conf, T, T, SSHD_PATH, conf, port, T, T, T, T);
	put("sshmedic.conf", text, 0600);

	if ((ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(ino, T, IN_MODIFY | IN_CREATE) == -1)
		die("inotify");
	if ((daemon_pid = fork()) == -1)
		die("fork");
	if (daemon_pid == 0) {
		snprintf(p, sizeof(p), "%s/sshmedic.conf", T);
		execl(sshmedicd, sshmedicd, "-D", "-f", p, (char *)NULL);
		_exit(127);
	}
	if (wait_events(ino, "\"sshmedic-config-baseline\"", 1) == -1) {
		fprintf(stderr, "bench/guard: no baseline from %s\n", sshmedicd);
		return 1;
	}

	sshd_t = calloc((size_t)runs, sizeof(double));
	restore = calloc((size_t)runs, sizeof(double));
	if (sshd_t == NULL || restore == NULL)
		die("calloc");
	for (i = 0; i < runs; i++) {
		char *t[] = { SSHD_PATH, "-t", "-f", conf, NULL };

		t0 = now_ms();
		if (!run(t))
			return 1;
		sshd_t[i] = now_ms() - t0;
	}
	for (i = 0; i < runs; i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/etc/sshd_config.d/50-broken.conf", T);
		snprintf(text, sizeof(text), "# run %d\nNoSuchKeyword yes\n", i);
		if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644)) == -1 || write(fd, text, strlen(text)) == -1)
			die(p);
		close(fd);
		t0 = now_ms();
		if (wait_events(ino, "\"sshmedic-config-rollback\"", i + 1) == -1) {
			fprintf(stderr, "bench/guard: run %d: no rollback\n", i);
			return 1;
		}
		restore[i] = now_ms() - t0;
		if (access(p, F_OK) == 0) {
			fprintf(stderr, "bench/guard: run %d: broken file still "
			    "in place\n", i);
			return 1;
		}
	}
	if (count_events("\"sshmedic-config-rollback\",\"res\":\"failed\"") > 0) {
		fprintf(stderr, "bench/guard: a rollback failed\n");
		return 1;
	}
	qsort(sshd_t, (size_t)runs, sizeof(double), cmp_double);
	qsort(restore, (size_t)runs, sizeof(double), cmp_double);

	/* Idle: no file events, probes off: the loop should not wake at all. */
	{
		struct timespec settle = { 1, 0 }, rest = { idle, 0 };

		nanosleep(&settle, NULL);
		sw0 = proc_status(daemon_pid, "voluntary_ctxt_switches:") +
		    proc_status(daemon_pid, "nonvoluntary_ctxt_switches:");
		nanosleep(&rest, NULL);
		sw1 = proc_status(daemon_pid, "voluntary_ctxt_switches:") +
		    proc_status(daemon_pid, "nonvoluntary_ctxt_switches:");
		rss = proc_status(daemon_pid, "VmRSS:");
	}
	printf("runs: %d (debounce_ms=0 grace_ms=0)\n", runs);
	printf("%-34s %8s %8s %8s\n", "", "p50 ms", "p99 ms", "max ms");
	printf("%-34s %8.1f %8.1f %8.1f\n", "sshd -t (floor)", pct(sshd_t, runs,
	    0.5), pct(sshd_t, runs, 0.99), sshd_t[runs - 1]);
	printf("%-34s %8.1f %8.1f %8.1f\n", "broken write -> restored+served",
	    pct(restore, runs, 0.5), pct(restore, runs, 0.99),
	    restore[runs - 1]);
	{
		char self[PATH_MAX], *fl[] = { self, "-F", NULL };
		struct spawn_res fr;
		ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (sl > 0) {
			self[sl] = '\0';
			if (spawn_run(fl, NULL, NULL, 0, 10000, 256, &fr) == 0 &&
			    spawn_ok(&fr))
				printf("rss floor (same libraries, one EVP "
				    "sha256, nothing else): %ld kB; sshmedicd "
				    "idle: %ld kB (%.2fx)\n", atol(fr.out), rss,
				    (double)rss / (atol(fr.out) > 0 ?
				    atol(fr.out) : 1));
			spawn_res_free(&fr);
		}
	}
	printf("goal: restore p50 <= 3x sshd -t p50; rss <= 2048 kB; "
	    "0 idle switches in %d s\n", idle);
	printf("restore_p50_ms=%.1f restore_p99_ms=%.1f sshd_t_p50_ms=%.1f "
	    "ratio_p50=%.2f rss_kb=%ld idle_switches=%ld\n",
	    pct(restore, runs, 0.5), pct(restore, runs, 0.99),
	    pct(sshd_t, runs, 0.5), pct(restore, runs, 0.5) /
	    pct(sshd_t, runs, 0.5), rss, sw1 - sw0);
	free(sshd_t);
	free(restore);
	return 0;
}
