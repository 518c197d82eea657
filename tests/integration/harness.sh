#!/bin/sh
# Proves the harness itself, without the daemon: the sandbox sshd starts on a
# free loopback port, smt-admin's key logs in, a wrong key and user do not.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_sandbox
sm_start_sshd
sm_sshd_t || sm_fail "sandbox sshd_config does not pass sshd -t"
sm_ssh_login "$SM_USER"
sm_ssh_login "$SM_OTHER"
if sm_ssh "$SM_USER" "$T/client/wrong"; then
	sm_fail "login with a wrong key succeeded"
fi
if sm_ssh root; then
	sm_fail "root login succeeded (PermitRootLogin no)"
fi
# A reload keeps serving: the tests rely on SIGHUP re-exec and the pidfile.
old=$(sm_sshd_pid)
sm_reload_sshd
sm_wait_for sm_sshd_pid_is "$old" || sm_fail "sshd pid changed on SIGHUP"
sm_ssh_login "$SM_USER"
# The drop-in directory is read, and first value wins.
echo "DenyUsers $SM_OTHER" >"$T/etc/sshd_config.d/10-deny.conf"
sm_reload_sshd
sm_ssh "$SM_OTHER" && sm_fail "drop-in DenyUsers was not applied"
sm_ssh_login "$SM_USER"
sm_pass
