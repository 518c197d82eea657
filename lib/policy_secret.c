/*
 * The credential files policies point at (set_password's escrowed hash,
 * breakglass's public key), checked at load so that sshmedicd -t sees them;
 * their content is judged by lib/authkeys.c, the same as everywhere else.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authkeys.h"
#include "conf_int.h"
#include "fsutil.h"
#include "policy_int.h"
#include "pwdb.h"

#define ESCROW_MAX	4096		/* one hash line; yescrypt is ~75 bytes */
#define PUBKEYS_MAX	(64 * 1024)	/* a few keys; an RSA-16384 line is ~2.8 KiB */

/*
 * Opens and reads a credential file: no symlink, a regular file, root's
 * when check_owner, none of badbits in its mode. The content is read but
 * never quoted. 0/-1 (x->err).
 */
static int
secret_read(struct conf_ctx *x, unsigned int line, const char *what,
    const char *path, int check_owner, mode_t badbits, size_t cap,
    char **buf, size_t *len)
{
	char q[POL_QUOTE_BUF];
	char owner[PWDB_NAME_MAX];
	struct stat st;
	int fd, r = -1;

	pol_quote(path, q, sizeof(q));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY)) == -1) {
		if (errno == ELOOP)
			return conf_err(x, line, "%s %s: is a symbolic link",
			    what, q);
		return conf_err(x, line, "%s %s: open: %s", what, q,
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1) {
		conf_err(x, line, "%s %s: fstat: %s", what, q, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_err(x, line, "%s %s: not a regular file", what, q);
		goto out;
	}
	if (check_owner && st.st_uid != 0) {
		conf_err(x, line, "%s %s: owned by uid %lu (%s), not root",
		    what, q, (unsigned long)st.st_uid,
		    pwdb_uid_name(st.st_uid, owner, sizeof(owner)));
		goto out;
	}
	if ((st.st_mode & badbits) != 0) {
		conf_err(x, line, "%s %s: mode %04o %s", what, q,
		    (unsigned int)(st.st_mode & 07777), badbits == 077 ?
		    "gives group or other access (want 0600 or 0400)" :
		    "is writable by group or other");
		goto out;
	}
	if (fs_read_fd(fd, cap, buf, len) == -1) {
		if (errno == EFBIG)
			conf_err(x, line, "%s %s: larger than %zu bytes", what,
			    q, cap);
		else
			conf_err(x, line, "%s %s: read: %s", what, q,
			    strerror(errno));
		goto out;
	}
	if (memchr(*buf, '\0', *len) != NULL) {
		explicit_bzero(*buf, *len);
		free(*buf);
		*buf = NULL;
		conf_err(x, line, "%s %s: contains a NUL byte", what, q);
		goto out;
	}
	r = 0;
 out:
	close(fd);
	return r;
}

/* See policy_int.h: 0/-1 (x->err). */
int
pol_check_escrow(struct conf_ctx *x, unsigned int line, const char *what,
    const char *path, int check_owner)
{
	char q[POL_QUOTE_BUF], *buf = NULL;
	size_t len;
	int r = -1;

	if (secret_read(x, line, what, path, check_owner, 077, ESCROW_MAX,
	    &buf, &len) == -1)
		return -1;
	pol_quote(path, q, sizeof(q));
	/* One line: a final newline is allowed, a second line is not. */
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	if (buf[0] == '\0')
		conf_err(x, line, "%s %s: is empty", what, q);
	else if (strchr(buf, '\n') != NULL)
		conf_err(x, line, "%s %s: holds more than one line (want one "
		    "crypt(3) hash)", what, q);
	else if (!authkeys_crypt_ok(buf))
		conf_err(x, line, "%s %s: does not look like a crypt(3) hash "
		    "(one of the schemes $y$, $gy$, $7$, $2b$, $6$, $5$; never "
		    "a password)", what, q);
	else
		r = 0;
	explicit_bzero(buf, len);
	free(buf);
	return r;
}

/* See policy_int.h: 0/-1 (x->err). */
int
pol_check_pubkeys(struct conf_ctx *x, unsigned int line, const char *what,
    const char *path, int check_owner)
{
	char q[POL_QUOTE_BUF], why[128], *buf = NULL;
	size_t len;
	int r = 0;

	if (secret_read(x, line, what, path, check_owner, 022, PUBKEYS_MAX,
	    &buf, &len) == -1)
		return -1;
	/* One key per line as in a .pub file: no authorized_keys options. */
	if (!authkeys_text_ok(buf, len, 0, why, sizeof(why)))
		r = conf_err(x, line, "%s %s: %s", what,
		    pol_quote(path, q, sizeof(q)), why);
	free(buf);
	return r;
}
