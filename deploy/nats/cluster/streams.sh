#!/bin/sh
# streams.sh: creates (or updates) the hub's streams by kind, replicated on
# the three nodes, sourcing every Pi listed, with the nats CLI:
#
#   SENSEHAT         env and colour readings and joystick events, a week
#   SENSEHAT_MOTION  motion readings, a day
#
#   streams.sh ID...        list every Pi each time (a source per kind)
#
# Limits, per stream (docs/hub-cluster.md has the disk budget they give):
#   max_age               how long a reading is kept
#   max_msgs_per_subject  a subject is one device's kind (or joystick
#                         key): the readings of a week (a day for motion)
#                         at the default rate, so a device publishing
#                         faster keeps a shorter stretch instead of taking
#                         the others' room
#   max_bytes             N devices times that count times 450 bytes (a
#                         reading stored through a filtered source is
#                         about 420), so the streams never outgrow the
#                         budget for the fleet listed
#
# Environment: NATS_URL (default nats://127.0.0.1:4222; give all three
# nodes), NATS (the nats CLI), SENSEHAT_PREFIX (default sensehat),
# SENSEHAT_REPLICAS (default 3; 1 for a single hub),
# SENSEHAT_READINGS_KEEP and SENSEHAT_MOTION_KEEP (seconds; default 604800
# and 86400), SENSEHAT_READINGS_PER_SUBJECT and SENSEHAT_MOTION_PER_SUBJECT
# (default 604800, a week at one a second, and 864000, a day at ten a
# second), SENSEHAT_READING_BYTES (default 450).
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
nats=${NATS:-nats}
url=${NATS_URL:-nats://127.0.0.1:4222}
prefix=${SENSEHAT_PREFIX:-sensehat}
replicas=${SENSEHAT_REPLICAS:-3}
readings_keep=${SENSEHAT_READINGS_KEEP:-604800}
motion_keep=${SENSEHAT_MOTION_KEEP:-86400}
readings_per=${SENSEHAT_READINGS_PER_SUBJECT:-604800}
motion_per=${SENSEHAT_MOTION_PER_SUBJECT:-864000}
reading_bytes=${SENSEHAT_READING_BYTES:-450}

die() {
	echo "cluster/streams: $*" >&2
	exit 1
}

check_token() {
	case $1 in
	'' | *[!A-Za-z0-9_-]*) die "$2 '$1' must be letters, digits, '-' or '_'" ;;
	esac
}
check_number() {
	case $1 in
	'' | *[!0-9]*) die "$2 '$1' must be a whole number" ;;
	esac
	[ "$1" -ge 1 ] || die "$2 must be 1 or more"
}

command -v "$nats" >/dev/null 2>&1 || die "$nats (the nats CLI) not found; install it or set NATS"
[ $# -ge 1 ] || die "usage: $0 ID [ID...]"
check_token "$prefix" prefix
for v in replicas readings_keep motion_keep readings_per motion_per reading_bytes; do
	eval "check_number \"\$$v\" $v"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# src_of ID FILTER: one source of a Pi's stream, of the subjects FILTER.
src_of() {
	# $JS is part of a NATS subject, not a shell variable.
	# shellcheck disable=SC2016
	printf '\n    {"name": "SENSEHAT_%s", "filter_subject": "%s", "external": {"api": "$JS.sensehat-%s.API"}}' "$1" "$2" "$1"
}

readings=
motion=
n=0
for id in "$@"; do
	check_token "$id" id
	n=$((n + 1))
	for kind in sensors.env sensors.colour joystick.'>'; do
		[ -z "$readings" ] || readings="$readings,"
		readings="$readings$(src_of "$id" "$prefix.$id.$kind")"
	done
	[ -z "$motion" ] || motion="$motion,"
	motion="$motion$(src_of "$id" "$prefix.$id.sensors.motion")"
done

# render TEMPLATE OUT SOURCES KEEP PER_SUBJECT KINDS: KINDS is how many
# subjects of a device the byte budget counts (env and colour: 2).
render() {
	bytes=$((n * $6 * $5 * reading_bytes))
	# The duplicate window (10 minutes: a Pi's resend after a lost link)
	# may not exceed the age.
	dup=600
	[ "$4" -ge "$dup" ] || dup=$4
	awk -v src="$3" -v age="$(($4 * 1000000000))" -v per="$5" -v bytes="$bytes" -v r="$replicas" -v dup="$((dup * 1000000000))" '{
		gsub(/@DUP_WINDOW@/, dup)
		gsub(/@SOURCES@/, src "\n  "); gsub(/@MAX_AGE@/, age); gsub(/@PER_SUBJECT@/, per)
		gsub(/@MAX_BYTES@/, bytes); gsub(/@REPLICAS@/, r); print
	}' "$here/$1" >"$2"
}

apply() {
	name=$1
	file=$2
	if "$nats" --server "$url" stream info "$name" >/dev/null 2>&1; then
		verb=updated
		set -- stream edit "$name" --config "$file" --force
	else
		verb=created
		set -- stream add --config "$file"
	fi
	if ! out=$("$nats" --server "$url" "$@" 2>&1); then
		printf '%s\n' "$out" >&2
		case $out in
		*insufficient*) die "$name needs $(($(sed -n 's/.*"max_bytes": \([0-9]*\).*/\1/p' "$file") / 1000000)) MB on each node for $n devices (max_bytes), more than JetStream has left there: raise max_file_store in hub-node.conf, or keep less (docs/hub-cluster.md, Disk budget)" ;;
		esac
		die "could not set up stream $name on $url"
	fi
	echo "cluster/streams: stream $name $verb ($n devices)"
}

render readings-stream.json "$tmp/readings.json" "$readings" "$readings_keep" "$readings_per" 2
render motion-stream.json "$tmp/motion.json" "$motion" "$motion_keep" "$motion_per" 1
apply SENSEHAT "$tmp/readings.json"
apply SENSEHAT_MOTION "$tmp/motion.json"
