/*
 * The Prometheus text exposition format (version 0.0.4) built in memory,
 * and the textfile written atomically for the node exporter to read.
 */
#ifndef SM_METRICS_H
#define SM_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Families one buffer may hold: each name is announced once. */
#define METRICS_FAMILIES_MAX	64
/* Longest label value written; a longer one is cut (our values are short). */
#define METRICS_LABEL_MAX	256
/* Largest document (the textfile is read whole by the collector). */
#define METRICS_DOC_MAX		(1024 * 1024)

enum metrics_type {
	MT_COUNTER = 0,
	MT_GAUGE,
};

struct metrics_buf {
	char	*p;
	size_t	 len, cap;
	int	 err;		/* a bad name or a full buffer: nothing is written */
	const char *family;	/* the family samples go to now */
	const char *families[METRICS_FAMILIES_MAX];
	size_t	 nfamilies;
};

void	metrics_buf_init(struct metrics_buf *b);
void	metrics_buf_free(struct metrics_buf *b);

/* Predicates: a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), label name. */
int	metrics_name_ok(const char *name);
int	metrics_label_ok(const char *name);

/*
 * Starts a family: its # HELP and # TYPE lines. A counter's name must end
 * in "_total". A bad or repeated name sets b->err. 0/-1 (EINVAL).
 */
int	metrics_family(struct metrics_buf *b, const char *name,
	    enum metrics_type type, const char *help);

/*
 * One sample of the current family: labels is NULL or a NULL-terminated
 * list of name, value pairs (values escaped as the format says). The u64
 * form prints an integer, the double form a float ("%.17g"; NaN and the
 * infinities as the format spells them). 0/-1 (EINVAL: no family, a bad
 * label name; ENOSPC: over METRICS_DOC_MAX), b->err set.
 */
int	metrics_u64(struct metrics_buf *b, const char *const *labels,
	    uint64_t v);
int	metrics_double(struct metrics_buf *b, const char *const *labels,
	    double v);

/* A whole-family shorthand for a metric without labels. 0/-1. */
int	metrics_one_u64(struct metrics_buf *b, const char *name,
	    enum metrics_type type, const char *help, uint64_t v);

/*
 * Replaces path with the document (fs_write_atomic: a temporary in the
 * same directory, fsync, rename, fsync of the directory; mode 0644, the
 * collector runs as another user). A buffer with err set is refused
 * (EINVAL) and path is untouched. 0/-1 with errno.
 */
int	metrics_write(const struct metrics_buf *b, const char *path);

/*
 * Removes the temporaries a killed writer left beside path: fs_write_atomic's
 * (FS_TMP_PREFIX), which never end in ".prom", so the collector never read
 * them; nothing else in the directory. The number removed, -1 with errno.
 */
int	metrics_sweep(const char *path);

#endif
