/*
 * The catalogue's checks of the machine around sshd: the privilege
 * separation directory, a foreign holder of the port, /etc/nologin, space.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "checks.h"
#include "checks_int.h"
#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "xmalloc.h"

#define PROC_SCAN_MAX	65536	/* processes looked at for a port holder */
#define FD_SCAN_MAX	65536	/* descriptors per process */
#define LISTEN_MAX	16	/* listening sockets on one port */
#define NOLOGIN_CAP	4096	/* bytes of /etc/nologin shown */
#define PARENT_MAX	64	/* parents climbed to reach an existing dir */

enum check_state
check_privsep(const struct sm_conf *c, char *detail, size_t len)
{
	const char *dir = c->sshd_privsep_dir;
	struct stat st;

	if (lstat(dir, &st) == -1) {
		snprintf(detail, len, "%s: %s", dir, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? CHK_FAIL :
		    CHK_UNKNOWN;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(detail, len, "%s is not a directory", dir);
		return CHK_FAIL;
	}
	/* sshd refuses a chroot directory that is not root's or is writable. */
	if (st.st_uid != 0 || (st.st_mode & 022) != 0) {
		snprintf(detail, len, "%s has owner %u mode %04o (sshd wants "
		    "root, not group/other writable)", dir,
		    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return CHK_FAIL;
	}
	snprintf(detail, len, "%s is a root directory, mode %04o", dir,
	    (unsigned)(st.st_mode & 07777));
	return CHK_OK;
}

/* Whole-field hex or decimal number of a /proc line; -1 when malformed. */
static long long
proc_num(const char *s, int base)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' ||
	    v > (1ULL << 62))
		return -1;
	return (long long)v;
}

size_t
check_listen_inodes(const char *file, int port, unsigned long *ino,
    size_t max)
{
	char line[512], *fld[12], *save, *p, *colon;
	long long lport, st, inode;
	size_t n = 0, nf, nlines = 0;
	FILE *f;

	if ((f = fopen(file, "re")) == NULL)
		return 0;
	/* "sl local:port rem:port st tx:rx tr:when retrnsmt uid timeout inode" */
	while (n < max && nlines++ < PROC_SCAN_MAX &&
	    fgets(line, sizeof(line), f) != NULL) {
		nf = 0;
		save = NULL;
		for (p = strtok_r(line, " \t\n", &save); p != NULL && nf < 12;
		    p = strtok_r(NULL, " \t\n", &save))
			fld[nf++] = p;
		if (nf < 10 || (colon = strrchr(fld[1], ':')) == NULL)
			continue;	/* the header, or not a socket line */
		lport = proc_num(colon + 1, 16);
		st = proc_num(fld[3], 16);
		inode = proc_num(fld[9], 10);
		if (lport == port && st == 0x0A && inode > 0)
			ino[n++] = (unsigned long)inode;
	}
	fclose(f);
	return n;
}

/* Predicate: process pid has one of the sockets ino[0..n) open. */
static int
holds_socket(long long pid, const unsigned long *ino, size_t n)
{
	char path[64], link[64], want[64], sock[40];
	struct dirent *fe;
	DIR *fds;
	size_t i, nfd;
	ssize_t l;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%lld/fd", pid);
	if ((fds = opendir(path)) == NULL)
		return 0;
	for (nfd = 0; !found && nfd < FD_SCAN_MAX &&
	    (fe = readdir(fds)) != NULL; nfd++) {
		snprintf(link, sizeof(link), "/proc/%lld/fd/%.20s", pid,
		    fe->d_name);
		if ((l = readlink(link, want, sizeof(want) - 1)) <= 0)
			continue;
		want[l] = '\0';
		for (i = 0; i < n && !found; i++) {
			snprintf(sock, sizeof(sock), "socket:[%lu]", ino[i]);
			found = strcmp(want, sock) == 0;
		}
	}
	closedir(fds);
	return found;
}

void
check_proc_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	if (len == 0)
		return;
	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(comm, (int)len, f) == NULL)
			comm[0] = '\0';
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = '\0';
	if (comm[0] == '\0')
		sm_strlcpy(comm, "?", len);
}

int
check_port_holder(int port, pid_t except, pid_t *pid, char *comm, size_t len)
{
	unsigned long ino[LISTEN_MAX];
	struct dirent *pe;
	DIR *proc;
	size_t n, nproc = 0;
	long long v;
	int found = 0;

	n = check_listen_inodes("/proc/net/tcp", port, ino, SM_NELEM(ino));
	n += check_listen_inodes("/proc/net/tcp6", port, ino + n,
	    SM_NELEM(ino) - n);
	if (n == 0 || (proc = opendir("/proc")) == NULL)
		return 0;
	while (!found && nproc++ < PROC_SCAN_MAX &&
	    (pe = readdir(proc)) != NULL) {
		if (parse_ll(pe->d_name, 1, 4194304, &v) == -1 ||
		    (pid_t)v == except)
			continue;
		if (holds_socket(v, ino, n)) {
			found = 1;
			*pid = (pid_t)v;
			check_proc_comm(*pid, comm, len);
		}
	}
	closedir(proc);
	return found;
}

enum check_state
check_port(const struct sm_conf *c, pid_t master, char *detail, size_t len)
{
	char comm[64];
	pid_t pid = 0;

	if (!check_port_holder(c->probe_port, master, &pid, comm,
	    sizeof(comm))) {
		snprintf(detail, len, "no process other than the sshd master "
		    "listens on port %d", c->probe_port);
		return CHK_OK;
	}
	snprintf(detail, len, "port %d is held by pid %ld (%s), not the sshd "
	    "master%s", c->probe_port, (long)pid, comm,
	    master == 0 ? " (no master in the pidfile)" : "");
	return CHK_FAIL;
}

/* M1 */
enum check_state
check_nologin(struct check_ctx *x, char *detail, size_t len)
{
	struct stat st;
	char *buf = NULL;
	size_t n, i;

	(void)x;
	if (lstat(CHECK_NOLOGIN, &st) == -1) {
		if (errno == ENOENT) {
			snprintf(detail, len, "%s absent", CHECK_NOLOGIN);
			return CHK_OK;
		}
		snprintf(detail, len, "%s: %s", CHECK_NOLOGIN, strerror(errno));
		return CHK_UNKNOWN;
	}
	/* Its first line is what refused users are shown: worth quoting. */
	if (S_ISREG(st.st_mode) &&
	    fs_read_file(CHECK_NOLOGIN, NOLOGIN_CAP, 0, &buf, &n) == 0) {
		buf[strcspn(buf, "\r\n")] = '\0';
		for (i = 0; buf[i] != '\0'; i++)
			if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
				buf[i] = '?';
	}
	snprintf(detail, len, "%s present: logins of every user but root are "
	    "refused%s%.120s%s", CHECK_NOLOGIN, buf != NULL && *buf ? " (\"" :
	    "", buf != NULL ? buf : "", buf != NULL && *buf ? "\")" : "");
	free(buf);
	return CHK_FAIL;
}

int
check_space_low(unsigned long long avail, unsigned long long total,
    unsigned long long min_abs)
{
	if (avail < min_abs)
		return 1;
	/* avail / total < 1%, without overflowing avail * 100 */
	return total > 0 && avail < total / 100 * CHECK_MIN_FREE_PERCENT +
	    (total % 100 * CHECK_MIN_FREE_PERCENT + 99) / 100;
}

/*
 * statvfs of path or of its nearest existing parent (paths.state may not
 * exist before the first start). 0, or -1 with errno.
 */
static int
statvfs_up(const char *path, struct statvfs *sv)
{
	char *p = xstrdup(path), *slash;
	int i, r = -1;

	for (i = 0; i < PARENT_MAX; i++) {
		if ((r = statvfs(p, sv)) == 0 || errno != ENOENT)
			break;
		if ((slash = strrchr(p, '/')) == NULL || slash == p) {
			r = statvfs("/", sv);
			break;
		}
		*slash = '\0';
	}
	free(p);
	return r;
}

/* One filesystem of M2; appends its line to detail. */
static enum check_state
space_one(const char *what, const char *path, char *detail, size_t len)
{
	struct statvfs sv;
	unsigned long long avail, total;
	size_t used = strlen(detail);
	int low_b, low_i;

	if (statvfs_up(path, &sv) == -1) {
		snprintf(detail + used, len - used, "%s%s %s: %s",
		    used ? "; " : "", what, path, strerror(errno));
		return CHK_UNKNOWN;
	}
	avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	total = (unsigned long long)sv.f_blocks * sv.f_frsize;
	low_b = check_space_low(avail, total, CHECK_MIN_FREE_BYTES);
	low_i = sv.f_files > 0 && check_space_low(sv.f_favail, sv.f_files,
	    CHECK_MIN_FREE_INODES);
	snprintf(detail + used, len - used, "%s%s %s: %llu MiB free (%llu%%), "
	    "%llu inodes free%s", used ? "; " : "", what, path,
	    avail / (1024 * 1024), total > 0 ? avail / (total / 100 + 1) : 0,
	    (unsigned long long)sv.f_favail,
	    low_b && low_i ? " (FULL: space and inodes)" :
	    low_b ? " (FULL: space)" : low_i ? " (FULL: inodes)" : "");
	return low_b || low_i ? CHK_FAIL : CHK_OK;
}

/* M2 */
enum check_state
check_space(struct check_ctx *x, char *detail, size_t len)
{
	char *dir = NULL, *base = NULL;
	enum check_state a, b;

	detail[0] = '\0';
	a = space_one("paths.state", x->conf->state_dir, detail, len);
	if (fs_split(x->conf->sshd_config, &dir, &base) == -1)
		dir = xstrdup("/");
	b = space_one("sshd.config's directory", dir, detail, len);
	free(dir);
	free(base);
	if (a == CHK_FAIL || b == CHK_FAIL)
		return CHK_FAIL;
	return a == CHK_OK && b == CHK_OK ? CHK_OK : CHK_UNKNOWN;
}
