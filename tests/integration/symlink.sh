#!/bin/sh
# Symlinks planted in the closure: a rollback replaces the link and never
# writes through it; the link goes to quarantine. An included file made a
# link to a broken file elsewhere, a dangling link as an include, the
# drop-in directory made a link to another directory.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

sm_sandbox
E=$T/etc
D=$E/sshd_config.d
printf 'MaxAuthTries 6\n' >"$D/10-base.conf"
chmod 0644 "$D/10-base.conf"
sm_start_sshd
sm_start_guard

OUT=$(mktemp /tmp/sshmedic-symlink.XXXXXX) || sm_fail "mktemp"
OTHER=$(mktemp -d /tmp/sshmedic-symlink-dir.XXXXXX) || sm_fail "mktemp -d"
sl_cleanup() {
	local rc=$?
	rm -rf "$OUT" "$OTHER"
	(exit "$rc")
	sm_cleanup
}
trap sl_cleanup EXIT

# fingerprint PATH...: content, mode, size and mtime, to prove untouched.
fingerprint() {
	find "$@" -printf '%p %y %m %s %T@\n' -exec sha256sum {} \; 2>/dev/null |
	    LC_ALL=C sort
}

# 1. The included file becomes a link to a broken file outside.
printf 'MaxAuthTries 6\nNoSuchDirectiveLink yes\n' >"$OUT"
chmod 0644 "$OUT"
fp=$(fingerprint "$OUT")
sm_break "included file -> link to a broken file" \
    ln -sfn "$OUT" "$D/10-base.conf"
[ -L "$D/10-base.conf" ] && sm_fail "1: still a link"
[ "$(fingerprint "$OUT")" = "$fp" ] || sm_fail "1: the link's target was written"
grep -rlsF "$OUT" "$T/state/quarantine" >/dev/null ||
    sm_fail "1: the link is not recorded in quarantine"
sm_log "1: link replaced by the known-good file, target untouched"

# 2. A dangling link as an include.
sm_break "dangling link as an include" \
    ln -s /nonexistent/sshmedic-dangling.conf "$D/20-dangling.conf"
[ -e "$D/20-dangling.conf" ] || [ -L "$D/20-dangling.conf" ] &&
    sm_fail "2: dangling link still there"
grep -rlsF /nonexistent/sshmedic-dangling.conf "$T/state/quarantine" \
    >/dev/null || sm_fail "2: the dangling link is not recorded in quarantine"

# 3. The included file becomes a dangling link.
sm_break "included file -> dangling link" \
    ln -sfn /nonexistent/sshmedic-gone.conf "$D/10-base.conf"

# 4. The drop-in directory becomes a link to another directory holding a
# broken drop-in: the link is replaced by a real directory with the
# known-good files; nothing is written into the other directory.
printf 'NoSuchDirectiveDirLink yes\n' >"$OTHER/10-base.conf"
printf 'MaxAuthTries 6\n' >"$OTHER/11-extra.conf"
chmod 0755 "$OTHER"
chmod 0644 "$OTHER"/*.conf
fp=$(fingerprint "$OTHER")
sm_break "drop-in directory -> link to another directory" \
    sh -c "mv '$D' '$T/moved.d' && ln -s '$OTHER' '$D'"
[ -L "$D" ] && sm_fail "4: drop-in directory still a link"
[ -d "$D" ] || sm_fail "4: drop-in directory missing"
[ "$(fingerprint "$OTHER")" = "$fp" ] ||
    sm_fail "4: the other directory was written: $(ls -la "$OTHER")"
grep -rlsF "$OTHER" "$T/state/quarantine" >/dev/null ||
    sm_fail "4: the directory link is not recorded in quarantine"
sg_no_temps "$E" "$OTHER"
sm_pass
