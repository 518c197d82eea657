/*
 * sshmedic request: the cloud "VM access" operations, written as a request
 * file (the same path a cloud agent uses) and answered by sshmedicd.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "ctl.h"
#include "fsutil.h"
#include "misc.h"
#include "request.h"
#include "xmalloc.h"

#define RESULT_WAIT_MS	60000
#define HASH_MAX	1024

/* See cli.h: 0 (to stdout, for --help) or EX_USAGE (to stderr). */
int
cli_request_usage(FILE *f)
{
	fprintf(f, "usage: sshmedic request reset-ssh\n"
	    "       sshmedic request set-key USER KEYFILE [--replace]\n"
	    "       sshmedic request set-password USER   (crypt hash on stdin)\n"
	    "       sshmedic request add-sudo-user USER KEYFILE\n"
	    "       sshmedic request remove-user USER [--keep-home]\n"
	    "       sshmedic request expire USER YYYY-MM-DD|never\n");
	return f == stdout ? 0 : EX_USAGE;
}

static int
usage(void)
{
	return cli_request_usage(stderr);
}

/* The hash from stdin: one line, never echoed, never on a command line. */
static char *
read_hash(void)
{
	char buf[HASH_MAX + 2];
	size_t n;

	if (isatty(0)) {
		fprintf(stderr, "sshmedic: give the crypt(3) hash on stdin, e.g. "
		    "openssl passwd -6 | sshmedic request set-password USER\n");
		return NULL;
	}
	if (fgets(buf, sizeof(buf), stdin) == NULL) {
		fprintf(stderr, "sshmedic: no hash on stdin\n");
		return NULL;
	}
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return xstrdup(buf);
}

static char *
read_keys(const char *path, size_t *len)
{
	char *buf;

	if (fs_read_file(path, REQ_KEYS_MAX, 1, &buf, len) == -1) {
		fprintf(stderr, "sshmedic: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	return buf;
}

/* Builds the op from argv; EX_USAGE or 1 on bad input, 0 fine. */
static int
build(int argc, char **argv, struct req_op *op)
{
	int k, i;

	if (argc < 2 || (k = request_kind_from_name(argv[1])) == -1)
		return usage();
	memset(op, 0, sizeof(*op));
	op->kind = (enum req_kind)k;
	switch (op->kind) {
	case RQ_RESET_SSH:
		return argc == 2 ? 0 : usage();
	case RQ_SET_KEY:
		if (argc < 4 || argc > 5 || (argc == 5 &&
		    strcmp(argv[4], "--replace") != 0))
			return usage();
		op->replace = argc == 5;
		/* FALLTHROUGH */
	case RQ_ADD_SUDO_USER:
		if (op->kind == RQ_ADD_SUDO_USER && argc != 4)
			return usage();
		op->user = xstrdup(argv[2]);
		return (op->keys = read_keys(argv[3], &op->keyslen)) == NULL ?
		    1 : 0;
	case RQ_SET_PASSWORD:
		if (argc != 3)
			return usage();
		op->user = xstrdup(argv[2]);
		return (op->hash = read_hash()) == NULL ? 1 : 0;
	case RQ_REMOVE_USER:
		if (argc < 3 || argc > 4)
			return usage();
		for (i = 3; i < argc; i++) {
			if (strcmp(argv[i], "--keep-home") != 0)
				return usage();
			op->keep_home = 1;
		}
		op->user = xstrdup(argv[2]);
		return 0;
	case RQ_EXPIRE:
		if (argc != 4)
			return usage();
		op->user = xstrdup(argv[2]);
		op->date = xstrdup(argv[3]);
		return 0;
	case RQ_NKINDS:
		break;
	}
	return usage();
}

static void
op_free(struct req_op *op)
{
	free(op->user);
	free(op->keys);
	if (op->hash != NULL) {
		explicit_bzero(op->hash, strlen(op->hash));
		free(op->hash);
	}
	free(op->date);
}

static int
print_result(struct cli *c, const char *path)
{
	json_object *o, *v, *ops, *e;
	char *text;
	size_t len, i;
	int ok;

	if (fs_read_file(path, CTL_MAX_REPLY, 0, &text, &len) == -1 ||
	    (o = json_tokener_parse(text)) == NULL) {
		fprintf(stderr, "sshmedic: %s: unreadable result\n", path);
		return 1;
	}
	free(text);
	ok = json_object_object_get_ex(o, "ok", &v) &&
	    json_object_get_boolean(v);
	if (c->json)
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (json_object_object_get_ex(o, "rejected", &v))
		printf("refused, nothing applied: %s\n", json_object_get_string(v));
	else if (json_object_object_get_ex(o, "results", &ops)) {
		for (i = 0; i < json_object_array_length(ops); i++) {
			e = json_object_array_get_idx(ops, i);
			json_object_object_get_ex(e, "ok", &v);
			printf("%s: ", json_object_get_boolean(v) ? "done" :
			    "FAILED");
			if (json_object_object_get_ex(e, "did", &v) ||
			    json_object_object_get_ex(e, "error", &v))
				printf("%s\n", json_object_get_string(v));
		}
	}
	json_object_put(o);
	return ok ? 0 : 1;
}

/* See cli.h: a sysexits code. */
int
cli_request(struct cli *c, int argc, char **argv)
{
	struct req_op op;
	struct request chk;
	char name[128], path[4096], result[4096], id[33], stamp[32], err[1024];
	char *sock, *reply = NULL, *text;
	struct tm tm;
	time_t now = time(NULL);
	int64_t end;
	int r;

	if ((r = build(argc, argv, &op)) != 0) {
		op_free(&op);
		return r;
	}
	/* The daemon checks again; refusing here saves a round trip. */
	text = request_format(&op);
	if (request_parse("request", text, strlen(text), &chk, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "sshmedic: refused: %s\n", err + (strncmp(err,
		    "request:", 8) == 0 ? 8 : 0));
		request_free(&chk);
		r = 1;
		goto out;
	}
	request_free(&chk);
	random_id(id);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(name, sizeof(name), "cli-%s-%.8s", stamp, id);
	snprintf(path, sizeof(path), "%s/%s%s", c->conf.requests_dir, name,
	    REQ_SUFFIX);
	snprintf(result, sizeof(result), "%s/%s" REQ_RESULT_SUFFIX,
	    c->conf.requests_dir, name);
	if (fs_mkdir_p(c->conf.requests_dir, 0700) == -1 ||
	    fs_write_atomic(path, text, strlen(text), 0, 0, 0600) == -1) {
		fprintf(stderr, "sshmedic: %s: %s\n", path, strerror(errno));
		r = 1;
		goto out;
	}
	/* Processed now rather than at the next inotify wakeup. */
	sock = conf_ctl_socket(&c->conf);
	if (ctl_request(sock, "requests", RESULT_WAIT_MS, &reply) == -1 &&
	    access(result, F_OK) == -1) {
		printf("queued as %s; sshmedicd is not running: it is processed "
		    "when the daemon starts\n", path);
		free(sock);
		r = EX_UNAVAILABLE;
		goto out;
	}
	free(sock);
	free(reply);
	for (end = monotime_ms() + RESULT_WAIT_MS; access(result, F_OK) == -1;) {
		if (monotime_ms() > end) {
			fprintf(stderr, "sshmedic: no answer to %s within %d s\n",
			    path, RESULT_WAIT_MS / 1000);
			r = EX_TEMPFAIL;
			goto out;
		}
		usleep(20000);
	}
	r = print_result(c, result);
 out:
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	op_free(&op);
	return r;
}
