#!/bin/sh
# The position in sshd's log is never stored ahead of the counters that
# hold its lines. With every write of the counters failing (their name
# taken by a directory: the rename fails), lines read are counted in
# memory and the stored position stays where the counters on disk end;
# sshmedicd killed with SIGKILL there reads those lines again at its next
# start and counts them: none lost. With writes working again, the
# position moves on.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

sg_authlog_guard
GS=$T/state/guard.state

# The offset in guard.state (authlog_pos=DEV INO OFFSET), empty if none.
stored_off() { sed -n 's/^authlog_pos=[0-9]* [0-9]* \([0-9]*\)$/\1/p' "$GS"; }
# The failures of the protected user in the counters file on disk.
disk_failures() {
	awk -v u="$SM_USER" '$1 == "u" && $2 == u { print $3 }' "$CNT" \
	    2>/dev/null
}
disk_is() { [ "$(disk_failures)" = "$1" ]; }
# Stored at or past SIZE (status probes add lines that count nothing).
stored_reaches() { local o; o=$(stored_off); [ -n "$o" ] && [ "$o" -ge "$1" ]; }
saved_is_stored() {
	sm_status_json && [ "$(sm_jget authlog saved_offset)" = "$(stored_off)" ]
}
writer_failed() { grep -c "save counters $CNT: the writer failed" "$T/daemon.log"; }
failed_since() { [ "$(writer_failed)" -ge $(($1 + 2)) ]; }

sm_wait_field following authlog state

# 1. One rejected key: counted, the counters on disk, the position stored
# past its line.
sg_wrong_login "$T/client/wrong"
sm_wait_field 1 protected_counters "$SM_USER" failures
sm_wait_for disk_is 1 || sm_fail "1: counters on disk: $(disk_failures)"
size1=$(stat -c %s "$LOG")
sm_wait_for stored_reaches "$size1" ||
    sm_fail "1: position $(stored_off) stored, the line ends before $size1"
sm_wait_for saved_is_stored || sm_fail "1: saved_offset is not guard.state's"
sm_log "1: counters and position stored"

# 2. The counters can no longer be written. Two rejected keys: counted in
# memory, each write said and counted as failed; the position stays before
# their lines (the old rule stored it within a second of reading them).
mv "$CNT" "$CNT.keep"
mkdir "$CNT"
base=$(stat -c %s "$LOG")
nfail=$(writer_failed)
sg_wrong_login "$T/client/wrong"
sg_wrong_login "$T/client/wrong"
sm_wait_field 3 protected_counters "$SM_USER" failures
sm_wait_for failed_since "$nfail" || sm_fail "2: no failed write said"
# The start of the first of those lines: the position may pass lines
# that count nothing (sshd's "Connection from"), never this one.
first=$(LC_ALL=C awk -v b="$base" -v u="$SM_USER" '
	o >= b && index($0, "Failed publickey for " u " from ") { print o; exit }
	{ o += length($0) + 1 }' "$LOG")
[ -n "$first" ] || sm_fail "2: no rejected key in $LOG after $base"
off=$(stored_off)
[ "$off" -le "$first" ] ||
    sm_fail "2: position $off stored past a line the counters on disk lack ($first)"
sm_status_json
[ "$(sm_jget counters_save_errors)" -ge 2 ] ||
    sm_fail "2: counters_save_errors $(sm_jget counters_save_errors)"
[ "$(sm_jget authlog saved_offset)" -le "$first" ] ||
    sm_fail "2: saved_offset $(sm_jget authlog saved_offset)"
[ "$(sm_jget authlog offset)" -gt "$first" ] || sm_fail "2: not read on"
sm_log "2: writes failing: position held at $off (read to $(sm_jget authlog offset))"

# 3. Killed there; the counters file as it was last written put back. The
# next run continues at the stored position and counts both lines again.
sg_kill_daemon KILL
rmdir "$CNT"
mv "$CNT.keep" "$CNT"
disk_is 1 || sm_fail "3: the kept counters hold $(disk_failures)"
sg_no_temps "$T/state"
sg_start_daemon_next
sm_wait_field 3 protected_counters "$SM_USER" failures
grep -q "from offset $off, where the last run stopped" "$T/daemon.log" ||
    sm_fail "3: did not continue at $off"
sm_log "3: after SIGKILL: the two lines counted again, none lost"

# 4. Writes work: the counters reach the disk, then the position.
sg_wrong_login "$T/client/wrong"
sm_wait_field 4 protected_counters "$SM_USER" failures
sm_wait_for disk_is 4 || sm_fail "4: counters on disk: $(disk_failures)"
size4=$(stat -c %s "$LOG")
sm_wait_for stored_reaches "$size4" ||
    sm_fail "4: position $(stored_off) stored, the line ends before $size4"
sm_log "4: counters, then the position, stored again"

sm_pass
