/*
 * --since for the review commands: the forms an admin types into ausearch
 * -ts, ISO 8601 and "how long ago", each to one instant in milliseconds.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "misc.h"
#include "since.h"

#define SINCE_RECENT_MS		(10 * 60 * 1000LL)	/* ausearch's "recent" */
#define SINCE_MAX_LEN		64

enum since_kw {
	KW_NOW, KW_RECENT, KW_BOOT, KW_TODAY, KW_YESTERDAY, KW_THIS_WEEK,
	KW_WEEK_AGO, KW_THIS_MONTH, KW_THIS_YEAR,
};

static const struct {
	const char *name;
	enum since_kw kw;
} keywords[] = {
	{ "now", KW_NOW }, { "recent", KW_RECENT }, { "boot", KW_BOOT },
	{ "today", KW_TODAY }, { "yesterday", KW_YESTERDAY },
	{ "this-week", KW_THIS_WEEK }, { "week-ago", KW_WEEK_AGO },
	{ "this-month", KW_THIS_MONTH }, { "this-year", KW_THIS_YEAR },
};

static int
bad(char *err, size_t len, const char *s, const char *why, int e)
{
	if (err != NULL && len > 0)
		snprintf(err, len, "bad time '%.*s': %s", SINCE_MAX_LEN, s, why);
	errno = e;
	return -1;
}

/* Local midnight of the day of now, then moved back days and to month/year start. */
static int
local_midnight(int64_t now_ms, int days_back, int month_start, int year_start,
    int64_t *out)
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday -= days_back;
	if (month_start || year_start)
		tm.tm_mday = 1;
	if (year_start)
		tm.tm_mon = 0;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*out = (int64_t)t * 1000;
	return 0;
}

/* Days since the locale's first day of the week (glibc counts from Sunday). */
static int
days_into_week(int64_t now_ms)
{
	time_t t = (time_t)(now_ms / 1000);
	int first = *nl_langinfo(_NL_TIME_FIRST_WEEKDAY) - 1;
	struct tm tm;

	if (first < 0 || first > 6)
		first = 0;
	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (tm.tm_wday - first + 7) % 7;
}

static int
keyword(enum since_kw kw, const struct since_ref *ref, int64_t *out)
{
	switch (kw) {
	case KW_NOW:
		*out = ref->now_ms;
		return 0;
	case KW_RECENT:
		*out = ref->now_ms - SINCE_RECENT_MS;
		return 0;
	case KW_BOOT:
		*out = ref->boot_ms;
		return 0;
	case KW_TODAY:
		return local_midnight(ref->now_ms, 0, 0, 0, out);
	case KW_YESTERDAY:
		return local_midnight(ref->now_ms, 1, 0, 0, out);
	case KW_THIS_WEEK:
		return local_midnight(ref->now_ms, days_into_week(ref->now_ms),
		    0, 0, out);
	case KW_WEEK_AGO:
		return local_midnight(ref->now_ms, 7, 0, 0, out);
	case KW_THIS_MONTH:
		return local_midnight(ref->now_ms, 0, 1, 0, out);
	case KW_THIS_YEAR:
		return local_midnight(ref->now_ms, 0, 0, 1, out);
	}
	return -1;
}

/* Exactly n digits at *p into *v, advancing *p; -1 otherwise. */
static int
digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int
days_in_month(int year, int mon)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : dm[mon - 1];
}

/* HH:MM[:SS[.fff]] at *p; ms gets the fraction (more digits are cut). */
static int
clock_part(const char **p, struct tm *tm, int *ms, const char **why)
{
	int h, m, sec = 0, i;

	*ms = 0;
	if (digits(p, 2, &h) == -1 || **p != ':' || (++*p, digits(p, 2, &m)) == -1) {
		*why = "expected HH:MM";
		return -1;
	}
	if (**p == ':') {
		(*p)++;
		if (digits(p, 2, &sec) == -1) {
			*why = "expected HH:MM:SS";
			return -1;
		}
		if (**p == '.') {
			(*p)++;
			if (!isdigit((unsigned char)**p)) {
				*why = "no digits after '.'";
				return -1;
			}
			for (i = 0; isdigit((unsigned char)**p); i++, (*p)++)
				if (i < 3)
					*ms += (**p - '0') * (i == 0 ? 100 : i == 1 ? 10 : 1);
		}
	}
	if (h > 23 || m > 59 || sec > 59) {
		*why = "hour, minute or second out of range";
		return -1;
	}
	tm->tm_hour = h;
	tm->tm_min = m;
	tm->tm_sec = sec;
	return 0;
}

/* Z, +HH:MM, +HHMM, -HH:MM, -HHMM: seconds east of UTC; 1 when present. */
static int
zone_part(const char **p, int *east, const char **why)
{
	int sign, h, m;

	if (**p == 'Z') {
		(*p)++;
		*east = 0;
		return 1;
	}
	if (**p != '+' && **p != '-')
		return 0;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (digits(p, 2, &h) == -1 || (**p == ':' && (++*p, 0)) ||
	    digits(p, 2, &m) == -1 || h > 23 || m > 59) {
		*why = "bad UTC offset (expected Z, +HH:MM or -HHMM)";
		return -1;
	}
	*east = sign * (h * 3600 + m * 60);
	return 1;
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][zone] or HH:MM[:SS[.fff]] (today). */
static int
iso(const char *s, const struct since_ref *ref, int64_t *out, const char **why)
{
	const char *p = s;
	struct tm tm;
	time_t t;
	int y, mo, d, ms = 0, east = 0, z;

	memset(&tm, 0, sizeof(tm));
	if (s[0] != '\0' && s[1] != '\0' && s[2] == ':') {
		t = (time_t)(ref->now_ms / 1000);
		if (localtime_r(&t, &tm) == NULL)
			return -1;
		if (clock_part(&p, &tm, &ms, why) == -1)
			return -1;
	} else {
		if (digits(&p, 4, &y) == -1 || *p++ != '-' ||
		    digits(&p, 2, &mo) == -1 || *p++ != '-' ||
		    digits(&p, 2, &d) == -1) {
			*why = "expected YYYY-MM-DD";
			return -1;
		}
		if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
		    d > days_in_month(y, mo)) {
			*why = "no such day (from 1970 on)";
			return -1;
		}
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		if ((*p == 'T' || *p == ' ') &&
		    (++p, clock_part(&p, &tm, &ms, why)) == -1)
			return -1;
	}
	if ((z = zone_part(&p, &east, why)) == -1)
		return -1;
	if (*p != '\0') {
		*why = "trailing characters";
		return -1;
	}
	if (z) {
		if ((t = timegm(&tm)) == (time_t)-1)
			return -1;
		t -= east;
	} else {
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1) {
			*why = "not a local time";
			return -1;
		}
	}
	if (t < 0) {
		*why = "before 1970";
		return -1;
	}
	*out = (int64_t)t * 1000 + ms;
	return 0;
}

/* Predicate: digits then a lowercase unit ("30m", "250ms"). */
static int
is_duration(const char *s)
{
	size_t i = 0;

	while (isdigit((unsigned char)s[i]))
		i++;
	if (i == 0 || s[i] == '\0')
		return 0;
	while (s[i] >= 'a' && s[i] <= 'z')
		i++;
	return s[i] == '\0';
}

int
since_parse(const char *s, const struct since_ref *ref, int64_t *out_ms,
    char *err, size_t errlen)
{
	const char *why = "not a time";
	long long v, ms;
	size_t i, n;

	if (s == NULL || *s == '\0')
		return bad(err, errlen, "", "empty", EINVAL);
	if ((n = strlen(s)) > SINCE_MAX_LEN)
		return bad(err, errlen, s, "too long", EINVAL);
	for (i = 0; i < SM_NELEM(keywords); i++)
		if (strcmp(s, keywords[i].name) == 0) {
			if (keyword(keywords[i].kw, ref, out_ms) == -1)
				return bad(err, errlen, s, "cannot compute it in "
				    "local time", ERANGE);
			return 0;
		}
	if (s[0] == '@') {
		if (parse_ll(s + 1, 0, INT64_MAX / 1000, &v) == -1)
			return bad(err, errlen, s, "expected @SECONDS since the "
			    "epoch", errno);
		*out_ms = (int64_t)v * 1000;
		return 0;
	}
	if (is_duration(s)) {
		if (parse_duration_ms(s, &ms) == -1)
			return bad(err, errlen, s, "expected a duration such as "
			    "90s, 30m, 1h, 2d", errno);
		if (ms > ref->now_ms)
			return bad(err, errlen, s, "before 1970", ERANGE);
		*out_ms = ref->now_ms - ms;
		return 0;
	}
	/* A bare number says nothing: seconds ago, a year, an epoch? */
	if (isdigit((unsigned char)s[0]) && parse_ll(s, 0, LLONG_MAX, &v) == -1 &&
	    iso(s, ref, out_ms, &why) == 0)
		return 0;
	if (!isdigit((unsigned char)s[0]))
		why = "expected now, recent, boot, today, yesterday, this-week, "
		    "week-ago, this-month, this-year, a duration (30m), "
		    "YYYY-MM-DD[THH:MM[:SS]][Z] or @SECONDS";
	else if (parse_ll(s, 0, LLONG_MAX, &v) == 0)
		why = "a bare number: give a unit (30s, 30m, 1h) or @SECONDS";
	return bad(err, errlen, s, why, EINVAL);
}

void
since_ref_now(struct since_ref *ref)
{
	struct timespec bt;

	ref->now_ms = realtime_ms();
	if (clock_gettime(CLOCK_BOOTTIME, &bt) == -1)
		ref->boot_ms = 0;
	else
		ref->boot_ms = ref->now_ms - ((int64_t)bt.tv_sec * 1000 +
		    bt.tv_nsec / 1000000);
}

void
since_format(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}
