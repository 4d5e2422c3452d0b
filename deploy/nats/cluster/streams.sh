#!/bin/sh
# streams.sh: creates (or updates) the hub stream SENSEHAT on the cluster,
# replicated on the three nodes, sourcing every Pi listed, with the nats
# CLI, and retention by kind:
#
#   streams.sh ID...        list every Pi each time (one source per Pi)
#
# Each subject is one device's kind (sensors.env, sensors.colour,
# sensors.motion, joystick.<key>), so two limits give every kind its own
# stretch: max_age keeps a week of everything, and max_msgs_per_subject
# (864,000: a day at ten a second) keeps a day of motion at its default
# rate while env and colour (one a second) reach only the week. A device
# publishing faster than the defaults keeps a shorter stretch instead of
# taking the others' room. max_bytes caps the stream at the fleet's budget:
# N devices times (env + colour + motion kept) times 450 bytes (a reading
# stored through a filtered source is about 410; docs/hub-cluster.md).
#
# Why one stream, not one per kind: a hub stream sourcing the same Pi
# stream several times, once per kind filter, lost readings in our tests
# (whole kinds were skipped after a burst); one source per Pi does not.
#
# Environment: NATS_URL (default nats://127.0.0.1:4222; give all three
# nodes), NATS (the nats CLI), SENSEHAT_PREFIX (default sensehat),
# SENSEHAT_REPLICAS (default 3; 1 for a single hub), SENSEHAT_KEEP
# (seconds, default 604800), SENSEHAT_PER_SUBJECT (default 864000),
# SENSEHAT_READING_BYTES (default 450).
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
nats=${NATS:-nats}
url=${NATS_URL:-nats://127.0.0.1:4222}
prefix=${SENSEHAT_PREFIX:-sensehat}
replicas=${SENSEHAT_REPLICAS:-3}
keep=${SENSEHAT_KEEP:-604800}
per=${SENSEHAT_PER_SUBJECT:-864000}
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
for v in replicas keep per reading_bytes; do
	eval "check_number \"\$$v\" $v"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

sources=
n=0
for id in "$@"; do
	check_token "$id" id
	n=$((n + 1))
	[ -z "$sources" ] || sources="$sources,"
	# $JS is part of a NATS subject, not a shell variable.
	# shellcheck disable=SC2016
	sources="$sources$(printf '\n    {"name": "SENSEHAT_%s", "filter_subject": "%s.%s.>", "external": {"api": "$JS.sensehat-%s.API"}}' "$id" "$prefix" "$id" "$id")"
done

# What one device keeps at the default rates: env and colour, one a
# second, and motion, ten a second, each for keep seconds or per readings,
# whichever is fewer. Joystick events are too few to count.
slow=$keep
[ "$slow" -le "$per" ] || slow=$per
fast=$((keep * 10))
[ "$fast" -le "$per" ] || fast=$per
bytes=$((n * (2 * slow + fast) * reading_bytes))
# The duplicate window (10 minutes: a Pi's resend after a lost link) may
# not exceed the age.
dup=600
[ "$keep" -ge "$dup" ] || dup=$keep
awk -v src="$sources" -v age="$((keep * 1000000000))" -v per="$per" -v bytes="$bytes" \
	-v r="$replicas" -v dup="$((dup * 1000000000))" '{
	gsub(/@SOURCES@/, src "\n  "); gsub(/@MAX_AGE@/, age); gsub(/@PER_SUBJECT@/, per)
	gsub(/@MAX_BYTES@/, bytes); gsub(/@REPLICAS@/, r); gsub(/@DUP_WINDOW@/, dup); print
}' "$here/hub-stream.json" >"$tmp/stream.json"

if "$nats" --server "$url" stream info SENSEHAT >/dev/null 2>&1; then
	verb=updated
	set -- stream edit SENSEHAT --config "$tmp/stream.json" --force
else
	verb=created
	set -- stream add --config "$tmp/stream.json"
fi
if ! out=$("$nats" --server "$url" "$@" 2>&1); then
	printf '%s\n' "$out" >&2
	case $out in
	*insufficient*) die "SENSEHAT needs $((bytes / 1000000)) MB on each node for $n devices (max_bytes), more than JetStream has left there: raise max_file_store in hub-node.conf, or keep less (docs/hub-cluster.md, Disk budget)" ;;
	esac
	die "could not set up stream SENSEHAT on $url"
fi
echo "cluster/streams: stream SENSEHAT $verb ($n devices, $((bytes / 1000000)) MB a node at most)"
