/*
 * sshd's PAM service files (M3): every module line checked to load, a
 * known-good copy taken at a successful login, restored when one breaks.
 */
#ifndef SM_PAMFILE_H
#define SM_PAMFILE_H

#include <stddef.h>

struct act_out;
struct daemon;

#define PAMFILE_MAX_FILES	16	/* the service file and what it includes */
#define PAMFILE_MAX_DEPTH	8	/* nesting of @include / include / substack */

/*
 * Checks dir/service and every file it includes: each module a line names
 * must exist (absolute, or in the security directories; lines whose type
 * starts with '-' may lack theirs, as libpam allows), each included file
 * too. 1 every line can load, 0 not (problems lists "FILE:LINE: ..."), -1
 * the service file cannot be read (problems says why).
 */
int	pamfile_check(const char *dir, const char *service, char *problems,
	    size_t plen);

/*
 * A session opened through service: the stack works, so when it also
 * passes pamfile_check its files become the known-good snapshot.
 */
void	pamfile_on_session(struct daemon *d, const char *service);

/*
 * Restores the known-good files of service when the current ones fail
 * pamfile_check (the current ones quarantined first); nothing to do when
 * they pass. 0/-1 as the other actions (act.h).
 */
int	pamfile_restore(struct daemon *d, const char *service, const char *evid,
	    int dry, struct act_out *o);

#endif
