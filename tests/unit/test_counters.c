/*
 * Unit tests for lib/counters.c and lib/counters_file.c: table bounds, LRU
 * eviction that spares protected users, and the persisted file.
 */
#include "unit.h"

#include <errno.h>
#include <sys/stat.h>

#include "counters.h"
#include "fsutil.h"

static const char *const prot[] = { "root", "admin" };

static char *
path_in(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void
t_init_bounds(void **s)
{
	struct counters c;
	char longname[COUNTERS_KEY_MAX + 2];

	(void)s;
	assert_int_equal(counters_init(&c, COUNTERS_MIN - 1, 16, NULL, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(counters_init(&c, 16, COUNTERS_MAX + 1, NULL, 0), -1);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	{
		const char *p1[] = { longname };
		const char *p2[] = { "" };

		assert_int_equal(counters_init(&c, 16, 16, p1, 1), -1);
		assert_int_equal(counters_init(&c, 16, 16, p2, 1), -1);
	}
	/* Duplicates in the protected list take one entry. */
	{
		const char *p3[] = { "root", "root", "admin" };

		assert_int_equal(counters_init(&c, 16, 16, p3, 3), 0);
		assert_int_equal(c.users.cap, 18);
		assert_int_equal(c.users.used, 2);
		counters_free(&c);
	}
}

static void
t_empty(void **s)
{
	struct counters c;
	const struct counters_entry *e;

	(void)s;
	assert_int_equal(counters_init(&c, 16, 16, NULL, 0), 0);
	assert_int_equal(c.users.used, 0);
	assert_int_equal(c.sources.used, 0);
	assert_null(counters_user(&c, "root"));
	assert_null(counters_source(&c, "192.0.2.1"));
	assert_int_equal(counters_recent_failures(NULL, 0), 0);
	/* Nothing to count is not an error. */
	assert_int_equal(counters_record(&c, NULL, "", 0, 1000), 0);
	assert_int_equal(c.users.used + c.sources.used, 0);
	assert_int_equal(counters_record(&c, "bob", "192.0.2.1", 0, 1000), 0);
	assert_non_null(e = counters_user(&c, "bob"));
	assert_int_equal(e->failures, 1);
	assert_int_equal(e->last_fail_ms, 1000);
	assert_non_null(e = counters_source(&c, "192.0.2.1"));
	assert_int_equal(e->failures, 1);
	counters_free(&c);
	counters_free(&c);	/* twice is harmless */
}

static void
t_counts(void **s)
{
	struct counters c;
	const struct counters_entry *e;
	int i;

	(void)s;
	assert_int_equal(counters_init(&c, 16, 16, prot, 2), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(counters_record(&c, "root", "10.0.0.1", 0,
		    1000 + i * 1000), 0);
	assert_non_null(e = counters_user(&c, "root"));
	assert_true(e->protected);
	assert_int_equal(e->failures, 20);
	assert_int_equal(e->fails_since_ok, 20);
	assert_int_equal(e->nring, COUNTERS_RING);
	/* The ring keeps the last 16: t = 5000..20000. */
	assert_int_equal(counters_recent_failures(e, 0), COUNTERS_RING);
	assert_int_equal(counters_recent_failures(e, 18000), 3);
	assert_int_equal(counters_recent_failures(e, 20001), 0);
	assert_int_equal(counters_record(&c, "root", NULL, 1, 30000), 0);
	assert_int_equal(e->successes, 1);
	assert_int_equal(e->fails_since_ok, 0);
	assert_int_equal(e->failures, 20);
	assert_int_equal(e->last_ok_ms, 30000);
	assert_int_equal(e->last_fail_ms, 20000);
	counters_free(&c);
}

static void
name(char *buf, size_t len, const char *pfx, unsigned long i)
{
	snprintf(buf, len, "%s%lu", pfx, i);
}

static void
t_full_and_evict(void **s)
{
	struct counters c;
	char n[32];
	unsigned long i;

	(void)s;
	assert_int_equal(counters_init(&c, 16, 16, prot, 2), 0);
	/* Entries are taken in index order: only the protected so far. */
	assert_int_equal(c.users.fresh, 2);
	assert_int_equal(c.sources.fresh, 0);
	/* Exactly full: 16 ordinary + 2 protected, nothing evicted. */
	for (i = 0; i < 16; i++) {
		name(n, sizeof(n), "u", i);
		assert_int_equal(counters_record(&c, n, NULL, 0, (int64_t)i + 1), 0);
		assert_int_equal(c.users.fresh, i + 3);
	}
	assert_int_equal(c.users.used, 18);
	assert_int_equal(c.users.evicted, 0);
	for (i = 0; i < 16; i++) {
		name(n, sizeof(n), "u", i);
		assert_non_null(counters_user(&c, n));
	}
	/* Touch u0: u1 becomes least recently used. */
	assert_int_equal(counters_record(&c, "u0", NULL, 1, 100), 0);
	/* Full + 1 evicts exactly u1. */
	assert_int_equal(counters_record(&c, "new", NULL, 0, 101), 0);
	assert_int_equal(c.users.used, 18);
	assert_int_equal(c.users.evicted, 1);
	assert_null(counters_user(&c, "u1"));
	assert_non_null(counters_user(&c, "u0"));
	assert_non_null(counters_user(&c, "u2"));
	assert_non_null(counters_user(&c, "new"));
	assert_non_null(counters_user(&c, "root"));
	assert_non_null(counters_user(&c, "admin"));
	/* The evicted name comes back fresh. */
	assert_int_equal(counters_record(&c, "u1", NULL, 0, 102), 0);
	assert_int_equal(counters_user(&c, "u1")->failures, 1);
	assert_null(counters_user(&c, "u2"));
	/* Evictions reuse entries: the table never reaches past cap. */
	assert_int_equal(c.users.fresh, c.users.cap);
	counters_free(&c);
}

static void
t_spray(void **s)
{
	struct counters c;
	const struct counters_entry *e;
	char n[64], a[64];
	unsigned long i;

	(void)s;
	assert_int_equal(counters_init(&c, 4096, 4096, prot, 2), 0);
	assert_int_equal(counters_record(&c, "root", "203.0.113.5", 0, 1), 0);
	assert_int_equal(counters_record(&c, "root", "203.0.113.5", 1, 2), 0);
	assert_int_equal(counters_record(&c, "admin", NULL, 0, 3), 0);
	srandom(42);
	for (i = 0; i < 100000; i++) {
		snprintf(n, sizeof(n), "spray%lx-%lx", i, (unsigned long)random());
		snprintf(a, sizeof(a), "10.%lu.%lu.%lu", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		assert_int_equal(counters_record(&c, n, a, 0, 10 + (int64_t)i), 0);
		assert_true(c.users.used <= c.users.cap);
	}
	assert_int_equal(c.users.cap, 4096 + 2);
	assert_int_equal(c.users.used, 4096 + 2);
	assert_int_equal(c.sources.used, 4096);
	assert_int_equal(c.users.evicted, 100000 - 4096);
	assert_non_null(e = counters_user(&c, "root"));
	assert_int_equal(e->failures, 1);
	assert_int_equal(e->successes, 1);
	assert_int_equal(e->last_ok_ms, 2);
	assert_non_null(e = counters_user(&c, "admin"));
	assert_int_equal(e->failures, 1);
	/* The unprotected source of the first events was pushed out. */
	assert_null(counters_source(&c, "203.0.113.5"));
	counters_free(&c);
}

static void
t_all_protected(void **s)
{
	struct counters c;
	const char *p[16];
	char names[16][8];
	int i;

	(void)s;
	for (i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "p%d", i);
		p[i] = names[i];
	}
	assert_int_equal(counters_init(&c, 16, 16, p, 16), 0);
	for (i = 0; i < 40; i++) {
		char n[16];

		snprintf(n, sizeof(n), "x%d", i);
		assert_int_equal(counters_record(&c, n, NULL, 0, i + 1), 0);
	}
	for (i = 0; i < 16; i++)
		assert_non_null(counters_user(&c, names[i]));
	assert_int_equal(c.users.used, 32);
	counters_free(&c);
}

static void
t_key_length(void **s)
{
	struct counters c;
	char max[COUNTERS_KEY_MAX + 1], over[COUNTERS_KEY_MAX + 2];

	(void)s;
	memset(max, 'm', COUNTERS_KEY_MAX);
	max[COUNTERS_KEY_MAX] = '\0';
	memset(over, 'm', COUNTERS_KEY_MAX + 1);
	over[COUNTERS_KEY_MAX + 1] = '\0';
	assert_int_equal(counters_init(&c, 16, 16, NULL, 0), 0);
	assert_int_equal(counters_record(&c, max, max, 0, 1), 0);
	assert_non_null(counters_user(&c, max));
	assert_non_null(counters_source(&c, max));
	/* Over: refused, not truncated onto the max-length entry. */
	errno = 0;
	assert_int_equal(counters_record(&c, over, "192.0.2.9", 0, 2), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(c.refused, 1);
	assert_int_equal(counters_user(&c, max)->failures, 1);
	assert_null(counters_user(&c, over));
	/* The other key was still counted. */
	assert_non_null(counters_source(&c, "192.0.2.9"));
	assert_int_equal(c.users.used, 1);
	counters_free(&c);
}

static void
t_roundtrip(void **s)
{
	struct counters c, d;
	const struct counters_entry *e, *f;
	char *dir = unit_mkdtemp(), *p = path_in(dir, "counters");
	char err[128], n[32];
	struct stat sb;
	int i;

	(void)s;
	assert_int_equal(counters_init(&c, 16, 16, prot, 2), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(counters_record(&c, "root", "2001:db8::1", 0,
		    1000 + i), 0);
	assert_int_equal(counters_record(&c, "root", "2001:db8::1", 1, 5000), 0);
	assert_int_equal(counters_record(&c, "we ird\n%user", "h", 0, 6000), 0);
	for (i = 0; i < 10; i++) {
		snprintf(n, sizeof(n), "u%d", i);
		assert_int_equal(counters_record(&c, n, NULL, i & 1, 7000 + i), 0);
	}
	assert_int_equal(counters_save(&c, p), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);

	assert_int_equal(counters_init(&d, 16, 16, prot, 2), 0);
	assert_int_equal(counters_load(&d, p, err, sizeof(err)), 0);
	assert_int_equal(d.users.used, c.users.used);
	assert_int_equal(d.sources.used, c.sources.used);
	e = counters_user(&c, "root");
	assert_non_null(f = counters_user(&d, "root"));
	assert_true(f->protected);
	assert_int_equal(f->failures, 20);
	assert_int_equal(f->successes, 1);
	assert_int_equal(f->fails_since_ok, 0);
	assert_int_equal(f->last_ok_ms, 5000);
	assert_int_equal(f->nring, COUNTERS_RING);
	assert_int_equal(counters_recent_failures(f, 1017),
	    counters_recent_failures(e, 1017));
	assert_int_equal(counters_recent_failures(f, 1017), 3);
	assert_non_null(f = counters_user(&d, "we ird\n%user"));
	assert_int_equal(f->failures, 1);
	assert_non_null(f = counters_source(&d, "2001:db8::1"));
	assert_int_equal(f->failures, 20);
	/* A new failure after reload lands after the old ones in the ring. */
	assert_int_equal(counters_record(&d, "root", NULL, 0, 9000), 0);
	assert_int_equal(counters_recent_failures(counters_user(&d, "root"),
	    1017), 4);
	/*
	 * LRU order survived: 13 of 18 used, so 7 new names push out the two
	 * oldest ordinary entries and no more.
	 */
	for (i = 0; i < 7; i++) {
		snprintf(n, sizeof(n), "new%d", i);
		assert_int_equal(counters_record(&d, n, NULL, 0, 10000 + i), 0);
	}
	assert_null(counters_user(&d, "we ird\n%user"));
	assert_null(counters_user(&d, "u0"));
	assert_non_null(counters_user(&d, "u1"));
	counters_free(&d);

	/* Into a table without "admin" protected: it loads as ordinary. */
	{
		const char *p1[] = { "root" };

		assert_int_equal(counters_init(&d, 16, 16, p1, 1), 0);
		assert_int_equal(counters_load(&d, p, err, sizeof(err)), 0);
		assert_non_null(f = counters_user(&d, "admin"));
		assert_false(f->protected);
		counters_free(&d);
	}
	counters_free(&c);
	free(p);
	unit_rmtree(dir);
}

/* Loads text; expects EBADMSG and the table untouched. */
static void
expect_bad(const char *dir, const char *text, size_t len)
{
	struct counters d;
	char *p = path_in(dir, "bad"), err[128];
	FILE *fp;

	fp = fopen(p, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(counters_init(&d, 16, 16, prot, 2), 0);
	assert_int_equal(counters_record(&d, "root", NULL, 0, 77), 0);
	errno = 0;
	assert_int_equal(counters_load(&d, p, err, sizeof(err)), -1);
	assert_int_equal(errno, EBADMSG);
	assert_true(err[0] != '\0');
	assert_int_equal(counters_user(&d, "root")->failures, 1);
	assert_int_equal(counters_user(&d, "root")->last_fail_ms, 77);
	assert_int_equal(d.users.used, 2);
	counters_free(&d);
	free(p);
}

#define BAD(t)	expect_bad(dir, (t), sizeof(t) - 1)

static void
t_corrupt(void **s)
{
	struct counters c, d;
	char *dir = unit_mkdtemp(), *p = path_in(dir, "counters"), *buf;
	char err[128];
	size_t len, cut;

	(void)s;
	BAD("");
	BAD("sshmedic-counters 2\nend 0\n");
	BAD("sshmedic-counters 1\n");
	BAD("sshmedic-counters 1\nend 1\n");
	BAD("sshmedic-counters 1\nend 0\nu x 1 0 0 1 0 1 0\n");
	BAD("sshmedic-counters 1\nu x 1 0 0 1 0 1 0\nend 1");
	BAD("sshmedic-counters 1\nu x 1 0 0 1 0 1\nend 1\n");
	BAD("sshmedic-counters 1\nu x 1 0 0 1 0 1 1\nend 1\n");
	BAD("sshmedic-counters 1\nu x 1 0 0 1 0 1 0 5\nend 1\n");
	BAD("sshmedic-counters 1\nu x -1 0 0 1 0 1 0\nend 1\n");
	BAD("sshmedic-counters 1\nu x 1 0 2 1 0 1 0\nend 1\n");
	BAD("sshmedic-counters 1\nu x 99999999999999999999 0 0 1 0 1 0\nend 1\n");
	BAD("sshmedic-counters 1\nu x 1 0 0 1 0 1 17 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\nend 1\n");
	BAD("sshmedic-counters 1\nu a%00b 1 0 0 1 0 1 0\nend 1\n");
	BAD("sshmedic-counters 1\nu a%zz 1 0 0 1 0 1 0\nend 1\n");
	BAD("sshmedic-counters 1\nu a\tb 1 0 0 1 0 1 0\nend 1\n");
	BAD("sshmedic-counters 1\nu x 1 0 0 1 0 1 0\nu x 1 0 0 1 0 1 0\nend 2\n");
	BAD("sshmedic-counters 1\nq x 1 0 0 1 0 1 0\nend 1\n");
	BAD("sshmedic-counters 1\ns x 1 0 0 1 0 1 0\nu y 1 0 0 1 0 1 0\nend 2\n");
	BAD("sshmedic-counters 1\nu x 1 0 0 1 0 1 0\n\nend 1\n");
	BAD("sshmedic-counters 1\nu x\0 1 0 0 1 0 1 0\nend 1\n");
	BAD("sshmedic-counters 1\nu "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    " 1 0 0 1 0 1 0\nend 1\n");

	/* Every truncation of a valid file is refused. */
	assert_int_equal(counters_init(&c, 16, 16, prot, 2), 0);
	assert_int_equal(counters_record(&c, "root", "192.0.2.1", 0, 5), 0);
	assert_int_equal(counters_record(&c, "bob", "192.0.2.2", 1, 6), 0);
	assert_int_equal(counters_save(&c, p), 0);
	assert_int_equal(fs_read_file(p, 1 << 20, 0, &buf, &len), 0);
	for (cut = 0; cut < len; cut++)
		expect_bad(dir, buf, cut);
	/* And the whole file loads. */
	assert_int_equal(counters_init(&d, 16, 16, prot, 2), 0);
	assert_int_equal(counters_load(&d, p, err, sizeof(err)), 0);
	assert_int_equal(counters_user(&d, "bob")->successes, 1);
	counters_free(&d);
	/* A missing file is ENOENT, not EBADMSG. */
	free(p);
	p = path_in(dir, "absent");
	assert_int_equal(counters_init(&d, 16, 16, prot, 2), 0);
	assert_int_equal(counters_load(&d, p, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	counters_free(&d);
	free(buf);
	counters_free(&c);
	free(p);
	unit_rmtree(dir);
}

static void
t_load_smaller(void **s)
{
	struct counters c, d;
	char *dir = unit_mkdtemp(), *p = path_in(dir, "counters"), err[128];
	char n[32];
	int i;

	(void)s;
	assert_int_equal(counters_init(&c, 64, 16, prot, 2), 0);
	for (i = 0; i < 64; i++) {
		snprintf(n, sizeof(n), "u%d", i);
		assert_int_equal(counters_record(&c, n, NULL, 0, i + 1), 0);
	}
	assert_int_equal(counters_record(&c, "admin", NULL, 0, 1), 0);
	assert_int_equal(counters_save(&c, p), 0);
	assert_int_equal(counters_init(&d, 16, 16, prot, 2), 0);
	assert_int_equal(counters_load(&d, p, err, sizeof(err)), 0);
	assert_int_equal(d.users.used, 18);
	assert_null(counters_user(&d, "u47"));
	assert_non_null(counters_user(&d, "u48"));
	assert_non_null(counters_user(&d, "u63"));
	assert_int_equal(counters_user(&d, "admin")->failures, 1);
	counters_free(&d);
	counters_free(&c);
	free(p);
	unit_rmtree(dir);
}

/*
 * The ring keeps ages before its newest failure: exact within 49.7 days,
 * saturated beyond (older than any policy window), insertion order kept
 * when the clock steps back, and the same through a save and a load.
 */
static void
t_ring_ages(void **s)
{
	struct counters c, d;
	const struct counters_entry *e;
	char *dir = unit_mkdtemp(), *p = path_in(dir, "counters");
	char err[128];
	const int64_t day = 86400000LL, t0 = 1700000000000LL;

	(void)s;
	assert_int_equal(counters_init(&c, 16, 16, NULL, 0), 0);
	/* 60 days apart: the first one saturates, the second is exact. */
	assert_int_equal(counters_record(&c, "bob", NULL, 0, t0), 0);
	assert_int_equal(counters_record(&c, "bob", NULL, 0, t0 + 60 * day), 0);
	assert_non_null(e = counters_user(&c, "bob"));
	assert_int_equal(e->nring, 2);
	assert_int_equal(counters_ring_at(e, 1), t0 + 60 * day);
	assert_int_equal(counters_ring_at(e, 0),
	    t0 + 60 * day - (int64_t)UINT32_MAX);
	assert_int_equal(counters_recent_failures(e, t0 + 53 * day), 1);
	assert_int_equal(counters_recent_failures(e, t0 - day), 2);
	/* 49 days: still exact, to the millisecond. */
	assert_int_equal(counters_record(&c, "amy", NULL, 0, t0 + 1), 0);
	assert_int_equal(counters_record(&c, "amy", NULL, 0, t0 + 49 * day), 0);
	assert_non_null(e = counters_user(&c, "amy"));
	assert_int_equal(counters_ring_at(e, 0), t0 + 1);
	assert_int_equal(counters_recent_failures(e, t0 + 1), 2);
	assert_int_equal(counters_recent_failures(e, t0 + 2), 1);
	/* The clock steps back: the older time is kept, after the newer one. */
	assert_int_equal(counters_record(&c, "eve", NULL, 0, t0 + 10000), 0);
	assert_int_equal(counters_record(&c, "eve", NULL, 0, t0 + 5000), 0);
	assert_int_equal(counters_record(&c, "eve", NULL, 0, t0 + 20000), 0);
	assert_non_null(e = counters_user(&c, "eve"));
	assert_int_equal(counters_ring_at(e, 0), t0 + 10000);
	assert_int_equal(counters_ring_at(e, 1), t0 + 5000);
	assert_int_equal(counters_ring_at(e, 2), t0 + 20000);
	assert_int_equal(counters_recent_failures(e, t0 + 6000), 2);
	assert_int_equal(e->last_fail_ms, t0 + 20000);

	assert_int_equal(counters_save(&c, p), 0);
	assert_int_equal(counters_init(&d, 16, 16, NULL, 0), 0);
	assert_int_equal(counters_load(&d, p, err, sizeof(err)), 0);
	assert_non_null(e = counters_user(&d, "eve"));
	assert_int_equal(counters_ring_at(e, 0), t0 + 10000);
	assert_int_equal(counters_ring_at(e, 1), t0 + 5000);
	assert_int_equal(counters_ring_at(e, 2), t0 + 20000);
	assert_non_null(e = counters_user(&d, "bob"));
	assert_int_equal(counters_recent_failures(e, t0 + 53 * day), 1);
	assert_int_equal(counters_ring_at(e, 1), t0 + 60 * day);
	counters_free(&c);
	counters_free(&d);
	free(p);
	unit_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_init_bounds),
		cmocka_unit_test(t_empty),
		cmocka_unit_test(t_counts),
		cmocka_unit_test(t_full_and_evict),
		cmocka_unit_test(t_spray),
		cmocka_unit_test(t_all_protected),
		cmocka_unit_test(t_key_length),
		cmocka_unit_test(t_roundtrip),
		cmocka_unit_test(t_corrupt),
		cmocka_unit_test(t_load_smaller),
		cmocka_unit_test(t_ring_ages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
