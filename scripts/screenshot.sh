#!/usr/bin/env bash
# Produces docs/screenshot.png: the main window at 1280x800 under Xvfb, mid-run — the built-in
# emulator streaming a tone (with a 3 s burst to show drops), the checklist partly run.
# Assumes PaceLab is built (scripts/build.sh). Usage: scripts/screenshot.sh [out.png]
# Env: BUILD_DIR (default build), SHOT_SECONDS (default 26: ~20 s of chart data).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BUILD_DIR:-build}/app/pacelab"
OUT="${1:-docs/screenshot.png}"
if [ ! -x "$BIN" ]; then
  echo "screenshot: $BIN not found: build first (scripts/build.sh)" >&2
  exit 2
fi
command -v xvfb-run >/dev/null || { echo "screenshot: xvfb-run missing (apt-get install xvfb xauth)" >&2; exit 2; }
mkdir -p "$(dirname "$OUT")"
OUT_ABS="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
# Fresh settings (the demo shows defaults) and no stale picture passing for a new one.
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
rm -f "$OUT_ABS"
# PACELAB_DEMO is handled inside ui/MainWindow: it starts the sources and the checklist, grabs
# the window with QWidget::grab() after PACELAB_DEMO_SECONDS and quits.
XDG_CONFIG_HOME="$TMP" XDG_RUNTIME_DIR="$TMP" \
PACELAB_DEMO=1 PACELAB_DEMO_SHOT="$OUT_ABS" PACELAB_DEMO_SECONDS="${SHOT_SECONDS:-26}" \
  timeout 180 xvfb-run -a -s "-screen 0 1280x800x24" "$BIN" 2>&1 | grep -v -e PulseAudio -e XDG_RUNTIME || true
if [ ! -s "$OUT_ABS" ]; then
  echo "screenshot: no image was written" >&2
  exit 1
fi
echo "screenshot: $OUT"
