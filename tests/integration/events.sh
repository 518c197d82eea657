#!/bin/sh
# The daemon's PAM event socket: datagrams from root counted per user and
# per source; from a non-root sender, malformed or oversized, rejected and
# counted; a spray of 100 000 distinct users bounded in memory and on disk
# with the protected user's counters intact; counters kept over a restart;
# a corrupt counters file set aside, never trusted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

sg_need_python
sm_need_tools runuser
sm_sandbox
sm_start_sshd
sm_write_conf
sm_conf_set counters users 64
sm_conf_set counters sources 32
sm_start_guard
SOCK=$T/smrun/event.sock
CNT=$T/state/counters

# The run directory is 0700; let "nobody" reach the socket so that its
# credentials, not the directory, are what refuses it.
chmod 0711 "$T/smrun"
[ -S "$SOCK" ] || sm_fail "no event socket $SOCK"
[ "$(stat -c %a "$SOCK")" = 666 ] || sm_fail "socket mode $(stat -c %a "$SOCK")"

cat >"$T/send.py" <<'PY'
import socket, sys

def ev(kind, user, rhost, service="sshd"):
    return ("SMEV 1\nkind=%s\nuser=%s\nrhost=%s\nservice=%s\nmethod=\n"
            "key=\npid=1\ncode=0\n" % (kind, user, rhost, service)).encode()

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[1])
mode = sys.argv[2]
if mode == "one":		# one KIND USER RHOST COUNT
    for _ in range(int(sys.argv[6])):
        s.send(ev(sys.argv[3], sys.argv[4], sys.argv[5]))
elif mode == "svc":		# svc SERVICE KIND USER RHOST: another PAM service
    s.send(ev(sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[3]))
elif mode == "raw":		# raw: the bytes of stdin as one datagram
    s.send(sys.stdin.buffer.read())
elif mode == "big":		# over EVENT_MAX
    s.send(ev("auth_fail", "x" * 3000, ""))
elif mode == "spray":		# spray N: N distinct users, 256 sources
    for i in range(int(sys.argv[3])):
        s.send(ev("auth_fail", "spray%06d" % i,
                  "198.51.100.%d" % (i % 256)))
PY
chmod 0644 "$T/send.py"
send() { python3 "$T/send.py" "$SOCK" "$@"; }

# 1. Root: three failures and an opened session of the protected user.
sm_wait_field 0 events_received
sm_wait_field 0 events_rejected
send one auth_fail "$SM_USER" 192.0.2.7 3 || sm_fail "1: send"
send one session_open "$SM_USER" 192.0.2.7 1 || sm_fail "1: send"
sm_wait_field 4 events_received
sm_wait_field 3 protected_counters "$SM_USER" failures
[ "$(sm_jget protected_counters "$SM_USER" successes)" = 1 ] || sm_fail "1: successes"
[ "$(sm_jget protected_counters "$SM_USER" failures_since_success)" = 0 ] ||
    sm_fail "1: failures since success"
[ "$(sm_jget counters_sources)" = 1 ] || sm_fail "1: sources $(sm_jget counters_sources)"
[ "$(sm_jget events_rejected)" = 0 ] || sm_fail "1: rejected"
sm_log "1: root's datagrams counted"

# 1b. Another PAM service's events (the module in a shared common-auth:
# su, sudo) are received but not counted as SSH logins.
send svc sudo auth_fail "$SM_USER" 192.0.2.9 || sm_fail "1b: send"
sm_wait_field 5 events_received
sm_wait_field 1 events_other_service
[ "$(sm_jget protected_counters "$SM_USER" failures)" = 3 ] ||
    sm_fail "1b: a sudo failure was counted for ssh"
sm_log "1b: another PAM service's event not counted"

# 2. The same datagram from nobody: rejected by its credentials.
runuser -u nobody -- python3 "$T/send.py" "$SOCK" one auth_fail "$SM_USER" \
    192.0.2.8 2 || sm_fail "2: nobody could not send"
sm_wait_field 2 events_rejected
[ "$(sm_jget events_received)" = 5 ] || sm_fail "2: a forged datagram was counted"
[ "$(sm_jget protected_counters "$SM_USER" failures)" = 3 ] ||
    sm_fail "2: forged failures counted"
grep -q 'sender not root (uid' "$T/daemon.log" || sm_fail "2: not logged"
sm_log "2: non-root sender rejected"

# 3. Malformed: garbage, another version, a missing key, an empty
# datagram, an oversized one. Each rejected, none counted.
printf 'hello' | send raw || sm_fail "3: send"
printf 'SMEV 2\nkind=auth_fail\nuser=a\nrhost=\nservice=sshd\nmethod=\nkey=\npid=1\ncode=0\n' |
    send raw || sm_fail "3: send"
printf 'SMEV 1\nkind=auth_fail\nuser=a\n' | send raw || sm_fail "3: send"
send raw </dev/null || sm_fail "3: send"
send big || sm_fail "3: send"
sm_wait_field 7 events_rejected
[ "$(sm_jget events_received)" = 5 ] || sm_fail "3: a malformed datagram was counted"
# Rejections are logged at most once per 10 s: 7 rejections, 1 or 2 lines.
n=$(grep -c 'event rejected' "$T/daemon.log")
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || sm_fail "3: $n rejection log lines"
sm_log "3: malformed datagrams rejected, log rate-limited ($n lines)"

# 4. A spray of 100 000 distinct users: the tables stay at their size, the
# file stays small, the protected user keeps its counters.
send spray 100000 || sm_fail "4: spray"
SM_DEADLINE=60 sm_wait_field 100005 events_received
[ "$(sm_jget events_rejected)" = 7 ] || sm_fail "4: rejected $(sm_jget events_rejected)"
# 64 ordinary users plus the protected one, 32 sources.
[ "$(sm_jget counters_users)" = 65 ] || sm_fail "4: users $(sm_jget counters_users)"
[ "$(sm_jget counters_sources)" = 32 ] || sm_fail "4: sources $(sm_jget counters_sources)"
[ "$(sm_jget protected_counters "$SM_USER" failures)" = 3 ] ||
    sm_fail "4: protected counters lost"
[ "$(sm_jget protected_counters "$SM_USER" successes)" = 1 ] ||
    sm_fail "4: protected successes lost"
# Saved within a second of the last change: the newest sprayed user is in it.
has_last() { grep -q '^u spray099999 ' "$CNT" 2>/dev/null; }
sm_wait_for has_last || sm_fail "4: counters not saved"
size=$(stat -c %s "$CNT")
lines=$(wc -l <"$CNT")
# 97 entries of at most ~600 bytes each, a header and a trailer.
[ "$lines" -eq 99 ] || sm_fail "4: $lines lines in the counters file"
[ "$size" -lt 60000 ] || sm_fail "4: counters file $size bytes"
grep -q "^u $SM_USER 3 1 0 " "$CNT" || sm_fail "4: protected line: $(grep "^u $SM_USER" "$CNT")"
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$SM_DAEMON_PID/status")
sm_log "4: 100000 users sprayed: 65 user entries, file $size bytes, rss ${rss} kB"

# 5. Restart: the counters come back from the file.
sm_stop_daemon
[ -e "$SOCK" ] && sm_fail "5: socket left behind"
grep -q "^u $SM_USER 3 1 0 " "$CNT" || sm_fail "5: not saved at exit"
sg_start_daemon_next
sm_wait_field 3 protected_counters "$SM_USER" failures
[ "$(sm_jget counters_users)" = 65 ] || sm_fail "5: users $(sm_jget counters_users)"
[ "$(sm_jget events_received)" = 0 ] || sm_fail "5: received"
sm_log "5: counters kept over a restart"

# 6. A corrupt file: reported, set aside, never trusted.
sm_stop_daemon
sed -i "s/^u $SM_USER 3 1 0 /u $SM_USER 3 9 7 /" "$CNT"
sg_start_daemon_next
sm_wait_field null protected_counters "$SM_USER" last_failure
[ "$(sm_jget protected_counters "$SM_USER" failures)" = 0 ] ||
    sm_fail "6: corrupt counters trusted"
[ -f "$CNT.corrupt" ] || sm_fail "6: corrupt file not set aside"
grep -q 'inconsistent counts' "$T/daemon.log" || sm_fail "6: not reported"
sm_log "6: corrupt counters file refused and set aside"

sm_pass
