/*
 * The fixture and helpers of the policy unit test: a scratch directory per
 * test, policy text written and loaded, errors compared with FILE:LINE.
 */
#include "policy_unit.h"

#include <sys/stat.h>

char *tdir;
char ppath[512];
char escrow[512];
char keyf[512];

const char *const trig_names[PT_NTRIGGERS] = {
	"user_failures", "account_denied", "source_failures", "no_success",
	"config_rollback", "sshd_start_failed", "request",
};

const char *const act_names[PA_NACTIONS] = {
	"restore_keys", "fix_modes", "faillock_reset", "unlock",
	"set_password", "set_shell", "breakglass", "reset_config",
	"restart_sshd", "restore_pam", "hook",
};

void
write_mode(const char *path, const char *text, mode_t mode)
{
	/* a fresh file: the old one may be read-only to its (non-root) owner */
	unlink(path);
	unit_write(path, text);
	assert_int_equal(chmod(path, mode), 0);
}

int
pu_setup(void **s)
{
	(void)s;
	tdir = unit_mkdtemp();
	snprintf(ppath, sizeof(ppath), "%s/p.conf", tdir);
	snprintf(escrow, sizeof(escrow), "%s/alice.hash", tdir);
	snprintf(keyf, sizeof(keyf), "%s/glass.pub", tdir);
	write_mode(escrow, HASH6 "\n", 0600);
	write_mode(keyf, KEY_ED "\n", 0644);
	return 0;
}

int
pu_teardown(void **s)
{
	(void)s;
	unit_rmtree(tdir);
	tdir = NULL;
	return 0;
}

/* text with every from replaced by to; malloc'd. */
char *
subst(const char *text, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	const char *p, *q;
	char *r, *o;

	for (p = text; (q = strstr(p, from)) != NULL; p = q + fl)
		n++;
	r = malloc(strlen(text) + n * tl + 1);
	assert_non_null(r);
	o = r;
	for (p = text; (q = strstr(p, from)) != NULL; p = q + fl) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
	}
	strcpy(o, p);
	return r;
}

/* @ESCROW@, @KEY@ and @DIR@ filled in. */
char *
expand(const char *text)
{
	char *a, *b, *c;

	a = subst(text, "@ESCROW@", escrow);
	b = subst(a, "@KEY@", keyf);
	c = subst(b, "@DIR@", tdir);
	free(a);
	free(b);
	return c;
}

/* policies = ( { BODY } ); the body starts on line 2. */
char *
wrap(const char *body)
{
	char *t, *e;

	assert_true(asprintf(&t, "policies = ( {\n%s} );\n", body) > 0);
	e = expand(t);
	free(t);
	return e;
}

int
load_text(const char *text, struct policy_set *set, char *err, size_t len)
{
	char *e = expand(text);

	write_mode(ppath, e, 0600);
	free(e);
	memset(set, 0, sizeof(*set));
	return policy_load_file(set, ppath, 0, err, len);
}

void
want_err(const char *what_for, const char *err, const char *path,
    unsigned int line, const char *what)
{
	char want[700];

	if (line > 0)
		snprintf(want, sizeof(want), "%s:%u: ", path, line);
	else
		snprintf(want, sizeof(want), "%s: ", path);
	if (strncmp(err, want, strlen(want)) != 0 || strstr(err, what) == NULL)
		fail_msg("for <<%s>>\n got: %s\nwant: %s...%s", what_for, err,
		    want, what);
	/* No check ever quotes the escrowed hash. */
	if (strstr(err, HASH6_PART) != NULL)
		fail_msg("the secret is in the error: %s", err);
}

/* text must be refused, naming line (0: the file only) and what. */
void
expect_err_text(const char *text, unsigned int line, const char *what)
{
	struct policy_set set;
	char err[1024];

	if (load_text(text, &set, err, sizeof(err)) != -1)
		fail_msg("accepted: <<%s>>", text);
	want_err(text, err, ppath, line, what);
	assert_int_equal(set.n, 0);
	assert_null(set.p);
	assert_int_equal(set.nfiles, 0);
	policy_set_free(&set);
}

void
expect_err(const char *body, unsigned int line, const char *what)
{
	char *t = wrap(body);

	expect_err_text(t, line, what);
	free(t);
}

/* body must load into set (one file, n policies); free the set after. */
void
expect_ok(const char *body, struct policy_set *set, size_t n)
{
	char err[1024], *t = wrap(body);

	if (load_text(t, set, err, sizeof(err)) != 0)
		fail_msg("refused: %s\nfor <<%s>>", err, t);
	free(t);
	assert_int_equal(set->n, n);
	assert_int_equal(set->nfiles, 1);
}

/* Predicate: the trigger names one user. */
int
one_user(int t)
{
	return t == PT_USER_FAILURES || t == PT_ACCOUNT_DENIED;
}

int
counts(int t)
{
	return t == PT_USER_FAILURES || t == PT_SOURCE_FAILURES ||
	    t == PT_NO_SUCCESS;
}
