# PyInstaller runtime hook (paddle variant only): Paddle looks for its MKL-ML
# library through FLAGS_mklml_dir; point it at the bundled paddle/libs.
import os
import sys

_libs = os.path.join(getattr(sys, "_MEIPASS", os.path.dirname(sys.executable)), "paddle", "libs")
if os.path.isdir(_libs):
    os.environ["FLAGS_mklml_dir"] = _libs
