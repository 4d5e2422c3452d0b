#!/bin/sh
# setup-pi.sh: turns this Pi into a store-and-forward node: Debian's
# nats-server runs as a leaf node of the hub with JetStream on the SD card
# (leaf.conf), sensehatd publishes to it on 127.0.0.1:4222, and the device
# stream SENSEHAT_<id> keeps every reading until the hub has it.
#
#   sudo sh setup-pi.sh HUB_URL [ID]
#
# HUB_URL is the hub's leaf node port, e.g. nats-leaf://hub.local:7422. ID
# defaults to SENSEHAT_ID in /etc/default/sensehatd, else the hostname made
# into a subject token (as sensehatd does). install.sh --store-and-forward
# runs this; the .deb installs it as /usr/share/sensehatd/nats/setup-pi.sh.
#
# SENSEHAT_INSTALL_ROOT, if set, is prepended to every path written, and
# services are then neither restarted nor asked.
set -eu

prog=setup-pi.sh
root=${SENSEHAT_INSTALL_ROOT:-}
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
conf=$root/etc/nats-server.conf
store=/var/lib/nats/sensehat
env_file=$root/etc/default/sensehatd
marker='# sensehat store and forward'

say() { printf '%s: %s\n' "$prog" "$*"; }
die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	die "usage: sudo sh $prog HUB_URL [ID]   (HUB_URL like nats-leaf://hub.local:7422)"
fi
hub=$1
case $hub in
nats-leaf://* | tls://* | nats://* | ws://* | wss://*) ;;
*) die "HUB_URL '$hub' should look like nats-leaf://hub.local:7422 (the hub's leafnodes port)" ;;
esac
case $hub in
*'|'* | *' '* | *'"'*) die "HUB_URL '$hub' holds a character a URL cannot" ;;
esac

id=${2:-}
if [ -z "$id" ] && [ -r "$env_file" ]; then
	id=$(sed -n 's/^[[:space:]]*SENSEHAT_ID=["'\'']\{0,1\}\([^"'\'']*\).*/\1/p' "$env_file" | tail -n 1)
fi
if [ -z "$id" ]; then
	id=$(hostname | tr -c 'A-Za-z0-9_\n-' '_')
fi
case $id in
'' | *[!A-Za-z0-9_-]*) die "device id '$id' must be letters, digits, '-' or '_'; give it as the second argument" ;;
esac

if [ -z "$root" ]; then
	[ "$(id -u)" -eq 0 ] || die "must run as root: sudo sh $0 $*"
	command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] ||
		die "nats-server is not installed: sudo apt install nats-server"
fi

# Keep a configuration this script did not write, once.
if [ -f "$conf" ] && ! grep -q "^$marker" "$conf" && [ ! -e "$conf.before-sensehat" ]; then
	cp -p "$conf" "$conf.before-sensehat"
	say "kept the previous $conf as $conf.before-sensehat"
fi
mkdir -p "$(dirname "$conf")"
# The hub URL carries the leaf node's password: never readable by others,
# not even for a moment.
rm -f "$conf.new"
(
	umask 027
	{
		echo "$marker (written by $prog; run it again to change the hub)"
		sed -e "s|@ID@|$id|g" -e "s|@HUB_URL@|$hub|g" "$here/leaf.conf"
	} >"$conf.new"
)
if [ -z "$root" ] && getent group nats >/dev/null 2>&1; then
	chgrp nats "$conf.new"
fi
mv -f "$conf.new" "$conf"
# What is printed leaves the password out.
shown=$(printf '%s\n' "$hub" | sed 's|//\([^:/@]*\):[^@]*@|//\1:***@|')
say "wrote $conf (mode 0640): leaf node of $shown, JetStream domain sensehat-$id"

mkdir -p "$root$store"
if [ -z "$root" ] && getent passwd nats >/dev/null 2>&1; then
	chown nats:nats "$root$store" "$(dirname "$root$store")"
fi
chmod 0750 "$root$store"

# sensehatd talks to the local leaf node only, so it never buffers, and
# resends its last 10 s of readings after a lost connection (the device
# stream's duplicate window drops what it already has).
# set_var NAME VALUE: replace NAME= in the settings file, or add it.
set_var() {
	if grep -q "^[[:space:]]*$1=" "$env_file"; then
		sed -e "s|^[[:space:]]*$1=.*|$1=$2|" "$env_file" >"$env_file.new"
		chmod 0600 "$env_file.new"
		mv -f "$env_file.new" "$env_file"
	else
		echo "$1=$2" >>"$env_file"
	fi
}
if [ -f "$env_file" ]; then
	set_var NATS_URL nats://127.0.0.1:4222
	set_var SENSEHAT_RESEND_WINDOW 10s
	# the desired-state bucket is in the hub's JetStream domain, reached
	# through the leaf (docs/desired-state.md)
	set_var SENSEHAT_DESIRED_DOMAIN hub
	# and kept in this Pi's JetStream for a start without the hub
	set_var SENSEHAT_DESIRED_MIRROR "sensehat-$id"
	say "sensehatd now uses nats://127.0.0.1:4222 and resends 10 s after a lost connection ($env_file)"
fi

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl enable nats-server.service >/dev/null 2>&1 || true
	systemctl restart nats-server.service
	systemctl try-restart sensehatd.service || true
fi

if [ -z "$root" ] && command -v nats >/dev/null 2>&1; then
	i=0
	until nats --server nats://127.0.0.1:4222 server check connection >/dev/null 2>&1 || [ $i -ge 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	NATS_URL=nats://127.0.0.1:4222 sh "$here/store-and-forward.sh" pi "$id"
	stream_cmd="nats --js-domain sensehat-$id stream info SENSEHAT_$id"
else
	stream_cmd="NATS_URL=nats://HUB:4222 sh deploy/nats/store-and-forward.sh pi $id"
	say "the nats CLI is not on this Pi: create the device stream from the laptop, through the hub:"
	say "  $stream_cmd"
	stream_cmd="nats --server nats://HUB:4222 --js-domain sensehat-$id stream info SENSEHAT_$id"
fi
cat <<EOF
Next, on the hub (list every Pi each time):
  NATS_URL=nats://HUB:4222 sh deploy/nats/store-and-forward.sh hub $id [OTHER_IDS...]
Check:
  on the Pi:   $stream_cmd
  on the hub:  nats --server nats://HUB:4222 stream info SENSEHAT
               (Source Information lists SENSEHAT_$id with its lag)
  readings:    sensehat history --nats nats://HUB:4222 --id $id --since 1h
EOF
