#!/bin/sh
# C7: a valid, safe change is accepted; once sshd serves it (reload, pidfile
# rewritten, banner) it becomes generation 2, and sshmedic diff 1 2 shows it.
# A later bad change rolls back to generation 2, not 1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_setup_guarded
D=$T/etc/sshd_config.d

sm_mark sshmedic-config-promoted
sm_accept "safe drop-in" \
    sh -c "printf 'MaxAuthTries 4\nClientAliveInterval 120\n' >'$D/30-safe.conf'"
# Not yet served: still generation 1.
"$SMC" -f "$SM_CONF" --json status >"$T/status.json" ||
    sm_fail "sshmedic status failed"
[ "$(sm_json_field "$(cat "$T/status.json")" generation)" = 1 ] ||
    sm_fail "generation is not 1 before sshd serves: $(cat "$T/status.json")"

sm_reload_sshd
ev=$(sm_next_event sshmedic-config-promoted) || sm_fail "not promoted"
[ "$(sm_json_field "$ev" gen)" = 2 ] || sm_fail "promoted gen is not 2: $ev"
[ "$(sm_json_field "$ev" prev_gen)" = 1 ] || sm_fail "prev_gen is not 1: $ev"
sm_log "audit: $(sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" | head -1)"
sm_ssh_login "$SM_USER"

"$SMC" -f "$SM_CONF" diff 1 2 >"$T/diff12" ||
    sm_fail "sshmedic diff 1 2 failed: $(cat "$T/diff12")"
grep -q '^+.*MaxAuthTries 4' "$T/diff12" ||
    sm_fail "diff 1 2 does not show the change: $(cat "$T/diff12")"
grep -q '30-safe.conf' "$T/diff12" ||
    sm_fail "diff 1 2 does not name the file: $(cat "$T/diff12")"
"$SMC" -f "$SM_CONF" history >"$T/history" || sm_fail "sshmedic history failed"
grep -qw 2 "$T/history" || sm_fail "history lacks gen 2: $(cat "$T/history")"
"$SMC" -f "$SM_CONF" --json status >"$T/status.json"
[ "$(sm_json_field "$(cat "$T/status.json")" generation)" = 2 ] ||
    sm_fail "status generation is not 2: $(cat "$T/status.json")"

# The next bad change goes back to generation 2.
sm_snapshot
sm_break "bad change after promotion" \
    sh -c "echo 'MaxAuthTries lots' >>'$D/30-safe.conf'"
ev=$(sm_next_event sshmedic-config-rollback)
[ "$(sm_json_field "$ev" gen)" = 2 ] || sm_fail "rollback not to gen 2: $ev"
grep -q '^MaxAuthTries 4$' "$D/30-safe.conf" || sm_fail "gen 2 content lost"

# A safe edit of the main file, served: generation 3.
sm_accept "safe main edit" sed -i '$a LoginGraceTime 45' "$T/etc/sshd_config"
sm_mark sshmedic-config-promoted
sm_reload_sshd
ev=$(sm_next_event sshmedic-config-promoted) || sm_fail "main edit not promoted"
[ "$(sm_json_field "$ev" gen)" = 3 ] || sm_fail "promoted gen is not 3: $ev"
sm_ssh_login "$SM_USER"
sm_pass
