#!/bin/sh
# sshmedic image-prep against a real sshd under its own PAM service and a
# real daemon: state of every kind made the way it is made on a machine
# (promoted edits, a rollback with its quarantine, refused logins counted,
# a key login's snapshots, a canary's pinned host key, requests and their
# results, a pause, lost PAM events, the JSON log), then refused while the
# daemon runs and for a non-root caller, a dry run that changes nothing,
# the prep itself (audited), a second run with nothing left, host keys
# regenerated as cloud-init does at a first boot, and the next start makes
# the new closure generation 1 with a working canary and real logins. Last,
# host keys rotated while it runs are promoted, not rolled back, and the
# canary follows them; --discard-quarantine empties the quarantine.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

sm_need_tools python3 setpriv sha256sum
sm_cred_sandbox
U=$(sm_cred_name)
sm_cred_user "$U"
sm_cred_start_sshd
sm_cred_conf "$SM_USER" "$U"
# The canary (not protected: its logins take no snapshot) pins the host key.
sm_conf_set probe canary_user "\"$SM_OTHER\""
sm_conf_set probe canary_key "\"$T/client/id_ed25519\""
sm_conf_set probe canary_interval_ms 1000
sm_conf_set probe canary_misses 2
mkdir -p "$T/metrics"
sm_conf_set metrics textfile "\"$T/metrics/sshmedic.prom\""
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"
Q=$T/state/quarantine
prep() { "$SMC" -f "$SM_CONF" image-prep "$@"; }

# What a dry run or a refused prep must leave byte for byte: the store,
# the requests, the logs (name, type, mode, size, content hash).
tree_sum() {
	local d
	for d in "$T/state" "$T/requests" "$T/metrics" "$T/smrun"; do
		[ -d "$d" ] || continue
		find "$d" -printf '%p %y %m %s\n' | LC_ALL=C sort
		find "$d" -type f ! -name '*.sock' -print0 | LC_ALL=C sort -z |
		    xargs -0 -r sha256sum
	done
	sha256sum "$T/events.json" 2>/dev/null
}
# prep_item WHAT FIELD: a field of one item of the last --json output.
prep_item() {
	python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
v = [i for i in doc["items"] if i["what"] == sys.argv[2]]
print(v[0][sys.argv[3]] if v else "none")
' "$T/prep.json" "$1" "$2"
}
# A text as the store writes it in manifests and metas (path_encode).
enc() {
	python3 -c 'import sys
print("".join(c if (c.isascii() and c.isalnum()) or c in "._-"
    else "%%%02X" % ord(c) for c in sys.argv[1]))' "$1"
}
canary_ok() { grep -c "Accepted publickey for $SM_OTHER" "$T/sshd.log" || true; }
canary_ok_ge() { [ "$(canary_ok)" -ge "$1" ]; }

# --- 1. state of every kind ----------------------------------------------
sm_wait_for canary_ok_ge 1 || sm_fail "1: the canary never logged in"
sm_wait_for test -s "$T/state/canary_known_hosts" ||
    sm_fail "1: the canary pinned no host key"
for n in 2 3; do
	sm_mark sshmedic-config-valid sshmedic-config-promoted
	echo "MaxAuthTries $((n + 3))" >"$T/etc/sshd_config.d/1$n-tries.conf"
	sm_next_event sshmedic-config-valid >/dev/null ||
	    sm_fail "1: edit $n not found valid"
	"$SMC" -f "$SM_CONF" promote >>"$T/cli.log" 2>&1 ||
	    sm_fail "1: promote of edit $n"
	ev=$(sm_next_event sshmedic-config-promoted) || sm_fail "1: no gen $n"
	[ "$(sm_json_field "$ev" gen)" = "$n" ] || sm_fail "1: promoted: $ev"
done
sm_mark sshmedic-config-rollback
echo "DenyUsers $SM_USER" >"$T/etc/sshd_config.d/05-deny.conf"
sm_next_event sshmedic-config-rollback >/dev/null || sm_fail "1: no rollback"
sm_quarantine_has "DenyUsers $SM_USER" || sm_fail "1: nothing quarantined"
# Refused logins: a wrong key (sshd's log) and a wrong password (PAM).
sm_cred_ssh "$U" "$T/client/wrong" && sm_fail "1: the wrong key logged in"
sm_cred_pw "$U" not-the-password && sm_fail "1: a wrong password logged in"
fails() { sm_status_json && [ "$(sm_jget protected_counters "$U" failures)" -ge 2 ]; }
sm_wait_for fails || sm_fail "1: failures of $U not counted"
# A key login: the snapshots of its keys and of sshd's PAM stack.
sm_mark sshmedic-keys-snapshot
sm_cred_ssh "$U" || sm_fail "1: key login of $U"
sm_next_event sshmedic-keys-snapshot >/dev/null || sm_fail "1: no snapshot"
sm_wait_for test -s "$T/state/counters" || sm_fail "1: counters not written"
# A request and its result; a malformed one refused and kept.
"$SMC" -f "$SM_CONF" request expire "$U" never >>"$T/cli.log" 2>&1 ||
    sm_fail "1: request expire"
printf 'requests = ( { op = "expire"; user = ' >"$T/requests/bad.req.tmp"
chmod 0600 "$T/requests/bad.req.tmp"
mv "$T/requests/bad.req.tmp" "$T/requests/bad.req"
sm_wait_for test -f "$T/requests/bad.rejected" ||
    sm_fail "1: the malformed request was not refused"
ls "$T/requests/"*.result >/dev/null 2>&1 || sm_fail "1: no request result"
[ -s "$T/metrics/sshmedic.prom" ] ||
    echo '# a textfile from before' >"$T/metrics/sshmedic.prom"
nq=$(find "$Q" -name '*.meta' | wc -l)
nqdirs=$(find "$Q" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$nq" -ge 1 ] || sm_fail "1: empty quarantine"
(cd "$Q" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
    >"$T/quar.before"
old_fp=$(ssh-keygen -lf "$T/etc/ssh_host_ed25519_key" | cut -d' ' -f2)
sm_log "1: 3 generations, a rollback ($nq quarantined), counters, snapshots, requests, canary pin"

# --- 2. refused while the daemon runs, and for a non-root caller ----------
before=$(tree_sum)
prep >"$T/prep.out" 2>"$T/prep.err" && sm_fail "2: prep ran beside the daemon"
grep -q "sshmedicd is running (pid $SM_DAEMON_PID" "$T/prep.err" ||
    sm_fail "2: reason: $(cat "$T/prep.err")"
grep -q 'systemctl stop sshmedicd' "$T/prep.err" || sm_fail "2: no advice"
prep --dry-run >/dev/null 2>&1 && sm_fail "2: dry run beside the daemon"
setpriv --reuid=65534 --regid=65534 --clear-groups "$SMC" -f "$SM_CONF" \
    image-prep >/dev/null 2>"$T/prep.err" && sm_fail "2: non-root prep ran"
grep -q 'must be run as root' "$T/prep.err" ||
    sm_fail "2: non-root: $(cat "$T/prep.err")"
sm_stop_daemon
after=$(tree_sum)
# The daemon's stop wrote its last counters and log line: compare the
# store's generations, snapshots and quarantine, which it does not touch.
grep -E '/(gen|snap|quarantine)/' <<<"$before" >"$T/b" || true
grep -E '/(gen|snap|quarantine)/' <<<"$after" >"$T/a" || true
cmp -s "$T/b" "$T/a" || sm_fail "2: a refused prep changed the store"
sm_log "2: refused beside the daemon and for nobody, nothing changed"

# The daemon is stopped: what is left for the image builder to clear.
"$SMC" -f "$SM_CONF" pause 2h >>"$T/cli.log" 2>&1 || sm_fail "pause"
cat >"$T/requests/pending.req" <<EOF
requests = ( { op = "expire"; user = "$U"; date = "2099-01-31"; } );
EOF
chmod 0600 "$T/requests/pending.req"
sm_cred_ssh "$U" || sm_fail "key login with the daemon stopped"
sm_wait_for test -s "$T/smrun/event.drops" || sm_fail "no lost event counted"

# --- 3. a dry run changes nothing ------------------------------------------
before=$(tree_sum)
prep --dry-run --json >"$T/prep.json" 2>>"$T/cli.log" ||
    sm_fail "3: dry run failed: $(cat "$T/prep.json")"
[ "$(tree_sum)" = "$before" ] || sm_fail "3: the dry run changed something"
[ "$(prep_item generations count)" = 3 ] ||
    sm_fail "3: generations: $(prep_item generations count)"
[ "$(prep_item generations detail)" = 1-3 ] || sm_fail "3: gens 1-3"
[ "$(prep_item generations action)" = clear ] || sm_fail "3: action"
case $(prep_item snapshots detail) in *"keys/$U"*pam/*|*pam/*"keys/$U"*) ;;
*) sm_fail "3: snapshots: $(prep_item snapshots detail)" ;; esac
[ "$(prep_item counters count)" -ge 2 ] || sm_fail "3: counters"
case $(prep_item guard-state detail) in *paused_until*) ;; *)
	sm_fail "3: guard state: $(prep_item guard-state detail)" ;; esac
case $(prep_item state-files detail) in *canary_known_hosts*) ;; *)
	sm_fail "3: state files: $(prep_item state-files detail)" ;; esac
[ "$(prep_item request-results count)" -ge 2 ] || sm_fail "3: results"
[ "$(prep_item requests action)" = quarantine ] || sm_fail "3: requests"
case $(prep_item requests detail) in *bad.rejected*pending.req*) ;; *)
	sm_fail "3: requests: $(prep_item requests detail)" ;; esac
[ "$(prep_item json-log count)" -ge 5 ] || sm_fail "3: json log lines"
[ "$(prep_item metrics count)" = 1 ] || sm_fail "3: metrics"
[ "$(prep_item event-drops count)" -ge 1 ] || sm_fail "3: event drops"
[ "$(prep_item quarantine action)" = keep ] || sm_fail "3: quarantine"
[ "$(prep_item quarantine count)" = "$nq" ] || sm_fail "3: quarantine count"
prep --dry-run >"$T/prep.out" 2>>"$T/cli.log" || sm_fail "3: text dry run"
grep -q 'would clear *generations *3  1-3' "$T/prep.out" ||
    sm_fail "3: text: $(cat "$T/prep.out")"
grep -q 'would keep *quarantine' "$T/prep.out" || sm_fail "3: text quarantine"
cp "$T/prep.out" "$T/prep-dry.out"	# kept for a look with SM_KEEP=1
sm_log "3: dry run lists every kind with its count, changes nothing"

# --- 4. the prep ------------------------------------------------------------
prep --json >"$T/prep.json" 2>>"$T/cli.log" ||
    sm_fail "4: prep failed: $(cat "$T/prep.json")"
evid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["event_id"])' "$T/prep.json")
ls "$T/state/gen/"*.manifest >/dev/null 2>&1 && sm_fail "4: generations left"
for f in snap counters guard.state policy.state canary_known_hosts blobs \
    image-prep.trash; do
	[ -e "$T/state/$f" ] && sm_fail "4: $T/state/$f left"
done
[ -e "$T/events.json" ] && sm_fail "4: the JSON log is still there"
[ -e "$T/metrics/sshmedic.prom" ] && sm_fail "4: the metrics file is left"
[ -e "$T/smrun/event.drops" ] && sm_fail "4: event.drops left"
[ -z "$(ls -A "$T/requests")" ] || sm_fail "4: requests left: $(ls -A "$T/requests")"
# The quarantine: everything from before, and the admin's request files.
(cd "$Q" && find . -type f ! -path "./*-$evid/*" -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum) >"$T/quar.after"
cmp -s "$T/quar.before" "$T/quar.after" || sm_fail "4: the quarantine changed"
qd=$(find "$Q" -mindepth 1 -maxdepth 1 -name "*-$evid")
[ -n "$qd" ] || sm_fail "4: no quarantine directory for event $evid"
grep -l "path=$(enc "$T/requests/pending.req")$" "$qd"/*.meta >/dev/null ||
    sm_fail "4: the pending request is not in $qd"
grep -l "path=$(enc "$T/requests/bad.rejected")$" "$qd"/*.meta >/dev/null ||
    sm_fail "4: the refused request is not in $qd"
grep -rqF '2099-01-31' "$qd" || sm_fail "4: the pending request's content"
rec=$(sm_ausearch_evid USYS_CONFIG "$evid")
case $rec in *op=sshmedic-image-prep*res=success*) ;; *)
	sm_fail "4: audit record: $rec" ;; esac
sm_log "4: prepared, audited (evid=$evid), quarantine kept with the requests moved in"
# A second run finds nothing more to clear.
prep --json >"$T/prep.json" 2>>"$T/cli.log" || sm_fail "4: second run"
python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
left = [i for i in doc["items"] if i["action"] == "clear" and i["count"]]
sys.exit("left: %s" % left if left else 0)
' "$T/prep.json" || sm_fail "4: the second run cleared something"
[ "$(prep_item quarantine count)" -ge "$((nq + 2))" ] ||
    sm_fail "4: second run: quarantine $(prep_item quarantine count)"

# --- 5. a first boot: cloud-init regenerates the host keys ----------------
# As cc_ssh does: every ssh_host_*key* removed, one key per type made.
sm_kill_pidfile "$T/run/sshd.pid"
rm -f "$T/etc/"ssh_host_*key*
for t in rsa ecdsa ed25519; do
	ssh-keygen -q -t "$t" -N '' -f "$T/etc/ssh_host_${t}_key" ||
	    sm_fail "5: ssh-keygen $t"
done
new_fp=$(ssh-keygen -lf "$T/etc/ssh_host_ed25519_key" | cut -d' ' -f2)
[ "$new_fp" != "$old_fp" ] || sm_fail "5: the key did not change"
sm_trust_hostkey
sm_cred_start_sshd
ok0=$(canary_ok)
SM_MARKS=()
sm_start_daemon
ev=$(sm_wait_event sshmedic-config-baseline) || sm_fail "5: no baseline"
[ "$(sm_json_field "$ev" gen)" = 1 ] || sm_fail "5: baseline is not gen 1: $ev"
sm_wait_field 1 generation
sm_wait_field watching state
sm_wait_field null paused_until
mf=$T/state/gen/0000000001.manifest
grep -q "^entry hostkey .* $(enc "$new_fp") $(enc "$T/etc/ssh_host_ed25519_key")$" \
    "$mf" || sm_fail "5: gen 1 lacks the new key's fingerprint: $(cat "$mf")"
grep -qF "$(enc "$old_fp")" "$mf" && sm_fail "5: gen 1 holds the old host key"
sm_status_json
grep -qF "\"$T/etc/ssh_host_ed25519_key\"" "$T/status.json" ||
    sm_fail "5: the host key is not in the status's closure"
[ "$(sm_jget protected_counters "$U" failures)" = 0 ] ||
    sm_fail "5: failures from before the prep: $(sm_jget protected_counters "$U")"
[ "$(sm_jget events_lost)" = 0 ] || sm_fail "5: lost events from before"
[ -e "$T/state/snap/keys/$U" ] && sm_fail "5: a snapshot from before"
[ -z "$(ls -A "$T/requests")" ] || sm_fail "5: requests: $(ls -A "$T/requests")"
head -1 "$T/events.json" | grep -q '"op": *"sshmedic-daemon-start"' ||
    sm_fail "5: the new JSON log does not start with this start"
grep -qF "$evid" "$T/events.json" && sm_fail "5: an event of before in the log"
# The canary pins the new key and keeps logging in: no lockout seen.
sm_wait_for canary_ok_ge $((ok0 + 2)) || sm_fail "5: the canary fails"
grep -qF "$(cut -d' ' -f2 "$T/etc/ssh_host_ed25519_key.pub")" \
    "$T/state/canary_known_hosts" || sm_fail "5: the canary pinned no new key"
for op in sshmedic-config-rejected sshmedic-config-rollback \
    sshmedic-config-nobaseline sshmedic-canary sshmedic-sshd-died; do
	sm_no_op "$op"
done
sm_cred_ssh "$U" || sm_fail "5: key login of $U"
sm_ssh_login "$SM_USER"
# The catalogue's host key rows (C6, S4) see nothing wrong in the new keys.
"$SMC" -f "$SM_CONF" --json check >"$T/check.json" 2>>"$T/cli.log"
python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
rows = [r for r in doc["checks"] if r["cause"] in ("C6", "S4")]
bad = [r for r in rows if r["state"] != "ok"]
sys.exit("%s" % (bad or "no C6/S4 rows") if bad or len(rows) != 2 else 0)
' "$T/check.json" || sm_fail "5: sshmedic check on the new host keys"
"$SMC" -f "$SM_CONF" history >"$T/history.out" 2>&1 ||
    sm_fail "5: history after the prep: $(cat "$T/history.out")"
grep -q 'first known-good configuration' "$T/history.out" ||
    sm_fail "5: history: $(cat "$T/history.out")"
sm_log "5: first boot: generation 1 with the new host keys, canary and logins work"

# --- 6. keys rotated while it runs: promoted, and the canary follows ------
sm_mark sshmedic-config-promoted
ssh-keygen -q -t ed25519 -N '' -C rotated -f "$T/rot" || sm_fail "6: keygen"
mv -f "$T/rot.pub" "$T/etc/ssh_host_ed25519_key.pub"
mv -f "$T/rot" "$T/etc/ssh_host_ed25519_key"
sm_reload_sshd
ev=$(sm_next_event sshmedic-config-promoted) || sm_fail "6: not promoted"
[ "$(sm_json_field "$ev" gen)" = 2 ] || sm_fail "6: promoted: $ev"
sm_trust_hostkey
ok0=$(canary_ok)
sm_wait_for canary_ok_ge $((ok0 + 2)) || sm_fail "6: the canary fails"
grep -q "canary's pinned key is forgotten" "$T/daemon.log" ||
    sm_fail "6: the stale pin was not forgotten"
for op in sshmedic-config-rollback sshmedic-sshd-died; do sm_no_op "$op"; done
sm_ssh_login "$SM_USER"
sm_log "6: rotated keys promoted to gen 2, canary re-pinned, no restart"

# --- 7. --discard-quarantine ---------------------------------------------
sm_stop_daemon
prep --discard-quarantine >"$T/prep.out" 2>>"$T/cli.log" ||
    sm_fail "7: prep --discard-quarantine"
grep -q 'discarded *quarantine' "$T/prep.out" || sm_fail "7: $(cat "$T/prep.out")"
[ -z "$(ls -A "$Q" 2>/dev/null)" ] || sm_fail "7: quarantine left"
sm_log "7: --discard-quarantine deletes the quarantine, says so"
sm_pass
