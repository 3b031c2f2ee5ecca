"""The installation carries one OpenCV and every model, as `kiosk.doctor` checks."""

from importlib import metadata

import cv2

from kiosk.doctor import OTHER_OPENCV, problems


def test_only_the_headless_opencv_is_installed():
    assert metadata.version("opencv-python-headless")
    for dist in OTHER_OPENCV:
        try:
            metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        raise AssertionError(f"{dist} is installed and shares cv2/ with opencv-python-headless")
    assert "GUI: NONE" in " ".join(cv2.getBuildInformation().split()), "cv2 is not the headless build"


def test_doctor_finds_nothing_wrong():
    assert problems() == []
