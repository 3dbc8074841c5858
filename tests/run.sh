#!/bin/sh
# Runs every unit test program and every end-to-end script, each printing TAP
# lines ("ok N - what" / "not ok N - what"), and ends with the one summary
# line "N passed, N failed", plus ", N skipped" when any check was skipped.
# A skip ("ok N - what # SKIP why"; cmocka prints "not ok N # SKIP what") is
# neither a pass nor a failure; a run with no pass fails.  TESTS=pattern runs
# only matching suites.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
pattern=${TESTS:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP
# The TAP directive "# SKIP" (any case) after "ok N" or its description, and
# a line of $log ("suite: ok ...", suite names have no spaces) that has it.
directive='#[[:space:]]*[Ss][Kk][Ii][Pp]([^[:alnum:]_]|$)'
skip="^[^ ]*: (not )?ok .*$directive"

run_suite() {
	name=$1
	shift
	case "$name" in *"$pattern"*) ;; *) return 0 ;; esac
	echo "# suite $name"
	out=$(mktemp)
	timeout 900 "$@" >"$out" 2>&1
	status=$?
	cat "$out"
	grep -E '^(not )?ok ' "$out" | sed "s|^|$name: |" >>"$log"
	if [ $status -ne 0 ] && ! grep -E '^not ok ' "$out" | grep -qvE "$directive"; then
		echo "not ok - $name exited with status $status"
		echo "$name: not ok - exited with status $status" >>"$log"
	fi
	rm -f "$out"
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.d) continue ;; esac
	run_suite "unit/$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
	[ "$(basename "$t")" = lib.sh ] && continue
	run_suite "e2e/$(basename "$t" .sh)" bash "$t"
done

skipped=$(grep -cE "$skip" "$log")
passed=$(grep -vE "$skip" "$log" | grep -c '^[^ ]*: ok ')
failed=$(grep -vE "$skip" "$log" | grep -c '^[^ ]*: not ok ')
if [ "$skipped" -gt 0 ]; then
	echo "# skipped:"
	grep -E "$skip" "$log"
fi
if [ "$failed" -gt 0 ]; then
	echo "# failures:"
	grep -vE "$skip" "$log" | grep '^[^ ]*: not ok '
fi
summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
