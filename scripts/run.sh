#!/usr/bin/env bash
# README command 1: install deps, build, launch PaceLab on its built-in Twilio emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec build/app/pacelab "$@"
