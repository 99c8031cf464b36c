#!/usr/bin/env bash
# Builds the Debian package from an existing build dir, installs it with apt (which pulls in its
# dependencies), and checks the INSTALLED program: `/usr/bin/pacelab --version` prints
# "pacelab <version>", and the package holds the desktop entry, icon and AppStream metainfo.
# Usage: scripts/test-deb.sh            (build dir: $BUILD_DIR or ./build, already built)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"

fail() {
  echo "test-deb: FAIL: $*" >&2
  exit 1
}

[ -f "$BUILD_DIR/CPackConfig.cmake" ] ||
  fail "no CPack configuration in '$BUILD_DIR' (configure and build first: scripts/build.sh)"
command -v dpkg-shlibdeps >/dev/null ||
  fail "dpkg-shlibdeps is missing (Debian package dpkg-dev; scripts/deps.sh installs it)"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "not root and sudo is not available: cannot install the package"
  SUDO="sudo"
fi

# ---- build the package -------------------------------------------------------------------------
BUILD_ABS="$(cd "$BUILD_DIR" && pwd)"
rm -f "$BUILD_ABS"/pacelab_*.deb
echo "test-deb: cpack -G DEB in $BUILD_ABS"
(cd "$BUILD_ABS" && cpack -G DEB) >"$BUILD_ABS/cpack-deb.log" 2>&1 || {
  tail -n 40 "$BUILD_ABS/cpack-deb.log" >&2
  fail "cpack -G DEB failed (full log: $BUILD_ABS/cpack-deb.log)"
}
shopt -s nullglob
debs=("$BUILD_ABS"/pacelab_*.deb)
shopt -u nullglob
[ ${#debs[@]} -eq 1 ] || fail "expected one pacelab_*.deb in $BUILD_ABS, found ${#debs[@]}"
DEB="${debs[0]}"
echo "test-deb: built $(basename "$DEB") ($(du -h "$DEB" | cut -f1))"

# The control data must name the package, its section and real shared-library dependencies.
control="$(dpkg-deb --field "$DEB")"
echo "$control" | grep -q '^Package: pacelab$' || fail "control: Package is not 'pacelab'"
echo "$control" | grep -q '^Section: sound$' || fail "control: Section is not 'sound'"
depends="$(dpkg-deb --field "$DEB" Depends)"
# From dpkg-shlibdeps (libc6, Qt) and from the explicit list (espeak-ng-data).
for dep in libc6 libqt6core6 libqt6widgets6 espeak-ng-data libqt6svg6; do
  echo "$depends" | grep -q "\b$dep\b" || fail "control: Depends lacks $dep (got: $depends)"
done

# ---- install it ----------------------------------------------------------------------------------
# --reinstall: a rebuilt package of the same version must replace the installed one.
echo "test-deb: apt-get install $(basename "$DEB")"
(cd "$BUILD_ABS" && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --reinstall \
  "./$(basename "$DEB")") >"$BUILD_ABS/apt-install.log" 2>&1 || {
  tail -n 40 "$BUILD_ABS/apt-install.log" >&2
  fail "apt-get install of $(basename "$DEB") failed (log: $BUILD_ABS/apt-install.log)"
}
installed_version="$(dpkg-query -W -f='${Version}' pacelab 2>/dev/null)" || fail "dpkg does not list pacelab as installed"
deb_version="$(dpkg-deb --field "$DEB" Version)"
[ "$installed_version" = "$deb_version" ] ||
  fail "installed version '$installed_version' differs from the package's '$deb_version'"

# ---- check the installed files -------------------------------------------------------------------
files="$(dpkg -L pacelab)"
for f in /usr/bin/pacelab \
         /usr/share/applications/pacelab.desktop \
         /usr/share/icons/hicolor/scalable/apps/pacelab.svg \
         /usr/share/metainfo/io.pacelab.PaceLab.metainfo.xml; do
  echo "$files" | grep -qx "$f" || fail "dpkg -L pacelab does not list $f"
  [ -s "$f" ] || fail "$f is missing or empty after installation"
done
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate /usr/share/applications/pacelab.desktop || fail "installed desktop entry is invalid"
fi
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net /usr/share/metainfo/io.pacelab.PaceLab.metainfo.xml >/dev/null ||
    fail "installed AppStream metainfo is invalid (appstreamcli validate --no-net)"
fi

# ---- run the installed program -------------------------------------------------------------------
# No display is needed for --version; the offscreen platform covers machines without one.
# Only stdout counts: Qt may warn on stderr (e.g. XDG_RUNTIME_DIR not set when run as root).
errfile="$(mktemp)"
trap 'rm -f "$errfile"' EXIT
status=0
out="$(QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" /usr/bin/pacelab --version 2>"$errfile")" || status=$?
[ "$status" -eq 0 ] || fail "/usr/bin/pacelab --version exited with status $status: $out $(cat "$errfile")"
case "$out" in
  "pacelab "*) ;;
  *) fail "/usr/bin/pacelab --version printed '$out', expected 'pacelab <version>' (stderr: $(cat "$errfile"))" ;;
esac
expected="pacelab ${deb_version}"
[ "$(echo "$out" | head -n 1)" = "$expected" ] ||
  fail "/usr/bin/pacelab --version printed '$out', expected '$expected'"

echo "test-deb: OK: $(basename "$DEB") installs, '$out', desktop entry, icon and metainfo in place"
