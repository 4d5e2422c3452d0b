#!/usr/bin/env bash
# fleet-hostile.sh: what a hostile device costs `sensehat web`.
#
# Starts a nats-server on a free loopback port, `sensehat web` against it,
# a simulated daemon (pi1), a device that answers discovery and nothing
# else (mute), and scripts/hostile as evil: 1,000 made-up kinds of 100 KB
# readings for 3 rounds, the contract's kinds padded to 100 KB with numbers
# no sensor gives. Then prints the page's peak RSS (VmHWM), the size of
# /fleet/devices, /fleet/limits' accounting, and how long "clear all"
# takes to show pi1's reply and to end.
#   scripts/fleet-hostile.sh
#   ROUNDS=10 scripts/fleet-hostile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${XDG_CACHE_HOME:-$HOME/.cache}/sensehat-tools/bin
export PATH=$tools:$PATH
for t in nats-server go curl python3; do
	command -v "$t" >/dev/null || {
		echo "fleet-hostile: $t not found" >&2
		exit 1
	}
done
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

go build -o "$tmp/sensehat" ./cmd/sensehat
go build -o "$tmp/sensehatd" ./cmd/sensehatd
go build -o "$tmp/hostile" ./scripts/hostile
np=$(port)
hp=$(port)
nats-server -a 127.0.0.1 -p "$np" >"$tmp/nats.log" 2>&1 &
pids+=($!)
url=nats://127.0.0.1:$np
sleep 0.5
"$tmp/sensehat" web --nats "$url" --http "127.0.0.1:$hp" >"$tmp/web.log" 2>&1 &
web=$!
pids+=("$web")
"$tmp/sensehatd" --nats "$url" --id pi1 --display sim --joystick sim --sensors sim --state-dir "$tmp/pi1" >"$tmp/pi1.log" 2>&1 &
pids+=($!)
"$tmp/hostile" --nats "$url" --id mute --mute >/dev/null 2>&1 &
pids+=($!)
base=http://127.0.0.1:$hp
for _ in $(seq 100); do
	n=$(curl -fs "$base/fleet/devices" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0)
	[ "$n" -ge 2 ] && break
	sleep 0.2
done
rss() { awk '/^(VmRSS|VmHWM)/ {printf "%s %d MB  ", $1, $2/1024}' "/proc/$web/status"; }
echo "before: $(rss)"
"$tmp/hostile" --nats "$url" --id evil --rounds "${ROUNDS:-3}" >"$tmp/hostile.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do grep -q ready "$tmp/hostile.log" && break; sleep 0.2; done
sleep 6 # a discovery round and more
echo "after:  $(rss)"
echo "/fleet/devices: $(curl -fs "$base/fleet/devices" | wc -c) bytes"
curl -fs "$base/fleet/limits" | python3 -c 'import json,sys; l=json.load(sys.stdin); print("limits:", {k: l[k] for k in ("devices","ring_bytes","device_ring_bytes","dropped","refused")})' || echo "limits: none (no /fleet/limits)"
python3 - "$base" <<'PY'
import sys, time, urllib.request
base = sys.argv[1]
req = urllib.request.Request(base + "/fleet/clear", data=b"to=all", headers={"Accept": "application/x-ndjson", "Origin": base, "Content-Type": "application/x-www-form-urlencoded"})
t0 = time.time()
first = None
with urllib.request.urlopen(req) as r:
    for line in r:
        if b'"from":"pi1"' in line and first is None:
            first = time.time() - t0
        print("  ", line.decode().strip()[:120])
print("clear all: pi1's reply after %.3f s, the answer ended after %.3f s" % (first or -1, time.time() - t0))
PY
