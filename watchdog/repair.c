/*
 * Repairs that make sshd start again: create the privilege separation
 * directory, repair host keys; a foreign port holder is named, never killed.
 */
#include "config.h"

#include <errno.h>
#include <libaudit.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks.h"
#include "closure.h"
#include "daemon.h"
#include "fsutil.h"
#include "hostkeys.h"
#include "log.h"
#include "misc.h"
#include "repair.h"
#include "report.h"

static void
emit(struct daemon *d, const char *op, int ok, const char *files,
    const char *reason)
{
	report_simple(AUDIT_USYS_CONFIG, op, ok, d->guard.good_gen, NULL, files,
	    reason, d->guard.last_evid);
}

/* S3: sshd refuses to start without it; /run is a tmpfs after a reboot. */
static int
repair_privsep(struct daemon *d, char *did, size_t len)
{
	const char *dir = d->conf.sshd_privsep_dir;
	char why[CHECK_DETAIL_MAX];
	struct stat st;

	if (check_privsep(&d->conf, why, sizeof(why)) != CHK_FAIL)
		return 0;
	if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		snprintf(did, len, "%s; left as it is", why);
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

/* S6: a person decides about a foreign process; we only name it. */
static void
report_port(struct daemon *d, char *did, size_t len)
{
	char why[CHECK_DETAIL_MAX];

	if (check_port(&d->conf, d->live.pid, why, sizeof(why)) != CHK_FAIL)
		return;
	snprintf(did, len, "%s; not killed: a person must decide", why);
	emit(d, "sshmedic-port-taken", 0, NULL, did);
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
