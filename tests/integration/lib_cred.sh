# The credential tests' sandbox (sourced after lib.sh): a sandboxed sshd
# run through a symlink so that it uses a PAM service of its own with
# pam_sshmedic.so in it, UsePAM and ExposeAuthInfo on, sshd's log read by
# sshmedicd (authlog), and accounts of the test's own, removed afterwards.

MOD=$top_builddir/pam/.libs/pam_sshmedic.so
SM_CRED_USERS=()
SM_CRED_GROUPS=()
SM_CRED_FILES=()
SM_PAMF=
SVC=

sm_cred_cleanup() {
	local rc=$? u f
	set +e
	# The daemon first: an action it is taking must not make again what
	# is removed below.
	sm_stop_daemon
	for u in "${SM_CRED_USERS[@]}"; do
		pkill -KILL -u "$u" 2>/dev/null
		userdel "$u" 2>/dev/null
	done
	for u in "${SM_CRED_GROUPS[@]}"; do groupdel "$u" 2>/dev/null; done
	for f in "${SM_CRED_FILES[@]}"; do rm -rf -- "$f"; done
	[ -n "$SM_PAMF" ] && rm -f -- "$SM_PAMF"
	( exit "$rc" )
	sm_cleanup
}

# sm_cred_stack [faillock]: the module's documented stack (with pam_unix,
# and pam_faillock as the man page shows it when asked), written to the
# test's own PAM service.
sm_cred_stack() {
	local sock=$T/smrun/event.sock fl=${1:-}
	{
		echo "auth    optional                    $MOD preauth socket=$sock"
		if [ "$fl" = faillock ]; then
			echo "auth    [success=ok default=1]      pam_faillock.so preauth dir=$T/faillock deny=3 unlock_time=3600"
			echo "auth    [success=3 default=ignore]  pam_unix.so nullok"
			echo "auth    optional                    $MOD authfail socket=$sock"
			echo "auth    [default=die]               pam_faillock.so authfail dir=$T/faillock deny=3 unlock_time=3600"
			echo "auth    requisite                   pam_deny.so"
			echo "auth    optional                    $MOD authsucc socket=$sock"
			echo "auth    sufficient                  pam_faillock.so authsucc dir=$T/faillock deny=3 unlock_time=3600"
		else
			echo "auth    [success=2 default=ignore]  pam_unix.so nullok"
			echo "auth    optional                    $MOD authfail socket=$sock"
			echo "auth    requisite                   pam_deny.so"
			echo "auth    optional                    $MOD authsucc socket=$sock"
		fi
		echo "auth    required                    pam_permit.so"
		echo "account [success=2 new_authtok_reqd=done default=ignore]  pam_unix.so"
		echo "account optional                    $MOD denied socket=$sock"
		echo "account requisite                   pam_deny.so"
		echo "account required                    pam_permit.so"
		echo "@include common-session"
		echo "session optional                    $MOD socket=$sock"
	} >"$SM_PAMF"
	chmod 0644 "$SM_PAMF"
}

# sm_cred_sandbox [faillock]: sandbox, PAM service, sshd config for PAM,
# passwords and keys in the users' homes. Call before sm_cred_start_sshd.
sm_cred_sandbox() {
	sm_need_root
	sm_need_tools sshpass openssl useradd userdel usermod chage
	[ -f "$MOD" ] || sm_skip "module not built: $MOD"
	sm_sandbox
	trap sm_cred_cleanup EXIT
	# sshd takes its PAM service from the name it runs under; PAM
	# lowercases service names, so the symlink's name is lowercase.
	SVC=sshmedic-t-$(basename "$T" | tr -dc 'A-Za-z0-9' | tr 'A-Z' 'a-z')
	SM_PAMF=/etc/pam.d/$SVC
	mkdir -p "$T/bin" "$T/home" "$T/faillock"
	chmod 0755 "$T/bin" "$T/home"
	ln -s "$SSHD" "$T/bin/$SVC"
	sm_cred_stack "${1:-}"
	sed -i -e 's/^UsePAM no$/UsePAM yes/' \
	    -e 's/^PasswordAuthentication no$/PasswordAuthentication yes/' \
	    -e "s|^AuthorizedKeysFile .*|AuthorizedKeysFile $T/keys/%u .ssh/authorized_keys|" \
	    "$SSHD_CONF"
	echo "ExposeAuthInfo yes" >>"$SSHD_CONF"
	grep -qx 'UsePAM yes' "$SSHD_CONF" || sm_fail "UsePAM not set"
}

# sm_cred_start_sshd: the sandbox sshd under its PAM service name, with
# the start command of sshmedic.conf doing the same.
sm_cred_start_sshd() {
	"$T/bin/$SVC" -f "$SSHD_CONF" -E "$T/sshd.log" ||
	    sm_fail "sandbox sshd ($SVC) did not start"
	sm_wait_for sm_sshd_up || sm_fail "sandbox sshd: no pidfile/banner"
}

# sm_cred_conf [PROTECTED...]: sshmedic.conf for it: sshd's log read,
# the sshd started under the service name, the protected users given
# (default: smt-admin).
sm_cred_conf() {
	local users="\"$SM_USER\"" u
	if [ $# -gt 0 ]; then
		users=
		for u in "$@"; do users="$users${users:+, }\"$u\""; done
	fi
	SM_CONF_EXTRA="authlog = { file = \"$T/sshd.log\"; };" sm_write_conf
	sed -i -e "s|start = \\[ \"$SSHD\",|start = [ \"$T/bin/$SVC\",|" \
	    -e "s|^protected_users = .*|protected_users = [ $users ];|" \
	    -e "s|^\\tpolicies = \\(.*\\)|\\tpolicies = \\1\\n\\tpam = \"/etc/pam.d\";|" \
	    -e "s|^\\treload = \\[ \\];|\\treload = [ ];\\n\\tpam_service = \"$SVC\";|" \
	    "$SM_CONF"
	grep -q "protected_users = \\[ $users \\];" "$SM_CONF" ||
	    sm_fail "protected_users not set in $SM_CONF"
}

# sm_cred_user NAME: an account of the test's own (home $T/home/NAME, key
# $T/client/NAME in ~/.ssh/authorized_keys, no password), removed at exit.
sm_cred_user() {
	local u=$1 h=$T/home/$1
	useradd -M -d "$h" -s /bin/sh "$u" || sm_fail "useradd $u"
	SM_CRED_USERS+=("$u")
	usermod -p '*' "$u" || sm_fail "usermod $u"
	mkdir -p "$h/.ssh"
	ssh-keygen -q -t ed25519 -N '' -C "$u@sandbox" -f "$T/client/$u" ||
	    sm_fail "key for $u"
	cp "$T/client/$u.pub" "$h/.ssh/authorized_keys"
	chown -R "$u:" "$h"
	chmod 0755 "$h"
	chmod 0700 "$h/.ssh"
	chmod 0600 "$h/.ssh/authorized_keys"
}

# sm_cred_group NAME MEMBER...: a group of the test's own with those
# supplementary members, removed at exit.
sm_cred_group() {
	local g=$1 m
	shift
	groupadd "$g" || sm_fail "groupadd $g"
	SM_CRED_GROUPS+=("$g")
	for m in "$@"; do
		usermod -aG "$g" "$m" || sm_fail "usermod -aG $g $m"
	done
}

# A fresh name for a test account: smt- and 8 random letters.
sm_cred_name() {
	printf 'smt-%s\n' "$(tr -dc 'a-z' </dev/urandom | head -c 8)"
}

# sm_cred_ssh USER [KEY]: a key login of USER with its own key.
sm_cred_ssh() { sm_ssh "$1" "${2:-$T/client/$1}"; }

# sm_cred_pw USER PASSWORD: a password login (sshpass; no key offered).
sm_cred_pw() {
	SSHPASS=$2 sshpass -e ssh -F /dev/null -o IdentitiesOnly=yes \
	    -o IdentityAgent=none -o PreferredAuthentications=password \
	    -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 \
	    -o UserKnownHostsFile="$T/known_hosts" \
	    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
	    -o ConnectTimeout=5 -o LogLevel=ERROR -p "$PORT" "$1@127.0.0.1" true \
	    </dev/null 2>>"$T/ssh.log"
}

# sm_cred_policy NAME TEXT: a policy file (root, 0600) in paths.policies.
sm_cred_policy() {
	printf '%s\n' "$2" >"$T/policies.d/$1.conf"
	chown root:root "$T/policies.d/$1.conf"
	chmod 0600 "$T/policies.d/$1.conf"
}

# sm_expect_action OP: waits for the change record OP (res success), and
# its audit record read back with ausearch; prints the JSON line.
sm_expect_action() {
	local op=$1 type=$2 ev evid
	ev=$(sm_next_event "$op") || sm_fail "no $op event"
	[ "$(sm_json_field "$ev" res)" = success ] || sm_fail "$op failed: $ev"
	evid=$(sm_evid "$ev")
	sm_ausearch_evid "$type" "$evid" >/dev/null
	printf '%s\n' "$ev"
}

# sm_no_secret TEXT: TEXT appears in no log, record or output of the test.
sm_no_secret() {
	local f
	for f in "$T/events.json" "$T/daemon.log" "$T/sshd.log" "$T/ssh.log" \
	    "$T/cli.log"; do
		[ -f "$f" ] || continue
		grep -qF -- "$1" "$f" && sm_fail "a secret is in $f"
	done
	ausearch --input-logs -ts recent -i 2>/dev/null | grep -qF -- "$1" &&
	    sm_fail "a secret is in the audit log"
	if [ -d "$T/requests" ]; then
		grep -rqF -- "$1" "$T/requests" && sm_fail "a secret is kept in $T/requests"
	fi
	return 0
}

# sm_cred_run USER KEY CMD...: a key login of USER running CMD; its stdout
# on stdout, the exit status of ssh (the command's own).
sm_cred_run() {
	local user=$1 key=$2
	shift 2
	ssh -F /dev/null -i "$key" -o IdentitiesOnly=yes -o IdentityAgent=none \
	    -o BatchMode=yes -o PasswordAuthentication=no \
	    -o UserKnownHostsFile="$T/known_hosts" \
	    -o GlobalKnownHostsFile=/dev/null \
	    -o StrictHostKeyChecking=yes -o ConnectTimeout=5 \
	    -o LogLevel=ERROR -p "$PORT" "$user@127.0.0.1" "$@" \
	    </dev/null 2>>"$T/ssh.log"
}
