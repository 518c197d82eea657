#!/bin/sh
# C2: sshd_config or an included file deleted, truncated to garbage, replaced
# by a directory or a dangling symlink: restored from known-good.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_sandbox
E=$T/etc
D=$E/sshd_config.d
# The port lives in a drop-in only: losing that file moves sshd to port 22.
sed -i "/^Port $PORT\$/d" "$E/sshd_config"
printf 'Port %s\nClientAliveInterval 60\n' "$PORT" >"$D/10-base.conf"
printf 'MaxSessions 8\n' >"$D/20-harmless.conf"
chmod 0644 "$D/10-base.conf" "$D/20-harmless.conf"
sm_start_sshd
sm_start_guard

sm_break "main deleted" rm -f "$E/sshd_config"
sm_break "main truncated to garbage" \
    sh -c "printf '\\001\\002\\377garbage\\n' >'$E/sshd_config'"
sm_quarantine_has garbage || sm_fail "garbage main not quarantined"
sm_break "main emptied (defaults: port 22, no probe address)" \
    sh -c ": >'$E/sshd_config'"
sm_break "main replaced by a directory" \
    sh -c "rm -f '$E/sshd_config' && mkdir '$E/sshd_config'"
sm_break "main replaced by a dangling symlink" \
    sh -c "rm -f '$E/sshd_config' && ln -s '$E/no-such-file' '$E/sshd_config'"

# An Include glob that matches nothing is fine for sshd; this one is a
# lockout because the file held the port.
sm_break "include holding the Port deleted" rm -f "$D/10-base.conf"
sm_break "include truncated to garbage" \
    sh -c "printf 'x=y {{{ \\033[2J\\377\\376\\000\\n' >'$D/10-base.conf'"
sm_break "include replaced by a directory" \
    sh -c "rm -f '$D/10-base.conf' && mkdir '$D/10-base.conf'"
[ -f "$D/10-base.conf" ] || sm_fail "directory not replaced by the file"
sm_break "include replaced by a dangling symlink" \
    sh -c "rm -f '$D/10-base.conf' && ln -s /nonexistent/sshmedic '$D/10-base.conf'"
[ -L "$D/10-base.conf" ] && sm_fail "dangling symlink left in place"
# Deleting a drop-in that held nothing vital is a valid change: kept.
sm_accept "harmless drop-in deleted" rm -f "$D/20-harmless.conf"
[ -e "$D/20-harmless.conf" ] && sm_fail "harmless deletion was undone"
sm_pass
