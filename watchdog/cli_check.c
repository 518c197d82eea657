/*
 * sshmedic check: runs every row of the check catalogue, changes nothing,
 * and prints a table or one JSON document.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "checks.h"
#include "cli.h"
#include "xmalloc.h"

int
cli_check(struct cli *c)
{
	struct check_ctx x;
	enum check_state *st;
	char (*detail)[CHECK_DETAIL_MAX];
	json_object *o, *rows, *r;
	size_t i;
	int all_ok = 1;

	st = xcalloc(check_ncatalogue, sizeof(*st));
	detail = xcalloc(check_ncatalogue, sizeof(*detail));
	check_ctx_init(&x, &c->conf, 0);
	for (i = 0; i < check_ncatalogue; i++) {
		detail[i][0] = '\0';
		st[i] = check_catalogue[i].fn(&x, detail[i], sizeof(detail[i]));
		if (st[i] != CHK_OK && st[i] != CHK_WARN)
			all_ok = 0;
	}
	check_ctx_free(&x);
	if (c->json) {
		o = json_object_new_object();
		rows = json_object_new_array();
		for (i = 0; i < check_ncatalogue; i++) {
			r = json_object_new_object();
			json_object_object_add(r, "cause", json_object_new_string(
			    check_catalogue[i].cause));
			json_object_object_add(r, "check", json_object_new_string(
			    check_catalogue[i].title));
			json_object_object_add(r, "state", json_object_new_string(
			    check_state_name(st[i])));
			json_object_object_add(r, "detail",
			    json_object_new_string(detail[i]));
			json_object_object_add(r, "remedy", json_object_new_string(
			    check_catalogue[i].remedy));
			json_object_array_add(rows, r);
		}
		json_object_object_add(o, "config",
		    json_object_new_string(c->conf.sshd_config));
		json_object_object_add(o, "ok", json_object_new_boolean(all_ok));
		json_object_object_add(o, "checks", rows);
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("%-6s %-8s %s\n", "CAUSE", "STATE", "DETAIL");
		for (i = 0; i < check_ncatalogue; i++) {
			printf("%-6s %-8s %s\n", check_catalogue[i].cause,
			    st[i] == CHK_OK ? "ok" : st[i] == CHK_FAIL ?
			    "FAIL" : st[i] == CHK_WARN ? "warn" : "UNKNOWN",
			    detail[i]);
			if (st[i] != CHK_OK)
				printf("%-6s %-8s remedy: %s\n", "", "",
				    check_catalogue[i].remedy);
		}
	}
	free(st);
	free(detail);
	return all_ok ? 0 : 1;
}
