#!/bin/sh
# local.sh: the three hub nodes of this directory on one machine, on
# loopback ports, to try the cluster or test it (docs/hub-cluster.md).
#
#   local.sh render DIR [BASE]   writes DIR/hub-1.conf..hub-3.conf (and the
#                                auth files they include) and, without a
#                                fleet, DIR/leaf-ID.conf for a Pi's leaf
#                                node (ID from SENSEHAT_ID, default pi1)
#   local.sh start DIR [BASE]    renders, then starts the three nodes in
#                                the background (logs and pids in DIR)
#   local.sh stop DIR            stops the nodes local.sh start started
#
# Node N (1..3) listens for clients on 127.0.0.1:BASE+N-1, for routes on
# BASE+10+N-1 and for leaf nodes on BASE+20+N-1; BASE defaults to 4222,
# so clients use nats://127.0.0.1:4222,nats://127.0.0.1:4223,... Each node
# keeps its JetStream store in DIR/store-N. The leaf password is
# SENSEHAT_LEAF_PASSWORD (default "try-me"). NATS_SERVER names the
# nats-server binary (default: nats-server on PATH; it must be 2.11.16,
# 2.12.7, 2.14.0 or newer for a hub).
#
# With per-device identity, SENSEHAT_FLEET_HUB names the fleet's hub
# directory (FLEET/hub of `sensehat fleet init --cluster`): the nodes
# then take its auth.conf and leaf-auth.conf instead of the password
# (each node's account JWTs in DIR/store-N/jwt, a JetStream budget of
# 1TB as the fleet's hub.conf has), and a Pi's leaf configuration comes
# from `sensehat fleet leaf-conf` instead of DIR/leaf-ID.conf.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
server=${NATS_SERVER:-nats-server}
password=${SENSEHAT_LEAF_PASSWORD:-try-me}
id=${SENSEHAT_ID:-pi1}
fleet_hub=${SENSEHAT_FLEET_HUB:-}

die() {
	echo "cluster/local: $*" >&2
	exit 1
}

[ $# -ge 2 ] || die "usage: $0 render|start DIR [BASE] | $0 stop DIR"
cmd=$1
dir=$2
base=${3:-4222}
case $base in '' | *[!0-9]*) die "BASE '$base' must be a port number" ;; esac
if [ "$base" -lt 1024 ] || [ "$base" -gt 65500 ]; then
	die "BASE $base must be 1024 to 65500"
fi

render() {
	mkdir -p "$dir"
	auth=$here
	budget=
	if [ -n "$fleet_hub" ]; then
		if [ ! -f "$fleet_hub/auth.conf" ] || [ ! -f "$fleet_hub/leaf-auth.conf" ]; then
			die "$fleet_hub has no auth.conf and leaf-auth.conf: make the fleet with sensehat fleet init --cluster"
		fi
		auth=$fleet_hub
		budget=1TB
	fi
	cp "$auth/leaf-auth.conf" "$dir/"
	for n in 1 2 3; do
		mkdir -p "$dir/store-$n"
		# Each node its own resolver directory (one machine, three stores).
		sed -e "s|^\(  dir: \).*|\1\"$dir/store-$n/jwt\"|" "$auth/auth.conf" >"$dir/auth-$n.conf"
		{
			sed -n '/^server_name:/p' "$here/hub-$n.conf"
			# hub-node.conf with this machine's ports and paths.
			sed -e "s|0\.0\.0\.0:4222|127.0.0.1:$((base + n - 1))|" \
				-e "s|include ./auth.conf|include ./auth-$n.conf|" \
				-e "${budget:+s|max_file_store: .*|max_file_store: $budget|}" \
				-e "s|0\.0\.0\.0:6222|127.0.0.1:$((base + 10 + n - 1))|" \
				-e "s|0\.0\.0\.0:7422|127.0.0.1:$((base + 20 + n - 1))|" \
				-e "s|hub-1\.example\.org:6222|127.0.0.1:$((base + 10))|" \
				-e "s|hub-2\.example\.org:6222|127.0.0.1:$((base + 11))|" \
				-e "s|hub-3\.example\.org:6222|127.0.0.1:$((base + 12))|" \
				-e "s|/var/lib/nats/hub|$dir/store-$n|" \
				"$here/hub-node.conf"
		} >"$dir/hub-$n.conf"
	done
	[ -z "$fleet_hub" ] || return 0
	mkdir -p "$dir/leaf-store-$id"
	sed -e "s|@ID@|$id|g" \
		-e "s|127\.0\.0\.1:4222|127.0.0.1:$((base + 30))|" \
		-e "s|/var/lib/nats/sensehat|$dir/leaf-store-$id|" \
		-e "s|@HUB_1@|nats-leaf://sensehat-leaf:$password@127.0.0.1:$((base + 20))|" \
		-e "s|@HUB_2@|nats-leaf://sensehat-leaf:$password@127.0.0.1:$((base + 21))|" \
		-e "s|@HUB_3@|nats-leaf://sensehat-leaf:$password@127.0.0.1:$((base + 22))|" \
		"$here/leaf.conf" >"$dir/leaf-$id.conf"
	chmod 600 "$dir/leaf-$id.conf"
}

case $cmd in
render)
	render
	pi="the leaf node of $id listens on 127.0.0.1:$((base + 30))"
	[ -z "$fleet_hub" ] || pi="leaf nodes: tls://127.0.0.1:$((base + 20)),tls://127.0.0.1:$((base + 21)),tls://127.0.0.1:$((base + 22))"
	echo "cluster/local: configurations in $dir; clients: nats://127.0.0.1:$base,nats://127.0.0.1:$((base + 1)),nats://127.0.0.1:$((base + 2)); $pi"
	;;
start)
	command -v "$server" >/dev/null 2>&1 || die "$server not found; install nats-server or set NATS_SERVER"
	render
	for n in 1 2 3; do
		SENSEHAT_LEAF_PASSWORD=$password "$server" -c "$dir/hub-$n.conf" >"$dir/hub-$n.log" 2>&1 &
		echo $! >"$dir/hub-$n.pid"
	done
	echo "cluster/local: three nodes starting (logs $dir/hub-N.log); clients: nats://127.0.0.1:$base,nats://127.0.0.1:$((base + 1)),nats://127.0.0.1:$((base + 2))"
	if [ -n "$fleet_hub" ]; then
		echo "cluster/local: a Pi's leaf node: sensehat fleet leaf-conf ID --hub-leaf tls://127.0.0.1:$((base + 20)),tls://127.0.0.1:$((base + 21)),tls://127.0.0.1:$((base + 22)) ..."
	else
		echo "cluster/local: a Pi's leaf node: $server -c $dir/leaf-$id.conf"
	fi
	;;
stop)
	for n in 1 2 3; do
		[ -f "$dir/hub-$n.pid" ] || continue
		kill "$(cat "$dir/hub-$n.pid")" 2>/dev/null || true
		rm -f "$dir/hub-$n.pid"
	done
	;;
*)
	die "unknown command $cmd: render, start or stop"
	;;
esac
