/*
 * The store's text formats: the generation manifest (written and parsed
 * here) and the field encoding its text, .meta and state files share.
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

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "misc.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

#define MF_MAGIC	"sshmedic-manifest 1"
#define MF_LINE_MAX	8192

/* See store_int.h. */
void
store_sbuf_addf(struct store_sbuf *b, const char *fmt, ...)
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

/* See store_int.h: 0/-1 (ENAMETOOLONG). */
int
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

/* See store_int.h: malloc'd, or NULL on bad input. */
char *
store_field_decode(const char *s)
{
	char buf[STORE_FIELD_MAX];

	if (strcmp(s, "-") == 0)
		return xstrdup("");
	if (path_decode(s, buf, sizeof(buf)) == -1)
		return NULL;
	return xstrdup(buf);
}

/* See store_int.h: the line, or NULL. */
char *
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

/* See store_int.h: 0/-1. */
int
store_manifest_parse(char *buf, size_t len, unsigned long gen, struct manifest *m)
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

static void
manifest_entry_line(struct store_sbuf *b, const struct cl_file *f,
    enum cl_state state, const char *fp)
{
	char path[STORE_FIELD_MAX * 3], fpe[512];

	if (store_field_encode(f->path, path, sizeof(path)) == -1)
		fatal_f("path too long: %s", f->path);	/* checked before */
	if (fp == NULL || store_field_encode(fp, fpe, sizeof(fpe)) == -1)
		sm_strlcpy(fpe, "-", sizeof(fpe));
	store_sbuf_addf(b, "entry %s %s %lu %lu %04o %lld %s %s %s\n",
	    closure_role_name(f->role), closure_state_name(state),
	    (unsigned long)f->uid, (unsigned long)f->gid,
	    (unsigned)(f->mode & 07777),
	    state == CL_REG ? (long long)f->size : 0LL,
	    f->role != CL_HOSTKEY && state == CL_REG ? f->sha256 : "-", fpe,
	    path);
}

/* See store_int.h: 0/-1 with ENAMETOOLONG. */
int
store_manifest_text(struct store_sbuf *b, const struct closure *cl,
    unsigned long gen, const char *reason, const char *evid)
{
	char field[STORE_FIELD_MAX * 3], *fp;
	enum cl_state state;
	size_t i;

	store_sbuf_addf(b, "%s\ngen %lu\nwhen %lld\n", MF_MAGIC, gen,
	    (long long)time(NULL));
	if (store_field_encode(evid, field, sizeof(field)) == -1)
		goto toolong;
	store_sbuf_addf(b, "evid %s\ndigest %s\n", field,
	    digest_is_hex(cl->digest) ? cl->digest : "-");
	if (store_field_encode(reason, field, sizeof(field)) == -1)
		goto toolong;
	store_sbuf_addf(b, "reason %s\nentries %zu\n", field, cl->nfiles);
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
		manifest_entry_line(b, f, state, fp);
		free(fp);
	}
	store_sbuf_addf(b, "end\n");
	return 0;
 toolong:
	errno = ENAMETOOLONG;
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
