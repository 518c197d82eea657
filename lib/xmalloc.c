/*
 * Fatal-on-failure allocators with overflow checks, after OpenSSH's
 * xmalloc.c: callers in the daemon never test for NULL.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0)
		fatal_f("zero size");
	if ((p = malloc(size)) == NULL)
		fatal_f("out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		fatal_f("zero size");
	if (SIZE_MAX / nmemb < size)
		fatal_f("nmemb * size > SIZE_MAX");
	if ((p = calloc(nmemb, size)) == NULL)
		fatal_f("out of memory allocating %zu * %zu bytes", nmemb, size);
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		fatal_f("zero size");
	if (SIZE_MAX / nmemb < size)
		fatal_f("nmemb * size > SIZE_MAX");
	if ((p = realloc(ptr, nmemb * size)) == NULL)
		fatal_f("out of memory allocating %zu * %zu bytes", nmemb, size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;
	size_t len = strnlen(s, n);

	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int i;

	va_start(ap, fmt);
	i = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (i < 0 || *ret == NULL)
		fatal_f("vasprintf failed");
	return i;
}
