#!/bin/sh
# C1: a syntax error or bad value in sshd_config or any file it includes
# (drop-in, nested include) is rejected, quarantined and rolled back.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_sandbox
E=$T/etc
mkdir -p "$E/nested.d"
chmod 0755 "$E/nested.d"
printf 'Include %s/nested.d/*.conf\nClientAliveInterval 60\n' "$E" \
    >"$E/sshd_config.d/10-nest.conf"
printf 'MaxAuthTries 6\n' >"$E/nested.d/20-inner.conf"
chmod 0644 "$E/sshd_config.d/10-nest.conf" "$E/nested.d/20-inner.conf"
sm_start_sshd
sm_start_guard

# 1. Nested include: a directive sshd does not know.
sm_break "nested include: unknown directive" \
    sh -c "printf 'MaxAuthTries 6\nNoSuchDirectiveC1 yes\n' >'$E/nested.d/20-inner.conf'"
ev=$(sm_next_event sshmedic-config-rollback)
sm_quarantine_has NoSuchDirectiveC1 ||
    sm_fail "quarantine does not hold the rejected nested file"
rej=$(sm_next_event sshmedic-config-rejected)
case $rej in *20-inner.conf*) ;; *)
	sm_fail "rejected event does not name the file: $rej" ;; esac
[ "$(sm_json_field "$ev" gen)" = 1 ] ||
    sm_fail "rollback not to generation 1: $ev"
sm_log "audit: $(sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" | head -1)"

# 2. Nested include: a bad value for a known directive.
sm_break "nested include: bad value" \
    sh -c "printf 'MaxAuthTries many\n' >'$E/nested.d/20-inner.conf'"
sm_quarantine_has "MaxAuthTries many" || sm_fail "bad value not quarantined"

# 3. Drop-in: garbage appended.
sm_break "drop-in: bad line appended" \
    sh -c "echo 'Port seventy' >>'$E/sshd_config.d/10-nest.conf'"

# 4. The main file: an unknown keyword in the middle.
sm_break "main: unknown keyword" \
    sed -i '3a Frobnicate yes' "$E/sshd_config"

# 5. The main file: a Match block with a directive not allowed there.
sm_break "main: bad Match block" \
    sh -c "printf 'Match User nobody\n\tPort 2222\n' >>'$E/sshd_config'"

# 6. A new nested file (the glob picks it up) with a syntax error; files
# that did not exist in known-good leave the closure for quarantine.
sm_break "nested include: new bad file" \
    sh -c "echo 'UseDNS maybe-not' >'$E/nested.d/30-new.conf'"
[ -e "$E/nested.d/30-new.conf" ] && sm_fail "new bad file still in place"
sm_quarantine_has "UseDNS maybe-not" || sm_fail "new bad file not quarantined"
sm_pass
