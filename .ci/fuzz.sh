#!/usr/bin/env bash
# .ci/fuzz.sh: runs every fuzz target in the module briefly and prints how
# many inputs each one executed. FUZZTIME (default 10s) sets the time per
# target. A failing target leaves its input in the package's
# testdata/fuzz/<Target>/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-10s}
GO=${GO:-go}

# `go test -list` prints a package's matching names, then "ok <package>".
targets=()
names=()
while read -r first second _; do
	case $first in
	Fuzz*) names+=("$first") ;;
	ok)
		for n in "${names[@]}"; do
			targets+=("$second $n")
		done
		names=()
		;;
	*) names=() ;;
	esac
done < <("$GO" test -list '^Fuzz' ./... 2>/dev/null)

if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

summary=()
status=0
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "=== $name ($pkg, $FUZZTIME)"
	log=$(mktemp)
	if "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1 | tee "$log"; then
		result=ok
	else
		result=FAILED
		status=1
	fi
	# The last progress line carries the total: "execs: N (M/sec)".
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	rm -f "$log"
	summary+=("$(printf '%-16s %-48s %12s execs  %s' "$name" "$pkg" "${execs:-?}" "$result")")
done

echo
echo "=== fuzz summary ($FUZZTIME each)"
printf '%s\n' "${summary[@]}"
exit "$status"
