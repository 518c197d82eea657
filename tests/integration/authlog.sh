#!/bin/sh
# Rejected public keys, which never reach PAM, counted from sshd's own log
# (the sandbox's sshd -E file at LogLevel VERBOSE): each offered key once,
# injected text never counted as the protected user, across a rotation
# a restart of sshmedicd, a truncation, a deleted and recreated file and
# one missing at the start exactly once; then a command source (tail -F)
# that the daemon restarts when it is killed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

sg_authlog_guard
ssh-keygen -q -t ed25519 -N '' -C wrong2 -f "$T/client/wrong2" ||
    sm_fail "second wrong key"

fails() { sm_status_json && sm_jget protected_counters "$SM_USER" failures; }
# read_all: the follower has read what the log held before the question
# (each status probes sshd's banner, which sshd logs after).
read_all() {
	local size
	size=$(stat -c %s "$LOG") || return 1
	sm_status_json && [ "$(sm_jget authlog offset)" -ge "$size" ]
}
src_has() { grep -q "^s $1 " "$CNT" 2>/dev/null; }
src_failures() { awk -v k="$1" '$1 == "s" && $2 == k { print $3 }' "$CNT"; }

sm_wait_field file authlog source
sm_wait_field following authlog state
sm_wait_field 0 authlog rejected_keys
f0=$(fails)
[ "$f0" = 0 ] || sm_fail "failures at start: $f0"

# 1. Two wrong keys offered: two lines, two failures, the source counted;
# the right key then logs in, and its Accepted line counts nothing.
sg_wrong_login "$T/client/wrong" "$T/client/wrong2"
[ "$(grep -c "Failed publickey for $SM_USER from 127.0.0.1 " "$LOG")" = 2 ] ||
    sm_fail "1: sshd did not log two rejected keys: $(cat "$LOG")"
sm_wait_field 2 protected_counters "$SM_USER" failures
sm_wait_field 2 authlog rejected_keys
sm_ssh_login "$SM_USER"
sm_wait_for read_all || sm_fail "1: the log was not read to its end"
[ "$(sm_jget authlog rejected_keys)" = 2 ] || sm_fail "1: Accepted counted"
[ "$(sm_jget protected_counters "$SM_USER" failures)" = 2 ] ||
    sm_fail "1: failures $(sm_jget protected_counters "$SM_USER" failures)"
# The counters file is written at most once a second, by a child: wait
# for the write that holds both.
src_is() { [ "$(src_failures "$1")" = "$2" ]; }
sm_wait_for src_is 127.0.0.1 2 ||
    sm_fail "1: source failures $(src_failures 127.0.0.1) saved, want 2"
sm_log "1: two rejected keys counted for $SM_USER and 127.0.0.1"

# 2. Injected: an invalid user whose name carries the protected user and
# another address. The address sshd wrote last counts; the user is the
# whole (marked) name, never the protected user.
FP=SHA256:S34DyjVcvBSZq3EtBikzVDXY32ooJeLhi3WLV/HuZtk
printf 'Failed publickey for invalid user %s from 192.0.2.99 port 22 ssh2: ED25519 %s from 198.51.100.7 port 4242 ssh2: ED25519 %s\n' \
    "$SM_USER" "$FP" "$FP" >>"$LOG"
sm_wait_field 3 authlog rejected_keys
sm_wait_field 1 authlog marked_users
[ "$(sm_jget protected_counters "$SM_USER" failures)" = 2 ] ||
    sm_fail "2: the injected line counted as $SM_USER"
sm_wait_for src_has 198.51.100.7 || sm_fail "2: the real address not counted"
src_has 192.0.2.99 && sm_fail "2: the injected address was counted"
sm_log "2: injected user text not counted as $SM_USER"

# 3. Rotation: the log moved aside; the next connection's sshd (sshd
# re-executes itself per connection, and -E opens the name) writes a new
# file under the name, read from its start after the old one to its end;
# then sshd killed and restarted by sshmedicd. Each key once.
mv "$LOG" "$LOG.1"
sg_wrong_login "$T/client/wrong"
sm_wait_field 3 protected_counters "$SM_USER" failures
old=$(sm_sshd_pid) || sm_fail "3: no sshd"
kill -KILL "$old"
sm_wait_for sm_sshd_new_pid "$old" >/dev/null || sm_fail "3: sshd not restarted"
sm_wait_for test -s "$LOG" || sm_fail "3: sshd wrote no new log"
sg_wrong_login "$T/client/wrong"
sm_wait_field 4 protected_counters "$SM_USER" failures
sm_wait_for read_all || sm_fail "3: the new file was not read to its end"
[ "$(sm_jget authlog rejected_keys)" = 5 ] ||
    sm_fail "3: rejected_keys $(sm_jget authlog rejected_keys), want 5"
[ "$(sm_jget protected_counters "$SM_USER" failures)" = 4 ] ||
    sm_fail "3: a line counted twice"
sm_log "3: rotation: lines in both files counted once"

# 4. sshmedicd restarted between two wrong-key logins, and one while it
# was down: it continues where it stopped, each line once.
sg_wrong_login "$T/client/wrong"
sm_wait_field 5 protected_counters "$SM_USER" failures
sm_stop_daemon
sg_wrong_login "$T/client/wrong"
grep -q 'where the last run stopped' "$T/daemon.log" &&
    sm_fail "4: continued before a restart?"
sg_start_daemon_next
sm_wait_field 6 protected_counters "$SM_USER" failures
grep -q 'where the last run stopped' "$T/daemon.log" ||
    sm_fail "4: did not continue at the saved offset"
sg_wrong_login "$T/client/wrong"
sm_wait_field 7 protected_counters "$SM_USER" failures
sm_wait_for read_all || sm_fail "4: the log was not read to its end"
[ "$(sm_jget protected_counters "$SM_USER" failures)" = 7 ] ||
    sm_fail "4: a line counted twice"
[ "$(sm_jget authlog rejected_keys)" = 2 ] ||
    sm_fail "4: this run counted $(sm_jget authlog rejected_keys), want 2"
sm_log "4: restart of sshmedicd: each line once"

# 5. Truncation (sshd -E appends, so : > works as logrotate's copytruncate):
# read again from the start. Then the file deleted and a new one written
# under the name (by the test: sshd keeps the deleted one): its start read.
: >"$LOG"
sg_wrong_login "$T/client/wrong"
sm_wait_field 8 protected_counters "$SM_USER" failures
# The size said is what the daemon saw: 0, or more when sshd had already
# written the next connection's lines when it looked.
grep -Eq "sshd\.log shrank to [0-9]+ bytes \(read to [0-9]+\)" "$T/daemon.log" ||
    sm_fail "5: truncation not said"
rm -f "$LOG"
printf 'Failed publickey for %s from 192.0.2.40 port 40 ssh2: ED25519 %s\n' \
    "$SM_USER" "$FP" >"$LOG.new"
mv "$LOG.new" "$LOG"
sm_wait_field 9 protected_counters "$SM_USER" failures
sm_wait_for src_has 192.0.2.40 || sm_fail "5: the recreated file was not read"
sm_log "5: truncated, then deleted and recreated: each line once"

# 6. Missing at the start: waited for, read from its start once it
# appears. (Not sshd's own file: each connection's sshd, re-executed with
# -E, opens the name again and would create it; written by the test.)
sm_stop_daemon
mkdir -p "$T/later"
chmod 0755 "$T/later"
SM_CONF_EXTRA="authlog = { file = \"$T/later/auth.log\"; };"
sm_write_conf
sg_start_daemon_next
sm_wait_field waiting authlog state
printf 'Failed publickey for %s from 192.0.2.41 port 41 ssh2: ED25519 %s\n' \
    "$SM_USER" "$FP" >"$T/later/auth.log"
sm_wait_field 10 protected_counters "$SM_USER" failures
sm_wait_field following authlog state
grep -q "auth.log does not exist; waiting for it" "$T/daemon.log" ||
    sm_fail "6: not said"
sm_wait_for src_has 192.0.2.41 || sm_fail "6: its source not counted"
sm_log "6: a missing file waited for"

# 7. A command source: tail -F of the same file. Its restart is said in
# the log and with one event when it is killed.
sm_stop_daemon
SM_CONF_EXTRA="authlog = { command = [ \"/usr/bin/tail\", \"-F\", \"-n\", \"0\", \"$LOG\" ]; };"
sm_write_conf
sg_start_daemon_next
sm_wait_field command authlog source
sm_wait_field running authlog state
# tail runs: a marker line proves it reads before a key is offered.
tail_reads() {
	echo "sshmedic-test marker" >>"$LOG"
	sm_status_json && [ "$(sm_jget authlog lines)" -ge "$1" ]
}
sm_wait_for tail_reads 1 || sm_fail "7: tail does not read"
sg_wrong_login "$T/client/wrong"
sm_wait_field 11 protected_counters "$SM_USER" failures
sm_wait_field 1 authlog rejected_keys
pid=$(sm_jget authlog pid)
case $pid in ''|null|*[!0-9]*) sm_fail "7: no pid for tail: $pid" ;; esac
sm_mark sshmedic-authlog-restart
kill -KILL "$pid"
ev=$(sm_next_event sshmedic-authlog-restart) || sm_fail "7: no restart event"
[ "$(sm_json_field "$ev" res)" = failed ] || sm_fail "7: event: $ev"
sm_wait_field 1 authlog restarts
sm_wait_field running authlog state
[ "$(sm_jget authlog pid)" != "$pid" ] || sm_fail "7: the same pid"
grep -q 'was killed by signal 9' "$T/daemon.log" || sm_fail "7: not logged"
n=$(sm_jget authlog lines)
sm_wait_for tail_reads $((n + 1)) || sm_fail "7: the new tail does not read"
sg_wrong_login "$T/client/wrong"
sm_wait_field 12 protected_counters "$SM_USER" failures
sm_stop_daemon
gone() { ! pgrep -f "tail -F -n 0 $LOG" >/dev/null; }
sm_wait_for gone || sm_fail "7: tail left running after the daemon stopped"
sm_log "7: command source counted, restarted once with an event"

sm_pass
