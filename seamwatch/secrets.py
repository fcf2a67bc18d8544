"""Secrets stay secret: a registry of secret values and `redact()` for every text a user sees.

Webhook URLs, tokens and HMAC keys come from the environment (`${VAR}` in config) and live in
pydantic `SecretStr`s. Whatever turns them back into plain strings (to send a request) registers
them here, so an error message, a log line or a stored `last_error` that happens to quote them
(httpx puts the URL in its exceptions) is masked before anyone sees it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote

__all__ = [
    "MASK",
    "RedactingFilter",
    "install_log_redaction",
    "redact",
    "register_secret",
    "reveal",
]

MASK = "***"
_MIN_LENGTH = 6  # shorter values would mask ordinary words; no real secret is that short

_lock = threading.Lock()
_secrets: set[str] = set()

# Credentials that are secret whatever their value: URL user:password@ and token-like query values.
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s:]+:[^/@\s]+@", re.IGNORECASE)
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&](?:token|key|secret|sig|signature|access_token|api_key|apikey|password)=)[^&\s'\"]+",
    re.IGNORECASE,
)


def register_secret(value: str | None) -> None:
    """Remember a secret value (and its URL-encoded form) so redact() masks it everywhere."""
    if not value or len(value) < _MIN_LENGTH:
        return
    with _lock:
        _secrets.add(value)
        encoded = quote(value, safe="")
        if encoded != value:
            _secrets.add(encoded)


def reveal(secret: object) -> str:
    """The plain value of a SecretStr (or str), registered for redaction first."""
    value = secret.get_secret_value() if hasattr(secret, "get_secret_value") else str(secret)
    register_secret(value)
    return value


def redact(text: object, extra: Iterable[str] = ()) -> str:
    """`text` with every registered (or `extra`) secret and URL credential replaced by ***."""
    result = str(text)
    with _lock:
        values = sorted(
            {*_secrets, *(e for e in extra if e and len(e) >= _MIN_LENGTH)}, key=len, reverse=True
        )
    for value in values:
        if value in result:
            result = result.replace(value, MASK)
    result = _USERINFO.sub(lambda m: m.group("scheme") + MASK + "@", result)
    return _QUERY_SECRET.sub(lambda m: m.group("key") + MASK, result)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the rendered message of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_installed: set[str] = set()


def install_log_redaction(*logger_names: str) -> None:
    """Redact records logged on these loggers (e.g. httpx, which logs request URLs at INFO)."""
    with _lock:
        for name in logger_names:
            if name in _installed:
                continue
            logging.getLogger(name).addFilter(RedactingFilter())
            _installed.add(name)
