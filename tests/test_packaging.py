"""The packaging files hang together (fast checks; no build).

Building the bundle and the .deb, and running the frozen self-test with the
network blocked, is a CI stage of its own: `packaging/build.sh --ci`, run by
`.ci/run` after the test suite.
"""

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
SHELL_SCRIPTS = ["build.sh", "check.sh", "debian/scan-kiosk.sh", "debian/scan-kiosk-autostart.sh", "debian/scan-kiosk-session.sh", "debian/postrm"]


@pytest.mark.parametrize("name", SHELL_SCRIPTS)
def test_scripts_parse_and_are_executable(name):
    path = PACKAGING / name
    assert os.access(path, os.X_OK), f"{name} is not executable"
    shell = "bash" if path.read_text().startswith("#!/usr/bin/env bash") else "sh"
    subprocess.run([shell, "-n", str(path)], check=True)


def test_the_spec_is_python_and_bundles_what_the_app_needs():
    text = (PACKAGING / "kiosk.spec").read_text()
    compile(text, "kiosk.spec", "exec")
    for needed in ('"rapidocr_onnxruntime"', '"rapidocr", includes=["models/PP-OCRv6_rec_small.onnx"]', '"fastmrz", includes=["model/*.onnx"]', '"selftest"', '"resources/fonts"',
                   'collect_submodules("kiosk")', "rthook_paddle.py", '"paddle/libs"'):
        assert needed in text, needed
    assert 'os.environ["FLAGS_mklml_dir"] = _libs' in (PACKAGING / "hooks" / "rthook_paddle.py").read_text()


def desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser["Desktop Entry"]


@pytest.mark.parametrize("name", ["scan-kiosk.desktop", "scan-kiosk-autostart.desktop"])
def test_desktop_entries(name):
    entry = desktop_entry(PACKAGING / "debian" / name)
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "/usr/bin/scan-kiosk"
    assert entry["Icon"] == "scan-kiosk"
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(PACKAGING / "debian" / name)], check=True)


def test_systemd_user_unit_starts_the_app_in_the_graphical_session():
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str
    unit.read(PACKAGING / "debian" / "scan-kiosk.service")
    assert unit["Service"]["ExecStart"].startswith("/usr/bin/scan-kiosk ")
    assert unit["Service"]["Restart"] in ("always", "on-failure")
    assert unit["Install"]["WantedBy"] == "graphical-session.target"


def test_control_template_has_every_placeholder_build_sh_fills():
    control = (PACKAGING / "debian" / "control.in").read_text()
    build = (PACKAGING / "build.sh").read_text()
    for placeholder in ("@PACKAGE@", "@VERSION@", "@ARCH@", "@MAINTAINER@", "@INSTALLED_SIZE@", "@VARIANT@", "@RELATIONS@"):
        assert placeholder in control and placeholder in build, placeholder
    assert "libxcb-cursor0" in control  # Qt's xcb platform plugin needs it since 6.5


def test_autostart_helper_enables_and_disables_for_one_user(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SCAN_KIOSK_AUTOSTART_ENTRY": str(PACKAGING / "debian" / "scan-kiosk-autostart.desktop"),
    }
    helper = str(PACKAGING / "debian" / "scan-kiosk-autostart.sh")
    target = tmp_path / "config" / "autostart" / "scan-kiosk.desktop"
    subprocess.run([helper, "enable"], env=env, check=True, capture_output=True)
    assert desktop_entry(target)["Exec"] == "/usr/bin/scan-kiosk --kiosk"
    subprocess.run([helper, "disable"], env=env, check=True, capture_output=True)
    assert not target.exists()
    bad = subprocess.run([helper, "enable", "--bogus"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown option" in bad.stderr


def test_the_kiosk_session_is_installed_and_starts_the_session_script_alone():
    entry = desktop_entry(PACKAGING / "debian" / "scan-kiosk.xsession.desktop")
    assert entry["Type"] == "Application" and entry["Exec"] == "/usr/bin/scan-kiosk-session"
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(PACKAGING / "debian" / "scan-kiosk.xsession.desktop")], check=True)
    build = (PACKAGING / "build.sh").read_text()
    assert '"$STAGE/usr/share/xsessions/scan-kiosk.desktop"' in build and '"$STAGE/usr/bin/scan-kiosk-session"' in build
    assert "/usr/share/xsessions/scan-kiosk.desktop" in (PACKAGING / "check.sh").read_text()


def test_the_session_runs_only_the_app_in_kiosk_mode_restarts_it_after_a_crash_and_ends_on_quit(tmp_path):
    calls = tmp_path / "calls"
    exits = tmp_path / "exits"
    exits.write_text("139\n1\n0\n")  # a crash, a failed start, then Quit with the admin PIN
    app = tmp_path / "scan-kiosk"
    app.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{calls}"\n'
        f'code=$(head -n 1 "{exits}"); sed -i 1d "{exits}"; exit "$code"\n'
    )
    app.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "SCAN_KIOSK_APP": str(app), "SCAN_KIOSK_RESTART_DELAY": "0"}
    session = subprocess.run(
        [str(PACKAGING / "debian" / "scan-kiosk-session.sh"), "--camera", "0"], env=env, capture_output=True, text=True, timeout=30
    )
    assert session.returncode == 0
    assert calls.read_text().splitlines() == ["--kiosk --camera 0"] * 3  # the app and nothing else, each time in kiosk mode
    assert session.stderr.count("starting it again") == 2 and "the kiosk session ends" in session.stderr


def test_windows_installer_script_has_autostart_and_a_kiosk_shortcut():
    iss = (PACKAGING / "windows" / "scan-kiosk.iss").read_text()
    for needed in ('Name: "autostart"', 'Name: "kioskshortcut"', "{commonstartup}", "{commondesktop}",
                   "scan-kiosk-cli.exe", "--self-test", r"dist\windows\scan-kiosk"):
        assert needed in iss, needed


def test_ci_runs_the_packaging_stage_after_the_tests():
    run = (ROOT / ".ci" / "run").read_text()
    assert "packaging/build.sh --ci" in run
    assert run.index("scripts/test.sh") < run.index("packaging/build.sh --ci")
