#!/bin/sh
# The store under faults: (a) a corrupt blob makes its generation unusable,
# reported at start and never restored; (b) the store on a full filesystem:
# promotion fails with an error event and no partial file, the daemon keeps
# running and still rolls back; (c) a garbage manifest is reported, never
# used.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

sg_need_python
sm_need_tools mount umount dd
sm_setup_guarded
E=$T/etc
D=$E/sshd_config.d
SMALL=$T/smallstate

# The tmpfs of part (b) is unmounted before the harness removes $T.
sf_cleanup() {
	local rc=$?
	if mountpoint -q "$SMALL" 2>/dev/null; then
		# Cleared first: sm_wait_for fails when SM_DAEMON_PID dies.
		sm_stop_daemon
		umount "$SMALL" 2>/dev/null || umount -l "$SMALL"
	fi
	(exit "$rc")
	sm_cleanup
}
trap sf_cleanup EXIT

gen_file() { printf '%s/state/gen/%010d.manifest' "$T" "$1"; }

# The sha256 of PATH's entry in generation GEN's manifest.
mf_sha() {
	python3 - "$(gen_file "$1")" "$2" <<'EOF'
import sys, urllib.parse
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0] == "entry" and urllib.parse.unquote(f[-1]) == sys.argv[2]:
        print(f[7])
EOF
}

# --- (a) a corrupt blob -------------------------------------------------
cp -a "$T/snap" "$T/snap1"		# generation 1
sm_mark sshmedic-config-promoted
sm_accept "(a) valid drop-in" sh -c "echo 'MaxAuthTries 5' >'$D/20-valid.conf'"
sm_reload_sshd
pro=$(sm_next_event sshmedic-config-promoted) || sm_fail "(a) no gen 2"
[ "$(sm_json_field "$pro" gen)" = 2 ] || sm_fail "(a) promoted: $pro"
sm_snapshot
cp -a "$T/snap" "$T/snap2"		# generation 2
sha=$(mf_sha 2 "$D/20-valid.conf")
[ -n "$sha" ] || sm_fail "(a) no manifest entry for the drop-in"
blob=$T/state/blobs/$(printf %.2s "$sha")/$sha
[ -f "$blob" ] || sm_fail "(a) blob $blob missing"
sm_stop_daemon
# One byte flipped, same size: only the hash can tell. And a broken edit
# made while the daemon is down.
python3 - "$blob" <<'EOF2'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[0] ^= 0x01
open(p, "r+b").write(b)
EOF2
echo 'NoSuchDirectiveCorrupt yes' >>"$E/sshd_config"
sm_mark sshmedic-store-corrupt sshmedic-config-rollback
sg_start_daemon_next
cor=$(sm_next_event sshmedic-store-corrupt) || sm_fail "(a) corruption not reported"
[ "$(sm_json_field "$cor" gen)" = 2 ] || sm_fail "(a) corrupt event: $cor"
[ "$(sm_json_field "$cor" res)" = failed ] || sm_fail "(a) corrupt res: $cor"
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$cor")" >/dev/null
sm_log "(a) corrupt gen 2 reported: $(sm_json_field "$cor" reason)"
# Rolled back to generation 1 (gen 2's drop-in goes to quarantine with the
# broken main file), never to the corrupt gen 2.
rm -rf "$T/snap" && cp -a "$T/snap1" "$T/snap"
ev=$(sm_next_event sshmedic-config-rollback) || sm_fail "(a) no rollback"
[ "$(sm_json_field "$ev" gen)" = 1 ] || sm_fail "(a) rolled back to: $ev"
sm_expect_rollback "(a) corrupt newest generation" >/dev/null
sm_assert_restored "(a) corrupt newest generation"
[ "$(sg_status generation)" = 1 ] ||
    sm_fail "(a) known-good is not gen 1: $(sg_status generation)"
sm_quarantine_has NoSuchDirectiveCorrupt || sm_fail "(a) broken main not kept"
sm_quarantine_has 'MaxAuthTries 5' ||
    sm_fail "(a) the drop-in of gen 2 was not kept in quarantine"
# The same content promoted again: the blob is written anew, not trusted,
# so the new generation restores it byte for byte.
sm_mark sshmedic-config-promoted
sm_accept "(a) same drop-in again" sh -c "echo 'MaxAuthTries 5' >'$D/20-valid.conf'"
sm_reload_sshd
pro=$(sm_next_event sshmedic-config-promoted) || sm_fail "(a) no gen 3"
[ "$(sm_json_field "$pro" gen)" = 3 ] || sm_fail "(a) promoted: $pro"
[ "$(cat "$blob")" = 'MaxAuthTries 5' ] || sm_fail "(a) blob not rewritten"
rm -rf "$T/snap" && cp -a "$T/snap2" "$T/snap"
sm_break "(a) broken after gen 3" sh -c "echo 'MaxAuthTries x' >'$D/20-valid.conf'"
GOOD=3

# --- (c) garbage manifests ----------------------------------------------
sm_stop_daemon
printf 'this is not a manifest\n\x00\xff garbage\n' >"$(gen_file 7)"
: >"$(gen_file 8)"
printf 'sshmedic-manifest 1\ngen 9\nentries 99999999\n' >"$(gen_file 9)"
chmod 0600 "$(gen_file 7)" "$(gen_file 8)" "$(gen_file 9)"
n0=$(sm_count_op sshmedic-store-corrupt)
sg_start_daemon_next
for g in 7 8 9; do
	sm_wait_for sh -c "grep '\"op\": *\"sshmedic-store-corrupt\"' \
	    '$T/events.json' | tail -n +$((n0 + 1)) | grep -q '\"gen\": *$g[,}]'" ||
	    sm_fail "(c) garbage manifest of gen $g not reported"
done
[ "$(sg_status generation)" = $GOOD ] ||
    sm_fail "(c) known-good is not gen $GOOD: $(sg_status generation)"
sm_mark sshmedic-config-rollback
echo 'NoSuchDirectiveGarbage yes' >"$D/30-bad.conf"
ev=$(sm_next_event sshmedic-config-rollback) || sm_fail "(c) no rollback"
[ "$(sm_json_field "$ev" gen)" = $GOOD ] || sm_fail "(c) rolled back to: $ev"
sm_expect_rollback "(c) garbage manifests" >/dev/null
sm_assert_restored "(c) garbage manifests"
sg_cli history >/dev/null 2>&1 || sm_fail "(c) history fails on garbage"
sm_log "(c) garbage manifests 7, 8, 9 reported and never used"
sm_stop_daemon

# --- (b) the store on a full filesystem ---------------------------------
# A fresh daemon whose paths.state is a 256 kB tmpfs.
mkdir -p "$SMALL"
mount -t tmpfs -o size=256k,mode=0700 sshmedic-test "$SMALL" ||
    sm_skip "cannot mount a tmpfs"
sed -i "s|state = \"$T/state\";|state = \"$SMALL\";|" "$SM_CONF"
grep -q "state = \"$SMALL\"" "$SM_CONF" || sm_fail "(b) conf not rewritten"
sm_mark sshmedic-config-baseline
sg_start_daemon_next
sm_next_event sshmedic-config-baseline >/dev/null ||
    sm_fail "(b) no baseline in the small store"
sm_snapshot
# Fill it up.
dd if=/dev/zero of="$SMALL/filler" bs=4k 2>/dev/null
[ "$(df --output=avail -k "$SMALL" | tail -1)" -le 4 ] ||
    sm_fail "(b) tmpfs not full: $(df -k "$SMALL" | tail -1)"
sm_mark sshmedic-config-promoted sshmedic-config-valid
big=$(head -c 3000 /dev/urandom | base64 -w 64 | sed 's/^/# /')
printf '%s\nMaxAuthTries 5\n' "$big" >"$D/20-big.conf"
sm_next_event sshmedic-config-valid >/dev/null || sm_fail "(b) change not valid"
sm_reload_sshd
pro=$(sm_next_event sshmedic-config-promoted) ||
    sm_fail "(b) no event for the failed promotion"
[ "$(sm_json_field "$pro" res)" = failed ] ||
    sm_fail "(b) promotion on a full store did not fail: $pro"
case $pro in *"No space"*) ;; *) sm_fail "(b) reason is not ENOSPC: $pro" ;; esac
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$pro")" >/dev/null
sm_log "(b) promotion refused: $(sm_json_field "$pro" reason)"
sm_daemon_alive || sm_fail "(b) daemon died"
[ "$(sg_status generation)" = 1 ] ||
    sm_fail "(b) known-good changed: $(sg_status generation)"
# No partial file: no temporaries, only gen 1's manifest, which parses.
sg_no_temps "$SMALL" "$E"
ls "$SMALL/gen" >"$T/gens"
[ "$(cat "$T/gens")" = 0000000001.manifest ] ||
    sm_fail "(b) manifests on the full store: $(cat "$T/gens")"
sg_cli --json history 2>"$T/cmd.err" | sg_json_valid ||
    sm_fail "(b) history does not parse: $(cat "$T/cmd.err")"
# A broken edit while the store is still full: a rollback needs the intent
# record and the quarantine copy first, so it is refused, loudly, and
# touches nothing (deleting the admin's file unsaved would lose it).
sm_mark sshmedic-config-rollback
echo 'NoSuchDirectiveFull yes' >"$D/30-bad.conf"
ev=$(sm_next_event sshmedic-config-rollback) || sm_fail "(b) no rollback event"
[ "$(sm_json_field "$ev" res)" = failed ] ||
    sm_fail "(b) rollback on a full store claims success: $ev"
case $ev in *"No space"*) ;; *) sm_fail "(b) reason is not ENOSPC: $ev" ;; esac
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" >/dev/null
grep -q NoSuchDirectiveFull "$D/30-bad.conf" || sm_fail "(b) broken file lost"
grep -q 'MaxAuthTries 5' "$D/20-big.conf" || sm_fail "(b) big file lost"
sg_no_temps "$SMALL" "$E"
sm_daemon_alive || sm_fail "(b) daemon died"
sm_ssh_login "$SM_USER"		# sshd never loaded either file
sm_log "(b) rollback on the full store refused, nothing touched"
# Space again; the admin's next edit is rolled back to gen 1.
rm -f "$SMALL/filler"
sm_mark sshmedic-config-rollback
echo 'NoSuchDirectiveFull2 yes' >"$D/30-bad.conf"
ev=$(sm_next_event sshmedic-config-rollback) || sm_fail "(b) no rollback"
[ "$(sm_json_field "$ev" gen)" = 1 ] || sm_fail "(b) rolled back to: $ev"
sm_expect_rollback "(b) store no longer full" >/dev/null
sm_assert_restored "(b) store no longer full"
grep -rlsF NoSuchDirectiveFull2 "$SMALL/quarantine" >/dev/null ||
    sm_fail "(b) rejected file not in quarantine"
grep -rlsF 'MaxAuthTries 5' "$SMALL/quarantine" >/dev/null ||
    sm_fail "(b) unpromoted change not in quarantine"
sg_no_temps "$SMALL" "$E"
sm_daemon_alive || sm_fail "(b) daemon died"
sm_pass
