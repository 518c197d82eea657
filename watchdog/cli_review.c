/*
 * sshmedic diff and the store the review commands share: read directly, so
 * they work with the daemon stopped (history: cli_history.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "closure.h"
#include "fsutil.h"
#include "log.h"
#include "misc.h"
#include "spawn.h"
#include "store.h"
#include "xmalloc.h"

#define DIFF_CAP		(256 * 1024)

int
cli_open_store(struct cli *c)
{
	if (c->store_open)
		return 0;
	if (store_open(&c->store, c->conf.state_dir, c->conf.keep_generations,
	    c->conf.keep_quarantine) == -1) {
		fprintf(stderr, "sshmedic: store %s: %s\n", c->conf.state_dir,
		    strerror(errno));
		return EX_UNAVAILABLE;
	}
	c->store_open = 1;
	return 0;
}

/* One side of a diff: a generation, or the closure on disk (gen 0). */
struct side {
	unsigned long gen;
	struct manifest m;
	struct closure cl;
	char label[32];
};

static int
side_load(struct cli *c, struct side *s, unsigned long gen)
{
	memset(s, 0, sizeof(*s));
	s->gen = gen;
	if (gen == 0) {
		snprintf(s->label, sizeof(s->label), "current");
		return closure_read(c->conf.sshd_config, c->conf.sshd_dir,
		    &s->cl);
	}
	snprintf(s->label, sizeof(s->label), "gen%lu", gen);
	if (store_load(&c->store, gen, &s->m) == -1) {
		fprintf(stderr, "sshmedic: generation %lu: %s\n", gen,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
side_free(struct side *s)
{
	if (s->gen == 0)
		closure_free(&s->cl);
	else
		manifest_free(&s->m);
}

/* Path of the file's content for diff(1), or /dev/null. */
static char *
side_file(struct cli *c, struct side *s, const char *path, char sha[65])
{
	const struct mf_entry *e;
	const struct cl_file *f;
	char *p;

	sha[0] = '\0';
	if (s->gen == 0) {
		f = closure_find(&s->cl, path);
		if (f == NULL || f->state != CL_REG)
			return xstrdup("/dev/null");
		sm_strlcpy(sha, f->sha256, 65);
		return xstrdup(path);
	}
	e = manifest_find(&s->m, path);
	if (e == NULL || e->state != CL_REG || e->sha256[0] == '\0')
		return xstrdup("/dev/null");
	sm_strlcpy(sha, e->sha256, 65);
	xasprintf(&p, "%s/blobs/%.2s/%s", c->conf.state_dir, e->sha256,
	    e->sha256);
	return p;
}

static void
diff_path(struct cli *c, struct side *a, struct side *b, const char *path,
    json_object *arr)
{
	char sa[65], sb[65], la[600], lb[600], *fa, *fb;
	char *argv[] = { "/usr/bin/diff", "-u", "--label", la, "--label", lb,
	    NULL, NULL, NULL };
	struct spawn_res r;
	json_object *o;

	fa = side_file(c, a, path, sa);
	fb = side_file(c, b, path, sb);
	if (strcmp(sa, sb) == 0)
		goto out;
	snprintf(la, sizeof(la), "%s:%s", a->label, path);
	snprintf(lb, sizeof(lb), "%s:%s", b->label, path);
	argv[6] = fa;
	argv[7] = fb;
	if (spawn_run(argv, NULL, NULL, 0, 10000, DIFF_CAP, &r) == -1)
		goto out;
	if (arr != NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(path));
		json_object_object_add(o, "status", json_object_new_string(
		    sa[0] == '\0' ? "added" : sb[0] == '\0' ? "removed" :
		    "changed"));
		json_object_object_add(o, "diff", json_object_new_string(r.out));
		json_object_array_add(arr, o);
	} else
		fputs(r.out, stdout);
	spawn_res_free(&r);
 out:
	free(fa);
	free(fb);
}

static void
side_paths(struct side *s, char ***paths, size_t *n)
{
	size_t i, j, cnt = s->gen == 0 ? s->cl.nfiles : s->m.n;
	const char *p;
	int role;

	for (i = 0; i < cnt; i++) {
		p = s->gen == 0 ? s->cl.files[i].path : s->m.e[i].path;
		role = s->gen == 0 ? (int)s->cl.files[i].role : (int)s->m.e[i].role;
		if (role == CL_HOSTKEY)
			continue;
		for (j = 0; j < *n; j++)
			if (strcmp((*paths)[j], p) == 0)
				break;
		if (j < *n)
			continue;
		*paths = xreallocarray(*paths, *n + 1, sizeof(**paths));
		(*paths)[(*n)++] = xstrdup(p);
	}
}

int
cli_diff(struct cli *c, int argc, char **argv)
{
	struct side a, b;
	struct manifest latest;
	long long g1 = 0, g2 = 0;
	char **paths = NULL;
	size_t n = 0, i;
	json_object *root = NULL, *arr = NULL;
	int r;

	if ((argc > 1 && strcmp(argv[1], "--help") == 0) || argc > 3 ||
	    (argc > 1 && parse_ll(argv[1], 1, STORE_MAX_GENERATIONS, &g1) == -1) ||
	    (argc > 2 && parse_ll(argv[2], 1, STORE_MAX_GENERATIONS, &g2) == -1)) {
		fprintf(stderr, "usage: sshmedic diff [GEN [GEN]]\n"
		    "  no GEN: newest known-good vs the files on disk; one GEN: "
		    "that generation vs disk;\n  two: the first vs the second\n");
		return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : EX_USAGE;
	}
	if ((r = cli_open_store(c)) != 0)
		return r;
	if (argc == 1) {
		if (store_latest(&c->store, &latest) == -1) {
			fprintf(stderr, "sshmedic: no known-good generation\n");
			return EX_UNAVAILABLE;
		}
		g1 = (long long)latest.gen;
		manifest_free(&latest);
	}
	if (side_load(c, &a, (unsigned long)g1) == -1)
		return EX_DATAERR;
	if (side_load(c, &b, (unsigned long)g2) == -1) {
		side_free(&a);
		return EX_DATAERR;
	}
	side_paths(&a, &paths, &n);
	side_paths(&b, &paths, &n);
	if (c->json) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(root, "from",
		    json_object_new_string(a.label));
		json_object_object_add(root, "to",
		    json_object_new_string(b.label));
		json_object_object_add(root, "files", arr);
	}
	for (i = 0; i < n; i++) {
		diff_path(c, &a, &b, paths[i], arr);
		free(paths[i]);
	}
	free(paths);
	if (root != NULL) {
		printf("%s\n", json_object_to_json_string_ext(root,
		    JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	}
	side_free(&a);
	side_free(&b);
	return 0;
}
