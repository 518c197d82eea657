/*
 * Unit tests for lib/since.c: every form --since accepts, in UTC and in a
 * zone east of it, and the refusals (with the input and the reason).
 */
#include "unit.h"

#include <errno.h>
#include <time.h>

#include "since.h"

/* 2026-12-01T08:57:35.309Z, a Tuesday; booted an hour before. */
#define NOW	1796115455309LL
#define H	3600000LL
#define DAY	(24 * H)

static const struct since_ref ref = { NOW, NOW - H };

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int64_t
ok(const char *s)
{
	char err[256] = "";
	int64_t v = -1;

	if (since_parse(s, &ref, &v, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", s, err);
	return v;
}

/*
 * Refused with EINVAL/ERANGE and nothing stored; the error names the input
 * (its first 64 characters) and says why.
 */
static void
refused(const char *s, const char *why)
{
	char err[256] = "", want[80];
	int64_t v = 12345;

	snprintf(want, sizeof(want), "'%.64s", s != NULL ? s : "");
	errno = 0;
	assert_int_equal(since_parse(s, &ref, &v, err, sizeof(err)), -1);
	assert_true(errno == EINVAL || errno == ERANGE);
	assert_int_equal(v, 12345);
	if (strstr(err, want) == NULL)
		fail_msg("error for '%s' does not name it: %s", s, err);
	if (strstr(err, why) == NULL)
		fail_msg("error for '%s' lacks '%s': %s", s ? s : "NULL", why, err);
}

static void
t_keywords_utc(void **st)
{
	(void)st;
	set_tz("UTC");
	assert_int_equal(ok("now"), NOW);
	assert_int_equal(ok("recent"), NOW - 10 * 60 * 1000);
	assert_int_equal(ok("boot"), NOW - H);
	assert_int_equal(ok("today"), 1796083200000LL);
	assert_int_equal(ok("yesterday"), 1795996800000LL);
	assert_int_equal(ok("week-ago"), 1795478400000LL);
	/* C locale: the week starts on Sunday, 2026-11-29 */
	assert_int_equal(ok("this-week"), 1795910400000LL);
	assert_int_equal(ok("this-month"), 1796083200000LL - 0 * DAY);
	assert_int_equal(ok("this-year"), 1767225600000LL);
}

static void
t_keywords_east(void **st)
{
	(void)st;
	/* UTC+2 without DST: local midnight is 22:00Z the day before. */
	set_tz("XST-2");
	assert_int_equal(ok("today"), 1796076000000LL);
	assert_int_equal(ok("yesterday"), 1796076000000LL - DAY);
	assert_int_equal(ok("recent"), NOW - 10 * 60 * 1000);
	set_tz("UTC");
}

static void
t_durations(void **st)
{
	(void)st;
	assert_int_equal(ok("30m"), NOW - 30 * 60 * 1000);
	assert_int_equal(ok("1h"), NOW - H);
	assert_int_equal(ok("90s"), NOW - 90 * 1000);
	assert_int_equal(ok("2d"), NOW - 2 * DAY);
	assert_int_equal(ok("250ms"), NOW - 250);
	assert_int_equal(ok("0s"), NOW);
	refused("30", "bare number");
	refused("30x", "duration");
	refused("30M", "");
	refused("100000000d", "before 1970");
	refused("99999999999999999999h", "duration");
}

static void
t_iso_utc(void **st)
{
	(void)st;
	set_tz("UTC");
	assert_int_equal(ok("2026-12-01"), 1796083200000LL);
	assert_int_equal(ok("2026-12-01T08:57"), 1796115420000LL);
	assert_int_equal(ok("2026-12-01 08:57:35"), 1796115455000LL);
	assert_int_equal(ok("2026-12-01T08:57:35.309Z"), NOW);
	/* the JSON event log's own format reads back to the same instant */
	assert_int_equal(ok("2026-12-01T08:57:35.309123Z"), NOW);
	assert_int_equal(ok("2026-12-01T10:57:35.309+02:00"), NOW);
	assert_int_equal(ok("2026-12-01T07:27:35.309-0130"), NOW);
	assert_int_equal(ok("2026-12-01Z"), 1796083200000LL);
	assert_int_equal(ok("08:57"), 1796115420000LL);
	assert_int_equal(ok("08:57:35"), 1796115455000LL);
	assert_int_equal(ok("2024-02-29"), 1709164800000LL);	/* leap day */
	assert_int_equal(ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(ok("@1796115455"), 1796115455000LL);
	assert_int_equal(ok("@0"), 0);
}

static void
t_iso_local(void **st)
{
	(void)st;
	set_tz("XST-2");
	assert_int_equal(ok("2026-12-01"), 1796076000000LL);
	assert_int_equal(ok("2026-12-01T10:57:35.309"), NOW);
	/* an explicit zone wins over TZ */
	assert_int_equal(ok("2026-12-01T08:57:35.309Z"), NOW);
	assert_int_equal(ok("10:57"), 1796115420000LL);
	set_tz("UTC");
}

static void
t_refused(void **st)
{
	char err[8];
	int64_t v;

	(void)st;
	set_tz("UTC");
	refused("", "empty");
	refused("yesterday-ish", "expected now, recent");
	refused("Today", "expected now, recent");
	refused("2026-02-30", "no such day");
	refused("2025-02-29", "no such day");
	refused("2026-13-01", "no such day");
	refused("2026-00-10", "no such day");
	refused("1969-12-31", "no such day");
	refused("2026-1-01", "YYYY-MM-DD");
	refused("2026-12-01T", "HH:MM");
	refused("2026-12-01T8:00", "HH:MM");
	refused("2026-12-01T24:00", "out of range");
	refused("2026-12-01T08:60", "out of range");
	refused("2026-12-01T08:59:60", "out of range");
	refused("2026-12-01T08:59:00.", "digits");
	refused("2026-12-01X", "trailing");
	refused("2026-12-01T08:00+25:00", "offset");
	refused("2026-12-01T08:00Zjunk", "trailing");
	refused("1970-01-01T00:30:00+01:00", "before 1970");
	refused("@-1", "@SECONDS");
	refused("@", "@SECONDS");
	refused("@12x", "@SECONDS");
	refused("-1h", "expected now");
	refused("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "too long");
	/* max length (64) still parsed, max + 1 refused */
	assert_int_equal(ok("2026-12-01T08:57:35.3090000000000000000000000000000"
	    "000000000000Z"), NOW);
	refused("2026-12-01T08:57:35.3090000000000000000000000000000"
	    "0000000000000Z", "too long");
	/* NULL, and an error buffer too small is still terminated */
	assert_int_equal(since_parse(NULL, &ref, &v, err, sizeof(err)), -1);
	assert_int_equal(since_parse("junk", &ref, &v, err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(since_parse("junk", &ref, &v, NULL, 0), -1);
}

static void
t_format(void **st)
{
	char buf[32];

	(void)st;
	since_format(NOW, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-01T08:57:35.309Z");
	since_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	assert_int_equal(ok(buf), 0);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(t_keywords_utc),
		cmocka_unit_test(t_keywords_east),
		cmocka_unit_test(t_durations),
		cmocka_unit_test(t_iso_utc),
		cmocka_unit_test(t_iso_local),
		cmocka_unit_test(t_refused),
		cmocka_unit_test(t_format),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
