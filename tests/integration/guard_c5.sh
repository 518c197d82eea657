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

# Deterministic: with the guard paused, sshd really serves the moved port
# (the admin's login on the probed port fails); on resume the guard must
# roll back and reload sshd itself.
sm_mark sshmedic-config-rollback sshmedic-sshd-reload
"$SMC" -f "$SM_CONF" pause 5m >/dev/null || sm_fail "sshmedic pause failed"
sm_wait_event sshmedic-guard-pause >/dev/null || sm_fail "no pause event"
sed -i "s/^Port $PORT\$/Port $NEWPORT/" "$E/sshd_config"
kill -HUP "$(sm_sshd_pid)"
sm_wait_for sh -c "! (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null" ||
    sm_fail "sshd still listens on $PORT after the move"
sm_ssh "$SM_USER" && sm_fail "login on $PORT works although sshd moved"
sm_log "paused: sshd moved to $NEWPORT, $PORT refused"
"$SMC" -f "$SM_CONF" resume >/dev/null || sm_fail "sshmedic resume failed"
ev=$(sm_next_event sshmedic-config-rollback) || sm_fail "no rollback on resume"
sm_next_event sshmedic-sshd-reload >/dev/null ||
    sm_fail "sshd not reloaded after rolling back a served bad config"
sm_wait_for sm_ssh "$SM_USER" || sm_fail "admin cannot log in after the heal"
sm_assert_restored "served move"
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" >/dev/null
sm_log "served move: rolled back, sshd reloaded, login ok"

# Without a reload: the guard refuses the change before sshd ever sees it.
sm_break "Port moved, no reload" sed -i "s/^Port $PORT\$/Port $NEWPORT/" \
    "$E/sshd_config"
# Adding a port is safe: the probed one is still listened on.
sm_accept "second Port added" \
    sh -c "printf 'Port $NEWPORT\nPort $PORT\n' >'$E/sshd_config.d/20-ports.conf'"
sm_pass
