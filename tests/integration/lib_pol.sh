# The policy tests' helpers (sourced after lib.sh): a hook that writes
# down each run's environment, the policies section of `sshmedic --json
# status`, reloads, and counts of JSON events.

HOOK=

# sp_hook_script: $HOOK OUT [sleep|fail] appends one line per run to OUT
# (cause|user|source|evid from its environment); "sleep" writes its own
# pid and its child's to OUT.pids and waits for the child (60 s), "fail"
# exits 1.
sp_hook_script() {
	HOOK=$T/bin/hook
	mkdir -p "$T/bin" "$T/out"
	chmod 0755 "$T/bin" "$T/out"
	cat >"$HOOK" <<'EOF'
#!/bin/sh
printf 'cause=%s|user=%s|source=%s|evid=%s\n' "$SSHMEDIC_CAUSE" \
    "$SSHMEDIC_USER" "$SSHMEDIC_SOURCE" "$SSHMEDIC_EVENT_ID" >>"$1"
case ${2:-} in
sleep)	sleep 60 &
	echo "$$ $!" >"$1.pids"
	wait ;;
fail)	exit 1 ;;
esac
exit 0
EOF
	chown root:root "$HOOK"
	chmod 0755 "$HOOK"
}

# sp_runs NAME: how many times the hook writing $T/out/NAME ran.
sp_runs() {
	if [ -f "$T/out/$1" ]; then wc -l <"$T/out/$1"; else echo 0; fi
}

# sp_env_is NAME N CAUSE USER SOURCE EVID: the Nth run saw that environment.
sp_env_is() {
	local want="cause=$3|user=$4|source=$5|evid=$6" got
	got=$(sed -n "$2p" "$T/out/$1" 2>/dev/null)
	[ "$got" = "$want" ] || sm_fail "hook $1 run $2: '$got', want '$want'"
}

# sp_pol KEY: a field of the policies section of the status ("a,b" for a
# list, true/false for a boolean); fails when the daemon does not answer.
sp_pol() {
	"$SMC" -f "$SM_CONF" --json status 2>>"$T/cli.log" | python3 -c '
import json, sys
v = json.load(sys.stdin)["policies"][sys.argv[1]]
if isinstance(v, bool):
    v = str(v).lower()
elif isinstance(v, list):
    v = ",".join(v)
print(v)
' "$1"
}

sp_pol_is() { [ "$(sp_pol "$1")" = "$2" ]; }

# sp_wait_pol KEY VALUE: waits until the policies section shows VALUE.
sp_wait_pol() {
	sm_wait_for sp_pol_is "$1" "$2" ||
	    sm_fail "status policies.$1: '$(sp_pol "$1")', want '$2'"
}

# sp_reload: SIGHUP, and the reconfiguration of this signal done.
sp_reload() {
	sm_mark sshmedic-daemon-reconfig
	kill -HUP "$SM_DAEMON_PID"
	sm_next_event sshmedic-daemon-reconfig >/dev/null ||
	    sm_fail "no reconfig after SIGHUP"
}

# sp_count_reason OP TEXT: OP events whose line holds TEXT.
sp_count_reason() {
	grep "\"op\": *\"$1\"" "$T/events.json" | grep -cF -- "$2" || true
}

# sp_no_op_since OP: no OP event since the last sm_mark OP.
sp_no_op_since() {
	[ "$(sm_count_op "$1")" = "${SM_MARKS[$1]:-0}" ] ||
	    sm_fail "unexpected $1: $(grep "\"op\": *\"$1\"" "$T/events.json" | tail -1)"
}

# sp_audit_reason TYPE EVID: the reason of that audit record, decoded
# (libaudit writes a value with spaces in hex).
sp_audit_reason() {
	sm_ausearch_evid "$1" "$2" | python3 -c '
import re, sys
m = re.search(r" reason=(\"[^\"]*\"|[0-9A-F]+) ", sys.stdin.read())
v = m.group(1) if m else ""
print(v.strip("\"") if v.startswith("\"") else bytes.fromhex(v).decode())
'
}
