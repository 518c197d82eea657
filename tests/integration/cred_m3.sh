#!/bin/sh
# M3 of LOCKOUTS.md: sshd's PAM stack broken (a module line that cannot
# load, an @include of a missing file). A protected user's login takes the
# known-good copy of the stack; once broken, every login fails, the
# failures are counted, and the policy's restore_pam puts the known-good
# files back (the broken ones quarantined); a stack that loads is never
# replaced, whatever fails.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

sm_cred_sandbox
U=$(sm_cred_name)
sm_cred_user "$U"
sm_cred_start_sshd
sm_cred_conf "$SM_USER" "$U"
sm_cred_policy m3 "policies = ( {
	name = \"m3-pam\";
	on = \"user_failures\";
	users = [ \"$U\" ];
	failures = 1;
	window_ms = 60000;
	cooldown_ms = 0;
	actions = ( \"restore_pam\" );
}, {
	# libpam that cannot start names no user: no_success sees it.
	name = \"m3-nobody\";
	on = \"no_success\";
	users = [ \"$SM_USER\" ];
	failures = 1;
	window_ms = 60000;
	cooldown_ms = 0;
	actions = ( \"restore_pam\" );
} );"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"
sm_mark sshmedic-pam-snapshot
sm_cred_ssh "$U" || sm_fail "first key login of $U"
sm_expect_action sshmedic-pam-snapshot USYS_CONFIG >/dev/null
cp "$SM_PAMF" "$T/pam.good"

# break WHAT CMD...: every login fails; the policy restores the stack.
break_pam() {
	local what=$1 ev
	shift
	sm_mark sshmedic-pam-restore
	"$@" || sm_fail "$what: the breaking command failed"
	cp "$SM_PAMF" "$T/pam.broken"
	sm_cred_ssh "$U" && sm_fail "$what: the login still worked"
	ev=$(sm_expect_action sshmedic-pam-restore USYS_CONFIG)
	case $ev in *"restored $SM_PAMF"*) ;; *) sm_fail "$what: $ev" ;; esac
	cmp -s "$SM_PAMF" "$T/pam.good" || sm_fail "$what: not the known-good file"
	sm_quarantine_has "$(tail -n 1 "$T/pam.broken")" ||
	    sm_fail "$what: the broken file is not in quarantine"
	sm_cred_ssh "$U" || sm_fail "$what: key login after the restore"
	sm_log "$what: PAM stack restored, key login ok"
}

break_pam "module missing" \
    sh -c "echo 'account required pam_sshmedic_nonexistent.so' >>'$SM_PAMF'"
# An @include of a missing file: pam_start fails, sshd names no user.
break_pam "include missing" \
    sh -c "echo '@include sshmedic-nonexistent-include' >>'$SM_PAMF'"

# A stack that loads is the admin's, even while logins fail for another
# reason: here the keys are gone.
sm_mark sshmedic-pam-restore sshmedic-policy-action
echo "# an admin's comment" >>"$SM_PAMF"
cp "$SM_PAMF" "$T/pam.admin"
mv "$T/home/$U/.ssh/authorized_keys" "$T/ak.saved"
sm_cred_ssh "$U" && sm_fail "admin: the login worked without keys"
ev=$(sm_next_event sshmedic-policy-action) || sm_fail "admin: no policy action"
case $ev in *"nothing to do"*) ;; *) sm_fail "admin: $ev" ;; esac
[ "$(sm_count_op sshmedic-pam-restore)" = "${SM_MARKS[sshmedic-pam-restore]}" ] ||
    sm_fail "admin: a loading stack was restored"
cmp -s "$SM_PAMF" "$T/pam.admin" || sm_fail "admin: the admin's file changed"
mv "$T/ak.saved" "$T/home/$U/.ssh/authorized_keys"
sm_cred_ssh "$U" || sm_fail "admin: key login"
sm_log "a stack that loads is left alone"

# sshmedic check reports a broken stack (row M3) and changes nothing.
echo 'auth required pam_sshmedic_nonexistent.so' >>"$SM_PAMF"
"$SMC" -f "$SM_CONF" --json check >"$T/check.json" 2>>"$T/cli.log" &&
    sm_fail "check: exit 0 with a broken stack"
python3 - "$T/check.json" <<'PY' || sm_fail "check: no failing M3 row"
import json, sys
rows = json.load(open(sys.argv[1]))["checks"]
m3 = [r for r in rows if r["cause"] == "M3"]
assert m3 and m3[0]["state"] == "fail", m3
assert "pam_sshmedic_nonexistent.so" in m3[0]["detail"], m3
PY
grep -q pam_sshmedic_nonexistent "$SM_PAMF" || sm_fail "check changed the file"
sm_log "sshmedic check: M3 fails, names the module, changes nothing"

sm_pass
