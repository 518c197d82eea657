/*
 * Private to conf.c and conf_users.c: the parse context, error reporting
 * and the small helpers both use.
 */
#ifndef SM_CONF_INT_H
#define SM_CONF_INT_H

#include <stddef.h>

#include <libconfig.h>

#include "conf.h"

struct conf_ctx {
	const char	*path;
	char		*err;
	size_t		 errlen;
};

/* Writes "FILE:LINE: msg" (or "FILE: msg" for line 0) to x->err; returns -1. */
int	conf_err(struct conf_ctx *x, unsigned int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* The line a setting was read from. */
unsigned int conf_line_of(const config_setting_t *s);

/* "a string", "a list"...: a libconfig type for error messages. */
const char *conf_type_name(int t);

/* Predicate: a POSIX portable user name ([A-Za-z0-9._-], no leading '-'). */
int	conf_user_name_ok(const char *u, size_t len);

/* Predicate: a numeric IPv4 or IPv6 address (no names: nothing resolves). */
int	conf_addr_is_numeric(const char *a);

/* Frees n protected users and the array. */
void	conf_users_free(struct conf_user *u, size_t n);

/* protected_users: "user" or "user@ADDR" entries into c. 0/-1 (x->err). */
int	conf_users_parse(struct conf_ctx *x, const config_setting_t *s,
	    struct sm_conf *c);

/*
 * After the whole file: default addresses from probe.address, duplicates
 * refused (s is the protected_users setting). 0/-1 (x->err).
 */
int	conf_users_finish(struct conf_ctx *x, const config_setting_t *s,
	    struct sm_conf *c);

#endif
