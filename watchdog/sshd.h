/*
 * What sshmedicd needs to know about and do to sshd for the guard: its pid
 * from the pidfile, whether it answers with an SSH banner, reload and start.
 */
#ifndef SM_SSHD_H
#define SM_SSHD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"

/* The pid in the pidfile if that process exists, else 0. */
pid_t	sshd_pid(const struct sm_conf *c);

/* Modification time of the pidfile in ms since the epoch, 0 if absent. */
int64_t	sshd_pidfile_mtime_ms(const struct sm_conf *c);

/*
 * Connects to probe.address:probe.port and reads the identification line
 * within probe.timeout_ms. 1 answered "SSH-2.0-...", 0 not (reason set).
 */
int	sshd_probe_banner(const struct sm_conf *c, char *reason, size_t rlen);

/*
 * Makes sshd load its configuration again: sshd.reload argv, or SIGHUP to
 * the pidfile's process when that list is empty; then waits (bounded by
 * timeout_ms) for the pidfile to be rewritten and the banner to answer.
 * Starts sshd with sshd.start when no sshd runs. 0 serving, -1 not (reason).
 * *started is set to 1 when it had to start sshd.
 */
int	sshd_reload_and_wait(const struct sm_conf *c, int timeout_ms,
	    int *started, char *reason, size_t rlen);

#endif
