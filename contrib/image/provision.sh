#!/bin/bash
# sshmedic in a golden image: a provisioning step for an image builder
# (Packer's shell provisioner, or any script run as root on the machine
# being built). Installs the package, its configuration and policies,
# enables the PAM module (one line) and the service, and as its last step
# runs `sshmedic image-prep`, so that each machine booted from the image
# starts from its own generation 1. Every step is idempotent: a second run
# changes nothing and says so.
#
#   provision.sh [--dry-run] [--deb FILE]
#
# Environment (Packer: environment_vars):
#   SSHMEDIC_DEB        the .deb to install (or --deb); without it the
#                       sshmedic already installed (SSHMEDIC_SBIN) is used
#   SSHMEDIC_CONF       a sshmedic.conf to install (e.g. uploaded by a file
#                       provisioner; contrib/image/sshmedic.conf is one);
#                       without it the one in place is kept
#   SSHMEDIC_POLICIES   policy files (*.conf), or directories of them, to
#                       install into the policies directory
#   SSHMEDIC_DISCARD_QUARANTINE=1
#                       image-prep --discard-quarantine: the image carries
#                       no quarantined admin file (copy it off first)
# Where things go (defaults for a Debian system; tests point them at a
# sandbox):
#   SSHMEDIC_CONF_PATH (/etc/sshmedic/sshmedic.conf),
#   SSHMEDIC_POLICIES_DIR (/etc/sshmedic/policies.d),
#   SSHMEDIC_PAM_FILE (/etc/pam.d/sshd), SSHMEDIC_SBIN (/usr/sbin),
#   SSHMEDIC_SYSTEMD_ROOT (systemctl --root=DIR: enable in an offline tree)
#
# --dry-run prints every command and file it would write, runs and writes
# nothing. Exit status: 0 done, 1 a step failed (its message says which;
# the steps before it are done and a second run goes on), 64 usage.
set -eu

DRY=0
DEB=${SSHMEDIC_DEB:-}
CONF_SRC=${SSHMEDIC_CONF:-}
POLICIES=${SSHMEDIC_POLICIES:-}
DISCARD=${SSHMEDIC_DISCARD_QUARANTINE:-0}
CONF=${SSHMEDIC_CONF_PATH:-/etc/sshmedic/sshmedic.conf}
POLDIR=${SSHMEDIC_POLICIES_DIR:-/etc/sshmedic/policies.d}
PAMF=${SSHMEDIC_PAM_FILE:-/etc/pam.d/sshd}
SBIN=${SSHMEDIC_SBIN:-/usr/sbin}
SYSROOT=${SSHMEDIC_SYSTEMD_ROOT:-}
UNIT=sshmedicd.service
PAM_LINE='session optional                    pam_sshmedic.so'

usage() {
	sed -n '2,/^set -eu$/{/^set -eu$/d;s/^# \{0,1\}//;p}' "$0"
}

die() {
	printf 'provision.sh: FAILED: %s\n' "$*" >&2
	exit 1
}

step() { printf '== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }

# run CMD...: runs it, or with --dry-run prints it.
run() {
	if [ "$DRY" = 1 ]; then
		printf '   would run: %s\n' "$*"
		return 0
	fi
	say "run: $*"
	"$@"
}

# put SRC DEST MODE: DEST becomes a root-owned copy of SRC with MODE,
# through a temporary in DEST's directory, synced, then renamed; nothing
# is done when it already is one.
put() {
	local src=$1 dest=$2 mode=$3 dir tmp
	if cmp -s -- "$src" "$dest" &&
	    [ "$(stat -c '%u %g %a' -- "$dest")" = "0 0 ${mode#0}" ]; then
		say "unchanged: $dest"
		return 0
	fi
	if [ "$DRY" = 1 ]; then
		say "would write: $dest (from $src, root $mode)"
		return 0
	fi
	dir=$(dirname -- "$dest")
	mkdir -p -- "$dir"
	tmp=$(mktemp "$dir/.provision.XXXXXX")
	install -o root -g root -m "$mode" -- "$src" "$tmp"
	sync -- "$tmp"
	mv -f -- "$tmp" "$dest"
	sync -- "$dir"
	say "wrote: $dest"
}

while [ $# -gt 0 ]; do
	case $1 in
	--dry-run|-n) DRY=1 ;;
	--deb) [ $# -ge 2 ] || { usage >&2; exit 64; }; DEB=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) printf 'provision.sh: unknown argument %s\n' "$1" >&2
	   usage >&2; exit 64 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || die "must be run as root"
[ "$DRY" = 1 ] && step "dry run: nothing is installed, written or run"

# Under systemd step 5 stops the service; a daemon started some other way
# is the builder's to stop, before anything here changes.
unit_active() {
	[ -z "$SYSROOT" ] && [ -d /run/systemd/system ] &&
	    systemctl is-active --quiet "$UNIT"
}
if ! unit_active && [ -x "$SBIN/sshmedic" ] && [ -f "$CONF" ] &&
    "$SBIN/sshmedic" -f "$CONF" status >/dev/null 2>&1; then
	die "sshmedicd runs and is not systemd's $UNIT: stop it, then run provision.sh again (nothing was changed)"
fi

step "1/6 package"
if [ -n "$DEB" ]; then
	[ -f "$DEB" ] || die "$DEB: no such package file"
	want=$(dpkg-deb -f "$DEB" Version) || die "$DEB: not a .deb"
	have=$(dpkg-query -W -f='${db:Status-Status} ${Version}' sshmedic \
	    2>/dev/null || true)
	if [ "$have" = "installed $want" ]; then
		say "sshmedic $want is installed"
	else
		run env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		    --no-install-recommends "$(realpath -- "$DEB")" ||
		    die "apt-get install $DEB"
	fi
else
	if [ ! -x "$SBIN/sshmedicd" ] || [ ! -x "$SBIN/sshmedic" ]; then
		die "no package given (SSHMEDIC_DEB or --deb) and no sshmedic in $SBIN"
	fi
	say "no package given: the sshmedic in $SBIN is used"
fi

step "2/6 configuration and policies"
check_conf=$CONF
if [ -n "$CONF_SRC" ]; then
	[ -f "$CONF_SRC" ] || die "SSHMEDIC_CONF $CONF_SRC: no such file"
	put "$CONF_SRC" "$CONF" 0600
	# A dry run checks what it would install.
	[ "$DRY" = 1 ] && check_conf=$CONF_SRC
else
	say "no SSHMEDIC_CONF: $CONF is kept as it is"
fi
for p in $POLICIES; do
	if [ -d "$p" ]; then
		set -- "$p"/*.conf
	else
		set -- "$p"
	fi
	for f in "$@"; do
		[ -f "$f" ] || die "policy $f: no such file"
		put "$f" "$POLDIR/$(basename -- "$f")" 0600
	done
done
if [ -x "$SBIN/sshmedicd" ] && [ -f "$check_conf" ]; then
	# Read-only: checked in a dry run too.
	"$SBIN/sshmedicd" -t -f "$check_conf" ||
	    die "sshmedicd -t refuses $check_conf or a policy (see above)"
elif [ "$DRY" = 1 ]; then
	say "would check: sshmedicd -t -f $check_conf"
else
	die "cannot check $check_conf with $SBIN/sshmedicd"
fi

step "3/6 PAM module ($PAMF)"
common=$(dirname -- "$PAMF")/common-session
if grep -qs pam_sshmedic.so -- "$PAMF" "$common"; then
	say "pam_sshmedic.so is in the stack already"
elif [ "$DRY" = 1 ]; then
	say "would append to $PAMF: $PAM_LINE"
else
	[ -f "$PAMF" ] || die "$PAMF: no such file"
	tmp=$(mktemp "$(dirname -- "$PAMF")/.provision.XXXXXX")
	cp -p -- "$PAMF" "$tmp"
	printf '%s\n' "$PAM_LINE" >>"$tmp"
	sync -- "$tmp"
	mv -f -- "$tmp" "$PAMF"
	say "appended to $PAMF: $PAM_LINE"
fi

step "4/6 service"
if [ -n "$SYSROOT" ]; then
	run systemctl --root="$SYSROOT" enable "$UNIT" || die "enable $UNIT"
elif command -v systemctl >/dev/null 2>&1; then
	run systemctl enable "$UNIT" || die "enable $UNIT"
else
	say "no systemctl: enable sshmedicd in the image's own init system"
fi

step "5/6 sshmedicd stopped"
running=0
if unit_active; then
	running=1
	run systemctl stop "$UNIT" || die "systemctl stop $UNIT"
else
	say "sshmedicd is not running"
fi

step "6/6 sshmedic image-prep (the last step)"
args=()
[ "$DISCARD" = 1 ] && args+=(--discard-quarantine)
if [ "$DRY" = 1 ] && { [ "$running" = 1 ] || [ ! -x "$SBIN/sshmedic" ] ||
    [ ! -f "$check_conf" ]; }; then
	say "would run: $SBIN/sshmedic -f $CONF image-prep ${args[*]}"
else
	# A dry run asks image-prep for its own dry run: what it would clear
	# with the configuration it would install.
	[ "$DRY" = 1 ] && args+=(--dry-run)
	"$SBIN/sshmedic" -f "$check_conf" image-prep "${args[@]}" ||
	    die "sshmedic image-prep (see above)"
fi
step "done"
