/*
 * Failure and success counters in two fixed tables (users, sources): a
 * seeded hash for lookup and an LRU list that recycles unprotected entries.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "counters.h"
#include "counters_int.h"
#include "misc.h"
#include "xmalloc.h"

static uint64_t
key_hash(uint64_t seed, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	/* Final avalanche so the low bits used as bucket index all mix. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static void
table_init(struct counters_table *t, size_t cap)
{
	size_t i, nb;

	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->e = xcalloc(cap, sizeof(*t->e));
	for (nb = 16; nb < cap * 2; nb *= 2)
		;
	t->nbucket = nb;
	t->bucket = xreallocarray(NULL, nb, sizeof(*t->bucket));
	for (i = 0; i < nb; i++)
		t->bucket[i] = COUNTERS_NIL;
	/*
	 * Entries are handed out in index order from fresh and never written
	 * before that: the table is allocated once at its full size, but a
	 * page of it becomes resident only when an entry on it is first used
	 * (4096 entries are ~1.1 MB, mostly never touched on a quiet host).
	 */
	t->fresh = 0;
	t->free_head = COUNTERS_NIL;
	t->lru_head = t->lru_tail = COUNTERS_NIL;
}

static void
table_free(struct counters_table *t)
{
	free(t->e);
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

static void
lru_unlink(struct counters_table *t, struct counters_entry *e)
{
	uint32_t i = (uint32_t)(e - t->e);

	if (e->lru_prev != COUNTERS_NIL)
		t->e[e->lru_prev].lru_next = e->lru_next;
	else if (t->lru_head == i)
		t->lru_head = e->lru_next;
	if (e->lru_next != COUNTERS_NIL)
		t->e[e->lru_next].lru_prev = e->lru_prev;
	else if (t->lru_tail == i)
		t->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = COUNTERS_NIL;
}

void
counters_touch(struct counters_table *t, struct counters_entry *e)
{
	uint32_t i = (uint32_t)(e - t->e);

	if (e->protected || t->lru_tail == i)
		return;
	lru_unlink(t, e);
	e->lru_prev = t->lru_tail;
	if (t->lru_tail != COUNTERS_NIL)
		t->e[t->lru_tail].lru_next = i;
	else
		t->lru_head = i;
	t->lru_tail = i;
}

/* Takes e (in use, unprotected) out of its hash chain and the LRU list. */
static void
evict(const struct counters *c, struct counters_table *t,
    struct counters_entry *e)
{
	uint32_t i = (uint32_t)(e - t->e), *pp;
	size_t b = key_hash(c->seed, e->key) & (t->nbucket - 1);
	size_t n;

	/* The chain holds at most cap entries; bound the walk anyway. */
	for (pp = &t->bucket[b], n = 0; *pp != COUNTERS_NIL && n <= t->cap;
	    pp = &t->e[*pp].hnext, n++) {
		if (*pp == i) {
			*pp = e->hnext;
			break;
		}
	}
	lru_unlink(t, e);
	memset(e, 0, sizeof(*e));
	e->lru_prev = e->lru_next = COUNTERS_NIL;
	e->hnext = t->free_head;
	t->free_head = i;
	t->used--;
	t->evicted++;
}

struct counters_entry *
counters_get(const struct counters *c, struct counters_table *t,
    const char *key, int create)
{
	size_t b, n;
	uint32_t i;
	struct counters_entry *e;

	if (t->e == NULL)
		return NULL;
	b = key_hash(c->seed, key) & (t->nbucket - 1);
	for (i = t->bucket[b], n = 0; i != COUNTERS_NIL && n <= t->cap;
	    i = t->e[i].hnext, n++) {
		if (strcmp(t->e[i].key, key) == 0)
			return &t->e[i];
	}
	if (!create)
		return NULL;
	if (t->free_head == COUNTERS_NIL && t->fresh >= t->cap) {
		if (t->lru_head == COUNTERS_NIL)
			return NULL;	/* every entry protected */
		evict(c, t, &t->e[t->lru_head]);
	}
	if (t->free_head != COUNTERS_NIL) {
		i = t->free_head;
		t->free_head = t->e[i].hnext;
	} else
		i = t->fresh++;
	e = &t->e[i];
	memset(e, 0, sizeof(*e));
	sm_strlcpy(e->key, key, sizeof(e->key));
	e->in_use = 1;
	e->lru_prev = e->lru_next = COUNTERS_NIL;
	e->hnext = t->bucket[b];
	t->bucket[b] = i;
	t->used++;
	return e;
}

/* Predicate: key fits an entry. 1/0. */
static int
key_fits(const char *key)
{
	return strnlen(key, COUNTERS_KEY_MAX + 1) <= COUNTERS_KEY_MAX;
}

/*
 * 0 on success, -1 with errno EINVAL (a size out of range, a protected
 * name empty or too long).
 */
int
counters_init(struct counters *c, size_t n_users, size_t n_sources,
    const char *const *protected, size_t nprotected)
{
	size_t i, j, ndistinct = 0;
	struct counters_entry *e;

	memset(c, 0, sizeof(*c));
	if (n_users < COUNTERS_MIN || n_users > COUNTERS_MAX ||
	    n_sources < COUNTERS_MIN || n_sources > COUNTERS_MAX ||
	    nprotected > COUNTERS_MAX || (nprotected > 0 && protected == NULL)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < nprotected; i++) {
		if (protected[i] == NULL || *protected[i] == '\0' ||
		    !key_fits(protected[i])) {
			errno = EINVAL;
			return -1;
		}
	}
	if (getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(c->seed))
		c->seed = (uint64_t)realtime_ms() ^ (uint64_t)monotime_ms() << 20;
	c->n_users = n_users;
	c->n_sources = n_sources;
	c->protected = xcalloc(nprotected + 1, sizeof(*c->protected));
	for (i = 0; i < nprotected; i++) {
		for (j = 0; j < ndistinct; j++)
			if (strcmp(c->protected[j], protected[i]) == 0)
				break;
		if (j == ndistinct)
			c->protected[ndistinct++] = xstrdup(protected[i]);
	}
	c->nprotected = ndistinct;
	table_init(&c->users, n_users + ndistinct);
	table_init(&c->sources, n_sources);
	for (i = 0; i < ndistinct; i++) {
		/* The free list still has room: cap counts these. */
		e = counters_get(c, &c->users, c->protected[i], 1);
		e->protected = 1;
	}
	return 0;
}

static void
entry_count(struct counters_table *t, struct counters_entry *e, int success,
    int64_t now_ms)
{
	if (success) {
		e->successes++;
		e->fails_since_ok = 0;
		e->last_ok_ms = now_ms;
	} else {
		e->failures++;
		e->fails_since_ok++;
		e->last_fail_ms = now_ms;
		counters_ring_push(e, now_ms);
	}
	e->last_seen_ms = now_ms;
	counters_touch(t, e);
}

/*
 * 0 on success; -1 with errno EINVAL when a key is too long (the other one
 * is still counted).
 */
int
counters_record(struct counters *c, const char *user, const char *addr,
    int success, int64_t now_ms)
{
	struct counters_entry *e;
	int r = 0;

	if (user != NULL && *user != '\0') {
		if (!key_fits(user)) {
			c->refused++;
			r = -1;
		} else if ((e = counters_get(c, &c->users, user, 1)) != NULL)
			entry_count(&c->users, e, success, now_ms);
	}
	if (addr != NULL && *addr != '\0') {
		if (!key_fits(addr)) {
			c->refused++;
			r = -1;
		} else if ((e = counters_get(c, &c->sources, addr, 1)) != NULL)
			entry_count(&c->sources, e, success, now_ms);
	}
	if (r == -1)
		errno = EINVAL;
	return r;
}

/* The entry or NULL. */
const struct counters_entry *
counters_user(const struct counters *c, const char *user)
{
	if (user == NULL || !key_fits(user))
		return NULL;
	/* Lookup without create never modifies the table. */
	return counters_get(c, (struct counters_table *)&c->users, user, 0);
}

/* The entry or NULL. */
const struct counters_entry *
counters_source(const struct counters *c, const char *addr)
{
	if (addr == NULL || !key_fits(addr))
		return NULL;
	return counters_get(c, (struct counters_table *)&c->sources, addr, 0);
}

/* A count in [0, COUNTERS_RING]. */
unsigned int
counters_recent_failures(const struct counters_entry *e, int64_t since_ms)
{
	unsigned int i, n = 0;

	if (e == NULL)
		return 0;
	for (i = 0; i < e->nring && i < COUNTERS_RING; i++)
		if (e->ring_ref_ms - (int64_t)e->ring_age[i] >= since_ms)
			n++;
	return n;
}

/* See counters.h. */
int64_t
counters_ring_at(const struct counters_entry *e, unsigned int k)
{
	unsigned int n = e->nring > COUNTERS_RING ? COUNTERS_RING : e->nring;

	return e->ring_ref_ms - (int64_t)e->ring_age[(e->ring_pos +
	    COUNTERS_RING - n + k) % COUNTERS_RING];
}

/* An age in the ring: 0..UINT32_MAX, the top meaning "that or older". */
static uint32_t
ring_age(int64_t ms)
{
	if (ms <= 0)
		return 0;
	return ms >= (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/*
 * See counters_int.h. A failure newer than the ring's reference moves the
 * reference and ages every slot by the difference; an older one (the
 * clock stepped back, or a reload of older times) gets its age from it.
 */
void
counters_ring_push(struct counters_entry *e, int64_t t_ms)
{
	unsigned int i;
	uint32_t d;

	if (e->nring == 0)
		e->ring_ref_ms = t_ms;
	else if (t_ms > e->ring_ref_ms) {
		d = ring_age(t_ms - e->ring_ref_ms);
		for (i = 0; i < e->nring && i < COUNTERS_RING; i++)
			e->ring_age[i] = e->ring_age[i] > UINT32_MAX - d ?
			    UINT32_MAX : e->ring_age[i] + d;
		e->ring_ref_ms = t_ms;
	}
	e->ring_age[e->ring_pos] = ring_age(e->ring_ref_ms - t_ms);
	e->ring_pos = (uint8_t)((e->ring_pos + 1) % COUNTERS_RING);
	if (e->nring < COUNTERS_RING)
		e->nring++;
}

/* No return value. */
void
counters_foreach(const struct counters_table *t,
    void (*fn)(const struct counters_entry *, void *), void *arg)
{
	size_t i, n;
	uint32_t j;

	for (i = 0; i < t->fresh; i++)
		if (t->e[i].in_use && t->e[i].protected)
			fn(&t->e[i], arg);
	for (j = t->lru_head, n = 0; j != COUNTERS_NIL && n < t->cap;
	    j = t->e[j].lru_next, n++)
		fn(&t->e[j], arg);
}

/* No return value. */
void
counters_free(struct counters *c)
{
	size_t i;

	table_free(&c->users);
	table_free(&c->sources);
	if (c->protected != NULL) {
		for (i = 0; i < c->nprotected; i++)
			free(c->protected[i]);
		free(c->protected);
	}
	memset(c, 0, sizeof(*c));
}
