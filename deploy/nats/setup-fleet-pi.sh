#!/bin/sh
# setup-fleet-pi.sh: makes this Pi a member of a fleet made with
# "sensehat fleet": its own identity (the device's credentials), Debian's
# nats-server as a store-and-forward leaf node of the hub that logs in with
# that identity, and sensehatd and the nats CLI on the Pi logging in with it
# too (the Pi's nats-server refuses anonymous clients).
#
#   sudo sh setup-fleet-pi.sh BUNDLE
#
# BUNDLE is the directory "sensehat fleet add ID" wrote for this Pi
# (fleet/pi/ID): fleet-id, fleet-device.creds, fleet-leaf-ca.pem and
# fleet-nats-server.conf. install.sh --fleet runs this; make deploy
# PI=... FLEET=fleet/pi/ID copies the bundle over ssh.
#
# The credentials are a secret: installed 0640 root:nats (nats-server reads
# them for the leaf node) and handed to sensehatd with systemd's
# LoadCredential, never on a command line or in a log.
#
# SENSEHAT_INSTALL_ROOT, if set, is prepended to every path written, and
# services are then neither restarted nor asked.
set -eu

prog=setup-fleet-pi.sh
root=${SENSEHAT_INSTALL_ROOT:-}
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
etc=$root/etc/sensehat
conf=$root/etc/nats-server.conf
store=/var/lib/nats/sensehat
env_file=$root/etc/default/sensehatd
dropin=$root/etc/systemd/system/sensehatd.service.d
marker='# sensehat store and forward'

say() { printf '%s: %s\n' "$prog" "$*"; }
die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: sudo sh $prog BUNDLE   (the directory sensehat fleet add ID wrote)"
b=$1
for f in fleet-id fleet-device.creds fleet-leaf-ca.pem fleet-nats-server.conf; do
	[ -f "$b/$f" ] || die "$b/$f is missing: give the directory sensehat fleet add ID wrote (fleet/pi/ID)"
done
id=$(cat "$b/fleet-id")
case $id in
'' | *[!A-Za-z0-9_-]*) die "device id '$id' in $b/fleet-id must be letters, digits, '-' or '_'" ;;
esac

if [ -z "$root" ]; then
	[ "$(id -u)" -eq 0 ] || die "must run as root: sudo sh $0 $*"
	command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] ||
		die "nats-server is not installed: sudo apt install nats-server"
fi
group=root
if [ -z "$root" ] && getent group nats >/dev/null 2>&1; then
	group=nats
fi

# install_file SRC DST MODE: written through a private temporary file, so
# a secret is never readable by others, not even for a moment.
install_file() {
	rm -f "$2.new"
	(
		umask 077
		cp "$1" "$2.new"
	)
	[ -n "$root" ] || chgrp "$group" "$2.new"
	chmod "$3" "$2.new"
	mv -f "$2.new" "$2"
}

mkdir -p "$etc"
chmod 0750 "$etc"
[ -n "$root" ] || chgrp "$group" "$etc"
install_file "$b/fleet-device.creds" "$etc/device.creds" 0640
install_file "$b/fleet-leaf-ca.pem" "$etc/leaf-ca.pem" 0644
say "installed the identity of $id in $etc (device.creds 0640 root:$group)"

if [ -f "$conf" ] && ! grep -q "^$marker" "$conf" && [ ! -e "$conf.before-sensehat" ]; then
	cp -p "$conf" "$conf.before-sensehat"
	say "kept the previous $conf as $conf.before-sensehat"
fi
tmp=$(mktemp)
{
	echo "$marker (written by $prog from sensehat fleet add $id)"
	cat "$b/fleet-nats-server.conf"
} >"$tmp"
install_file "$tmp" "$conf" 0640
rm -f "$tmp"
say "wrote $conf: leaf node of the hub as device $id, JetStream domain sensehat-$id, no anonymous clients"

mkdir -p "$root$store"
if [ -z "$root" ] && getent passwd nats >/dev/null 2>&1; then
	chown nats:nats "$root$store" "$(dirname "$root$store")"
fi
chmod 0750 "$root$store"

# sensehatd runs as a dynamic user that cannot read root's files: systemd
# hands it a copy of the credentials under /run/credentials.
mkdir -p "$dropin"
cat >"$dropin/fleet.conf" <<EOF
# written by $prog: the device's identity for sensehatd
[Service]
LoadCredential=creds:/etc/sensehat/device.creds
EOF

set_var() {
	if [ -f "$env_file" ] && grep -q "^[[:space:]]*$1=" "$env_file"; then
		sed -e "s|^[[:space:]]*$1=.*|$1=$2|" "$env_file" >"$env_file.new"
		chmod 0600 "$env_file.new"
		mv -f "$env_file.new" "$env_file"
	else
		echo "$1=$2" >>"$env_file"
	fi
}
set_var NATS_URL nats://127.0.0.1:4222
set_var SENSEHAT_ID "$id"
set_var SENSEHAT_CREDS /run/credentials/sensehatd.service/creds
set_var SENSEHAT_RESEND_WINDOW 10s
# the desired-state bucket is in the hub's JetStream domain, reached
# through the leaf (docs/desired-state.md)
set_var SENSEHAT_DESIRED_DOMAIN hub
# and kept in this Pi's JetStream for a start without the hub
set_var SENSEHAT_DESIRED_MIRROR "sensehat-$id"
say "sensehatd logs in to nats://127.0.0.1:4222 as $id ($env_file, $dropin/fleet.conf)"

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable nats-server.service >/dev/null 2>&1 || true
	systemctl restart nats-server.service
	systemctl try-restart sensehatd.service || true
fi

if [ -z "$root" ] && command -v nats >/dev/null 2>&1; then
	export NATS_URL=nats://127.0.0.1:4222 NATS_CREDS="$etc/device.creds"
	i=0
	until nats server check connection >/dev/null 2>&1 || [ $i -ge 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	sh "$here/store-and-forward.sh" pi "$id"
else
	say "the nats CLI is not on this Pi: the device stream SENSEHAT_$id is made from the laptop, through the hub:"
	say "  NATS_URL=nats://HUB:4222 NATS_CREDS=fleet/creds/sensehat-fleet.creds sh deploy/nats/store-and-forward.sh pi $id"
fi
say "on the laptop, sensehat fleet add already made the hub source SENSEHAT_$id"
