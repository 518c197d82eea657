#!/bin/sh
# C4: a valid config that leaves the protected user no usable authentication
# method is rejected by the lockout guard and rolled back.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_setup_guarded
D=$T/etc/sshd_config.d

drop() {
	sm_break "$1" sh -c "printf '$2' >'$D/50-test.conf'"
	[ -e "$D/50-test.conf" ] && sm_fail "$1: drop-in left in place"
}

drop "pubkey and password off" \
    "PubkeyAuthentication no\nPasswordAuthentication no\n"
drop "AuthenticationMethods needs password (off)" \
    "AuthenticationMethods publickey,password\n"
drop "AuthenticationMethods keyboard-interactive only (off)" \
    "AuthenticationMethods keyboard-interactive\n"
drop "AuthorizedKeysFile none" "AuthorizedKeysFile none\n"
drop "Match User: AuthorizedKeysFile none" \
    "Match User $SM_USER\n\tAuthorizedKeysFile none\n"
drop "Match User: AuthenticationMethods password" \
    "Match User $SM_USER\n\tAuthenticationMethods password\n"
sm_break "main: pubkey off" \
    sed -i 's/^PubkeyAuthentication yes/PubkeyAuthentication no/' \
    "$T/etc/sshd_config"

# Safe: pubkey stays usable.
sm_accept "AuthenticationMethods publickey" \
    sh -c "printf 'AuthenticationMethods publickey\n' >'$D/40-am.conf'"
sm_accept "password on as well" \
    sh -c "printf 'PasswordAuthentication yes\n' >'$D/41-pw.conf'"
sm_pass
