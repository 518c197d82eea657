/*
 * Private to the store's files (store.c, store_manifest.c, store_quar.c,
 * store_state.c): the text buffer, field encoding and directory helpers.
 */
#ifndef SM_STORE_INT_H
#define SM_STORE_INT_H

#include <stddef.h>
#include <sys/types.h>

#include "store.h"

#define STORE_FIELD_MAX	4096	/* decoded path, reason, evid */
#define STORE_STATE_FILE	"guard.state"
#define STORE_QUAR_DIR	"quarantine"

/* Growing text buffer for manifests, metas and state files. */
struct store_sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* Appends formatted text; allocation failure is fatal. */
void	store_sbuf_addf(struct store_sbuf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * One text field: path_encode, with "-" for empty and the few strings
 * path_encode refuses or that would read back as "empty" escaped by hand.
 * 0/-1 (ENAMETOOLONG).
 */
int	store_field_encode(const char *s, char *out, size_t outlen);

/* Inverse of store_field_encode, into a malloc'd string. NULL on bad input. */
char	*store_field_decode(const char *s);

/*
 * Cuts the next '\n'-terminated line out of [*cur, end). NULL at the end
 * of the buffer or for a line without its newline, too long, or with a NUL.
 */
char	*store_next_line(char **cur, char *end, size_t maxlen);

/*
 * Parses a manifest file's text for generation gen into m (the caller frees
 * m with manifest_free, also on failure). 0/-1 (malformed).
 */
int	store_manifest_parse(char *buf, size_t len, unsigned long gen,
	    struct manifest *m);

/*
 * The text of generation gen's manifest for cl (host keys fingerprinted
 * here), appended to b. 0/-1 with ENAMETOOLONG for a reason or evid too
 * long to encode.
 */
int	store_manifest_text(struct store_sbuf *b, const struct closure *cl,
	    unsigned long gen, const char *reason, const char *evid);

/* Opens a subdirectory of the store without following links; fd or -1. */
int	store_subdir(struct store *st, const char *name);

/* mkdirat that accepts an existing directory (not a link to one). 0/-1. */
int	store_mkdirat(int dfd, const char *name, mode_t mode);

/*
 * rm -r of name under dfd, never following links; depth is the caller's
 * nesting (0 at the top), refused past STORE_RM_DEPTH with ELOOP. An
 * absent name is 0. 0/-1 with errno.
 */
#define STORE_RM_DEPTH	32
int	store_rmtree_at(int dfd, const char *name, int depth);

#endif
