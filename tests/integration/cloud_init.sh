#!/bin/sh
# contrib/cloud-init/sshmedic.yaml: cloud-init's own schema validator (the
# cloud-init package, 22.4 on Debian 12) accepts it and refuses a broken
# copy; each file it writes is valid for the program that reads it
# (sshmedic.conf and the policy with sshmedicd -t, the sshd drop-in with
# sshd -t), root's with the modes sshmedicd demands; its sshmedic.conf is
# contrib/image/sshmedic.conf's; the runcmd script parses, adds the
# README's PAM line once to a copy of Debian's /etc/pam.d/sshd, and not at
# all when common-session has the module.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_tools cloud-init python3
python3 -c 'import yaml' 2>/dev/null || sm_skip "python3-yaml missing"
CC=$top_srcdir/contrib/cloud-init/sshmedic.yaml
sm_sandbox
sm_need_daemon

# 1. The real validator.
cloud-init schema --config-file "$CC" >"$T/schema.out" 2>&1 ||
    sm_fail "1: cloud-init schema: $(cat "$T/schema.out")"
grep -q "^Valid cloud-config: $CC" "$T/schema.out" ||
    sm_fail "1: $(cat "$T/schema.out")"
# It does validate: a write_files entry with a mode as a number and an
# unknown key is refused.
sed -e 's/permissions: "0600"/permissions: 0600/' \
    -e 's/^    defer: true$/    defer: true\n    bogus: 1/' "$CC" >"$T/broken.yaml"
cloud-init schema --config-file "$T/broken.yaml" >"$T/schema.out" 2>&1 &&
    sm_fail "1: a broken copy passed: $(cat "$T/schema.out")"
grep -q "is not of type 'string'" "$T/schema.out" ||
    sm_fail "1: broken copy: $(cat "$T/schema.out")"
sm_log "1: cloud-init schema accepts it, refuses a broken copy"

# 2. Every file it writes, under $T/root, as cloud-init would write it.
python3 - "$CC" "$T/root" >"$T/files" <<'PY' || sm_fail "2: extracting"
import os, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for f in doc["write_files"]:
    dest = sys.argv[2] + f["path"]
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "w") as out:
        out.write(f["content"])
    os.chmod(dest, int(f["permissions"], 8))
    print(f["path"], f["owner"], f["permissions"], f.get("defer", False))
with open(sys.argv[2] + "/runcmd.sh", "w") as out:
    out.write(doc["runcmd"][0][2])
print("packages", " ".join(doc["packages"]))
PY
grep -qx '/etc/sshmedic/sshmedic.conf root:root 0600 True' "$T/files" ||
    sm_fail "2: sshmedic.conf: $(cat "$T/files")"
grep -qx '/etc/sshmedic/policies.d/10-admin-keys.conf root:root 0600 True' \
    "$T/files" || sm_fail "2: the policy: $(cat "$T/files")"
grep -q '^packages .*sshmedic' "$T/files" || sm_fail "2: no sshmedic package"
R=$T/root
# sshmedicd -t on the file as written, its policies directory pointed at
# the one written beside it.
cp "$R/etc/sshmedic/sshmedic.conf" "$T/check.conf"
printf 'paths = { policies = "%s"; };\n' "$R/etc/sshmedic/policies.d" \
    >>"$T/check.conf"
chmod 0600 "$T/check.conf"
"$SMD" -t -f "$T/check.conf" >"$T/t.out" 2>&1 ||
    sm_fail "2: sshmedicd -t: $(cat "$T/t.out")"
grep -q '^1 policy in 1 file$' "$T/t.out" || sm_fail "2: $(cat "$T/t.out")"
# The sshd drop-in in the sandbox's sshd.
cp "$R/etc/ssh/sshd_config.d/50-sshmedic.conf" "$T/etc/sshd_config.d/"
sm_sshd_t || sm_fail "2: sshd -t with the drop-in: $(tail -3 "$T/sshd-t.log")"
"$SSHD" -T -f "$SSHD_CONF" 2>/dev/null | grep -qx 'loglevel VERBOSE' ||
    sm_fail "2: LogLevel VERBOSE not in effect"
"$SSHD" -T -f "$SSHD_CONF" 2>/dev/null | grep -qx 'exposeauthinfo yes' ||
    sm_fail "2: ExposeAuthInfo not in effect"
# The same settings as the image's example configuration.
strip() { sed '/^#/d' "$1"; }
diff <(strip "$R/etc/sshmedic/sshmedic.conf") \
    <(strip "$top_srcdir/contrib/image/sshmedic.conf") >"$T/diff.out" ||
    sm_fail "2: contrib/image/sshmedic.conf differs: $(cat "$T/diff.out")"
sm_log "2: sshmedic.conf and the policy pass sshmedicd -t, the drop-in sshd -t"

# 3. runcmd: parses; its PAM step on copies of Debian's stack.
sh -n "$R/runcmd.sh" || sm_fail "3: runcmd does not parse"
line=$(grep -o "echo '[^']*' >>/etc/pam.d/sshd" "$R/runcmd.sh" | cut -d"'" -f2)
grep -qF "    $line" "$top_srcdir/README.md" ||
    sm_fail "3: '$line' is not the README's PAM line"
mkdir -p "$T/pam.d"
if [ -f /etc/pam.d/sshd ]; then
	cp /etc/pam.d/sshd "$T/pam.d/sshd"
else
	printf '@include common-auth\n@include common-session\n' >"$T/pam.d/sshd"
fi
: >"$T/pam.d/common-session"
grep -E 'pam.d/(sshd|common-session)' "$R/runcmd.sh" |
    sed "s|/etc/pam.d/|$T/pam.d/|g" >"$T/pam-step.sh"
[ "$(wc -l <"$T/pam-step.sh")" = 2 ] || sm_fail "3: PAM step: $(cat "$T/pam-step.sh")"
sh -e "$T/pam-step.sh" && sh -e "$T/pam-step.sh" || sm_fail "3: PAM step failed"
[ "$(grep -c pam_sshmedic.so "$T/pam.d/sshd")" = 1 ] ||
    sm_fail "3: the PAM line is not there exactly once"
[ "$(tail -1 "$T/pam.d/sshd")" = "$line" ] || sm_fail "3: not the last line"
printf 'session optional pam_sshmedic.so\n' >"$T/pam.d/common-session"
printf '@include common-session\n' >"$T/pam.d/sshd"
sh -e "$T/pam-step.sh" || sm_fail "3: PAM step (profile) failed"
grep -q pam_sshmedic.so "$T/pam.d/sshd" &&
    sm_fail "3: added beside pam-auth-update's line in common-session"
sm_log "3: runcmd parses; the README's PAM line added once, not beside the profile's"
sm_pass
