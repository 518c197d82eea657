/*
 * Pieces of the sshmedic CLI shared between its files: output mode and the
 * review commands that read the store directly.
 */
#ifndef SM_CLI_H
#define SM_CLI_H

#include <stdio.h>

#include "conf.h"
#include "store.h"

struct cli {
	struct sm_conf conf;
	int	 json;
	struct store store;
	int	 store_open;
};

/* Each returns a sysexits code. */
int	cli_history(struct cli *c, int argc, char **argv);
int	cli_diff(struct cli *c, int argc, char **argv);
/* sshmedic audit-rules: 0, 1 a path cannot be a rule, 64 usage. */
int	cli_audit_rules(struct cli *c, int argc, char **argv);
/* 0 every check ok, 1 one failed or could not tell. */
int	cli_check(struct cli *c);
/* sshmedic request ...: 0 done, 1 refused or failed, 69 queued. */
int	cli_request(struct cli *c, int argc, char **argv);
/* Its usage on f: 0 for stdout (--help), EX_USAGE otherwise. */
int	cli_request_usage(FILE *f);

/*
 * sshmedic image-prep. cli_prep_early, before sshmedic.conf is read: its
 * --help, and the refusal of a caller who is not root (an exit code), or
 * -1 to go on. cli_image_prep: 0 done, 1 refused or failed, 64 usage.
 */
int	cli_prep_early(int argc, char **argv);
int	cli_image_prep(struct cli *c, int argc, char **argv);

/* Opens the store read-mostly; 0 or EX_UNAVAILABLE after a message. */
int	cli_open_store(struct cli *c);

#endif
