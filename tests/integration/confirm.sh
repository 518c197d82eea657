#!/bin/sh
# Commit confirmed against a real sshd under its own PAM service (the
# confirming login is pam_sshmedic's session event): (a) a change that
# passes sshd -t and the lockout guard but refuses the protected user's key
# is served, stays provisional, no login confirms it, and it is rolled back
# when guard.confirm_timeout_ms passes; (b) a good change is promoted by a
# fresh key login; (c) a login on a connection sshd accepted before it
# served the change does not confirm it; (d) `sshmedic try 3s` without
# guard.confirm makes the next change only provisional; (e) sshmedicd
# killed with SIGKILL while a change is provisional keeps its deadline.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

# guard.confirm_timeout_ms: short where the test waits for it to pass,
# long where a login must confirm in time (logins are slow under load).
SHORT_MS=8000
LONG_MS=60000
sm_cred_sandbox
P=$(sm_cred_name)
sm_cred_user "$P"
# A second key of P's, with a passphrase: its login can be held after
# sshd accepted the connection and before it authenticates (askpass).
PASS=$(tr -dc 'a-z' </dev/urandom | head -c 16)
ssh-keygen -q -t ed25519 -N "$PASS" -C "$P@held" -f "$T/client/held" ||
    sm_fail "held key"
cat "$T/client/held.pub" >>"$T/home/$P/.ssh/authorized_keys"
sm_cred_start_sshd
sm_cred_conf "$P"
sm_conf_set guard confirm '"login"'
sm_conf_set guard confirm_timeout_ms "$SHORT_MS"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"
sm_cred_ssh "$P" || sm_fail "first key login of $P"
sm_snapshot
DROP=$T/etc/sshd_config.d

# ev_ms LINE: the event's time in ms since the epoch.
ev_ms() {
	python3 -c '
import datetime, sys
t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ")
t = t.replace(tzinfo=datetime.timezone.utc)
print(int(t.timestamp() * 1000))' "$(sm_json_field "$1" time)"
}
state_is() { sm_status_json && [ "$(sm_jget state)" = "$1" ]; }
gen_is() { sm_status_json && [ "$(sm_jget generation)" = "$1" ]; }
prov_state() { sed -n 's/^provisional=//p' "$T/state/guard.state"; }
successes() { sm_status_json && sm_jget protected_counters "$P" successes; }
succ_ge() { [ "$(successes)" -ge "$1" ]; }

# serve NAME TEXT: a valid drop-in, then sshd reloaded: it must be served
# as a provisional change (its record read back, kept in PROV).
serve() {
	sm_mark sshmedic-config-valid sshmedic-config-provisional \
	    sshmedic-config-promoted sshmedic-config-unconfirmed \
	    sshmedic-config-rollback
	printf '%s\n' "$2" >"$DROP/$1.conf"
	sm_next_event sshmedic-config-valid >/dev/null ||
	    sm_fail "$1: not found valid"
	sm_reload_sshd
	PROV=$(sm_expect_event sshmedic-config-provisional success USYS_CONFIG) || exit 1
	sm_wait_for state_is provisional || sm_fail "$1: status is not provisional"
}
no_new() {	# no_new OP WHAT: no OP event since the last sm_mark of it
	[ "$(sm_count_op "$1")" = "${SM_MARKS[$1]}" ] ||
	    sm_fail "$2: $(grep "\"op\": *\"$1\"" "$T/events.json" | tail -1)"
}
# reverted WHAT TEXT: the unconfirmed change is rolled back (records read
# back), TEXT is in the quarantine, the closure is the snapshot again and
# the key login works. The unconfirmed record is kept in UN.
reverted() {
	UN=$(sm_expect_event sshmedic-config-unconfirmed failed USYS_CONFIG) || exit 1
	sm_expect_event sshmedic-config-rollback success USYS_CONFIG >/dev/null
	sm_quarantine_has "$2" || sm_fail "$1: the rejected file is not in quarantine"
	sm_assert_restored "$1"
	sm_wait_for state_is watching || sm_fail "$1: not watching after the rollback"
	sm_cred_ssh "$P" || sm_fail "$1: key login after the rollback"
}
# open_login KEY [VAR=VALUE...]: a key login of P in the background (pid
# in HELD) whose session lasts until close_login, as an admin's does: its
# sshd process is still there when sshmedicd reads the session event
# (`ssh host true` may be over by then on a busy machine, and a login
# that cannot be told is not counted).
open_login() {
	local key=$1
	shift
	rm -f "$T/hold"
	mkfifo "$T/hold" || sm_fail "mkfifo"
	env "$@" ssh -F /dev/null -i "$key" -o IdentitiesOnly=yes \
	    -o IdentityAgent=none -o PreferredAuthentications=publickey \
	    -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
	    -o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
	    -o StrictHostKeyChecking=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
	    -p "$PORT" "$P@127.0.0.1" 'read x; exit 0' <"$T/hold" 2>>"$T/ssh.log" &
	HELD=$!
	exec 7>"$T/hold"
}
# close_login: the session ends; the status of its ssh.
close_login() { exec 7>&-; wait "$HELD"; }
# confirmed WHAT GEN: a fresh key login of P promotes the provisional change
# to generation GEN.
confirmed() {
	local ev n
	n=$(successes)
	open_login "$T/client/$P"
	sm_wait_for succ_ge $((n + 1)) || sm_fail "$1: the key login of $P not counted"
	close_login || sm_fail "$1: key login of $P"
	ev=$(sm_expect_event sshmedic-config-promoted success USYS_CONFIG) || exit 1
	case $ev in *"confirmed by a login of $P after sshd served it"*) ;;
	*) sm_fail "$1: $ev" ;; esac
	[ "$(sm_json_field "$ev" gen)" = "$2" ] || sm_fail "$1: not generation $2: $ev"
	sm_wait_for state_is watching || sm_fail "$1: not watching"
	gen_is "$2" || sm_fail "$1: status generation is not $2"
	sm_snapshot
}

# (a) P's key refused in practice (the guard cannot know the key's type):
# served, provisional, the key login fails and confirms nothing, rolled
# back when the timeout passes.
BAD="Match User $P
	PubkeyAcceptedAlgorithms rsa-sha2-512"
sm_sshd_t || sm_fail "a: sshd -t refuses the baseline"
serve 50-algo "$BAD"
sm_cred_ssh "$P" && sm_fail "a: the key login works under the bad change"
reverted a "PubkeyAcceptedAlgorithms rsa-sha2-512"
no_new sshmedic-config-promoted "a: the bad change was promoted"
waited=$(( $(ev_ms "$UN") - $(ev_ms "$PROV") ))
[ "$waited" -ge $((SHORT_MS - 100)) ] ||
    sm_fail "a: reverted after $waited ms, before the timeout"
gen_is 1 || sm_fail "a: generation changed"
sm_log "a: served, provisional, no login confirmed it, rolled back after $waited ms"

# kill9 WHAT: sshmedicd killed with SIGKILL, gone.
kill9() {
	local pid=$SM_DAEMON_PID
	SM_DAEMON_PID=
	kill -KILL "$pid"
	sm_wait_for sm_gone "$pid" || sm_fail "$1: sshmedicd survived SIGKILL"
	wait "$pid" 2>/dev/null
}

# restart_with CONFIRM MS: the daemon restarted with guard.confirm and
# guard.confirm_timeout_ms.
restart_with() {
	sm_stop_daemon
	sm_conf_set guard confirm "\"$1\""
	sm_conf_set guard confirm_timeout_ms "$2"
	sm_start_daemon
}

# (b) A good change: a fresh key login of P (a PAM session) confirms it.
# It follows the reload by well under a second when the machine is idle:
# the start-time check must tell that apart from a login begun before.
restart_with login "$LONG_MS"
serve 51-alive "ClientAliveInterval 17"
confirmed b 2
no_new sshmedic-config-unconfirmed "b: the good change was not confirmed"
sm_log "b: a fresh key login after the reload promoted generation 2"

# (c) A connection sshd accepted before it served the change logs in
# after: it runs the old configuration and confirms nothing.
cat >"$T/askpass" <<EOF
#!/bin/sh
: >"$T/asked"
i=0
while [ ! -e "$T/gate" ] && [ \$i -lt 1500 ]; do sleep 0.02; i=\$((i + 1)); done
printf '%s\n' "$PASS"
EOF
chmod 0700 "$T/askpass"
open_login "$T/client/held" SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force \
    DISPLAY=:0
sm_wait_for test -e "$T/asked" || sm_fail "c: the held login did not reach its key"
before=$(successes)
serve 52-count "ClientAliveCountMax 4"
: >"$T/gate"
sm_wait_for succ_ge $((before + 1)) || sm_fail "c: the held login was not counted"
close_login || sm_fail "c: the held login failed"
state_is provisional || sm_fail "c: the held login ended the provisional state"
no_new sshmedic-config-promoted "c: a login accepted before the reload confirmed it"
grep -q "began before the change was served: not a confirmation" \
    "$T/daemon.log" || sm_fail "c: no word of the refused confirmation"
confirmed c 3
sm_log "c: a connection accepted before the reload did not confirm; a fresh one did"

# (d) sshmedic try 3s without guard.confirm: the next change only is
# provisional, for 3 s; the one after is promoted directly.
restart_with none "$LONG_MS"
gen_is 3 || sm_fail "d: generation after the restart"
sm_mark sshmedic-config-try
"$SMC" -f "$SM_CONF" try 3s >"$T/try.out" 2>>"$T/cli.log" || sm_fail "d: try"
grep -q "within 3 s" "$T/try.out" || sm_fail "d: try: $(cat "$T/try.out")"
sm_expect_event sshmedic-config-try success USYS_CONFIG >/dev/null
serve 53-try "MaxStartups 9:30:99"
case $PROV in *" in 3 s unless"*) ;; *) sm_fail "d: $PROV" ;; esac
reverted d "MaxStartups 9:30:99"
waited=$(( $(ev_ms "$UN") - $(ev_ms "$PROV") ))
[ "$waited" -ge 2900 ] && [ "$waited" -lt $((LONG_MS / 2)) ] ||
    sm_fail "d: reverted after $waited ms, not after try's 3 s"
sm_mark sshmedic-config-valid sshmedic-config-provisional sshmedic-config-promoted
echo "MaxStartups 8:30:90" >"$DROP/54-direct.conf"
sm_next_event sshmedic-config-valid >/dev/null || sm_fail "d: second change not valid"
sm_reload_sshd
sm_expect_event sshmedic-config-promoted success USYS_CONFIG >/dev/null
no_new sshmedic-config-provisional "d: the change after the try was provisional"
gen_is 4 || sm_fail "d: not generation 4"
sm_snapshot
sm_log "d: try 3s: one change provisional, reverted after $waited ms;" \
    "the next promoted"

# (e) SIGKILL while a change is provisional. e1: restarted at once, the
# same deadline is kept and a login confirms it. e2: restarted after the
# deadline passed, it is reverted at once.
restart_with login "$LONG_MS"
serve 55-kill "MaxSessions 7"
kept=$(prov_state)
[ -n "$kept" ] || sm_fail "e1: no provisional change in guard.state"
kill9 e1
sm_mark sshmedic-config-provisional
sm_start_daemon
sm_expect_event sshmedic-config-provisional success USYS_CONFIG >/dev/null
sm_wait_for state_is provisional || sm_fail "e1: not provisional after the restart"
[ "$(prov_state)" = "$kept" ] || sm_fail "e1: deadline not kept: $kept -> $(prov_state)"
sm_mark sshmedic-config-promoted
confirmed e1 5

restart_with login "$SHORT_MS"
serve 56-kill "MaxSessions 6"
until_ms=$(prov_state | cut -d' ' -f3)
kill9 e2
past() { [ "$(sm_now_ms)" -gt "$until_ms" ]; }
sm_wait_for past || sm_fail "e2: the deadline did not pass"
sm_mark sshmedic-config-unconfirmed sshmedic-config-rollback sshmedic-daemon-start
sm_start_daemon
start=$(sm_wait_event sshmedic-daemon-start $((SM_MARKS[sshmedic-daemon-start] + 1))) ||
    sm_fail "e2: no start event"
reverted e2 "MaxSessions 6"
late=$(( $(ev_ms "$UN") - $(ev_ms "$start") ))
[ "$late" -lt $((SHORT_MS / 2)) ] ||
    sm_fail "e2: reverted $late ms after the restart, not at once"
gen_is 5 || sm_fail "e2: generation changed"
sm_log "e2: killed past its deadline, reverted $late ms after the restart"

sm_pass
