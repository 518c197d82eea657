/*
 * Unit tests for lib/closure.c: Include/HostKey handling as sshd 9.2 reads
 * it, file states, bounds, dirs, digest, and a cross-check with real sshd.
 */
#include "unit.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>

#include "closure.h"
#include "misc.h"
#include "xmalloc.h"

struct fx {
	char	*dir;
	struct closure cl;
};

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	fx->dir = unit_mkdtemp();
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	closure_free(&fx->cl);
	unit_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* fx->dir + "/" + rel, in a static ring so a test can hold a few. */
static const char *
P(struct fx *fx, const char *rel)
{
	static char ring[8][4096];
	static int k;
	char *b = ring[k++ % 8];

	snprintf(b, sizeof(ring[0]), "%s/%s", fx->dir, rel);
	return b;
}

static void
W(struct fx *fx, const char *rel, const char *text)
{
	unit_write(P(fx, rel), text);
}

static void
MK(struct fx *fx, const char *rel)
{
	assert_int_equal(mkdir(P(fx, rel), 0755), 0);
}

static void
readc(struct fx *fx, const char *mainrel)
{
	closure_free(&fx->cl);
	assert_int_equal(closure_read(P(fx, mainrel), fx->dir, &fx->cl), 0);
}

static const struct cl_file *
F(struct fx *fx, const char *rel)
{
	return closure_find(&fx->cl, P(fx, rel));
}

static size_t
count_role(const struct closure *cl, enum cl_role role)
{
	size_t i, n = 0;

	for (i = 0; i < cl->nfiles; i++)
		n += cl->files[i].role == role;
	return n;
}

static int
has_problem(const struct closure *cl, const char *needle)
{
	size_t i;

	for (i = 0; i < cl->nproblems; i++) {
		if (strstr(cl->problems[i], needle) != NULL)
			return 1;
	}
	return 0;
}

static int
has_dir(const struct closure *cl, const char *dir)
{
	size_t i;

	for (i = 0; i < cl->ndirs; i++) {
		if (strcmp(cl->dirs[i], dir) == 0)
			return 1;
	}
	return 0;
}

static void
t_nested(void **state)
{
	struct fx *fx = *state;
	const struct cl_file *f;

	W(fx, "main", "Port 22\nInclude a\n");
	W(fx, "a", "# a\n\nInclude b\n");
	W(fx, "b", "PasswordAuthentication no\n");
	readc(fx, "main");
	assert_int_equal(count_role(&fx->cl, CL_MAIN), 1);
	assert_int_equal(count_role(&fx->cl, CL_INCLUDE), 2);
	assert_string_equal(fx->cl.files[0].path, P(fx, "main"));
	assert_int_equal(fx->cl.files[0].role, CL_MAIN);
	assert_null(fx->cl.files[0].from);
	assert_non_null(f = F(fx, "a"));
	assert_string_equal(f->from, P(fx, "main"));
	assert_int_equal(f->line, 2);
	assert_int_equal(f->depth, 1);
	assert_non_null(f = F(fx, "b"));
	assert_string_equal(f->from, P(fx, "a"));
	assert_int_equal(f->line, 3);
	assert_int_equal(f->depth, 2);
	assert_int_equal(f->state, CL_REG);
	assert_int_equal(f->size, 26);
	assert_true(digest_is_hex(f->sha256));
	assert_string_equal(fx->cl.files[1].path, P(fx, "a"));
	assert_string_equal(fx->cl.files[2].path, P(fx, "b"));
	assert_int_equal(fx->cl.nproblems, 0);
	assert_int_equal(fx->cl.truncated, 0);
	assert_true(has_dir(&fx->cl, fx->dir));
}

static void
t_glob_sorted(void **state)
{
	struct fx *fx = *state;
	const char *names[] = { "B.conf", "_c.conf", "a.conf", "a0.conf",
	    "b.conf" };
	char rel[64];
	size_t i;

	MK(fx, "d");
	/* create in an order that differs from the sorted one */
	for (i = SM_NELEM(names); i-- > 0;) {
		snprintf(rel, sizeof(rel), "d/%s", names[i]);
		W(fx, rel, "X y\n");
	}
	W(fx, "d/ignored.txt", "X y\n");
	W(fx, "main", "Include d/*.conf\n");
	readc(fx, "main");
	assert_int_equal(fx->cl.nfiles, 1 + SM_NELEM(names) + 3);
	for (i = 0; i < SM_NELEM(names); i++) {
		snprintf(rel, sizeof(rel), "d/%s", names[i]);
		assert_string_equal(fx->cl.files[1 + i].path, P(fx, rel));
	}
	assert_null(F(fx, "d/ignored.txt"));
	assert_true(has_dir(&fx->cl, P(fx, "d")));
}

static void
t_relative_sshdir(void **state)
{
	struct fx *fx = *state;
	char *other = unit_mkdtemp(), *m;
	struct closure cl;

	/* relative Include is against sshdir, not the main file's dir */
	W(fx, "inc.conf", "X y\n");
	xasprintf(&m, "%s/main", other);
	unit_write(m, "Include inc.conf\nInclude sub/*.conf\n");
	assert_int_equal(closure_read(m, fx->dir, &cl), 0);
	assert_non_null(closure_find(&cl, P(fx, "inc.conf")));
	assert_int_equal(closure_find(&cl, P(fx, "inc.conf"))->state, CL_REG);
	/* the missing glob dir is watched through its nearest parent */
	assert_true(has_dir(&cl, fx->dir));
	assert_true(has_dir(&cl, other));
	closure_free(&cl);
	/* a trailing slash on sshdir changes nothing */
	assert_int_equal(closure_read(m, P(fx, ""), &cl), 0);
	assert_non_null(closure_find(&cl, P(fx, "inc.conf")));
	closure_free(&cl);
	free(m);
	unit_rmtree(other);
}

static void
t_tokens(void **state)
{
	struct fx *fx = *state;

	W(fx, "main",
	    "Include a b\n"
	    "Include \"with space\"\n"
	    "Include=c\n"
	    "Include = d\n"
	    "iNcLuDe e\n"
	    "# Include f\n"
	    "   # Include f\n"
	    "Include g # h\n"
	    "Include i#j\n"
	    "\tInclude k\r\n"
	    "\"Include\" l\n"
	    "Include with\\ esc\n"
	    "Include 'sq'\n");
	W(fx, "a", "");
	W(fx, "b", "");
	W(fx, "with space", "");
	W(fx, "c", "");
	W(fx, "d", "");
	W(fx, "e", "");
	W(fx, "f", "");
	W(fx, "g", "");
	W(fx, "h", "");
	W(fx, "i#j", "");
	W(fx, "k", "");
	W(fx, "l", "");
	W(fx, "with esc", "");
	W(fx, "sq", "");
	readc(fx, "main");
	assert_non_null(F(fx, "a"));
	assert_non_null(F(fx, "b"));
	assert_int_equal(F(fx, "a")->line, 1);
	assert_int_equal(F(fx, "b")->line, 1);
	assert_non_null(F(fx, "with space"));
	assert_non_null(F(fx, "c"));
	assert_non_null(F(fx, "d"));
	assert_non_null(F(fx, "e"));
	assert_null(F(fx, "f"));
	assert_non_null(F(fx, "g"));
	assert_null(F(fx, "h"));
	assert_non_null(F(fx, "i#j"));
	assert_non_null(F(fx, "k"));
	assert_int_equal(F(fx, "k")->line, 10);
	assert_non_null(F(fx, "l"));
	assert_non_null(F(fx, "with esc"));
	assert_non_null(F(fx, "sq"));
	assert_int_equal(fx->cl.nproblems, 0);
}

static void
t_bad_include_lines(void **state)
{
	struct fx *fx = *state;
	char want[4200];

	W(fx, "main", "Include\nInclude \"\"\nInclude #x\nInclude \"open\n"
	    "Port\n");
	readc(fx, "main");
	assert_int_equal(count_role(&fx->cl, CL_INCLUDE), 0);
	snprintf(want, sizeof(want), "%s:1: no argument", P(fx, "main"));
	assert_true(has_problem(&fx->cl, want));
	snprintf(want, sizeof(want), "%s:2: Include: empty", P(fx, "main"));
	assert_true(has_problem(&fx->cl, want));
	snprintf(want, sizeof(want), "%s:3: Include: missing", P(fx, "main"));
	assert_true(has_problem(&fx->cl, want));
	snprintf(want, sizeof(want), "%s:4: invalid quotes", P(fx, "main"));
	assert_true(has_problem(&fx->cl, want));
	snprintf(want, sizeof(want), "%s:5: no argument", P(fx, "main"));
	assert_true(has_problem(&fx->cl, want));
}

static void
t_missing_include(void **state)
{
	struct fx *fx = *state;
	const struct cl_file *f;

	W(fx, "main", "Include nothere\nInclude nodir/*.conf\n"
	    "Include /nonexistent-sshmedic/x/y.conf\n");
	readc(fx, "main");
	/* named without wildcards: recorded as missing; a glob: nothing */
	assert_non_null(f = F(fx, "nothere"));
	assert_int_equal(f->state, CL_MISSING);
	assert_int_equal(f->role, CL_INCLUDE);
	assert_int_equal(fx->cl.nfiles, 1 + 2 + 3);
	assert_int_equal(fx->cl.nproblems, 0);
	assert_true(has_dir(&fx->cl, fx->dir));
	assert_true(has_dir(&fx->cl, "/"));
	assert_false(has_dir(&fx->cl, P(fx, "nodir")));
}

static void
t_dirs_nearest_parent(void **state)
{
	struct fx *fx = *state;

	W(fx, "main", "Include conf.d/sub/*.conf\n");
	readc(fx, "main");
	assert_true(has_dir(&fx->cl, fx->dir));
	assert_false(has_dir(&fx->cl, P(fx, "conf.d/sub")));
	MK(fx, "conf.d");
	readc(fx, "main");
	assert_true(has_dir(&fx->cl, P(fx, "conf.d")));
	MK(fx, "conf.d/sub");
	readc(fx, "main");
	assert_true(has_dir(&fx->cl, P(fx, "conf.d/sub")));
	/* a wildcard in a directory component: watch the part before it */
	W(fx, "main", "Include c*/x.conf\n");
	readc(fx, "main");
	assert_true(has_dir(&fx->cl, fx->dir));
}

static void
t_include_in_match(void **state)
{
	struct fx *fx = *state;

	W(fx, "main", "Match User nobody\n  Include m.conf\n"
	    "Match all\nInclude n.conf\n");
	W(fx, "m.conf", "X y\n");
	W(fx, "n.conf", "X y\n");
	readc(fx, "main");
	assert_non_null(F(fx, "m.conf"));
	assert_int_equal(F(fx, "m.conf")->state, CL_REG);
	assert_non_null(F(fx, "n.conf"));
}

/* main -> c1 -> ... -> cn, absolute names so real sshd follows them too. */
static void
chain(struct fx *fx, int n)
{
	char name[32], next[32], text[4200];
	int i;

	snprintf(text, sizeof(text), "Include %s\n", P(fx, "c1"));
	W(fx, "main", text);
	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		snprintf(next, sizeof(next), "c%d", i + 1);
		snprintf(text, sizeof(text), "Include %s\n", P(fx, next));
		W(fx, name, i == n ? "X y\n" : text);
	}
}

static void
t_depth_16_ok(void **state)
{
	struct fx *fx = *state;

	chain(fx, 16);
	readc(fx, "main");
	assert_int_equal(fx->cl.truncated, 0);
	assert_int_equal(fx->cl.nproblems, 0);
	assert_int_equal(F(fx, "c16")->depth, 16);
	assert_int_equal(count_role(&fx->cl, CL_INCLUDE), 16);
}

static void
t_depth_17_exceeded(void **state)
{
	struct fx *fx = *state;

	chain(fx, 17);
	W(fx, "c17", "Include c18\n");
	W(fx, "c18", "X y\n");
	readc(fx, "main");
	assert_int_equal(fx->cl.truncated, 1);
	assert_true(has_problem(&fx->cl, "too many recursive"));
	/* sshd reads c17 before refusing it, and never reaches c18 */
	assert_non_null(F(fx, "c17"));
	assert_int_equal(F(fx, "c17")->depth, 17);
	assert_null(F(fx, "c18"));
}

static void
t_self_include(void **state)
{
	struct fx *fx = *state;

	W(fx, "main", "Include self\n");
	W(fx, "self", "Include self\nInclude self\nInclude self\n");
	readc(fx, "main");
	assert_int_equal(fx->cl.truncated, 1);
	assert_true(has_problem(&fx->cl, "too many recursive"));
	assert_int_equal(count_role(&fx->cl, CL_INCLUDE), 1);
	/* a main that includes itself, through a glob */
	MK(fx, "g");
	W(fx, "g/a.conf", "Include g/*.conf\n");
	W(fx, "main", "Include g/*.conf\n");
	readc(fx, "main");
	assert_int_equal(fx->cl.truncated, 1);
}

static void
t_include_bomb(void **state)
{
	struct fx *fx = *state;
	char rel[64], *text;
	int i;

	/* every file includes the whole glob twice: exponential in sshd */
	MK(fx, "g");
	xasprintf(&text, "Include g/*.conf\nInclude g/*.conf\n");
	for (i = 0; i < 40; i++) {
		snprintf(rel, sizeof(rel), "g/%02d.conf", i);
		W(fx, rel, text);
	}
	free(text);
	W(fx, "main", "Include g/*.conf\n");
	readc(fx, "main");
	assert_int_equal(fx->cl.truncated, 1);
	assert_int_equal(count_role(&fx->cl, CL_INCLUDE), 40);
	assert_true(has_problem(&fx->cl, "too many recursive"));
	assert_true(has_problem(&fx->cl, "re-read too often"));
	assert_true(fx->cl.nproblems <= 64);
}

/* Exit status of sshd -t -f conf, or -1 when there is no sshd here. */
static int
sshd_check(struct fx *fx, const char *conf)
{
	char *cmd;
	int r;

	if (access("/usr/sbin/sshd", X_OK) != 0 ||
	    access("/usr/bin/ssh-keygen", X_OK) != 0)
		return -1;
	if (access(P(fx, "hk"), R_OK) != 0) {
		xasprintf(&cmd, "ssh-keygen -q -t ed25519 -N '' -f '%s' "
		    ">/dev/null", P(fx, "hk"));
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	xasprintf(&cmd, "/usr/sbin/sshd -t -f '%s' >/dev/null 2>&1", conf);
	r = system(cmd);
	free(cmd);
	return r;
}

static void
t_glob_cache(void **state)
{
	struct fx *fx = *state;
	char *inc, *text;
	int r;

	/*
	 * sshd caches each matched file under its glob only after parsing it:
	 * a later file including the same glob re-reads the earlier ones and
	 * does not loop, an earlier one including it loops to the limit.
	 */
	MK(fx, "g");
	xasprintf(&inc, "Include %s\n", P(fx, "g/*.conf"));
	xasprintf(&text, "HostKey %s\n%s", P(fx, "hk"), inc);
	W(fx, "main", text);
	W(fx, "g/a.conf", "PermitRootLogin no\n");
	W(fx, "g/b.conf", inc);
	readc(fx, "main");
	assert_int_equal(fx->cl.truncated, 0);
	assert_int_equal(fx->cl.nproblems, 0);
	r = sshd_check(fx, P(fx, "main"));
	assert_true(r == -1 || r == 0);
	W(fx, "g/a.conf", inc);
	W(fx, "g/b.conf", "PermitRootLogin no\n");
	readc(fx, "main");
	assert_int_equal(fx->cl.truncated, 1);
	assert_true(has_problem(&fx->cl, "too many recursive"));
	assert_int_not_equal(sshd_check(fx, P(fx, "main")), 0);
	free(inc);
	free(text);
}

static void
t_main_states(void **state)
{
	struct fx *fx = *state;
	const struct cl_file *f;

	readc(fx, "nomain");
	assert_int_equal(fx->cl.files[0].state, CL_MISSING);
	assert_int_equal(fx->cl.files[0].role, CL_MAIN);
	assert_true(has_problem(&fx->cl, "No such file"));
	assert_int_equal(count_role(&fx->cl, CL_HOSTKEY), 3);
	/* sshd reads a directory as an empty file: no problem */
	MK(fx, "dmain");
	readc(fx, "dmain");
	assert_int_equal(fx->cl.files[0].state, CL_DIR);
	assert_int_equal(fx->cl.nproblems, 0);
	/* empty */
	W(fx, "empty", "");
	readc(fx, "empty");
	f = &fx->cl.files[0];
	assert_int_equal(f->state, CL_REG);
	assert_int_equal(f->size, 0);
	assert_string_equal(f->sha256, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	/* a missing main in a missing dir: the nearest parent is watched */
	readc(fx, "no/such/main");
	assert_true(has_dir(&fx->cl, fx->dir));
}

static void
t_symlinks(void **state)
{
	struct fx *fx = *state;
	const struct cl_file *f;

	MK(fx, "d");
	MK(fx, "real");
	W(fx, "real/target", "Include inner\n");
	W(fx, "inner", "X y\n");
	assert_int_equal(symlink(P(fx, "real/target"), P(fx, "d/link.conf")),
	    0);
	assert_int_equal(symlink(P(fx, "gone"), P(fx, "d/dangling.conf")), 0);
	assert_int_equal(symlink("loop.conf", P(fx, "d/loop.conf")), 0);
	W(fx, "main", "Include d/*.conf\n");
	readc(fx, "main");
	assert_non_null(f = F(fx, "d/link.conf"));
	assert_int_equal(f->state, CL_REG);
	assert_int_equal(f->is_symlink, 1);
	assert_int_equal(f->size, 14);
	assert_non_null(F(fx, "inner"));
	assert_true(has_dir(&fx->cl, P(fx, "real")));
	assert_non_null(f = F(fx, "d/dangling.conf"));
	assert_int_equal(f->state, CL_DANGLING);
	assert_int_equal(f->is_symlink, 1);
	assert_string_equal(f->sha256, "");
	assert_non_null(f = F(fx, "d/loop.conf"));
	assert_int_equal(f->state, CL_UNREADABLE);
	assert_int_equal(f->err, ELOOP);
	assert_true(has_problem(&fx->cl, "dangling.conf"));
}

static void
t_other_types(void **state)
{
	struct fx *fx = *state;

	MK(fx, "d");
	assert_int_equal(mkfifo(P(fx, "d/fifo.conf"), 0644), 0);
	MK(fx, "d/sub.conf");
	W(fx, "main", "Include d/*.conf\n");
	readc(fx, "main");
	assert_int_equal(F(fx, "d/fifo.conf")->state, CL_OTHER);
	assert_int_equal(F(fx, "d/sub.conf")->state, CL_DIR);
	assert_true(has_problem(&fx->cl, "not a regular file"));
}

static void
write_size(const char *path, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char buf[4096];
	size_t w;

	assert_true(fd >= 0);
	memset(buf, '#', sizeof(buf));
	while (n > 0) {
		w = n < sizeof(buf) ? n : sizeof(buf);
		assert_int_equal(write(fd, buf, w), (ssize_t)w);
		n -= w;
	}
	assert_int_equal(close(fd), 0);
}

static void
t_size_limit(void **state)
{
	struct fx *fx = *state;
	const struct cl_file *f;
	char dg[DIGEST_HEX_LEN + 1];

	write_size(P(fx, "max"), CLOSURE_MAX_FILE_SIZE);
	write_size(P(fx, "over"), CLOSURE_MAX_FILE_SIZE + 1);
	W(fx, "main", "Include max over\n");
	readc(fx, "main");
	assert_non_null(f = F(fx, "max"));
	assert_int_equal(f->state, CL_REG);
	assert_int_equal(f->size, CLOSURE_MAX_FILE_SIZE);
	assert_true(digest_is_hex(f->sha256));
	assert_non_null(f = F(fx, "over"));
	assert_int_equal(f->state, CL_TOOBIG);
	assert_int_equal(f->size, CLOSURE_MAX_FILE_SIZE + 1);
	assert_string_equal(f->sha256, "");
	assert_true(has_problem(&fx->cl, "too big"));
	/* a too-big file still changes the digest when it changes */
	sm_strlcpy(dg, fx->cl.digest, sizeof(dg));
	write_size(P(fx, "over"), CLOSURE_MAX_FILE_SIZE + 2);
	readc(fx, "main");
	assert_string_not_equal(dg, fx->cl.digest);
}

static void
t_garbage(void **state)
{
	struct fx *fx = *state;
	static const char tail[] = "\n\nInclude x\0junk\nInclude y\n"
	    "Include z\nInclude w\0\nInclude v\n";
	unsigned char buf[8192];
	size_t i;
	FILE *f;
	uint32_t x = 2463534242u;

	for (i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	assert_non_null(f = fopen(P(fx, "main"), "w"));
	assert_int_equal(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	/* sshd drops a line from its NUL byte on, newline included */
	assert_int_equal(fwrite(tail, 1, sizeof(tail) - 1, f),
	    sizeof(tail) - 1);
	assert_int_equal(fclose(f), 0);
	W(fx, "x", "");
	W(fx, "y", "");
	W(fx, "z", "");
	W(fx, "w", "");
	W(fx, "v", "");
	W(fx, "xInclude", "");
	W(fx, "wInclude", "");
	readc(fx, "main");
	assert_int_equal(fx->cl.files[0].state, CL_REG);
	assert_true(digest_is_hex(fx->cl.files[0].sha256));
	/* "Include x" and "Include y" joined: "xInclude" and "y" */
	assert_null(F(fx, "x"));
	assert_non_null(F(fx, "xInclude"));
	assert_non_null(F(fx, "y"));
	assert_int_equal(F(fx, "y")->line, F(fx, "xInclude")->line);
	assert_int_equal(F(fx, "z")->line, F(fx, "y")->line + 1);
	assert_non_null(F(fx, "z"));
	assert_null(F(fx, "w"));
	assert_non_null(F(fx, "wInclude"));
	assert_non_null(F(fx, "v"));
}

static void
many(struct fx *fx, int n)
{
	char rel[64];
	int i;

	MK(fx, "many");
	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "many/%04d.conf", i);
		W(fx, rel, "");
	}
	W(fx, "main", "Include many/*\nHostKey hk\n");
}

static void
t_max_files(void **state)
{
	struct fx *fx = *state;

	many(fx, CLOSURE_MAX_FILES - 1);
	readc(fx, "main");
	assert_int_equal(fx->cl.truncated, 0);
	assert_int_equal(fx->cl.nfiles, CLOSURE_MAX_FILES + 1);
	assert_int_equal(count_role(&fx->cl, CL_HOSTKEY), 1);
	W(fx, "many/zzzz.conf", "");
	readc(fx, "main");
	assert_int_equal(fx->cl.truncated, 1);
	assert_int_equal(count_role(&fx->cl, CL_MAIN) +
	    count_role(&fx->cl, CL_INCLUDE), CLOSURE_MAX_FILES);
	assert_null(F(fx, "many/zzzz.conf"));
	/* host keys are still known */
	assert_int_equal(count_role(&fx->cl, CL_HOSTKEY), 1);
	assert_true(has_problem(&fx->cl, "more than"));
}

static void
t_hostkeys(void **state)
{
	struct fx *fx = *state;
	const struct cl_file *f;
	char *cwd, *rel;

	/* defaults under sshdir, in sshd's order */
	W(fx, "main", "Port 22\n");
	W(fx, "ssh_host_ed25519_key", "PRIVATE");
	readc(fx, "main");
	assert_int_equal(fx->cl.nfiles, 4);
	assert_string_equal(fx->cl.files[1].path,
	    P(fx, "ssh_host_rsa_key"));
	assert_string_equal(fx->cl.files[2].path,
	    P(fx, "ssh_host_ecdsa_key"));
	assert_string_equal(fx->cl.files[3].path,
	    P(fx, "ssh_host_ed25519_key"));
	assert_int_equal(fx->cl.files[1].state, CL_MISSING);
	f = &fx->cl.files[3];
	assert_int_equal(f->role, CL_HOSTKEY);
	assert_int_equal(f->state, CL_REG);
	assert_int_equal(f->size, 7);
	/* never hashed */
	assert_string_equal(f->sha256, "");
	/* explicit, from an included file, no defaults then */
	W(fx, "main", "Include inc\nHostKey /abs/key\n");
	W(fx, "inc", "HostKey ssh_host_ed25519_key\nHostKey /abs/key\n");
	cwd = getcwd(NULL, 0);
	assert_int_equal(chdir(fx->dir), 0);
	readc(fx, "main");
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	assert_int_equal(count_role(&fx->cl, CL_HOSTKEY), 2);
	/* relative HostKey paths are relative to the cwd, as in sshd */
	assert_non_null(f = F(fx, "ssh_host_ed25519_key"));
	assert_string_equal(f->from, P(fx, "inc"));
	assert_int_equal(f->line, 1);
	assert_null(F(fx, "ssh_host_rsa_key"));
	assert_non_null(closure_find(&fx->cl, "/abs/key"));
	/* HostKey none: no key and no defaults */
	W(fx, "main", "HostKey none\n");
	readc(fx, "main");
	assert_int_equal(count_role(&fx->cl, CL_HOSTKEY), 0);
	/* in a Match block: sshd refuses; after Match all: accepted */
	W(fx, "main", "Match User x\nHostKey /k1\nMatch all\nHostKey /k2\n");
	readc(fx, "main");
	assert_true(has_problem(&fx->cl, "not allowed within a Match"));
	assert_null(closure_find(&fx->cl, "/k1"));
	assert_non_null(closure_find(&fx->cl, "/k2"));
	/* an included file inherits the inactive block */
	W(fx, "main", "Match User x\nInclude inc\n");
	W(fx, "inc", "HostKey /k3\n");
	readc(fx, "main");
	assert_true(has_problem(&fx->cl, "not allowed within a Match"));
	assert_int_equal(count_role(&fx->cl, CL_HOSTKEY), 3);
	/* a directory where a key should be */
	xasprintf(&rel, "HostKey %s\n", P(fx, "kdir"));
	W(fx, "main", rel);
	free(rel);
	MK(fx, "kdir");
	readc(fx, "main");
	assert_int_equal(F(fx, "kdir")->state, CL_DIR);
}

static void
t_digest(void **state)
{
	struct fx *fx = *state;
	char d1[DIGEST_HEX_LEN + 1];

	MK(fx, "d");
	W(fx, "d/a.conf", "PermitRootLogin no\n");
	W(fx, "main", "Include d/*.conf\n");
	W(fx, "ssh_host_rsa_key", "K");
	readc(fx, "main");
	assert_true(digest_is_hex(fx->cl.digest));
	sm_strlcpy(d1, fx->cl.digest, sizeof(d1));
	readc(fx, "main");
	assert_string_equal(d1, fx->cl.digest);
	/* one byte */
	W(fx, "d/a.conf", "PermitRootLogin yes\n");
	readc(fx, "main");
	assert_string_not_equal(d1, fx->cl.digest);
	W(fx, "d/a.conf", "PermitRootLogin no\n");
	readc(fx, "main");
	assert_string_equal(d1, fx->cl.digest);
	/* a chmod, of a config file and of a host key */
	assert_int_equal(chmod(P(fx, "d/a.conf"), 0600), 0);
	readc(fx, "main");
	assert_string_not_equal(d1, fx->cl.digest);
	assert_int_equal(chmod(P(fx, "d/a.conf"), 0644), 0);
	readc(fx, "main");
	assert_string_equal(d1, fx->cl.digest);
	assert_int_equal(chmod(P(fx, "ssh_host_rsa_key"), 0600), 0);
	readc(fx, "main");
	assert_string_not_equal(d1, fx->cl.digest);
	assert_int_equal(chmod(P(fx, "ssh_host_rsa_key"), 0644), 0);
	readc(fx, "main");
	assert_string_equal(d1, fx->cl.digest);
	/* a chown */
	assert_int_equal(chown(P(fx, "d/a.conf"), 1, 1), 0);
	readc(fx, "main");
	assert_string_not_equal(d1, fx->cl.digest);
	assert_int_equal(chown(P(fx, "d/a.conf"), 0, 0), 0);
	/* a new file in the globbed directory */
	W(fx, "d/b.conf", "");
	readc(fx, "main");
	assert_string_not_equal(d1, fx->cl.digest);
	assert_int_equal(unlink(P(fx, "d/b.conf")), 0);
	readc(fx, "main");
	assert_string_equal(d1, fx->cl.digest);
	/* a host key disappearing */
	assert_int_equal(unlink(P(fx, "ssh_host_rsa_key")), 0);
	readc(fx, "main");
	assert_string_not_equal(d1, fx->cl.digest);
}

static void
t_names(void **state)
{
	int i;

	(void)state;
	for (i = CL_MAIN; i <= CL_HOSTKEY; i++)
		assert_int_equal(closure_role_from_name(
		    closure_role_name((enum cl_role)i)), i);
	for (i = CL_REG; i <= CL_TOOBIG; i++)
		assert_int_equal(closure_state_from_name(
		    closure_state_name((enum cl_state)i)), i);
	assert_string_equal(closure_role_name(CL_INCLUDE), "include");
	assert_string_equal(closure_state_name(CL_DANGLING), "dangling");
	assert_string_equal(closure_state_name((enum cl_state)99), "unknown");
	assert_int_equal(closure_role_from_name("Main"), -1);
	assert_int_equal(closure_role_from_name(""), -1);
	assert_int_equal(closure_role_from_name(NULL), -1);
	assert_int_equal(closure_state_from_name("regular"), -1);
	assert_null(closure_find(NULL, "/x"));
}

static void
t_bad_args(void **state)
{
	struct closure cl;

	(void)state;
	assert_int_equal(closure_read(NULL, "/etc/ssh", &cl), -1);
	assert_int_equal(closure_read("", "/etc/ssh", &cl), -1);
	assert_int_equal(closure_read("/x", "", &cl), -1);
	closure_free(&cl);
	closure_free(NULL);
}

/* Appends line to out unless it is there already. */
static void
add_unique(char *out, size_t outlen, const char *line)
{
	char *p = out;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == out || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	strncat(out, line, outlen - strlen(out) - 2);
	strncat(out, "\n", outlen - strlen(out) - 1);
}

/* File names sshd -ddd says it includes, first mention of each, in order. */
static int
sshd_includes(const char *conf, char *out, size_t outlen)
{
	char cmd[8192], line[8192], *p;
	FILE *f;

	*out = '\0';
	snprintf(cmd, sizeof(cmd), "/usr/sbin/sshd -ddd -t -f '%s' 2>&1", conf);
	assert_non_null(f = popen(cmd, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((p = strstr(line, ": including ")) == NULL)
			continue;
		p += strlen(": including ");
		p[strcspn(p, "\r\n")] = '\0';
		add_unique(out, outlen, p);
	}
	return pclose(f);
}

static void
ours(const struct closure *cl, char *out, size_t outlen)
{
	size_t i;

	*out = '\0';
	for (i = 1; i < cl->nfiles; i++) {
		if (cl->files[i].role == CL_INCLUDE &&
		    cl->files[i].state != CL_MISSING)
			add_unique(out, outlen, cl->files[i].path);
	}
}

static void
t_sshd_crosscheck(void **state)
{
	struct fx *fx = *state;
	char *text, want[16384], got[16384];
	int rc;

	if (access("/usr/sbin/sshd", X_OK) != 0 ||
	    access("/usr/bin/ssh-keygen", X_OK) != 0)
		skip();
	xasprintf(&text, "ssh-keygen -q -t ed25519 -N '' -f '%s' >/dev/null",
	    P(fx, "hk"));
	assert_int_equal(system(text), 0);
	free(text);
	MK(fx, "conf.d");
	MK(fx, "conf.d/deep");
	/* sshd resolves relative Includes against its own /etc/ssh: use
	 * absolute names so the sandbox never reads the machine's files */
	xasprintf(&text, "Include %s\n", P(fx, "conf.d/deep/*.conf"));
	W(fx, "conf.d/10-a.conf", text);
	free(text);
	xasprintf(&text, "Match User nobody\n  Include \"%s\"\n",
	    P(fx, "conf.d/m.inc"));
	W(fx, "conf.d/20-b.conf", text);
	free(text);
	W(fx, "conf.d/Z.conf", "# upper case sorts first\n");
	W(fx, "conf.d/m.inc", "PasswordAuthentication no\n");
	xasprintf(&text, "Include=%s\n", P(fx, "nested.inc"));
	W(fx, "conf.d/deep/x.conf", text);
	free(text);
	W(fx, "conf.d/deep/y.conf", "");
	W(fx, "nested.inc", "PermitRootLogin no\n");
	xasprintf(&text, "HostKey %s\ninclude %s/conf.d/*.conf\n"
	    "Include %s/nonexistent-*.conf\n"
	    "Include %s %s\n", P(fx, "hk"), fx->dir, fx->dir,
	    P(fx, "conf.d/10-a.conf"), P(fx, "nested.inc"));
	W(fx, "main", text);
	free(text);
	readc(fx, "main");
	rc = sshd_includes(P(fx, "main"), got, sizeof(got));
	ours(&fx->cl, want, sizeof(want));
	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
	assert_int_equal(fx->cl.nproblems, 0);
	assert_int_equal(count_role(&fx->cl, CL_INCLUDE), 7);
	assert_non_null(closure_find(&fx->cl, P(fx, "hk")));
	assert_int_equal(count_role(&fx->cl, CL_HOSTKEY), 1);

	/* the tokeniser: quotes, '=', case, comments, escapes */
	W(fx, "t a", "");
	W(fx, "t#b", "");
	W(fx, "tc", "");
	W(fx, "t d", "");
	W(fx, "te", "");
	W(fx, "tf", "");
	xasprintf(&text, "HostKey %s\n  iNcLuDe = \"%s\" %s\n"
	    "# Include %s\n\"Include\"=%s # %s\nInclude %s\\ d\r\n"
	    "Include '%s'\n", P(fx, "hk"), P(fx, "t a"), P(fx, "t#b"),
	    P(fx, "tf"), P(fx, "tc"), P(fx, "tf"), P(fx, "t"), P(fx, "te"));
	W(fx, "main", text);
	free(text);
	readc(fx, "main");
	assert_int_equal(sshd_includes(P(fx, "main"), got, sizeof(got)), 0);
	ours(&fx->cl, want, sizeof(want));
	assert_string_equal(got, want);
	assert_int_equal(count_role(&fx->cl, CL_INCLUDE), 5);

	/* past the depth limit both give up */
	chain(fx, 17);
	xasprintf(&text, "HostKey %s\nInclude %s\n", P(fx, "hk"), P(fx, "c1"));
	W(fx, "main", text);
	free(text);
	readc(fx, "main");
	assert_int_equal(fx->cl.truncated, 1);
	assert_int_not_equal(sshd_includes(P(fx, "main"), got, sizeof(got)),
	    0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(t_nested),
		T(t_glob_sorted),
		T(t_relative_sshdir),
		T(t_tokens),
		T(t_bad_include_lines),
		T(t_missing_include),
		T(t_dirs_nearest_parent),
		T(t_include_in_match),
		T(t_depth_16_ok),
		T(t_depth_17_exceeded),
		T(t_self_include),
		T(t_glob_cache),
		T(t_include_bomb),
		T(t_main_states),
		T(t_symlinks),
		T(t_other_types),
		T(t_size_limit),
		T(t_garbage),
		T(t_max_files),
		T(t_hostkeys),
		T(t_digest),
		T(t_names),
		T(t_bad_args),
		T(t_sshd_crosscheck),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
