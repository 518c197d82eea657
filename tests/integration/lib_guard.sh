# Helpers for the guard's lifecycle tests (pause, grace, fight, store faults,
# restarts, CLI): daemon restarts, status fields, event order in the log.
#
# Sourced after lib.sh by pause.sh, grace.sh, fight.sh, kill_rollbacks.sh,
# store_faults.sh, symlink.sh, daemon.sh, cli.sh, the authlog tests and
# others (grep for lib_guard.sh).

sg_need_python() { sm_need_tools python3; }

# sg_cli ARGS...: the CLI against the sandbox's configuration.
sg_cli() { "$SMC" -f "$SM_CONF" "$@"; }

# sg_start_daemon_next: starts sshmedicd (again) and waits for the start
# event of this run, not one of an earlier run.
sg_start_daemon_next() {
	sm_need_daemon
	[ -n "${SM_CONF:-}" ] || sm_write_conf
	sm_mark sshmedic-daemon-start
	"$SMD" -f "$SM_CONF" -D -d 2>>"$T/daemon.log" &
	SM_DAEMON_PID=$!
	sm_next_event sshmedic-daemon-start >/dev/null ||
	    sm_fail "no sshmedic-daemon-start event after a restart"
}

# sg_kill_daemon [SIGNAL]: signals the daemon (default KILL) and reaps it.
sg_kill_daemon() {
	local pid=$SM_DAEMON_PID sig=${1:-KILL}
	[ -n "$pid" ] || return 0
	SM_DAEMON_PID=
	kill -"$sig" "$pid" 2>/dev/null
	sm_wait_for sm_gone "$pid" || sm_fail "sshmedicd $pid survived SIG$sig"
	wait "$pid" 2>/dev/null
	return 0
}

# sg_json_get KEY: a top-level field of the JSON object on stdin ("null"
# when absent or null); fails when stdin is not one JSON object.
sg_json_get() {
	python3 -c '
import json, sys
o = json.load(sys.stdin)
v = o.get(sys.argv[1]) if isinstance(o, dict) else None
print("null" if v is None else (str(v).lower() if isinstance(v, bool) else v))
' "$1"
}

# sg_status KEY: a field of `sshmedic --json status` (daemon up).
sg_status() {
	sg_cli --json status 2>>"$T/cli.log" | sg_json_get "$1"
}

sg_state_is() { [ "$(sg_status state 2>/dev/null)" = "$1" ]; }

# sg_json_valid: stdin parses as JSON.
sg_json_valid() {
	python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null
}

# sg_line_of OP [N]: line number in events.json of the Nth OP event (empty
# if none): the JSON log is written in the order of the daemon's decisions.
sg_line_of() {
	grep -n "\"op\": *\"$1\"" "$T/events.json" | sed -n "${2:-1}p" |
	    cut -d: -f1
}

# sg_ops_between FIRST LAST: the ops of the events strictly between two
# line numbers of events.json, one per line.
sg_ops_between() {
	sed -n "$(($1 + 1)),$(($2 - 1))p" "$T/events.json" |
	    sed -n -E 's/.*"op": *"([^"]*)".*/\1/p'
}

# sg_no_temps DIR...: no temporary files of ours are left anywhere under DIR.
sg_no_temps() {
	local left
	left=$(find "$@" -name '.sshmedic-tmp.*' 2>/dev/null | head -5)
	[ -z "$left" ] || sm_fail "temporary files left: $left"
}

# sg_expect_exit WANT WHAT CMD...: CMD must exit with status WANT.
sg_expect_exit() {
	local want=$1 what=$2 rc
	shift 2
	"$@" >"$T/cmd.out" 2>"$T/cmd.err"
	rc=$?
	[ "$rc" = "$want" ] || sm_fail "$what: exit $rc, want $want" \
	    "(stdout: $(head -c 300 "$T/cmd.out"); stderr: $(head -c 300 "$T/cmd.err"))"
}

# sg_closure_has PATH: the daemon's status lists PATH in the closure.
sg_closure_has() {
	sg_cli --json status 2>>"$T/cli.log" | python3 -c '
import json, sys
sys.exit(0 if sys.argv[1] in json.load(sys.stdin).get("closure", []) else 1)
' "$1"
}

# sg_ev_ms JSONLINE: the event's time, ms since the epoch.
sg_ev_ms() {
	printf '%s\n' "$1" | python3 -c '
import datetime, json, sys
t = json.load(sys.stdin)["time"].replace("Z", "+00:00")
print(int(datetime.datetime.fromisoformat(t).timestamp() * 1000))
'
}

# sg_absent_for MS OP: proving an absence needs time: watches the log for MS
# milliseconds (from now) and fails as soon as one more OP event appears.
sg_absent_for() {
	local end=$(( $(sm_now_ms) + $1 )) n
	n=$(sm_count_op "$2")
	while [ "$(sm_now_ms)" -lt "$end" ]; do
		[ "$(sm_count_op "$2")" = "$n" ] ||
		    sm_fail "unexpected $2: $(grep "\"op\": *\"$2\"" \
		    "$T/events.json" | tail -1)"
		sm_daemon_alive || sm_fail "sshmedicd died"
		sleep "$SM_POLL"
	done
}

# sg_authlog_guard: sandbox, sshd writing $LOG (-E, LogLevel VERBOSE),
# sshmedicd following it (authlog.file), baseline and a first login. Sets
# LOG and CNT (the counters file).
sg_authlog_guard() {
	sg_need_python
	sm_sandbox
	sm_start_sshd
	LOG=$T/sshd.log
	CNT=$T/state/counters
	SM_CONF_EXTRA="authlog = { file = \"$LOG\"; };"
	sm_write_conf
	sm_start_guard
}

# sg_wrong_login KEY...: a login of $SM_USER offering exactly these keys,
# all refused.
sg_wrong_login() { sm_ssh_refused "$SM_USER" "$@"; }
