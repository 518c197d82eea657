/*
 * The times `sshmedic history --since` accepts (ausearch's keywords, ISO
 * 8601 dates and times, durations ago, @epoch), parsed to milliseconds.
 */
#ifndef SM_SINCE_H
#define SM_SINCE_H

#include <stddef.h>
#include <stdint.h>

/* What the relative forms are taken from; the caller reads the clocks. */
struct since_ref {
	int64_t	 now_ms;	/* CLOCK_REALTIME */
	int64_t	 boot_ms;	/* realtime at boot: now minus CLOCK_BOOTTIME */
};

/*
 * Parses s into milliseconds since the epoch. Accepted:
 *   now, recent (10 minutes ago, as ausearch), boot, today, yesterday,
 *   this-week (the locale's first day of the week), week-ago (midnight
 *   7 days ago), this-month, this-year: local time, midnight;
 *   a duration ago with a unit: 90s, 30m, 1h, 2d, 250ms;
 *   YYYY-MM-DD, YYYY-MM-DD[T ]HH:MM[:SS[.fff]] and HH:MM[:SS] (today), in
 *   local time, or UTC with a trailing Z or +HH:MM / -HHMM offset;
 *   @SECONDS since the epoch.
 * 0 on success; -1 with err "bad time 'S': reason" (errno EINVAL/ERANGE).
 */
int	since_parse(const char *s, const struct since_ref *ref, int64_t *out_ms,
	    char *err, size_t errlen);

/* Fills ref from the system's clocks. */
void	since_ref_now(struct since_ref *ref);

/* "2026-12-01T08:57:35.309Z" (UTC, ms) into buf (at least 25 bytes). */
void	since_format(int64_t ms, char *buf, size_t len);

#endif
