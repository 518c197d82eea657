#!/bin/sh
# S3: the privilege separation directory /run/sshd is gone (a reboot with a
# tmpfs /run) and sshd must start again: the plain restart fails with sshd's
# "Missing privilege separation directory", the ladder's repair step creates
# it (root, 0755) and sshd serves. Runs in a mount namespace of its own, so
# removing /run/sshd does not touch the other tests.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_private_run "$@"
[ "$(stat -c %i /run/sshd)" != "$(stat -c %i /proc/1/root/run/sshd 2>/dev/null)" ] ||
    sm_fail "/run/sshd is the machine's own, not private"
sm_sandbox
sm_start_sshd
sm_write_conf
sm_conf_set sshd privsep_dir '"/run/sshd"'
sm_conf_start_stderr
sm_start_guard

for round in removed removed-again; do
	old=$(sm_sshd_pid) || sm_fail "$round: sshd not running"
	sm_mark sshmedic-sshd-died sshmedic-sshd-start sshmedic-repair-privsep
	rmdir /run/sshd || sm_fail "$round: rmdir /run/sshd"
	kill -KILL "$old"
	sm_expect_event sshmedic-sshd-died failed SERVICE_STOP >/dev/null
	# The plain restart fails, with sshd's own words kept in the reason.
	ev=$(sm_expect_event sshmedic-sshd-start failed SERVICE_START) || exit 1
	case $ev in *"Missing privilege separation directory"*) ;; *)
		sm_fail "$round: failed start without sshd's reason: $ev" ;; esac
	ev=$(sm_expect_event sshmedic-repair-privsep success USYS_CONFIG) || exit 1
	case $ev in *"/run/sshd created"*) ;; *)
		sm_fail "$round: repair event: $ev" ;; esac
	sm_wait_for sm_sshd_new_pid "$old" >/dev/null ||
	    sm_fail "$round: sshd not back after the repair"
	# The last start of the series succeeded and says so.
	n=$(sm_count_op sshmedic-sshd-start)
	last=$(sm_wait_for sm_last_start_ok >/dev/null && sm_last_start_ok) ||
	    sm_fail "$round: last start event is not a success: $last"
	sm_ausearch_evid SERVICE_START "$(sm_evid "$last")" >/dev/null
	[ "$(stat -c '%F %a %U %G' /run/sshd)" = "directory 755 root root" ] ||
	    sm_fail "$round: /run/sshd is $(stat -c '%F %a %U %G' /run/sshd)"
	sm_ssh_login "$SM_USER"
	sm_log "$round: /run/sshd created, sshd serves ($n start events)"
done
# The configuration was known-good all along: no rollback was recorded.
sm_no_op sshmedic-config-rollback
sm_pass
