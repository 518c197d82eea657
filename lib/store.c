/*
 * The known-good store: content-addressed blobs, generation manifests,
 * retention and garbage collection, the quarantine, small state files.
 *
 * Manifest format (gen/NNNNNNNNNN.manifest, text, one record per line, every
 * line ends in '\n', fields separated by exactly one space):
 *
 *   sshmedic-manifest 1
 *   gen <decimal, equal to the number in the file name>
 *   when <seconds since the epoch>
 *   evid <text>
 *   digest <64 hex | ->
 *   reason <text>
 *   entries <count>
 *   entry <role> <state> <uid> <gid> <mode, octal> <size> <sha256 | -> <fingerprint | -> <path>
 *   ... (exactly <count> entry lines, the main config first)
 *   end
 *
 * <text>, <fingerprint> and <path> are encoded with path_encode (misc.h), so
 * they never contain a space or a newline; "-" stands for empty, a literal
 * "-", "." or ".." is written %-escaped. Role and state use the names of
 * closure.h; state is "reg" or "missing". sha256 is set for included and
 * main files in state reg, "-" otherwise; fingerprint only for host keys.
 * Anything else (unknown version, missing or reordered lines, a bad field,
 * a count that does not match, no "end", bytes after it) is EBADMSG.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "spawn.h"
#include "store.h"
#include "xmalloc.h"

#define MF_MAGIC	"sshmedic-manifest 1"
#define MF_LINE_MAX	8192
#define MF_FIELD_MAX	4096	/* decoded path, reason, evid */
#define GEN_SUFFIX	".manifest"
#define GEN_DIGITS	10
#define STATE_FILE	"guard.state"
#define STATE_MAX_KEYS	256
#define STATE_KEY_MAX	64
#define STATE_VAL_MAX	1024
#define KEYGEN_PATH	"/usr/bin/ssh-keygen"
#define KEYGEN_TIMEOUT_MS 5000

/* Growing text buffer for manifests, metas and state files. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void sbuf_addf(struct sbuf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p == NULL ? NULL : b->p + b->len,
		    b->p == NULL ? 0 : b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatal_f("vsnprintf failed");
		if (b->p != NULL && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->p = xreallocarray(b->p, 1, b->cap);
	}
}

/*
 * One text field: path_encode, with "-" for empty and the few strings
 * path_encode refuses or that would read back as "empty" escaped by hand.
 * 0/-1 (ENAMETOOLONG).
 */
static int
store_field_encode(const char *s, char *out, size_t outlen)
{
	const char *lit = NULL;

	if (s == NULL || *s == '\0')
		lit = "-";
	else if (strcmp(s, "-") == 0)
		lit = "%2D";
	else if (strcmp(s, ".") == 0)
		lit = "%2E";
	else if (strcmp(s, "..") == 0)
		lit = "%2E%2E";
	if (lit != NULL) {
		if (sm_strlcpy(out, lit, outlen) >= outlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		return 0;
	}
	return path_encode(s, out, outlen);
}

/* Inverse of store_field_encode, into a malloc'd string. NULL on bad input. */
static char *
store_field_decode(const char *s)
{
	char buf[MF_FIELD_MAX];

	if (strcmp(s, "-") == 0)
		return xstrdup("");
	if (path_decode(s, buf, sizeof(buf)) == -1)
		return NULL;
	return xstrdup(buf);
}

/* Opens a subdirectory of the store without following links. */
static int
store_subdir(struct store *st, const char *name)
{
	return openat(st->dirfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
}

static int
mkdirat_ok(int dfd, const char *name, mode_t mode)
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
 * See store.h: 0/-1 with errno (EPERM for a store directory with the
 * wrong owner or mode). keep_generations < 1 keeps one; keep_quarantine
 * < 1 keeps every quarantine directory (never lose an admin's file).
 */
int
store_open(struct store *st, const char *dir, int keep_generations,
    int keep_quarantine)
{
	static const char *subs[] = { "blobs", "gen", "quarantine" };
	struct stat sb;
	size_t i;
	int saved;

	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
	if (fs_mkdir_p(dir, 0700) == -1) {
		error_f("mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	st->dirfd = open(dir, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	if (st->dirfd < 0 || fstat(st->dirfd, &sb) == -1) {
		error_f("open %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (sb.st_uid != geteuid() || (sb.st_mode & 022) != 0) {
		error_f("store %s: bad owner %lu or mode %04o", dir,
		    (unsigned long)sb.st_uid, (unsigned)(sb.st_mode & 07777));
		errno = EPERM;
		goto fail;
	}
	for (i = 0; i < SM_NELEM(subs); i++) {
		if (mkdirat_ok(st->dirfd, subs[i], 0700) == -1) {
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
	if (create && mkdirat_ok(bfd, sub, 0700) == -1) {
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
	if (digest_buf(*buf, *len, got) == -1 || strcmp(got, sha256) != 0) {
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

/*
 * Cuts the next '\n'-terminated line out of [*cur, end). NULL at the end
 * of the buffer or for a line without its newline, too long, or with a NUL.
 */
static char *
store_next_line(char **cur, char *end, size_t maxlen)
{
	char *s = *cur, *nl;

	if (s >= end)
		return NULL;
	if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return NULL;
	if ((size_t)(nl - s) > maxlen || memchr(s, '\0', (size_t)(nl - s)))
		return NULL;
	*nl = '\0';
	*cur = nl + 1;
	return s;
}

/* Splits line at single spaces into exactly n fields. 0/-1. */
static int
split_fields(char *line, char **f, size_t n)
{
	size_t i = 0;
	char *p = line;

	for (;;) {
		if (i == n || *p == '\0' || *p == ' ')
			return -1;
		f[i++] = p;
		if ((p = strchr(p, ' ')) == NULL)
			break;
		*p++ = '\0';
	}
	return i == n ? 0 : -1;
}

/* "key value" with the given key; returns value or NULL. */
static char *
keyed(char *line, const char *key)
{
	size_t kl = strlen(key);

	if (line == NULL || strncmp(line, key, kl) != 0 || line[kl] != ' ' ||
	    line[kl + 1] == '\0' || strchr(line + kl + 1, ' ') != NULL)
		return NULL;
	return line + kl + 1;
}

static int
parse_mode(const char *s, mode_t *mode)
{
	unsigned long v = 0;
	size_t i;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		v = v * 8 + (unsigned long)(s[i] - '0');
	}
	if (v > 07777)
		return -1;
	*mode = (mode_t)v;
	return 0;
}

static int
parse_entry(char *line, struct mf_entry *e)
{
	char *f[9];
	long long n;
	int role, state;

	if (strncmp(line, "entry ", 6) != 0 || split_fields(line + 6, f, 9))
		return -1;
	if ((role = closure_role_from_name(f[0])) < 0 ||
	    (state = closure_state_from_name(f[1])) < 0 ||
	    (state != CL_REG && state != CL_MISSING))
		return -1;
	e->role = (enum cl_role)role;
	e->state = (enum cl_state)state;
	if (parse_ll(f[2], 0, (long long)UINT32_MAX - 1, &n) == -1)
		return -1;
	e->uid = (uid_t)n;
	if (parse_ll(f[3], 0, (long long)UINT32_MAX - 1, &n) == -1)
		return -1;
	e->gid = (gid_t)n;
	if (parse_mode(f[4], &e->mode) == -1)
		return -1;
	if (parse_ll(f[5], 0, CLOSURE_MAX_FILE_SIZE, &n) == -1)
		return -1;
	e->size = (off_t)n;
	if (e->role != CL_HOSTKEY && e->state == CL_REG) {
		if (!digest_is_hex(f[6]))
			return -1;
		sm_strlcpy(e->sha256, f[6], sizeof(e->sha256));
	} else if (strcmp(f[6], "-") != 0)
		return -1;
	if (strcmp(f[7], "-") != 0) {
		if (e->role != CL_HOSTKEY ||
		    (e->fingerprint = store_field_decode(f[7])) == NULL ||
		    strncmp(e->fingerprint, "SHA256:", 7) != 0 ||
		    strpbrk(e->fingerprint, " \t\n") != NULL)
			return -1;
	}
	if ((e->path = store_field_decode(f[8])) == NULL || e->path[0] != '/')
		return -1;
	return 0;
}

static int
parse_manifest(char *buf, size_t len, unsigned long gen, struct manifest *m)
{
	char *cur = buf, *end = buf + len, *v, *line;
	long long n, count;
	size_t i, j;

	if (memchr(buf, '\0', len) != NULL)
		return -1;
	line = store_next_line(&cur, end, MF_LINE_MAX);
	if (line == NULL || strcmp(line, MF_MAGIC) != 0)
		return -1;
	if ((v = keyed(store_next_line(&cur, end, MF_LINE_MAX), "gen")) == NULL ||
	    parse_ll(v, 1, STORE_MAX_GENERATIONS, &n) == -1 ||
	    (unsigned long)n != gen)
		return -1;
	m->gen = gen;
	if ((v = keyed(store_next_line(&cur, end, MF_LINE_MAX), "when")) == NULL ||
	    parse_ll(v, 0, INT64_MAX / 2, &n) == -1)
		return -1;
	m->when = (time_t)n;
	if ((v = keyed(store_next_line(&cur, end, MF_LINE_MAX), "evid")) == NULL ||
	    (m->evid = store_field_decode(v)) == NULL)
		return -1;
	if ((v = keyed(store_next_line(&cur, end, MF_LINE_MAX), "digest")) == NULL)
		return -1;
	if (strcmp(v, "-") != 0) {
		if (!digest_is_hex(v))
			return -1;
		sm_strlcpy(m->digest, v, sizeof(m->digest));
	}
	if ((v = keyed(store_next_line(&cur, end, MF_LINE_MAX), "reason")) == NULL ||
	    (m->reason = store_field_decode(v)) == NULL)
		return -1;
	if ((v = keyed(store_next_line(&cur, end, MF_LINE_MAX), "entries")) == NULL ||
	    parse_ll(v, 1, CLOSURE_MAX_FILES, &count) == -1)
		return -1;
	m->e = xcalloc((size_t)count, sizeof(*m->e));
	for (i = 0; i < (size_t)count; i++) {
		if ((line = store_next_line(&cur, end, MF_LINE_MAX)) == NULL)
			return -1;
		m->n = i + 1;
		if (parse_entry(line, &m->e[i]) == -1)
			return -1;
		if ((i == 0) != (m->e[i].role == CL_MAIN))
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(m->e[j].path, m->e[i].path) == 0)
				return -1;
	}
	line = store_next_line(&cur, end, MF_LINE_MAX);
	if (line == NULL || strcmp(line, "end") != 0 || cur != end)
		return -1;
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
	if (parse_manifest(buf, len, gen, m) == -1) {
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

void
manifest_free(struct manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->e[i].path);
		free(m->e[i].fingerprint);
	}
	free(m->e);
	free(m->reason);
	free(m->evid);
	free(m->unusable_reason);
	memset(m, 0, sizeof(*m));
}

const struct mf_entry *
manifest_find(const struct manifest *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].path, path) == 0)
			return &m->e[i];
	return NULL;
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
	if (digest_buf(buf, len, got) == -1) {
		free(buf);
		return -1;
	}
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

static void
manifest_entry_line(struct sbuf *b, const struct cl_file *f,
    enum cl_state state, const char *fp)
{
	char path[MF_FIELD_MAX * 3], fpe[512];

	if (store_field_encode(f->path, path, sizeof(path)) == -1)
		fatal_f("path too long: %s", f->path);	/* checked before */
	if (fp == NULL || store_field_encode(fp, fpe, sizeof(fpe)) == -1)
		sm_strlcpy(fpe, "-", sizeof(fpe));
	sbuf_addf(b, "entry %s %s %lu %lu %04o %lld %s %s %s\n",
	    closure_role_name(f->role), closure_state_name(state),
	    (unsigned long)f->uid, (unsigned long)f->gid,
	    (unsigned)(f->mode & 07777),
	    state == CL_REG ? (long long)f->size : 0LL,
	    f->role != CL_HOSTKEY && state == CL_REG ? f->sha256 : "-", fpe,
	    path);
}

/* See store.h: 0/-1 with errno (ESTALE, EINVAL for a closure not storable). */
int
store_commit(struct store *st, const struct closure *cl, const char *reason,
    const char *evid, unsigned long *gen)
{
	struct sbuf b = { NULL, 0, 0 };
	char field[MF_FIELD_MAX * 3], name[32], *fp;
	unsigned long *gens, next;
	size_t n, i;
	int fd, r, saved;
	enum cl_state state;

	if (cl->nfiles == 0 || cl->nfiles > CLOSURE_MAX_FILES ||
	    cl->truncated || cl->files[0].role != CL_MAIN) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < cl->nfiles; i++) {
		const struct cl_file *f = &cl->files[i];

		if (f->path == NULL || f->path[0] != '/' ||
		    strlen(f->path) >= MF_FIELD_MAX ||
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
	sbuf_addf(&b, "%s\ngen %lu\nwhen %lld\n", MF_MAGIC, next,
	    (long long)time(NULL));
	if (store_field_encode(evid, field, sizeof(field)) == -1)
		goto toolong;
	sbuf_addf(&b, "evid %s\ndigest %s\n", field,
	    digest_is_hex(cl->digest) ? cl->digest : "-");
	if (store_field_encode(reason, field, sizeof(field)) == -1)
		goto toolong;
	sbuf_addf(&b, "reason %s\nentries %zu\n", field, cl->nfiles);
	for (i = 0; i < cl->nfiles; i++) {
		const struct cl_file *f = &cl->files[i];

		fp = NULL;
		state = f->state;
		if (f->role == CL_HOSTKEY) {
			/* A host key sshd could not use is, for us, absent. */
			if (state == CL_REG)
				fp = store_hostkey_fingerprint(f->path);
			else
				state = CL_MISSING;
		}
		manifest_entry_line(&b, f, state, fp);
		free(fp);
	}
	sbuf_addf(&b, "end\n");
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
 toolong:
	free(b.p);
	errno = ENAMETOOLONG;
	return -1;
}

/* Validates a state key: [A-Za-z0-9_.-], 1..STATE_KEY_MAX. */
static int
state_key_ok(const char *k)
{
	return sm_token_ok(k, STATE_KEY_MAX, "_.-");
}

/* Reads guard.state; an absent file is an empty one. */
static int
state_read(struct store *st, char **buf, size_t *len)
{
	if (fs_read_fileat(st->dirfd, STATE_FILE,
	    STATE_MAX_KEYS * (STATE_KEY_MAX + STATE_VAL_MAX + 2), buf,
	    len) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	*buf = xstrdup("");
	*len = 0;
	return 0;
}

/*
 * See store.h: 0 found, -1 with errno (ENOENT no such key, EINVAL bad key,
 * ERANGE value longer than vlen, EBADMSG malformed file).
 */
int
store_state_get(struct store *st, const char *key, char *val, size_t vlen)
{
	char *buf, *cur, *line, *eq;
	size_t len, i;

	if (!state_key_ok(key)) {
		errno = EINVAL;
		return -1;
	}
	if (state_read(st, &buf, &len) == -1)
		return -1;
	cur = buf;
	for (i = 0; i < STATE_MAX_KEYS && cur < buf + len; i++) {
		line = store_next_line(&cur, buf + len,
		    STATE_KEY_MAX + STATE_VAL_MAX + 1);
		if (line == NULL || (eq = strchr(line, '=')) == NULL)
			break;
		*eq = '\0';
		if (strcmp(line, key) != 0)
			continue;
		if (sm_strlcpy(val, eq + 1, vlen) >= vlen) {
			free(buf);
			errno = ERANGE;
			return -1;
		}
		free(buf);
		return 0;
	}
	if (cur < buf + len) {
		free(buf);
		error_f("%s/%s: malformed", st->dir, STATE_FILE);
		errno = EBADMSG;
		return -1;
	}
	free(buf);
	errno = ENOENT;
	return -1;
}

/*
 * See store.h: 0/-1 with errno (EINVAL bad key or a value with a newline,
 * E2BIG when the file would exceed STATE_MAX_KEYS). Malformed lines of the
 * old file are dropped, with a log line.
 */
int
store_state_set(struct store *st, const char *key, const char *val)
{
	struct sbuf b = { NULL, 0, 0 };
	char *buf, *cur, *line, *eq;
	size_t len, nkeys = 0;
	int r, saved;

	if (!state_key_ok(key) || (val != NULL &&
	    (strlen(val) > STATE_VAL_MAX || strchr(val, '\n') != NULL))) {
		errno = EINVAL;
		return -1;
	}
	if (state_read(st, &buf, &len) == -1)
		return -1;
	sbuf_addf(&b, "%s", "");
	cur = buf;
	while (cur < buf + len) {
		line = store_next_line(&cur, buf + len,
		    STATE_KEY_MAX + STATE_VAL_MAX + 1);
		if (line == NULL) {
			error_f("%s/%s: malformed tail dropped", st->dir,
			    STATE_FILE);
			break;
		}
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		if (!state_key_ok(line) || strcmp(line, key) == 0)
			continue;
		if (++nkeys >= STATE_MAX_KEYS) {
			free(buf);
			free(b.p);
			errno = E2BIG;
			return -1;
		}
		sbuf_addf(&b, "%s=%s\n", line, eq + 1);
	}
	free(buf);
	if (val != NULL)
		sbuf_addf(&b, "%s=%s\n", key, val);
	r = fs_write_atomicat(st->dirfd, STATE_FILE, b.p, b.len, (uid_t)-1,
	    (gid_t)-1, 0600);
	saved = errno;
	free(b.p);
	errno = saved;
	return r;
}

/*
 * Quarantine. Each event has quarantine/<YYYYmmddTHHMMSS>-<evid>/; each
 * rejected object gets a slot named after its encoded path plus "~N"
 * ('~' never occurs in an encoded path, so no slot collides with another
 * path's ".meta"): "SLOT" (file content or symlink target text), "SLOT.d/"
 * (a directory's regular files), "SLOT" moved in whole, and "SLOT.meta":
 *
 *   version=1, path=, type=(file|symlink|dir|fifo|socket|chardev|blockdev),
 *   uid=, gid=, mode= (octal), size=, sha256= (file content, symlink text or
 *   directory listing; - for others), target= (symlink), entry=TYPE:NAME
 *   (directory, one per entry), moved_to= (when moved), reason=, evid=, time=
 *
 * Text values are encoded like manifest fields.
 */
#define QUAR_SUB	"quarantine"
#define QUAR_SLOTS	64
#define QUAR_DIRENTS	1024
#define QUAR_LIST_MAX	100000
#define QUAR_RM_DEPTH	32
#define QUAR_STAMP_LEN	15	/* YYYYmmddTHHMMSS */
#define QUAR_BASE_MAX	200

/* Predicate: an event id usable in a directory name. */
static int
evid_ok(const char *evid)
{
	return sm_token_ok(evid, 64, "_-");
}

static int
quar_is_name(const char *name)
{
	size_t i;

	if (strlen(name) < QUAR_STAMP_LEN + 2 || name[QUAR_STAMP_LEN] != '-')
		return 0;
	for (i = 0; i < QUAR_STAMP_LEN; i++)
		if (i == 8 ? name[i] != 'T' : (name[i] < '0' || name[i] > '9'))
			return 0;
	return evid_ok(name + QUAR_STAMP_LEN + 1);
}

/* Names of the event directories, ascending (oldest first). */
static int
quar_names(int qfd, char ***names, size_t *n)
{
	struct dirent *de;
	DIR *d;
	int fd;

	*names = NULL;
	*n = 0;
	if ((fd = dup(qfd)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL && *n < QUAR_LIST_MAX) {
		if (!quar_is_name(de->d_name))
			continue;
		*names = xreallocarray(*names, *n + 1, sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), sm_strpcmp);
	return 0;
}

/* rm -r of name under dfd, never following links, bounded in depth. */
static int
rmtree_at(int dfd, const char *name, int depth)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int fd, r = 0;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlinkat(dfd, name, 0);
	if (depth >= QUAR_RM_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rmtree_at(dirfd(d), de->d_name, depth + 1) == -1)
			r = -1;
	}
	closedir(d);
	if (r == 0)
		r = unlinkat(dfd, name, AT_REMOVEDIR);
	return r;
}

/* Drops the oldest event directories beyond keep_quarantine, loudly. */
static void
prune_quarantine(struct store *st, int qfd, const char *keep_name)
{
	char **names;
	size_t n, i, drop;

	if (st->keep_quarantine < 1 || quar_names(qfd, &names, &n) == -1)
		return;
	drop = n > (size_t)st->keep_quarantine ?
	    n - (size_t)st->keep_quarantine : 0;
	for (i = 0; i < n && drop > 0; i++) {
		if (strcmp(names[i], keep_name) == 0)
			continue;
		if (rmtree_at(qfd, names[i], 0) == -1)
			error_f("prune quarantine %s: %s", names[i],
			    strerror(errno));
		else
			logit("quarantine %s pruned (keep_quarantine %d)",
			    names[i], st->keep_quarantine);
		drop--;
	}
	sm_strv_free(names, n);
}

/* Finds or creates the event's quarantine directory; returns its fd. */
static int
quar_event_dir(struct store *st, const char *evid, char *name, size_t len)
{
	char **names, stamp[QUAR_STAMP_LEN + 1];
	size_t n, i, el;
	struct tm tm;
	time_t now;
	int qfd, efd, found = 0, saved;

	if (!evid_ok(evid)) {
		errno = EINVAL;
		return -1;
	}
	if ((qfd = store_subdir(st, QUAR_SUB)) < 0)
		return -1;
	if (quar_names(qfd, &names, &n) == -1) {
		saved = errno;
		close(qfd);
		errno = saved;
		return -1;
	}
	el = strlen(evid);
	for (i = 0; i < n && !found; i++) {
		if (strlen(names[i]) == QUAR_STAMP_LEN + 1 + el &&
		    strcmp(names[i] + QUAR_STAMP_LEN + 1, evid) == 0) {
			sm_strlcpy(name, names[i], len);
			found = 1;
		}
	}
	sm_strv_free(names, n);
	if (!found) {
		now = time(NULL);
		if (gmtime_r(&now, &tm) == NULL ||
		    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) !=
		    QUAR_STAMP_LEN) {
			close(qfd);
			errno = EINVAL;
			return -1;
		}
		snprintf(name, len, "%s-%s", stamp, evid);
		if (mkdirat_ok(qfd, name, 0700) == -1) {
			saved = errno;
			close(qfd);
			errno = saved;
			return -1;
		}
		fsync(qfd);
		prune_quarantine(st, qfd, name);
	}
	efd = openat(qfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	saved = errno;
	close(qfd);
	errno = saved;
	return efd;
}

/* Slot base for path: its encoding, or a hash when that is too long. */
static void
quar_base(const char *path, char *base, size_t len)
{
	char h[DIGEST_HEX_LEN + 1];

	if (store_field_encode(path, base, len) == 0 &&
	    strlen(base) <= QUAR_BASE_MAX)
		return;
	if (digest_buf(path, strlen(path), h) == -1)
		sm_strlcpy(h, "0000000000000000000000000000000000000000", sizeof(h));
	snprintf(base, len, "h-%.40s", h);
}

static int
exists_at(int dfd, const char *name)
{
	struct stat sb;

	return fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Value of key in a .meta buffer (first match), copied into val. */
static int
meta_value(const char *meta, const char *key, char *val, size_t vlen)
{
	const char *p = meta, *nl;
	size_t kl = strlen(key), n;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		n = nl == NULL ? strlen(p) : (size_t)(nl - p);
		if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			n -= kl + 1;
			if (n >= vlen)
				return -1;
			memcpy(val, p + kl + 1, n);
			val[n] = '\0';
			return 0;
		}
		p = nl == NULL ? NULL : nl + 1;
	}
	return -1;
}

/*
 * Picks the slot for path: the first free one, or -1 with EEXIST when a
 * slot already holds this very type and content (nothing to do).
 */
static int
quar_slot(int efd, const char *base, const char *type, const char *sha,
    char *slot, size_t len)
{
	char meta[NAME_MAX + 1], v[DIGEST_HEX_LEN + 16], *buf;
	size_t blen;
	int k, same;

	for (k = 1; k <= QUAR_SLOTS; k++) {
		snprintf(slot, len, "%s~%d", base, k);
		snprintf(meta, sizeof(meta), "%s.meta", slot);
		if (fs_read_fileat(efd, meta, 64 * 1024, &buf, &blen) == -1) {
			if (errno != ENOENT)
				return -1;
			/* A slot without meta was a crash mid-copy: reuse. */
			if (sha == NULL && exists_at(efd, slot))
				continue;	/* a move wants an empty name */
			return 0;
		}
		same = sha != NULL && strcmp(sha, "-") != 0 &&
		    meta_value(buf, "type", v, sizeof(v)) == 0 &&
		    strcmp(v, type) == 0 &&
		    meta_value(buf, "sha256", v, sizeof(v)) == 0 &&
		    strcmp(v, sha) == 0 &&
		    meta_value(buf, "moved_to", v, sizeof(v)) == -1;
		free(buf);
		if (same) {
			errno = EEXIST;
			return -1;
		}
	}
	errno = ENOSPC;
	return -1;
}

static const char *
type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISDIR(m))
		return "dir";
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISCHR(m))
		return "chardev";
	return "blockdev";
}

static void
meta_text(struct sbuf *b, const char *key, const char *val)
{
	char enc[MF_FIELD_MAX * 3];

	if (store_field_encode(val, enc, sizeof(enc)) == -1)
		sm_strlcpy(enc, "-", sizeof(enc));
	sbuf_addf(b, "%s=%s\n", key, enc);
}

static void
meta_head(struct sbuf *b, const char *path, const struct stat *sb,
    const char *sha)
{
	sbuf_addf(b, "version=1\n");
	meta_text(b, "path", path);
	sbuf_addf(b, "type=%s\nuid=%lu\ngid=%lu\nmode=%04o\nsize=%lld\n"
	    "sha256=%s\n", type_name(sb->st_mode), (unsigned long)sb->st_uid,
	    (unsigned long)sb->st_gid, (unsigned)(sb->st_mode & 07777),
	    (long long)sb->st_size, sha == NULL ? "-" : sha);
}

static int
meta_finish(int efd, const char *slot, struct sbuf *b, const char *reason,
    const char *evid)
{
	char meta[NAME_MAX + 1];
	int r, saved;

	meta_text(b, "reason", reason);
	sbuf_addf(b, "evid=%s\ntime=%lld\n", evid, (long long)time(NULL));
	snprintf(meta, sizeof(meta), "%s.meta", slot);
	r = fs_write_atomicat(efd, meta, b->p, b->len, (uid_t)-1, (gid_t)-1,
	    0600);
	saved = errno;
	free(b->p);
	b->p = NULL;
	errno = saved;
	return r;
}

/*
 * A directory: its listing in the meta (hashed, so a second quarantine of
 * the same directory is recognised) and copies of its regular files.
 */
static int
quar_dir_copy(int efd, const char *path, const char *slot, struct sbuf *lst,
    int do_copy)
{
	char sub[NAME_MAX + 1], enc[NAME_MAX * 3 + 1], *buf;
	struct dirent *de;
	struct stat sb;
	size_t len, count = 0;
	DIR *d;
	int fd, cfd = -1, r = 0;

	fd = open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (do_copy) {
		snprintf(sub, sizeof(sub), "%s.d", slot);
		if (mkdirat_ok(efd, sub, 0700) == -1 ||
		    (cfd = openat(efd, sub,
		    O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC)) < 0) {
			closedir(d);
			return -1;
		}
	}
	while ((de = readdir(d)) != NULL && count < QUAR_DIRENTS) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		count++;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (store_field_encode(de->d_name, enc, sizeof(enc)) == -1)
			continue;
		sbuf_addf(lst, "entry=%s:%s\n", type_name(sb.st_mode), enc);
		if (!do_copy || !S_ISREG(sb.st_mode))
			continue;
		if (fs_read_fileat(dirfd(d), de->d_name, FS_READ_MAX, &buf,
		    &len) == -1) {
			error_f("quarantine copy %s/%s: %s", path, de->d_name,
			    strerror(errno));
			continue;	/* the directory itself is moved aside */
		}
		if (fs_write_atomicat(cfd, de->d_name, buf, len, (uid_t)-1,
		    (gid_t)-1, 0600) == -1)
			r = -1;
		free(buf);
	}
	closedir(d);
	if (cfd >= 0)
		close(cfd);
	return r;
}

/* See store.h: 0/-1 with errno (ENOENT nothing at path, EFBIG too big). */
int
store_quarantine_add(struct store *st, const char *evid, const char *path,
    const char *reason)
{
	char ename[NAME_MAX + 1], base[NAME_MAX + 1], slot[NAME_MAX + 1];
	char sha[DIGEST_HEX_LEN + 1], target[PATH_MAX], *buf = NULL;
	struct sbuf b = { NULL, 0, 0 }, lst = { NULL, 0, 0 };
	struct stat sb;
	size_t len = 0;
	ssize_t tl;
	int efd, r = -1, saved;

	if (lstat(path, &sb) == -1)
		return -1;
	sm_strlcpy(sha, "-", sizeof(sha));
	if (S_ISREG(sb.st_mode)) {
		if (fs_read_file(path, FS_READ_MAX, 0, &buf, &len) == -1 ||
		    digest_buf(buf, len, sha) == -1)
			goto out;
	} else if (S_ISLNK(sb.st_mode)) {
		if ((tl = readlink(path, target, sizeof(target) - 1)) < 0)
			goto out;
		target[tl] = '\0';
		buf = xstrdup(target);
		len = (size_t)tl;
		if (digest_buf(buf, len, sha) == -1)
			goto out;
	} else if (S_ISDIR(sb.st_mode)) {
		sbuf_addf(&lst, "%s", "");
		if (quar_dir_copy(-1, path, NULL, &lst, 0) == -1 ||
		    digest_buf(lst.p, lst.len, sha) == -1)
			goto out;
	}
	if ((efd = quar_event_dir(st, evid, ename, sizeof(ename))) < 0)
		goto out;
	quar_base(path, base, sizeof(base));
	if (quar_slot(efd, base, type_name(sb.st_mode), sha, slot,
	    sizeof(slot)) == -1) {
		if (errno == EEXIST) {
			debug_f("%s already in quarantine %s", path, ename);
			r = 0;
		}
		goto close_out;
	}
	meta_head(&b, path, &sb, sha);
	if (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode)) {
		if (fs_write_atomicat(efd, slot, buf, len, (uid_t)-1,
		    (gid_t)-1, 0600) == -1)
			goto close_out;
		if (S_ISLNK(sb.st_mode))
			meta_text(&b, "target", target);
	} else if (S_ISDIR(sb.st_mode)) {
		free(lst.p);
		lst.p = NULL;
		lst.len = lst.cap = 0;
		sbuf_addf(&lst, "%s", "");
		if (quar_dir_copy(efd, path, slot, &lst, 1) == -1)
			goto close_out;
		sbuf_addf(&b, "%s", lst.p);
	}
	if (meta_finish(efd, slot, &b, reason, evid) == -1)
		goto close_out;
	info_f("%s quarantined in %s/%s", path, ename, slot);
	r = 0;
 close_out:
	saved = errno;
	close(efd);
	errno = saved;
 out:
	saved = errno;
	if (r == -1)
		error_f("quarantine %s: %s", path, strerror(errno));
	free(buf);
	free(b.p);
	free(lst.p);
	errno = saved;
	return r;
}

/* See store.h: 0/-1 with errno (ENOENT nothing at path). */
int
store_quarantine_move(struct store *st, const char *evid, const char *path,
    const char *reason)
{
	char ename[NAME_MAX + 1], base[NAME_MAX + 1], slot[NAME_MAX + 1];
	char *moved = NULL, *dir = NULL, *bn = NULL;
	struct sbuf b = { NULL, 0, 0 };
	struct stat sb;
	int efd, k, r = -1, saved;

	if (lstat(path, &sb) == -1)
		return -1;
	if ((efd = quar_event_dir(st, evid, ename, sizeof(ename))) < 0)
		return -1;
	quar_base(path, base, sizeof(base));
	if (quar_slot(efd, base, type_name(sb.st_mode), NULL, slot,
	    sizeof(slot)) == -1)
		goto out;
	if (fs_split(path, &dir, &bn) == -1)
		goto out;
	if (renameat2(AT_FDCWD, path, efd, slot, RENAME_NOREPLACE) == 0) {
		xasprintf(&moved, "%s/%s/%s/%s", st->dir, QUAR_SUB, ename,
		    slot);
		fsync(efd);
	} else if (errno == EXDEV) {
		for (k = 1; k <= QUAR_SLOTS; k++) {
			free(moved);
			if (k == 1)
				xasprintf(&moved, "%s/.%s.sshmedic-%s", dir, bn,
				    evid);
			else
				xasprintf(&moved, "%s/.%s.sshmedic-%s~%d", dir,
				    bn, evid, k);
			if (renameat2(AT_FDCWD, path, AT_FDCWD, moved,
			    RENAME_NOREPLACE) == 0)
				break;
			if (errno != EEXIST)
				goto out;
		}
		if (k > QUAR_SLOTS)
			goto out;
	} else
		goto out;
	if (fs_fsync_dir(dir) == -1)
		error_f("fsync %s: %s", dir, strerror(errno));
	meta_head(&b, path, &sb, NULL);
	meta_text(&b, "moved_to", moved);
	if (meta_finish(efd, slot, &b, reason, evid) == -1)
		error_f("%s moved to %s but its meta failed: %s", path, moved,
		    strerror(errno));
	logit("%s moved aside to %s", path, moved);
	r = 0;
 out:
	saved = errno;
	if (r == -1)
		error_f("move %s aside: %s", path, strerror(errno));
	close(efd);
	free(moved);
	free(dir);
	free(bn);
	free(b.p);
	errno = saved;
	return r;
}

/* See store.h: 0/-1 with errno. */
int
store_quarantine_list(struct store *st, char ***names, size_t *n)
{
	size_t i;
	char *t;
	int qfd, r, saved;

	if ((qfd = store_subdir(st, QUAR_SUB)) < 0)
		return -1;
	r = quar_names(qfd, names, n);
	saved = errno;
	close(qfd);
	errno = saved;
	if (r == -1)
		return -1;
	for (i = 0; i < *n / 2; i++) {
		t = (*names)[i];
		(*names)[i] = (*names)[*n - 1 - i];
		(*names)[*n - 1 - i] = t;
	}
	return 0;
}

/* See store.h: malloc'd "SHA256:..." or NULL (logged). */
char *
store_hostkey_fingerprint(const char *path)
{
	char *argv[] = { KEYGEN_PATH, "-l", "-f", NULL, NULL };
	char why[128], *p, *fp, *sp;
	struct spawn_res r;
	size_t i;

	memset(&r, 0, sizeof(r));
	argv[3] = (char *)path;
	if (spawn_run(argv, NULL, NULL, 0, KEYGEN_TIMEOUT_MS, 4096, &r) == -1) {
		error_f("run %s: %s", KEYGEN_PATH, strerror(errno));
		return NULL;
	}
	if (!spawn_ok(&r)) {
		error_f("%s -l -f %s: %s", KEYGEN_PATH, path,
		    spawn_describe(&r, why, sizeof(why)));
		spawn_res_free(&r);
		return NULL;
	}
	/* "256 SHA256:base64 comment (TYPE)": the second field. */
	fp = NULL;
	if ((p = strchr(r.out, ' ')) != NULL &&
	    strncmp(p + 1, "SHA256:", 7) == 0) {
		p++;
		if ((sp = strpbrk(p, " \n")) != NULL)
			*sp = '\0';
		for (i = 7; p[i] != '\0'; i++)
			if (!(p[i] >= 'A' && p[i] <= 'Z') &&
			    !(p[i] >= 'a' && p[i] <= 'z') &&
			    !(p[i] >= '0' && p[i] <= '9') &&
			    p[i] != '+' && p[i] != '/' && p[i] != '=')
				break;
		if (p[i] == '\0' && i > 7 && i < 128)
			fp = xstrdup(p);
	}
	if (fp == NULL)
		error_f("%s: unexpected ssh-keygen output", path);
	spawn_res_free(&r);
	return fp;
}
