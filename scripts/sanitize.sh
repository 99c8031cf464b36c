#!/usr/bin/env bash
# Sanitizer runs (docs/sanitizers.md). Configures with the CMake preset, builds, runs tests.
#   scripts/sanitize.sh asan [ctest args]   ASAN+LSAN+UBSAN build in build-asan, whole CTest suite
#   scripts/sanitize.sh tsan [ctest args]   TSAN build in build-tsan, the threaded units only
# Extra arguments go to ctest (e.g. -R tst_txqueue). Exits non-zero on any sanitizer report:
# ASAN/LSAN/TSAN make the test process fail, UBSAN aborts it (-fno-sanitize-recover).
# JOBS sets build and test parallelism (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=${1:-}
case "$MODE" in
  asan|tsan) shift ;;
  *) echo "usage: $0 asan|tsan [ctest args]" >&2; exit 2 ;;
esac
JOBS=${JOBS:-$(nproc)}
SUPP=$ROOT/tests/sanitizers

# The threaded units: tx queue, paced sender / engine, emulator, audio producers, check scenarios.
TSAN_TESTS=(tst_txqueue tst_pacedsender tst_emulator tst_emulator_engine tst_emulator_pacing
            tst_audioio tst_check_queue tst_check_rate tst_check_frames tst_check_bot
            tst_check_botext tst_check_speech tst_check_reports tst_faults)

scripts/deps.sh
export QT_QPA_PLATFORM=offscreen
t0=$(date +%s)
# SANITIZE_CMAKE_ARGS: extra configure arguments, e.g. -DPACELAB_FUZZ=ON so that the fuzz targets
# come from this same build (CI does that: one clang build for the suite and the fuzzers).
# shellcheck disable=SC2086
cmake --preset "$MODE" ${SANITIZE_CMAKE_ARGS:-} >/dev/null
if [ "$MODE" = asan ]; then
  cmake --build build-asan -j "$JOBS"
  targets_regex=""
else
  cmake --build build-tsan -j "$JOBS" --target "${TSAN_TESTS[@]}"
  targets_regex="^($(IFS='|'; echo "${TSAN_TESTS[*]}"))\$"
fi
t1=$(date +%s)
echo "sanitize.sh: $MODE build took $((t1 - t0)) s"

# halt_on_error: the first report ends the test with a failure, so nothing is lost in noise.
# detect_stack_use_after_return: catches a worker thread writing a caller's dead stack frame.
# FULL_STACKS=1 adds fast_unwind_on_malloc=0: Debian's Qt has no frame pointers, so the fast
# unwinder stops at the first Qt frame and a leak report does not show whose code allocated it.
# It is off by default because it makes every allocation several times slower.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:detect_odr_violation=1:strict_string_checks=1"
[ "${FULL_STACKS:-0}" = 1 ] && ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$SUPP/ubsan.supp"
# ignore_noninstrumented_modules: Debian's Qt is not built with TSAN, so its locks, atomics and
# event queues are invisible; without this, every queued signal shows up as a race.
export TSAN_OPTIONS="ignore_noninstrumented_modules=1:halt_on_error=0:second_deadlock_stack=1:history_size=4:suppressions=$SUPP/tsan.supp"

rc=0
if [ "$MODE" = asan ]; then
  ctest --test-dir build-asan --output-on-failure -j "$JOBS" --timeout 1200 "$@" || rc=$?
else
  ctest --test-dir build-tsan --output-on-failure -j "$JOBS" --timeout 1200 -R "$targets_regex" "$@" || rc=$?
fi
t2=$(date +%s)
echo "sanitize.sh: $MODE tests took $((t2 - t1)) s (exit $rc)"
exit $rc
