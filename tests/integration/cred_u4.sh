#!/bin/sh
# U4 of LOCKOUTS.md: pam_faillock's tally over its limit. The documented
# stack with pam_faillock (deny=3, the test's own tally directory): three
# wrong passwords, then the right one is refused, and pam_sshmedic reports
# each of the four as a failure (first for an account no policy watches:
# the stack itself). Then for a watched account the fourth failure fires
# the policy, faillock_reset clears the tally, the right password works;
# read back with ausearch.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

sm_need_tools /usr/sbin/faillock
sm_cred_sandbox faillock
grep -q 'pam_faillock.so preauth' "$SM_PAMF" || sm_fail "no faillock stack"
U=$(sm_cred_name)		# the policy's
V=$(sm_cred_name)		# no policy: the stack alone
sm_cred_user "$U"
sm_cred_user "$V"
PW=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 20)
SALT=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 16)
for u in "$U" "$V"; do
	usermod -p "$(openssl passwd -6 -salt "$SALT" "$PW")" "$u" ||
	    sm_fail "usermod -p $u"
done
sm_cred_start_sshd
sm_cred_conf "$SM_USER" "$U" "$V"
sm_cred_policy u4 "policies = ( {
	name = \"u4-faillock\";
	on = \"user_failures\";
	users = [ \"$U\" ];
	failures = 4;
	cooldown_ms = 0;
	actions = ( { do = \"faillock_reset\"; faillock_dir = \"$T/faillock\"; } );
} );"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"

tally() {
	/usr/sbin/faillock --dir "$T/faillock" --user "$1" 2>>"$T/faillock.log" |
	    grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2} '
}
failures() {
	sm_status_json || return 1
	[ "$(sm_jget protected_counters "$1" failures)" = "$2" ]
}

# locked_out USER: three wrong passwords (each counted, each in the tally),
# then the right one is refused and counted.
locked_out() {
	local u=$1 i
	sm_cred_pw "$u" "$PW" || sm_fail "$u: the right password before"
	[ "$(tally "$u")" = 0 ] || sm_fail "$u: a tally before any failure"
	for i in 1 2 3; do
		sm_cred_pw "$u" "wrong-$i-$PW" && sm_fail "$u: a wrong password worked"
		sm_wait_for failures "$u" "$i" ||
		    sm_fail "$u: wrong password $i not counted"
		[ "$(tally "$u")" = "$i" ] ||
		    sm_fail "$u: tally $(tally "$u") after $i wrong passwords"
	done
	sm_cred_pw "$u" "$PW" && sm_fail "$u: the right password worked at deny=3"
	sm_wait_for failures "$u" 4 ||
	    sm_fail "$u: the refused right password was not counted"
}

# The stack: the right password refused at the limit, and reported; the
# tally stays at 3 (pam_faillock records no more once locked).
locked_out "$V"
[ "$(tally "$V")" = 3 ] || sm_fail "$V: tally $(tally "$V"), not 3"
sm_cred_pw "$V" "$PW" && sm_fail "$V: the right password worked later"
sm_wait_for failures "$V" 5 || sm_fail "$V: fifth failure not counted"
sm_log "faillock stack: right password refused at deny=3 and reported as a failure"

# The policy: the fourth failure resets the tally.
sm_mark sshmedic-faillock-reset sshmedic-policy-action
locked_out "$U"
ev=$(sm_expect_action sshmedic-faillock-reset USER_MGMT)
case $ev in *"faillock tally of $U reset ($T/faillock/$U)"*) ;; *)
	sm_fail "reset: $ev" ;;
esac
ev=$(sm_next_event sshmedic-policy-action) || sm_fail "no policy action record"
[ "$(sm_json_field "$ev" res)" = success ] || sm_fail "policy action: $ev"
sm_ausearch_evid RESP_EXEC "$(sm_evid "$ev")" >/dev/null
[ "$(tally "$U")" = 0 ] || sm_fail "tally $(tally "$U") after the reset"
[ "$(tally "$V")" = 3 ] || sm_fail "$V's tally changed: $(tally "$V")"
sm_cred_pw "$U" "$PW" || sm_fail "the right password after the reset"
sm_log "tally reset by the policy, password login ok"

sm_pass
