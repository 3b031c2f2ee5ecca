#!/bin/sh
# /usr/bin/scan-kiosk-session: the kiosk session. Starts the scan kiosk alone, full screen in kiosk
# mode: no desktop, no panel, no window manager, no terminal. Started by a display manager
# (/usr/share/xsessions/scan-kiosk.desktop), by startx/xinit, or by cage (Wayland); see
# packaging/README.md, "Kiosk session".
#
# The app is started again after a crash. Quitting it with the admin PIN (Settings > Quit, or
# Ctrl+Shift+Q) ends the session. Extra arguments go to the app (e.g. --camera 0).
set -u

APP=${SCAN_KIOSK_APP:-/usr/bin/scan-kiosk}
RESTART_DELAY=${SCAN_KIOSK_RESTART_DELAY:-2}
LONG_DELAY=${SCAN_KIOSK_LONG_DELAY:-60}
FAST_FAILURES=5   # crashes in a row, each within a minute of starting, before waiting LONG_DELAY

say() { echo "scan-kiosk-session: $*" >&2; }

if [ -n "${DISPLAY:-}" ] && command -v xset >/dev/null 2>&1; then
  xset s off s noblank -dpms 2>/dev/null || true   # the counter's screen never blanks
fi

quick=0
while :; do
  started=$(date +%s)
  "$APP" --kiosk "$@"
  status=$?
  if [ "$status" -eq 0 ]; then
    say "the app was quit with the admin PIN: the kiosk session ends"
    exit 0
  fi
  if [ $(($(date +%s) - started)) -lt 60 ]; then quick=$((quick + 1)); else quick=0; fi
  if [ "$quick" -ge "$FAST_FAILURES" ]; then
    say "the app failed $quick times in a row (exit status $status); trying again in $LONG_DELAY s"
    sleep "$LONG_DELAY"
    quick=0
  else
    say "the app stopped (exit status $status); starting it again"
    sleep "$RESTART_DELAY"
  fi
done
