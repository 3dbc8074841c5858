#!/bin/bash
# Builds every libFuzzer target and runs each briefly on its seed corpus, so
# a parser regression that crashes shows up in 'make check'.
. "$(dirname "$0")/lib.sh"
cd "$E2E_ROOT" || exit 1
targets=$(make -s -f Makefile print-fuzz-targets 2>/dev/null)
if [ -z "$targets" ]; then
	echo "ok 1 - no fuzz targets yet # SKIP"
	exit 0
fi
ok "fuzz targets build with clang-14 and libFuzzer" make -s fuzz-build
FUZZ_SECONDS=${FUZZ_SECONDS:-20} sh tests/fuzz/run.sh $targets | sed "s/^ok [0-9]*/ok/; s/^not ok [0-9]*/not ok/"
