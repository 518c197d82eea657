#!/bin/sh
# authlog.command with the journalctl line documented for journald hosts
# (--follow --lines=0 --output=cat _COMM=sshd _UID=0), against a journal
# file that systemd-journal-remote writes (no journald runs here): sshd's
# entry as root counts, the same text from another program or uid does not.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

JREMOTE=/lib/systemd/systemd-journal-remote
sg_need_python
sm_need_tools journalctl "$JREMOTE"
sm_sandbox
sm_start_sshd
J=$T/journal/sshd.journal
mkdir -p "$T/journal"
chmod 0700 "$T/journal"
SM_CONF_EXTRA="authlog = { command = [ \"/usr/bin/journalctl\", \"--file=$J\", \"--follow\", \"--lines=0\", \"--output=cat\", \"_COMM=sshd\", \"_UID=0\" ]; };"
sm_write_conf

FP=SHA256:S34DyjVcvBSZq3EtBikzVDXY32ooJeLhi3WLV/HuZtk
# entry COMM UID MESSAGE: one entry in journal export format on stdout.
entry() {
	printf '__REALTIME_TIMESTAMP=%s\n_COMM=%s\n_UID=%s\nSYSLOG_IDENTIFIER=%s\nMESSAGE=%s\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_MACHINE_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=sandbox\n\n' \
	    "$(sm_now_ms)000" "$1" "$2" "$1" "$3"
}
# append: entries on stdin added to the journal file (journald's part).
append() { "$JREMOTE" -o "$J" - 2>>"$T/jremote.log"; }
entry sshd 0 "Server listening on 127.0.0.1 port $PORT." | append ||
    sm_fail "systemd-journal-remote could not write $J"

sm_start_guard
sm_wait_field running authlog state
# --lines=0 starts at the end: a marker proves journalctl reads.
reads() {
	entry sshd 0 "sshmedic-test marker" | append
	sm_status_json && [ "$(sm_jget authlog lines)" -ge 1 ]
}
sm_wait_for reads || sm_fail "journalctl does not read $J"

{
	entry logger 1000 "Failed publickey for $SM_USER from 192.0.2.1 port 1 ssh2: ED25519 $FP"
	entry sshd 1000 "Failed publickey for $SM_USER from 192.0.2.2 port 1 ssh2: ED25519 $FP"
	entry sshd 0 "Failed publickey for $SM_USER from 192.0.2.3 port 4242 ssh2: ED25519 $FP"
} | append || sm_fail "append"
sm_wait_field 1 authlog rejected_keys
sm_wait_field 1 protected_counters "$SM_USER" failures
has_src() { grep -q "^s $1 " "$T/state/counters" 2>/dev/null; }
sm_wait_for has_src 192.0.2.3 || sm_fail "the source of sshd's entry not counted"
has_src 192.0.2.1 && sm_fail "logger's entry counted"
has_src 192.0.2.2 && sm_fail "a non-root sshd's entry counted"
sm_log "journalctl _COMM=sshd _UID=0: only sshd's own entry counted"
sm_stop_daemon
sm_pass
