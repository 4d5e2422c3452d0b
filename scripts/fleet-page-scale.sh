#!/usr/bin/env bash
# fleet-page-scale.sh: the fleet page in Chromium at N devices.
#
# For each N: a nats-server (the pinned one, a plain hub) on a free
# loopback port, `sensehat simulate --devices N` at the default rates,
# `sensehat web` on it, then scripts/fleetpage in headless Chromium: the
# time from opening the page until every device is listed and the first
# page of cards drawn; after SETTLE seconds, the memory of Chromium's
# processes for the page (PSS and RSS summed from /proc) and the bytes a
# second of the page's event stream; then the filter box typed into key by
# key RUNS times ("sim-0123", then cleared), each keystroke timed from its
# input event to the frame after the one that drew the narrowed cards, and
# to a task after it (behind the stream's events queued by then).
#   scripts/fleet-page-scale.sh [N...]     (default 10 100 500)
# RUNS (default 5), SETTLE (seconds, default 15), WINDOW (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
settle=${SETTLE:-15}
window=${WINDOW:-20}
tools=${XDG_CACHE_HOME:-$HOME/.cache}/sensehat-tools/bin
export PATH=$tools:$PATH
for t in nats-server go curl chromium; do
	command -v "$t" >/dev/null || {
		echo "fleet-page-scale: $t not found" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
cleanup() {
	stop_all
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/sensehat" ./cmd/sensehat
go build -o "$tmp/fleetpage" ./scripts/fleetpage
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

printf '%s, %s; %d cores; filter typed %s times\n' "$(nats-server --version)" "$(chromium --version 2>/dev/null)" "$(nproc)" "$runs"
printf '| devices | listed, first page drawn | renderer of the page, PSS | all of Chromium, PSS (RSS) | JS heap, elements | event stream | filter: input to next frame, median / max (keys) | keys that changed the page shown | input to a task after that frame | script (input to handler end) | load average |\n'
printf '|---:|---:|---:|---:|---:|---:|---|---|---|---|---|\n'
if [ $# -eq 0 ]; then set -- 10 100 500; fi
for n in "$@"; do
	port=$(freeport)
	nats-server -a 127.0.0.1 -p "$port" >"$tmp/server.log" 2>&1 &
	pids+=($!)
	url=nats://127.0.0.1:$port
	for _ in $(seq 100); do grep -q 'Server is ready' "$tmp/server.log" && break; sleep 0.1; done
	"$tmp/sensehat" simulate --devices "$n" --nats "$url" >"$tmp/sim.out" 2>"$tmp/sim.err" &
	pids+=($!)
	for _ in $(seq 600); do grep -q '^simulating' "$tmp/sim.out" && break; sleep 0.1; done
	grep -q '^simulating' "$tmp/sim.out" || {
		cat "$tmp/sim.err" >&2
		echo "fleet-page-scale: $n devices did not start in 60s" >&2
		exit 1
	}
	hport=$(freeport)
	"$tmp/sensehat" web --nats "$url" --http "127.0.0.1:$hport" >"$tmp/web.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$hport/api/info" >/dev/null && break; sleep 0.1; done
	"$tmp/fleetpage" --url "http://127.0.0.1:$hport" --devices "$n" --runs "$runs" --settle "${settle}s" --window "${window}s"
	stop_all
done
