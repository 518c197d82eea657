#!/bin/sh
# The sshmedic CLI against a running daemon and a stopped one: every command
# with and without --json (the JSON parses), promote refusing an invalid
# closure and accepting a valid one, diff between generations, rollback to
# an older generation recorded as a new one, usage errors (64), the daemon
# down (69, the store still read), and the control socket refusing non-root.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

sg_need_python
sm_need_tools runuser
sm_setup_guarded
E=$T/etc
D=$E/sshd_config.d
cp -a "$T/snap" "$T/snap1"

# ok WHAT CMD...: exit 0 expected.
ok() { sg_expect_exit 0 "$@"; }
# json_ok WHAT CMD...: exit 0 and stdout is JSON.
json_ok() {
	ok "$@"
	sg_json_valid <"$T/cmd.out" ||
	    sm_fail "$1: not JSON: $(head -c 300 "$T/cmd.out")"
}

# 1. Read-only commands, both forms.
ok "status" sg_cli status
grep -q '^state: *watching' "$T/cmd.out" || sm_fail "status: $(cat "$T/cmd.out")"
grep -q '^generation: *1$' "$T/cmd.out" || sm_fail "status: $(cat "$T/cmd.out")"
json_ok "--json status" sg_cli --json status
[ "$(sg_json_get state <"$T/cmd.out")" = watching ] || sm_fail "json status state"
[ "$(sg_json_get generation <"$T/cmd.out")" = 1 ] || sm_fail "json status gen"
json_ok "status --json" sg_cli status --json
ok "history" sg_cli history
grep -q . "$T/cmd.out" || sm_fail "history prints nothing"
json_ok "--json history" sg_cli --json history
json_ok "--json history 5" sg_cli --json history 5
ok "diff (disk = known-good)" sg_cli diff
[ -s "$T/cmd.out" ] && sm_fail "diff on an unchanged closure: $(cat "$T/cmd.out")"
json_ok "--json diff" sg_cli --json diff
ok "--help" sg_cli --help
ok "--version" sg_cli --version
grep -q '^sshmedic ' "$T/cmd.out" || sm_fail "--version: $(cat "$T/cmd.out")"
sm_log "1: status, history, diff, --help, --version"

# 2. promote: refused for an invalid closure (the guard paused so that the
# broken file stays), accepted for a valid one.
ok "pause 2m" sg_cli pause 2m
grep -q . "$T/cmd.out" || sm_fail "pause prints nothing"
echo 'MaxAuthTries lots' >"$D/20-cli.conf"
sg_expect_exit 1 "promote of an invalid closure" sg_cli promote
grep -q 'refused' "$T/cmd.out" && grep -q 'MaxAuthTries\|lots\|20-cli' "$T/cmd.out" ||
    sm_fail "promote refusal without the reason: $(cat "$T/cmd.out")"
sg_expect_exit 1 "--json promote (invalid)" sg_cli --json promote
sg_json_valid <"$T/cmd.out" || sm_fail "--json promote refusal is not JSON"
[ "$(sg_json_get ok <"$T/cmd.out")" = false ] || sm_fail "--json promote: ok"
[ "$(sg_status generation)" = 1 ] || sm_fail "refused promote made a generation"
echo 'MaxAuthTries 5' >"$D/20-cli.conf"
sm_mark sshmedic-config-promoted
ok "promote of a valid closure" sg_cli promote
grep -q 'generation 2' "$T/cmd.out" || sm_fail "promote: $(cat "$T/cmd.out")"
pro=$(sm_next_event sshmedic-config-promoted) || sm_fail "no promoted event"
[ "$(sm_json_field "$pro" gen)" = 2 ] || sm_fail "promoted: $pro"
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$pro")" >/dev/null
sg_expect_exit 1 "promote of the known-good itself" sg_cli promote
json_ok "--json resume" sg_cli --json resume
sg_state_is watching || sm_fail "state after resume: $(sg_status state)"
sm_ssh_login "$SM_USER"
sm_snapshot
cp -a "$T/snap" "$T/snap2"
sm_log "2: promote refused an invalid closure, promoted a valid one (gen 2)"

# 3. diff between generations and against the disk.
ok "diff 1 2" sg_cli diff 1 2
grep -qF "$D/20-cli.conf" "$T/cmd.out" && grep -q 'MaxAuthTries 5' "$T/cmd.out" ||
    sm_fail "diff 1 2 does not show the change: $(cat "$T/cmd.out")"
json_ok "--json diff 1 2" sg_cli --json diff 1 2
python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["files"] else 1)' \
    <"$T/cmd.out" || sm_fail "--json diff 1 2 lists no file"
ok "diff 1 (gen 1 vs disk)" sg_cli diff 1
grep -qF "$D/20-cli.conf" "$T/cmd.out" || sm_fail "diff 1: $(cat "$T/cmd.out")"
ok "diff 2 2" sg_cli diff 2 2
[ -s "$T/cmd.out" ] && sm_fail "diff 2 2 not empty: $(cat "$T/cmd.out")"

# 4. rollback 1: gen 1's files back, recorded as generation 3.
sm_mark sshmedic-config-rollback sshmedic-config-promoted
ok "rollback 1" sg_cli rollback 1
rb=$(sm_next_event sshmedic-config-rollback) || sm_fail "no rollback event"
[ "$(sm_json_field "$rb" gen)" = 1 ] || sm_fail "rollback 1: $rb"
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$rb")" >/dev/null
pro=$(sm_next_event sshmedic-config-promoted) || sm_fail "rollback 1 not recorded"
[ "$(sm_json_field "$pro" gen)" = 3 ] || sm_fail "rollback 1 recorded as: $pro"
rm -rf "$T/snap" && cp -a "$T/snap1" "$T/snap"
sm_assert_restored "rollback 1"
[ "$(sg_status generation)" = 3 ] || sm_fail "generation after rollback 1"
sm_wait_for sm_sshd_up || sm_fail "sshd not serving after rollback 1"
sm_ssh_login "$SM_USER"
ok "diff 1 3" sg_cli diff 1 3
[ -s "$T/cmd.out" ] && sm_fail "gen 3 differs from gen 1: $(cat "$T/cmd.out")"
json_ok "--json rollback 2" sg_cli --json rollback 2
[ "$(sg_json_get ok <"$T/cmd.out")" = true ] || sm_fail "--json rollback 2"
rm -rf "$T/snap" && cp -a "$T/snap2" "$T/snap"
sm_assert_restored "rollback 2"
json_ok "--json rollback (newest)" sg_cli --json rollback
sg_expect_exit 1 "rollback to a generation that does not exist" sg_cli rollback 99
sm_log "4: rollback 1 restored gen 1 and recorded gen 3"

# 5. pause / resume in JSON.
json_ok "--json pause 1m" sg_cli --json pause 1m
[ "$(sg_json_get ok <"$T/cmd.out")" = true ] || sm_fail "--json pause"
sg_state_is paused || sm_fail "not paused"
ok "resume" sg_cli resume
sg_state_is watching || sm_fail "not watching after resume"

# 6. Usage errors: 64.
for args in "" "frobnicate" "status extra" "rollback abc" "rollback 0" \
    "rollback 1 2" "diff x" "diff 1 2 3" "diff 0" "history 0" "history x" \
    "pause 1 2" "pause soon" "resume now" "promote 2" "--bogus status"; do
	# shellcheck disable=SC2086
	sg_expect_exit 64 "usage: sshmedic $args" sg_cli $args
done
sm_log "6: usage errors exit 64"

# 7. Non-root: the control socket refuses the peer even when the file
# modes would let it connect (SO_PEERCRED), and the CLI gets nothing done.
GEN=$(sg_status generation)
ROCONF=$T/conf-ro
cp "$SM_CONF" "$ROCONF"
chmod 0644 "$ROCONF"
SOCK=$T/smrun/ctl.sock
sg_expect_exit 69 "non-root status" runuser -u nobody -- "$SMC" -f "$ROCONF" status
chmod 0711 "$T/smrun"
chmod 0666 "$SOCK"
sm_mark sshmedic-guard-pause
out=$(runuser -u nobody -- python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
try:
    s.sendall(b"pause 600000\n")
    print(repr(s.recv(4096)))
except (BrokenPipeError, ConnectionResetError):
    print("closed")
' "$SOCK" 2>&1)
chmod 0700 "$T/smrun"
chmod 0600 "$SOCK"
case $out in "b''"|closed) ;; *)
	sm_fail "non-root request answered: $out" ;; esac
grep -q 'refused' "$T/daemon.log" || sm_fail "refusal not logged"
sg_state_is watching || sm_fail "non-root request changed the state"
[ "$(sm_count_op sshmedic-guard-pause)" = "${SM_MARKS[sshmedic-guard-pause]}" ] ||
    sm_fail "non-root request paused the guard"
sm_log "7: non-root refused by the control socket"

# 8. The daemon down: status says so (69) and still prints the generation;
# history and diff read the store; commands needing the daemon give 69.
sg_cli pause 10m >/dev/null || sm_fail "pause 10m"
until_up=$(sg_status paused_until)
sm_stop_daemon
sg_expect_exit 69 "status, daemon down" sg_cli status
grep -q "generation: *$GEN" "$T/cmd.out" ||
    sm_fail "status with the daemon down: $(cat "$T/cmd.out")"
sg_expect_exit 69 "--json status, daemon down" sg_cli --json status
sg_json_valid <"$T/cmd.out" || sm_fail "--json status (down) is not JSON"
[ "$(sg_json_get generation <"$T/cmd.out")" = "$GEN" ] ||
    sm_fail "--json status (down): $(cat "$T/cmd.out")"
[ "$(sg_json_get state <"$T/cmd.out")" = stopped ] ||
    sm_fail "--json status (down) state: $(cat "$T/cmd.out")"
# The same pause end, in the same unit (epoch seconds), up or down.
[ "$(sg_json_get paused_until <"$T/cmd.out")" = "$until_up" ] ||
    sm_fail "paused_until down $(sg_json_get paused_until <"$T/cmd.out") != up $until_up"
ok "resume, daemon down" sg_cli resume
sg_cli --json status 2>/dev/null | sg_json_get paused_until | grep -qx null ||
    sm_fail "resume with the daemon down did not clear the pause"
json_ok "--json history, daemon down" sg_cli --json history
ok "diff, daemon down" sg_cli diff
sg_expect_exit 69 "rollback, daemon down" sg_cli rollback
sg_expect_exit 69 "promote, daemon down" sg_cli promote
# request --help is the request's own usage (exit 0); a bad kind is usage.
"$SMC" request --help >"$T/rq.help" || sm_fail "request --help exit $?"
grep -q "request set-password USER" "$T/rq.help" || sm_fail "request --help: $(cat "$T/rq.help")"
"$SMC" -f "$SM_CONF" request format-disk 2>/dev/null
[ $? = 64 ] || sm_fail "request with an unknown kind: not a usage error"
sm_pass
