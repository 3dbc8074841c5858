#!/bin/bash
# Builds every libFuzzer target and runs tests/fuzz/run.sh check on each: the
# whole corpus (seeds and every crash ever found, tests/fuzz/corpus/NAME/)
# replayed, then a fixed number of inputs from a fixed seed, so a parser
# regression fails 'make check' and every clone gets the same verdict.
. "$(dirname "$0")/lib.sh"
cd "$E2E_ROOT" || exit 1
# stderr apart: under make -j the jobserver warning lands there.
if ! targets=$(make -s --no-print-directory -f Makefile print-fuzz-targets 2>"$T_DIR/targets.err"); then
	echo "not ok 1 - make print-fuzz-targets failed"
	sed 's/^/#   /' "$T_DIR/targets.err"
	exit 1
fi
if [ -z "$targets" ]; then
	echo "ok 1 - no fuzz targets yet # SKIP"
	exit 0
fi
ok "fuzz targets build with clang-14 and libFuzzer" make -s -j2 fuzz-build
[ "$T_FAILED" -eq 0 ] || exit 1
# run.sh numbers its own lines from 1; this suite's numbering is its own.
# shellcheck disable=SC2086
sh tests/fuzz/run.sh check $targets | sed "s/^ok [0-9]*/ok/; s/^not ok [0-9]*/not ok/"
exit "${PIPESTATUS[0]}"
