/*
 * What the benchmarks share: a sandbox directory with its own sshd on
 * 127.0.0.1, the processes they start (killed on every exit), and figures.
 */
#ifndef SM_BENCH_SANDBOX_H
#define SM_BENCH_SANDBOX_H

#include <sys/types.h>

extern char sb_dir[128];	/* the sandbox (mkdtemp): short by construction */

/*
 * Makes the sandbox (mode 0755: sshd checks the path), removes it and kills
 * what was started at exit and on SIGINT/SIGTERM. With reaper set, this
 * process becomes the child subreaper of what it starts and reaps orphans
 * at once (a killed sshd master is not left a zombie for PID 1). Exits on
 * failure.
 */
void	sb_init(const char *prog, int reaper);

/* Leaves the sandbox in place at exit (its path printed), to read its logs. */
void	sb_keep(void);

/* Monotonic milliseconds. */
double	sb_now_ms(void);

/* Prints "prog: what: strerror(errno)" and exits 1. */
void	sb_die(const char *what) __attribute__((noreturn));

/* Writes text to sb_dir/rel with mode; exits on failure. */
void	sb_put(const char *rel, const char *text, mode_t mode);

/* Predicate: argv ran and exited 0 within 20 s (its stderr printed if not). */
int	sb_run(char **argv);

/* A TCP port on 127.0.0.1 that was free a moment ago; exits on failure. */
int	sb_free_port(void);

/*
 * The sandboxed sshd: etc/sshd_config (including etc/sshd_config.d),
 * etc/hostkey, a client key with keys/root authorized, PidFile sb_dir/pidrel,
 * on 127.0.0.1:port. conf receives the config path. Creates /run/sshd if it
 * is missing (sshd refuses to start without it). Exits on failure.
 */
void	sb_sshd_sandbox(int port, const char *pidrel, char *conf, size_t len);

/* The sshmedicd beside this benchmark's binary (argv0/../watchdog/). */
void	sb_sshmedicd_path(const char *argv0, char *buf, size_t len);

/*
 * Forks and execs argv (tracked: killed at exit), its stdout and stderr
 * appended to sb_dir/logrel (NULL: ours). The pid; exits on failure.
 */
pid_t	sb_spawn(char *const argv[], const char *logrel);

/*
 * Stops a process sb_spawn started: SIGTERM, up to timeout_ms, then SIGKILL.
 * Its wait status, or -1 when it had to be killed.
 */
int	sb_stop(pid_t pid, int timeout_ms);

/* Predicate: pid is a process sb_spawn started that has not exited. */
int	sb_alive(pid_t pid);

/* The live (not zombie) process in pidfile path, or 0. */
pid_t	sb_pidfile_pid(const char *path);

/* Predicate: pid exists and is not a zombie. */
int	sb_pid_live(pid_t pid);

/* A number from /proc/PID/status ("VmRSS:" ...), or -1. */
long	sb_proc_status(pid_t pid, const char *key);

/* Sleeps ms milliseconds. */
void	sb_msleep(int ms);

/* Lines of sb_dir/rel containing needle ("" counts every line). */
int	sb_count_in(const char *rel, const char *needle);

/* Lines of sb_dir/events.json containing needle. */
int	sb_count_events(const char *needle);

/* Polls until sb_count_in(rel, needle) >= want. 0, or -1 after timeout_ms. */
int	sb_wait_count(const char *rel, const char *needle, int want,
	    int timeout_ms);

/* Prints the last lines of sb_dir/rel to stderr: what a supervisor said. */
void	sb_show_tail(const char *rel, int lines);

/*
 * Blocks on ino (an inotify watch of sb_dir) until sb_count_events(needle)
 * >= want. 0, or -1 after timeout_ms.
 */
int	sb_wait_events(int ino, const char *needle, int want, int timeout_ms);

/* qsort comparator for doubles, and the p-quantile of a sorted array. */
int	sb_cmp_double(const void *a, const void *b);
double	sb_pct(const double *v, int n, double p);

/* Resident memory in kB: VmRSS, RssAnon and RssFile of /proc/PID/status. */
struct sb_mem {
	long	rss, anon, file;
};

/* Fills m for pid. 0, or -1 when a figure is missing. */
int	sb_mem_read(pid_t pid, struct sb_mem *m);

/*
 * The resident-memory floor, from a fresh run of this binary with -F: idle
 * once it maps every shared object that pid maps (dlopen'ed, so their
 * relocations and constructors run; pid 0: only what this binary links),
 * hashed after it then hashed one byte through lib/digest.c, as the daemon
 * must. nobj: the shared objects mapped.
 */
struct sb_floor {
	struct sb_mem	idle, hashed;
	int		nobj;
};

/* 0 with f filled, or -1. */
int	sb_rss_floors(pid_t pid, struct sb_floor *f);

/* The child side of sb_rss_floors, for a -F option: an exit code. */
int	sb_rss_floor_main(void);

/* sb_rss_floors(pid): hashed.rss in kB, or -1. */
long	sb_rss_floor(pid_t pid);

#endif
