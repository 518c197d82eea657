/*
 * sshmedic history's timeline, printed: one JSON array with stable field
 * names (sshmedic(8)), or text safe for a terminal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "misc.h"
#include "since.h"
#include "xmalloc.h"

#define HIST_TEXT_MAX	4096	/* longest value printed */

/* --- JSON ------------------------------------------------------------ */

static void
add_s(json_object *o, const char *k, const char *v)
{
	char *c;
	int cut;

	if (v == NULL) {
		json_object_object_add(o, k, NULL);
		return;
	}
	c = sm_utf8_clean(v, HIST_TEXT_MAX, &cut);
	json_object_object_add(o, k, json_object_new_string(c));
	free(c);
}

/* A number, or null for -1 (unset, unknown). */
static void
add_n(json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, v < 0 ? NULL : json_object_new_int64(v));
}

static void
add_time(json_object *o, int64_t ms)
{
	char t[40];

	since_format(ms, t, sizeof(t));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "time_ms", json_object_new_int64(ms));
}

static json_object *
rec_json(const struct hist_rec *r, int who)
{
	json_object *o = json_object_new_object(), *paths, *p;
	size_t i;

	add_time(o, r->time_ms);
	json_object_object_add(o, "serial", json_object_new_int64(
	    (int64_t)r->serial));
	add_s(o, "syscall", r->syscall);
	json_object_object_add(o, "success", json_object_new_boolean(
	    r->success));
	json_object_object_add(o, "exit", json_object_new_int64(r->exit));
	add_s(o, "key", r->key);
	if (who) {
		add_n(o, "pid", r->pid);
		add_s(o, "exe", r->exe);
		add_s(o, "comm", r->comm);
	}
	paths = json_object_new_array();
	for (i = 0; i < r->npaths; i++) {
		p = json_object_new_object();
		add_s(p, "path", r->paths[i].name);
		add_s(p, "nametype", r->paths[i].nametype);
		json_object_object_add(p, "resolved",
		    json_object_new_boolean(r->paths[i].resolved));
		json_object_array_add(paths, p);
	}
	json_object_object_add(o, "paths", paths);
	return o;
}

static json_object *
ev_json(const struct hist *h, size_t ei, int standalone)
{
	const struct hist_ev *e = &h->evs[ei];
	json_object *o = json_object_new_object(), *a;
	size_t i;

	if (standalone)
		add_s(o, "kind", "sshmedic");
	add_time(o, e->time_ms);
	add_s(o, "id", e->evid);
	add_s(o, "type", e->type);
	add_s(o, "op", e->op);
	add_s(o, "res", e->res);
	add_n(o, "gen", e->gen > 0 ? (long long)e->gen : -1);
	add_n(o, "prev_gen", e->prev_gen > 0 ? (long long)e->prev_gen : -1);
	a = json_object_new_array();
	for (i = 0; i < e->nfiles; i++) {
		char *c;
		int cut;

		c = sm_utf8_clean(e->files[i], HIST_TEXT_MAX, &cut);
		json_object_array_add(a, json_object_new_string(c));
		free(c);
	}
	json_object_object_add(o, "files", a);
	add_s(o, "reason", e->reason);
	add_s(o, "acct", e->acct);
	add_s(o, "unit", e->unit);
	add_n(o, "pid", e->pid);
	add_n(o, "serial", e->serial > 0 ? (long long)e->serial : -1);
	add_s(o, "source", e->in_audit && e->in_json ? "audit+json" :
	    e->in_audit ? "audit" : "json");
	a = json_object_new_array();
	for (i = 0; i < e->nkernel; i++)
		json_object_array_add(a, rec_json(&h->recs[e->kernel[i]], 1));
	json_object_object_add(o, "kernel", a);
	return o;
}

/* The paths a change is about: written ones, else their directories. */
static void
group_files(const struct hist *h, const struct hist_group *g, int parents,
    json_object *arr, FILE *f)
{
	const char *seen[64];
	size_t n = 0, i, j, k;
	const struct hist_path *p;

	for (i = 0; i < g->nrecs; i++)
		for (j = 0; j < h->recs[g->recs[i]].npaths; j++) {
			p = &h->recs[g->recs[i]].paths[j];
			if ((strcmp(p->nametype, "PARENT") == 0) != parents)
				continue;
			for (k = 0; k < n; k++)
				if (strcmp(seen[k], p->name) == 0)
					break;
			if (k < n || n >= SM_NELEM(seen))
				continue;
			seen[n++] = p->name;
		}
	if (n == 0 && !parents) {
		group_files(h, g, 1, arr, f);
		return;
	}
	for (k = 0; k < n; k++) {
		char *c;
		int cut;

		c = sm_utf8_clean(seen[k], HIST_TEXT_MAX, &cut);
		if (arr != NULL)
			json_object_array_add(arr, json_object_new_string(c));
		free(c);
		if (f != NULL) {
			fputs(k > 0 ? ", " : " ", f);
			hist_put(f, seen[k]);
		}
	}
}

static json_object *
group_json(const struct hist *h, size_t gi)
{
	const struct hist_group *g = &h->groups[gi];
	const struct hist_rec *r = &h->recs[g->recs[0]];
	json_object *o = json_object_new_object(), *a;
	size_t i;

	add_s(o, "kind", "change");
	add_time(o, g->first_ms);
	a = json_object_new_array();
	group_files(h, g, 0, a, NULL);
	json_object_object_add(o, "files", a);
	add_n(o, "pid", r->pid);
	add_n(o, "ppid", r->ppid);
	add_s(o, "exe", r->exe);
	add_s(o, "comm", r->comm);
	add_n(o, "uid", r->uid);
	add_s(o, "uid_name", r->uid_name);
	add_n(o, "auid", r->auid);
	add_s(o, "auid_name", r->auid < 0 ? "unset" : r->auid_name);
	add_n(o, "ses", r->ses);
	add_s(o, "tty", r->tty);
	json_object_object_add(o, "by_sshmedicd",
	    json_object_new_boolean(r->by_daemon));
	a = json_object_new_array();
	for (i = 0; i < g->nrecs; i++)
		json_object_array_add(a, rec_json(&h->recs[g->recs[i]], 0));
	json_object_object_add(o, "records", a);
	a = json_object_new_array();
	for (i = 0; i < g->nevs; i++)
		json_object_array_add(a, ev_json(h, g->evs[i], 0));
	json_object_object_add(o, "sshmedic", a);
	return o;
}

json_object *
hist_json(const struct hist *h)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < h->nitems; i++)
		json_object_array_add(a, h->items[i].is_group ?
		    group_json(h, h->items[i].idx) :
		    ev_json(h, h->items[i].idx, 1));
	return a;
}

/* --- text ------------------------------------------------------------ */

void
hist_put(FILE *f, const char *s)
{
	char *c, *p;
	int cut;

	if (s == NULL) {
		fputs("-", f);
		return;
	}
	c = sm_utf8_clean(s, HIST_TEXT_MAX, &cut);
	for (p = c; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fputs(c, f);
	if (cut)
		fputs("...", f);
	free(c);
}

/* "(unset)" for -1, else the name the log gave with the number. */
static void
put_id(FILE *f, const char *label, long long id, const char *name)
{
	fprintf(f, " %s=", label);
	if (id < 0) {
		fputs("unset", f);
		return;
	}
	if (name != NULL && *name != '\0' && strcmp(name, "?") != 0) {
		hist_put(f, name);
		fprintf(f, "(%lld)", id);
	} else
		fprintf(f, "%lld", id);
}

static void
put_clock(FILE *f, int64_t ms)
{
	char t[40];

	since_format(ms, t, sizeof(t));
	/* the time of day is enough under the change's full stamp */
	fprintf(f, "%.12s", t + 11);
}

static void
rec_line(FILE *f, const struct hist_rec *r, const char *indent)
{
	size_t i, n;
	int parents;

	fputs(indent, f);
	put_clock(f, r->time_ms);
	fputs("  ", f);
	hist_put(f, r->syscall);
	fprintf(f, " %s", r->success ? "ok" : "FAILED");
	if (!r->success)
		fprintf(f, "(%lld)", r->exit);
	/* A directory the kernel names beside the file adds nothing here. */
	for (i = 0, parents = 1; i < r->npaths; i++)
		if (strcmp(r->paths[i].nametype, "PARENT") != 0)
			parents = 0;
	for (i = 0, n = 0; i < r->npaths; i++) {
		if (!parents && strcmp(r->paths[i].nametype, "PARENT") == 0)
			continue;
		fputs(n++ == 0 ? "  " : ", ", f);
		hist_put(f, r->paths[i].name);
		if (r->paths[i].nametype[0] != '\0')
			fprintf(f, " (%s%s)", r->paths[i].nametype,
			    r->paths[i].resolved ? "" : ", relative");
	}
	if (r->key != NULL) {
		fputs("  key=", f);
		hist_put(f, r->key);
	}
	fputs("\n", f);
}

static void
ev_line(FILE *f, const struct hist *h, size_t ei, const char *indent,
    const char *under, int files)
{
	const struct hist_ev *e = &h->evs[ei];
	char t[40];
	size_t i;

	since_format(e->time_ms, t, sizeof(t));
	fprintf(f, "%s%s  ", indent, t);
	hist_put(f, e->op);
	fprintf(f, "%*s %-7s", (int)(e->op != NULL && strlen(e->op) < 28 ?
	    28 - strlen(e->op) : 0), "", e->res != NULL ? e->res : "?");
	if (e->gen > 0)
		fprintf(f, " gen=%lu", e->gen);
	if (e->prev_gen > 0)
		fprintf(f, " prev_gen=%lu", e->prev_gen);
	if (e->acct != NULL) {
		fputs(" acct=", f);
		hist_put(f, e->acct);
	}
	if (e->reason != NULL && *e->reason != '\0') {
		fputs(" ", f);
		hist_put(f, e->reason);
	}
	for (i = 0; files && i < e->nfiles; i++) {
		fputs(i == 0 ? " files=" : ",", f);
		hist_put(f, e->files[i]);
	}
	fprintf(f, "  [%s]\n", e->evid);
	for (i = 0; i < e->nkernel; i++) {
		fprintf(f, "%ssshmedicd pid=%lld:", under,
		    h->recs[e->kernel[i]].pid);
		rec_line(f, &h->recs[e->kernel[i]], " ");
	}
}

static void
group_text(FILE *f, const struct hist *h, size_t gi)
{
	const struct hist_group *g = &h->groups[gi];
	const struct hist_rec *r = &h->recs[g->recs[0]];
	char t[40];
	size_t i;

	since_format(g->first_ms, t, sizeof(t));
	fprintf(f, "  %s  %s", t, r->by_daemon ? "change by sshmedicd of" :
	    "change of");
	group_files(h, g, 0, NULL, f);
	fprintf(f, "\n      by pid=%lld ppid=%lld exe=", r->pid, r->ppid);
	hist_put(f, r->exe);
	fputs(" comm=", f);
	hist_put(f, r->comm);
	put_id(f, "uid", r->uid, r->uid_name);
	put_id(f, "auid", r->auid, r->auid_name);
	if (r->ses < 0)
		fputs(" ses=unset", f);
	else
		fprintf(f, " ses=%lld", r->ses);
	fputs(" tty=", f);
	hist_put(f, r->tty);
	fputs("\n", f);
	for (i = 0; i < g->nrecs; i++)
		rec_line(f, &h->recs[g->recs[i]], "      ");
	for (i = 0; i < g->nevs; i++)
		ev_line(f, h, g->evs[i], "    -> ", "         ", 0);
}

void
hist_print(const struct hist *h, FILE *f)
{
	size_t i;

	if (h->nitems == 0)
		fprintf(f, "  (nothing)\n");
	for (i = 0; i < h->nitems; i++) {
		if (h->items[i].is_group)
			group_text(f, h, h->items[i].idx);
		else
			ev_line(f, h, h->items[i].idx, "  ", "      ", 1);
	}
}
