/*
 * sshd's PAM service files (M3 of LOCKOUTS.md): a module line that cannot
 * load fails every login; each line is checked, nothing is changed.
 */
#ifndef SM_PAMCHECK_H
#define SM_PAMCHECK_H

#include <limits.h>
#include <stddef.h>

#define PAMCHECK_MAX_FILES	16	/* the service file and what it includes */
#define PAMCHECK_MAX_DEPTH	8	/* nesting of @include / include / substack */

/*
 * Checks dir/service and every file it includes: each module a line names
 * must exist (absolute, or in the security directories; lines whose type
 * starts with '-' may lack theirs, as libpam allows), each included file
 * too. 1 every line can load, 0 not (problems lists "FILE:LINE: ..."), -1
 * the service file cannot be read (problems says why).
 */
int	pamcheck_stack(const char *dir, const char *service, char *problems,
	    size_t plen);

/* The files of the stack (the service file first), at most max. */
size_t	pamcheck_files(const char *dir, const char *service,
	    char files[][PATH_MAX], size_t max);

#endif
