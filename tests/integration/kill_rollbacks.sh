#!/bin/sh
# Crash safety: 200 rounds of "break the closure, SIGKILL sshmedicd at a
# random moment, start it again". After every restart the closure must come
# back to the known-good; at the end every file is whole and equals
# generation 1, sshd -t passes, no temporary file is left, every broken
# content ever written is in the quarantine, and the admin logs in.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

ROUNDS=${SM_KILL_ROUNDS:-200}
SM_DEBOUNCE_MS=0
SM_GRACE_MS=0
sg_need_python
sm_sandbox
E=$T/etc
D=$E/sshd_config.d
printf 'MaxAuthTries 6\nClientAliveInterval 60\n' >"$D/10-base.conf"
chmod 0644 "$D/10-base.conf"
mkdir -p "$T/prep"
sm_start_sshd
sm_write_conf
# Every round quarantines something: keep them all.
printf 'store = { keep_quarantine = %d; };\n' $((ROUNDS * 3 + 50)) >>"$SM_CONF"
sm_start_guard

closure_good() {
	diff -rq --no-dereference "$T/snap" "$E" >/dev/null 2>&1
}

# break_closure I: a different broken change each round, by one of the
# ways admins and tools write: a new drop-in, an append to the main file,
# a drop-in rewritten in place, a prepared file renamed over a drop-in.
break_closure() {
	local i=$1 m="NoSuchKill${1}x yes"
	case $(( i % 4 )) in
	0) printf '%s\n' "$m" >"$D/r$i.conf" ;;
	1) printf '%s\n' "$m" >>"$E/sshd_config" ;;
	2) printf 'MaxAuthTries 6\n%s\n' "$m" >"$D/10-base.conf" ;;
	3) printf 'ClientAliveInterval 60\n%s\n' "$m" >"$T/prep/10-base.conf"
	   mv "$T/prep/10-base.conf" "$D/10-base.conf" ;;
	esac
}

t0=$(sm_now_ms)
for i in $(seq 1 "$ROUNDS"); do
	break_closure "$i"
	# The random kill point, 0-30 ms after the write: the daemon may not
	# have seen it yet, be validating, quarantining, or halfway through the
	# restore. A sleep is the point of the test here, not a wait.
	sleep "$(printf '0.%03d' $((RANDOM % 31)))"
	sg_kill_daemon KILL
	sg_start_daemon_next
	# Back to known-good, and the daemon idle again (it answers status
	# only between events): the next break is not an edit made during
	# this rollback (storm.sh covers those).
	sm_wait_for -t 15 closure_good ||
	    sm_fail "round $i: closure not back to known-good after the restart:" \
	    "$(diff -r --no-dereference "$T/snap" "$E" 2>&1 | head -10)"
	sm_wait_for -t 15 sg_state_is watching ||
	    sm_fail "round $i: state $(sg_status state) after the restart"
	[ $((i % 50)) = 0 ] &&
	    sm_log "round $i: $(( ($(sm_now_ms) - t0) / 1000 )) s"
done
sm_log "$ROUNDS kills in $(( ($(sm_now_ms) - t0) / 1000 )) s;" \
    "$(sm_count_op sshmedic-rollback-resume) interrupted rollbacks resumed," \
    "$(sm_count_op sshmedic-config-rollback) rollbacks"

# Let the last daemon finish what it does (it reloads sshd after a restore).
sm_wait_for sg_state_is watching || sm_fail "final state: $(sg_status state)"

# Every file whole and equal to generation 1.
sm_assert_restored "after $ROUNDS kills"
sg_cli diff 1 >"$T/diff1.out" 2>&1 || sm_fail "sshmedic diff 1 failed"
[ -s "$T/diff1.out" ] && sm_fail "closure differs from gen 1: $(head -20 "$T/diff1.out")"
[ "$(sg_status generation)" = 1 ] ||
    sm_fail "known-good is no longer gen 1: $(sg_status generation)"
sm_sshd_t || sm_fail "sshd -t fails at the end: $(tail -3 "$T/sshd-t.log")"
sg_no_temps "$E"
# The store's own leftovers (a quarantine copy cut short by a kill) are
# swept by the next daemon at its start: none may be left now.
n=$(find "$T/state" -name '.sshmedic-tmp.*' | wc -l)
[ "$n" = 0 ] || sm_fail "$n temporary files left under the store" \
    "($(find "$T/state" -name '.sshmedic-tmp.*' | head -1))"
# No rollback and no resumed rollback ever failed.
grep -E '"op": *"sshmedic-(config-rollback|rollback-resume)"' "$T/events.json" |
    grep -F '"res":"failed"' | head -3 >"$T/failed.out"
[ -s "$T/failed.out" ] && sm_fail "failed rollbacks: $(cat "$T/failed.out")"

# Nothing an admin wrote is lost: every round's marker is in quarantine.
find "$T/state/quarantine" -type f ! -name '*.meta' -print0 |
    xargs -0 -r grep -ohE 'NoSuchKill[0-9]+x' | sort -u >"$T/found"
seq 1 "$ROUNDS" | sed 's/.*/NoSuchKill&x/' | sort -u >"$T/want"
missing=$(comm -23 "$T/want" "$T/found" | tr '\n' ' ')
[ -z "$missing" ] || sm_fail "missing from quarantine: $missing"
sm_log "all $ROUNDS broken contents are in quarantine"

sm_wait_for sm_sshd_up || sm_fail "sshd not serving at the end"
sm_ssh_login "$SM_USER"
sm_pass
