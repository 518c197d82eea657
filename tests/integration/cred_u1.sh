#!/bin/sh
# U1 of LOCKOUTS.md: sshd's StrictModes refuses a key because the home,
# ~/.ssh or authorized_keys is writable by others or owned by another
# account. One account per variant: the break makes the real key login
# fail, sshd logs the refused key, the policy's fix_modes repairs owner
# and modes, the key login works; each change read back with ausearch.
# A home writable by the user's private group is left alone (Debian's
# sshd accepts it), a symlinked ~/.ssh or authorized_keys is reported and
# never followed, and nothing above the homes changes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

sm_cred_sandbox
O=$(sm_cred_name)		# the other account, owner of wrong files
sm_cred_user "$O"
VARIANTS="home777 homegrp homeown homepriv ssh777 keys666 sshown sshown755 keysown
keysown644 link keyslink"
declare -A UV=()
for v in $VARIANTS; do
	UV[$v]=$(sm_cred_name)
	sm_cred_user "${UV[$v]}"
	sm_cred_policy "u1-$v" "policies = ( {
	name = \"u1-$v\";
	on = \"user_failures\";
	users = [ \"${UV[$v]}\" ];
	failures = 1;
	cooldown_ms = 0;
	actions = ( \"fix_modes\" );
} );"
done
# A shared group: the user and the other account.
G=$(sm_cred_name)
sm_cred_group "$G" "${UV[homegrp]}" "$O"
sm_cred_start_sshd
sm_cred_conf "$SM_USER"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"

# Owner, group and mode of every directory above the homes: compared at
# the end.
above() {
	local d=$T/home
	while :; do
		stat -c '%n %u %g %a' "$d"
		[ "$d" = / ] && break
		d=$(dirname "$d")
	done
}
above >"$T/above.before"

refused() { grep -qF "Authentication refused: bad ownership or modes for $1" "$T/sshd.log"; }
unreadable() {
	grep -qF "Could not open user '$1' authorized keys '$2': Permission denied" \
	    "$T/sshd.log"
}

# expect_res OP RES TYPE: the next OP record (after sm_mark OP) has result
# RES and ausearch finds it; prints the JSON line.
expect_res() {
	local ev evid
	ev=$(sm_next_event "$1") || sm_fail "no $1 record"
	[ "$(sm_json_field "$ev" res)" = "$2" ] || sm_fail "$1 is not $2: $ev"
	evid=$(sm_evid "$ev")
	[ -n "$evid" ] || sm_fail "$1 without id: $ev"
	sm_ausearch_evid "$3" "$evid" >/dev/null
	printf '%s\n' "$ev"
}

# heal VARIANT WHAT OBJ WANT CMD...: CMD breaks OBJ; the key login fails,
# sshd says why (StrictModes, or the file it cannot read as the user); the
# policy fixes OBJ to WANT ("owner mode") and the key login works.
heal() {
	local v=$1 what=$2 obj=$3 want=$4 u=${UV[$1]} ak ev
	shift 4
	ak=$T/home/$u/.ssh/authorized_keys
	sm_cred_ssh "$u" || sm_fail "$what: key login before the break"
	sm_mark sshmedic-modes-fix sshmedic-policy-action
	"$@" || sm_fail "$what: the breaking command failed"
	sm_cred_ssh "$u" && sm_fail "$what: sshd still accepted the key"
	if [ -d "$obj" ]; then
		sm_wait_for -t 5 refused "directory $obj" ||
		    sm_wait_for -t 1 unreadable "$u" "$ak" ||
		    sm_fail "$what: sshd did not refuse for $obj"
	else
		sm_wait_for -t 5 refused "file $obj" ||
		    sm_wait_for -t 1 unreadable "$u" "$ak" ||
		    sm_fail "$what: sshd did not refuse for $obj"
	fi
	ev=$(sm_expect_action sshmedic-modes-fix USER_MGMT)
	case $ev in *"$obj "*) ;; *) sm_fail "$what: $obj not in $ev" ;; esac
	ev=$(expect_res sshmedic-policy-action success RESP_EXEC)
	case $ev in *"fix_modes for $u: $obj "*) ;; *)
		sm_fail "$what: policy record: $ev" ;;
	esac
	[ "$(stat -c '%U %a' "$obj")" = "$want" ] ||
	    sm_fail "$what: $obj is $(stat -c '%U %a' "$obj"), not $want"
	sm_cred_ssh "$u" || sm_fail "$what: key login after the repair"
	sm_log "$what: fixed by the policy, key login ok"
}

H=$T/home
u=${UV[home777]}
heal home777 "home 0777" "$H/$u" "$u 755" chmod 0777 "$H/$u"
u=${UV[homegrp]}
id -nG "$O" | tr ' ' '\n' | grep -qx "$G" || sm_fail "$O is not in $G"
heal homegrp "home 0775, group shared with $O" "$H/$u" "$u 755" \
    sh -c "chgrp '$G' '$H/$u' && chmod 0775 '$H/$u'"
[ "$(stat -c %G "$H/$u")" = "$G" ] || sm_fail "homegrp: the group was changed"
u=${UV[homeown]}
heal homeown "home owned by $O" "$H/$u" "$u 755" chown "$O" "$H/$u"
u=${UV[ssh777]}
heal ssh777 "~/.ssh 0777" "$H/$u/.ssh" "$u 755" chmod 0777 "$H/$u/.ssh"
u=${UV[keys666]}
heal keys666 "authorized_keys 0666" "$H/$u/.ssh/authorized_keys" "$u 644" \
    chmod 0666 "$H/$u/.ssh/authorized_keys"
# Owned by another account: as it was (sshd, reading as the user, cannot
# open it), and readable by all (sshd's StrictModes refuses the owner).
u=${UV[sshown]}
heal sshown "~/.ssh owned by $O" "$H/$u/.ssh" "$u 700" chown "$O" "$H/$u/.ssh"
refused "directory $H/$u/.ssh" && sm_fail "sshown: sshd read a 0700 dir of $O"
u=${UV[sshown755]}
heal sshown755 "~/.ssh 0755 owned by $O" "$H/$u/.ssh" "$u 755" \
    sh -c "chown '$O' '$H/$u/.ssh' && chmod 0755 '$H/$u/.ssh'"
refused "directory $H/$u/.ssh" || sm_fail "sshown755: not refused by StrictModes"
u=${UV[keysown]}
heal keysown "authorized_keys owned by $O" "$H/$u/.ssh/authorized_keys" \
    "$u 600" chown "$O" "$H/$u/.ssh/authorized_keys"
u=${UV[keysown644]}
heal keysown644 "authorized_keys 0644 owned by $O" \
    "$H/$u/.ssh/authorized_keys" "$u 644" sh -c "chown '$O' \
    '$H/$u/.ssh/authorized_keys' && chmod 0644 '$H/$u/.ssh/authorized_keys'"
refused "file $H/$u/.ssh/authorized_keys" ||
    sm_fail "keysown644: not refused by StrictModes"

# A home writable by the user's private group (named after the user, no
# other member): Debian's sshd accepts it, so fix_modes must leave it.
u=${UV[homepriv]}
[ "$(id -gn "$u")" = "$u" ] || sm_fail "homepriv: $u's group is $(id -gn "$u")"
[ -z "$(getent group "$u" | cut -d: -f4)" ] ||
    sm_fail "homepriv: the group $u has members"
[ "$(getent passwd | awk -F: -v g="$(id -g "$u")" '$4 == g' | wc -l)" = 1 ] ||
    sm_fail "homepriv: the group $u is the primary group of others"
chmod 0775 "$H/$u"
sm_cred_ssh "$u" || sm_fail "homepriv: sshd refused a home writable by the private group"
refused "directory $H/$u" && sm_fail "homepriv: sshd logged a refusal"
# A wrong key makes the policy run: it finds nothing to fix.
sm_mark sshmedic-modes-fix sshmedic-policy-action
sm_cred_ssh "$u" "$T/client/wrong" && sm_fail "homepriv: the wrong key worked"
ev=$(expect_res sshmedic-policy-action success RESP_EXEC)
case $ev in *"fix_modes for $u: nothing to do"*) ;; *)
	sm_fail "homepriv: policy record: $ev" ;;
esac
[ "$(sm_count_op sshmedic-modes-fix)" = "${SM_MARKS[sshmedic-modes-fix]}" ] ||
    sm_fail "homepriv: something was changed"
[ "$(stat -c %a "$H/$u")" = 775 ] || sm_fail "homepriv: the home was changed"
sm_cred_ssh "$u" || sm_fail "homepriv: key login afterwards"
sm_log "home writable by the private group: accepted by sshd, left alone"

# ~/.ssh a symlink to a directory elsewhere that sshd refuses (mode 0777):
# fix_modes must not follow the link, and says so; the target is unchanged.
u=${UV[link]}
mkdir -p "$T/elsewhere/$u"
chmod 0755 "$T/elsewhere"
cp "$T/client/$u.pub" "$T/elsewhere/$u/authorized_keys"
chown -R "$u:" "$T/elsewhere/$u"
chmod 0600 "$T/elsewhere/$u/authorized_keys"
chmod 0777 "$T/elsewhere/$u"
sm_tree_meta "$T/elsewhere" >"$T/elsewhere.before"
sum=$(sha256sum <"$T/elsewhere/$u/authorized_keys")
sm_cred_ssh "$u" || sm_fail "link: key login before the break"
sm_mark sshmedic-modes-fix sshmedic-policy-action
rm -rf "$H/$u/.ssh"
ln -s "$T/elsewhere/$u" "$H/$u/.ssh"
chown -h "$u:" "$H/$u/.ssh"
sm_cred_ssh "$u" && sm_fail "link: sshd accepted the key"
sm_wait_for -t 5 refused "directory $T/elsewhere/$u" ||
    sm_fail "link: sshd did not refuse for the target"
ev=$(expect_res sshmedic-policy-action failed RESP_EXEC)
case $ev in *"fix_modes for $u: "*"$H/$u/.ssh is a symlink"*"not followed"*) ;;
*)	sm_fail "link: policy record: $ev" ;;
esac
ev=$(expect_res sshmedic-modes-fix failed USER_MGMT)
case $ev in *"$H/$u/.ssh is a symlink"*) ;; *) sm_fail "link: $ev" ;; esac
[ -L "$H/$u/.ssh" ] || sm_fail "link: the symlink was replaced"
sm_tree_meta "$T/elsewhere" | diff "$T/elsewhere.before" - >"$T/diff.out" ||
    sm_fail "link: the target changed: $(cat "$T/diff.out")"
[ "$(sha256sum <"$T/elsewhere/$u/authorized_keys")" = "$sum" ] ||
    sm_fail "link: the target's keys file changed"
sm_log "a symlinked ~/.ssh: not followed, reported, target unchanged"

# authorized_keys a symlink to a file elsewhere that sshd refuses (0666).
u=${UV[keyslink]}
ak=$H/$u/.ssh/authorized_keys
cp "$T/client/$u.pub" "$T/elsewhere/$u.keys"
chown "$u:" "$T/elsewhere/$u.keys"
chmod 0666 "$T/elsewhere/$u.keys"
sm_tree_meta "$T/elsewhere" >"$T/elsewhere.before"
sm_cred_ssh "$u" || sm_fail "keyslink: key login before the break"
sm_mark sshmedic-modes-fix sshmedic-policy-action
ln -sf "$T/elsewhere/$u.keys" "$ak"
chown -h "$u:" "$ak"
sm_cred_ssh "$u" && sm_fail "keyslink: sshd accepted the key"
sm_wait_for -t 5 refused "file $T/elsewhere/$u.keys" ||
    sm_fail "keyslink: sshd did not refuse for the target"
ev=$(expect_res sshmedic-policy-action failed RESP_EXEC)
case $ev in *"fix_modes for $u: "*"$ak: is a symlink; not followed"*) ;;
*)	sm_fail "keyslink: policy record: $ev" ;;
esac
ev=$(expect_res sshmedic-modes-fix failed USER_MGMT)
case $ev in *"$ak: is a symlink"*) ;; *) sm_fail "keyslink: $ev" ;; esac
[ -L "$ak" ] || sm_fail "keyslink: the symlink was replaced"
sm_tree_meta "$T/elsewhere" | diff "$T/elsewhere.before" - >"$T/diff.out" ||
    sm_fail "keyslink: the target changed: $(cat "$T/diff.out")"
sm_log "a symlinked authorized_keys: not followed, reported, target unchanged"

above | diff "$T/above.before" - >"$T/diff.out" ||
    sm_fail "something above the homes changed: $(cat "$T/diff.out")"
sm_log "nothing above the homes changed"

sm_pass
