/*
 * sshmedic history's timeline: who changed a watched file (the kernel's
 * watch records, read with auparse) joined with what sshmedic decided.
 */
#ifndef SM_HISTORY_H
#define SM_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <auparse.h>
#include <json-c/json.h>

#include "auditwatch.h"

#define HIST_MAX_RECS		20000	/* watch records kept */
#define HIST_MAX_EVS		20000	/* sshmedic decisions kept */
#define HIST_MAX_PATHS		8	/* PATH items kept per record */
#define HIST_GROUP_GAP_MS	2000	/* one process's writes closer than this are one change */
#define HIST_DAEMON_JOIN_MS	5000	/* sshmedicd's write to its decision's record */

struct hist_path {
	char	*name;		/* absolute when it could be told (resolved 1) */
	char	 nametype[16];	/* NORMAL, CREATE, DELETE, PARENT, ... */
	int	 resolved;
	char	 dev[16];	/* for a name relative to a directory descriptor */
	unsigned long long ino;
};

/* One system call the kernel recorded on a watched path. */
struct hist_rec {
	int64_t	 time_ms;
	unsigned long serial;
	char	*key;		/* the rule's key; NULL: none */
	char	*syscall;	/* "openat" */
	int	 success;
	long long exit;
	long long pid, ppid;
	long long auid, uid, ses;	/* -1: unset */
	char	*auid_name, *uid_name;
	char	*exe, *comm, *tty;	/* never the argv: it may hold a secret */
	struct hist_path paths[HIST_MAX_PATHS];
	size_t	 npaths;
	int	 by_daemon;
	size_t	 owner;		/* join: its change group, or its event (by_daemon) */
	int	 attached;
};

/* One decision of sshmedic: its audit record, its JSON line, or both. */
struct hist_ev {
	int64_t	 time_ms;
	char	 evid[33];
	char	*type, *op, *res, *reason, *acct, *unit, *detail;
	unsigned long gen, prev_gen;
	char	**files;
	size_t	 nfiles;
	long long pid;		/* the writer's, from the audit record; -1 */
	unsigned long serial;	/* the audit record's; 0: none */
	int	 in_audit, in_json;
	size_t	 group;		/* join: the change it follows */
	int	 joined;
	size_t	*kernel;	/* join: sshmedicd's own records under it */
	size_t	 nkernel;
};

/* A change: one process's records on watched paths, close together. */
struct hist_group {
	size_t	*recs;
	size_t	 nrecs;
	size_t	*evs;		/* the decisions that follow it */
	size_t	 nevs;
	int64_t	 first_ms, last_ms;
};

struct hist_item {
	int	 is_group;	/* else a standalone event */
	size_t	 idx;
	int64_t	 time_ms;
};

struct hist {
	struct hist_rec *recs;
	size_t	 nrecs;
	struct hist_ev *evs;
	size_t	 nevs;
	int	 truncated;	/* a cap was hit: the oldest kept are not the oldest */
	unsigned long other_daemons;	/* records left out: not this log's ids */
	struct hist_group *groups;
	size_t	 ngroups;
	struct hist_item *items;
	size_t	 nitems;
};

/*
 * Reads au's events (from since_ms on) into h: the system calls on a path
 * ws matches, or with a key starting with ws's prefix, and the user
 * records whose op= starts with "sshmedic-". Only fields are taken, never
 * PROCTITLE or EXECVE (an argv may hold a password). Past HIST_MAX_RECS
 * or HIST_MAX_EVS the oldest go (h->truncated). 0, or -1 when auparse
 * fails.
 */
int	hist_audit_read(struct hist *h, auparse_state_t *au,
	    const struct awatch_set *ws, int64_t since_ms);

/* The audit log's files, held open. */
struct hist_logs {
	char	**names;	/* as shown: the log and its rotations, oldest first */
	char	**paths;	/* /proc/self/fd/N of each, for auparse; NULL-ended */
	int	*fds;
	size_t	 n;
};

/*
 * Opens the audit log files to read for since_ms, oldest first: explicit
 * (--input) alone, or auditd.conf's log_file and its rotations, leaving
 * out those last written before since_ms. They are held open, and opened
 * again when auditd rotated meanwhile, so a rotation while they are read
 * loses nothing. 0, or -1 with err saying why the log cannot be read
 * (permission, missing).
 */
int	hist_logs_open(const char *explicit, int64_t since_ms,
	    struct hist_logs *l, char *err, size_t errlen);
void	hist_logs_close(struct hist_logs *l);

/*
 * Adds the JSON log's events (objects of the event log: time, id, type,
 * op, ...) from since_ms on to h, merging those whose id an audit record
 * has (any of events may match). Audit records from coverage_ms on (the
 * oldest line of events; 0 for a log read whole that was never rotated)
 * whose id the log lacks, written by a process none of whose records it
 * has, are another sshmedicd's (a test sandbox's): left out and counted.
 * coverage_ms < 0: no log to compare with.
 */
void	hist_add_json(struct hist *h, json_object *events, int64_t since_ms,
	    int64_t coverage_ms);

/*
 * Joins: groups the records into changes, puts each decision after the
 * latest change of one of its files at most window_ms before it, each of
 * sshmedicd's own writes under the decision it belongs to, and orders the
 * timeline.
 */
void	hist_join(struct hist *h, int64_t window_ms);

void	hist_free(struct hist *h);
/* Free what one record or event holds (and zero it). */
void	hist_rec_clear(struct hist_rec *r);
void	hist_ev_clear(struct hist_ev *e);

/* The timeline as a JSON array (field names: sshmedic(8)). */
json_object *hist_json(const struct hist *h);

/* The timeline as text, control characters and bad UTF-8 replaced. */
void	hist_print(const struct hist *h, FILE *f);

/* Prints untrusted text (a file name can hold escapes) as hist_print does. */
void	hist_put(FILE *f, const char *s);

#endif
