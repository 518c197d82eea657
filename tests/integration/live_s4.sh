#!/bin/sh
# S4: the host key removed, emptied or made readable by others, and then
# sshd killed (a restart after the damage): sshd cannot start ("Unable to
# load host key", "no hostkeys available"); the ladder's repair step regenerates a missing or empty key
# (a new key, never a copy) or sets a too open one to root 0600 (the same
# key), and sshd serves again. The guard's own debounce is long, so the key
# is repaired by the ladder, not by the config guard (that is guard_c6.sh).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_sandbox
sm_start_sshd
SM_DEBOUNCE_MS=30000
sm_write_conf
sm_conf_start_stderr
sm_start_guard
K=$T/etc/ssh_host_ed25519_key

fp() { ssh-keygen -l -f "$1" 2>/dev/null | cut -d' ' -f2; }

# break_and_kill WHAT WORDS CMD...: damages the key, kills sshd, and waits
# for the ladder: a failed start whose reason holds sshd's WORDS, a host key
# repair, a start.
break_and_kill() {
	local what=$1 words=$2 old ev
	shift 2
	old=$(sm_sshd_pid) || sm_fail "$what: sshd not running"
	sm_mark sshmedic-sshd-died sshmedic-sshd-start sshmedic-hostkey-repair
	"$@" || sm_fail "$what: the breaking command failed"
	kill -KILL "$old"
	sm_expect_event sshmedic-sshd-died failed SERVICE_STOP >/dev/null
	ev=$(sm_expect_event sshmedic-sshd-start failed SERVICE_START) || exit 1
	case $ev in *"$words"*"no hostkeys available"*) ;; *)
		sm_fail "$what: failed start without sshd's reason: $ev" ;; esac
	ev=$(sm_expect_event sshmedic-hostkey-repair success USYS_CONFIG) || exit 1
	sm_log "$what: $(sm_json_field "$ev" reason)"
	sm_wait_for sm_sshd_new_pid "$old" >/dev/null ||
	    sm_fail "$what: sshd not back after the repair"
	ev=$(sm_wait_for sm_last_start_ok >/dev/null && sm_last_start_ok) ||
	    sm_fail "$what: last start is not a success: $ev"
	sm_ausearch_evid SERVICE_START "$(sm_evid "$ev")" >/dev/null
	[ "$(stat -c '%a %U' "$K")" = "600 root" ] ||
	    sm_fail "$what: key is $(stat -c '%a %U' "$K")"
	[ "$(ssh-keygen -y -f "$K" | cut -d' ' -f1,2)" = \
	    "$(cut -d' ' -f1,2 "$K.pub")" ] ||
	    sm_fail "$what: .pub does not match the private key"
}

# 1. Private and public key removed: a new ed25519 key (type from its name).
fp0=$(fp "$K")
break_and_kill "removed" "Unable to load host key" rm -f "$K" "$K.pub"
fp1=$(fp "$K")
[ -n "$fp1" ] && [ "$fp1" != "$fp0" ] || sm_fail "removed: key not new ($fp1)"
# The old key is not trusted for the new one: the client refuses it...
sm_ssh "$SM_USER" && sm_fail "removed: client accepted a changed host key"
# ...until the admin trusts the new key, as after any rekey.
sm_trust_hostkey
sm_ssh_login "$SM_USER"

# 2. The private key emptied (the .pub left behind tells the type).
break_and_kill "emptied" "Unable to load host key" sh -c ": >'$K'"
fp2=$(fp "$K")
[ -n "$fp2" ] && [ "$fp2" != "$fp1" ] || sm_fail "emptied: key not new ($fp2)"
sm_trust_hostkey
sm_ssh_login "$SM_USER"

# 3. The private key made readable by all: the same key, mode 0600.
break_and_kill "chmod 0644" "are too open" chmod 0644 "$K"
[ "$(fp "$K")" = "$fp2" ] || sm_fail "chmod 0644: the key was replaced"
sm_ssh_login "$SM_USER"

grep -rq "BEGIN OPENSSH PRIVATE KEY" "$T/state" &&
    sm_fail "private key material found in the store"
# The configuration was known-good all along: no rollback was recorded.
sm_no_op sshmedic-config-rollback
sm_pass
