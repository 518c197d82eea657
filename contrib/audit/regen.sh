#!/bin/sh
# Rewrites sshmedic.rules (beside this script) as `sshmedic audit-rules`
# prints it for the default paths: an empty /etc/sshmedic/sshmedic.conf
# on an overlay of /etc in a private mount namespace (the machine's /etc is
# not touched), sshmedicd in /usr/sbin. Run as root on a stock Debian 12:
#     contrib/audit/regen.sh build/watchdog/sshmedic [OUTPUT]
# tests/integration/history_join.sh runs it with an OUTPUT of its own and
# checks that the file here agrees.
set -eu
cli=$(realpath "$1")
out=${2:-$(dirname "$(realpath "$0")")/sshmedic.rules}
tmp=$(mktemp -d /run/sshmedic-regen.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/up" "$tmp/work"
unshare -m /bin/sh -c '
	set -e
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/up,workdir=$1/work" /etc
	mkdir -p -m 0755 /etc/sshmedic/policies.d
	: >/etc/sshmedic/sshmedic.conf
	chmod 0600 /etc/sshmedic/sshmedic.conf
	"$2" -f /etc/sshmedic/sshmedic.conf audit-rules --daemon /usr/sbin/sshmedicd >"$1/rules"
' sh "$tmp" "$cli"
mv "$tmp/rules" "$out"
