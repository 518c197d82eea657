#!/bin/sh
# sshmedicd itself killed (-9) and started again: (1) while sshd is up it
# adopts the running master (same pid, no second sshd); (2) while sshd is
# down it starts sshd; (3) in the middle of the ladder (step 5, failing) the
# step persisted in the store is resumed and reported, and once a person
# fixes the closure sshd serves and the ladder is idle again.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_tools python3
sm_sandbox
sm_start_sshd
SM_DEBOUNCE_MS=60000
sm_write_conf
sm_conf_start_stderr
sm_conf_set probe interval_ms 300
sm_conf_set probe timeout_ms 500
sm_conf_set restart backoff_ms 200
sm_conf_set restart backoff_max_ms 400
sm_conf_set restart burst 100
sm_conf_set restart vendor_default false
sm_start_guard

kill_daemon() {
	local p=$SM_DAEMON_PID
	SM_DAEMON_PID=
	kill -KILL "$p"
	sm_wait_for sm_gone "$p" || sm_fail "sshmedicd $p survived SIGKILL"
	wait "$p" 2>/dev/null
}
ops_since() { echo $(( $(sm_count_op "$1") - ${SM_MARKS[$1]} )); }

# 1. sshd up: adopted, not started again.
pid=$(sm_sshd_pid)
kill_daemon
sm_mark sshmedic-sshd-start sshmedic-sshd-died
sm_start_daemon
sm_wait_for -t 10 sh -c "grep -q 'holding sshd master pid $pid' '$T/daemon.log'" ||
    sm_fail "1: the running master $pid was not adopted"
# It watches the adopted master: a probe round passes, nothing restarts it.
conns() { grep -c 'Connection from 127.0.0.1' "$T/sshd.log" || true; }
c0=$(conns)
sm_wait_for -t 10 sh -c "[ \$(grep -c 'Connection from 127.0.0.1' '$T/sshd.log') -ge $((c0 + 3)) ]" ||
    sm_fail "1: no probes of the adopted master"
[ "$(sm_sshd_pid)" = "$pid" ] || sm_fail "1: master changed: $(sm_sshd_pid)"
[ "$(sm_sshd_masters | wc -l)" = 1 ] ||
    sm_fail "1: sshd masters: $(sm_sshd_masters | tr '\n' ' ')"
[ "$(ops_since sshmedic-sshd-start)" = 0 ] || sm_fail "1: sshd was started"
[ "$(ops_since sshmedic-sshd-died)" = 0 ] || sm_fail "1: a death was seen"
sm_ssh_login "$SM_USER"
# ...and it still sees a death of the adopted master at once.
sm_mark sshmedic-sshd-died sshmedic-sshd-start
kill -KILL "$pid"
ev=$(sm_expect_event sshmedic-sshd-died failed SERVICE_STOP) || exit 1
case $ev in *"pid $pid exited"*) ;; *) sm_fail "1: death: $ev" ;; esac
sm_expect_event sshmedic-sshd-start success SERVICE_START >/dev/null
sm_wait_for sm_sshd_new_pid "$pid" >/dev/null || sm_fail "1: sshd not back"
sm_ssh_login "$SM_USER"
sm_log "1: adopted pid $pid without a second sshd"
# sshmedicd runs SCHED_BATCH at nice -10 (when started at 0); the sshd it
# started runs as sshmedicd was started: SCHED_OTHER, the starter's nice.
ni() { ps -o ni= -p "$1" | tr -d ' '; }
cls() { ps -o cls= -p "$1" | tr -d ' '; }
base=$(ni $$)
want=$base
[ "$base" != 0 ] || want=-10
np=$(sm_sshd_pid)
[ "$(ni "$SM_DAEMON_PID")" = "$want" ] &&
    [ "$(cls "$SM_DAEMON_PID")" = B ] ||
    sm_fail "1: sshmedicd nice $(ni "$SM_DAEMON_PID") class $(cls "$SM_DAEMON_PID"), want $want B"
[ "$(ni "$np")" = "$base" ] && [ "$(cls "$np")" = TS ] ||
    sm_fail "1: sshd nice $(ni "$np") class $(cls "$np"), want $base TS"
sm_log "1: sshmedicd at nice $want SCHED_BATCH, the sshd it started at $base SCHED_OTHER"

# 2. sshd down while sshmedicd is down: started at sshmedicd's start.
pid=$(sm_sshd_pid)
kill_daemon
kill -KILL "$pid"
sm_wait_for sm_gone "$pid" || sm_fail "2: sshd survived"
sm_mark sshmedic-sshd-start sshmedic-sshd-died
sm_start_daemon
ev=$(sm_expect_event sshmedic-sshd-died failed SERVICE_STOP) || exit 1
case $ev in *"not running at sshmedicd start"*) ;; *)
	sm_fail "2: death at start: $ev" ;; esac
sm_expect_event sshmedic-sshd-start success SERVICE_START >/dev/null
sm_wait_for sm_sshd_new_pid "$pid" >/dev/null || sm_fail "2: sshd not started"
[ "$(sm_sshd_masters | wc -l)" = 1 ] || sm_fail "2: several sshd masters"
sm_ssh_login "$SM_USER"
sm_log "2: sshd started by the new sshmedicd"

# 3. In the middle of the ladder: a closure no rung can fix, step 5.
pid=$(sm_sshd_pid)
sm_mark sshmedic-sshd-failing
find "$T/state/blobs" -type f -exec sh -c 'echo garbage >"$1"' sh {} \;
echo 'MaxAuthTries lots' >>"$SSHD_CONF"
kill -KILL "$pid"
sm_wait_event sshmedic-sshd-failing $(( ${SM_MARKS[sshmedic-sshd-failing]} + 2 )) \
    >/dev/null || sm_fail "3: not at step 5"
kill_daemon
state_step() {
	grep -rhs '' "$T/state/guard.state" 2>/dev/null | grep -o 'ladder_step[^0-9]*[0-9]*' |
	    grep -o '[0-9]*$'
}
[ "$(state_step)" = 5 ] || sm_fail "3: ladder_step not persisted: $(cat "$T/state/guard.state")"
sm_mark sshmedic-sshd-failing sshmedic-sshd-start
sm_start_daemon
sm_wait_for -t 10 grep -q 'resuming the ladder at step 5' "$T/daemon.log" ||
    sm_fail "3: the ladder was not resumed"
ev=$(sm_expect_event sshmedic-sshd-failing failed SERVICE_START) || exit 1
case $ev in *"ladder step 5"*MaxAuthTries*) ;; *)
	sm_fail "3: first try after the restart: $ev" ;; esac
[ "$(ops_since sshmedic-sshd-start)" = 0 ] ||
    sm_fail "3: the ladder started again from step 1"
[ "$(sm_status_field ladder_step)" = 5 ] ||
    sm_fail "3: status ladder_step $(sm_status_field ladder_step)"
sed -i '/MaxAuthTries lots/d' "$SSHD_CONF"
sm_wait_for sm_sshd_new_pid "$pid" >/dev/null || sm_fail "3: sshd not back"
ev=$(sm_wait_for sm_last_start_ok >/dev/null && sm_last_start_ok) ||
    sm_fail "3: last start: $ev"
sm_ausearch_evid SERVICE_START "$(sm_evid "$ev")" >/dev/null
sm_ssh_login "$SM_USER"
[ "$(sm_status_field ladder)" = idle ] || sm_fail "3: ladder not idle"
[ -z "$(state_step)" ] || sm_fail "3: ladder_step still stored: $(state_step)"
sm_log "3: resumed at step 5, fixed by hand, sshd serves"
sm_pass
