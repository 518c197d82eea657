/*
 * inotify through libinotifytools: one watch per directory of the closure,
 * so editors that replace files by rename are seen as well as in-place writes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <inotifytools/inotifytools.h>

#include "log.h"
#include "misc.h"
#include "watch.h"
#include "xmalloc.h"

#define WATCH_MAX	(256 + 8)
#define DRAIN_MAX	4096	/* events per wakeup; the rest on the next */

static char *watched[WATCH_MAX];
static int watched_wd[WATCH_MAX];
static size_t nwatched;
static char *pinned[WATCH_PINS];
static int watch_fd = -1;

int
watch_init(void)
{
	char link[64], target[64];
	ssize_t n;
	int fd;

	/*
	 * libinotifytools keeps its descriptor private but takes the lowest
	 * free one (inotify_init), and we have no threads: find that number
	 * first, then check that it really became an inotify instance.
	 */
	if ((fd = fcntl(0, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	close(fd);
	if (!inotifytools_init(0, 0, 0)) {
		errno = inotifytools_error();
		return -1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, target, sizeof(target) - 1)) == -1)
		return -1;
	target[n] = '\0';
	if (strcmp(target, "anon_inode:inotify") != 0) {
		error_f("libinotifytools descriptor is not at %d (%s)", fd, target);
		errno = EBADF;
		return -1;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	watch_fd = fd;
	return fd;
}

static int
in_list(char **dirs, size_t n, const char *extra, const char *d)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(dirs[i], d) == 0)
			return 1;
	return extra != NULL && strcmp(extra, d) == 0;
}

/* Predicate: d is pinned by watch_pin. */
static int
is_pinned(const char *d)
{
	size_t i;

	for (i = 0; i < WATCH_PINS; i++)
		if (pinned[i] != NULL && strcmp(pinned[i], d) == 0)
			return 1;
	return 0;
}

static void
watch_remove_at(size_t i)
{
	inotifytools_remove_watch_by_wd(watched_wd[i]);
	free(watched[i]);
	nwatched--;
	watched[i] = watched[nwatched];
	watched_wd[i] = watched_wd[nwatched];
}

/* 1 added, 0 not. */
static int
watch_add(const char *d)
{
	char *slash;

	if (nwatched >= WATCH_MAX) {
		error_f("too many directories to watch, %s left out", d);
		return 0;
	}
	if (!inotifytools_watch_file(d, WATCH_MASK)) {
		/* Gone between the closure read and now: the next read finds its parent. */
		debug_f("watch %s: %s", d, strerror(inotifytools_error()));
		return 0;
	}
	/* The library names directories with a trailing '/'. */
	xasprintf(&slash, "%s/", d);
	watched_wd[nwatched] = inotifytools_wd_from_filename(slash);
	free(slash);
	watched[nwatched++] = xstrdup(d);
	debug_f("watching %s", d);
	return 1;
}

int
watch_set(char **dirs, size_t ndirs, const char *extra)
{
	size_t i;
	int added = 0;

	for (i = 0; i < nwatched; ) {
		if (!in_list(dirs, ndirs, extra, watched[i]) &&
		    !is_pinned(watched[i]))
			watch_remove_at(i);
		else
			i++;
	}
	for (i = 0; i < ndirs; i++)
		if (!in_list(watched, nwatched, NULL, dirs[i]))
			added += watch_add(dirs[i]);
	if (extra != NULL && !in_list(watched, nwatched, NULL, extra))
		added += watch_add(extra);
	return added;
}

/* See watch.h: 1 watched, 0 not (yet). */
int
watch_pin(int slot, const char *dir)
{
	if (slot < 0 || slot >= WATCH_PINS)
		return 0;
	free(pinned[slot]);
	pinned[slot] = NULL;
	if (dir == NULL)
		return 0;
	pinned[slot] = xstrdup(dir);
	if (in_list(watched, nwatched, NULL, dir))
		return 1;
	return watch_add(dir);
}

static void
watch_forget(const char *d)
{
	size_t i;

	for (i = 0; i < nwatched; i++) {
		if (strcmp(watched[i], d) == 0) {
			free(watched[i]);
			nwatched--;
			watched[i] = watched[nwatched];
			watched_wd[i] = watched_wd[nwatched];
			return;
		}
	}
}

int
watch_drain(void (*cb)(void *arg, const struct watch_ev *ev), void *arg)
{
	struct inotify_event *ie;
	struct watch_ev ev;
	char dir[PATH_MAX];
	const char *f;
	int n = 0;

	/*
	 * inotifytools_next_event(0) would block (it maps 0 to "forever");
	 * next_events with timeout 0 polls, which is what a drain needs.
	 */
	while (n < DRAIN_MAX && (ie = inotifytools_next_events(0, 1)) != NULL) {
		n++;
		if ((f = inotifytools_filename_from_wd(ie->wd)) == NULL)
			continue;
		/* The library keeps a trailing '/' on directory names. */
		sm_strlcpy(dir, f, sizeof(dir));
		if (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
			dir[strlen(dir) - 1] = '\0';
		ev.dir = dir;
		ev.name = ie->len > 0 ? ie->name : "";
		ev.mask = ie->mask;
		/*
		 * The kernel dropped this watch (or the directory moved, so its
		 * name is stale): forget it; the closure re-read that follows
		 * watches the directory again, or its nearest parent.
		 */
		if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
			inotifytools_remove_watch_by_wd(ie->wd);
			watch_forget(dir);
		}
		cb(arg, &ev);
	}
	return n;
}

void
watch_close(void)
{
	size_t i;

	while (nwatched > 0)
		watch_remove_at(0);
	for (i = 0; i < WATCH_PINS; i++) {
		free(pinned[i]);
		pinned[i] = NULL;
	}
	if (watch_fd != -1)
		inotifytools_cleanup();
	watch_fd = -1;
}
