"""The one connection check of the remote OCR service, for `kiosk service check` and the Settings screen.

`check_service(settings, token)` checks: a URL is set; where the token comes from (the one typed
in the Settings form, else the stored one: `environment`, `keyring`, `not set`), never the token
itself; `GET /health` (one attempt): up or not, version, implementation, latency; and warns about
plain HTTP to another host. It is good when the service is up and a token is there: without a
token every scan is refused. The `[remote] policy` is reported, not judged.

The answer is a `ServiceCheck`: no exception for a problem of the settings or the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from kiosk.config import Settings
from kiosk.errors import KioskError, RemoteError, SecretError
from kiosk.ocr.remote.client import Health, RemoteOcr, plain_http_to_another_host
from kiosk.secrets import get_secret, secret_source

__all__ = ["PLAIN_HTTP_WARNING", "TYPED", "ServiceCheck", "check_service"]

TYPED = "typed, not stored"
"""The token source of a check given a token typed in the form."""
PLAIN_HTTP_WARNING = "plain HTTP to another host: the token and document images travel unencrypted; use https://"

NOT_CONFIGURED = "not_configured"
DOWN = "down"
NO_TOKEN = "no_token"


@dataclass(frozen=True)
class ServiceCheck:
    """The outcome of a check of the OCR service."""

    ok: bool
    summary: str
    """One line: what the Settings screen shows (with `warnings`) and what `kiosk service check` says on failure."""
    details: tuple[str, ...]
    """Labelled lines (`version  1.0.0`): version, service, latency, token source, policy, warnings."""
    warnings: tuple[str, ...]
    url: str
    policy: str
    token_source: str
    health: Health | None = None
    """What `/health` said; None when it gave no usable answer (or no URL is set)."""
    problem: str | None = None
    """None when ok, else `not_configured`, `down`, `no_token`, or the `RemoteError.kind` of a failed `/health`."""

    def line(self) -> str:
        """The summary and the warnings, on one line."""
        return "; ".join((self.summary, *self.warnings))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url, "policy": self.policy, "token": self.token_source}
        if self.health is not None:
            out.update(self.health.to_json())
        else:
            out.update({"up": False, "error": self.summary, "error_kind": self.problem})
        return out


def _detail(label: str, value: str) -> str:
    return f"{label:<8} {value}"


def _token(typed: str | None) -> tuple[str | None, str]:
    if typed:
        return typed, TYPED
    try:
        return get_secret("ocr_token"), secret_source("ocr_token")
    except SecretError as exc:
        return None, f"unavailable ({exc})"


def check_service(settings: Settings, token: str | None = None) -> ServiceCheck:
    """Check the `[remote]` service of `settings` (saved or only typed) with `token` (None: the stored one).

    Blocking, up to `min(read_timeout, 10)` plus the connect timeout: call it from a worker thread in the UI.
    """
    remote = settings.remote
    token, source = _token(token)
    policy = f"{remote.policy}{' (the kiosk will not use it)' if remote.policy == 'off' else ''}"
    if not remote.url:
        return ServiceCheck(False, "no OCR service URL", (), (), "", remote.policy, source, problem=NOT_CONFIGURED)
    warnings = _warnings(remote.url)
    try:
        with RemoteOcr(remote, token, receipt=settings.receipt) as client:
            health = client.health()
    except KioskError as exc:
        kind = exc.kind if isinstance(exc, RemoteError) else "remote"
        details = (_detail("token", source), _detail("policy", policy), *(_detail("warning", w) for w in warnings))
        return ServiceCheck(False, _scrub(str(exc), token), details, warnings, remote.url, remote.policy, source, problem=kind)
    details = [_detail("version", health.version or "unknown")]
    if health.service:
        details.append(_detail("service", health.service))
    details += [
        _detail("latency", f"{health.latency * 1000:.0f} ms"),
        _detail("token", source),
        _detail("policy", policy),
        *(_detail("warning", w) for w in warnings),
    ]
    what = " ".join(filter(None, [health.service, health.version]))
    up = f"up ({what + ', ' if what else ''}{health.latency * 1000:.0f} ms)"
    if not health.up:
        summary, problem = f"the OCR service at {health.url} reports status {health.status!r}", DOWN
    elif not token:
        summary, problem = f"{up}, but no token: scans will be refused", NO_TOKEN
    else:
        summary, problem = up, None
    return ServiceCheck(problem is None, _scrub(summary, token), tuple(_scrub(d, token) for d in details), warnings,
                        remote.url, remote.policy, source, health, problem)


def _warnings(url: str) -> tuple[str, ...]:
    try:
        return (PLAIN_HTTP_WARNING,) if plain_http_to_another_host(url) else ()
    except httpx.InvalidURL:  # the client names what is wrong with it
        return ()


def _scrub(text: str, token: str | None) -> str:
    """`text` without the token, should the service have echoed it."""
    return text.replace(token, "***") if token and len(token) >= 4 else text
