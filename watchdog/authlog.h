/*
 * The daemon's follower of sshd's log (authlog.file like tail -F, or
 * authlog.command's stdout): every rejected public key to events_record.
 */
#ifndef SM_WD_AUTHLOG_H
#define SM_WD_AUTHLOG_H

#include <stdint.h>
#include <sys/types.h>

struct daemon;
struct watch_ev;
struct json_object;

/* epoll tags of the command's stdout and pidfd (see sshmedicd.c). */
#define AUTHLOG_EV_OUT		20
#define AUTHLOG_EV_PID		21

#define AUTHLOG_READ_MAX	65536	/* bytes per wakeup; the rest next */
#define AUTHLOG_SAVE_MS		1000	/* position saved at most this often */
#define AUTHLOG_RETRY_MS	1000	/* a directory that could not be watched */
#define AUTHLOG_BACKOFF_MIN_MS	1000	/* command restarts: doubling ... */
#define AUTHLOG_BACKOFF_MAX_MS	60000	/* ... up to this; reset after a run this long */
#define AUTHLOG_STOP_MS		1000	/* SIGTERM to SIGKILL at exit */
#define AUTHLOG_LOG_MS		10000	/* dropped lines said at most this often */
#define AUTHLOG_STATE_KEY	"authlog_pos"	/* store state: "DEV INO OFFSET" */
#define AUTHLOG_GOODKEYS	32	/* connections whose key sshd found good ... */
#define AUTHLOG_GOODKEY_MS	60000	/* ... remembered this long */

/* A connection of a good key: "Postponed publickey for U from A port P". */
struct authlog_goodkey {
	char	 user[65];
	char	 addr[64];
	int	 port;
	int64_t	 at_ms;		/* monotonic; 0 free */
};

enum authlog_src {
	AL_OFF = 0,
	AL_FILE,
	AL_COMMAND,
};

struct authlog {
	enum authlog_src src;
	char	*buf;		/* the line being assembled, AUTHLOG_LINE_MAX */
	size_t	 len;
	int	 dropping;	/* inside an over-long line: skip to its newline */
	char	*chunk;		/* read buffer, AUTHLOG_READ_MAX */
	int	 more;		/* the last read stopped at the cap */
	struct authlog_goodkey good[AUTHLOG_GOODKEYS];	/* a ring */
	size_t	 good_next;
	uint64_t refused_after;	/* "Failed publickey" of a good key: not counted */

	uint64_t lines;		/* complete lines read */
	uint64_t rejected;	/* rejected keys handed to events_record */
	uint64_t suspect;	/* ... of them with a marked user name */
	uint64_t dropped;	/* lines over AUTHLOG_LINE_MAX, or cut off */
	uint64_t restarts;	/* of the command */
	int64_t	 drop_log_ms;	/* monotonic, last "dropped" log line */

	/* authlog.file */
	char	*path, *dir, *base;
	int	 fd;		/* -1: none open */
	dev_t	 dev;
	ino_t	 ino;
	off_t	 off;		/* bytes of fd consumed */
	int	 rotated;	/* a new file is under the name: drain, switch */
	int	 moved;		/* our file was renamed away from the name */
	int	 dir_watched;
	int	 said_missing;
	int	 said_unsafe;
	int	 pos_dirty;
	/*
	 * The position a counters write in flight covers: saved once that
	 * write has landed, never before (see pos_save in authlog.c).
	 */
	int	 pend_set;
	int64_t	 saved_off;	/* the offset last stored, -1 none this run */
	dev_t	 pend_dev;
	ino_t	 pend_ino;
	off_t	 pend_off;
	int64_t	 last_save_ms;
	int64_t	 save_due;	/* monotonic, 0 none */
	int64_t	 retry_due;

	/* authlog.command */
	char	**argv;
	pid_t	 pid;		/* 0: not running */
	int	 outfd;
	int	 pidfd;
	int64_t	 started_ms;
	int	 backoff_ms;
	int64_t	 restart_due;
};

/* Starts the configured source (none: nothing). No return value. */
void	authlog_start(struct daemon *d);

/* Saves the position, kills and reaps the command, unpins the directory. */
void	authlog_stop(struct daemon *d);

/* After SIGHUP: a changed source is stopped and the new one started. */
void	authlog_on_reconfig(struct daemon *d);

/* An inotify event of any watched directory (others are ignored). */
void	authlog_on_watch(struct daemon *d, const struct watch_ev *ev);

/* DL_AUTHLOG: read on, save the position, retry, restart the command. */
void	authlog_on_deadline(struct daemon *d);

/* AUTHLOG_EV_OUT / AUTHLOG_EV_PID: the command wrote, or exited. */
void	authlog_on_output(struct daemon *d);
void	authlog_on_exit(struct daemon *d);

/* "authlog" of sshmedic status --json: a new object (never NULL). */
struct json_object *authlog_status_json(struct daemon *d);

/*
 * Called by events.c around each write of the counters: _saving when one
 * starts (a child forked with them, or in place), _saved when it has
 * landed (ok 1) or failed (ok 0). The position is stored only after the
 * counters that hold its lines are on disk.
 */
void	authlog_counters_saving(struct daemon *d);
void	authlog_counters_saved(struct daemon *d, int ok);

/* Private to authlog.c and authlog_cmd.c. */
void	authlog_feed(struct daemon *d, const char *p, size_t n);
void	authlog_arm(struct daemon *d);
void	authlog_cmd_start(struct daemon *d);
void	authlog_cmd_stop(struct daemon *d);

#endif
