#!/usr/bin/env bash
# scripts/fuzz.sh: the fuzz targets of the module, in one of two modes.
#
#   scripts/fuzz.sh                 CI: runs every target on its committed seed
#                               corpus (testdata/fuzz/<Target>/ and f.Add)
#                               and nothing else, so the result is the same
#                               on every run: a check never fails because a
#                               fuzzer happened to find an old bug today.
#   FUZZTIME=3m scripts/fuzz.sh     `make fuzz`: fuzzes every target for FUZZTIME
#                               each, printing the executions. Run it before
#                               handing in a change to the parsers.
#
# A failing target in the second mode leaves its input in the package's
# testdata/fuzz/<Target>/: fix the bug, keep the input, commit both, so the
# first mode checks it from then on. GO picks the go command (default go),
# PKGS the packages (default ./...), FUZZMINIMIZETIME how long the fuzzer
# may shrink each new input (default 10s; go's own 60s spends most of a
# few minutes shrinking kilobyte-long texts instead of fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-10s}
GO=${GO:-go}
read -r -a pkgs <<<"${PKGS:-./...}"

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
done < <("$GO" test -list '^Fuzz' "${pkgs[@]}" 2>/dev/null)

if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

# corpus_size prints how many committed inputs a target has.
corpus_size() {
	local dir
	dir=$("$GO" list -f '{{.Dir}}' "$1")/testdata/fuzz/$2
	if [ -d "$dir" ]; then
		find "$dir" -type f | wc -l | tr -d ' '
	else
		echo 0
	fi
}

summary=()
status=0
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	log=$(mktemp)
	if [ -z "$FUZZTIME" ]; then
		echo "=== $name ($pkg, seed corpus)"
		# -count=1: a cached pass would not show that the corpus ran.
		if "$GO" test -count=1 -run "^${name}\$" "$pkg" 2>&1 | tee "$log"; then
			result=ok
		else
			result=FAILED
			status=1
		fi
		summary+=("$(printf '%-16s %-48s %6s committed inputs  %s' "$name" "$pkg" "$(corpus_size "$pkg" "$name")" "$result")")
	else
		echo "=== $name ($pkg, $FUZZTIME)"
		if "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" 2>&1 | tee "$log"; then
			result=ok
		else
			result="FAILED: the input is in $("$GO" list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$name; fix the bug and commit it"
			status=1
		fi
		# The last progress line carries the total: "execs: N (M/sec)".
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
		summary+=("$(printf '%-16s %-48s %12s execs  %s' "$name" "$pkg" "${execs:-?}" "$result")")
	fi
	rm -f "$log"
done

echo
if [ -z "$FUZZTIME" ]; then
	echo "=== fuzz summary (seed corpora only; FUZZTIME=3m or make fuzz to fuzz)"
else
	echo "=== fuzz summary ($FUZZTIME each)"
fi
printf '%s\n' "${summary[@]}"
exit "$status"
