/*
 * Shared by the sources of the policy unit test (one binary, one source per
 * lib/policy*.c): a scratch directory with good secret files, and helpers.
 */
#ifndef SM_POLICY_UNIT_H
#define SM_POLICY_UNIT_H

#include "unit.h"

#include <sys/types.h>

#include "policy.h"

/* A sha512crypt hash; its middle part must never show up in an error. */
#define HASH6	"$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv" \
		"72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG."
#define HASH6_PART	"ltjgWl6579"
#define KEY_ED	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM13nzLX9X5CuoPSe2goNKTRXD" \
		"NDsgE7dZkVfHS1TEYq ops@breakglass"

extern char *tdir;		/* scratch, per test */
extern char ppath[512];		/* the policy file most tests write */
extern char escrow[512];	/* a good escrow file, 0600 */
extern char keyf[512];		/* a good public key file, 0644 */

extern const char *const trig_names[PT_NTRIGGERS];
extern const char *const act_names[PA_NACTIONS];

int	pu_setup(void **s);
int	pu_teardown(void **s);

void	write_mode(const char *path, const char *text, mode_t mode);

/* text with every from replaced by to; malloc'd. */
char	*subst(const char *text, const char *from, const char *to);
/* @ESCROW@, @KEY@ and @DIR@ filled in; malloc'd. */
char	*expand(const char *text);
/* "policies = ( { BODY } );" expanded; the body starts on line 2. */
char	*wrap(const char *body);

/* text (expanded) as ppath, loaded with check_owner 0 into a fresh set. */
int	load_text(const char *text, struct policy_set *set, char *err,
	    size_t len);
/* err must be "PATH:LINE: ...what..." (LINE 0: "PATH: ") without the secret. */
void	want_err(const char *what_for, const char *err, const char *path,
	    unsigned int line, const char *what);
/* Refused naming line and what, nothing loaded. */
void	expect_err_text(const char *text, unsigned int line, const char *what);
void	expect_err(const char *body, unsigned int line, const char *what);
/* Loaded into set as n policies of one file; the caller frees set. */
void	expect_ok(const char *body, struct policy_set *set, size_t n);

/* The triggers with one user, and those that count failures. 1/0. */
int	one_user(int t);
int	counts(int t);

/* The groups of the other sources; each returns its failed count. */
int	policy_action_tests(void);
int	policy_secret_tests(void);
int	policy_dir_tests(void);

#endif
