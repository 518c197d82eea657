/*
 * Tests for lib/metrics.c: names, HELP and TYPE lines, escaping, values,
 * refusals that leave the file untouched, the atomic write and the sweep.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>

#include "metrics.h"

static void
t_names(void **s)
{
	(void)s;
	assert_true(metrics_name_ok("sshmedic_rollbacks_total"));
	assert_true(metrics_name_ok("a:b_c9"));
	assert_true(metrics_name_ok("_x"));
	assert_false(metrics_name_ok(""));
	assert_false(metrics_name_ok(NULL));
	assert_false(metrics_name_ok("9lives"));
	assert_false(metrics_name_ok("with-dash"));
	assert_false(metrics_name_ok("sp ace"));
	assert_true(metrics_label_ok("check"));
	assert_false(metrics_label_ok("a:b"));	/* no colon in label names */
	assert_false(metrics_label_ok("__name__"));
	assert_false(metrics_label_ok("1x"));
	assert_false(metrics_label_ok(""));
}

static void
t_family_and_samples(void **s)
{
	struct metrics_buf b;
	const char *l[] = { "cause", "exited", "step", "2", NULL };

	(void)s;
	metrics_buf_init(&b);
	assert_int_equal(metrics_family(&b, "sshmedic_x_total", MT_COUNTER,
	    "Things.\nTwo lines, a \\ and \"quotes\"."), 0);
	assert_int_equal(metrics_u64(&b, NULL, 0), 0);
	assert_int_equal(metrics_u64(&b, l, UINT64_MAX), 0);
	assert_int_equal(metrics_family(&b, "sshmedic_up", MT_GAUGE, "Up."), 0);
	assert_int_equal(metrics_double(&b, NULL, 1732430179.123), 0);
	assert_int_equal(metrics_double(&b, NULL, NAN), 0);
	assert_int_equal(metrics_double(&b, NULL, INFINITY), 0);
	assert_int_equal(metrics_double(&b, NULL, -INFINITY), 0);
	assert_int_equal(metrics_double(&b, NULL, 0.0), 0);
	assert_int_equal(b.err, 0);
	/* HELP escapes \\ and \n only; a quote stays as it is there */
	assert_string_equal(b.p,
	    "# HELP sshmedic_x_total Things.\\nTwo lines, a \\\\ and "
	    "\"quotes\".\n"
	    "# TYPE sshmedic_x_total counter\n"
	    "sshmedic_x_total 0\n"
	    "sshmedic_x_total{cause=\"exited\",step=\"2\"} "
	    "18446744073709551615\n"
	    "# HELP sshmedic_up Up.\n"
	    "# TYPE sshmedic_up gauge\n"
	    "sshmedic_up 1732430179.123\n"
	    "sshmedic_up NaN\n"
	    "sshmedic_up +Inf\n"
	    "sshmedic_up -Inf\n"
	    "sshmedic_up 0\n");
	assert_int_equal(b.len, strlen(b.p));
	metrics_buf_free(&b);
}

static void
t_label_escaping(void **s)
{
	struct metrics_buf b;
	char big[METRICS_LABEL_MAX + 50];
	const char *l[] = { "policy", "a\\b\"c\nd", NULL };
	const char *lb[] = { "policy", big, NULL };
	char *line;

	(void)s;
	metrics_buf_init(&b);
	assert_int_equal(metrics_family(&b, "m", MT_GAUGE, ""), 0);
	assert_int_equal(metrics_u64(&b, l, 1), 0);
	assert_non_null(strstr(b.p, "m{policy=\"a\\\\b\\\"c\\nd\"} 1\n"));
	/* a value over the cap is cut, never overflowing */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(metrics_u64(&b, lb, 2), 0);
	line = strstr(b.p, "m{policy=\"xxx");
	assert_non_null(line);
	assert_int_equal(strcspn(line + strlen("m{policy=\""), "\""),
	    METRICS_LABEL_MAX);
	metrics_buf_free(&b);
}

static void
t_refusals(void **s)
{
	struct metrics_buf b;
	const char *bad[] = { "__x", "v", NULL };
	const char *odd[] = { "k", NULL };

	(void)s;
	/* a sample before any family */
	metrics_buf_init(&b);
	assert_int_equal(metrics_u64(&b, NULL, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(b.err, 1);
	metrics_buf_free(&b);

	/* a counter must end in _total, a gauge must not */
	metrics_buf_init(&b);
	assert_int_equal(metrics_family(&b, "sshmedic_x", MT_COUNTER, "h"), -1);
	metrics_buf_free(&b);
	metrics_buf_init(&b);
	assert_int_equal(metrics_family(&b, "sshmedic_x_total", MT_GAUGE,
	    "h"), -1);
	metrics_buf_free(&b);

	/* the same family twice: the collector would refuse the whole file */
	metrics_buf_init(&b);
	assert_int_equal(metrics_family(&b, "a", MT_GAUGE, "h"), 0);
	assert_int_equal(metrics_family(&b, "b", MT_GAUGE, "h"), 0);
	assert_int_equal(metrics_family(&b, "a", MT_GAUGE, "h"), -1);
	assert_int_equal(b.err, 1);
	/* once in error, nothing more is added */
	assert_int_equal(metrics_u64(&b, NULL, 1), -1);
	metrics_buf_free(&b);

	/* bad label name, a name without value */
	metrics_buf_init(&b);
	assert_int_equal(metrics_family(&b, "a", MT_GAUGE, "h"), 0);
	assert_int_equal(metrics_u64(&b, bad, 1), -1);
	metrics_buf_free(&b);
	metrics_buf_init(&b);
	assert_int_equal(metrics_family(&b, "a", MT_GAUGE, "h"), 0);
	assert_int_equal(metrics_u64(&b, odd, 1), -1);
	metrics_buf_free(&b);
}

static void
t_bounds(void **s)
{
	struct metrics_buf b;
	char name[32];
	size_t i;
	int r = 0;

	(void)s;
	/* METRICS_FAMILIES_MAX families fit, one more does not */
	metrics_buf_init(&b);
	for (i = 0; i < METRICS_FAMILIES_MAX; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		/* the names must outlive the buffer: they are kept by pointer */
		assert_int_equal(metrics_family(&b, strdup(name), MT_GAUGE,
		    "h"), 0);
	}
	assert_int_equal(metrics_family(&b, "one_more", MT_GAUGE, "h"), -1);
	for (i = 0; i < b.nfamilies; i++)
		free((char *)b.families[i]);
	metrics_buf_free(&b);

	/* the document is capped: ENOSPC, never a cut line */
	metrics_buf_init(&b);
	assert_int_equal(metrics_family(&b, "a", MT_GAUGE, "h"), 0);
	for (i = 0; i < METRICS_DOC_MAX && r == 0; i++)
		r = metrics_u64(&b, NULL, UINT64_MAX);
	assert_int_equal(r, -1);
	assert_int_equal(errno, ENOSPC);
	assert_true(b.len <= METRICS_DOC_MAX);
	assert_true(b.len > METRICS_DOC_MAX - 64);
	metrics_buf_free(&b);
}

static void
t_write(void **s)
{
	struct metrics_buf b;
	char *dir = unit_mkdtemp(), *path, *buf, *missing;
	struct stat st;
	size_t len;
	DIR *dh;
	struct dirent *de;
	int n = 0;

	(void)s;
	assert_true(asprintf(&path, "%s/sshmedic.prom", dir) > 0);
	assert_true(asprintf(&missing, "%s/nodir/sshmedic.prom", dir) > 0);
	unit_write(path, "old\n");
	metrics_buf_init(&b);
	assert_int_equal(metrics_one_u64(&b, "sshmedic_up", MT_GAUGE, "Up.", 1),
	    0);
	umask(077);
	assert_int_equal(metrics_write(&b, path), 0);
	assert_int_equal(fs_read_file(path, 4096, 0, &buf, &len), 0);
	assert_string_equal(buf, b.p);
	free(buf);
	/* the collector runs as another user: 0644 whatever the umask */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* a missing directory: refused, nothing made */
	assert_int_equal(metrics_write(&b, missing), -1);
	assert_int_equal(errno, ENOENT);
	/* a buffer in error is never written: the old file stays */
	assert_int_equal(metrics_family(&b, "sshmedic_up", MT_GAUGE, "h"), -1);
	assert_int_equal(metrics_write(&b, path), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fs_read_file(path, 4096, 0, &buf, &len), 0);
	assert_non_null(strstr(buf, "sshmedic_up 1\n"));
	free(buf);
	/* no temporary left beside it */
	dh = opendir(dir);
	assert_non_null(dh);
	while ((de = readdir(dh)) != NULL)
		if (de->d_name[0] != '.')
			n++;
		else
			assert_true(strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0);
	closedir(dh);
	assert_int_equal(n, 1);
	metrics_buf_free(&b);
	free(path);
	free(missing);
	unit_rmtree(dir);
}

static void
t_sweep(void **s)
{
	char *dir = unit_mkdtemp(), *path, *t1, *t2, *other, *keep, *sub;
	struct stat st;

	(void)s;
	assert_true(asprintf(&path, "%s/sshmedic.prom", dir) > 0);
	assert_true(asprintf(&t1, "%s/%s0123456789abcdef", dir,
	    FS_TMP_PREFIX) > 0);
	assert_true(asprintf(&t2, "%s/%sfedcba9876543210", dir,
	    FS_TMP_PREFIX) > 0);
	assert_true(asprintf(&other, "%s/node.prom", dir) > 0);
	assert_true(asprintf(&keep, "%s/.sshmedic-tmp", dir) > 0);
	assert_true(asprintf(&sub, "%s/sub", dir) > 0);
	unit_write(path, "x 1\n");
	unit_write(t1, "x 1\n# half");
	unit_write(t2, "");
	unit_write(other, "y 1\n");
	unit_write(keep, "not ours: no dot after tmp\n");
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(metrics_sweep(path), 2);
	assert_int_equal(stat(t1, &st), -1);
	assert_int_equal(stat(t2, &st), -1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(stat(other, &st), 0);
	assert_int_equal(stat(keep, &st), 0);
	assert_int_equal(stat(sub, &st), 0);
	/* nothing left: 0; a directory that is not there: -1 */
	assert_int_equal(metrics_sweep(path), 0);
	assert_int_equal(metrics_sweep("/nonexistent-sshmedic/x.prom"), -1);
	assert_int_equal(errno, ENOENT);
	free(path);
	free(t1);
	free(t2);
	free(other);
	free(keep);
	free(sub);
	unit_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_family_and_samples),
		cmocka_unit_test(t_label_escaping),
		cmocka_unit_test(t_refusals),
		cmocka_unit_test(t_bounds),
		cmocka_unit_test(t_write),
		cmocka_unit_test(t_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
