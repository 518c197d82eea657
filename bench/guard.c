/*
 * bench/guard: how fast a broken sshd configuration is healed, against the
 * floor of one `sshd -t` in the same run; and sshmedicd's idle footprint.
 *
 * usage: bench/guard [-n RUNS] [-i IDLE_SECONDS] [-s PATH_TO_SSHMEDICD]
 * Runs as root against a sandboxed sshd on 127.0.0.1 (never /etc/ssh).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "misc.h"
#include "sandbox.h"

#define EVENT_WAIT_MS	10000
#define BD_MAXOBJ	32

struct bd_obj {
	char	name[64];
	long	file;		/* kB of file-backed pages */
};

static int
bd_cmp(const void *a, const void *b)
{
	const struct bd_obj *x = a, *y = b;

	return x->file < y->file ? 1 : x->file > y->file ? -1 : 0;
}

/* Predicate: a mapping's first line ("start-end perms offset dev ..."). */
static int
is_map_line(const char *l)
{
	size_t n = strcspn(l, " ");

	return n > 0 && memchr(l, '-', n) != NULL && memchr(l, ':', n) == NULL;
}

/* "Pss:" of /proc/PID/smaps_rollup in kB, or -1. */
static long
pss_kb(pid_t pid)
{
	char p[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%ld/smaps_rollup", (long)pid);
	if ((f = fopen(p, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Pss:", 4) == 0)
			v = strtol(line + 4, NULL, 10);
	fclose(f);
	return v;
}

/*
 * Where pid's resident memory is, from /proc/PID/smaps: its anonymous
 * pages (heap, stack, the relocated copy-on-write data of the program and
 * its libraries, other mappings) and its file-backed pages per object,
 * largest first. File pages of a library are shared with every process
 * that maps it (sshd maps libc too) but count in VmRSS.
 */
static void
print_breakdown(pid_t pid, const struct sb_mem *m)
{
	struct bd_obj obj[BD_MAXOBJ];
	char p[64], line[PATH_MAX + 128], *path, *name;
	long v, rss = 0, heap = 0, stack = 0, data = 0, other = 0;
	int i, nobj = 0, cur = -1;
	int kind = 0;		/* 0 anonymous, 1 heap, 2 stack, 3 file */
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%ld/smaps", (long)pid);
	if ((f = fopen(p, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "Rss:", 4) == 0) {
			rss = strtol(line + 4, NULL, 10);
			continue;
		}
		if (strncmp(line, "Anonymous:", 10) == 0) {
			v = strtol(line + 10, NULL, 10);
			if (kind == 1)
				heap += v;
			else if (kind == 2)
				stack += v;
			else if (kind == 0)
				other += v;
			else {
				data += v;
				if (cur != -1)
					obj[cur].file += rss - v;
			}
			continue;
		}
		if (!is_map_line(line))
			continue;
		if (strstr(line, "[heap]") != NULL)
			kind = 1;
		else if (strstr(line, "[stack]") != NULL)
			kind = 2;
		else if ((path = strchr(line, '/')) == NULL)
			kind = 0;
		else {
			kind = 3;
			name = strrchr(path, '/') + 1;
			for (i = 0; i < nobj; i++)
				if (strcmp(obj[i].name, name) == 0)
					break;
			if (i == nobj && nobj < BD_MAXOBJ) {
				snprintf(obj[nobj].name, sizeof(obj[0].name),
				    "%s", name);
				obj[nobj++].file = 0;
			}
			cur = i < nobj ? i : -1;
		}
	}
	fclose(f);
	qsort(obj, (size_t)nobj, sizeof(obj[0]), bd_cmp);
	printf("sshmedicd idle: VmRSS %ld kB = anonymous %ld + file-backed "
	    "%ld; Pss %ld kB\n", m->rss, m->anon, m->file, pss_kb(pid));
	printf("  anonymous kB: heap %ld, stack %ld, relocated data of the "
	    "program and its libraries %ld, other mappings %ld\n", heap, stack,
	    data, other);
	printf("  file-backed kB:");
	for (i = 0; i < nobj && obj[i].file > 0; i++)
		printf("%s %s %ld", i > 0 ? "," : "", obj[i].name, obj[i].file);
	printf("\n");
}

int
main(int argc, char **argv)
{
	char sshmedicd[PATH_MAX], conf[256], text[4096], p[PATH_MAX];
	double *restore, *sshd_t, t0;
	long long v;
	struct sb_mem mem;
	struct sb_floor fl;
	long rss, sw0, sw1;
	int ch, i, runs = 50, idle = 10, port, ino;
	pid_t daemon_pid;

	sb_sshmedicd_path(argv[0], sshmedicd, sizeof(sshmedicd));
	while ((ch = getopt(argc, argv, "Fn:i:s:")) != -1) {
		switch (ch) {
		case 'F':
			return sb_rss_floor_main();
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
	sb_init("bench/guard", 0);
	port = sb_free_port();
	sb_sshd_sandbox(port, "sshd.pid", conf, sizeof(conf));
	{
		char *sshd[] = { SSHD_PATH, "-f", conf, NULL };

		if (!sb_run(sshd))
			return 1;
	}
	snprintf(text, sizeof(text),
	    "sshd = { config = \"%s\"; dir = \"%s/etc\"; pidfile = \"%s/sshd.pid\";\n"
	    "  start = [\"%s\", \"-f\", \"%s\"]; };\n"
	    "probe = { address = \"127.0.0.1\"; port = %d; interval_ms = 0; };\n"
	    "guard = { debounce_ms = 0; grace_ms = 0; fight_limit = 1000; };\n"
	    "protected_users = [ \"root\" ];\n"
	    "paths = { state = \"%s/state\"; run = \"%s/run\"; policies = \"%s/policies.d\";\n"
	    "  requests = \"%s/requests\"; };\n"
	    "log = { json = \"%s/events.json\"; audit = false; syslog = false; };\n",
	    conf, sb_dir, sb_dir, SSHD_PATH, conf, port, sb_dir, sb_dir, sb_dir,
	    sb_dir, sb_dir);
	sb_put("sshmedic.conf", text, 0600);

	if ((ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(ino, sb_dir, IN_MODIFY | IN_CREATE) == -1)
		sb_die("inotify");
	{
		char *dargv[] = { sshmedicd, "-D", "-f", p, NULL };

		snprintf(p, sizeof(p), "%s/sshmedic.conf", sb_dir);
		daemon_pid = sb_spawn(dargv, NULL);
	}
	if (sb_wait_events(ino, "\"sshmedic-config-baseline\"", 1,
	    EVENT_WAIT_MS) == -1) {
		fprintf(stderr, "bench/guard: no baseline from %s\n", sshmedicd);
		return 1;
	}

	sshd_t = calloc((size_t)runs, sizeof(double));
	restore = calloc((size_t)runs, sizeof(double));
	if (sshd_t == NULL || restore == NULL)
		sb_die("calloc");
	for (i = 0; i < runs; i++) {
		char *t[] = { SSHD_PATH, "-t", "-f", conf, NULL };

		t0 = sb_now_ms();
		if (!sb_run(t))
			return 1;
		sshd_t[i] = sb_now_ms() - t0;
	}
	for (i = 0; i < runs; i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/etc/sshd_config.d/50-broken.conf",
		    sb_dir);
		snprintf(text, sizeof(text), "# run %d\nNoSuchKeyword yes\n", i);
		if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644)) == -1 || write(fd, text, strlen(text)) == -1)
			sb_die(p);
		close(fd);
		t0 = sb_now_ms();
		if (sb_wait_events(ino, "\"sshmedic-config-rollback\"", i + 1,
		    EVENT_WAIT_MS) == -1) {
			fprintf(stderr, "bench/guard: run %d: no rollback\n", i);
			return 1;
		}
		restore[i] = sb_now_ms() - t0;
		if (access(p, F_OK) == 0) {
			fprintf(stderr, "bench/guard: run %d: broken file still "
			    "in place\n", i);
			return 1;
		}
	}
	if (sb_count_events("\"sshmedic-config-rollback\",\"res\":\"failed\"")
	    > 0) {
		fprintf(stderr, "bench/guard: a rollback failed\n");
		return 1;
	}
	qsort(sshd_t, (size_t)runs, sizeof(double), sb_cmp_double);
	qsort(restore, (size_t)runs, sizeof(double), sb_cmp_double);

	/* Idle: no file events, probes off: the loop should not wake at all. */
	{
		struct timespec settle = { 1, 0 }, rest = { idle, 0 };

		nanosleep(&settle, NULL);
		sw0 = sb_proc_status(daemon_pid, "voluntary_ctxt_switches:") +
		    sb_proc_status(daemon_pid, "nonvoluntary_ctxt_switches:");
		nanosleep(&rest, NULL);
		sw1 = sb_proc_status(daemon_pid, "voluntary_ctxt_switches:") +
		    sb_proc_status(daemon_pid, "nonvoluntary_ctxt_switches:");
		if (sb_mem_read(daemon_pid, &mem) == -1)
			sb_die("/proc/PID/status");
		rss = mem.rss;
	}
	printf("runs: %d (debounce_ms=0 grace_ms=0)\n", runs);
	printf("%-34s %8s %8s %8s\n", "", "p50 ms", "p99 ms", "max ms");
	printf("%-34s %8.1f %8.1f %8.1f\n", "sshd -t (floor)",
	    sb_pct(sshd_t, runs, 0.5), sb_pct(sshd_t, runs, 0.99),
	    sshd_t[runs - 1]);
	printf("%-34s %8.1f %8.1f %8.1f\n", "broken write -> restored+served",
	    sb_pct(restore, runs, 0.5), sb_pct(restore, runs, 0.99),
	    restore[runs - 1]);
	print_breakdown(daemon_pid, &mem);
	if (sb_rss_floors(daemon_pid, &fl) == 0) {
		printf("rss floor, a process mapping the daemon's %d shared "
		    "objects and nothing else: %ld kB (anonymous %ld, "
		    "file-backed %ld)\n", fl.nobj, fl.idle.rss, fl.idle.anon,
		    fl.idle.file);
		printf("  after one sha256 as the daemon hashes: %ld kB "
		    "(anonymous %ld, file-backed %ld): its first use "
		    "%+ld kB\n",
		    fl.hashed.rss, fl.hashed.anon, fl.hashed.file,
		    fl.hashed.rss - fl.idle.rss);
		printf("  sshmedicd idle: %ld kB, %+ld kB above that floor "
		    "(%.2fx)\n", rss, rss - fl.hashed.rss,
		    (double)rss / fl.hashed.rss);
	}
	printf("goal: restore p50 <= 3x sshd -t p50; rss <= 2048 kB; "
	    "0 idle switches in %d s\n", idle);
	printf("restore_p50_ms=%.1f restore_p99_ms=%.1f sshd_t_p50_ms=%.1f "
	    "ratio_p50=%.2f rss_kb=%ld idle_switches=%ld\n",
	    sb_pct(restore, runs, 0.5), sb_pct(restore, runs, 0.99),
	    sb_pct(sshd_t, runs, 0.5), sb_pct(restore, runs, 0.5) /
	    sb_pct(sshd_t, runs, 0.5), rss, sw1 - sw0);
	free(sshd_t);
	free(restore);
	return 0;
}
