/*
 * Checks on a libconfig file's text before libconfig reads it: integer
 * literals that libconfig 1.5 would silently wrap or saturate.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#define LITERAL_MAX	32	/* longest literal quoted back */

static int
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*';
}

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * One number at *pp (a sign or a digit): past it on return. Floats are
 * skipped. 0/-1 (x->err) when the literal does not fit its type.
 */
static int
check_number(struct conf_ctx *x, const char **pp, unsigned int line)
{
	const char *p = *pp, *start = p, *digits;
	char lit[LITERAL_MAX + 1];
	long long v;
	size_t len;
	int hex = 0, wide = 0;

	if (*p == '-' || *p == '+')
		p++;
	digits = p;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		hex = 1;
		for (p += 2; is_hex(*p); p++)
			;
	} else {
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == '.' || *p == 'e' || *p == 'E') {
			/* a float: libconfig checks it, nothing wraps */
			while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
			    *p == 'E' || ((*p == '-' || *p == '+') &&
			    (p[-1] == 'e' || p[-1] == 'E')))
				p++;
			*pp = p;
			return 0;
		}
	}
	len = (size_t)(p - start);
	if (*p == 'L') {
		wide = 1;
		p++;
		if (*p == 'L')
			p++;
	}
	*pp = p;
	if (len > LITERAL_MAX)
		len = LITERAL_MAX;
	memcpy(lit, start, len);
	lit[len] = '\0';
	errno = 0;
	v = strtoll(hex ? digits : start, NULL, hex ? 16 : 10);
	if (errno == ERANGE || (size_t)(p - start) > LITERAL_MAX + 2)
		return conf_err(x, line, "%s does not fit in a 64-bit integer",
		    lit);
	if (!wide && (v > INT32_MAX || v < INT32_MIN))
		return conf_err(x, line, "%s does not fit in a 32-bit integer "
		    "(libconfig would wrap it): write %sL", lit, lit);
	return 0;
}

/*
 * See conf_int.h: 0/-1 (x->err). A small scanner that knows libconfig's
 * comments, strings and names, so digits inside them are not numbers.
 */
int
conf_refuse_wide_ints(struct conf_ctx *x, const char *text)
{
	const char *p = text;
	unsigned int line = 1;

	while (*p != '\0') {
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p != '\0' && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/');
			    p++)
				if (*p == '\n')
					line++;
			if (*p != '\0')
				p += 2;
		} else if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (*p == '\n')
					line++;
			}
			if (*p != '\0')
				p++;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '*') {
			while (is_name_char(*p))
				p++;
		} else if ((*p >= '0' && *p <= '9') || ((*p == '-' ||
		    *p == '+') && p[1] >= '0' && p[1] <= '9')) {
			if (check_number(x, &p, line) == -1)
				return -1;
		} else
			p++;
	}
	return 0;
}

/* See conf_int.h. */
const config_setting_t *
conf_read_text(struct conf_ctx *x, config_t *cfg, const char *text)
{
	if (config_read_string(cfg, text) != CONFIG_TRUE) {
		conf_err(x, (unsigned int)config_error_line(cfg), "%s",
		    config_error_text(cfg));
		return NULL;
	}
	return config_root_setting(cfg);
}
