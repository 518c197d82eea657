/*
 * Allocation for the daemon and the CLI: failure is fatal, sizes are
 * checked for overflow. The PAM module never uses these.
 */
#ifndef SM_XMALLOC_H
#define SM_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
