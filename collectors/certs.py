"""TLS certificates of probed endpoints: when they expire and whether they verify.

An expired or mistrusted certificate is the commonest self-inflicted outage of an API link, and
it announces itself weeks ahead. One handshake per host and port, verified the way the probe's
own requests are (the system trust store, or the source's `ca_file`); when verification fails, a
second handshake without it still reads the expiry, so an expired certificate reports how long
ago it expired.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

log = logging.getLogger(__name__)

__all__ = ["CertCheck", "check_certificates", "tls_endpoint"]


@dataclass(frozen=True)
class CertCheck:
    """What one handshake showed: the certificate's end of validity and whether it verified.

    `valid` is None when verification was turned off (`verify_tls = false`): nothing to judge.
    `not_after` is None when no certificate could be read at all (no answer, not TLS).
    """

    host: str
    port: int
    not_after: datetime | None
    valid: bool | None
    problem: str | None = None

    def days_left(self, now: datetime) -> float | None:
        """Days from `now` until the certificate expires; negative once it has."""
        if self.not_after is None:
            return None
        return (self.not_after - now).total_seconds() / 86400


def tls_endpoint(url: str) -> tuple[str, int] | None:
    """(host, port) of an https URL, or None for any other scheme."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    return parts.hostname, parts.port or 443


def check_certificates(
    endpoints: Sequence[tuple[str, int]],
    *,
    timeout: float,
    verify: bool = True,
    ca_file: Path | None = None,
    concurrency: int = 8,
) -> dict[tuple[str, int], CertCheck]:
    """One check per distinct endpoint, concurrently; never raises."""
    unique = list(dict.fromkeys(endpoints))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(unique)))) as pool:
        checks = pool.map(lambda ep: check_certificate(*ep, timeout, verify, ca_file), unique)
        return dict(zip(unique, checks, strict=True))


def check_certificate(
    host: str, port: int, timeout: float, verify: bool = True, ca_file: Path | None = None
) -> CertCheck:
    """Handshake with host:port and read its certificate (see the module docstring)."""
    problem: str | None = None
    if verify:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        try:
            der = _peer_certificate(host, port, timeout, context)
            return CertCheck(host, port, _not_after(der), True)
        except ssl.SSLCertVerificationError as exc:
            problem = exc.verify_message or str(exc)
        except (OSError, ssl.SSLError, ValueError) as exc:
            return CertCheck(host, port, None, None, _reason(exc))
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    try:
        der = _peer_certificate(host, port, timeout, unverified)
        not_after = _not_after(der)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return CertCheck(host, port, None, False if verify else None, problem or _reason(exc))
    if problem:
        log.warning("TLS certificate of %s:%d does not verify: %s", host, port, problem)
    return CertCheck(host, port, not_after, False if verify else None, problem)


def _peer_certificate(host: str, port: int, timeout: float, context: ssl.SSLContext) -> bytes:
    with (
        socket.create_connection((host, port), timeout=timeout) as sock,
        context.wrap_socket(sock, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if not der:
        raise ValueError("the server sent no certificate")
    return der


def _not_after(der: bytes) -> datetime:
    return x509.load_der_x509_certificate(der).not_valid_after_utc.astimezone(UTC)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
