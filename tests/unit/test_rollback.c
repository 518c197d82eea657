/*
 * Unit tests for lib/rollback.c: every way a closure file can be broken is
 * rolled back, nothing is lost, ENOSPC and SIGKILL leave nothing half done.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "closure.h"
#include "digest.h"
#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "rollback.h"
#include "store.h"

#define A_CONF	"PasswordAuthentication no\n"
#define EXTRA	"PermitRootLogin no\n"

struct fx {
	char	*tmp;
	char	*ssh;		/* sshdir */
	char	*dropd;		/* sshd_config.d */
	char	*main;
	char	*aconf;		/* sshd_config.d/a.conf */
	char	*extra;		/* explicit Include */
	char	*hk;		/* host key */
	char	*sdir;
	char	*main_text;
	struct store st;
	struct manifest m;	/* generation 1 */
};

/* Writes the good configuration under f->ssh. */
static void
write_good(struct fx *f)
{
	assert_int_equal(mkdir(f->dropd, 0755), 0);
	unit_write(f->main, f->main_text);
	unit_write(f->aconf, A_CONF);
	unit_write(f->extra, EXTRA);
	assert_int_equal(chmod(f->main, 0644), 0);
	assert_int_equal(chmod(f->aconf, 0644), 0);
	assert_int_equal(chmod(f->extra, 0600), 0);
}

static void
commit_good(struct fx *f)
{
	struct closure cl;
	unsigned long gen = 0;
	char *cmd;

	assert_true(asprintf(&cmd, "ssh-keygen -q -t ed25519 -N '' -f '%s'",
	    f->hk) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(closure_read(f->main, f->ssh, &cl), 0);
	assert_int_equal(store_commit(&f->st, &cl, "good", "ev0", &gen), 0);
	assert_int_equal(gen, 1);
	closure_free(&cl);
	assert_int_equal(store_latest(&f->st, &f->m), 0);
	assert_int_equal(f->m.n, 4);	/* main, a.conf, extra, host key */
}

/* Builds the paths; the ssh directory itself is created by the caller. */
static struct fx *
fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->tmp = unit_mkdtemp();
	f->ssh = unit_path(f->tmp, "ssh");
	f->dropd = unit_path(f->ssh, "sshd_config.d");
	f->main = unit_path(f->ssh, "sshd_config");
	f->aconf = unit_path(f->dropd, "a.conf");
	f->extra = unit_path(f->ssh, "extra.conf");
	f->hk = unit_path(f->ssh, "hk");
	f->sdir = unit_path(f->tmp, "store");
	assert_true(asprintf(&f->main_text, "Include %s/*.conf\n"
	    "Include %s\nHostKey %s\nPort 22\n", f->dropd, f->extra,
	    f->hk) > 0);
	assert_int_equal(store_open(&f->st, f->sdir, 10, 0), 0);
	return f;
}

static int
setup(void **state)
{
	struct fx *f = fx_new();

	assert_int_equal(mkdir(f->ssh, 0755), 0);
	write_good(f);
	commit_good(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	manifest_free(&f->m);
	store_close(&f->st);
	free(f->ssh);
	free(f->dropd);
	free(f->main);
	free(f->aconf);
	free(f->extra);
	free(f->hk);
	free(f->sdir);
	free(f->main_text);
	unit_rmtree(f->tmp);
	free(f);
	return 0;
}

static int
has_temp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, FS_TMP_PREFIX, strlen(FS_TMP_PREFIX)) == 0)
			n++;
	closedir(d);
	return n;
}

/* Every file of the closure is whole and exactly the target. */
static void
assert_target(struct fx *f)
{
	struct closure cl;
	struct stat sb;
	size_t i, len;
	char *want, *got;
	const struct mf_entry *e;

	for (i = 0; i < f->m.n; i++) {
		e = &f->m.e[i];
		if (e->role == CL_HOSTKEY)
			continue;
		if (e->state == CL_MISSING) {
			assert_int_equal(lstat(e->path, &sb), -1);
			continue;
		}
		assert_int_equal(lstat(e->path, &sb), 0);
		assert_true(S_ISREG(sb.st_mode));
		assert_int_equal(sb.st_mode & 07777, e->mode);
		assert_int_equal(sb.st_uid, e->uid);
		assert_int_equal(sb.st_gid, e->gid);
		assert_int_equal(store_blob_read(&f->st, e->sha256, &want,
		    &len), 0);
		got = unit_slurp(e->path);
		assert_string_equal(got, want);
		free(got);
		free(want);
	}
	assert_int_equal(closure_read(f->main, f->ssh, &cl), 0);
	for (i = 0; i < cl.nfiles; i++)
		assert_non_null(manifest_find(&f->m, cl.files[i].path));
	closure_free(&cl);
	assert_int_equal(has_temp(f->ssh), 0);
	assert_int_equal(has_temp(f->dropd), 0);
	got = unit_path(f->sdir, "intent");
	assert_int_equal(lstat(got, &sb), -1);
	free(got);
}

/* Depth-first search of the quarantine for a file holding exactly text. */
static int
find_text(const char *dir, const char *text, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat sb;
	char *p, *buf;
	size_t len;
	int found = 0;

	if (d == NULL || depth > 4) {
		if (d != NULL)
			closedir(d);
		return 0;
	}
	while (!found && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = unit_path(dir, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			found = find_text(p, text, depth + 1);
		else if (S_ISREG(sb.st_mode) &&
		    fs_read_file(p, FS_READ_MAX, 0, &buf, &len) == 0) {
			found = len == strlen(text) && memcmp(buf, text, len) == 0;
			free(buf);
		}
		free(p);
	}
	closedir(d);
	return found;
}

static int
in_quarantine(struct fx *f, const char *text)
{
	char *q = unit_path(f->sdir, "quarantine");
	int r = find_text(q, text, 0);

	free(q);
	return r;
}

static void
roll(struct fx *f, const char *evid, struct rb_result *r)
{
	int ret = rollback_to(&f->st, &f->m, f->ssh, evid, r);

	if (ret != 0)
		fprintf(stderr, "rollback: %s\n", r->reason);
	assert_int_equal(ret, 0);
	assert_target(f);
}

static void
t_edited_main(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	char **names;
	size_t n;

	unit_write(f->main, "Port bad value\n");
	roll(f, "ev1", &r);
	assert_int_equal(r.restored, 1);
	assert_int_equal(r.recreated, 0);
	assert_int_equal(r.removed, 0);
	assert_int_equal(r.unchanged, 2);
	assert_string_equal(r.files, f->main);
	assert_string_equal(r.reason, "");
	rb_result_free(&r);
	assert_true(in_quarantine(f, "Port bad value\n"));
	/* Twice is harmless: nothing touched, nothing quarantined again. */
	roll(f, "ev2", &r);
	assert_int_equal(r.restored + r.recreated + r.removed, 0);
	assert_int_equal(r.unchanged, 3);
	assert_null(r.files);
	rb_result_free(&r);
	assert_int_equal(store_quarantine_list(&f->st, &names, &n), 0);
	assert_int_equal(n, 1);
	free(names[0]);
	free(names);
}

static void
t_deleted_include(void **state)
{
	struct fx *f = *state;
	struct rb_result r;

	assert_int_equal(unlink(f->extra), 0);
	roll(f, "ev1", &r);
	assert_int_equal(r.recreated, 1);
	assert_int_equal(r.restored, 0);
	rb_result_free(&r);
	/* The whole drop-in directory gone: recreated 0755 root. */
	assert_int_equal(unlink(f->aconf), 0);
	assert_int_equal(rmdir(f->dropd), 0);
	roll(f, "ev2", &r);
	assert_int_equal(r.recreated, 1);
	rb_result_free(&r);
	{
		struct stat sb;

		assert_int_equal(stat(f->dropd, &sb), 0);
		assert_int_equal(sb.st_mode & 07777, 0755);
		assert_int_equal(sb.st_uid, 0);
	}
}

static void
t_new_dropin(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	char *zz = unit_path(f->dropd, "zz.conf");
	struct stat sb;

	unit_write(zz, "PermitRootLogin yes\n");
	roll(f, "ev1", &r);
	assert_int_equal(r.removed, 1);
	assert_int_equal(r.restored, 0);
	assert_string_equal(r.files, zz);
	rb_result_free(&r);
	assert_int_equal(lstat(zz, &sb), -1);
	assert_true(in_quarantine(f, "PermitRootLogin yes\n"));
	free(zz);
}

/* The target names an absent include; one that appears is removed. */
static void
t_missing_include_appears(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	struct closure cl;
	unsigned long gen = 0;
	char *absent = unit_path(f->ssh, "absent.conf"), *text;
	struct stat sb;

	assert_true(asprintf(&text, "%sInclude %s\n", f->main_text,
	    absent) > 0);
	unit_write(f->main, text);
	assert_int_equal(closure_read(f->main, f->ssh, &cl), 0);
	assert_int_equal(store_commit(&f->st, &cl, "good", "ev0", &gen), 0);
	closure_free(&cl);
	manifest_free(&f->m);
	assert_int_equal(store_load(&f->st, gen, &f->m), 0);
	assert_int_equal(manifest_find(&f->m, absent)->state, CL_MISSING);
	unit_write(absent, "DenyUsers *\n");
	roll(f, "ev1", &r);
	assert_int_equal(r.removed, 1);
	assert_int_equal(r.unchanged, 3);
	rb_result_free(&r);
	assert_int_equal(lstat(absent, &sb), -1);
	assert_true(in_quarantine(f, "DenyUsers *\n"));
	free(text);
	free(absent);
}

static void
t_main_is_dir(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	char *inner;

	assert_int_equal(unlink(f->main), 0);
	assert_int_equal(mkdir(f->main, 0755), 0);
	inner = unit_path(f->main, "inner");
	unit_write(inner, "admin notes\n");
	roll(f, "ev1", &r);
	assert_int_equal(r.recreated, 1);
	rb_result_free(&r);
	/* Moved, not deleted: the whole directory is in quarantine. */
	assert_true(in_quarantine(f, "admin notes\n"));
	free(inner);
}

static void
t_dangling_symlink(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	char *nowhere = unit_path(f->tmp, "nowhere");

	assert_int_equal(unlink(f->main), 0);
	assert_int_equal(symlink(nowhere, f->main), 0);
	roll(f, "ev1", &r);
	assert_int_equal(r.restored + r.recreated, 1);
	rb_result_free(&r);
	assert_true(in_quarantine(f, nowhere));
	free(nowhere);
}

static void
t_symlink_to_tmp(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	char *outside = unit_path(f->tmp, "outside.conf"), *got;

	unit_write(outside, "Port 2222\n");
	assert_int_equal(unlink(f->aconf), 0);
	assert_int_equal(symlink(outside, f->aconf), 0);
	roll(f, "ev1", &r);
	assert_int_equal(r.restored, 1);
	rb_result_free(&r);
	/* The link was replaced, its target never written through. */
	got = unit_slurp(outside);
	assert_string_equal(got, "Port 2222\n");
	free(got);
	assert_true(in_quarantine(f, outside));
	free(outside);
}

static void
t_parent_symlink(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	char *other = unit_path(f->tmp, "other"), *oa, *oe, *got;
	struct stat sb;

	/* sshd_config.d swapped for a link to a directory we do not own. */
	assert_int_equal(mkdir(other, 0755), 0);
	oa = unit_path(other, "a.conf");
	oe = unit_path(other, "evil.conf");
	unit_write(oa, A_CONF);
	unit_write(oe, "AllowUsers nobody\n");
	assert_int_equal(unlink(f->aconf), 0);
	assert_int_equal(rmdir(f->dropd), 0);
	assert_int_equal(symlink(other, f->dropd), 0);
	roll(f, "ev1", &r);
	rb_result_free(&r);
	assert_int_equal(lstat(f->dropd, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	got = unit_slurp(oe);
	assert_string_equal(got, "AllowUsers nobody\n");
	free(got);
	got = unit_slurp(oa);
	assert_string_equal(got, A_CONF);
	free(got);
	assert_true(in_quarantine(f, other));
	assert_true(in_quarantine(f, "AllowUsers nobody\n"));
	free(other);
	free(oa);
	free(oe);
}

static void
t_mode_owner(void **state)
{
	struct fx *f = *state;
	struct rb_result r;

	assert_int_equal(chmod(f->aconf, 0666), 0);
	assert_int_equal(chown(f->extra, 1234, 1234), 0);
	roll(f, "ev1", &r);
	assert_int_equal(r.restored, 2);
	rb_result_free(&r);
}

static void
t_hostkey_missing_reported(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	struct stat sb;

	assert_int_equal(unlink(f->hk), 0);
	unit_write(f->main, "garbage\n");
	roll(f, "ev1", &r);
	assert_non_null(strstr(r.reason, "host key missing"));
	assert_non_null(strstr(r.reason, f->hk));
	assert_int_equal(lstat(f->hk, &sb), -1);	/* never restored */
	rb_result_free(&r);
}

static void
t_bad_target(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	char *intent = unit_path(f->sdir, "intent");
	struct stat sb;

	f->m.usable = 0;
	assert_int_equal(rollback_to(&f->st, &f->m, f->ssh, "ev1", &r), -1);
	assert_non_null(strstr(r.reason, "not usable"));
	f->m.usable = 1;
	assert_int_equal(rollback_to(&f->st, &f->m, f->ssh, "../x", &r), -1);
	assert_int_equal(lstat(intent, &sb), -1);
	free(intent);
}

static void
t_resume(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	unsigned long gen = 0;
	char evid[33], *intent = unit_path(f->sdir, "intent"), *tmp;

	/* Nothing pending. */
	assert_int_equal(rollback_resume(&f->st, f->ssh, &r, &gen, evid), 0);
	/* A crash half way: intent written, main restored, extra not yet. */
	unit_write(f->main, "broken\n");
	unit_write(f->extra, "broken too\n");
	unit_write(intent, "sshmedic-intent 1\ngen 1\nevid evcrash\n");
	assert_int_equal(store_quarantine_add(&f->st, "evcrash", f->main,
	    "test"), 0);
	assert_int_equal(fs_write_atomic(f->main, f->main_text,
	    strlen(f->main_text), 0, 0, 0644), 0);
	tmp = unit_path(f->dropd, FS_TMP_PREFIX "0123456789abcdef");
	unit_write(tmp, "half written");
	assert_int_equal(rollback_resume(&f->st, f->ssh, &r, &gen, evid), 1);
	assert_int_equal(gen, 1);
	assert_string_equal(evid, "evcrash");
	assert_int_equal(r.restored, 1);
	assert_string_equal(r.files, f->extra);
	rb_result_free(&r);
	assert_target(f);
	assert_true(in_quarantine(f, "broken\n"));
	assert_true(in_quarantine(f, "broken too\n"));
	assert_int_equal(rollback_resume(&f->st, f->ssh, &r, &gen, evid), 0);
	/* Malformed intents are refused, never guessed at. */
	unit_write(intent, "sshmedic-intent 1\ngen x\nevid e\n");
	assert_int_equal(rollback_resume(&f->st, f->ssh, &r, &gen, evid), -1);
	assert_non_null(strstr(r.reason, "malformed"));
	unit_write(intent, "sshmedic-intent 1\ngen 1\n");
	assert_int_equal(rollback_resume(&f->st, f->ssh, &r, &gen, evid), -1);
	unit_write(intent, "sshmedic-intent 1\ngen 7\nevid e\n");
	assert_int_equal(rollback_resume(&f->st, f->ssh, &r, &gen, evid), -1);
	assert_non_null(strstr(r.reason, "generation 7"));
	unlink(intent);
	free(intent);
	free(tmp);
}

static void
t_enospc(void **state)
{
	struct fx *f = fx_new();
	struct rb_result r;
	unsigned long gen = 0;
	char evid[33], *filler, *pad, *got, *intent;
	size_t i;
	int fd;
	struct stat sb;

	(void)state;
	assert_int_equal(mkdir(f->ssh, 0755), 0);
	if (mount("tmpfs", f->ssh, "tmpfs", 0, "size=64k,mode=0755") == -1) {
		f->m.n = 0;
		teardown((void **)&f);
		skip();
	}
	/* A main config of ~20 KiB, so its restore needs real space. */
	pad = malloc(20 * 1024 + 1);
	assert_non_null(pad);
	for (i = 0; i < 20 * 1024; i++)
		pad[i] = i % 64 == 63 ? '\n' : '#';
	pad[20 * 1024] = '\0';
	free(f->main_text);
	assert_true(asprintf(&f->main_text, "Include %s/*.conf\nInclude %s\n"
	    "HostKey %s\nPort 22\n%s", f->dropd, f->extra, f->hk, pad) > 0);
	free(pad);
	write_good(f);
	commit_good(f);
	unit_write(f->main, "tiny broken\n");
	/* Fill the filesystem to the last block. */
	filler = unit_path(f->ssh, "filler");
	fd = open(filler, O_WRONLY|O_CREAT|O_TRUNC, 0600);
	assert_true(fd >= 0);
	{
		char blk[512];

		memset(blk, 'z', sizeof(blk));
		while (write(fd, blk, sizeof(blk)) == (ssize_t)sizeof(blk))
			;
		while (write(fd, blk, 1) == 1)
			;
	}
	close(fd);
	assert_int_equal(rollback_to(&f->st, &f->m, f->ssh, "evfull", &r), -1);
	assert_non_null(strstr(r.reason, "No space left"));
	rb_result_free(&r);
	/* Untouched, nothing partial, the broken version kept, intent kept. */
	got = unit_slurp(f->main);
	assert_string_equal(got, "tiny broken\n");
	free(got);
	assert_int_equal(has_temp(f->ssh), 0);
	assert_true(in_quarantine(f, "tiny broken\n"));
	intent = unit_path(f->sdir, "intent");
	assert_int_equal(lstat(intent, &sb), 0);
	free(intent);
	/* Space back: resume finishes it. */
	assert_int_equal(unlink(filler), 0);
	assert_int_equal(rollback_resume(&f->st, f->ssh, &r, &gen, evid), 1);
	assert_string_equal(evid, "evfull");
	rb_result_free(&r);
	assert_target(f);
	free(filler);
	assert_int_equal(umount(f->ssh), 0);
	teardown((void **)&f);
}

/* Busy-waits a random 0..max_us: the point is a random kill moment. */
static void
random_delay(unsigned max_us)
{
	int64_t end = monotime_ms() * 1000 + (int64_t)(random() % (max_us + 1));
	struct timespec ts;

	do {
		clock_gettime(CLOCK_MONOTONIC, &ts);
	} while ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 < end);
}

/*
 * The child breaks the closure (each version unique, logged once it is on
 * disk) and rolls back, forever; the parent kills it at a random moment,
 * then resumes. Every round must end whole, with every version kept.
 */
static void
t_sigkill(void **state)
{
	struct fx *f = *state;
	struct rb_result r;
	unsigned long gen;
	char evid[33], *logp = unit_path(f->tmp, "versions.log"), *log, *line, *save;
	char *zz = unit_path(f->dropd, "zz.conf");
	int round, logfd, status, ret, checked = 0, resumed = 0;
	pid_t pid;

	srandom((unsigned)getpid());
	logfd = open(logp, O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0600);
	assert_true(logfd >= 0);
	for (round = 0; round < 100; round++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char v[128], ev[33], tp[PATH_MAX];
			const char *paths[] = { f->main, f->extra, zz };
			struct rb_result cr;
			int i, k, fd;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (i = 0;; i++) {
				k = i % 3;
				snprintf(v, sizeof(v), "broken %d.%d %s\n",
				    round, i, paths[k]);
				/* The admin's editor: its own temporary, rename. */
				snprintf(tp, sizeof(tp), "%s.editing", paths[k]);
				unlink(tp);
				fd = open(tp, O_WRONLY|O_CREAT|O_EXCL, 0644);
				if (fd < 0 || write(fd, v, strlen(v)) < 0 ||
				    close(fd) == -1 || rename(tp, paths[k]) == -1)
					_exit(2);
				if (write(logfd, v, strlen(v)) < 0)
					_exit(2);
				snprintf(ev, sizeof(ev), "ev%d-%d", round, i);
				if (rollback_to(&f->st, &f->m, f->ssh, ev,
				    &cr) == -1)
					_exit(3);
				rb_result_free(&cr);
			}
		}
		random_delay(20000);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		ret = rollback_resume(&f->st, f->ssh, &r, &gen, evid);
		assert_int_not_equal(ret, -1);
		if (ret == 1)
			resumed++;
		else
			assert_int_equal(rollback_to(&f->st, &f->m, f->ssh,
			    "evafter", &r), 0);
		rb_result_free(&r);
		assert_target(f);
	}
	close(logfd);
	log = unit_slurp(logp);
	for (line = strtok_r(log, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char want[160];

		snprintf(want, sizeof(want), "%s\n", line);
		if (!in_quarantine(f, want))
			fail_msg("version not in quarantine: %s", line);
		checked++;
	}
	fprintf(stderr, "sigkill: %d versions checked, %d rollbacks resumed\n",
	    checked, resumed);
	assert_true(checked > 0);
	/* Kills land mid-rollback most of the time; none at all is a bug. */
	assert_true(resumed > 0);
	free(log);
	free(logp);
	free(zz);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(t_edited_main, setup, teardown),
		cmocka_unit_test_setup_teardown(t_deleted_include, setup, teardown),
		cmocka_unit_test_setup_teardown(t_new_dropin, setup, teardown),
		cmocka_unit_test_setup_teardown(t_missing_include_appears, setup, teardown),
		cmocka_unit_test_setup_teardown(t_main_is_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(t_dangling_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(t_symlink_to_tmp, setup, teardown),
		cmocka_unit_test_setup_teardown(t_parent_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(t_mode_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(t_hostkey_missing_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(t_bad_target, setup, teardown),
		cmocka_unit_test_setup_teardown(t_resume, setup, teardown),
		cmocka_unit_test(t_enospc),
		cmocka_unit_test_setup_teardown(t_sigkill, setup, teardown),
	};

	log_init("test_rollback", 1, 0);
	return cmocka_run_group_tests(t, NULL, NULL);
}
