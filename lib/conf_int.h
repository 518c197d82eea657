/*
 * Private to conf.c, conf_users.c and the policy parser (policy*.c): the
 * parse context, error reporting and the small helpers they share.
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

/* v must be absolute and shorter than PATH_MAX ("" too when empty_ok). 0/-1. */
int	conf_check_path(struct conf_ctx *x, const config_setting_t *s,
	    const char *what, const char *v, int empty_ok);

/*
 * A list of strings, [0] an absolute path, at most CONF_MAX_ARGV (empty
 * only when empty_ok), into *out (NULL-terminated, the old one freed). 0/-1.
 */
int	conf_parse_argv(struct conf_ctx *x, const config_setting_t *s,
	    const char *what, int empty_ok, char ***out);

/*
 * Opens name relative to dirfd (AT_FDCWD for a path) without following a
 * symlink; refuses anything but a regular file, and when check_owner an
 * owner other than root or a mode writable by group/other; reads at most
 * max bytes and refuses a NUL byte. x->path names the file in errors.
 * *text is NUL-terminated and must be freed. 0/-1 (x->err).
 */
int	conf_open_checked(struct conf_ctx *x, int dirfd, const char *name,
	    int check_owner, size_t max, char **text);

/* @include would bypass conf_open_checked: refused with its line. 0/-1. */
int	conf_refuse_include(struct conf_ctx *x, const char *text);

/*
 * libconfig 1.5 wraps an integer literal beyond 32 bits that has no L
 * suffix (4294967299 reads as 3) and saturates one beyond 64: refused
 * with its line before libconfig reads the text (conf_text.c). 0/-1.
 */
int	conf_refuse_wide_ints(struct conf_ctx *x, const char *text);

/*
 * text into cfg (config_init'ed by the caller, who destroys it): the root
 * setting, or NULL with libconfig's line and reason in x->err.
 */
const config_setting_t *conf_read_text(struct conf_ctx *x, config_t *cfg,
	    const char *text);

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
