#!/bin/sh
# contrib/image/provision.sh, the image builder's step, run for real
# against the sandbox (its paths given by the environment, systemctl
# --root on a tree of the test's own): refused while sshmedicd runs
# outside systemd, with nothing changed; a dry run prints the package
# install (a real .deb, never installed), every file and command, and
# image-prep's own dry run, and changes nothing; a run installs the
# configuration and a policy (root 0600, checked by sshmedicd -t), adds
# the PAM line once, enables the unit, and ends with image-prep; a second
# run changes nothing; sshmedicd then starts from generation 1 with the
# installed configuration and a real login works. shellcheck and bash -n
# on the script.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_tools dpkg-deb systemctl shellcheck sha256sum
P=$top_srcdir/contrib/image/provision.sh
bash -n "$P" || sm_fail "bash -n $P"
shellcheck "$P" >"${TMPDIR:-/tmp}/sm-shellcheck.$$" 2>&1 ||
    { cat "${TMPDIR:-/tmp}/sm-shellcheck.$$" >&2; rm -f "${TMPDIR:-/tmp}/sm-shellcheck.$$"
      sm_fail "shellcheck $P"; }
rm -f "${TMPDIR:-/tmp}/sm-shellcheck.$$"
sm_setup_guarded

# What the builder hands the script: a configuration (the sandbox's), a
# policy, a copy of Debian's PAM file, a unit tree for systemctl --root.
cat >"$T/10-keys.conf" <<'EOF'
policies = ( { name = "keys"; on = "user_failures"; failures = 3;
	window_ms = 600000; actions = ( "fix_modes" ); } );
EOF
mkdir -p "$T/pam.d" "$T/sysroot/lib/systemd/system" "$T/sysroot/etc/systemd/system"
if [ -f /etc/pam.d/sshd ]; then
	cp /etc/pam.d/sshd "$T/pam.d/sshd"
else
	printf '@include common-auth\n@include common-session\n' >"$T/pam.d/sshd"
fi
printf '[Unit]\nDescription=sshmedic (test)\n[Service]\nExecStart=%s -D\n[Install]\nWantedBy=multi-user.target\n' \
    "$SMD" >"$T/sysroot/lib/systemd/system/sshmedicd.service"
mkdir -p "$T/deb/DEBIAN"
cat >"$T/deb/DEBIAN/control" <<'EOF'
Package: sshmedic
Version: 0.0~provision-test
Architecture: all
Maintainer: sshmedic tests <root@localhost>
Description: stand-in package for provision.sh's dry run (never installed)
EOF
dpkg-deb --build "$T/deb" "$T/sshmedic_test.deb" >/dev/null || sm_fail "dpkg-deb"
export SSHMEDIC_CONF=$SM_CONF SSHMEDIC_POLICIES=$T/10-keys.conf \
    SSHMEDIC_CONF_PATH=$T/etc-sm/sshmedic.conf \
    SSHMEDIC_POLICIES_DIR=$T/policies.d SSHMEDIC_PAM_FILE=$T/pam.d/sshd \
    SSHMEDIC_SBIN=$top_builddir/watchdog SSHMEDIC_SYSTEMD_ROOT=$T/sysroot
tree_sum() {
	find "$T/etc-sm" "$T/policies.d" "$T/pam.d" "$T/sysroot" "$T/state" \
	    -printf '%p %y %m %s\n' 2>/dev/null | LC_ALL=C sort
	find "$T/etc-sm" "$T/policies.d" "$T/pam.d" "$T/state" -type f \
	    -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 -r sha256sum
}
sm_mark sshmedic-config-rollback
echo "DenyUsers $SM_USER" >"$T/etc/sshd_config.d/05-deny.conf"
sm_expect_rollback "a rejected drop-in"
nq=$(find "$T/state/quarantine" -name '*.meta' | wc -l)

# 1. The daemon runs (not under systemd): refused before any change.
mkdir -p "$T/etc-sm"
cp -p "$SM_CONF" "$T/etc-sm/sshmedic.conf"
before=$(tree_sum)
"$P" >"$T/prov.out" 2>&1 && sm_fail "1: ran beside a running sshmedicd"
grep -q 'sshmedicd runs and is not systemd.s sshmedicd.service' "$T/prov.out" ||
    sm_fail "1: $(cat "$T/prov.out")"
[ "$(tree_sum)" = "$before" ] || sm_fail "1: the refused run changed something"
sm_stop_daemon
rm -rf "$T/etc-sm"
sm_log "1: refused beside a running sshmedicd, nothing changed"

# 2. A dry run.
before=$(tree_sum)
"$P" --dry-run --deb "$T/sshmedic_test.deb" >"$T/prov.out" 2>&1 ||
    sm_fail "2: dry run failed: $(cat "$T/prov.out")"
[ "$(tree_sum)" = "$before" ] || sm_fail "2: the dry run changed something"
for want in \
    "would run: env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $T/sshmedic_test.deb" \
    "would write: $T/etc-sm/sshmedic.conf (from $SM_CONF, root 0600)" \
    "would write: $T/policies.d/10-keys.conf" \
    "would append to $T/pam.d/sshd: session optional" \
    "would run: systemctl --root=$T/sysroot enable sshmedicd.service" \
    "would clear      generations"; do
	grep -qF -- "$want" "$T/prov.out" || sm_fail "2: no '$want' in: $(cat "$T/prov.out")"
done
sm_log "2: dry run prints the install, files, commands and image-prep's plan"

# 3. The run.
"$P" >"$T/prov.out" 2>&1 || sm_fail "3: run failed: $(cat "$T/prov.out")"
cmp -s "$SM_CONF" "$T/etc-sm/sshmedic.conf" || sm_fail "3: configuration"
[ "$(stat -c '%U %a' "$T/etc-sm/sshmedic.conf")" = "root 600" ] ||
    sm_fail "3: configuration mode $(stat -c '%U %a' "$T/etc-sm/sshmedic.conf")"
cmp -s "$T/10-keys.conf" "$T/policies.d/10-keys.conf" || sm_fail "3: policy"
[ "$(grep -c pam_sshmedic.so "$T/pam.d/sshd")" = 1 ] || sm_fail "3: PAM line"
tail -1 "$T/pam.d/sshd" | grep -qx 'session optional *pam_sshmedic.so' ||
    sm_fail "3: PAM line: $(tail -1 "$T/pam.d/sshd")"
[ "$(systemctl --root="$T/sysroot" is-enabled sshmedicd.service)" = enabled ] ||
    sm_fail "3: the unit is not enabled"
ls "$T/state/gen/"*.manifest >/dev/null 2>&1 && sm_fail "3: generations left"
[ "$(find "$T/state/quarantine" -name '*.meta' | wc -l)" = "$nq" ] ||
    sm_fail "3: the quarantine changed"
grep '^== ' "$T/prov.out" | tail -2 | head -1 | grep -q '6/6 sshmedic image-prep' ||
    sm_fail "3: image-prep is not the last step: $(grep '^== ' "$T/prov.out")"
grep -q 'cleared *generations *1' "$T/prov.out" || sm_fail "3: $(cat "$T/prov.out")"
sm_log "3: installed, checked, PAM line, unit enabled, image-prep last"

# 4. Again: nothing changes.
before=$(tree_sum)
"$P" >"$T/prov.out" 2>&1 || sm_fail "4: second run failed: $(cat "$T/prov.out")"
[ "$(tree_sum)" = "$before" ] || sm_fail "4: the second run changed something"
grep -q "unchanged: $T/etc-sm/sshmedic.conf" "$T/prov.out" || sm_fail "4: conf"
grep -q "unchanged: $T/policies.d/10-keys.conf" "$T/prov.out" || sm_fail "4: policy"
grep -q 'pam_sshmedic.so is in the stack already' "$T/prov.out" || sm_fail "4: PAM"
sm_log "4: a second run changes nothing"

# 5. The image boots: the installed configuration, generation 1.
SM_CONF=$T/etc-sm/sshmedic.conf
SM_MARKS=()
sm_start_daemon
ev=$(sm_wait_event sshmedic-config-baseline) || sm_fail "5: no baseline"
[ "$(sm_json_field "$ev" gen)" = 1 ] || sm_fail "5: not generation 1: $ev"
sm_ssh_login "$SM_USER"
sm_log "5: sshmedicd starts at generation 1 with the provisioned configuration"
sm_pass
