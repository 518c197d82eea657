/*
 * Repairs that make sshd start again: create the privilege separation
 * directory, repair host keys; a foreign port holder is named, never killed.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "closure.h"
#include "daemon.h"
#include "fsutil.h"
#include "hostkeys.h"
#include "log.h"
#include "misc.h"
#include "repair.h"
#include "report.h"

#define PROC_SCAN_MAX	65536	/* processes looked at for a port holder */
#define FD_SCAN_MAX	65536	/* descriptors per process */

static void
emit(struct daemon *d, const char *op, int ok, const char *files,
    const char *reason)
{
	struct report_ev ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AUDIT_USYS_CONFIG;
	ev.op = op;
	ev.success = ok;
	ev.gen = d->guard.good_gen;
	ev.files = files;
	ev.reason = reason;
	report_emit(&ev, d->guard.last_evid);
}

/* S3: sshd refuses to start without it; /run is a tmpfs after a reboot. */
static int
repair_privsep(struct daemon *d, char *did, size_t len)
{
	const char *dir = d->conf.sshd_privsep_dir;
	struct stat st;

	if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & 022) == 0)
		return 0;
	if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		snprintf(did, len, "%s exists and is not a directory; left as "
		    "it is", dir);
		emit(d, "sshmedic-repair-privsep", 0, dir, did);
		return 0;
	}
	if (fs_mkdir_p(dir, 0755) == -1 || chown(dir, 0, 0) == -1 ||
	    chmod(dir, 0755) == -1) {
		snprintf(did, len, "create %s: %s", dir, strerror(errno));
		emit(d, "sshmedic-repair-privsep", 0, dir, did);
		return 0;
	}
	snprintf(did, len, "privilege separation directory %s created (root "
	    "0755)", dir);
	emit(d, "sshmedic-repair-privsep", 1, dir, did);
	return 1;
}

static int
repair_keys(struct daemon *d, char *did, size_t len)
{
	struct closure cl;
	char what[512];
	size_t i;
	int n = 0, r;

	if (closure_read(d->conf.sshd_config, d->conf.sshd_dir, &cl) == -1)
		return 0;
	for (i = 0; i < cl.nfiles; i++) {
		if (cl.files[i].role != CL_HOSTKEY ||
		    !hostkey_needs_repair(cl.files[i].path, what, sizeof(what)))
			continue;
		r = hostkey_repair(cl.files[i].path, what, sizeof(what));
		emit(d, "sshmedic-hostkey-repair", r == 1, cl.files[i].path,
		    what);
		if (r == 1) {
			n++;
			snprintf(did, len, "%s", what);
		}
	}
	closure_free(&cl);
	return n;
}

/* Whole-field hex or decimal number of a /proc line; -1 when malformed. */
static long long
proc_num(const char *s, int base)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || v > (1ULL << 62))
		return -1;
	return (long long)v;
}

/* Socket inodes listening on port, from one /proc/net file. */
static size_t
listen_inodes(const char *file, int port, unsigned long *ino, size_t max)
{
	char line[512], *fld[12], *save, *p, *colon;
	long long lport, st, inode;
	size_t n = 0, nf;
	FILE *f;

	if ((f = fopen(file, "re")) == NULL)
		return 0;
	/* "sl local:port rem:port st tx:rx tr:when retrnsmt uid timeout inode" */
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
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

int
repair_port_holder(int port, pid_t *pid, char *comm, size_t len)
{
	unsigned long ino[16];
	char path[64], link[64], want[64];
	struct dirent *pe, *fe;
	DIR *proc, *fds;
	size_t n, i, nproc = 0, nfd;
	ssize_t l;
	long long v;
	int found = 0;

	n = listen_inodes("/proc/net/tcp", port, ino, SM_NELEM(ino));
	n += listen_inodes("/proc/net/tcp6", port, ino + n, SM_NELEM(ino) - n);
	if (n == 0 || (proc = opendir("/proc")) == NULL)
		return 0;
	while (!found && nproc++ < PROC_SCAN_MAX && (pe = readdir(proc)) != NULL) {
		if (parse_ll(pe->d_name, 1, 4194304, &v) == -1)
			continue;
		snprintf(path, sizeof(path), "/proc/%lld/fd", v);
		if ((fds = opendir(path)) == NULL)
			continue;
		for (nfd = 0; !found && nfd < FD_SCAN_MAX &&
		    (fe = readdir(fds)) != NULL; nfd++) {
			snprintf(link, sizeof(link), "/proc/%lld/fd/%.20s", v,
			    fe->d_name);
			if ((l = readlink(link, want, sizeof(want) - 1)) <= 0)
				continue;
			want[l] = '\0';
			for (i = 0; i < n && !found; i++) {
				char sock[40];

				snprintf(sock, sizeof(sock), "socket:[%lu]", ino[i]);
				found = strcmp(want, sock) == 0;
			}
		}
		closedir(fds);
		if (found) {
			FILE *f;

			*pid = (pid_t)v;
			snprintf(path, sizeof(path), "/proc/%lld/comm", v);
			comm[0] = '\0';
			if ((f = fopen(path, "re")) != NULL) {
				if (fgets(comm, (int)len, f) == NULL)
					comm[0] = '\0';
				fclose(f);
			}
			comm[strcspn(comm, "\n")] = '\0';
		}
	}
	closedir(proc);
	return found;
}

/* S6: a person decides about a foreign process; we only name it. */
static void
report_port(struct daemon *d, char *did, size_t len)
{
	char comm[64], why[256];
	pid_t pid = 0;

	if (!repair_port_holder(d->conf.probe_port, &pid, comm, sizeof(comm)))
		return;
	if (pid == d->live.pid)
		return;
	snprintf(why, sizeof(why), "port %d is held by pid %ld (%s); not "
	    "killed: a person must decide", d->conf.probe_port, (long)pid,
	    comm);
	emit(d, "sshmedic-port-taken", 0, NULL, why);
	snprintf(did, len, "%s", why);
}

int
repair_all(struct daemon *d, char *did, size_t len)
{
	int n = 0;

	snprintf(did, len, "no repair applied");
	n += repair_privsep(d, did, len);
	n += repair_keys(d, did, len);
	report_port(d, did, len);
	return n;
}
