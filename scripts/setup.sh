#!/usr/bin/env bash
# Installs everything the kiosk needs on Debian 12: system packages (apt-get),
# a virtual environment in .venv with the app, both OCR engines and the test
# tools. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv python3-pip
  fonts-ocr-b fonts-dejavu-core            # OCR-B for the synthetic passport; DejaVu for receipts
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libgomp1
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1
  xvfb                                     # scripts/screenshots.py runs the app on a virtual screen
)

say() { printf '[setup] %s\n' "$*"; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  say "installing system packages: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON="$cand"; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "[setup] error: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)

stamp_inputs=$(cat pyproject.toml requirements/*.txt | sha256sum | cut -c1-16)
if [ "$(cat .venv/.setup-stamp 2>/dev/null)" != "$stamp_inputs" ]; then
  say "installing Python packages into .venv (first run downloads ~1 GB)"
  "${PIP[@]}" install --upgrade pip setuptools wheel
  "${PIP[@]}" install -e ".[dev,paddle]"
  "${PIP[@]}" install --no-deps -r requirements/no-deps.txt -r requirements/no-deps-paddle.txt
  .venv/bin/python -m kiosk.doctor --fix
  echo "$stamp_inputs" > .venv/.setup-stamp
fi
.venv/bin/python -m kiosk.doctor
