#!/usr/bin/env bash
# flood-rss.sh: how much memory and how many threads sensehatd uses under
# each flood, to size MemoryMax= and TasksMax= in deploy/sensehatd.service.
#
# Builds the daemon and scripts/flood, starts a nats-server with the example
# configuration (deploy/nats) on a free loopback port, runs the daemon on
# the simulated HAT as device user pi1 (GOMAXPROCS=4 by default, the cores
# of a Pi 2 to 5), and floods it as the laptop user, one kind after the
# other and then all at once. Every 100 ms it reads VmRSS, VmHWM and Threads
# from /proc/<pid>/status. Prints, per phase, the highest RSS and thread
# count seen, the daemon's peak RSS (VmHWM) at the end, and checks that the
# daemon is still alive and answers status after every phase.
#   scripts/flood-rss.sh            (about 2 minutes)
#   SCALE=10 scripts/flood-rss.sh   (ten times the requests)
#   KEEP=1 scripts/flood-rss.sh     (keep the logs and samples)
# The daemon runs with the GOGC and GOMEMLIMIT of deploy/sensehatd.service,
# as it ships; GOGC=100 GOMEMLIMIT=off scripts/flood-rss.sh runs it at the
# Go runtime's defaults instead (the build, the server and the flood tool
# always run at the defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${SCALE:-1}
unitenv() { sed -n "s/^Environment=$1=//p" deploy/sensehatd.service; }
gogc=${GOGC:-$(unitenv GOGC)}
memlimit=${GOMEMLIMIT:-$(unitenv GOMEMLIMIT)}
unset GOGC GOMEMLIMIT
tools=${XDG_CACHE_HOME:-$HOME/.cache}/sensehat-tools/bin
export PATH=$tools:$PATH
for t in nats-server nats go; do
	command -v "$t" >/dev/null || {
		echo "flood-rss: $t not found (.ci/run installs nats-server and nats)" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
spid=
dpid=
mpid=
cleanup() {
	local p
	for p in "$mpid" "$dpid" "$spid"; do
		if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi
	done
	wait 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then
		echo "flood-rss: logs and samples kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

echo "== building"
go build -trimpath -o "$tmp/sensehatd" ./cmd/sensehatd
go build -o "$tmp/flood" ./scripts/flood

: >"$tmp/server.log"
nats-server -c deploy/nats/nats-server.conf -a 127.0.0.1 -p -1 >"$tmp/server.log" 2>&1 &
spid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/server.log")
	[ -z "$port" ] || break
	sleep 0.1
done
[ -n "$port" ] || {
	cat "$tmp/server.log" >&2
	echo "flood-rss: nats-server did not start" >&2
	exit 1
}
url=nats://127.0.0.1:$port
laptop=(--nats "$url" --user laptop --password change-me-laptop --id pi1)

GOGC=${gogc:-100} GOMEMLIMIT=${memlimit:-off} GOMAXPROCS=${GOMAXPROCS:-4} "$tmp/sensehatd" --nats "$url" --user pi1 --password change-me-pi1 --id pi1 \
	--display sim --joystick sim --sensors sim --env-interval 1s --motion-interval 100ms \
	--state-dir "$tmp" --log-level warn 2>>"$tmp/daemon.log" &
dpid=$!

# status_ok: the daemon answers a status request, within 30 s (a loaded
# machine may be slow to start the nats CLI).
status_ok() {
	local i
	for i in 1 2 3 4 5 6; do
		if nats --server "$url" --user laptop --password change-me-laptop --timeout 5s \
			req sensehat.pi1.status '' 2>/dev/null | grep -q '"id": *"pi1"'; then
			[ "$i" -eq 1 ] || echo "flood-rss: status answered at attempt $i"
			return 0
		fi
	done
	return 1
}
for _ in $(seq 10); do
	status_ok && break
	kill -0 "$dpid" 2>/dev/null || {
		cat "$tmp/daemon.log" >&2
		echo "flood-rss: the daemon exited" >&2
		exit 1
	}
	sleep 0.2
done
status_ok || {
	echo "flood-rss: the daemon does not answer status" >&2
	exit 1
}

# The sampler writes "phase rss_kB hwm_kB threads" lines; the phase comes
# from a file the phases below rewrite.
echo idle >"$tmp/phase"
(
	while kill -0 "$dpid" 2>/dev/null; do
		awk -v phase="$(cat "$tmp/phase")" '
			/^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 } /^Threads:/ { th = $2 }
			END { if (rss != "") print phase, rss, hwm, th }
		' "/proc/$dpid/status" 2>/dev/null >>"$tmp/samples" || true
		sleep 0.1
	done
) &
mpid=$!

phase() { # name command...
	local name=$1
	shift
	echo "$name" >"$tmp/phase.new"
	mv "$tmp/phase.new" "$tmp/phase"
	echo "== $name"
	echo "== $name" >>"$tmp/daemon.log"
	"$@"
	sleep 1 # let the daemon settle into the samples of this phase
	kill -0 "$dpid" 2>/dev/null || {
		cat "$tmp/daemon.log" >&2
		echo "flood-rss: the daemon died during $name" >&2
		exit 1
	}
	status_ok || {
		tail -n 20 "$tmp/daemon.log" >&2
		echo "flood-rss: the daemon does not answer status after $name" >&2
		exit 1
	}
}
flood() { "$tmp/flood" "${laptop[@]}" "$@"; }

phase idle sleep 5
phase "texts" flood --kind text --count $((100000 * scale))
phase "texts to all" flood --kind all --count $((20000 * scale))
phase "texts to any" flood --kind any --count $((20000 * scale))
phase "status" flood --kind status --count $((50000 * scale))
phase "pixels 1 MB JSON" flood --kind pixels --count $((1000 * scale))
phase "pixels 1 MB bad JSON" flood --kind pixels-bad --count $((300 * scale))
mix() {
	local pids=() p rc=0
	flood --kind text --count $((50000 * scale)) & pids+=($!)
	flood --kind all --count $((10000 * scale)) & pids+=($!)
	flood --kind status --count $((20000 * scale)) & pids+=($!)
	flood --kind pixels --count $((500 * scale)) & pids+=($!)
	flood --kind pixels-bad --count $((200 * scale)) & pids+=($!)
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	return "$rc"
}
phase "all at once" mix
phase "idle after" sleep 10

echo idle-end >"$tmp/phase.new"
mv "$tmp/phase.new" "$tmp/phase"
sleep 0.3
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$dpid/status")
kill "$mpid" 2>/dev/null || true
wait "$mpid" 2>/dev/null || true
mpid=

echo
echo "== sensehatd under floods (GOMAXPROCS=${GOMAXPROCS:-4}, GOGC=${gogc:-100}, GOMEMLIMIT=${memlimit:-off}, $(go env GOARCH), $(nproc) cores)"
awk '
	$1 == "idle-end" || NF < 4 { next }
	{
		# The phase name may have spaces: the last three fields are numbers.
		th = $NF; hwm = $(NF-1); rss = $(NF-2)
		$NF = ""; $(NF-1) = ""; $(NF-2) = ""
		sub(/ +$/, "")
		if (!($0 in seen)) { seen[$0] = 1; order[++n] = $0 }
		if (rss > maxrss[$0]) maxrss[$0] = rss
		if (th > maxth[$0]) maxth[$0] = th
	}
	END {
		printf "%-22s %14s %12s\n", "phase", "max RSS (MiB)", "max threads"
		for (i = 1; i <= n; i++) printf "%-22s %14.1f %12d\n", order[i], maxrss[order[i]] / 1024, maxth[order[i]]
	}
' "$tmp/samples"
awk -v h="$hwm" 'BEGIN { printf "peak RSS (VmHWM): %.1f MiB\n", h / 1024 }'
# A flood can outrun the daemon's reading: the server then closes its
# connection as a slow consumer and the daemon reconnects. Replies to
# requests of the old connection were refused under allow_responses (per
# connection); a device answers on _INBOX.> now, so this count should be
# 0. Counted, not failed: a refusal sheds load, it loses no reading.
disc=$(grep -c 'disconnected from NATS' "$tmp/daemon.log" || true)
refused=$(grep -c 'Permissions Violation for Publish to \\"_INBOX' "$tmp/daemon.log" || true)
other=$(grep 'Permissions Violation' "$tmp/daemon.log" | grep -vc 'Publish to \\"_INBOX' || true)
slow=$(grep -c 'Slow Consumer Detected' "$tmp/server.log" || true)
echo "server closed the daemon's connection as a slow consumer: $slow times (daemon reconnects: $disc)"
echo "replies refused because their request came on a closed connection: $refused"
if [ "$other" -ne 0 ]; then
	grep 'Permissions Violation' "$tmp/daemon.log" | grep -v 'Publish to \\"_INBOX' | head -3 >&2
	echo "flood-rss: the daemon hit a permissions violation other than a late reply" >&2
	exit 1
fi
