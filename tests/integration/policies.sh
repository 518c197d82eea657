#!/bin/sh
# The policy engine against a real sshd under its own PAM service, real
# logins and the audit log: source_failures over several accounts (unknown
# names too) with the source in the hook's environment; a user_failures
# policy fires once per cooldown and records its holding back once, also
# after a daemon restart (policy.state); a dry run changes nothing and says
# what it would do; a hook's environment (user, source, the decision's
# event id), a hook killed at its timeout_ms and one that exits 1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"
. "$top_srcdir/tests/integration/lib_pol.sh"

sm_need_tools python3 sha256sum
sm_cred_sandbox
U=$(sm_cred_name)	# cooldown
D=$(sm_cred_name)	# dry run
H=$(sm_cred_name)	# hooks
for u in "$U" "$D" "$H"; do sm_cred_user "$u"; done
N1=$(sm_cred_name)	# never created
N2=$(sm_cred_name)
for u in "$N1" "$N2"; do
	getent passwd "$u" >/dev/null && sm_fail "fresh name $u exists"
done
sp_hook_script
sm_cred_start_sshd
sm_cred_conf "$SM_USER" "$U" "$D" "$H"
sm_cred_policy 10-source "policies = ( {
	name = \"s4\"; on = \"source_failures\";
	failures = 3; window_ms = 600000; cooldown_ms = 600000;
	actions = ( { do = \"hook\"; argv = [ \"$HOOK\", \"$T/out/s4\" ]; } );
} );"
sm_cred_policy 20-cooldown "policies = ( {
	name = \"c1\"; on = \"user_failures\"; users = [ \"$U\" ];
	failures = 2; window_ms = 600000; cooldown_ms = 60000;
	actions = ( { do = \"hook\"; argv = [ \"$HOOK\", \"$T/out/c1\" ]; } );
} );"
sm_cred_policy 30-dry "policies = ( {
	name = \"d2\"; on = \"user_failures\"; users = [ \"$D\" ];
	failures = 1; cooldown_ms = 0; dry_run = true;
	actions = ( \"fix_modes\", \"restore_keys\" );
} );"
sm_cred_policy 40-hook "policies = ( {
	name = \"h3\"; on = \"user_failures\"; users = [ \"$H\" ];
	failures = 1; cooldown_ms = 0;
	actions = (
		{ do = \"hook\"; argv = [ \"$HOOK\", \"$T/out/h3\" ]; },
		{ do = \"hook\"; timeout_ms = 500;
		  argv = [ \"$HOOK\", \"$T/out/h3slow\", \"sleep\" ]; },
		{ do = \"hook\"; argv = [ \"$HOOK\", \"$T/out/h3fail\", \"fail\" ]; }
	);
} );"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"
sp_wait_pol loaded 4
sp_wait_pol names "s4,c1,d2,h3"
sp_wait_pol refused ""
sp_wait_pol reload_refused false
bad() { sm_cred_ssh "$1" "$T/client/wrong" && sm_fail "$1: a wrong key logged in"; return 0; }

# 1. source_failures: two unknown names (password, through PAM) and an
# account's refused key (sshd's log), all from 127.0.0.1: the third fires.
sm_mark sshmedic-failures-source sshmedic-policy-action
sm_status_json
rx=$(sm_jget events_received)
sm_cred_pw "$N1" not-a-password && sm_fail "1: $N1 logged in"
sm_cred_pw "$N2" not-a-password && sm_fail "1: $N2 logged in"
got_events() { sm_status_json && [ "$(sm_jget events_received)" -ge "$1" ]; }
sm_wait_for got_events $((rx + 2)) || sm_fail "1: the PAM failures not received"
[ "$(sp_runs s4)" = 0 ] || sm_fail "1: fired before the third failure"
sm_no_op sshmedic-failures-source
bad "$SM_OTHER"
ev=$(sm_next_event sshmedic-failures-source) || sm_fail "1: no decision"
[ "$(sm_json_field "$ev" type)" = ANOM_ORIGIN_FAILURES ] || sm_fail "1: $ev"
case $ev in *"3 failed logins from 127.0.0.1 "*"policy s4 acts"*) ;; *)
	sm_fail "1: reason: $ev" ;; esac
id=$(sm_evid "$ev")
sm_ausearch_evid ANOM_ORIGIN_FAILURES "$id" | grep -q 'op=sshmedic-failures-source' ||
    sm_fail "1: audit record"
sm_next_event sshmedic-policy-action >/dev/null || sm_fail "1: no action record"
[ "$(sp_runs s4)" = 1 ] || sm_fail "1: hook ran $(sp_runs s4) times"
sp_env_is s4 1 "policy s4" "" 127.0.0.1 "$id"
sm_log "1: $N1, $N2 (unknown) and $SM_OTHER from 127.0.0.1: s4 fired, hook saw the source"
rm -f "$T/policies.d/10-source.conf"
sp_reload
sp_wait_pol names "c1,d2,h3"

# 2. Cooldown: the second failure of U fires c1; three more within its
# cooldown run nothing and are recorded once.
sm_mark sshmedic-failures-user sshmedic-policy-suppressed sshmedic-policy-action
bad "$U"
fails_of() { sm_status_json && [ "$(sm_jget protected_counters "$1" failures)" -ge "$2" ]; }
sm_wait_for fails_of "$U" 1 || sm_fail "2: failure not counted"
[ "$(sp_runs c1)" = 0 ] || sm_fail "2: fired at the first failure"
bad "$U"
ev=$(sm_next_event sshmedic-failures-user) || sm_fail "2: no decision"
[ "$(sm_json_field "$ev" acct)" = "$U" ] || sm_fail "2: $ev"
sm_ausearch_evid ANOM_LOGIN_FAILURES "$(sm_evid "$ev")" >/dev/null
sm_next_event sshmedic-policy-action >/dev/null || sm_fail "2: no action record"
[ "$(sp_runs c1)" = 1 ] || sm_fail "2: hook ran $(sp_runs c1) times"
sup0=$(sp_pol suppressed)
bad "$U"; bad "$U"; bad "$U"
sp_wait_pol suppressed $((sup0 + 3))
[ "$(sp_runs c1)" = 1 ] || sm_fail "2: hook ran again in the cooldown"
[ "$(sp_count_reason sshmedic-policy-suppressed "policy c1:")" = 1 ] ||
    sm_fail "2: $(sp_count_reason sshmedic-policy-suppressed "policy c1:") suppression records"
ev=$(sm_next_event sshmedic-policy-suppressed) || sm_fail "2: no suppression"
case $ev in *"policy c1: 3 failed logins of $U"*"in its cooldown"*) ;; *)
	sm_fail "2: suppression: $ev" ;; esac
sm_ausearch_evid RESP_ANOMALY "$(sm_evid "$ev")" | grep -q 'op=sshmedic-policy-suppressed' ||
    sm_fail "2: suppression audit record"
sm_log "2: c1 fired once; 3 failures in its cooldown suppressed, 1 record"

# 3. A reload and a restart: the cooldown is kept by name (policy.state)
# and still holds.
sp_reload
bad "$U"
sp_wait_pol suppressed $((sup0 + 4))
[ "$(sp_runs c1)" = 1 ] || sm_fail "3: hook ran after a reload"
sm_stop_daemon
grep -Eq "^cd c1 $U [0-9]+\$" "$T/state/policy.state" ||
    sm_fail "3: policy.state: $(cat "$T/state/policy.state")"
sm_mark sshmedic-policy-suppressed sshmedic-failures-user
sm_start_daemon
sp_wait_pol loaded 3
bad "$U"
sp_wait_pol suppressed 1
[ "$(sp_runs c1)" = 1 ] || sm_fail "3: hook ran after the restart"
[ "$(sp_pol fired)" = 0 ] || sm_fail "3: fired $(sp_pol fired) after the restart"
sp_no_op_since sshmedic-failures-user
ev=$(sm_next_event sshmedic-policy-suppressed) || sm_fail "3: no suppression"
case $ev in *"policy c1:"*"in its cooldown for another "*) ;; *) sm_fail "3: $ev" ;; esac
sm_log "3: after a reload and a restart the cooldown holds (policy.state)"

# 4. Dry run: D's ~/.ssh writable by all and its keys overwritten; d2
# says what fix_modes and restore_keys would do and nothing changes.
AK=$T/home/$D/.ssh/authorized_keys
sm_mark sshmedic-keys-snapshot
sm_cred_ssh "$D" || sm_fail "4: first key login of $D"
sm_expect_action sshmedic-keys-snapshot USER_MGMT >/dev/null
chmod 0777 "$T/home/$D/.ssh"
cp "$T/client/wrong.pub" "$AK"
tree() { find "$T/home/$D" -printf '%p %y %m %u %g %s\n' | LC_ALL=C sort; sha256sum "$AK"; }
tree >"$T/dry.before"
quar() { find "$T/state" -path '*quarantine*' -type f | wc -l; }
q0=$(quar)
sm_mark sshmedic-failures-user sshmedic-policy-dryrun sshmedic-modes-fix \
    sshmedic-keys-restore sshmedic-policy-action
sm_cred_ssh "$D" && sm_fail "4: the broken login worked"
ev=$(sm_next_event sshmedic-failures-user) || sm_fail "4: no decision"
case $ev in *"policy d2 would act (dry run)"*) ;; *) sm_fail "4: $ev" ;; esac
ev=$(sm_next_event sshmedic-policy-dryrun) || sm_fail "4: no dry-run record"
case $ev in *"dry run of policy d2: fix_modes for $D: would fix: "*"$T/home/$D/.ssh"*) ;; *)
	sm_fail "4: fix_modes: $ev" ;; esac
sm_ausearch_evid RESP_ANOMALY "$(sm_evid "$ev")" >/dev/null
SM_MARKS[sshmedic-policy-dryrun]=$((SM_MARKS[sshmedic-policy-dryrun] + 1))
ev=$(sm_next_event sshmedic-policy-dryrun) || sm_fail "4: no second dry-run record"
case $ev in *"dry run of policy d2: restore_keys for $D: would restore $AK (changed)"*) ;; *)
	sm_fail "4: restore_keys: $ev" ;; esac
sm_ausearch_evid RESP_ANOMALY "$(sm_evid "$ev")" >/dev/null
sm_cred_ssh "$D" && sm_fail "4: the login works after the dry run"
tree >"$T/dry.after"
diff "$T/dry.before" "$T/dry.after" >&2 || sm_fail "4: the dry run changed files"
[ "$(quar)" = "$q0" ] || sm_fail "4: something was quarantined"
sp_no_op_since sshmedic-modes-fix
sp_no_op_since sshmedic-keys-restore
sp_no_op_since sshmedic-policy-action
sm_log "4: dry run: records say what fix_modes and restore_keys would do; nothing changed"

# 5. Hooks: the environment of the first, the second killed at 500 ms,
# the third's exit 1; each recorded, the daemon goes on.
sm_mark sshmedic-failures-user sshmedic-policy-action sshmedic-hook
bad "$H"
ev=$(sm_next_event sshmedic-failures-user) || sm_fail "5: no decision"
id=$(sm_evid "$ev")
sm_ausearch_evid ANOM_LOGIN_FAILURES "$id" | grep -q "op=sshmedic-failures-user" ||
    sm_fail "5: audit record"
sm_wait_event sshmedic-policy-action $((SM_MARKS[sshmedic-policy-action] + 3)) \
    >/dev/null || sm_fail "5: not three action records"
sp_env_is h3 1 "policy h3" "$H" 127.0.0.1 "$id"
n=${SM_MARKS[sshmedic-policy-action]}
a1=$(sm_wait_event sshmedic-policy-action $((n + 1)))
a2=$(sm_wait_event sshmedic-policy-action $((n + 2)))
a3=$(sm_wait_event sshmedic-policy-action $((n + 3)))
case "$(sm_json_field "$a1" res) $a1" in "success "*"hook for $H: ran $HOOK"*) ;; *)
	sm_fail "5: first hook: $a1" ;; esac
case "$(sm_json_field "$a2" res) $a2" in "failed "*"hook for $H: $HOOK: timed out after "*) ;; *)
	sm_fail "5: slow hook: $a2" ;; esac
case "$(sm_json_field "$a3" res) $a3" in "failed "*"hook for $H: $HOOK: exit 1"*) ;; *)
	sm_fail "5: failing hook: $a3" ;; esac
for a in "$a1" "$a2" "$a3"; do
	sm_ausearch_evid RESP_EXEC "$(sm_evid "$a")" | grep -q 'op=sshmedic-policy-action' ||
	    sm_fail "5: no audit record for $a"
done
h=$(sm_wait_event sshmedic-hook $((SM_MARKS[sshmedic-hook] + 2))) || sm_fail "5: hook records"
case $h in *"timed out"*) ;; *) sm_fail "5: hook record: $h" ;; esac
case $(sp_audit_reason RESP_EXEC "$(sm_evid "$h")") in
*"$HOOK: timed out after "*) ;; *) sm_fail "5: the audit record: $(sp_audit_reason RESP_EXEC "$(sm_evid "$h")")" ;; esac
[ -s "$T/out/h3slow.pids" ] || sm_fail "5: the slow hook never started"
for p in $(cat "$T/out/h3slow.pids"); do
	sm_wait_for sm_gone "$p" || sm_fail "5: pid $p of the slow hook survived"
done
[ "$(sp_runs h3fail)" = 1 ] || sm_fail "5: the failing hook did not run"
sm_status_json || sm_fail "5: status does not answer"
[ "$(sm_jget policies actions_failed)" -ge 2 ] || sm_fail "5: actions_failed"
sm_cred_ssh "$H" || sm_fail "5: $H's own key after the hooks"
sm_log "5: hook env ok; slow hook killed at 500 ms; exit 1 recorded; daemon answers"

sm_pass
