/*
 * What the benchmarks share: a sandbox directory with its own sshd on
 * 127.0.0.1, the processes they start (killed on every exit), and figures.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "misc.h"
#include "spawn.h"
#include "sandbox.h"

#define SB_MAXPROC	16
#define SB_STOP_MS	3000

char sb_dir[128];

static const char *prog = "bench";
static int reaping, keep;
static char sshd_pidfile[256];

/* What sb_spawn started; the SIGCHLD handler fills in exits. */
static struct {
	volatile sig_atomic_t	pid;
	volatile sig_atomic_t	exited;
	volatile sig_atomic_t	status;
} procs[SB_MAXPROC];

double
sb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void
sb_die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

static void
note_exit(pid_t pid, int st)
{
	int i;

	for (i = 0; i < SB_MAXPROC; i++) {
		if (procs[i].pid == pid && !procs[i].exited) {
			procs[i].status = st;
			procs[i].exited = 1;
		}
	}
}

/* Reaps every child and orphan at once, as a real init would. */
static void
on_chld(int sig)
{
	int st, saved = errno;
	pid_t pid;

	(void)sig;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		note_exit(pid, st);
	errno = saved;
}

static void
block_chld(int how)
{
	sigset_t set;

	if (!reaping)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(how, &set, NULL);
}

void
sb_put(const char *rel, const char *text, mode_t mode)
{
	char p[PATH_MAX];
	size_t len = strlen(text);
	int fd;

	snprintf(p, sizeof(p), "%s/%s", sb_dir, rel);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    mode)) == -1)
		sb_die(p);
	if (write(fd, text, len) != (ssize_t)len)
		sb_die(p);
	if (fchmod(fd, mode) == -1 || close(fd) == -1)
		sb_die(p);
}

int
sb_run(char **argv)
{
	struct spawn_res r;
	int ok, rc;

	/* spawn_run reaps its own child: the SIGCHLD handler must not. */
	block_chld(SIG_BLOCK);
	rc = spawn_run(argv, NULL, NULL, 0, 20000, 65536, &r);
	block_chld(SIG_UNBLOCK);
	if (rc == -1)
		sb_die(argv[0]);
	ok = spawn_ok(&r);
	if (!ok)
		fprintf(stderr, "%s: %s\n", argv[0], r.err);
	spawn_res_free(&r);
	return ok;
}

int
sb_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
		sb_die("free port");
	close(fd);
	return ntohs(sa.sin_port);
}

int
sb_pid_live(pid_t pid)
{
	char p[64], buf[512], *s;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%ld/stat", (long)pid);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything; the state follows ")". */
	if ((s = strrchr(buf, ')')) == NULL || s[1] != ' ')
		return 0;
	return s[2] != 'Z' && s[2] != 'X';
}

pid_t
sb_pidfile_pid(const char *path)
{
	char buf[64];
	long long v;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_ll(buf, 2, 4194304, &v) == -1 || !sb_pid_live((pid_t)v))
		return 0;
	return (pid_t)v;
}

/* Predicate: pid runs SSHD_PATH (a stale pidfile may name anything by now). */
static int
is_sshd(pid_t pid)
{
	char p[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%ld/exe", (long)pid);
	if ((n = readlink(p, exe, sizeof(exe) - 1)) <= 0)
		return 0;
	exe[n] = '\0';
	return strcmp(exe, SSHD_PATH) == 0;
}

void
sb_sshd_sandbox(int port, const char *pidrel, char *conf, size_t len)
{
	char hk[PATH_MAX], ck[PATH_MAX], p[PATH_MAX], text[4096], *pub = NULL;
	char *kg1[] = { "/usr/bin/ssh-keygen", "-q", "-t", "ed25519",
	    "-N", "", "-f", hk, NULL };
	char *kg2[] = { "/usr/bin/ssh-keygen", "-q", "-t", "ed25519",
	    "-N", "", "-f", ck, NULL };
	size_t plen = 0;
	FILE *f;

	if (mkdir("/run/sshd", 0755) == -1 && errno != EEXIST)
		sb_die("/run/sshd");
	snprintf(p, sizeof(p), "%s/etc", sb_dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/sshd_config.d", sb_dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/keys", sb_dir);
	mkdir(p, 0755);
	snprintf(hk, sizeof(hk), "%s/etc/hostkey", sb_dir);
	snprintf(ck, sizeof(ck), "%s/client", sb_dir);
	if (!sb_run(kg1) || !sb_run(kg2))
		exit(1);
	snprintf(p, sizeof(p), "%s/client.pub", sb_dir);
	if ((f = fopen(p, "re")) == NULL)
		sb_die(p);
	if (getline(&pub, &plen, f) <= 0)
		sb_die("read client key");
	fclose(f);
	sb_put("keys/root", pub, 0644);
	free(pub);
	snprintf(sshd_pidfile, sizeof(sshd_pidfile), "%s/%s", sb_dir, pidrel);
	snprintf(text, sizeof(text),
	    "Include %s/etc/sshd_config.d/*.conf\n"
	    "Port %d\nListenAddress 127.0.0.1\nHostKey %s/etc/hostkey\n"
	    "PidFile %s\nUsePAM no\n"
	    "AuthorizedKeysFile %s/keys/%%u\n", sb_dir, port, sb_dir,
	    sshd_pidfile, sb_dir);
	sb_put("etc/sshd_config", text, 0644);
	snprintf(conf, len, "%s/etc/sshd_config", sb_dir);
}

void
sb_sshmedicd_path(const char *argv0, char *buf, size_t len)
{
	char *slash;

	snprintf(buf, len, "%s", argv0);
	if ((slash = strrchr(buf, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(buf, len, ".");
	strncat(buf, "/../watchdog/sshmedicd", len - strlen(buf) - 1);
}

pid_t
sb_spawn(char *const argv[], const char *logrel)
{
	char log[PATH_MAX];
	pid_t pid;
	int i, fd;

	for (i = 0; i < SB_MAXPROC && procs[i].pid != 0; i++)
		;
	if (i == SB_MAXPROC) {
		errno = EMFILE;
		sb_die("sb_spawn");
	}
	/* Registered before the child can exit, so the handler finds it. */
	block_chld(SIG_BLOCK);
	if ((pid = fork()) == -1)
		sb_die("fork");
	if (pid == 0) {
		if (logrel != NULL) {
			snprintf(log, sizeof(log), "%s/%s", sb_dir, logrel);
			if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND |
			    O_NOFOLLOW, 0600)) == -1 || dup2(fd, 1) == -1 ||
			    dup2(fd, 2) == -1)
				_exit(127);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	procs[i].exited = 0;
	procs[i].pid = pid;
	block_chld(SIG_UNBLOCK);
	return pid;
}

static int
slot_of(pid_t pid)
{
	int i;

	for (i = 0; i < SB_MAXPROC; i++)
		if (procs[i].pid == pid)
			return i;
	return -1;
}

int
sb_alive(pid_t pid)
{
	int i = slot_of(pid), st;

	if (i == -1)
		return 0;
	if (!procs[i].exited && waitpid(pid, &st, WNOHANG) == pid)
		note_exit(pid, st);
	return !procs[i].exited;
}

/* Waits until pid (slot i) has exited, up to timeout_ms. 1 exited, 0 not. */
static int
reap_wait(int i, int timeout_ms)
{
	double deadline = sb_now_ms() + timeout_ms;
	struct timespec ms = { 0, 1000000L };
	pid_t pid = procs[i].pid;
	int st;

	while (!procs[i].exited) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			note_exit(pid, st);
			break;
		}
		if (sb_now_ms() >= deadline)
			return 0;
		nanosleep(&ms, NULL);
	}
	return 1;
}

int
sb_stop(pid_t pid, int timeout_ms)
{
	int i = slot_of(pid), st;

	if (i == -1)
		return -1;
	if (!procs[i].exited)
		kill(pid, SIGTERM);
	if (!reap_wait(i, timeout_ms)) {
		kill(pid, SIGKILL);
		reap_wait(i, SB_STOP_MS);
		procs[i].pid = 0;
		return -1;
	}
	st = procs[i].status;
	procs[i].pid = 0;
	return st;
}

long
sb_proc_status(pid_t pid, const char *key)
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

void
sb_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
sb_count_in(const char *rel, const char *needle)
{
	char p[PATH_MAX], *buf = NULL;
	size_t cap = 0;
	int count = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", sb_dir, rel);
	if ((f = fopen(p, "re")) == NULL)
		return 0;
	while (getline(&buf, &cap, f) > 0)
		if (strstr(buf, needle) != NULL)
			count++;
	free(buf);
	fclose(f);
	return count;
}

int
sb_count_events(const char *needle)
{
	return sb_count_in("events.json", needle);
}

int
sb_wait_count(const char *rel, const char *needle, int want, int timeout_ms)
{
	double deadline = sb_now_ms() + timeout_ms;

	while (sb_count_in(rel, needle) < want) {
		if (sb_now_ms() >= deadline)
			return -1;
		sb_msleep(2);
	}
	return 0;
}

void
sb_show_tail(const char *rel, int lines)
{
	char p[PATH_MAX], *buf = NULL;
	size_t cap = 0;
	int total = sb_count_in(rel, ""), i = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", sb_dir, rel);
	if ((f = fopen(p, "re")) == NULL)
		return;
	fprintf(stderr, "--- last lines of %s:\n", rel);
	while (getline(&buf, &cap, f) > 0)
		if (i++ >= total - lines)
			fputs(buf, stderr);
	free(buf);
	fclose(f);
}

int
sb_wait_events(int ino, const char *needle, int want, int timeout_ms)
{
	char buf[4096];
	double deadline = sb_now_ms() + timeout_ms;
	struct pollfd pfd = { ino, POLLIN, 0 };

	while (sb_count_events(needle) < want) {
		double left = deadline - sb_now_ms();

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left + 1) > 0 &&
		    read(ino, buf, sizeof(buf)) == -1 && errno != EAGAIN)
			sb_die("inotify read");
	}
	return 0;
}

int
sb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
sb_pct(const double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

/*
 * XXX the resident-memory figures below would read better in their own
 * bench/rss.c; this file is past 600 lines with them.
 */
int
sb_mem_read(pid_t pid, struct sb_mem *m)
{
	m->rss = sb_proc_status(pid, "VmRSS:");
	m->anon = sb_proc_status(pid, "RssAnon:");
	m->file = sb_proc_status(pid, "RssFile:");
	return m->rss < 0 || m->anon < 0 || m->file < 0 ? -1 : 0;
}

/*
 * dlopens every shared object in /proc/PID/maps but the program itself, so
 * this process maps what that one maps (NSS modules loaded at run time
 * included). Other files (none in the daemon) are skipped. The number of
 * objects, or -1.
 */
static int
floor_map_like(const char *pidstr)
{
	char p[64], exe[PATH_MAX], last[PATH_MAX] = "", line[PATH_MAX + 128];
	char *path;
	long long pid;
	ssize_t n;
	FILE *f;
	int nobj = 0;

	if (parse_ll(pidstr, 1, INT_MAX, &pid) == -1)
		return -1;
	snprintf(p, sizeof(p), "/proc/%lld/exe", pid);
	if ((n = readlink(p, exe, sizeof(exe) - 1)) <= 0)
		return -1;
	exe[n] = '\0';
	snprintf(p, sizeof(p), "/proc/%lld/maps", pid);
	if ((f = fopen(p, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		/* An object's mappings are adjacent: count it once. */
		if ((path = strchr(line, '/')) == NULL ||
		    strstr(path, ".so") == NULL || strcmp(path, exe) == 0 ||
		    strcmp(path, last) == 0)
			continue;
		snprintf(last, sizeof(last), "%s", path);
		if (dlopen(path, RTLD_LAZY) == NULL) {
			fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
			fclose(f);
			return -1;
		}
		nobj++;
	}
	fclose(f);
	return nobj;
}

int
sb_rss_floor_main(void)
{
	char hex[DIGEST_HEX_LEN + 1];
	const char *pid = getenv("SB_FLOOR_PID");
	struct sb_floor f;

	memset(&f, 0, sizeof(f));
	if (pid != NULL && (f.nobj = floor_map_like(pid)) == -1)
		return 1;
	if (sb_mem_read(getpid(), &f.idle) == -1)
		return 1;
	digest_buf("x", 1, hex);
	if (sb_mem_read(getpid(), &f.hashed) == -1)
		return 1;
	/* hashed.rss first: sb_rss_floor() reads it alone. */
	printf("%ld %ld %ld %ld %ld %ld %d\n", f.hashed.rss, f.hashed.anon,
	    f.hashed.file, f.idle.rss, f.idle.anon, f.idle.file, f.nobj);
	return 0;
}

int
sb_rss_floors(pid_t pid, struct sb_floor *f)
{
	char self[PATH_MAX], env[32], *fl[] = { self, "-F", NULL }, *p, *end;
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", env, NULL };
	long nobj, *v[] = { &f->hashed.rss, &f->hashed.anon, &f->hashed.file,
	    &f->idle.rss, &f->idle.anon, &f->idle.file, &nobj };
	struct spawn_res fr;
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t i;
	int rc, r = -1;

	if (sl <= 0)
		return -1;
	self[sl] = '\0';
	snprintf(env, sizeof(env), "SB_FLOOR_PID=%ld", (long)pid);
	block_chld(SIG_BLOCK);
	rc = spawn_run(fl, pid != 0 ? envp : NULL, NULL, 0, 10000, 256, &fr);
	block_chld(SIG_UNBLOCK);
	if (rc == -1)
		return -1;
	if (!spawn_ok(&fr)) {
		fprintf(stderr, "rss floor: %s", fr.err);
		goto out;
	}
	for (i = 0, p = fr.out; i < SM_NELEM(v); i++, p = end) {
		errno = 0;
		*v[i] = strtol(p, &end, 10);
		if (end == p || errno != 0 || *v[i] < 0 || *v[i] > INT_MAX)
			goto out;
	}
	if (*end != '\n')
		goto out;
	f->nobj = (int)nobj;
	r = 0;
 out:
	spawn_res_free(&fr);
	return r;
}

long
sb_rss_floor(pid_t pid)
{
	struct sb_floor f;

	return sb_rss_floors(pid, &f) == 0 ? f.hashed.rss : -1;
}

static void
cleanup(void)
{
	char *rm[] = { "/bin/rm", "-rf", sb_dir, NULL };
	pid_t pid;
	int i;

	for (i = 0; i < SB_MAXPROC; i++)
		if (procs[i].pid != 0)
			sb_stop(procs[i].pid, SB_STOP_MS);
	if (sshd_pidfile[0] != '\0' &&
	    (pid = sb_pidfile_pid(sshd_pidfile)) != 0 && is_sshd(pid))
		kill(pid, SIGTERM);
	if (sb_dir[0] == '\0')
		return;
	if (keep)
		fprintf(stderr, "%s: sandbox kept: %s\n", prog, sb_dir);
	else
		sb_run(rm);
}

void
sb_keep(void)
{
	keep = 1;
}

static void
on_signal(int sig)
{
	(void)sig;
	exit(2);
}

void
sb_init(const char *name, int reaper)
{
	struct sigaction sa;

	prog = name;
	snprintf(sb_dir, sizeof(sb_dir), "/tmp/sshmedic-bench.XXXXXX");
	if (mkdtemp(sb_dir) == NULL) {
		sb_dir[0] = '\0';
		sb_die("mkdtemp");
	}
	if (reaper) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_chld;
		sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGCHLD, &sa, NULL) == -1 ||
		    prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
			sb_die("subreaper");
		reaping = 1;
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (chmod(sb_dir, 0755) == -1)
		sb_die(sb_dir);
}
