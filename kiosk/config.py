"""Settings: one TOML file in the OS config folder, never holding a secret.

The file is found in this order: `--config PATH`, the `KIOSK_CONFIG`
environment variable, then the OS config folder (`settings_path()`). A missing
file there (or where `KIOSK_CONFIG` points) means first run: defaults apply,
and the app's setup creates it. Secrets live in `kiosk.secrets`.

The file carries `schema = SCHEMA_VERSION`; an older file is migrated on load
(`MIGRATIONS`), a newer one (after a rollback) is read leniently.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import socket
import sys
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import tomli_w

from kiosk.errors import ConfigError

log = logging.getLogger(__name__)

APP_DIR_NAME = "scan-kiosk"
ENGINES = ("onnx", "paddle")
SECRET_LIKE_WORDS = ("token", "password", "secret", "api_key", "apikey", "key")
SECRET_NAME_KEYS = frozenset({"token_secret"})
"""Keys whose value is the keyring name of a secret, never the secret: allowed despite their wording."""


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
GREENPAY_BODIES = ("greenpay", "record")
"""`[greenpay] body`: GreenPay's own passport shape, or the kiosk's whole record (what older kiosks sent)."""
ODOO_EXPENSE_FIELDS = {
    "name": "name",
    "amount": "total_amount_currency",
    "date": "date",
    "employee": "employee_id",
    "product": "product_id",
    "description": "description",
    "payment_mode": "payment_mode",
    "currency": "currency_id",
    "main_attachment": "message_main_attachment_id",
}
"""What a receipt fills in on `hr.expense` (Odoo 17/18 names): kiosk name -> Odoo field."""
ODOO_PARTNER_FIELDS = {"name": "name", "ref": "ref", "country": "country_id", "comment": "comment"}
"""What a passport fills in on `res.partner`: kiosk name -> Odoo field."""
ODOO_REQUIRED_FIELDS = {"expense_fields": ("name", "amount", "description"), "partner_fields": ("name", "ref", "comment")}
"""Mappings that cannot be switched off: the description, comment and ref carry the sync markers."""


@dataclass
class ReceiptSettings:
    currency: str = ""
    """ISO 4217 code assumed when a receipt shows no currency ("" = leave unknown)."""
    date_order: str = "DMY"
    """How to read ambiguous numeric dates such as 03/04/2018."""
    read_width: int = 800
    """Receipts wider than this many pixels (across the paper) are shrunk before OCR: faster, still legible. 0 = never."""
    duplicate_days: int = 30
    """Warn before confirming a receipt whose picture or vendor, date and total was confirmed within this many days (0 = never)."""

    def validate(self) -> None:
        if self.currency and not (len(self.currency) == 3 and self.currency.isalpha() and self.currency.isupper()):
            raise ConfigError("[receipt] currency must be an ISO 4217 code such as MYR, or empty")
        if self.date_order not in DATE_ORDERS:
            raise ConfigError(f"[receipt] date_order must be one of {', '.join(DATE_ORDERS)}")
        if self.read_width and self.read_width < 320:
            raise ConfigError("[receipt] read_width must be 0 (never shrink) or at least 320 pixels")
        if not 0 <= self.duplicate_days <= 3660:
            raise ConfigError("[receipt] duplicate_days must be between 0 (never warn) and 3660")


@dataclass
class PassportSettings:
    """What this counter accepts beyond check digits (`kiosk.documents`)."""

    expiry_warning_days: int = 30
    """Warn (`expires_soon`) when a document expires within this many days (0 = never)."""
    minimum_age: int = 18
    """Warn (`under_age`) when the holder is younger than this (0 = never)."""
    allow_expired: bool = False
    """Whether an expired document may be confirmed (as "Confirm anyway", the `expired` warning kept)."""

    def validate(self) -> None:
        if not 0 <= self.expiry_warning_days <= 3660:
            raise ConfigError("[passport] expiry_warning_days must be between 0 (never warn) and 3660")
        if not 0 <= self.minimum_age <= 120:
            raise ConfigError("[passport] minimum_age must be between 0 (no minimum) and 120")


DEFAULT_TOKEN_SECRET = "ocr_token"
_SECRET_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
REMOTE_KINDS = {"receipt": "receipt", "passport": "mrz"}
"""Document kind -> the `[remote]` list of its providers."""


@dataclass
class RemoteEndpoint:
    """One provider of one OCR kind (`[[remote.receipt]]` or `[[remote.mrz]]`): its own URL, token,
    timeouts and circuit breaker."""

    url: str = ""
    """The endpoint itself, posted to as written: http://HOST:8000/ocr, https://gw.example.org/api/ocr/scan-mrz."""
    token_secret: str = DEFAULT_TOKEN_SECRET
    """The name of its bearer token in the keyring (`kiosk secret set NAME`), never the token."""
    health_url: str = ""
    """Its health check ("" = the URL's scheme, host and port + /health)."""
    ca_bundle: str = ""
    connect_timeout: float = 5.0
    read_timeout: float = 35.0
    retries: int = 2
    backoff: float = 0.5
    """Seconds before the first retry after a connection error or a 5xx; doubles on each retry."""
    max_retry_wait: float = 10.0
    """Longest 429 `Retry-After` the client waits out; a longer one fails at once as rate limited."""
    breaker_failures: int = 3
    """Failed requests in a row (service down, timing out, 5xx) that open the circuit breaker."""
    breaker_cooldown: float = 30.0
    """Seconds an open circuit refuses requests without trying, before one trial request."""

    def validate(self, where: str = "[remote]") -> None:
        """`where` names the entry in messages, e.g. `[[remote.mrz]] 2:`."""
        _check_endpoint_url(where, "url", self.url)
        if self.health_url:
            _check_http(where, "health_url", self.health_url)
        if not _SECRET_NAME.fullmatch(self.token_secret):
            raise ConfigError(
                f"{where} token_secret must be the name of a stored secret such as {DEFAULT_TOKEN_SECRET} "
                "(`kiosk secret set NAME`), not the token itself"
            )
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ConfigError(f"{where} timeouts must be positive")
        if not 0 <= self.retries <= 10:
            raise ConfigError(f"{where} retries must be between 0 and 10")
        if self.backoff < 0 or self.max_retry_wait < 0:
            raise ConfigError(f"{where} backoff and max_retry_wait must be 0 or more")
        if self.breaker_failures < 1 or self.breaker_cooldown <= 0:
            raise ConfigError(f"{where} breaker_failures must be at least 1 and breaker_cooldown positive")


def _check_http(where: str, key: str, url: str) -> SplitResult:
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where} {key} must start with http:// or https://")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError(f"{where} {key} is not a valid URL") from None
    if not parts.hostname:
        raise ConfigError(f"{where} {key} has no host")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{where} {key} must not carry a user or password: tokens live in the keyring")
    return parts


def _check_endpoint_url(where: str, key: str, url: str) -> None:
    if not url:
        raise ConfigError(f"{where} {key} is missing")
    if _check_http(where, key, url).path in ("", "/"):
        raise ConfigError(
            f"{where} {key} must name the endpoint itself (e.g. http://HOST:8000/ocr or http://HOST:5000/scan-mrz), "
            "not only the server"
        )


@dataclass
class RemoteSettings:
    """The organisation's OCR services: receipt OCR and MRZ OCR, each an ordered list of providers
    (`[[remote.receipt]]`, `[[remote.mrz]]`) tried in turn until one answers."""

    policy: str = "off"
    """off: never (the default: images leave the kiosk only as the site decided); manual: only when the
    operator asks; auto: also when the local read fails or is unsure."""
    total_timeout: float = 120.0
    """Seconds one scan may wait for the OCR services in all: every provider, retry and wait together."""
    max_amount: float = 1_000_000.0
    """The largest amount an OCR service's receipt answer may hold; a larger one is read as not plausible."""
    receipt: list[RemoteEndpoint] = field(default_factory=list, metadata={"entries": RemoteEndpoint})
    mrz: list[RemoteEndpoint] = field(default_factory=list, metadata={"entries": RemoteEndpoint})

    def endpoints(self, kind: str) -> list[RemoteEndpoint]:
        """The providers of a document kind (`receipt` or `passport`), in the order they are tried."""
        return getattr(self, REMOTE_KINDS[kind])

    @property
    def configured(self) -> bool:
        return bool(self.receipt or self.mrz)

    def validate(self) -> None:
        if self.policy not in REMOTE_POLICIES:
            raise ConfigError(f"[remote] policy must be one of {', '.join(REMOTE_POLICIES)}")
        if self.total_timeout <= 0:
            raise ConfigError("[remote] total_timeout must be positive")
        if not 0 < self.max_amount < float("inf"):
            raise ConfigError("[remote] max_amount must be a positive amount")
        for name in REMOTE_KINDS.values():
            for number, endpoint in enumerate(getattr(self, name), 1):
                endpoint.validate(f"[[remote.{name}]] {number}:")


SYNC_KINDS = {"passport": "passports", "receipt": "receipts"}
"""Document kind -> its `[sync]` key naming where that kind goes."""


@dataclass
class SyncSettings:
    target: str = "none"
    """Where records go, for each kind without a target of its own."""
    passports: str = ""
    """Where passports (ID cards, visas) go: none, odoo or greenpay; "" = as `target`."""
    receipts: str = ""
    """Where receipts go: none, odoo, or greenpay when `[greenpay] receipts_path` is set; "" = as `target`."""
    outbox: str = ""
    """Outbox database path ("" = the OS data folder)."""
    store_images: bool = False
    """Keep document images in the outbox and send them (receipts to Odoo always need theirs)."""
    retention_days: int = 7
    backoff_seconds: float = 5.0
    """Wait before retrying after a transient error (network, 5xx, timeout); doubles per attempt, with jitter."""
    backoff_max_seconds: float = 900.0
    """Longest wait between two attempts at the same record."""
    max_attempts: int = 0
    """Attempts before a record that keeps failing transiently is marked failed (0 = keep trying)."""
    poll_seconds: float = 10.0
    """How often the background worker looks for new records when it was not woken."""

    def chosen(self, kind: str) -> str:
        """The target named for a kind, whether or not it takes that kind (see `route`)."""
        return getattr(self, SYNC_KINDS[kind]) or self.target

    def validate(self) -> None:
        if self.target not in SYNC_TARGETS:
            raise ConfigError(f"[sync] target must be one of {', '.join(SYNC_TARGETS)}")
        for key in SYNC_KINDS.values():
            if getattr(self, key) not in ("", *SYNC_TARGETS):
                raise ConfigError(f"[sync] {key} must be one of {', '.join(SYNC_TARGETS)}, or empty (as target)")
        if self.retention_days < 0:
            raise ConfigError("[sync] retention_days must be 0 or more")
        if self.backoff_seconds < 0 or self.backoff_max_seconds < self.backoff_seconds:
            raise ConfigError("[sync] backoff_seconds must be 0 or more and at most backoff_max_seconds")
        if self.max_attempts < 0:
            raise ConfigError("[sync] max_attempts must be 0 (keep trying) or more")
        if self.poll_seconds <= 0:
            raise ConfigError("[sync] poll_seconds must be positive")


@dataclass
class OdooSettings:
    """Odoo's external API; the password or API key is the `odoo_secret` secret."""

    url: str = ""
    database: str = ""
    login: str = ""
    """The Odoo user of JSON-RPC (Odoo 17/18); JSON-2 (19+) needs none: the API key is the user."""
    protocol: str = "auto"
    """auto: JSON-2 on Odoo 19+ (odoo_secret an API key), JSON-RPC before; jsonrpc or json2 to insist on one."""
    employee_id: int = 0
    product_id: int = 0
    payment_mode: str = "own_account"
    partner_model: str = "res.partner"
    expense_model: str = "hr.expense"
    expense_fields: dict[str, str] = field(default_factory=lambda: dict(ODOO_EXPENSE_FIELDS))
    """Kiosk name -> Odoo field of the expense model; "" leaves it out (Odoo 16: amount = "unit_amount")."""
    partner_fields: dict[str, str] = field(default_factory=lambda: dict(ODOO_PARTNER_FIELDS))
    """Kiosk name -> Odoo field of the partner model; "" leaves it out."""
    partner_match: str = "ref"
    """ref: a contact with the same `PASSPORT:<number>` ref is the one already synced; record: one contact per kiosk record."""
    timeout: float = 30.0
    doubt_seconds: float = 150.0
    """After a create whose answer was lost (timeout, cut connection), wait this long before looking for it and
    creating it again: longer than Odoo may still be working on that request (its limit_time_real, 120 s by default)."""

    def validate(self) -> None:
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ConfigError("[odoo] url must start with http:// or https://")
        if self.payment_mode not in ("own_account", "company_account"):
            raise ConfigError("[odoo] payment_mode must be own_account or company_account")
        if self.protocol not in ("auto", "jsonrpc", "json2"):
            raise ConfigError("[odoo] protocol must be auto, jsonrpc or json2")
        if self.employee_id < 0 or self.product_id < 0:
            raise ConfigError("[odoo] employee_id and product_id must be record ids (0 = not set)")
        if self.partner_match not in ("ref", "record"):
            raise ConfigError("[odoo] partner_match must be ref or record")
        if self.timeout <= 0:
            raise ConfigError("[odoo] timeout must be positive")
        if self.doubt_seconds < 0:
            raise ConfigError("[odoo] doubt_seconds must be 0 or more")
        for name, defaults in (("expense_fields", ODOO_EXPENSE_FIELDS), ("partner_fields", ODOO_PARTNER_FIELDS)):
            mapping = getattr(self, name)
            for key, value in mapping.items():
                if key not in defaults:
                    raise ConfigError(f"[odoo.{name}] unknown key {key!r}; known: {', '.join(defaults)}")
                if not isinstance(value, str):
                    raise ConfigError(f"[odoo.{name}] {key} must be an Odoo field name (a string)")
            # A partial table in the file keeps the other defaults.
            setattr(self, name, {**defaults, **mapping})
        for name, required in ODOO_REQUIRED_FIELDS.items():
            for key in required:
                if not getattr(self, name)[key]:
                    raise ConfigError(f"[odoo.{name}] {key} must name an Odoo field")


@dataclass
class GreenPaySettings:
    """The GreenPay backend; its bearer token is the `greenpay_token` secret."""

    url: str = ""
    passports_path: str = "/api/passports"
    receipts_path: str = ""
    """Where receipts go ("" = GreenPay takes passports only: receipts routed to it are kept on the kiosk)."""
    body: str = "greenpay"
    """What a passport is sent as: `greenpay` (GreenPay's flat camelCase passport shape) or `record` (the kiosk's whole record)."""
    body_fields: dict[str, str] = field(default_factory=dict)
    """JSON key -> source (a record field or attribute, mrz_text, valid_check_digits, <field>.confidence|source|valid);
    when set, a passport is sent as exactly these keys; empty = the `body` shape."""
    check_path: str = ""
    """What the connection check asks: "" = POST an empty record to passports_path (refused, stores nothing);
    a path = GET it with the token (a health endpoint that checks the token, answering {"status": "ok"})."""
    timeout: float = 30.0

    def validate(self) -> None:
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ConfigError("[greenpay] url must start with http:// or https://")
        if not self.passports_path.startswith("/"):
            raise ConfigError("[greenpay] passports_path must start with /")
        if self.receipts_path and not self.receipts_path.startswith("/"):
            raise ConfigError("[greenpay] receipts_path must start with / (or be empty)")
        if self.check_path and not self.check_path.startswith("/"):
            raise ConfigError("[greenpay] check_path must start with / (or be empty)")
        if self.body not in GREENPAY_BODIES:
            raise ConfigError(f"[greenpay] body must be one of {', '.join(GREENPAY_BODIES)}")
        if not all(isinstance(v, str) and v for v in self.body_fields.values()):
            raise ConfigError("[greenpay.body_fields] values must name a record field")
        if self.body_fields and self.body == "record":
            raise ConfigError('[greenpay] body = "record" sends the whole record: remove [greenpay.body_fields] or set body = "greenpay"')
        if self.timeout <= 0:
            raise ConfigError("[greenpay] timeout must be positive")


@dataclass
class CaptureSettings:
    camera: str = "auto"
    """auto (first camera, else the demo), demo, a camera index, a device name or a file/folder/video path."""
    width: int = 1280
    height: int = 720
    timeout: float = 20.0
    """Seconds an auto-capture waits for a certain read before keeping its best frame."""
    analysis_threads: int = 0
    """OCR threads during live capture (0 = all cores but one, which the preview keeps)."""

    def validate(self) -> None:
        if self.width < 320 or self.height < 240:
            raise ConfigError("[capture] width and height must be at least 320x240")
        if self.timeout <= 0:
            raise ConfigError("[capture] timeout must be positive")
        if self.analysis_threads < 0:
            raise ConfigError("[capture] analysis_threads must be 0 (automatic) or more")


MIN_IDLE_SECONDS = 10
"""The shortest `[ui] idle_seconds`: less leaves no time to check a read."""


@dataclass
class UiSettings:
    idle_seconds: int = 90
    """Back to the home screen, personal data cleared, after this long without input."""
    import_folders: list[str] = field(default_factory=list)
    """Folders "Open image..." lists (with their subfolders): the only places, besides removable media, it reads from."""
    removable_media: bool = True
    """Also list mounted removable media (USB sticks, SD cards): see `kiosk.ui.lockdown.media_places`."""

    def validate(self) -> None:
        if self.idle_seconds < MIN_IDLE_SECONDS:
            raise ConfigError(f"[ui] idle_seconds must be at least {MIN_IDLE_SECONDS}")
        for folder in self.import_folders:
            if not isinstance(folder, str) or not os.path.isabs(folder):
                raise ConfigError(f"[ui] import_folders must list absolute folder paths, not {folder!r}")


@dataclass
class Settings:
    kiosk: KioskSettings = field(default_factory=KioskSettings)
    ocr: OcrSettings = field(default_factory=OcrSettings)
    receipt: ReceiptSettings = field(default_factory=ReceiptSettings)
    passport: PassportSettings = field(default_factory=PassportSettings)
    remote: RemoteSettings = field(default_factory=RemoteSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    odoo: OdooSettings = field(default_factory=OdooSettings)
    greenpay: GreenPaySettings = field(default_factory=GreenPaySettings)
    capture: CaptureSettings = field(default_factory=CaptureSettings)
    ui: UiSettings = field(default_factory=UiSettings)

    def validate(self) -> None:
        for section in fields(self):
            getattr(self, section.name).validate()
        if self.sync.receipts == "greenpay" and not accepts(self, "greenpay", "receipt"):
            raise ConfigError('[sync] receipts = "greenpay" needs [greenpay] receipts_path: GreenPay takes passports only without it')

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def accepts(settings: Settings, target: str, kind: str) -> bool:
    """Whether a target takes records of a kind: Odoo both; GreenPay passports, and receipts only with a receipts_path."""
    if target == "odoo":
        return True
    if target == "greenpay":
        return kind == "passport" or bool(settings.greenpay.receipts_path)
    return False


def route(settings: Settings, kind: str) -> str:
    """Where records of a kind go: the target chosen for it when that target takes the kind, else "none" (kept here)."""
    chosen = settings.sync.chosen(kind)
    return chosen if accepts(settings, chosen, kind) else "none"


def targets_in_use(settings: Settings) -> dict[str, frozenset[str]]:
    """Each target records are routed to, with the kinds it gets, in a fixed order (odoo, greenpay)."""
    used = {name: frozenset(k for k in SYNC_KINDS if route(settings, k) == name) for name in SYNC_TARGETS if name != "none"}
    return {name: kinds for name, kinds in used.items() if kinds}


def _looks_secret(key: str) -> bool:
    if key in SECRET_NAME_KEYS:
        return False
    words = key.lower().replace("-", "_").split("_")
    return any(word in SECRET_LIKE_WORDS for word in words) or key.lower() in SECRET_LIKE_WORDS


def _coerce(where: str, key: str, value: Any, default: Any) -> Any:
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(f"{where} {key} must be {expected.__name__}, not {type(value).__name__}")
    return value


def _entries(table: str, value: Any, entry_type: type, strict: bool, ignored: list[str]) -> list[Any]:
    """A list of tables (`[[remote.mrz]]` blocks) as `entry_type` dataclasses; keys checked as in a section."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError(f"[{table.replace('.', '] ', 1)} must be a list of [[{table}]] tables")
    entries = []
    for number, values in enumerate(value, 1):
        where = f"[[{table}]] {number}:"
        entry = entry_type()
        known = {f.name for f in fields(entry)}
        for key, item in values.items():
            _reject_secret(where, key)
            if key not in known:
                if strict:
                    raise ConfigError(f"{where} unknown setting {key}")
                ignored.append(f"{where} {key}")
                continue
            setattr(entry, key, _coerce(where, key, item, getattr(entry, key)))
        entries.append(entry)
    return entries


SCHEMA_VERSION = 2
"""Version of the settings file layout this release writes; a file without `schema` is version 0."""
SCHEMA_KEY = "schema"


def _schema_of(data: dict[str, Any]) -> int:
    version = data.get(SCHEMA_KEY, 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        shown = repr(version) if isinstance(version, int) else type(version).__name__
        raise ConfigError(
            f"settings {SCHEMA_KEY} must be an integer 0 or more (this release writes {SCHEMA_VERSION}), not {shown}"
        )
    return version


def _migrate_0_to_1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (no `schema` key, every file before schemas) has the same layout as 1."""
    return {**data, SCHEMA_KEY: 1}


_V1_ENDPOINT_KEYS = (
    "ca_bundle", "connect_timeout", "read_timeout", "retries", "backoff", "max_retry_wait", "breaker_failures",
    "breaker_cooldown",
)


def _keep_implicit_auto_policy(data: dict[str, Any]) -> None:
    """Version 1's `[remote] policy` defaulted to `auto`; version 2's to `off`. A version-1 file with an OCR
    service (`[remote] url`) and no policy used the service automatically: it keeps doing so. Without a URL
    the service was never used, and the new default changes nothing."""
    remote = data.get("remote")
    if isinstance(remote, dict) and "policy" not in remote and isinstance(remote.get("url"), str) and remote["url"].strip():
        remote["policy"] = "auto"


def _migrate_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had one `[remote] url`, a base serving `/ocr`, `/scan-mrz` and `/health`, with one set of
    timeouts; version 2 has ordered provider lists `[[remote.receipt]]` and `[[remote.mrz]]`, each entry a
    full endpoint URL. A base B becomes one receipt provider `B/ocr` and one MRZ provider `B/scan-mrz`,
    both with the `ocr_token` secret, the old timeouts, retries and breaker values, and health at `B/health`
    as before. Without a URL there is no provider, and the old values apply to nothing: dropped."""
    _keep_implicit_auto_policy(data)
    remote = data.get("remote")
    if not isinstance(remote, dict) or not isinstance(remote.get("url", ""), str):
        return data  # nothing to move, or a url of the wrong type: left for the loader to name
    carried = {key: remote.pop(key) for key in _V1_ENDPOINT_KEYS if key in remote}
    base = remote.pop("url", "").strip().rstrip("/")
    if base:
        common = {"token_secret": "ocr_token", **carried}
        if urlsplit(base).path not in ("", "/"):
            common["health_url"] = f"{base}/health"  # v1 asked B/health; the v2 default is the origin's
        remote["receipt"] = [{"url": f"{base}/ocr", **common}]
        remote["mrz"] = [{"url": f"{base}/scan-mrz", **common}]
    return data


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _migrate_0_to_1, 1: _migrate_1_to_2}
"""`MIGRATIONS[n]` turns a version-n settings dict into version n + 1.

When a release renames, moves or removes a setting, it bumps `SCHEMA_VERSION`
and adds one entry here, e.g. `MIGRATIONS[1]` moving `[ocr] old` to `[ocr] new`;
earlier entries never change, so a file from any older release still loads.
A step gets its own deep copy and may change it in place; it returns the new dict.
"""


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """The settings dict brought up to `SCHEMA_VERSION`, without touching `data`.

    A file newer than this release is returned as a copy, unchanged: it cannot
    be migrated down, so `settings_from_dict` reads it leniently instead.
    """
    version = _schema_of(data)
    result = copy.deepcopy(data)
    for step in range(version, SCHEMA_VERSION):
        # Stamped here too, so a step that forgets cannot mislabel the result.
        result = {**MIGRATIONS[step](result), SCHEMA_KEY: step + 1}
    return result


MOVED = {("remote", "url"): "since settings schema 2 each OCR service is a [[remote.receipt]] or [[remote.mrz]] table with its own url"}
"""Hints for keys a migration moved, should a hand-written file of the current schema still use them."""


def _reject_secret(where: str, key: str) -> None:
    if _looks_secret(key):
        raise ConfigError(
            f"{where} {key}: secrets do not belong in the settings file; "
            "store them with `kiosk secret set NAME`"
        )


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Settings from a parsed file: migrated, then checked.

    In a file of this release's schema an unknown section or key is an error (a
    typo). In a newer file (this release was rolled back to) they are settings
    this release does not know: ignored, with one warning naming them, never
    their values. A secret-looking key is an error in every version.
    """
    data = migrate(data)
    version = data.pop(SCHEMA_KEY)
    strict = version <= SCHEMA_VERSION
    ignored: list[str] = []
    settings = Settings()
    known = {f.name for f in fields(Settings)}
    for section_name, values in data.items():
        if section_name not in known:
            if strict:
                raise ConfigError(f"unknown settings section [{section_name}]")
            for key in values if isinstance(values, dict) else ():
                _reject_secret(f"[{section_name}]", key)
            ignored.append(f"[{section_name}]")
            continue
        if not isinstance(values, dict):
            raise ConfigError(f"[{section_name}] must be a table")
        section = getattr(settings, section_name)
        section_fields = {f.name: f for f in fields(section)}
        for key, value in values.items():
            _reject_secret(f"[{section_name}]", key)
            if key not in section_fields:
                if strict:
                    hint = MOVED.get((section_name, key))
                    raise ConfigError(f"unknown setting [{section_name}] {key}{': ' + hint if hint else ''}")
                ignored.append(f"[{section_name}] {key}")
                continue
            entry_type = section_fields[key].metadata.get("entries")
            if entry_type is not None:
                setattr(section, key, _entries(f"{section_name}.{key}", value, entry_type, strict, ignored))
                continue
            default = getattr(section, key)
            if not strict and default and isinstance(default, dict) and isinstance(value, dict):
                # A fixed mapping (e.g. [odoo.expense_fields]) may gain keys in a newer release too.
                ignored += [f"[{section_name}.{key}] {name}" for name in value if name not in default]
                value = {name: item for name, item in value.items() if name in default}
            setattr(section, key, _coerce(f"[{section_name}]", key, value, default))
    if ignored:
        log.warning(
            "settings file is schema %d, newer than this release's %d; ignoring settings it does not know: %s",
            version,
            SCHEMA_VERSION,
            ", ".join(ignored),
        )
    settings.validate()
    return settings


def load_settings(explicit: str | os.PathLike[str] | None = None, *, missing_ok: bool = False) -> Settings:
    """Read and validate the settings.

    A missing file at the default path or where `KIOSK_CONFIG` points is the first run: defaults apply
    (the app's first-run setup then creates it there). A missing `explicit` file (`--config PATH`, typed
    for one command) is an error, most likely a typo, unless `missing_ok` (the app, whose setup creates it).
    """
    path = settings_path(explicit)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if explicit and not missing_ok:
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
        tomli_w.dump({SCHEMA_KEY: SCHEMA_VERSION, **settings.to_dict()}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path
