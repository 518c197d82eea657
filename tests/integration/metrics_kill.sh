#!/bin/sh
# metrics.textfile is never partial: while state changes are hammered
# (pause, resume) and a reader parses the file without pause, sshmedicd and
# its writing child are killed with SIGKILL the moment a write begins (its
# temporary created, seen with inotify), round after round: the file always
# parses whole, a killed write leaves at most its temporary, which is
# removed at the next start, and the next daemon's values replace the old;
# after a clean stop no temporary is left at all.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

PY=/usr/bin/python3
PROM=$top_srcdir/tests/integration/prom.py
ROUNDS=${SM_KILL_ROUNDS:-12}
MAX_ROUNDS=40
sm_need_tools "$PY" setsid
"$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
    sm_skip "python3-prometheus-client is not installed"

sm_sandbox
# On a disk, not /run's tmpfs: there an fsync takes no time and a kill
# could hardly land inside a write.
D=$(mktemp -d /var/tmp/sshmedic-metrics.XXXXXX) || sm_fail "mktemp"
mk_cleanup() {
	local rc=$?
	touch "$D/stop" 2>/dev/null
	[ -n "${HAMMER:-}" ] && kill "$HAMMER" 2>/dev/null
	[ -n "${READER:-}" ] && wait "$READER" 2>/dev/null
	rm -rf -- "$D"
	( exit "$rc" )
	sm_cleanup
}
trap mk_cleanup EXIT
chmod 0755 "$D"
F=$D/sshmedic.prom
sm_start_sshd
sm_write_conf
sm_conf_set metrics textfile "\"$F\""
sm_conf_set metrics interval_ms 1000
sm_start_guard
sm_wait_for test -s "$F" || sm_fail "no metrics file"

cli() { "$SMC" -f "$SM_CONF" "$@" >/dev/null 2>&1; }
# State changes for as long as the test runs (bounded): each pause and
# resume is an event and a guard state change, each asks for a write.
(
	end=$(( $(date +%s) + 300 ))
	while [ ! -e "$D/stop" ] && [ "$(date +%s)" -lt "$end" ]; do
		cli pause 1h
		cli resume
	done
) &
HAMMER=$!
"$PY" "$PROM" hammer "$F" 300 "$D/stop" >"$T/reader.out" 2>"$T/reader.err" &
READER=$!

temps() { find "$D" -maxdepth 1 -name '.sshmedic-tmp.*' -printf '%f\n'; }
start_time() { "$PY" "$PROM" get "$F" sshmedic_start_time_seconds; }
newer_start() { [ "$(start_time)" != "$1" ]; }

hits=0
i=0
while [ "$i" -lt "$ROUNDS" ] || { [ "$hits" -eq 0 ] && [ "$i" -lt "$MAX_ROUNDS" ]; }; do
	i=$((i + 1))
	# The next write's temporary: the daemon's process group (the daemon
	# and its writer) killed the moment it is created.
	pid=$SM_DAEMON_PID
	"$PY" "$PROM" killwrite "$D" "$pid" 10 >"$T/kill.out" 2>&1 ||
	    sm_fail "round $i: $(cat "$T/kill.out")"
	SM_DAEMON_PID=
	sm_wait_for sm_gone "$pid" || sm_fail "round $i: daemon survived SIGKILL"
	wait "$pid" 2>/dev/null
	temps >"$T/left"
	left=$(wc -l <"$T/left")
	[ "$left" -gt 0 ] && hits=$((hits + 1))
	"$PY" "$PROM" check "$F" >"$T/check.out" 2>&1 ||
	    sm_fail "round $i: after the kill: $(cat "$T/check.out")"
	old=$(start_time)
	sm_start_daemon
	sm_wait_for newer_start "$old" ||
	    sm_fail "round $i: the new daemon never replaced the file"
	# The new daemon writes on meanwhile: only the killed write's
	# temporaries must be gone.
	while read -r n; do
		[ ! -e "$D/$n" ] || sm_fail "round $i: $n left after the start"
	done <"$T/left"
	if [ "$left" -gt 0 ]; then
		grep -q "removed $left temporary files a killed writer left beside $F" \
		    "$T/daemon.log" || sm_fail "round $i: the sweep was not logged"
	fi
	"$PY" "$PROM" check "$F" >"$T/check.out" 2>&1 ||
	    sm_fail "round $i: after the start: $(cat "$T/check.out")"
done
[ "$hits" -gt 0 ] ||
    sm_fail "no kill in $i rounds landed inside a write: the test proved nothing"
sm_log "$i rounds, $hits killed inside a write (a temporary left)"

touch "$D/stop"
wait "$HAMMER" 2>/dev/null
HAMMER=
wait "$READER" 2>/dev/null
READER=
sm_stop_daemon
[ -z "$(temps)" ] || sm_fail "temporaries left after a clean stop: $(temps)"
"$PY" "$PROM" check "$F" >"$T/check.out" 2>&1 ||
    sm_fail "after the stop: $(cat "$T/check.out")"
read -r _ reads _ errors <"$T/reader.out" || sm_fail "reader: $(cat "$T/reader.err")"
[ "$errors" = 0 ] || sm_fail "the reader saw $errors bad files: $(head -5 "$T/reader.err")"
[ "$reads" -gt 100 ] || sm_fail "the reader read only $reads times"
sm_log "a reader parsed the file $reads times meanwhile, never a bad one"
sm_pass
