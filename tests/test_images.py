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


def test_a_huge_jpeg_scan_is_decoded_at_half_size_and_stays_upright(tmp_path):
    from kiosk.images import DRAFT_PIXELS

    width, height = 6000, 3000  # 18 megapixels, stored landscape, shown portrait
    assert width * height > DRAFT_PIXELS
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "scan.jpg"
    Image.fromarray(pixels).save(path, exif=exif, quality=80)
    loaded = load_image(path)
    assert loaded.shape == (width // 2, height // 2, 3)
    assert loaded[: width // 4 - 20, :, 2].mean() > 200 and loaded[width // 4 + 20 :, :, 2].mean() < 50
    small = tmp_path / "small.jpg"
    Image.fromarray(pixels[:2000, :3000]).save(small, quality=80)
    assert load_image(small).shape == (2000, 3000, 3)  # 6 megapixels: decoded whole
