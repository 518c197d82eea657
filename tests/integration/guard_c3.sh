#!/bin/sh
# C3: a valid config that excludes the protected user (AllowUsers, DenyUsers,
# AllowGroups, DenyGroups, Match blocks) is rejected by the lockout guard,
# judged on sshd's effective configuration: drop-ins, first value wins.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_setup_guarded
D=$T/etc/sshd_config.d

# drop WHAT TEXT: a drop-in with TEXT must be rejected and rolled back.
drop() {
	sm_break "$1" sh -c "printf '$2' >'$D/50-test.conf'"
	[ -e "$D/50-test.conf" ] && sm_fail "$1: drop-in left in place"
	sm_quarantine_has "$(printf "$2" | head -1)" ||
	    sm_fail "$1: drop-in not quarantined"
}

drop "DenyUsers the admin" "DenyUsers $SM_USER\n"
drop "DenyUsers by pattern" "DenyUsers smt-a*\n"
drop "DenyUsers user@host" "DenyUsers $SM_USER@127.0.0.1\n"
drop "AllowUsers only another user" "AllowUsers $SM_OTHER\n"
drop "AllowUsers pattern list without the admin" "AllowUsers root smt-o?her\n"
drop "AllowGroups without smt-ops" "AllowGroups root\n"
drop "DenyGroups smt-ops" "DenyGroups $SM_GROUP\n"
drop "Match User: no pubkey" "Match User $SM_USER\n\tPubkeyAuthentication no\n"
drop "Match Group: no pubkey" "Match Group $SM_GROUP\n\tPubkeyAuthentication no\n"
drop "Match all: AuthorizedKeysFile none" "Match all\n\tAuthorizedKeysFile none\n"
# First value wins: a drop-in (included first) overrides the main file.
drop "drop-in wins over main: pubkey off" "PubkeyAuthentication no\n"

# The main file edited to exclude the admin.
sm_break "main: DenyUsers" \
    sed -i "1a DenyUsers $SM_OTHER $SM_USER" "$T/etc/sshd_config"

# Safe: these do not lock smt-admin out and must not be rolled back.
sm_accept "AllowUsers with the admin" \
    sh -c "printf 'AllowUsers $SM_USER $SM_OTHER\n' >'$D/40-allow.conf'"
sm_accept "DenyUsers someone else" \
    sh -c "printf 'DenyUsers $SM_OTHER\n' >'$D/41-deny.conf'"
sm_accept "Match for someone else" \
    sh -c "printf 'Match User $SM_OTHER\n\tPubkeyAuthentication no\n' >'$D/90-match.conf'"
# First value wins the other way: a later file cannot turn pubkey off.
sm_accept "later file loses: pubkey off after pubkey on" \
    sh -c "printf 'PubkeyAuthentication yes\n' >'$D/42-on.conf' &&
	printf 'PubkeyAuthentication no\n' >'$D/43-off.conf'"
sm_pass
