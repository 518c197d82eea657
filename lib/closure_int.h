/*
 * Private to closure.c and closure_parse.c: the walk's context and the
 * helpers the sshd_config parser calls back into.
 */
#ifndef SM_CLOSURE_INT_H
#define SM_CLOSURE_INT_H

#include <limits.h>
#include <stddef.h>

#include "closure.h"

/* sshd's include cache entry: a glob selector and one file it matched. */
struct cl_item {
	char	*selector;
	int	 file;		/* index in files, -1: matched nothing */
};

struct cl_hostkey {
	char	*path;
	char	*from;
	int	 line;
	int	 depth;
};

struct cl_ctx {
	struct closure	*cl;
	char		 sshdir[PATH_MAX];
	char		 cwd[PATH_MAX];
	struct cl_item	*items;
	size_t		 nitems;
	struct cl_hostkey *hk;
	size_t		 nhk;
	int		 hk_lines;	/* HostKey lines, "none" included */
	size_t		 nconfig;
	long long	*mtimes;	/* per file, for CL_TOOBIG digests */
	size_t		 parses;
	long long	 bytes;
	int		 work_noted;
	int		 depth_noted;
	int		 files_noted;
};

/* Records a parse problem "FILE:LINE: msg" once, bounded in count. */
void	cl_problem(struct cl_ctx *ctx, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Adds the directory an Include pattern watches to cl->dirs. */
void	cl_add_pattern_dir(struct cl_ctx *ctx, const char *pattern);

/*
 * Fills f's state and stat facts for path; with content != NULL a regular
 * file is read (malloc'd into *content) and hashed.
 */
void	cl_examine(const char *path, struct cl_file *f, long long *mtime,
	    char **content, size_t *clen);

/*
 * Records path once; config files are read into *content. Returns the
 * index, or -1 past CLOSURE_MAX_FILES.
 */
int	cl_add_file(struct cl_ctx *ctx, const char *path, enum cl_role role,
	    const char *from, int line, int depth, char **content,
	    size_t *clen);

/* Absolute form of p (malloc'd): sshd opens relative names from its cwd. */
char	*cl_absolute(struct cl_ctx *ctx, const char *p);

/*
 * parse_server_config_depth over one file's content (files[idx]): follows
 * Include and collects HostKey lines into ctx.
 */
void	cl_parse(struct cl_ctx *ctx, int idx, const char *content,
	    size_t clen, int depth, int nevermatch, int *activep);

#endif
