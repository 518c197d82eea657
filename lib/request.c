/*
 * Request files parsed strictly (libconfig, file:line in every error),
 * each op checked whole before anything is applied.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "authkeys.h"
#include "conf_int.h"
#include "misc.h"
#include "request.h"
#include "xmalloc.h"

static const char *const kind_names[RQ_NKINDS] = {
	"reset-ssh", "set-key", "set-password", "add-sudo-user", "remove-user",
	"expire",
};

/* Which fields each kind takes (bit per field). */
#define F_USER		0x01
#define F_KEYS		0x02
#define F_REPLACE	0x04
#define F_HASH		0x08
#define F_KEEPHOME	0x10
#define F_DATE		0x20

static const unsigned int kind_fields[RQ_NKINDS] = {
	0,				/* reset-ssh */
	F_USER | F_KEYS | F_REPLACE,	/* set-key */
	F_USER | F_HASH,		/* set-password */
	F_USER | F_KEYS,		/* add-sudo-user */
	F_USER | F_KEEPHOME,		/* remove-user */
	F_USER | F_DATE,		/* expire */
};

static const struct {
	const char	*name;
	unsigned int	 bit;
} field_names[] = {
	{ "user", F_USER }, { "keys", F_KEYS }, { "replace", F_REPLACE },
	{ "hash", F_HASH }, { "keep_home", F_KEEPHOME }, { "date", F_DATE },
};

const char *
request_kind_name(enum req_kind k)
{
	return (unsigned)k < RQ_NKINDS ? kind_names[k] : NULL;
}

int
request_kind_from_name(const char *s)
{
	int i;

	for (i = 0; i < RQ_NKINDS; i++)
		if (strcmp(kind_names[i], s) == 0)
			return i;
	return -1;
}

void
request_free(struct request *r)
{
	size_t i;

	for (i = 0; i < r->n && i < REQ_MAX_OPS; i++) {
		free(r->op[i].user);
		free(r->op[i].keys);
		if (r->op[i].hash != NULL) {
			explicit_bzero(r->op[i].hash, strlen(r->op[i].hash));
			free(r->op[i].hash);
		}
		free(r->op[i].date);
	}
	memset(r, 0, sizeof(*r));
}

static int
get_string(struct conf_ctx *x, const config_setting_t *s, const char *what,
    const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_err(x, conf_line_of(s), "%s: expected a string, got %s",
		    what, conf_type_name(config_setting_type(s)));
	*out = config_setting_get_string(s);
	return 0;
}

static int
get_bool(struct conf_ctx *x, const config_setting_t *s, const char *what,
    int *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conf_err(x, conf_line_of(s), "%s: expected true or false, "
		    "got %s", what, conf_type_name(config_setting_type(s)));
	*out = config_setting_get_bool(s);
	return 0;
}

/* keys: a string or a list of strings, joined into key lines, checked. */
static int
get_keys(struct conf_ctx *x, const config_setting_t *s, struct req_op *op)
{
	const config_setting_t *e;
	char why[256];
	size_t len = 0, l;
	int i, n;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		op->keys = xstrdup(config_setting_get_string(s));
		len = strlen(op->keys);
	} else if (config_setting_is_array(s) || config_setting_is_list(s)) {
		n = config_setting_length(s);
		op->keys = xstrdup("");
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned int)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				return conf_err(x, conf_line_of(e), "keys: entry "
				    "%d is %s, not a string", i + 1,
				    conf_type_name(config_setting_type(e)));
			l = strlen(config_setting_get_string(e));
			if (len + l + 2 > REQ_KEYS_MAX)
				break;
			op->keys = xreallocarray(op->keys, 1, len + l + 2);
			memcpy(op->keys + len, config_setting_get_string(e), l);
			len += l;
			op->keys[len++] = '\n';
			op->keys[len] = '\0';
		}
	} else
		return conf_err(x, conf_line_of(s), "keys: expected a string or "
		    "a list of strings, got %s",
		    conf_type_name(config_setting_type(s)));
	if (len > REQ_KEYS_MAX)
		return conf_err(x, conf_line_of(s), "keys: more than %d bytes",
		    REQ_KEYS_MAX);
	if (!authkeys_text_ok(op->keys, len, 0, why, sizeof(why)))
		return conf_err(x, conf_line_of(s), "keys: %s", why);
	op->keyslen = len;
	return 0;
}

static int
parse_op(struct conf_ctx *x, const config_setting_t *g, struct req_op *op)
{
	const config_setting_t *s;
	const char *name, *v = NULL;
	unsigned int have = 0, bit;
	size_t j;
	int i, n, k;

	op->line = conf_line_of(g);
	if (!config_setting_is_group(g))
		return conf_err(x, op->line, "a request is a group { op = ...; "
		    "}, got %s", conf_type_name(config_setting_type(g)));
	if ((s = config_setting_get_member(g, "op")) == NULL)
		return conf_err(x, op->line, "request without op");
	if (get_string(x, s, "op", &v) == -1)
		return -1;
	if ((k = request_kind_from_name(v)) == -1)
		return conf_err(x, conf_line_of(s), "op: unknown request \"%.64s\" "
		    "(reset-ssh, set-key, set-password, add-sudo-user, "
		    "remove-user, expire)", v);
	op->kind = (enum req_kind)k;
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, (unsigned int)i);
		name = config_setting_name(s);
		if (strcmp(name, "op") == 0)
			continue;
		for (bit = 0, j = 0; j < SM_NELEM(field_names); j++)
			if (strcmp(field_names[j].name, name) == 0)
				bit = field_names[j].bit;
		if (bit == 0 || (kind_fields[op->kind] & bit) == 0)
			return conf_err(x, conf_line_of(s), "%s: %s takes no %s",
			    name, kind_names[op->kind], name);
		have |= bit;
		switch (bit) {
		case F_USER:
			if (get_string(x, s, name, &v) == -1)
				return -1;
			if (!conf_user_name_ok(v, strlen(v)))
				return conf_err(x, conf_line_of(s), "user: \"%.64s\" "
				    "is not a valid user name", v);
			op->user = xstrdup(v);
			break;
		case F_KEYS:
			if (get_keys(x, s, op) == -1)
				return -1;
			break;
		case F_REPLACE:
			if (get_bool(x, s, name, &op->replace) == -1)
				return -1;
			break;
		case F_KEEPHOME:
			if (get_bool(x, s, name, &op->keep_home) == -1)
				return -1;
			break;
		case F_HASH:
			if (get_string(x, s, name, &v) == -1)
				return -1;
			/* Never quoted: it may be a password typed by mistake. */
			if (!authkeys_crypt_ok(v))
				return conf_err(x, conf_line_of(s), "hash: not a "
				    "crypt(3) hash of a modern scheme (yescrypt, "
				    "sha512crypt, ...)");
			op->hash = xstrdup(v);
			break;
		case F_DATE:
			if (get_string(x, s, name, &v) == -1)
				return -1;
			if (strcmp(v, "never") != 0 && !sm_date_ok(v))
				return conf_err(x, conf_line_of(s), "date: \"%.32s\" "
				    "is not YYYY-MM-DD or never", v);
			op->date = xstrdup(v);
			break;
		}
	}
	/* Every field but the optional booleans is required. */
	bit = kind_fields[op->kind] & ~(unsigned)(F_REPLACE | F_KEEPHOME);
	for (j = 0; j < SM_NELEM(field_names); j++)
		if ((bit & field_names[j].bit) && !(have & field_names[j].bit))
			return conf_err(x, op->line, "%s needs %s",
			    kind_names[op->kind], field_names[j].name);
	return 0;
}

/* A user removed and changed by the same request cannot both happen. */
static int
conflicts(struct conf_ctx *x, const struct request *r)
{
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		if (r->op[i].kind != RQ_REMOVE_USER)
			continue;
		for (j = 0; j < r->n; j++) {
			if (j == i || r->op[j].user == NULL ||
			    strcmp(r->op[j].user, r->op[i].user) != 0)
				continue;
			return conf_err(x, r->op[j].line, "conflicting requests: "
			    "%s of %s and remove-user of %s (line %u)",
			    kind_names[r->op[j].kind], r->op[j].user,
			    r->op[i].user, r->op[i].line);
		}
	}
	return 0;
}

/* See request.h: 0/-1. */
int
request_parse(const char *path, const char *text, size_t len,
    struct request *r, char *err, size_t errlen)
{
	struct conf_ctx x = { path, err, errlen };
	const config_setting_t *root, *list, *s;
	config_t cfg;
	int i, n, rv = -1;

	memset(r, 0, sizeof(*r));
	if (len > REQ_FILE_MAX)
		return conf_err(&x, 0, "larger than %d bytes", REQ_FILE_MAX);
	if (memchr(text, '\0', len) != NULL)
		return conf_err(&x, 0, "contains a NUL byte");
	if (conf_refuse_include(&x, text) == -1)
		return -1;
	config_init(&cfg);
	if ((root = conf_read_text(&x, &cfg, text)) == NULL)
		goto out;
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(root, (unsigned int)i);
		if (strcmp(config_setting_name(s), "requests") != 0) {
			conf_err(&x, conf_line_of(s), "unknown setting %s",
			    config_setting_name(s));
			goto out;
		}
	}
	if ((list = config_lookup(&cfg, "requests")) == NULL) {
		conf_err(&x, 0, "no requests = ( ... ); in it");
		goto out;
	}
	if (!config_setting_is_list(list)) {
		conf_err(&x, conf_line_of(list), "requests: expected a list ( { "
		    "... }, ... ), got %s", conf_type_name(
		    config_setting_type(list)));
		goto out;
	}
	n = config_setting_length(list);
	if (n == 0 || n > REQ_MAX_OPS) {
		conf_err(&x, conf_line_of(list), "requests: %d entries (1..%d)",
		    n, REQ_MAX_OPS);
		goto out;
	}
	for (i = 0; i < n; i++) {
		r->n = (size_t)i + 1;
		if (parse_op(&x, config_setting_get_elem(list, (unsigned int)i),
		    &r->op[i]) == -1)
			goto out;
	}
	if (conflicts(&x, r) == -1)
		goto out;
	rv = 0;
 out:
	config_destroy(&cfg);
	return rv;
}

/* Appends s as a libconfig string literal. */
static void
add_quoted(char **buf, size_t *len, size_t *cap, const char *s)
{
	char esc[8];
	const char *p;
	size_t need;

	for (p = s - 1; p == s - 1 || *p != '\0'; p++) {
		if (p == s - 1)
			snprintf(esc, sizeof(esc), "\"");
		else if (*p == '"' || *p == '\\')
			snprintf(esc, sizeof(esc), "\\%c", *p);
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)*p);
		else
			snprintf(esc, sizeof(esc), "%c", *p);
		need = *len + strlen(esc) + 2;
		if (need > *cap) {
			*cap = need * 2;
			*buf = xreallocarray(*buf, 1, *cap);
		}
		memcpy(*buf + *len, esc, strlen(esc) + 1);
		*len += strlen(esc);
	}
	memcpy(*buf + *len, "\"", 2);
	*len += 1;
}

static void
add_text(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = xreallocarray(*buf, 1, *cap);
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

static void
format_op(char **b, size_t *l, size_t *c, const struct req_op *op,
    int redact)
{
	const char *p, *nl;
	char *line;

	add_text(b, l, c, "\t{\n\t\top = ");
	add_quoted(b, l, c, kind_names[op->kind]);
	add_text(b, l, c, ";\n");
	if (op->user != NULL) {
		add_text(b, l, c, "\t\tuser = ");
		add_quoted(b, l, c, op->user);
		add_text(b, l, c, ";\n");
	}
	if (op->keys != NULL) {
		add_text(b, l, c, "\t\tkeys = [");
		for (p = op->keys; *p != '\0'; p = nl + (*nl != '\0')) {
			nl = p + strcspn(p, "\n");
			line = xstrndup(p, (size_t)(nl - p));
			if (line[0] != '\0') {
				add_text(b, l, c, p == op->keys ? " " : ",\n\t\t    ");
				add_quoted(b, l, c, line);
			}
			free(line);
		}
		add_text(b, l, c, " ];\n");
	}
	if (op->kind == RQ_SET_KEY)
		add_text(b, l, c, op->replace ? "\t\treplace = true;\n" :
		    "\t\treplace = false;\n");
	if (op->kind == RQ_REMOVE_USER)
		add_text(b, l, c, op->keep_home ? "\t\tkeep_home = true;\n" :
		    "\t\tkeep_home = false;\n");
	if (op->hash != NULL) {
		if (redact)
			add_text(b, l, c, "\t\t# hash removed after use\n");
		else {
			add_text(b, l, c, "\t\thash = ");
			add_quoted(b, l, c, op->hash);
			add_text(b, l, c, ";\n");
		}
	}
	if (op->date != NULL) {
		add_text(b, l, c, "\t\tdate = ");
		add_quoted(b, l, c, op->date);
		add_text(b, l, c, ";\n");
	}
	add_text(b, l, c, "\t}");
}

/* See request.h: malloc'd. */
char *
request_format(const struct req_op *op)
{
	char *b = NULL;
	size_t l = 0, c = 0;

	add_text(&b, &l, &c, "# written by sshmedic request\nrequests = (\n");
	format_op(&b, &l, &c, op, 0);
	add_text(&b, &l, &c, "\n);\n");
	return b;
}

/* See request.h: malloc'd. */
char *
request_redacted(const struct request *r)
{
	char *b = NULL;
	size_t l = 0, c = 0, i;

	add_text(&b, &l, &c, "# processed by sshmedicd\nrequests = (\n");
	for (i = 0; i < r->n; i++) {
		format_op(&b, &l, &c, &r->op[i], 1);
		add_text(&b, &l, &c, i + 1 < r->n ? ",\n" : "\n");
	}
	add_text(&b, &l, &c, ");\n");
	return b;
}
