#!/bin/sh
# U5 of LOCKOUTS.md: a lost password. The account's password becomes one
# nobody knows; password logins fail; the policy's set_password puts the
# hash root escrowed (root, 0600, one openssl passwd -6 line) in place and
# the escrowed password logs in. The password and its hash reach no log,
# audit record, JSON line, request or output of the test (nothing here
# prints them; they go to tools on stdin, never on a command line). An
# escrow file of mode 0644, or a symlink there, makes the action fail with
# the reason and changes nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

sm_cred_sandbox
U=$(sm_cred_name)
sm_cred_user "$U"
ESC=$T/escrow/$U.hash
mkdir -m 0700 "$T/escrow" "$T/escrow2"
# The escrowed password, known to the test only; its hash in the escrow.
PW=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24)
[ ${#PW} = 24 ] || sm_fail "no password"
(umask 077 && printf '%s\n' "$PW" | openssl passwd -6 -stdin >"$ESC") ||
    sm_fail "openssl passwd"
chown root:root "$ESC"
chmod 0600 "$ESC"
HASH=$(cat "$ESC")
case $HASH in '$6$'*) ;; *) sm_fail "the escrow holds no SHA-512 hash" ;; esac
cp -p "$ESC" "$T/escrow2/$U.hash"
# The password nobody knows: made, hashed, set and forgotten (chpasswd
# reads it on stdin).
printf '%s:%s\n' "$U" "$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24 |
    openssl passwd -6 -stdin)" | chpasswd -e 2>>"$T/tools.log" ||
    sm_fail "chpasswd"
LOST=$(getent shadow "$U" | cut -d: -f2)
case $LOST in '$6$'*) ;; *) sm_fail "no lost password set" ;; esac
[ "$LOST" != "$HASH" ] || sm_fail "the lost password is the escrowed one"

sm_cred_start_sshd
sm_cred_conf "$SM_USER"
sm_cred_policy u5 "policies = ( {
	name = \"u5-escrow\";
	on = \"user_failures\";
	users = [ \"$U\" ];
	failures = 1;
	cooldown_ms = 0;
	actions = ( { do = \"set_password\"; escrow = \"$ESC\"; } );
} );"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"
sm_cred_ssh "$U" || sm_fail "key login of $U"

shadow_hash() { getent shadow "$U" | cut -d: -f2; }

# expect_res OP RES TYPE: the next OP record (after sm_mark OP) has result
# RES and ausearch finds it; prints the JSON line.
expect_res() {
	local ev evid
	ev=$(sm_next_event "$1") || sm_fail "no $1 record"
	[ "$(sm_json_field "$ev" res)" = "$2" ] || sm_fail "$1 is not $2"
	evid=$(sm_evid "$ev")
	[ -n "$evid" ] || sm_fail "$1 without id"
	sm_ausearch_evid "$3" "$evid" >/dev/null
	printf '%s\n' "$ev"
}

# refused WHAT TEXT: the password login fails, the action fails saying
# TEXT, the password is unchanged.
refused() {
	local what=$1 text=$2 ev
	sm_mark sshmedic-password-set sshmedic-policy-action
	sm_cred_pw "$U" "$PW" && sm_fail "$what: the escrowed password worked"
	ev=$(expect_res sshmedic-password-set failed USER_CHAUTHTOK)
	case $ev in *"escrow $ESC: $text"*) ;; *) sm_fail "$what: $ev" ;; esac
	ev=$(expect_res sshmedic-policy-action failed RESP_EXEC)
	case $ev in *"set_password for $U: escrow $ESC: $text"*) ;; *)
		sm_fail "$what: $ev" ;;
	esac
	[ "$(shadow_hash)" = "$LOST" ] || sm_fail "$what: the password changed"
	sm_log "$what: refused with the reason, nothing changed"
}

# 1. The escrow file readable by all: refused at use.
chmod 0644 "$ESC"
refused "escrow 0644" "must be a regular file of root's, mode 0600 or 0400"
chmod 0600 "$ESC"

# 2. A symlink (to a valid escrow file): never followed.
mv "$ESC" "$T/escrow/real.hash"
ln -s "$T/escrow2/$U.hash" "$ESC"
refused "escrow a symlink" "a symbolic link, not followed"
rm -f "$ESC"
mv "$T/escrow/real.hash" "$ESC"

# 3. The escrow as it should be: the hash set, the password logs in.
sm_mark sshmedic-password-set sshmedic-policy-action
sm_cred_pw "$U" "$PW" && sm_fail "the escrowed password worked before the repair"
ev=$(sm_expect_action sshmedic-password-set USER_CHAUTHTOK)
case $ev in *"password of $U set from $ESC"*) ;; *) sm_fail "set: $ev" ;; esac
ev=$(expect_res sshmedic-policy-action success RESP_EXEC)
[ "$(shadow_hash)" = "$HASH" ] || sm_fail "set: the shadow hash is not the escrowed one"
sm_cred_pw "$U" "$PW" || sm_fail "set: password login with the escrowed password"
sm_log "escrowed hash set by the policy, password login ok"
# Set once: the same hash again is nothing to do.
sm_mark sshmedic-password-set
sm_cred_pw "$U" "$(tr -dc a-z </dev/urandom | head -c 12)" &&
    sm_fail "a wrong password worked"
sm_cred_pw "$U" "$PW" || sm_fail "the password login again"
[ "$(sm_count_op sshmedic-password-set)" = "${SM_MARKS[sshmedic-password-set]}" ] ||
    sm_fail "the same hash was set again"

# The secrets: in no log, record, JSON line, request or file of the test
# (the escrow files and /etc/shadow hold the hash; nothing else may).
sm_status_json || sm_fail "status"
for s in "$PW" "$HASH" "${HASH##*\$}"; do
	sm_no_secret "$s"
	grep -rlF --exclude-dir=escrow --exclude-dir=escrow2 -- "$s" "$T" \
	    >"$T/leak.out" 2>/dev/null &&
	    sm_fail "a secret is in $(head -1 "$T/leak.out")"
done
sm_log "neither the password nor its hash was logged or kept"

sm_pass
