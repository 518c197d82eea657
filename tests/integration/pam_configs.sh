#!/bin/sh
# The pam-auth-update profile contrib/pam-configs/sshmedic on this
# machine's own Debian stacks, in a mount namespace of the test's own whose
# /etc/pam.d, /var/lib/pam, /usr/share/pam-configs, debconf database, PAM
# security directory (with this build's module in it) and /run are
# private copies: "pam-auth-update --enable sshmedic" puts the auth and
# account lines where the stack lands on a failure and the session line
# last; real PAM calls through the resulting common-* (pamtester) reach a
# real sshmedicd on the default socket: a failed password of sshd's
# service is counted, one of another service is not (events_other_service),
# a successful account check sends nothing, a refused one does, an opened
# session counts; --disable and --remove give the stacks back byte for
# byte. The machine's own files are never touched.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_private_run "$@"
sm_need_tools pam-auth-update pamtester python3 mount
# Everything below bind-mounts over system directories: only ever in the
# namespace sm_private_run made.
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] ||
    sm_fail "not in a mount namespace of its own"
MOD=$top_builddir/pam/.libs/pam_sshmedic.so
PROFILE=$top_srcdir/contrib/pam-configs/sshmedic
[ -f "$MOD" ] || sm_skip "module not built: $MOD"
[ -f /etc/pam.d/common-auth ] || sm_skip "no Debian common-auth here"

sm_sandbox
SECDIR=
for d in /lib/*-linux-gnu*/security /lib/security /lib64/security \
    /usr/lib/*-linux-gnu*/security /usr/lib/security; do
	[ -e "$d/pam_unix.so" ] && { SECDIR=$d; break; }
done
[ -n "$SECDIR" ] || sm_skip "no PAM security directory with pam_unix.so"

# private DIR: a copy of DIR mounted over it (in this namespace only).
private() {
	local c=$T/private$1
	mkdir -p "$c"
	cp -a "$1/." "$c/" || sm_fail "copy of $1"
	mount --bind "$c" "$1" || sm_fail "mount --bind over $1"
}
private /etc/pam.d
private /var/lib/pam
private /usr/share/pam-configs
private /var/cache/debconf
private "$SECDIR"
cp "$PROFILE" /usr/share/pam-configs/sshmedic
cp "$MOD" "$SECDIR/pam_sshmedic.so"
mkdir "$T/orig"
cp -a /etc/pam.d/common-* "$T/orig/"
export DEBIAN_FRONTEND=noninteractive

# lines FILE: the module lines of a stack, blanks squeezed, none trailing.
lines() { grep -v '^#' "$1" | grep . | tr -s ' \t' ' ' | sed 's/ $//'; }
# after FILE A B: line B comes right after line A.
after() {
	lines "$1" | grep -A1 -xF -- "$2" | tail -n +2 | grep -qxF -- "$3" ||
	    sm_fail "$1: '$3' does not follow '$2': $(lines "$1")"
}
same_as_orig() {
	local f
	for f in "$T"/orig/common-*; do
		cmp -s "$f" "/etc/pam.d/${f##*/}" ||
		    sm_fail "$1: /etc/pam.d/${f##*/} differs: $(diff "$f" "/etc/pam.d/${f##*/}")"
	done
}

sm_log "1: pam-auth-update --enable sshmedic: lines between the checks and pam_deny"
pam-auth-update --enable sshmedic >"$T/pau.log" 2>&1 ||
    sm_fail "pam-auth-update --enable: $(cat "$T/pau.log")"
A=/etc/pam.d/common-auth
after $A "auth [success=2 default=ignore] pam_unix.so nullok" \
    "auth optional pam_sshmedic.so authfail"
after $A "auth optional pam_sshmedic.so authfail" "auth requisite pam_deny.so"
[ "$(grep -c pam_sshmedic "$A")" = 1 ] || sm_fail "$A: $(lines "$A")"
C=/etc/pam.d/common-account
after $C "account [success=2 new_authtok_reqd=done default=ignore] pam_unix.so" \
    "account optional pam_sshmedic.so denied"
after $C "account optional pam_sshmedic.so denied" "account requisite pam_deny.so"
S=/etc/pam.d/common-session
[ "$(lines $S | tail -1)" = "session optional pam_sshmedic.so" ] ||
    sm_fail "$S: the module is not the last line: $(lines $S)"
! grep -q pam_sshmedic /etc/pam.d/common-session-noninteractive ||
    sm_fail "the module is in common-session-noninteractive"
! grep -q pam_sshmedic /etc/pam.d/common-password ||
    sm_fail "the module is in common-password"

sm_log "2: real PAM calls through the common-* stacks reach sshmedicd"
SVC=sshmedic-pcfg-$(basename "$T" | tr -dc 'A-Za-z0-9' | tr 'A-Z' 'a-z')
printf '@include common-auth\n@include common-account\n@include common-session\n' \
    >"/etc/pam.d/$SVC"
cp "/etc/pam.d/$SVC" "/etc/pam.d/$SVC-other"
sm_start_sshd
sm_write_conf
# The module lines of the profile name no socket: the default one, in
# this namespace's own /run.
sm_conf_set paths run '"/run/sshmedic"'
sm_conf_set sshd pam_service "\"$SVC\""
sm_start_daemon
[ -S /run/sshmedic/event.sock ] || sm_fail "no /run/sshmedic/event.sock"
sm_wait_field 0 events_received
pt() { local s=$1; shift; pamtester -I rhost=192.0.2.61 "$s" "$@" >>"$T/pt.out" 2>&1; }

# A wrong password (smt-admin's is '*': nothing matches).
echo wrong-password | pt "$SVC" "$SM_USER" authenticate &&
    sm_fail "pam_unix accepted a wrong password"
sm_wait_field 1 events_received
sm_wait_field 1 protected_counters "$SM_USER" failures
# The same through another service: received, not counted.
echo wrong-password | pt "$SVC-other" "$SM_USER" authenticate &&
    sm_fail "pam_unix accepted a wrong password ($SVC-other)"
sm_wait_field 2 events_received
sm_wait_field 1 events_other_service
sm_field_is 1 protected_counters "$SM_USER" failures ||
    sm_fail "another service's failure was counted"
# The account phase: allowed, pam_unix jumps over the module (nothing
# sent); an unknown account is refused and reported. The second event
# arriving as the third received shows the first sent none.
pt "$SVC" "$SM_USER" acct_mgmt || sm_fail "acct_mgmt of $SM_USER: $(tail -3 "$T/pt.out")"
pt "$SVC" smt-pcfg-nosuchuser acct_mgmt && sm_fail "acct_mgmt of an unknown user passed"
sm_wait_field 3 events_received
sm_field_is 1 protected_counters "$SM_USER" failures ||
    sm_fail "an allowed account check was counted as a failure"
# An opened session: a success of the protected user.
pt "$SVC" "$SM_USER" open_session close_session ||
    sm_fail "open_session: $(tail -3 "$T/pt.out")"
sm_wait_field 4 events_received
sm_wait_field 1 protected_counters "$SM_USER" successes
sm_stop_daemon
rm -f "/etc/pam.d/$SVC" "/etc/pam.d/$SVC-other"

sm_log "3: --disable and --package --remove give the stacks back byte for byte"
pam-auth-update --disable sshmedic >"$T/pau.log" 2>&1 ||
    sm_fail "pam-auth-update --disable: $(cat "$T/pau.log")"
same_as_orig "--disable"
pam-auth-update --enable sshmedic >"$T/pau.log" 2>&1 &&
    grep -q pam_sshmedic $A || sm_fail "enable again: $(cat "$T/pau.log")"
pam-auth-update --package --remove sshmedic >"$T/pau.log" 2>&1 ||
    sm_fail "pam-auth-update --package --remove: $(cat "$T/pau.log")"
same_as_orig "--package --remove (the prerm's)"

sm_pass
