#!/bin/sh
# /usr/bin/scan-kiosk: the app installed in /opt/scan-kiosk (the same commands as `kiosk`).
exec /opt/scan-kiosk/scan-kiosk "$@"
