#!/bin/sh
# U6 of LOCKOUTS.md: a login shell that does not exist or cannot be run.
# sshd refuses such an account before any method ("User U not allowed
# because shell ... does not exist"): neither PAM nor a refused key says
# so; sshmedicd reads it from sshd's log, counts it, and the policy's
# set_shell puts a shell of /etc/shells in place; the key login works.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

sm_cred_sandbox
U=$(sm_cred_name)
sm_cred_user "$U"
sm_cred_start_sshd
sm_cred_conf "$SM_USER" "$U"
grep -qx "	pam_service = \"$SVC\";" "$SM_CONF" || sm_fail "pam_service not set"
sm_cred_policy u6 "policies = ( {
	name = \"u6-shell\";
	on = \"user_failures\";
	users = [ \"$U\" ];
	failures = 1;
	window_ms = 60000;
	cooldown_ms = 0;
	actions = ( { do = \"set_shell\"; shell = \"/bin/sh\"; } );
} );"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"
sm_cred_ssh "$U" || sm_fail "first key login of $U"

# break WHAT SHELL: the account's shell becomes SHELL; healed by the policy.
break_shell() {
	local what=$1 ev
	sm_mark sshmedic-shell-set
	usermod -s "$2" "$U" 2>/dev/null || sm_fail "$what: usermod -s"
	sm_cred_ssh "$U" && sm_fail "$what: the login still worked"
	ev=$(sm_expect_action sshmedic-shell-set USER_MGMT)
	case $ev in *"set to /bin/sh"*) ;; *) sm_fail "$what: $ev" ;; esac
	[ "$(getent passwd "$U" | cut -d: -f7)" = /bin/sh ] ||
	    sm_fail "$what: shell is $(getent passwd "$U" | cut -d: -f7)"
	sm_cred_ssh "$U" || sm_fail "$what: key login after the repair"
	sm_log "$what: repaired to /bin/sh, key login ok"
}

break_shell "missing shell" /nonexistent/shell
printf '#!/bin/sh\nexec /bin/sh "$@"\n' >"$T/bin/noexec-sh"
chmod 0644 "$T/bin/noexec-sh"
break_shell "shell not executable" "$T/bin/noexec-sh"

# A shell that runs but is not in /etc/shells: sshd accepts it, so no
# login fails and nothing is changed (sshmedic check reports it).
cp /bin/sh "$T/bin/unlisted-sh"
chmod 0755 "$T/bin/unlisted-sh"
usermod -s "$T/bin/unlisted-sh" "$U" || sm_fail "usermod unlisted"
sm_mark sshmedic-shell-set
sm_cred_ssh "$U" || sm_fail "unlisted: sshd refused a shell that runs"
[ "$(sm_count_op sshmedic-shell-set)" = "${SM_MARKS[sshmedic-shell-set]}" ] ||
    sm_fail "unlisted: changed without a failure"

# The fallback itself must be usable: one that is not in /etc/shells is
# refused and nothing changes.
sm_cred_policy u6 "policies = ( {
	name = \"u6-shell\";
	on = \"user_failures\";
	users = [ \"$U\" ];
	failures = 1;
	window_ms = 60000;
	cooldown_ms = 0;
	actions = ( { do = \"set_shell\"; shell = \"$T/bin/unlisted-sh\"; } );
} );"
sm_mark sshmedic-daemon-reconfig
kill -HUP "$SM_DAEMON_PID"
sm_next_event sshmedic-daemon-reconfig >/dev/null || sm_fail "no reconfig"
sm_mark sshmedic-shell-set
usermod -s /nonexistent/shell "$U" 2>/dev/null
sm_cred_ssh "$U" && sm_fail "bad fallback: the login worked"
ev=$(sm_next_event sshmedic-shell-set) || sm_fail "bad fallback: no record"
[ "$(sm_json_field "$ev" res)" = failed ] || sm_fail "bad fallback: $ev"
case $ev in *"not in /etc/shells"*) ;; *) sm_fail "bad fallback: $ev" ;; esac
[ "$(getent passwd "$U" | cut -d: -f7)" = /nonexistent/shell ] ||
    sm_fail "bad fallback: the shell was changed"
sm_log "a fallback not in /etc/shells is refused, nothing changed"

sm_pass
