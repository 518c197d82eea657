/*
 * Credential snapshots: each kept whole in its own directory of the store,
 * the manifest written last, every content verified before it is used.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "snap.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

#define SNAP_MAGIC	"sshmedic-snapshot 1"
#define SNAP_LINE_MAX	(STORE_FIELD_MAX * 3 + 128)
#define SNAP_MF		"manifest"

static const char *kind_names[] = { "keys", "pam" };

const char *
snap_kind_name(enum snap_kind k)
{
	return (size_t)k < SM_NELEM(kind_names) ? kind_names[k] : "unknown";
}

/* See snap.h: 0/-1 with errno. */
int
snap_add(struct snap *s, const char *path, const void *content, size_t len,
    uid_t uid, gid_t gid, mode_t mode)
{
	struct snap_file *f;

	if (s->n >= SNAP_MAX_FILES) {
		errno = E2BIG;
		return -1;
	}
	if (content != NULL && len > SNAP_FILE_MAX) {
		errno = EFBIG;
		return -1;
	}
	if (path == NULL || path[0] != '/' || strlen(path) >= STORE_FIELD_MAX) {
		errno = EINVAL;
		return -1;
	}
	f = &s->f[s->n];
	memset(f, 0, sizeof(*f));
	if (content != NULL) {
		digest_buf(content, len, f->sha256);
		f->content = xmalloc(len + 1);
		memcpy(f->content, content, len);
		f->content[len] = '\0';
		f->len = len;
		f->present = 1;
		f->size = (off_t)len;
	}
	f->path = xstrdup(path);
	f->uid = uid;
	f->gid = gid;
	f->mode = mode & 07777;
	s->n++;
	return 0;
}

void
snap_free(struct snap *s)
{
	size_t i;

	for (i = 0; i < s->n && i < SNAP_MAX_FILES; i++) {
		free(s->f[i].path);
		free(s->f[i].content);
	}
	free(s->evid);
	free(s->key);
	memset(s, 0, sizeof(*s));
}

const struct snap_file *
snap_find(const struct snap *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->f[i].path, path) == 0)
			return &s->f[i];
	return NULL;
}

/* Predicate: same files, same states and contents, in any order. */
int
snap_same(const struct snap *a, const struct snap *b)
{
	const struct snap_file *o;
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		if ((o = snap_find(b, a->f[i].path)) == NULL ||
		    o->present != a->f[i].present ||
		    strcmp(o->sha256, a->f[i].sha256) != 0 ||
		    o->uid != a->f[i].uid || o->gid != a->f[i].gid ||
		    o->mode != a->f[i].mode)
			return 0;
	}
	return 1;
}

/* Opens (creating with create) snap/<kind>/<name>. fd or -1 with errno. */
static int
snap_dir(struct store *st, enum snap_kind kind, const char *name, int create)
{
	int sfd, kfd, nfd, saved;

	if ((size_t)kind >= SM_NELEM(kind_names) ||
	    !sm_token_ok(name, SNAP_NAME_MAX, "._-") || name[0] == '.') {
		errno = EINVAL;
		return -1;
	}
	if (create && store_mkdirat(st->dirfd, "snap", 0700) == -1)
		return -1;
	if ((sfd = store_subdir(st, "snap")) < 0)
		return -1;
	kfd = -1;
	if ((!create || store_mkdirat(sfd, kind_names[kind], 0700) == 0))
		kfd = openat(sfd, kind_names[kind],
		    O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	saved = errno;
	close(sfd);
	if (kfd < 0) {
		errno = saved;
		return -1;
	}
	nfd = -1;
	if (!create || store_mkdirat(kfd, name, 0700) == 0)
		nfd = openat(kfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	saved = errno;
	close(kfd);
	errno = saved;
	return nfd;
}

static int
add_field(struct store_sbuf *b, const char *key, const char *v)
{
	char enc[STORE_FIELD_MAX * 3 + 1];

	if (store_field_encode(v, enc, sizeof(enc)) == -1)
		return -1;
	store_sbuf_addf(b, "%s %s\n", key, enc);
	return 0;
}

static int
manifest_text(const struct snap *s, struct store_sbuf *b)
{
	char enc[STORE_FIELD_MAX * 3 + 1];
	size_t i;

	store_sbuf_addf(b, "%s\nkind %s\n", SNAP_MAGIC, kind_names[s->kind]);
	if (add_field(b, "name", s->name) == -1)
		return -1;
	store_sbuf_addf(b, "when %lld\n", (long long)s->when);
	if (add_field(b, "evid", s->evid) == -1 ||
	    add_field(b, "key", s->key) == -1)
		return -1;
	store_sbuf_addf(b, "files %zu\n", s->n);
	for (i = 0; i < s->n; i++) {
		if (store_field_encode(s->f[i].path, enc, sizeof(enc)) == -1)
			return -1;
		store_sbuf_addf(b, "file %d %lu %lu %04o %lld %s %s\n",
		    s->f[i].present, (unsigned long)s->f[i].uid,
		    (unsigned long)s->f[i].gid, (unsigned)s->f[i].mode,
		    (long long)s->f[i].size,
		    s->f[i].present ? s->f[i].sha256 : "-", enc);
	}
	store_sbuf_addf(b, "end\n");
	return 0;
}

/* Removes the content files of dfd that s does not name. */
static void
prune_contents(int dfd, const struct snap *s)
{
	struct dirent *de;
	size_t i;
	DIR *d;
	int fd, keep;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!digest_is_hex(de->d_name))
			continue;
		for (keep = 0, i = 0; i < s->n && !keep; i++)
			keep = s->f[i].present &&
			    strcmp(s->f[i].sha256, de->d_name) == 0;
		if (!keep && unlinkat(dfd, de->d_name, 0) == -1)
			error_f("unlink snapshot content %s: %s", de->d_name,
			    strerror(errno));
	}
	closedir(d);
}

/* See snap.h: 0/-1 with errno. */
int
snap_save(struct store *st, const struct snap *s)
{
	struct store_sbuf b = { NULL, 0, 0 };
	size_t i;
	int dfd, r = -1, saved;

	if ((dfd = snap_dir(st, s->kind, s->name, 1)) < 0)
		return -1;
	for (i = 0; i < s->n; i++) {
		if (!s->f[i].present)
			continue;
		if (fs_write_atomicat(dfd, s->f[i].sha256, s->f[i].content,
		    s->f[i].len, (uid_t)-1, (gid_t)-1, 0600) == -1)
			goto out;
	}
	if (manifest_text(s, &b) == -1) {
		errno = ENAMETOOLONG;
		goto out;
	}
	if (fs_write_atomicat(dfd, SNAP_MF, b.p, b.len, (uid_t)-1, (gid_t)-1,
	    0600) == -1)
		goto out;
	prune_contents(dfd, s);
	r = 0;
 out:
	saved = errno;
	free(b.p);
	close(dfd);
	errno = saved;
	return r;
}

/* "key value": the value of line if it starts with key, else NULL. */
static char *
keyed(char *line, const char *key)
{
	size_t n = strlen(key);

	if (line == NULL || strncmp(line, key, n) != 0 || line[n] != ' ')
		return NULL;
	return line + n + 1;
}

static int
parse_num(const char *s, long long max, long long *v)
{
	return parse_ll(s, 0, max, v);
}

static int
parse_file_line(char *v, struct snap_file *f)
{
	char *fld[7], *p = v, *path;
	long long present, uid, gid, size;
	long mode;
	char *end;
	size_t k;

	for (k = 0; k < 7; k++) {
		if ((fld[k] = strsep(&p, " ")) == NULL || *fld[k] == '\0')
			return -1;
	}
	if (p != NULL)
		return -1;
	if (parse_num(fld[0], 1, &present) == -1 ||
	    parse_num(fld[1], UINT32_MAX, &uid) == -1 ||
	    parse_num(fld[2], UINT32_MAX, &gid) == -1 ||
	    parse_num(fld[4], SNAP_FILE_MAX, &size) == -1)
		return -1;
	errno = 0;
	mode = strtol(fld[3], &end, 8);
	if (errno != 0 || *end != '\0' || mode < 0 || mode > 07777)
		return -1;
	if (present ? !digest_is_hex(fld[5]) : strcmp(fld[5], "-") != 0)
		return -1;
	if ((path = store_field_decode(fld[6])) == NULL || path[0] != '/') {
		free(path);
		return -1;
	}
	f->path = path;
	f->present = (int)present;
	f->uid = (uid_t)uid;
	f->gid = (gid_t)gid;
	f->mode = (mode_t)mode;
	f->size = (off_t)size;
	if (present)
		sm_strlcpy(f->sha256, fld[5], sizeof(f->sha256));
	return 0;
}

static int
parse_manifest(char *buf, size_t len, enum snap_kind kind, const char *name,
    struct snap *s)
{
	char *cur = buf, *end = buf + len, *v, *line;
	long long when, n;
	size_t i;

	if ((line = store_next_line(&cur, end, SNAP_LINE_MAX)) == NULL ||
	    strcmp(line, SNAP_MAGIC) != 0)
		return -1;
	if ((v = keyed(store_next_line(&cur, end, SNAP_LINE_MAX), "kind")) ==
	    NULL || strcmp(v, kind_names[kind]) != 0)
		return -1;
	s->kind = kind;
	if ((v = keyed(store_next_line(&cur, end, SNAP_LINE_MAX), "name")) ==
	    NULL || (v = store_field_decode(v)) == NULL)
		return -1;
	if (strcmp(v, name) != 0) {
		free(v);
		return -1;
	}
	sm_strlcpy(s->name, v, sizeof(s->name));
	free(v);
	if ((v = keyed(store_next_line(&cur, end, SNAP_LINE_MAX), "when")) ==
	    NULL || parse_num(v, INT64_MAX, &when) == -1)
		return -1;
	s->when = (time_t)when;
	if ((v = keyed(store_next_line(&cur, end, SNAP_LINE_MAX), "evid")) ==
	    NULL || (s->evid = store_field_decode(v)) == NULL)
		return -1;
	if ((v = keyed(store_next_line(&cur, end, SNAP_LINE_MAX), "key")) ==
	    NULL || (s->key = store_field_decode(v)) == NULL)
		return -1;
	if ((v = keyed(store_next_line(&cur, end, SNAP_LINE_MAX), "files")) ==
	    NULL || parse_num(v, SNAP_MAX_FILES, &n) == -1)
		return -1;
	for (i = 0; i < (size_t)n; i++) {
		if ((v = keyed(store_next_line(&cur, end, SNAP_LINE_MAX),
		    "file")) == NULL || parse_file_line(v, &s->f[i]) == -1)
			return -1;
		s->n = i + 1;
	}
	if ((line = store_next_line(&cur, end, SNAP_LINE_MAX)) == NULL ||
	    strcmp(line, "end") != 0 || cur != end)
		return -1;
	return 0;
}

/* See snap.h: 0/-1 with errno (ENOENT, EBADMSG). */
int
snap_load(struct store *st, enum snap_kind kind, const char *name,
    struct snap *s)
{
	char *buf = NULL, got[DIGEST_HEX_LEN + 1];
	size_t len, i;
	int dfd, saved;

	memset(s, 0, sizeof(*s));
	if ((dfd = snap_dir(st, kind, name, 0)) < 0)
		return -1;
	if (fs_read_fileat(dfd, SNAP_MF, 64 * 1024, &buf, &len) == -1)
		goto fail;
	if (parse_manifest(buf, len, kind, name, s) == -1)
		goto bad;
	for (i = 0; i < s->n; i++) {
		struct snap_file *f = &s->f[i];

		if (!f->present)
			continue;
		if (fs_read_fileat(dfd, f->sha256, SNAP_FILE_MAX, &f->content,
		    &f->len) == -1)
			goto bad;
		digest_buf(f->content, f->len, got);
		if (strcmp(got, f->sha256) != 0 || (off_t)f->len != f->size)
			goto bad;
	}
	free(buf);
	close(dfd);
	return 0;
 bad:
	errno = EBADMSG;
 fail:
	saved = errno;
	free(buf);
	close(dfd);
	errno = saved;
	return -1;
}
