/*
 * Authentication failure and success counters per user and per source
 * address, in fixed-size tables that a spray of user names cannot grow.
 */
#ifndef SM_COUNTERS_H
#define SM_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Longest key kept: a user name (useradd allows 32) or a source, a numeric
 * address (45 for IPv6) or, with sshd's UseDNS, a host name cut by nobody
 * but us. Longer keys are refused, never truncated: a cut name could land
 * on a real user's counters.
 */
#define COUNTERS_KEY_MAX	64

/*
 * Failure timestamps kept per entry, newest replacing oldest: a policy
 * window can see at most this many failures ("N failures within W" with N
 * up to COUNTERS_RING). The totals below are not bounded by it.
 */
#define COUNTERS_RING		16

/* Bounds for the table sizes (config keys counters.users / .sources). */
#define COUNTERS_MIN		16
#define COUNTERS_MAX		1000000

/* The persisted file under paths.state, and its first line. */
#define COUNTERS_FILE		"counters"
#define COUNTERS_MAGIC		"sshmedic-counters 1"

/*
 * Times are wall-clock milliseconds (realtime_ms()), because the counters
 * outlive the process and a reboot. The entry is packed (208 bytes, the
 * tables' whole memory): flags and ring indices in bytes, and the ring as
 * ages in ms before ring_ref_ms, the newest failure it holds. An age
 * saturates at UINT32_MAX (49.7 days), beyond the longest policy window
 * (7 days): such a failure is counted in no window. Read the ring through
 * counters_recent_failures() and counters_ring_at().
 */
struct counters_entry {
	char		key[COUNTERS_KEY_MAX + 1];
	uint8_t		protected;	/* reserved at init, never evicted */
	uint8_t		in_use;
	uint8_t		nring;		/* valid slots in ring, <= COUNTERS_RING */
	uint8_t		ring_pos;	/* next slot to write */
	/* Table links (indices; COUNTERS_NIL ends a list). */
	uint32_t	hnext;
	uint32_t	lru_prev, lru_next;
	uint64_t	failures;	/* total */
	uint64_t	successes;	/* total */
	uint64_t	fails_since_ok;	/* failures since the last success */
	int64_t		last_fail_ms;	/* 0: never */
	int64_t		last_ok_ms;	/* 0: never */
	int64_t		last_seen_ms;	/* LRU order */
	int64_t		ring_ref_ms;	/* the ring's ages count back from it */
	uint32_t	ring_age[COUNTERS_RING];	/* recent failures */
};

struct counters_table {
	struct counters_entry *e;
	size_t		cap;		/* entries, protected ones included */
	size_t		used;
	uint32_t	*bucket;	/* hash heads */
	size_t		nbucket;	/* power of two */
	uint32_t	free_head;	/* evicted entries via hnext */
	uint32_t	fresh;		/* e[fresh..cap) never used yet */
	uint32_t	lru_head;	/* least recently used, evicted first */
	uint32_t	lru_tail;	/* most recently used */
	uint64_t	evicted;
};

struct counters {
	struct counters_table users;
	struct counters_table sources;
	uint64_t	seed;		/* hash seed: keys are chosen by others */
	uint64_t	refused;	/* keys over COUNTERS_KEY_MAX */
	size_t		n_users, n_sources;	/* as given to init */
	char		**protected;	/* copies, for counters_load */
	size_t		nprotected;
};

/*
 * Allocates both tables once: n_users entries for ordinary users plus one
 * reserved entry per distinct protected user, n_sources for sources.
 * n_users and n_sources must be in [COUNTERS_MIN, COUNTERS_MAX]; a protected
 * name must be 1..COUNTERS_KEY_MAX characters. 0 on success, -1 with errno
 * EINVAL.
 */
int	counters_init(struct counters *c, size_t n_users, size_t n_sources,
	    const char *const *protected, size_t nprotected);

/*
 * Counts one failure (success == 0) or success for user and for addr.
 * user or addr NULL or "" skips that side (a local login has no source).
 * When a table is full the least recently used unprotected entry is
 * reused. 0 on success; -1 with errno EINVAL when a key is longer than
 * COUNTERS_KEY_MAX (the other key is still counted, c->refused grows).
 */
int	counters_record(struct counters *c, const char *user, const char *addr,
	    int success, int64_t now_ms);

/* The entry for user / addr, or NULL when not in the table. */
const struct counters_entry *counters_user(const struct counters *c,
	    const char *user);
const struct counters_entry *counters_source(const struct counters *c,
	    const char *addr);

/* Failures of e at or after since_ms, among the last COUNTERS_RING. */
unsigned int counters_recent_failures(const struct counters_entry *e,
	    int64_t since_ms);

/* The time of the k-th oldest failure in e's ring, k < e->nring. */
int64_t	counters_ring_at(const struct counters_entry *e, unsigned int k);

/*
 * Calls fn for each entry in use of t, least recently used first (the
 * protected ones, which are outside the LRU order, come first).
 */
void	counters_foreach(const struct counters_table *t,
	    void (*fn)(const struct counters_entry *, void *), void *arg);

/*
 * Writes both tables to path with fs_write_atomic (mode 0600): a version
 * line, one line per entry, a trailer with the line count. 0 on success,
 * -1 with errno.
 */
int	counters_save(const struct counters *c, const char *path);

/*
 * Replaces the contents of c (already initialised) with the file at path.
 * The file is parsed whole into a fresh table first: a corrupt, truncated
 * or oversized file changes nothing. Protection comes from c's protected
 * list, never from the file; entries beyond the table sizes drop the
 * oldest. 0 on success, -1 with errno ENOENT (no file), EBADMSG (corrupt,
 * reason in err), or another errno from reading.
 */
int	counters_load(struct counters *c, const char *path, char *err,
	    size_t errlen);

/* Frees both tables; c may be zeroed or already freed. */
void	counters_free(struct counters *c);

#endif
