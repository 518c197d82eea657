#!/bin/sh
# The ladder above a plain restart: (a) the configuration broken and sshd
# killed at the same moment: step 2 rolls back to known-good and starts;
# (b) a closure that cannot be fixed (its known-good copies in the store
# corrupted): step 4 installs the vendor default (a sandbox file), the old
# files go to quarantine; (c) nothing works (no vendor default allowed):
# step 5 keeps trying with a growing backoff and says so, status shows it,
# and a fix by hand brings sshd back. The guard's debounce is long so the
# ladder, not the config guard, answers each break.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_tools python3
sm_sandbox
sm_start_sshd
SM_DEBOUNCE_MS=60000
sm_write_conf
sm_conf_start_stderr
sm_conf_vendor
sm_conf_set probe timeout_ms 500
sm_conf_set restart backoff_ms 200
sm_conf_set restart backoff_max_ms 1600
sm_conf_set restart burst 100
sm_start_guard
D=$T/etc/sshd_config.d

last_start() { grep '"op": *"sshmedic-sshd-start"' "$T/events.json" | tail -1; }

# expect_served WHAT OLDPID: sshd serves with a new master, the last start
# event is a success found in the audit log, and the admin logs in.
expect_served() {
	local ev
	sm_wait_for sm_sshd_new_pid "$2" >/dev/null || sm_fail "$1: sshd not back"
	ev=$(sm_wait_for sm_last_start_ok >/dev/null && sm_last_start_ok) ||
	    sm_fail "$1: last start: $ev"
	sm_ausearch_evid SERVICE_START "$(sm_evid "$ev")" >/dev/null
	sm_ssh_login "$SM_USER"
	[ "$(sm_status_field ladder)" = idle ] ||
	    sm_fail "$1: ladder not idle: $(sm_status_field ladder)"
}

# (a) Broken and killed at once: step 1 fails with sshd's words, step 2
# rolls back, sshd serves the known-good closure.
old=$(sm_sshd_pid)
sm_mark sshmedic-sshd-start sshmedic-config-rollback
printf 'PermitRootLogin maybe-later\n' >"$D/10-bad.conf"
kill -KILL "$old"
ev=$(sm_expect_event sshmedic-sshd-start failed SERVICE_START) || exit 1
case $ev in *"ladder step 1"*"maybe-later"*) ;; *)
	sm_fail "a: step 1 failure without sshd's reason: $ev" ;; esac
ev=$(sm_expect_event sshmedic-config-rollback success USYS_CONFIG) || exit 1
expect_served "a" "$old"
sm_assert_restored "a: rolled back"
sm_log "a: step 2 rolled back and sshd serves"

# (b) The store's copies corrupted: no rollback is possible, step 4 puts
# the vendor default in place.
old=$(sm_sshd_pid)
sm_mark sshmedic-sshd-start sshmedic-config-vendor-default sshmedic-sshd-failing
find "$T/state/blobs" -type f -exec sh -c 'echo garbage >"$1"' sh {} \;
printf 'PermitRootLogin maybe-later\n' >"$D/10-bad.conf"
kill -KILL "$old"
ev=$(sm_expect_event sshmedic-config-vendor-default success USYS_CONFIG) || exit 1
expect_served "b" "$old"
case $(sm_json_field "$(last_start)" reason) in *"vendor default"*) ;; *)
	sm_fail "b: start reason: $(last_start)" ;; esac
cmp -s "$T/vendor/sshd_config" "$SSHD_CONF" ||
    sm_fail "b: sshd_config is not the vendor default"
[ -e "$D/10-bad.conf" ] && sm_fail "b: the broken drop-in is still included"
sm_quarantine_has "maybe-later" || sm_fail "b: broken drop-in not quarantined"
sm_quarantine_has "Include $D/*.conf" || sm_fail "b: old main not quarantined"
sm_no_op sshmedic-sshd-failing
sm_log "b: step 4 installed the vendor default, sshd serves"

# (c) No vendor default allowed and a closure that cannot be rolled back:
# step 5, loudly and with backoff, until a person fixes it.
sm_conf_set restart vendor_default false
sm_mark sshmedic-daemon-reconfig
kill -HUP "$SM_DAEMON_PID"
sm_next_event sshmedic-daemon-reconfig >/dev/null || sm_fail "c: no reconfig"
old=$(sm_sshd_pid)
sm_mark sshmedic-sshd-start sshmedic-sshd-failing sshmedic-config-vendor-default
find "$T/state/blobs" -type f -exec sh -c 'echo garbage >"$1"' sh {} \;
echo 'MaxAuthTries lots' >>"$SSHD_CONF"
kill -KILL "$old"
n0=${SM_MARKS[sshmedic-sshd-failing]}
sm_wait_event sshmedic-sshd-failing $((n0 + 4)) >/dev/null ||
    sm_fail "c: step 5 does not keep trying"
ev=$(sm_expect_event sshmedic-sshd-failing failed SERVICE_START) || exit 1
case $ev in *"ladder step 5"*"MaxAuthTries"*) ;; *)
	sm_fail "c: step 5 event without sshd's reason: $ev" ;; esac
# The waits between tries grow (200, 400, 800 ms ...).
grep '"op": *"sshmedic-sshd-failing"' "$T/events.json" | tail -n 4 |
    python3 -c '
import datetime, json, sys
t = [datetime.datetime.fromisoformat(json.loads(l)["time"].rstrip("Z"))
     for l in sys.stdin]
gaps = [(b - a).total_seconds() * 1000 for a, b in zip(t, t[1:])]
print(" ".join("%.0f" % g for g in gaps))
sys.exit(0 if all(b > a * 1.4 for a, b in zip(gaps, gaps[1:])) else 1)
' >"$T/gaps" || sm_fail "c: no growing backoff: gaps $(cat "$T/gaps") ms"
sm_log "c: step 5 retries, gaps $(cat "$T/gaps") ms"
sm_no_op_since() {
	[ "$(sm_count_op "$1")" = "${SM_MARKS[$1]}" ] ||
	    sm_fail "c: unexpected $1"
}
sm_no_op_since sshmedic-config-vendor-default
[ "$(sm_status_field ladder_step)" = 5 ] ||
    sm_fail "c: status ladder_step $(sm_status_field ladder_step)"
case $(sm_status_field sshd_last_error) in *MaxAuthTries*) ;; *)
	sm_fail "c: status error: $(sm_status_field sshd_last_error)" ;; esac
"$SMC" -f "$SM_CONF" status >"$T/status.out" 2>&1
grep -q '^ladder: *step 5 (failing)' "$T/status.out" ||
    sm_fail "c: status text: $(cat "$T/status.out")"
# A person fixes the file: the next try starts sshd.
sed -i '/MaxAuthTries lots/d' "$SSHD_CONF"
expect_served "c" "$old"
sm_log "c: fixed by hand, sshd serves"
sm_pass
