#!/usr/bin/env bash
# catchup.sh: how long a Pi's store-and-forward backlog takes to reach the
# hub after the hub restarts, for the candidates side by side
# (RELIABILITY.md, "Catching up after a hub restart"). Each run starts a hub
# configured by `sensehat fleet` and PIS Pis behind leaf nodes of their
# own, stops the hub, stores an hour of readings at the default rates in
# every Pi's stream, starts the hub and times it until the hub stream holds
# every reading (TestCatchUpCandidates in internal/e2e). Candidates, run
# in turn ROUNDS times:
#   A  nats-server alone (its own retry, about 40 s)
#   B  durable sourcing consumers on the Pis (nats-server 2.14+ on the Pi)
#   C  sensehat catchup beside the hub (what deploy/nats ships)
#   D  C with one source per Pi (as cluster/streams.sh makes them) instead
#      of the eight filtered ones `sensehat fleet` sets
#   scripts/catchup.sh [PIS [ROUNDS [CANDIDATES [pinned|apt]]]]
#                                   (default 1 2 ABC pinned)
# CHECK=1 also reads every hub stream back and checks each reading is
# there once, in order. The figures, with the load average before and
# after, are the last lines of the output.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${XDG_CACHE_HOME:-$HOME/.cache}/sensehat-tools/bin
export PATH=$tools:$PATH
command -v nats-server >/dev/null || { echo "catchup: nats-server not found (make the tools with .ci/run)" >&2; exit 1; }
pis=${1:-1} rounds=${2:-2} cands=${3:-ABC} leaf=${4:-pinned}
export SENSEHAT_CATCHUP_BENCH="$pis,$rounds,$cands,$leaf"
[ -z "${CHECK:-}" ] || export SENSEHAT_CATCHUP_CHECK=1
go test -count=1 -timeout 60m -run 'TestCatchUpCandidates$' -v ./internal/e2e/ 2>&1 |
	grep -E 'catchup_process_test.go|^(--- |PASS|FAIL|ok)'
