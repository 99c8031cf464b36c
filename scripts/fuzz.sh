#!/usr/bin/env bash
# Fuzz the parsers that read outside data (docs/fuzzing.md).
#
#   scripts/fuzz.sh SECONDS [target...]     targets: wav twilio provider capture doctor cli (default: all)
#
# Configures a clang build with -DPACELAB_FUZZ=ON and ASan+UBSan in build-fuzz/ if needed, builds
# the fuzz targets, runs every target once over its regression inputs and seeds, then fuzzes each
# target for SECONDS (one at a time) on a scratch copy of its seed corpus: new inputs and crash
# artifacts go to build-fuzz/fuzz-runs/<target>/, never into the repository. SECONDS=0 runs the
# regression inputs only. Exits non-zero on any crash, leak, timeout or broken invariant, naming
# the input that caused it; prints executions and coverage per target.
#
# Environment: FUZZ_BUILD_DIR (build-fuzz), FUZZ_SCRATCH (FUZZ_BUILD_DIR/fuzz-runs), FUZZ_NICE
# (19), FUZZ_JOBS (2), FUZZ_TIMEOUT (per-input seconds, 10), FUZZ_RSS_MB (2048),
# FUZZ_CMAKE_ARGS (extra configure arguments), FUZZ_ARGS (extra libFuzzer arguments).
set -euo pipefail

usage() { echo "usage: $0 SECONDS [wav|twilio|provider|capture|doctor|cli ...]" >&2; exit 2; }
[[ $# -ge 1 && $1 =~ ^[0-9]+$ ]] || usage
seconds=$1
shift
all_targets=(wav twilio provider capture doctor cli)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "unknown target '$t' (known: ${all_targets[*]})" >&2; exit 2; }
done

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
scratch=${FUZZ_SCRATCH:-$build/fuzz-runs}
nice_level=${FUZZ_NICE:-19}
fuzzdir=$root/tests/fuzz

# Largest input libFuzzer generates, per target: enough for several records/lines (capture,
# doctor: past the log doctor's 4 KiB sniff), a few chunks (wav), one message (twilio, provider:
# room for an Exotel 100 ms chunk, 2.1 KB of base64, and Vonage's 640 B frames).
max_len() {
    case $1 in
    wav) echo 8192 ;; twilio) echo 4096 ;; provider) echo 4096 ;; capture) echo 8192 ;; doctor) echo 8192 ;; cli) echo 512 ;;
    esac
}

# ---- configure and build ----------------------------------------------------------------------
"$root/scripts/deps.sh" # clang-14 and libclang-rt-14-dev (libFuzzer, sanitizer runtimes) on a fresh machine
if ! grep -qs '^PACELAB_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "== configuring $build (clang, PACELAB_FUZZ=ON, ASan+UBSan)"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_COMPILER="${CXX_FUZZ:-clang++-14}" -DPACELAB_FUZZ=ON \
        "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
        ${FUZZ_CMAKE_ARGS:-} >/dev/null
fi
build_targets=()
for t in "${targets[@]}"; do build_targets+=("fuzz_$t"); done
echo "== building ${build_targets[*]}"
nice -n 5 cmake --build "$build" -j "${FUZZ_JOBS:-2}" --target "${build_targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export QT_QPA_PLATFORM=offscreen

failed=0
summary=()

# ---- regression inputs and seeds: each run once ------------------------------------------------
for t in "${targets[@]}"; do
    bin=$build/tests/fuzz/fuzz_$t
    mapfile -t inputs < <(find "$fuzzdir/regressions/$t" "$fuzzdir/corpus/$t" -type f 2>/dev/null | sort)
    [[ ${#inputs[@]} -gt 0 ]] || continue
    log=$scratch/$t/regressions.log
    mkdir -p "$scratch/$t"
    if "$bin" -timeout=60 -rss_limit_mb=4096 "${inputs[@]}" >"$log" 2>&1; then
        echo "== $t: ${#inputs[@]} regression/seed inputs pass"
    else
        echo "!! $t: a regression/seed input fails; last input run:" >&2
        grep '^Running: ' "$log" | tail -1 | sed 's/^Running: /   /' >&2
        tail -30 "$log" >&2
        failed=1
    fi
done
[[ $failed -eq 0 ]] || { echo "regression inputs fail: not fuzzing" >&2; exit 1; }
[[ $seconds -gt 0 ]] || exit 0

# ---- fuzzing -----------------------------------------------------------------------------------
stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }
for t in "${targets[@]}"; do
    bin=$build/tests/fuzz/fuzz_$t
    work=$scratch/$t
    rm -rf "$work/corpus" "$work/artifacts"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$fuzzdir/corpus/$t"/* "$work/corpus/"
    dict=()
    [[ -f $fuzzdir/dict/$t.dict ]] && dict=(-dict="$fuzzdir/dict/$t.dict")
    log=$work/fuzz.log
    echo "== fuzzing $t for ${seconds}s (log: $log)"
    rc=0
    # shellcheck disable=SC2086
    nice -n "$nice_level" "$bin" -max_total_time="$seconds" -print_final_stats=1 \
        -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -max_len="$(max_len "$t")" \
        -artifact_prefix="$work/artifacts/" "${dict[@]}" ${FUZZ_ARGS:-} "$work/corpus" >"$log" 2>&1 || rc=$?

    last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
    execs=$(stat_of number_of_executed_units "$log")
    eps=$(stat_of average_exec_per_sec "$log")
    rss=$(stat_of peak_rss_mb "$log")
    units=$(find "$work/corpus" -type f | wc -l)
    bytes=$(du -sb "$work/corpus" | cut -f1)
    if [[ $rc -ne 0 ]]; then
        failed=1
        artifact=$(find "$work/artifacts" -type f | head -1)
        echo "!! $t FAILED (exit $rc): $(grep -m1 -E 'ERROR: |FUZZ_CHECK failed|runtime error|Timeout|leak' "$log" || echo 'see log')" >&2
        echo "   input: ${artifact:-none written}" >&2
        echo "   reproduce: $bin ${artifact:-<input>}" >&2
        echo "   keep it: cp ${artifact:-<input>} $fuzzdir/regressions/$t/" >&2
        result=FAIL
    else
        result=ok
    fi
    line=$(printf '%-8s %-5s execs=%-10s exec/s=%-7s cov=%-6s ft=%-6s corpus=%-12s (%s files, %s B on disk)  rss=%sMB' \
        "$t" "$result" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$units" "$bytes" "${rss:-?}")
    echo "   $line"
    summary+=("$line")
done

echo
echo "== summary (${seconds}s per target)"
printf '   %s\n' "${summary[@]}"
printf '%s\n' "${summary[@]}" >"$scratch/summary-$(date -u +%Y%m%dT%H%M%SZ).txt"
exit $failed
