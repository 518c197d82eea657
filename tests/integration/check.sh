#!/bin/sh
# sshmedic check: on a healthy sandbox every row of the catalogue is ok and
# it exits 0; each breakage fails its own row and exits 1; and check never
# changes a file (the closure, host keys, store and pidfile stay identical).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_tools python3 unshare mount
sm_sandbox
sm_start_sshd
SM_CONF_EXTRA="authlog = { file = \"$T/sshd.log\"; };"
sm_write_conf
sm_start_guard
K=$T/etc/ssh_host_ed25519_key
DROP=$T/etc/sshd_config.d

# Everything check could touch, with content hashes: compared around each run.
fingerprint() {
	find "$T/etc" "$T/keys" "$T/run" "$T/state" /run/sshd -xdev \
	    -printf '%p %y %m %u %g %s %T@\n' 2>/dev/null | LC_ALL=C sort
	find "$T/etc" "$T/keys" "$T/state" -xdev -type f -print0 2>/dev/null |
	    LC_ALL=C sort -z | xargs -0 -r sha256sum
}

# run_check WHAT WANT_RC [CONF]: sshmedic check --json; the rows land in
# $T/rows as "CAUSE STATE" lines, the document in $T/check.json.
run_check() {
	local what=$1 want=$2 conf=${3:-$SM_CONF} rc
	fingerprint >"$T/fp.before"
	"$SMC" -f "$conf" check --json >"$T/check.json" 2>"$T/check.err"
	rc=$?
	fingerprint >"$T/fp.after"
	diff "$T/fp.before" "$T/fp.after" >"$T/fp.diff" ||
	    sm_fail "$what: check changed files: $(head -10 "$T/fp.diff")"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] == all(c["state"] in ("ok", "warn") for c in d["checks"])
for c in d["checks"]:
    assert c["detail"] and c["remedy"], c
    print(c["cause"], c["state"])
' "$T/check.json" >"$T/rows" ||
	    sm_fail "$what: bad JSON: $(head -c 600 "$T/check.json")"
	[ "$rc" -eq "$want" ] || sm_fail "$what: check exited $rc, want $want: \
$(cat "$T/rows" | tr '\n' ' ') $(cat "$T/check.err")"
}

# use_json FILE: makes FILE the last run (for a run made elsewhere).
use_json() {
	cp "$1" "$T/check.json"
	python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["checks"]:
    print(c["cause"], c["state"])
' "$T/check.json" >"$T/rows" || sm_fail "bad JSON in $1"
}

# row CAUSE: its state in the last run.
row() { awk -v c="$1" '$1 == c { print $2 }' "$T/rows"; }

# detail CAUSE: its detail in the last run.
detail() {
	python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["checks"]:
    if c["cause"] == sys.argv[2]:
        print(c["detail"])
' "$T/check.json" "$1"
}

# expect WHAT CAUSE STATE...: each CAUSE has STATE.
expect() {
	local what=$1 cause state
	shift
	while [ $# -ge 2 ]; do
		cause=$1 state=$2
		shift 2
		[ "$(row "$cause")" = "$state" ] || sm_fail "$what: $cause is \
'$(row "$cause")', want $state ($(detail "$cause")); rows: $(tr '\n' ' ' <"$T/rows")"
	done
	sm_log "$what: $(tr '\n' ' ' <"$T/rows")"
}

all_ok() {
	grep -qv ' ok$' "$T/rows" &&
	    sm_fail "$1: not every row ok: $(grep -v ' ok$' "$T/rows" | tr '\n' ' ')"
	[ "$(wc -l <"$T/rows")" -ge 10 ] || sm_fail "$1: only $(wc -l <"$T/rows") rows"
	sm_log "$1: all $(wc -l <"$T/rows") rows ok"
}

# 1. Healthy, with the daemon running and with it stopped; the table too.
run_check "healthy, daemon up" 0
all_ok "healthy, daemon up"
"$SMC" -f "$SM_CONF" check >"$T/table" 2>&1 || sm_fail "table: exit $?: $(cat "$T/table")"
grep -q '^CAUSE  *STATE  *DETAIL' "$T/table" || sm_fail "table header: $(head -2 "$T/table")"
grep -q '^S4  *ok ' "$T/table" || sm_fail "table lacks S4 ok: $(cat "$T/table")"
sm_stop_daemon
run_check "healthy, daemon stopped" 0
all_ok "healthy, daemon stopped"

# 1b. A1: rejected keys are logged only at LogLevel VERBOSE, also as a
# Match block sets it for the protected user; without a log source the
# row warns (exit 0). check never edits sshd_config.
echo 'LogLevel INFO' >"$DROP/10-loglevel.conf"
run_check "LogLevel INFO" 1
expect "LogLevel INFO" A1 fail C1/C2 ok C3-C5 ok S1 ok
case $(detail A1) in *"LogLevel INFO for $SM_USER"*) ;; *)
	sm_fail "LogLevel INFO: detail $(detail A1)" ;; esac
printf 'Match User %s\n\tLogLevel INFO\n' "$SM_USER" >"$DROP/10-loglevel.conf"
run_check "Match LogLevel INFO" 1
expect "Match LogLevel INFO" A1 fail C3-C5 ok
"$SMC" -f "$SM_CONF" check >"$T/table" 2>&1
grep -q '^A1  *FAIL ' "$T/table" && grep -q 'remedy: .*LogLevel VERBOSE in sshd_config; sshmedic never edits it' "$T/table" ||
    sm_fail "table of A1: $(cat "$T/table")"
printf 'LogLevel DEBUG\n' >"$DROP/10-loglevel.conf"
run_check "LogLevel DEBUG" 0
expect "LogLevel DEBUG" A1 ok
rm -f "$DROP/10-loglevel.conf"
grep -v '^authlog = ' "$SM_CONF" >"$T/noauthlog.conf"
chmod 0600 "$T/noauthlog.conf"
run_check "authlog off" 0 "$T/noauthlog.conf"
expect "authlog off" A1 warn C1/C2 ok
"$SMC" -f "$T/noauthlog.conf" check >"$T/table" 2>&1 ||
    sm_fail "a warning made check fail: $(cat "$T/table")"
grep -q '^A1  *warn .*authlog is off' "$T/table" || sm_fail "table of a warning: $(cat "$T/table")"

# 2. C1: a syntax error in a drop-in (no guard runs to roll it back).
echo 'NoSuchDirective yes' >"$DROP/50-bad.conf"
run_check "syntax error" 1
expect "syntax error" C1/C2 fail C3-C5 unknown S1 ok S2 ok S4 ok
case $(detail C1/C2) in *NoSuchDirective*|*50-bad.conf*) ;; *)
	sm_fail "syntax error: detail does not name it: $(detail C1/C2)" ;; esac
"$SMC" -f "$SM_CONF" check >"$T/table" 2>&1
grep -q '^C1/C2  *FAIL ' "$T/table" && grep -q 'remedy: quarantine' "$T/table" ||
    sm_fail "table of a failure: $(cat "$T/table")"
rm -f "$DROP/50-bad.conf"

# 3. C2: a dangling symlink in the drop-ins (sshd -t fails), then a
# directory where an included file was (sshd -t passes: reads nothing).
ln -s "$T/nonexistent.conf" "$DROP/50-link.conf"
run_check "dangling include" 1
expect "dangling include" C1/C2 fail
rm -f "$DROP/50-link.conf"
mkdir "$DROP/50-dir.conf"
"$SSHD" -t -f "$SSHD_CONF" || sm_fail "sshd -t refuses a directory include"
run_check "directory include" 1
expect "directory include" C1/C2 fail C3-C5 ok
case $(detail C1/C2) in *"50-dir.conf is a directory"*) ;; *)
	sm_fail "directory include: detail $(detail C1/C2)" ;; esac
rmdir "$DROP/50-dir.conf"

# 4. C3: a valid config that denies the protected user.
echo "DenyUsers $SM_USER" >"$DROP/50-deny.conf"
run_check "DenyUsers" 1
expect "DenyUsers" C1/C2 ok C3-C5 fail C6 ok S4 ok
rm -f "$DROP/50-deny.conf"

# 5. C6: the only host key is of a type HostKeyAlgorithms excludes.
echo 'HostKeyAlgorithms rsa-sha2-512' >"$DROP/40-alg.conf"
run_check "HostKeyAlgorithms" 1
expect "HostKeyAlgorithms" C1/C2 ok C6 fail C3-C5 unknown S4 ok
rm -f "$DROP/40-alg.conf"

# 6. S4: the host key readable by others; check must not chmod it back.
chmod 0644 "$K"
run_check "host key 0644" 1
expect "host key 0644" S4 fail S1 ok
[ "$(stat -c %a "$K")" = 644 ] || sm_fail "check repaired the key mode"
case $(detail S4) in *"$K"*0644*) ;; *) sm_fail "S4 detail: $(detail S4)" ;; esac
chmod 0600 "$K"
run_check "host key back to 0600" 0

# 7. S1/S2: sshd stopped.
sm_kill_pidfile "$T/run/sshd.pid"
run_check "sshd stopped" 1
expect "sshd stopped" S1 fail S2 fail S6 ok C1/C2 ok C3-C5 ok

# 8. S6: the port held by another listener while sshd is down.
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
open(sys.argv[2], "w").write("ready")
time.sleep(600)
' "$PORT" "$T/listener.ready" &
LISTENER=$!
sm_wait_for test -s "$T/listener.ready" || sm_fail "python listener did not start"
run_check "port taken" 1
expect "port taken" S6 fail S1 fail S2 fail
case $(detail S6) in *"pid $LISTENER "*python*) ;; *)
	sm_fail "S6 does not name the listener $LISTENER: $(detail S6)" ;; esac
kill -0 "$LISTENER" || sm_fail "check killed the listener"
kill "$LISTENER"
wait "$LISTENER" 2>/dev/null
sm_start_sshd
run_check "sshd back" 0

# 9. S3: the configured privilege separation directory missing, then unsafe.
cp -p "$SM_CONF" "$T/privsep.conf"
sed -i "s|^\tbinary = |\tprivsep_dir = \"$T/privsep\";\n\tbinary = |" "$T/privsep.conf"
grep -q "privsep_dir = \"$T/privsep\"" "$T/privsep.conf" || sm_fail "privsep conf edit"
run_check "privsep missing" 1 "$T/privsep.conf"
expect "privsep missing" S3 fail S1 ok
[ -e "$T/privsep" ] && sm_fail "check created the privsep directory"
mkdir -m 0777 "$T/privsep"
chmod 0777 "$T/privsep"
run_check "privsep 0777" 1 "$T/privsep.conf"
expect "privsep 0777" S3 fail
chmod 0755 "$T/privsep"
run_check "privsep 0755" 0 "$T/privsep.conf"

# 10. M1 and M2 where they harm nobody: a private mount namespace with an
# overlay over /etc (the machine's /etc never gets a nologin file, which
# would refuse every other test's logins) and a full tmpfs over the state.
mkdir -p "$T/ov/up" "$T/ov/work"
unshare -m /bin/bash -c '
	set -e
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/ov/up,workdir=$1/ov/work" /etc
	echo "maintenance until noon" >/etc/nologin
	"$2" -f "$3" check --json >"$1/ns-m1.json" || echo $? >"$1/ns-m1.rc"
	rm -f /etc/nologin
	mount -t tmpfs -o size=1m,mode=0700 tmpfs "$1/state"
	dd if=/dev/zero of="$1/state/fill" bs=64k 2>/dev/null || true
	"$2" -f "$3" check --json >"$1/ns-m2.json" || echo $? >"$1/ns-m2.rc"
' sh "$T" "$SMC" "$SM_CONF" || sm_fail "namespace run failed"
[ -e /etc/nologin ] && sm_fail "/etc/nologin appeared outside the namespace"
[ -e "$T/state/fill" ] && sm_fail "the tmpfs leaked out of the namespace"
for m in m1 m2; do
	[ "$(cat "$T/ns-$m.rc" 2>/dev/null)" = 1 ] ||
	    sm_fail "$m: check exited $(cat "$T/ns-$m.rc" 2>/dev/null || echo 0), want 1"
done
use_json "$T/ns-m1.json"
expect "nologin" M1 fail M2 ok S1 ok
case $(detail M1) in *"maintenance until noon"*) ;; *)
	sm_fail "M1 does not quote the file: $(detail M1)" ;; esac
use_json "$T/ns-m2.json"
expect "full state filesystem" M2 fail M1 ok
case $(detail M2) in *FULL*) ;; *) sm_fail "M2 detail: $(detail M2)" ;; esac

# Healthy again, and the admin still logs in.
run_check "healthy at the end" 0
all_ok "healthy at the end"
sm_ssh_login "$SM_USER"
sm_pass
