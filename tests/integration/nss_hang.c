/*
 * A real NSS module for nss_hang.sh: its initgroups hangs for one user while
 * a marker file exists, as sssd's or LDAP's does when their server is gone.
 * Built by the test as libnss_$SM_NSS_NAME.so.2 and found through
 * LD_LIBRARY_PATH by the processes that have it (sshmedicd) only; in
 * every other process the service named in nsswitch.conf is not found and
 * skipped, and without SMHANG_USER/SMHANG_FILE in its environment it
 * answers at once.
 */
#include <grp.h>
#include <nss.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SM_NSS_NAME
#error "build with -DSM_NSS_NAME=name"
#endif
#define NSS_FN2(n)	_nss_##n##_initgroups_dyn
#define NSS_FN(n)	NSS_FN2(n)

enum nss_status NSS_FN(SM_NSS_NAME)(const char *user, gid_t group,
    long int *start, long int *size, gid_t **groupsp, long int limit,
    int *errnop);

enum nss_status
NSS_FN(SM_NSS_NAME)(const char *user, gid_t group, long int *start,
    long int *size, gid_t **groupsp, long int limit, int *errnop)
{
	const char *who = getenv("SMHANG_USER"), *marker = getenv("SMHANG_FILE");
	int i;

	(void)group;
	(void)start;
	(void)size;
	(void)groupsp;
	(void)limit;
	(void)errnop;
	/* Bounded: a minute at most, whoever waits for it. */
	if (who != NULL && marker != NULL && strcmp(who, user) == 0)
		for (i = 0; i < 60 && access(marker, F_OK) == 0; i++)
			sleep(1);
	return NSS_STATUS_NOTFOUND;
}
