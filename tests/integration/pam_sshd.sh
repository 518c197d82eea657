#!/bin/sh
# pam_sshmedic.so under a real sshd (UsePAM yes, ExposeAuthInfo yes) with
# its own PAM service: a key login counted as a success with method
# publickey, a wrong password counted as a failure, and with sshmedicd
# stopped the key login still succeeds (the module never holds a login up).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_root
sm_need_tools sshpass python3
MOD=$top_builddir/pam/.libs/pam_sshmedic.so
[ -f "$MOD" ] || sm_skip "module not built: $MOD"

sm_sandbox
# sshd takes its PAM service from the name it runs under, and PAM
# lowercases service names, so the symlink's name is lowercase.
SVC=sshmedic-t-$(basename "$T" | tr -dc 'A-Za-z0-9' | tr 'A-Z' 'a-z')
PAMF=/etc/pam.d/$SVC
SOCK=$T/smrun/event.sock
TAP=$T/tap.sock
TAP_PID=
pam_sshd_cleanup() {
	local rc=$?
	[ -n "$TAP_PID" ] && kill "$TAP_PID" 2>/dev/null
	rm -f "$PAMF"
	( exit "$rc" )
	sm_cleanup
}
trap pam_sshd_cleanup EXIT

mkdir -p "$T/bin"
chmod 0755 "$T/bin"
ln -s "$SSHD" "$T/bin/$SVC"

# The module's documented stack with pam_unix; a second session line sends
# to a tap socket so the test sees the datagram's method and key (the
# daemon counts them but does not show them).
cat >"$PAMF" <<EOP
auth    optional                    $MOD preauth socket=$SOCK
auth    [success=2 default=ignore]  pam_unix.so nullok
auth    optional                    $MOD authfail socket=$SOCK
auth    requisite                   pam_deny.so
auth    optional                    $MOD authsucc socket=$SOCK
auth    required                    pam_permit.so

account [success=2 new_authtok_reqd=done default=ignore]  pam_unix.so
account optional                    $MOD denied socket=$SOCK
account requisite                   pam_deny.so
account required                    pam_permit.so

@include common-session
session optional                    $MOD socket=$SOCK
session optional                    $MOD socket=$TAP
EOP
chmod 0644 "$PAMF"

sed -i -e 's/^UsePAM no$/UsePAM yes/' \
    -e 's/^PasswordAuthentication no$/PasswordAuthentication yes/' \
    "$SSHD_CONF"
echo "ExposeAuthInfo yes" >>"$SSHD_CONF"
grep -qx 'UsePAM yes' "$SSHD_CONF" || sm_fail "UsePAM not set"

# sshd re-execs itself by argv[0], which must be absolute.
"$T/bin/$SVC" -f "$SSHD_CONF" -E "$T/sshd.log" ||
    sm_fail "sandbox sshd ($SVC) did not start"
sm_wait_for sm_sshd_up || sm_fail "sandbox sshd: no pidfile/banner"

# The tap: stores each datagram as $T/tap.N.
python3 - "$TAP" "$T" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
open(os.path.join(sys.argv[2], "tap.ready"), "w").close()
n = 0
while n < 16:
    d = s.recv(4096)
    n += 1
    with open(os.path.join(sys.argv[2], "tap.%d.tmp" % n), "wb") as f:
        f.write(d)
    os.rename(os.path.join(sys.argv[2], "tap.%d.tmp" % n),
              os.path.join(sys.argv[2], "tap.%d" % n))
PY
TAP_PID=$!
sm_wait_for test -e "$T/tap.ready" || sm_fail "tap not ready"

# sm_start_guard makes a first key login: that is test 1. The daemon
# counts the events of sshd's own PAM service: here the symlink's name.
SM_SSHD_EXTRA="pam_service = \"$SVC\";"
sm_start_guard
[ -S "$SOCK" ] || sm_fail "no event socket $SOCK"

# 1. The key login is counted as a success, sent with method publickey.
sm_wait_field 1 protected_counters "$SM_USER" successes
[ "$(sm_jget protected_counters "$SM_USER" failures)" = 0 ] ||
    sm_fail "1: failures $(sm_jget protected_counters "$SM_USER" failures)"
sm_wait_for test -e "$T/tap.1" || sm_fail "1: no session datagram on the tap"
grep -qx 'kind=session_open' "$T/tap.1" || sm_fail "1: tap: $(cat "$T/tap.1")"
grep -qx "user=$SM_USER" "$T/tap.1" || sm_fail "1: tap: $(cat "$T/tap.1")"
grep -qx 'method=publickey' "$T/tap.1" || sm_fail "1: tap: $(cat "$T/tap.1")"
# The key as sshd exposes it ("ssh-ed25519 BASE64"), the space encoded.
grep -qxF "key=ssh-ed25519%20$(cut -d' ' -f2 "$T/client/id_ed25519.pub")" \
    "$T/tap.1" || sm_fail "1: tap: $(cat "$T/tap.1")"
grep -qx 'rhost=127.0.0.1' "$T/tap.1" || sm_fail "1: tap: $(cat "$T/tap.1")"
# The symlink's name reached PAM as the service.
grep -qx "service=$SVC" "$T/tap.1" || sm_fail "1: tap: $(cat "$T/tap.1")"
sm_log "1: key login counted as a success, method publickey"

# 2. A rejected public key never reaches PAM (sshd decides it alone), so
# it is not counted; a wrong password is: sshd runs pam_authenticate,
# pam_unix fails and the module's authfail line sends the failure. The key
# goes first: a datagram from it would be counted before the password's.
sm_ssh "$SM_USER" "$T/client/wrong" && sm_fail "2: the wrong key logged in"
sm_wait_for grep -q "Connection closed by authenticating user $SM_USER" \
    "$T/sshd.log" || sm_fail "2: sshd did not log the rejected key"
sshpass -p wrong ssh -F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none \
    -o PreferredAuthentications=password -o PubkeyAuthentication=no \
    -o NumberOfPasswordPrompts=1 \
    -o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o StrictHostKeyChecking=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
    -p "$PORT" "$SM_USER@127.0.0.1" true </dev/null 2>>"$T/ssh.log" &&
    sm_fail "2: a wrong password logged in"
grep -q "Failed password for $SM_USER" "$T/sshd.log" ||
    sm_fail "2: sshd did not log the failed password"
sm_wait_field 1 protected_counters "$SM_USER" failures
[ "$(sm_jget protected_counters "$SM_USER" successes)" = 1 ] ||
    sm_fail "2: successes $(sm_jget protected_counters "$SM_USER" successes)"
[ "$(sm_jget protected_counters "$SM_USER" failures_since_success)" = 1 ] ||
    sm_fail "2: failures since success"
[ "$(sm_jget events_rejected)" = 0 ] || sm_fail "2: rejected $(sm_jget events_rejected)"
sm_log "2: wrong password counted as a failure, rejected key not seen"

# 3. sshmedicd stopped: the socket is gone and the key login still works.
sm_stop_daemon
[ -e "$SOCK" ] && sm_fail "3: socket left behind"
sm_ssh_login "$SM_USER"
sm_log "3: key login without sshmedicd: ok"

# 4. What could not be sent is counted, not hidden: the module appended to
# the drop file the daemon left; the next start reports it.
DROPS=$T/smrun/event.drops
[ -f "$DROPS" ] || sm_fail "4: no drop file $DROPS"
[ "$(stat -c %s "$DROPS")" -ge 1 ] || sm_fail "4: the drop was not counted"
lost=$(stat -c %s "$DROPS")
sm_mark sshmedic-events-lost
sm_start_daemon
ev=$(sm_next_event sshmedic-events-lost) || sm_fail "4: no events-lost event"
case $ev in *"$lost PAM events could not be sent"*) ;; *) sm_fail "4: $ev" ;; esac
sm_ausearch_evid RESP_ANOMALY "$(sm_evid "$ev")" >/dev/null
sm_wait_field "$lost" events_lost
[ "$(stat -c %s "$DROPS")" = 0 ] || sm_fail "4: the drop file was not started afresh"
sm_log "4: $lost dropped events counted and reported at the next start"

sm_pass
