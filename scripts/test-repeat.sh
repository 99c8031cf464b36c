#!/usr/bin/env bash
# Proof of green: runs the whole CTest suite N times in a row while both cores are kept busy by
# a competing load (stress-ng --cpu <nproc>), and says how many runs were green. A verdict that
# depends on the machine's speed shows up here long before it shows up in someone else's CI.
#
# Usage: scripts/test-repeat.sh [N] [--no-load]      (N defaults to 10)
# Env:   BUILD_DIR (default build), LOAD_CPUS (default: nproc)
# Exit:  0 when every run was green, 1 otherwise, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=10
load=1
for arg in "$@"; do
  case "$arg" in
    --no-load) load=0 ;;
    ''|*[!0-9]*)
      echo "test-repeat: usage: scripts/test-repeat.sh [N] [--no-load] (got '$arg')" >&2
      exit 2 ;;
    *) runs=$arg ;;
  esac
done
[ "$runs" -ge 1 ] || { echo "test-repeat: N must be at least 1" >&2; exit 2; }

BUILD_DIR=${BUILD_DIR:-build}
scripts/deps.sh
if [ "$load" -eq 1 ] && ! command -v stress-ng >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends stress-ng
fi
scripts/build.sh

logdir="$BUILD_DIR/test-repeat"
rm -rf "$logdir"
mkdir -p "$logdir"

stress_pid=""
cleanup() { [ -n "$stress_pid" ] && kill "$stress_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
if [ "$load" -eq 1 ]; then
  cpus=${LOAD_CPUS:-$(nproc)}
  stress-ng --cpu "$cpus" --timeout 0 --quiet &
  stress_pid=$!
  echo "test-repeat: load: stress-ng --cpu $cpus (pid $stress_pid)"
fi

export QT_QPA_PLATFORM=offscreen
green=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if ctest --test-dir "$BUILD_DIR" -j 2 --timeout 600 --output-on-failure >"$logdir/run-$i.log" 2>&1; then
    green=$((green + 1)); status=green
  else
    status="RED: $(grep -E '^\s*[0-9]+ - ' "$logdir/run-$i.log" | sed 's/^ *//' | tr '\n' ';')"
  fi
  summary=$(grep -E 'tests passed' "$logdir/run-$i.log" | tail -n 1)
  echo "test-repeat: run $i/$runs: $status ($summary, $(( $(date +%s) - start )) s)"
done

what="under load (stress-ng --cpu ${cpus:-0})"
[ "$load" -eq 1 ] || what="without load"
echo "test-repeat: $green of $runs runs green $what; logs in $logdir"
[ "$green" -eq "$runs" ]
