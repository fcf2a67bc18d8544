"""Heartbeats: batch jobs report in over HTTP, the way Healthchecks made familiar.

Seamwatch otherwise only pulls; a nightly export cannot say "I started", "I finished" or "I
failed with exit status 3". `seamwatch run` serves, when `[heartbeats] enabled = true`, on its
own address and port:

    POST /ping/<integration>          the run succeeded
    POST /ping/<integration>/start    a run started
    POST /ping/<integration>/fail     the run failed
    POST /ping/<integration>/<0-255>  the run ended with this exit status (0 success, else fail)

GET works too (for `curl -fsS` one-liners without a body). The body (the job's log tail) is
optional; its last `max_body` bytes are kept, a larger body is truncated, not refused. `?rid=`
pairs a start with its end when runs overlap. Every ping needs the integration's token from
`[heartbeats.tokens]`, or the global `token` (both from the environment), in an
`Authorization: Bearer` header, an `X-Seamwatch-Token` header or `?token=`.

Every answer is one line of text: `OK`, or what is wrong (400 bad path or status, 401 no
token, 403 wrong token, 404 integration not in the inventory, 503 not stored). A ping that is
answered OK is stored, or spooled durably while the store is locked.
"""

from __future__ import annotations

import hmac
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, SecretStr, model_validator

from seamwatch.config import Settings, validate_section
from seamwatch.config.base import StrictModel
from seamwatch.config.sections import Slug
from seamwatch.secrets import reveal
from seamwatch.store import Ping, Store
from seamwatch.timeutil import utcnow

log = logging.getLogger(__name__)

__all__ = ["HeartbeatServer", "HeartbeatSettings", "heartbeat_settings", "parse_ping_path"]

CHUNK = 64 * 1024
KINDS = {"": "success", "start": "start", "fail": "fail", "success": "success"}


class HeartbeatSettings(StrictModel):
    """The `[heartbeats]` section: where the ping endpoint listens and who may ping."""

    enabled: bool = False
    address: str = "127.0.0.1"
    port: int = Field(default=8788, ge=0, le=65535)
    token: SecretStr | None = None
    tokens: dict[Slug, SecretStr] = Field(default_factory=dict)
    max_body: int = Field(default=10_000, ge=0, le=1_000_000, description="bytes of log tail kept")

    @model_validator(mode="after")
    def _someone_may_ping(self) -> HeartbeatSettings:
        if self.enabled and self.token is None and not self.tokens:
            raise ValueError(
                'the endpoint needs a `token` (e.g. "${SEAMWATCH_PING_TOKEN}") or per-integration '
                "`tokens`: an open ping endpoint would let anyone report runs"
            )
        for name, secret in [("token", self.token), *self.tokens.items()]:
            if secret is not None and not secret.get_secret_value().strip():
                raise ValueError(f"the token for {name!r} is empty (is its variable set?)")
        return self

    def token_for(self, integration: str) -> str | None:
        """The token an integration's pings must carry: its own, else the global one."""
        secret = self.tokens.get(integration, self.token)
        return reveal(secret) if secret is not None else None

    @property
    def url(self) -> str:
        """The endpoint's base URL, for `seamwatch ping` and messages."""
        return f"http://{self.address}:{self.port}"


def heartbeat_settings(settings: Settings) -> HeartbeatSettings:
    """Validate `[heartbeats]`; errors name the file, key and line."""
    return validate_section(HeartbeatSettings, settings, "heartbeats")


def parse_ping_path(path: str) -> tuple[str, str, int | None]:
    """(integration, kind, exit status) of a ping path, or ValueError saying what is wrong."""
    parts = [p for p in path.split("/") if p]
    if len(parts) not in (2, 3) or parts[0] != "ping":
        raise ValueError(
            f"{path!r} is not a ping path (POST /ping/<integration>[/start|/fail|/<exit status>])"
        )
    integration = parts[1]
    suffix = parts[2] if len(parts) == 3 else ""
    if suffix in KINDS:
        return integration, KINDS[suffix], None
    if suffix.isdigit() and int(suffix) <= 255:
        status = int(suffix)
        return integration, "success" if status == 0 else "fail", status
    raise ValueError(f"{suffix!r} is neither start, fail nor an exit status (0-255) in {path!r}")


class HeartbeatServer:
    """The ping endpoint in a thread of `seamwatch run`; `close()` stops it."""

    def __init__(
        self,
        settings: HeartbeatSettings,
        store: Store,
        known: Callable[[str], bool],
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.known = known
        self.now = now
        handler = type("Handler", (_Handler,), {"endpoint": self})
        self.httpd = ThreadingHTTPServer((settings.address, settings.port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="heartbeats", daemon=True
        )

    @property
    def port(self) -> int:
        """The port actually bound (the configured one, or a free one for port 0)."""
        return int(self.httpd.server_address[1])

    def start(self) -> HeartbeatServer:
        """Serve in the background."""
        self.thread.start()
        log.info("heartbeats: listening on http://%s:%d/ping/", self.settings.address, self.port)
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def receive(
        self,
        path: str,
        query: dict[str, list[str]],
        headers: Any,
        body: bytes,
        size: int,
        remote: str,
    ) -> tuple[int, str]:
        """Judge one ping and store it: (HTTP status, one line for the sender)."""
        try:
            integration, kind, status = parse_ping_path(path)
        except ValueError as exc:
            return HTTPStatus.BAD_REQUEST, str(exc)
        given = _token(headers, query)
        if not self.known(integration):
            return (
                HTTPStatus.NOT_FOUND,
                f"unknown integration {integration!r}: not in the inventory",
            )
        expected = self.settings.token_for(integration)
        if expected is None:
            return HTTPStatus.FORBIDDEN, f"no token is configured for {integration!r}"
        if given is None:
            return HTTPStatus.UNAUTHORIZED, (
                "no token: send it as `Authorization: Bearer <token>`, `X-Seamwatch-Token` or ?token="
            )
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return HTTPStatus.FORBIDDEN, f"wrong token for {integration!r}"
        rid = (query.get("rid") or [None])[0]
        ping = Ping(
            ping_id=uuid.uuid4().hex,
            received_at=self.now(),
            integration_id=integration,
            kind=kind,
            exit_status=status,
            rid=rid[:100] if rid else None,
            body=body.decode("utf-8", errors="replace") if size else None,
            body_bytes=size,
            remote=remote,
        )
        try:
            self.store.record_ping(ping)
        except Exception as exc:  # the sender should retry: nothing was kept
            log.exception("heartbeats: could not store a ping of %s", integration)
            return HTTPStatus.SERVICE_UNAVAILABLE, f"not stored, try again: {type(exc).__name__}"
        note = (
            f" (body truncated to its last {len(body)} of {size} bytes)" if size > len(body) else ""
        )
        log.info("heartbeats: %s %s%s", integration, kind, f" exit {status}" if status else "")
        return HTTPStatus.OK, "OK" + note


def _token(headers: Any, query: dict[str, list[str]]) -> str | None:
    auth = headers.get("Authorization") or ""
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return headers.get("X-Seamwatch-Token") or (query.get("token") or [None])[0]


class _Handler(BaseHTTPRequestHandler):
    endpoint: HeartbeatServer
    server_version = "seamwatch-heartbeats"

    def _handle(self) -> None:
        url = urlsplit(self.path)
        body, size = self._read_tail(self.endpoint.settings.max_body)
        code, text = self.endpoint.receive(
            url.path, parse_qs(url.query), self.headers, body, size, self.client_address[0]
        )
        payload = (text + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_HEAD = _handle

    def _read_tail(self, keep: int) -> tuple[bytes, int]:
        """The last `keep` bytes of the body and its whole size, reading it in chunks."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        tail, size = b"", 0
        while size < length:
            chunk = self.rfile.read(min(CHUNK, length - size))
            if not chunk:
                break
            size += len(chunk)
            tail = (tail + chunk)[-keep:] if keep else b""
        return tail, size

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("heartbeats: %s " + format, self.client_address[0], *args)
