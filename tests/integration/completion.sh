#!/bin/sh
# contrib/bash-completion/sshmedic in a real bash with bash-completion
# loaded, against a real store and daemon: commands (the CLI's own list),
# options, generation numbers for rollback and diff from the store (the
# daemon running, stopped, or only status answering), nothing and no
# message when neither answers (a user who cannot read the configuration),
# request kinds (lib/request.c's list), user names, key files, --replace,
# --keep-home, never.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

BC=/usr/share/bash-completion/bash_completion
CF=$top_srcdir/contrib/bash-completion/sshmedic
sm_need_tools bash runuser
[ -r "$BC" ] || sm_skip "bash-completion is not installed ($BC)"
sm_setup_guarded

# comp [-u USER] WORD...: completes the last WORD ("" for a new one) of the
# command line WORD... the way bash does on TAB, in a fresh bash that loads
# bash-completion and the file; COMPREPLY sorted in $T/comp.out, its
# stderr in $T/comp.err (must be empty).
comp() {
	local -a run=()
	if [ "$1" = -u ]; then
		run=(runuser -u "$2" --)
		shift 2
	fi
	"${run[@]}" bash --norc --noprofile -c '
		. "$1" || exit 3
		. "$2" || exit 3
		shift 2
		f=$(complete -p sshmedic 2>/dev/null) || exit 4
		f=${f##*-F } f=${f%% *}
		COMP_WORDS=("$@") COMP_CWORD=$(($# - 1))
		COMP_LINE="$*" COMP_POINT=${#COMP_LINE} COMP_TYPE=9 COMP_KEY=9
		COMPREPLY=()
		"$f" "$1" "${COMP_WORDS[COMP_CWORD]}" \
		    "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' comp "$BC" "$CF" "$@" \
	    >"$T/comp.raw" 2>"$T/comp.err" </dev/null ||
	    sm_fail "completion of '$*' failed (rc $?): $(cat "$T/comp.err")"
	grep -v '^$' "$T/comp.raw" | LC_ALL=C sort >"$T/comp.out"
	[ ! -s "$T/comp.err" ] ||
	    sm_fail "completion of '$*' wrote to stderr: $(cat "$T/comp.err")"
}

# expect WHAT WORD...: the completions are exactly WHAT (words, any order).
expect() {
	local want=$1
	shift
	comp "$@"
	[ "$(echo $(cat "$T/comp.out"))" = \
	    "$(echo $(printf '%s\n' $want | LC_ALL=C sort))" ] ||
	    sm_fail "'$*' completes to '$(echo $(cat "$T/comp.out"))', not '$want'"
}

# offers WORD WORD...: the completions include WORD.
offers() {
	local w=$1
	shift
	comp "$@"
	grep -qxF -- "$w" "$T/comp.out" ||
	    sm_fail "'$*' does not offer $w: $(tr '\n' ' ' <"$T/comp.out")"
}

# A second generation: a valid drop-in that sshd serves.
sm_mark sshmedic-config-promoted
sm_accept "gen 2" sh -c "echo 'MaxAuthTries 5' >'$T/etc/sshd_config.d/20-comp.conf'"
sm_reload_sshd
sm_next_event sshmedic-config-promoted >/dev/null || sm_fail "no generation 2"
[ "$(sm_status_field generation)" = 2 ] ||
    sm_fail "generation after the promotion: $(sm_status_field generation)"

# 1. Commands (each of the CLI's own) and options.
cmds=$(sm_cli_commands)
for c in $cmds; do
	offers "$c" sshmedic ""
done
expect "rollback resume request" sshmedic r
offers --json sshmedic --
offers --version sshmedic --
offers --config sshmedic --
expect "--json --help" "$SMC" -f "$SM_CONF" status --
expect "--json --help --dry-run --discard-quarantine" sshmedic image-prep --
expect "--json --help --since --input" sshmedic history --
offers yesterday sshmedic history --since ""
expect "this-week this-month this-year" sshmedic history 5 --since this-
expect "$T/events.json" sshmedic history --input "$T/events."
expect "--help --key-prefix --daemon" sshmedic audit-rules --
offers 15m sshmedic pause ""
offers 5m sshmedic try ""
# Every --option the CLI compares an argument with is offered somewhere.
for o in $(sm_cli_dashdash); do
	grep -qE -- "(^|[ '])$o( |'|\$)" "$CF" ||
	    sm_fail "$o of the CLI is not in $CF"
done
sm_log "1: commands ($(echo $cmds)), options, durations"

# 2. Generations from the store, with the command line's -f.
expect "1 2" "$SMC" -f "$SM_CONF" rollback ""
expect "2" "$SMC" --config "$SM_CONF" rollback 2
expect "1 2" "$SMC" -f "$SM_CONF" diff ""
expect "1 2" "$SMC" -f "$SM_CONF" diff 1 ""
expect "" "$SMC" -f "$SM_CONF" diff 1 2 ""
expect "" "$SMC" -f "$SM_CONF" rollback 1 ""
expect "--json --help" "$SMC" -f "$SM_CONF" rollback --
# Only status answers (the store not readable here): its generation.
cat >"$T/only-status" <<EOF
#!/bin/sh
for a; do [ "\$a" = history ] && exit 69; done
exec "$SMC" "\$@"
EOF
chmod 0755 "$T/only-status"
expect "2" "$T/only-status" -f "$SM_CONF" rollback ""
sm_log "2: generations 1 2 from the store, 2 from status alone"

# 3. Neither answers: nothing, and nothing said.
expect "" "$SMC" -f "$T/no-such.conf" rollback ""
expect "" -u nobody "$SMC" -f "$SM_CONF" rollback ""
expect "" -u nobody "$SMC" -f "$SM_CONF" diff 1 ""
sm_stop_daemon
expect "1 2" "$SMC" -f "$SM_CONF" rollback ""
expect "" "$T/only-status" -f "$SM_CONF" rollback ""
sm_log "3: nothing for a missing config or another user; the store without the daemon"

# 4. Requests: kinds (lib/request.c's list), users, key files, options.
kinds=$(sm_request_kinds)
[ -n "$kinds" ] || sm_fail "lib/request.c: no request kinds found"
expect "$kinds" sshmedic request ""
expect "set-key set-password" sshmedic request set-
for k in set-key set-password add-sudo-user remove-user expire; do
	offers "$SM_USER" sshmedic request "$k" smt-
	offers "$SM_OTHER" sshmedic request "$k" smt-
done
expect "" sshmedic request reset-ssh ""
expect "$T/keys/$SM_OTHER $T/keys/$SM_USER" sshmedic request set-key \
    "$SM_USER" "$T/keys/smt-"
expect "$T/keys/$SM_USER" sshmedic request add-sudo-user ops "$T/keys/smt-a"
expect "--json --help --replace" sshmedic request set-key "$SM_USER" k.pub --
expect "--json --help" sshmedic request set-key "$SM_USER" --
expect "--json --help --keep-home" sshmedic request remove-user "$SM_OTHER" --
expect "never" sshmedic request expire "$SM_OTHER" n
expect "" sshmedic request set-password "$SM_USER" ""
sm_log "4: request kinds ($(echo $kinds)), users, key files, --replace, --keep-home, never"
sm_pass
