#!/bin/bash
# The sshmedic demo: a sandboxed sshd on 127.0.0.1 guarded by sshmedicd,
# broken four ways; each time the heal, a real ssh login and the audit record.
#
# Run as root from the source tree after building (see README.md):
#   demo/demo.sh     (binaries from ./, build/ or the source tree; or set
#                     top_builddir=DIR)
# It never touches /etc/ssh or the machine's sshd; it creates the test users
# smt-admin and smt-other (no password, key login only in the sandbox).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if [ -z "${top_builddir:-}" ]; then
	for d in "$PWD" "$top_srcdir/build" "$top_srcdir"; do
		[ -x "$d/watchdog/sshmedicd" ] && { top_builddir=$d; break; }
	done
fi
export top_srcdir top_builddir
# lib.sh names everything after $0; give the demo its own name.
. "$top_srcdir/tests/integration/lib.sh"
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

sm_sandbox
E=$T/etc
D=$E/sshd_config.d
printf 'ClientAliveInterval 60\n' >"$D/10-keepalive.conf"
chmod 0644 "$D/10-keepalive.conf"
sm_start_sshd
say "sandbox:   $T  (paths below are relative to it)"
say "sshd:      /usr/sbin/sshd -f $E/sshd_config  (pid $(sm_sshd_pid), 127.0.0.1:$PORT)"
sm_write_conf
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

printf '\n%s== What sshmedicd recorded%s\n' "$B$C" "$N"
show "$SMC" -f "$SM_CONF" history
printf '\n%sDone.%s The sandbox is removed on exit.\n' "$B$G" "$N"
exit 0
