#!/bin/sh
# sshmedicd as a process: single instance, SIGHUP with a bad and a good new
# configuration, SIGTERM, and a first start on an invalid closure with no
# store (nothing changed, reported; fixed, it becomes generation 1).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

sg_need_python
sm_setup_guarded
E=$T/etc
D=$E/sshd_config.d
SOCK=$T/smrun/ctl.sock

# 1. A second instance with the same configuration: 75, "already running";
# the first keeps its socket and keeps answering.
sg_expect_exit 75 "second instance" "$SMD" -f "$SM_CONF" -D
grep -q 'already running' "$T/cmd.err" ||
    sm_fail "second instance does not say 'already running': $(cat "$T/cmd.err")"
[ -S "$SOCK" ] || sm_fail "control socket gone after the second instance"
sg_state_is watching || sm_fail "first instance does not answer"
sm_log "1: second instance refused (75)"

# 2. SIGHUP with an invalid new configuration: refused with file:line, the
# old one kept, the daemon still heals.
cp "$SM_CONF" "$T/conf.good"
sed -i 's/^\tgrace_ms = 0;/\tgrace_ms = -7;/' "$SM_CONF"
grep -q 'grace_ms = -7' "$SM_CONF" || sm_fail "2: conf not edited"
sm_mark sshmedic-daemon-reconfig
kill -HUP "$SM_DAEMON_PID"
ev=$(sm_next_event sshmedic-daemon-reconfig) || sm_fail "2: no reconfig event"
[ "$(sm_json_field "$ev" res)" = failed ] || sm_fail "2: bad conf accepted: $ev"
case $(sm_json_field "$ev" reason) in *"$SM_CONF:"[0-9]*) ;; *)
	sm_fail "2: reason without file:line: $ev" ;; esac
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" >/dev/null
sm_log "2: $(sm_json_field "$ev" reason)"
sm_break "2: heals with the old configuration" \
    sh -c "echo 'NoSuchDirectiveHup yes' >'$D/50-hup.conf'"

# 3. SIGHUP with a valid change: grace_ms = 3000 applies.
sed 's/^\tgrace_ms = 0;/\tgrace_ms = 3000;/' "$T/conf.good" >"$SM_CONF"
grep -q 'grace_ms = 3000' "$SM_CONF" || sm_fail "3: conf not edited"
sm_mark sshmedic-daemon-reconfig
kill -HUP "$SM_DAEMON_PID"
ev=$(sm_next_event sshmedic-daemon-reconfig) || sm_fail "3: no reconfig event"
[ "$(sm_json_field "$ev" res)" = success ] || sm_fail "3: good conf refused: $ev"
sm_mark sshmedic-config-rejected sshmedic-config-rollback
echo 'NoSuchDirectiveGrace yes' >"$D/50-hup.conf"
rej=$(sm_next_event sshmedic-config-rejected) || sm_fail "3: not rejected"
sg_state_is grace || sm_fail "3: new grace_ms not applied: $(sg_status state)"
rb=$(sm_next_event sshmedic-config-rollback) || sm_fail "3: no rollback"
dt=$(( $(sg_ev_ms "$rb") - $(sg_ev_ms "$rej") ))
[ "$dt" -ge 2950 ] || sm_fail "3: rolled back after $dt ms, grace is 3000"
sm_expect_rollback "3: after the new grace" >/dev/null
sm_assert_restored "3: after the new grace"
sm_log "3: grace_ms 3000 applied by SIGHUP (rollback after $dt ms)"

# 4. SIGTERM: a stop event, the socket removed, no rollback left pending.
sm_mark sshmedic-daemon-stop
sm_stop_daemon
ev=$(sm_next_event sshmedic-daemon-stop) || sm_fail "4: no stop event"
[ "$(sm_json_field "$ev" type)" = SERVICE_STOP ] || sm_fail "4: stop: $ev"
sm_ausearch_evid SERVICE_STOP "$(sm_evid "$ev")" >/dev/null
[ -e "$SOCK" ] && sm_fail "4: control socket left behind"
[ -e "$T/state/intent" ] && sm_fail "4: rollback intent left after a clean stop"
sg_expect_exit 69 "4: status with the daemon stopped" sg_cli status
sm_log "4: SIGTERM: stop event, socket removed"

# 5. First start on an invalid closure with no store: nothing changed,
# reported loudly; fixed and served, it becomes generation 1.
sed -i "s|state = \"$T/state\";|state = \"$T/state2\";|" "$SM_CONF"
grep -q "state = \"$T/state2\"" "$SM_CONF" || sm_fail "5: conf not edited"
echo 'NoSuchDirectiveFirst yes' >"$D/60-first.conf"
echo 'PermitRootLogin maybe' >>"$E/sshd_config"
before=$(cd "$E" && find . -printf '%p %y %m %s %T@\n' | LC_ALL=C sort;
    find . -type f -exec sha256sum {} + | LC_ALL=C sort)
sm_mark sshmedic-config-nobaseline sshmedic-config-baseline \
    sshmedic-config-rollback
sg_start_daemon_next
ev=$(sm_next_event sshmedic-config-nobaseline) || sm_fail "5: no nobaseline"
[ "$(sm_json_field "$ev" res)" = failed ] || sm_fail "5: nobaseline: $ev"
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" >/dev/null
sg_state_is nobaseline || sm_fail "5: state: $(sg_status state)"
after=$(cd "$E" && find . -printf '%p %y %m %s %T@\n' | LC_ALL=C sort;
    find . -type f -exec sha256sum {} + | LC_ALL=C sort)
[ "$before" = "$after" ] || sm_fail "5: files changed without a baseline"
[ "$(sm_count_op sshmedic-config-rollback)" = \
    "${SM_MARKS[sshmedic-config-rollback]}" ] || sm_fail "5: rolled back"
ls "$T/state2/gen" 2>/dev/null | grep -q . && sm_fail "5: a generation exists"
sm_ssh_login "$SM_USER"		# sshd still runs what it loaded
sm_log "5: nobaseline, nothing changed"
rm -f "$D/60-first.conf"
sed -i '/^PermitRootLogin maybe$/d' "$E/sshd_config"
sm_reload_sshd
ev=$(sm_next_event sshmedic-config-baseline) || sm_fail "5: no baseline"
[ "$(sm_json_field "$ev" gen)" = 1 ] || sm_fail "5: baseline: $ev"
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" >/dev/null
sg_state_is watching || sm_fail "5: state after baseline: $(sg_status state)"
sm_snapshot
sm_break "5: heals from the new baseline" \
    sh -c "echo 'NoSuchDirectiveAfter yes' >>'$E/sshd_config'"
sm_pass
