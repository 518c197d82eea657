/*
 * sshmedic image-prep: the plan of what a golden image must not carry
 * (items to print, operations to carry out in order) and the store's part.
 */
#ifndef SM_PREP_H
#define SM_PREP_H

#include <stddef.h>
#include <sys/types.h>

#include "store.h"

/* Under paths.state: what is cleared goes here first, then the whole goes. */
#define PREP_TRASH		"image-prep.trash"
/* guard.state keys of the accounts sshmedic created: they stay. */
#define PREP_ACCOUNT_PREFIX	"user."

enum prep_action {
	PREP_CLEAR = 0,		/* sshmedic's own state, records or logs: removed */
	PREP_QUARANTINE,	/* an admin's file: moved into the quarantine */
	PREP_KEEP,		/* left as it is */
	PREP_DISCARD,		/* admin's files removed, as --discard-quarantine asks */
	PREP_NACTIONS
};

/* One line of the output: what, what happens to it, how many, where. */
struct prep_item {
	char	*what;		/* stable name: "generations", "json-log", ... */
	enum prep_action action;
	size_t	 count;
	char	*path;
	char	*detail;	/* names, or what count counts; "" for none */
};

enum prep_op_kind {
	PREP_OP_TRASH,		/* an entry of paths.state renamed into the trash */
	PREP_OP_STATE_KEY,	/* one key dropped from guard.state */
	PREP_OP_UNLINK,		/* a file outside the store (absolute path) */
	PREP_OP_QUARANTINE,	/* a file moved into the quarantine (absolute path) */
	PREP_OP_EMPTY_TRASH,	/* the trash removed with everything in it */
};

struct prep_op {
	enum prep_op_kind kind;
	char	*arg;
};

/*
 * Items and operations in the order they are added, which is the order
 * they are carried out in: each operation is one rename, unlink or atomic
 * rewrite, so an interrupted run leaves a store the daemon reads correctly
 * and a second run finishes the work.
 */
struct prep_plan {
	struct prep_item *items;
	size_t	 nitems;
	struct prep_op *ops;
	size_t	 nops;
	char	 evid[33];	/* event id: the quarantine directory, the record */
};

void	prep_plan_init(struct prep_plan *p);
void	prep_plan_free(struct prep_plan *p);

/* Appends an item (strings copied; detail NULL is ""). */
void	prep_item(struct prep_plan *p, const char *what, enum prep_action a,
	    size_t count, const char *path, const char *detail);
/* Appends an operation (arg copied). */
void	prep_op(struct prep_plan *p, enum prep_op_kind kind, const char *arg);

/* "cleared", "quarantined", ...; with dry_run "would clear", ... */
const char *prep_action_word(enum prep_action a, int dry_run);
/* "clear", "quarantine", "keep", "discard": for JSON. */
const char *prep_action_name(enum prep_action a);

/*
 * The store's part of the plan, paths.state as st sees it: generations,
 * blobs, credential snapshots, counters, guard.state (but for the marks of
 * accounts sshmedic created), every other entry (policy.state, the
 * canary's host key pin, temporaries...), and a trash an interrupted run
 * left. Entries whose device and inode are in skip (nskip) are not looked
 * at: paths.requests when it lies inside, which has rules of its own. The
 * quarantine is prep_scan_quarantine's. 0, or -1 with err when image-prep
 * must refuse (a rollback was interrupted) or the store cannot be read.
 */
int	prep_scan_store(struct store *st, const struct stat *skip,
	    size_t nskip, int counters_users, int counters_sources,
	    struct prep_plan *p, char *err, size_t errlen);

/*
 * The quarantine: kept, or with discard removed (PREP_DISCARD); then the
 * trash is emptied. Call last. 0/-1 with err.
 */
int	prep_scan_quarantine(struct store *st, int discard, struct prep_plan *p,
	    char *err, size_t errlen);

/*
 * Carries out p's operations in order; an entry already gone counts as
 * done (a second run after an interrupted one). 0, or -1 at the first
 * failure with err naming the operation, the path and the reason.
 */
int	prep_apply(struct store *st, const struct prep_plan *p, char *err,
	    size_t errlen);

/*
 * Predicate: name is a rotated copy of the log file named base: base, '.'
 * or '-', digits, and optionally .gz, .xz, .bz2 or .zst (logrotate's
 * numbered and dateext names). 1/0.
 */
int	prep_rotated_name(const char *base, const char *name);

#endif
