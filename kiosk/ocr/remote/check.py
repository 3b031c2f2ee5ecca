"""The one connection check of the remote OCR services, for `kiosk service check` and the Settings screen.

`check_service(settings, typed)` checks every provider, `[[remote.receipt]]` then `[[remote.mrz]]`, in
the order they are tried:

- its health URL, one attempt (a health URL shared by several providers is asked once): up or not,
  version, implementation, latency;
- its token: where it comes from (typed in the Settings form, else `environment`, `keyring` or
  `not set`; never the token itself) and whether the service accepts it;
- plain HTTP to another host: a warning.

How the token is tested without creating work: an empty multipart form (no `file`) is POSTed to the
endpoint with the token. The service cannot start OCR on it. 401/403: the token is refused. 400/422
(the form lacks its file) or 2xx only says the request got past the token if the service checks the
token before it reads the form, so the same empty form is sent once more without a token: a 401/403
then proves the token is what let the first one through (`accepted`). When the tokenless form is
answered like the first, the service reads the form first or checks no token at all: the token cannot
be tested without sending an image (`untested`, a warning, not a failure). 429 leaves it untested too;
404/405 say the URL is not the endpoint; 5xx that the endpoint is failing.

A provider is good when it is up, has a token and the token is not refused; the check is good when
every provider is (a failing backup is reported, though scans would still work). `[remote] policy` is
reported, not judged. The answer is a `ServiceCheck`: no exception for a problem of the settings or a
service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from kiosk.config import REMOTE_KINDS, RemoteEndpoint, Settings
from kiosk.errors import KioskError, RemoteError, SecretError
from kiosk.ocr.remote.client import KIND_SERVICES, Health, Provider, plain_http_to_another_host
from kiosk.secrets import get_secret, secret_source

__all__ = ["PLAIN_HTTP_WARNING", "TYPED", "ProviderCheck", "ServiceCheck", "check_service"]

TYPED = "typed, not stored"
"""The token source of a check given a token typed in the form."""
PLAIN_HTTP_WARNING = "plain HTTP to another host: the token and document images travel unencrypted; use https://"

NOT_CONFIGURED = "not_configured"
DOWN = "down"
NO_TOKEN = "no_token"

ACCEPTED = "accepted"
REFUSED = "refused"
UNTESTED = "untested"
NOT_TESTED = "not tested"
"""Token verdicts: `untested` when the service cannot tell, `not tested` when the check did not get that far."""


@dataclass(frozen=True)
class ProviderCheck:
    """The outcome of the check of one provider."""

    service: str
    """`receipt OCR` or `MRZ OCR`."""
    number: int
    """Its place in its kind's list, from 1."""
    several: bool
    """Whether its kind has more than one provider (then messages number them)."""
    url: str
    health_url: str
    token_secret: str
    token_source: str
    token: str
    """accepted, refused, untested, or not tested."""
    summary: str
    problem: str | None = None
    """None when good, else `down`, `no_token`, or a `RemoteError.kind` (`auth`: the token is refused)."""
    health: Health | None = None
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def name(self) -> str:
        """How messages call it: `MRZ OCR`, or `MRZ OCR 2` when its kind has several providers."""
        return f"{self.service} {self.number}" if self.several else self.service

    def details(self) -> tuple[str, ...]:
        """Labelled lines: health URL, version, service, latency, token, warnings."""
        lines = [_detail("health", self.health_url)]
        if self.health is not None:
            lines.append(_detail("version", self.health.version or "unknown"))
            if self.health.service:
                lines.append(_detail("service", self.health.service))
            lines.append(_detail("latency", f"{self.health.latency * 1000:.0f} ms"))
        lines.append(_detail("token", f"{self.token_source} ({self.token_secret}), {self.token}"))
        return (*lines, *(_detail("warning", w) for w in self.warnings))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "provider": self.name,
            "number": self.number,
            "url": self.url,
            "health_url": self.health_url,
            "token_secret": self.token_secret,
            "token_source": self.token_source,
            "token": self.token,
            "ok": self.ok,
        }
        out.update(self.health.to_json() if self.health is not None else {"up": False})
        out["url"] = self.url
        if not self.ok:
            out.update({"error": self.summary, "error_kind": self.problem})
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True)
class ServiceCheck:
    """The outcome of a check of every OCR provider."""

    ok: bool
    summary: str
    """One line naming each provider and its state: what the Settings screen shows (with `warnings`)."""
    providers: tuple[ProviderCheck, ...]
    policy: str
    problem: str | None = None
    """None when ok; `not_configured`, or the first failing provider's problem."""

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for p in self.providers for w in p.warnings))

    def line(self) -> str:
        """The summary and the warnings, on one line."""
        return "; ".join((self.summary, *self.warnings))

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "policy": self.policy, "providers": [p.to_json() for p in self.providers]}


def _detail(label: str, value: str) -> str:
    return f"{label:<8} {value}"


def _token(name: str, typed: Mapping[str, str]) -> tuple[str | None, str]:
    if typed.get(name):
        return typed[name], TYPED
    try:
        return get_secret(name), secret_source(name)
    except SecretError as exc:
        return None, f"unavailable ({exc})"


def check_service(settings: Settings, typed: Mapping[str, str] | None = None) -> ServiceCheck:
    """Check every `[remote]` provider of `settings` (saved or only typed), with the tokens `typed` in the
    form by secret name (the stored ones for the others).

    Blocking, per provider up to `min(read_timeout, 10)` plus the connect timeout for the health check
    and for each of the (at most two) token checks: call it from a worker thread in the UI.
    """
    remote = settings.remote
    policy = f"{remote.policy}{' (the kiosk will not use it)' if remote.policy == 'off' else ''}"
    if not remote.configured:
        return ServiceCheck(False, "no OCR service URL", (), remote.policy, NOT_CONFIGURED)
    healths: dict[str, Health | KioskError] = {}
    checks = []
    for kind in REMOTE_KINDS:
        endpoints = remote.endpoints(kind)
        for number, endpoint in enumerate(endpoints, 1):
            token, source = _token(endpoint.token_secret, typed or {})
            check = _check_provider(KIND_SERVICES[kind], number, len(endpoints) > 1, endpoint, token, source, healths)
            checks.append(check)
    failing = [c for c in checks if not c.ok]
    summary = "; ".join(f"{c.name}: {c.summary}" for c in checks)
    return ServiceCheck(not failing, summary, tuple(checks), policy, failing[0].problem if failing else None)


def _check_provider(
    service: str,
    number: int,
    several: bool,
    endpoint: RemoteEndpoint,
    token: str | None,
    source: str,
    healths: dict[str, Health | KioskError],
) -> ProviderCheck:
    base: dict[str, Any] = dict(
        service=service, number=number, several=several, url=endpoint.url, health_url=endpoint.health_url,
        token_secret=endpoint.token_secret, token_source=source, warnings=_warnings(endpoint.url),
    )
    health: Health | None = None
    try:
        provider = Provider(endpoint, token)
    except KioskError as exc:
        return ProviderCheck(**base, token=NOT_TESTED, summary=_scrub(str(exc), token), problem=_kind(exc))
    base["health_url"] = provider.health_url
    try:
        if provider.health_url not in healths:
            healths[provider.health_url] = _health(provider)
        result = healths[provider.health_url]
        if isinstance(result, KioskError):
            return ProviderCheck(**base, token=NOT_TESTED, summary=_scrub(str(result), token), problem=_kind(result))
        health = result
        up = _up(health)
        if not health.up:
            summary = f"the OCR service at {provider.label} reports status {health.status!r}"
            return ProviderCheck(**base, token=NOT_TESTED, summary=summary, problem=DOWN, health=health)
        if not token:
            summary = f"{up}, but no token: scans will be refused; store it with `kiosk secret set {endpoint.token_secret}`"
            return ProviderCheck(**base, token=NOT_TESTED, summary=summary, problem=NO_TOKEN, health=health)
        verdict, problem, said = _token_verdict(provider)
    except KioskError as exc:
        return ProviderCheck(**base, token=NOT_TESTED, summary=_scrub(str(exc), token), problem=_kind(exc), health=health)
    finally:
        provider.close()
    if verdict == UNTESTED:
        base["warnings"] = (*base["warnings"], said)
        said = "token not tested"
    return ProviderCheck(**base, token=verdict, summary=_scrub(f"{up}, {said}", token), problem=problem, health=health)


def _health(provider: Provider) -> Health | KioskError:
    try:
        return provider.health()
    except KioskError as exc:
        return exc


def _up(health: Health) -> str:
    what = " ".join(filter(None, [health.service, health.version]))
    return f"up ({what + ', ' if what else ''}{health.latency * 1000:.0f} ms)"


def _token_verdict(provider: Provider) -> tuple[str, str | None, str]:
    """(verdict, problem, words) from the empty-form requests described in the module's docstring."""
    status = provider.probe()
    if status in (401, 403):
        return REFUSED, "auth", f"but the token is refused (HTTP {status}): check it with `kiosk secret set {provider.token_secret}`"
    if status in (400, 422) or 200 <= status < 300:
        if provider.probe(with_token=False) in (401, 403):
            return ACCEPTED, None, "token accepted"
        return UNTESTED, None, (
            f"the token of {provider.label} could not be tested: the service answers the same without one, "
            "so only a scan can show whether it is accepted"
        )
    if status == 429:
        return UNTESTED, None, f"the token of {provider.label} could not be tested: the service is rate limiting requests"
    if status in (404, 405):
        return NOT_TESTED, "rejected", f"but nothing takes uploads at its url (HTTP {status}): is it the OCR endpoint itself?"
    if status >= 500:
        return NOT_TESTED, "server_error", f"but its endpoint is failing (HTTP {status})"
    return NOT_TESTED, "rejected", f"but its endpoint answered the token check with HTTP {status}"


def _kind(exc: KioskError) -> str:
    return exc.kind if isinstance(exc, RemoteError) else "remote"


def _warnings(url: str) -> tuple[str, ...]:
    try:
        return (PLAIN_HTTP_WARNING,) if plain_http_to_another_host(url) else ()
    except httpx.InvalidURL:  # the client names what is wrong with it
        return ()


def _scrub(text: str, token: str | None) -> str:
    """`text` without the token, should the service have echoed it."""
    return text.replace(token, "***") if token and len(token) >= 4 else text
