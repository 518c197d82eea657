#!/bin/sh
# The watch against the ways files really get written: vim in both write
# modes, sed -i, cp, mv of a prepared file, echo >>, a slow writer, a drop-in
# created later, the drop-in directory deleted and recreated.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_tools vim
sm_sandbox
E=$T/etc
D=$E/sshd_config.d
printf 'ClientAliveInterval 60\n' >"$D/10-base.conf"
chmod 0644 "$D/10-base.conf"
sm_start_sshd
sm_start_guard

# vim_append MODE FILE LINE: vim without a vimrc, as a script, with its swap
# file and write backup, appending LINE.
vim_append() {
	vim -u NONE -i NONE -N -es -c "set backupcopy=$1 writebackup backupskip=" \
	    -c "call append(line('\$'), '$3')" -c 'wq' "$2" </dev/null
}

sm_break "vim backupcopy=yes (write in place)" \
    vim_append yes "$E/sshd_config" "VimInPlace yes"
sm_break "vim backupcopy=no (rename)" \
    vim_append no "$E/sshd_config" "VimRename yes"
# The main file was replaced by a new inode: the watch must still see it.
sm_break "vim backupcopy=no again, same file" \
    vim_append no "$E/sshd_config" "VimRenameAgain yes"
sm_break "vim on a drop-in" vim_append no "$D/10-base.conf" "MaxAuthTries x"
sm_break "sed -i" sed -i 's/^ClientAliveInterval 60/ClientAliveInterval sixty/' \
    "$D/10-base.conf"
printf 'ClientAliveInterval 60\nBogusOption 1\n' >"$T/prepared.conf"
sm_break "cp over a drop-in" cp "$T/prepared.conf" "$D/10-base.conf"
cp "$T/prepared.conf" "$T/prepared2.conf"
sm_break "mv of a prepared file (config management)" \
    mv "$T/prepared2.conf" "$D/10-base.conf"
cp "$T/prepared.conf" "$D/.10-base.conf.tmp"
sm_break "mv of a temp file in the same directory" \
    mv "$D/.10-base.conf.tmp" "$D/10-base.conf"
sm_break "echo >> main" sh -c "echo 'Echoed nonsense' >>'$E/sshd_config'"
sm_break "bad drop-in created later" \
    sh -c "echo 'PermitRootLogin perhaps' >'$D/60-late.conf'"
[ -e "$D/60-late.conf" ] && sm_fail "late bad drop-in left in place"
# Without its drop-in directory the glob matches nothing: still valid.
sm_accept "drop-in directory deleted" rm -rf "$D"
# Recreated: the new directory is watched and a bad file in it found.
sm_break "drop-in directory recreated with a bad file" \
    sh -c "mkdir '$D' && echo 'Ciphers none-such' >'$D/10-base.conf'"
[ -f "$D/10-base.conf" ] || sm_fail "drop-in directory not restored"

# A slow writer: half a line, a pause, the rest. The half alone is invalid;
# the finished file is valid and must be kept, not rolled back.
sm_mark sshmedic-config-valid sshmedic-config-rollback
loglen=$(wc -c <"$T/daemon.log")
exec 7>>"$D/10-base.conf"
printf 'MaxSess' >&7
# Wait (bounded, 1 s) until the daemon's debug log mentions the file.
sm_wait_for -t 1 sh -c "tail -c +$((loglen + 1)) '$T/daemon.log' | grep -q 10-base.conf" ||
    sm_log "slow writer: daemon logged nothing about the half write within 1 s"
printf 'ions 7\n' >&7
exec 7>&-
sm_next_event sshmedic-config-valid >/dev/null ||
    sm_fail "slow writer: finished file not found valid"
[ "$(sm_count_op sshmedic-config-rollback)" = \
    "${SM_MARKS[sshmedic-config-rollback]}" ] ||
    sm_fail "slow writer: rolled back while still writing"
grep -qx 'MaxSessions 7' "$D/10-base.conf" ||
    sm_fail "slow writer: content lost: $(cat "$D/10-base.conf")"
sm_ssh_login "$SM_USER"

sm_accept "good drop-in created later" \
    sh -c "echo 'MaxStartups 20:30:60' >'$D/70-late.conf'"
sm_accept "vim rename, safe edit" vim_append no "$E/sshd_config" "LoginGraceTime 50"
sm_pass
