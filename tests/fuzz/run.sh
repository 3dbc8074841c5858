#!/bin/sh
# Runs libFuzzer targets built by `make fuzz-build` (build/fuzz/fuzz/NAME),
# one at a time, one process each; prints one TAP line per target.
#
#   run.sh check NAME...    make check (tests/e2e/fuzz_smoke.sh): replays all of
#                           tests/fuzz/corpus/NAME/, then FUZZ_RUNS inputs from
#                           a fixed seed: the same inputs on every clone
#   run.sh explore NAME...  make fuzz: FUZZ_SECONDS of random exploration each
#
# Corpus layout, regress-* files and how to add a find: tests/fuzz/README.md.
# Per-target max_len: tests/fuzz/fuzz_NAME.options (default 4096).
set -u
cd "$(dirname "$0")/../.."
mode=${1:-}
[ $# -gt 0 ] && shift
case "$mode" in check | explore) ;; *)
	echo "usage: tests/fuzz/run.sh check|explore NAME..." >&2
	exit 2
esac

# Both modes: fixed sanitizer settings whatever the caller exported (UB is
# fatal, leaks are found); an input slower than FUZZ_TIMEOUT seconds or a
# process over 2048 MB fails.  Generous: inputs take microseconds, but CI is a
# loaded 2-core machine under ASan.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
timeout=${FUZZ_TIMEOUT:-60}
common="-timeout=$timeout -rss_limit_mb=2048 -print_final_stats=1"

# check: no input chosen by time, load or address.  A fixed -seed and -runs
# instead of -max_total_time; no -reload (a timer); seeds read from a list in
# sorted order, not from readdir; -use_cmp=0 because libFuzzer's comparison
# tables record pointer values, which ASLR changes (and the Makefile builds
# without stack-depth coverage, for the same reason); targets that use
# OpenSSL's RNG make it a fixed stream (fixed_rand.h).  The TAP line's digest
# is of the names (SHA-1s) of the inputs libFuzzer kept: equal on every run.
runs=${FUZZ_RUNS:-500000}
check_seed=${FUZZ_CHECK_SEED:-1}
# explore: any seed, printed so a find can be reproduced.
seconds=${FUZZ_SECONDS:-600}

n=0
failed=0

# max_len NAME: from tests/fuzz/fuzz_NAME.options ("max_len = N"), else 4096.
max_len() {
	v=$(sed -n 's/^max_len *= *\([0-9][0-9]*\) *$/\1/p' "tests/fuzz/fuzz_$1.options" 2>/dev/null)
	echo "${v:-4096}"
}

# final_stat LOG KEY: a number from libFuzzer's -print_final_stats lines.
final_stat() {
	sed -n "s/^stat::$2: *\([0-9][0-9]*\).*/\1/p" "$1" | tail -1
}

# done_field LOG FIELD: "cov", "ft" or "corp" from the last status line.
done_field() {
	grep -E '^#[0-9]+' "$1" | tail -1 | sed -n "s/.* $2: \([^ ]*\).*/\1/p"
}

# why LOG: what libFuzzer or a sanitizer reported, as a few words.
why() {
	if grep -q 'ERROR: libFuzzer: timeout' "$1"; then
		echo "an input ran over ${timeout}s (timeout)"
	elif grep -q 'ERROR: libFuzzer: out-of-memory' "$1"; then
		echo "out of memory (over 2048 MB)"
	elif grep -q 'ERROR: LeakSanitizer' "$1"; then
		echo "a memory leak"
	elif grep -q 'runtime error:' "$1"; then
		echo "undefined behaviour: $(grep -m1 'runtime error:' "$1" | sed 's/.*runtime error: //')"
	elif grep -q 'SUMMARY: ' "$1"; then
		grep -m1 'SUMMARY: ' "$1" | sed 's/^SUMMARY: //'
	else
		echo "the fuzzer exited with status $2"
	fi
}

# report LOG: the lines that locate a failure, as TAP comments: the corpus
# file being replayed, the sanitizer's report and the stack frames of ours.
report() {
	grep 'Running: ' "$1" | tail -1 | sed 's/^/#   /'
	grep -E 'ERROR:|SUMMARY:|runtime error:|^ *#[0-9]+ 0x|Test unit written' "$1" |
		grep -vE 'libc\.so|/nptl/|/csu/| in (main|_start|__sanitizer_|__asan|fuzzer::)' |
		head -20 | sed 's/^/#   /'
}

# howto LOG FUZZER NAME: what to do with the input a failed run saved.
howto() {
	art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$1" | tail -1)
	[ -n "$art" ] || return 0
	cat <<EOF
#   the input: $art
#   reproduce: $2 $art
#   minimise:  $2 -minimize_crash=1 -runs=100000 -exact_artifact_path=$arts/min $art
#   then, in the commit that fixes the bug:
#     cp $arts/min tests/fuzz/corpus/$3/regress-WHAT   (WHAT: what it broke)
EOF
}

# not_ok NAME WHAT LOG STATUS
not_ok() {
	echo "not ok $n - fuzz $1: $2: $(why "$3" "$4")"
	report "$3"
	failed=$((failed + 1))
}

# check_one NAME FUZZER
check_one() {
	dir=tests/fuzz/corpus/$1
	work=$(mktemp -d)
	mkdir "$work/seed" "$work/new"
	# Replay every corpus file whole (seeds over max_len too), one by one.
	files=$(find "$dir" -type f 2>/dev/null | LC_ALL=C sort)
	count=0
	bad=$(echo "$files" | sed "s|^$dir/||" | grep -v '^[A-Za-z0-9._-]*$')
	if [ -n "$bad" ]; then
		echo "not ok $n - fuzz $1: corpus names must match [A-Za-z0-9._-]*: $bad" | head -1
		failed=$((failed + 1))
		rm -rf "$work"
		return
	fi
	if [ -n "$files" ]; then
		count=$(echo "$files" | wc -l)
		# shellcheck disable=SC2086
		"$2" $common -runs=1 -artifact_prefix="$arts/" $files >"$work/replay.log" 2>&1
		status=$?
		replayed=$(grep -c '^Executed ' "$work/replay.log")
		if [ $status -ne 0 ] || [ "$replayed" -ne "$count" ]; then
			not_ok "$1" "replaying $dir ($replayed of $count ran)" "$work/replay.log" $status
			rm -rf "$work"
			return
		fi
		# The same files, copied under fixed names in that order, seed the run.
		i=0
		for f in $files; do
			i=$((i + 1))
			cp "$f" "$work/seed/$(printf '%05d' $i)"
		done
		# One line, no newline: libFuzzer would take it as part of the last name.
		ls "$work/seed" | sed "s|^|$work/seed/|" | paste -sd, - | tr -d '\n' >"$work/seeds"
		seeds="-seed_inputs=@$work/seeds"
	else
		seeds=""
	fi
	len=$(max_len "$1")
	"$2" $common -seed="$check_seed" -runs="$runs" -max_len="$len" -reload=0 -use_cmp=0 \
	    $seeds -artifact_prefix="$arts/" "$work/new" >"$work/fuzz.log" 2>&1
	status=$?
	loaded=$(sed -n 's/^INFO: seed corpus: files: \([0-9]*\).*/\1/p' "$work/fuzz.log")
	if [ $status -ne 0 ]; then
		not_ok "$1" "$runs runs from seed $check_seed" "$work/fuzz.log" $status
		howto "$work/fuzz.log" "$2" "$1"
	elif [ "${loaded:-0}" -ne "$count" ]; then
		echo "not ok $n - fuzz $1: libFuzzer loaded ${loaded:-0} of $count corpus files"
		failed=$((failed + 1))
	else
		echo "ok $n - fuzz $1: $count corpus files replayed, then" \
		    "$(final_stat "$work/fuzz.log" number_of_executed_units) runs from seed $check_seed" \
		    "(max_len $len): cov $(done_field "$work/fuzz.log" cov)," \
		    "ft $(done_field "$work/fuzz.log" ft), $(ls "$work/new" | wc -l) new inputs" \
		    "(digest $(ls "$work/new" | LC_ALL=C sort | sha1sum | cut -c1-12)), no crash"
	fi
	rm -rf "$work"
}

# explore_one NAME FUZZER: the corpus grows in build/fuzz/corpus/NAME (never
# in the source tree); tests/fuzz/corpus/NAME is read as a second directory.
explore_one() {
	grow=build/fuzz/corpus/$1
	mkdir -p "$grow"
	before=$(ls "$grow" | wc -l)
	seed=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	len=$(max_len "$1")
	log=build/fuzz/$1.log
	echo "# fuzz $1: seed $seed, ${seconds}s, max_len $len, log $log"
	"$2" $common -seed="$seed" -max_total_time="$seconds" -max_len="$len" \
	    -artifact_prefix="$arts/" "$grow" "tests/fuzz/corpus/$1" >"$log" 2>&1
	status=$?
	execs=$(final_stat "$log" number_of_executed_units)
	summary="$execs runs, $(final_stat "$log" average_exec_per_sec) exec/s,"
	summary="$summary corpus $(done_field "$log" corp) ($before -> $(ls "$grow" | wc -l) files in $grow)"
	summary="$summary, cov $(done_field "$log" cov), ft $(done_field "$log" ft)"
	if [ $status -eq 0 ]; then
		echo "ok $n - fuzz $1 for ${seconds}s from seed $seed: $summary, no crash"
		return
	fi
	not_ok "$1" "seed $seed after $summary" "$log" $status
	howto "$log" "$2" "$1"
}

for name in "$@"; do
	n=$((n + 1))
	fuzzer=build/fuzz/fuzz/$name
	arts=build/fuzz/artifacts/$name
	mkdir -p "$arts"
	if [ ! -x "$fuzzer" ]; then
		echo "not ok $n - fuzz $name: $fuzzer is missing (make fuzz-build)"
		failed=$((failed + 1))
		continue
	fi
	"${mode}_one" "$name" "$fuzzer"
done
[ "$failed" -eq 0 ]
