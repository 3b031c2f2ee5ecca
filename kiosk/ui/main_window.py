"""The main window: a stack of screens and the flows between them.

    home -> scan (live camera, or an opened/dropped file) -> review -> confirm -> outbox -> home
                 \\-> failure: rescan, try the OCR service, check a partial read, type it in
    home -> PIN -> settings (-> sync queue);  home -> PIN -> sync queue;  first run -> setup -> home

The UI thread only paints and reacts. OCR, the camera, the keyring, the
outbox and the network run in `workers` lanes; their answers come back as
signals. Every flow carries a session number: an answer that arrives after
the operator went home (or the idle timer sent them there) is dropped, so
no personal data can reappear on screen.
"""

from __future__ import annotations

import logging
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget, QWidget

from kiosk.config import SYNC_KINDS, Settings, route, save_settings, targets_in_use
from kiosk.records import PassportRecord, ReceiptRecord, Record
from kiosk.ui import theme
from kiosk.ui.idle import IdleWatcher
from kiosk.ui.lockdown import ScreenCover
from kiosk.ui.pin import Attempt, Throttle, has_pin, lockout_path, set_pin
from kiosk.ui.screens.first_run import FirstRunScreen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.screens.picker import PickerScreen
from kiosk.ui.screens.pin_gate import PinScreen
from kiosk.ui.screens.queue import QueueScreen
from kiosk.ui.screens.review import ReviewScreen
from kiosk.ui.screens.scan import ScanScreen
from kiosk.ui.screens.settings import SettingsScreen
from kiosk.ui.widgets import Overlay, Toast
from kiosk.scan.evidence import encode_jpeg
from kiosk.scan.flow import Scan, usable
from kiosk.scan.models import ScanModels
from kiosk.ui.workers import CaptureBridge, TaskRunner, error_text, to_qimage

log = logging.getLogger("kiosk.ui")

STATUS_POLL_MS = 5000
HEALTH_POLL_MS = 60000


def resolve_camera(spec: str) -> tuple[str, str, str | None]:
    """(state, text, spec to open): state is demo, camera or none. Reads the OS camera list (worker only)."""
    from kiosk.capture.sources import list_cameras

    lowered = spec.strip().lower()
    if lowered.startswith("demo"):
        return "demo", "demo", spec
    if lowered == "auto":
        cameras = list_cameras()
        if cameras:
            index, name = cameras[0]
            return "camera", name, str(index)
        if sys.platform.startswith("linux"):
            return "none", "", None
        return "camera", "", "auto"
    return "camera", camera_label(spec), spec


def camera_label(spec: str) -> str:
    """How the home screen names a camera: a file or folder by what it is, never by its path (the counter sees it)."""
    from kiosk.capture.sources import VIDEO_SUFFIXES
    from kiosk.images import SUPPORTED_SUFFIXES

    suffix = Path(spec).suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return QCoreApplication.translate("MainWindow", "image file")
    if suffix in VIDEO_SUFFIXES:
        return QCoreApplication.translate("MainWindow", "video file")
    if Path(spec).is_dir():
        return QCoreApplication.translate("MainWindow", "folder of images")
    return spec


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: Settings,
        *,
        kiosk: bool = False,
        camera: str | None = None,
        config_path: str | None = None,
        first_run: bool = False,
        models: ScanModels | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.config_path = config_path
        self.camera_override = camera or None
        self.kiosk_mode = kiosk
        self.session = 0
        self.kind = "passport"
        self.read: Scan | None = None
        self.camera_state: tuple[str, str, str | None] | None = None
        self.throttle = Throttle(path=lockout_path(config_path))
        self.sync: Any = None
        self.sync_problem = ""
        self._status_outbox: Any = None
        self._remote: Any = None
        self._remote_lock = threading.Lock()
        self._allow_close = False
        self._waiting_for_models = False
        self._picker_back: QWidget | None = None
        self._closed = False
        self.last_saved_id: str | None = None

        self.setWindowTitle(self.tr("Scan kiosk"))
        self.setAcceptDrops(True)
        self.setStyleSheet(theme.STYLE)
        self.runner = TaskRunner(self)
        self.models = models if models is not None else ScanModels(settings)
        self.models.settings = settings
        self.capture = CaptureBridge(self.runner, self)
        self.capture.frame.connect(self._on_frame)
        self.capture.status.connect(self._on_capture_status)
        self.capture.result.connect(self._on_capture_result)
        self.capture.started.connect(self._on_capture_started)

        self.stack = QStackedWidget()
        self.home = HomeScreen()
        self.scan = ScanScreen()
        self.review = ReviewScreen()
        self.pin = PinScreen()
        self.settings_screen = SettingsScreen()
        self.first_run = FirstRunScreen()
        for screen in (self.home, self.scan, self.review, self.pin, self.settings_screen, self.first_run):
            self.stack.addWidget(screen)
        self.queue = QueueScreen(self.runner)
        self.stack.addWidget(self.queue)
        self.queue.back.connect(self.go_home)
        self.home.open_queue.connect(lambda: self.open_settings("queue"))
        self.settings_screen.sync.open_queue.connect(self._show_queue)
        self.setCentralWidget(self.stack)
        self.review.prepare()
        self.toast = Toast(self)
        self.question = Overlay(self)
        self._make_picker()
        self.screen_cover = ScreenCover(self)

        self.home.scan_passport.connect(lambda: self.start_scan("passport"))
        self.home.scan_receipt.connect(lambda: self.start_scan("receipt"))
        self.home.open_image.connect(lambda: self.choose_file(None))
        self.home.open_settings.connect(lambda: self.open_settings("settings"))
        self.home.use_demo.connect(self.use_demo_camera)
        self.scan.cancel.connect(self.leave_read)
        self.scan.open_image.connect(lambda: self.choose_file(self.kind))
        self.scan.use_demo.connect(self.use_demo_camera)
        self.scan.rescan.connect(lambda: self.start_scan(self.kind))
        self.scan.try_remote.connect(self._remote_after_failure)
        self.scan.review_partial.connect(self._review_partial)
        self.scan.type_in.connect(self._type_in)
        self.scan.preview.resized.connect(lambda w, h: setattr(self.capture, "preview_size", (max(160, w), max(90, h))))
        self.review.confirm.connect(self.confirm_record)
        self.review.rescan.connect(lambda: self.start_scan(self.kind))
        self.review.try_remote.connect(self._remote_from_review)
        self.review.cancel.connect(self.leave_read)
        self.pin.submitted.connect(self._pin_submitted)
        self.pin.cancel.connect(self.go_home)
        self.settings_screen.save.connect(self._save_settings)
        self.settings_screen.cancel.connect(self.go_home)
        self.settings_screen.test_remote.connect(lambda s, t: self._test("remote", s, t, self.settings_screen.remote.tester))
        self.settings_screen.test_sync.connect(lambda s, t: self._test("sync", s, t, self.settings_screen.sync.tester))
        self.settings_screen.leave_kiosk.connect(self.leave_kiosk_mode)
        self.settings_screen.quit_app.connect(self.quit_app)
        self.first_run.finish.connect(self._finish_first_run)
        self.first_run.test_remote.connect(lambda s, t: self._test("remote", s, t, self.first_run.remote.tester))
        self.first_run.test_sync.connect(lambda s, t: self._test("sync", s, t, self.first_run.sync.tester))

        self.idle = IdleWatcher(settings.ui.idle_seconds, self)
        self.idle.idle.connect(self._on_idle)
        self.idle.countdown.connect(self._idle_countdown)
        self.idle.resumed.connect(lambda: self.question.showing("idle") and self.question.close_quietly())
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle)

        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.escape)
        QShortcut(QKeySequence.StandardKey.Open, self, lambda: self.choose_file(self.kind if self.stack.currentWidget() is self.scan else None))
        QShortcut(QKeySequence("Ctrl+Shift+Q"), self, lambda: self.request_quit())

        self.status_timer = QTimer(self)
        self.status_timer.setInterval(STATUS_POLL_MS)
        self.status_timer.timeout.connect(self.refresh_sync_status)
        self.status_timer.start()
        self.health_timer = QTimer(self)
        self.health_timer.setInterval(HEALTH_POLL_MS)
        self.health_timer.timeout.connect(self.refresh_health)
        self.health_timer.start()

        self.home.set_kiosk(settings.kiosk.id, settings.kiosk.operator)
        self._load_models()
        self._start_sync()
        self._check_camera()
        if first_run:
            self.first_run.load(settings)
            self.stack.setCurrentWidget(self.first_run)
        else:
            self.stack.setCurrentWidget(self.home)
            self.home.passport_button.setFocus()
        self.refresh_sync_status()
        self.refresh_health()

    # -- helpers ----------------------------------------------------------------------

    def _guard(self, fn: Callable[..., None]) -> Callable[..., None]:
        """`fn`, but only while the flow that asked is still the current one."""
        session = self.session

        def guarded(*args: Any) -> None:
            if session == self.session and not self._closed:
                fn(*args)

        return guarded

    def _new_session(self) -> None:
        self.session += 1

    def current_screen(self) -> QWidget:
        return self.stack.currentWidget()

    def show_screen(self, screen: QWidget) -> None:
        self.stack.setCurrentWidget(screen)
        if screen is self.home or screen is self.first_run:
            self.idle.deactivate()
        else:
            self.idle.activate()

    def camera_spec(self) -> str:
        return self.camera_override or self.settings.capture.camera

    # -- models, camera, sync, service status -------------------------------------------

    def _load_models(self) -> None:
        models = self.models
        self.home.set_engine(self.tr("Local OCR ({engine}): loading…").format(engine=self.settings.ocr.engine))

        def done(_: Any) -> None:
            if models is not self.models or self._closed:
                return
            self.home.set_engine(self.tr("Local OCR ({engine}): ready").format(engine=self.settings.ocr.engine))
            if self._waiting_for_models and self.current_screen() is self.scan and self.scan.state == "live":
                self._waiting_for_models = False
                self.capture.begin(self._scan_factory(self.kind))

        def failed(exc: BaseException) -> None:
            if models is not self.models or self._closed:
                return
            self.home.set_engine(self.tr("Local OCR failed: {reason}").format(reason=error_text(exc)))
            if self._waiting_for_models and self.current_screen() is self.scan:
                self._waiting_for_models = False
                self.show_failure(self.kind, self.tr("The local OCR engine could not start: {reason}").format(reason=error_text(exc)))

        if models.ready:
            done(models)
        else:
            self.runner.run("ocr", models.load, done, failed)

    def _check_camera(self) -> None:
        spec = self.camera_spec()

        def done(state: tuple[str, str, str | None]) -> None:
            self.camera_state = state
            kind, name, _ = state
            if kind == "demo":
                self.home.set_camera(self.tr("Demo camera: synthetic documents, no real camera."), False, False)
            elif kind == "none":
                self.home.set_camera(
                    self.tr("No camera found. Connect one, use the demo camera, or open an image file."), True, True
                )
            else:
                self.home.set_camera(self.tr("Camera: {name}").format(name=name or spec), False, False)

        self.runner.run("camera", lambda: resolve_camera(spec), done, lambda exc: self.home.set_camera(error_text(exc), True, True))

    @Slot()
    def use_demo_camera(self) -> None:
        """No camera: use the demo source for this session (the setting is not changed)."""
        self.camera_override = "demo"
        self._check_camera()
        if self.current_screen() is self.scan:
            self.start_scan(self.kind)

    def _start_sync(self) -> None:
        old, self.sync = self.sync, None
        if old is not None:
            threading.Thread(target=old.stop, name="kiosk-sync-stop", daemon=True).start()
        self.sync_problem = ""
        if not targets_in_use(self.settings):
            return
        settings = self.settings

        def work() -> Any:
            from kiosk.sync.targets import create_target
            from kiosk.sync.worker import BackgroundSync

            for name in targets_in_use(settings):
                create_target(settings, name=name).close()  # settings and secrets complete? (no network)
            background = BackgroundSync(settings)
            background.start()
            return background

        def done(background: Any) -> None:
            if settings is not self.settings or self._closed:
                threading.Thread(target=background.stop, daemon=True).start()
                return
            self.sync = background
            self.refresh_sync_status()

        def failed(exc: BaseException) -> None:
            if settings is not self.settings:
                return
            self.sync_problem = self.tr("Sync is not running: {reason}").format(reason=error_text(exc))
            self.refresh_sync_status()

        self.runner.run("disk", work, done, failed)

    def _outbox_status(self) -> Any:
        """(on the disk lane) the outbox's status, or None when nothing was ever queued."""
        if self.sync is not None:
            return self.sync.status()
        from kiosk.sync.outbox import Outbox, outbox_path

        path = outbox_path(self.settings)
        if self._status_outbox is not None and self._status_outbox.path != path:
            self._status_outbox.close()
            self._status_outbox = None
        if self._status_outbox is None:
            if not path.exists():
                return None
            self._status_outbox = Outbox(path, create_key=False)
        return self._status_outbox.status()

    @Slot()
    def refresh_sync_status(self) -> None:
        if self.current_screen() is not self.home or self.runner.pending("disk") > 2:
            return
        settings = self.settings
        self.runner.run("disk", self._outbox_status, lambda status: self._show_sync(status, settings), lambda exc: self.home.set_sync("", "", error_text(exc)))

    def _show_sync(self, status: Any, settings: Settings) -> None:
        names = {"odoo": "Odoo", "greenpay": "GreenPay"}
        by_kind = status.waiting if status is not None else {}
        last, error, failed = (status.last_sync_at, status.last_error, status.counts.get("failed", 0)) if status is not None else (None, "", 0)
        routes = {kind: route(settings, kind) for kind in SYNC_KINDS}
        targets = " + ".join(names[name] for name in targets_in_use(settings))
        waiting = sum(n for kind, n in by_kind.items() if routes.get(kind, "none") != "none")
        kept = sum(n for kind, n in by_kind.items() if routes.get(kind, "none") == "none")
        if not targets:
            line = self.tr("Sync is off. Records kept on this kiosk: {count}").format(count=kept)
        elif waiting:
            line = self.tr("Records waiting for {target}: {count}").format(target=targets, count=waiting)
        else:
            line = self.tr("Nothing waiting for {target}").format(target=targets)
        if targets and kept:
            line += " · " + self.tr("kept on this kiosk (no target for their kind): {count}").format(count=kept)
        if status is not None and status.local_only:
            line += " · " + self.tr("demo records (never sent): {count}").format(count=status.local_only)
        when = self.tr("Last sync: {when}").format(when=_when(last)) if last else self.tr("Last sync: never")
        problems = [self.sync_problem] if self.sync_problem else []
        if failed:
            problems.append(self.tr("Records that failed: {count}").format(count=failed))
        if error:
            problems.append(error)
        self.home.set_sync(line, when, " · ".join(problems))
        self.last_sync_status = status

    def _remote_client(self) -> Any:
        """(worker lanes) the one OCR service client of the app, made on first use."""
        from kiosk.ocr.remote.client import RemoteOcr

        with self._remote_lock:
            if self._remote is None:
                self._remote = RemoteOcr.from_settings(self.settings)
            return self._remote

    def _reset_remote(self) -> None:
        with self._remote_lock:
            old, self._remote = self._remote, None
        if old is not None:
            self.runner.run("net", old.close)

    def remote_problem(self) -> str | None:
        from kiosk.ocr.remote.fallback import remote_allowed

        return remote_allowed(self.settings)

    @Slot()
    def refresh_health(self) -> None:
        problem = self.remote_problem()
        if problem is not None:
            text = self.tr("Turned off") if self.settings.remote.policy == "off" else self.tr("Not set up (Settings, OCR service)")
            self.home.set_service(text, "muted")
            return
        if self.current_screen() is not self.home or self.runner.pending("net") > 1:
            return

        def done(health: Any) -> None:
            if health.up:
                what = " ".join(filter(None, [health.service, health.version]))
                self.home.set_service(self.tr("Up{what} · {ms} ms").format(what=f" ({what})" if what else "", ms=int(health.latency * 1000)), "ok")
            else:
                self.home.set_service(self.tr("Not up: status {status}").format(status=health.status), "error")

        self.runner.run("net", lambda: self._remote_client().health(), done, lambda exc: self.home.set_service(self.tr("Down: {reason}").format(reason=error_text(exc)), "error"))

    # -- going home, idle, keys --------------------------------------------------------

    @Slot()
    def go_home(self) -> None:
        """Back to the start; nothing personal stays on screen or in the window's memory."""
        self._new_session()
        self._waiting_for_models = False
        self.capture.stop()
        self.read = None
        self.picker.clear()
        self.question.close_quietly()
        self.scan.clear()
        self.review.clear()
        self.settings_screen.clear()
        self.queue.clear()
        self.pin.clear()
        self.show_screen(self.home)
        self.home.passport_button.setFocus()
        self.refresh_sync_status()
        self.refresh_health()

    @Slot()
    def _on_idle(self) -> None:
        screen = self.current_screen()
        if screen is self.home or screen is self.first_run:
            return
        log.info("idle: back to the start screen")
        self.go_home()
        self.toast.show_message(self.tr("Back to the start after a while without input."), "warn", 3000)

    @Slot(int)
    def _idle_countdown(self, seconds: int) -> None:
        screen = self.current_screen()
        if screen is self.home or screen is self.first_run:
            return
        text = self.tr("Going back to the start in {seconds} s: what is on screen will be cleared. Touch anywhere to stay.").format(seconds=seconds)
        if self.question.showing("idle"):
            self.question.set_text(text)
        else:
            self.question.ask("idle", self.tr("Still here?"), text, self.tr("I'm still here"))

    def holds_read(self) -> bool:
        """Whether going home now would lose a read (or typed-in values) not yet confirmed."""
        screen = self.current_screen()
        if screen is self.review:
            return self.review.holds_data()
        return screen is self.scan and self.read is not None and usable(self.read.record)

    @Slot()
    def leave_read(self) -> None:
        """Cancel or Esc: home at once when nothing would be lost, else ask first (keeping it is the answer
        a stray Enter or Esc gives)."""
        if not self.holds_read():
            self.go_home()
            return
        self.question.ask(
            "discard",
            self.tr("Discard this read?"),
            self.tr("What was read and typed here has not been confirmed: it will be lost."),
            self.tr("&Keep it"),
            self.tr("&Discard"),
            on_other=self.go_home,
        )

    @Slot()
    def escape(self) -> None:
        if self.question.showing():
            self.question.dismiss()
            return
        screen = self.current_screen()
        if screen in (self.scan, self.review):
            self.leave_read()
        elif screen in (self.pin, self.settings_screen, self.queue):
            self.go_home()

    # -- scanning ----------------------------------------------------------------------

    def _scan_factory(self, kind: str) -> Callable[[], Any]:
        from kiosk.capture.pipeline import create_scan

        models, settings = self.models, self.settings
        return lambda: create_scan(kind, settings, analyser=models.analyser(kind))

    @Slot()
    def start_scan(self, kind: str) -> None:
        self._new_session()
        self.kind = kind
        self.read = None
        self.review.clear()
        self.scan.set_kind(kind)
        self.scan.show_live(self.tr("Starting the camera…"))
        self.show_screen(self.scan)
        spec = self.camera_spec()

        def resolved(state: tuple[str, str, str | None]) -> None:
            self.camera_state = state
            if state[0] == "none":
                self.scan.show_no_camera(self.tr("No camera found."))
                return
            ready = self.models.ready
            self._waiting_for_models = not ready
            self.capture.start(state[2] or spec, kind, self.settings, self._scan_factory(kind) if ready else None)

        self.runner.run("camera", lambda: resolve_camera(spec), self._guard(resolved), self._guard(lambda exc: self.scan.show_no_camera(error_text(exc))))

    @Slot(int, str)
    def _on_capture_started(self, generation: int, error: str) -> None:
        if error and generation == self.capture.generation and self.current_screen() is self.scan:
            self.scan.set_source_problem(self.tr("The camera cannot be used: {reason}").format(reason=error), True)

    @Slot(int, object)
    def _on_frame(self, generation: int, preview: Any) -> None:
        if generation == self.capture.generation and self.current_screen() is self.scan and self.scan.state == "live":
            found = (preview.mrz if self.kind == "passport" else preview.document) is not None
            self.scan.preview.set_frame(to_qimage(preview.image), preview.rect("mrz"), preview.rect("document"), found)
        self.capture.painted()

    @Slot(int, object)
    def _on_capture_status(self, generation: int, status: Any) -> None:
        if generation != self.capture.generation or self.current_screen() is not self.scan or self.scan.state != "live":
            return
        source = status.source
        if source.state in ("retrying", "failed"):
            self.scan.set_source_problem(source.message, True)
            return
        if source.state in ("closed", "opening"):
            self.scan.set_hint(self.tr("Starting the camera…"))
            return
        if source.state == "live":
            self.scan.set_source_problem(None, False)
        if status.scan is None:
            self.scan.set_hint(self.tr("Getting the reader ready…") if self._waiting_for_models else source.message)
            return
        scan = status.scan
        self.scan.set_scan_state(scan.state, scan.elapsed, self.settings.capture.timeout)
        self.scan.set_hint(status.message)

    @Slot(int, object, object)
    def _on_capture_result(self, generation: int, result: Any, crop: Any) -> None:
        if generation != self.capture.generation or self.current_screen() is not self.scan:
            return
        from kiosk.scan.flow import from_capture

        self.capture.stop()
        demo = self.camera_state is not None and self.camera_state[0] == "demo"
        scan = from_capture(result, crop, "demo" if demo else "camera")
        if result.state == "done" and result.record is not None:
            self._after_read(scan)
            return
        if result.reason.startswith("no certain read") or result.state == "timed_out":
            problem = self.tr("No certain read within {seconds:.0f} s ({reason}).").format(seconds=result.seconds, reason=result.reason)
        else:
            problem = result.reason
        self._after_read(scan, problem=problem)

    # -- files -------------------------------------------------------------------------

    def _make_picker(self) -> None:
        self.picker = PickerScreen()
        self.stack.addWidget(self.picker)
        self.picker.chosen.connect(lambda path: self.open_path(path, self.picker.kind))
        self.picker.refresh.connect(self._list_images)
        self.picker.cancel.connect(self._close_picker)

    def choose_file(self, kind: str | None) -> None:
        """The app's own picker behind "Open image...", in and out of kiosk mode: images in the import folders and
        on removable media only; no path to type, no other folder, no file operations."""
        back = self.current_screen()
        if back in (self.settings_screen, self.first_run, self.pin, self.picker):
            return
        if back is self.scan and self.scan.state not in ("failed", "no_camera"):
            self._new_session()  # the live scan (or a read in progress) stops; Cancel starts it again
            self.capture.stop()
        self._picker_back = back
        self.picker.open(kind)
        self.show_screen(self.picker)
        self._list_images()

    @Slot()
    def _list_images(self) -> None:
        from kiosk.ui.lockdown import import_places, list_images

        ui = self.settings.ui
        self.picker.show_loading()
        self.runner.run(
            "disk",
            lambda: list_images(import_places(ui)),
            self._guard(self.picker.show_listing),
            self._guard(lambda exc: self.picker.show_error(error_text(exc))),
        )

    @Slot()
    def _close_picker(self) -> None:
        back, self._picker_back = self._picker_back, None
        if back is self.scan and self.scan.state in ("failed", "no_camera"):
            self.show_screen(self.scan)
        elif back is self.scan:
            self.start_scan(self.kind)
        elif back is self.review:
            self.show_screen(self.review)
        else:
            self.go_home()

    def open_path(self, path: str, kind: str | None = None) -> None:
        """Read an image file (kind None: a passport if it has an MRZ, else a receipt), off the UI thread."""
        self._new_session()
        self.capture.stop()
        self.read = None
        self.review.clear()
        self.kind = kind or "passport"
        self.scan.set_kind(self.kind)
        if kind is None:
            self.scan.title.setText(self.tr("Reading an image"))
        self.scan.show_busy(self.tr("Reading {name}…").format(name=Path(path).name))
        self.show_screen(self.scan)
        models = self.models

        def work() -> Scan:
            from kiosk.scan.flow import read_file

            models.load()
            return read_file(models, kind, path)

        def done(scan: Scan) -> None:
            self.kind = scan.kind
            self.scan.set_kind(scan.kind)
            self._after_read(scan)

        def failed(exc: BaseException) -> None:
            self.show_failure(self.kind, self.tr("Could not open {name}: {reason}").format(name=Path(path).name, reason=error_text(exc)), image=False)

        self.runner.run("ocr", work, self._guard(done), self._guard(failed))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt name
        if event.mimeData().hasUrls() and self.current_screen() not in (self.settings_screen, self.first_run, self.pin):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt name
        urls = [url for url in event.mimeData().urls() if url.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            kind = self.kind if self.current_screen() is self.scan else None
            self.open_path(urls[0].toLocalFile(), kind)

    # -- after a read: fallback, review or failure ------------------------------------------

    def _after_read(self, scan: Scan, problem: str | None = None) -> None:
        from kiosk.ocr.remote.fallback import local_read_problem
        from kiosk.scan.flow import needs_remote

        self.read = scan
        kind, record = scan.kind, scan.record
        if problem is None and not usable(record):
            problem = self._describe_problem(kind, record)
        if needs_remote(scan, self.settings):
            why = local_read_problem(record, self.settings.ocr.confidence_threshold) or problem or ""
            self._ask_remote(kind, record, operator_asked=False, problem=problem, why=why)
            return
        if problem is None:
            self.show_review(kind, record)
        else:
            self.show_failure(kind, problem)

    def _describe_problem(self, kind: str, record: Record | None) -> str:
        reason = f" ({record.reason})" if record is not None and record.reason else ""
        if kind == "passport":
            return self.tr("No machine-readable zone read{reason}.").format(reason=reason)
        return self.tr("No receipt found{reason}.").format(reason=reason)

    def _ask_remote(self, kind: str, record: Record | None, *, operator_asked: bool, problem: str | None, why: str = "") -> None:
        from kiosk.scan.flow import ask_remote

        assert self.read is not None
        scan, settings = self.read, self.settings
        text = self.tr("Asking the OCR service…")
        if why and not operator_asked:
            text = self.tr("Asking the OCR service ({why})…").format(why=why)
        self.scan.show_busy(text)
        self.show_screen(self.scan)

        def work() -> Scan:
            return ask_remote(scan, settings, operator_asked=operator_asked, client=self._remote_client())

        def done(asked: Scan) -> None:
            self._after_remote(kind, asked, problem)

        def failed(exc: BaseException) -> None:
            reason = self.tr("OCR service: {reason}").format(reason=error_text(exc))
            if problem is None and usable(record):
                self.show_review(kind, record, note=reason, note_role="error")
            else:
                self.show_failure(kind, "\n".join(filter(None, [problem, reason])))

        self.runner.run("net", work, self._guard(done), self._guard(failed))

    def _after_remote(self, kind: str, scan: Scan, problem: str | None) -> None:
        assert scan.outcome is not None
        record = scan.record
        error = scan.outcome.remote_error_text
        self.read = scan
        if error:
            note = self.tr("The OCR service could not help: {reason}").format(reason=error)
            if problem is None and usable(record):
                self.show_review(kind, record, note=note, note_role="error")
            else:
                self.show_failure(kind, "\n".join(filter(None, [problem, note])))
            return
        if usable(record):
            self.show_review(kind, record, note=self.tr("Read with the OCR service: its fields are marked “OCR service”."), note_role="warn")
        else:
            self.show_failure(kind, "\n".join(filter(None, [problem, self.tr("The OCR service found nothing either.")])))

    def show_failure(self, kind: str, reason: str, image: bool = True) -> None:
        title = self.tr("Could not read the passport") if kind == "passport" else self.tr("Could not read the receipt")
        if kind == "passport":
            help_text = self.tr("Hold the photo page flat and still, with the two lines of <<< inside the frame and away from glare. Or open a photo of the page.")
        else:
            help_text = self.tr("Lay the receipt flat, fully in view, in even light. Or open a photo of it.")
        has_image = image and self.read is not None and self.read.image is not None
        self.scan.set_kind(kind)
        self.scan.show_failed(
            title,
            reason,
            help_text,
            remote=has_image and self.remote_problem() is None,
            partial=self.read is not None and usable(self.read.record),
        )
        self.show_screen(self.scan)

    @Slot()
    def _remote_after_failure(self) -> None:
        if self.read is None or self.read.image is None:
            return
        record = self.read.record
        self._ask_remote(self.read.kind, record if usable(record) else None, operator_asked=True, problem=self.scan.failed_reason.text())

    @Slot()
    def _review_partial(self) -> None:
        if self.read is not None and usable(self.read.record):
            self.show_review(self.read.kind, self.read.record, note=self.tr("This read is not certain: compare every field with the document."), note_role="warn")

    @Slot()
    def _type_in(self) -> None:
        kind = self.kind
        if kind == "passport":
            record: Record = PassportRecord(status="no_mrz", reason="typed in by hand")
        else:
            record = ReceiptRecord(status="incomplete", reason="typed in by hand")
        if self.read is None:
            self.read = Scan(kind, None, None, None, None, "hand")
        self.show_review(kind, record, note=self.tr("Type the fields in from the document."), note_role="muted")

    def show_review(self, kind: str, record: Record | None, note: str = "", note_role: str | None = "muted") -> None:
        assert record is not None
        crop = to_qimage(self.read.crop) if self.read is not None and self.read.crop is not None else None
        has_image = self.read is not None and self.read.image is not None
        self.review.show_record(
            kind,
            record,
            crop,
            threshold=self.settings.ocr.confidence_threshold,
            receipt=self.settings.receipt,
            passport=self.settings.passport,
            remote_available=has_image and self.remote_problem() is None,
            note=note,
            note_role=note_role,
        )
        self.show_screen(self.review)
        self._check_duplicate(record)

    def _check_duplicate(self, record: Record) -> None:
        """Look in the outbox, on a worker, for the same receipt confirmed before; the review then says when."""
        from kiosk.scan.duplicates import find_duplicate

        if record.kind != "receipt":
            return
        settings, image = self.settings, self.read.image if self.read is not None else None

        def done(found: Any) -> None:
            if found is not None and self.current_screen() is self.review:
                when = found.confirmed_at.replace("T", " ").removesuffix("+00:00") + " UTC"
                text = self.tr("Possible duplicate: this receipt (same picture) was confirmed on {when}.") if found.same_picture else self.tr(
                    "Possible duplicate: a receipt with the same vendor, date and total was confirmed on {when}.")
                self.review.set_duplicate(text.format(when=when))

        self.runner.run("disk", lambda: find_duplicate(settings, record, image), self._guard(done), lambda exc: log.warning("duplicate check failed: %s", type(exc).__name__))

    @Slot()
    def _remote_from_review(self) -> None:
        from dataclasses import replace

        from kiosk.scan.flow import ask_remote

        if self.read is None or self.read.image is None:
            return
        kind, settings = self.read.kind, self.settings
        scan = replace(self.read, record=self.review.current_record())
        self.review.set_busy(True, self.tr("Asking the OCR service…"))

        def done(asked: Scan) -> None:
            assert asked.outcome is not None
            if asked.outcome.remote_error_text:
                self.review.set_busy(False)
                self.review.set_note(self.tr("The OCR service could not help: {reason}").format(reason=asked.outcome.remote_error_text), "error")
                return
            self.show_review(kind, asked.record, note=self.tr("Merged with the OCR service's read: its fields are marked “OCR service”."), note_role="warn")

        def failed(exc: BaseException) -> None:
            self.review.set_busy(False)
            self.review.set_note(self.tr("The OCR service could not help: {reason}").format(reason=error_text(exc)), "error")

        self.runner.run(
            "net",
            lambda: ask_remote(scan, settings, operator_asked=True, client=self._remote_client()),
            self._guard(done),
            self._guard(failed),
        )

    # -- confirming ----------------------------------------------------------------------

    @Slot()
    def confirm_record(self) -> None:
        record = self.review.current_record()
        if record is None:
            return
        from kiosk.scan.duplicates import remember as remember_receipt
        from kiosk.sync.outbox import keeps_image, queue_record

        image = self.read.image if self.read is not None else None
        attachment = self.read.attachment if self.read is not None else None  # a PDF goes whole
        origin = self.read.origin if self.read is not None else "hand"
        settings = self.settings
        self.review.set_busy(True, self.tr("Saving…"))

        def work() -> str:
            record.confirm(settings.kiosk.operator, settings.kiosk.id)
            data = (attachment or encode_jpeg(image)) if keeps_image(settings, record.kind) else None
            record_id = queue_record(settings, record, data, origin)
            remember_receipt(settings, record, image)
            return record_id

        def done(record_id: str) -> None:
            self.last_saved_id = record_id
            if self.sync is not None:
                self.sync.wake()
            if self.current_screen() is self.review:
                self.go_home()
            self.toast.show_message(self._saved_text(settings, record.kind, origin), "ok")

        def failed(exc: BaseException) -> None:
            self.review.set_busy(False)
            self.review.set_note(self.tr("NOT saved: {reason}. The record is still here: try again.").format(reason=error_text(exc)), "error")

        self.runner.run("disk", work, self._guard(done), self._guard(failed))

    def _saved_text(self, settings: Settings, kind: str, origin: str) -> str:
        """What Confirm says: where the record goes, or why it stays on this kiosk."""
        from kiosk.sync.outbox import LOCAL_ONLY, destination

        where = destination(settings, kind, origin)
        if where == LOCAL_ONLY:
            return self.tr("Saved on this kiosk: demo record, not sent.")
        if where != "none":
            return self.tr("Saved. The record is queued for {target}.").format(target={"odoo": "Odoo", "greenpay": "GreenPay"}[where])
        if not targets_in_use(settings):
            return self.tr("Saved on this kiosk (sync is off).")
        if kind == "receipt":
            return self.tr("Saved: kept on this kiosk, no target takes receipts.")
        return self.tr("Saved: kept on this kiosk, no target takes passports.")

    # -- settings and PIN ------------------------------------------------------------------

    def open_settings(self, purpose: str = "settings") -> None:
        self._new_session()
        self.capture.stop()
        self.read = None
        self.review.clear()
        self.scan.clear()

        def done(present: bool) -> None:
            if not present:
                if purpose == "settings":
                    self._show_settings(pin_missing=True)
                elif purpose == "queue":
                    self._show_queue()
                else:
                    self.quit_app()
                return
            self.pin.open(purpose)
            self.show_screen(self.pin)

        def failed(exc: BaseException) -> None:
            self.pin.open(purpose)
            self.pin.refused(self.tr("The PIN cannot be checked: {reason}").format(reason=error_text(exc)))
            self.show_screen(self.pin)

        self.runner.run("disk", has_pin, self._guard(done), self._guard(failed))

    @Slot(str)
    def _pin_submitted(self, pin: str) -> None:
        self.pin.checking()
        purpose = self.pin.purpose
        throttle = self.throttle

        def done(attempt: Attempt) -> None:
            seconds = int(attempt.wait + 0.999)
            if attempt.locked_before:
                self.pin.refused(self.tr("Too many wrong PINs: try again in {seconds} s.").format(seconds=seconds))
                return
            if not attempt.ok:
                if seconds > 0:
                    self.pin.refused(self.tr("Wrong PIN. Locked for {seconds} s.").format(seconds=seconds))
                else:
                    self.pin.refused(self.tr("Wrong PIN."))
                return
            if purpose == "settings":
                self._show_settings(pin_missing=False)
            elif purpose == "queue":
                self._show_queue()
            else:
                self.quit_app()

        def failed(exc: BaseException) -> None:
            self.pin.refused(self.tr("The PIN cannot be checked: {reason}").format(reason=error_text(exc)))

        self.runner.run("disk", lambda: throttle.attempt(pin), self._guard(done), self._guard(failed))

    def _show_queue(self) -> None:
        self.queue.open(self.settings, self.sync, self.sync_problem)
        self.show_screen(self.queue)

    def _show_settings(self, pin_missing: bool) -> None:
        self.settings_screen.load(self.settings, kiosk_mode=self.kiosk_mode, camera_override=self.camera_override, pin_missing=pin_missing)
        self.show_screen(self.settings_screen)
        self.settings_screen.kiosk.kiosk_id.setFocus()

        def work() -> tuple[dict[str, str], list[tuple[int, str]]]:
            from kiosk.capture.sources import list_cameras
            from kiosk.secrets import SECRETS, secret_source

            return {name: secret_source(name) for name in SECRETS}, list_cameras()

        def done(found: tuple[dict[str, str], list[tuple[int, str]]]) -> None:
            sources, cameras = found
            self.settings_screen.set_sources(sources)
            self.settings_screen.set_cameras(cameras)

        self.runner.run("disk", work, self._guard(done))

    def _store(self, settings: Settings, secrets: dict[str, str], pin: str | None) -> Callable[[], Settings]:
        config_path = self.config_path

        def work() -> Settings:
            from kiosk.secrets import set_secret

            for name, value in secrets.items():
                set_secret(name, value)
            if pin:
                set_pin(pin)
            save_settings(settings, config_path)
            return settings

        return work

    @Slot(object, dict, object)
    def _save_settings(self, settings: Settings, secrets: dict[str, str], pin: str | None) -> None:
        def done(saved: Settings) -> None:
            self.apply_settings(saved)
            self.go_home()
            self.toast.show_message(self.tr("Settings saved."), "ok")

        self.runner.run("disk", self._store(settings, secrets, pin), self._guard(done), self._guard(lambda exc: self.settings_screen.saved_failed(error_text(exc))))

    @Slot(object, dict, str)
    def _finish_first_run(self, settings: Settings, secrets: dict[str, str], pin: str) -> None:
        def done(saved: Settings) -> None:
            self.apply_settings(saved)
            self.go_home()
            self.toast.show_message(self.tr("This kiosk is set up."), "ok")

        self.runner.run("disk", self._store(settings, secrets, pin), self._guard(done), self._guard(lambda exc: self.first_run.failed(error_text(exc))))

    def apply_settings(self, settings: Settings) -> None:
        """Use new settings at once: models, OCR service client, sync worker, camera, idle time."""
        old_key = self.models.key
        self.settings = settings
        self.idle.set_seconds(settings.ui.idle_seconds)
        fresh = ScanModels(settings)
        if fresh.key != old_key:
            self.models = fresh
            self._load_models()
        else:
            self.models.settings = settings
        self._reset_remote()
        self._start_sync()
        self._check_camera()
        self.home.set_kiosk(settings.kiosk.id, settings.kiosk.operator)

    def _test(self, what: str, settings: Settings, typed: str | None, tester: Any) -> None:
        from kiosk.ui.connections import check_remote, check_sync

        tester.set_busy()
        check = check_remote if what == "remote" else check_sync
        self.runner.run(
            "net",
            lambda: check(settings, typed),
            self._guard(lambda result: tester.set_result(*result)),
            self._guard(lambda exc: tester.set_result(False, error_text(exc))),
        )

    # -- kiosk mode and closing ---------------------------------------------------------------

    def enter_kiosk_mode(self) -> None:
        self.kiosk_mode = True
        self.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.screen_cover.cover()

    @Slot()
    def leave_kiosk_mode(self) -> None:
        self.kiosk_mode = False
        self.screen_cover.release()
        self.setWindowFlags(Qt.WindowType.Window)
        self.showMaximized()
        self.go_home()

    def request_quit(self) -> None:
        if self.kiosk_mode:
            self.open_settings("exit")
        else:
            self.quit_app()

    @Slot()
    def quit_app(self) -> None:
        self._allow_close = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        if self.kiosk_mode and not self._allow_close:
            event.ignore()
            self.open_settings("exit")
            return
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._new_session()
        self.status_timer.stop()
        self.health_timer.stop()
        self.idle.deactivate()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle)
        self.review.clear()
        self.scan.clear()
        self.capture.shutdown()
        self.runner.shutdown(wait=5.0)
        sync, self.sync = self.sync, None
        if sync is not None:
            threading.Thread(target=sync.stop, name="kiosk-sync-stop", daemon=True).start()
        remote, self._remote = self._remote, None
        status_outbox, self._status_outbox = self._status_outbox, None
        for closeable in (remote, status_outbox):
            if closeable is not None:
                threading.Thread(target=closeable.close, daemon=True).start()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        if self.toast.isVisible():
            self.toast.place()


def _when(iso: str) -> str:
    """A timestamp for the home screen: the time today, else the date and time."""
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")
