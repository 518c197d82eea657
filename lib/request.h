/*
 * Request files: the cloud "VM access" operations asked of sshmedicd by
 * `sshmedic request` or by a file dropped in paths.requests.
 *
 *   requests = (
 *     { op = "set-key"; user = "alice"; keys = [ "ssh-ed25519 AAAA... a" ];
 *       replace = false; },
 *     { op = "expire"; user = "bob"; date = "2027-01-31"; }
 *   );
 */
#ifndef SM_REQUEST_H
#define SM_REQUEST_H

#include <stddef.h>

#define REQ_MAX_OPS	16
#define REQ_FILE_MAX	(256 * 1024)
#define REQ_KEYS_MAX	(64 * 1024)
#define REQ_SUFFIX	".req"
/* What a processed NAME.req leaves: its answer, and the request kept. */
#define REQ_RESULT_SUFFIX	".result"
#define REQ_DONE_SUFFIX		".done"		/* applied, secrets removed */
#define REQ_REJECTED_SUFFIX	".rejected"	/* refused, kept as it was */

enum req_kind {
	RQ_RESET_SSH = 0,
	RQ_SET_KEY,
	RQ_SET_PASSWORD,
	RQ_ADD_SUDO_USER,
	RQ_REMOVE_USER,
	RQ_EXPIRE,
	RQ_NKINDS
};

struct req_op {
	enum req_kind	 kind;
	unsigned int	 line;
	char		*user;		/* all but reset-ssh */
	char		*keys;		/* set-key, add-sudo-user: key lines */
	size_t		 keyslen;
	int		 replace;	/* set-key */
	char		*hash;		/* set-password: a crypt(3) hash */
	int		 keep_home;	/* remove-user */
	char		*date;		/* expire: YYYY-MM-DD or never */
};

struct request {
	struct req_op	 op[REQ_MAX_OPS];
	size_t		 n;
};

/*
 * Parses the text of a request file named path (for messages). Checks
 * each op's fields (names, key lines, hash shape, date) and conflicts
 * between the ops (a user removed and changed in the same request). 0,
 * or -1 with err "PATH:LINE: reason" (never quoting a hash). r must be
 * freed with request_free in both cases.
 */
int	request_parse(const char *path, const char *text, size_t len,
	    struct request *r, char *err, size_t errlen);

void	request_free(struct request *r);

/* "set-key", ...; NULL for an unknown kind. */
const char *request_kind_name(enum req_kind);
/* -1 for an unknown name. */
int	request_kind_from_name(const char *);

/*
 * The request file text for one op (libconfig; strings escaped), malloc'd:
 * what `sshmedic request` writes. NULL on a field that cannot be written.
 */
char	*request_format(const struct req_op *op);

/*
 * The text of a processed request kept for review: the same ops with the
 * hash of set-password replaced by "(removed)". malloc'd.
 */
char	*request_redacted(const struct request *r);

#endif
