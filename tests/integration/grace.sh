#!/bin/sh
# guard.grace_ms: a rejected edit is left alone for the grace period (the
# admin may still be editing). Fixed in time: no rollback, the fix is kept
# and promoted once sshd serves it. Not fixed: rolled back when grace runs
# out. Further broken edits do not extend grace.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

GRACE=3000
SM_GRACE_MS=$GRACE
sg_need_python
sm_setup_guarded
E=$T/etc
F=$E/sshd_config.d/40-edit.conf

# ms left until AT (epoch ms), at least 0.
left_until() { local l=$(( $1 - $(sm_now_ms) )); echo $(( l < 0 ? 0 : l )); }

# 1. Broken, then fixed within grace: never rolled back; the fix stays and
# is promoted once sshd is reloaded.
sm_mark sshmedic-config-rejected sshmedic-config-valid \
    sshmedic-config-rollback sshmedic-config-promoted
echo 'MaxAuthTries fourteen' >"$F"
rej=$(sm_next_event sshmedic-config-rejected) || sm_fail "1: not rejected"
t_rej=$(sg_ev_ms "$rej")
sg_state_is grace || sm_fail "1: state is not grace: $(sg_status state)"
grep -q fourteen "$F" || sm_fail "1: broken file touched during grace"
echo 'MaxAuthTries 4' >"$F"
sm_next_event sshmedic-config-valid >/dev/null || sm_fail "1: fix not valid"
t_fix=$(sm_now_ms)
[ $((t_fix - t_rej)) -lt $GRACE ] ||
    sm_fail "1: fix seen $((t_fix - t_rej)) ms after the rejection (test too slow)"
sg_state_is candidate || sm_fail "1: state after the fix: $(sg_status state)"
# Past the end of the grace period (+0.5 s): still no rollback.
sg_absent_for "$(left_until $((t_rej + GRACE + 500)))" sshmedic-config-rollback
[ "$(cat "$F")" = 'MaxAuthTries 4' ] || sm_fail "1: the fix was not kept"
sm_reload_sshd
pro=$(sm_next_event sshmedic-config-promoted) ||
    sm_fail "1: the fix was not promoted"
[ "$(sm_json_field "$pro" gen)" = 2 ] || sm_fail "1: promoted gen: $pro"
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$pro")" >/dev/null
sm_ssh_login "$SM_USER"
sg_state_is watching || sm_fail "1: state: $(sg_status state)"
sm_snapshot
sm_log "1: fixed within grace: kept and promoted as gen 2"

# 2. Broken and left broken: rolled back when grace runs out, not before.
sm_mark sshmedic-config-rejected sshmedic-config-rollback
echo 'MaxAuthTries sixteen' >"$F"
rej=$(sm_next_event sshmedic-config-rejected) || sm_fail "2: not rejected"
t_rej=$(sg_ev_ms "$rej")
rb=$(sm_next_event sshmedic-config-rollback) || sm_fail "2: no rollback"
t_rb=$(sg_ev_ms "$rb")
[ $((t_rb - t_rej)) -ge $((GRACE - 50)) ] ||
    sm_fail "2: rolled back $((t_rb - t_rej)) ms after rejection (< grace)"
[ $((t_rb - t_rej)) -lt $((GRACE + 1500)) ] ||
    sm_fail "2: rolled back $((t_rb - t_rej)) ms after rejection (late)"
[ "$(sm_json_field "$rb" gen)" = 2 ] || sm_fail "2: not back to gen 2: $rb"
sm_expect_rollback "2: not fixed within grace" >/dev/null
sm_assert_restored "2: not fixed within grace"
sm_quarantine_has "MaxAuthTries sixteen" || sm_fail "2: not quarantined"
sm_log "2: rolled back $((t_rb - t_rej)) ms after the rejection"

# 3. Broken edits keep coming for 2 s: grace still ends 3 s after the
# first rejection, not after the last edit.
sm_mark sshmedic-config-rejected sshmedic-config-rollback
echo 'MaxAuthTries broken-0' >"$F"
rej=$(sm_next_event sshmedic-config-rejected) || sm_fail "3: not rejected"
t_rej=$(sg_ev_ms "$rej")
i=1
while [ "$(sm_now_ms)" -lt $((t_rej + 2000)) ] && [ $i -lt 200 ]; do
	echo "MaxAuthTries broken-$i" >"$F"
	# The next edit once the daemon has judged this one.
	sm_next_event sshmedic-config-rejected >/dev/null ||
	    sm_fail "3: edit $i not rejected"
	sm_mark sshmedic-config-rejected
	i=$((i + 1))
done
last=$(sm_wait_event sshmedic-config-rejected "$(sm_count_op sshmedic-config-rejected)")
t_last=$(sg_ev_ms "$last")
[ "$(sm_count_op sshmedic-config-rollback)" = \
    "${SM_MARKS[sshmedic-config-rollback]}" ] ||
    sm_fail "3: rolled back during grace"
rb=$(sm_next_event sshmedic-config-rollback) || sm_fail "3: no rollback"
t_rb=$(sg_ev_ms "$rb")
[ $((t_rb - t_rej)) -ge $((GRACE - 50)) ] &&
    [ $((t_rb - t_rej)) -lt $((GRACE + 900)) ] ||
    sm_fail "3: rollback $((t_rb - t_rej)) ms after the first rejection" \
    "($((t_rb - t_last)) ms after the last of $i edits): grace was extended"
sm_expect_rollback "3: repeated broken edits" >/dev/null
sm_assert_restored "3: repeated broken edits"
sm_log "3: $i broken edits over $((t_last - t_rej)) ms; rollback" \
    "$((t_rb - t_rej)) ms after the first"

# 4. Broken, then undone within grace: nothing to roll back.
sm_mark sshmedic-config-rejected sshmedic-config-rollback
cp "$F" "$T/f.orig"
echo 'NoSuchDirectiveGrace yes' >>"$F"
rej=$(sm_next_event sshmedic-config-rejected) || sm_fail "4: not rejected"
t_rej=$(sg_ev_ms "$rej")
cp "$T/f.orig" "$F"
sm_wait_for sg_state_is watching || sm_fail "4: undo not noticed"
sg_absent_for "$(left_until $((t_rej + GRACE + 500)))" sshmedic-config-rollback
sm_assert_restored "4: undone within grace"
sm_ssh_login "$SM_USER"
sm_log "4: undone within grace: no rollback"
sm_pass
