/*
 * sd_notify without a link-time dependency: libsystemd and what it pulls in
 * (libgcrypt, zstd, lzma, ...) are ~1 MB resident; a daemon run by s6, runit
 * or by hand never needs them, so they are dlopen'ed only under systemd.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "notify.h"

typedef int (*sd_notify_fn)(int, const char *);
typedef int (*sd_watchdog_enabled_fn)(int, uint64_t *);

static sd_notify_fn p_sd_notify;

int64_t
notify_init(void)
{
#ifdef WITH_SD_NOTIFY
	sd_watchdog_enabled_fn p_wd;
	uint64_t usec = 0;
	void *h;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	if ((h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		error_f("NOTIFY_SOCKET is set but libsystemd.so.0 cannot be "
		    "loaded (%s): no readiness or watchdog notification",
		    dlerror());
		return 0;
	}
	p_sd_notify = (sd_notify_fn)dlsym(h, "sd_notify");
	p_wd = (sd_watchdog_enabled_fn)dlsym(h, "sd_watchdog_enabled");
	if (p_sd_notify == NULL) {
		error_f("libsystemd has no sd_notify");
		return 0;
	}
	if (p_wd != NULL && p_wd(0, &usec) > 0 && usec >= 2000)
		return (int64_t)(usec / 2000);
	return 0;
#else
	if (getenv("NOTIFY_SOCKET") != NULL)
		error_f("built with --disable-sd-notify: systemd is not told "
		    "about readiness; use Type=simple");
	return 0;
#endif
}

void
notify_send(const char *msg)
{
	if (p_sd_notify != NULL)
		p_sd_notify(0, msg);
}
