#!/bin/sh
# The documented edit of Debian 12's own /etc/pam.d/sshd, made to a copy:
# each @include of common-auth and common-account replaced by its lines
# with pam_sshmedic.so placed as pam_sshmedic(8) says (every jump widened
# by the lines added), the session line after @include common-session,
# every other line (pam_nologin, pam_loginuid, pam_motd, pam_env,
# pam_selinux, common-password) kept. Run by a sandboxed sshd as its PAM
# service: a key login and a wrong password are counted, the right
# password logs in, and the stack's results are those of the original.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

for f in /etc/pam.d/sshd /etc/pam.d/common-auth /etc/pam.d/common-account; do
	[ -f "$f" ] || sm_skip "no $f (not a Debian system)"
done
sm_cred_sandbox
SOCK=$T/smrun/event.sock

# expand FILE KIND: FILE's lines with the module's placed in them: before
# pam_unix the preauth line (auth only), pam_unix's success=N one larger,
# right after it the failure line, after pam_deny the success line (auth).
expand() {
	awk -v mod="$MOD" -v sock="$SOCK" -v kind="$2" '
	/^[ \t]*#/ || /^[ \t]*$/ { next }
	$1 != kind { print; next }
	/pam_unix\.so/ {
		if (!match($0, /success=[0-9]+/))
			exit 1
		n = substr($0, RSTART + 8, RLENGTH - 8) + 1
		sub(/success=[0-9]+/, "success=" n)
		if (kind == "auth")
			print "auth optional " mod " preauth socket=" sock
		print
		what = "denied"
		if (kind == "auth")
			what = "authfail"
		print kind " optional " mod " " what " socket=" sock
		unix = 1
		next
	}
	/pam_deny\.so/ && unix && kind == "auth" {
		print
		print "auth optional " mod " authsucc socket=" sock
		next
	}
	{ print }
	END { if (!unix) exit 1 }' "$1"
}

{
	while IFS= read -r line; do
		case $line in
		"@include common-auth")
			expand /etc/pam.d/common-auth auth || exit 1 ;;
		"@include common-account")
			expand /etc/pam.d/common-account account || exit 1 ;;
		"@include common-session")
			echo "$line"
			echo "session optional $MOD socket=$SOCK" ;;
		*)
			echo "$line" ;;
		esac
	done </etc/pam.d/sshd
} >"$SM_PAMF" || sm_fail "could not expand Debian's stack"
grep -q "authfail socket=" "$SM_PAMF" && grep -q "denied socket=" "$SM_PAMF" &&
    grep -q "pam_nologin.so" "$SM_PAMF" && grep -q "common-password" "$SM_PAMF" ||
    sm_fail "expanded stack lacks a line: $(cat "$SM_PAMF")"
cp "$SM_PAMF" "$T/stack.txt"

U=$(sm_cred_name)
sm_cred_user "$U"
PW=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 16)
usermod -p "$(openssl passwd -6 -salt "$(tr -dc 'a-z0-9' </dev/urandom |
    head -c 8)" "$PW")" "$U" || sm_fail "usermod -p"
sm_cred_start_sshd
sm_cred_conf "$SM_USER" "$U"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"
field() { sm_status_json && [ "$(sm_jget protected_counters "$U" "$1")" = "$2" ]; }

sm_cred_ssh "$U" || sm_fail "key login through Debian's expanded stack"
sm_wait_for field successes 1 || sm_fail "the key login was not counted"
sm_log "key login: counted as a success"
sm_cred_pw "$U" wrong-password && sm_fail "a wrong password logged in"
sm_wait_for field failures 1 || sm_fail "the wrong password was not counted"
sm_log "wrong password: refused and counted"
sm_cred_pw "$U" "$PW" || sm_fail "the right password was refused"
sm_wait_for field successes 2 || sm_fail "the password login was not counted"
sm_log "right password: logs in, counted"
# An expired account: the account phase of Debian's stack denies it and
# the module's denied line says so.
chage -E 0 "$U"
sm_cred_ssh "$U" && sm_fail "an expired account logged in"
sm_wait_for field failures 2 || sm_fail "the account denial was not counted"
chage -E -1 "$U"
sm_cred_ssh "$U" || sm_fail "key login after the expiry was cleared"
sm_log "expired account: denied by the account phase, counted"
sm_no_secret "$PW"
sm_pass
