#!/bin/sh
# C6: HostKey lines that name keys that do not exist, or only keys of a type
# sshd will not use, are rolled back; a host key file that went missing, was
# emptied or made readable by others is repaired (regenerated or chmod 0600),
# never restored from a copy.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_sandbox
sm_start_sshd
sm_start_guard
K=$T/etc/ssh_host_ed25519_key

# 1. The HostKey line points at a key that does not exist.
sm_break "HostKey names a missing key" \
    sed -i "s|^HostKey .*|HostKey $T/etc/ssh_host_nosuch_key|" "$SSHD_CONF"

# 2. The only host key is of a type HostKeyAlgorithms excludes.
sm_break "only host key of a disabled type" \
    sh -c "echo 'HostKeyAlgorithms rsa-sha2-512' >'$T/etc/sshd_config.d/40-alg.conf'"
[ -e "$T/etc/sshd_config.d/40-alg.conf" ] &&
    sm_fail "drop-in disabling the key type still in place"

# 3. The private host key deleted: regenerated (a new key, not a copy).
old_fp=$(ssh-keygen -l -f "$K.pub" | cut -d' ' -f2)
sm_mark sshmedic-hostkey-repair sshmedic-config-promoted
rm -f "$K"
ev=$(sm_next_event sshmedic-hostkey-repair) || sm_fail "no host key repair"
[ "$(sm_json_field "$ev" res)" = success ] || sm_fail "repair failed: $ev"
sm_ausearch_evid USYS_CONFIG "$(sm_evid "$ev")" >/dev/null
sm_next_event sshmedic-config-promoted >/dev/null ||
    sm_fail "regenerated key not promoted to a new generation"
[ -s "$K" ] || sm_fail "host key not regenerated"
[ "$(stat -c '%a %U' "$K")" = "600 root" ] ||
    sm_fail "regenerated key has $(stat -c '%a %U' "$K")"
new_fp=$(ssh-keygen -l -f "$K" | cut -d' ' -f2)
[ "$new_fp" != "$old_fp" ] || sm_fail "the old key came back (a copy)"
# The client trusts the new key now, as an admin would after a rekey.
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$K.pub")" \
    >"$T/known_hosts"
sm_ssh_login "$SM_USER"
grep -rq "BEGIN OPENSSH PRIVATE KEY" "$T/state" &&
    sm_fail "private key material found in the store"

# 4. The host key emptied.
sm_mark sshmedic-hostkey-repair
: >"$K"
ev=$(sm_next_event sshmedic-hostkey-repair) || sm_fail "empty key not repaired"
[ -s "$K" ] || sm_fail "empty host key still empty"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$K.pub")" \
    >"$T/known_hosts"
sm_wait_for sm_sshd_up || sm_fail "sshd not serving after key repair"
sm_ssh_login "$SM_USER"

# 5. The host key corrupted (garbage, right owner and mode): set aside
# beside it (private key material never goes into the store), regenerated.
sm_mark sshmedic-hostkey-repair
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n' >"$K"
ev=$(sm_next_event sshmedic-hostkey-repair) || sm_fail "corrupt key not repaired"
[ "$(sm_json_field "$ev" res)" = success ] || sm_fail "repair failed: $ev"
ssh-keygen -y -f "$K" >/dev/null 2>&1 || sm_fail "repaired key does not load"
ls "$K".sshmedic-broken.* >/dev/null 2>&1 || sm_fail "corrupt key not kept aside"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$K.pub")" \
    >"$T/known_hosts"
sm_wait_for sm_sshd_up || sm_fail "sshd not serving after corrupt key repair"
sm_ssh_login "$SM_USER"

# 5. The host key made readable by others: mode fixed, same key kept.
fp=$(ssh-keygen -l -f "$K" | cut -d' ' -f2)
sm_mark sshmedic-hostkey-repair
chmod 0644 "$K"
ev=$(sm_next_event sshmedic-hostkey-repair) || sm_fail "open key not repaired"
case $(sm_json_field "$ev" reason) in *0600*) ;; *)
	sm_fail "repair did not fix the mode: $ev" ;; esac
[ "$(stat -c %a "$K")" = 600 ] || sm_fail "mode still $(stat -c %a "$K")"
[ "$(ssh-keygen -l -f "$K" | cut -d' ' -f2)" = "$fp" ] ||
    sm_fail "a chmod repair replaced the key"
sm_wait_for sm_sshd_up || sm_fail "sshd not serving after mode repair"
sm_ssh_login "$SM_USER"
grep -rq "PRIVATE KEY" "$T/state" &&
    sm_fail "private key material found in the store"
sm_pass
