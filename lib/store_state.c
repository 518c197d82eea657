/*
 * The store's small files: guard.state (key=value, written atomically) and
 * host key fingerprints through ssh-keygen.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "spawn.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

#define STATE_FILE	STORE_STATE_FILE
#define STATE_MAX_KEYS	256
#define STATE_KEY_MAX	64
#define STATE_VAL_MAX	1024
#define KEYGEN_PATH	"/usr/bin/ssh-keygen"
#define KEYGEN_TIMEOUT_MS 5000

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
	struct store_sbuf b = { NULL, 0, 0 };
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
	store_sbuf_addf(&b, "%s", "");
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
		store_sbuf_addf(&b, "%s=%s\n", line, eq + 1);
	}
	free(buf);
	if (val != NULL)
		store_sbuf_addf(&b, "%s=%s\n", key, val);
	r = fs_write_atomicat(st->dirfd, STATE_FILE, b.p, b.len, (uid_t)-1,
	    (gid_t)-1, 0600);
	saved = errno;
	free(b.p);
	errno = saved;
	return r;
}

/* See store.h: 0/-1 with errno (EBADMSG: a malformed line). */
int
store_state_keys(struct store *st, char ***keys, size_t *n)
{
	char *buf, *cur, *line, *eq;
	size_t len;

	*keys = NULL;
	*n = 0;
	if (state_read(st, &buf, &len) == -1)
		return -1;
	cur = buf;
	while (cur < buf + len && *n < STATE_MAX_KEYS) {
		line = store_next_line(&cur, buf + len,
		    STATE_KEY_MAX + STATE_VAL_MAX + 1);
		if (line == NULL || (eq = strchr(line, '=')) == NULL)
			break;
		*eq = '\0';
		*keys = xreallocarray(*keys, *n + 1, sizeof(**keys));
		(*keys)[(*n)++] = xstrdup(line);
	}
	if (cur < buf + len) {
		free(buf);
		sm_strv_free(*keys, *n);
		*keys = NULL;
		*n = 0;
		errno = EBADMSG;
		return -1;
	}
	free(buf);
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

/* Unlinks our temporaries in one directory of the store; returns how many. */
static int
sweep_dir(int dfd, int depth)
{
	struct dirent *de;
	DIR *dir;
	int fd, n = 0, sub;
	size_t seen = 0;

	if ((fd = dup(dfd)) == -1 || (dir = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	while ((de = readdir(dir)) != NULL && seen++ < STORE_SWEEP_MAX) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strncmp(de->d_name, FS_TMP_PREFIX,
		    strlen(FS_TMP_PREFIX)) == 0) {
			if (unlinkat(dfd, de->d_name, 0) == 0)
				n++;
			continue;
		}
		if (depth == 0 || de->d_type != DT_DIR)
			continue;
		sub = openat(dfd, de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1)
			continue;
		n += sweep_dir(sub, depth - 1);
		close(sub);
	}
	closedir(dir);
	return n;
}

int
store_sweep_temps(struct store *st)
{
	return sweep_dir(st->dirfd, 2);
}
