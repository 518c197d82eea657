#!/bin/sh
# S6: while sshd is down another process takes its port. The start fails
# (sshd's "Address already in use" goes to syslog) and names the holder;
# the repair step names the holder (pid and
# command) and does not kill it; the vendor default is not installed (it
# cannot free a port); step 5 keeps trying, loudly, and sshd serves again
# once the holder has gone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_tools python3
sm_sandbox
sm_start_sshd
sm_write_conf
sm_conf_start_stderr
sm_conf_vendor
sm_conf_set restart backoff_ms 200
sm_conf_set restart backoff_max_ms 800
sm_conf_set restart burst 100
sm_conf_set probe timeout_ms 500
sm_start_guard
sm_snapshot

# Frozen, sshmedicd cannot restart sshd before the other process binds.
old=$(sm_sshd_pid) || sm_fail "sshd not running"
sm_mark sshmedic-sshd-died sshmedic-sshd-start sshmedic-port-taken \
    sshmedic-sshd-failing
sm_take_port "$old"
holder=$SM_HOLDER

sm_expect_event sshmedic-sshd-died failed SERVICE_STOP >/dev/null
# sshd binds after forking into the background: "Address already in use"
# goes to syslog only, so sshmedicd names the holder in the start failure.
ev=$(sm_expect_event sshmedic-sshd-start failed SERVICE_START) || exit 1
case $ev in *"port $PORT is held by pid $holder (python3)"*) ;; *)
	sm_fail "failed start without sshd's reason: $ev" ;; esac
ev=$(sm_expect_event sshmedic-port-taken failed USYS_CONFIG) || exit 1
case $ev in *"pid $holder (python3)"*"not killed"*) ;; *)
	sm_fail "port-taken does not name the holder pid $holder: $ev" ;; esac
sm_log "reported: $(sm_json_field "$ev" reason)"
sm_wait_event sshmedic-sshd-failing $(( ${SM_MARKS[sshmedic-sshd-failing]} + 3 )) \
    >/dev/null || sm_fail "step 5 does not keep trying"
ev=$(sm_expect_event sshmedic-sshd-failing failed SERVICE_START) || exit 1
case $ev in *"ladder step 5"*"held by pid $holder"*) ;; *)
	sm_fail "step 5 event: $ev" ;; esac
kill -0 "$holder" 2>/dev/null || sm_fail "the holder was killed"
[ "$(sm_status_field ladder_step)" = 5 ] ||
    sm_fail "status ladder_step: $(sm_status_field ladder_step)"
case $(sm_status_field sshd_last_error) in *"held by pid $holder"*) ;; *)
	sm_fail "status sshd_last_error: $(sm_status_field sshd_last_error)" ;;
esac
# Nothing of the admin's configuration was replaced for a port conflict.
sm_no_op sshmedic-config-vendor-default
sm_no_op sshmedic-config-rollback
sm_assert_restored "port taken"

# The holder goes away (a person decided): sshd comes back by itself.
kill "$holder"
wait "$holder" 2>/dev/null
sm_wait_for sm_sshd_new_pid "$old" >/dev/null || sm_fail "sshd not back"
ev=$(sm_wait_for sm_last_start_ok >/dev/null && sm_last_start_ok) ||
    sm_fail "last start: $ev"
sm_ausearch_evid SERVICE_START "$(sm_evid "$ev")" >/dev/null
sm_ssh_login "$SM_USER"
[ "$(sm_status_field ladder)" = idle ] ||
    sm_fail "ladder not idle: $(sm_status_field ladder)"
sm_pass
