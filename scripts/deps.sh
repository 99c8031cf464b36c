#!/usr/bin/env bash
# Installs what PaceLab needs on a stock Debian 12 (idempotent). Run as root or with sudo.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config ccache file dpkg-dev
  qt6-base-dev qt6-websockets-dev qt6-multimedia-dev qt6-charts-dev
  qt6-qpa-plugins libqt6svg6 libgl-dev libqt6opengl6-dev qt6-svg-dev
  # Boost.Beast (header-only): the bench compares it with QtWebSockets (pacelab-bench wsrecv)
  libboost-dev
  # zlib: the log doctor reads .gz logs
  zlib1g-dev
  libsoxr-dev libespeak-ng-dev espeak-ng-data espeak-ng
  # RealtimeKit over D-Bus for the sender thread's real-time priority (optional at build time)
  libdbus-1-dev
  sox libsox-fmt-all xvfb xauth xdg-utils desktop-file-utils appstream
  # the wss tests make a throw-away certificate with the openssl CLI
  openssl
  # pacelab replay reads pcap/pcapng captures through Wireshark's dissectors (tshark)
  tshark
  # sanitizer builds (scripts/sanitize.sh): clang's ASAN/UBSAN/TSAN runtimes live in
  # libclang-rt-14-dev; llvm-14 brings llvm-symbolizer for readable stacks
  clang-14 libclang-rt-14-dev llvm-14
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
