/*
 * Row functions of the check catalogue that live in checks_sys.c, shared
 * only between checks.c and checks_sys.c.
 */
#ifndef SM_CHECKS_INT_H
#define SM_CHECKS_INT_H

#include <stddef.h>
#include <sys/types.h>

#include "checks.h"

enum check_state check_nologin(struct check_ctx *x, char *detail, size_t len);
enum check_state check_space(struct check_ctx *x, char *detail, size_t len);

/* checks_user.c: U1, U3, U6 for the protected users, and M3. */
enum check_state check_user_modes(struct check_ctx *x, char *detail,
	    size_t len);
enum check_state check_user_accounts(struct check_ctx *x, char *detail,
	    size_t len);
enum check_state check_user_shells(struct check_ctx *x, char *detail,
	    size_t len);
enum check_state check_pam_stack(struct check_ctx *x, char *detail,
	    size_t len);

/* The process's name from /proc/PID/comm, "?" when gone. */
void	check_proc_comm(pid_t pid, char *comm, size_t len);

#endif
