#!/bin/sh
# metrics.textfile against a real sshd under its own PAM service: a
# rollback, sshd killed, failed logins reported by PAM and by sshd's log,
# a login, a policy's action, dry run and suppression each show in the
# file, read with the real parser of the format (python3-prometheus-client),
# `promtool check metrics` and the node exporter's textfile collector
# itself; HELP and TYPE once per family, no series twice; counters do not
# go down over a SIGHUP; the file is written again at stop; the example
# alert rules pass `promtool check rules` and their unit tests.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"
. "$top_srcdir/tests/integration/lib_pol.sh"

PY=/usr/bin/python3
PROM=$top_srcdir/tests/integration/prom.py
sm_need_tools "$PY" promtool prometheus-node-exporter
"$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
    sm_skip "python3-prometheus-client is not installed"

sm_cred_sandbox
U=$(sm_cred_name)
sm_cred_user "$U"
sp_hook_script
sm_cred_start_sshd
sm_cred_conf "$SM_USER" "$U"
mkdir -p "$T/prom"
chmod 0755 "$T/prom"
F=$T/prom/sshmedic.prom
sm_conf_set metrics textfile "\"$F\""
# The first failure of $U fires both; the second is in pm-hook's cooldown.
sm_cred_policy 10-hook "policies = ( {
	name = \"pm-hook\"; on = \"user_failures\"; users = [ \"$U\" ];
	failures = 1; window_ms = 600000; cooldown_ms = 600000;
	actions = ( { do = \"hook\"; argv = [ \"$HOOK\", \"$T/out/pm\" ]; } );
} );"
sm_cred_policy 20-dry "policies = ( {
	name = \"pm-dry\"; on = \"user_failures\"; users = [ \"$U\" ];
	failures = 1; cooldown_ms = 0; dry_run = true;
	actions = ( \"fix_modes\" );
} );"

# A half-written temporary, as a writer killed mid-write leaves it, and
# the collector's other files: the first is removed at start, the others
# are not ours.
TMPF=$T/prom/.sshmedic-tmp.0123456789abcdef
printf '# HELP sshmedic_x half\nsshmedic_x 1' >"$TMPF"
echo 'other_metric 1' >"$T/prom/other.prom"

t0=$(( $(date +%s) - 1 ))
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"

# met NAME [k=v...]: the sample's value in the file now ("none": absent).
met() { "$PY" "$PROM" get "$F" "$@"; }
met_is() { [ "$(met "${@:2}")" = "$1" ]; }
met_ge() { local v; v=$(met "${@:2}"); [ "$v" != none ] && [ "${v%.*}" -ge "$1" ]; }
checkf() { "$PY" "$PROM" check "$F" >"$T/check.out" 2>&1 ||
    sm_fail "$1: $(cat "$T/check.out")"; }

# 1. At start: the file, complete, 0644, the temporary gone, others kept.
sm_wait_for met_is 1 sshmedic_known_good_generation ||
    sm_fail "1: no metrics file with generation 1: $(cat "$F" 2>&1 | head)"
[ ! -e "$TMPF" ] || sm_fail "1: the killed writer's temporary is still there"
[ -f "$T/prom/other.prom" ] || sm_fail "1: another collector file was removed"
[ "$(stat -c %a "$F")" = 644 ] || sm_fail "1: mode $(stat -c %a "$F")"
grep -q 'removed 1 temporary files' "$T/daemon.log" ||
    sm_fail "1: the sweep was not logged"
checkf 1
met_is 1 sshmedic_build_info "version=$("$SMD" -V | cut -d' ' -f2)" ||
    sm_fail "1: build_info: $(grep build_info "$F")"
st=$(met sshmedic_start_time_seconds)
[ "${st%.*}" -ge "$t0" ] && [ "${st%.*}" -le "$(date +%s)" ] ||
    sm_fail "1: start time $st"
met_is 1 sshmedic_guard_state state=watching || sm_fail "1: guard state"
met_is 1 sshmedic_state state=ok || sm_fail "1: state: $(grep '^sshmedic_state' "$F")"
met_is 1 sshmedic_sshd_up || sm_fail "1: sshd_up"
met_is 0 sshmedic_rollbacks_total || sm_fail "1: rollbacks"
p=$(met sshmedic_sshd_last_probe_success_timestamp_seconds)
[ "${p%.*}" -ge "$t0" ] || sm_fail "1: last probe $p"
sm_log "1: at start: complete, 0644, a leftover temporary removed"

# 2. A rollback: a drop-in that denies the protected user.
sm_mark sshmedic-config-rollback
echo "DenyUsers $SM_USER" >"$T/etc/sshd_config.d/50-deny.conf"
sm_expect_rollback "2: DenyUsers"
sm_wait_for met_is 1 sshmedic_rollbacks_total || sm_fail "2: rollbacks_total"
met_ge 1 sshmedic_validations_rejected_total || sm_fail "2: rejected"
met_is 1 sshmedic_known_good_generation || sm_fail "2: generation"
sm_log "2: the rollback counted"

# 3. sshd killed: brought back, counted by cause.
old=$(sm_sshd_pid) || sm_fail "3: no sshd"
sm_mark sshmedic-sshd-start
kill -KILL "$old"
sm_next_event sshmedic-sshd-start >/dev/null || sm_fail "3: not restarted"
sm_wait_for met_is 1 sshmedic_sshd_restarts_total cause=exited ||
    sm_fail "3: restarts: $(grep restarts_total "$F")"
sm_wait_for met_is 1 sshmedic_sshd_up || sm_fail "3: sshd_up"
met_ge 1 sshmedic_sshd_start_attempts_total result=success ||
    sm_fail "3: start attempts"
met_is 0 sshmedic_sshd_restarts_total cause=unresponsive || sm_fail "3: cause"
met_is 0 sshmedic_ladder_step || sm_fail "3: ladder step"
sm_log "3: sshd's death counted as exited"

# 4. Failed logins of $U: a refused key (sshd's log), a wrong password
# (PAM); the policies act on the first and hold back or dry-run the next.
sm_cred_ssh "$U" "$T/client/wrong" && sm_fail "4: a wrong key logged in"
sm_wait_for met_ge 1 sshmedic_auth_failures_total source=authlog ||
    sm_fail "4: authlog failures: $(grep auth_failures "$F")"
sm_cred_pw "$U" not-the-password && sm_fail "4: a wrong password logged in"
sm_wait_for met_ge 1 sshmedic_auth_failures_total source=pam ||
    sm_fail "4: pam failures: $(grep auth_failures "$F")"
sm_wait_for met_is 1 sshmedic_policy_actions_total policy=pm-hook result=ok ||
    sm_fail "4: pm-hook: $(grep policy_actions "$F")"
sm_wait_for met_is 1 sshmedic_policy_actions_total policy=pm-hook \
    result=suppressed || sm_fail "4: suppressed: $(grep policy_actions "$F")"
sm_wait_for met_is 2 sshmedic_policy_actions_total policy=pm-dry \
    result=dry_run || sm_fail "4: dry run: $(grep policy_actions "$F")"
met_is 0 sshmedic_policy_actions_total policy=pm-dry result=ok ||
    sm_fail "4: a dry run counted as done"
[ "$(sp_runs pm)" = 1 ] || sm_fail "4: the hook ran $(sp_runs pm) times"
sm_log "4: failures by source, the policies' action, hold-back and dry run"

# 5. A login: counted, its time known.
t5=$(( $(date +%s) - 1 ))
sm_cred_ssh "$U" || sm_fail "5: $U cannot log in"
sm_wait_for met_ge 1 sshmedic_auth_successes_total source=pam ||
    sm_fail "5: successes: $(grep auth_successes "$F")"
l=$(met sshmedic_last_login_success_timestamp_seconds)
[ "${l%.*}" -ge "$t5" ] && [ "${l%.*}" -le "$(date +%s)" ] ||
    sm_fail "5: last login $l"
met_is 0 sshmedic_auth_successes_total source=authlog || sm_fail "5: authlog ok"
sm_log "5: the login counted"

# 6. The whole file: our checker, promtool's linter, the node exporter.
checkf 6
promtool check metrics <"$F" >"$T/promtool.out" 2>&1 ||
    sm_fail "6: promtool check metrics: $(cat "$T/promtool.out")"
NPORT=$(sm_free_port) || sm_fail "6: no free port"
prometheus-node-exporter --web.listen-address="127.0.0.1:$NPORT" \
    --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$T/prom" >"$T/node.log" 2>&1 &
NODE=$!
scrape() {
	"$PY" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
	    "http://127.0.0.1:$NPORT/metrics" >"$T/scrape.out" 2>/dev/null &&
	    grep -q '^sshmedic_rollbacks_total 1$' "$T/scrape.out"
}
sm_wait_for scrape || { kill "$NODE"; sm_fail "6: node exporter: $(tail -5 "$T/node.log")"; }
kill "$NODE"
wait "$NODE" 2>/dev/null
grep -q '^node_textfile_scrape_error 0$' "$T/scrape.out" ||
    sm_fail "6: the collector refused a file: $(grep textfile "$T/scrape.out")"
grep -q 'file="[^"]*sshmedic.prom"' "$T/scrape.out" ||
    sm_fail "6: no mtime of sshmedic.prom in the scrape"
grep -q '^sshmedic_policy_actions_total{policy="pm-hook",result="ok"} 1$' \
    "$T/scrape.out" || sm_fail "6: labelled series not in the scrape"
sm_log "6: parser, promtool and the node exporter's collector take the file"

# 7. SIGHUP: no counter goes down, none disappears.
"$PY" "$PROM" counters "$F" >"$T/c1" || sm_fail "7: counters"
sm_mark sshmedic-daemon-reconfig
kill -HUP "$SM_DAEMON_PID"
sm_next_event sshmedic-daemon-reconfig >/dev/null || sm_fail "7: no reconfig"
n=$(met sshmedic_auth_failures_total source=authlog)
sm_cred_ssh "$U" "$T/client/wrong"
sm_wait_for met_ge $((n + 1)) sshmedic_auth_failures_total source=authlog ||
    sm_fail "7: not counted after the SIGHUP"
"$PY" "$PROM" counters "$F" >"$T/c2" || sm_fail "7: counters"
"$PY" "$PROM" ge "$T/c1" "$T/c2" >"$T/ge.out" 2>&1 ||
    sm_fail "7: $(cat "$T/ge.out")"
met_is 1 sshmedic_policy_actions_total policy=pm-hook result=ok ||
    sm_fail "7: a policy's count was reset by the reload"
sm_log "7: counters monotonic over a SIGHUP ($(cat "$T/ge.out"))"

# 8. At stop the last values are written in place; nothing left beside.
sm_stop_daemon
checkf 8
met_is 1 sshmedic_rollbacks_total || sm_fail "8: rollbacks after stop"
left=$(find "$T/prom" -name '.sshmedic-tmp.*' | wc -l)
[ "$left" = 0 ] || sm_fail "8: $left temporaries left"
sm_log "8: written at stop, no temporary left"

# 9. The example alert rules: valid, and they fire on the series above.
RULES=$top_srcdir/contrib/prometheus/sshmedic.rules.yml
promtool check rules "$RULES" >"$T/rules.out" 2>&1 ||
    sm_fail "9: promtool check rules: $(cat "$T/rules.out")"
cp "$RULES" "$T/sshmedic.rules.yml"
cp "$top_srcdir/tests/integration/sshmedic.rules.test.yml" "$T/"
(cd "$T" && promtool test rules sshmedic.rules.test.yml) >"$T/rtest.out" 2>&1 ||
    sm_fail "9: promtool test rules: $(cat "$T/rtest.out")"
sm_log "9: alert rules checked and unit-tested with promtool"
sm_pass
