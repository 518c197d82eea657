/*
 * Common includes for the cmocka unit tests, and a temporary directory
 * helper so each test works in its own scratch space.
 */
#ifndef SM_UNIT_H
#define SM_UNIT_H

#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <dirent.h>

#include "fsutil.h"

/* A fresh directory under $TMPDIR (or /tmp); removed by unit_rmtree. */
static inline char *
unit_mkdtemp(void)
{
	const char *t = getenv("TMPDIR");
	char *p;

	if (t == NULL || *t == '\0')
		t = "/tmp";
	if (asprintf(&p, "%s/sshmedic-unit.XXXXXX", t) < 0)
		abort();
	if (mkdtemp(p) == NULL)
		abort();
	return p;
}

/* rm -rf through nftw would need more includes; a spawned rm is enough here. */
static inline void
unit_rmtree(char *p)
{
	char *cmd;

	if (p == NULL)
		return;
	if (asprintf(&cmd, "rm -rf -- '%s'", p) >= 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "rm -rf %s failed\n", p);
		free(cmd);
	}
	free(p);
}

/* dir/name, malloc'd; fails the test when out of memory. */
static inline char *
unit_path(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* Writes a whole file; aborts the test on failure. */
static inline void
unit_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) < 0 ? -1 : 0, 0);
	assert_int_equal(fclose(f), 0);
}

/* A whole file (no symlink followed), NUL-terminated; fails the test if unreadable. */
static inline char *
unit_slurp(const char *path)
{
	char *buf;
	size_t len;

	assert_int_equal(fs_read_file(path, FS_READ_MAX, 0, &buf, &len), 0);
	return buf;
}

/* Entries of a directory other than . and ..; fails the test if unreadable. */
static inline int
unit_count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

#endif
