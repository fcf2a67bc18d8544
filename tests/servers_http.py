"""A threaded HTTP server on 127.0.0.1 for the HTTP sources (slow handlers do not block others)."""

from __future__ import annotations

import atexit
import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

_SERVER: list[HTTPServer] = []


def _server() -> HTTPServer:
    """One threaded server for the whole session, started on first use, stopped at exit."""
    if not _SERVER:
        server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        server.start()
        atexit.register(lambda: server.is_running() and server.stop())
        _SERVER.append(server)
    return _SERVER[0]


@pytest.fixture
def web() -> Iterator[HTTPServer]:
    """The loopback test server, cleared of handlers before and after each test."""
    server = _server()
    server.clear()
    yield server
    server.clear()


def slow(seconds: float, body: str = "{}", status: int = 200):
    """A handler that answers after `seconds` (for timeout tests)."""

    def handler(_request: Request) -> Response:
        time.sleep(seconds)
        return Response(body, status=status, content_type="application/json")

    return handler
