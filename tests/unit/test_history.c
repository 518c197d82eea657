/*
 * Unit tests for watchdog/history*.c and auditwatch.c: audit log text (as
 * auditd writes it, ENRICHED) through a real auparse, joined and printed.
 */
#include "unit.h"

#include <auparse.h>
#include <json-c/json.h>

#include "auditwatch.h"
#include "conf.h"
#include "history.h"
#include "misc.h"
#include "xmalloc.h"

#define E1	"11111111111111111111111111111111"
#define E2	"22222222222222222222222222222222"
#define E3	"33333333333333333333333333333333"
#define E4	"44444444444444444444444444444444"
#define E5	"55555555555555555555555555555555"
#define E8	"88888888888888888888888888888888"
#define E9	"99999999999999999999999999999999"
#define GS	"\x1d"

/* "python3 -c secret=hunter2" as the kernel's PROCTITLE holds it */
#define PROCTITLE_SECRET "707974686F6E33002D63007365637265743D68756E74657232"

static const char *audit_log =
    /* 100: an edit by python3 as root, logged in as alice (auid 1002) */
    "type=SYSCALL msg=audit(1796116473.849:100): arch=c000003e syscall=257 "
    "success=yes exit=3 a0=ffffff9c a1=55 a2=241 a3=1b6 items=2 ppid=499 "
    "pid=500 auid=1002 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
    "fsgid=0 tty=pts0 ses=7 comm=\"python3\" exe=\"/usr/bin/python3.11\" "
    "key=\"smt-unit-sshd-config\"" GS "ARCH=x86_64 SYSCALL=openat "
    "AUID=\"alice\" UID=\"root\" GID=\"root\" EUID=\"root\" SUID=\"root\" "
    "FSUID=\"root\" EGID=\"root\" SGID=\"root\" FSGID=\"root\"\n"
    "type=CWD msg=audit(1796116473.849:100): cwd=\"/root\"\n"
    "type=PATH msg=audit(1796116473.849:100): item=0 "
    "name=\"/sb/etc/sshd_config.d/\" inode=1 dev=fe:00 mode=040755 ouid=0 "
    "ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 "
    "cap_fver=0 cap_frootid=0" GS "OUID=\"root\" OGID=\"root\"\n"
    "type=PATH msg=audit(1796116473.849:100): item=1 "
    "name=\"/sb/etc/sshd_config.d/50-x.conf\" inode=2 dev=fe:00 "
    "mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=CREATE cap_fp=0 "
    "cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0" GS "OUID=\"root\" "
    "OGID=\"root\"\n"
    "type=PROCTITLE msg=audit(1796116473.849:100): proctitle="
    PROCTITLE_SECRET "\n"
    /* 101-105: sshmedic's records, one another daemon's, its own unlink */
    "type=USYS_CONFIG msg=audit(1796116473.901:101): pid=400 uid=0 "
    "auid=4294967295 ses=4294967295 msg='op=sshmedic-config-changed gen=1 "
    "files=\"/sb/etc/sshd_config.d/50-x.conf\" evid=" E1 " "
    "exe=\"/usr/sbin/sshmedicd\" hostname=? addr=127.0.0.1 terminal=? "
    "res=success'" GS "UID=\"root\" AUID=\"unset\"\n"
    "type=USYS_CONFIG msg=audit(1796116473.929:102): pid=400 uid=0 "
    "auid=4294967295 ses=4294967295 msg='op=sshmedic-config-rejected gen=1 "
    "files=\"/sb/etc/sshd_config.d/50-x.conf\" "
    "reason=6120726561736F6E207769746820737061636573 evid=" E2 " "
    "exe=\"/usr/sbin/sshmedicd\" hostname=? addr=127.0.0.1 terminal=? "
    "res=failed'" GS "UID=\"root\" AUID=\"unset\"\n"
    "type=USYS_CONFIG msg=audit(1796116473.930:103): pid=900 uid=0 "
    "auid=4294967295 ses=4294967295 msg='op=sshmedic-config-changed gen=4 "
    "files=\"/other/sshd_config\" evid=" E9 " exe=\"/usr/sbin/sshmedicd\" "
    "hostname=? addr=127.0.0.1 terminal=? res=success'\n"
    /* 112: this daemon's (pid 400) whose JSON line was lost: stays */
    "type=USYS_CONFIG msg=audit(1796116473.931:112): pid=400 uid=0 "
    "auid=4294967295 ses=4294967295 msg='op=sshmedic-config-valid gen=1 "
    "evid=" E8 " exe=\"/usr/sbin/sshmedicd\" hostname=? addr=127.0.0.1 "
    "terminal=? res=success'\n"
    "type=SYSCALL msg=audit(1796116473.933:104): arch=c000003e syscall=87 "
    "success=yes exit=0 a0=55 a1=55 a2=55 a3=100 items=2 ppid=1 pid=400 "
    "auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
    "fsgid=0 tty=(none) ses=4294967295 comm=\"sshmedicd\" "
    "exe=\"/usr/sbin/sshmedicd\" key=\"smt-unit-sshd-config\"\n"
    "type=CWD msg=audit(1796116473.933:104): cwd=\"/\"\n"
    "type=PATH msg=audit(1796116473.933:104): item=0 "
    "name=\"/sb/etc/sshd_config.d/50-x.conf\" inode=2 dev=fe:00 "
    "mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=DELETE cap_fp=0 "
    "cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    /* 111: another process makes a file beside them: no decision is its */
    "type=SYSCALL msg=audit(1796116473.940:111): arch=c000003e syscall=257 "
    "success=yes exit=3 a0=ffffff9c a1=55 a2=241 a3=1b6 items=2 ppid=1 "
    "pid=650 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 "
    "sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"touch\" "
    "exe=\"/usr/bin/touch\" key=\"smt-unit-sshd-config\"\n"
    "type=PATH msg=audit(1796116473.940:111): item=0 name=\"/sb/etc/\" "
    "inode=77 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 "
    "nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    "type=PATH msg=audit(1796116473.940:111): item=1 name=\"/sb/etc/zz\" "
    "inode=12 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
    "nametype=CREATE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    "type=USYS_CONFIG msg=audit(1796116473.953:105): pid=400 uid=0 "
    "auid=4294967295 ses=4294967295 msg='op=sshmedic-config-rollback gen=1 "
    "files=\"/sb/etc/sshd_config.d/50-x.conf\" reason=\"audit-short\" "
    "evid=" E3 " exe=\"/usr/sbin/sshmedicd\" hostname=? addr=127.0.0.1 "
    "terminal=? res=success'\n"
    /* 106: a path nothing watches, no key: not ours */
    "type=SYSCALL msg=audit(1796116474.100:106): arch=c000003e syscall=257 "
    "success=yes exit=3 a0=ffffff9c a1=55 a2=241 a3=1b6 items=1 ppid=1 "
    "pid=700 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 "
    "sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"x\" exe=\"/bin/x\" "
    "key=(null)\n"
    "type=PATH msg=audit(1796116474.100:106): item=0 name=\"/unwatched/f\" "
    "inode=9 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
    "nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    /* 107: a relative name from the cwd, a comm with an escape sequence */
    "type=SYSCALL msg=audit(1796116474.200:107): arch=c000003e syscall=257 "
    "success=yes exit=3 a0=ffffff9c a1=55 a2=241 a3=1b6 items=1 ppid=1 "
    "pid=600 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 "
    "sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=6576696C1B5B33316D "
    "exe=\"/usr/bin/vi\" key=(null)\n"
    "type=CWD msg=audit(1796116474.200:107): cwd=\"/sb/etc\"\n"
    "type=PATH msg=audit(1796116474.200:107): item=0 name=\"sshd_config\" "
    "inode=3 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
    "nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    /* 108: relative to a directory descriptor: kept by its key, unresolved */
    "type=SYSCALL msg=audit(1796116474.300:108): arch=c000003e syscall=263 "
    "success=no exit=-2 a0=3 a1=55 a2=0 a3=0 items=1 ppid=1 pid=601 "
    "auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
    "fsgid=0 tty=(none) ses=4294967295 comm=\"rm\" exe=\"/usr/bin/rm\" "
    "key=\"smt-unit-sshd-config\"\n"
    "type=CWD msg=audit(1796116474.300:108): cwd=\"/sb/etc\"\n"
    "type=PATH msg=audit(1796116474.300:108): item=0 name=\"x.conf\" "
    "inode=4 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
    "nametype=DELETE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    /* 110: sshmedicd's renameat in a directory descriptor (inode 77) */
    "type=SYSCALL msg=audit(1796116474.240:110): arch=c000003e syscall=264 "
    "success=yes exit=0 a0=10 a1=55 a2=10 a3=55 items=5 ppid=1 pid=400 "
    "auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
    "fsgid=0 tty=(none) ses=4294967295 comm=\"sshmedicd\" "
    "exe=\"/usr/sbin/sshmedicd\" key=\"smt-unit-sshd-config\"\n"
    "type=CWD msg=audit(1796116474.240:110): cwd=\"/var/lib/cwd\"\n"
    "type=PATH msg=audit(1796116474.240:110): item=0 name=\"/var/lib/cwd\" "
    "inode=77 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 "
    "nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    "type=PATH msg=audit(1796116474.240:110): item=1 name=\"/var/lib/cwd\" "
    "inode=77 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 "
    "nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    "type=PATH msg=audit(1796116474.240:110): item=2 name=\".tmp.1\" "
    "inode=8 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
    "nametype=DELETE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    "type=PATH msg=audit(1796116474.240:110): item=3 name=\"sshd_config\" "
    "inode=3 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
    "nametype=DELETE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    "type=PATH msg=audit(1796116474.240:110): item=4 name=\"sshd_config\" "
    "inode=8 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 "
    "nametype=CREATE cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    /* 109: a rule loaded for the path: not a change of it */
    "type=CONFIG_CHANGE msg=audit(1796116474.400:109): auid=4294967295 "
    "ses=4294967295 op=add_rule key=\"smt-unit-sshd-config\" list=4 res=1\n"
    "type=SYSCALL msg=audit(1796116474.400:109): arch=c000003e syscall=44 "
    "success=yes exit=1 a0=4 a1=55 a2=2 a3=0 items=1 ppid=1 pid=602 "
    "auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
    "fsgid=0 tty=(none) ses=4294967295 comm=\"auditctl\" "
    "exe=\"/usr/sbin/auditctl\" key=(null)\n"
    "type=PATH msg=audit(1796116474.400:109): item=0 name=\"/sb/etc/\" "
    "inode=5 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 "
    "nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n";

/* The daemon's JSON log of the same period (E4: written while audit was off). */
static const char *json_log = "["
    "{\"time\":\"2026-12-01T09:14:33.000Z\",\"id\":\"" E4 "\","
    "\"type\":\"SERVICE_START\",\"op\":\"sshmedic-daemon-start\","
    "\"res\":\"success\",\"unit\":\"sshmedicd\"},"
    "{\"time\":\"2026-12-01T09:14:33.902Z\",\"id\":\"" E1 "\","
    "\"type\":\"USYS_CONFIG\",\"op\":\"sshmedic-config-changed\","
    "\"res\":\"success\",\"gen\":1,"
    "\"files\":[\"/sb/etc/sshd_config.d/50-x.conf\"]},"
    "{\"time\":\"2026-12-01T09:14:33.930Z\",\"id\":\"" E2 "\","
    "\"type\":\"USYS_CONFIG\",\"op\":\"sshmedic-config-rejected\","
    "\"res\":\"failed\",\"gen\":1,"
    "\"files\":[\"/sb/etc/sshd_config.d/50-x.conf\"],"
    "\"reason\":\"a reason with spaces\",\"detail\":\"line 1: bad\"},"
    "{\"time\":\"2026-12-01T09:14:33.954Z\",\"id\":\"" E3 "\","
    "\"type\":\"USYS_CONFIG\",\"op\":\"sshmedic-config-rollback\","
    "\"res\":\"success\",\"gen\":1,"
    "\"files\":[\"/sb/etc/sshd_config.d/50-x.conf\"],"
    "\"reason\":\"the JSON line's longer reason, as the daemon wrote it\"},"
    "{\"time\":\"2026-12-01T09:14:34.250Z\",\"id\":\"" E5 "\","
    "\"type\":\"USYS_CONFIG\",\"op\":\"sshmedic-config-changed\","
    "\"res\":\"success\",\"gen\":1,\"files\":[\"/sb/etc/sshd_config\"]}"
    "]";

#define T0	1796116473000LL	/* 2026-12-01T09:14:33.000Z */

static void
sandbox_watches(struct awatch_set *ws)
{
	memset(ws, 0, sizeof(*ws));
	sm_strlcpy(ws->prefix, "smt-unit", sizeof(ws->prefix));
	ws->w[0].path = xstrdup("/sb/etc/sshd_config");
	ws->w[0].key = "sshd-config";
	ws->w[0].perm = "wa";
	ws->w[1].path = xstrdup("/sb/etc");
	ws->w[1].dir = 1;
	ws->w[1].key = "sshd-config";
	ws->w[1].perm = "wa";
	ws->n = 2;
	ws->daemon = xstrdup("/usr/sbin/sshmedicd");
	ws->dirs[0].path = xstrdup("/sb/etc");
	sm_strlcpy(ws->dirs[0].dev, "fe:00", sizeof(ws->dirs[0].dev));
	ws->dirs[0].ino = 77;
	ws->ndirs = 1;
}

/* Reads the log above into h (since T0) and joins it with the JSON log. */
static void
load_window(struct hist *h, int64_t coverage, int64_t window)
{
	struct awatch_set ws;
	auparse_state_t *au;
	json_object *j;

	memset(h, 0, sizeof(*h));
	sandbox_watches(&ws);
	au = auparse_init(AUSOURCE_BUFFER, audit_log);
	assert_non_null(au);
	assert_int_equal(hist_audit_read(h, au, &ws, T0), 0);
	auparse_destroy(au);
	awatch_free(&ws);
	j = json_tokener_parse(json_log);
	assert_non_null(j);
	hist_add_json(h, j, T0, coverage);
	json_object_put(j);
	hist_join(h, window);
}

static void
load(struct hist *h, int64_t coverage)
{
	load_window(h, coverage, 80000);
}

static const struct hist_ev *
ev_by_id(const struct hist *h, const char *id)
{
	size_t i;

	for (i = 0; i < h->nevs; i++)
		if (strcmp(h->evs[i].evid, id) == 0)
			return &h->evs[i];
	return NULL;
}

static void
t_read(void **st)
{
	struct hist h;
	const struct hist_ev *e;
	size_t i;

	(void)st;
	load(&h, T0);
	/* every event read, also one right after another (101 .. 105) */
	assert_int_equal(h.nrecs, 6);	/* 100, 104, 111, 107, 110, 108 */
	assert_int_equal(h.recs[0].serial, 100);
	assert_int_equal(h.recs[0].pid, 500);
	assert_int_equal(h.recs[0].ppid, 499);
	assert_int_equal(h.recs[0].auid, 1002);
	assert_string_equal(h.recs[0].auid_name, "alice");
	assert_int_equal(h.recs[0].uid, 0);
	assert_string_equal(h.recs[0].syscall, "openat");
	assert_string_equal(h.recs[0].exe, "/usr/bin/python3.11");
	assert_string_equal(h.recs[0].comm, "python3");
	assert_string_equal(h.recs[0].key, "smt-unit-sshd-config");
	assert_int_equal(h.recs[0].npaths, 2);
	assert_string_equal(h.recs[0].paths[1].name,
	    "/sb/etc/sshd_config.d/50-x.conf");
	assert_string_equal(h.recs[0].paths[1].nametype, "CREATE");
	assert_int_equal(h.recs[0].by_daemon, 0);
	assert_int_equal(h.recs[1].by_daemon, 1);
	assert_int_equal(h.recs[1].auid, -1);
	/* the cwd resolves a name given relative to it, not to a dirfd */
	assert_string_equal(h.recs[3].paths[0].name, "/sb/etc/sshd_config");
	assert_int_equal(h.recs[3].paths[0].resolved, 1);
	assert_string_equal(h.recs[5].paths[0].name, "x.conf");
	assert_int_equal(h.recs[5].paths[0].resolved, 0);
	assert_int_equal(h.recs[5].success, 0);
	assert_int_equal(h.recs[5].exit, -2);
	/* a directory descriptor's names, by the PARENT's inode (not the cwd) */
	assert_int_equal(h.recs[4].serial, 110);
	assert_string_equal(h.recs[4].paths[0].name, "/sb/etc");
	assert_string_equal(h.recs[4].paths[2].name, "/sb/etc/.tmp.1");
	assert_string_equal(h.recs[4].paths[4].name, "/sb/etc/sshd_config");
	assert_int_equal(h.recs[4].paths[4].resolved, 1);
	for (i = 0; i < h.nrecs; i++)
		assert_int_not_equal(h.recs[i].serial, 109);

	/* decisions: audit and JSON merged by id; E9 another daemon's */
	assert_int_equal(h.nevs, 6);
	assert_int_equal(h.other_daemons, 1);
	assert_null(ev_by_id(&h, E9));
	e = ev_by_id(&h, E8);
	assert_true(e->in_audit && !e->in_json);
	e = ev_by_id(&h, E2);
	assert_non_null(e);
	assert_string_equal(e->reason, "a reason with spaces");	/* hex decoded */
	assert_string_equal(e->res, "failed");
	assert_int_equal(e->pid, 400);
	assert_int_equal(e->serial, 102);
	assert_true(e->in_audit && e->in_json);
	assert_string_equal(e->detail, "line 1: bad");
	e = ev_by_id(&h, E3);
	assert_string_equal(e->reason,
	    "the JSON line's longer reason, as the daemon wrote it");
	e = ev_by_id(&h, E4);
	assert_true(!e->in_audit && e->in_json);
	assert_int_equal(e->pid, -1);
	hist_free(&h);

	/* a log read whole: the other daemon's record is left out however old */
	load(&h, 0);
	assert_int_equal(h.other_daemons, 1);
	assert_non_null(ev_by_id(&h, E8));
	hist_free(&h);

	/* no JSON log to compare with: the other daemon's record stays */
	load(&h, -1);
	assert_int_equal(h.other_daemons, 0);
	assert_non_null(ev_by_id(&h, E9));
	hist_free(&h);
}

/* The change at timeline position i: its process, the decisions after it. */
static const struct hist_group *
change_at(const struct hist *h, size_t i, long long pid, size_t nevs)
{
	const struct hist_group *g;

	assert_true(h->items[i].is_group);
	g = &h->groups[h->items[i].idx];
	assert_int_equal(h->recs[g->recs[0]].pid, pid);
	assert_int_equal(g->nevs, nevs);
	return g;
}

static void
t_join(void **st)
{
	struct hist h;
	const struct hist_group *g;
	const struct hist_ev *e;

	(void)st;
	load(&h, T0);
	/*
	 * daemon start; python's change; E8 (no files); touch's (later, in
	 * the same directory: not the rollback's); vi's; rm's failed unlinkat
	 */
	assert_int_equal(h.nitems, 6);
	assert_false(h.items[0].is_group);
	assert_string_equal(h.evs[h.items[0].idx].evid, E4);
	g = change_at(&h, 1, 500, 3);
	assert_int_equal(g->nrecs, 1);
	assert_string_equal(h.evs[g->evs[0]].evid, E1);
	assert_string_equal(h.evs[g->evs[1]].evid, E2);
	e = &h.evs[g->evs[2]];
	assert_string_equal(e->evid, E3);
	/* sshmedicd's unlink is under the rollback recorded after it */
	assert_int_equal(e->nkernel, 1);
	assert_int_equal(h.recs[e->kernel[0]].serial, 104);
	assert_false(h.items[2].is_group);
	assert_string_equal(h.evs[h.items[2].idx].evid, E8);
	change_at(&h, 3, 650, 0);
	g = change_at(&h, 4, 600, 1);
	e = &h.evs[g->evs[0]];
	assert_string_equal(e->evid, E5);
	assert_int_equal(e->nkernel, 1);
	assert_int_equal(h.recs[e->kernel[0]].serial, 110);
	change_at(&h, 5, 601, 0);
	hist_free(&h);
}

static void
t_window(void **st)
{
	struct hist h;

	(void)st;
	/* 10 ms: every decision came later than that after its change */
	load_window(&h, T0, 10);
	assert_int_equal(h.ngroups, 4);
	assert_int_equal(h.groups[0].nevs, 0);
	assert_int_equal(h.nitems, 4 + 6);
	hist_free(&h);
}

/*
 * Under load a rollback is recorded seconds after sshmedicd removed the
 * file: its write still goes under the rollback, not the rejection before.
 */
static const char *slow_log =
    "type=USYS_CONFIG msg=audit(1796116480.000:200): pid=400 uid=0 "
    "auid=4294967295 ses=4294967295 msg='op=sshmedic-config-rejected gen=1 "
    "files=\"/sb/etc/sshd_config.d/50-x.conf\" evid=" E1 " "
    "exe=\"/usr/sbin/sshmedicd\" hostname=? addr=127.0.0.1 terminal=? "
    "res=failed'\n"
    "type=SYSCALL msg=audit(1796116480.100:201): arch=c000003e syscall=87 "
    "success=yes exit=0 a0=55 a1=55 a2=55 a3=100 items=1 ppid=1 pid=400 "
    "auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
    "fsgid=0 tty=(none) ses=4294967295 comm=\"sshmedicd\" "
    "exe=\"/usr/sbin/sshmedicd\" key=\"smt-unit-sshd-config\"\n"
    "type=PATH msg=audit(1796116480.100:201): item=0 "
    "name=\"/sb/etc/sshd_config.d/50-x.conf\" inode=2 dev=fe:00 "
    "mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=DELETE cap_fp=0 "
    "cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    "type=USYS_CONFIG msg=audit(1796116487.100:202): pid=400 uid=0 "
    "auid=4294967295 ses=4294967295 msg='op=sshmedic-config-rollback gen=1 "
    "files=\"/sb/etc/sshd_config.d/50-x.conf\" evid=" E3 " "
    "exe=\"/usr/sbin/sshmedicd\" hostname=? addr=127.0.0.1 terminal=? "
    "res=success'\n";

/* h: the audit log text alone read with the sandbox's watches, joined. */
static void
join_audit(struct hist *h, const char *log)
{
	struct awatch_set ws;
	auparse_state_t *au;

	memset(h, 0, sizeof(*h));
	sandbox_watches(&ws);
	au = auparse_init(AUSOURCE_BUFFER, log);
	assert_int_equal(hist_audit_read(h, au, &ws, T0), 0);
	auparse_destroy(au);
	awatch_free(&ws);
	hist_add_json(h, NULL, T0, -1);
	hist_join(h, 80000);
}

static void
t_slow_rollback(void **st)
{
	struct hist h;

	(void)st;
	join_audit(&h, slow_log);
	assert_int_equal(h.nrecs, 1);
	assert_string_equal(ev_by_id(&h, E1)->op, "sshmedic-config-rejected");
	assert_int_equal(ev_by_id(&h, E1)->nkernel, 0);
	assert_int_equal(ev_by_id(&h, E3)->nkernel, 1);
	hist_free(&h);
}

/*
 * The rejection and sshmedicd's unlink in one millisecond (history_join.sh
 * saw it on a loaded machine): the serials put the unlink after the
 * rejection, so it goes under the rollback recorded 12 ms later.
 */
static const char *same_ms_log =
    "type=USYS_CONFIG msg=audit(1796116480.794:300): pid=400 uid=0 "
    "auid=4294967295 ses=4294967295 msg='op=sshmedic-config-rejected gen=1 "
    "files=\"/sb/etc/sshd_config.d/50-x.conf\" evid=" E1 " "
    "exe=\"/usr/sbin/sshmedicd\" hostname=? addr=127.0.0.1 terminal=? "
    "res=failed'\n"
    "type=SYSCALL msg=audit(1796116480.794:301): arch=c000003e syscall=87 "
    "success=yes exit=0 a0=55 a1=55 a2=55 a3=100 items=1 ppid=1 pid=400 "
    "auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
    "fsgid=0 tty=(none) ses=4294967295 comm=\"sshmedicd\" "
    "exe=\"/usr/sbin/sshmedicd\" key=\"smt-unit-sshd-config\"\n"
    "type=PATH msg=audit(1796116480.794:301): item=0 "
    "name=\"/sb/etc/sshd_config.d/50-x.conf\" inode=2 dev=fe:00 "
    "mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=DELETE cap_fp=0 "
    "cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\n"
    "type=USYS_CONFIG msg=audit(1796116480.806:302): pid=400 uid=0 "
    "auid=4294967295 ses=4294967295 msg='op=sshmedic-config-rollback gen=1 "
    "files=\"/sb/etc/sshd_config.d/50-x.conf\" evid=" E3 " "
    "exe=\"/usr/sbin/sshmedicd\" hostname=? addr=127.0.0.1 terminal=? "
    "res=success'\n";

static void
t_same_ms(void **st)
{
	struct hist h;

	(void)st;
	join_audit(&h, same_ms_log);
	assert_int_equal(h.nrecs, 1);
	assert_int_equal(ev_by_id(&h, E1)->nkernel, 0);
	assert_int_equal(ev_by_id(&h, E3)->nkernel, 1);
	hist_free(&h);
}

static const char *
jstr(json_object *o, const char *k)
{
	return json_object_get_string(json_object_object_get(o, k));
}

static int64_t
jint(json_object *o, const char *k)
{
	return json_object_get_int64(json_object_object_get(o, k));
}

/* No audit log read: the JSON log's events alone, each standing alone. */
static void
t_json_only(void **st)
{
	struct hist h;
	json_object *j;
	size_t i;

	(void)st;
	memset(&h, 0, sizeof(h));
	j = json_tokener_parse(json_log);
	hist_add_json(&h, j, T0, -1);
	json_object_put(j);
	hist_join(&h, 80000);
	assert_int_equal(h.nrecs, 0);
	assert_int_equal(h.ngroups, 0);
	assert_int_equal(h.nitems, 5);
	for (i = 1; i < h.nitems; i++)
		assert_true(h.items[i - 1].time_ms <= h.items[i].time_ms);
	assert_int_equal(ev_by_id(&h, E2)->in_audit, 0);
	hist_free(&h);

	/* nothing at all */
	memset(&h, 0, sizeof(h));
	hist_add_json(&h, NULL, T0, -1);
	hist_join(&h, 80000);
	assert_int_equal(h.nitems, 0);
	hist_free(&h);
}

/* Everything the timeline prints, as text or as JSON. */
static char *
printed(const struct hist *h, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_object *a;

	assert_non_null(f);
	if (json) {
		a = hist_json(h);
		fputs(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN),
		    f);
		json_object_put(a);
	} else
		hist_print(h, f);
	fclose(f);
	return buf;
}

static void
t_output(void **st)
{
	struct hist h;
	json_object *a, *c, *ev, *v;
	char *text, *js;

	(void)st;
	load(&h, T0);
	text = printed(&h, 0);
	assert_non_null(strstr(text, "change of /sb/etc/sshd_config.d/50-x.conf"));
	assert_non_null(strstr(text, "pid=500 ppid=499 exe=/usr/bin/python3.11 "
	    "comm=python3 uid=root(0) auid=alice(1002) ses=7 tty=pts0"));
	assert_non_null(strstr(text, "-> 2026-12-01T09:14:33.953Z  "
	    "sshmedic-config-rollback     success gen=1 the JSON line's"));
	assert_non_null(strstr(text, "sshmedicd pid=400: 09:14:33.933  unlink "
	    "ok  /sb/etc/sshd_config.d/50-x.conf (DELETE)"));
	assert_non_null(strstr(text, "auid=unset"));
	assert_non_null(strstr(text, "x.conf (DELETE, relative)"));
	assert_non_null(strstr(text, "comm=evil?[31m"));
	/* never the argv (PROCTITLE), never a raw control character */
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, PROCTITLE_SECRET));
	assert_null(strchr(text, '\x1b'));
	free(text);

	js = printed(&h, 1);
	assert_null(strstr(js, "hunter2"));
	assert_null(strstr(js, PROCTITLE_SECRET));
	a = json_tokener_parse(js);
	assert_non_null(a);
	assert_int_equal(json_object_array_length(a), 6);
	c = json_object_array_get_idx(a, 1);
	assert_string_equal(jstr(c, "kind"), "change");
	assert_int_equal(jint(c, "pid"), 500);
	assert_string_equal(jstr(c, "exe"), "/usr/bin/python3.11");
	assert_string_equal(jstr(c, "auid_name"), "alice");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
	    json_object_object_get(c, "files"), 0)),
	    "/sb/etc/sshd_config.d/50-x.conf");
	ev = json_object_array_get_idx(json_object_object_get(c, "sshmedic"), 2);
	assert_string_equal(jstr(ev, "op"), "sshmedic-config-rollback");
	assert_int_equal(jint(ev, "gen"), 1);
	assert_string_equal(jstr(ev, "source"), "audit+json");
	assert_int_equal(json_object_array_length(json_object_object_get(ev,
	    "kernel")), 1);
	/* unset ids are null, not 4294967295 */
	c = json_object_array_get_idx(a, 3);
	assert_true(json_object_object_get_ex(c, "auid", &v) && v == NULL);
	assert_string_equal(jstr(c, "auid_name"), "unset");
	json_object_put(a);
	free(js);
	hist_free(&h);
}

static void
t_watches(void **st)
{
	struct sm_conf c;
	struct awatch_set ws;
	const struct awatch *w;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)st;
	conf_defaults(&c);
#define SET(field, v) do { free(c.field); c.field = xstrdup(v); } while (0)
	SET(path, "/sb/sshmedic.conf");
	SET(sshd_config, "/sb/etc/sshd_config");
	SET(sshd_dir, "/sb/etc");
	SET(state_dir, "/sb/state");
	SET(requests_dir, "/sb/state/requests");
	SET(policies_dir, "/sb/policies.d");
	SET(pam_dir, "/sb/pam.d");
	SET(log_json, "/sb/events.json");
	assert_int_equal(awatch_build(&c, "smt-unit", "/usr/sbin/sshmedicd",
	    &ws, err, sizeof(err)), 0);
	/* the order the kernel must see them in; sshd_config is in /sb/etc */
	assert_int_equal(ws.n, 7);
	assert_string_equal(ws.w[0].path, "/sb/etc");
	assert_true(ws.w[0].dir);
	assert_string_equal(ws.w[1].path, "/sb/pam.d/sshd");
	assert_false(ws.w[1].dir);
	assert_string_equal(ws.w[2].path, "/sb/policies.d");
	/* /sb holds the store too: the file, not its directory */
	assert_string_equal(ws.w[3].path, "/sb/sshmedic.conf");
	assert_false(ws.w[3].dir);
	assert_string_equal(ws.w[4].path, "/sb/state/requests");
	assert_true(ws.w[4].not_daemon);
	assert_string_equal(ws.w[5].path, "/sb/state");
	assert_string_equal(ws.w[6].path, "/sb/events.json");
	assert_true(ws.w[6].not_daemon);
	w = awatch_match(&ws, "/sb/etc/sshd_config.d/x.conf");
	assert_ptr_equal(w, &ws.w[0]);
	assert_ptr_equal(awatch_match(&ws, "/sb/etc"), &ws.w[0]);
	assert_ptr_equal(awatch_match(&ws, "/sb/etc/sshd_config"), &ws.w[0]);
	assert_ptr_equal(awatch_match(&ws, "/sb/state/requests/a.req"), &ws.w[4]);
	assert_ptr_equal(awatch_match(&ws, "/sb/state/gen/1"), &ws.w[5]);
	assert_null(awatch_match(&ws, "/sb/etcetera"));
	assert_null(awatch_match(&ws, "/sb/other"));
	assert_null(awatch_match(&ws, "relative"));
	f = open_memstream(&buf, &len);
	assert_int_equal(awatch_print(&ws, c.path, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\n-a always,exit -F dir=/sb/etc -F perm=wa "
	    "-F key=smt-unit-sshd-config\n-a always,exit -F path=/sb/pam.d/sshd "
	    "-F perm=wa -F key=smt-unit-pam\n"));
	assert_non_null(strstr(buf, "\n-a always,exit -F dir=/sb/state -F "
	    "perm=wa -F exit!=-EEXIST -F exe!=/usr/sbin/sshmedicd "
	    "-F key=smt-unit-store\n"));
	assert_non_null(strstr(buf, "## Keys: smt-unit-sshd-config smt-unit-pam "
	    "smt-unit-config smt-unit-requests smt-unit-store smt-unit-log\n"));
	free(buf);
	awatch_free(&ws);

	/*
	 * sshmedic's own directory: watched whole, the policies in it need no
	 * rule of their own; the requests in the store keep theirs, before it.
	 */
	SET(path, "/sb/conf/sshmedic.conf");
	SET(policies_dir, "/sb/conf/policies.d");
	SET(sshd_config, "/sb/sshd_config");
	assert_int_equal(awatch_build(&c, NULL, "/usr/sbin/sshmedicd", &ws, err,
	    sizeof(err)), 0);
	assert_int_equal(ws.n, 7);
	assert_string_equal(ws.w[0].path, "/sb/sshd_config");	/* outside sshd.dir */
	assert_string_equal(ws.w[3].path, "/sb/conf");
	assert_true(ws.w[3].dir);
	assert_string_equal(ws.w[4].path, "/sb/state/requests");
	assert_string_equal(ws.w[5].path, "/sb/state");
	assert_null(awatch_match(&ws, "/sb/sshd_config.d"));
	awatch_free(&ws);

	/* a path auditctl cannot take is said, and the rest still printed */
	SET(sshd_dir, "/sb/my etc");
	assert_int_equal(awatch_build(&c, NULL, "/usr/sbin/sshmedicd", &ws, err,
	    sizeof(err)), 0);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(awatch_print(&ws, c.path, f), 1);
	fclose(f);
	assert_non_null(strstr(buf, "## NOT WATCHED (sshd-config)"));
	assert_null(strstr(buf, "my etc"));
	assert_non_null(strstr(buf, "key=sshmedic-store"));
	free(buf);
	awatch_free(&ws);

	/* bad prefix, relative daemon: refused with the reason */
	assert_int_equal(awatch_build(&c, "bad prefix", NULL, &ws, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "key prefix 'bad prefix'"));
	assert_int_equal(awatch_build(&c, NULL, "sshmedicd", &ws, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not absolute"));
#undef SET
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(t_read),
		cmocka_unit_test(t_join),
		cmocka_unit_test(t_window),
		cmocka_unit_test(t_slow_rollback),
		cmocka_unit_test(t_same_ms),
		cmocka_unit_test(t_json_only),
		cmocka_unit_test(t_output),
		cmocka_unit_test(t_watches),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(t, NULL, NULL);
}
