#!/bin/sh
# S2: the sshd master alive but not answering (SIGSTOP): the banner probe
# misses probe.misses times in a row, sshmedicd kills the stuck master and
# starts sshd again.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_sandbox
sm_start_sshd
sm_write_conf
sm_conf_set probe interval_ms 300
sm_conf_set probe timeout_ms 300
sm_conf_set probe misses 2
sm_start_guard

for i in 1 2; do
	old=$(sm_sshd_pid) || sm_fail "round $i: no sshd before SIGSTOP"
	sm_mark sshmedic-sshd-died sshmedic-sshd-start
	kill -STOP "$old"
	died=$(sm_expect_event sshmedic-sshd-died failed SERVICE_STOP) || exit 1
	case $died in *"pid $old alive but not answering"*killed*) ;; *)
		sm_fail "round $i: death event: $died" ;;
	esac
	sm_expect_event sshmedic-sshd-start success SERVICE_START >/dev/null
	sm_wait_for sm_sshd_new_pid "$old" >/dev/null ||
	    sm_fail "round $i: sshd not back with a new pid"
	# The stuck master was killed, not left stopped beside the new one.
	sm_wait_for -t 5 sm_gone "$old" || sm_fail "round $i: $old still there"
	masters=$(sm_sshd_masters | wc -l)
	[ "$masters" = 1 ] || sm_fail "round $i: $masters sshd masters"
	sm_ssh_login "$SM_USER"
	sm_log "round $i: stopped pid $old killed, $(sm_sshd_pid) serves"
done

# A master that serves is left alone: five more probes (sshd logs each
# connection at LogLevel VERBOSE) pass without a death.
sm_conns() { grep -c 'Connection from 127.0.0.1' "$T/sshd.log" || true; }
sm_conns_ge() { [ "$(sm_conns)" -ge "$1" ]; }
sm_mark sshmedic-sshd-died
pid=$(sm_sshd_pid)
sm_wait_for -t 10 sm_conns_ge $(( $(sm_conns) + 5 )) ||
    sm_fail "the probe does not connect every 300 ms"
[ "$(sm_count_op sshmedic-sshd-died)" = "${SM_MARKS[sshmedic-sshd-died]}" ] ||
    sm_fail "a serving sshd was declared dead"
[ "$(sm_sshd_pid)" = "$pid" ] || sm_fail "a serving sshd was replaced"
sm_pass
