#!/usr/bin/env bash
# Installs everything (see setup.sh) and starts the kiosk app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/kiosk "$@"
