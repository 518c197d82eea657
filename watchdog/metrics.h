/*
 * sshmedicd's Prometheus textfile (metrics.textfile): what the daemon
 * counts and knows, written by a child after changes and at intervals.
 */
#ifndef SM_WD_METRICS_H
#define SM_WD_METRICS_H

#include <stdint.h>

#include "bgwrite.h"
#include "policy.h"

struct daemon;
struct metrics_buf;

/* Written at most this often, however many changes come. */
#define METRICS_MIN_INTERVAL_MS	1000
/* A writing child is looked for again after this. */
#define METRICS_REAP_MS		20
/* Policy names counted one by one; the rest are policy="other". */
#define METRICS_POLICIES	128

enum metrics_pol_result {
	MPR_OK = 0,		/* an action done */
	MPR_FAILED,		/* an action failed */
	MPR_DRY_RUN,		/* an action of a dry-run policy (nothing done) */
	MPR_SUPPRESSED,		/* a firing held back: cooldown, burst limit */
	MPR_NRESULTS
};

struct metrics_pol {
	char	 name[POLICY_NAME_MAX + 1];
	uint64_t n[MPR_NRESULTS];
};

/* The LOCKOUTS.md rows a repair record is counted under (see metrics.c). */
#define METRICS_NREPAIRS	11

struct metrics {
	char	*path;		/* NULL: off */
	int	 dirty;		/* something changed since the last write */
	int	 failing;	/* a failure was logged; quiet until a success */
	int64_t	 last_ms;	/* monotonic: the last write began */
	struct bgwrite writer;
	uint64_t write_failures;
	uint64_t repairs[METRICS_NREPAIRS][2];	/* [row][success] */
	struct metrics_pol pol[METRICS_POLICIES + 1];	/* last: "other" */
	size_t	 npol;
};

/*
 * At start, before anything is reported: removes what a killed writer
 * left, hooks into report_emit (counts repairs by op) and asks for a first
 * write. Nothing when metrics.textfile is "".
 */
void	metrics_init(struct daemon *d);

/* At stop: waits for a writing child, then writes the last values in place. */
void	metrics_stop(struct daemon *d);

/* Something changed: a write within METRICS_MIN_INTERVAL_MS. */
void	metrics_changed(struct daemon *d);

/* DL_METRICS: reap the writer, write when due, arm the next deadline. */
void	metrics_on_deadline(struct daemon *d);

/* One action (or suppressed firing) of the policy name. */
void	metrics_policy(struct daemon *d, const char *name,
	    enum metrics_pol_result r);

/* Every family into b (exposed for the tests of the daemon's output). 0/-1. */
int	metrics_collect(struct daemon *d, struct metrics_buf *b);

#endif
