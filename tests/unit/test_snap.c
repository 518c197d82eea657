/*
 * Tests for lib/snap.c: round trips, absent files, a corrupt content or
 * manifest (never usable), pruning, names and the size bounds.
 */
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include "snap.h"
#include "store.h"
#include "xmalloc.h"
#include "misc.h"

static char *tdir;
static struct store st;

static int
setup(void **s)
{
	(void)s;
	tdir = unit_mkdtemp();
	assert_int_equal(store_open(&st, tdir, 5, 5), 0);
	return 0;
}

static int
teardown(void **s)
{
	(void)s;
	store_close(&st);
	unit_rmtree(tdir);
	tdir = NULL;
	return 0;
}

static void
make(struct snap *s, const char *name, const char *content)
{
	memset(s, 0, sizeof(*s));
	s->kind = SNAP_KEYS;
	sm_strlcpy(s->name, name, sizeof(s->name));
	s->when = 1700000000;
	s->evid = xstrdup("0123456789abcdef0123456789abcdef");
	s->key = xstrdup("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA test key");
	assert_int_equal(snap_add(s, "/home/a/.ssh/authorized_keys", content,
	    strlen(content), 1000, 1000, 0600), 0);
	assert_int_equal(snap_add(s, "/home/a/.ssh/authorized_keys2", NULL, 0,
	    0, 0, 0), 0);
}

static void
content_path(char *buf, size_t len, const char *name, const char *sha)
{
	snprintf(buf, len, "%s/snap/keys/%s/%s", tdir, name, sha);
}

static void
test_round_trip(void **s)
{
	struct snap a, b;
	const struct snap_file *f;

	(void)s;
	make(&a, "alice", "ssh-ed25519 AAAA alice\n");
	assert_int_equal(snap_save(&st, &a), 0);
	assert_int_equal(snap_load(&st, SNAP_KEYS, "alice", &b), 0);
	assert_true(snap_same(&a, &b));
	assert_int_equal(b.when, 1700000000);
	assert_string_equal(b.key, a.key);
	assert_string_equal(b.evid, a.evid);
	f = snap_find(&b, "/home/a/.ssh/authorized_keys");
	assert_non_null(f);
	assert_int_equal(f->present, 1);
	assert_int_equal(f->uid, 1000);
	assert_int_equal(f->mode, 0600);
	assert_string_equal(f->content, "ssh-ed25519 AAAA alice\n");
	f = snap_find(&b, "/home/a/.ssh/authorized_keys2");
	assert_non_null(f);
	assert_int_equal(f->present, 0);
	assert_null(f->content);
	assert_null(snap_find(&b, "/nope"));
	snap_free(&b);
	/* Another kind with the same name is another snapshot. */
	assert_int_equal(snap_load(&st, SNAP_PAM, "alice", &b), -1);
	assert_int_equal(errno, ENOENT);
	snap_free(&b);
	snap_free(&a);
}

static void
test_prune_on_resave(void **s)
{
	struct snap a, b;
	char p[PATH_MAX], dir[PATH_MAX];

	(void)s;
	make(&a, "alice", "old key\n");
	assert_int_equal(snap_save(&st, &a), 0);
	make(&b, "alice", "new key\n");
	assert_false(snap_same(&a, &b));
	assert_int_equal(snap_save(&st, &b), 0);
	content_path(p, sizeof(p), "alice", a.f[0].sha256);
	assert_int_equal(access(p, F_OK), -1);
	content_path(p, sizeof(p), "alice", b.f[0].sha256);
	assert_int_equal(access(p, F_OK), 0);
	snprintf(dir, sizeof(dir), "%s/snap/keys/alice", tdir);
	assert_int_equal(unit_count_entries(dir), 2);	/* manifest + one */
	snap_free(&a);
	snap_free(&b);
}

static void
test_corrupt_content(void **s)
{
	struct snap a, b;
	char p[PATH_MAX];

	(void)s;
	make(&a, "bob", "key\n");
	assert_int_equal(snap_save(&st, &a), 0);
	content_path(p, sizeof(p), "bob", a.f[0].sha256);
	unit_write(p, "kez\n");
	assert_int_equal(snap_load(&st, SNAP_KEYS, "bob", &b), -1);
	assert_int_equal(errno, EBADMSG);
	snap_free(&b);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(snap_load(&st, SNAP_KEYS, "bob", &b), -1);
	assert_int_equal(errno, EBADMSG);
	snap_free(&b);
	snap_free(&a);
}

static void
test_corrupt_manifest(void **s)
{
	static const char *bad[] = {
		"",
		"garbage\n",
		"sshmedic-snapshot 1\nkind keys\n",
		"sshmedic-snapshot 1\nkind pam\nname carol\nwhen 1\nevid -\n"
		    "key -\nfiles 0\nend\n",
		"sshmedic-snapshot 1\nkind keys\nname other\nwhen 1\nevid -\n"
		    "key -\nfiles 0\nend\n",
		"sshmedic-snapshot 1\nkind keys\nname carol\nwhen 1\nevid -\n"
		    "key -\nfiles 1\nend\n",
		"sshmedic-snapshot 1\nkind keys\nname carol\nwhen 1\nevid -\n"
		    "key -\nfiles 17\nend\n",
		"sshmedic-snapshot 1\nkind keys\nname carol\nwhen 1\nevid -\n"
		    "key -\nfiles 1\nfile 0 0 0 0600 0 - relative\nend\n",
		"sshmedic-snapshot 1\nkind keys\nname carol\nwhen 1\nevid -\n"
		    "key -\nfiles 1\nfile 2 0 0 0600 0 - %2Fx\nend\n",
		"sshmedic-snapshot 1\nkind keys\nname carol\nwhen 1\nevid -\n"
		    "key -\nfiles 0\nend\ntrailing\n",
		"sshmedic-snapshot 1\nkind keys\nname carol\nwhen 1\nevid -\n"
		    "key -\nfiles 0\nend",
	};
	struct snap a, b;
	char p[PATH_MAX];
	size_t i;

	(void)s;
	make(&a, "carol", "key\n");
	assert_int_equal(snap_save(&st, &a), 0);
	snprintf(p, sizeof(p), "%s/snap/keys/carol/manifest", tdir);
	for (i = 0; i < SM_NELEM(bad); i++) {
		unit_write(p, bad[i]);
		if (snap_load(&st, SNAP_KEYS, "carol", &b) != -1 ||
		    errno != EBADMSG)
			fail_msg("manifest %zu accepted", i);
		snap_free(&b);
	}
	/* An empty snapshot (no file at all) is a valid one. */
	unit_write(p, "sshmedic-snapshot 1\nkind keys\nname carol\nwhen 1\n"
	    "evid -\nkey -\nfiles 0\nend\n");
	assert_int_equal(snap_load(&st, SNAP_KEYS, "carol", &b), 0);
	assert_int_equal(b.n, 0);
	snap_free(&b);
	snap_free(&a);
}

static void
test_bounds(void **s)
{
	struct snap a;
	char path[64], *big;
	size_t i;

	(void)s;
	memset(&a, 0, sizeof(a));
	for (i = 0; i < SNAP_MAX_FILES; i++) {
		snprintf(path, sizeof(path), "/k/%zu", i);
		assert_int_equal(snap_add(&a, path, "x", 1, 0, 0, 0600), 0);
	}
	assert_int_equal(snap_add(&a, "/k/over", "x", 1, 0, 0, 0600), -1);
	assert_int_equal(errno, E2BIG);
	sm_strlcpy(a.name, "max", sizeof(a.name));
	assert_int_equal(snap_save(&st, &a), 0);
	snap_free(&a);

	memset(&a, 0, sizeof(a));
	big = xcalloc(1, SNAP_FILE_MAX + 1);
	assert_int_equal(snap_add(&a, "/k/big", big, SNAP_FILE_MAX + 1, 0, 0,
	    0600), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(snap_add(&a, "/k/big", big, SNAP_FILE_MAX, 0, 0,
	    0600), 0);
	assert_int_equal(snap_add(&a, "relative", "x", 1, 0, 0, 0600), -1);
	assert_int_equal(errno, EINVAL);
	free(big);
	/* Names: tokens only, never a path. */
	sm_strlcpy(a.name, "../x", sizeof(a.name));
	assert_int_equal(snap_save(&st, &a), -1);
	assert_int_equal(errno, EINVAL);
	sm_strlcpy(a.name, ".hidden", sizeof(a.name));
	assert_int_equal(snap_save(&st, &a), -1);
	a.name[0] = '\0';
	assert_int_equal(snap_save(&st, &a), -1);
	snap_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prune_on_resave, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_content, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_manifest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
