#!/bin/sh
# The event socket's hold-off (watchdog/events.h): where the socket's
# queue is long (net.unix.max_dgram_qlen 512, as systemd sets it at boot)
# a burst of datagrams is read on 1 ms deadlines with the socket out of
# the epoll set, so senders do not wake the daemon once per event; every
# datagram is still read, and once the burst is over the socket is back in
# the set (the next lone event is read from epoll's wakeup). Where the
# queue is the kernel's old default of 10 there is no hold-off: every
# wakeup reads. The sysctl is the machine's; it is put back at the end.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

QLEN=/proc/sys/net/unix/max_dgram_qlen
sm_need_root
sm_need_tools python3
[ -w "$QLEN" ] || sm_fail "$QLEN not writable: the hold-off cannot be tested"
QLEN0=$(cat "$QLEN")
sm_sandbox
sm_start_sshd
SOCK=$T/smrun/event.sock

# Put the machine's value back whatever happens (sm_cleanup runs first).
restore_qlen() { echo "$QLEN0" >"$QLEN"; }
trap 'rc=$?; restore_qlen; (exit $rc); sm_cleanup' EXIT
trap 'exit 130' INT TERM

cat >"$T/send.py" <<'PY'
import socket, sys

def ev(user, i):
    return ("SMEV 1\nkind=auth_fail\nuser=%s\nrhost=198.51.100.%d\n"
            "service=sshd\nmethod=\nkey=\npid=1\ncode=0\n"
            % (user, i % 200)).encode()

# Blocking: the kernel holds the sender while the queue is full, so every
# datagram reaches the queue and the daemon must read each one.
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[1])
for i in range(int(sys.argv[2])):
    s.send(ev("holdoff%d" % (i % 50), i))
PY
send() { python3 "$T/send.py" "$SOCK" "$1"; }

# run QLEN: a daemon started with that queue length; leaves it running.
run() {
	echo "$1" >"$QLEN"
	SM_CONF=
	sm_write_conf
	sm_start_daemon
	echo "$QLEN0" >"$QLEN"
	sm_wait_field "$1" events_queue
}

# --- 1. queue 10: no hold-off, every read from a wakeup ------------------
run 10
sm_wait_field 0 events_holdoff_ms
send 3000 || sm_fail "1: send"
sm_wait_field 3000 events_received
[ "$(sm_jget events_deadline_reads)" = 0 ] ||
    sm_fail "1: $(sm_jget events_deadline_reads) deadline reads without a hold-off"
[ "$(sm_jget events_parked)" = 0 ] || sm_fail "1: parked"
[ "$(sm_jget events_lost)" = 0 ] || sm_fail "1: lost $(sm_jget events_lost)"
w1=$(sm_jget events_wakeups)
sm_log "1: queue 10: no hold-off, 3000 datagrams in $w1 wakeups"
sm_stop_daemon

# --- 2. queue 512: a burst read on deadlines ------------------------------
run 512
sm_wait_field 1 events_holdoff_ms
sm_wait_field 0 events_wakeups
send 3000 || sm_fail "2: send"
sm_wait_field 3000 events_received
[ "$(sm_jget events_lost)" = 0 ] || sm_fail "2: lost $(sm_jget events_lost)"
[ "$(sm_jget events_rejected)" = 0 ] || sm_fail "2: rejected"
# The burst ends: a read finds the queue empty and puts the socket back.
sm_wait_field 0 events_parked
w2=$(sm_jget events_wakeups)
d2=$(sm_jget events_deadline_reads)
[ "$d2" -ge 1 ] || sm_fail "2: no deadline read ($w2 wakeups)"
# Each wakeup is followed by at least one deadline read; a burst that
# woke the daemon per datagram would show ~3000 wakeups (part 1's path).
[ "$w2" -le "$d2" ] || sm_fail "2: $w2 wakeups > $d2 deadline reads"
[ $((w2 * 10)) -lt 3000 ] || sm_fail "2: $w2 wakeups for 3000 datagrams"
sm_log "2: queue 512: 3000 datagrams in $w2 wakeups and $d2 deadline reads"

# --- 3. idle again: a lone event is read from epoll's wakeup --------------
send 1 || sm_fail "3: send"
sm_wait_field 3001 events_received
sm_wait_field 0 events_parked
w3=$(sm_jget events_wakeups)
[ "$w3" = $((w2 + 1)) ] ||
    sm_fail "3: wakeups $w2 -> $w3 for one event after the burst"
sm_log "3: the socket is back in the epoll set after the burst"

sm_pass
