/*
 * protected_users of sshmedic.conf: the user names (and addresses) the
 * lockout guard proves can still log in, parsed and checked.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf.h"
#include "conf_int.h"
#include "xmalloc.h"

#define CONF_MAX_USER		32	/* useradd's limit on login names */

/* See conf_int.h. */
void
conf_users_free(struct conf_user *u, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(u[i].name);
		free(u[i].addr);
		free(u[i].host);
	}
	free(u);
}

/* Predicate: a POSIX portable user name ([A-Za-z0-9._-], no leading '-'). */
int
conf_user_name_ok(const char *u, size_t len)
{
	size_t i;

	if (len == 0 || len > CONF_MAX_USER || u[0] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		if (!(u[i] >= 'a' && u[i] <= 'z') &&
		    !(u[i] >= 'A' && u[i] <= 'Z') &&
		    !(u[i] >= '0' && u[i] <= '9') &&
		    u[i] != '.' && u[i] != '_' && u[i] != '-')
			return 0;
	}
	return 1;
}

/*
 * See conf_int.h: 0/-1 (error written). The address is left NULL here and
 * filled from probe.address once the whole file was read (its order is free).
 */
int
conf_users_parse(struct conf_ctx *x, const config_setting_t *s, struct sm_conf *c)
{
	const config_setting_t *e;
	struct conf_user *u;
	const char *v, *at;
	size_t len;
	int n, i;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return conf_err(x, conf_line_of(s), "protected_users: expected a "
		    "list of strings, got %s", conf_type_name(config_setting_type(s)));
	n = config_setting_length(s);
	if (n > CONF_MAX_PROTECTED)
		return conf_err(x, conf_line_of(s), "protected_users: more than %d "
		    "entries", CONF_MAX_PROTECTED);
	u = n > 0 ? xcalloc((size_t)n, sizeof(*u)) : NULL;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_users_free(u, (size_t)i);
			return conf_err(x, conf_line_of(e), "protected_users: entry "
			    "%d is %s, not a string", i + 1,
			    conf_type_name(config_setting_type(e)));
		}
		v = config_setting_get_string(e);
		at = strchr(v, '@');
		len = at != NULL ? (size_t)(at - v) : strlen(v);
		if (!conf_user_name_ok(v, len)) {
			conf_users_free(u, (size_t)i);
			return conf_err(x, conf_line_of(e), "protected_users: \"%s\" "
			    "is not a valid user name", v);
		}
		if (at != NULL && !conf_addr_is_numeric(at + 1)) {
			conf_users_free(u, (size_t)i);
			return conf_err(x, conf_line_of(e), "protected_users: \"%s\": "
			    "\"%s\" is not a numeric IPv4 or IPv6 address",
			    v, at + 1);
		}
		u[i].name = xstrndup(v, len);
		u[i].addr = at != NULL ? xstrdup(at + 1) : NULL;
	}
	conf_users_free(c->protected_users, c->nprotected);
	c->protected_users = u;
	c->nprotected = (size_t)n;
	return 0;
}

/* See conf_int.h: 0/-1 (error written). */
int
conf_users_finish(struct conf_ctx *x, const config_setting_t *s, struct sm_conf *c)
{
	size_t i, j;

	for (i = 0; i < c->nprotected; i++) {
		if (c->protected_users[i].addr == NULL)
			c->protected_users[i].addr = xstrdup(c->probe_address);
		c->protected_users[i].host =
		    xstrdup(c->protected_users[i].addr);
	}
	for (i = 0; i < c->nprotected; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(c->protected_users[i].name,
			    c->protected_users[j].name) != 0 ||
			    strcmp(c->protected_users[i].addr,
			    c->protected_users[j].addr) != 0)
				continue;
			return conf_err(x, conf_line_of(config_setting_get_elem(s,
			    (unsigned int)i)), "protected_users: %s@%s is "
			    "listed twice", c->protected_users[i].name,
			    c->protected_users[i].addr);
		}
	}
	return 0;
}
