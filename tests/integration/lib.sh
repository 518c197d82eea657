# Shared harness for the integration tests: a sandboxed sshd on 127.0.0.1,
# a test user with a key, sshmedicd against the sandbox, and deadline waits.
#
# Sourced by each tests/integration/*.sh (run by automake as "$(SHELL) t.sh"
# with top_srcdir/top_builddir exported). Needs bash: re-exec if sh is not.
if [ -z "${BASH_VERSION:-}" ]; then
	exec /bin/bash "$0" "$@"
fi
set -u

SM_TEST=$(basename "$0" .sh)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SMD=$top_builddir/watchdog/sshmedicd
SMC=$top_builddir/watchdog/sshmedic
SSHD=/usr/sbin/sshd
# Sandboxes live under a root-owned 0755 directory: sshd's StrictModes walks
# every parent of AuthorizedKeysFile, so /tmp (mode 1777) would refuse keys.
SM_BASE=${SM_BASE:-/run/sshmedic-it}
SM_HOMES=/var/tmp/sshmedic-test-home
SM_USER=smt-admin
SM_OTHER=smt-other
SM_GROUP=smt-ops
SM_POLL=0.02		# polling step of every wait, seconds
SM_DEADLINE=${SM_DEADLINE:-20}	# default deadline of every wait, seconds

T=
PORT=
SM_DAEMON_PID=
SM_FAILED_MSG=

# --- outcome --------------------------------------------------------------

sm_log() { printf '%s: %s\n' "$SM_TEST" "$*" >&2; }

# A test that cannot run here skips (77); under CI nothing may skip (99).
sm_skip() {
	if [ "${CI:-}" = true ]; then
		printf '%s: ERROR (CI=true, may not skip): %s\n' "$SM_TEST" "$*" >&2
		exit 99
	fi
	printf '%s: SKIP: %s\n' "$SM_TEST" "$*" >&2
	exit 77
}

sm_fail() {
	SM_FAILED_MSG=$*
	printf '%s: FAIL: %s\n' "$SM_TEST" "$*" >&2
	exit 1
}

sm_pass() {
	sm_log "PASS"
	exit 0
}

sm_need_root() {
	[ "$(id -u)" = 0 ] || sm_skip "needs root (sshd sandbox, test users, audit)"
}

sm_need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] ||
		    sm_skip "missing tool: $t"
	done
}

sm_need_daemon() {
	[ -x "$SMD" ] || sm_skip "sshmedicd not built: $SMD"
	[ -x "$SMC" ] || sm_skip "sshmedic not built: $SMC"
}

# --- time and waiting -----------------------------------------------------

sm_now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# sm_wait_for [-t SECONDS] CMD...: polls CMD every 20 ms until it succeeds
# or the deadline passes (then returns 1). Never a fixed sleep.
sm_wait_for() {
	local secs=$SM_DEADLINE end
	if [ "${1:-}" = -t ]; then secs=$2; shift 2; fi
	end=$(( $(sm_now_ms) + secs * 1000 ))
	while :; do
		"$@" && return 0
		[ "$(sm_now_ms)" -lt "$end" ] || return 1
		sm_daemon_alive || sm_fail "sshmedicd died while waiting for: $*"
		sleep "$SM_POLL"
	done
}

# --- users ----------------------------------------------------------------

# Idempotent, serialised with flock because tests run in parallel. The
# password field '*' keeps the account usable for key logins without PAM
# (sshd refuses '!'-locked accounts when UsePAM is off).
sm_ensure_users() {
	mkdir -p "$SM_BASE"
	chmod 0755 "$SM_BASE"
	(
		flock -w 60 9 || exit 1
		getent group "$SM_GROUP" >/dev/null || groupadd "$SM_GROUP" || exit 1
		mkdir -p "$SM_HOMES"
		chmod 0755 "$SM_HOMES"
		local u
		for u in "$SM_USER" "$SM_OTHER"; do
			if ! getent passwd "$u" >/dev/null; then
				useradd -M -d "$SM_HOMES/$u" -s /bin/sh "$u" ||
				    exit 1
			fi
			usermod -p '*' "$u" || exit 1
			mkdir -p "$SM_HOMES/$u"
			chown "$u:" "$SM_HOMES/$u"
			chmod 0755 "$SM_HOMES/$u"
		done
		id -nG "$SM_USER" | tr ' ' '\n' | grep -qx "$SM_GROUP" ||
		    usermod -aG "$SM_GROUP" "$SM_USER" || exit 1
	) 9>"$SM_BASE/.users.lock" || sm_fail "could not create test users"
}

# --- ports ----------------------------------------------------------------

sm_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

sm_free_port() {
	local p i
	if command -v python3 >/dev/null 2>&1; then
		p=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
		    2>/dev/null)
		if [ -n "$p" ] && ! sm_port_busy "$p"; then echo "$p"; return 0; fi
	fi
	for i in $(seq 1 200); do
		p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
		sm_port_busy "$p" || { echo "$p"; return 0; }
	done
	return 1
}

# --- sandbox --------------------------------------------------------------

# Creates $T with host key, client key, authorized keys, known_hosts and an
# sshd_config whose drop-in directory is $T/etc/sshd_config.d.
sm_sandbox() {
	sm_need_root
	sm_need_tools "$SSHD" ssh ssh-keygen flock useradd usermod groupadd
	sm_ensure_users
	T=$(mktemp -d "$SM_BASE/$SM_TEST.XXXXXX") || sm_fail "mktemp"
	chmod 0755 "$T"
	trap sm_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	mkdir -p "$T/etc/sshd_config.d" "$T/run" "$T/keys" "$T/client" \
	    "$T/state" "$T/smrun" "$T/policies.d"
	chmod 0755 "$T/etc" "$T/etc/sshd_config.d" "$T/keys"
	chmod 0700 "$T/client" "$T/state" "$T/smrun" "$T/policies.d"
	# sshd's privilege separation directory (S3 of LOCKOUTS.md).
	[ -d /run/sshd ] || { mkdir -p /run/sshd && chmod 0755 /run/sshd; }
	PORT=$(sm_free_port) || sm_fail "no free port"
	ssh-keygen -q -t ed25519 -N '' -C sandbox-host \
	    -f "$T/etc/ssh_host_ed25519_key" || sm_fail "host key"
	ssh-keygen -q -t ed25519 -N '' -C "$SM_USER@sandbox" \
	    -f "$T/client/id_ed25519" || sm_fail "client key"
	ssh-keygen -q -t ed25519 -N '' -C wrong \
	    -f "$T/client/wrong" || sm_fail "wrong key"
	cp "$T/client/id_ed25519.pub" "$T/keys/$SM_USER"
	cp "$T/client/id_ed25519.pub" "$T/keys/$SM_OTHER"
	chown root:root "$T/keys/$SM_USER" "$T/keys/$SM_OTHER"
	chmod 0644 "$T/keys/$SM_USER" "$T/keys/$SM_OTHER"
	printf '[127.0.0.1]:%s %s\n' "$PORT" \
	    "$(cut -d' ' -f1,2 "$T/etc/ssh_host_ed25519_key.pub")" \
	    >"$T/known_hosts"
	SSHD_CONF=$T/etc/sshd_config
	sm_write_sshd_config >"$SSHD_CONF"
	chmod 0644 "$SSHD_CONF"
	: >"$T/events.json"
}

# The sandbox's main sshd_config on stdout. Drop-ins come first so that,
# as on Debian, they win ("first value wins").
sm_write_sshd_config() {
	cat <<EOF
Include $T/etc/sshd_config.d/*.conf
Port $PORT
ListenAddress 127.0.0.1
PidFile $T/run/sshd.pid
HostKey $T/etc/ssh_host_ed25519_key
AuthorizedKeysFile $T/keys/%u
UsePAM no
StrictModes yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
LogLevel VERBOSE
EOF
}

sm_sshd_pid() {
	local pid
	[ -s "$T/run/sshd.pid" ] || return 1
	pid=$(cat "$T/run/sshd.pid" 2>/dev/null) || return 1
	case $pid in ''|*[!0-9]*) return 1 ;; esac
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

# Succeeds when something on $PORT answers with an SSH identification.
sm_banner() {
	local line
	{ exec 3<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null || return 1
	IFS= read -r -t 2 line <&3
	exec 3<&- 3>&-
	case $line in SSH-2.0-*) return 0 ;; esac
	return 1
}

sm_sshd_up() { sm_sshd_pid >/dev/null && sm_banner; }

sm_start_sshd() {
	"$SSHD" -f "$SSHD_CONF" -E "$T/sshd.log" ||
	    sm_fail "sandbox sshd did not start"
	sm_wait_for sm_sshd_up || sm_fail "sandbox sshd: no pidfile/banner"
}

# sm_reload_sshd: SIGHUP the sandbox sshd and wait until it serves again:
# sshd re-execs and rewrites its pidfile (its time changes), then answers.
# Before, the old sshd still answering could pass for the reloaded one.
sm_pidfile_stamp() { stat -c '%y %i' "$T/run/sshd.pid" 2>/dev/null || true; }
sm_pidfile_changed() { [ "$(sm_pidfile_stamp)" != "$1" ]; }
sm_sshd_pid_is() { [ "$(sm_sshd_pid)" = "$1" ]; }
sm_reload_sshd() {
	local pid stamp
	pid=$(sm_sshd_pid) || sm_fail "sshd not running before reload"
	stamp=$(sm_pidfile_stamp)
	kill -HUP "$pid"
	sm_wait_for sm_pidfile_changed "$stamp" ||
	    sm_fail "sshd did not rewrite its pidfile after SIGHUP"
	sm_wait_for sm_sshd_up || sm_fail "sshd did not come back after SIGHUP"
}

# sm_ssh USER [KEY]: a real key login running "true"; the exit status of ssh.
# sm_ssh_keys USER KEY...: a real login offering exactly these keys, in
# this order, running "true"; the exit status of ssh.
sm_ssh_keys() {
	local user=$1 k args=()
	shift
	for k in "$@"; do args+=(-i "$k"); done
	ssh -F /dev/null "${args[@]}" -o IdentitiesOnly=yes \
	    -o IdentityAgent=none \
	    -o BatchMode=yes -o PasswordAuthentication=no \
	    -o UserKnownHostsFile="$T/known_hosts" \
	    -o GlobalKnownHostsFile=/dev/null \
	    -o StrictHostKeyChecking=yes -o ConnectTimeout=5 \
	    -o LogLevel=ERROR -p "$PORT" "$user@127.0.0.1" true \
	    </dev/null 2>>"$T/ssh.log"
}

sm_ssh() { sm_ssh_keys "$1" "${2:-$T/client/id_ed25519}"; }

# sm_ssh_refused USER KEY...: that login must be refused (fails the test
# otherwise).
sm_ssh_refused() {
	sm_ssh_keys "$@" && sm_fail "$1 logged in offering $2 (refusal expected)"
	return 0
}

# sm_ssh_login USER: the login must succeed (fails the test otherwise).
sm_ssh_login() {
	sm_ssh "$@" || sm_fail "ssh key login of $1 failed (see ssh.log)"
	sm_log "ssh key login of $1: ok"
}

# --- sshmedicd ------------------------------------------------------------

# sm_write_conf: sshmedic.conf for the sandbox (root, 0600). Knobs:
# SM_DEBOUNCE_MS, SM_GRACE_MS, SM_GUARD_EXTRA (more settings in guard = {}),
# SM_CONF_EXTRA (more top-level groups, e.g. authlog = { ... };).
sm_write_conf() {
	SM_CONF=$T/sshmedic.conf
	cat >"$SM_CONF" <<EOF
sshd = {
	binary = "$SSHD";
	config = "$SSHD_CONF";
	dir = "$T/etc";
	pidfile = "$T/run/sshd.pid";
	start = [ "$SSHD", "-f", "$SSHD_CONF", "-E", "$T/sshd.log" ];
	reload = [ ];
	${SM_SSHD_EXTRA:-}
};
probe = {
	address = "127.0.0.1";
	port = $PORT;
	interval_ms = 0;
	timeout_ms = 2000;
};
guard = {
	debounce_ms = ${SM_DEBOUNCE_MS:-50};
	grace_ms = ${SM_GRACE_MS:-0};
	${SM_GUARD_EXTRA:-}
};
protected_users = [ "$SM_USER" ];
paths = {
	state = "$T/state";
	run = "$T/smrun";
	policies = "$T/policies.d";
	requests = "$T/requests";
};
log = {
	json = "$T/events.json";
	audit = true;
	syslog = true;
};
${SM_CONF_EXTRA:-}
EOF
	chown root:root "$SM_CONF"
	chmod 0600 "$SM_CONF"
}

sm_daemon_alive() {
	[ -z "$SM_DAEMON_PID" ] && return 0
	kill -0 "$SM_DAEMON_PID" 2>/dev/null
}

# Starts sshmedicd in the foreground with debug on and waits for the start
# event of this run (so it also serves for restarts within a test).
sm_start_daemon() {
	sm_need_daemon
	sm_ensure_auditd
	[ -n "${SM_CONF:-}" ] || sm_write_conf
	sm_mark sshmedic-daemon-start
	# Its own session: a Ctrl-C meant for the script must not kill the
	# daemon under it; the cleanup trap stops it. (setsid execs in place
	# here, so $! is sshmedicd's pid.)
	setsid "$SMD" -f "$SM_CONF" -D -d 2>>"$T/daemon.log" </dev/null &
	SM_DAEMON_PID=$!
	sm_next_event sshmedic-daemon-start >/dev/null ||
	    sm_fail "no sshmedic-daemon-start event"
}

# Stops the daemon with SIGTERM and waits for it to exit.
sm_stop_daemon() {
	local pid=$SM_DAEMON_PID
	[ -n "$pid" ] || return 0
	SM_DAEMON_PID=
	kill -TERM "$pid" 2>/dev/null
	sm_wait_for sm_gone "$pid" || { kill -KILL "$pid" 2>/dev/null; }
	wait "$pid" 2>/dev/null
	return 0
}

sm_gone() { ! kill -0 "$1" 2>/dev/null; }

# sm_start_guard: sshmedic.conf, daemon, baseline generation, a first login
# and a snapshot of the closure. Call after sm_sandbox and sm_start_sshd.
sm_start_guard() {
	[ -n "${SM_CONF:-}" ] || sm_write_conf
	sm_start_daemon
	sm_wait_event sshmedic-config-baseline >/dev/null ||
	    sm_fail "no baseline generation"
	sm_ssh_login "$SM_USER"
	sm_snapshot
}

# sandbox + sshd + daemon + baseline: the usual start of a guard test.
sm_setup_guarded() {
	sm_sandbox
	sm_start_sshd
	sm_start_guard
}

# --- the JSON event log ---------------------------------------------------

sm_count_op() {
	grep -c "\"op\": *\"$1\"" "$T/events.json" 2>/dev/null || true
}

sm_has_n_op() { [ "$(sm_count_op "$1")" -ge "$2" ]; }

# sm_wait_event OP [N]: waits until the JSON log holds N (default 1) events
# with op OP and prints the Nth one.
sm_wait_event() {
	local op=$1 n=${2:-1}
	sm_wait_for sm_has_n_op "$op" "$n" || return 1
	grep "\"op\": *\"$op\"" "$T/events.json" | sed -n "${n}p"
}

# sm_next_event OP: waits for one more OP event than there was at the last
# sm_mark OP... (call sm_mark before the action, sm_next_event after it).
declare -A SM_MARKS=()
sm_mark() {
	local op
	for op in "$@"; do SM_MARKS[$op]=$(sm_count_op "$op"); done
}
sm_next_event() { sm_wait_event "$1" $(( ${SM_MARKS[$1]:-0} + 1 )); }

# sm_json_field LINE KEY: a string or number field of one JSON line.
sm_json_field() {
	printf '%s\n' "$1" | sed -n -E \
	    "s/.*\"$2\": *(\"(([^\"\\\\]|\\\\.)*)\"|([0-9]+|null|true|false)).*/\2\4/p" |
	    sed 's/\\"/"/g'
}

sm_evid() { sm_json_field "$1" id; }

sm_no_op() {
	[ "$(sm_count_op "$1")" -eq 0 ] ||
	    sm_fail "unexpected event $1: $(grep "\"op\": *\"$1\"" "$T/events.json" | head -1)"
}

# --- audit ----------------------------------------------------------------

sm_ensure_auditd() {
	sm_need_tools auditctl auditd ausearch
	if auditctl -s 2>/dev/null | grep -q '^pid 0$'; then
		auditd || sm_skip "auditd could not be started"
		sm_wait_for -t 10 sm_auditd_up || sm_skip "auditd not running"
	fi
	auditctl -s >/dev/null 2>&1 || sm_skip "no kernel audit support"
}

sm_auditd_up() { ! auditctl -s 2>/dev/null | grep -q '^pid 0$'; }

sm_ausearch_match() {
	ausearch --input-logs -m "$1" -ts recent -i 2>/dev/null | grep -F "evid=$2"
}

# sm_ausearch_evid TYPE EVID: waits until ausearch shows the record with
# that event id (auditd writes asynchronously) and prints it.
sm_ausearch_evid() {
	local out
	sm_wait_for -t 10 sm_ausearch_match "$1" "$2" >/dev/null ||
	    sm_fail "ausearch -m $1: no record with evid=$2"
	out=$(sm_ausearch_match "$1" "$2")
	printf '%s\n' "$out"
}

# --- closure helpers ------------------------------------------------------

# sm_quarantine_has TEXT: some file under the store's quarantine holds TEXT.
sm_quarantine_has() {
	find "$T/state" -path '*quarantine*' -type f -print0 2>/dev/null |
	    xargs -0 -r grep -lsF -- "$1" | grep -q .
}

sm_sshd_t() { "$SSHD" -t -f "$SSHD_CONF" 2>>"$T/sshd-t.log"; }

# sm_expect_rollback WHAT: after a bad change, waits for the rollback, checks
# the closure validates again, sshd serves, the admin logs in, and the audit
# record of the rollback is found by its event id. Prints the rollback line.
sm_expect_rollback() {
	local ev evid
	ev=$(sm_next_event sshmedic-config-rollback) ||
	    sm_fail "$1: no rollback event"
	[ "$(sm_json_field "$ev" res)" = success ] ||
	    sm_fail "$1: rollback did not succeed: $ev"
	sm_sshd_t || sm_fail "$1: closure invalid after rollback"
	sm_wait_for sm_sshd_up || sm_fail "$1: sshd not serving after rollback"
	sm_ssh_login "$SM_USER"
	evid=$(sm_evid "$ev")
	[ -n "$evid" ] || sm_fail "$1: rollback event without id: $ev"
	sm_ausearch_evid USYS_CONFIG "$evid" >/dev/null
	sm_log "$1: rolled back, login ok, audit evid=$evid"
}

# sm_snapshot: remembers the closure ($T/etc) as it is now.
sm_snapshot() {
	rm -rf "$T/snap"
	cp -a "$T/etc" "$T/snap"
}

sm_tree_meta() {
	(cd "$1" && find . -printf '%p %y %m %u %g %s\n' | LC_ALL=C sort)
}

# sm_assert_restored WHAT: $T/etc is byte for byte, type, mode and owner the
# snapshot again (editor leftovers such as vim's swap files excluded).
sm_assert_restored() {
	diff -r --no-dereference -x '.*.sw?' -x '*~' "$T/snap" "$T/etc" >"$T/diff.out" 2>&1 ||
	    sm_fail "$1: closure differs from known-good: $(head -20 "$T/diff.out")"
	diff <(sm_tree_meta "$T/snap" | grep -v -E '(\.sw.|~) ') \
	    <(sm_tree_meta "$T/etc" | grep -v -E '(\.sw.|~) ') >"$T/diff.out" ||
	    sm_fail "$1: types/modes/owners differ: $(cat "$T/diff.out")"
}

# sm_break WHAT CMD...: runs a command that breaks the closure; the change
# must be rejected and rolled back to the snapshot, with a login and the
# audit record afterwards.
sm_break() {
	local what=$1
	shift
	sm_mark sshmedic-config-rejected sshmedic-config-rollback
	"$@" || sm_fail "$what: the breaking command failed"
	sm_next_event sshmedic-config-rejected >/dev/null ||
	    sm_fail "$what: change was not rejected"
	sm_expect_rollback "$what"
	sm_assert_restored "$what"
}

# sm_accept WHAT CMD...: runs a safe change; it must be found valid and not
# rolled back.
sm_accept() {
	local what=$1
	shift
	sm_mark sshmedic-config-valid sshmedic-config-rollback \
	    sshmedic-config-rejected
	"$@" || sm_fail "$what: the command failed"
	sm_next_event sshmedic-config-valid >/dev/null ||
	    sm_fail "$what: safe change not found valid"
	[ "$(sm_count_op sshmedic-config-rejected)" = \
	    "${SM_MARKS[sshmedic-config-rejected]}" ] ||
	    sm_fail "$what: safe change was rejected"
	[ "$(sm_count_op sshmedic-config-rollback)" = \
	    "${SM_MARKS[sshmedic-config-rollback]}" ] ||
	    sm_fail "$what: safe change was rolled back"
	sm_ssh_login "$SM_USER"
	sm_log "$what: accepted as valid"
}

# --- cleanup --------------------------------------------------------------

sm_kill_pidfile() {
	local pid
	[ -s "$1" ] || return 0
	pid=$(cat "$1" 2>/dev/null)
	case $pid in ''|*[!0-9]*) return 0 ;; esac
	kill -TERM "$pid" 2>/dev/null
	sm_wait_for -t 5 sm_gone "$pid" || kill -KILL "$pid" 2>/dev/null
}

sm_cleanup() {
	local rc=$? p
	trap - EXIT INT TERM HUP
	set +e
	SM_DEADLINE=5
	case $rc in 129|130|143)
		[ "${SM_DUMP_ON_SIGNAL:-1}" = 0 ] && SM_FAILED_MSG=quiet ;;
	esac
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "$T" ] &&
	    [ "$SM_FAILED_MSG" != quiet ]; then
		{
			echo "=== $SM_TEST failed (rc=$rc) ${SM_FAILED_MSG:-}"
			[ -f "$T/daemon.log" ] &&
			    { echo "--- daemon.log (tail)"; tail -n 80 "$T/daemon.log"; }
			[ -f "$T/events.json" ] &&
			    { echo "--- events.json (tail)"; tail -n 30 "$T/events.json"; }
			[ -s "$T/sshd.log" ] &&
			    { echo "--- sshd.log (tail)"; tail -n 20 "$T/sshd.log"; }
			[ -s "$T/ssh.log" ] &&
			    { echo "--- ssh.log (tail)"; tail -n 10 "$T/ssh.log"; }
			[ -f "${SSHD_CONF:-/nonexistent}" ] &&
			    { echo "--- sshd_config"; cat "$SSHD_CONF"; }
		} >&2
	fi
	if [ -n "$SM_DAEMON_PID" ]; then
		p=$SM_DAEMON_PID
		SM_DAEMON_PID=
		kill -TERM "$p" 2>/dev/null
		sm_wait_for -t 5 sm_gone "$p" || kill -KILL "$p" 2>/dev/null
	fi
	if [ -n "$T" ] && [ -d "$T" ]; then
		sm_kill_pidfile "$T/run/sshd.pid"
		# An sshd started from a moved PidFile (C5 tests): find it by its
		# unique config path among our own processes, then kill by pid.
		for p in /proc/[0-9]*; do
			tr "\\0" " " 2>/dev/null <"$p/cmdline" |
			    grep -qF -- "-f $T/etc/sshd_config" &&
			    kill -TERM "${p#/proc/}" 2>/dev/null
		done
		[ -n "${SM_KEEP:-}" ] || rm -rf "$T"
	fi
	exit "$rc"
}

# --- liveness (live_*.sh) -------------------------------------------------

# sm_conf_set SECTION KEY VALUE: sets KEY in group SECTION of $SM_CONF
# (written first if need be), replacing an earlier value; a missing group
# is appended. VALUE is libconfig text: quote strings yourself.
sm_conf_set() {
	local sec=$1 key=$2 val=$3
	[ -n "${SM_CONF:-}" ] || sm_write_conf
	if ! grep -q "^$sec = {" "$SM_CONF"; then
		printf '%s = {\n};\n' "$sec" >>"$SM_CONF"
	fi
	awk -v sec="$sec" -v key="$key" -v val="$val" '
	    $0 ~ "^" sec " = [{]" { insec = 1; print; print "\t" key " = " val ";"; next }
	    insec && $0 ~ "^};" { insec = 0 }
	    insec && $1 == key && $2 == "=" { next }
	    { print }' "$SM_CONF" >"$SM_CONF.new" && mv "$SM_CONF.new" "$SM_CONF"
	chmod 0600 "$SM_CONF"
}

# sm_sshd_new_pid OLD: sshd serves with a master other than OLD (prints it).
sm_sshd_new_pid() {
	local pid
	pid=$(sm_sshd_pid) || return 1
	[ "$pid" != "$1" ] || return 1
	sm_banner || return 1
	echo "$pid"
}

# sm_sshd_masters: pids of the sandbox's sshd masters (by config path).
sm_sshd_masters() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -F -- "-f $SSHD_CONF " |
		    grep -qv -- ' -R' && echo "${p#/proc/}"
	done
	return 0
}

# sm_trust_hostkey: the client trusts the sandbox's host key as it is now.
sm_trust_hostkey() {
	printf '[127.0.0.1]:%s %s\n' "$PORT" \
	    "$(cut -d' ' -f1,2 "$T/etc/ssh_host_ed25519_key.pub")" \
	    >"$T/known_hosts"
}

# sm_expect_event OP RES AUDITTYPE: the next OP event (after sm_mark OP)
# has result RES and its audit record AUDITTYPE is found by its event id.
# Prints the JSON line.
sm_expect_event() {
	local ev evid
	ev=$(sm_next_event "$1") || sm_fail "no $1 event"
	[ "$(sm_json_field "$ev" res)" = "$2" ] ||
	    sm_fail "$1: res is not $2: $ev"
	evid=$(sm_evid "$ev")
	[ -n "$evid" ] || sm_fail "$1: event without id: $ev"
	sm_ausearch_evid "$3" "$evid" >/dev/null
	printf '%s\n' "$ev"
}

# sm_private_run "$@": call first thing in a test that removes /run/sshd
# (sshd's compiled-in privilege separation directory). Re-runs the test in
# a mount namespace of its own whose /run is a private tmpfs holding an
# empty /run/sshd and a bind of $SM_BASE: what the test does to /run/sshd
# stays there, while every other test keeps the real one.
sm_private_run() {
	local real rc
	[ "${SM_PRIVATE_RUN:-}" = 1 ] && return 0
	sm_need_root
	sm_need_tools unshare mount umount
	case $SM_BASE in /run/?*) ;; *) sm_skip "SM_BASE $SM_BASE not under /run" ;; esac
	sm_ensure_users
	sm_ensure_auditd	# a daemon started inside would see our /run
	real=$(mktemp -d /tmp/sm-realrun.XXXXXX) || sm_fail "mktemp"
	SM_PRIVATE_RUN=1 SM_REAL_RUN=$real SM_BASE=$SM_BASE \
	    unshare -m --propagation private /bin/bash -c '
		set -e
		mount --bind /run "$SM_REAL_RUN"
		mount -t tmpfs -o mode=0755,size=16m sm-private-run /run
		mkdir -m 0755 /run/sshd
		mkdir -p -m 0755 "$SM_BASE"
		mount --bind "$SM_REAL_RUN/${SM_BASE#/run/}" "$SM_BASE"
		umount -l "$SM_REAL_RUN"
		exec /bin/bash "$@"' sm-private-run "$0" "$@"
	rc=$?
	rmdir "$real" 2>/dev/null
	exit "$rc"
}

# sm_conf_start_stderr: sshmedicd starts sshd as Debian does, without -E,
# so a failed start's own words reach sshmedicd on stderr (with -E they go
# to the log file and the start failure would carry no reason).
sm_conf_start_stderr() {
	sm_conf_set sshd start "[ \"$SSHD\", \"-f\", \"$SSHD_CONF\" ]"
}

# sm_conf_vendor: a vendor default configuration of the sandbox's own
# ($T/vendor/sshd_config: its port, pidfile, host key and keys, no Include)
# as sshd.vendor_config, so ladder step 4 never installs the machine's.
sm_conf_vendor() {
	mkdir -p "$T/vendor"
	chmod 0755 "$T/vendor"
	cat >"$T/vendor/sshd_config" <<EOV
# sandbox vendor default
Port $PORT
ListenAddress 127.0.0.1
PidFile $T/run/sshd.pid
HostKey $T/etc/ssh_host_ed25519_key
AuthorizedKeysFile $T/keys/%u
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
EOV
	chmod 0644 "$T/vendor/sshd_config"
	sm_conf_set sshd vendor_config "\"$T/vendor/sshd_config\""
}

# sm_take_port SSHD_PID: sshmedicd stopped (SIGSTOP) so it cannot react,
# the sshd master killed, sshd's port taken by another program (a python3
# listener; its pid in SM_HOLDER), then sshmedicd let go on (SIGCONT).
# The caller ends the holder: kill "$SM_HOLDER"; wait "$SM_HOLDER".
sm_take_port() {
	kill -STOP "$SM_DAEMON_PID"
	kill -KILL "$1"
	sm_wait_for sm_gone "$1" || sm_fail "sshd $1 survived SIGKILL"
	python3 -c '
import socket, sys, time
s = socket.socket()
# As sshd does: connections of the killed sshd may linger in TIME_WAIT.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
print("listening", flush=True)
time.sleep(120)
' "$PORT" >"$T/holder.out" 2>&1 &
	SM_HOLDER=$!
	sm_wait_for grep -q listening "$T/holder.out" ||
	    sm_fail "the holder could not listen on $PORT"
	kill -CONT "$SM_DAEMON_PID"
}

# sm_status_json: status --json into $T/status.json; sm_jget KEY...: a field.
sm_status_json() {
	"$SMC" -f "$SM_CONF" --json status >"$T/status.json" 2>>"$T/cli.log"
}
sm_jget() {
	python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else v)
' "$T/status.json" "$@"
}
# sm_field_is VALUE KEY...: a fresh status has that field equal to VALUE.
sm_field_is() {
	local want=$1
	shift
	sm_status_json && [ "$(sm_jget "$@")" = "$want" ]
}
# sm_wait_field VALUE KEY...: waits (deadline) for sm_field_is; fails with
# what the status held.
sm_wait_field() {
	sm_wait_for sm_field_is "$@" ||
	    sm_fail "status $*: got $(sm_jget "${@:2}") ($(head -c 2000 "$T/status.json"))"
}

# sm_status_field KEY: a top-level field of `sshmedic --json status`.
sm_status_field() {
	"$SMC" -f "$SM_CONF" --json status 2>>"$T/cli.log" | python3 -c '
import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
print("null" if v is None else (str(v).lower() if isinstance(v, bool) else v))
' "$1"
}

# sm_last_start_ok: the newest sshmedic-sshd-start event is a success
# (prints it). Wait on it: sshd may answer before the event is written.
sm_last_start_ok() {
	local ev
	ev=$(grep '"op": *"sshmedic-sshd-start"' "$T/events.json" | tail -1)
	[ "$(sm_json_field "$ev" res)" = success ] || return 1
	printf '%s\n' "$ev"
}

# --- what the code lists (man.sh, completion.sh) ---------------------------

# sm_cli_commands: the commands watchdog/sshmedic.c dispatches, one a line.
sm_cli_commands() {
	grep -ohE 'strcmp\(cmd, "[a-z-]+"\) == 0' "$top_srcdir/watchdog/sshmedic.c" |
	    sed -E 's/.*"([a-z-]+)".*/\1/' | sort -u
}

# sm_cli_dashdash: every --option the CLI compares an argument with.
sm_cli_dashdash() {
	grep -ohE 'strcmp\(argv\[[^]]+\], "--[a-z-]+"\)' \
	    "$top_srcdir/watchdog/sshmedic.c" "$top_srcdir"/watchdog/cli_*.c |
	    grep -oE '"--[a-z-]+"' | tr -d '"' | sort -u
}

# sm_request_kinds: lib/request.c's request kinds, in its order.
sm_request_kinds() {
	sed -n '/kind_names\[RQ_NKINDS\] = {/,/};/p' "$top_srcdir/lib/request.c" |
	    grep -oE '"[a-z-]+"' | tr -d '"'
}
