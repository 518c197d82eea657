#!/bin/sh
# An NSS backend that stops answering (sssd or LDAP with its server gone),
# with a real NSS module in nsswitch.conf (nss_hang.c) whose initgroups
# hangs for the protected user while a marker file exists. sshmedicd's
# lookup is killed at its deadline: the change it could not judge is left
# alone (not rolled back, not promoted) and said so with the reason, the
# daemon keeps answering, the failure is counted and logged, no lookup
# child is left, the module was never mapped in the daemon; once the
# backend answers again the same change is validated and promoted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

sm_need_root
sm_need_tools cc flock
sm_sandbox
NSSW=/etc/nsswitch.conf
SVC=smhang$$
NSS_LOCK=$SM_BASE/nsswitch.lock

# nsswitch.conf is the machine's: only our own word is added, and taken
# out again whatever happens, under a lock against other tests doing so.
nss_edit() {
	local tmp=$NSSW.sm$$
	(
		flock 9
		sed "$1" "$NSSW" >"$tmp" && chmod 0644 "$tmp" &&
		    mv -f "$tmp" "$NSSW"
	) 9>"$NSS_LOCK"
}
nh_cleanup() {
	local rc=$?
	rm -f "$T/hang"
	grep -q " $SVC\$" "$NSSW" && nss_edit "s/ $SVC\$//"
	( exit "$rc" )
	sm_cleanup
}
trap nh_cleanup EXIT

mkdir -p "$T/nss"
cc -shared -fPIC -O2 -Wall -Werror -DSM_NSS_NAME="$SVC" \
    -o "$T/nss/libnss_$SVC.so.2" "$top_srcdir/tests/integration/nss_hang.c" ||
    sm_fail "cannot build the NSS module"
grep -q '^group:' "$NSSW" || sm_fail "no group line in $NSSW"
nss_edit "s/^group:.*/& $SVC/"
grep -q "^group:.* $SVC\$" "$NSSW" || sm_fail "$SVC not added to $NSSW"

sm_start_sshd
# The daemon (and so its lookup children) finds the module; it hangs for
# $SM_USER only while $T/hang exists.
export LD_LIBRARY_PATH="$T/nss" SMHANG_USER="$SM_USER" SMHANG_FILE="$T/hang"
sm_start_guard
unset LD_LIBRARY_PATH SMHANG_USER SMHANG_FILE
sm_log "1: baseline with the module in nsswitch.conf, answering"

# 2. The backend stops answering; a valid change arrives.
D=$T/etc/sshd_config.d
touch "$T/hang"
sm_mark sshmedic-config-rejected sshmedic-config-valid sshmedic-config-rollback
printf 'MaxSessions 9\n' >"$D/40-sessions.conf"
ev=$(sm_next_event sshmedic-config-rejected) ||
    sm_fail "2: no record of the change it could not judge"
reason=$(sm_json_field "$ev" reason)
case $reason in
*"looking up $SM_USER: no answer in 5000 ms, the NSS backend does not answer"*) ;;
*) sm_fail "2: reason: $reason" ;;
esac
# Not knowing is no reason to touch anything: the file stays as written.
[ "$(cat "$D/40-sessions.conf")" = "MaxSessions 9" ] ||
    sm_fail "2: the change was touched"
[ "$(sm_count_op sshmedic-config-rollback)" = \
    "${SM_MARKS[sshmedic-config-rollback]}" ] || sm_fail "2: rolled back"
[ "$(sm_count_op sshmedic-config-valid)" = \
    "${SM_MARKS[sshmedic-config-valid]}" ] || sm_fail "2: found valid"
grep -q 'account lookup killed after 5000 ms: the NSS backend does not answer' \
    "$T/daemon.log" || sm_fail "2: the killed lookup is not logged"
sm_log "2: lookup killed at 5 s, change left alone: $reason"

# 3. The daemon answers, counts the failure, left no child behind, and
# never mapped the module itself.
sm_status_json || sm_fail "3: no status"
[ "$(sm_jget lookups_failed)" -ge 1 ] || sm_fail "3: lookups_failed not counted"
kids=$(ps -o pid= --ppid "$SM_DAEMON_PID" | tr -d ' ')
[ -z "$kids" ] || sm_fail "3: children left: $kids"
grep -q "libnss_$SVC" "/proc/$SM_DAEMON_PID/maps" &&
    sm_fail "3: the NSS module is mapped in sshmedicd"
sm_log "3: status answers (lookups_failed=$(sm_jget lookups_failed)), no child left, module not mapped"

# 4. The backend answers again: the same change is judged and promoted.
rm -f "$T/hang"
sm_mark sshmedic-config-valid sshmedic-config-promoted
printf 'MaxSessions 9\n# touched\n' >"$D/40-sessions.conf"
sm_next_event sshmedic-config-valid >/dev/null ||
    sm_fail "4: not validated once NSS answers"
sm_reload_sshd
sm_next_event sshmedic-config-promoted >/dev/null ||
    sm_fail "4: not promoted"
sm_ssh_login "$SM_USER"
sm_log "4: NSS answering again: validated and promoted"
sm_pass
