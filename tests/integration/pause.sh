#!/bin/sh
# sshmedic pause / resume: a broken edit made while paused is left alone; the
# pause ends by itself and the edit is then rolled back; the pause survives
# a daemon restart, is recorded when the daemon is down, and bad durations
# are usage errors.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

sg_need_python
sm_setup_guarded
E=$T/etc
BAD=$E/sshd_config.d/50-bad.conf

# 1. Bad durations are usage errors (64) and change nothing.
for d in 0 abc -5 10x 500ms 0s 8d 99999999999999999999 "" 1.5s " 30s"; do
	sg_expect_exit 64 "pause '$d'" sg_cli pause "$d"
done
sg_expect_exit 64 "pause with two arguments" sg_cli pause 1m 2m
sm_no_op sshmedic-guard-pause
sm_log "bad durations refused with 64"

# 2. Pause 3 s; a broken edit is kept while paused, then rolled back once
# the pause ends by itself.
sm_mark sshmedic-guard-pause sshmedic-guard-resume sshmedic-config-rollback
sg_cli pause 3s >"$T/cmd.out" || sm_fail "pause 3s failed: $(cat "$T/cmd.out")"
pev=$(sm_next_event sshmedic-guard-pause) || sm_fail "no guard-pause event"
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$pev")" >/dev/null
sg_state_is paused || sm_fail "status is not paused: $(sg_cli status)"
t_edit=$(sm_now_ms)
echo 'NoSuchDirectivePaused yes' >"$BAD"
# The edit is seen by the daemon: the status's closure (read by the daemon)
# lists it, and the debounce (50 ms) is far shorter than the pause.
sm_wait_for sg_closure_has "$BAD" ||
    sm_fail "daemon does not see the new drop-in"
rev=$(sm_next_event sshmedic-guard-resume) || sm_fail "pause did not end"
t_resume=$(sm_now_ms)
# Between the pause and the resume (records are written in the order of
# the daemon's decisions) there is no rejection and no rollback, although
# the broken file sat there for much longer than the debounce.
[ $((t_resume - t_edit)) -ge 1500 ] ||
    sm_fail "pause ended $((t_resume - t_edit)) ms after the edit (< 1.5 s)"
lp=$(sg_line_of sshmedic-guard-pause $((SM_MARKS[sshmedic-guard-pause] + 1)))
lr=$(sg_line_of sshmedic-guard-resume $((SM_MARKS[sshmedic-guard-resume] + 1)))
ops=$(sg_ops_between "$lp" "$lr")
case $ops in *rollback*|*rejected*)
	sm_fail "acted while paused: $ops" ;; esac
case $(sm_json_field "$rev" reason) in *ended*) ;; *)
	sm_fail "resume event does not say the pause ended: $rev" ;; esac
sm_log "pause 3s: broken edit left alone for $((t_resume - t_edit)) ms"
sm_expect_rollback "after the pause ended"
[ -e "$BAD" ] && sm_fail "broken drop-in still there after the pause"
sm_quarantine_has NoSuchDirectivePaused || sm_fail "not quarantined"
sm_assert_restored "after the pause ended"
sg_state_is watching || sm_fail "state after the pause: $(sg_status state)"

# 3. The pause survives a restart of the daemon, with the same end.
sg_cli pause 60s >/dev/null || sm_fail "pause 60s failed"
sg_state_is paused || sm_fail "not paused after pause 60s"
until1=$(sg_status paused_until)
case $until1 in ''|null|*[!0-9]*) sm_fail "paused_until: '$until1'" ;; esac
now_s=$(date +%s)
[ "$until1" -ge $((now_s + 55)) ] && [ "$until1" -le $((now_s + 61)) ] ||
    sm_fail "paused_until $until1 is not 60 s from $now_s"
sg_kill_daemon TERM
sg_start_daemon_next
sg_state_is paused || sm_fail "pause lost over a restart: $(sg_cli status)"
until2=$(sg_status paused_until)
[ "$until1" = "$until2" ] ||
    sm_fail "paused_until changed over a restart: $until1 -> $until2"
sm_log "pause survived a restart (paused_until=$until2)"

# While paused after the restart, a broken edit is left alone ...
sm_mark sshmedic-config-rollback sshmedic-guard-resume
echo 'NoSuchDirectiveResume yes' >"$BAD"
sm_wait_for sg_closure_has "$BAD" ||
    sm_fail "daemon does not see the new drop-in"
grep -q NoSuchDirectiveResume "$BAD" || sm_fail "paused daemon changed the file"
# ... until `sshmedic resume`, which acts on it at once.
sg_cli resume >"$T/cmd.out" || sm_fail "resume failed: $(cat "$T/cmd.out")"
rev=$(sm_next_event sshmedic-guard-resume) || sm_fail "no resume event"
case $(sm_json_field "$rev" reason) in *request*) ;; *)
	sm_fail "resume event does not say it was requested: $rev" ;; esac
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$rev")" >/dev/null
lr=$(sg_line_of sshmedic-guard-resume $((SM_MARKS[sshmedic-guard-resume] + 1)))
[ "$(sm_count_op sshmedic-config-rollback)" = \
    "${SM_MARKS[sshmedic-config-rollback]}" ] ||
    [ "$(sg_line_of sshmedic-config-rollback \
    $((SM_MARKS[sshmedic-config-rollback] + 1)))" -gt "$lr" ] ||
    sm_fail "rolled back before the resume"
sm_expect_rollback "after sshmedic resume"
sm_assert_restored "after sshmedic resume"
sg_state_is watching || sm_fail "state after resume: $(sg_status state)"
sg_expect_exit 1 "resume when not paused" sg_cli resume

# 4. A pause given while the daemon is down is recorded and honoured at
# its start; a broken edit made meanwhile is left alone.
sg_kill_daemon TERM
sg_cli pause 60s >"$T/cmd.out" || sm_fail "pause with the daemon down failed"
grep -q 'recorded' "$T/cmd.out" ||
    sm_fail "pause with the daemon down does not say it is recorded"
echo 'NoSuchDirectiveDown yes' >"$BAD"
sm_mark sshmedic-config-rollback sshmedic-config-rejected
sg_start_daemon_next
sg_state_is paused || sm_fail "recorded pause not honoured: $(sg_cli status)"
until3=$(sg_status paused_until)
now_s=$(date +%s)
[ "$until3" -ge $((now_s + 50)) ] && [ "$until3" -le $((now_s + 61)) ] ||
    sm_fail "recorded paused_until $until3 is not ~60 s from $now_s"
grep -q NoSuchDirectiveDown "$BAD" || sm_fail "paused daemon changed the file"
sm_mark sshmedic-guard-resume
sg_cli resume >/dev/null || sm_fail "resume failed"
sm_next_event sshmedic-guard-resume >/dev/null || sm_fail "no resume event"
sm_expect_rollback "recorded pause resumed"
sm_assert_restored "recorded pause resumed"
sm_pass
