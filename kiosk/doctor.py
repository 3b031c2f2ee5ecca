"""Checks the installation: one OpenCV, the OCR models, the fonts.

`python -m kiosk.doctor` prints problems and exits 1 when something is wrong;
`--fix` removes a second OpenCV build pulled in by another package.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from importlib import metadata

OTHER_OPENCV = ("opencv-python", "opencv-contrib-python", "opencv-contrib-python-headless")


def installed(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def problems() -> list[str]:
    """What is wrong with this installation, one line each."""
    found = []
    for dist in OTHER_OPENCV:
        if installed(dist):
            found.append(f"{dist} is installed next to opencv-python-headless: they share cv2/ (run with --fix)")
    if not installed("opencv-python-headless"):
        found.append("opencv-python-headless is not installed")
    from kiosk.ocr.engine.models import missing_models

    found.extend(missing_models())
    return found


def fix() -> None:
    extra = [d for d in OTHER_OPENCV if installed(d)]
    if extra:
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "uninstall", "-y", *extra], check=True)
        headless = installed("opencv-python-headless")
        spec = f"opencv-python-headless=={headless}" if headless else "opencv-python-headless<5"
        subprocess.run([*pip, "install", "--force-reinstall", "--no-deps", spec], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.doctor", description=__doc__)
    parser.add_argument(
        "--fix", action="store_true", help="remove a second OpenCV build"
    )
    args = parser.parse_args(argv)
    if args.fix:
        fix()
    found = problems()
    for line in found:
        print(f"doctor: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
