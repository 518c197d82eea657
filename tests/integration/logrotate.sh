#!/bin/sh
# The JSON event log under the real logrotate with contrib/logrotate/sshmedic
# (its path pointed at the sandbox's log, a state file of the test's own):
# rotated eight times with -f while pause/resume requests keep sshmedicd
# writing events; afterwards every line of every file (the live one, the
# rotated ones, compressed ones included) is a whole JSON object, no event
# id appears twice, none of the requests' events is missing, the newest
# rotation created the file with mode 0600, and an event written after the
# last rotation lands in the new file, none in the rotated one.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_tools logrotate python3 zcat
sm_setup_guarded
CONF=$T/logrotate.conf
STATE=$T/logrotate.state
sed "s|^/var/log/sshmedic/events.json {|$T/events.json {|" \
    "$top_srcdir/contrib/logrotate/sshmedic" >"$CONF"
grep -q "^$T/events.json {" "$CONF" || sm_fail "the shipped config names no events.json"
grep -v '^[[:space:]]*#' "$CONF" | grep -qw copytruncate &&
    sm_fail "copytruncate loses lines"
chmod 0644 "$CONF"
rotate() { logrotate -f -s "$STATE" "$CONF" 2>>"$T/logrotate.err"; }
cli() { "$SMC" -f "$SM_CONF" "$@" >>"$T/cli.log" 2>&1; }

# One pause and one resume per round, each an event; counted when the
# daemon said ok (the CLI exits 0).
: >"$T/asked"
(
	for i in $(seq 1 400); do
		[ -e "$T/stop" ] && break
		cli pause 1h && echo pause >>"$T/asked"
		cli resume && echo resume >>"$T/asked"
	done
) &
W=$!
lines() { [ -f "$T/events.json" ] && [ "$(wc -l <"$T/events.json")" -ge "$1" ]; }
n=0
for r in 1 2 3 4 5 6 7 8; do
	# Wait for some lines in the live file, then rotate it away.
	sm_wait_for lines 6 || sm_fail "round $r: no new lines"
	rotate || sm_fail "round $r: logrotate: $(cat "$T/logrotate.err")"
	n=$((n + 1))
	[ -f "$T/events.json.1" ] || sm_fail "round $r: nothing rotated"
done
touch "$T/stop"
wait "$W"
ls "$T"/events.json* >"$T/files"
sm_log "$n rotations: $(tr '\n' ' ' <"$T/files")"
[ -f "$T/events.json.2.gz" ] || sm_fail "older files are not compressed"
[ ! -f "$T/events.json.1.gz" ] || sm_fail "the newest rotated file was compressed at once"

# After the last rotation: the next event goes to the new file only.
sm_wait_for test -e "$T/events.json" || sm_fail "no new file"
[ "$(stat -c %a "$T/events.json")" = 600 ] ||
    sm_fail "new file mode $(stat -c %a "$T/events.json")"
before1=$(wc -l <"$T/events.json.1")
sm_mark sshmedic-guard-pause
cli pause 1h && echo pause >>"$T/asked"
ev=$(sm_next_event sshmedic-guard-pause) || sm_fail "no event after the rotation"
[ "$(wc -l <"$T/events.json.1")" = "$before1" ] ||
    sm_fail "a line written after the rotation went to the rotated file"
cli resume && echo resume >>"$T/asked"
sm_wait_for sm_has_n_op sshmedic-guard-resume 1 || sm_fail "no resume event"

# Every file, every line: whole JSON, ids unique, every request's event.
for f in $(cat "$T/files"); do zcat -f "$f"; done >"$T/all.json"
python3 - "$T/all.json" "$T/asked" <<'PY' >"$T/count.out" 2>&1 ||
import json, sys
ids, ops = set(), {"sshmedic-guard-pause": 0, "sshmedic-guard-resume": 0}
for n, line in enumerate(open(sys.argv[1]), 1):
    ev = json.loads(line)          # a cut or joined line fails here
    if ev["id"] in ids:
        sys.exit("event %s twice (line %d)" % (ev["id"], n))
    ids.add(ev["id"])
    if ev["op"] in ops and ev["res"] == "success":
        ops[ev["op"]] += 1
asked = [l.strip() for l in open(sys.argv[2])]
want = {"sshmedic-guard-pause": asked.count("pause"),
        "sshmedic-guard-resume": asked.count("resume")}
if ops != want:
    sys.exit("events %s, requests answered %s" % (ops, want))
print("%d events, %d pauses and %d resumes, each once" %
      (len(ids), want["sshmedic-guard-pause"], want["sshmedic-guard-resume"]))
PY
    sm_fail "$(cat "$T/count.out")"
sm_log "$(cat "$T/count.out")"
sm_pass
