/*
 * Logging for the daemon and the CLI: stderr when asked (-d, foreground),
 * syslog (authpriv) otherwise; every line carries file, function and line.
 */
#ifndef SM_LOG_H
#define SM_LOG_H

#include <syslog.h>

void	log_init(const char *ident, int to_stderr, int debug);
void	log_msg(int pri, const char *file, const char *func, int line,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void	log_fatal(const char *file, const char *func, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)))
	    __attribute__((noreturn));
int	log_debug_enabled(void);

#define error_f(...)	log_msg(LOG_ERR, __FILE__, __func__, __LINE__, __VA_ARGS__)
#define warn_f(...)	log_msg(LOG_WARNING, __FILE__, __func__, __LINE__, __VA_ARGS__)
#define logit(...)	log_msg(LOG_NOTICE, __FILE__, __func__, __LINE__, __VA_ARGS__)
#define info_f(...)	log_msg(LOG_INFO, __FILE__, __func__, __LINE__, __VA_ARGS__)
#define debug_f(...)	log_msg(LOG_DEBUG, __FILE__, __func__, __LINE__, __VA_ARGS__)
#define fatal_f(...)	log_fatal(__FILE__, __func__, __LINE__, __VA_ARGS__)

#endif
