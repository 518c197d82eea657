/*
 * The known-good store: opening it, content-addressed blobs, generations
 * (commit, list, load, latest) and their retention and garbage collection.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

#define GEN_SUFFIX	".manifest"
#define GEN_DIGITS	10

/* See store_int.h: fd, or -1 with errno. */
int
store_subdir(struct store *st, const char *name)
{
	return openat(st->dirfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
}

/* See store_int.h: 0/-1 with errno (ENOTDIR). */
int
store_mkdirat(int dfd, const char *name, mode_t mode)
{
	struct stat sb;

	if (mkdirat(dfd, name, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/*
 * Opens dir as a store, creating it and its subdirectories when create is
 * set; without, an absent store is ENOENT and nothing is made (a dry run
 * must change nothing). 0/-1 with errno.
 */
static int
store_attach(struct store *st, const char *dir, int keep_generations,
    int keep_quarantine, int create)
{
	static const char *subs[] = { "blobs", "gen", "quarantine" };
	struct stat sb;
	size_t i;
	int saved;

	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
	if (create && fs_mkdir_p(dir, 0700) == -1) {
		error_f("mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	st->dirfd = open(dir, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	if (st->dirfd < 0 || fstat(st->dirfd, &sb) == -1) {
		if (create || errno != ENOENT)
			error_f("open %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (sb.st_uid != geteuid() || (sb.st_mode & 022) != 0) {
		error_f("store %s: bad owner %lu or mode %04o", dir,
		    (unsigned long)sb.st_uid, (unsigned)(sb.st_mode & 07777));
		errno = EPERM;
		goto fail;
	}
	for (i = 0; create && i < SM_NELEM(subs); i++) {
		if (store_mkdirat(st->dirfd, subs[i], 0700) == -1) {
			error_f("mkdir %s/%s: %s", dir, subs[i],
			    strerror(errno));
			goto fail;
		}
	}
	st->dir = xstrdup(dir);
	st->keep_generations = keep_generations < 1 ? 1 : keep_generations;
	st->keep_quarantine = keep_quarantine < 1 ? 0 : keep_quarantine;
	return 0;
 fail:
	saved = errno;
	if (st->dirfd >= 0)
		close(st->dirfd);
	st->dirfd = -1;
	errno = saved;
	return -1;
}

/*
 * See store.h: 0/-1 with errno (EPERM for a store directory with the
 * wrong owner or mode). keep_generations < 1 keeps one; keep_quarantine
 * < 1 keeps every quarantine directory (never lose an admin's file).
 */
int
store_open(struct store *st, const char *dir, int keep_generations,
    int keep_quarantine)
{
	return store_attach(st, dir, keep_generations, keep_quarantine, 1);
}

/* See store.h: 0/-1 with errno (ENOENT: no store there). */
int
store_open_existing(struct store *st, const char *dir)
{
	return store_attach(st, dir, 0, 0, 0);
}

void
store_close(struct store *st)
{
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->dir);
	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
}

static int
blob_dir(struct store *st, const char *sha256, int create)
{
	char sub[3];
	int bfd, dfd, saved;

	if (!digest_is_hex(sha256)) {
		errno = EINVAL;
		return -1;
	}
	if ((bfd = store_subdir(st, "blobs")) < 0)
		return -1;
	sub[0] = sha256[0];
	sub[1] = sha256[1];
	sub[2] = '\0';
	if (create && store_mkdirat(bfd, sub, 0700) == -1) {
		saved = errno;
		close(bfd);
		errno = saved;
		return -1;
	}
	dfd = openat(bfd, sub, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	saved = errno;
	close(bfd);
	errno = saved;
	return dfd;
}

/* See store.h: 0/-1 (EBADMSG on mismatch, ENOENT when absent). */
int
store_blob_read(struct store *st, const char *sha256, char **buf, size_t *len)
{
	char got[DIGEST_HEX_LEN + 1];
	int dfd, r, saved;

	*buf = NULL;
	*len = 0;
	if ((dfd = blob_dir(st, sha256, 0)) < 0)
		return -1;
	r = fs_read_fileat(dfd, sha256, FS_READ_MAX, buf, len);
	saved = errno;
	close(dfd);
	errno = saved;
	if (r == -1)
		return -1;
	digest_buf(*buf, *len, got);
	if (strcmp(got, sha256) != 0) {
		free(*buf);
		*buf = NULL;
		*len = 0;
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

/* Stores content under its hash unless an intact copy is already there. */
static int
blob_write(struct store *st, const char *sha256, const char *buf, size_t len)
{
	char *old;
	size_t olen;
	int dfd, r, saved;

	if (store_blob_read(st, sha256, &old, &olen) == 0) {
		free(old);
		return 0;
	}
	if ((dfd = blob_dir(st, sha256, 1)) < 0)
		return -1;
	r = fs_write_atomicat(dfd, sha256, buf, len, (uid_t)-1, (gid_t)-1,
	    0600);
	saved = errno;
	close(dfd);
	errno = saved;
	return r;
}

static int
gen_from_name(const char *name, unsigned long *gen)
{
	char num[GEN_DIGITS + 1];
	long long v;
	size_t i;

	if (strlen(name) != GEN_DIGITS + strlen(GEN_SUFFIX) ||
	    strcmp(name + GEN_DIGITS, GEN_SUFFIX) != 0)
		return -1;
	for (i = 0; i < GEN_DIGITS; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	memcpy(num, name, GEN_DIGITS);
	num[GEN_DIGITS] = '\0';
	if (parse_ll(num, 1, STORE_MAX_GENERATIONS, &v) == -1)
		return -1;
	*gen = (unsigned long)v;
	return 0;
}

static void
gen_name(unsigned long gen, char *buf, size_t len)
{
	snprintf(buf, len, "%0*lu%s", GEN_DIGITS, gen, GEN_SUFFIX);
}

static int
cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* See store.h: 0/-1 with errno. */
int
store_list(struct store *st, unsigned long **gens, size_t *n)
{
	struct dirent *de;
	DIR *d;
	unsigned long g;
	size_t cap = 16;
	int fd;

	*gens = NULL;
	*n = 0;
	if ((fd = store_subdir(st, "gen")) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	*gens = xreallocarray(NULL, cap, sizeof(**gens));
	while ((de = readdir(d)) != NULL) {
		if (gen_from_name(de->d_name, &g) == -1)
			continue;	/* temporaries, strangers */
		if (*n >= STORE_MAX_GENERATIONS)
			break;
		if (*n == cap) {
			cap *= 2;
			*gens = xreallocarray(*gens, cap, sizeof(**gens));
		}
		(*gens)[(*n)++] = g;
	}
	closedir(d);
	qsort(*gens, *n, sizeof(**gens), cmp_ulong);
	return 0;
}

/* See store.h: 0 loaded, -1 (ENOENT, EBADMSG, or a read error). */
int
store_load(struct store *st, unsigned long gen, struct manifest *m)
{
	char name[32], *buf = NULL, *blob;
	size_t len, i;
	int fd, r, saved;

	memset(m, 0, sizeof(*m));
	if (gen < 1 || gen > STORE_MAX_GENERATIONS) {
		errno = ENOENT;
		return -1;
	}
	gen_name(gen, name, sizeof(name));
	if ((fd = store_subdir(st, "gen")) < 0)
		return -1;
	r = fs_read_fileat(fd, name, FS_READ_MAX, &buf, &len);
	saved = errno;
	close(fd);
	if (r == -1) {
		errno = saved;
		return -1;
	}
	if (store_manifest_parse(buf, len, gen, m) == -1) {
		free(buf);
		manifest_free(m);
		error_f("generation %lu: malformed manifest", gen);
		errno = EBADMSG;
		return -1;
	}
	free(buf);
	m->usable = 1;
	for (i = 0; i < m->n; i++) {
		const struct mf_entry *e = &m->e[i];

		if (e->role == CL_HOSTKEY || e->state != CL_REG)
			continue;
		if (store_blob_read(st, e->sha256, &blob, &len) == -1) {
			m->usable = 0;
			xasprintf(&m->unusable_reason, "blob %s of %s %s",
			    e->sha256, e->path, errno == ENOENT ? "missing" :
			    errno == EBADMSG ? "corrupt" : strerror(errno));
			break;
		}
		free(blob);
		if ((off_t)len != e->size) {
			m->usable = 0;
			xasprintf(&m->unusable_reason, "blob %s of %s: size "
			    "%zu, manifest says %lld", e->sha256, e->path, len,
			    (long long)e->size);
			break;
		}
	}
	return 0;
}

/* See store.h: 0 found, -1 with ENOENT when no generation is usable. */
int
store_latest(struct store *st, struct manifest *m)
{
	unsigned long *gens;
	size_t n, i;

	memset(m, 0, sizeof(*m));
	if (store_list(st, &gens, &n) == -1)
		return -1;
	for (i = n; i > 0; i--) {
		if (store_load(st, gens[i - 1], m) == -1)
			continue;
		if (m->usable) {
			free(gens);
			return 0;
		}
		info_f("generation %lu unusable: %s", m->gen,
		    m->unusable_reason);
		manifest_free(m);
	}
	free(gens);
	errno = ENOENT;
	return -1;
}

/*
 * Removes blobs no remaining manifest names. A manifest that cannot be read
 * for a reason other than being malformed stops the collection: better a
 * stray blob than a generation without its content.
 */
static void
gc_blobs(struct store *st)
{
	unsigned long *gens;
	char **refs = NULL, *key;
	size_t n, i, j, nrefs = 0;
	struct manifest m;
	struct dirent *de, *fe;
	DIR *bd = NULL, *sd;
	int bfd, sfd;

	if (store_list(st, &gens, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (store_load(st, gens[i], &m) == -1) {
			if (errno == EBADMSG)
				continue;
			error_f("generation %lu: %s; blobs kept", gens[i],
			    strerror(errno));
			goto out;
		}
		for (j = 0; j < m.n; j++) {
			if (m.e[j].sha256[0] == '\0')
				continue;
			refs = xreallocarray(refs, nrefs + 1, sizeof(*refs));
			refs[nrefs++] = xstrdup(m.e[j].sha256);
		}
		manifest_free(&m);
	}
	qsort(refs, nrefs, sizeof(*refs), sm_strpcmp);
	if ((bfd = store_subdir(st, "blobs")) < 0 ||
	    (bd = fdopendir(bfd)) == NULL) {
		if (bfd >= 0)
			close(bfd);
		goto out;
	}
	while ((de = readdir(bd)) != NULL) {
		if (strlen(de->d_name) != 2 || de->d_name[0] == '.')
			continue;
		sfd = openat(dirfd(bd), de->d_name,
		    O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
		if (sfd < 0 || (sd = fdopendir(sfd)) == NULL) {
			if (sfd >= 0)
				close(sfd);
			continue;
		}
		while ((fe = readdir(sd)) != NULL) {
			if (!digest_is_hex(fe->d_name))
				continue;
			key = fe->d_name;
			if (nrefs > 0 && bsearch(&key, refs, nrefs,
			    sizeof(*refs), sm_strpcmp) != NULL)
				continue;
			if (unlinkat(dirfd(sd), fe->d_name, 0) == -1)
				error_f("unlink blob %s: %s", fe->d_name,
				    strerror(errno));
			else
				debug_f("blob %s collected", fe->d_name);
		}
		closedir(sd);
		/* Fails while blobs remain; that is fine. */
		(void)unlinkat(dirfd(bd), de->d_name, AT_REMOVEDIR);
	}
	closedir(bd);
 out:
	sm_strv_free(refs, nrefs);
	free(gens);
}

/* Keeps the newest keep_generations manifests, then collects blobs. */
static void
prune_generations(struct store *st)
{
	unsigned long *gens;
	size_t n, i;
	char name[32];
	int fd;

	if (store_list(st, &gens, &n) == -1)
		return;
	if (n > (size_t)st->keep_generations &&
	    (fd = store_subdir(st, "gen")) >= 0) {
		for (i = 0; i < n - (size_t)st->keep_generations; i++) {
			gen_name(gens[i], name, sizeof(name));
			if (unlinkat(fd, name, 0) == -1)
				error_f("unlink %s: %s", name, strerror(errno));
			else
				info_f("generation %lu pruned", gens[i]);
		}
		fsync(fd);
		close(fd);
	}
	free(gens);
	gc_blobs(st);
}

/* Re-reads one closure file and stores it; ESTALE if it changed. */
static int
commit_file(struct store *st, const struct cl_file *f)
{
	char got[DIGEST_HEX_LEN + 1], *buf;
	struct stat sb;
	size_t len;

	if (f->state == CL_MISSING) {
		if (lstat(f->path, &sb) == 0) {
			errno = ESTALE;
			return -1;
		}
		return errno == ENOENT ? 0 : -1;
	}
	if (f->state != CL_REG) {
		errno = EINVAL;
		return -1;
	}
	if (fs_read_file(f->path, CLOSURE_MAX_FILE_SIZE, 1, &buf, &len) == -1) {
		if (errno == ENOENT || errno == EFBIG || errno == EISDIR ||
		    errno == EINVAL)
			errno = ESTALE;
		return -1;
	}
	digest_buf(buf, len, got);
	if (strcmp(got, f->sha256) != 0 || stat(f->path, &sb) == -1 ||
	    sb.st_uid != f->uid || sb.st_gid != f->gid ||
	    (sb.st_mode & 07777) != (f->mode & 07777)) {
		free(buf);
		errno = ESTALE;
		return -1;
	}
	if (blob_write(st, got, buf, len) == -1) {
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

/* See store.h: 0/-1 with errno (ESTALE, EINVAL for a closure not storable). */
int
store_commit(struct store *st, const struct closure *cl, const char *reason,
    const char *evid, unsigned long *gen)
{
	struct store_sbuf b = { NULL, 0, 0 };
	char name[32];
	unsigned long *gens, next;
	size_t n, i;
	int fd, r, saved;

	if (cl->nfiles == 0 || cl->nfiles > CLOSURE_MAX_FILES ||
	    cl->truncated || cl->files[0].role != CL_MAIN) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < cl->nfiles; i++) {
		const struct cl_file *f = &cl->files[i];

		if (f->path == NULL || f->path[0] != '/' ||
		    strlen(f->path) >= STORE_FIELD_MAX ||
		    (f->role != CL_HOSTKEY && f->state == CL_REG &&
		    !digest_is_hex(f->sha256))) {
			errno = EINVAL;
			return -1;
		}
		if (f->role == CL_HOSTKEY)
			continue;
		if (commit_file(st, f) == -1) {
			saved = errno;
			error_f("%s: %s", f->path, strerror(errno));
			errno = saved;
			return -1;
		}
	}
	if (store_list(st, &gens, &n) == -1)
		return -1;
	next = n == 0 ? 1 : gens[n - 1] + 1;
	free(gens);
	if (next > STORE_MAX_GENERATIONS) {
		errno = EOVERFLOW;
		return -1;
	}
	if (store_manifest_text(&b, cl, next, reason, evid) == -1) {
		free(b.p);
		errno = ENAMETOOLONG;
		return -1;
	}
	gen_name(next, name, sizeof(name));
	if ((fd = store_subdir(st, "gen")) < 0) {
		free(b.p);
		return -1;
	}
	r = fs_write_atomicat(fd, name, b.p, b.len, (uid_t)-1, (gid_t)-1,
	    0600);
	saved = errno;
	close(fd);
	free(b.p);
	if (r == -1) {
		error_f("write manifest %s: %s", name, strerror(saved));
		errno = saved;
		return -1;
	}
	*gen = next;
	prune_generations(st);
	return 0;
}
