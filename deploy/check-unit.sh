#!/bin/sh
# check-unit.sh BINARY [TOOL]: checks deploy/sensehatd.service with
# systemd-analyze, and with TOOL (the built sensehat) also the hub's
# deploy/nats/sensehat-catchup.service (verify and security alike).
#
#   verify    the unit parses, every directive is known, and the unit loads.
#   security  the exposure score stays at or below THRESHOLD (0-100 scale,
#             where systemd shows 2.0 for 20; default 20).
#   limits    MemoryMax=, GOGC, GOMEMLIMIT and TasksMax= are the measured ones.
#
# systemd-analyze verify refuses a unit whose ExecStart= binary is missing,
# and on a build machine /usr/bin/sensehatd does not exist. So the check
# works on a copy of the unit in a temporary directory with ExecStart=
# pointing at the freshly built BINARY; everything else is unchanged.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
unit="$here/sensehatd.service"
threshold=${THRESHOLD:-20}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 BINARY [TOOL]   (the built sensehatd and sensehat, e.g. bin/sensehatd bin/sensehat)" >&2
	exit 2
fi
absolute() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$(pwd)/$1" ;;
	esac
}
bin=$(absolute "$1")
tool=
[ $# -eq 2 ] && tool=$(absolute "$2")
for b in "$bin" $tool; do
	if [ ! -x "$b" ]; then
		echo "check-unit: $b is not an executable; run make build first" >&2
		exit 1
	fi
done
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "check-unit: systemd-analyze not found; install systemd" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
sed "s|^ExecStart=/usr/bin/sensehatd|ExecStart=$bin|" "$unit" >"$tmp/sensehatd.service"
if ! grep -q "^ExecStart=$bin" "$tmp/sensehatd.service"; then
	echo "check-unit: no ExecStart=/usr/bin/sensehatd line in $unit" >&2
	exit 1
fi

# The resource limits are sized from measurements (scripts/flood-rss.sh,
# RELIABILITY.md): a change must come with new figures, so they are pinned.
echo "== resource limits"
for want in MemoryMax=128M Environment=GOGC=50 Environment=GOMEMLIMIT=64MiB TasksMax=64; do
	if ! grep -qx "$want" "$unit"; then
		echo "check-unit: $unit lacks the line $want; if the limits changed, rerun scripts/flood-rss.sh, update RELIABILITY.md and this check" >&2
		exit 1
	fi
done
echo "ok"

# analyze UNIT NAME: verify (any output about NAME is a finding) and the
# exposure score, on a copy whose ExecStart= names a built binary.
analyze() {
	echo "== systemd-analyze verify $2"
	# verify prints warnings and still exits 0 for some of them; any output is a
	# finding worth fixing, so output fails the check too.
	if ! out=$(systemd-analyze verify "$1" 2>&1); then
		printf '%s\n' "$out"
		echo "check-unit: systemd-analyze verify of $2 failed" >&2
		exit 1
	fi
	# Warnings about other units installed on this machine are not ours.
	ours=$(printf '%s\n' "$out" | grep "$2" || true)
	if [ -n "$ours" ]; then
		printf '%s\n' "$ours"
		echo "check-unit: systemd-analyze verify reported problems in $2" >&2
		exit 1
	fi
	echo "ok"

	echo "== systemd-analyze security $2 (threshold $threshold)"
	if ! out=$(systemd-analyze security --offline=true --threshold="$threshold" "$1" 2>&1); then
		printf '%s\n' "$out"
		echo "check-unit: exposure of $2 above $threshold (shown as $((threshold / 10)).$((threshold % 10))); tighten the unit" >&2
		exit 1
	fi
	printf '%s\n' "$out" | grep -E 'Overall exposure level' || printf '%s\n' "$out" | tail -n 1
}

analyze "$tmp/sensehatd.service" sensehatd
[ -n "$tool" ] || exit 0

catchup="$here/nats/sensehat-catchup.service"
sed "s|^ExecStart=/usr/local/bin/sensehat |ExecStart=$tool |" "$catchup" >"$tmp/sensehat-catchup.service"
if ! grep -q "^ExecStart=$tool " "$tmp/sensehat-catchup.service"; then
	echo "check-unit: no ExecStart=/usr/local/bin/sensehat line in $catchup" >&2
	exit 1
fi
analyze "$tmp/sensehat-catchup.service" sensehat-catchup
