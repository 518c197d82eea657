#!/bin/sh
# U3 of LOCKOUTS.md: a locked or expired account. (a) Expired (chage -E
# 0): PAM's account phase denies the key login, pam_sshmedic's denied line
# says so, an account_denied policy's unlock clears the expiry, the key
# login works; the same for an account whose password field is Debian's
# default '!' (key only). (b) A locked password (usermod -L): the password
# login fails, pam_sshmedic's authfail line counts it, a user_failures
# policy's unlock removes the '!', the password login works. (c) A
# password field of only '!' is never unlocked (that would leave no
# password): refused with the reason, recorded as failed, unchanged.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

sm_cred_sandbox
UA=$(sm_cred_name)		# expired, password '*'
UD=$(sm_cred_name)		# expired, password '!' (Debian's default)
UB=$(sm_cred_name)		# password locked
UC=$(sm_cred_name)		# password only '!'
for u in "$UA" "$UD" "$UB" "$UC"; do sm_cred_user "$u"; done
sm_cred_start_sshd
sm_cred_conf "$SM_USER" "$UB"	# protected: its counters in status
sm_cred_policy u3-expired "policies = ( {
	name = \"u3-expired\";
	on = \"account_denied\";
	users = [ \"$UA\", \"$UD\" ];
	cooldown_ms = 0;
	actions = ( \"unlock\" );
} );"
sm_cred_policy u3-locked "policies = ( {
	name = \"u3-locked\";
	on = \"user_failures\";
	users = [ \"$UB\", \"$UC\" ];
	failures = 1;
	cooldown_ms = 0;
	actions = ( \"unlock\" );
} );"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"

shadow_field() { getent shadow "$1" | cut -d: -f"$2"; }

# expect_res OP RES TYPE: the next OP record (after sm_mark OP) has result
# RES and ausearch finds it; prints the JSON line.
expect_res() {
	local ev evid
	ev=$(sm_next_event "$1") || sm_fail "no $1 record"
	[ "$(sm_json_field "$ev" res)" = "$2" ] || sm_fail "$1 is not $2: $ev"
	evid=$(sm_evid "$ev")
	[ -n "$evid" ] || sm_fail "$1 without id: $ev"
	sm_ausearch_evid "$3" "$evid" >/dev/null
	printf '%s\n' "$ev"
}

# (a) expired WHAT USER: chage -E 0; the account phase denies the key
# login; the policy clears the expiry; the key login works.
expired() {
	local what=$1 u=$2 pw ev
	pw=$(shadow_field "$u" 2)
	sm_cred_ssh "$u" || sm_fail "$what: key login before the break"
	sm_mark sshmedic-account-denied sshmedic-account-unlock \
	    sshmedic-policy-action
	chage -E 0 "$u" || sm_fail "$what: chage -E 0"
	[ "$(shadow_field "$u" 8)" = 0 ] || sm_fail "$what: not expired"
	sm_cred_ssh "$u" && sm_fail "$what: the expired account logged in"
	# The key was good: the account phase denied the login.
	sm_wait_for -t 5 grep -qF "Access denied for user $u by PAM account" \
	    "$T/sshd.log" || sm_fail "$what: not denied by the account phase"
	ev=$(expect_res sshmedic-account-denied success ANOM_LOGIN_FAILURES)
	case $ev in *"account phase denied $u"*) ;; *) sm_fail "$what: $ev" ;; esac
	ev=$(sm_expect_action sshmedic-account-unlock ACCT_UNLOCK)
	case $ev in *"expiry of $u"*"cleared"*) ;; *) sm_fail "$what: $ev" ;; esac
	ev=$(expect_res sshmedic-policy-action success RESP_EXEC)
	case $ev in *"unlock for $u: "*"cleared"*) ;; *) sm_fail "$what: $ev" ;; esac
	[ -z "$(shadow_field "$u" 8)" ] ||
	    sm_fail "$what: expiry still $(shadow_field "$u" 8)"
	[ "$(shadow_field "$u" 2)" = "$pw" ] ||
	    sm_fail "$what: the password field changed"
	sm_cred_ssh "$u" || sm_fail "$what: key login after the unlock"
	sm_log "$what: expiry cleared by the policy, key login ok"
}

expired "expired" "$UA"
usermod -p '!' "$UD" || sm_fail "usermod -p ! $UD"
expired "expired, password '!'" "$UD"

# (b) A real password, then locked.
PW=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 20)
SALT=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 16)
usermod -p "$(openssl passwd -6 -salt "$SALT" "$PW")" "$UB" ||
    sm_fail "usermod -p $UB"
sm_cred_pw "$UB" "$PW" || sm_fail "locked: password login before the lock"
usermod -L "$UB" || sm_fail "usermod -L"
case $(shadow_field "$UB" 2) in '!$6$'*) ;; *) sm_fail "locked: no '!'" ;; esac
sm_status_json || sm_fail "status"
n=$(sm_jget protected_counters "$UB" failures)
[ "$n" = null ] && n=0
r=$(sm_jget events_received)
sm_mark sshmedic-account-unlock sshmedic-policy-action
sm_cred_pw "$UB" "$PW" && sm_fail "locked: the password login worked"
ev=$(sm_expect_action sshmedic-account-unlock ACCT_UNLOCK)
case $ev in *"password of $UB unlocked"*) ;; *) sm_fail "locked: $ev" ;; esac
ev=$(expect_res sshmedic-policy-action success RESP_EXEC)
case $ev in *"unlock for $UB: password of $UB unlocked"*) ;; *)
	sm_fail "locked: $ev" ;;
esac
# One failure, from one datagram of the module (sshd's "Failed password"
# line is not counted a second time).
sm_status_json || sm_fail "status"
[ "$(sm_jget protected_counters "$UB" failures)" = $((n + 1)) ] ||
    sm_fail "locked: failures $(sm_jget protected_counters "$UB" failures), not $((n + 1))"
[ "$(sm_jget events_received)" = $((r + 1)) ] ||
    sm_fail "locked: $(sm_jget events_received) events received, not $((r + 1))"
case $(shadow_field "$UB" 2) in '$6$'*) ;; *) sm_fail "locked: still locked" ;; esac
sm_cred_pw "$UB" "$PW" || sm_fail "locked: password login after the unlock"
sm_log "locked password: counted by authfail, unlocked by the policy, password login ok"

# (c) Only '!' (or '!!': usermod -U takes one away): nothing behind the
# lock, unlocking would leave no password. Refused, failed, unchanged.
for bang in '!' '!!'; do
	usermod -p "$bang" "$UC" || sm_fail "usermod -p $bang $UC"
	sm_mark sshmedic-account-unlock sshmedic-policy-action
	sm_cred_pw "$UC" "$PW" && sm_fail "$bang: a password login worked"
	ev=$(expect_res sshmedic-account-unlock failed ACCT_UNLOCK)
	case $ev in *"only '!'"*"passwordless"*) ;; *) sm_fail "$bang: $ev" ;; esac
	ev=$(expect_res sshmedic-policy-action failed RESP_EXEC)
	case $ev in *"unlock for $UC: the password of $UC is only '!'"*) ;; *)
		sm_fail "$bang: $ev" ;;
	esac
	[ "$(shadow_field "$UC" 2)" = "$bang" ] ||
	    sm_fail "$bang: the password field is now $(shadow_field "$UC" 2)"
	sm_log "a password of only '$bang': unlock refused with the reason, unchanged"
done

sm_pass
