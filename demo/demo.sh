#!/bin/bash
# The sshmedic demo: a sandboxed sshd on 127.0.0.1 guarded by sshmedicd,
# broken seven ways (its configuration four, sshd itself, a user's ~/.ssh
# modes and authorized_keys); each time the heal, a real ssh login and the
# audit record.
#
# Run as root from the source tree after building (see README.md):
#   demo/demo.sh     (binaries from ./, build/ or the source tree; or set
#                     top_builddir=DIR)
# It never touches /etc/ssh or the machine's sshd; it creates the test users
# smt-admin and smt-other (no password, key login only in the sandbox), an
# account smt-XXXXXXXX of its own and the sandbox sshd's PAM service
# /etc/pam.d/sshmedic-t-* with pam_sshmedic.so in it, both removed on exit.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -z "${top_builddir:-}" ]; then
	for d in "$PWD" "$top_srcdir/build" "$top_srcdir"; do
		[ -x "$d/watchdog/sshmedicd" ] && { top_builddir=$d; break; }
	done
fi
export top_srcdir top_builddir
# lib.sh names everything after $0; give the demo its own name.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"
SM_DUMP_ON_SIGNAL=0	# Ctrl-C: clean up quietly

if [ -t 1 ]; then
	B=$'\e[1m' DIM=$'\e[2m' G=$'\e[32m' R=$'\e[31m' Y=$'\e[33m' C=$'\e[36m' N=$'\e[0m'
else
	B= DIM= G= R= Y= C= N=
fi
STEP=0

step() {
	STEP=$((STEP + 1))
	printf '\n%s== Step %d: %s%s\n' "$B$C" "$STEP" "$1" "$N"
	printf '%s%s%s\n' "$DIM" "$2" "$N"
}
say() { printf '   %s\n' "$*"; }
ok() { printf '   %s✓%s %s\n' "$G" "$N" "$*"; }
show() { printf '%s   $ %s%s\n' "$Y" "$*" "$N"; "$@" 2>&1 | sed 's/^/     /'; }
# run 'SHELL TEXT': shows it as typed (paths relative to the sandbox) and runs it.
run() { printf '%s   $ %s%s\n' "$Y" "$1" "$N"; (cd "$T" && eval "$1") || sm_fail "$1"; }

# event OP: waits for the next OP event and prints a short summary of it.
event() {
	local ev f v line=
	ev=$(sm_next_event "$1") || sm_fail "no $1 event"
	for f in op res gen prev_gen reason; do
		v=$(sm_json_field "$ev" "$f")
		[ -n "$v" ] && line="$line $f=$v"
	done
	v=$(printf '%s\n' "$ev" | sed -n -E 's/.*"files": *\[([^]]*)\].*/\1/p')
	[ -n "$v" ] && line="$line files=$v"
	printf '   %s⚑%s%s\n' "$R" "$N" "${line//$T\//}" >&2
	printf '%s\n' "$ev"
}

# heal OP...: after a break, shows the events, the login and the audit record.
heal() {
	local ev evid
	ev=$(event sshmedic-config-rejected) || exit 1
	ev=$(event sshmedic-config-rollback) || exit 1
	evid=$(sm_evid "$ev")
	sm_sshd_t || sm_fail "closure invalid after the rollback"
	ok "closure restored: sshd -t passes"
	login
	audit USYS_CONFIG "$evid"
}

login() {
	sm_wait_for sm_sshd_up || sm_fail "sshd is not serving"
	printf '%s   $ ssh -i client/id_ed25519 -p %s %s@127.0.0.1 true%s\n' \
	    "$Y" "$PORT" "$SM_USER" "$N"
	sm_ssh "$SM_USER" || sm_fail "the admin cannot log in"
	ok "real ssh key login of $SM_USER works"
}

# cred_login USER / cred_refused USER: USER's own key from client/USER.
cred_login() {
	printf '%s   $ ssh -i client/%s -p %s %s@127.0.0.1 true%s\n' \
	    "$Y" "$1" "$PORT" "$1" "$N"
	sm_cred_ssh "$1" || sm_fail "$1 cannot log in"
	ok "real ssh key login of $1 works"
}
cred_refused() {
	local n
	n=$(wc -l <"$T/sshd.log")
	printf '%s   $ ssh -i client/%s -p %s %s@127.0.0.1 true%s\n' \
	    "$Y" "$1" "$PORT" "$1" "$N"
	sm_cred_ssh "$1" && sm_fail "sshd still accepted $1's key"
	# What sshd logged about it: StrictModes' reason, else the failure.
	sm_wait_for -t 5 sh -c "tail -n +$((n + 1)) '$T/sshd.log' |
	    grep -q 'Failed publickey for $1 '" || sm_fail "sshd logged no failure"
	tail -n +$((n + 1)) "$T/sshd.log" |
	    grep -E "Authentication refused|Failed publickey for $1 " | head -1 |
	    sed -E -e 's/^.*sshd\[[0-9]+\]: //' -e "s|$T/||g" -e "s/^/   $R✗$N sshd: /"
}

audit() {
	local out hex
	printf '%s   $ ausearch -m %s -i | grep evid=%s%s\n' "$Y" "$1" "$2" "$N"
	out=$(sm_ausearch_evid "$1" "$2") || exit 1
	printf '%s\n' "$out" | sed 's/^/     /'
	# libaudit hex-encodes values with spaces; ausearch -i leaves reason=
	# as it is, so decode it here for reading.
	hex=$(printf '%s\n' "$out" | sed -n -E 's/.* reason=([0-9A-F]+) .*/\1/p' | head -1)
	[ -n "$hex" ] && printf '     %s(reason decoded: %b)%s\n' "$DIM" \
	    "$(printf '%s' "$hex" | sed 's/../\\x&/g')" "$N"
	return 0
}

mark() { sm_mark sshmedic-config-rejected sshmedic-config-rollback \
    sshmedic-config-valid sshmedic-config-promoted; }

printf '%ssshmedic demo%s: sshmedicd keeps SSH access alive while the sshd\n' "$B" "$N"
printf 'configuration is broken underneath it. Everything runs in a sandbox.\n'

sm_cred_sandbox
E=$T/etc
D=$E/sshd_config.d
printf 'ClientAliveInterval 60\n' >"$D/10-keepalive.conf"
chmod 0644 "$D/10-keepalive.conf"
# A second account, logging in with its own key from ~/.ssh, whose
# credentials the PAM module and a policy look after.
U=$(sm_cred_name)
sm_cred_user "$U"
AK=$T/home/$U/.ssh/authorized_keys
sm_cred_start_sshd
sm_cred_conf "$SM_USER" "$U"
sm_conf_set restart backoff_ms 200
sm_cred_policy demo-keys "policies = ( {
	name = \"demo-keys\";
	on = \"user_failures\";
	users = [ \"$U\" ];
	failures = 1;
	cooldown_ms = 0;
	actions = ( \"fix_modes\", \"restore_keys\" );
} );"
say "sandbox:   $T  (paths below are relative to it)"
say "sshd:      bin/$SVC -f etc/sshd_config  (pid $(sm_sshd_pid), 127.0.0.1:$PORT;"
say "           the name is its PAM service, /etc/pam.d/$SVC, with pam_sshmedic.so)"
sm_start_daemon
ev=$(sm_wait_event sshmedic-config-baseline) || sm_fail "no baseline"
say "sshmedicd: $SMD -f $SM_CONF -D  (pid $SM_DAEMON_PID)"
ok "baseline: the current closure is known-good generation $(sm_json_field "$ev" gen)"
login

step "a syntax error in an included file" \
    "An admin adds a line sshd does not accept to a drop-in; the next reload would fail."
mark
run "echo 'PermitRootLogin maybe' >> etc/sshd_config.d/10-keepalive.conf"
heal
say "the rejected file is kept in quarantine:"
(cd "$T" && find state -path '*quarantine*' -type f ! -name '*.meta') |
    head -3 | sed 's/^/     /'

step "a drop-in that denies the protected user" \
    "Valid for sshd -t, but smt-admin could never log in again: the lockout guard refuses it."
mark
run "echo 'DenyUsers $SM_USER' > etc/sshd_config.d/50-deny.conf"
heal

step "the main configuration deleted" \
    "sshd_config is gone; sshd would not start again. It comes back from the store."
mark
run "rm etc/sshd_config"
heal

step "a valid, safe change that gets promoted" \
    "It passes sshd -t and the guard; once sshd serves it, it becomes the new known-good."
mark
run "echo 'MaxAuthTries 4' > etc/sshd_config.d/30-tries.conf"
event sshmedic-config-valid >/dev/null || exit 1
say "an admin reloads sshd; sshd rewrites its pidfile, the probe sees the banner:"
run "kill -HUP \$(cat run/sshd.pid)"
ev=$(event sshmedic-config-promoted) || exit 1
login
audit USYS_CONFIG "$(sm_evid "$ev")"
show "$SMC" -f "$SM_CONF" diff 1 "$(sm_json_field "$ev" gen)"

step "sshd killed, as the OOM killer does" \
    "sshmedicd holds a pidfd on the sshd master: the death is seen at once, sshd started again."
sm_mark sshmedic-sshd-died sshmedic-sshd-start
pid=$(sm_sshd_pid)
run "kill -KILL \$(cat run/sshd.pid)"
event sshmedic-sshd-died >/dev/null || exit 1
ev=$(event sshmedic-sshd-start) || exit 1
sm_wait_for sm_sshd_new_pid "$pid" >/dev/null || sm_fail "sshd did not come back"
login
audit SERVICE_START "$(sm_evid "$ev")"

step "$U's ~/.ssh made world-writable" \
    "sshd's StrictModes now refuses the key. The PAM module reports the failed login; the policy fixes the modes."
say "a key login of $U first: sshd tells the module which key file served it,"
say "and sshmedicd keeps that file as $U's known-good keys:"
sm_mark sshmedic-keys-snapshot
cred_login "$U"
event sshmedic-keys-snapshot >/dev/null || exit 1
sm_mark sshmedic-modes-fix sshmedic-policy-action
run "chmod 0777 home/$U/.ssh"
cred_refused "$U"
ev=$(event sshmedic-modes-fix) || exit 1
event sshmedic-policy-action >/dev/null || exit 1
say "now: $(stat -c '%A %U' "$T/home/$U/.ssh") home/$U/.ssh"
cred_login "$U"
audit USER_MGMT "$(sm_evid "$ev")"

step "$U's authorized_keys overwritten" \
    "A provisioning script writes someone else's key over it. The known-good file comes back; the overwritten one goes to quarantine."
sm_mark sshmedic-keys-restore sshmedic-policy-action
run "cp client/wrong.pub home/$U/.ssh/authorized_keys"
cred_refused "$U"
ev=$(event sshmedic-keys-restore) || exit 1
cmp -s "$AK" "$T/client/$U.pub" || sm_fail "the keys were not restored"
sm_quarantine_has "$(cut -d' ' -f2 "$T/client/wrong.pub")" ||
    sm_fail "the overwritten file is not in quarantine"
ok "the overwritten file is kept in quarantine"
cred_login "$U"
audit USER_MGMT "$(sm_evid "$ev")"

printf '\n%s== What sshmedicd recorded%s\n' "$B$C" "$N"
show "$SMC" -f "$SM_CONF" status
show "$SMC" -f "$SM_CONF" history
printf '\n%sDone.%s The sandbox is removed on exit.\n' "$B$G" "$N"
exit 0
