#!/usr/bin/env bash
# fleet-scale.sh: what a fleet of N devices costs the hub, and how long
# discovery takes, with `sensehat simulate` as the fleet.
#
# For each N: a nats-server (the pinned one; a plain hub, every device
# connected to it directly, no JetStream) on a free loopback port;
# `sensehat simulate --devices N` at the default rates (ten motion, one
# env and one colour reading a second per device); once every device
# serves and a settling time has passed, the messages the hub receives a
# second (/varz; twelve readings a second per device expected), its CPU (utime+stime from
# /proc/PID/stat over a window) and RSS, then the discovery rounds:
# `sensehat status` (one $SRV.PING round, then a status request per
# device) timed and its rows counted, and `sensehat web`, polled on
# /fleet/devices until every device is listed with a status.
#   scripts/fleet-scale.sh [N...]          (default 10 100 500)
# WINDOW (seconds, default 20) and SETTLE (default 10) tune the sampling.
set -euo pipefail
cd "$(dirname "$0")/.."
window=${WINDOW:-20}
settle=${SETTLE:-10}
tools=${XDG_CACHE_HOME:-$HOME/.cache}/sensehat-tools/bin
export PATH=$tools:$PATH
command -v nats-server >/dev/null || { echo "fleet-scale: nats-server not found (make it with .ci/run)" >&2; exit 1; }
command -v curl >/dev/null || { echo "fleet-scale: curl not found" >&2; exit 1; }
hz=$(getconf CLK_TCK)

tmp=$(mktemp -d)
spid='' simpid='' webpid=''
stop_all() {
	for p in "$webpid" "$simpid" "$spid"; do
		if [ -n "$p" ]; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	webpid='' simpid='' spid=''
}
cleanup() {
	stop_all
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/sensehat" ./cmd/sensehat

freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
now_ms() { date +%s%3N; }
# in_msgs: messages the server received so far (its /varz).
in_msgs() { curl -s "http://127.0.0.1:$1/varz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["in_msgs"])'; }

printf '%s on %s, %d cores; window %ss after %ss settling\n' "$(nats-server --version)" "$(uname -m)" "$(nproc)" "$window" "$settle"
printf '| devices | messages/s into the hub (expected) | hub CPU (%% of a core) | hub CPU per device | hub RSS MiB | simulator CPU %% | simulator RSS MiB | status: rows, time | web: all listed after |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---|---:|\n'
if [ $# -eq 0 ]; then set -- 10 100 500; fi
for n in "$@"; do
	{
		port=$(freeport)
		mport=$(freeport)
		nats-server -a 127.0.0.1 -p "$port" -m "$mport" >"$tmp/server.log" 2>&1 &
		spid=$!
		url=nats://127.0.0.1:$port
		for _ in $(seq 100); do grep -q 'Server is ready' "$tmp/server.log" && break; sleep 0.1; done
		"$tmp/sensehat" simulate --devices "$n" --nats "$url" >"$tmp/sim.out" 2>"$tmp/sim.err" &
		simpid=$!
		for _ in $(seq 600); do grep -q '^simulating' "$tmp/sim.out" && break; sleep 0.1; done
		grep -q '^simulating' "$tmp/sim.out" || { cat "$tmp/sim.err" >&2; echo "fleet-scale: $n devices did not start in 60s" >&2; exit 1; }
		sleep "$settle"
		h0=$(ticks "$spid") s0=$(ticks "$simpid") m0=$(in_msgs "$mport")
		sleep "$window"
		h1=$(ticks "$spid") s1=$(ticks "$simpid") m1=$(in_msgs "$mport")
		rate=$(((m1 - m0) / window))
		hub_pct=$(awk -v d=$((h1 - h0)) -v hz="$hz" -v w="$window" 'BEGIN{printf "%.1f", 100*d/hz/w}')
		per_dev=$(awk -v p="$hub_pct" -v n="$n" 'BEGIN{printf "%.3f", p/n}')
		sim_pct=$(awk -v d=$((s1 - s0)) -v hz="$hz" -v w="$window" 'BEGIN{printf "%.1f", 100*d/hz/w}')
		hub_rss=$(rss_mib "$spid") sim_rss=$(rss_mib "$simpid")

		t0=$(now_ms)
		rows=$("$tmp/sensehat" status --nats "$url" | grep -c '^sim-' || true)
		status_ms=$(($(now_ms) - t0))

		hport=$(freeport)
		t0=$(now_ms)
		"$tmp/sensehat" web --nats "$url" --http "127.0.0.1:$hport" >"$tmp/web.log" 2>&1 &
		webpid=$!
		listed=
		for _ in $(seq 1200); do
			got=$(curl -s "http://127.0.0.1:$hport/fleet/devices" | python3 -c 'import json,sys
try: print(sum(1 for d in json.load(sys.stdin) if d.get("status")))
except Exception: print(0)' 2>/dev/null || echo 0)
			if [ "$got" -ge "$n" ]; then listed=$(($(now_ms) - t0)); break; fi
			sleep 0.05
		done
		web="not within 60 s"
		[ -z "$listed" ] || web="$listed ms"
		printf '| %d | %d (%d) | %s | %s | %s | %s | %s | %d rows, %d ms | %s |\n' "$n" "$rate" $((n * 12)) "$hub_pct" "$per_dev" "$hub_rss" "$sim_pct" "$sim_rss" "$rows" "$status_ms" "$web"
		stop_all
	}
done
