#!/bin/sh
# Requests, the cloud "VM access" operations, asked with `sshmedic request`
# and by files dropped into paths.requests, against a real sshd under its
# own PAM service: set-key (appended, --replace), set-password (hash on
# stdin, never written anywhere), add-sudo-user, remove-user (home moved
# aside, --keep-home, root and protected users refused), expire, reset-ssh.
# Each change proven by a real login and its audit record read back with
# ausearch. Dropped files: processed once, malformed, conflicting, unsafe
# (mode 0666, a user's, a symlink) refused with nothing applied; queued
# while the daemon is down and processed when it starts.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib_cred.sh"

sm_need_tools sudo visudo chage
sm_cred_sandbox
P=$(sm_cred_name)	# protected
U=$(sm_cred_name)	# keys, password, expiry
R=$(sm_cred_name)	# removed, its home into the quarantine
K=$(sm_cred_name)	# removed with --keep-home
S=$(sm_cred_name)	# made by add-sudo-user
for u in "$P" "$U" "$R" "$K"; do sm_cred_user "$u"; done
getent passwd "$S" >/dev/null && sm_fail "fresh name $S exists already"
SM_CRED_USERS+=("$S")
SM_CRED_FILES+=("/home/$S" "/etc/sudoers.d/sshmedic-$S" "/var/mail/$S")
# remove-user moves S's home aside beside itself when /home is another
# file system than the store: that too goes at exit.
trap 'rc=$?; rm -rf -- /home/."$S".sshmedic-*; (exit $rc); sm_cred_cleanup' EXIT
sm_cred_start_sshd
sm_cred_conf "$P"
sm_start_daemon
sm_wait_event sshmedic-config-baseline >/dev/null || sm_fail "no baseline"
sm_snapshot
RQ=$T/requests
[ "$(stat -c '%U %a' "$RQ")" = "root 700" ] ||
    sm_fail "paths.requests: $(stat -c '%U %a' "$RQ")"

# req ARGS...: `sshmedic request ARGS`, its output in $T/req.out; its status.
req() { "$SMC" -f "$SM_CONF" request "$@" >"$T/req.out" 2>>"$T/cli.log"; }
out_has() { grep -qF -- "$1" "$T/req.out" || sm_fail "$2: output: $(cat "$T/req.out")"; }
# jfile FILE KEY...: a field of a JSON file (results[0].did as results 0 did).
jfile() {
	python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v.get(k) if isinstance(v, dict) else None
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)
' "$@"
}
blob() { cut -d' ' -f2 "$1"; }
key() { ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$T/client/$1" || sm_fail "key $1"; }
# last_result: the newest NAME.result of a `sshmedic request`.
last_result() { ls -t "$RQ"/cli-*.result | head -1; }
# expect_request WHAT: the request's own record (RESP_EXEC) is found by the
# event id its result gives.
expect_request() {
	local res=$1 id
	id=$(jfile "$res" event_id)
	sm_ausearch_evid RESP_EXEC "$id" | grep -q 'op=sshmedic-request' ||
	    sm_fail "$2: no RESP_EXEC sshmedic-request record with evid=$id"
}
# moved_to PATH: where the quarantine says PATH was moved aside to.
moved_to() {
	python3 -c '
import glob, sys, urllib.parse
for m in glob.glob(sys.argv[1] + "/quarantine/*/*.meta"):
    kv = dict(l.split("=", 1) for l in open(m).read().splitlines() if "=" in l)
    if urllib.parse.unquote(kv.get("path", "")) == sys.argv[2] and "moved_to" in kv:
        print(urllib.parse.unquote(kv["moved_to"]))
' "$T/state" "$1"
}
expires() { chage -l "$1" | sed -n 's/^Account expires[[:space:]]*:[[:space:]]*//p'; }

AK=$T/home/$U/.ssh/authorized_keys

# 1. set-key: the new key is appended next to the user's own line, which
# stays; both log in. Asked again: nothing to do.
key u-new "$U@new"
sm_mark sshmedic-keys-set
req set-key "$U" "$T/client/u-new.pub" || sm_fail "1: set-key: $(cat "$T/req.out")"
out_has "done: added 1 key to $AK" "1"
sm_expect_action sshmedic-keys-set USER_MGMT >/dev/null
expect_request "$(last_result)" 1
[ "$(sed -n 1p "$AK" | blob /dev/stdin)" = "$(blob "$T/client/$U.pub")" ] ||
    sm_fail "1: $U's own line is not first: $(cat "$AK")"
[ "$(sed -n 2p "$AK" | blob /dev/stdin)" = "$(blob "$T/client/u-new.pub")" ] ||
    sm_fail "1: the new key is not appended: $(cat "$AK")"
[ "$(wc -l <"$AK")" = 2 ] || sm_fail "1: $AK: $(cat "$AK")"
[ -e "$T/keys/$U" ] && sm_fail "1: a second keys file $T/keys/$U was made"
[ "$(stat -c '%U %a' "$AK")" = "$U 600" ] || sm_fail "1: $(stat -c '%U %a' "$AK")"
sm_cred_ssh "$U" "$T/client/u-new" || sm_fail "1: login with the new key"
sm_cred_ssh "$U" || sm_fail "1: login with $U's own key"
req set-key "$U" "$T/client/u-new.pub" || sm_fail "1: set-key again"
out_has "done: nothing to do" "1: again"
[ "$(wc -l <"$AK")" = 2 ] || sm_fail "1: a key added twice"
sm_log "1: set-key appended the key next to $U's own, both log in, audited"

# 2. set-key --replace: the file becomes the new key, the old one goes to
# the quarantine; only the new key logs in.
key u-repl "$U@replaced"
sm_mark sshmedic-keys-set
req set-key "$U" "$T/client/u-repl.pub" --replace || sm_fail "2: --replace"
out_has "done: replaced with 1 key in $AK" "2"
sm_expect_action sshmedic-keys-set USER_MGMT >/dev/null
[ "$(blob "$AK")" = "$(blob "$T/client/u-repl.pub")" ] && [ "$(wc -l <"$AK")" = 1 ] ||
    sm_fail "2: $AK: $(cat "$AK")"
sm_quarantine_has "$(blob "$T/client/u-new.pub")" ||
    sm_fail "2: the replaced file is not in the quarantine"
sm_cred_ssh "$U" "$T/client/u-repl" || sm_fail "2: login with the new key"
sm_cred_ssh "$U" && sm_fail "2: the replaced key still logs in"
sm_log "2: --replace: old file quarantined, only the new key logs in"

# 3. set-password with the hash on stdin: the password logs in; the hash
# (and the password) is in no log, record, result, kept file or output.
PW=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 20)
HASH=$(printf '%s\n' "$PW" | openssl passwd -6 -stdin) || sm_fail "3: openssl"
sm_cred_pw "$U" "$PW" && sm_fail "3: the password works before it is set"
sm_mark sshmedic-password-set
printf '%s\n' "$HASH" | req set-password "$U" || sm_fail "3: set-password"
out_has "done: password of $U set from the request" "3"
sm_expect_action sshmedic-password-set USER_CHAUTHTOK >/dev/null
res=$(last_result)
expect_request "$res" 3
[ "$(getent shadow "$U" | cut -d: -f2)" = "$HASH" ] || sm_fail "3: shadow entry"
sm_cred_pw "$U" "$PW" || sm_fail "3: password login of $U"
done_file=$RQ/$(basename "$res" .result).done
[ -f "$done_file" ] || sm_fail "3: no kept .done file"
grep -q 'hash removed' "$done_file" || sm_fail "3: .done: $(cat "$done_file")"
[ -e "$RQ/$(basename "$res" .result).req" ] && sm_fail "3: the request is still there"
for s in "$HASH" "$PW"; do
	sm_no_secret "$s"
	grep -qF -- "$s" "$T/req.out" && sm_fail "3: a secret in the CLI's output"
done
sm_log "3: set-password: password login ok; hash in no log, record or file"

# 4. add-sudo-user: the account, its key, a drop-in visudo accepts; the
# key login and sudo -n true over it work.
key "$S" "$S@sudo"
sm_mark sshmedic-user-add
req add-sudo-user "$S" "$T/client/$S.pub" ||
    sm_fail "4: add-sudo-user: $(cat "$T/req.out")"
sm_expect_action sshmedic-user-add USER_MGMT >/dev/null
res=$(last_result)
expect_request "$res" 4
getent passwd "$S" >/dev/null || sm_fail "4: no account $S"
drop=/etc/sudoers.d/sshmedic-$S
[ "$(stat -c '%U:%G %a' "$drop")" = "root:root 440" ] || sm_fail "4: $drop"
visudo -c -q -f "$drop" || sm_fail "4: visudo -c -f $drop"
visudo -c >"$T/visudo.out" 2>&1 || sm_fail "4: visudo -c: $(cat "$T/visudo.out")"
grep -qF "(event $(jfile "$res" event_id))" "$drop" ||
    sm_fail "4: the drop-in does not name the request's event: $(head -1 "$drop")"
sm_cred_ssh "$S" || sm_fail "4: key login of $S"
sm_cred_run "$S" "$T/client/$S" sudo -n true || sm_fail "4: sudo -n true as $S"
sm_log "4: add-sudo-user: $S logs in, sudo -n true works, visudo -c passes"

# 5. remove-user: root and the protected user refused, nothing applied.
sm_mark sshmedic-request-rejected
req remove-user root && sm_fail "5: remove-user root was not refused"
out_has "refused, nothing applied" "5: root"
out_has "root is uid 0: never removed" "5: root"
sm_expect_event sshmedic-request-rejected failed RESP_ANOMALY >/dev/null
res=$(last_result)
sm_ausearch_evid RESP_ANOMALY "$(jfile "$res" event_id)" >/dev/null
[ "$(jfile "$res" ok)" = false ] || sm_fail "5: result of root"
[ -e "${res%.result}.rejected" ] || sm_fail "5: no .rejected kept"
req remove-user "$P" && sm_fail "5: remove-user of the protected user"
out_has "$P is a protected user: never removed" "5: $P"
getent passwd "$P" >/dev/null || sm_fail "5: $P removed"
sm_cred_ssh "$P" || sm_fail "5: $P cannot log in"

# R: the account goes, its home is moved into the quarantine, not deleted.
sm_mark sshmedic-user-remove
req remove-user "$R" || sm_fail "5: remove-user $R: $(cat "$T/req.out")"
sm_expect_action sshmedic-user-remove USER_MGMT >/dev/null
res=$(last_result)
expect_request "$res" 5
getent passwd "$R" >/dev/null && sm_fail "5: $R still exists"
[ -e "$T/home/$R" ] && sm_fail "5: $R's home is still in place"
qdir=$(ls -d "$T"/state/quarantine/*-"$(jfile "$res" event_id)" 2>/dev/null)
[ -n "$qdir" ] || sm_fail "5: no quarantine directory of the request's event"
grep -rqF -- "$(blob "$T/client/$R.pub")" "$qdir" ||
    sm_fail "5: $R's home (its keys) is not in $qdir"
sm_cred_ssh "$R" && sm_fail "5: $R still logs in"
# K with --keep-home: the account goes, the home stays.
req remove-user "$K" --keep-home || sm_fail "5: --keep-home"
getent passwd "$K" >/dev/null && sm_fail "5: $K still exists"
cmp -s "$T/home/$K/.ssh/authorized_keys" "$T/client/$K.pub" ||
    sm_fail "5: $K's home was not kept"
# S, made by add-sudo-user: its drop-in goes too; its home is moved aside.
req remove-user "$S" || sm_fail "5: remove-user $S: $(cat "$T/req.out")"
getent passwd "$S" >/dev/null && sm_fail "5: $S still exists"
[ -e "$drop" ] && sm_fail "5: $drop is still there"
[ -e "/home/$S" ] && sm_fail "5: /home/$S is still in place"
moved=$(moved_to "/home/$S")
[ -n "$moved" ] && [ -d "$moved" ] && [ ! -L "$moved" ] ||
    sm_fail "5: $S's home was not moved aside: '$moved'"
visudo -c >/dev/null 2>&1 || sm_fail "5: visudo -c after the removal"
sm_log "5: remove-user: root and $P refused; homes moved aside or kept"

# 6. expire: chage shows it; a past date for the protected user is refused;
# for U the key login is refused then, and `never` gives it back.
sm_mark sshmedic-account-expire
req expire "$U" 2031-06-30 || sm_fail "6: expire"
sm_expect_action sshmedic-account-expire USER_MGMT >/dev/null
[ "$(expires "$U")" = "Jun 30, 2031" ] || sm_fail "6: chage -l: $(expires "$U")"
sm_cred_ssh "$U" "$T/client/u-repl" || sm_fail "6: login with a future expiry"
req expire "$P" 2000-01-01 && sm_fail "6: a past expiry of $P was not refused"
out_has "$P is a protected user" "6: $P"
[ "$(expires "$P")" = never ] || sm_fail "6: $P expires $(expires "$P")"
req expire "$U" 2000-01-01 || sm_fail "6: expire $U in the past"
sm_cred_ssh "$U" "$T/client/u-repl" && sm_fail "6: an expired account logs in"
sm_mark sshmedic-account-expire
req expire "$U" never || sm_fail "6: expire never"
sm_expect_action sshmedic-account-expire USER_MGMT >/dev/null
[ "$(expires "$U")" = never ] || sm_fail "6: not never: $(expires "$U")"
sm_cred_ssh "$U" "$T/client/u-repl" || sm_fail "6: login after never"
sm_log "6: expire: chage -l shows it, past dates lock out, never restores"

# 7. reset-ssh with the guard paused: a config that locks the protected
# user out, served by sshd; reset-ssh restores the known-good generation,
# sshd serves it, the key login works.
"$SMC" -f "$SM_CONF" pause 10m >>"$T/cli.log" 2>&1 || sm_fail "7: pause"
sm_status_json && [ "$(sm_jget state)" = paused ] || sm_fail "7: not paused"
echo "DenyUsers $P" >"$T/etc/sshd_config.d/50-deny.conf"
sm_reload_sshd
sm_cred_ssh "$P" && sm_fail "7: the broken configuration lets $P in"
sm_mark sshmedic-config-rollback sshmedic-sshd-reload
req reset-ssh || sm_fail "7: reset-ssh: $(cat "$T/req.out")"
out_has "known-good generation 1 restored" "7"
sm_expect_event sshmedic-config-rollback success USYS_CONFIG >/dev/null
sm_expect_event sshmedic-sshd-reload success SERVICE_START >/dev/null
sm_assert_restored "7"
sm_quarantine_has "DenyUsers $P" || sm_fail "7: the broken file is not in quarantine"
sm_cred_ssh "$P" || sm_fail "7: key login after reset-ssh"
sm_status_json && [ "$(sm_jget state)" = paused ] || sm_fail "7: the pause ended"
"$SMC" -f "$SM_CONF" resume >>"$T/cli.log" 2>&1 || sm_fail "7: resume"
sm_log "7: reset-ssh restored generation 1 during a pause, sshd serves it"

# 8. Request files dropped by hand (written aside, then renamed in).
# drop NAME MODE OWNER TEXT: NAME.req in paths.requests.
drop() {
	printf '%s\n' "$4" >"$RQ/.$1.tmp"
	chown "$3" "$RQ/.$1.tmp" && chmod "$2" "$RQ/.$1.tmp"
	mv "$RQ/.$1.tmp" "$RQ/$1.req"
}
answered() { [ -f "$RQ/$1.result" ] && [ ! -e "$RQ/$1.req" ]; }
wait_answer() {
	sm_wait_for answered "$1" || sm_fail "8: $1.req not answered"
}
# refused NAME TEXT: the result says so, the file is kept as NAME.rejected
# and the rejection's record is found by the result's event id.
refused() {
	wait_answer "$1"
	[ "$(jfile "$RQ/$1.result" ok)" = false ] || sm_fail "8: $1 was not refused"
	jfile "$RQ/$1.result" rejected | grep -qF -- "$2" ||
	    sm_fail "8: $1: $(jfile "$RQ/$1.result" rejected)"
	[ -e "$RQ/$1.rejected" ] || [ -L "$RQ/$1.rejected" ] ||
	    sm_fail "8: $1.rejected not kept"
	sm_ausearch_evid RESP_ANOMALY "$(jfile "$RQ/$1.result" event_id)" |
	    grep -q 'op=sshmedic-request-rejected' ||
	    sm_fail "8: no rejection record for $1"
}
# exp_req USER DATE: an expire request, its date on line 3.
exp_req() {
	printf 'requests = (\n\t{ op = "expire"; user = "%s";\n' "$1"
	printf '\t  date = "%s"; }\n);' "$2"
}

# Processed once: result, .done, the change; a later scan leaves it be.
drop once 0600 root "$(exp_req "$U" 2032-02-02)"
wait_answer once
[ "$(jfile "$RQ/once.result" ok)" = true ] || sm_fail "8: once: $(cat "$RQ/once.result")"
[ -f "$RQ/once.done" ] || sm_fail "8: once.done not kept"
expect_request "$RQ/once.result" 8
[ "$(expires "$U")" = "Feb 02, 2032" ] || sm_fail "8: once not applied"
req expire "$U" 2032-03-03 || sm_fail "8: expire after once"
[ "$(grep -c '"sshmedic-request".*once\.req' "$T/events.json")" = 1 ] ||
    sm_fail "8: once.req processed more than once"
[ "$(expires "$U")" = "Mar 03, 2032" ] || sm_fail "8: once.req applied again"

# Malformed: file:line in the result, kept as .rejected, nothing applied.
drop bad 0600 root "$(exp_req "$U" tomorrow)"
refused bad 'bad.req:3: date: "tomorrow" is not YYYY-MM-DD or never'
drop syntax 0600 root 'requests = ( { op = "expire" user = "x"; } );'
refused syntax 'syntax.req:1:'
# Conflicting: remove-user and set-password of the same user.
OTHER=$(printf 'other\n' | openssl passwd -6 -stdin)
shadow_u=$(getent shadow "$U" | cut -d: -f2)
drop conflict 0600 root "requests = (
	{ op = \"remove-user\"; user = \"$U\"; },
	{ op = \"set-password\"; user = \"$U\"; hash = \"$OTHER\"; }
);"
refused conflict 'conflict.req:3: conflicting requests: set-password of'
getent passwd "$U" >/dev/null || sm_fail "8: conflict: $U was removed"
[ "$(getent shadow "$U" | cut -d: -f2)" = "$shadow_u" ] ||
    sm_fail "8: conflict: the password of $U changed"
jfile "$RQ/conflict.result" rejected | grep -qF -- "$OTHER" &&
    sm_fail "8: the hash is in the result"
# Unsafe files: mode 0666, owned by U, a symlink (to a valid request).
drop open 0666 root "$(exp_req "$U" 2033-03-03)"
refused open 'mode 0666'
drop users 0600 "$U" "$(exp_req "$U" 2033-03-03)"
refused users "owned by uid $(id -u "$U")"
exp_req "$U" 2033-03-03 >"$T/target.req"
chmod 0600 "$T/target.req"
ln -s "$T/target.req" "$RQ/.link.tmp"
mv "$RQ/.link.tmp" "$RQ/link.req"
refused link 'a symbolic link'
[ -L "$RQ/link.rejected" ] || sm_fail "8: the link was not kept as it was"
[ "$(expires "$U")" = "Mar 03, 2032" ] || sm_fail "8: a refused request was applied"
[ -f "$T/target.req" ] || sm_fail "8: the link's target was touched"
sm_log "8: dropped files: once, malformed, conflicting, 0666, a user's," \
    "a symlink: as they should"

# 9. The daemon down: queued (exit 69); started, the daemon processes it.
sm_stop_daemon
req expire "$U" 2035-05-05
rc=$?
[ "$rc" = 69 ] || sm_fail "9: exit $rc with the daemon down: $(cat "$T/req.out")"
out_has "queued as $RQ/" "9"
q=$(sed -n 's|^queued as \([^;]*\);.*|\1|p' "$T/req.out")
[ -f "$q" ] || sm_fail "9: the queued file $q is not there"
[ "$(expires "$U")" = "Mar 03, 2032" ] || sm_fail "9: applied with no daemon"
sm_start_daemon
qn=$(basename "$q" .req)
wait_answer "$qn"
[ "$(jfile "$RQ/$qn.result" ok)" = true ] || sm_fail "9: $(cat "$RQ/$qn.result")"
[ "$(expires "$U")" = "May 05, 2035" ] || sm_fail "9: the queued request not applied"
sm_log "9: queued with the daemon down (69), processed when it started"

for s in "$HASH" "$PW"; do sm_no_secret "$s"; done
sm_pass
