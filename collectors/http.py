"""Shared HTTP mechanics of the source kinds: auth, TLS, bounded concurrency, timeouts, wording.

Every HTTP source subclasses `HttpOptions` for its config and fetches through `fetch_all`, so a
slow endpoint costs at most its timeout and never blocks the others, and every failure reads
the same way ("timed out after 2s: GET http://...") whichever kind hit it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests
import urllib3
from pydantic import (
    ByteSize,
    Field,
    SecretStr,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from collectors.base import FailureKind, Problem
from seamwatch.config.base import StrictModel

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MAX_RESPONSE",
    "Fetched",
    "HttpOptions",
    "Request",
    "ResponseTooLarge",
    "capped_response_hook",
    "classify",
    "describe_error",
    "fetch_all",
]

BODY_SNIPPET = 120
# A source's answer larger than this is refused: a runaway endpoint must not take the daemon's
# memory (a 1 GiB answer took it from 0.5 to 3.2 GiB). Raise it per source if needed.
DEFAULT_MAX_RESPONSE = 32 * 1024 * 1024
_CHUNK = 64 * 1024


class ResponseTooLarge(Exception):
    """An answer exceeded the source's max_response_size."""

    def __init__(self, limit: int, where: str) -> None:
        super().__init__(f"answer larger than max_response_size ({_size(limit)}): {where}")


def _size(n: int) -> str:
    for unit, step in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= step:
            return f"{n / step:g} {unit}"
    return f"{n} B"


class HttpOptions(StrictModel):
    """Keys every HTTP source shares: headers and auth (use ${VAR} for secrets), TLS, concurrency."""

    headers: dict[str, SecretStr] = Field(default_factory=dict)
    bearer_token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    verify_tls: StrictBool = True
    ca_file: Path | None = None
    concurrency: int = Field(default=8, ge=1, le=256)
    max_response_size: ByteSize = Field(
        default=ByteSize(DEFAULT_MAX_RESPONSE),
        ge=1024,
        le=1 << 31,
        description='largest answer accepted, e.g. "64MiB"; larger ones are a failure',
    )

    @field_validator("ca_file")
    @classmethod
    def _readable_ca_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        """A missing CA bundle is a config error at `check`, not a failure at the first fetch.

        A relative path is resolved against the config's directory (passed as the validation
        context `base_dir`), like every other path in the config.
        """
        if value is None:
            return None
        value = value.expanduser()
        base = (info.context or {}).get("base_dir")
        if not value.is_absolute() and base is not None:
            value = Path(base) / value
        if not value.exists():
            raise ValueError(f"the CA bundle {value} does not exist")
        if not value.is_file():
            raise ValueError(f"the CA bundle {value} is not a file")
        if not os.access(value, os.R_OK):
            raise ValueError(f"the CA bundle {value} is not readable")
        return value

    @model_validator(mode="after")
    def _one_auth(self) -> HttpOptions:
        if self.bearer_token is not None and self.username is not None:
            raise ValueError("set either bearer_token or username/password, not both")
        if self.password is not None and self.username is None:
            raise ValueError("password is set but username is not")
        return self

    def request_headers(self) -> dict[str, str]:
        """Headers to send, secrets revealed only here, at the wire."""
        headers = {k: v.get_secret_value() for k, v in self.headers.items()}
        if self.bearer_token is not None:
            headers["Authorization"] = f"Bearer {self.bearer_token.get_secret_value()}"
        return headers

    def basic_auth(self) -> tuple[str, str] | None:
        """(username, password) for HTTP basic auth, if configured."""
        if self.username is None:
            return None
        password = self.password.get_secret_value() if self.password is not None else ""
        return self.username, password

    def verify(self) -> bool | str:
        """TLS verification: on by default, a CA bundle if given, off only when asked."""
        if not self.verify_tls:
            return False
        return str(self.ca_file) if self.ca_file is not None else True


@dataclass(frozen=True)
class Request:
    """One request to make; `key` lets the caller find its answer (an integration id, a URL)."""

    url: str
    key: str = ""
    method: str = "GET"
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fetched:
    """What one request gave: a response (any status) or an error sentence and its kind, and
    how long it took."""

    request: Request
    status: int | None
    body: bytes
    elapsed_ms: float
    error: str | None = None
    kind: FailureKind | None = None  # set with `error`: what kind of failure it was

    @property
    def where(self) -> str:
        """The request as a user reads it in a message."""
        return f"{self.request.method} {self.request.url}"

    def ok_body(self) -> tuple[bytes | None, Problem | None]:
        """The body of a 2xx answer, or the Problem saying why there is none."""
        if self.error:
            return None, Problem(self.kind or FailureKind.OTHER, self.error)
        assert self.status is not None
        if not 200 <= self.status < 300:
            return None, Problem(
                FailureKind.HTTP,
                f"HTTP {self.status}{_reason(self.status)} from {self.where}{_snippet(self.body)}",
            )
        return self.body, None

    def json(self) -> tuple[Any, Problem | None]:
        """The parsed JSON document of a 2xx answer, or the Problem saying why there is none."""
        body, problem = self.ok_body()
        if problem:
            return None, problem
        try:
            return json.loads(body or b""), None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            message = f"invalid JSON from {self.where}: {exc}{_snippet(body or b'')}"
            return None, Problem(FailureKind.ANSWER, message)


def fetch_all(requests: Sequence[Request], options: HttpOptions, timeout: float) -> list[Fetched]:
    """Make every request concurrently (at most options.concurrency at once), each bounded by
    timeout; the answers come back in the order of the requests and never raise."""
    if not requests:
        return []
    return asyncio.run(_fetch_all(list(requests), options, timeout))


async def _fetch_all(
    requests: list[Request], options: HttpOptions, timeout: float
) -> list[Fetched]:
    limit = asyncio.Semaphore(options.concurrency)
    limits = httpx.Limits(
        max_connections=options.concurrency, max_keepalive_connections=options.concurrency
    )
    try:
        client = httpx.AsyncClient(
            headers=options.request_headers(),
            auth=options.basic_auth(),
            verify=options.verify(),
            timeout=httpx.Timeout(timeout),
            limits=limits,
            follow_redirects=False,
        )
    except (OSError, ssl.SSLError) as exc:
        # The CA bundle went missing or bad after `check`: every request fails, saying which file.
        reason = getattr(exc, "strerror", None) or _first_line(str(exc))
        message = f"cannot load ca_file {options.ca_file}: {reason}"
        return [Fetched(r, None, b"", 0.0, message, FailureKind.TLS) for r in requests]
    async with client:
        cap = int(options.max_response_size)

        async def one(request: Request) -> Fetched:
            async with limit:
                return await _fetch_one(client, request, timeout, cap)

        return list(await asyncio.gather(*(one(r) for r in requests)))


async def _fetch_one(
    client: httpx.AsyncClient, request: Request, timeout: float, cap: int = DEFAULT_MAX_RESPONSE
) -> Fetched:
    clock = time.perf_counter()
    where = f"{request.method} {request.url}"

    async def exchange() -> tuple[int, bytes]:
        async with client.stream(
            request.method, request.url, params=request.params or None
        ) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise ResponseTooLarge(cap, where)
            body = bytearray()
            async for chunk in response.aiter_bytes(_CHUNK):  # decoded: a gzip bomb counts too
                body += chunk
                if len(body) > cap:
                    raise ResponseTooLarge(cap, where)
            return response.status_code, bytes(body)

    try:
        # The whole exchange, body included, not just each socket operation, is bounded by the
        # timeout: a body trickling in byte by byte costs at most that.
        status, body = await asyncio.wait_for(exchange(), timeout=timeout)
    except Exception as exc:  # every failure (a TimeoutError too) is an answer, never a raise
        elapsed = (time.perf_counter() - clock) * 1000
        message = describe_error(exc, request.url, timeout=timeout, method=request.method)
        return Fetched(request, None, b"", elapsed, message, classify(exc))
    elapsed = (time.perf_counter() - clock) * 1000
    return Fetched(request, status, body, elapsed)


def capped_response_hook(cap: int, timeout: float) -> Any:
    """A `requests` response hook (for clients built on requests, such as the Prometheus one)
    that reads the body itself, refusing more than `cap` bytes or longer than `timeout` seconds
    in all; it runs before requests would read the body into memory unbounded."""

    def hook(response: Any, *_args: Any, **_kwargs: Any) -> Any:
        where = f"{response.request.method} {response.request.url}"
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            response.close()
            raise ResponseTooLarge(cap, where)
        deadline = time.monotonic() + timeout
        body = bytearray()
        while chunk := response.raw.read1(_CHUNK, decode_content=True):  # what has arrived
            body += chunk
            if len(body) > cap:
                response.close()
                raise ResponseTooLarge(cap, where)
            if time.monotonic() > deadline:
                response.close()
                raise TimeoutError(f"timed out after {timeout:g}s reading the answer: {where}")
        response._content = bytes(body)
        response._content_consumed = True
        return response

    return hook


def classify(exc: BaseException) -> FailureKind:
    """The kind of a failed request (httpx, requests, urllib3 or the socket layer), from the
    types of the exception and of its causes; the most specific kind anywhere in the chain wins."""
    links = _chain(exc)
    for kind, types in _KINDS:
        if any(isinstance(link, types) for link in links):
            return kind
    return FailureKind.OTHER


# In order of precedence: a TLS handshake that timed out is a timeout, a refused connection
# wrapped in a library's ConnectError is refused.
_KINDS: tuple[tuple[FailureKind, tuple[type[BaseException], ...]], ...] = (
    (FailureKind.TOO_LARGE, (ResponseTooLarge,)),
    (
        FailureKind.TIMEOUT,
        # not urllib3's TimeoutError: its NewConnectionError (a refusal too) derives from it
        (
            TimeoutError,
            httpx.TimeoutException,
            requests.Timeout,
            urllib3.exceptions.ReadTimeoutError,
        ),
    ),
    (FailureKind.DNS, (socket.gaierror, urllib3.exceptions.NameResolutionError)),
    (FailureKind.REFUSED, (ConnectionRefusedError,)),
    (FailureKind.TLS, (ssl.SSLError, ssl.CertificateError, urllib3.exceptions.SSLError)),
    (
        FailureKind.CONNECT,
        (
            ConnectionError,
            httpx.ConnectError,
            requests.ConnectionError,
            urllib3.exceptions.NewConnectionError,
            urllib3.exceptions.ProtocolError,
        ),
    ),
)


def describe_error(
    exc: BaseException, url: str, *, timeout: float | None = None, method: str = "GET"
) -> str:
    """One sentence for a failed request (httpx or requests): timeout, DNS, refused, TLS, ...;
    which one is decided by `classify`, from types, and the sentence only words it."""
    where = f"{method} {url}"
    links = _chain(exc)
    kind = classify(exc)
    if kind is FailureKind.TOO_LARGE:
        return str(next(link for link in links if isinstance(link, ResponseTooLarge)))
    if kind is FailureKind.TIMEOUT:
        after = f" after {timeout:g}s" if timeout else ""
        return f"timed out{after}: {where}"
    if kind is FailureKind.DNS:
        return f"DNS lookup failed for {urlsplit(url).hostname or url}: {where}"
    if kind is FailureKind.REFUSED:
        return f"connection refused (nothing listening): {where}"
    text = " ".join(str(link) for link in links)
    if kind is FailureKind.TLS:
        return f"TLS error: {where}: {_first_line(text)}"
    if kind is FailureKind.CONNECT:
        return f"cannot connect: {where}: {_first_line(text)}"
    return f"request failed: {where}: {type(exc).__name__}: {_first_line(text)}"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes: __cause__, __context__ and urllib3's `reason`."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        reason = getattr(current, "reason", None)
        current = (
            current.__cause__
            or current.__context__
            or (reason if isinstance(reason, BaseException) else None)
        )
    return seen


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no detail"
    return line[:200]


def _reason(status: int) -> str:
    try:
        from http import HTTPStatus

        return f" {HTTPStatus(status).phrase}"
    except ValueError:
        return ""


def _snippet(body: bytes) -> str:
    text = body[:BODY_SNIPPET].decode("utf-8", "replace").strip().replace("\n", " ")
    if not text:
        return ""
    more = "..." if len(body) > BODY_SNIPPET else ""
    return f" ({text}{more})"
