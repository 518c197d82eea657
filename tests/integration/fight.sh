#!/bin/sh
# A fight: something (config management) writes the same rejected content
# back after every rollback. After fight_limit rollbacks the guard backs off
# and reports RESP_ANOMALY instead of looping; sshd keeps serving what it
# loaded; when the backoff ends it rolls back again, and a further return
# of the same content backs off again, for twice as long.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

BACKOFF=4000
SM_GUARD_EXTRA="fight_limit = 2; fight_backoff_ms = $BACKOFF;"
sg_need_python
sm_setup_guarded
E=$T/etc
F=$E/sshd_config.d/60-managed.conf
BROKEN='# managed by cfgmgmt
PermitRootLogin sometimes'

# The config-management run: the same broken content again.
cm_run() { printf '%s\n' "$BROKEN" >"$F"; }

# 1. Two rollbacks, each undone by the next run.
for k in 1 2; do
	sm_mark sshmedic-config-rollback
	cm_run
	sm_expect_rollback "run $k" >/dev/null
	sm_assert_restored "run $k"
done
sm_no_op sshmedic-config-fight

# 2. The third run: a fight, reported as RESP_ANOMALY; no rollback.
sm_mark sshmedic-config-fight sshmedic-config-rollback
cm_run
fev=$(sm_next_event sshmedic-config-fight) || sm_fail "no fight event"
t_fight=$(sg_ev_ms "$fev")
[ "$(sm_json_field "$fev" res)" = failed ] || sm_fail "fight res: $fev"
[ "$(sm_json_field "$fev" type)" = RESP_ANOMALY ] || sm_fail "fight type: $fev"
rec=$(sm_ausearch_evid RESP_ANOMALY "$(sm_evid "$fev")")
case $rec in *op=sshmedic-config-fight*) ;; *)
	sm_fail "RESP_ANOMALY record: $rec" ;; esac
sm_log "fight reported: $(sm_json_field "$fev" reason)"
sg_state_is fight || sm_fail "state is not fight: $(sg_status state)"
# sshd never loaded the broken file: it still serves, the admin logs in.
sm_sshd_up || sm_fail "sshd not serving during the fight"
sm_ssh_login "$SM_USER"
# Config management keeps at it: still no rollback during the backoff.
cm_run
sg_absent_for $(( t_fight + BACKOFF - 400 - $(sm_now_ms) )) \
    sshmedic-config-rollback
[ "$(cat "$F")" = "$BROKEN" ] || sm_fail "file changed during the backoff"
sg_state_is fight || sm_fail "state during backoff: $(sg_status state)"

# 3. The backoff ends: rolled back again.
rb=$(sm_next_event sshmedic-config-rollback) ||
    sm_fail "no rollback after the backoff ended"
t_rb=$(sg_ev_ms "$rb")
[ $((t_rb - t_fight)) -ge $((BACKOFF - 50)) ] ||
    sm_fail "rolled back $((t_rb - t_fight)) ms after the fight (< backoff)"
sm_expect_rollback "after the backoff" >/dev/null
sm_assert_restored "after the backoff"
sg_state_is watching || sm_fail "state after the backoff: $(sg_status state)"
sm_log "rolled back $((t_rb - t_fight)) ms after the fight event"

# 4. It comes back once more: backing off again, twice as long.
sm_mark sshmedic-config-fight sshmedic-config-rollback
cm_run
fev=$(sm_next_event sshmedic-config-fight) || sm_fail "no second fight event"
case $(sm_json_field "$fev" reason) in *" $((2 * BACKOFF / 1000)) s"*) ;; *)
	sm_fail "second backoff is not $((2 * BACKOFF / 1000)) s: $fev" ;; esac
sm_ssh_login "$SM_USER"
[ "$(sm_count_op sshmedic-config-rollback)" = \
    "${SM_MARKS[sshmedic-config-rollback]}" ] ||
    sm_fail "rolled back although backing off"

# 5. The admin settles it: removing the file ends the fight at once.
sm_mark sshmedic-config-changed
rm -f "$F"
sm_wait_for sg_state_is watching || sm_fail "fight not over: $(sg_status state)"
sm_assert_restored "fight settled"
sm_ssh_login "$SM_USER"
sm_pass
