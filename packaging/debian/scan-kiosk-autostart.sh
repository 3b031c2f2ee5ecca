#!/bin/sh
# /usr/bin/scan-kiosk-autostart: start the scan kiosk when the kiosk user logs in (kiosk mode).
#
#   scan-kiosk-autostart enable  [--systemd] [--all-users]
#   scan-kiosk-autostart disable [--systemd] [--all-users]
#   scan-kiosk-autostart status
#
# Default: an XDG autostart entry (~/.config/autostart/scan-kiosk.desktop), which
# every desktop (GNOME, KDE, Xfce, LXQt...) honours. --systemd uses the systemd
# user service instead, which also restarts the app if it exits or crashes
# (needs a desktop that starts graphical-session.target, e.g. GNOME).
# --all-users (as root): /etc/xdg/autostart, or `systemctl --global`.
set -eu

ENTRY=${SCAN_KIOSK_AUTOSTART_ENTRY:-/usr/share/scan-kiosk/autostart/scan-kiosk.desktop}
UNIT=scan-kiosk.service
action="${1:-status}"
[ $# -gt 0 ] && shift
mode=xdg
scope=user
for arg in "$@"; do
  case "$arg" in
    --systemd) mode=systemd ;;
    --xdg) mode=xdg ;;
    --all-users) scope=all ;;
    *) echo "scan-kiosk-autostart: unknown option $arg" >&2; exit 2 ;;
  esac
done

if [ "$scope" = all ]; then
  [ "$(id -u)" -eq 0 ] || { echo "scan-kiosk-autostart: --all-users needs root (sudo)" >&2; exit 1; }
  xdg_target=/etc/xdg/autostart/scan-kiosk.desktop
  systemctl_scope=--global
else
  xdg_target="${XDG_CONFIG_HOME:-$HOME/.config}/autostart/scan-kiosk.desktop"
  systemctl_scope=--user
fi

case "$action" in
  enable)
    if [ "$mode" = systemd ]; then
      systemctl "$systemctl_scope" enable "$UNIT"
      [ "$scope" = user ] && systemctl --user start "$UNIT" 2>/dev/null || true
    else
      mkdir -p "$(dirname "$xdg_target")"
      cp "$ENTRY" "$xdg_target"
    fi
    echo "scan-kiosk-autostart: enabled ($mode, $scope)"
    ;;
  disable)
    if [ "$mode" = systemd ]; then
      systemctl "$systemctl_scope" disable "$UNIT"
    else
      rm -f "$xdg_target"
    fi
    echo "scan-kiosk-autostart: disabled ($mode, $scope)"
    ;;
  status)
    [ -e "$xdg_target" ] && echo "xdg autostart: $xdg_target" || echo "xdg autostart: off ($xdg_target)"
    if command -v systemctl >/dev/null 2>&1; then
      echo "systemd user service: $(systemctl "$systemctl_scope" is-enabled "$UNIT" 2>/dev/null || echo disabled)"
    fi
    ;;
  *)
    echo "usage: scan-kiosk-autostart enable|disable|status [--systemd] [--all-users]" >&2
    exit 2
    ;;
esac
