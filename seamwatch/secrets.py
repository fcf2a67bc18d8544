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
from urllib.parse import quote, urlsplit

__all__ = [
    "MASK",
    "RedactingFilter",
    "install_root_redaction",
    "redact",
    "register_config_secrets",
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
    """Remember a secret value (and its URL-encoded form) so redact() masks it everywhere.

    For a secret URL (a chat webhook), its path and its longest path segment too: a receiver
    that echoes "/services/T0/B0/XXXX" in its error body must not leak the token either.
    """
    if not value or len(value) < _MIN_LENGTH:
        return
    pieces = {value, quote(value, safe="")}
    parts = urlsplit(value) if "://" in value else None
    if parts is not None and parts.path not in ("", "/"):
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        pieces.update({tail, parts.path})
        longest = max(parts.path.split("/"), key=len)
        if len(longest) >= 12:
            pieces.add(longest)
    if parts is not None and parts.password:
        pieces.add(parts.password)
    with _lock:
        _secrets.update(p for p in pieces if len(p) >= _MIN_LENGTH)


# Keys whose values are secrets wherever they sit in config.toml (values often from ${VAR}).
_SECRET_KEY = re.compile(
    r"(^|_)(token|secret|password|passwd|api_?key|key|authorization|credentials?|webhook|"
    r"signing_key|hmac)$",
    re.IGNORECASE,
)


def register_config_secrets(data: object, key: str = "") -> None:
    """Register every secret value of a parsed config: values of secret-named keys, every
    header value, every chat channel's URL, and credentials inside any URL (user:password@ or
    a token-like query parameter)."""
    if isinstance(data, dict):
        for name, value in data.items():
            register_config_secrets(value, f"{key}.{name}" if key else str(name))
        return
    if isinstance(data, list):
        for item in data:
            register_config_secrets(item, key)
        return
    if not isinstance(data, str):
        return
    last = key.rsplit(".", 1)[-1]
    channel_url = key.startswith("alerts.channels.") and last == "url"
    if _SECRET_KEY.search(last) or ".headers." in f".{key}" or channel_url:
        register_secret(data)
        return
    if "://" in data:
        parts = urlsplit(data)
        if parts.password:
            register_secret(parts.password)
        for match in _QUERY_SECRET.finditer(data):
            register_secret(data[match.end("key") : match.end()])


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
    """A logging filter that redacts the rendered message and traceback of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # formatted once here, redacted; handlers print exc_text as it is
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_root_redaction() -> None:
    """Redact every record at the root logger's handlers, once each: records of every logger,
    children included (`httpcore.http11`, `alerts.engine`), pass through them, which a filter
    on a named logger would not see. Idempotent; code about to log secrets calls it too."""
    with _lock:
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
