/*
 * Writes in a child: an fsync can take 1-18 ms (bench/pam), during which a
 * loop that wrote itself would read no PAM datagram and lose events.
 */
#include "config.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bgwrite.h"
#include "daemon.h"

/* See bgwrite.h: 0/-1 with errno. */
int
bgwrite_start(struct daemon *d, struct bgwrite *w, int (*fn)(void *),
    void *arg)
{
	pid_t pid;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		/*
		 * The pidfile's lock is the daemon's alone: held through this
		 * descriptor too, it would outlive a killed daemon by the
		 * write's time and refuse the next start (exit 75).
		 */
		if (d->lockfd != -1)
			close(d->lockfd);
		_exit(fn(arg) == 0 ? 0 : 1);
	}
	w->pid = pid;
	return 0;
}

/* See bgwrite.h: 1 running, 0 none or done well, -1 done badly. */
int
bgwrite_reap(struct bgwrite *w, int block)
{
	pid_t r;
	int st;

	if (w->pid == 0)
		return 0;
	while ((r = waitpid(w->pid, &st, block ? 0 : WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (r == 0)
		return 1;
	w->pid = 0;
	return r == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ? -1 : 0;
}
