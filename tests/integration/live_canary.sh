#!/bin/sh
# The canary login (probe.canary_user with its own key): while it works no
# event is written; when it fails each failure is an audited event, a
# recovery says "canary login works again", and probe.canary_misses
# failures in a row restart sshd. The admin's login works throughout.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_sandbox
sm_start_sshd
sm_write_conf
sm_conf_set probe canary_user "\"$SM_OTHER\""
sm_conf_set probe canary_key "\"$T/client/id_ed25519\""
sm_conf_set probe canary_interval_ms 1000
sm_conf_set probe canary_misses 2
sm_start_guard
AK=$T/keys/$SM_OTHER

canary_ok() { grep -c "Accepted publickey for $SM_OTHER" "$T/sshd.log" || true; }
canary_ok_ge() { [ "$(canary_ok)" -ge "$1" ]; }

# 1. A working canary: two logins, no event.
sm_wait_for canary_ok_ge 2 || sm_fail "1: no canary login in sshd's log"
sm_no_op sshmedic-canary
sm_no_op sshmedic-sshd-died
sm_log "1: canary logs in, no event"

# 2. One failure, then the key is back: "works again".
sm_mark sshmedic-canary
mv "$AK" "$AK.off"
ev=$(sm_expect_event sshmedic-canary failed SERVICE_STOP) || exit 1
case $ev in *"canary login of $SM_OTHER failed (1/2)"*) ;; *)
	sm_fail "2: failure event: $ev" ;; esac
sm_mark sshmedic-canary
mv "$AK.off" "$AK"
ev=$(sm_expect_event sshmedic-canary success SERVICE_START) || exit 1
case $ev in *"canary login works again"*) ;; *)
	sm_fail "2: recovery event: $ev" ;; esac
sm_no_op sshmedic-sshd-died
sm_log "2: one failure reported, recovery reported"

# 3. It keeps failing: after canary_misses failures sshd is restarted.
pid=$(sm_sshd_pid)
sm_mark sshmedic-canary sshmedic-sshd-died sshmedic-sshd-start
mv "$AK" "$AK.off"
sm_wait_event sshmedic-canary $(( ${SM_MARKS[sshmedic-canary]} + 2 )) \
    >/dev/null || sm_fail "3: fewer than 2 failures"
ev=$(sm_expect_event sshmedic-sshd-died failed SERVICE_STOP) || exit 1
case $ev in *"canary login keeps failing"*) ;; *)
	sm_fail "3: death event: $ev" ;; esac
sm_expect_event sshmedic-sshd-start success SERVICE_START >/dev/null
sm_wait_for sm_sshd_new_pid "$pid" >/dev/null || sm_fail "3: sshd not restarted"
sm_ssh_login "$SM_USER"
# The key comes back: the canary logs in again and the failures stop.
works_again() { grep -c 'canary login works again' "$T/events.json" || true; }
w=$(works_again)
mv "$AK.off" "$AK"
# The failure before the restart is not forgotten: its end is reported.
sm_wait_for eval '[ "$(works_again)" -gt "$w" ]' ||
    sm_fail "3: recovery after the restart not reported"
n=$(canary_ok)
sm_mark sshmedic-canary
sm_wait_for canary_ok_ge $((n + 2)) || sm_fail "3: canary stopped"
[ "$(sm_count_op sshmedic-canary)" = "${SM_MARKS[sshmedic-canary]}" ] ||
    sm_fail "3: canary failures after the key came back"
sm_log "3: restarted after 2 failures, canary logs in again"
sm_pass
