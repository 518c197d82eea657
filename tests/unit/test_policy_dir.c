/*
 * Tests for the loading half of lib/policy.c: one file (owner, mode, size,
 * bytes), a directory (order, limits, a bad file beside good ones) and the
 * shipped examples in policies/.
 */
#include "policy_unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>

/* The policy file itself: owner, mode, type, size, bytes, syntax. */
static void
t_file_checks(void **s)
{
	static const char ok[] = "policies = ( { name = \"f\"; on = \"request\";\n"
	    "actions = ( \"restart_sshd\" ); } );\n";
	static const mode_t badmodes[] = { 0620, 0602, 0666, 0660 };
	struct policy_set set;
	char err[1024], link[600], *big;
	size_t i, n = POLICY_FILE_MAX;
	int fd;

	(void)s;
	memset(&set, 0, sizeof(set));
	expect_err_text("policies = (\n { name = ; } );\n", 2, "syntax error");
	expect_err_text("}}}{{{\n", 1, "syntax error");
	expect_err_text("\n\n\x01\x02garbage\xff\xfe\n", 3, "");
	expect_err_text("# ok\n  @include \"/etc/passwd\"\n", 2,
	    "@include is not supported");
	/* a NUL byte, written by hand */
	fd = open(ppath, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "policies = ( );\n\0# x\n", 21), 21);
	close(fd);
	assert_int_equal(policy_load_file(&set, ppath, 0, err, sizeof(err)), -1);
	want_err("NUL", err, ppath, 0, "contains a NUL byte");
	policy_set_free(&set);

	/* size: POLICY_FILE_MAX is fine, one more byte is not */
	big = malloc(n + 2);
	assert_non_null(big);
	memset(big, '#', n + 1);
	big[n - 1] = '\n';
	big[n] = '\0';
	write_mode(ppath, big, 0600);
	assert_int_equal(policy_load_file(&set, ppath, 0, err, sizeof(err)), 0);
	policy_set_free(&set);
	big[n - 1] = '#';
	big[n] = '\n';
	big[n + 1] = '\0';
	write_mode(ppath, big, 0600);
	assert_int_equal(policy_load_file(&set, ppath, 0, err, sizeof(err)), -1);
	want_err("big", err, ppath, 0, "larger than 262144 bytes");
	policy_set_free(&set);
	free(big);

	/* symlink, directory, missing */
	write_mode(ppath, ok, 0600);
	snprintf(link, sizeof(link), "%s/link.conf", tdir);
	assert_int_equal(symlink(ppath, link), 0);
	assert_int_equal(policy_load_file(&set, link, 0, err, sizeof(err)), -1);
	want_err("symlink", err, link, 0, "open: ");
	policy_set_free(&set);
	assert_int_equal(policy_load_file(&set, tdir, 0, err, sizeof(err)), -1);
	want_err("dir", err, tdir, 0, "not a regular file");
	policy_set_free(&set);
	snprintf(link, sizeof(link), "%s/missing.conf", tdir);
	assert_int_equal(policy_load_file(&set, link, 1, err, sizeof(err)), -1);
	want_err("missing", err, link, 0, "open: No such file");
	policy_set_free(&set);

	/* modes are checked with check_owner, as for sshmedic.conf */
	for (i = 0; i < sizeof(badmodes) / sizeof(badmodes[0]); i++) {
		assert_int_equal(chmod(ppath, badmodes[i]), 0);
		assert_int_equal(policy_load_file(&set, ppath, 0, err,
		    sizeof(err)), 0);
		policy_set_free(&set);
		if (geteuid() != 0)
			continue;
		assert_int_equal(policy_load_file(&set, ppath, 1, err,
		    sizeof(err)), -1);
		want_err("mode", err, ppath, 0, "is writable by");
		assert_int_equal(set.n, 0);
		policy_set_free(&set);
	}
	assert_int_equal(chmod(ppath, 0644), 0);
	if (geteuid() != 0) {
		fprintf(stderr, "not root: owner checks of the file skipped\n");
		return;
	}
	assert_int_equal(chmod(ppath, 0620), 0);
	assert_int_equal(policy_load_file(&set, ppath, 1, err, sizeof(err)), -1);
	want_err("group", err, ppath, 0, "mode 0620 is writable by group");
	policy_set_free(&set);
	assert_int_equal(chmod(ppath, 0644), 0);
	assert_int_equal(policy_load_file(&set, ppath, 1, err, sizeof(err)), 0);
	policy_set_free(&set);
	assert_int_equal(chown(ppath, getpwnam("nobody")->pw_uid, 0), 0);
	assert_int_equal(policy_load_file(&set, ppath, 1, err, sizeof(err)), -1);
	want_err("owner", err, ppath, 0, "(nobody), not root");
	policy_set_free(&set);
	assert_int_equal(chown(ppath, 0, 0), 0);
}

/* A policy file with one policy named name (or none when name is NULL). */
static void
write_pol(const char *dir, const char *file, const char *name)
{
	char *p = unit_path(dir, file), text[256];

	if (name == NULL)
		snprintf(text, sizeof(text), "policies = ( );\n");
	else
		snprintf(text, sizeof(text), "# %s\npolicies = (\n"
		    " { name = \"%s\"; on = \"request\";\n"
		    "   actions = ( \"restart_sshd\" ); } );\n", file, name);
	write_mode(p, text, 0644);
	free(p);
}

static void
expect_dir_error(const struct policy_set *set, size_t i, const char *path,
    unsigned int line, const char *what)
{
	assert_true(i < set->nerrors);
	want_err("dir", set->errors[i], path, line, what);
}

static void
t_dir(void **s)
{
	struct policy_set set;
	char *d = unit_path(tdir, "policies.d"), *p, *q, want[1024];

	(void)s;
	/* missing: empty, no error */
	assert_int_equal(policy_load_dir(&set, d, 1), 0);
	assert_int_equal(set.n, 0);
	assert_int_equal(set.nerrors, 0);
	assert_int_equal(set.nfiles, 0);
	policy_set_free(&set);
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(policy_load_dir(&set, d, 0), 0);
	assert_int_equal(set.n, 0);
	assert_int_equal(set.nerrors, 0);
	policy_set_free(&set);

	/* a good and a bad file, a later duplicate, things that are not read */
	write_pol(d, "10-good.conf", "good");
	write_pol(d, "05-first.conf", "first");
	write_pol(d, "07-empty.conf", NULL);
	p = unit_path(d, "20-bad.conf");
	write_mode(p, "policies = (\n { name = \"bad\"; on = \"request\";\n"
	    "   failures = 3; actions = ( \"restart_sshd\" ); } );\n", 0644);
	write_pol(d, ".hidden.conf", "hidden");
	write_pol(d, "README", "readme");
	write_pol(d, "30-x.conf.bak", "bak");
	write_pol(d, "30-x.conf~", "tilde");
	write_pol(d, ".conf", "dotconf");
	q = unit_path(d, "40-dup.conf");
	write_mode(q, "policies = (\n { name = \"new\"; on = \"request\";\n"
	    "   actions = ( \"restart_sshd\" ); },\n"
	    " { name = \"good\"; on = \"request\";\n"
	    "   actions = ( \"restart_sshd\" ); } );\n", 0644);
	assert_int_equal(policy_load_dir(&set, d, 0), 0);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.p[0].name, "first");
	assert_string_equal(set.p[1].name, "good");
	assert_string_equal(set.p[0].file + strlen(d), "/05-first.conf");
	assert_string_equal(set.p[1].file + strlen(d), "/10-good.conf");
	assert_int_equal(set.p[1].line, 3);
	assert_int_equal(set.nfiles, 3);
	assert_int_equal(set.nerrors, 2);
	expect_dir_error(&set, 0, p, 3, "failures does not apply to trigger "
	    "request");
	snprintf(want, sizeof(want), "name: \"good\" is already the name of the "
	    "policy at %s/10-good.conf:3", d);
	expect_dir_error(&set, 1, q, 4, want);
	policy_set_free(&set);
	free(p);
	free(q);

	/* a *.conf that is not a regular file is refused, not skipped */
	p = unit_path(d, "50-sub.conf");
	assert_int_equal(mkdir(p, 0755), 0);
	q = unit_path(d, "60-link.conf");
	assert_int_equal(symlink("10-good.conf", q), 0);
	assert_int_equal(policy_load_dir(&set, d, 0), 0);
	assert_int_equal(set.n, 2);
	assert_int_equal(set.nerrors, 4);
	expect_dir_error(&set, 2, p, 0, "not a regular file");
	expect_dir_error(&set, 3, q, 0, "open: ");
	policy_set_free(&set);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(unlink(q), 0);
	free(p);
	free(q);

	/* a trailing slash does not double in the names */
	q = unit_path(tdir, "policies.d/");
	assert_int_equal(policy_load_dir(&set, q, 0), 0);
	p = unit_path(d, "20-bad.conf");
	expect_dir_error(&set, 0, p, 3, "failures");
	policy_set_free(&set);
	free(p);
	free(q);

	/* not a directory, and a symlink to one */
	p = unit_path(d, "10-good.conf");
	assert_int_equal(policy_load_dir(&set, p, 0), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(set.n, 0);
	expect_dir_error(&set, 0, p, 0, "open: ");
	policy_set_free(&set);
	free(p);
	p = unit_path(tdir, "link.d");
	assert_int_equal(symlink(d, p), 0);
	assert_int_equal(policy_load_dir(&set, p, 0), -1);
	assert_int_equal(set.n, 0);
	assert_int_equal(set.nerrors, 1);
	policy_set_free(&set);
	free(p);

	/* the directory's own owner and mode */
	assert_int_equal(chmod(d, 0775), 0);
	assert_int_equal(policy_load_dir(&set, d, 1), 0);
	assert_int_equal(set.n, 0);
	assert_int_equal(set.nfiles, 0);
	assert_int_equal(set.nerrors, 1);
	if (geteuid() == 0)
		expect_dir_error(&set, 0, d, 0, "mode 0775 is writable by group");
	policy_set_free(&set);
	assert_int_equal(chmod(d, 0755), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(d, 1, 1), 0);
		assert_int_equal(policy_load_dir(&set, d, 1), 0);
		assert_int_equal(set.n, 0);
		expect_dir_error(&set, 0, d, 0, "owned by uid 1");
		policy_set_free(&set);
		assert_int_equal(chown(d, 0, 0), 0);
		/* as root the files are root's: check_owner passes */
		assert_int_equal(policy_load_dir(&set, d, 1), 0);
		assert_int_equal(set.n, 2);
		policy_set_free(&set);
	}
	free(d);
}

/* POLICY_MAX_FILES files and one more; POLICY_MAX policies and one more. */
static void
t_dir_limits(void **s)
{
	struct policy_set set;
	char *d = unit_path(tdir, "many.d"), name[64], pname[64], *text, *p;
	size_t o, cap = 128 * POLICY_MAX;
	int i;

	(void)s;
	assert_int_equal(mkdir(d, 0755), 0);
	/* created in reverse, so the directory order is not the sorted one */
	for (i = POLICY_MAX_FILES; i >= 0; i--) {
		snprintf(name, sizeof(name), "f%03d.conf", i);
		snprintf(pname, sizeof(pname), "p%03d", i);
		write_pol(d, name, pname);
	}
	assert_int_equal(policy_load_dir(&set, d, 0), 0);
	assert_int_equal(set.nfiles, POLICY_MAX_FILES);
	assert_int_equal(set.n, POLICY_MAX);
	for (i = 0; i < POLICY_MAX; i++) {
		snprintf(pname, sizeof(pname), "p%03d", i);
		assert_string_equal(set.p[i].name, pname);
	}
	assert_int_equal(set.nerrors, 1);
	expect_dir_error(&set, 0, d, 0, "more than 256 policy files: 1 ignored, "
	    "from f256.conf on");
	policy_set_free(&set);
	unit_rmtree(d);

	/* 200 + 56 policies load, 200 + 57 refuse the second file whole */
	d = unit_path(tdir, "big.d");
	assert_int_equal(mkdir(d, 0755), 0);
	text = malloc(cap);
	assert_non_null(text);
	for (int n2 = 56; n2 <= 57; n2++) {
		for (int f = 0; f < 2; f++) {
			o = (size_t)snprintf(text, cap, "policies = (\n");
			for (i = 0; i < (f == 0 ? 200 : n2); i++)
				o += (size_t)snprintf(text + o, cap - o,
				    "%s{ name = \"f%d-%d\"; on = \"request\"; "
				    "actions = ( \"restart_sshd\" ); }\n",
				    i ? "," : "", f, i);
			snprintf(text + o, cap - o, ");\n");
			snprintf(name, sizeof(name), "%d.conf", f);
			p = unit_path(d, name);
			write_mode(p, text, 0644);
			free(p);
		}
		assert_int_equal(policy_load_dir(&set, d, 0), 0);
		if (n2 == 56) {
			assert_int_equal(set.n, POLICY_MAX);
			assert_int_equal(set.nerrors, 0);
		} else {
			assert_int_equal(set.n, 200);
			assert_int_equal(set.nfiles, 1);
			p = unit_path(d, "1.conf");
			expect_dir_error(&set, 0, p, 1, "policies: 57 here and 200 "
			    "already loaded: more than 256 in all files");
			free(p);
		}
		policy_set_free(&set);
	}
	free(text);
	free(d);
}

/*
 * The shipped examples: copied with /etc/sshmedic/ moved under the scratch
 * directory, where the escrow and key files they name are created, so the
 * secret checks run on them too. Unchanged, they fail only on those files.
 */
static void
t_shipped_examples(void **s)
{
	static const enum pol_action want[] = {
		PA_FIX_MODES, PA_RESTORE_KEYS, PA_UNLOCK, PA_FAILLOCK_RESET,
		PA_SET_PASSWORD, PA_SET_SHELL, PA_BREAKGLASS, PA_RESTORE_PAM,
	};
	const char *env = getenv("SSHMEDIC_POLICIES_DIR");
	char src[1024], root[600], *ex, *p, *t, *e, *f;
	struct policy_set set;
	struct dirent *de;
	size_t i, j, nfiles = 0;
	DIR *dp;

	(void)s;
	if (env != NULL && *env != '\0')
		snprintf(src, sizeof(src), "%s", env);
	else {
		/* run by hand: find it from this source file's path */
		snprintf(src, sizeof(src), "%s", __FILE__);
		if ((p = strstr(src, "tests/unit/test_policy_dir.c")) == NULL)
			skip();
		snprintf(p, sizeof(src) - (size_t)(p - src), "policies");
	}
	ex = unit_path(tdir, "examples");
	assert_int_equal(mkdir(ex, 0755), 0);
	snprintf(root, sizeof(root), "%s/etc/sshmedic/", tdir);
	p = unit_path(tdir, "etc");
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = unit_path(tdir, "etc/sshmedic");
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = unit_path(tdir, "etc/sshmedic/escrow");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = unit_path(tdir, "etc/sshmedic/escrow/alice.hash");
	write_mode(p, HASH6 "\n", 0600);
	free(p);
	p = unit_path(tdir, "etc/sshmedic/breakglass.pub");
	write_mode(p, KEY_ED "\n", 0644);
	free(p);

	dp = opendir(src);
	if (dp == NULL)
		fail_msg("opendir %s: %s", src, strerror(errno));
	while ((de = readdir(dp)) != NULL) {
		j = strlen(de->d_name);
		if (de->d_name[0] == '.' || j <= 5 ||
		    strcmp(de->d_name + j - 5, ".conf") != 0)
			continue;
		p = unit_path(src, de->d_name);
		t = unit_slurp(p);
		free(p);
		e = subst(t, "/etc/sshmedic/", root);
		p = unit_path(ex, de->d_name);
		write_mode(p, e, 0644);
		free(p);
		free(e);
		free(t);
		nfiles++;
	}
	closedir(dp);
	assert_true(nfiles >= 4);

	assert_int_equal(policy_load_dir(&set, ex, 0), 0);
	for (i = 0; i < set.nerrors; i++)
		fprintf(stderr, "example: %s\n", set.errors[i]);
	assert_int_equal(set.nerrors, 0);
	assert_int_equal(set.nfiles, nfiles);
	for (j = 0; j < sizeof(want) / sizeof(want[0]); j++) {
		int found = 0;

		for (i = 0; i < set.n && !found; i++)
			for (size_t k = 0; k < set.p[i].nactions; k++)
				if (set.p[i].actions[k].kind == want[j])
					found = 1;
		if (!found)
			fail_msg("no example uses %s", policy_action_name(want[j]));
	}
	for (i = 0; i < set.n; i++)
		if (set.p[i].trigger == PT_NO_SUCCESS &&
		    set.p[i].actions[0].kind == PA_BREAKGLASS)
			break;
	assert_true(i < set.n);
	policy_set_free(&set);

	/* as shipped: every error is about a secret file under /etc/sshmedic */
	assert_int_equal(policy_load_dir(&set, src, 0), 0);
	for (i = 0; i < set.nerrors; i++) {
		f = set.errors[i];
		if (strstr(f, " /etc/sshmedic/") == NULL ||
		    (strstr(f, "escrow") == NULL && strstr(f, "key") == NULL))
			fail_msg("shipped example: %s", f);
	}
	policy_set_free(&set);
	free(ex);
}

int
policy_dir_tests(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(t_file_checks, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_dir, pu_setup, pu_teardown),
		cmocka_unit_test_setup_teardown(t_dir_limits, pu_setup,
		    pu_teardown),
		cmocka_unit_test_setup_teardown(t_shipped_examples, pu_setup,
		    pu_teardown),
	};

	return cmocka_run_group_tests_name("policy_dir", t, NULL, NULL);
}
