/*
 * Unit tests for lib/prep.c: what image-prep finds in a store, clearing
 * it, the quarantine kept or discarded, a run cut short after any of its
 * operations finished by the next, refusals, rotated log names.
 */
#include "unit.h"

#include <errno.h>
#include <sys/stat.h>

#include "closure.h"
#include "counters.h"
#include "log.h"
#include "misc.h"
#include "prep.h"
#include "store.h"
#include "unit_store.h"

static int
exists(const char *dir, const char *name)
{
	char *p = unit_path(dir, name);
	struct stat sb;
	int r = lstat(p, &sb) == 0;

	free(p);
	return r;
}

/* A generation of a one-file closure read the way the daemon reads it. */
static void
commit(struct fx *f, const char *text)
{
	char *conf = unit_path(f->tmp, "sshd_config");
	struct closure cl;
	unsigned long gen;

	unit_write(conf, text);
	assert_int_equal(closure_read(conf, f->tmp, &cl), 0);
	assert_int_equal(store_commit(&f->st, &cl, "test", "ev", &gen), 0);
	closure_free(&cl);
	free(conf);
}

/* Every kind of state a running daemon leaves in paths.state. */
static void
populate(struct fx *f)
{
	struct counters c;
	char *p, *q;

	commit(f, "Port 2201\n");
	commit(f, "Port 2202\n");
	commit(f, "Port 2203\n");
	p = unit_path(f->sdir, "snap");
	assert_int_equal(fs_mkdir_p(p, 0700), 0);
	free(p);
	p = unit_path(f->sdir, "snap/keys/alice");
	assert_int_equal(fs_mkdir_p(p, 0700), 0);
	q = unit_path(p, "manifest");
	unit_write(q, "sshmedic-snapshot 1\n");
	free(q);
	free(p);
	p = unit_path(f->sdir, "snap/pam/sshd");
	assert_int_equal(fs_mkdir_p(p, 0700), 0);
	free(p);
	assert_int_equal(counters_init(&c, 16, 16, NULL, 0), 0);
	assert_int_equal(counters_record(&c, "alice", "10.0.0.1", 0, 1000), 0);
	assert_int_equal(counters_record(&c, "bob", "10.0.0.1", 1, 2000), 0);
	p = unit_path(f->sdir, COUNTERS_FILE);
	assert_int_equal(counters_save(&c, p), 0);
	free(p);
	counters_free(&c);
	assert_int_equal(store_state_set(&f->st, "paused_until", "99"), 0);
	assert_int_equal(store_state_set(&f->st, "user.ops", "created"), 0);
	assert_int_equal(store_state_set(&f->st, "ladder_step", "2"), 0);
	p = unit_path(f->sdir, "policy.state");
	unit_write(p, "fired x 1\n");
	free(p);
	p = unit_path(f->sdir, "canary_known_hosts");
	unit_write(p, "[127.0.0.1]:22 ssh-ed25519 AAAA\n");
	free(p);
	p = unit_path(f->tmp, "rejected.conf");
	unit_write(p, "DenyUsers alice\n");
	assert_int_equal(store_quarantine_add(&f->st, "qev", p, "test"), 0);
	free(p);
}

static int
setup(void **state)
{
	struct fx *f = unit_store_new("state", 20, 0);

	populate(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	return unit_store_teardown(state);
}

static const struct prep_item *
item(const struct prep_plan *p, const char *what)
{
	size_t i;

	for (i = 0; i < p->nitems; i++)
		if (strcmp(p->items[i].what, what) == 0)
			return &p->items[i];
	return NULL;
}

static void
plan(struct fx *f, int discard, struct prep_plan *p)
{
	char err[512] = "";

	prep_plan_init(p);
	assert_int_equal(prep_scan_store(&f->st, NULL, 0, 16, 16, p, err,
	    sizeof(err)), 0);
	assert_int_equal(prep_scan_quarantine(&f->st, discard, p, err,
	    sizeof(err)), 0);
}

/* What is left after a complete prep, with the quarantine kept or not. */
static void
assert_clean(struct fx *f, int discard)
{
	unsigned long *gens;
	char **keys, val[32];
	size_t n;

	assert_int_equal(store_list(&f->st, &gens, &n), -1);	/* gen/ gone */
	free(gens);
	assert_false(exists(f->sdir, "snap"));
	assert_false(exists(f->sdir, "blobs"));
	assert_false(exists(f->sdir, COUNTERS_FILE));
	assert_false(exists(f->sdir, "policy.state"));
	assert_false(exists(f->sdir, "canary_known_hosts"));
	assert_false(exists(f->sdir, PREP_TRASH));
	assert_int_equal(store_state_keys(&f->st, &keys, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0], "user.ops");
	sm_strv_free(keys, n);
	assert_int_equal(store_state_get(&f->st, "user.ops", val, sizeof(val)), 0);
	assert_int_equal(exists(f->sdir, "quarantine"), !discard);
	if (!discard)
		assert_int_equal(unit_count_entries(f->st.dir), 2);
}

static void
t_scan_counts(void **state)
{
	struct fx *f = *state;
	struct prep_plan p;
	const struct prep_item *it;

	plan(f, 0, &p);
	assert_non_null(it = item(&p, "generations"));
	assert_int_equal(it->count, 3);
	assert_string_equal(it->detail, "1-3");
	assert_int_equal(it->action, PREP_CLEAR);
	assert_int_equal(item(&p, "blobs")->count, 3);
	assert_non_null(it = item(&p, "snapshots"));
	assert_int_equal(it->count, 2);
	assert_non_null(strstr(it->detail, "keys/alice"));
	assert_non_null(strstr(it->detail, "pam/sshd"));
	assert_non_null(it = item(&p, "counters"));
	assert_int_equal(it->count, 3);		/* alice, bob, 10.0.0.1 */
	assert_string_equal(it->detail, "2 users, 1 source");
	assert_non_null(it = item(&p, "guard-state"));
	assert_int_equal(it->count, 2);
	assert_string_equal(it->detail, "paused_until ladder_step");
	assert_non_null(it = item(&p, "accounts"));
	assert_int_equal(it->action, PREP_KEEP);
	assert_string_equal(it->detail, "ops");
	assert_non_null(it = item(&p, "state-files"));
	assert_int_equal(it->count, 2);
	assert_non_null(strstr(it->detail, "policy.state"));
	assert_non_null(strstr(it->detail, "canary_known_hosts"));
	assert_non_null(it = item(&p, "quarantine"));
	assert_int_equal(it->action, PREP_KEEP);
	assert_int_equal(it->count, 1);
	assert_null(item(&p, "interrupted"));
	/* Scanning changed nothing. */
	assert_true(exists(f->sdir, "gen/0000000003.manifest"));
	prep_plan_free(&p);
}

static void
t_apply_keep(void **state)
{
	struct fx *f = *state;
	struct prep_plan p;
	char err[512] = "", *q;

	plan(f, 0, &p);
	assert_int_equal(prep_apply(&f->st, &p, err, sizeof(err)), 0);
	prep_plan_free(&p);
	assert_clean(f, 0);
	/* The quarantined file is still there, in its event's directory. */
	q = unit_path(f->sdir, "quarantine");
	assert_int_equal(unit_count_entries(q), 1);
	free(q);
	/* A second run: nothing left to clear, the same result. */
	plan(f, 0, &p);
	assert_int_equal(item(&p, "generations")->count, 0);
	assert_int_equal(item(&p, "guard-state")->count, 0);
	assert_int_equal(item(&p, "state-files")->count, 0);
	assert_int_equal(prep_apply(&f->st, &p, err, sizeof(err)), 0);
	prep_plan_free(&p);
	assert_clean(f, 0);
}

static void
t_apply_discard(void **state)
{
	struct fx *f = *state;
	struct prep_plan p;
	char err[512] = "";

	plan(f, 1, &p);
	assert_int_equal(item(&p, "quarantine")->action, PREP_DISCARD);
	assert_int_equal(prep_apply(&f->st, &p, err, sizeof(err)), 0);
	prep_plan_free(&p);
	assert_clean(f, 1);
}

/*
 * A run killed after any of its operations: the generations are all there
 * or all gone (never a generation without its blobs that the daemon would
 * report corrupt and skip), and the next run finishes the work.
 */
static void
t_interrupted(void **state)
{
	struct fx *f = *state;
	struct prep_plan p, cut;
	struct manifest m;
	unsigned long *gens;
	char err[512] = "";
	size_t k, nops, n;
	int r;

	plan(f, 0, &p);
	nops = p.nops;
	prep_plan_free(&p);
	assert_true(nops >= 8);
	for (k = 0; k < nops; k++) {
		teardown(state);
		setup(state);
		f = *state;
		plan(f, 0, &p);
		cut = p;
		cut.nops = k;
		assert_int_equal(prep_apply(&f->st, &cut, err, sizeof(err)), 0);
		prep_plan_free(&p);
		r = store_list(&f->st, &gens, &n);
		assert_true(r == -1 || n == 3);
		free(gens);
		if (r == 0) {
			assert_int_equal(store_latest(&f->st, &m), 0);
			assert_int_equal(m.gen, 3);
			manifest_free(&m);
		}
		plan(f, 0, &p);
		assert_int_equal(item(&p, "interrupted") != NULL,
		    exists(f->sdir, PREP_TRASH));
		assert_int_equal(prep_apply(&f->st, &p, err, sizeof(err)), 0);
		prep_plan_free(&p);
		assert_clean(f, 0);
	}
}

/* A rollback cut short must be finished by the daemon first. */
static void
t_intent_refused(void **state)
{
	struct fx *f = *state;
	struct prep_plan p;
	char err[512] = "", *i = unit_path(f->sdir, "intent");

	unit_write(i, "sshmedic-intent 1\n");
	prep_plan_init(&p);
	assert_int_equal(prep_scan_store(&f->st, NULL, 0, 16, 16, &p, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "rollback was interrupted"));
	assert_int_equal(p.nops, 0);
	prep_plan_free(&p);
	assert_true(exists(f->sdir, "gen/0000000001.manifest"));
	free(i);
}

/* Entries given as skip (paths.requests inside paths.state) stay. */
static void
t_skip(void **state)
{
	struct fx *f = *state;
	struct prep_plan p;
	struct stat sb;
	char err[512] = "", *r = unit_path(f->sdir, "requests");

	assert_int_equal(mkdir(r, 0700), 0);
	assert_int_equal(lstat(r, &sb), 0);
	prep_plan_init(&p);
	assert_int_equal(prep_scan_store(&f->st, &sb, 1, 16, 16, &p, err,
	    sizeof(err)), 0);
	assert_null(strstr(item(&p, "state-files")->detail, "requests"));
	assert_int_equal(prep_apply(&f->st, &p, err, sizeof(err)), 0);
	prep_plan_free(&p);
	assert_true(exists(f->sdir, "requests"));
	free(r);
}

/* A guard.state that is not ours any more is cleared whole. */
static void
t_malformed_state(void **state)
{
	struct fx *f = *state;
	struct prep_plan p;
	char err[512] = "", *s = unit_path(f->sdir, "guard.state");

	unit_write(s, "paused_until=1\nno equals sign and no newline");
	plan(f, 0, &p);
	assert_string_equal(item(&p, "guard-state")->detail,
	    "malformed: cleared whole");
	assert_null(item(&p, "accounts"));
	assert_int_equal(prep_apply(&f->st, &p, err, sizeof(err)), 0);
	prep_plan_free(&p);
	assert_false(exists(f->sdir, "guard.state"));
	free(s);
}

static void
t_rotated_name(void **state)
{
	(void)state;
	assert_true(prep_rotated_name("events.json", "events.json.1"));
	assert_true(prep_rotated_name("events.json", "events.json.12.gz"));
	assert_true(prep_rotated_name("events.json", "events.json-20261201"));
	assert_true(prep_rotated_name("events.json", "events.json.3.zst"));
	assert_true(prep_rotated_name("events.json", "events.json.3.xz"));
	assert_true(prep_rotated_name("events.json", "events.json.3.bz2"));
	assert_false(prep_rotated_name("events.json", "events.json"));
	assert_false(prep_rotated_name("events.json", "events.json."));
	assert_false(prep_rotated_name("events.json", "events.json.gz"));
	assert_false(prep_rotated_name("events.json", "events.json.1.tar"));
	assert_false(prep_rotated_name("events.json", "events.json.1x"));
	assert_false(prep_rotated_name("events.json", "events.jsonx.1"));
	assert_false(prep_rotated_name("events.json", "other.json.1"));
	assert_false(prep_rotated_name("events.json",
	    "events.json.123456789012345678901"));	/* 21 digits */
	assert_true(prep_rotated_name("events.json",
	    "events.json.12345678901234567890"));	/* 20 */
	assert_false(prep_rotated_name("", ".1"));
}

static void
t_words(void **state)
{
	(void)state;
	assert_string_equal(prep_action_word(PREP_CLEAR, 0), "cleared");
	assert_string_equal(prep_action_word(PREP_CLEAR, 1), "would clear");
	assert_string_equal(prep_action_word(PREP_QUARANTINE, 0), "quarantined");
	assert_string_equal(prep_action_word(PREP_KEEP, 1), "would keep");
	assert_string_equal(prep_action_word(PREP_DISCARD, 0), "discarded");
	assert_string_equal(prep_action_word(PREP_NACTIONS, 0), "?");
	assert_string_equal(prep_action_name(PREP_QUARANTINE), "quarantine");
	assert_string_equal(prep_action_name(PREP_NACTIONS), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_scan_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(t_apply_keep, setup, teardown),
		cmocka_unit_test_setup_teardown(t_apply_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(t_interrupted, setup, teardown),
		cmocka_unit_test_setup_teardown(t_intent_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(t_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(t_malformed_state, setup, teardown),
		cmocka_unit_test(t_rotated_name),
		cmocka_unit_test(t_words),
	};

	log_init("test_prep", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
