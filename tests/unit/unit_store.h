/*
 * A store in a scratch directory of its own, for the unit tests of the
 * store and of what works on it (test_store, test_prep).
 */
#ifndef SM_UNIT_STORE_H
#define SM_UNIT_STORE_H

#include "unit.h"
#include "store.h"

struct fx {
	char	*tmp;		/* scratch */
	char	*sdir;		/* the store: tmp/name */
	struct store st;
};

/* A fresh fx with its store open at tmp/name. */
static inline struct fx *
unit_store_new(const char *name, int keep_generations, int keep_quarantine)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->tmp = unit_mkdtemp();
	f->sdir = unit_path(f->tmp, name);
	assert_int_equal(store_open(&f->st, f->sdir, keep_generations,
	    keep_quarantine), 0);
	return f;
}

static inline void
unit_store_free(struct fx *f)
{
	store_close(&f->st);
	free(f->sdir);
	unit_rmtree(f->tmp);
	free(f);
}

/* A cmocka teardown for a state set to unit_store_new's fx. */
static inline int
unit_store_teardown(void **state)
{
	unit_store_free(*state);
	return 0;
}

#endif
