#!/bin/sh
# Loading the policies and the limit of 10 firings in 10 minutes, driven
# by PAM datagrams sent as root to the daemon's event socket (each with an
# address of its own: on loopback sshd only ever sees 127.0.0.1). At start
# a malformed file is refused with FILE:LINE and the valid one acts; a
# reload with a refused file keeps the running set whole; the fixed set
# acts after the next one. A source_failures policy without cooldown fires
# 10 times for 10 sources; the 11th and later are suppressed with one
# record, also after a reload and a restart.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_pol.sh"

sm_need_tools python3
sm_sandbox
sm_start_sshd
sm_write_conf
sp_hook_script
SOCK=$T/smrun/event.sock
cat >"$T/send.py" <<'PY'
import socket, sys
# send.py SOCK USER RHOST: one auth_fail datagram, as pam_sshmedic.so sends.
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[1])
s.send(("SMEV 1\nkind=auth_fail\nuser=%s\nrhost=%s\nservice=sshd\n"
        "method=password\nkey=\npid=1\ncode=0\n" % tuple(sys.argv[2:4])).encode())
PY
fail_from() { python3 "$T/send.py" "$SOCK" "$1" "$2" || sm_fail "send $*"; }
received() { sp_top events_received; }
sp_top() {
	"$SMC" -f "$SM_CONF" --json status 2>>"$T/cli.log" | python3 -c '
import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
got() { [ "$(received)" -ge "$1" ]; }
# send_wait USER RHOST: one failure, and the daemon done with it.
send_wait() {
	local n
	n=$(received)
	fail_from "$1" "$2"
	sm_wait_for got $((n + 1)) || sm_fail "datagram from $2 not received"
}
pol() {
	printf '%s\n' "$2" >"$T/policies.d/$1.conf"
	chmod 0600 "$T/policies.d/$1.conf"
}
# user_pol NAME OUT: a user_failures policy of the user l7 with a hook.
user_pol() {
	printf 'policies = ( {\n\tname = "%s";\n\ton = "user_failures";\n\tusers = [ "l7" ];\n\tfailures = 1;\n\tcooldown_ms = 0;\n\tactions = ( { do = "hook"; argv = [ "%s", "%s" ]; } );\n} );\n' \
	    "$1" "$HOOK" "$T/out/$2"
}
BAD1='policies = ( {
	name = "bad";
	on = "user_failures";
	failures = 20;
	actions = ( "fix_modes" );
} );'
BAD2='policies = ( {
	name = "bad2";
	on = user_failures;
	actions = ( "fix_modes" );
} );'

# 1. At start: 10-a valid, 20-b malformed. a7 acts, 20-b is refused.
pol 10-a "$(user_pol a7 a-v1)"
pol 20-b "$BAD1"
sm_start_daemon
sp_wait_pol names a7
ev=$(sm_wait_event sshmedic-policy-refused) || sm_fail "1: no refusal record"
case $ev in *"policy file refused: $T/policies.d/20-b.conf:4: failures: 20 is out of range"*) ;; *)
	sm_fail "1: refusal: $ev" ;; esac
[ "$(sm_json_field "$ev" type) $(sm_json_field "$ev" res)" = "USYS_CONFIG failed" ] ||
    sm_fail "1: $ev"
case $(sp_audit_reason USYS_CONFIG "$(sm_evid "$ev")") in
*"20-b.conf:4: failures"*) ;; *) sm_fail "1: audit record of the refusal" ;; esac
case $(sp_pol refused) in "$T/policies.d/20-b.conf:4: failures: 20 is out of range"*) ;; *)
	sm_fail "1: status refused: $(sp_pol refused)" ;; esac
sp_wait_pol reload_refused false
send_wait l7 192.0.2.1
sm_wait_for sp_pol_is fired 1 || sm_fail "1: a7 did not fire"
[ "$(sp_runs a-v1)" = 1 ] || sm_fail "1: a7's hook ran $(sp_runs a-v1) times"
sm_log "1: at start the valid file acts, the malformed one is refused with file:line"

# 2. Reload: 10-a changed, 20-b fixed, 30-c malformed: the running set
# stays whole (the old a7 acts, b7 is not loaded), the refusal recorded.
pol 10-a "$(user_pol a7 a-v2)"
pol 20-b "$(user_pol b7 b)"
pol 30-c "$BAD2"
sm_mark sshmedic-policy-refused
sp_reload
ev=$(sm_next_event sshmedic-policy-refused) || sm_fail "2: no refusal record"
case $ev in *"policy file refused (the running policies are kept): $T/policies.d/30-c.conf:3: "*) ;; *)
	sm_fail "2: refusal: $ev" ;; esac
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" >/dev/null
sp_wait_pol names a7
sp_wait_pol reload_refused true
case $(sp_pol refused) in "$T/policies.d/30-c.conf:3: "*) ;; *)
	sm_fail "2: status refused: $(sp_pol refused)" ;; esac
send_wait l7 192.0.2.2
sm_wait_for sp_pol_is fired 2 || sm_fail "2: a7 did not fire"
[ "$(sp_runs a-v1) $(sp_runs a-v2) $(sp_runs b)" = "2 0 0" ] ||
    sm_fail "2: runs v1 $(sp_runs a-v1), v2 $(sp_runs a-v2), b $(sp_runs b)"
sm_log "2: a refused reload keeps the running set whole; the old a7 acts"

# 3. 30-c fixed: the next reload loads the new set, and it acts.
pol 30-c "$(user_pol c7 c)"
sp_reload
sp_wait_pol names "a7,b7,c7"
sp_wait_pol reload_refused false
sp_wait_pol refused ""
send_wait l7 192.0.2.3
sm_wait_for sp_pol_is fired 5 || sm_fail "3: the new set did not fire thrice"
[ "$(sp_runs a-v1) $(sp_runs a-v2) $(sp_runs b) $(sp_runs c)" = "2 1 1 1" ] ||
    sm_fail "3: runs v1 $(sp_runs a-v1), v2 $(sp_runs a-v2), b $(sp_runs b), c $(sp_runs c)"
sm_log "3: after the fix the new set acts"

# 4. The burst limit: source_failures, failures 1, no cooldown. Ten
# sources fire it ten times; the 11th is suppressed, with one record.
rm -f "$T/policies.d/"*.conf
pol 40-burst "policies = ( {
	name = \"b6\"; on = \"source_failures\";
	failures = 1; cooldown_ms = 0;
	actions = ( { do = \"hook\"; argv = [ \"$HOOK\", \"$T/out/b6\" ]; } );
} );"
sp_reload
sp_wait_pol names b6
f0=$(sp_pol fired)
sm_mark sshmedic-failures-source sshmedic-policy-suppressed
for i in 1 2 3 4 5 6 7 8 9 10; do send_wait spray "198.51.100.$i"; done
sp_wait_pol fired $((f0 + 10))
[ "$(sp_runs b6)" = 10 ] || sm_fail "4: hook ran $(sp_runs b6) times"
[ "$(cut -d'|' -f3 "$T/out/b6" | sort -u | wc -l)" = 10 ] ||
    sm_fail "4: not ten sources: $(cut -d'|' -f3 "$T/out/b6" | tr '\n' ' ')"
s0=$(sp_pol suppressed)
send_wait spray 198.51.100.11
sp_wait_pol suppressed $((s0 + 1))
ev=$(sm_next_event sshmedic-policy-suppressed) || sm_fail "4: no record"
case $ev in *"policy b6: 1 failed logins from 198.51.100.11 "*"it fired 10 times within 600 s"*) ;; *)
	sm_fail "4: suppression: $ev" ;; esac
sm_ausearch_evid RESP_ANOMALY "$(sm_evid "$ev")" >/dev/null
for i in 12 13 14; do send_wait spray "198.51.100.$i"; done
sp_wait_pol suppressed $((s0 + 4))
[ "$(sp_runs b6)" = 10 ] || sm_fail "4: hook ran $(sp_runs b6) times"
[ "$(sm_count_op sshmedic-policy-suppressed)" = $((SM_MARKS[sshmedic-policy-suppressed] + 1)) ] ||
    sm_fail "4: more than one suppression record"
[ "$(sm_count_op sshmedic-failures-source)" = $((SM_MARKS[sshmedic-failures-source] + 10)) ] ||
    sm_fail "4: decisions: $(sm_count_op sshmedic-failures-source)"
sm_log "4: 10 firings for 10 sources, the 11th to 14th suppressed, 1 record"

# 5. Neither a reload nor a restart lifts the limit.
sp_reload
send_wait spray 198.51.100.15
sp_wait_pol suppressed $((s0 + 5))
[ "$(sp_runs b6)" = 10 ] || sm_fail "5: a reload lifted the limit: $(sp_runs b6) runs"
sm_stop_daemon
sm_start_daemon
sp_wait_pol names b6
send_wait spray 198.51.100.16
sp_wait_pol suppressed 1
[ "$(sp_runs b6)" = 10 ] || sm_fail "5: a restart lifted the limit: $(sp_runs b6) runs"
sm_log "5: the limit holds over a reload and a restart"

# 6. A cooldown runs out: c6 (3 s) fires for a source, is held back with
# one record however often it is asked, fires again once 3 s have passed,
# and the next holding back is recorded again.
rm -f "$T/policies.d/40-burst.conf"
pol 50-cool "policies = ( {
	name = \"c6\"; on = \"source_failures\";
	failures = 1; cooldown_ms = 3000;
	actions = ( { do = \"hook\"; argv = [ \"$HOOK\", \"$T/out/c6\" ]; } );
} );"
sp_reload
sp_wait_pol names c6
src=203.0.113.7
send_wait spray "$src"
[ "$(sp_runs c6)" = 1 ] || sm_fail "6: c6 did not fire"
again() { send_wait spray "$src"; [ "$(sp_runs c6)" = 2 ]; }
sm_wait_for again || sm_fail "6: c6 did not fire again after its cooldown"
[ "$(sp_count_reason sshmedic-policy-suppressed "policy c6:")" = 1 ] ||
    sm_fail "6: $(sp_count_reason sshmedic-policy-suppressed "policy c6:") records in the first cooldown"
send_wait spray "$src"
[ "$(sp_runs c6)" = 2 ] || sm_fail "6: c6 fired in its second cooldown"
[ "$(sp_count_reason sshmedic-policy-suppressed "policy c6:")" = 2 ] ||
    sm_fail "6: the second cooldown's holding back is not recorded"
grep '"op": *"sshmedic-failures-source"' "$T/events.json" | grep -F "policy c6 acts" |
    python3 -c '
import datetime, json, sys
t = [datetime.datetime.fromisoformat(json.loads(l)["time"].replace("Z", "+00:00"))
     for l in sys.stdin]
sys.exit(0 if len(t) == 2 and (t[1] - t[0]).total_seconds() >= 3 else 1)' ||
    sm_fail "6: the two firings are not 3 s apart"
sm_log "6: the cooldown ran out after 3 s; one record per cooldown"

sm_pass
