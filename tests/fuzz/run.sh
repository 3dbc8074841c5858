#!/bin/sh
# Runs each named libFuzzer target (built by 'make fuzz-build') for
# FUZZ_SECONDS seconds on a copy of its seed corpus; prints one TAP line each.
set -u
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
n=0
failed=0
for name in "$@"; do
	n=$((n + 1))
	work=$(mktemp -d)
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
	if build/fuzz/fuzz/"$name" -max_total_time="$seconds" -max_len=4096 \
	    -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
		echo "ok $n - fuzz $name for ${seconds}s: $(grep -c . "$work.log") log lines, no crash"
	else
		echo "not ok $n - fuzz $name found a crash"
		grep -E 'ERROR|SUMMARY|artifact' "$work.log" | head -10 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
	rm -rf "$work" "$work.log"
done
[ "$failed" -eq 0 ]
