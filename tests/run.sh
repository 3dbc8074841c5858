#!/bin/sh
# Runs every unit test program and every end-to-end script, each printing TAP
# lines ("ok N - what" / "not ok N - what"), and ends with the one summary
# line "N passed, N failed".  TESTS=pattern runs only matching suites.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
pattern=${TESTS:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP

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
	if [ $status -ne 0 ] && ! grep -q '^not ok ' "$out"; then
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

passed=$(grep -c ': ok ' "$log")
failed=$(grep -c ': not ok ' "$log")
if [ "$failed" -gt 0 ]; then
	echo "# failures:"
	grep ': not ok ' "$log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
