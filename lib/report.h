/*
 * One event, three records: a Linux audit record (libaudit), a syslog line
 * (authpriv) and a JSON line, all carrying the same event id.
 */
#ifndef SM_REPORT_H
#define SM_REPORT_H

#include <stddef.h>

struct report_ev {
	int	 type;		/* AUDIT_USYS_CONFIG, AUDIT_SERVICE_START, ... */
	const char *op;		/* "sshmedic-config-rollback": one hyphenated token */
	int	 success;	/* res=success / res=failed */
	unsigned long gen;	/* generation concerned, 0 = none */
	unsigned long prev_gen;	/* generation before, 0 = none */
	const char *files;	/* comma list of paths, or NULL */
	const char *reason;	/* why: short human text, or NULL */
	const char *unit;	/* "sshd" for SERVICE_* records, or NULL */
	const char *user;	/* acct= for user records, or NULL */
	const char *detail;	/* JSON only (bounded): e.g. sshd -t stderr */
	const char *evid;	/* caller's id, or NULL to make a new one */
};

struct report_cfg {
	const char *json_path;	/* NULL or "": no JSON log */
	int	 audit;		/* write audit records */
	int	 syslog;	/* write syslog lines */
	const char *ident;	/* program name for syslog */
};

/*
 * Opens the sinks. Audit being off or refused (ECONNREFUSED, EPERM,
 * EPROTONOSUPPORT) is not an error: reported once, then audit is skipped.
 * 0/-1 (the JSON log could not be opened; the others still work).
 */
int	report_open(const struct report_cfg *cfg);
void	report_close(void);

/*
 * Emits the event to every open sink. evid_out (may be NULL) gets the
 * event id used. Untrusted strings are encoded (audit_encode_nv_string,
 * json-c escaping, and control characters replaced in syslog). Never fails:
 * a sink that cannot be written is counted (report_lost()).
 */
void	report_emit(const struct report_ev *ev, char evid_out[33]);

/*
 * Shorthand for the common event (no prev_gen, acct, detail or caller id):
 * fills a report_ev and emits it. evid_out may be NULL.
 */
void	report_simple(int type, const char *op, int ok, unsigned long gen,
	    const char *unit, const char *files, const char *reason,
	    char evid_out[33]);

/*
 * The same for an event about an account, a request or a policy: acct=,
 * files, reason, a JSON-only detail, and the caller's event id (evid NULL:
 * a new one). evid_out (may be NULL) gets the id used.
 */
void	report_account(int type, const char *op, int ok, const char *user,
	    const char *files, const char *reason, const char *detail,
	    const char *evid, char evid_out[33]);

/* Number of records that could not be written since start. */
unsigned long report_lost(void);
/* Of those: audit records (refused by the kernel, or too long), JSON lines. */
unsigned long report_lost_audit(void);
unsigned long report_lost_json(void);

/*
 * fn is called after every event report_emit wrote (to what sinks were
 * open), with the event as given; NULL removes it. One hook: the metrics
 * count actions by op here. It must not emit events itself.
 */
typedef void (*report_hook_fn)(const struct report_ev *ev, void *arg);
void	report_set_hook(report_hook_fn fn, void *arg);

/* Predicate: 1 when audit records are being written. */
int	report_audit_active(void);

/*
 * Builds the audit message text (without res=, which libaudit adds) into
 * buf; exposed for unit tests. 0/-1 (ENOSPC when it does not fit).
 */
int	report_format_audit(const struct report_ev *ev, const char *evid,
	    char *buf, size_t len);

/*
 * Builds the syslog line (type=, op=, res=, the fields with quotes,
 * backslashes and control characters escaped, evid=) into buf, truncated
 * to fit; exposed for unit tests.
 */
void	report_format_syslog(const struct report_ev *ev, const char *evid,
	    char *buf, size_t len);

/* Builds the JSON line (no newline) for unit tests; malloc'd string. */
char	*report_format_json(const struct report_ev *ev, const char *evid,
	    long long time_ms);

#endif
