/*
 * policies.d: every *.conf in it, sorted and bounded, each file loaded
 * whole or recorded as an error while the others still load.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "misc.h"
#include "policy.h"
#include "policy_int.h"
#include "pwdb.h"
#include "xmalloc.h"

static void
add_error(struct policy_set *set, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_error(struct policy_set *set, const char *fmt, ...)
{
	va_list ap;
	char *e;

	va_start(ap, fmt);
	if (vasprintf(&e, fmt, ap) == -1)
		e = NULL;
	va_end(ap);
	if (e == NULL)
		e = xstrdup("policy error (no memory to describe it)");
	set->errors = xreallocarray(set->errors, set->nerrors + 1,
	    sizeof(*set->errors));
	set->errors[set->nerrors++] = e;
}

/* Predicate: a policy file name: *.conf, not hidden. */
static int
is_policy_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && len > 5 && strcmp(n + len - 5, ".conf") == 0;
}

/*
 * Keeps the POLICY_MAX_FILES smallest names, sorted, in v[0..*n): bounded
 * whatever the directory holds. The smallest name left out goes to *first_out.
 */
static void
keep_name(char **v, size_t *n, const char *name, char **first_out)
{
	char *drop = NULL;
	size_t i;

	if (*n == POLICY_MAX_FILES) {
		if (strcmp(name, v[*n - 1]) > 0) {
			drop = xstrdup(name);
			goto dropped;
		}
		drop = v[--*n];
	}
	for (i = *n; i > 0 && strcmp(v[i - 1], name) > 0; i--)
		v[i] = v[i - 1];
	v[i] = xstrdup(name);
	(*n)++;
	if (drop == NULL)
		return;
 dropped:
	if (*first_out == NULL || strcmp(drop, *first_out) < 0) {
		free(*first_out);
		*first_out = drop;
	} else
		free(drop);
}

/* The directory itself: root's and not writable by others. 1/0 (error added). */
static int
dir_safe(struct policy_set *set, const char *dir, int dfd)
{
	char owner[PWDB_NAME_MAX];
	struct stat st;

	if (fstat(dfd, &st) == -1) {
		add_error(set, "%s: fstat: %s", dir, strerror(errno));
		return 0;
	}
	if (st.st_uid != 0) {
		add_error(set, "%s: owned by uid %lu (%s), not root", dir,
		    (unsigned long)st.st_uid,
		    pwdb_uid_name(st.st_uid, owner, sizeof(owner)));
		return 0;
	}
	if ((st.st_mode & 022) != 0) {
		add_error(set, "%s: mode %04o is writable by %s", dir,
		    (unsigned int)(st.st_mode & 07777),
		    (st.st_mode & 022) == 022 ? "group and other" :
		    (st.st_mode & 020) ? "group" : "other");
		return 0;
	}
	return 1;
}

/* See policy.h: 0, or -1 with errno. */
int
policy_load_dir(struct policy_set *set, const char *dir, int check_owner)
{
	char **names = NULL, *first_left = NULL, *path, err[1024];
	size_t n = 0, nleft = 0, i;
	struct dirent *de;
	DIR *dp = NULL;
	int dfd, dupfd, saved = 0, r = -1;

	memset(set, 0, sizeof(*set));
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		saved = errno;
		add_error(set, "%s: open: %s", dir, strerror(errno));
		errno = saved;
		return -1;
	}
	if (check_owner && !dir_safe(set, dir, dfd)) {
		close(dfd);
		return 0;
	}
	if ((dupfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (dp = fdopendir(dupfd)) == NULL) {
		saved = errno;
		if (dupfd != -1)
			close(dupfd);
		add_error(set, "%s: opendir: %s", dir, strerror(saved));
		goto fail;
	}
	names = xcalloc(POLICY_MAX_FILES, sizeof(*names));
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL)
			break;
		if (!is_policy_name(de->d_name))
			continue;
		if (n == POLICY_MAX_FILES)
			nleft++;
		keep_name(names, &n, de->d_name, &first_left);
	}
	if (errno != 0) {
		saved = errno;
		add_error(set, "%s: readdir: %s", dir, strerror(saved));
		goto fail;
	}
	for (i = 0; i < n; i++) {
		xasprintf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ?
		    "" : "/", names[i]);
		if (pol_load_at(set, dfd, names[i], path, check_owner, err,
		    sizeof(err)) == -1)
			add_error(set, "%s", err);
		free(path);
	}
	if (nleft > 0)
		add_error(set, "%s: more than %d policy files: %zu ignored, "
		    "from %s on (sorted)", dir, POLICY_MAX_FILES, nleft,
		    first_left);
	r = 0;
 fail:
	/* On failure nothing was loaded; the one error says why. */
	if (dp != NULL)
		closedir(dp);
	close(dfd);
	sm_strv_free(names, n);
	free(first_left);
	if (r == -1)
		errno = saved;
	return r;
}
