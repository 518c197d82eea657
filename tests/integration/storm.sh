#!/bin/sh
# Edits made while a rollback runs: a writer rewrites a drop-in and the main
# file with ever different broken content as fast as it can, so that many
# writes land between the restore and the daemon's re-read of the closure.
# When the writer stops, whatever it left last must still be judged and
# rolled back: the guard may not take a closure it never judged as seen.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_guard.sh"

ROUNDS=${SM_STORM_ROUNDS:-40}
SM_DEBOUNCE_MS=0
SM_GRACE_MS=0
# Every storm is new content: no fight backoff in this test.
SM_GUARD_EXTRA="fight_limit = 1000;"
sg_need_python
sm_sandbox
E=$T/etc
D=$E/sshd_config.d
printf 'MaxAuthTries 6\n' >"$D/10-base.conf"
chmod 0644 "$D/10-base.conf"
sm_start_sshd
sm_start_guard

closure_good() {
	diff -rq --no-dereference "$T/snap" "$E" >/dev/null 2>&1
}

t0=$(sm_now_ms)
for r in $(seq 1 "$ROUNDS"); do
	# A burst of 1-40 writes, each different.
	n=$(( RANDOM % 40 + 1 ))
	for w in $(seq 1 "$n"); do
		case $(( (r + w) % 3 )) in
		0) printf 'MaxAuthTries 6\nNoSuchStorm%dx%d yes\n' "$r" "$w" \
		    >"$D/10-base.conf" ;;
		1) printf 'NoSuchStorm%dx%d yes\n' "$r" "$w" >"$D/s$r.conf" ;;
		2) printf 'NoSuchStorm%dx%d yes\n' "$r" "$w" >>"$E/sshd_config" ;;
		esac
		# Spread the writes over the daemon's work (a rollback takes
		# some 10-30 ms): random gaps, which are the point here.
		sleep "$(printf '0.%03d' $((RANDOM % 8)))"
	done
	# The last write must be rolled back like any other.
	sm_wait_for -t 10 closure_good ||
	    sm_fail "storm $r ($n writes): the closure stays broken:" \
	    "$(diff -r --no-dereference "$T/snap" "$E" 2>&1 | head -8)" \
	    "state $(sg_status state)"
	sm_wait_for -t 10 sg_state_is watching ||
	    sm_fail "storm $r: state $(sg_status state)"
done
sm_log "$ROUNDS storms in $(( ($(sm_now_ms) - t0) / 1000 )) s:" \
    "$(sm_count_op sshmedic-config-rollback) rollbacks"
sm_assert_restored "after the storms"
sg_no_temps "$E"
sm_sshd_t || sm_fail "sshd -t fails at the end"
ev=$(sm_wait_event sshmedic-config-rollback \
    "$(sm_count_op sshmedic-config-rollback)")
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" >/dev/null
sm_wait_for sm_sshd_up || sm_fail "sshd not serving at the end"
sm_ssh_login "$SM_USER"
sm_pass
