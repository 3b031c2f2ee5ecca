"""A real HTTP server on loopback that implements the remote OCR service's contract (DESIGN.md).

`GET /health`, `POST /scan-mrz` and `POST /ocr`; the POSTs parse the
multipart body for real, require the `file` field (a JPEG or PNG of at most
10 MB) and the bearer token, as the organisation's FastAPI service does: the
token first (a FastAPI security dependency), then the form (`auth_after_body`
turns that round, as a service that reads the token in its handler does).
As the seeds deploy them, one server can be a receipt service only
(`OcrTestServer.receipt()`: `/ocr`), an MRZ service only
(`OcrTestServer.mrz()`: `/scan-mrz`), or either behind a proxy path
(`OcrTestServer.mrz("/api/ocr")`: `/api/ocr/scan-mrz`, health at
`/api/ocr/health`); `server.endpoint(kind)` is the full URL to configure.
What each request gets is switchable: `server.script(...)` queues behaviours
for the next requests, `server.default` applies after that.

Behaviours (a name, or a tuple of a name and an argument):
- "normal": the contract's success answer (`passport_answer` / `receipt_answer`)
- ("slow", seconds): the normal answer after a delay
- ("hang", seconds): a delay (15 s answers), then the normal answer
- ("rate_limit", retry_after): 429 with `Retry-After` (None: no header)
- ("error", status): that 5xx with a FastAPI-style `detail`
- ("drip", seconds): headers at once, then the body one byte every `seconds`
- "truncated": a Content-Length larger than the body, then the connection closes
- "drop": the connection closes without any answer
- "not_json": 200 with an HTML page
- ("json", obj): 200 with that JSON (shape tests: garbage, wrong types, lies)
- "no_mrz": 422 `{"success": false, "error": "No MRZ detected in image", ...}`

Every request is recorded in `server.seen` (path, whether the token was
right, the uploaded file's name, type, size and SHA-256), so a test can
prove what arrived and that nothing was lost or sent twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import re
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kiosk.capture.synthetic import PassportData
from kiosk.config import RemoteEndpoint, RemoteSettings

TOKEN = "test-token-5b1f0c9e"
TOKENS = {"ocr_token": TOKEN}
"""The tokens a client gets, by secret name: every provider with the default `token_secret`."""
MAX_FILE_BYTES = 10_000_000
ENDPOINTS = {"passport": "/scan-mrz", "receipt": "/ocr"}


def remote_settings(base: str, policy: str = "auto", **endpoint: Any) -> RemoteSettings:
    """Settings for one server serving both kinds under `base` (`base/ocr`, `base/scan-mrz`), one provider each."""
    return RemoteSettings(
        policy=policy,
        receipt=[RemoteEndpoint(url=base + ENDPOINTS["receipt"], **endpoint)],
        mrz=[RemoteEndpoint(url=base + ENDPOINTS["passport"], **endpoint)],
    )


def passport_answer(data: PassportData = PassportData()) -> dict[str, Any]:
    """The contract's `/scan-mrz` success answer for this passport."""
    line1, line2 = data.mrz()
    return {
        "success": True,
        "passportNumber": data.number,
        "surname": data.surname,
        "givenName": data.given_names,
        "nationality": data.nationality,
        "dateOfBirth": "19" + f"{data.birth_date[:2]}-{data.birth_date[2:4]}-{data.birth_date[4:]}",
        "sex": data.sex,
        "dateOfExpiry": "20" + f"{data.expiry_date[:2]}-{data.expiry_date[2:4]}-{data.expiry_date[4:]}",
        "issuingCountry": data.issuing_state,
        "personalNumber": data.personal_number,
        "confidence": 0.98,
        "validCheckDigits": True,
        "mrzText": f"{line1}\n{line2}",
        "processingTime": 0.52,
    }


RECEIPT_ANSWER = {
    "vendor": "Starbucks",
    "amount": 12.50,
    "date": "2025-10-20",
    "tax": 1.12,
    "confidence": 0.92,
    "fields": {},
}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    authorized: bool
    behaviour: str
    file_name: str | None = None
    content_type: str | None = None
    size: int = 0
    sha256: str | None = None
    at: float = 0.0


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, str | None, bytes]]:
    """name -> (filename, content type, bytes) of a multipart/form-data body; ValueError when malformed."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/form-data") or not match:
        raise ValueError("not multipart/form-data")
    delimiter = b"--" + match.group(1).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise ValueError("multipart body without its closing boundary")
    parts: dict[str, tuple[str | None, str | None, bytes]] = {}
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise ValueError("multipart part not framed by CRLF")
        head, sep, data = chunk[2:-2].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without headers")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if not disposition.startswith("form-data") or not name:
            raise ValueError("multipart part without a form-data name")
        parts[name.group(1)] = (filename.group(1) if filename else None, headers.get("content-type"), data)
    return parts


class OcrTestServer:
    """The service on 127.0.0.1 (random port), optionally over TLS. Use as a context manager."""

    def __init__(
        self,
        token: str = TOKEN,
        *,
        tls: ssl.SSLContext | None = None,
        health_shape: str = "ok",
        kinds: tuple[str, ...] = ("passport", "receipt"),
        prefix: str = "",
        auth_after_body: bool = False,
    ) -> None:
        self.token = token
        self.tls = tls
        self.health_shape = health_shape
        self.paths = {prefix + ENDPOINTS[kind]: kind for kind in kinds}
        """Path -> the document kind served there."""
        self.health_path = prefix + "/health"
        self.auth_after_body = auth_after_body
        self.default: Any = "normal"
        self.passport_answer = passport_answer()
        self.receipt_answer = dict(RECEIPT_ANSWER)
        self.seen: list[Seen] = []
        self._queue: deque[Any] = deque()
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def receipt(cls, prefix: str = "", **kwargs: Any) -> "OcrTestServer":
        """A receipt OCR service alone, at `prefix/ocr`."""
        return cls(kinds=("receipt",), prefix=prefix, **kwargs)

    @classmethod
    def mrz(cls, prefix: str = "", **kwargs: Any) -> "OcrTestServer":
        """An MRZ OCR service alone, at `prefix/scan-mrz`."""
        return cls(kinds=("passport",), prefix=prefix, **kwargs)

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"

    def endpoint(self, kind: str) -> str:
        """The full URL of the endpoint for `passport` or `receipt`."""
        [path] = [path for path, served in self.paths.items() if served == kind]
        return self.url + path

    def script(self, *behaviours: Any) -> None:
        """The next requests get these behaviours, in order; then `default`."""
        with self._lock:
            self._queue.extend(behaviours)

    def next_behaviour(self) -> Any:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def posts(self) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.method == "POST"]

    def start(self) -> "OcrTestServer":
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if self.tls is not None:
            self._httpd.socket = self.tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> "OcrTestServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    owner: OcrTestServer
    protocol_version = "HTTP/1.1"
    server_version = "uvicorn"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), headers=headers)

    def do_GET(self) -> None:
        if self.path != self.owner.health_path:
            self._json(404, {"detail": "Not Found"})
            return
        behaviour = self.owner.next_behaviour()
        self.owner.record(Seen("GET", self.path, True, _name(behaviour), at=time.monotonic()))
        if self._misbehave(behaviour):
            return
        if self.owner.health_shape == "healthy":
            self._json(200, {"status": "healthy", "service": "passport-ocr", "version": "1.0.0"})
        elif self.owner.health_shape == "down":
            self._json(503, {"status": "unhealthy", "service": "passport-ocr", "version": "1.0.0"})
        else:
            self._json(200, {"status": "ok", "ocr_impl": "paddleocr-vl", "version": "1.0.0"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        kind = self.owner.paths.get(self.path)
        if kind is None:
            self._json(404, {"detail": "Not Found"})
            return
        authorized = self.headers.get("Authorization") == f"Bearer {self.owner.token}"
        try:
            parts = parse_multipart(self.headers.get("Content-Type", ""), body)
        except ValueError as exc:
            parts, problem = {}, str(exc)
        else:
            problem = "" if "file" in parts else "field required: file"
        filename, content_type, data = parts.get("file", (None, None, b""))
        behaviour = self.owner.next_behaviour() if authorized and not problem else "refused"
        self.owner.record(
            Seen(
                "POST",
                self.path,
                authorized,
                _name(behaviour),
                filename,
                content_type,
                len(data),
                hashlib.sha256(data).hexdigest() if data else None,
                time.monotonic(),
            )
        )
        for check in ("form", "token") if self.owner.auth_after_body else ("token", "form"):
            if check == "token" and not authorized:
                self._json(401, {"detail": "Invalid authentication credentials"})
                return
            if check == "form" and problem:
                self._json(422, {"detail": [{"loc": ["body", "file"], "msg": problem, "type": "value_error"}]})
                return
        if len(data) > MAX_FILE_BYTES:
            self._json(413, {"success": False, "error": "File too large (max 10MB)", "confidence": 0.0})
            return
        if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
            self._json(400, {"success": False, "error": "Invalid image file", "confidence": 0.0})
            return
        if self._misbehave(behaviour):
            return
        if behaviour == "no_mrz":
            if kind == "passport":
                self._json(422, {"success": False, "error": "No MRZ detected in image", "confidence": 0.45})
            else:
                self._json(422, {"success": False, "error": "No text detected in image", "confidence": 0.1})
            return
        if isinstance(behaviour, tuple) and behaviour[0] == "json":
            self._json(200, behaviour[1])
            return
        self._json(200, self.owner.passport_answer if kind == "passport" else self.owner.receipt_answer)

    def _misbehave(self, behaviour: Any) -> bool:
        """Apply a failure behaviour; True when the request is answered (or abandoned) by it."""
        name, arg = (behaviour, None) if isinstance(behaviour, str) else behaviour
        if name in ("slow", "hang"):
            if self.owner.stopping.wait(arg):
                self.close_connection = True
                return True
            return False
        if name == "rate_limit":
            headers = {} if arg is None else {"Retry-After": str(arg)}
            self._json(429, {"success": False, "error": "Rate limit exceeded. Please try again later.", "confidence": 0.0}, headers)
            return True
        if name == "error":
            self._json(arg or 500, {"detail": "Internal Server Error"})
            return True
        if name == "truncated":
            self.close_connection = True
            self._send(200, b'{"success": true, "passportNumber": "L8989', length=2048)
            return True
        if name == "drip":  # headers at once, then one byte every `arg` seconds (under any read timeout)
            body = json.dumps(self.owner.passport_answer).encode("utf-8")
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            for i in range(len(body)):
                if self.owner.stopping.wait(arg):
                    return True
                try:
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                except OSError:
                    return True
            return True
        if name == "drop":
            self.close_connection = True
            return True
        if name == "not_json":
            self._send(200, b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", "text/html")
            return True
        return False


def _name(behaviour: Any) -> str:
    return behaviour if isinstance(behaviour, str) else str(behaviour[0])


def make_tls(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A private CA and a server certificate for 127.0.0.1: (the CA bundle path, the server's SSL context)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kiosk Test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path = directory / "server.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path = directory / "server.key"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return ca_path, context
