/*
 * Requests in paths.requests: each NAME.req processed once, answered by
 * NAME.result (JSON), kept as NAME.done (secrets removed) or NAME.rejected.
 */
#ifndef SM_REQUESTS_H
#define SM_REQUESTS_H

struct daemon;
struct watch_ev;

#define REQUESTS_BATCH	64	/* request files processed per wakeup */

/*
 * At start: creates paths.requests (root, 0700) if missing, watches it and
 * processes what is waiting there.
 */
void	requests_start(struct daemon *d);

/* Every inotify event: a request moved or written into the directory. */
void	requests_on_watch(struct daemon *d, const struct watch_ev *ev);

/* Processes the pending request files (at most REQUESTS_BATCH). */
void	requests_scan(struct daemon *d);


#endif
