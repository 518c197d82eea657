/*
 * Host key repair (LOCKOUTS C6/S4): regenerate what is missing or empty,
 * tighten what is too open; private key material is never copied or kept.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "hostkeys.h"
#include "log.h"
#include "misc.h"
#include "spawn.h"
#include "xmalloc.h"

#define KEYGEN		"/usr/bin/ssh-keygen"
#define KEYGEN_MS	30000

/*
 * The type to generate: what the leftover .pub says, else what the name
 * says (sshd's own names are ssh_host_<type>_key), else ed25519, which
 * every sshd this project supports loads.
 */
static const char *
key_type(const char *path)
{
	const char *base = strrchr(path, '/');
	char *pub = NULL, *buf = NULL;
	const char *t = NULL;
	size_t len;

	xasprintf(&pub, "%s.pub", path);
	if (fs_read_file(pub, 16384, 0, &buf, &len) == 0) {
		if (strncmp(buf, "ssh-ed25519 ", 12) == 0)
			t = "ed25519";
		else if (strncmp(buf, "ecdsa-sha2-", 11) == 0)
			t = "ecdsa";
		else if (strncmp(buf, "ssh-rsa ", 8) == 0)
			t = "rsa";
		free(buf);
	}
	free(pub);
	if (t != NULL)
		return t;
	base = base != NULL ? base + 1 : path;
	if (strstr(base, "ed25519") != NULL)
		return "ed25519";
	if (strstr(base, "ecdsa") != NULL)
		return "ecdsa";
	if (strstr(base, "rsa") != NULL)
		return "rsa";
	if (strstr(base, "dsa") != NULL)
		return NULL;	/* DSA is disabled in sshd: never generate one */
	return "ed25519";
}

/*
 * Predicate: ssh-keygen can derive the public key, so sshd can load it.
 * The key is read by ssh-keygen in its own process, never by us. Unsure
 * (ssh-keygen missing, timed out) counts as loadable: no repair on a guess.
 */
static int
key_loads(const char *path)
{
	char *argv[] = { KEYGEN, "-y", "-f", (char *)path, NULL };
	struct spawn_res r;
	char head[11];
	ssize_t n;
	int fd, ok;

	/*
	 * With HostKeyAgent the HostKey lines name public keys; only the
	 * first bytes are read to tell (a PEM/OpenSSH header, no key data).
	 */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 1;
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n > 0) {
		head[n] = '\0';
		if (strncmp(head, "-----BEGIN", 10) != 0)
			return strncmp(head, "ssh-", 4) == 0 ||
			    strncmp(head, "ecdsa-", 6) == 0 ||
			    strncmp(head, "sk-", 3) == 0;
	}
	if (spawn_run(argv, NULL, NULL, 0, KEYGEN_MS, 16384, &r) == -1)
		return 1;
	ok = r.timed_out || spawn_ok(&r);
	spawn_res_free(&r);
	return ok;
}

int
hostkey_needs_repair(const char *path, char *what, size_t len)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		snprintf(what, len, "%s: %s", path, strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		/* A symlink or directory is the admin's doing: report, don't touch. */
		return 0;
	}
	if (st.st_size == 0) {
		snprintf(what, len, "%s is empty", path);
		return 1;
	}
	if (st.st_uid != 0 || (st.st_mode & 077) != 0) {
		snprintf(what, len, "%s has owner %u mode %04o (sshd wants root "
		    "0600)", path, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		return 1;
	}
	if (!key_loads(path)) {
		snprintf(what, len, "%s is not a private key ssh-keygen can "
		    "load (corrupt or truncated)", path);
		return 1;
	}
	return 0;
}

static int
regenerate(const char *path, const char *type, char *what, size_t len)
{
	char *dir = NULL, *base = NULL, *tmp = NULL, *tmppub = NULL, *pub = NULL;
	char how[128];
	char *argv[] = { KEYGEN, "-q", "-N", "", "-C", "", "-t", (char *)type,
	    "-f", NULL, NULL };
	struct spawn_res r;
	char rnd[33];
	int ret = -1, ran = 0;

	if (fs_split(path, &dir, &base) == -1) {
		snprintf(what, len, "%s: bad path", path);
		return -1;
	}
	random_id(rnd);
	xasprintf(&tmp, "%s/%shostkey.%.8s", dir, FS_TMP_PREFIX, rnd);
	xasprintf(&tmppub, "%s.pub", tmp);
	xasprintf(&pub, "%s.pub", path);
	argv[9] = tmp;
	/* ssh-keygen writes in place; a temporary keeps a kill from leaving half a key. */
	if (spawn_run(argv, NULL, NULL, 0, KEYGEN_MS, 4096, &r) == -1) {
		snprintf(what, len, "%s: %s", KEYGEN, strerror(errno));
		goto out;
	}
	ran = 1;
	if (!spawn_ok(&r)) {
		snprintf(what, len, "ssh-keygen -t %s: %s: %.200s", type,
		    spawn_describe(&r, how, sizeof(how)), r.err);
		goto out;
	}
	if (chown(tmp, 0, 0) == -1 || chmod(tmp, 0600) == -1 ||
	    chown(tmppub, 0, 0) == -1 || chmod(tmppub, 0644) == -1 ||
	    rename(tmppub, pub) == -1 || rename(tmp, path) == -1 ||
	    fs_fsync_dir(dir) == -1) {
		snprintf(what, len, "install %s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(what, len, "%s regenerated (%s)", path, type);
	ret = 1;
 out:
	if (ran)
		spawn_res_free(&r);
	if (ret != 1) {
		unlink(tmp);
		unlink(tmppub);
	}
	free(dir);
	free(base);
	free(tmp);
	free(tmppub);
	free(pub);
	return ret;
}

int
hostkey_repair(const char *path, char *what, size_t len)
{
	struct stat st;
	const char *type;
	int fd;

	if (!hostkey_needs_repair(path, what, len))
		return 0;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (st.st_uid == 0 && (st.st_mode & 077) == 0) && !key_loads(path)) {
		/*
		 * Unloadable: set aside beside it (private key material never
		 * goes into the store), then regenerated below.
		 */
		char *aside = NULL, rnd[33];

		random_id(rnd);
		xasprintf(&aside, "%s.sshmedic-broken.%.8s", path, rnd);
		if (rename(path, aside) == -1) {
			snprintf(what, len, "set aside %s: %s", path,
			    strerror(errno));
			free(aside);
			return -1;
		}
		logit("unloadable host key %s kept as %s", path, aside);
		free(aside);
	} else if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0) {
		/* Too open or wrong owner: fix on the descriptor, not the name. */
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
		    fchown(fd, 0, 0) == -1 || fchmod(fd, 0600) == -1) {
			snprintf(what, len, "fix mode of %s: %s", path,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		close(fd);
		snprintf(what, len, "%s set to owner root mode 0600", path);
		return 1;
	}
	if ((type = key_type(path)) == NULL) {
		snprintf(what, len, "%s: key type unknown from its name; not "
		    "generated", path);
		return -1;
	}
	return regenerate(path, type, what, len);
}

/* See hostkeys.h: 1 removed, 0 none, -1 with errno. */
int
hostkey_forget_pin(const char *state_dir)
{
	char path[1024];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir,
	    HOSTKEY_CANARY_PIN) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (unlink(path) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}
