#!/usr/bin/env bash
# idle-cpu.sh: how much CPU sensehatd burns while idle, against the floor.
# Builds the daemon and scripts/idlefloor (a bare nats.go client publishing
# the same messages at the same rates: ten sensors.motion, one sensors.env
# and one sensors.colour a second), starts a nats-server on a free loopback
# port, runs both side by side (the daemon on the simulated HAT with every
# backend on: display, joystick, sensors), lets them warm up, then samples
# both processes' on-CPU time, summed over all their threads from
# /proc/PID/task/*/schedstat (nanoseconds), at the same instants. Prints the
# median over the windows of each, and the ratio daemon/floor.
#   scripts/idle-cpu.sh [windows] [seconds per window]   (default 5 x 20)
set -euo pipefail
cd "$(dirname "$0")/.."
windows=${1:-5}
window=${2:-20}
warmup=${WARMUP:-5}
tools=${XDG_CACHE_HOME:-$HOME/.cache}/sensehat-tools/bin
export PATH=$PATH:$tools
command -v nats-server >/dev/null || { echo "idle-cpu: nats-server not found (make it with .ci/run)" >&2; exit 1; }

tmp=$(mktemp -d)
cleanup() {
	for p in "${dpid:-}" "${fpid:-}" "${spid:-}"; do
		if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi
	done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/sensehatd" ./cmd/sensehatd
go build -o "$tmp/idlefloor" ./scripts/idlefloor
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="nats://127.0.0.1:$port"
nats-server -a 127.0.0.1 -p "$port" >"$tmp/server.log" 2>&1 &
spid=$!
sleep 0.5
"$tmp/sensehatd" --nats "$url" --id idle --display sim --joystick sim --sensors sim \
	--env-interval 1s --motion-interval 100ms --colour-interval 1s --state-dir "$tmp" --log-level warn 2>"$tmp/daemon.log" &
dpid=$!
"$tmp/idlefloor" -nats "$url" -id floor -colour 2>"$tmp/floor.log" &
fpid=$!
sleep "$warmup" # connect, first readings, GC settles

# oncpu PID: nanoseconds on a CPU, all threads, from schedstat's first field.
oncpu() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d\n", s}'
}
for p in "$dpid" "$fpid"; do
	kill -0 "$p" 2>/dev/null || { echo "idle-cpu: a process died during warm-up:" >&2; cat "$tmp"/*.log >&2; exit 1; }
done
d0=$(oncpu "$dpid")
f0=$(oncpu "$fpid")
: >"$tmp/windows"
for i in $(seq "$windows"); do
	sleep "$window"
	d1=$(oncpu "$dpid")
	f1=$(oncpu "$fpid")
	echo "$((d1 - d0)) $((f1 - f0))" >>"$tmp/windows"
	awk -v i="$i" -v d="$((d1 - d0))" -v f="$((f1 - f0))" 'BEGIN {printf "window %d: sensehatd %.1f ms, floor %.1f ms\n", i, d / 1e6, f / 1e6}'
	d0=$d1
	f0=$f1
done
median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
dm=$(awk '{print $1}' "$tmp/windows" | median)
fm=$(awk '{print $2}' "$tmp/windows" | median)
awk -v d="$dm" -v f="$fm" -v w="$window" -v n="$windows" 'BEGIN {
	printf "median of %d windows of %d s, on-CPU time of all threads:\n", n, w
	printf "  sensehatd (sim HAT, display+joystick+sensors, env 1s, motion 100ms, colour 1s): %.1f ms = %.3f%% of one core\n", d / 1e6, 100 * d / (w * 1e9)
	printf "  floor (nats.go publishing the same messages at the same rates):             %.1f ms = %.3f%% of one core\n", f / 1e6, 100 * f / (w * 1e9)
	printf "  ratio sensehatd/floor: %.2f\n", d / f
}'
