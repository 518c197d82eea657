/*
 * sshd's PAM service files (M3): every module line checked to load, a
 * known-good copy taken at a successful login, restored when one breaks.
 */
#ifndef SM_PAMFILE_H
#define SM_PAMFILE_H

#include <stddef.h>

struct act_out;
struct daemon;

#define PAMFILE_READ_MAX	(64 * 1024)	/* bytes per PAM file */

/*
 * A session opened through service: the stack works, so when it also
 * passes pamcheck_stack its files become the known-good snapshot.
 */
void	pamfile_on_session(struct daemon *d, const char *service);

/*
 * Restores the known-good files of service when the current ones fail
 * pamcheck_stack (the current ones quarantined first); nothing to do when
 * they pass. 0/-1 as the other actions (act.h).
 */
int	pamfile_restore(struct daemon *d, const char *service, const char *evid,
	    int dry, struct act_out *o);

#endif
