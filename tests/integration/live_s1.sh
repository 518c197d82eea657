#!/bin/sh
# S1: the sshd master killed (kill -9, as the OOM killer does), several times
# in a row: sshmedicd sees the death through its pidfd at once, starts sshd
# again, and each death and start is an audit record.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_sandbox
sm_start_sshd
sm_write_conf
# No banner probe: the pidfd alone must see each death.
sm_conf_set probe interval_ms 0
sm_start_guard

for i in 1 2 3 4 5; do
	old=$(sm_sshd_pid) || sm_fail "round $i: no sshd before the kill"
	sm_mark sshmedic-sshd-died sshmedic-sshd-start
	kill -KILL "$old"
	died=$(sm_expect_event sshmedic-sshd-died failed SERVICE_STOP) || exit 1
	case $died in *"pid $old exited"*) ;; *)
		sm_fail "round $i: death event does not name pid $old: $died" ;;
	esac
	started=$(sm_expect_event sshmedic-sshd-start success SERVICE_START) || exit 1
	case $(sm_json_field "$started" reason) in "sshd serves again ("*) ;; *)
		sm_fail "round $i: start reason: $started" ;;
	esac
	sm_wait_for sm_sshd_new_pid "$old" >/dev/null ||
	    sm_fail "round $i: sshd not back with a new pid"
	new=$(sm_sshd_pid)
	[ "$new" != "$old" ] || sm_fail "round $i: same pid $old"
	masters=$(sm_sshd_masters | wc -l)
	[ "$masters" = 1 ] || sm_fail "round $i: $masters sshd masters"
	sm_ssh_login "$SM_USER"
	sm_log "round $i: pid $old killed, $new serves"
done

# The daemon's counters saw every death.
sm_need_tools python3
out=$("$SMC" -f "$SM_CONF" --json status) || sm_fail "status failed"
deaths=$(printf '%s' "$out" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["sshd_deaths"])')
[ "$deaths" -ge 5 ] || sm_fail "status shows $deaths deaths: $out"
sm_no_op sshmedic-sshd-failing

# The daemon is a batch task (it never preempts the login that woke it);
# the sshd it started is a normal one (SCHED_RESET_ON_FORK).
policy() { awk '$1 == "policy" { print $3 }' "/proc/$1/sched"; }
[ "$(policy "$SM_DAEMON_PID")" = 3 ] ||
    sm_fail "sshmedicd policy $(policy "$SM_DAEMON_PID"), want 3 (SCHED_BATCH)"
[ "$(policy "$(sm_sshd_pid)")" = 0 ] ||
    sm_fail "sshd policy $(policy "$(sm_sshd_pid)"), want 0 (SCHED_OTHER)"
sm_log "sshmedicd runs SCHED_BATCH, the sshd it started SCHED_OTHER"
sm_pass
