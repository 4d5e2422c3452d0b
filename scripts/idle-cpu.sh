#!/usr/bin/env bash
# idle-cpu.sh: how much CPU sensehatd burns while idle with readings on.
# Builds the daemon, starts a nats-server on a free loopback port, runs the
# daemon on the simulated HAT with env readings every 1s and motion every
# 100ms, lets it warm up, then measures its user+system CPU time over a
# window from /proc/<pid>/stat. Prints the share of one core.
#   scripts/idle-cpu.sh [seconds [daemon flags...]]   (default 30)
# e.g. scripts/idle-cpu.sh 30 --ha-prefix '' measures without Home
# Assistant discovery.
set -euo pipefail
cd "$(dirname "$0")/.."
window=${1:-30}
shift || true
tools=${XDG_CACHE_HOME:-$HOME/.cache}/sensehat-tools/bin
export PATH=$PATH:$tools
command -v nats-server >/dev/null || { echo "idle-cpu: nats-server not found (make it with .ci/run)" >&2; exit 1; }

tmp=$(mktemp -d)
cleanup() {
	if [ -n "${dpid:-}" ]; then kill "$dpid" 2>/dev/null || true; fi
	if [ -n "${spid:-}" ]; then kill "$spid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/sensehatd" ./cmd/sensehatd
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nats-server -a 127.0.0.1 -p "$port" >"$tmp/server.log" 2>&1 &
spid=$!
"$tmp/sensehatd" --nats "nats://127.0.0.1:$port" --id idle --display sim --joystick sim --sensors sim \
	--env-interval 1s --motion-interval 100ms --state-dir "$tmp" --log-level warn "$@" 2>"$tmp/daemon.log" &
dpid=$!
sleep 5 # warm up: connect, first readings, GC settles

ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$dpid/stat"; }
c0=$(cpu)
t0=$(date +%s.%N)
sleep "$window"
c1=$(cpu)
t1=$(date +%s.%N)
awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$ticks" 'BEGIN {
	cpu = (c1 - c0) / hz; wall = t1 - t0
	printf "sensehatd idle (env 1s, motion 100ms, sim HAT): %.3fs CPU in %.1fs = %.2f%% of one core\n", cpu, wall, 100 * cpu / wall
}'
