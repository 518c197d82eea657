#!/bin/sh
# The forwarding pieces of contrib/ with the real programs, to a listener
# on 127.0.0.1 standing in for the log host: (1) a real rollback's audit
# record, read back with ausearch --raw, goes through audisp-remote with
# contrib/audit/audisp-remote.conf (run in a mount namespace of its own
# where that file is /etc/audit/audisp-remote.conf; format ascii, as the
# listener is no auditd to acknowledge "managed" records) and arrives
# whole; au-remote.conf and audisp-remote.conf use only keys the package's
# own files know. (2) contrib/rsyslog/sshmedic.conf passes rsyslogd -N1,
# and a real rsyslogd with it forwards a line of sshmedicd's (ident
# sshmedicd, facility authpriv) and neither sshd's line nor one of
# another facility.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_tools /sbin/audisp-remote rsyslogd logger unshare mount python3
[ -f /etc/audit/plugins.d/au-remote.conf ] &&
    [ -f /etc/audit/audisp-remote.conf ] ||
    sm_skip "audispd-plugins' configuration files are not installed"
C=$top_srcdir/contrib
sm_setup_guarded

# listen PORT OUT: a log host stand-in: accepts one connection on
# 127.0.0.1:PORT and writes what it receives to OUT (at most 30 s).
listen() {
	python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
open(sys.argv[2] + ".ready", "w").close()
s.settimeout(30)
c, _ = s.accept()
c.settimeout(1)
end = time.monotonic() + 30
with open(sys.argv[2], "ab", buffering=0) as out:
    while time.monotonic() < end:
        try:
            d = c.recv(65536)
        except socket.timeout:
            continue
        if not d:
            break
        out.write(d)
' "$1" "$2" 2>>"$T/listen.err" &
	LISTENER=$!
	sm_wait_for test -e "$2.ready" || sm_fail "listener on $1 did not start"
}

# keys FILE: the keys a "key = value" file sets.
keys() { sed -n -E 's/^[[:space:]]*([a-z_0-9]+)[[:space:]]*=.*/\1/p' "$1" | sort -u; }
for f in plugins.d/au-remote.conf audisp-remote.conf; do
	extra=$(comm -23 <(keys "$C/audit/${f#plugins.d/}") <(keys "/etc/audit/$f"))
	[ -z "$extra" ] || sm_fail "contrib/audit/${f#plugins.d/}: keys unknown to the package: $extra"
done
grep -qx 'active = yes' "$C/audit/au-remote.conf" || sm_fail "au-remote.conf is not active"

# 1. A rollback's audit record through audisp-remote.
sm_mark sshmedic-config-rollback
echo "DenyUsers $SM_USER" >"$T/etc/sshd_config.d/50-deny.conf"
sm_expect_rollback "DenyUsers"
ev=$(sm_wait_event sshmedic-config-rollback) || sm_fail "no rollback line"
id=$(sm_evid "$ev")
sm_ausearch_evid USYS_CONFIG "$id" >/dev/null
raw() { ausearch --input-logs --raw -m USYS_CONFIG -ts recent 2>/dev/null | grep -F "evid=$id"; }
sm_wait_for raw >/dev/null || sm_fail "no raw record with evid=$id"
raw >"$T/record"
APORT=$(sm_free_port) || sm_fail "no free port"
sed -e "s|^remote_server = .*|remote_server = 127.0.0.1|" \
    -e "s|^port = .*|port = $APORT|" -e "s|^format = .*|format = ascii|" \
    -e "s|^queue_file = .*|queue_file = $T/remote.queue|" \
    "$C/audit/audisp-remote.conf" >"$T/audisp-remote.conf"
chmod 0640 "$T/audisp-remote.conf"
listen "$APORT" "$T/audit.recv"
# The plugin reads records on stdin as auditd hands them (format string)
# and ends at end of input: the input stays open until the listener has the
# record (or the deadline), so that it is sent before the end.
recv_has() { grep -qF "$(head -1 "$T/record")" "$T/audit.recv" 2>/dev/null; }
{ cat "$T/record"; sm_wait_for -t 15 recv_has || true; } |
    timeout 20 unshare -m --propagation private \
    /bin/sh -c 'mount --bind "$1" /etc/audit/audisp-remote.conf &&
	exec /sbin/audisp-remote' sh "$T/audisp-remote.conf" 2>"$T/audisp.err" ||
    sm_fail "audisp-remote: $(cat "$T/audisp.err")"
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null
recv_has ||
    sm_fail "the record did not arrive whole: $(head -c 300 "$T/audit.recv")"
grep -q 'op=sshmedic-config-rollback' "$T/audit.recv" || sm_fail "no op= in it"
sm_log "1: the rollback's audit record (evid=$id) forwarded by audisp-remote"

# 2. rsyslog: the shipped rule checked, then a real rsyslogd forwarding.
mkdir -p "$T/rsyslog"
printf 'module(load="imuxsock" SysSock.Use="off")\ninclude(file="%s")\n' \
    "$C/rsyslog/sshmedic.conf" >"$T/rs-check.conf"
rsyslogd -N1 -f "$T/rs-check.conf" >"$T/rs-check.out" 2>&1 ||
    sm_fail "rsyslogd -N1: $(cat "$T/rs-check.out")"
RPORT=$(sm_free_port) || sm_fail "no free port"
sed "s|target=\"loghost.example.net\" port=\"514\"|target=\"127.0.0.1\" port=\"$RPORT\"|" \
    "$C/rsyslog/sshmedic.conf" >"$T/rs-sshmedic.conf"
grep -q "port=\"$RPORT\"" "$T/rs-sshmedic.conf" || sm_fail "no target in the rule"
cat >"$T/rs.conf" <<EOF
global(workDirectory="$T/rsyslog")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/log.sock")
include(file="$T/rs-sshmedic.conf")
EOF
listen "$RPORT" "$T/syslog.recv"
rsyslogd -n -f "$T/rs.conf" -i "$T/rsyslog/pid" >"$T/rsyslogd.out" 2>&1 &
RS=$!
sm_wait_for test -S "$T/log.sock" || sm_fail "rsyslogd: $(cat "$T/rsyslogd.out")"
line="type=USYS_CONFIG op=\"sshmedic-config-rollback\" res=success gen=1 evid=$id"
logger -u "$T/log.sock" -t sshd -p authpriv.info "not ours $id"
logger -u "$T/log.sock" -t sshmedicd -p daemon.notice "other facility $id"
logger -u "$T/log.sock" -t sshmedicd -p authpriv.notice "$line"
arrived() { grep -qF "$line" "$T/syslog.recv" 2>/dev/null; }
sm_wait_for arrived || { kill "$RS"; sm_fail "sshmedicd's line not forwarded: $(cat "$T/rsyslogd.out")"; }
kill "$RS" 2>/dev/null
wait "$RS" 2>/dev/null
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null
grep -q 'sshmedicd' "$T/syslog.recv" || sm_fail "no ident in the forwarded line"
grep -qF "not ours $id" "$T/syslog.recv" && sm_fail "sshd's line was forwarded"
grep -qF "other facility $id" "$T/syslog.recv" &&
    sm_fail "a line of another facility was forwarded"
sm_log "2: rsyslogd forwards sshmedicd's authpriv lines only"
sm_pass
