#!/bin/sh
# U2 of LOCKOUTS.md: a protected user's authorized_keys overwritten without
# their key, emptied, deleted, or replaced by a symlink to /etc/shadow. A
# real key login takes the known-good snapshot (ExposeAuthInfo); each break
# makes the next key login fail, sshd logs the refused key, the policy
# restores the snapshot (the broken file quarantined, the link never
# followed), and the key login works again; every step read back with
# ausearch. Then no NSS module is mapped in the daemon (lookups in a child).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

sm_cred_sandbox
U=$(sm_cred_name)
sm_cred_user "$U"
AK=$T/home/$U/.ssh/authorized_keys
sm_cred_start_sshd
sm_cred_conf "$SM_USER" "$U"
sm_cred_policy u2 "policies = ( {
	name = \"u2-keys\";
	on = \"user_failures\";
	users = [ \"$U\" ];
	failures = 1;
	window_ms = 60000;
	cooldown_ms = 0;
	actions = ( \"restore_keys\" );
} );"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"

# No snapshot yet: a restore now has nothing to put back.
[ -e "$T/state/snap/keys/$U/manifest" ] && sm_fail "snapshot before any login"

# 1. A key login proves the file: the snapshot is taken and audited.
sm_mark sshmedic-keys-snapshot
sm_cred_ssh "$U" || sm_fail "first key login of $U"
ev=$(sm_expect_action sshmedic-keys-snapshot USER_MGMT)
case $ev in *"$AK"*) ;; *) sm_fail "1: snapshot without $AK: $ev" ;; esac
sm_log "1: snapshot of $U's keys taken at a key login, audited"
# The same file again: no new snapshot record.
sm_mark sshmedic-keys-snapshot
sm_cred_ssh "$U" || sm_fail "second key login of $U"
sm_cred_ssh "$U" || sm_fail "third key login of $U"
succ() { sm_status_json && [ "$(sm_jget protected_counters "$U" successes)" -ge "$1" ]; }
sm_wait_for succ 3 || sm_fail "1: three successes not counted"
[ "$(sm_count_op sshmedic-keys-snapshot)" = "${SM_MARKS[sshmedic-keys-snapshot]}" ] ||
    sm_fail "1: an unchanged file was snapshotted again"

# break WHAT CMD...: the key login fails, the policy restores, it works.
break_keys() {
	local what=$1 ev
	shift
	sm_mark sshmedic-keys-restore sshmedic-policy-action
	"$@" || sm_fail "$what: the breaking command failed"
	sm_cred_ssh "$U" && sm_fail "$what: the key login still worked"
	ev=$(sm_expect_action sshmedic-keys-restore USER_MGMT)
	case $ev in *"restored $AK"*) ;; *) sm_fail "$what: $ev" ;; esac
	sm_next_event sshmedic-policy-action >/dev/null ||
	    sm_fail "$what: no policy action record"
	cmp -s "$AK" "$T/client/$U.pub" || sm_fail "$what: content not restored"
	[ "$(stat -c '%U %a' "$AK")" = "$U 600" ] ||
	    sm_fail "$what: owner/mode $(stat -c '%U %a' "$AK")"
	sm_cred_ssh "$U" || sm_fail "$what: key login after the restore"
	sm_log "$what: restored by the policy, key login ok"
}

# 2. Overwritten with another key: the old content is quarantined.
break_keys overwritten cp "$T/client/wrong.pub" "$AK"
sm_quarantine_has "$(cut -d' ' -f2 "$T/client/wrong.pub")" ||
    sm_fail "2: the overwritten file is not in quarantine"

# 3. Emptied, 4. deleted.
break_keys emptied truncate -s 0 "$AK"
break_keys deleted rm -f "$AK"

# 5. A symlink to /etc/shadow: never followed (neither read nor written
# through), replaced by the known-good file, the link recorded.
# (Other tests add accounts meanwhile: /etc/shadow's own content changes;
# what must never be in it is the keys file written through the link.)
break_keys symlink ln -sf /etc/shadow "$AK"
grep -qF "$(cut -d' ' -f2 "$T/client/$U.pub")" /etc/shadow &&
    sm_fail "5: the keys were written through the link into /etc/shadow"
getent shadow root >/dev/null || sm_fail "5: /etc/shadow damaged"
[ -L "$AK" ] && sm_fail "5: the symlink is still there"
root_hash=$(getent shadow root | cut -d: -f2)
if [ ${#root_hash} -gt 4 ]; then
	sm_quarantine_has "$root_hash" && sm_fail "5: /etc/shadow content in quarantine"
fi
find "$T/state" -path '*quarantine*' -name '*.meta' -print0 |
    xargs -0 grep -ls '^type=symlink' | grep -q . ||
    sm_fail "5: the symlink is not recorded in quarantine"

# 6. The link there at a login is reported and never snapshotted through.
sm_mark sshmedic-keys-unsafe
cp "$AK" "$T/keys/$U"
chmod 0644 "$T/keys/$U"
ln -sf /etc/shadow "$AK"
sm_cred_ssh "$U" || sm_fail "6: login by the other keys file"
sm_next_event sshmedic-keys-unsafe >/dev/null || sm_fail "6: not reported"
rm -f "$AK" "$T/keys/$U"
sm_log "6: a symlinked keys file at login is reported, not followed"

# 7. Every lookup above (the guard's user and groups, the keys' owner, the
# StrictModes check) ran in a child: no NSS module is mapped in the daemon
# (nsswitch.conf on Debian 12 names systemd for passwd, group and shadow).
[ -r "/proc/$SM_DAEMON_PID/maps" ] || sm_fail "7: no maps of sshmedicd"
if grep -q '/libnss_' "/proc/$SM_DAEMON_PID/maps"; then
	grep '/libnss_' "/proc/$SM_DAEMON_PID/maps" >&2
	sm_fail "7: an NSS module is mapped in sshmedicd"
fi
sm_status_json || sm_fail "7: no status"
[ "$(sm_jget lookups)" -ge 1 ] || sm_fail "7: no lookup counted"
[ "$(sm_jget lookups_failed)" = 0 ] || sm_fail "7: failed lookups"
sm_log "7: no NSS module mapped in sshmedicd after its $(sm_jget lookups) lookups"

sm_pass
