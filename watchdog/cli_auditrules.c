/*
 * sshmedic audit-rules: the audit watch rules for the paths of the
 * configuration in use, so a sandbox or another layout gets its own.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "auditwatch.h"
#include "cli.h"

static int
usage(FILE *f)
{
	fprintf(f, "usage: sshmedic audit-rules [--key-prefix PREFIX] "
	    "[--daemon PATH]\n"
	    "  prints audit watch rules (auditctl syntax, for "
	    "/etc/audit/rules.d/) for the\n"
	    "  files this configuration names: sshd's, PAM's, sshmedic's "
	    "own, the store\n"
	    "  --key-prefix: keys PREFIX-sshd-config, ... (default %s)\n"
	    "  --daemon: sshmedicd's path for exe!= (default: the one beside "
	    "this program)\n", AWATCH_PREFIX);
	return f == stdout ? 0 : EX_USAGE;
}

/* 0 printed, 1 a path could not be a rule (said), 64 usage. */
int
cli_audit_rules(struct cli *c, int argc, char **argv)
{
	const char *prefix = NULL, *daemon = NULL;
	struct awatch_set ws;
	char err[1024];
	int i, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0)
			return usage(stdout);
		if (strcmp(argv[i], "--key-prefix") == 0 && i + 1 < argc)
			prefix = argv[++i];
		else if (strcmp(argv[i], "--daemon") == 0 && i + 1 < argc)
			daemon = argv[++i];
		else
			return usage(stderr);
	}
	if (awatch_build(&c->conf, prefix, daemon, &ws, err, sizeof(err)) == -1) {
		fprintf(stderr, "sshmedic: audit-rules: %s\n", err);
		return EX_USAGE;
	}
	r = awatch_print(&ws, c->conf.path != NULL ? c->conf.path :
	    CONF_DEFAULT_PATH, stdout);
	awatch_free(&ws);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("sshmedic: audit-rules: stdout");
		return 1;
	}
	return r;
}
