#!/bin/sh
# sshmedicd -t: a good sshmedic.conf passes (0); unknown keys, wrong types,
# out-of-range values and an unsafe mode are refused with 78 and FILE:LINE.
# So are the policies in paths.policies: a malformed or unsafe policy file,
# an unsafe policies.d, an escrow file others can read (never printed).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_daemon
sm_sandbox
sm_write_conf
good=$T/good.conf
cp -p "$SM_CONF" "$good"

# check_t WANT_RC NAME: runs sshmedicd -t on $SM_CONF.
check_t() {
	local rc
	"$SMD" -f "$SM_CONF" -t >"$T/t.out" 2>"$T/t.err"
	rc=$?
	[ "$rc" -eq "$1" ] ||
	    sm_fail "$2: sshmedicd -t exited $rc, want $1; stderr: $(cat "$T/t.err")"
}

# bad NAME SED-EXPR PATTERN: applies the edit to a fresh good conf; -t must
# say 78 and name the file and line of PATTERN.
bad() {
	local line
	cp -p "$good" "$SM_CONF"
	sed -i "$2" "$SM_CONF"
	line=$(grep -n -- "$3" "$SM_CONF" | head -1 | cut -d: -f1)
	[ -n "$line" ] || sm_fail "$1: test edit did not apply"
	check_t 78 "$1"
	grep -qF "$SM_CONF:$line" "$T/t.err" ||
	    sm_fail "$1: stderr lacks $SM_CONF:$line: $(cat "$T/t.err")"
	sm_log "$1: refused: $(head -1 "$T/t.err")"
}

check_t 0 "good conf"
sm_log "good conf: ok"

bad "unknown key in group" 's/^guard = {/guard = {\n\tfrobnicate_ms = 5;/' frobnicate_ms
bad "unknown top-level key" 's/^protected_users/colour = "blue";\nprotected_users/' colour
bad "port as string" "s/port = $PORT;/port = \"$PORT\";/" "port = \""
bad "port out of range" "s/port = $PORT;/port = 70000;/" "port = 70000"
bad "negative debounce" 's/debounce_ms = [0-9]*;/debounce_ms = -1;/' "debounce_ms = -1"
bad "audit as string" 's/audit = true;/audit = "yes";/' 'audit = "yes"'
bad "relative state path" "s|state = \"$T/state\";|state = \"state\";|" 'state = "state"'
bad "users not a list" "s/^protected_users = .*/protected_users = 5;/" "protected_users = 5"

# libconfig's own syntax errors also carry the line.
cp -p "$good" "$SM_CONF"
printf 'broken = [ 1, ;\n' >>"$SM_CONF"
check_t 78 "syntax error"
grep -qF "$SM_CONF:$(wc -l <"$SM_CONF")" "$T/t.err" ||
    sm_fail "syntax error: no file:line: $(cat "$T/t.err")"
sm_log "syntax error: refused: $(head -1 "$T/t.err")"

# Unsafe ownership and modes: the file is named.
for mode in 0666 0620 0602; do
	cp -p "$good" "$SM_CONF"
	chmod "$mode" "$SM_CONF"
	check_t 78 "mode $mode"
	grep -qF "$SM_CONF" "$T/t.err" ||
	    sm_fail "mode $mode: file not named: $(cat "$T/t.err")"
	sm_log "mode $mode: refused: $(head -1 "$T/t.err")"
done
cp -p "$good" "$SM_CONF"
chown "$SM_USER" "$SM_CONF"
check_t 78 "owned by $SM_USER"
sm_log "owner $SM_USER: refused: $(head -1 "$T/t.err")"

# A missing file is a config error too, and the good one still passes.
rm -f "$SM_CONF"
check_t 78 "missing file"
cp -p "$good" "$SM_CONF"
check_t 0 "good conf again"
grep -qF "0 policies in 0 files" "$T/t.out" ||
    sm_fail "empty policies.d: no count: $(cat "$T/t.out")"

# The policies in paths.policies are checked too, with the same FILE:LINE.
P=$T/policies.d
HASH='$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.'
mkdir -m 0700 "$T/escrow"
printf '%s\n' "$HASH" >"$T/escrow/hash"
chmod 0600 "$T/escrow/hash"
cat >"$P/10-keys.conf" <<EOF
# two policies, one with an escrowed hash
policies = (
	{
		name = "keys";
		on = "user_failures";
		users = [ "$SM_USER" ];
		actions = ( "fix_modes", "restore_keys" );
	},
	{
		name = "escrow";
		on = "user_failures";
		actions = (
			{ do = "set_password"; escrow = "$T/escrow/hash"; }
		);
	}
);
EOF
printf 'policies = ( { name = "pam"; on = "no_success";\n\tactions = ( "restore_pam" ); } );\n' \
    >"$P/20-pam.conf"
printf '# not a policy file\n' >"$P/README"
chmod 0644 "$P/10-keys.conf" "$P/20-pam.conf" "$P/README"
check_t 0 "valid policies"
grep -qF "$SM_CONF: configuration is valid" "$T/t.out" &&
    grep -qF "3 policies in 2 files" "$T/t.out" ||
    sm_fail "valid policies: stdout: $(cat "$T/t.out")"
sm_log "valid policies: $(tail -1 "$T/t.out")"

# pol_bad NAME FILE PATTERN WANT: -t says 78 and "sshmedicd: FILE:LINE: WANT"
# with LINE that of PATTERN in FILE (no PATTERN: "FILE: WANT").
pol_bad() {
	local line where
	check_t 78 "$1"
	if [ -n "$3" ]; then
		line=$(grep -n -- "$3" "$2" | head -1 | cut -d: -f1)
		[ -n "$line" ] || sm_fail "$1: test edit did not apply"
		where=$2:$line
	else
		where=$2
	fi
	grep -qF "sshmedicd: $where: $4" "$T/t.err" ||
	    sm_fail "$1: stderr lacks $where: $4: $(cat "$T/t.err")"
	sm_log "$1: refused: $(head -1 "$T/t.err")"
}

# A malformed file: refused with its line; the good ones do not hide it.
printf 'policies = (\n\t{ name = "bad"; on = "user_failures";\n\t  failures = 20; actions = ( "unlock" ); }\n);\n' \
    >"$P/30-bad.conf"
chmod 0644 "$P/30-bad.conf"
pol_bad "malformed policy" "$P/30-bad.conf" "failures = 20" \
    "failures: 20 is out of range 1..16"
printf 'policies = ( { name = "x"; on = "user_failures";\n\tactions = ( "unlock" ) } )\n\t+++\n' \
    >"$P/30-bad.conf"
pol_bad "policy syntax error" "$P/30-bad.conf" "+++" "syntax error"
rm -f "$P/30-bad.conf"
check_t 0 "bad file removed"

# A policy file writable by group is refused, like sshmedic.conf; so is
# a policies.d others can write to.
chmod 0664 "$P/20-pam.conf"
pol_bad "group-writable policy" "$P/20-pam.conf" "" \
    "mode 0664 is writable by group"
chmod 0644 "$P/20-pam.conf"
chmod 0777 "$P"
pol_bad "world-writable policies.d" "$P" "" \
    "mode 0777 is writable by group and other"
chmod 0700 "$P"

# An escrow file readable by others: refused, and its hash never printed.
chmod 0644 "$T/escrow/hash"
pol_bad "escrow mode 0644" "$P/10-keys.conf" "escrow =" \
    "action 1 (set_password): escrow $T/escrow/hash: mode 0644 gives group or other access"
grep -qF -- "ltjgWl6579" "$T/t.out" "$T/t.err" &&
    sm_fail "escrow mode 0644: the hash is in the output"
chmod 0600 "$T/escrow/hash"
# A password typed into it in clear: refused, never echoed.
printf 'CorrectHorseBatteryStaple\n' >"$T/escrow/hash"
pol_bad "escrow plain text" "$P/10-keys.conf" "escrow =" \
    "action 1 (set_password): escrow $T/escrow/hash: does not look like a crypt(3) hash"
grep -qF -- "CorrectHorse" "$T/t.out" "$T/t.err" &&
    sm_fail "escrow plain text: the password is in the output"
printf '%s\n' "$HASH" >"$T/escrow/hash"
check_t 0 "policies good again"
sm_pass
