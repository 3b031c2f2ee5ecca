"""Client of the organisation's remote OCR service, the fallback when the local read fails.

The contract (see DESIGN.md): receipt OCR and MRZ OCR are separate services
(`[[remote.receipt]]`, `[[remote.mrz]]`), each endpoint configured as its full
URL (`http://HOST:8000/ocr`, `https://gw.example.org/api/ocr/scan-mrz`) and
posted to as written, with the image in the multipart field `file` and
`Authorization: Bearer <token>`, the token being the provider's
`token_secret`; `GET` its health URL (default: the URL's origin + `/health`).
Each kind's providers are tried in turn (`RemoteOcr`). Answers become the same
record types as local reads, every field marked `remote`:

- MRZ answers are re-validated here: the service's `mrzText` is parsed and
  every check digit recomputed by `kiosk.ocr.mrz.parse`; its `validCheckDigits` is
  never trusted. An answer without readable MRZ text gives an `invalid`
  record whose fields say they are not verified.
- Receipt answers are normalised by `kiosk.ocr.receipt.values`, as local
  reads are (amounts to numbers, dates to ISO, currencies to ISO 4217).

Robustness, per provider (`Provider`): connect and read timeouts, and no attempt
lasts longer than `connect_timeout + 2 * read_timeout` even against a
server that drips its answer; limited retries with doubling backoff on
connection errors, broken answers and 5xx (not on timeouts: the service may
already be 30 s into the work); 429 waits out `Retry-After` up to
`max_retry_wait`, and a longer one fails at once and keeps failing fast until
it has passed; a circuit breaker stops requests to a dead service for
`breaker_cooldown` after `breaker_failures` failed requests in a row; 401/403
are never retried; the whole scan, every provider together, ends within
`[remote] total_timeout`. Images are re-encoded as JPEG (smaller, then downscaled)
to stay under the service's 10 MB limit.

Every failure is a `RemoteError` subclass with a `kind` and a one-line
message for the operator. Neither messages nor logs carry the token, MRZ text
or any field value.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from kiosk.config import REMOTE_KINDS, ReceiptSettings, RemoteEndpoint, RemoteSettings, Settings
from kiosk.errors import ImageError, RemoteError
from kiosk.http_util import DETAIL_CHARS, error_detail, parse_retry_after, sniff_image
from kiosk.images import decode_image
from kiosk.ocr.mrz.parse import LINE_SHAPES, parse_mrz_text
from kiosk.ocr.receipt import rules
from kiosk.ocr.receipt.extract import adjustments
from kiosk.ocr.receipt.values import FUTURE_SLACK, MIN_YEAR, parse_amount, parse_currency, parse_date
from kiosk.records import (
    PASSPORT_FIELDS,
    RECEIPT_FIELDS,
    SOURCE_REMOTE,
    Field,
    PassportRecord,
    ReceiptRecord,
    same_value,
)

log = logging.getLogger(__name__)

__all__ = [
    "MAX_UPLOAD_BYTES",
    "CircuitBreaker",
    "Health",
    "RemoteAuthError",
    "RemoteBadAnswer",
    "RemoteCircuitOpen",
    "RemoteError",
    "RemoteNoMrz",
    "RemoteNotConfigured",
    "Provider",
    "RemoteOcr",
    "RemoteRead",
    "RemoteRateLimited",
    "RemoteRejected",
    "RemoteServerError",
    "RemoteTimeout",
    "RemoteTlsError",
    "RemoteUnreachable",
    "RemoteUnreadable",
    "Upload",
    "passport_from_answer",
    "plain_http_to_another_host",
    "prepare_upload",
    "receipt_from_answer",
]

MAX_UPLOAD_BYTES = 10_000_000
"""The service takes files of at most 10 MB; stay under it with room for the multipart framing."""
MAX_ANSWER_BYTES = 2_000_000
"""An answer larger than this is not one of the service's JSON answers."""
JPEG_QUALITIES = (92, 80, 68)
MIN_UPLOAD_SIDE = 200
RETRY_STATUSES = frozenset({500, 502, 503, 504})
UP_STATUSES = ("ok", "healthy")
UNVERIFIED_CAP = 0.3
"""Confidence ceiling of a passport field the service gave without MRZ text to check it against."""
DISAGREEMENT_CAP = 0.5
"""Confidence ceiling of a field where the service's own reading differs from its MRZ text."""
UNKNOWN_CONFIDENCE = 0.5
"""Confidence of a receipt field when the service gives none (below the usual threshold, so it gets checked)."""
OVERALL_CEILING = 0.98
"""The most a field gets from the service's one confidence for its whole answer: a say-so, never certainty.
A confidence the service gives for the field itself is used as given."""
MAX_AMOUNT = 1_000_000.0
"""The default ceiling of an amount the service may read (`[remote] max_amount`)."""
OLDEST_BIRTH_YEAR = 1900
"""A birth or expiry date the service gives without MRZ text before this year is not plausible."""
LONGEST_VALIDITY_YEARS = 50
"""No document expires more than this many years from today (the MRZ parser's rule too)."""
EMPTY_FORM_BOUNDARY = "kiosk-token-check"
SENT_AS_IS = ("jpeg", "png")
"""Image formats the service takes as they are; anything else is re-encoded as JPEG."""


# ------------------------------------------------------------------- errors


class RemoteNotConfigured(RemoteError):
    kind = "not_configured"


class RemoteUnreachable(RemoteError):
    kind = "unreachable"


class RemoteTlsError(RemoteUnreachable):
    """The server's certificate is not trusted: not retried, since retrying cannot fix it."""

    kind = "tls"


class RemoteTimeout(RemoteError):
    kind = "timeout"


class RemoteRateLimited(RemoteError):
    kind = "rate_limited"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RemoteAuthError(RemoteError):
    kind = "auth"


class RemoteServerError(RemoteError):
    kind = "server_error"


class RemoteRejected(RemoteError):
    """The service refused the request itself (4xx other than auth, rate limit, no MRZ)."""

    kind = "rejected"


class RemoteBadAnswer(RemoteError):
    kind = "bad_answer"


class RemoteUnreadable(RemoteError):
    """The service read the image but found nothing to return."""

    kind = "unreadable"


class RemoteNoMrz(RemoteUnreadable):
    kind = "no_mrz"


class RemoteCircuitOpen(RemoteError):
    kind = "circuit_open"

    def __init__(self, message: str, retry_in: float) -> None:
        super().__init__(message)
        self.retry_in = retry_in


# ------------------------------------------------------------ circuit breaker


class CircuitBreaker:
    """Stops requests to a service that keeps failing.

    Closed: requests go through; `failures` failed requests in a row open it.
    Open: requests are refused at once (`RemoteCircuitOpen`) for `cooldown`
    seconds. Then one trial request goes through (half-open): its success
    closes the circuit, its failure opens it for another cooldown.
    """

    def __init__(self, failures: int = 3, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self.clock = clock
        self._lock = threading.Lock()
        self._failed = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._trial or self.clock() - self._opened_at >= self.cooldown:
                return "half_open"
            return "open"

    def retry_in(self) -> float:
        """Seconds until a request may go through again (0 when it may now)."""
        with self._lock:
            if self._opened_at is None or self._trial:
                return 0.0
            return max(0.0, self.cooldown - (self.clock() - self._opened_at))

    def before_request(self, host: str = "the OCR service") -> None:
        """Raise RemoteCircuitOpen unless a request may go out now."""
        with self._lock:
            if self._opened_at is None:
                return
            waited = self.clock() - self._opened_at
            if waited >= self.cooldown and not self._trial:
                self._trial = True  # this request is the one trial
                return
            left = max(0.0, self.cooldown - waited)
            raise RemoteCircuitOpen(
                f"{host} failed {self._failed} times in a row; not trying again for {math.ceil(left)} s", left
            )

    def success(self) -> None:
        with self._lock:
            self._failed = 0
            self._opened_at = None
            self._trial = False

    def failure(self) -> None:
        with self._lock:
            self._failed += 1
            if self._trial or self._failed >= self.failures:
                self._opened_at = self.clock()
                self._trial = False
                log.warning("remote OCR circuit opened after %d failed requests", self._failed)


# ------------------------------------------------------------------- uploads


@dataclass(frozen=True)
class Upload:
    """The bytes sent as the multipart `file`."""

    data: bytes
    filename: str
    content_type: str
    reencoded: bool = False


def prepare_upload(image: bytes | bytearray | memoryview | np.ndarray, limit: int = MAX_UPLOAD_BYTES) -> Upload:
    """What to send for `image`: JPEG/PNG bytes under the limit as they are, anything else re-encoded.

    Encoded bytes in another format or over the limit are decoded (ImageError
    when they are not an image) and re-encoded as JPEG, with lower quality and
    then a smaller size until they fit. Arrays are BGR (or gray) uint8.
    """
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
        kind = sniff_image(data)
        if kind is not None and kind.name in SENT_AS_IS and len(data) <= limit:
            return Upload(data, f"image.{kind.extension}", kind.mimetype)
        array = decode_image(data, "image")
    elif isinstance(image, np.ndarray):
        array = image
    else:
        raise TypeError(f"image must be encoded bytes or a numpy array, not {type(image).__name__}")
    return _encode_under(array, limit)


def _encode_under(array: np.ndarray, limit: int) -> Upload:
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or min(array.shape[:2]) < 8:
        raise ImageError("image: not an 8-bit picture of a usable size")
    if array.ndim == 3 and array.shape[2] == 4:
        array = cv2.cvtColor(array, cv2.COLOR_BGRA2BGR)
    scaled = array
    qualities = JPEG_QUALITIES
    while True:
        size = 0
        for quality in qualities:
            ok, buffer = cv2.imencode(".jpg", scaled, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:
                raise ImageError("image: cannot be encoded as JPEG")
            size = len(buffer)
            if size <= limit:
                height, width = scaled.shape[:2]
                log.info("image re-encoded as JPEG %dx%d q%d, %d bytes", width, height, quality, size)
                return Upload(buffer.tobytes(), "image.jpg", "image/jpeg", reencoded=True)
        factor = max(0.3, min(0.9, math.sqrt(limit / size) * 0.95))
        if min(scaled.shape[:2]) * factor < MIN_UPLOAD_SIDE:
            raise ImageError(f"image: cannot be made smaller than {limit / 1_000_000:g} MB for the OCR service")
        scaled = cv2.resize(scaled, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        qualities = JPEG_QUALITIES[1:]  # the full-size ladder already showed the best quality does not fit


# ------------------------------------------------------------------- mapping


def _confidence(data: Mapping[str, Any], key: str = "confidence") -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RemoteBadAnswer(f"the OCR service's answer has a {key} that is not a number")
    if not 0.0 <= value <= 1.0:
        raise RemoteBadAnswer(f"the OCR service's answer has a {key} outside 0-1")
    return float(value)


def _text(data: Mapping[str, Any], *keys: str) -> str | None:
    """The first of `keys` present as non-empty text; a wrong type is a bad answer."""
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise RemoteBadAnswer(f"the OCR service's answer has a {key} that is not text")
        if value.strip():
            return value.strip()
    return None


PASSPORT_KEYS: dict[str, tuple[str, ...]] = {
    "document_number": ("passportNumber", "documentNumber"),
    "surname": ("surname",),
    "given_names": ("givenName", "givenNames"),
    "nationality": ("nationality",),
    "issuing_country": ("issuingCountry",),
    "birth_date": ("dateOfBirth",),
    "expiry_date": ("dateOfExpiry",),
    "sex": ("sex",),
    "personal_number": ("personalNumber",),
    "document_type": ("documentType",),
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _unfilled(text: str) -> str:
    """MRZ-style text with its fillers as spaces: the service may give `ANNA<MARIA` for `ANNA MARIA`."""
    return text.replace("<", " ")


def _mrz_text(text: str) -> str:
    """MRZ lines one per line, also when the service joined them into one string."""
    lines = [line.strip() for line in re.split(r"[\r\n]+|\\n", text) if line.strip()]
    if len(lines) == 1:
        joined = lines[0].replace(" ", "")
        for width, count in LINE_SHAPES:
            if len(joined) == width * count:
                return "\n".join(joined[i * width : (i + 1) * width] for i in range(count))
    return "\n".join(lines)


def _remote_fields(names: tuple[str, ...], fields: dict[str, Field]) -> dict[str, Field]:
    """Every field present, the ones not read as empty remote fields, so the whole record says `remote`."""
    return {
        name: fields.get(name) or Field(None, 0.0, SOURCE_REMOTE, valid=False, reason="not read")
        for name in names
    }


def passport_from_answer(data: Any, *, today: date | None = None) -> PassportRecord:
    """A `/scan-mrz` success answer as a passport record, check digits recomputed here.

    RemoteBadAnswer when the answer is not the contract's shape; RemoteNoMrz
    when it says `success: false`.
    """
    if not isinstance(data, Mapping):
        raise RemoteBadAnswer("the OCR service's answer is not a JSON object")
    if data.get("success") is False:
        raise RemoteNoMrz(f"the OCR service found no MRZ: {error_detail(data) or 'no reason given'}")
    confidence = _overall(_confidence(data))
    claimed = {name: _text(data, *keys) for name, keys in PASSPORT_KEYS.items()}
    mrz_text = _text(data, "mrzText", "mrz_text", "mrz")
    result = parse_mrz_text(_mrz_text(mrz_text), today=today) if mrz_text else None

    if result is not None and result.status != "no_mrz":
        local = result.to_record(SOURCE_REMOTE)
        fields: dict[str, Field] = {}
        differing = 0
        for name, item in local.fields.items():
            value_conf = item.confidence if confidence is None else min(item.confidence, confidence)
            reason = item.reason
            said = claimed.get(name)
            if said is not None and item.value is not None and not same_value(_unfilled(said), _unfilled(str(item.value))):
                differing += 1
                value_conf = min(value_conf, DISAGREEMENT_CAP)
                reason = reason or "the service's own reading differs from its MRZ text"
            fields[name] = replace(item, confidence=value_conf, reason=reason)
        reasons = [result.reason] if result.reason else []
        if data.get("validCheckDigits") is True and not result.all_check_digits_valid:
            reasons.append("the service reported valid check digits, but they fail")
        if differing:
            reasons.append(f"{differing} field(s) differ from the service's own reading")
        return PassportRecord(
            fields=_remote_fields(PASSPORT_FIELDS, fields),
            status=result.status,
            reason="; ".join(reasons),
            format=result.format,
            mrz_lines=result.lines,
            checks=dict(local.checks),
        )

    if not any(claimed.values()):
        raise RemoteBadAnswer("the OCR service's answer holds neither MRZ text nor passport fields")
    ceiling = UNVERIFIED_CAP if confidence is None else min(confidence, UNVERIFIED_CAP)
    why = "not verified: the service gave no readable MRZ text"
    fields = {}
    for name, said in claimed.items():
        if said is None:
            continue
        value: str | None = " ".join(said.replace("<", " ").upper().split())
        reason = why
        if name in ("birth_date", "expiry_date"):
            problem = _passport_date_problem(name, said, today or date.today())
            if problem:
                value, reason = None, problem
        fields[name] = Field(value, ceiling if value else 0.0, SOURCE_REMOTE, valid=False, reason=reason)
    return PassportRecord(
        fields=_remote_fields(PASSPORT_FIELDS, fields),
        status="invalid",
        reason="check digits not verified: the service gave no readable MRZ text",
    )


def _overall(confidence: float | None) -> float | None:
    """The service's one confidence for its whole answer, as each field may carry it (`OVERALL_CEILING`)."""
    return None if confidence is None else min(confidence, OVERALL_CEILING)


def _passport_date_problem(name: str, said: str, today: date) -> str:
    """Why a date the service gave without MRZ text cannot be the document's; empty when it can."""
    try:
        value = date.fromisoformat(said) if _ISO_DATE.match(said) else None
    except ValueError:
        value = None
    if value is None:
        return f"the service's {name} is not a date (YYYY-MM-DD)"
    if value.year < OLDEST_BIRTH_YEAR:
        return f"the service's {name} {said} is not plausible: before {OLDEST_BIRTH_YEAR}"
    if name == "birth_date" and value > today:
        return f"the service's birth_date {said} is not plausible: in the future"
    if name == "expiry_date" and value.year > today.year + LONGEST_VALIDITY_YEARS:
        return f"the service's expiry_date {said} is not plausible: more than {LONGEST_VALIDITY_YEARS} years away"
    return ""


def _amount_problem(name: str, amount: float, max_amount: float) -> str:
    """Why an amount the service read cannot be on the receipt; empty when it can.

    Not negative, as the receipt rules say (`rules.plausible_amount`); a total
    or subtotal above 0; nothing above `max_amount` (`[remote] max_amount`).
    Tax against the total is the receipt rules' check of the whole record.
    """
    if not rules.plausible_amount(amount):
        return f"the service's {name} is negative" if amount < 0 else f"the service's {name} is not a number"
    if name != "tax" and amount == 0:
        return f"the service's {name} is 0"
    if amount > max_amount:
        return f"the service's {name} {amount:g} is not plausible: more than [remote] max_amount {max_amount:g}"
    return ""


def _service_date(given: Any, date_order: str, today: date | None) -> str | None:
    """The receipt date the service gave, as ISO; None when it is not a plausible one.

    An ISO `YYYY-MM-DD` is read as ISO only (the contract's form): a date in
    the future is not turned into another date by swapping day and month.
    Plausible as a local read's date is (`kiosk.ocr.receipt.values`).
    """
    if not isinstance(given, str):
        return None
    text = given.strip()
    if not _ISO_DATE.match(text):
        return parse_date(text, date_order, today)
    return text if _iso_plausible(text, today or date.today()) else None


def _iso_plausible(text: str, today: date) -> bool:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return False
    return value.year >= MIN_YEAR and value <= today + FUTURE_SLACK


RECEIPT_KEYS: dict[str, tuple[str, ...]] = {
    "vendor": ("vendor", "merchant", "store"),
    "date": ("date",),
    "total": ("amount", "total"),
    "tax": ("tax",),
    "subtotal": ("subtotal",),
    "currency": ("currency",),
}


def _receipt_value(data: Mapping[str, Any], extra: Mapping[str, Any], name: str) -> tuple[Any, float | None]:
    """The raw value the service gave for a record field, and that field's own confidence if any."""
    for key in RECEIPT_KEYS[name]:
        if data.get(key) is not None:
            entry = extra.get(key) or extra.get(name)
            own = _confidence(entry) if isinstance(entry, Mapping) else None
            return data[key], own
    for key in (name, *RECEIPT_KEYS[name]):
        entry = extra.get(key)
        if isinstance(entry, Mapping):
            if entry.get("value") is not None:
                return entry["value"], _confidence(entry)
        elif entry is not None:
            return entry, None
    return None, None


def _receipt_lines(data: Mapping[str, Any]) -> tuple[str, ...]:
    for key in ("lines", "text", "raw_text", "rawText"):
        value = data.get(key)
        if isinstance(value, str):
            return tuple(line for line in value.splitlines() if line.strip())
        if isinstance(value, list):
            return tuple(str(line) for line in value if isinstance(line, (str, int, float)))
    return ()


def receipt_from_answer(
    data: Any,
    *,
    date_order: str = "DMY",
    currency: str = "",
    today: date | None = None,
    max_amount: float = MAX_AMOUNT,
) -> ReceiptRecord:
    """An `/ocr` answer as a receipt record, normalised like a local read.

    `date_order` reads ambiguous numeric dates, `currency` is assumed when the
    answer names none ([receipt] settings). A value that cannot be normalised
    becomes an empty, invalid field, and so does an implausible one: a
    negative or zero amount, one above `max_amount`, a date in the future or
    before 2000, a vendor too long to be a name; tax not below the total is
    not valid by the receipt rules (`kiosk.ocr.receipt.rules`). The reason
    says which. Status, reason and warnings follow the same rules as a local
    read. The service's one confidence is capped at `OVERALL_CEILING`; a
    field's own confidence in `fields` is used as given. An answer with no
    receipt field at all is a RemoteBadAnswer.
    """
    if not isinstance(data, Mapping):
        raise RemoteBadAnswer("the OCR service's answer is not a JSON object")
    if data.get("success") is False:
        raise RemoteUnreadable(f"the OCR service could not read the receipt: {error_detail(data) or 'no reason given'}")
    extra = data.get("fields")
    if extra is None:
        extra = {}
    if not isinstance(extra, Mapping):
        raise RemoteBadAnswer("the OCR service's answer has `fields` that are not a JSON object")
    confidence = _overall(_confidence(data))
    base = UNKNOWN_CONFIDENCE if confidence is None else confidence
    raw = {name: _receipt_value(data, extra, name) for name in RECEIPT_FIELDS}
    lines = _receipt_lines(data)
    if not any(value is not None for value, _ in raw.values()):
        raise RemoteBadAnswer("the OCR service's answer holds none of the receipt fields")

    fields: dict[str, Field] = {}

    def put(name: str, value: Any, reason_if_none: str) -> None:
        given, own = raw[name]
        conf = base if own is None else own
        if value is None:
            fields[name] = Field(None, 0.0, SOURCE_REMOTE, valid=False, reason=reason_if_none)
        else:
            fields[name] = Field(value, conf, SOURCE_REMOTE, valid=True)

    vendor, _ = raw["vendor"]
    if vendor is not None:
        text = " ".join(vendor.split()) if isinstance(vendor, str) else None
        if text and not rules.plausible_vendor(text):
            put("vendor", None, "the service's vendor is too long for a name")
        else:
            put("vendor", text or None, "the service's vendor is not text")
    for name in ("total", "tax", "subtotal"):
        given, _ = raw[name]
        if given is not None:
            amount = parse_amount(given)
            problem = _amount_problem(name, amount, max_amount) if amount is not None else ""
            if problem:
                put(name, None, problem)
            else:
                put(name, None if amount is None else round(amount, 2), f"the service's {name} is not an amount")
    given_date, _ = raw["date"]
    if given_date is not None:
        put("date", _service_date(given_date, date_order, today),
            "the service's date is not a plausible date (in the future, before 2000, or not a date)")
    given_currency, own = raw["currency"]
    code = parse_currency(given_currency, currency) if isinstance(given_currency, str) else None
    if code is None:
        # The amount's own text ("RM 12.50") may name it; else the site's default.
        total_text = raw["total"][0]
        code = parse_currency(total_text if isinstance(total_text, str) else None, currency)
    if code is not None:
        conf = base if own is None else own
        assumed = given_currency is None and code == currency
        fields["currency"] = Field(code, conf, SOURCE_REMOTE, valid=True, reason="assumed from settings" if assumed else "")
    elif given_currency is not None:
        put("currency", None, "the service's currency is not a known currency")

    # A rounding or discount row counts when the service gave the receipt's text, as in a local read.
    rounding, discounted = adjustments(lines)
    findings = rules.check_fields(fields, rounding=rounding, discounted=discounted)
    for name in dict.fromkeys(name for finding in findings for name in finding.fields):
        fields[name] = replace(fields[name], valid=False, reason=rules.CONTRADICTED)
    warnings = [finding.message for finding in findings]
    # The same statuses as the local extractor (kiosk.ocr.receipt.extract); a field the service
    # gave in a form that cannot be used is empty here, so it counts as missing.
    status, reason = rules.status_of(rules.missing(fields), warnings)
    return ReceiptRecord(
        fields=_remote_fields(RECEIPT_FIELDS, fields),
        status=status,
        reason=reason,
        lines=lines,
        warnings=tuple(warnings),
    )


# -------------------------------------------------------------------- client


@dataclass(frozen=True)
class Health:
    """What `GET /health` said."""

    url: str
    up: bool
    status: str
    version: str | None
    service: str | None
    latency: float
    """Seconds from sending the request to having the whole answer."""

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "up": self.up,
            "status": self.status,
            "version": self.version,
            "service": self.service,
            "latency_ms": round(self.latency * 1000, 1),
        }


def plain_http_to_another_host(url: str) -> bool:
    """Whether `url` sends the token and images unencrypted over a network (http:// not to this host)."""
    parsed = httpx.URL(url)
    return parsed.scheme == "http" and parsed.host not in ("127.0.0.1", "localhost", "::1")


def _tls_failure(exc: BaseException) -> str | None:
    """'certificate' when the server's certificate was not trusted, 'handshake' for another TLS failure, else None."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return "certificate"
        if isinstance(seen, ssl.SSLError):
            return "certificate" if "CERTIFICATE_VERIFY_FAILED" in str(seen) else "handshake"
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "certificate"
    return "handshake" if "[SSL" in text else None


@dataclass
class _Answer:
    status: int
    content_type: str
    body: bytes
    retry_after: str | None


class Provider:
    """One OCR endpoint, a `[[remote.receipt]]` or `[[remote.mrz]]` entry: its URL, token, health URL,
    timeouts and circuit breaker. Thread-safe; `RemoteOcr` tries a kind's providers in turn.

    `token` is the bearer token (None: requests fail with RemoteNotConfigured,
    health still works). `clock` and `sleep` are injectable for tests;
    `transport` is passed to httpx (tests and proxies).
    """

    def __init__(
        self,
        settings: RemoteEndpoint,
        token: str | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        breaker: CircuitBreaker | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = settings.url.strip()
        if not url.startswith(("http://", "https://")):
            raise RemoteNotConfigured("an OCR service url must start with http:// or https://")
        self.settings = settings
        self.url = url
        """The endpoint, posted to as written: never a path added to it."""
        self.label = url.split("?", 1)[0]
        """How messages name this provider."""
        self.health_url = settings.health_url.strip() or origin(url) + "/health"
        self.token_secret = settings.token_secret
        if plain_http_to_another_host(url):
            log.warning("remote OCR over plain HTTP to another host (%s): token and images are not encrypted; use https://", self.label)
        self._token = token or None
        self.clock = clock
        self.sleep = sleep
        self.breaker = breaker or CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown, clock)
        self._not_before = 0.0
        self._lock = threading.Lock()
        self._http = httpx.Client(
            verify=self._verify(settings),
            timeout=self._timeout(settings.read_timeout),
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": "scan-kiosk", "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"Provider({self.label!r}, token={'set' if self._token else 'not set'})"

    def close(self) -> None:
        self._http.close()

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    def worst_case_seconds(self) -> float:
        """The longest one call can take with these settings, whatever the service does."""
        s = self.settings
        attempt = s.connect_timeout + 2 * s.read_timeout
        waits = sum(max(s.backoff * 2**i, s.max_retry_wait) for i in range(s.retries))
        return (s.retries + 1) * attempt + waits

    def health(self) -> Health:
        """`GET` the health URL, one attempt, not held back by the circuit breaker (an explicit check)."""
        started = self.clock()
        answer = self._attempt("GET", self.health_url, None, min(self.settings.read_timeout, 10.0))
        latency = self.clock() - started
        if answer.status in (401, 403):
            raise RemoteAuthError(f"the OCR service at {self.label} refused the health check (HTTP {answer.status})")
        data = self._json(answer, strict=answer.status == 200)
        status = data.get("status") if isinstance(data, Mapping) else None
        if not isinstance(status, str):
            if answer.status >= 500:
                self.breaker.failure()
                raise RemoteServerError(f"the OCR service at {self.label} is failing (HTTP {answer.status})")
            raise RemoteBadAnswer(
                f"the OCR service at {self.label} answered {self.health_url} without a status (HTTP {answer.status})"
            )
        up = answer.status == 200 and status.strip().lower() in UP_STATUSES
        if up:
            self.breaker.success()
        version = data.get("version")
        service = data.get("ocr_impl") or data.get("service")
        return Health(
            url=self.label,
            up=up,
            status=status.strip()[:40],
            version=str(version)[:40] if isinstance(version, (str, int, float)) else None,
            service=str(service)[:80] if isinstance(service, (str, int, float)) else None,
            latency=latency,
        )

    def probe(self, *, with_token: bool = True) -> int:
        """The HTTP status of an empty form (no file) POSTed to the endpoint, with the token or without.
        Such a request cannot start any OCR work; what its answer proves is in `kiosk.ocr.remote.check`."""
        read = min(self.settings.read_timeout, 10.0)
        return self._attempt("POST", self.url, None, read, with_token=with_token, empty_form=True).status

    # ------------------------------------------------------------- plumbing

    @staticmethod
    def _verify(settings: RemoteEndpoint) -> ssl.SSLContext | bool:
        if not settings.ca_bundle:
            return True
        path = Path(settings.ca_bundle).expanduser()
        if not path.is_file():
            raise RemoteNotConfigured(f"{settings.url}: ca_bundle not found: {path}")
        try:
            return ssl.create_default_context(cafile=str(path))
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise RemoteNotConfigured(f"{settings.url}: ca_bundle {path} is not a PEM certificate bundle: {exc}") from None

    def _timeout(self, read: float) -> httpx.Timeout:
        return httpx.Timeout(connect=self.settings.connect_timeout, read=read, write=read, pool=self.settings.connect_timeout)

    def post(self, upload: Upload, deadline: float = math.inf) -> _Answer:
        """POST the upload with retries, done by `deadline` (a `clock` time); a 200 or 422 answer,
        a RemoteError for anything else."""
        if not self._token:
            raise RemoteNotConfigured(
                f"no token for the OCR service at {self.label}: store it with `kiosk secret set {self.token_secret}`"
            )
        s = self.settings
        with self._lock:
            wait = self._not_before - self.clock()
        if wait > 0:
            raise RemoteRateLimited(
                f"the OCR service asked to wait; try again in {math.ceil(wait)} s", retry_after=wait
            )
        attempt = 0
        last: RemoteError | None = None
        while True:
            try:
                self.breaker.before_request(f"the OCR service at {self.label}")
            except RemoteCircuitOpen:
                if last is not None:  # opened during this call: report what actually went wrong
                    raise last from None
                raise
            read = min(s.read_timeout, deadline - self.clock())
            if read <= 0:
                raise last if last is not None else RemoteTimeout(f"no time left for the OCR service at {self.label}")
            delay: float | None = None
            try:
                answer = self._attempt("POST", self.url, upload, read, deadline=deadline)
            except RemoteTimeout:
                self.breaker.failure()
                raise
            except RemoteTlsError:
                raise
            except (RemoteUnreachable, RemoteBadAnswer) as exc:  # connection refused, dropped, cut off
                self.breaker.failure()
                last = exc
            else:
                if answer.status in (200, 422):
                    self.breaker.success()
                    return answer
                if answer.status in (401, 403):
                    self.breaker.success()  # alive, just not ours to use
                    raise RemoteAuthError(
                        f"the OCR service at {self.label} refused the token (HTTP {answer.status}): "
                        f"check it with `kiosk secret set {self.token_secret}`"
                    )
                if answer.status == 429:
                    self.breaker.success()
                    retry_after = parse_retry_after(answer.retry_after)
                    wait_for = retry_after if retry_after is not None else s.backoff * 2**attempt
                    if attempt >= s.retries or wait_for > s.max_retry_wait:
                        if retry_after is None:  # it named no time: none is invented, none is held back
                            raise RemoteRateLimited(
                                f"the OCR service is rate limiting requests: HTTP 429 to {attempt + 1} tries, "
                                "and it said nothing about when to try again (no Retry-After)"
                            )
                        with self._lock:
                            self._not_before = self.clock() + wait_for
                        when = f"; try again in {math.ceil(wait_for)} s" if wait_for >= 0.5 else ""
                        raise RemoteRateLimited(f"the OCR service is rate limiting requests{when}", retry_after=wait_for)
                    delay = wait_for
                    last = RemoteRateLimited("the OCR service is rate limiting requests", retry_after=wait_for)
                elif answer.status in RETRY_STATUSES or answer.status >= 500:
                    self.breaker.failure()
                    detail = error_detail(self._json(answer, strict=False))
                    last = RemoteServerError(
                        f"the OCR service at {self.label} failed (HTTP {answer.status}){': ' + detail if detail else ''}"
                    )
                    if answer.status not in RETRY_STATUSES:
                        raise last
                else:
                    self.breaker.success()
                    raise self._rejected(answer)
            if attempt >= s.retries:
                assert last is not None
                raise last
            if delay is None:
                delay = s.backoff * 2**attempt
            if self.clock() + delay >= deadline:
                assert last is not None
                raise last  # no time left for a retry
            log.info("remote OCR %s: %s; retry %d of %d in %.1f s", self.label, last.kind if last else "?", attempt + 1, s.retries, delay)
            if delay > 0:
                self.sleep(delay)
            attempt += 1

    def _rejected(self, answer: _Answer) -> RemoteError:
        detail = error_detail(self._json(answer, strict=False))
        if answer.status == 413:
            return RemoteRejected("the OCR service says the image is too large (HTTP 413)")
        if answer.status == 404:
            return RemoteRejected(f"nothing answers at {self.label} (HTTP 404): is its url right?")
        if answer.status == 405:
            return RemoteRejected(f"{self.label} takes no uploads (HTTP 405): is its url the OCR endpoint itself?")
        if 300 <= answer.status < 400:
            return RemoteRejected(f"the OCR service at {self.label} redirects (HTTP {answer.status}): set its url to the final address")
        return RemoteRejected(f"the OCR service rejected the request (HTTP {answer.status}){': ' + detail if detail else ''}")

    def _attempt(
        self,
        method: str,
        url: str,
        upload: Upload | None,
        read_timeout: float,
        *,
        deadline: float = math.inf,
        with_token: bool = True,
        empty_form: bool = False,
    ) -> _Answer:
        """One request (with the token when there is one and `with_token`), its whole answer read within
        `connect + 2 * read` seconds and by `deadline`; failures as RemoteError. `empty_form`: a
        multipart form without any field."""
        headers = {"Authorization": f"Bearer {self._token}"} if self._token and with_token else {}
        files = {"file": (upload.filename, upload.data, upload.content_type)} if upload else None
        content = None
        if empty_form:
            headers["Content-Type"] = f"multipart/form-data; boundary={EMPTY_FORM_BOUNDARY}"
            content = f"--{EMPTY_FORM_BOUNDARY}--\r\n".encode("ascii")
        started = self.clock()
        budget = min(self.settings.connect_timeout + 2 * read_timeout, deadline - started)
        host = self.label
        try:
            with self._http.stream(
                method, url, files=files, content=content, headers=headers, timeout=self._timeout(read_timeout)
            ) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise RemoteBadAnswer(f"the OCR service's answer is too large (over {MAX_ANSWER_BYTES // 1_000_000} MB)")
                    if self.clock() - started > budget:
                        raise RemoteTimeout(f"the OCR service did not finish answering within {budget:.0f} s")
                answer = _Answer(
                    response.status_code,
                    response.headers.get("content-type", ""),
                    bytes(body),
                    response.headers.get("retry-after"),
                )
        except httpx.ConnectTimeout:
            raise RemoteUnreachable(
                f"the OCR service at {host} did not accept a connection within {self.settings.connect_timeout:g} s"
            ) from None
        except httpx.ConnectError as exc:
            tls = _tls_failure(exc) if url.startswith("https://") else None
            if tls == "certificate":
                raise RemoteTlsError(
                    f"the OCR service at {host} has a certificate this kiosk does not trust: "
                    "set its ca_bundle to the organisation's CA"
                ) from None
            if tls == "handshake":
                raise RemoteTlsError(
                    f"the TLS handshake with the OCR service at {host} failed ({_short(exc)}): does it serve https?"
                ) from None
            raise RemoteUnreachable(f"the OCR service at {host} could not be reached: {_short(exc)}") from None
        except httpx.TimeoutException:
            raise RemoteTimeout(f"the OCR service at {host} did not answer within {read_timeout:g} s") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise RemoteBadAnswer(f"the OCR service's connection broke before a complete answer: {_short(exc)}") from None
        except httpx.DecodingError:
            raise RemoteBadAnswer("the OCR service's answer could not be decoded") from None
        except httpx.HTTPError as exc:
            raise RemoteUnreachable(f"the OCR service at {host} could not be reached: {_short(exc)}") from None
        log.info("remote OCR %s %s: HTTP %d, %d bytes in %.2f s", method, url, answer.status, len(answer.body), self.clock() - started)
        return answer

    def _json(self, answer: _Answer, *, strict: bool) -> Any:
        """The answer's JSON; with `strict`, anything that is not a JSON object is a RemoteBadAnswer."""
        try:
            data = json.loads(answer.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            if not strict:
                return None
            kind = answer.content_type.split(";")[0].strip() or "no content type"
            raise RemoteBadAnswer(
                f"the OCR service answered with something that is not JSON (HTTP {answer.status}, {kind}, {len(answer.body)} bytes)"
            ) from None
        if strict and not isinstance(data, dict):
            raise RemoteBadAnswer(f"the OCR service answered JSON that is not an object (HTTP {answer.status})")
        return data


@dataclass(frozen=True)
class RemoteRead:
    """A record read by the OCR service, and which provider read it."""

    record: PassportRecord | ReceiptRecord
    provider: str
    """The answering provider's URL."""


KIND_SERVICES = {"receipt": "receipt OCR", "passport": "MRZ OCR"}


class RemoteOcr:
    """The remote OCR services: per document kind its providers (`[[remote.receipt]]`, `[[remote.mrz]]`),
    tried in turn. Thread-safe; keep one per app so the providers' circuit breakers remember.

    A provider that fails in a way another could fix (unreachable, TLS, timeout, 5xx, rate limited,
    circuit open, token missing or refused, a broken answer, a refused request) hands the same upload
    to the next, all within `[remote] total_timeout`. An answer about the image (422: no MRZ, no text
    found) ends the search: that service worked, and the chain is there for availability, not for
    second opinions, each of which would cost up to its read timeout and send the passport image to
    one more party. `tokens` maps `token_secret` names to tokens (a missing name: no token).
    """

    def __init__(
        self,
        settings: RemoteSettings,
        tokens: Mapping[str, str | None] | None = None,
        *,
        receipt: ReceiptSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        max_upload: int = MAX_UPLOAD_BYTES,
    ) -> None:
        if not settings.configured:
            raise RemoteNotConfigured("no OCR service configured: add a [[remote.receipt]] or [[remote.mrz]] url to the settings")
        self.settings = settings
        self.receipt = receipt or ReceiptSettings()
        self.clock = clock
        self.max_upload = max_upload
        self.providers: dict[str, list[Provider]] = {kind: [] for kind in REMOTE_KINDS}
        try:
            for kind, chain in self.providers.items():
                for endpoint in settings.endpoints(kind):
                    token = (tokens or {}).get(endpoint.token_secret)
                    chain.append(Provider(endpoint, token, clock=clock, sleep=sleep, transport=transport))
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> "RemoteOcr":
        """The client for these settings, each provider's token from the keyring (its `token_secret`)."""
        from kiosk.secrets import get_secret

        names = {endpoint.token_secret for kind in REMOTE_KINDS for endpoint in settings.remote.endpoints(kind)}
        return cls(settings.remote, {name: get_secret(name) for name in sorted(names)}, receipt=settings.receipt, **kwargs)

    def __repr__(self) -> str:
        return f"RemoteOcr({', '.join(map(repr, self._all()))})"

    def __enter__(self) -> "RemoteOcr":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for provider in self._all():
            provider.close()

    def _all(self) -> list[Provider]:
        return [provider for chain in self.providers.values() for provider in chain]

    @property
    def has_token(self) -> bool:
        """Whether any provider has a token (without one, every request is refused before it is sent)."""
        return any(provider.has_token for provider in self._all())

    def worst_case_seconds(self, kind: str | None = None) -> float:
        """The longest one scan can take with these settings, whatever the services do."""
        kinds = [kind] if kind else list(self.providers)
        chains = [sum(p.worst_case_seconds() for p in self.providers[k]) for k in kinds]
        return min(self.settings.total_timeout, max(chains, default=0.0))

    # ---------------------------------------------------------- public calls

    def health(self) -> Health:
        """The health of each kind's first provider (each health URL asked once): the first that is not
        up, else the slowest. A provider that gives no usable answer raises its RemoteError."""
        seen: dict[str, Health] = {}
        for chain in self.providers.values():
            if chain and chain[0].health_url not in seen:
                seen[chain[0].health_url] = chain[0].health()
        results = list(seen.values())
        down = [health for health in results if not health.up]
        return down[0] if down else max(results, key=lambda health: health.latency)

    def read(self, kind: str, image: bytes | np.ndarray) -> RemoteRead:
        """Send a `passport` or `receipt` image to that kind's providers in turn; the first answer wins.

        RemoteNotConfigured when the kind has no provider; when every provider failed, the last one's
        RemoteError, its message naming each provider and what went wrong there.
        """
        chain = self.providers.get(kind)
        if chain is None:
            raise ValueError(f"unknown document kind {kind!r}")
        if not chain:
            raise RemoteNotConfigured(
                f"no {KIND_SERVICES[kind]} service configured: add a [[remote.{REMOTE_KINDS[kind]}]] url to the settings"
            )
        upload = prepare_upload(image, self.max_upload)
        deadline = self.clock() + self.settings.total_timeout
        failures: list[RemoteError] = []
        for number, provider in enumerate(chain, 1):
            if failures and self.clock() >= deadline:
                log.info("remote %s: [remote] total_timeout spent, provider %d of %d not tried", KIND_SERVICES[kind], number, len(chain))
                break
            try:
                return RemoteRead(self._ask(kind, provider, upload, deadline), provider.label)
            except RemoteUnreadable as exc:
                raise _naming(exc, provider) from None
            except RemoteError as exc:
                failures.append(_naming(exc, provider))
                log.info("remote %s provider %d of %d failed (%s)", KIND_SERVICES[kind], number, len(chain), exc.kind)
        raise _chain_failed(KIND_SERVICES[kind], failures)

    def scan(self, kind: str, image: bytes | np.ndarray) -> PassportRecord | ReceiptRecord:
        return self.read(kind, image).record

    def scan_mrz(self, image: bytes | np.ndarray) -> PassportRecord:
        """A passport image read by the MRZ providers; the answer re-validated here, every field `remote`."""
        return self.read("passport", image).record  # type: ignore[return-value]

    def ocr_receipt(self, image: bytes | np.ndarray) -> ReceiptRecord:
        """A receipt image read by the receipt providers; amounts, dates and currency normalised as local reads are."""
        return self.read("receipt", image).record  # type: ignore[return-value]

    def _ask(self, kind: str, provider: Provider, upload: Upload, deadline: float) -> PassportRecord | ReceiptRecord:
        answer = provider.post(upload, deadline)
        data = provider._json(answer, strict=answer.status == 200)
        if answer.status == 422:
            if isinstance(data, Mapping) and data.get("success") is False:
                why = error_detail(data) or "no reason given"
                if kind == "passport":
                    raise RemoteNoMrz(f"the OCR service at {provider.label} found no MRZ: {why}")
                raise RemoteUnreadable(f"the OCR service at {provider.label} could not read the receipt: {why}")
            raise RemoteRejected(f"the OCR service at {provider.label} rejected the upload (HTTP 422) {error_detail(data)}".rstrip())
        if kind == "passport":
            return passport_from_answer(data)
        return receipt_from_answer(
            data, date_order=self.receipt.date_order, currency=self.receipt.currency, max_amount=self.settings.max_amount
        )


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"


def _naming(exc: RemoteError, provider: Provider) -> RemoteError:
    """`exc`, its message naming the provider when it does not yet."""
    if provider.label not in str(exc):
        exc.args = (f"{exc} ({provider.label})",)
    return exc


def _chain_failed(service: str, failures: list[RemoteError]) -> RemoteError:
    """The last failure (its kind is what ended the search), its message listing every provider's."""
    last = failures[-1]
    if len(failures) == 1:
        return last
    combined = copy.copy(last)
    combined.args = (f"no {service} provider could read it: " + "; ".join(str(exc) for exc in failures),)
    return combined


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:DETAIL_CHARS]
