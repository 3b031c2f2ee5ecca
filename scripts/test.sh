#!/usr/bin/env bash
# Installs everything (see setup.sh) and runs the whole test suite headless.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
# The import contracts in pyproject.toml ([tool.importlinter]): layers, no Qt below the UI, no circles.
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest "$@"
