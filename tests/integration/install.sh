#!/bin/sh
# make install and make uninstall of this build tree into a DESTDIR: the
# exact set of files and modes in tests/install.list, the PAM module an ELF
# shared object that exports only pam_sm_* and loads, the unit carrying
# configure's paths and passing systemd-analyze verify, the installed
# programs and example files working (sshmedicd runs on its defaults when
# sshmedic.conf is absent), nothing written outside DESTDIR (the same
# paths on the machine, /etc/ssh, /etc/pam.d); make uninstall leaves no
# file behind.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

sm_need_root
sm_need_tools make readelf nm python3 systemd-analyze man sha256sum
LIST=$top_srcdir/tests/install.list
[ -f "$LIST" ] || sm_fail "no $LIST"

T=$(mktemp -d /tmp/sshmedic-install.XXXXXX) || sm_fail "mktemp"
DEST=$T/dest
inst_cleanup() {
	local rc=$?
	[ "$rc" -eq 0 ] || [ -z "${SM_KEEP:-}" ] || sm_log "kept $T"
	[ -n "${SM_KEEP:-}" ] || rm -rf "$T"
	exit "$rc"
}
trap inst_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
umask 022

# make in this build tree, not as a part of the make running this test:
# its jobserver and command-line variables (TESTS=...) stay out.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	    make -C "$top_builddir" "$@"
}

declare -A D
mk -s print-installdirs >"$T/dirs" 2>"$T/dirs.err" ||
    sm_fail "make print-installdirs: $(cat "$T/dirs.err")"
while IFS='=' read -r k v; do
	D[$k]=$v
done <"$T/dirs"
for k in prefix sysconfdir sbindir pamlibdir mandir datadir docdir; do
	case ${D[$k]:-} in /*) ;; *) sm_fail "installdir $k='${D[$k]:-}'" ;; esac
done

# The expected set, "MODE PATH" per line, from tests/install.list.
while read -r mode path; do
	case $mode in ''|'#'*) continue ;; esac
	var=${path%%/*}
	var=${var#\$}
	[ -n "${D[$var]+set}" ] || sm_fail "install.list: unknown directory \$$var"
	[ -n "${D[$var]}" ] || continue
	# "//" where make distcheck puts an absolute directory under its prefix
	printf '%o %s\n' "$((8#$mode))" "${D[$var]}/${path#*/}" | tr -s /
done <"$LIST" | sort >"$T/expected"
[ -s "$T/expected" ] || sm_fail "nothing expected from $LIST"

# What is at those paths on the machine, and the machine's sshd and PAM
# configuration, before: make install with DESTDIR must change none.
machine_state() {
	local p
	while read -r _ p; do
		stat -c "%n %i %Y %s" "$p" 2>/dev/null || echo "$p absent"
	done <"$T/expected"
	find /etc/ssh -type f -exec sha256sum {} + 2>/dev/null | sort
	sha256sum /etc/pam.d/sshd /etc/pam.d/common-* 2>/dev/null
}
machine_state >"$T/machine.before"

sm_log "1: make install DESTDIR=\$T/dest: exactly the files of tests/install.list"
mk install DESTDIR="$DEST" >"$T/install.log" 2>&1 ||
    sm_fail "make install: $(tail -20 "$T/install.log")"
(cd "$DEST" && find . ! -type d -printf "%m /%P\n") | sort >"$T/installed"
if ! cmp -s "$T/expected" "$T/installed"; then
	{
		echo "installed, not in tests/install.list (or another mode):"
		comm -13 "$T/expected" "$T/installed"
		echo "in tests/install.list, not installed (or another mode):"
		comm -23 "$T/expected" "$T/installed"
	} >&2
	sm_fail "the installed files differ from tests/install.list"
fi
for p in "${D[sysconfdir]}" /etc/ssh /etc/pam.d; do
	[ ! -e "$DEST$p" ] || sm_fail "make install created $p"
done
machine_state >"$T/machine.after"
cmp -s "$T/machine.before" "$T/machine.after" || {
	diff "$T/machine.before" "$T/machine.after" | grep -v sha256 >&2
	sm_fail "make install DESTDIR= changed files outside DESTDIR"
}

sm_log "2: the PAM module: an ELF shared object exporting only pam_sm_*, loadable"
MOD=$DEST${D[pamlibdir]}/pam_sshmedic.so
readelf -h "$MOD" >"$T/elf" 2>&1 || sm_fail "not an ELF file: $MOD"
grep -Eq '^ *Type: *DYN' "$T/elf" || sm_fail "not a shared object: $(cat "$T/elf")"
! readelf -d "$MOD" | grep -Eq 'RPATH|RUNPATH' ||
    sm_fail "the module carries an RPATH/RUNPATH"
nm -D --defined-only "$MOD" | awk '{ print $3 }' | sort >"$T/exports"
grep -v '^pam_sm_' "$T/exports" | grep -q . &&
    sm_fail "exports more than pam_sm_*: $(grep -v '^pam_sm_' "$T/exports" | tr '\n' ' ')"
for f in pam_sm_authenticate pam_sm_acct_mgmt pam_sm_open_session; do
	grep -qx "$f" "$T/exports" || sm_fail "does not export $f"
done
python3 - "$MOD" <<'PY' || sm_fail "the installed module does not load"
import ctypes, os, sys
lib = ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW)
lib.pam_sm_authenticate
PY

sm_log "3: the unit: configure's paths, systemd-analyze verify clean"
if [ -n "${D[systemdsystemunitdir]}" ]; then
	UNIT=$DEST${D[systemdsystemunitdir]}/sshmedicd.service
	grep -qx "ExecStart=${D[sbindir]}/sshmedicd -D" "$UNIT" ||
	    sm_fail "ExecStart is not ${D[sbindir]}/sshmedicd: $(grep ExecStart "$UNIT")"
	grep -qxF "ConditionPathExists=!${D[sysconfdir]}/sshmedic/sshmedicd_not_to_be_run" \
	    "$UNIT" || sm_fail "ConditionPathExists: $(grep Condition "$UNIT")"
	! grep -q '@[a-z]*@' "$UNIT" || sm_fail "unsubstituted: $(grep '@[a-z]*@' "$UNIT")"
	# The programs are in DESTDIR: verify a copy whose ExecStart names
	# the installed one there; its man pages through MANPATH.
	mkdir "$T/verify"
	sed "s|^ExecStart=${D[sbindir]}/|ExecStart=$DEST${D[sbindir]}/|" "$UNIT" \
	    >"$T/verify/sshmedicd.service"
	MANPATH=$DEST${D[mandir]} systemd-analyze verify \
	    "$T/verify/sshmedicd.service" >"$T/verify.out" 2>&1 ||
	    sm_fail "systemd-analyze verify: $(cat "$T/verify.out")"
	[ ! -s "$T/verify.out" ] || sm_fail "systemd-analyze verify: $(cat "$T/verify.out")"
else
	sm_log "configured --with-systemdsystemunitdir=no: no unit installed (checked above)"
fi

sm_log "4: the installed programs and examples work"
SBIN=$DEST${D[sbindir]}
ver=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ "$("$SBIN/sshmedicd" -V)" = "sshmedicd $ver" ] || sm_fail "sshmedicd -V: $("$SBIN/sshmedicd" -V)"
"$SBIN/sshmedic" --help >"$T/help" 2>&1 || sm_fail "sshmedic --help: $(cat "$T/help")"
grep -q 'usage: sshmedic' "$T/help" || sm_fail "sshmedic --help: $(head -3 "$T/help")"
EX=$DEST${D[docdir]}/examples
npol=$(find "$EX/policies" -name '*.conf' | wc -l)
sed "s|^\([[:space:]]*policies = \)\"[^\"]*\";|\1\"$EX/policies\";|" \
    "$EX/sshmedic.conf" >"$T/example.conf"
grep -qF "policies = \"$EX/policies\";" "$T/example.conf" ||
    sm_fail "the example has no paths.policies line to point at the examples"
chmod 0600 "$T/example.conf"
# Two examples name what root must provide under /etc/sshmedic (an
# escrowed hash, a break-glass key): absent here, they are refused for
# that and nothing else; every other file loads.
"$SBIN/sshmedicd" -t -f "$T/example.conf" >"$T/t.out" 2>&1
rc=$?
grep '^sshmedicd: ' "$T/t.out" | grep -Ev \
    ': action [0-9]+ \((set_password|breakglass)\): (escrow|key) /etc/sshmedic/[^ ]*: open: No such file or directory$' \
    >"$T/t.bad"
[ ! -s "$T/t.bad" ] || sm_fail "sshmedicd -t with the installed examples: $(cat "$T/t.bad")"
nbad=$(grep -c '^sshmedicd: ' "$T/t.out")
if [ "$rc" = 0 ]; then
	grep -q "in $npol files\$" "$T/t.out" ||
	    sm_fail "not every installed example loaded: $(cat "$T/t.out")"
else
	[ "$rc" = 78 ] && [ "$nbad" -le 2 ] ||
	    sm_fail "sshmedicd -t with the installed examples: exit $rc: $(cat "$T/t.out")"
	mkdir "$T/pol"
	for f in "$EX"/policies/*.conf; do
		grep -qF "$f:" "$T/t.out" || cp "$f" "$T/pol/"
	done
	sed -i "s|\"$EX/policies\"|\"$T/pol\"|" "$T/example.conf"
	"$SBIN/sshmedicd" -t -f "$T/example.conf" >"$T/t2.out" 2>&1 ||
	    sm_fail "sshmedicd -t with the other examples: $(cat "$T/t2.out")"
	grep -q "in $((npol - nbad)) files\$" "$T/t2.out" ||
	    sm_fail "the other examples: $(cat "$T/t2.out")"
fi
# No sshmedic.conf installed: sshmedicd and sshmedic run on the defaults
# when the compiled-in file is absent (unless this machine has one).
CONF=${D[sysconfdir]}/sshmedic/sshmedic.conf
if [ ! -e "$CONF" ]; then
	"$SBIN/sshmedicd" -t >"$T/t0.out" 2>&1 ||
	    sm_fail "sshmedicd -t without $CONF: $(cat "$T/t0.out")"
	grep -qxF "$CONF: absent, the built-in defaults are valid" "$T/t0.out" ||
	    sm_fail "sshmedicd -t without $CONF: $(cat "$T/t0.out")"
	"$SBIN/sshmedicd" -t -f "$CONF" >"$T/t1.out" 2>&1
	[ $? = 78 ] || sm_fail "sshmedicd -t -f $CONF (absent, named): not 78"
	grep -qF "$CONF: open: No such file" "$T/t1.out" ||
	    sm_fail "sshmedicd -t -f $CONF: $(cat "$T/t1.out")"
else
	sm_log "$CONF exists on this machine: the absent-file case is not run here"
fi

sm_log "5: make uninstall DESTDIR=\$T/dest leaves no file"
mk uninstall DESTDIR="$DEST" >"$T/uninstall.log" 2>&1 ||
    sm_fail "make uninstall: $(tail -20 "$T/uninstall.log")"
(cd "$DEST" && find . ! -type d) >"$T/left"
[ ! -s "$T/left" ] || sm_fail "left after make uninstall: $(tr '\n' ' ' <"$T/left")"
machine_state >"$T/machine.after"
cmp -s "$T/machine.before" "$T/machine.after" ||
    sm_fail "make uninstall DESTDIR= changed files outside DESTDIR"

sm_pass
