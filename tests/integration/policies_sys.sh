#!/bin/sh
# The triggers that are not login failures, against a real sshd under its
# own PAM service: a broken drop-in rolled back by the guard fires the
# config_rollback policies once per rollback, also one whose reset_config
# would roll back again (no loop); `sshmedic request expire` fires the
# request policy for expire, with the account in the hook's environment,
# once per account and cooldown, and never the one for set-key; sshd
# killed with its port held fires sshd_start_failed once per cooldown
# while the ladder keeps failing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"
. "$top_srcdir/tests/integration/lib_pol.sh"

sm_need_tools python3 chage
sm_cred_sandbox
A=$(sm_cred_name)
B=$(sm_cred_name)
for u in "$A" "$B"; do sm_cred_user "$u"; done
sp_hook_script
sm_cred_start_sshd
sm_cred_conf "$SM_USER"
sm_conf_vendor
sm_conf_set restart backoff_ms 200
sm_conf_set restart backoff_max_ms 800
sm_conf_set restart burst 100
sm_conf_set probe timeout_ms 500
hook() { printf '{ do = "hook"; argv = [ "%s", "%s" ]; }' "$HOOK" "$T/out/$1"; }
sm_cred_policy 10-rollback "policies = (
	{ name = \"rb-hook\"; on = \"config_rollback\"; cooldown_ms = 0;
	  actions = ( $(hook rb) ); },
	{ name = \"rb-reset\"; on = \"config_rollback\"; cooldown_ms = 0;
	  actions = ( \"reset_config\", $(hook rbreset) ); }
);"
sm_cred_policy 20-request "policies = (
	{ name = \"q-expire\"; on = \"request\"; requests = [ \"expire\" ];
	  actions = ( $(hook qexp) ); },
	{ name = \"q-key\"; on = \"request\"; requests = [ \"set-key\" ];
	  actions = ( $(hook qkey) ); }
);"
sm_cred_policy 30-start "policies = ( {
	name = \"st\"; on = \"sshd_start_failed\"; cooldown_ms = 600000;
	actions = ( $(hook st) );
} );"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"
sp_wait_pol names "rb-hook,rb-reset,q-expire,q-key,st"
sm_ssh_login "$SM_USER"
sm_snapshot
bad_dropin() { printf 'NoSuchOption yes\n' >"$T/etc/sshd_config.d/50-bad.conf"; }
# fire_of POLICY N: the Nth sshmedic-policy-fire record of POLICY.
fire_of() {
	grep '"op": *"sshmedic-policy-fire"' "$T/events.json" |
	    grep -F "; policy $1 acts" | sed -n "$2p"
}

# 1. Two rollbacks: each fires both policies once; rb-reset's
# reset_config finds the known-good generation there and changes nothing.
rb0=$(sm_count_op sshmedic-config-rollback)
for i in 1 2; do
	sm_break "bad drop-in $i" bad_dropin
	sm_wait_for sp_pol_is fired $((2 * i)) || sm_fail "1.$i: fired $(sp_pol fired)"
	[ "$(sp_runs rb) $(sp_runs rbreset)" = "$i $i" ] ||
	    sm_fail "1.$i: hooks ran $(sp_runs rb) and $(sp_runs rbreset) times"
	ev=$(fire_of rb-hook "$i")
	case $ev in *'"type":"RESP_EXEC"'*"the sshd configuration was rolled back to generation "*) ;; *)
		sm_fail "1.$i: fire record: $ev" ;; esac
	sm_ausearch_evid RESP_EXEC "$(sm_evid "$ev")" | grep -q 'op=sshmedic-policy-fire' ||
	    sm_fail "1.$i: audit record of the firing"
	sp_env_is rb "$i" "policy rb-hook" "" "" "$(sm_evid "$ev")"
	ev=$(grep '"op": *"sshmedic-policy-action"' "$T/events.json" |
	    grep -F "policy rb-reset: reset_config: " | sed -n "${i}p")
	case $ev in *'"res":"success"'*"is the known-good generation "*"already"*) ;; *)
		sm_fail "1.$i: reset_config: $ev" ;; esac
done
# A valid change afterwards: everything before it is done, and nothing
# rolled back or fired again.
sm_accept "valid drop-in" sh -c "printf 'MaxAuthTries 6\n' >'$T/etc/sshd_config.d/60-ok.conf'"
[ "$(sm_count_op sshmedic-config-rollback)" = $((rb0 + 2)) ] ||
    sm_fail "1: $(( $(sm_count_op sshmedic-config-rollback) - rb0 )) rollbacks for 2 breaks"
[ "$(sp_pol fired) $(sp_runs rb) $(sp_runs rbreset)" = "4 2 2" ] ||
    sm_fail "1: fired $(sp_pol fired), hooks $(sp_runs rb) $(sp_runs rbreset)"
sm_log "1: two rollbacks, each policy fired once per rollback, reset_config did not loop"

# 1b. reset_config to the vendor default: a real change made while the
# rollback is handled. The guard takes it as a new configuration: no
# second rollback, each policy fired once more.
sm_cred_policy 10-rollback "policies = (
	{ name = \"rb-hook\"; on = \"config_rollback\"; cooldown_ms = 0;
	  actions = ( $(hook rb) ); },
	{ name = \"rb-reset\"; on = \"config_rollback\"; cooldown_ms = 0;
	  actions = ( { do = \"reset_config\"; to = \"vendor\"; }, $(hook rbreset) ); }
);"
sp_reload
sm_mark sshmedic-config-rollback sshmedic-config-vendor-default sshmedic-config-valid
bad_dropin
sm_next_event sshmedic-config-rollback >/dev/null || sm_fail "1b: no rollback"
ev=$(sm_next_event sshmedic-config-vendor-default) || sm_fail "1b: no vendor default"
case "$(sm_json_field "$ev" res) $ev" in
"success "*"\"reason\":\"policy rb-reset: replaced by the vendor default "*) ;; *)
	sm_fail "1b: the vendor default's record: $ev" ;; esac
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" >/dev/null
sm_next_event sshmedic-config-valid >/dev/null || sm_fail "1b: vendor default not validated"
sm_wait_for sp_pol_is fired 6 || sm_fail "1b: fired $(sp_pol fired)"
cmp -s "$T/vendor/sshd_config" "$SSHD_CONF" || sm_fail "1b: the vendor default is not in place"
sm_accept "after the vendor default" sh -c "printf '# ok\n' >>'$SSHD_CONF'"
[ "$(sm_count_op sshmedic-config-rollback)" = $((rb0 + 3)) ] ||
    sm_fail "1b: $(( $(sm_count_op sshmedic-config-rollback) - rb0 )) rollbacks for 3 breaks"
[ "$(sp_pol fired) $(sp_runs rb) $(sp_runs rbreset)" = "6 3 3" ] ||
    sm_fail "1b: fired $(sp_pol fired), hooks $(sp_runs rb) $(sp_runs rbreset)"
sm_log "1b: reset_config to the vendor default during a rollback: no second rollback"

# 2. Requests: expire fires q-expire (never q-key), with the account in
# the hook's environment; per account and cooldown.
req() { "$SMC" -f "$SM_CONF" --json request "$@" >"$T/req.out" 2>>"$T/cli.log"; }
req_id() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["event_id"])' "$T/req.out"; }
f0=$(sp_pol fired)
req expire "$A" never || sm_fail "2: request: $(cat "$T/req.out")"
rid=$(req_id)
sm_wait_for sp_pol_is fired $((f0 + 1)) || sm_fail "2: q-expire did not fire"
ev=$(fire_of q-expire 1)
case $ev in *"request expire for $A (event $rid) processed"*) ;; *) sm_fail "2: $ev" ;; esac
sm_ausearch_evid RESP_EXEC "$(sm_evid "$ev")" >/dev/null
sp_env_is qexp 1 "policy q-expire" "$A" "" "$(sm_evid "$ev")"
req expire "$B" never || sm_fail "2: request: $(cat "$T/req.out")"
sm_wait_for sp_pol_is fired $((f0 + 2)) || sm_fail "2: q-expire did not fire for $B"
sp_env_is qexp 2 "policy q-expire" "$B" "" "$(sm_evid "$(fire_of q-expire 2)")"
s0=$(sp_pol suppressed)
req expire "$A" never || sm_fail "2: request: $(cat "$T/req.out")"
sm_wait_for sp_pol_is suppressed $((s0 + 1)) || sm_fail "2: $A again not suppressed"
[ "$(sp_runs qexp) $(sp_runs qkey)" = "2 0" ] ||
    sm_fail "2: hooks ran $(sp_runs qexp) and $(sp_runs qkey) times"
[ -z "$(fire_of q-key 1)" ] || sm_fail "2: q-key fired: $(fire_of q-key 1)"
[ "$(chage -l "$A" | sed -n 's/^Account expires[[:space:]]*:[[:space:]]*//p')" = never ] ||
    sm_fail "2: $A's expiry"
sm_log "2: expire requests fired q-expire for $A and $B (once each), never q-key"

# 3. sshd killed, its port held: every failed start is a trigger, the
# policy fires once and is held back by its cooldown after that.
old=$(sm_sshd_pid) || sm_fail "3: sshd not running"
s3=$(sp_pol suppressed)
sm_mark sshmedic-sshd-start sshmedic-sshd-failing sshmedic-policy-suppressed
sm_take_port "$old"
holder=$SM_HOLDER
failed_starts() {
	[ $(( $(sm_count_op sshmedic-sshd-start) + $(sm_count_op sshmedic-sshd-failing) -
	    SM_MARKS[sshmedic-sshd-start] - SM_MARKS[sshmedic-sshd-failing] )) -ge "$1" ]
}
sm_wait_for failed_starts 3 || sm_fail "3: not three failed starts"
sup_ge() { [ "$(sp_pol suppressed)" -ge "$1" ]; }
sm_wait_for sup_ge $((s3 + 2)) || sm_fail "3: not suppressed: $(sp_pol suppressed)"
[ "$(sp_runs st)" = 1 ] || sm_fail "3: the hook ran $(sp_runs st) times"
ev=$(fire_of st 1)
case $ev in *"sshd failed to start (ladder step "*) ;; *) sm_fail "3: $ev" ;; esac
sm_ausearch_evid RESP_EXEC "$(sm_evid "$ev")" >/dev/null
sp_env_is st 1 "policy st" "" "" "$(sm_evid "$ev")"
[ "$(sp_count_reason sshmedic-policy-suppressed "policy st: sshd failed to start")" = 1 ] ||
    sm_fail "3: $(sp_count_reason sshmedic-policy-suppressed "policy st:") suppression records"
kill "$holder"
wait "$holder" 2>/dev/null
sm_wait_for sm_sshd_new_pid "$old" >/dev/null || sm_fail "3: sshd not back"
sm_ssh_login "$SM_USER"
[ "$(sp_runs st)" = 1 ] || sm_fail "3: the hook ran $(sp_runs st) times"
sm_log "3: failed sshd starts fired st once, then its cooldown held"

sm_pass
