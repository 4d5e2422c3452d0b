#!/bin/sh
# store-and-forward.sh: creates (or updates) the JetStream streams of the
# store-and-forward deployment with the nats CLI, from pi-stream.json and
# hub-stream.json beside this script.
#
#   store-and-forward.sh pi ID        the Pi's stream SENSEHAT_<ID> of
#                                     <prefix>.<ID>.sensors.> and
#                                     <prefix>.<ID>.joystick.>, in the
#                                     Pi's JetStream domain sensehat-<ID>:
#                                     run it on the Pi, or anywhere through
#                                     the hub while the Pi is connected
#   store-and-forward.sh hub ID...    against the hub: the stream SENSEHAT
#                                     sourcing SENSEHAT_<ID> of every Pi
#                                     listed (list them all each time)
#
# NATS_URL picks the server (default nats://127.0.0.1:4222), SENSEHAT_PREFIX
# the subject prefix (default sensehat), NATS the nats CLI binary (default
# nats on PATH). Run it again after changing a limit: it edits the stream
# in place and keeps what it holds.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
nats=${NATS:-nats}
url=${NATS_URL:-nats://127.0.0.1:4222}
prefix=${SENSEHAT_PREFIX:-sensehat}

die() {
	echo "store-and-forward: $*" >&2
	exit 1
}

usage() {
	die "usage: $0 pi ID | $0 hub ID [ID...]"
}

# An id becomes part of a stream name, a JetStream domain and a subject:
# letters, digits, '-' and '_' suit all three.
check_token() {
	case $1 in
	'' | *[!A-Za-z0-9_-]*) die "$2 '$1' must be letters, digits, '-' or '_'" ;;
	esac
}

command -v "$nats" >/dev/null 2>&1 || die "$nats (the nats CLI) not found; install it or set NATS"
[ $# -ge 2 ] || usage
check_token "$prefix" prefix

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# apply NAME FILE [nats options]: add the stream, or edit it to FILE if it
# exists.
apply() {
	name=$1
	file=$2
	shift 2
	if "$nats" --server "$url" "$@" stream info "$name" >/dev/null 2>&1; then
		"$nats" --server "$url" "$@" stream edit "$name" --config "$file" --force >/dev/null
		echo "store-and-forward: stream $name updated on $url $*"
	else
		"$nats" --server "$url" "$@" stream add --config "$file" >/dev/null
		echo "store-and-forward: stream $name created on $url $*"
	fi
}

role=$1
shift
case $role in
pi)
	[ $# -eq 1 ] || usage
	check_token "$1" id
	sed -e "s/@ID@/$1/g" -e "s/@PREFIX@/$prefix/g" "$here/pi-stream.json" >"$tmp/stream.json"
	apply "SENSEHAT_$1" "$tmp/stream.json" --js-domain "sensehat-$1"
	;;
hub)
	sources=
	for id in "$@"; do
		check_token "$id" id
		[ -z "$sources" ] || sources="$sources,"
		sources="$sources{\"name\": \"SENSEHAT_$id\", \"external\": {\"api\": \"\$JS.sensehat-$id.API\"}}"
	done
	# The template's one example source line becomes the list given.
	awk -v s="    $sources" '/"external"/ { print s; next } { print }' "$here/hub-stream.json" >"$tmp/stream.json"
	apply SENSEHAT "$tmp/stream.json"
	;;
*)
	usage
	;;
esac
