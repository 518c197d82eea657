/*
 * sshmedic.conf: the daemon's configuration in libconfig syntax, parsed once
 * into a struct with explicit defaults; every problem names file:line.
 */
#ifndef SM_CONF_H
#define SM_CONF_H

#include <stddef.h>

#define CONF_DEFAULT_PATH	SYSCONFDIR "/sshmedic/sshmedic.conf"
#define CONF_MAX_PROTECTED	64
#define CONF_MAX_ARGV		32
#define LIVE_BURST_LIMIT	1000

struct conf_user {
	char	*name;		/* login name */
	char	*addr;		/* address the guard evaluates from (-C addr=) */
	char	*host;		/* host name for -C host= */
};

struct sm_conf {
	char	*path;			/* the file read; NULL: none (absent) */

	/* sshd */
	char	*sshd_binary;		/* /usr/sbin/sshd */
	char	*sshd_config;		/* /etc/ssh/sshd_config */
	char	*sshd_dir;		/* base of relative Include: /etc/ssh */
	char	*sshd_pidfile;		/* /run/sshd.pid */
	char	**sshd_start;		/* argv, NULL-terminated */
	char	**sshd_reload;		/* argv; empty: SIGHUP to the pidfile's pid */
	int	 sshd_test_timeout_ms;	/* bound on sshd -t / -T */
	char	*sshd_vendor_config;	/* ladder step 4, "" = none */
	char	*sshd_privsep_dir;	/* /run/sshd (S3) */
	char	*sshd_pam_service;	/* sshd's PAM service: /etc/pam.d/NAME */

	/* probe */
	char	*probe_address;		/* numeric, 127.0.0.1 */
	int	 probe_port;
	int	 probe_interval_ms;	/* 0: no periodic probe */
	int	 probe_timeout_ms;
	int	 probe_misses;		/* failed banner probes before kill+restart */
	char	*canary_user;		/* "" = no canary login */
	char	*canary_key;		/* its private key */
	int	 canary_interval_ms;
	int	 canary_misses;		/* failed canary logins before a restart */

	/* restart: the ladder */
	int	 restart_backoff_ms;	/* first wait at step 5 */
	int	 restart_backoff_max_ms;
	int	 restart_burst;		/* at most this many starts ... */
	int	 restart_burst_window_ms;	/* ... in this window */
	int	 restart_vendor_default;	/* ladder step 4 allowed */

	/* guard */
	int	 debounce_ms;
	int	 grace_ms;
	int	 write_timeout_ms;	/* how long an open writer may hold validation */
	int	 serve_timeout_ms;	/* how long a valid change waits to be served */
	int	 fight_limit;		/* rollbacks of the same content before backing off */
	int	 fight_window_ms;
	int	 fight_backoff_ms;
	int	 apply;			/* reload sshd after a valid change */
	int	 confirm_login;		/* guard.confirm = "login" */
	int	 confirm_timeout_ms;	/* a provisional change is reverted after */

	struct conf_user *protected_users;
	size_t	 nprotected;

	/* store */
	int	 keep_generations;
	int	 keep_quarantine;

	/* counters: table sizes, fixed at start (lib/counters.h) */
	int	 counters_users;
	int	 counters_sources;

	/* paths */
	char	*state_dir;		/* /var/lib/sshmedic */
	char	*run_dir;		/* /run/sshmedic */
	char	*policies_dir;		/* /etc/sshmedic/policies.d */
	char	*requests_dir;		/* /var/lib/sshmedic/requests */
	char	*pam_dir;		/* /etc/pam.d: sshd's PAM service files */
	char	*sudoers_dir;		/* /etc/sudoers.d: sudo users' drop-ins */

	/* report */
	char	*log_json;		/* JSON lines event log, "" = off */
	int	 log_audit;		/* write audit records */
	int	 log_syslog;
	char	*metrics_textfile;	/* "" = off */
	int	 metrics_interval_ms;	/* longest time between two writes */

	/* authlog: sshd's messages, read for rejected keys (one source or none) */
	char	*authlog_file;		/* appended to by sshd -E or syslog, "" = off */
	char	**authlog_command;	/* argv printing them on stdout; empty = off */
};

/* Fills c with every default (no file read). */
void	conf_defaults(struct sm_conf *c);

/* conf_load's flags. */
#define CONF_CHECK_OWNER	0x1	/* root's, not group/other-writable */
#define CONF_ABSENT_OK		0x2	/* no file there: the defaults, 0 */

/*
 * Loads path over the defaults. Refuses (-1) unknown keys, wrong types,
 * out-of-range values, relative paths, and, with CONF_CHECK_OWNER (all but
 * unit tests), a file not owned by root or writable by group/other; err
 * gets "FILE:LINE: reason". 0 on success. With CONF_ABSENT_OK a path that
 * does not exist (ENOENT: the default file an admin deleted or never
 * installed) is the defaults, 0, with c->path NULL; a dangling symlink is
 * still refused. On failure c holds the defaults only and must still be
 * freed. c need not be initialised: conf_load fills the defaults itself
 * (do not call conf_defaults first, it would leak).
 */
int	conf_load(const char *path, struct sm_conf *c, int flags,
	    char *err, size_t errlen);

/* Frees everything conf_defaults/conf_load allocated. */
void	conf_free(struct sm_conf *c);

/* Path helpers under the configured directories (malloc'd). */
char	*conf_ctl_socket(const struct sm_conf *c);	/* run/ctl.sock */
char	*conf_event_socket(const struct sm_conf *c);	/* run/event.sock */
char	*conf_pidfile(const struct sm_conf *c);		/* run/sshmedicd.pid */
char	*conf_event_drops(const struct sm_conf *c);	/* run/event.drops */

#endif
