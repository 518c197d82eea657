#!/bin/sh
# sshmedic history joins the kernel's watch records with sshmedic's own: the
# rules of `sshmedic audit-rules` for the sandbox are loaded (a key of this
# run, removed at exit whatever happens), a bad edit by another process is
# rolled back, and history shows who made it (exe, pid, auid, the path, the
# syscall) with the rollback (op, generation, reason) and sshmedicd's own
# write under it; --json parses with those fields; the audit log missing or
# unreadable is said once and sshmedic's JSON log is still shown; no argv
# (a secret's place) is printed; contrib/audit/sshmedic.rules is what
# audit-rules prints for the default paths.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_root
sm_need_tools auditctl ausearch python3 setpriv sed
sm_setup_guarded
D=$T/etc/sshd_config.d
K=smt-hj-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')

# Kernel rules are global: every rule of this run's keys goes at exit.
# auditctl -l prints a rule as "-w PATH -p wa -k KEY" or "... -F key=KEY".
hj_keys() {
	auditctl -l 2>/dev/null | grep -oE -- "(key=|-k )$K-[a-z-]*" |
	    sed -E 's/^(key=|-k )//' | sort -u
}
hj_rules_off() {
	local k
	for k in $(hj_keys); do auditctl -D -k "$k" >/dev/null 2>&1; done
}
hj_exit() {
	local rc=$?
	hj_rules_off
	(exit "$rc")
	sm_cleanup
}
trap hj_exit EXIT

hj_cli() { "$SMC" -f "$SM_CONF" "$@"; }

# --- 1: the rules for the sandbox, loaded -----------------------------------
mkdir -p -m 0700 "$T/requests"	# auditctl refuses a dir= that does not exist
hj_cli audit-rules --key-prefix "$K" >"$T/rules" 2>"$T/rules.err" ||
    sm_fail "audit-rules failed: $(cat "$T/rules.err")"
for want in "-F dir=$T/etc -F perm=wa -F key=$K-sshd-config" \
    "-F path=$T/sshmedic.conf -F perm=wa -F key=$K-config" \
    "-F dir=$T/state -F perm=wa -F exit!=-EEXIST -F exe!=$SMD -F key=$K-store" \
    "-F path=$T/events.json -F perm=wa -F exit!=-EEXIST -F exe!=$SMD -F key=$K-log"; do
	grep -qxF -- "-a always,exit $want" "$T/rules" ||
	    sm_fail "audit-rules lacks '$want': $(grep -v '^#' "$T/rules")"
done
# The machine's own files (its PAM stack) are watched by their own rules,
# never by a test's: only the sandbox's lines are loaded.
grep -E -- "-F (path|dir)=$T(/| )" "$T/rules" >"$T/rules.load"
auditctl -R "$T/rules.load" >"$T/auditctl.out" 2>&1 ||
    sm_fail "auditctl -R: $(cat "$T/auditctl.out")"
[ "$(hj_keys | wc -l)" -ge 4 ] || sm_fail "rules not loaded: $(auditctl -l | grep "$K")"
sm_log "1: $(wc -l <"$T/rules.load") watch rules loaded, keys $K-*"

# --- 2: a bad drop-in by another process, rolled back ----------------------
SINCE=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
SECRET=hj-$$-not-for-any-log
# Root (as after sudo) with the login uid of smt-other; the python code
# carries a "secret" in its argv, which the kernel's PROCTITLE keeps.
hj_edit() {
	# shellcheck disable=SC2016
	sh -c 'echo "$1" >/proc/self/loginuid 2>/dev/null; exec python3 -c "$2"' \
	    sh "$(id -u "$SM_OTHER")" "
import os
# $SECRET
with open('$D/50-deny.conf', 'w') as f:
    f.write('DenyUsers $SM_USER\n')
print(os.getpid(), os.readlink('/proc/self/exe'), open('/proc/self/loginuid').read())
" >"$T/edit.info"
}
sm_break "python drop-in" hj_edit
read -r EPID EEXE ELOGIN <"$T/edit.info"
if [ "$ELOGIN" = 4294967295 ]; then EAUID=unset; else EAUID="$SM_OTHER($ELOGIN)"; fi
RB=$(sm_wait_event sshmedic-config-rollback) || sm_fail "no rollback event"
RB_ID=$(sm_evid "$RB")
sm_wait_for -t 10 sh -c "ausearch --input-logs -k '$K-sshd-config' -p '$EPID' >/dev/null 2>&1" ||
    sm_fail "no watch record of pid $EPID"
# The kernel kept sshmedicd's own write to the drop-in, not to its store.
ausearch --input-logs -k "$K-sshd-config" -ts recent -i 2>/dev/null |
    grep -q "exe=$SMD" || sm_fail "sshmedicd's removal of the drop-in not recorded"
if ausearch --input-logs -k "$K-store" -ts recent -i 2>/dev/null | grep -q "exe=$SMD"; then
	sm_fail "sshmedicd's own store writes were recorded (exe!= ignored)"
fi
sm_log "2: edit by pid $EPID ($EEXE, auid $EAUID) rolled back, evid $RB_ID"

# hj_block FILE PATH: the lines of the timeline entry that is a change of
# PATH (up to the next entry).
hj_block() {
	awk -v p="change of $2" '
	    index($0, p) && /^  [0-9]/ { on = 1; print; next }
	    on && /^  [0-9]/ { exit }
	    on { print }' "$1"
}

# --- 3: history shows the edit joined with the rollback --------------------
hj_cli history --since "$SINCE" >"$T/h.txt" 2>"$T/h.err" ||
    sm_fail "history --since failed: $(cat "$T/h.err")"
[ -s "$T/h.err" ] && sm_fail "history said something on stderr: $(cat "$T/h.err")"
hj_block "$T/h.txt" "$D/50-deny.conf" >"$T/block.txt"
[ -s "$T/block.txt" ] || sm_fail "no change of $D/50-deny.conf: $(cat "$T/h.txt")"
grep -qF "by pid=$EPID " "$T/block.txt" || sm_fail "the change lacks pid $EPID: $(cat "$T/block.txt")"
grep -qF " exe=$EEXE comm=python3 uid=root(0) auid=$EAUID " "$T/block.txt" ||
    sm_fail "the change lacks exe/uid/auid: $(cat "$T/block.txt")"
grep -qE "^      [0-9:.]+  (open|openat|creat) ok  $D/50-deny.conf \(CREATE\)  key=$K-sshd-config$" \
    "$T/block.txt" || sm_fail "no open of the drop-in with its key: $(cat "$T/block.txt")"
grep -qE "^    -> [^ ]+  sshmedic-config-rejected +failed  gen=1 smt-admin: DenyUsers" \
    "$T/block.txt" || sm_fail "rejection not joined: $(cat "$T/block.txt")"
grep -qE "^    -> [^ ]+  sshmedic-config-rollback +success gen=1 smt-admin: DenyUsers .*\[$RB_ID\]$" \
    "$T/block.txt" || sm_fail "rollback not joined: $(cat "$T/block.txt")"
awk '/^    -> / { rb = / sshmedic-config-rollback / } rb' "$T/block.txt" |
    grep -qE "^         sshmedicd pid=$SM_DAEMON_PID: [0-9:.]+  [a-z0-9]+ ok  $D/50-deny.conf \(DELETE\)" ||
    sm_fail "sshmedicd's removal not under the rollback: $(cat "$T/block.txt")"
sm_log "3: $(head -2 "$T/block.txt" | tr -s ' ')"

# --- 4: --json: one document, the documented fields ------------------------
hj_cli --json history --since "$SINCE" >"$T/h.json" 2>"$T/h.err" ||
    sm_fail "--json history failed: $(cat "$T/h.err")"
python3 - "$T/h.json" "$D/50-deny.conf" "$EPID" "$EEXE" "$ELOGIN" "$RB_ID" \
    "$SM_DAEMON_PID" "$K" <<'EOF' || sm_fail "--json history: the assertion above (all of it in $T/h.json)"
import json, sys
doc, path, pid, exe, login, rb, dpid, key = sys.argv[1:]
d = json.load(open(doc))
assert d["audit"]["read"] is True and d["audit"]["error"] is None, d["audit"]
assert isinstance(d["generations"], list) and d["generations"][0]["gen"] == 1
assert any(e["id"] == rb for e in d["events"]), "rollback not in events"
ch = [t for t in d["timeline"] if t["kind"] == "change" and path in t["files"]]
assert len(ch) == 1, ch
c = ch[0]
assert c["pid"] == int(pid) and c["exe"] == exe and c["comm"] == "python3", c
assert c["uid"] == 0 and c["uid_name"] == "root", c
if login == "4294967295":
    assert c["auid"] is None and c["auid_name"] == "unset", c
else:
    assert c["auid"] == int(login) and c["auid_name"] == "smt-other", c
assert c["by_sshmedicd"] is False
r = c["records"][0]
assert r["syscall"] in ("open", "openat", "creat") and r["success"] is True, r
assert r["key"] == key + "-sshd-config", r
assert any(p["path"] == path and p["nametype"] == "CREATE" for p in r["paths"]), r
ops = [e["op"] for e in c["sshmedic"]]
assert "sshmedic-config-rejected" in ops and "sshmedic-config-rollback" in ops, ops
e = [e for e in c["sshmedic"] if e["id"] == rb][0]
assert e["op"] == "sshmedic-config-rollback" and e["res"] == "success", e
assert e["gen"] == 1 and "DenyUsers" in e["reason"] and path in e["files"], e
assert e["type"] == "USYS_CONFIG" and e["source"] == "audit+json", e
assert e["pid"] == int(dpid) and isinstance(e["serial"], int), e
assert any(k["pid"] == int(dpid) and any(p["path"] == path for p in k["paths"])
           for k in e["kernel"]), [(x["op"], x["time"], x["kernel"]) for x in c["sshmedic"]]
for t in d["timeline"]:
    for f in ("kind", "time", "time_ms"):
        assert f in t, (f, t)
EOF
sm_log "4: --json history parses, the change and its rollback in it"

# --- 5: an editor's several calls are one change (sed -i: temp + rename) ----
SINCE2=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sm_break "sed -i of the main file" \
    sed -i "1a DenyUsers $SM_OTHER $SM_USER" "$T/etc/sshd_config"
sm_wait_for -t 10 sh -c "ausearch --input-logs -k '$K-sshd-config' -ts recent -i 2>/dev/null | grep -q 'exe=/usr/bin/sed'" ||
    sm_fail "no watch record of sed"
hj_cli history --since "$SINCE2" >"$T/h2.txt" 2>"$T/h.err" || sm_fail "history failed"
awk '/^  [0-9].*change of/ { sed = 0; ren = 0; next }
    /exe=\/usr\/bin\/sed/ { sed = 1 }
    sed && /^      [0-9:.]+  rename[a-z0-9]* ok .*sshd_config \(CREATE\)/ { ren = 1 }
    sed && ren && /^    -> .*sshmedic-config-rollback +success gen=1/ { rb = 1; next }
    rb && /^    -> / { rb = 0 }
    rb && $0 ~ "^         sshmedicd pid=" pid ": .* renameat ok .*etc/sshd_config \\(CREATE\\)" { ok = 1 }
    END { exit !ok }' pid="$SM_DAEMON_PID" "$T/h2.txt" ||
    sm_fail "sed's rename not one change joined with its rollback and sshmedicd's renameat: $(cat "$T/h2.txt")"
sm_log "5: sed -i (temporary file, rename) is one change, joined with its rollback and sshmedicd's renameat"

# --- 6: no argv and no secret in any output --------------------------------
HEXSECRET=$(printf '%s' "$SECRET" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
for f in "$T/h.txt" "$T/h.json" "$T/h2.txt"; do
	grep -qF -- "$SECRET" "$f" && sm_fail "the argv's secret is in $f"
	grep -qiF -- "$HEXSECRET" "$f" && sm_fail "the argv's secret (hex) is in $f"
	grep -q "proctitle" "$f" && sm_fail "a PROCTITLE is in $f"
done
ausearch --input-logs -p "$EPID" -m PROCTITLE 2>/dev/null | grep -qiF "$HEXSECRET" ||
    sm_fail "the kernel's PROCTITLE does not hold the secret: the check above proves nothing"
sm_log "6: the argv (in the kernel's PROCTITLE) is in no output of history"

# --- 7: audit log missing or unreadable: said once, JSON log still shown ----
hj_cli history --since "$SINCE" --input "$T/none.log" >"$T/h3.txt" 2>"$T/h3.err" ||
    sm_fail "history without an audit log failed: $(cat "$T/h3.err")"
[ "$(grep -c 'audit log not read' "$T/h3.err")" = 1 ] ||
    sm_fail "the missing log is not said once: $(cat "$T/h3.err")"
grep -qF "$T/none.log: No such file or directory" "$T/h3.err" ||
    sm_fail "the reason is not given: $(cat "$T/h3.err")"
grep -qE "^  [^ ]+  sshmedic-config-rollback +success gen=1 .*\[$RB_ID\]$" "$T/h3.txt" ||
    sm_fail "sshmedic's own events not shown without audit: $(cat "$T/h3.txt")"
grep -q "change of" "$T/h3.txt" && sm_fail "a change shown with no audit log"
hj_cli --json history --since "$SINCE" --input "$T/none.log" 2>/dev/null |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["audit"]["read"] is False and "No such file" in d["audit"]["error"], d["audit"]
rb = [t for t in d["timeline"] if t.get("id") == sys.argv[1]]
assert rb and rb[0]["kind"] == "sshmedic" and rb[0]["source"] == "json", rb
' "$RB_ID" || sm_fail "--json without an audit log"
# A copy of the records (as a reviewer gets one), then that copy unreadable
# to a root without CAP_DAC_OVERRIDE: the reader lacks permission.
ausearch --input-logs -ts recent --raw >"$T/copy.log" 2>/dev/null
hj_cli history --since "$SINCE" --input "$T/copy.log" >"$T/h4.txt" 2>"$T/h.err" ||
    sm_fail "history --input failed: $(cat "$T/h.err")"
hj_block "$T/h4.txt" "$D/50-deny.conf" | grep -q "sshmedic-config-rollback" ||
    sm_fail "--input copy: the change is not joined: $(cat "$T/h4.txt")"
chown "$SM_OTHER" "$T/copy.log"
chmod 0600 "$T/copy.log"
setpriv --bounding-set=-dac_override,-dac_read_search \
    "$SMC" -f "$SM_CONF" history --since "$SINCE" --input "$T/copy.log" \
    >"$T/h5.txt" 2>"$T/h5.err" || sm_fail "history as a reader without permission failed: $(cat "$T/h5.err")"
[ "$(grep -c 'audit log not read' "$T/h5.err")" = 1 ] &&
    grep -qF "$T/copy.log: Permission denied" "$T/h5.err" ||
    sm_fail "the refused log is not said once with its reason: $(cat "$T/h5.err")"
grep -qE "sshmedic-config-rollback .*\[$RB_ID\]$" "$T/h5.txt" ||
    sm_fail "no events shown to a reader without permission: $(cat "$T/h5.txt")"
sm_log "7: no audit log / no permission: said once, sshmedic's events shown"

# --- 8: --since: bad forms refused with the reason; relative forms work -----
rc=0
hj_cli history --since yesterday-ish >/dev/null 2>"$T/h.err" || rc=$?
[ "$rc" = 64 ] || sm_fail "a bad --since gave $rc, not 64 (usage)"
grep -qF "history --since: bad time 'yesterday-ish': expected now, recent" "$T/h.err" ||
    sm_fail "bad --since: $(cat "$T/h.err")"
rc=0
hj_cli history --since 30 >/dev/null 2>"$T/h.err" || rc=$?
[ "$rc" = 64 ] && grep -q "bare number" "$T/h.err" ||
    sm_fail "a bare number for --since: rc $rc, $(cat "$T/h.err")"
hj_cli history --since 10m >"$T/h6.txt" 2>&1 || sm_fail "--since 10m failed"
grep -qF "$RB_ID" "$T/h6.txt" || sm_fail "--since 10m lacks the rollback"
hj_cli history --since 1s >"$T/h7.txt" 2>&1 || sm_fail "--since 1s failed"
# An old history keeps working: COUNT and the generations.
hj_cli history 3 >"$T/h8.txt" 2>&1 || sm_fail "history 3 failed"
grep -q "^Known-good generations:" "$T/h8.txt" || sm_fail "history 3: $(cat "$T/h8.txt")"
sm_log "8: --since forms"

# --- 9: contrib/audit/sshmedic.rules is audit-rules for the default paths ---
# The default sshmedic.conf (/etc/sshmedic, empty: every default) exists
# only in a private mount namespace, on an overlay of /etc: regen.sh.
had_etc=0
[ -e /etc/sshmedic ] && had_etc=1
"$top_srcdir/contrib/audit/regen.sh" "$SMC" "$T/defaults.rules" 2>"$T/defaults.err" ||
    sm_fail "audit-rules for the defaults failed: $(cat "$T/defaults.err")"
[ "$had_etc" = 0 ] && [ -e /etc/sshmedic ] &&
    sm_fail "the overlay leaked out of the namespace: /etc/sshmedic appeared"
# The block named by this machine's files (its PAM stack, an Include
# outside /etc/ssh) may differ between machines: compared without it.
hj_static() { awk '/^## Named by files on this machine/ { skip = 1 } skip && /^$/ { skip = 0 } !skip' "$1"; }
diff <(hj_static "$top_srcdir/contrib/audit/sshmedic.rules") <(hj_static "$T/defaults.rules") \
    >"$T/contrib.diff" || sm_fail "contrib/audit/sshmedic.rules differs from audit-rules: $(cat "$T/contrib.diff")"
grep -qx -- "-a always,exit -F dir=/etc/ssh -F perm=wa -F key=sshmedic-sshd-config" \
    "$T/defaults.rules" || sm_fail "defaults: no rule on /etc/ssh"
# auditctl (3.0.9 on Debian 12) takes its syntax: each rule whose directory
# exists here, loaded under this run's key (watching writes nobody makes).
n=0
while IFS= read -r line; do
	case $line in '-a '*) ;; *) continue ;; esac
	p=$(printf '%s\n' "$line" | sed -E 's/.* -F (path|dir)=([^ ]+) .*/\2/')
	case $line in *" -F dir="*) [ -d "$p" ] || continue ;;
	*) [ -d "$(dirname "$p")" ] || continue ;; esac
	# shellcheck disable=SC2086
	auditctl ${line%key=*}key="$K-contrib" >"$T/auditctl.out" 2>&1 ||
	    sm_fail "auditctl refuses '$line': $(cat "$T/auditctl.out")"
	n=$((n + 1))
done <"$top_srcdir/contrib/audit/sshmedic.rules"
[ "$n" -ge 6 ] || sm_fail "only $n contrib rules could be tried"
auditctl -D -k "$K-contrib" >/dev/null || sm_fail "auditctl -D -k $K-contrib"
sm_log "9: contrib/audit/sshmedic.rules agrees with sshmedic audit-rules; $n of its rules loaded"

# --- 10: the rules go, and nothing of this run stays in the kernel ---------
hj_rules_off
[ -z "$(hj_keys)" ] || sm_fail "rules left: $(auditctl -l | grep "$K")"
sm_pass
