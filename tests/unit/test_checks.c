/*
 * Unit tests for watchdog/checks.c and checks_sys.c: the pure parts of the
 * check catalogue (space limit, /proc/net parsing, closure shapes, privsep).
 */
#include "unit.h"

#include <limits.h>
#include <sys/stat.h>

#include "checks.h"
#include "conf.h"

static void
t_space_low(void **s)
{
	(void)s;
	/* the absolute floor */
	assert_int_equal(check_space_low(0, 0, 0), 0);
	assert_int_equal(check_space_low(0, 0, 1), 1);
	assert_int_equal(check_space_low(1023, 0, 1024), 1);
	assert_int_equal(check_space_low(1024, 0, 1024), 0);
	/* 1% of total, rounded so that a hair under 1% is low */
	assert_int_equal(check_space_low(9, 1000, 0), 1);
	assert_int_equal(check_space_low(10, 1000, 0), 0);
	assert_int_equal(check_space_low(1, 101, 0), 1);
	assert_int_equal(check_space_low(2, 101, 0), 0);
	assert_int_equal(check_space_low(0, 100, 0), 1);
	assert_int_equal(check_space_low(1, 100, 0), 0);
	assert_int_equal(check_space_low(0, 99, 0), 1);
	assert_int_equal(check_space_low(1, 99, 0), 0);
	/* max: no overflow */
	assert_int_equal(check_space_low(ULLONG_MAX, ULLONG_MAX, 0), 0);
	assert_int_equal(check_space_low(ULLONG_MAX / 100, ULLONG_MAX, 0), 1);
	assert_int_equal(check_space_low(ULLONG_MAX / 100 + 1, ULLONG_MAX, 0),
	    0);
	/* both limits: either one makes it low */
	assert_int_equal(check_space_low(1000, 1000, 1024), 1);
	assert_int_equal(check_space_low(2048, 1000000, 1024), 1);
	assert_int_equal(check_space_low(20000, 1000000, 1024), 0);
}

#define HDR "  sl  local_address rem_address   st tx_queue rx_queue tr " \
	"tm->when retrnsmt   uid  timeout inode\n"
#define ROW(sl, port, st, inode) \
	"   " sl ": 0100007F:" port " 00000000:0000 " st " 00000000:00000000 " \
	"00:00000000 00000000     0        0 " inode " 1 0000000000000000 " \
	"100 0 0 10 0\n"

static void
t_listen_inodes(void **s)
{
	char *dir = unit_mkdtemp(), *f;
	unsigned long ino[4];

	(void)s;
	assert_true(asprintf(&f, "%s/tcp", dir) > 0);
	/* missing file, empty file, header only */
	assert_int_equal(check_listen_inodes(f, 22, ino, 4), 0);
	unit_write(f, "");
	assert_int_equal(check_listen_inodes(f, 22, ino, 4), 0);
	unit_write(f, HDR);
	assert_int_equal(check_listen_inodes(f, 22, ino, 4), 0);

	unit_write(f, HDR
	    ROW("0", "0016", "0A", "1001")	/* LISTEN on 22 */
	    ROW("1", "0016", "01", "1002")	/* ESTABLISHED: not a holder */
	    ROW("2", "0017", "0A", "1003")	/* another port */
	    ROW("3", "0016", "0A", "0")		/* no inode */
	    ROW("4", "0016", "0A", "-5")	/* garbage inode */
	    ROW("5", "00G6", "0A", "1004")	/* garbage port */
	    "garbage line without fields\n"
	    ROW("6", "0016", "0A", "1005"));
	assert_int_equal(check_listen_inodes(f, 22, ino, 4), 2);
	assert_int_equal(ino[0], 1001);
	assert_int_equal(ino[1], 1005);
	assert_int_equal(check_listen_inodes(f, 23, ino, 4), 1);
	assert_int_equal(ino[0], 1003);
	assert_int_equal(check_listen_inodes(f, 24, ino, 4), 0);
	/* max respected */
	assert_int_equal(check_listen_inodes(f, 22, ino, 1), 1);
	assert_int_equal(ino[0], 1001);
	assert_int_equal(check_listen_inodes(f, 22, ino, 0), 0);
	/* the highest port */
	unit_write(f, HDR ROW("0", "FFFF", "0A", "77"));
	assert_int_equal(check_listen_inodes(f, 65535, ino, 4), 1);
	assert_int_equal(ino[0], 77);

	free(f);
	unit_rmtree(dir);
}

static void
t_closure_shape(void **s)
{
	struct cl_file files[3];
	struct closure cl;
	char why[256];

	(void)s;
	memset(&cl, 0, sizeof(cl));
	memset(files, 0, sizeof(files));
	cl.files = files;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 0);

	files[0].path = "/e/sshd_config";
	files[0].role = CL_MAIN;
	files[1].path = "/e/d/a.conf";
	files[1].role = CL_INCLUDE;
	files[2].path = "/e/host_key";
	files[2].role = CL_HOSTKEY;
	cl.nfiles = 3;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 0);

	files[0].state = CL_MISSING;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "/e/sshd_config is missing"));
	files[0].state = CL_DIR;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "a directory"));
	files[0].state = CL_REG;

	/* an Include naming a file that is not there is sshd's business */
	files[1].state = CL_MISSING;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 0);
	files[1].state = CL_DANGLING;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "/e/d/a.conf is a dangling symlink"));
	files[1].state = CL_OTHER;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 1);
	files[1].state = CL_UNREADABLE;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 1);
	files[1].state = CL_TOOBIG;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "too large"));
	files[1].state = CL_REG;

	/* host keys are S4's, not a shape of the configuration */
	files[2].state = CL_DIR;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 0);
	files[2].state = CL_MISSING;
	assert_int_equal(check_closure_shape(&cl, why, sizeof(why)), 0);

	/* a short reason buffer is cut, not overrun */
	files[0].state = CL_DIR;
	memset(why, 'x', sizeof(why));
	assert_int_equal(check_closure_shape(&cl, why, 8), 1);
	assert_int_equal(strlen(why), 7);
}

static void
t_privsep(void **s)
{
	struct sm_conf c;
	char *dir = unit_mkdtemp(), *p, why[CHECK_DETAIL_MAX];

	(void)s;
	conf_defaults(&c);
	free(c.sshd_privsep_dir);
	assert_true(asprintf(&c.sshd_privsep_dir, "%s/sshd", dir) > 0);
	p = c.sshd_privsep_dir;

	assert_int_equal(check_privsep(&c, why, sizeof(why)), CHK_FAIL);
	assert_non_null(strstr(why, "No such file"));
	unit_write(p, "x");
	assert_int_equal(check_privsep(&c, why, sizeof(why)), CHK_FAIL);
	assert_non_null(strstr(why, "not a directory"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(chmod(p, 0755), 0);
	if (geteuid() == 0) {
		assert_int_equal(check_privsep(&c, why, sizeof(why)), CHK_OK);
		assert_int_equal(chmod(p, 0775), 0);
		assert_int_equal(check_privsep(&c, why, sizeof(why)), CHK_FAIL);
		assert_non_null(strstr(why, "0775"));
		assert_int_equal(chmod(p, 0757), 0);
		assert_int_equal(check_privsep(&c, why, sizeof(why)), CHK_FAIL);
		assert_int_equal(chmod(p, 0700), 0);
		assert_int_equal(check_privsep(&c, why, sizeof(why)), CHK_OK);
	} else {
		/* not root's: sshd refuses it */
		assert_int_equal(check_privsep(&c, why, sizeof(why)), CHK_FAIL);
	}
	assert_int_equal(rmdir(p), 0);
	/* a dangling symlink is not a directory */
	assert_int_equal(symlink("/nonexistent-sshmedic", p), 0);
	assert_int_equal(check_privsep(&c, why, sizeof(why)), CHK_FAIL);
	conf_free(&c);
	unit_rmtree(dir);
}

static void
t_catalogue(void **s)
{
	size_t i, j;

	(void)s;
	assert_true(check_ncatalogue >= 10);
	for (i = 0; i < check_ncatalogue; i++) {
		assert_non_null(check_catalogue[i].fn);
		assert_true(strlen(check_catalogue[i].cause) > 0);
		assert_true(strlen(check_catalogue[i].title) > 0);
		assert_true(strlen(check_catalogue[i].remedy) > 0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(check_catalogue[i].cause,
			    check_catalogue[j].cause);
	}
	assert_string_equal(check_state_name(CHK_OK), "ok");
	assert_string_equal(check_state_name(CHK_FAIL), "fail");
	assert_string_equal(check_state_name(CHK_UNKNOWN), "unknown");
	assert_string_equal(check_state_name(CHK_WARN), "warn");
	assert_string_equal(check_state_name((enum check_state)99), "unknown");
}

/* A1: the LogLevel ranks, and the row without a log source (no sshd run). */
static void
t_authlog_row(void **s)
{
	struct check_ctx x;
	struct sm_conf c;
	char detail[CHECK_DETAIL_MAX];
	size_t i;

	(void)s;
	assert_int_equal(check_loglevel_rank("QUIET"), 0);
	assert_int_equal(check_loglevel_rank("INFO"), 3);
	assert_int_equal(check_loglevel_rank("VERBOSE"),
	    CHECK_LOGLEVEL_VERBOSE);
	assert_int_equal(check_loglevel_rank("verbose"),
	    CHECK_LOGLEVEL_VERBOSE);
	assert_int_equal(check_loglevel_rank("DEBUG"), 5);
	assert_int_equal(check_loglevel_rank("DEBUG1"), 5);
	assert_int_equal(check_loglevel_rank("DEBUG3"), 7);
	assert_int_equal(check_loglevel_rank("DEBUG4"), -1);
	assert_int_equal(check_loglevel_rank(""), -1);
	assert_int_equal(check_loglevel_rank("VERBOSE "), -1);
	assert_int_equal(check_loglevel_rank(NULL), -1);

	conf_defaults(&c);
	check_ctx_init(&x, &c, 1);
	for (i = 0; i < check_ncatalogue; i++)
		if (strcmp(check_catalogue[i].cause, "A1") == 0)
			break;
	assert_true(i < check_ncatalogue);
	assert_int_equal(check_catalogue[i].fn(&x, detail, sizeof(detail)),
	    CHK_WARN);
	assert_non_null(strstr(detail, "authlog is off"));
	assert_non_null(strstr(check_catalogue[i].remedy, "LogLevel VERBOSE"));
	check_ctx_free(&x);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(t_space_low),
		cmocka_unit_test(t_listen_inodes),
		cmocka_unit_test(t_closure_shape),
		cmocka_unit_test(t_privsep),
		cmocka_unit_test(t_catalogue),
		cmocka_unit_test(t_authlog_row),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
