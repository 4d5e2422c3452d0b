#!/usr/bin/env bash
# fleet-store-scale.sh: what storing a fleet costs the hub cluster. For each
# N: the three nodes of deploy/nats/cluster on loopback (local.sh), N
# simulated Pis each behind a leaf node of its own with its stream
# (`sensehat simulate --leaf`, one process), the hub stream SENSEHAT
# sourcing all N (streams.sh, three replicas); after SETTLE seconds, over
# WINDOW seconds: readings stored a second (the stream's last sequence),
# each node's CPU (utime+stime of /proc/PID/stat) and RSS, and the bytes a
# stored reading takes on the hub. The stream keeps a day of each kind
# (SENSEHAT_KEEP, SENSEHAT_PER_SUBJECT=86400) so that 100 Pis' budget fits the
# nodes' 16 GB; what a reading costs does not depend on how many are kept.
#   scripts/fleet-store-scale.sh [N...]     (default 10 50)
set -euo pipefail
cd "$(dirname "$0")/.."
window=${WINDOW:-20}
settle=${SETTLE:-20}
tools=${XDG_CACHE_HOME:-$HOME/.cache}/sensehat-tools/bin
export PATH=$tools:$PATH
for t in nats-server nats python3; do
	command -v "$t" >/dev/null || { echo "fleet-store-scale: $t not found (make the tools with .ci/run)" >&2; exit 1; }
done
hz=$(getconf CLK_TCK)
tmp=$(mktemp -d)
simpid=''
stop_all() {
	if [ -n "$simpid" ]; then
		kill "$simpid" 2>/dev/null || true
		wait "$simpid" 2>/dev/null || true
		simpid=''
	fi
	[ ! -d "$tmp/hub" ] || sh deploy/nats/cluster/local.sh stop "$tmp/hub"
	sleep 1
	rm -rf "$tmp/hub"
}
cleanup() {
	stop_all
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/sensehat" ./cmd/sensehat

# A block of 31 free ports for local.sh.
freebase() {
	python3 - <<'PY'
import socket, random
for _ in range(200):
    b = random.randrange(20000, 60000)
    try:
        ss = []
        for o in range(31):
            s = socket.socket(); s.bind(("127.0.0.1", b + o)); ss.append(s)
        print(b); break
    except OSError:
        pass
    finally:
        for s in ss: s.close()
PY
}
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# state URL: "<last seq> <msgs> <bytes>" of the hub stream.
state() {
	nats --server "$1" stream info SENSEHAT --json | python3 -c 'import json,sys
dec=json.JSONDecoder(); txt=sys.stdin.read(); i=0; seq=msgs=by=0
while i < len(txt):
    while i < len(txt) and txt[i].isspace(): i += 1
    if i >= len(txt): break
    d, i = dec.raw_decode(txt, i); st = d["state"]
    seq += st["last_seq"]; msgs += st["messages"]; by += st["bytes"]
print(seq, msgs, by)'
}

printf '%s on %s, %d cores; window %ss after %ss settling\n' "$(nats-server --version)" "$(uname -m)" "$(nproc)" "$window" "$settle"
printf '| Pis | readings stored/s (expected) | CPU %% of a core: node 1, 2, 3 | per Pi, per node | RSS MiB: node 1, 2, 3 | bytes per stored reading |\n'
printf '|---:|---:|---|---:|---|---:|\n'
if [ $# -eq 0 ]; then set -- 10 50; fi
for n in "$@"; do
	base=$(freebase)
	SENSEHAT_LEAF_PASSWORD=pw sh deploy/nats/cluster/local.sh start "$tmp/hub" "$base" >/dev/null
	url=nats://127.0.0.1:$base,nats://127.0.0.1:$((base + 1)),nats://127.0.0.1:$((base + 2))
	leaf=nats-leaf://sensehat-leaf:pw@127.0.0.1:$((base + 20)),nats-leaf://sensehat-leaf:pw@127.0.0.1:$((base + 21)),nats-leaf://sensehat-leaf:pw@127.0.0.1:$((base + 22))
	"$tmp/sensehat" simulate --devices "$n" --leaf "$leaf" >"$tmp/sim.out" 2>"$tmp/sim.err" &
	simpid=$!
	for _ in $(seq 1200); do grep -q '^simulating' "$tmp/sim.out" && break; sleep 0.1; done
	grep -q '^simulating' "$tmp/sim.out" || { cat "$tmp/sim.err" >&2; exit 1; }
	ids=$(for i in $(seq 1 "$n"); do printf 'sim-%04d ' "$i"; done)
	for _ in $(seq 60); do
		# shellcheck disable=SC2086 # one argument per id
		NATS_URL=$url SENSEHAT_KEEP=86400 SENSEHAT_PER_SUBJECT=86400 \
			sh deploy/nats/cluster/streams.sh $ids >"$tmp/streams.log" 2>&1 && break
		sleep 1
	done
	grep -q 'SENSEHAT created' "$tmp/streams.log" || { cat "$tmp/streams.log" >&2; exit 1; }
	sleep "$settle"
	pids=$(cat "$tmp/hub/hub-1.pid" "$tmp/hub/hub-2.pid" "$tmp/hub/hub-3.pid")
	read -r seq0 _ _ <<<"$(state "$url")"
	t0=''
	for p in $pids; do t0="$t0 $(ticks "$p")"; done
	sleep "$window"
	read -r seq1 msgs bytes <<<"$(state "$url")"
	t1=''
	for p in $pids; do t1="$t1 $(ticks "$p")"; done
	cpu=$(paste -d' ' <(tr ' ' '\n' <<<"${t0# }") <(tr ' ' '\n' <<<"${t1# }") |
		awk -v hz="$hz" -v w="$window" '{printf "%s%.1f", sep, 100*($2-$1)/hz/w; sep=", "}')
	per=$(awk -v c="$cpu" -v n="$n" 'BEGIN{split(c, a, ", "); printf "%.2f", (a[1]+a[2]+a[3])/3/n}')
	rss=''
	for p in $pids; do rss="$rss${rss:+, }$(rss_mib "$p")"; done
	printf '| %d | %d (%d) | %s | %s | %s | %d |\n' "$n" $(((seq1 - seq0) / window)) $((n * 12)) "$cpu" "$per" "$rss" $((bytes / (msgs > 0 ? msgs : 1)))
	stop_all
done
