#!/bin/sh
# check-unit.sh BINARY: checks deploy/sensehatd.service with systemd-analyze.
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

if [ $# -ne 1 ]; then
	echo "usage: $0 BINARY   (the built sensehatd, e.g. bin/sensehatd)" >&2
	exit 2
fi
bin=$1
case $bin in
/*) ;;
*) bin="$(pwd)/$bin" ;;
esac
if [ ! -x "$bin" ]; then
	echo "check-unit: $bin is not an executable; run make build first" >&2
	exit 1
fi
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

echo "== systemd-analyze verify"
# verify prints warnings and still exits 0 for some of them; any output is a
# finding worth fixing, so output fails the check too.
if ! out=$(systemd-analyze verify "$tmp/sensehatd.service" 2>&1); then
	printf '%s\n' "$out"
	echo "check-unit: systemd-analyze verify failed" >&2
	exit 1
fi
# Warnings about other units installed on this machine are not ours.
ours=$(printf '%s\n' "$out" | grep 'sensehatd' || true)
if [ -n "$ours" ]; then
	printf '%s\n' "$ours"
	echo "check-unit: systemd-analyze verify reported problems" >&2
	exit 1
fi
echo "ok"

echo "== systemd-analyze security (threshold $threshold)"
if ! out=$(systemd-analyze security --offline=true --threshold="$threshold" "$tmp/sensehatd.service" 2>&1); then
	printf '%s\n' "$out"
	echo "check-unit: exposure above $threshold (shown as $((threshold / 10)).$((threshold % 10))); tighten the unit" >&2
	exit 1
fi
printf '%s\n' "$out" | grep -E 'Overall exposure level' || printf '%s\n' "$out" | tail -n 1
