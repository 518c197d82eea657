/*
 * sshmedic: the control and review CLI. Commands that change something go
 * through the daemon's root-only socket; review reads the store directly.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "conf.h"
#include "ctl.h"
#include "log.h"
#include "misc.h"
#include "store.h"
#include "xmalloc.h"

#define CTL_TIMEOUT_MS		30000
#define PAUSE_DEFAULT_MS	(15 * 60 * 1000)
#define TRY_DEFAULT_MS		(5 * 60 * 1000)

static void
usage(FILE *f)
{
	fprintf(f, "usage: sshmedic [-f CONF] [--json] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  status              the guard's state, generation, sshd\n"
	    "  history [COUNT] [--since WHEN]\n"
	    "                      known-good generations and a timeline: who "
	    "changed\n"
	    "                      a watched file (audit log), what sshmedic did\n"
	    "  audit-rules         audit watch rules for this configuration's "
	    "files\n"
	    "  diff [GEN [GEN]]    what changed between generations / on disk\n"
	    "  rollback [GEN]      restore a known-good generation now\n"
	    "  promote             validate the files on disk, reload sshd, "
	    "record them as known-good\n"
	    "  pause [DURATION]    hold the guard for maintenance (default "
	    "15m; ends by itself)\n"
	    "  resume              end a pause now\n"
	    "  check               run every check of the lockout catalogue, "
	    "change nothing\n"
	    "  try [DURATION]      the next change is reverted unless a "
	    "protected user\n"
	    "                      logs in within DURATION (default 5m) after "
	    "sshd serves it\n"
	    "  request KIND ...    reset-ssh | set-key USER KEYFILE [--replace] |\n"
	    "                      set-password USER (hash on stdin) |\n"
	    "                      add-sudo-user USER KEYFILE |\n"
	    "                      remove-user USER [--keep-home] |\n"
	    "                      expire USER DATE\n"
	    "  image-prep [--dry-run] [--discard-quarantine]\n"
	    "                      last step of a golden image build: clear "
	    "the store\n"
	    "                      (sshmedicd stopped); the quarantine is "
	    "kept\n"
	    "options: -f CONF (default %s), --json, --help, --version\n",
	    CONF_DEFAULT_PATH);
}

/* Sends req to the daemon; parsed reply or NULL (errno set, message shown). */
static json_object *
ask(struct cli *c, const char *req, int quiet)
{
	char *sock = conf_ctl_socket(&c->conf), *reply = NULL;
	json_object *o = NULL;

	if (ctl_request(sock, req, CTL_TIMEOUT_MS, &reply) == -1) {
		if (!quiet)
			fprintf(stderr, "sshmedic: daemon not reachable at %s: "
			    "%s\n", sock, strerror(errno));
		free(sock);
		return NULL;
	}
	free(sock);
	if ((o = json_tokener_parse(reply)) == NULL && !quiet)
		fprintf(stderr, "sshmedic: malformed reply from the daemon\n");
	free(reply);
	return o;
}

/* One request, its message printed; EX_UNAVAILABLE when no daemon answers. */
static int
simple_q(struct cli *c, const char *req, int quiet)
{
	json_object *o, *v;
	int ok;

	if ((o = ask(c, req, quiet)) == NULL)
		return EX_UNAVAILABLE;
	ok = json_object_object_get_ex(o, "ok", &v) &&
	    json_object_get_boolean(v);
	if (c->json)
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (json_object_object_get_ex(o, "message", &v))
		printf("%s\n", json_object_get_string(v));
	json_object_put(o);
	return ok ? 0 : 1;
}

static int
simple(struct cli *c, const char *req)
{
	return simple_q(c, req, 0);
}

static const char *
field(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return "-";
	return json_object_get_string(v);
}

static int
cmd_status(struct cli *c)
{
	json_object *o, *cl, *pol, *v;
	struct manifest m;
	long long until;
	char val[32];
	size_t i;

	if ((o = ask(c, "status", 1)) == NULL) {
		/* Daemon down: say so, and what the store knows. */
		o = json_object_new_object();
		json_object_object_add(o, "state",
		    json_object_new_string("stopped"));
		if (cli_open_store(c) == 0) {
			if (store_latest(&c->store, &m) == 0) {
				json_object_object_add(o, "generation",
				    json_object_new_int64((int64_t)m.gen));
				manifest_free(&m);
			}
			/* Stored in ms; status says seconds, as the daemon. */
			if (store_state_get(&c->store, "paused_until", val,
			    sizeof(val)) == 0 &&
			    parse_ll(val, 0, INT64_MAX, &until) == 0 &&
			    until > realtime_ms())
				json_object_object_add(o, "paused_until",
				    json_object_new_int64(until / 1000));
		}
		if (c->json)
			printf("%s\n", json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			printf("sshmedicd is not running (%s)\n"
			    "known-good generation: %s\n", c->conf.run_dir,
			    field(o, "generation"));
		json_object_put(o);
		return EX_UNAVAILABLE;
	}
	if (c->json) {
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return 0;
	}
	printf("state:        %s\n", field(o, "state"));
	printf("generation:   %s\n", field(o, "generation"));
	if (strcmp(field(o, "rejected_reason"), "-") != 0)
		printf("rejected:     %s\n", field(o, "rejected_reason"));
	if (strcmp(field(o, "paused_until"), "-") != 0) {
		time_t t = (time_t)atoll(field(o, "paused_until"));
		char buf[32];
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("paused until: %s\n", buf);
	}
	printf("sshd:         pid %s, %s\n", field(o, "sshd_pid"),
	    strcmp(field(o, "sshd_serving"), "true") == 0 ? "serving" :
	    "NOT serving");
	if (strcmp(field(o, "ladder"), "idle") != 0 &&
	    strcmp(field(o, "ladder"), "-") != 0)
		printf("ladder:       step %s (%s)\n", field(o, "ladder_step"),
		    field(o, "ladder"));
	if (strcmp(field(o, "sshd_last_error"), "-") != 0)
		printf("sshd error:   %s\n", field(o, "sshd_last_error"));
	printf("sshd deaths:  %s (%s starts by sshmedicd)\n",
	    field(o, "sshd_deaths"), field(o, "sshd_starts"));
	printf("counters:     %s rollbacks, %s rejections, %s promotions\n",
	    field(o, "rollbacks"), field(o, "rejections"),
	    field(o, "promotions"));
	if (json_object_object_get_ex(o, "policies", &pol) && pol != NULL)
		printf("policies:     %s loaded, %zu files refused, %s fired, "
		    "%s suppressed, %s actions failed\n", field(pol, "loaded"),
		    json_object_object_get_ex(pol, "refused", &v) ?
		    json_object_array_length(v) : 0, field(pol, "fired"),
		    field(pol, "suppressed"), field(pol, "actions_failed"));
	if (strcmp(field(o, "events_lost"), "-") != 0)
		printf("PAM events:   %s received, %s rejected, %s lost\n",
		    field(o, "events_received"), field(o, "events_rejected"),
		    field(o, "events_lost"));
	if (strcmp(field(o, "lookups"), "-") != 0)
		printf("lookups:      %s account lookups, %s failed (NSS "
		    "not answering in 5 s)\n", field(o, "lookups"),
		    field(o, "lookups_failed"));
	printf("audit:        %s (%s records lost)\n",
	    strcmp(field(o, "audit"), "true") == 0 ? "on" : "OFF",
	    field(o, "records_lost"));
	printf("last event:   %s\n", field(o, "last_event"));
	if (json_object_object_get_ex(o, "closure", &cl)) {
		printf("closure:\n");
		for (i = 0; i < json_object_array_length(cl); i++)
			printf("  %s\n", json_object_get_string(
			    json_object_array_get_idx(cl, i)));
	}
	json_object_put(o);
	return 0;
}

static int
cmd_pause(struct cli *c, int argc, char **argv)
{
	long long ms = PAUSE_DEFAULT_MS;
	char req[64], val[32];
	int r;

	if (argc > 2 || (argc == 2 && (parse_duration_ms(argv[1], &ms) == -1 ||
	    ms < 1000 || ms > 7LL * 86400 * 1000))) {
		fprintf(stderr, "usage: sshmedic pause [DURATION]\n"
		    "  DURATION: 90, 30s, 15m, 2h (1 s to 7 d; default 15m)\n");
		return EX_USAGE;
	}
	snprintf(req, sizeof(req), "pause %lld", ms);
	if ((r = simple_q(c, req, 1)) != EX_UNAVAILABLE)
		return r;
	/* Daemon down: record the pause; it is honoured at the next start. */
	if (cli_open_store(c) != 0)
		return EX_UNAVAILABLE;
	snprintf(val, sizeof(val), "%lld", (long long)realtime_ms() + ms);
	if (store_state_set(&c->store, "paused_until", val) == -1) {
		fprintf(stderr, "sshmedic: cannot record the pause: %s\n",
		    strerror(errno));
		return 1;
	}
	printf("sshmedicd is not running; the pause is recorded and applies "
	    "when it starts\n");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "config", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	static struct cli c;
	const char *conf_path = CONF_DEFAULT_PATH, *cmd;
	char err[1024], req[64];
	int ch, r, conf_flags = CONF_CHECK_OWNER | CONF_ABSENT_OK;

	log_init("sshmedic", 1, 0);
	memset(&c, 0, sizeof(c));
	while ((ch = getopt_long(argc, argv, "+f:jhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			conf_path = optarg;
			conf_flags = CONF_CHECK_OWNER;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sshmedic %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[0];
	/* --json may also follow the command. */
	if (argc > 1 && strcmp(argv[argc - 1], "--json") == 0) {
		c.json = 1;
		argc--;
	}
	if (argc > 1 && strcmp(argv[1], "--help") == 0 &&
	    strcmp(cmd, "request") == 0)
		return cli_request_usage(stdout);
	if (strcmp(cmd, "image-prep") == 0 && (r = cli_prep_early(argc,
	    argv)) >= 0)
		return r;
	if (argc > 1 && strcmp(argv[1], "--help") == 0 &&
	    strcmp(cmd, "history") != 0 && strcmp(cmd, "diff") != 0 &&
	    strcmp(cmd, "audit-rules") != 0) {
		usage(stdout);
		return 0;
	}
	if (conf_load(conf_path, &c.conf, conf_flags, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "sshmedic: %s\n", err);
		return EX_CONFIG;
	}
	if (strcmp(cmd, "status") == 0 && argc == 1)
		r = cmd_status(&c);
	else if (strcmp(cmd, "history") == 0)
		r = cli_history(&c, argc, argv);
	else if (strcmp(cmd, "diff") == 0)
		r = cli_diff(&c, argc, argv);
	else if (strcmp(cmd, "audit-rules") == 0)
		r = cli_audit_rules(&c, argc, argv);
	else if (strcmp(cmd, "rollback") == 0 && argc <= 2) {
		long long g = 0;

		if (argc == 2 && parse_ll(argv[1], 1, STORE_MAX_GENERATIONS,
		    &g) == -1) {
			fprintf(stderr, "sshmedic: bad generation '%s'\n",
			    argv[1]);
			r = EX_USAGE;
		} else {
			if (g > 0)
				snprintf(req, sizeof(req), "rollback %lld", g);
			else
				snprintf(req, sizeof(req), "rollback");
			r = simple(&c, req);
		}
	} else if (strcmp(cmd, "promote") == 0 && argc == 1)
		r = simple(&c, "promote");
	else if (strcmp(cmd, "pause") == 0)
		r = cmd_pause(&c, argc, argv);
	else if (strcmp(cmd, "resume") == 0 && argc == 1) {
		if ((r = simple_q(&c, "resume", 1)) != EX_UNAVAILABLE)
			;
		else if (cli_open_store(&c) == 0 &&
		    store_state_set(&c.store, "paused_until", NULL) == 0) {
			printf("sshmedicd is not running; the recorded pause "
			    "is cleared\n");
			r = 0;
		} else
			r = 1;
	} else if (strcmp(cmd, "check") == 0 && argc == 1)
		r = cli_check(&c);
	else if (strcmp(cmd, "try") == 0 && argc <= 2) {
		long long ms = TRY_DEFAULT_MS;

		if (argc == 2 && (parse_duration_ms(argv[1], &ms) == -1 ||
		    ms < 1000 || ms > 86400LL * 1000)) {
			fprintf(stderr, "usage: sshmedic try [DURATION]\n"
			    "  DURATION: 90, 30s, 5m, 1h (1 s to 1 d; default "
			    "5m)\n");
			r = EX_USAGE;
		} else {
			snprintf(req, sizeof(req), "try %lld", ms);
			r = simple(&c, req);
		}
	} else if (strcmp(cmd, "request") == 0)
		r = cli_request(&c, argc, argv);
	else if (strcmp(cmd, "image-prep") == 0)
		r = cli_image_prep(&c, argc, argv);
	else {
		usage(stderr);
		r = EX_USAGE;
	}
	if (c.store_open)
		store_close(&c.store);
	conf_free(&c.conf);
	return r;
}
