/*
 * Tests for lib/report.c: the audit text and its encoding, the JSON line,
 * one event id in every sink, bounded fields, lost writes, and a live record.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>
#include <libaudit.h>

#include "misc.h"
#include "report.h"

static const char *evid1 = "0123456789abcdef0123456789abcdef";

static void
hex_upper(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		*out++ = hex[(unsigned char)*s >> 4];
		*out++ = hex[(unsigned char)*s & 0xf];
	}
	*out = '\0';
}

static void
t_audit_text(void **s)
{
	struct report_ev ev = { 0 };
	const char *reason = "bad \"value\"\nin line 3";
	char buf[4096], want[1024], hex[256];

	(void)s;
	ev.type = AUDIT_USYS_CONFIG;
	ev.op = "sshmedic-config-rollback";
	ev.success = 1;
	ev.gen = 7;
	ev.prev_gen = 6;
	ev.files = "/etc/ssh/sshd_config,/etc/ssh/sshd_config.d/a.conf";
	ev.reason = reason;
	ev.unit = "sshd";
	ev.user = "ops";
	assert_int_equal(report_format_audit(&ev, evid1, buf, sizeof(buf)), 0);
	hex_upper(reason, hex);
	snprintf(want, sizeof(want), "op=sshmedic-config-rollback gen=7 "
	    "prev_gen=6 files=\"/etc/ssh/sshd_config,/etc/ssh/sshd_config.d/"
	    "a.conf\" reason=%s unit=\"sshd\" acct=\"ops\" evid=%s", hex, evid1);
	assert_string_equal(buf, want);

	/* an untrusted user name with a space is hex, like libaudit does */
	ev.user = "evil user";
	ev.files = NULL;
	ev.reason = NULL;
	ev.unit = NULL;
	ev.gen = ev.prev_gen = 0;
	assert_int_equal(report_format_audit(&ev, evid1, buf, sizeof(buf)), 0);
	hex_upper("evil user", hex);
	snprintf(want, sizeof(want), "op=sshmedic-config-rollback acct=%s "
	    "evid=%s", hex, evid1);
	assert_string_equal(buf, want);

	/* an op that is not one token is encoded, never written raw */
	ev.user = NULL;
	ev.op = "a b";
	assert_int_equal(report_format_audit(&ev, evid1, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "op=612062 evid=%s", evid1);
	assert_string_equal(buf, want);
}

static void
t_audit_omits_and_bounds(void **s)
{
	struct report_ev ev = { 0 };
	char buf[8192], *files, want[128];
	size_t need, i, o;

	(void)s;
	ev.type = AUDIT_SERVICE_START;
	ev.op = "sshmedic-daemon-start";
	assert_int_equal(report_format_audit(&ev, evid1, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "op=sshmedic-daemon-start evid=%s", evid1);
	assert_string_equal(buf, want);

	/* exact fit, one byte short, nothing */
	need = strlen(want) + 1;
	assert_int_equal(report_format_audit(&ev, evid1, buf, need), 0);
	assert_string_equal(buf, want);
	errno = 0;
	assert_int_equal(report_format_audit(&ev, evid1, buf, need - 1), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(report_format_audit(&ev, evid1, buf, 0), -1);
	assert_int_equal(errno, ENOSPC);

	/* a long file list is cut at an entry and says so */
	files = malloc(10000);
	assert_non_null(files);
	for (i = 0, o = 0; o < 9000; i++)
		o += (size_t)snprintf(files + o, 10000 - o, "%s/etc/ssh/f%zu",
		    i ? "," : "", i);
	ev.files = files;
	ev.reason = files;	/* and a long reason is cut too */
	assert_int_equal(report_format_audit(&ev, evid1, buf, sizeof(buf)), 0);
	assert_true(strlen(buf) < 7000);
	assert_non_null(strstr(buf, ",...\" reason="));
	assert_non_null(strstr(buf, "...\" evid="));
	free(files);
}

static void
t_syslog_text(void **s)
{
	struct report_ev ev = { 0 };
	char buf[1024], want[512], small[40];
	size_t i;

	(void)s;
	ev.type = AUDIT_USYS_CONFIG;
	ev.op = "sshmedic-config-rollback";
	ev.success = 0;
	ev.gen = 5;
	ev.files = "/etc/ssh/a b";
	ev.reason = "say \"hi\"\n\\ \x1b[31m";
	ev.user = "root";
	report_format_syslog(&ev, evid1, buf, sizeof(buf));
	snprintf(want, sizeof(want), "type=USYS_CONFIG "
	    "op=\"sshmedic-config-rollback\" res=failed gen=5 "
	    "files=\"/etc/ssh/a b\" reason=\"say \\\"hi\\\"\\x0a\\\\ "
	    "\\x1b[31m\" acct=\"root\" evid=%s", evid1);
	assert_string_equal(buf, want);
	for (i = 0; buf[i] != '\0'; i++)
		assert_true((unsigned char)buf[i] >= 0x20);

	/* too small: cut, terminated, never overrun */
	memset(small, 'Z', sizeof(small));
	report_format_syslog(&ev, evid1, small, 20);
	assert_int_equal(strlen(small), 19);
	assert_int_equal(small[20], 'Z');
	report_format_syslog(&ev, evid1, small, 1);
	assert_string_equal(small, "");
}

static struct json_object *
parse(const char *line)
{
	struct json_object *o = json_tokener_parse(line);

	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_object));
	return o;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static void
t_json_line(void **s)
{
	struct report_ev ev = { 0 };
	struct json_object *o, *v;
	const char *reason = "quote \" back\\slash\nnew\ttab\x01 ctl";
	char *line;

	(void)s;
	ev.type = AUDIT_USYS_CONFIG;
	ev.op = "sshmedic-config-rejected";
	ev.success = 0;
	ev.gen = 3;
	ev.prev_gen = 2;
	ev.files = "/etc/ssh/sshd_config,/etc/ssh/b c.conf";
	ev.reason = reason;
	ev.unit = "sshd";
	ev.user = "root";
	ev.detail = "line 1\nline 2";
	/* 2024-02-29T23:59:59.007Z */
	line = report_format_json(&ev, evid1, 1709251199007LL);
	assert_null(strchr(line, '\n'));
	assert_null(strchr(line, '\t'));
	assert_null(strchr(line, '\x01'));
	assert_non_null(strstr(line, "\\n"));
	o = parse(line);
	assert_string_equal(jstr(o, "time"), "2024-02-29T23:59:59.007Z");
	assert_string_equal(jstr(o, "id"), evid1);
	assert_string_equal(jstr(o, "type"), "USYS_CONFIG");
	assert_string_equal(jstr(o, "op"), "sshmedic-config-rejected");
	assert_string_equal(jstr(o, "res"), "failed");
	assert_true(json_object_object_get_ex(o, "gen", &v));
	assert_int_equal(json_object_get_int64(v), 3);
	assert_true(json_object_object_get_ex(o, "prev_gen", &v));
	assert_int_equal(json_object_get_int64(v), 2);
	assert_true(json_object_object_get_ex(o, "files", &v));
	assert_true(json_object_is_type(v, json_type_array));
	assert_int_equal(json_object_array_length(v), 2);
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(v, 1)), "/etc/ssh/b c.conf");
	assert_string_equal(jstr(o, "reason"), reason);
	assert_string_equal(jstr(o, "unit"), "sshd");
	assert_string_equal(jstr(o, "acct"), "root");
	assert_string_equal(jstr(o, "detail"), "line 1\nline 2");
	assert_null(jstr(o, "detail_truncated"));
	json_object_put(o);
	free(line);

	/* nothing set: no field for it */
	memset(&ev, 0, sizeof(ev));
	ev.type = AUDIT_SERVICE_STOP;
	ev.op = "sshmedic-daemon-stop";
	ev.success = 1;
	line = report_format_json(&ev, evid1, 0);
	o = parse(line);
	assert_string_equal(jstr(o, "time"), "1970-01-01T00:00:00.000Z");
	assert_string_equal(jstr(o, "type"), "SERVICE_STOP");
	assert_string_equal(jstr(o, "res"), "success");
	assert_int_equal(json_object_object_length(o), 5);
	json_object_put(o);
	free(line);
}

static void
t_json_bounds(void **s)
{
	struct report_ev ev = { 0 };
	struct json_object *o;
	char *detail, *line;
	size_t i;

	(void)s;
	ev.type = AUDIT_USYS_CONFIG;
	ev.op = "x";
	detail = malloc(5001);
	assert_non_null(detail);
	for (i = 0; i < 5000; i++)
		detail[i] = (char)('a' + i % 26);
	/* exactly 4096: kept whole */
	detail[4096] = '\0';
	ev.detail = detail;
	line = report_format_json(&ev, evid1, 0);
	o = parse(line);
	assert_int_equal(strlen(jstr(o, "detail")), 4096);
	assert_null(jstr(o, "detail_truncated"));
	json_object_put(o);
	free(line);
	/* 4097 and more: capped and marked */
	detail[4096] = 'x';
	detail[5000] = '\0';
	line = report_format_json(&ev, evid1, 0);
	o = parse(line);
	assert_int_equal(strlen(jstr(o, "detail")), 4096);
	assert_memory_equal(jstr(o, "detail"), detail, 4096);
	assert_string_equal(jstr(o, "detail_truncated"), "true");
	json_object_put(o);
	free(line);

	/* a cap that cuts a UTF-8 sequence, and bytes that are not UTF-8 */
	memset(detail, 'a', 4095);
	memcpy(detail + 4095, "\xc3\xa9", 3);
	line = report_format_json(&ev, evid1, 0);
	o = parse(line);
	assert_int_equal(strlen(jstr(o, "detail")), 4096);
	assert_int_equal(jstr(o, "detail")[4095], '?');
	json_object_put(o);
	free(line);
	ev.detail = "ok \xc3\xa9 bad \xff\xfe \xed\xa0\x80 end";
	line = report_format_json(&ev, evid1, 0);
	o = parse(line);
	assert_string_equal(jstr(o, "detail"), "ok \xc3\xa9 bad ?? ??? end");
	json_object_put(o);
	free(line);
	free(detail);
}

static char *
read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	assert_non_null(f);
	buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
t_emit_json_sink(void **s)
{
	struct report_cfg cfg = { 0 };
	struct report_ev ev = { 0 };
	struct json_object *o;
	char *dir = unit_mkdtemp(), path[512], moved[600], evid[33], *text;
	char *nl;
	struct stat st;
	unsigned long lost0;

	(void)s;
	snprintf(path, sizeof(path), "%s/sub/events.json", dir);
	cfg.json_path = path;
	assert_int_equal(report_open(&cfg), 0);
	assert_false(report_audit_active());
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	lost0 = report_lost();

	ev.type = AUDIT_USYS_CONFIG;
	ev.op = "sshmedic-config-promote";
	ev.success = 1;
	ev.gen = 1;
	report_emit(&ev, evid);
	assert_int_equal(strlen(evid), 32);
	ev.evid = "caller-chosen-id";
	report_emit(&ev, NULL);
	ev.evid = "bad id with spaces";
	report_emit(&ev, evid + 0);

	text = read_all(path);
	nl = strchr(text, '\n');
	assert_non_null(nl);
	*nl = '\0';
	o = parse(text);
	assert_int_equal(strlen(jstr(o, "id")), 32);
	json_object_put(o);
	o = parse(nl + 1);
	assert_string_equal(jstr(o, "id"), "caller-chosen-id");
	json_object_put(o);
	nl = strchr(nl + 1, '\n');
	assert_non_null(nl);
	o = parse(nl + 1);
	/* an unusable id is replaced, and the caller learns the new one */
	assert_string_equal(jstr(o, "id"), evid);
	assert_int_not_equal(strcmp(evid, "bad id with spaces"), 0);
	json_object_put(o);
	free(text);
	assert_int_equal(report_lost(), lost0);

	/* logrotate moved the file: the next line starts a new one */
	snprintf(moved, sizeof(moved), "%s.1", path);
	assert_int_equal(rename(path, moved), 0);
	ev.evid = NULL;
	report_emit(&ev, evid);
	text = read_all(path);
	o = parse(text);
	assert_string_equal(jstr(o, "id"), evid);
	json_object_put(o);
	free(text);
	report_close();

	/* a full disk: counted, never fatal */
	cfg.json_path = "/dev/full";
	assert_int_equal(report_open(&cfg), 0);
	report_emit(&ev, evid);
	report_emit(&ev, evid);
	assert_int_equal(report_lost(), lost0 + 2);
	report_close();

	/* a log that cannot be opened: -1, and emits are counted as lost */
	cfg.json_path = "/proc/sshmedic-no/events.json";
	assert_int_equal(report_open(&cfg), -1);
	report_emit(&ev, evid);
	assert_int_equal(report_lost(), lost0 + 3);
	report_close();

	/* closed: nothing written, nothing lost, the id still comes back */
	evid[0] = '\0';
	report_emit(&ev, evid);
	assert_int_equal(strlen(evid), 32);
	assert_int_equal(report_lost(), lost0 + 3);
	unit_rmtree(dir);
}

/* 1 when auditd runs (starting it if needed), 0 when it cannot. */
static int
auditd_ready(void)
{
	if (system("auditctl -s 2>/dev/null | grep -Eq '^pid [1-9]'") == 0)
		return 1;
	if (system("auditd >/dev/null 2>&1") != 0)
		return 0;
	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 25 * 1000 * 1000 };

		if (system("auditctl -s 2>/dev/null | grep -Eq '^pid [1-9]'") ==
		    0)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void
t_live_audit(void **s)
{
	struct report_cfg cfg = { 0 };
	struct report_ev ev = { 0 };
	char evid[33], cmd[512], *out = NULL;
	const char *ci = getenv("CI");
	int64_t until;
	int found = 0;
	FILE *p;
	size_t n = 0;

	(void)s;
	if (!auditd_ready()) {
		if (ci == NULL || strcmp(ci, "true") != 0) {
			fprintf(stderr, "auditd not available: skipping the "
			    "live audit test\n");
			skip();
		}
		fail_msg("auditd is not running and cannot be started (CI)");
	}
	cfg.audit = 1;
	cfg.ident = "test_report";
	assert_int_equal(report_open(&cfg), 0);
	assert_true(report_audit_active());
	random_id(evid);
	ev.type = AUDIT_USYS_CONFIG;
	ev.op = "sshmedic-unit-test";
	ev.success = 1;
	ev.gen = 42;
	ev.files = "/tmp/x y";
	ev.reason = "unit test \"record\"";
	ev.evid = evid;
	report_emit(&ev, NULL);
	assert_true(report_audit_active());
	report_close();

	/* without --input-logs, ausearch reads a non-tty stdin instead */
	snprintf(cmd, sizeof(cmd), "ausearch --input-logs -m USYS_CONFIG -i "
	    "</dev/null 2>/dev/null | grep -F 'evid=%s'", evid);
	until = monotime_ms() + 10000;
	while (!found && monotime_ms() < until) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if ((p = popen(cmd, "r")) != NULL) {
			if (getline(&out, &n, p) > 0)
				found = 1;
			pclose(p);
		}
		if (!found)
			nanosleep(&ts, NULL);
	}
	if (!found)
		fail_msg("no USYS_CONFIG record with evid=%s", evid);
	assert_non_null(strstr(out, "op=sshmedic-unit-test"));
	assert_non_null(strstr(out, "gen=42"));
	assert_non_null(strstr(out, "res=success"));
	assert_non_null(strstr(out, "addr=127.0.0.1"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(t_audit_text),
		cmocka_unit_test(t_audit_omits_and_bounds),
		cmocka_unit_test(t_syslog_text),
		cmocka_unit_test(t_json_line),
		cmocka_unit_test(t_json_bounds),
		cmocka_unit_test(t_emit_json_sink),
		cmocka_unit_test(t_live_audit),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
