/*
 * Logging backend: one function formats, stderr or syslog(LOG_AUTHPRIV)
 * receives. Debug lines are dropped unless -d was given.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char *log_ident = "sshmedic";
static int log_stderr = 1;
static int log_debug = 0;

/* Sets where lines go; safe to call again (SIGHUP, -d). */
void
log_init(const char *ident, int to_stderr, int debug)
{
	log_ident = ident;
	log_stderr = to_stderr;
	log_debug = debug;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

/* Predicate: 1 when debug lines are wanted. */
int
log_debug_enabled(void)
{
	return log_debug;
}

static void
log_vmsg(int pri, const char *file, const char *func, int line,
    const char *fmt, va_list ap)
{
	char msg[2048];
	int saved = errno;

	if (pri == LOG_DEBUG && !log_debug)
		goto out;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_stderr) {
		if (log_debug)
			fprintf(stderr, "%s: %s:%d %s: %s\n", log_ident,
			    file, line, func, msg);
		else
			fprintf(stderr, "%s: %s\n", log_ident, msg);
	} else
		syslog(pri, "%s: %s", func, msg);
 out:
	errno = saved;
}

void
log_msg(int pri, const char *file, const char *func, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(pri, file, func, line, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *file, const char *func, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, file, func, line, fmt, ap);
	va_end(ap);
	exit(1);
}
