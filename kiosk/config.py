"""Settings: one TOML file in the OS config folder, never holding a secret.

The file is found in this order: `--config PATH`, the `KIOSK_CONFIG`
environment variable, then the OS config folder (`settings_path()`). A missing
default file means first run: defaults apply. Secrets live in `kiosk.secrets`.
"""

from __future__ import annotations

import os
import socket
import sys
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from kiosk.errors import ConfigError

APP_DIR_NAME = "scan-kiosk"
ENGINES = ("onnx", "paddle")
SECRET_LIKE_WORDS = ("token", "password", "secret", "api_key", "apikey", "key")


def config_dir() -> Path:
    """The OS folder for this app's settings."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / APP_DIR_NAME


def data_dir() -> Path:
    """The OS folder for this app's data (the outbox)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_DIR_NAME


def settings_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get("KIOSK_CONFIG"):
        return Path(os.environ["KIOSK_CONFIG"])
    return config_dir() / "settings.toml"


def _default_kiosk_id() -> str:
    return socket.gethostname() or "kiosk"


@dataclass
class KioskSettings:
    id: str = field(default_factory=_default_kiosk_id)
    operator: str = ""

    def validate(self) -> None:
        if not self.id.strip():
            raise ConfigError("[kiosk] id must not be empty")


@dataclass
class OcrSettings:
    engine: str = "onnx"
    threads: int = 0
    confidence_threshold: float = 0.60
    max_side: int = 2000

    def validate(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(f"[ocr] engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if not 0.0 <= self.confidence_threshold <= 1.0:
            raise ConfigError("[ocr] confidence_threshold must be between 0 and 1")
        if self.threads < 0:
            raise ConfigError("[ocr] threads must be 0 (automatic) or more")
        if self.max_side < 320:
            raise ConfigError("[ocr] max_side must be at least 320 pixels")


DATE_ORDERS = ("DMY", "MDY", "YMD")
REMOTE_POLICIES = ("off", "manual", "auto")
SYNC_TARGETS = ("none", "odoo", "greenpay")


@dataclass
class ReceiptSettings:
    currency: str = ""
    """ISO 4217 code assumed when a receipt shows no currency ("" = leave unknown)."""
    date_order: str = "DMY"
    """How to read ambiguous numeric dates such as 03/04/2018."""

    def validate(self) -> None:
        if self.currency and not (len(self.currency) == 3 and self.currency.isalpha() and self.currency.isupper()):
            raise ConfigError("[receipt] currency must be an ISO 4217 code such as MYR, or empty")
        if self.date_order not in DATE_ORDERS:
            raise ConfigError(f"[receipt] date_order must be one of {', '.join(DATE_ORDERS)}")


@dataclass
class RemoteSettings:
    """The organisation's OCR service; its token is the `ocr_token` secret."""

    url: str = ""
    policy: str = "auto"
    """off: never; manual: only when the operator asks; auto: also when the local read fails or is unsure."""
    ca_bundle: str = ""
    connect_timeout: float = 5.0
    read_timeout: float = 35.0
    retries: int = 2

    def validate(self) -> None:
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ConfigError("[remote] url must start with http:// or https://")
        if self.policy not in REMOTE_POLICIES:
            raise ConfigError(f"[remote] policy must be one of {', '.join(REMOTE_POLICIES)}")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ConfigError("[remote] timeouts must be positive")
        if not 0 <= self.retries <= 10:
            raise ConfigError("[remote] retries must be between 0 and 10")


@dataclass
class SyncSettings:
    target: str = "none"
    outbox: str = ""
    """Outbox database path ("" = the OS data folder)."""
    store_images: bool = False
    """Keep document images in the outbox and send them (receipts to Odoo always need theirs)."""
    retention_days: int = 7

    def validate(self) -> None:
        if self.target not in SYNC_TARGETS:
            raise ConfigError(f"[sync] target must be one of {', '.join(SYNC_TARGETS)}")
        if self.retention_days < 0:
            raise ConfigError("[sync] retention_days must be 0 or more")


@dataclass
class OdooSettings:
    """Odoo's external API; the password or API key is the `odoo_secret` secret."""

    url: str = ""
    database: str = ""
    login: str = ""
    employee_id: int = 0
    product_id: int = 0
    payment_mode: str = "own_account"
    partner_model: str = "res.partner"

    def validate(self) -> None:
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ConfigError("[odoo] url must start with http:// or https://")


@dataclass
class GreenPaySettings:
    """The GreenPay backend; its bearer token is the `greenpay_token` secret."""

    url: str = ""
    passports_path: str = "/api/passports"

    def validate(self) -> None:
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ConfigError("[greenpay] url must start with http:// or https://")
        if not self.passports_path.startswith("/"):
            raise ConfigError("[greenpay] passports_path must start with /")


@dataclass
class CaptureSettings:
    camera: str = "auto"
    """auto (first camera, else the demo), demo, a camera index, a device name or a file/folder/video path."""
    width: int = 1280
    height: int = 720
    timeout: float = 20.0
    """Seconds an auto-capture waits for a certain read before keeping its best frame."""

    def validate(self) -> None:
        if self.width < 320 or self.height < 240:
            raise ConfigError("[capture] width and height must be at least 320x240")
        if self.timeout <= 0:
            raise ConfigError("[capture] timeout must be positive")


@dataclass
class UiSettings:
    idle_seconds: int = 90
    """Back to the home screen, personal data cleared, after this long without input."""

    def validate(self) -> None:
        if self.idle_seconds < 10:
            raise ConfigError("[ui] idle_seconds must be at least 10")


@dataclass
class Settings:
    kiosk: KioskSettings = field(default_factory=KioskSettings)
    ocr: OcrSettings = field(default_factory=OcrSettings)
    receipt: ReceiptSettings = field(default_factory=ReceiptSettings)
    remote: RemoteSettings = field(default_factory=RemoteSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    odoo: OdooSettings = field(default_factory=OdooSettings)
    greenpay: GreenPaySettings = field(default_factory=GreenPaySettings)
    capture: CaptureSettings = field(default_factory=CaptureSettings)
    ui: UiSettings = field(default_factory=UiSettings)

    def validate(self) -> None:
        for section in fields(self):
            getattr(self, section.name).validate()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _looks_secret(key: str) -> bool:
    words = key.lower().replace("-", "_").split("_")
    return any(word in SECRET_LIKE_WORDS for word in words) or key.lower() in SECRET_LIKE_WORDS


def _coerce(section: str, key: str, value: Any, default: Any) -> Any:
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(f"[{section}] {key} must be {expected.__name__}, not {type(value).__name__}")
    return value


def settings_from_dict(data: dict[str, Any]) -> Settings:
    settings = Settings()
    known = {f.name for f in fields(Settings)}
    for section_name, values in data.items():
        if section_name not in known:
            raise ConfigError(f"unknown settings section [{section_name}]")
        if not isinstance(values, dict):
            raise ConfigError(f"[{section_name}] must be a table")
        section = getattr(settings, section_name)
        section_keys = {f.name for f in fields(section)}
        for key, value in values.items():
            if _looks_secret(key):
                raise ConfigError(
                    f"[{section_name}] {key}: secrets do not belong in the settings file; "
                    "store them with `kiosk secret set NAME`"
                )
            if key not in section_keys:
                raise ConfigError(f"unknown setting [{section_name}] {key}")
            setattr(section, key, _coerce(section_name, key, value, getattr(section, key)))
    settings.validate()
    return settings


def load_settings(explicit: str | os.PathLike[str] | None = None) -> Settings:
    """Read and validate the settings; a missing default file gives defaults."""
    path = settings_path(explicit)
    chosen = bool(explicit or os.environ.get("KIOSK_CONFIG"))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if chosen:
            raise ConfigError(f"settings file not found: {path}") from None
        return Settings()
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from None
    return settings_from_dict(data)


def save_settings(settings: Settings, explicit: str | os.PathLike[str] | None = None) -> Path:
    """Write the settings atomically, so a crash never leaves half a file."""
    settings.validate()
    path = settings_path(explicit)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as handle:
        tomli_w.dump(settings.to_dict(), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path
