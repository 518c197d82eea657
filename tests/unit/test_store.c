/*
 * Unit tests for lib/store.c: generations and their manifests (garbage,
 * truncation, bad fields, corrupt blobs), retention, quarantine, state.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "digest.h"
#include "fsutil.h"
#include "misc.h"
#include "store.h"
#include "unit_store.h"

static int
setup(void **state)
{
	*state = unit_store_new("store", 3, 2);
	return 0;
}

static int
teardown(void **state)
{
	return unit_store_teardown(state);
}

/* Fills a closure entry from what is on disk now. */
static void
cl_set(struct cl_file *c, const char *path, enum cl_role role)
{
	struct stat sb;
	char *buf;
	size_t len;

	memset(c, 0, sizeof(*c));
	c->path = strdup(path);
	c->role = role;
	if (stat(path, &sb) == -1) {
		c->state = CL_MISSING;
		return;
	}
	c->state = CL_REG;
	c->uid = sb.st_uid;
	c->gid = sb.st_gid;
	c->mode = sb.st_mode & 07777;
	c->size = sb.st_size;
	if (role != CL_HOSTKEY) {
		assert_int_equal(fs_read_file(path, CLOSURE_MAX_FILE_SIZE, 1,
		    &buf, &len), 0);
		digest_buf(buf, len, c->sha256);
		free(buf);
	}
}

/* A closure of main + given includes (+ an optional host key). */
static void
cl_make(struct closure *cl, const char *main, const char **inc, size_t ninc,
    const char *hostkey)
{
	size_t i;

	memset(cl, 0, sizeof(*cl));
	cl->files = calloc(ninc + 2, sizeof(*cl->files));
	assert_non_null(cl->files);
	cl_set(&cl->files[cl->nfiles++], main, CL_MAIN);
	for (i = 0; i < ninc; i++)
		cl_set(&cl->files[cl->nfiles++], inc[i], CL_INCLUDE);
	if (hostkey != NULL)
		cl_set(&cl->files[cl->nfiles++], hostkey, CL_HOSTKEY);
	digest_buf("x", 1, cl->digest);
}

static void
cl_free(struct closure *cl)
{
	size_t i;

	for (i = 0; i < cl->nfiles; i++)
		free(cl->files[i].path);
	free(cl->files);
}

/* Commits the single-file closure main with content text. */
static unsigned long
commit_text(struct fx *f, const char *text)
{
	struct closure cl;
	unsigned long gen = 0;
	char *main = unit_path(f->tmp, "sshd_config");

	unit_write(main, text);
	cl_make(&cl, main, NULL, 0, NULL);
	assert_int_equal(store_commit(&f->st, &cl, "test", "ev1", &gen), 0);
	cl_free(&cl);
	free(main);
	return gen;
}

static int
count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0))
			n++;
	closedir(d);
	return n;
}

/* Number of blob files under blobs/xx/. */
static int
count_blobs(struct fx *f)
{
	char *b = unit_path(f->sdir, "blobs"), *sub;
	DIR *d = opendir(b);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		sub = unit_path(b, de->d_name);
		n += count_dir(sub);
		free(sub);
	}
	closedir(d);
	free(b);
	return n;
}

static char *
manifest_path(struct fx *f, unsigned long gen)
{
	char *p;

	assert_true(asprintf(&p, "%s/gen/%010lu.manifest", f->sdir, gen) > 0);
	return p;
}

static void
t_empty_store(void **state)
{
	struct fx *f = *state;
	struct manifest m;
	unsigned long *gens;
	char **names, val[16], *bad;
	size_t n;
	struct store st2;

	assert_int_equal(store_list(&f->st, &gens, &n), 0);
	assert_int_equal(n, 0);
	free(gens);
	assert_int_equal(store_latest(&f->st, &m), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_load(&f->st, 1, &m), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_load(&f->st, 0, &m), -1);
	assert_int_equal(store_quarantine_list(&f->st, &names, &n), 0);
	assert_int_equal(n, 0);
	free(names);
	assert_int_equal(store_state_get(&f->st, "paused", val, sizeof(val)), -1);
	assert_int_equal(errno, ENOENT);
	/* A group-writable store directory is refused. */
	bad = unit_path(f->tmp, "bad");
	assert_int_equal(mkdir(bad, 0770), 0);
	assert_int_equal(chmod(bad, 0770), 0);
	assert_int_equal(store_open(&st2, bad, 3, 3), -1);
	assert_int_equal(errno, EPERM);
	free(bad);
}

static void
t_first_generation(void **state)
{
	struct fx *f = *state;
	char *main = unit_path(f->tmp, "sshd_config");
	char *inc = unit_path(f->tmp, "a.conf");
	char *gone = unit_path(f->tmp, "gone.conf");
	char *key = unit_path(f->tmp, "host_key");
	char *cmd, *mf, *keytext, *buf;
	const char *incs[] = { inc, gone };
	const struct mf_entry *e;
	struct closure cl;
	struct manifest m;
	unsigned long gen = 0;
	size_t len;

	unit_write(main, "Include a.conf\nPort 22\n");
	unit_write(inc, "PasswordAuthentication no\n");
	assert_int_equal(chmod(inc, 0600), 0);
	assert_int_equal(chown(inc, 7, 8), 0);
	assert_true(asprintf(&cmd, "ssh-keygen -q -t ed25519 -N '' -f '%s'",
	    key) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	cl_make(&cl, main, incs, 2, key);
	assert_int_equal(store_commit(&f->st, &cl, "served", "evid-1", &gen), 0);
	assert_int_equal(gen, 1);
	mf = manifest_path(f, 1);
	buf = unit_slurp(mf);
	/* No private key material anywhere in the manifest. */
	keytext = unit_slurp(key);
	assert_null(strstr(buf, "PRIVATE"));
	assert_null(strstr(buf, keytext + 40));
	free(keytext);
	free(buf);
	assert_int_equal(count_blobs(f), 2);	/* main + a.conf, no key */

	assert_int_equal(store_load(&f->st, 1, &m), 0);
	assert_int_equal(m.usable, 1);
	assert_int_equal(m.gen, 1);
	assert_int_equal(m.n, 4);
	assert_string_equal(m.reason, "served");
	assert_string_equal(m.evid, "evid-1");
	assert_string_equal(m.digest, cl.digest);
	assert_string_equal(m.e[0].path, main);
	assert_int_equal(m.e[0].role, CL_MAIN);
	e = manifest_find(&m, inc);
	assert_non_null(e);
	assert_int_equal(e->mode, 0600);
	assert_int_equal(e->uid, 7);
	assert_int_equal(e->gid, 8);
	assert_string_equal(e->sha256, cl.files[1].sha256);
	assert_int_equal(e->size, 26);
	e = manifest_find(&m, gone);
	assert_non_null(e);
	assert_int_equal(e->state, CL_MISSING);
	assert_string_equal(e->sha256, "");
	e = manifest_find(&m, key);
	assert_non_null(e);
	assert_int_equal(e->role, CL_HOSTKEY);
	assert_string_equal(e->sha256, "");
	assert_non_null(e->fingerprint);
	assert_memory_equal(e->fingerprint, "SHA256:", 7);
	assert_null(manifest_find(&m, "/nope"));
	assert_int_equal(store_blob_read(&f->st, m.e[0].sha256, &buf, &len), 0);
	assert_string_equal(buf, "Include a.conf\nPort 22\n");
	free(buf);
	manifest_free(&m);
	assert_int_equal(store_latest(&f->st, &m), 0);
	assert_int_equal(m.gen, 1);
	manifest_free(&m);
	/* An invalid closure is not stored. */
	cl.truncated = 1;
	assert_int_equal(store_commit(&f->st, &cl, "x", "e", &gen), -1);
	assert_int_equal(errno, EINVAL);
	cl_free(&cl);
	free(mf);
	free(main);
	free(inc);
	free(gone);
	free(key);
}

static void
t_fingerprint(void **state)
{
	struct fx *f = *state;
	char *key = unit_path(f->tmp, "k"), *cmd, *fp, *out = unit_path(f->tmp, "fp");
	char *want;

	assert_true(asprintf(&cmd, "ssh-keygen -q -t ecdsa -N '' -f '%s' && "
	    "ssh-keygen -l -f '%s' | cut -d' ' -f2 | tr -d '\\n' > '%s'",
	    key, key, out) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	fp = store_hostkey_fingerprint(key);
	assert_non_null(fp);
	want = unit_slurp(out);
	assert_string_equal(fp, want);
	free(want);
	free(fp);
	assert_null(store_hostkey_fingerprint("/nonexistent/key"));
	unit_write(key, "garbage\n");
	assert_null(store_hostkey_fingerprint(key));
	free(key);
	free(out);
}

static void
t_retention(void **state)
{
	struct fx *f = *state;
	struct manifest m;
	unsigned long *gens, g;
	size_t n;
	char *gen1;

	/* keep = 3: exactly at keep nothing goes. */
	assert_int_equal(commit_text(f, "Port 1\n"), 1);
	assert_int_equal(commit_text(f, "Port 2\n"), 2);
	assert_int_equal(commit_text(f, "Port 3\n"), 3);
	assert_int_equal(store_list(&f->st, &gens, &n), 0);
	assert_int_equal(n, 3);
	free(gens);
	assert_int_equal(count_blobs(f), 3);
	/* keep + 1: the oldest manifest and its blob go. */
	assert_int_equal(store_load(&f->st, 1, &m), 0);
	assert_true(asprintf(&gen1, "%s", m.e[0].sha256) > 0);
	manifest_free(&m);
	g = commit_text(f, "Port 4\n");
	assert_int_equal(g, 4);
	assert_int_equal(store_list(&f->st, &gens, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(gens[0], 2);
	assert_int_equal(gens[2], 4);
	free(gens);
	assert_int_equal(count_blobs(f), 3);
	{
		char *b;
		size_t len;

		assert_int_equal(store_blob_read(&f->st, gen1, &b, &len), -1);
		assert_int_equal(errno, ENOENT);
	}
	/* A blob shared by a kept generation survives. */
	assert_int_equal(commit_text(f, "Port 2\n"), 5);
	assert_int_equal(commit_text(f, "Port 6\n"), 6);
	assert_int_equal(store_list(&f->st, &gens, &n), 0);
	assert_int_equal(gens[0], 4);
	free(gens);
	assert_int_equal(count_blobs(f), 3);	/* Port 4, 2, 6 */
	assert_int_equal(store_load(&f->st, 5, &m), 0);
	assert_int_equal(m.usable, 1);
	manifest_free(&m);
	free(gen1);
}

/* Replaces gen 2's manifest with text and expects EBADMSG. */
static void
expect_badmsg(struct fx *f, const char *text, size_t len)
{
	struct manifest m;
	char *p = manifest_path(f, 2);

	assert_int_equal(fs_write_atomic(p, text, len, (uid_t)-1, (gid_t)-1,
	    0600), 0);
	assert_int_equal(store_load(&f->st, 2, &m), -1);
	assert_int_equal(errno, EBADMSG);
	assert_null(m.e);
	free(p);
}

static char *
replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *r;

	assert_non_null(at);
	assert_true(asprintf(&r, "%.*s%s%s", (int)(at - s), s, to,
	    at + strlen(from)) > 0);
	return r;
}

static void
t_bad_manifests(void **state)
{
	struct fx *f = *state;
	struct manifest m;
	char *good, *p, *bad, *entry, sha[80];
	size_t len, i;

	commit_text(f, "Port 1\n");
	assert_int_equal(commit_text(f, "Port 2\n"), 2);
	p = manifest_path(f, 2);
	good = unit_slurp(p);
	len = strlen(good);
	/* The good text loads. */
	assert_int_equal(store_load(&f->st, 2, &m), 0);
	snprintf(sha, sizeof(sha), "%s", m.e[0].sha256);
	manifest_free(&m);
	/* Every truncation, including the empty file, is refused. */
	for (i = 0; i < len; i++)
		expect_badmsg(f, good, i);
	/* Garbage, NUL bytes, junk after end. */
	expect_badmsg(f, "\x7f" "ELF\x01\x02garbage\n", 12);
	expect_badmsg(f, "sshmedic-manifest 1\0gen 2\n", 26);
	bad = replace(good, "end\n", "end\nmore\n");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	bad = replace(good, "sshmedic-manifest 1", "sshmedic-manifest 2");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	bad = replace(good, "gen 2\n", "gen 3\n");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	bad = replace(good, "entries 1\n", "entries 2\n");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	/* Bad hash fields: short, upper case, non-hex, "-" for a reg file. */
	entry = strdup(sha);
	entry[63] = '\0';
	bad = replace(good, sha, entry);
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	entry[0] = 'A';
	entry[63] = 'a';
	bad = replace(good, sha, entry);
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	entry[0] = 'g';
	bad = replace(good, sha, entry);
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	bad = replace(good, sha, "-");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	free(entry);
	/* Other fields: role, state, mode, uid, doubled space. */
	bad = replace(good, "entry main reg", "entry boss reg");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	bad = replace(good, "entry main reg", "entry main dir");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	bad = replace(good, " 0644 ", " 0648 ");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	bad = replace(good, " 0644 ", " 17777 ");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	bad = replace(good, "entry main reg 0", "entry main reg -1");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	bad = replace(good, "entry main reg 0", "entry main reg  0");
	expect_badmsg(f, bad, strlen(bad));
	free(bad);
	/* store_latest falls back past the malformed one. */
	assert_int_equal(store_latest(&f->st, &m), 0);
	assert_int_equal(m.gen, 1);
	manifest_free(&m);
	/* The good text, put back, loads again. */
	assert_int_equal(fs_write_atomic(p, good, len, (uid_t)-1, (gid_t)-1,
	    0600), 0);
	assert_int_equal(store_load(&f->st, 2, &m), 0);
	assert_int_equal(m.usable, 1);
	manifest_free(&m);
	free(good);
	free(p);
}

static void
t_corrupt_blob(void **state)
{
	struct fx *f = *state;
	struct manifest m;
	char *bp, *buf;
	size_t len;
	int fd;
	char c;

	commit_text(f, "Port 1\n");
	commit_text(f, "Port 2\n");
	assert_int_equal(store_load(&f->st, 2, &m), 0);
	assert_true(asprintf(&bp, "%s/blobs/%.2s/%s", f->sdir, m.e[0].sha256,
	    m.e[0].sha256) > 0);
	manifest_free(&m);
	/* One byte flipped. */
	fd = open(bp, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, 5), 1);
	c ^= 1;
	assert_int_equal(pwrite(fd, &c, 1, 5), 1);
	close(fd);
	assert_int_equal(store_load(&f->st, 2, &m), 0);
	assert_int_equal(m.usable, 0);
	assert_non_null(strstr(m.unusable_reason, "corrupt"));
	assert_int_equal(store_blob_read(&f->st, m.e[0].sha256, &buf, &len), -1);
	assert_int_equal(errno, EBADMSG);
	manifest_free(&m);
	assert_int_equal(store_latest(&f->st, &m), 0);
	assert_int_equal(m.gen, 1);
	manifest_free(&m);
	/* Missing blob. */
	assert_int_equal(unlink(bp), 0);
	assert_int_equal(store_load(&f->st, 2, &m), 0);
	assert_int_equal(m.usable, 0);
	assert_non_null(strstr(m.unusable_reason, "missing"));
	manifest_free(&m);
	/* Committing the same content again repairs the blob. */
	assert_int_equal(commit_text(f, "Port 2\n"), 3);
	assert_int_equal(store_load(&f->st, 2, &m), 0);
	assert_int_equal(m.usable, 1);
	manifest_free(&m);
	/* Nothing usable at all. */
	assert_int_equal(store_blob_read(&f->st, "xyz", &buf, &len), -1);
	assert_int_equal(errno, EINVAL);
	free(bp);
}

static void
t_estale(void **state)
{
	struct fx *f = *state;
	char *main = unit_path(f->tmp, "sshd_config");
	char *gone = unit_path(f->tmp, "g.conf");
	const char *incs[] = { gone };
	struct closure cl;
	unsigned long *gens, gen = 0;
	size_t n;

	unit_write(main, "Port 22\n");
	cl_make(&cl, main, incs, 1, NULL);
	unit_write(main, "Port 23\n");	/* the admin edits in between */
	assert_int_equal(store_commit(&f->st, &cl, "r", "e", &gen), -1);
	assert_int_equal(errno, ESTALE);
	cl_free(&cl);
	/* Mode change only. */
	cl_make(&cl, main, incs, 1, NULL);
	assert_int_equal(chmod(main, 0600), 0);
	assert_int_equal(store_commit(&f->st, &cl, "r", "e", &gen), -1);
	assert_int_equal(errno, ESTALE);
	cl_free(&cl);
	/* A missing include that appeared. */
	cl_make(&cl, main, incs, 1, NULL);
	unit_write(gone, "x\n");
	assert_int_equal(store_commit(&f->st, &cl, "r", "e", &gen), -1);
	assert_int_equal(errno, ESTALE);
	/* Deleted main. */
	unlink(gone);
	unlink(main);
	assert_int_equal(store_commit(&f->st, &cl, "r", "e", &gen), -1);
	assert_int_equal(errno, ESTALE);
	cl_free(&cl);
	assert_int_equal(store_list(&f->st, &gens, &n), 0);
	assert_int_equal(n, 0);
	free(gens);
	free(main);
	free(gone);
}

static void
t_enospc(void **state)
{
	struct fx *f = *state;
	char *mnt = unit_path(f->tmp, "small"), *sd, *main = unit_path(f->tmp, "big");
	char *big, *sub;
	struct closure cl;
	struct store st;
	unsigned long gen = 0, *gens;
	size_t n, sz = 200 * 1024;

	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700") == -1) {
		free(mnt);
		free(main);
		skip();
	}
	sd = unit_path(mnt, "store");
	assert_int_equal(store_open(&st, sd, 3, 3), 0);
	big = malloc(sz + 1);
	assert_non_null(big);
	memset(big, '#', sz);
	big[sz] = '\0';
	unit_write(main, big);
	cl_make(&cl, main, NULL, 0, NULL);
	assert_int_equal(store_commit(&st, &cl, "r", "e", &gen), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(store_list(&st, &gens, &n), 0);
	assert_int_equal(n, 0);
	free(gens);
	/* Nothing partial: no blob, no temporary, anywhere. */
	assert_true(asprintf(&sub, "%s/blobs/%.2s", sd, cl.files[0].sha256) > 0);
	assert_true(count_dir(sub) <= 0);
	free(sub);
	sub = unit_path(sd, "gen");
	assert_int_equal(count_dir(sub), 0);
	free(sub);
	store_close(&st);
	cl_free(&cl);
	assert_int_equal(umount(mnt), 0);
	free(big);
	free(sd);
	free(mnt);
	free(main);
}

/* The single event directory for evid (fails the test if not one). */
static char *
qdir_of(struct fx *f, const char *evid)
{
	char **names, *r = NULL;
	size_t n, i;

	assert_int_equal(store_quarantine_list(&f->st, &names, &n), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(names[i] + 16, evid) == 0) {
			assert_null(r);
			assert_true(asprintf(&r, "%s/quarantine/%s", f->sdir,
			    names[i]) > 0);
		}
		free(names[i]);
	}
	free(names);
	assert_non_null(r);
	return r;
}

static void
t_quarantine(void **state)
{
	struct fx *f = *state;
	char *file = unit_path(f->tmp, "sshd_config"), *lnk = unit_path(f->tmp, "lnk");
	char *dir = unit_path(f->tmp, "d"), *inner = unit_path(f->tmp, "d/x.conf");
	char *q, *p, *meta, enc[512], name[600];
	char **names;
	size_t n;
	struct stat sb;

	unit_write(file, "bad config\n");
	assert_int_equal(store_quarantine_add(&f->st, "ev1", file,
	    "sshd -t failed"), 0);
	q = qdir_of(f, "ev1");
	assert_int_equal(strlen(strrchr(q, '/') + 1), 15 + 1 + 3);
	assert_int_equal(path_encode(file, enc, sizeof(enc)), 0);
	snprintf(name, sizeof(name), "%s~1", enc);
	p = unit_path(q, name);
	meta = unit_slurp(p);
	assert_string_equal(meta, "bad config\n");
	free(meta);
	free(p);
	snprintf(name, sizeof(name), "%s~1.meta", enc);
	p = unit_path(q, name);
	meta = unit_slurp(p);
	assert_non_null(strstr(meta, "version=1\n"));
	assert_non_null(strstr(meta, "type=file\n"));
	assert_non_null(strstr(meta, "sshd%20-t%20failed"));
	assert_non_null(strstr(meta, "evid=ev1\n"));
	{
		char line[600];

		snprintf(line, sizeof(line), "\npath=%s\n", enc);
		assert_non_null(strstr(meta, line));
	}
	free(meta);
	free(p);
	/* Never removes the original; the same content twice is one copy. */
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(store_quarantine_add(&f->st, "ev1", file, "again"), 0);
	assert_int_equal(count_dir(q), 2);
	/* A new version gets its own slot. */
	unit_write(file, "worse config\n");
	assert_int_equal(store_quarantine_add(&f->st, "ev1", file, "again"), 0);
	assert_int_equal(count_dir(q), 4);
	/* Symlink: its target text. */
	assert_int_equal(symlink("/tmp/elsewhere", lnk), 0);
	assert_int_equal(store_quarantine_add(&f->st, "ev1", lnk, "link"), 0);
	assert_int_equal(path_encode(lnk, enc, sizeof(enc)), 0);
	snprintf(name, sizeof(name), "%s~1", enc);
	p = unit_path(q, name);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	meta = unit_slurp(p);
	assert_string_equal(meta, "/tmp/elsewhere");
	free(meta);
	free(p);
	snprintf(name, sizeof(name), "%s~1.meta", enc);
	p = unit_path(q, name);
	meta = unit_slurp(p);
	assert_non_null(strstr(meta, "type=symlink\n"));
	assert_non_null(strstr(meta, "target=%2Ftmp%2Felsewhere\n"));
	free(meta);
	free(p);
	/* Directory: listing and its files. */
	assert_int_equal(mkdir(dir, 0755), 0);
	unit_write(inner, "Port 1\n");
	assert_int_equal(store_quarantine_add(&f->st, "ev1", dir, "dir"), 0);
	assert_int_equal(path_encode(dir, enc, sizeof(enc)), 0);
	snprintf(name, sizeof(name), "%s~1.d/x.conf", enc);
	p = unit_path(q, name);
	meta = unit_slurp(p);
	assert_string_equal(meta, "Port 1\n");
	free(meta);
	free(p);
	snprintf(name, sizeof(name), "%s~1.meta", enc);
	p = unit_path(q, name);
	meta = unit_slurp(p);
	assert_non_null(strstr(meta, "type=dir\n"));
	assert_non_null(strstr(meta, "entry=file:x.conf\n"));
	free(meta);
	free(p);
	assert_int_equal(stat(inner, &sb), 0);
	/* Moving aside: same filesystem, so into the quarantine directory. */
	assert_int_equal(store_quarantine_move(&f->st, "ev1", dir, "in the way"), 0);
	assert_int_equal(lstat(dir, &sb), -1);
	snprintf(name, sizeof(name), "%s~2/x.conf", enc);
	p = unit_path(q, name);
	meta = unit_slurp(p);
	assert_string_equal(meta, "Port 1\n");
	free(meta);
	free(p);
	snprintf(name, sizeof(name), "%s~2.meta", enc);
	p = unit_path(q, name);
	meta = unit_slurp(p);
	assert_non_null(strstr(meta, "moved_to="));
	free(meta);
	free(p);
	assert_int_equal(store_quarantine_move(&f->st, "ev1", dir, "x"), -1);
	assert_int_equal(errno, ENOENT);
	/* Errors. */
	assert_int_equal(store_quarantine_add(&f->st, "ev1", dir, "x"), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_quarantine_add(&f->st, "../x", file, "x"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(store_quarantine_add(&f->st, "", file, "x"), -1);
	/* Retention: keep 2 directories, dropping the oldest first. */
	assert_int_equal(store_quarantine_add(&f->st, "ev2", file, "r"), 0);
	assert_int_equal(store_quarantine_list(&f->st, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0] + 16, "ev2");	/* newest first */
	assert_string_equal(names[1] + 16, "ev1");
	free(names[0]);
	free(names[1]);
	free(names);
	assert_int_equal(store_quarantine_add(&f->st, "ev3", file, "r"), 0);
	assert_int_equal(store_quarantine_list(&f->st, &names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0] + 16, "ev3");
	assert_string_equal(names[1] + 16, "ev2");
	free(names[0]);
	free(names[1]);
	free(names);
	assert_int_equal(stat(q, &sb), -1);
	free(q);
	free(file);
	free(lnk);
	free(dir);
	free(inner);
}

static void
t_quarantine_move_xdev(void **state)
{
	struct fx *f = *state;
	char *mnt = unit_path(f->tmp, "other"), *d, *hidden, *q, *meta, *p;
	struct stat sb;
	char enc[512], name[600];

	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") == -1) {
		free(mnt);
		skip();
	}
	d = unit_path(mnt, "sshd_config");
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(store_quarantine_move(&f->st, "evx", d, "dir"), 0);
	assert_int_equal(lstat(d, &sb), -1);
	hidden = unit_path(mnt, ".sshd_config.sshmedic-evx");
	assert_int_equal(lstat(hidden, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	q = qdir_of(f, "evx");
	assert_int_equal(path_encode(d, enc, sizeof(enc)), 0);
	snprintf(name, sizeof(name), "%s~1.meta", enc);
	p = unit_path(q, name);
	meta = unit_slurp(p);
	assert_int_equal(path_encode(hidden, enc, sizeof(enc)), 0);
	snprintf(name, sizeof(name), "moved_to=%s\n", enc);
	assert_non_null(strstr(meta, name));
	free(meta);
	free(p);
	free(q);
	assert_int_equal(umount(mnt), 0);
	free(hidden);
	free(d);
	free(mnt);
}

static void
t_state(void **state)
{
	struct fx *f = *state;
	char val[8], *p;
	struct stat sb;

	assert_int_equal(store_state_get(&f->st, "paused", val, sizeof(val)), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_state_set(&f->st, "paused", "1"), 0);
	assert_int_equal(store_state_set(&f->st, "fight.count", "7"), 0);
	assert_int_equal(store_state_get(&f->st, "paused", val, sizeof(val)), 0);
	assert_string_equal(val, "1");
	assert_int_equal(store_state_set(&f->st, "paused", "0"), 0);
	assert_int_equal(store_state_get(&f->st, "paused", val, sizeof(val)), 0);
	assert_string_equal(val, "0");
	assert_int_equal(store_state_get(&f->st, "fight.count", val, sizeof(val)), 0);
	assert_string_equal(val, "7");
	/* Empty value, value too long for the buffer (max and max+1). */
	assert_int_equal(store_state_set(&f->st, "e", ""), 0);
	assert_int_equal(store_state_get(&f->st, "e", val, sizeof(val)), 0);
	assert_string_equal(val, "");
	assert_int_equal(store_state_set(&f->st, "l", "1234567"), 0);
	assert_int_equal(store_state_get(&f->st, "l", val, sizeof(val)), 0);
	assert_int_equal(store_state_set(&f->st, "l", "12345678"), 0);
	assert_int_equal(store_state_get(&f->st, "l", val, sizeof(val)), -1);
	assert_int_equal(errno, ERANGE);
	/* Removal. */
	assert_int_equal(store_state_set(&f->st, "paused", NULL), 0);
	assert_int_equal(store_state_get(&f->st, "paused", val, sizeof(val)), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(store_state_get(&f->st, "fight.count", val, sizeof(val)), 0);
	/* Bad keys and values. */
	assert_int_equal(store_state_set(&f->st, "a=b", "1"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(store_state_set(&f->st, "", "1"), -1);
	assert_int_equal(store_state_set(&f->st, "k", "a\nb=c"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(store_state_get(&f->st, "a b", val, sizeof(val)), -1);
	assert_int_equal(errno, EINVAL);
	p = unit_path(f->sdir, "guard.state");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* A garbage file: get says EBADMSG, set starts over. */
	unit_write(p, "fight.count=7\nno newline at end");
	assert_int_equal(store_state_get(&f->st, "x", val, sizeof(val)), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(store_state_set(&f->st, "x", "1"), 0);
	assert_int_equal(store_state_get(&f->st, "x", val, sizeof(val)), 0);
	assert_int_equal(store_state_get(&f->st, "fight.count", val, sizeof(val)), 0);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(t_empty_store, setup, teardown),
		cmocka_unit_test_setup_teardown(t_first_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(t_fingerprint, setup, teardown),
		cmocka_unit_test_setup_teardown(t_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(t_bad_manifests, setup, teardown),
		cmocka_unit_test_setup_teardown(t_corrupt_blob, setup, teardown),
		cmocka_unit_test_setup_teardown(t_estale, setup, teardown),
		cmocka_unit_test_setup_teardown(t_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(t_quarantine, setup, teardown),
		cmocka_unit_test_setup_teardown(t_quarantine_move_xdev, setup, teardown),
		cmocka_unit_test_setup_teardown(t_state, setup, teardown),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
