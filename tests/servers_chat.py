"""Local stand-ins for the chat services on 127.0.0.1, checking payloads against their docs.

A `ChatReceiver` accepts POSTs on any path; the first path segment names the service whose
documented format the body is checked against (slack, teams, discord, google_chat, mattermost,
webhook, raw). A body that breaks the format is answered with 400 (as the real services do) and
its problems are kept in `errors`. Scripted behaviours make a path answer 500, 429 with
Retry-After, time out, close the connection, or kill a process, once or always.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes
    body: Any
    errors: list[str]
    at: float

    @property
    def service(self) -> str:
        return self.path.strip("/").split("/")[0]

    def text(self) -> str:
        """Every string in the body joined, to assert on what a user reads."""
        out: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(self.body)
        return "\n".join(out)


@dataclass
class Behaviour:
    """What a path does for its next request(s): status/headers/body, or an action."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = "ok"
    action: str | None = None  # timeout | close | kill
    seconds: float = 0.0
    pid: int | None = None


def _check_len(errors: list[str], where: str, value: Any, limit: int) -> None:
    if not isinstance(value, str):
        errors.append(f"{where}: not a string")
    elif len(value) > limit:
        errors.append(f"{where}: {len(value)} chars, limit {limit}")


def validate_slack(body: Any, query: dict) -> list[str]:
    """Slack incoming webhook with Block Kit (REFERENCE.md)."""
    errors: list[str] = []
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return ["slack: body needs a text fallback"]
    blocks = body.get("blocks", [])
    if len(blocks) > 50:
        errors.append(f"slack: {len(blocks)} blocks, limit 50")
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "header":
            if block["text"].get("type") != "plain_text":
                errors.append(f"blocks[{i}]: header text must be plain_text")
            _check_len(errors, f"blocks[{i}].text", block["text"].get("text"), 150)
        elif kind == "section":
            if "text" in block:
                if block["text"].get("type") not in ("mrkdwn", "plain_text"):
                    errors.append(f"blocks[{i}]: bad text type")
                _check_len(errors, f"blocks[{i}].text", block["text"].get("text"), 3000)
                raw = re.sub(r"<[^<>|]+\|[^<>]*>", "", block["text"].get("text", ""))
                if "<" in raw or ">" in raw or re.search(r"&(?!amp;|lt;|gt;)", raw):
                    errors.append(f"blocks[{i}]: unescaped & < > in mrkdwn")
            elif "fields" in block:
                if len(block["fields"]) > 10:
                    errors.append(f"blocks[{i}]: more than 10 fields")
            else:
                errors.append(f"blocks[{i}]: section without text or fields")
        elif kind == "context":
            if not block.get("elements"):
                errors.append(f"blocks[{i}]: context without elements")
        elif kind == "actions":
            for el in block.get("elements", []):
                if (
                    el.get("type") != "button"
                    or el["text"].get("type") != "plain_text"
                    or not el.get("url")
                ):
                    errors.append(f"blocks[{i}]: bad button")
        elif kind != "divider":
            errors.append(f"blocks[{i}]: unknown block type {kind!r}")
    return errors


def validate_mattermost(body: Any, query: dict) -> list[str]:
    errors: list[str] = []
    if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
        return ["mattermost: text must be a string"]
    total = len(body.get("text", ""))
    for i, att in enumerate(body.get("attachments", [])):
        for key in att:
            if key not in {
                "fallback",
                "color",
                "pretext",
                "title",
                "title_link",
                "text",
                "fields",
                "author_name",
                "footer",
            }:
                errors.append(f"attachments[{i}]: unknown key {key}")
        for f in att.get("fields", []):
            if set(f) != {"short", "title", "value"} or not isinstance(f["short"], bool):
                errors.append(f"attachments[{i}]: bad field {f}")
        total += len(att.get("text", "")) + len(att.get("title", "")) + len(att.get("fallback", ""))
    if total > 16383:
        errors.append(f"mattermost: {total} chars of text, limit 16383")
    if not body.get("text") and not body.get("attachments"):
        errors.append("mattermost: empty message")
    return errors


def validate_teams(body: Any, query: dict) -> list[str]:
    errors: list[str] = []
    if not isinstance(body, dict) or body.get("type") != "message":
        return ['teams: body type must be "message"']
    if len(json.dumps(body).encode()) > 28_000:
        errors.append("teams: message larger than 28 KB")
    atts = body.get("attachments") or []
    if len(atts) != 1:
        return ["teams: exactly one attachment expected"]
    att = atts[0]
    if (
        att.get("contentType") != "application/vnd.microsoft.card.adaptive"
        or "contentUrl" not in att
    ):
        errors.append("teams: attachment must be an adaptive card with contentUrl")
    card = att.get("content", {})
    if card.get("type") != "AdaptiveCard" or not card.get("version") or "$schema" not in card:
        errors.append("teams: content must be an AdaptiveCard with $schema and version")
    for i, el in enumerate(card.get("body", [])):
        if el.get("type") == "TextBlock":
            if not isinstance(el.get("text"), str):
                errors.append(f"body[{i}]: TextBlock without text")
        elif el.get("type") == "FactSet":
            for fact in el.get("facts", []):
                if not isinstance(fact.get("title"), str) or not isinstance(fact.get("value"), str):
                    errors.append(f"body[{i}]: bad fact {fact}")
        else:
            errors.append(f"body[{i}]: unexpected element {el.get('type')}")
    for action in card.get("actions", []):
        if (
            action.get("type") != "Action.OpenUrl"
            or not action.get("url")
            or not action.get("title")
        ):
            errors.append(f"teams: bad action {action}")
    return errors


def validate_discord(body: Any, query: dict) -> list[str]:
    errors: list[str] = []
    if not isinstance(body, dict):
        return ["discord: body must be an object"]
    if not body.get("content") and not body.get("embeds"):
        errors.append("discord: needs content or embeds")
    _check_len(errors, "content", body.get("content", ""), 2000)
    embeds = body.get("embeds", [])
    if len(embeds) > 10:
        errors.append(f"discord: {len(embeds)} embeds, limit 10")
    total = 0
    for i, e in enumerate(embeds):
        _check_len(errors, f"embeds[{i}].title", e.get("title", ""), 256)
        _check_len(errors, f"embeds[{i}].description", e.get("description", ""), 4096)
        if not isinstance(e.get("color", 0), int):
            errors.append(f"embeds[{i}].color must be an integer")
        if "timestamp" in e and not RFC3339.match(e["timestamp"]):
            errors.append(f"embeds[{i}].timestamp is not ISO 8601")
        fields = e.get("fields", [])
        if len(fields) > 25:
            errors.append(f"embeds[{i}]: more than 25 fields")
        for f in fields:
            _check_len(errors, "field name", f.get("name"), 256)
            _check_len(errors, "field value", f.get("value"), 1024)
        footer = e.get("footer", {}).get("text", "")
        _check_len(errors, f"embeds[{i}].footer", footer, 2048)
        total += len(e.get("title", "")) + len(e.get("description", "")) + len(footer)
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    if total > 6000:
        errors.append(f"discord: {total} chars across embeds, limit 6000")
    return errors


def validate_google_chat(body: Any, query: dict) -> list[str]:
    errors: list[str] = []
    if not isinstance(body, dict) or not (body.get("text") or body.get("cardsV2")):
        return ["google_chat: needs text or cardsV2"]
    if len(json.dumps(body).encode()) > 32_000:
        errors.append("google_chat: message larger than 32,000 bytes")
    if "text" in body:
        _check_len(errors, "text", body["text"], 4096)
    for i, card in enumerate(body.get("cardsV2", [])):
        if not isinstance(card.get("cardId"), str) or "card" not in card:
            errors.append(f"cardsV2[{i}]: needs cardId and card")
            continue
        if not card["card"].get("header", {}).get("title"):
            errors.append(f"cardsV2[{i}]: header needs a title")
        for s in card["card"].get("sections", []):
            for w in s.get("widgets", []):
                (kind,) = w.keys()
                if kind == "textParagraph":
                    _check_len(errors, "textParagraph", w[kind]["text"], 4096)
                elif kind == "decoratedText":
                    if not isinstance(w[kind].get("text"), str):
                        errors.append("decoratedText needs text")
                elif kind == "buttonList":
                    for b in w[kind]["buttons"]:
                        if not b["onClick"]["openLink"]["url"]:
                            errors.append("button without url")
                else:
                    errors.append(f"unknown widget {kind}")
    if "thread" in body:
        if not isinstance(body["thread"].get("threadKey"), str):
            errors.append("thread.threadKey must be a string")
        if query.get("messageReplyOption") != ["REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"]:
            errors.append("threaded message without messageReplyOption")
    return errors


def validate_webhook(body: Any, query: dict) -> list[str]:
    """The Alertmanager webhook payload, version 4 (or an announcement: event "report")."""
    errors: list[str] = []
    if not isinstance(body, dict):
        return ["webhook: body must be an object"]
    if body.get("event") == "report":
        for key in ("title", "text", "url"):
            if not isinstance(body.get(key), str) or not body[key]:
                errors.append(f"webhook post: {key} missing or not a string")
        return errors
    expected = {
        "version": str,
        "groupKey": str,
        "truncatedAlerts": int,
        "status": str,
        "receiver": str,
        "groupLabels": dict,
        "commonLabels": dict,
        "commonAnnotations": dict,
        "externalURL": str,
        "alerts": list,
    }
    for key, typ in expected.items():
        if not isinstance(body.get(key), typ):
            errors.append(f"webhook: {key} missing or not {typ.__name__}")
    if body.get("version") != "4":
        errors.append("webhook: version must be '4'")
    if body.get("status") not in ("firing", "resolved"):
        errors.append("webhook: bad status")
    for i, a in enumerate(body.get("alerts", [])):
        if a.get("status") not in ("firing", "resolved"):
            errors.append(f"alerts[{i}]: bad status")
        for key in ("labels", "annotations"):
            if not isinstance(a.get(key), dict) or not all(
                isinstance(v, str) for v in a[key].values()
            ):
                errors.append(f"alerts[{i}].{key} must map to strings")
        for key in ("startsAt", "endsAt"):
            if not RFC3339.match(str(a.get(key))):
                errors.append(f"alerts[{i}].{key} is not RFC 3339")
        for key in ("generatorURL", "fingerprint"):
            if not isinstance(a.get(key), str):
                errors.append(f"alerts[{i}].{key} missing")
    return errors


def validate_alertmanager(body: Any, query: dict) -> list[str]:
    """Alertmanager's POST /api/v2/alerts: a list of postable alerts."""
    if not isinstance(body, list) or not body:
        return ["alertmanager: body must be a non-empty list of alerts"]
    errors: list[str] = []
    for i, a in enumerate(body):
        labels = a.get("labels")
        if not isinstance(labels, dict) or not labels.get("alertname"):
            errors.append(f"alerts[{i}]: labels need an alertname")
        for key in ("labels", "annotations"):
            if not all(isinstance(v, str) for v in (a.get(key) or {}).values()):
                errors.append(f"alerts[{i}].{key} must map to strings")
        for key in ("startsAt", "endsAt"):
            if not RFC3339.match(str(a.get(key))):
                errors.append(f"alerts[{i}].{key} is not RFC 3339")
        if not isinstance(a.get("generatorURL"), str):
            errors.append(f"alerts[{i}].generatorURL missing")
    return errors


VALIDATORS: dict[str, Callable[[Any, dict], list[str]]] = {
    "alertmanager": validate_alertmanager,
    "slack": validate_slack,
    "mattermost": validate_mattermost,
    "teams": validate_teams,
    "discord": validate_discord,
    "google_chat": validate_google_chat,
    "webhook": validate_webhook,
}
OK_STATUS = {"teams": 202, "discord": 200}


class ChatReceiver:
    """A threaded HTTP server on 127.0.0.1 recording and checking every POST."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.scripts: dict[str, list[Behaviour]] = {}
        self.always: dict[str, Behaviour] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                receiver._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, service: str, secret: str = "T000/B000/XXXXsecretXXXX") -> str:
        """A webhook URL for a service; the tail plays the secret part."""
        return f"{self.base}/{service}/{secret}"

    def script(self, path_prefix: str, *behaviours: Behaviour) -> None:
        """Next requests under this path prefix behave like these, in order, then normally."""
        with self._lock:
            self.scripts.setdefault(path_prefix, []).extend(behaviours)

    def for_service(self, service: str) -> list[Received]:
        return [r for r in self.received if r.service == service]

    def _next(self, path: str) -> Behaviour | None:
        with self._lock:
            for prefix, queue in self.scripts.items():
                if path.startswith(prefix) and queue:
                    return queue.pop(0)
            for prefix, behaviour in self.always.items():
                if path.startswith(prefix):
                    return behaviour
        return None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length)
        try:
            body = json.loads(raw)
            errors: list[str] = []
        except ValueError:
            body, errors = None, ["body is not JSON"]
        query = parse_qs(parts.query)
        service = parts.path.strip("/").split("/")[0]
        if not errors and service in VALIDATORS:
            errors = VALIDATORS[service](body, query)
        if h.headers.get("Content-Type", "").split(";")[0] != "application/json":
            errors.append("Content-Type is not application/json")
        record = Received(parts.path, query, dict(h.headers), raw, body, errors, time.monotonic())
        with self._lock:
            self.received.append(record)
        behaviour = self._next(parts.path)
        if behaviour and behaviour.action == "timeout":
            time.sleep(behaviour.seconds)
            behaviour = None
        elif behaviour and behaviour.action == "close":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        elif behaviour and behaviour.action == "kill":
            os.kill(behaviour.pid or 0, signal.SIGKILL)
            time.sleep(0.5)
            h.close_connection = True
            return
        if behaviour is None:
            if errors:
                behaviour = Behaviour(400, body="invalid_payload: " + "; ".join(errors))
            else:
                behaviour = Behaviour(
                    OK_STATUS.get(service, 200), body="" if service == "teams" else "ok"
                )
        data = behaviour.body.encode()
        try:
            h.send_response(behaviour.status)
            for k, v in behaviour.headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[ChatReceiver]:
    server = ChatReceiver()
    yield server
    server.close()
