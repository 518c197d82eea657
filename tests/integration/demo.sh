#!/bin/sh
# The README's first command ends in demo/demo.sh: run it as a user would,
# and check that it went through every step, healed each one and showed
# the audit records, with no private key in what it printed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_root
out=$(mktemp) || sm_fail "mktemp"
trap 'rm -f "$out"' EXIT
"$top_srcdir/demo/demo.sh" >"$out" 2>&1
rc=$?
[ "$rc" = 0 ] || { tail -30 "$out" >&2; sm_fail "demo/demo.sh exited $rc"; }
grep -q '^Done\.' "$out" || sm_fail "the demo did not reach its end"
steps=$(grep -c '^== Step [0-9]*:' "$out")
[ "$steps" = 7 ] || sm_fail "$steps steps shown, not 7"
# Each break is healed and followed by a working login and its record.
for op in config-rollback sshd-start modes-fix keys-restore config-promoted; do
	grep -q "op=sshmedic-$op res=success" "$out" || sm_fail "no $op shown"
done
[ "$(grep -c '✓ real ssh key login of' "$out")" -ge 8 ] ||
    sm_fail "fewer logins shown than steps"
for type in USYS_CONFIG SERVICE_START USER_MGMT; do
	grep -q "^ *type=$type msg=audit(" "$out" ||
	    sm_fail "no $type record read back with ausearch"
done
# The status at the end: every account lookup answered.
grep -Eq '^ *lookups: +[1-9][0-9]* account lookups, 0 failed' "$out" ||
    sm_fail "no status with its lookups at the end"
grep -q 'PRIVATE KEY' "$out" && sm_fail "a private key in the demo's output"
# It cleaned up after itself: no sandbox, no PAM service of its own left.
ls -d "$SM_BASE"/demo.* 2>/dev/null | grep -q . && sm_fail "a demo sandbox is left"
ls /etc/pam.d/sshmedic-t-demo* 2>/dev/null | grep -q . &&
    sm_fail "the demo's PAM service is left"
sm_pass
