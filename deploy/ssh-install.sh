#!/bin/sh
# ssh-install.sh: installs (or removes) sensehatd on a Pi over ssh; what
# make deploy and make uninstall run on the laptop.
#
#   deploy/ssh-install.sh HOST BINARY        copy BINARY (named sensehatd),
#                                            the unit, the settings and
#                                            install.sh to HOST, install there
#   deploy/ssh-install.sh --store-and-forward HUB_URL HOST BINARY
#                                            the same, and also makes the Pi
#                                            a store-and-forward leaf node of
#                                            HUB_URL (deploy/nats/setup-pi.sh)
#   deploy/ssh-install.sh --uninstall HOST   remove the service from HOST
#
# SSH and SCP name the commands (default ssh and scp), options included if
# needed: SSH='ssh -p 2222' SCP='scp -P 2222'.
#
# Root runs install.sh on the Pi, so the directory it is copied to must be
# the login user's alone. A fixed path in /tmp is not: another local user
# can create it first and swap install.sh between the copy and sudo. So:
#   1. mktemp -d makes a new directory with an unguessable name, mode 0700;
#   2. scp copies the files into it;
#   3. before sudo, the Pi checks that the directory is still a real
#      directory of the login user with mode 0700 and that it holds only
#      regular files of that user, and refuses otherwise;
#   4. the directory is removed afterwards, whether the install worked or
#      not, and also when a copy or a check fails.
set -eu

prog=ssh-install.sh
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
SSH=${SSH:-ssh}
SCP=${SCP:-scp}

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}
usage() {
	echo "usage: $prog [--store-and-forward HUB_URL | --fleet BUNDLE] HOST BINARY | $prog --uninstall HOST" >&2
	exit 2
}

mode=install
hub=
if [ "${1:-}" = --store-and-forward ]; then
	[ $# -ge 2 ] || usage
	hub=$2
	shift 2
	# The URL goes into the command root runs: a URL's characters only,
	# and never a quote, space, $ or backtick.
	case $hub in
	*[!A-Za-z0-9.:/_@%+=-]* | '') die "HUB_URL '$hub' holds a character a URL cannot; want e.g. nats-leaf://hub.local:7422" ;;
	nats-leaf://* | tls://* | nats://* | ws://* | wss://*) ;;
	*) die "HUB_URL '$hub' should look like nats-leaf://hub.local:7422 (the hub's leafnodes port)" ;;
	esac
fi
fleet=
if [ "${1:-}" = --fleet ]; then
	[ $# -ge 2 ] || usage
	fleet=$2
	shift 2
	[ -z "$hub" ] || die "--fleet already makes the Pi a store-and-forward leaf node: leave out --store-and-forward"
	for f in fleet-id fleet-device.creds fleet-leaf-ca.pem fleet-nats-server.conf; do
		[ -f "$fleet/$f" ] || die "$fleet/$f is missing: FLEET is the directory sensehat fleet add ID wrote (fleet/pi/ID)"
	done
fi
if [ "${1:-}" = --uninstall ]; then
	mode=uninstall
	shift
	[ $# -eq 1 ] || usage
else
	[ $# -eq 2 ] || usage
	bin=$2
	[ -f "$bin" ] || die "binary $bin not found; build it first (make deploy does)"
	[ "${bin##*/}" = sensehatd ] || die "the binary must be named sensehatd, not ${bin##*/}"
fi
host=$1
case $host in
'' | -*) die "HOST must be a host name such as pi@raspberrypi.local, not '$host'" ;;
esac

# remote CMD: runs CMD with sh on the Pi, whatever the login shell is. CMD
# must not contain single quotes.
remote() {
	# shellcheck disable=SC2086 # SSH may carry options
	$SSH "$host" "sh -c '$1'"
}
remote_tty() {
	# -t: sudo may ask for a password.
	# shellcheck disable=SC2086
	$SSH -t "$host" "sh -c '$1'"
}

dir=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	rc=$?
	if [ -n "$dir" ]; then
		remote "rm -rf $dir" || echo "$prog: could not remove $dir on $host; remove it by hand" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck disable=SC2016 # TMPDIR is the Pi's, expanded there
dir=$(remote 'umask 077 && mktemp -d "${TMPDIR:-/tmp}/sensehatd-install.XXXXXXXXXX"') ||
	die "could not make a private directory on $host with mktemp -d"
# The path goes into commands run as root: only the characters mktemp uses.
case $dir in
*[!A-Za-z0-9._/-]* | '' | [!/]* | *..*)
	bad=$dir
	dir=
	die "mktemp -d on $host answered '$bad', not a plain absolute path"
	;;
*/sensehatd-install.*) ;;
*)
	bad=$dir
	dir=
	die "mktemp -d on $host answered '$bad', not a sensehatd-install directory"
	;;
esac
echo "$prog: private directory $host:$dir"
if [ -n "$hub" ]; then
	echo "$prog: installing on $host as a store-and-forward leaf node of $(printf '%s\n' "$hub" | sed 's|//\([^:/@]*\):[^@]*@|//\1:***@|')"
fi

if [ "$mode" = install ]; then
	set -- "$bin" "$here/sensehatd.service" "$here/sensehatd.env" "$here/install.sh"
	run="\"\$d/install.sh\" \"\$d/sensehatd\""
	if [ -n "$hub" ]; then
		# Flat beside install.sh, which looks for setup-pi.sh there too:
		# the directory check below then needs no subdirectories.
		for f in setup-pi.sh leaf.conf store-and-forward.sh pi-stream.json hub-stream.json; do
			set -- "$@" "$here/nats/$f"
		done
		run="\"\$d/install.sh\" --store-and-forward \"$hub\" \"\$d/sensehatd\""
	fi
	if [ -n "$fleet" ]; then
		for f in setup-fleet-pi.sh store-and-forward.sh pi-stream.json; do
			set -- "$@" "$here/nats/$f"
		done
		for f in fleet-id fleet-device.creds fleet-leaf-ca.pem fleet-nats-server.conf; do
			set -- "$@" "$fleet/$f"
		done
		# The bundle is the private directory itself: the credentials go
		# over scp into it and never through a command line.
		run="\"\$d/install.sh\" --fleet \"\$d\" \"\$d/sensehatd\""
	fi
else
	set -- "$here/install.sh"
	run="\"\$d/install.sh\" --uninstall"
fi
# shellcheck disable=SC2086 # SCP may carry options
$SCP "$@" "$host:$dir/" || die "copying to $host:$dir failed"

# Checked and run in one go on the Pi, so nothing can change in between
# but by the login user or root. ls -ldn prints "drwx------ N UID ...";
# a "+" after the mode (an ACL granting others access) fails the check, a
# "." (an SELinux label) does not.
check_and_run="
d=$dir
me=\$(id -u)
set -- \$(ls -ldn \"\$d\")
case \$1 in
drwx------ | drwx------.) d_ok=yes ;;
*) d_ok=no ;;
esac
if [ ! -d \"\$d\" ] || [ -L \"\$d\" ] || [ \$d_ok = no ] || [ \"\$3\" != \"\$me\" ]; then
	echo \"$prog: \$d is not a private directory of uid \$me (\$1, uid \$3); not running anything in it as root\" >&2
	rm -rf \"\$d\"
	exit 1
fi
for f in \"\$d\"/* \"\$d\"/.[!.]*; do
	[ -e \"\$f\" ] || [ -L \"\$f\" ] || continue
	set -- \$(ls -ldn \"\$f\")
	case \$1 in
	-*) ;;
	*) f_ok=no ;;
	esac
	if [ -L \"\$f\" ] || [ \"\$3\" != \"\$me\" ] || [ \"\${f_ok:-}\" = no ]; then
		echo \"$prog: \$f is not a regular file of uid \$me; not running anything in \$d as root\" >&2
		rm -rf \"\$d\"
		exit 1
	fi
done
sudo sh $run
rc=\$?
rm -rf \"\$d\"
exit \$rc
"
rc=0
remote_tty "$check_and_run" || rc=$?
# The Pi has removed the directory itself. After a failure the EXIT trap
# tries again, which costs little and covers a connection that broke
# before the Pi got that far.
[ "$rc" -ne 0 ] || dir=
exit "$rc"
