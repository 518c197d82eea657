/*
 * Internals shared by counters.c (tables) and counters_file.c (the
 * persisted form): finding or creating an entry by key.
 */
#ifndef SM_COUNTERS_INT_H
#define SM_COUNTERS_INT_H

#include "counters.h"

#define COUNTERS_NIL	UINT32_MAX

/*
 * The entry for key in t, created (evicting the least recently used
 * unprotected entry if t is full) when create is set. NULL when absent and
 * not created, or when every entry is protected. key must fit.
 */
struct counters_entry *counters_get(const struct counters *c,
	    struct counters_table *t, const char *key, int create);

/* Adds a failure at t_ms to e's ring, the oldest one dropped when full. */
void	counters_ring_push(struct counters_entry *e, int64_t t_ms);

/* Marks e most recently used in t (protected entries stay outside). */
void	counters_touch(struct counters_table *t, struct counters_entry *e);

#endif
