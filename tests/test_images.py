"""Images arrive upright and as BGR, whatever their file says."""

import io

import numpy as np
from PIL import Image

from kiosk.images import load_image


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((40, 100, 3), np.uint8)
    pixels[:, :50] = (255, 0, 0)  # red on the left, stored landscape
    image = Image.fromarray(pixels)
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise
    path = tmp_path / "phone.jpg"
    image.save(path, exif=exif, quality=95)
    loaded = load_image(path)
    assert loaded.shape == (100, 40, 3)
    top_red = loaded[:45, :, 2].mean()
    bottom_red = loaded[55:, :, 2].mean()
    assert top_red > 200 and bottom_red < 50


def test_grey_and_transparent_images_become_bgr(tmp_path):
    grey = tmp_path / "grey.png"
    Image.new("L", (30, 20), 128).save(grey)
    assert load_image(grey).shape == (20, 30, 3)
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (30, 20), (0, 0, 255, 0)).save(clear)
    assert load_image(clear)[0, 0].tolist() == [255, 255, 255]
