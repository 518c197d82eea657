#!/bin/sh
# sshmedicd -t: a good sshmedic.conf passes (0); unknown keys, wrong types,
# out-of-range values and an unsafe mode are refused with 78 and FILE:LINE.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_daemon
sm_sandbox
sm_write_conf
good=$T/good.conf
cp -p "$SM_CONF" "$good"

# check_t WANT_RC NAME: runs sshmedicd -t on $SM_CONF.
check_t() {
	local rc
	"$SMD" -f "$SM_CONF" -t >"$T/t.out" 2>"$T/t.err"
	rc=$?
	[ "$rc" -eq "$1" ] ||
	    sm_fail "$2: sshmedicd -t exited $rc, want $1; stderr: $(cat "$T/t.err")"
}

# bad NAME SED-EXPR PATTERN: applies the edit to a fresh good conf; -t must
# say 78 and name the file and line of PATTERN.
bad() {
	local line
	cp -p "$good" "$SM_CONF"
	sed -i "$2" "$SM_CONF"
	line=$(grep -n -- "$3" "$SM_CONF" | head -1 | cut -d: -f1)
	[ -n "$line" ] || sm_fail "$1: test edit did not apply"
	check_t 78 "$1"
	grep -qF "$SM_CONF:$line" "$T/t.err" ||
	    sm_fail "$1: stderr lacks $SM_CONF:$line: $(cat "$T/t.err")"
	sm_log "$1: refused: $(head -1 "$T/t.err")"
}

check_t 0 "good conf"
sm_log "good conf: ok"

bad "unknown key in group" 's/^guard = {/guard = {\n\tfrobnicate_ms = 5;/' frobnicate_ms
bad "unknown top-level key" 's/^protected_users/colour = "blue";\nprotected_users/' colour
bad "port as string" "s/port = $PORT;/port = \"$PORT\";/" "port = \""
bad "port out of range" "s/port = $PORT;/port = 70000;/" "port = 70000"
bad "negative debounce" 's/debounce_ms = [0-9]*;/debounce_ms = -1;/' "debounce_ms = -1"
bad "audit as string" 's/audit = true;/audit = "yes";/' 'audit = "yes"'
bad "relative state path" "s|state = \"$T/state\";|state = \"state\";|" 'state = "state"'
bad "users not a list" "s/^protected_users = .*/protected_users = 5;/" "protected_users = 5"

# libconfig's own syntax errors also carry the line.
cp -p "$good" "$SM_CONF"
printf 'broken = [ 1, ;\n' >>"$SM_CONF"
check_t 78 "syntax error"
grep -qF "$SM_CONF:$(wc -l <"$SM_CONF")" "$T/t.err" ||
    sm_fail "syntax error: no file:line: $(cat "$T/t.err")"
sm_log "syntax error: refused: $(head -1 "$T/t.err")"

# Unsafe ownership and modes: the file is named.
for mode in 0666 0620 0602; do
	cp -p "$good" "$SM_CONF"
	chmod "$mode" "$SM_CONF"
	check_t 78 "mode $mode"
	grep -qF "$SM_CONF" "$T/t.err" ||
	    sm_fail "mode $mode: file not named: $(cat "$T/t.err")"
	sm_log "mode $mode: refused: $(head -1 "$T/t.err")"
done
cp -p "$good" "$SM_CONF"
chown "$SM_USER" "$SM_CONF"
check_t 78 "owned by $SM_USER"
sm_log "owner $SM_USER: refused: $(head -1 "$T/t.err")"

# A missing file is a config error too, and the good one still passes.
rm -f "$SM_CONF"
check_t 78 "missing file"
cp -p "$good" "$SM_CONF"
check_t 0 "good conf again"
sm_pass
