#!/bin/sh
# pam_sshmedic.so in real PAM stacks through pamtester: the documented auth,
# account and session lines with pam_permit/pam_deny in place of pam_unix;
# the datagrams a receiver gets, the stack's result unchanged, a missing or
# full receiver costing nothing, and only pam_sm_* exported.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_root
sm_need_tools pamtester python3 nm
MOD=$top_builddir/pam/.libs/pam_sshmedic.so
[ -f "$MOD" ] || sm_skip "module not built: $MOD"

T=$(mktemp -d /tmp/sshmedic-pam.XXXXXX)
# PAM lowercases service names: so must the file's name.
SVC=sshmedic-test-$(basename "$T" | tr -dc 'A-Za-z0-9' | tr 'A-Z' 'a-z')
PAMF=/etc/pam.d/$SVC
RECV_PID=
pam_cleanup() {
	[ -n "$RECV_PID" ] && kill "$RECV_PID" 2>/dev/null
	rm -f "$PAMF"
	rm -rf "$T"
}
trap pam_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SOCK=$T/event.sock

# 1. Only the PAM entry points leave the module.
exported=$(nm -D --defined-only "$MOD" | awk '{ print $3 }' | sort | tr '\n' ' ')
[ "$exported" = "pam_sm_acct_mgmt pam_sm_authenticate pam_sm_close_session pam_sm_open_session pam_sm_setcred " ] ||
    sm_fail "exported symbols: $exported"

# stack AUTHMOD ACCTMOD [MODULE_LINES=yes|no]: the README's lines with
# AUTHMOD/ACCTMOD standing in for pam_unix; without the module lines when
# the third argument is "no" (the reference result).
stack() {
	local m=${3:-yes} a="$MOD" o="socket=$SOCK"
	{
		[ "$m" = yes ] && echo "auth optional $a preauth $o"
		echo "auth [success=2 default=ignore] $1"
		[ "$m" = yes ] && echo "auth optional $a authfail $o" ||
		    echo "auth optional pam_permit.so"
		echo "auth requisite pam_deny.so"
		[ "$m" = yes ] && echo "auth optional $a authsucc $o"
		echo "auth required pam_permit.so"
		echo "account [success=2 default=ignore] $2"
		[ "$m" = yes ] && echo "account optional $a denied $o" ||
		    echo "account optional pam_permit.so"
		echo "account requisite pam_deny.so"
		echo "account required pam_permit.so"
		echo "session required pam_permit.so"
		[ "$m" = yes ] && echo "session optional $a $o"
	} >"$PAMF"
}

# recv N: a receiver that stores up to N datagrams as $T/dg.1.. and exits.
recv_start() {
	rm -f "$SOCK" "$T"/dg.* "$T/ready"
	python3 - "$SOCK" "$1" "$T" <<'PY' &
import socket, sys, os
path, n, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(20)
open(os.path.join(d, "ready"), "w").close()
for i in range(1, n + 1):
    b = s.recv(4096)
    with open(os.path.join(d, "dg.%d.tmp" % i), "wb") as f:
        f.write(b)
    os.rename(os.path.join(d, "dg.%d.tmp" % i), os.path.join(d, "dg.%d" % i))
PY
	RECV_PID=$!
	sm_wait_for -t 10 test -e "$T/ready" || sm_fail "receiver did not start"
}
recv_wait() {
	sm_wait_for -t 10 test -e "$T/dg.$1" || sm_fail "no datagram $1 ($2)"
	wait "$RECV_PID" 2>/dev/null
	RECV_PID=
}
# has N LINE: datagram N contains LINE exactly.
has() { grep -qxF -- "$2" "$T/dg.$1" || sm_fail "dg.$1 lacks '$2': $(cat "$T/dg.$1")"; }

pt() { pamtester -I rhost=127.0.0.1 "$SVC" smt-admin "$@" >"$T/pt.out" 2>&1; }

# 2. A failing password: one auth_fail, the stack fails as without it.
stack pam_deny.so pam_permit.so no
pt authenticate; ref=$?
[ "$ref" != 0 ] || sm_fail "reference stack did not fail"
stack pam_deny.so pam_permit.so
recv_start 1
pt authenticate; rc=$?
[ "$rc" = "$ref" ] || sm_fail "auth fail: exit $rc, $ref without the module"
recv_wait 1 "auth_fail"
has 1 "SMEV 1"
has 1 "kind=auth_fail"
has 1 "user=smt-admin"
has 1 "rhost=127.0.0.1"
has 1 "service=$SVC"
has 1 "method="
has 1 "key="
has 1 "code=0"
grep -qx 'pid=[1-9][0-9]*' "$T/dg.1" || sm_fail "pid: $(cat "$T/dg.1")"
[ "$(grep -c . "$T/dg.1")" = 9 ] || sm_fail "lines: $(cat "$T/dg.1")"

# 3. A good password, account and session: auth_ok then session_open with
# the method and key from SSH_AUTH_INFO_0 (set as sshd does, in PAM's env).
stack pam_permit.so pam_permit.so
recv_start 2
pamtester -I rhost=127.0.0.1 \
    -E "SSH_AUTH_INFO_0=publickey ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+/x=" \
    "$SVC" smt-admin authenticate acct_mgmt open_session close_session \
    >"$T/pt.out" 2>&1 || sm_fail "good stack failed: $(cat "$T/pt.out")"
recv_wait 2 "auth_ok, session_open"
has 1 "kind=auth_ok"
has 1 "user=smt-admin"
has 2 "kind=session_open"
has 2 "method=publickey"
has 2 "key=ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIK+/x="
has 2 "rhost=127.0.0.1"

# 4. An account denial: acct_denied, the stack's refusal unchanged.
stack pam_permit.so pam_deny.so no
pt acct_mgmt; ref=$?
[ "$ref" != 0 ] || sm_fail "reference account stack did not fail"
stack pam_permit.so pam_deny.so
recv_start 1
pt acct_mgmt; rc=$?
[ "$rc" = "$ref" ] || sm_fail "account: exit $rc, $ref without the module"
recv_wait 1 "acct_denied"
has 1 "kind=acct_denied"
has 1 "user=smt-admin"

# 5. Hostile values are encoded, never a line of their own.
stack pam_deny.so pam_permit.so
recv_start 1
pamtester -I "rhost=x
kind=auth_ok" "$SVC" "ev il%" authenticate >/dev/null 2>&1
recv_wait 1 "encoded"
has 1 "kind=auth_fail"
has 1 "user=ev%20il%25"
has 1 "rhost=x%0Akind=auth_ok"

# 6. No receiver: same results, quickly (the send fails at once).
rm -f "$SOCK"
for st in "pam_deny.so pam_permit.so" "pam_permit.so pam_permit.so"; do
	# shellcheck disable=SC2086
	stack $st no
	pt authenticate; ref=$?
	# shellcheck disable=SC2086
	stack $st
	t0=$(sm_now_ms)
	pt authenticate; rc=$?
	t1=$(sm_now_ms)
	[ "$rc" = "$ref" ] || sm_fail "no receiver ($st): exit $rc, $ref without"
	[ $((t1 - t0)) -lt 2000 ] || sm_fail "no receiver: took $((t1 - t0)) ms"
done

# 7. A receiver that never reads: its queue fills (net.unix.max_dgram_qlen)
# and the module still never blocks.
python3 - "$SOCK" "$T" <<'PY' &
import socket, sys, os, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(os.path.join(sys.argv[2], "ready"), "w").close()
time.sleep(60)
PY
RECV_PID=$!
rm -f "$T/ready"
sm_wait_for -t 10 test -e "$T/ready" || sm_fail "idle receiver did not start"
stack pam_permit.so pam_permit.so
qlen=$(cat /proc/sys/net/unix/max_dgram_qlen 2>/dev/null || echo 512)
[ "$qlen" -le 600 ] || qlen=600
t0=$(sm_now_ms)
for _ in $(seq 1 $((qlen + 5))); do
	pt authenticate || sm_fail "full queue: the stack failed"
done
t1=$(sm_now_ms)
sm_log "$((qlen + 5)) calls against a full queue: $((t1 - t0)) ms"
[ $((t1 - t0)) -lt $(( (qlen + 5) * 500 )) ] || sm_fail "full queue: slow"

sm_pass
