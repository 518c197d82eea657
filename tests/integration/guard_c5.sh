#!/bin/sh
# C5: ListenAddress/Port moved away from the probed address and port, and
# sshd reloaded at once (as an admin would): rolled back, sshd serves the
# known-good again, the admin logs in.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_setup_guarded
E=$T/etc
NEWPORT=$(sm_free_port) || sm_fail "no second free port"

# move WHAT SED-EXPR: edit the main file and SIGHUP sshd right away, before
# the daemon's debounce runs out, so sshd may serve the moved config.
move() {
	local pid
	pid=$(sm_sshd_pid) || sm_fail "$1: sshd not running"
	sm_mark sshmedic-config-rollback
	sed -i "$2" "$E/sshd_config"
	kill -HUP "$pid"
	sm_next_event sshmedic-config-rollback >/dev/null ||
	    sm_fail "$1: no rollback"
	sm_wait_for sm_sshd_up || sm_fail "$1: sshd does not serve on $PORT"
	sm_wait_for sm_ssh "$SM_USER" || sm_fail "$1: admin cannot log in"
	sm_assert_restored "$1"
	sm_log "$1: rolled back, login ok"
}

move "Port moved" "s/^Port $PORT\$/Port $NEWPORT/"
move "ListenAddress moved" "s/^ListenAddress 127.0.0.1\$/ListenAddress 127.0.0.2/"
move "ListenAddress with another port" \
    "s/^ListenAddress 127.0.0.1\$/ListenAddress 127.0.0.1:$NEWPORT/"

# Without a reload: the guard refuses the change before sshd ever sees it.
sm_break "Port moved, no reload" sed -i "s/^Port $PORT\$/Port $NEWPORT/" \
    "$E/sshd_config"
# Adding a port is safe: the probed one is still listened on.
sm_accept "second Port added" \
    sh -c "printf 'Port $NEWPORT\nPort $PORT\n' >'$E/sshd_config.d/20-ports.conf'"
sm_pass
