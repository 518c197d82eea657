#!/bin/sh
# Without -D (no service manager, or a plain init script) sshmedicd detaches
# into its own session, writes and locks paths.run/sshmedicd.pid, guards as
# in the foreground, and stops cleanly on SIGTERM.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_sandbox
sm_start_sshd
sm_need_daemon
sm_ensure_auditd
sm_write_conf
PIDF=$T/smrun/sshmedicd.pid
sm_mark sshmedic-daemon-start sshmedic-config-baseline
"$SMD" -f "$SM_CONF" </dev/null >/dev/null 2>&1 ||
    sm_fail "sshmedicd without -D did not return 0"
sm_next_event sshmedic-daemon-start >/dev/null || sm_fail "no start event"
sm_wait_for test -s "$PIDF" || sm_fail "no pidfile $PIDF"
pid=$(cat "$PIDF")
SM_DAEMON_PID=$pid		# the harness's cleanup stops it
# setsid then a second fork: its own session, and it can never get a
# controlling terminal back (it is not the session leader).
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ] ||
    sm_fail "detached daemon $pid stayed in the test's session"
[ "$(ps -o tty= -p "$pid" | tr -d ' ')" = "?" ] ||
    sm_fail "detached daemon $pid kept a terminal"
sm_next_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"
# A second instance is refused while the pidfile is locked.
"$SMD" -f "$SM_CONF" -D >"$T/second.out" 2>&1
rc=$?
[ "$rc" = 75 ] || sm_fail "second instance exit $rc, want 75"
grep -q "already running" "$T/second.out" || sm_fail "no 'already running'"
# It guards like the foreground daemon.
sm_snapshot
sm_break "detached: bad directive" \
    sh -c "echo 'NoSuchDirectiveDetach yes' >'$T/etc/sshd_config.d/60-bad.conf'"
sm_mark sshmedic-daemon-stop
kill -TERM "$pid"
sm_next_event sshmedic-daemon-stop >/dev/null || sm_fail "no stop event"
SM_DAEMON_PID=
sm_wait_for sm_gone "$pid" || sm_fail "detached daemon did not stop"
sm_pass
