#!/usr/bin/env bash
# Checks a built bundle (and its .deb): what `packaging/build.sh --ci` runs after building.
#
#   packaging/check.sh dist/onnx/scan-kiosk [dist/scan-kiosk_0.1.0_amd64.deb]
#
# 1. `scan-kiosk --self-test` with the network blocked: in a new network
#    namespace (`unshare -n`, or `unshare -rn` without root) when the machine
#    allows it, otherwise with the self-test's own socket guard, which refuses
#    and counts every connection and name lookup. Three runs; prints the median
#    time from launch to the result. The onnx bundle must stay under
#    MAX_BUNDLE_MB (500).
# 2. The window starts headless (QT_QPA_PLATFORM=offscreen) from a fresh home
#    folder and keeps running: the Qt plugins are in the bundle.
# 3. With a .deb, as root (or with password-less sudo): `dpkg -i`, the
#    installed `scan-kiosk --self-test` (network blocked too), the desktop entry
#    and autostart files, then `dpkg --purge` (unless it was installed before).
# Exits non-zero on the first failure.
set -euo pipefail
export LC_NUMERIC=C
BUNDLE=$(realpath "${1:?usage: check.sh BUNDLE_DIR [DEB]}")
DEB=${2:-}
EXE="$BUNDLE/scan-kiosk"
[ -x "$EXE" ] || { echo "check.sh: $EXE not found" >&2; exit 1; }

say() { printf '[check] %s\n' "$*"; }
fail() { printf '[check] FAILED: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
started=$EPOCHREALTIME

# Home, settings and keyring of the checks: never the user's own.
SCRATCH=$(mktemp -d /tmp/scan-kiosk-check.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
clean_env=(env -i "PATH=/usr/sbin:/usr/bin:/sbin:/bin" "HOME=$SCRATCH/home" "XDG_CONFIG_HOME=$SCRATCH/config"
  "XDG_DATA_HOME=$SCRATCH/data" "LANG=C.UTF-8" "PYTHON_KEYRING_BACKEND=kiosk.keyring_file.FileKeyring"
  "KIOSK_KEYRING_FILE=$SCRATCH/keyring.json")
mkdir -p "$SCRATCH/home"

if unshare -n true 2>/dev/null; then
  offline=(unshare -n); how="unshare -n"
elif unshare -rn true 2>/dev/null; then
  offline=(unshare -rn); how="unshare -rn"
else
  offline=(); how="the self-test's socket guard (no network namespaces here)"
fi
say "network blocked with: $how"

self_test() {  # prints the summary line and the seconds from launch to result
  local exe=$1 t0 out rc
  t0=$EPOCHREALTIME
  set +e
  out=$("${clean_env[@]}" "${offline[@]}" "$exe" --self-test 2>"$SCRATCH/stderr")
  rc=$?
  set -e
  seconds=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
  echo "$out"
  if [ $rc -ne 0 ] || [[ "$out" != "self-test: ok "* ]]; then
    tail -n 20 "$SCRATCH/stderr" >&2
    fail "$exe --self-test exited $rc"
  fi
}

# 1. the bundle's self-test, three times
times=()
for run in 1 2 3; do
  self_test "$EXE"
  times+=("$seconds")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
say "bundle self-test ok; launch to result: ${times[*]} s (median $median s)"
bundle_mb=$(du -sm "$BUNDLE" | cut -f1)
say "bundle size: $bundle_mb MB"
if [ ! -d "$BUNDLE/_internal/paddle" ] && [ "$bundle_mb" -ge "${MAX_BUNDLE_MB:-500}" ]; then
  fail "the onnx bundle is $bundle_mb MB, over the ${MAX_BUNDLE_MB:-500} MB limit (see excludes in packaging/kiosk.spec)"
fi

# 2. the window starts offscreen and stays up
set +e
"${clean_env[@]}" QT_QPA_PLATFORM=offscreen timeout 12 "$EXE" gui >"$SCRATCH/gui.log" 2>&1
rc=$?
set -e
if [ $rc -ne 124 ] && [ $rc -ne 0 ]; then
  tail -n 30 "$SCRATCH/gui.log" >&2
  fail "the window did not start (exit $rc)"
fi
grep -q "Traceback" "$SCRATCH/gui.log" && { tail -n 30 "$SCRATCH/gui.log" >&2; fail "the window raised an exception"; }
say "window starts offscreen"

# 3. the Debian package
if [ -n "$DEB" ]; then
  if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    say "skipping dpkg -i of $DEB: needs root or password-less sudo"
  else
    package=$(dpkg-deb -f "$DEB" Package)
    was_installed=0
    dpkg -s "$package" >/dev/null 2>&1 && was_installed=1
    as_root dpkg -i "$DEB" >/dev/null || fail "dpkg -i $DEB"
    for f in /usr/bin/scan-kiosk /usr/bin/scan-kiosk-autostart /usr/bin/scan-kiosk-session /opt/scan-kiosk/scan-kiosk \
      /usr/share/xsessions/scan-kiosk.desktop /usr/share/applications/scan-kiosk.desktop /usr/share/scan-kiosk/autostart/scan-kiosk.desktop \
      /usr/lib/systemd/user/scan-kiosk.service /usr/share/icons/hicolor/scalable/apps/scan-kiosk.svg; do
      [ -e "$f" ] || fail "$f is not installed"
    done
    self_test /usr/bin/scan-kiosk
    say "installed self-test ok (launch to result $seconds s)"
    "${clean_env[@]}" /usr/bin/scan-kiosk-autostart enable >/dev/null
    [ -f "$SCRATCH/config/autostart/scan-kiosk.desktop" ] || fail "scan-kiosk-autostart enable made no autostart entry"
    if [ $was_installed = 0 ]; then
      # (dpkg warns that /opt is not empty: it is not ours to remove)
      as_root dpkg --purge "$package" >"$SCRATCH/purge.log" 2>&1 || { cat "$SCRATCH/purge.log" >&2; fail "dpkg --purge $package"; }
      [ ! -e /opt/scan-kiosk ] || fail "/opt/scan-kiosk is left after dpkg --purge"
      say "dpkg -i, installed self-test, autostart and purge ok"
    else
      say "dpkg -i and installed self-test ok ($package was installed before: left installed)"
    fi
  fi
fi
say "all checks passed in $(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
