/*
 * Tests for lib/spawn.c: exit status, signals, the deadline on the whole
 * process group, bounded capture on both streams, stdin, and reaping.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "misc.h"
#include "spawn.h"

#define SH	"/bin/sh"

static int
run_sh(const char *script, const char *in, size_t inlen, int timeout_ms,
    size_t cap, struct spawn_res *r)
{
	char *argv[] = { SH, "-c", (char *)script, NULL };

	return spawn_run(argv, NULL, in, inlen, timeout_ms, cap, r);
}

static void
assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void
t_exit_codes(void **s)
{
	static const int codes[] = { 0, 1, 3, 255 };
	struct spawn_res r;
	char script[32], d[64];
	size_t i;

	(void)s;
	for (i = 0; i < SM_NELEM(codes); i++) {
		snprintf(script, sizeof(script), "exit %d", codes[i]);
		assert_int_equal(run_sh(script, NULL, 0, 5000, 100, &r), 0);
		assert_int_equal(r.exited, 1);
		assert_int_equal(r.status, codes[i]);
		assert_int_equal(r.signo, 0);
		assert_int_equal(r.timed_out, 0);
		assert_int_equal(spawn_ok(&r), codes[i] == 0);
		snprintf(script, sizeof(script), "exit %d", codes[i]);
		assert_string_equal(spawn_describe(&r, d, sizeof(d)), script);
		spawn_res_free(&r);
	}
	assert_no_children();
}

static void
t_signal(void **s)
{
	struct spawn_res r;
	char d[64];

	(void)s;
	assert_int_equal(run_sh("kill -TERM $$", NULL, 0, 5000, 100, &r), 0);
	assert_int_equal(r.exited, 0);
	assert_int_equal(r.signo, SIGTERM);
	assert_int_equal(r.timed_out, 0);
	assert_false(spawn_ok(&r));
	assert_non_null(strstr(spawn_describe(&r, d, sizeof(d)),
	    "killed by signal 15"));
	spawn_res_free(&r);
	assert_no_children();
}

/* 1 when pid is gone or a zombie waiting for init. */
static int
pid_dead(long pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	int dead;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return 1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	dead = p != NULL && (p[2] == 'Z' || p[2] == 'X');
	return dead;
}

static void
t_timeout_kills_group(void **s)
{
	struct spawn_res r;
	char *dir = unit_mkdtemp(), script[1024], pidfile[256], *buf = NULL;
	char d[64];
	long long child;
	int64_t until;
	FILE *f;
	size_t n = 0;

	(void)s;
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	/* the grandchild keeps our stdout open: it must die too */
	snprintf(script, sizeof(script),
	    "/bin/sleep 100 & echo $! > %s.tmp && mv %s.tmp %s; "
	    "exec /bin/sleep 100", pidfile, pidfile, pidfile);
	assert_int_equal(run_sh(script, NULL, 0, 300, 100, &r), 0);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.exited, 0);
	assert_int_equal(r.signo, SIGKILL);
	assert_true(r.elapsed_ms >= 300);
	assert_true(r.elapsed_ms < 5000);
	assert_false(spawn_ok(&r));
	assert_non_null(strstr(spawn_describe(&r, d, sizeof(d)), "timed out"));
	spawn_res_free(&r);
	assert_no_children();

	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_true(getline(&buf, &n, f) > 0);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	assert_int_equal(parse_ll(buf, 1, 1LL << 30, &child), 0);
	free(buf);
	/* SIGKILL was sent; the kernel needs a moment to finish it off */
	until = monotime_ms() + 5000;
	while (!pid_dead((long)child) && monotime_ms() < until)
		sched_yield();
	assert_true(pid_dead((long)child));
	unit_rmtree(dir);
}

static void
t_timeout_zero(void **s)
{
	struct spawn_res r;

	(void)s;
	assert_int_equal(run_sh("exec /bin/sleep 100", NULL, 0, 0, 10, &r), 0);
	assert_int_equal(r.timed_out, 1);
	assert_false(spawn_ok(&r));
	spawn_res_free(&r);
	assert_no_children();
}

static void
t_cap_boundaries(void **s)
{
	struct spawn_res r;

	(void)s;
	/* exactly cap: complete */
	assert_int_equal(run_sh("/usr/bin/head -c 1000 /dev/zero | tr '\\0' a",
	    NULL, 0, 5000, 1000, &r), 0);
	assert_true(spawn_ok(&r));
	assert_int_equal(r.outlen, 1000);
	assert_int_equal(r.out_truncated, 0);
	assert_int_equal(strlen(r.out), 1000);
	assert_int_equal(r.out[999], 'a');
	spawn_res_free(&r);

	/* cap + 1: truncated at cap, still NUL-terminated */
	assert_int_equal(run_sh("/usr/bin/head -c 1001 /dev/zero | tr '\\0' a",
	    NULL, 0, 5000, 1000, &r), 0);
	assert_true(spawn_ok(&r));
	assert_int_equal(r.outlen, 1000);
	assert_int_equal(r.out_truncated, 1);
	assert_int_equal(strlen(r.out), 1000);
	spawn_res_free(&r);

	/* far over cap: the rest is drained, so the writer is not blocked */
	assert_int_equal(run_sh("/usr/bin/head -c 3000000 /dev/zero",
	    NULL, 0, 10000, 10, &r), 0);
	assert_true(spawn_ok(&r));
	assert_int_equal(r.outlen, 10);
	assert_int_equal(r.out_truncated, 1);
	spawn_res_free(&r);

	/* cap 0 */
	assert_int_equal(run_sh("echo hi; echo ho >&2", NULL, 0, 5000, 0, &r),
	    0);
	assert_true(spawn_ok(&r));
	assert_int_equal(r.outlen, 0);
	assert_int_equal(r.out_truncated, 1);
	assert_string_equal(r.out, "");
	assert_int_equal(r.err_truncated, 1);
	spawn_res_free(&r);
	assert_no_children();
}

static void
t_big_stderr(void **s)
{
	struct spawn_res r;

	(void)s;
	assert_int_equal(run_sh("/usr/bin/head -c 2000000 /dev/zero >&2",
	    NULL, 0, 10000, 4096, &r), 0);
	assert_true(spawn_ok(&r));
	assert_int_equal(r.timed_out, 0);
	assert_int_equal(r.outlen, 0);
	assert_int_equal(r.out_truncated, 0);
	assert_int_equal(r.errlen, 4096);
	assert_int_equal(r.err_truncated, 1);
	spawn_res_free(&r);

	/* both streams, interleaved */
	assert_int_equal(run_sh("echo out; echo err >&2; echo out2",
	    NULL, 0, 5000, 100, &r), 0);
	assert_string_equal(r.out, "out\nout2\n");
	assert_string_equal(r.err, "err\n");
	spawn_res_free(&r);
	assert_no_children();
}

static void
t_stdin(void **s)
{
	char *argv[] = { "/bin/cat", NULL };
	char *big;
	struct spawn_res r;
	size_t n = 1 << 20;

	(void)s;
	assert_int_equal(spawn_run(argv, NULL, "hello\nworld", 11, 5000, 100,
	    &r), 0);
	assert_true(spawn_ok(&r));
	assert_string_equal(r.out, "hello\nworld");
	spawn_res_free(&r);

	/* NULL stdin is /dev/null: cat ends at once */
	assert_int_equal(spawn_run(argv, NULL, NULL, 0, 5000, 100, &r), 0);
	assert_true(spawn_ok(&r));
	assert_int_equal(r.outlen, 0);
	spawn_res_free(&r);

	/* larger than a pipe buffer, echoed back whole */
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'x', n);
	assert_int_equal(spawn_run(argv, NULL, big, n, 10000, n, &r), 0);
	assert_true(spawn_ok(&r));
	assert_int_equal(r.outlen, n);
	assert_int_equal(r.out_truncated, 0);
	assert_memory_equal(r.out, big, n);
	spawn_res_free(&r);

	/* a child that never reads stdin: our SIGPIPE is absorbed */
	assert_int_equal(run_sh("exit 0", big, n, 5000, 100, &r), 0);
	assert_true(spawn_ok(&r));
	spawn_res_free(&r);
	free(big);
	assert_no_children();
}

static void
t_not_started(void **s)
{
	char *missing[] = { "/nonexistent/sshmedic-no-such-binary", NULL };
	char *relative[] = { "sh", "-c", "true", NULL };
	char *noexec[] = { "/etc/passwd", NULL };
	char *none[] = { NULL };
	struct spawn_res r;

	(void)s;
	errno = 0;
	assert_int_equal(spawn_run(missing, NULL, NULL, 0, 1000, 10, &r), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(r.out);
	spawn_res_free(&r);
	errno = 0;
	assert_int_equal(spawn_run(relative, NULL, NULL, 0, 1000, 10, &r), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(spawn_run(none, NULL, NULL, 0, 1000, 10, &r), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(spawn_run(noexec, NULL, NULL, 0, 1000, 10, &r), -1);
	assert_int_equal(errno, EACCES);
	assert_no_children();
}

static void
t_empty_output(void **s)
{
	char *argv[] = { "/bin/true", NULL };
	struct spawn_res r;

	(void)s;
	assert_int_equal(spawn_run(argv, NULL, NULL, 0, 5000, 100, &r), 0);
	assert_true(spawn_ok(&r));
	assert_non_null(r.out);
	assert_non_null(r.err);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
	assert_int_equal(r.outlen, 0);
	assert_int_equal(r.errlen, 0);
	spawn_res_free(&r);
	assert_no_children();
}

static void
t_environment(void **s)
{
	char *argv[] = { "/usr/bin/env", NULL };
	char *envp[] = { "A=1", "B=two words", NULL };
	struct spawn_res r;

	(void)s;
	assert_int_equal(spawn_run(argv, NULL, NULL, 0, 5000, 1000, &r), 0);
	assert_string_equal(r.out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n");
	spawn_res_free(&r);
	assert_int_equal(spawn_run(argv, envp, NULL, 0, 5000, 1000, &r), 0);
	assert_string_equal(r.out, "A=1\nB=two words\n");
	spawn_res_free(&r);
}

static void
t_fds_and_signals_reset(void **s)
{
	struct spawn_res r;
	sigset_t set, old;
	char script[128];
	int fd;

	(void)s;
	/* a descriptor leaked without O_CLOEXEC does not reach the child */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd > 2);
	snprintf(script, sizeof(script), "test -e /proc/$$/fd/%d", fd);
	assert_int_equal(run_sh(script, NULL, 0, 5000, 100, &r), 0);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.status, 1);
	spawn_res_free(&r);
	close(fd);

	/* blocked and ignored signals in the parent are reset in the child */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old), 0);
	assert_true(signal(SIGINT, SIG_IGN) != SIG_ERR);
	assert_int_equal(run_sh("kill -INT $$; kill -TERM $$; sleep 5",
	    NULL, 0, 5000, 100, &r), 0);
	assert_int_equal(r.signo, SIGINT);
	spawn_res_free(&r);
	assert_true(signal(SIGINT, SIG_DFL) != SIG_ERR);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	assert_no_children();
}

static void
t_own_process_group(void **s)
{
	struct spawn_res r;
	char want[32];

	(void)s;
	/* field 5 of /proc/self/stat is the pgrp; the shell leads its own */
	assert_int_equal(run_sh("read -r a b c d e rest < /proc/$$/stat; "
	    "test \"$e\" = $$ && echo own", NULL, 0, 5000, 100, &r), 0);
	snprintf(want, sizeof(want), "own\n");
	assert_string_equal(r.out, want);
	spawn_res_free(&r);
}

/* spawn_background: a pipe to read, a group of its own, errors at start. */
static void
t_background(void **s)
{
	char *const echo[] = { "/bin/sh", "-c", "echo one; echo two", NULL };
	char *const rel[] = { "sh", NULL };
	char *const none[] = { "/nonexistent/sshmedic-prog", NULL };
	char buf[64];
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	int fd, st, fl, i;

	(void)s;
	assert_int_equal(spawn_background(echo, NULL, &pid, &fd), 0);
	assert_true(fd > 2);
	fl = fcntl(fd, F_GETFL);
	assert_true(fl & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(getpgid(pid) == pid || getpgid(pid) == -1, 1);
	/* bounded: at most 5 s of 10 ms naps */
	for (i = 0; i < 500; i++) {
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		else {
			assert_int_equal(errno, EAGAIN);
			usleep(10000);
		}
	}
	buf[got] = '\0';
	assert_string_equal(buf, "one\ntwo\n");
	close(fd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	assert_int_equal(spawn_background(rel, NULL, &pid, &fd), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(spawn_background(none, NULL, &pid, &fd), -1);
	assert_int_equal(errno, ENOENT);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(t_exit_codes),
		cmocka_unit_test(t_signal),
		cmocka_unit_test(t_timeout_kills_group),
		cmocka_unit_test(t_timeout_zero),
		cmocka_unit_test(t_cap_boundaries),
		cmocka_unit_test(t_big_stderr),
		cmocka_unit_test(t_stdin),
		cmocka_unit_test(t_not_started),
		cmocka_unit_test(t_empty_output),
		cmocka_unit_test(t_environment),
		cmocka_unit_test(t_fds_and_signals_reset),
		cmocka_unit_test(t_own_process_group),
		cmocka_unit_test(t_background),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
