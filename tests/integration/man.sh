#!/bin/sh
# The man pages: each renders through groff -ww (mdoc and man macros),
# man -l and mandoc's lint with not one warning; each has the sections a
# reader looks for; and what they list is what the code has: every key of
# lib/conf.c's table under its group, every option of sshmedicd and
# sshmedic, every command and request kind, every trigger, action and
# parameter of the policies, every option of the PAM module, every audit
# op the code writes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_tools groff man mandoc
M=$top_srcdir/man
PAGES="sshmedicd.8 sshmedic.8 pam_sshmedic.8 sshmedic.conf.5 sshmedic-policies.5"

# 1. Rendering: any output on stderr is a failure.
for p in $PAGES; do
	f=$M/$p
	[ -f "$f" ] || sm_fail "$p: missing"
	for macros in -mandoc -man; do
		err=$(groff -ww -z "$macros" -Tutf8 "$f" 2>&1 >/dev/null)
		[ -z "$err" ] || sm_fail "$p: groff -ww $macros: $err"
	done
	err=$(LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat \
	    man --warnings -E UTF-8 -l "$f" 2>&1 >/dev/null)
	[ -z "$err" ] || sm_fail "$p: man -l: $err"
	out=$(mandoc -Tlint -W warning "$f" 2>&1)
	[ -z "$out" ] || sm_fail "$p: mandoc -Tlint: $out"
done
sm_log "1: every page renders with no warning (groff -ww, man -l, mandoc -Tlint)"

# render PAGE: the page as man -l shows it (plain text: not to a terminal).
render() {
	LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat \
	    man -E UTF-8 -l "$M/$1" 2>/dev/null
}

# 2. Sections, as rendered; the .5 pages say who reports their errors.
for p in $PAGES; do
	text=$(render "$p")
	[ -n "$text" ] || sm_fail "$p: renders empty"
	want="NAME SYNOPSIS DESCRIPTION FILES EXAMPLES SEE_ALSO"
	case $p in
	pam_sshmedic.8) want="$want MODULE_TYPES_PROVIDED" ;;
	*) want="$want EXIT_STATUS" ;;
	esac
	for s in $want; do
		printf '%s\n' "$text" | grep -qx "${s//_/ }" ||
		    sm_fail "$p: no section ${s//_/ }"
	done
	case $p in
	*.5)
		sed -n '/^\.Sh EXIT STATUS$/,/^\.Sh [^E]/p' "$M/$p" |
		    grep -q 'sshmedicd -t' ||
		    sm_fail "$p: EXIT STATUS does not say which program reports errors"
		;;
	esac
done
sm_log "2: NAME, SYNOPSIS, DESCRIPTION, FILES, EXIT STATUS, EXAMPLES, SEE ALSO"

# has PAGE REGEX WHAT: the page's source has a line matching REGEX.
has() { grep -qE "$2" "$M/$1" || sm_fail "$1: $3 not documented"; }

# 3. sshmedic.conf(5): each key of the table in its group's subsection.
keys=$(sed -nE 's/^[[:space:]]*\{ "([a-z_]+)", "([a-z_]+)", K_.*/\1 \2/p' \
    "$top_srcdir/lib/conf.c")
[ "$(printf '%s\n' "$keys" | wc -l)" -ge 40 ] ||
    sm_fail "lib/conf.c: the key table was not found ($keys)"
while read -r group key; do
	awk -v g="$group" -v k="$key" '
	    $0 == ".Ss " g { in_g = 1; next }
	    /^\.S[hs] / { in_g = 0 }
	    in_g && ($0 == ".It Cm " k || index($0, ".It Cm " k " ") == 1) { f = 1 }
	    END { exit !f }' "$M/sshmedic.conf.5" ||
	    sm_fail "sshmedic.conf.5: $group.$key not documented under .Ss $group"
done <<EOF
$keys
EOF
has sshmedic.conf.5 '^\.Ss protected_users$' "protected_users"
sm_log "3: sshmedic.conf(5) has all $(printf '%s\n' "$keys" | wc -l) keys of lib/conf.c"

# 4. sshmedicd(8): every getopt letter (but -h, which is the usage error).
opts=$(sed -nE 's/.*getopt\(argc, argv, "([^"]+)".*/\1/p' \
    "$top_srcdir/watchdog/sshmedicd.c" | tr -d ':h')
[ -n "$opts" ] || sm_fail "watchdog/sshmedicd.c: getopt string not found"
for o in $(printf '%s' "$opts" | fold -w1); do
	has sshmedicd.8 "^\.It Fl $o( |$)" "sshmedicd -$o"
done
sm_log "4: sshmedicd(8) has -$opts"

# 5. sshmedic(8): its long options, every command, every --option the
# CLI's files compare an argument with, every request kind.
S=$top_srcdir/watchdog
for o in $(sed -nE 's/^[[:space:]]*\{ "([a-z-]+)", (no|required)_argument.*/\1/p' \
    "$S/sshmedic.c"); do
	has sshmedic.8 "Fl -$o( |$)" "sshmedic --$o"
done
for o in $(sm_cli_dashdash); do
	has sshmedic.8 "Fl -${o#--}( |$)" "option $o"
done
cmds=$(sm_cli_commands)
kinds=$(sm_request_kinds)
[ -n "$cmds" ] && [ -n "$kinds" ] ||
    sm_fail "watchdog/sshmedic.c, lib/request.c: no commands or request kinds found"
for c in $cmds $kinds; do
	has sshmedic.8 "^\.It (Xo )?Cm $c( |$)" "command or request $c"
done
sm_log "5: sshmedic(8) has the commands" $cmds "and the requests" $kinds

# 6. sshmedic-policies(5): triggers, actions and parameters of the tables.
P=$top_srcdir/lib
trig=$(sed -nE 's/^[[:space:]]*\[PT_[A-Z_]+\] = \{ "([a-z_]+)".*/\1/p' "$P/policy.c")
acts=$(sed -nE 's/^[[:space:]]*\[PA_[A-Z_]+\] = \{ "([a-z_]+)".*/\1/p' \
    "$P/policy_action.c")
params=$(sed -n '/param_names\[PP_NPARAMS\] = {/,/};/p' "$P/policy_action.c" |
    grep -oE '"[a-z_]+"' | tr -d '"')
[ -n "$trig" ] && [ -n "$acts" ] && [ -n "$params" ] ||
    sm_fail "lib/policy*.c: the tables were not found"
for t in $trig $acts; do
	has sshmedic-policies.5 "^\.It Cm $t( |$)" "$t"
done
for t in $params; do
	has sshmedic-policies.5 "^\.(It )?Cm $t( |$)" "action parameter $t"
done
for k in $(sed -nE 's/.*strcmp\(name, "([a-z_]+)"\) == 0.*/\1/p' "$P/policy.c" |
    sort -u); do
	has sshmedic-policies.5 "^\.It Cm $k( |$)" "policy key $k"
done
sm_log "6: sshmedic-policies(5) has the triggers" $trig "and the actions" $acts

# 7. pam_sshmedic(8): the module's options.
for o in $(sed -nE 's/.*strn?cmp\(argv\[i\], "([a-z]+)=?".*/\1/p' \
    "$top_srcdir/pam/pam_sshmedic.c"); do
	has pam_sshmedic.8 "^\.It Cm $o( |$)" "module option $o"
done

# 8. sshmedicd(8): every audit op the code writes, in full or, in a list
# that starts with its prefix, as what follows "sshmedic-WORD".
for op in $(grep -rhoE '"sshmedic-[a-z-]+"' "$top_srcdir/watchdog" \
    "$top_srcdir/lib" | tr -d '"' | sort -u); do
	case $op in
	sshmedic-unknown|sshmedic-authlog) continue ;;	# a fallback, a unit
	esac
	grep -qE "(^|[ =])$op( |\$)" "$M/sshmedicd.8" ||
	    grep -qE "^\.Ql -${op#sshmedic-*-}( |\$)" "$M/sshmedicd.8" ||
	    sm_fail "sshmedicd.8: audit op $op not in AUDIT RECORDS"
done
sm_log "7, 8: the module's options and every audit op are documented"
sm_pass
