/*
 * sshmedic history's join: a process's writes to watched files become one
 * change, followed by the decisions sshmedic took about those files.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "misc.h"
#include "since.h"
#include "xmalloc.h"

#define HIST_CLOCK_SLOP_MS	50	/* a JSON line's clock against the kernel's */
#define HIST_GROUP_SPAN_MS	(3600 * 1000LL)	/* a change longer than this is split */

void
hist_rec_clear(struct hist_rec *r)
{
	size_t i;

	free(r->key);
	free(r->syscall);
	free(r->auid_name);
	free(r->uid_name);
	free(r->exe);
	free(r->comm);
	free(r->tty);
	for (i = 0; i < r->npaths; i++)
		free(r->paths[i].name);
	memset(r, 0, sizeof(*r));
}

void
hist_ev_clear(struct hist_ev *e)
{
	free(e->type);
	free(e->op);
	free(e->res);
	free(e->reason);
	free(e->acct);
	free(e->unit);
	free(e->detail);
	free(e->kernel);
	sm_strv_free(e->files, e->nfiles);
	memset(e, 0, sizeof(*e));
}

void
hist_free(struct hist *h)
{
	size_t i;

	for (i = 0; i < h->nrecs; i++)
		hist_rec_clear(&h->recs[i]);
	for (i = 0; i < h->nevs; i++)
		hist_ev_clear(&h->evs[i]);
	for (i = 0; i < h->ngroups; i++) {
		free(h->groups[i].recs);
		free(h->groups[i].evs);
	}
	free(h->recs);
	free(h->evs);
	free(h->groups);
	free(h->items);
	memset(h, 0, sizeof(*h));
}

static void
idx_add(size_t **v, size_t *n, size_t i)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = i;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static unsigned long
jgen(json_object *o, const char *key)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n > 0 ? (unsigned long)n : 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* One JSON log object as a decision; 0, -1 when it has no usable time or id. */
static int
ev_from_json(json_object *o, struct hist_ev *e)
{
	static const struct since_ref zero = { 0, 0 };
	json_object *files, *f;
	const char *t = jstr(o, "time"), *id = jstr(o, "id");
	size_t i;

	memset(e, 0, sizeof(*e));
	e->pid = -1;
	if (t == NULL || id == NULL || !sm_token_ok(id, 32, "-") ||
	    since_parse(t, &zero, &e->time_ms, NULL, 0) == -1)
		return -1;
	sm_strlcpy(e->evid, id, sizeof(e->evid));
	e->type = xstrdup(jstr(o, "type") != NULL ? jstr(o, "type") : "?");
	e->op = xstrdup(jstr(o, "op") != NULL ? jstr(o, "op") : "?");
	e->res = xstrdup(jstr(o, "res") != NULL ? jstr(o, "res") : "?");
	e->reason = dup_or_null(jstr(o, "reason"));
	e->acct = dup_or_null(jstr(o, "acct"));
	e->unit = dup_or_null(jstr(o, "unit"));
	e->detail = dup_or_null(jstr(o, "detail"));
	e->gen = jgen(o, "gen");
	e->prev_gen = jgen(o, "prev_gen");
	if (json_object_object_get_ex(o, "files", &files) &&
	    json_object_is_type(files, json_type_array)) {
		for (i = 0; i < json_object_array_length(files); i++) {
			f = json_object_array_get_idx(files, i);
			if (f == NULL || !json_object_is_type(f, json_type_string))
				continue;
			e->files = xreallocarray(e->files, e->nfiles + 1,
			    sizeof(*e->files));
			e->files[e->nfiles++] = xstrdup(json_object_get_string(f));
		}
	}
	e->in_json = 1;
	return 0;
}

static const struct hist_ev *sort_evs;

static int
evid_cmp(const void *a, const void *b)
{
	return strcmp(sort_evs[*(const size_t *)a].evid,
	    sort_evs[*(const size_t *)b].evid);
}

static int
evid_key_cmp(const void *key, const void *b)
{
	return strcmp(key, sort_evs[*(const size_t *)b].evid);
}

/* The JSON line's longer text wins: the audit record caps reason and files. */
static void
ev_merge(struct hist_ev *a, struct hist_ev *j)
{
	if (j->reason != NULL && (a->reason == NULL ||
	    strlen(j->reason) > strlen(a->reason))) {
		free(a->reason);
		a->reason = j->reason;
		j->reason = NULL;
	}
	if (j->nfiles > a->nfiles) {
		sm_strv_free(a->files, a->nfiles);
		a->files = j->files;
		a->nfiles = j->nfiles;
		j->files = NULL;
		j->nfiles = 0;
	}
	a->detail = j->detail;
	j->detail = NULL;
	a->in_json = 1;
}

static int
ll_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The sorted pids that wrote sshmedic's audit records (those the JSON log
 * has too, when json is set); *n of them. Free the array.
 */
static long long *
writer_pids(const struct hist *h, int json, size_t *n)
{
	long long *pids = xcalloc(h->nevs + 1, sizeof(*pids));
	size_t i;

	*n = 0;
	for (i = 0; i < h->nevs; i++)
		if (h->evs[i].in_audit && h->evs[i].pid > 0 &&
		    (!json || h->evs[i].in_json))
			pids[(*n)++] = h->evs[i].pid;
	qsort(pids, *n, sizeof(*pids), ll_cmp);
	return pids;
}

void
hist_add_json(struct hist *h, json_object *events, int64_t since_ms,
    int64_t coverage_ms)
{
	size_t i, n = h->nevs, *idx, *hit, k, len, nadd = 0, npids;
	struct hist_ev e, *add = NULL, *e2;
	long long *pids;

	len = events != NULL ? json_object_array_length(events) : 0;
	idx = xcalloc(n + 1, sizeof(*idx));
	for (i = 0; i < n; i++)
		idx[i] = i;
	sort_evs = h->evs;
	qsort(idx, n, sizeof(*idx), evid_cmp);
	for (i = 0; i < len; i++) {
		if (ev_from_json(json_object_array_get_idx(events, i), &e) == -1)
			continue;
		hit = n > 0 ? bsearch(e.evid, idx, n, sizeof(*idx),
		    evid_key_cmp) : NULL;
		if (hit != NULL)
			ev_merge(&h->evs[*hit], &e);
		if (hit != NULL || e.time_ms < since_ms ||
		    h->nevs + nadd >= HIST_MAX_EVS) {
			hist_ev_clear(&e);
			continue;
		}
		/* appended after the loop: bsearch reads h->evs */
		add = xreallocarray(add, nadd + 1, sizeof(*add));
		add[nadd++] = e;
	}
	free(idx);
	h->evs = xreallocarray(h->evs, h->nevs + nadd + 1, sizeof(*h->evs));
	if (nadd > 0)
		memcpy(h->evs + h->nevs, add, nadd * sizeof(*add));
	h->nevs += nadd;
	free(add);
	/*
	 * Records of the log's period that it does not have, from a process
	 * that wrote none it has: another daemon's. (One of this daemon's
	 * whose JSON line was lost stays.)
	 */
	if (coverage_ms < 0)
		return;
	pids = writer_pids(h, 1, &npids);
	for (i = k = 0; i < h->nevs; i++) {
		e2 = &h->evs[i];
		if (e2->in_audit && !e2->in_json &&
		    e2->time_ms >= coverage_ms - HIST_CLOCK_SLOP_MS &&
		    (npids == 0 || bsearch(&e2->pid, pids, npids,
		    sizeof(*pids), ll_cmp) == NULL)) {
			hist_ev_clear(e2);
			h->other_daemons++;
			continue;
		}
		h->evs[k++] = *e2;
	}
	h->nevs = k;
	free(pids);
}

/* The audit log's order: time, then the serial (0 for a JSON line alone). */
static int
stamp_cmp(int64_t ta, unsigned long sa, int64_t tb, unsigned long sb)
{
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return sa < sb ? -1 : sa > sb;
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct hist_rec *x = a, *y = b;

	return stamp_cmp(x->time_ms, x->serial, y->time_ms, y->serial);
}

static int
ev_cmp(const void *a, const void *b)
{
	const struct hist_ev *x = a, *y = b;

	return stamp_cmp(x->time_ms, x->serial, y->time_ms, y->serial);
}

/* Predicate: a and b are one path, or one is below the other. */
static int
path_rel(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na == nb)
		return strcmp(a, b) == 0;
	if (na > nb)
		return strncmp(a, b, nb) == 0 && a[nb] == '/';
	return strncmp(a, b, na) == 0 && b[na] == '/';
}

/* Predicate: the record touched one of the event's files. */
static int
rec_names(const struct hist_rec *r, const struct hist_ev *e)
{
	size_t i, j;

	for (i = 0; i < r->npaths; i++) {
		/* the directory a file is made in names none of its others */
		if (!r->paths[i].resolved ||
		    strcmp(r->paths[i].nametype, "PARENT") == 0)
			continue;
		for (j = 0; j < e->nfiles; j++)
			if (path_rel(r->paths[i].name, e->files[j]))
				return 1;
	}
	return 0;
}

static void
group_add(struct hist_group *g, size_t ri, const struct hist_rec *r)
{
	if (g->nrecs == 0)
		g->first_ms = r->time_ms;
	g->last_ms = r->time_ms;
	idx_add(&g->recs, &g->nrecs, ri);
}

/* One process's records close together are one change. */
static void
make_groups(struct hist *h, int daemon_pass)
{
	struct hist_rec *r;
	struct hist_group *g;
	size_t i, j, back;

	for (i = 0; i < h->nrecs; i++) {
		r = &h->recs[i];
		if (r->attached || (r->by_daemon != 0) != daemon_pass)
			continue;
		g = NULL;
		for (j = h->ngroups, back = 0; j > 0 && back < 64; j--, back++) {
			struct hist_group *c = &h->groups[j - 1];
			const struct hist_rec *first = &h->recs[c->recs[0]];

			if (first->pid == r->pid && r->time_ms - c->last_ms <=
			    HIST_GROUP_GAP_MS && r->time_ms - c->first_ms <=
			    HIST_GROUP_SPAN_MS) {
				g = c;
				break;
			}
		}
		if (g == NULL) {
			h->groups = xreallocarray(h->groups, h->ngroups + 1,
			    sizeof(*h->groups));
			g = &h->groups[h->ngroups++];
			memset(g, 0, sizeof(*g));
		}
		group_add(g, i, r);
		r->owner = (size_t)(g - h->groups);
	}
}

/* Predicate: some record of the group touched one of e's files. */
static int
group_names(const struct hist *h, const struct hist_group *g,
    const struct hist_ev *e)
{
	size_t i;

	for (i = 0; i < g->nrecs; i++)
		if (rec_names(&h->recs[g->recs[i]], e))
			return 1;
	return 0;
}

/* Each decision after the latest change of one of its files. */
static void
join_events(struct hist *h, int64_t window_ms)
{
	struct hist_ev *e;
	struct hist_group *g;
	int64_t slop;
	size_t i, j;

	for (i = 0; i < h->nevs; i++) {
		e = &h->evs[i];
		if (e->nfiles == 0)
			continue;
		/* a JSON line's time is the daemon's clock, not the kernel's */
		slop = e->in_audit ? 0 : HIST_CLOCK_SLOP_MS;
		for (j = h->ngroups; j > 0; j--) {
			g = &h->groups[j - 1];
			if (g->first_ms > e->time_ms + slop)
				continue;
			if (g->first_ms < e->time_ms - window_ms -
			    HIST_GROUP_SPAN_MS)
				break;
			if (e->time_ms - g->last_ms <= window_ms &&
			    group_names(h, g, e)) {
				e->group = j - 1;
				e->joined = 1;
				break;
			}
		}
	}
}

/*
 * Predicate: decision e comes after the kernel's record r. In one
 * millisecond the audit serials tell (the kernel numbers every record in
 * the order it makes them: a rejection logged just before sshmedicd's
 * unlink in the same millisecond is before it); a JSON line alone has no
 * serial, and the time decides, a tie counting as after.
 */
static int
ev_after(const struct hist_ev *e, const struct hist_rec *r)
{
	if (e->serial != 0 && r->serial != 0)
		return stamp_cmp(e->time_ms, e->serial, r->time_ms,
		    r->serial) > 0;
	return e->time_ms >= r->time_ms;
}

/*
 * sshmedicd's own write goes under its decision: the first record of the
 * same process after it naming the file (a rollback is recorded once its
 * files are back, which under load can take seconds), else the last one
 * before it; a name the kernel gave relative to a directory descriptor it
 * could not resolve is placed by the writer's pid alone.
 */
static int
daemon_owner(const struct hist *h, const struct hist_rec *r, int64_t window_ms,
    size_t *owner)
{
	const struct hist_ev *e;
	size_t j;
	int found = 0;

	for (j = 0; j < h->nevs; j++) {
		e = &h->evs[j];
		if (e->time_ms > r->time_ms + window_ms)
			break;
		if (e->time_ms + HIST_DAEMON_JOIN_MS < r->time_ms ||
		    (e->pid >= 0 && e->pid != r->pid) || !rec_names(r, e))
			continue;
		if (ev_after(e, r)) {
			*owner = j;
			return 1;
		}
		if (r->time_ms - e->time_ms <= HIST_DAEMON_JOIN_MS) {
			*owner = j;
			found = 1;
		}
	}
	if (found)
		return 1;
	for (j = 0; j < h->nevs; j++) {
		e = &h->evs[j];
		if (e->time_ms > r->time_ms + HIST_DAEMON_JOIN_MS)
			break;
		if (ev_after(e, r) && e->pid == r->pid && e->nfiles > 0) {
			*owner = j;
			return 1;
		}
	}
	return 0;
}

static void
attach_daemon(struct hist *h, int64_t window_ms)
{
	size_t i, owner;

	for (i = 0; i < h->nrecs; i++)
		if (h->recs[i].by_daemon &&
		    daemon_owner(h, &h->recs[i], window_ms, &owner)) {
			h->recs[i].owner = owner;
			h->recs[i].attached = 1;
		}
}

/* The daemon is whoever wrote sshmedic's audit records, also when renamed. */
static void
mark_daemon_pids(struct hist *h)
{
	size_t i, n;
	long long *pids = writer_pids(h, 0, &n);

	for (i = 0; i < h->nrecs && n > 0; i++)
		if (!h->recs[i].by_daemon && h->recs[i].pid > 0 &&
		    bsearch(&h->recs[i].pid, pids, n, sizeof(*pids), ll_cmp))
			h->recs[i].by_daemon = 1;
	free(pids);
}

static int
item_cmp(const void *a, const void *b)
{
	const struct hist_item *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	if (x->is_group != y->is_group)
		return x->is_group ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void
hist_join(struct hist *h, int64_t window_ms)
{
	size_t i;

	/* qsort's base may not be NULL, even for none (no audit log read) */
	if (h->nrecs > 0)
		qsort(h->recs, h->nrecs, sizeof(*h->recs), rec_cmp);
	if (h->nevs > 0)
		qsort(h->evs, h->nevs, sizeof(*h->evs), ev_cmp);
	mark_daemon_pids(h);
	make_groups(h, 0);
	join_events(h, window_ms);
	attach_daemon(h, window_ms);
	make_groups(h, 1);
	h->items = xcalloc(h->ngroups + h->nevs + 1, sizeof(*h->items));
	for (i = 0; i < h->ngroups; i++) {
		h->items[h->nitems].is_group = 1;
		h->items[h->nitems].idx = i;
		h->items[h->nitems++].time_ms = h->groups[i].first_ms;
	}
	for (i = 0; i < h->nevs; i++)
		if (!h->evs[i].joined) {
			h->items[h->nitems].idx = i;
			h->items[h->nitems++].time_ms = h->evs[i].time_ms;
		} else
			idx_add(&h->groups[h->evs[i].group].evs,
			    &h->groups[h->evs[i].group].nevs, i);
	for (i = 0; i < h->nrecs; i++)
		if (h->recs[i].attached)
			idx_add(&h->evs[h->recs[i].owner].kernel,
			    &h->evs[h->recs[i].owner].nkernel, i);
	qsort(h->items, h->nitems, sizeof(*h->items), item_cmp);
}
