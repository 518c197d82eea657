/*
 * systemd readiness and watchdog notification through libsystemd, loaded
 * only when systemd asked for it ($NOTIFY_SOCKET set).
 */
#ifndef SM_NOTIFY_H
#define SM_NOTIFY_H

#include <stdint.h>

/*
 * Loads libsystemd if $NOTIFY_SOCKET is set. Returns the watchdog interval
 * systemd wants pings at (half of WatchdogSec) in ms, 0 when none.
 */
int64_t	notify_init(void);
/* sd_notify(0, msg) when libsystemd is loaded; else nothing. */
void	notify_send(const char *msg);

#endif
