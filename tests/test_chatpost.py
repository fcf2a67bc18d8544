"""The spine's chat poster: each service's text payload, retries, and a secret URL kept secret."""

from __future__ import annotations

import json
import logging

import pytest
from pytest_httpserver import HTTPServer

from seamwatch.chatpost import ChatPostError, link, post_text


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("slack", {"text": "a &lt;b&gt; &amp; <https://x.example/r.html|Full report>"}),
        ("google-chat", {"text": "a &lt;b&gt; &amp; <https://x.example/r.html|Full report>"}),
        ("mattermost", {"text": "a <b> & [Full report](https://x.example/r.html)"}),
        ("discord", {"content": "a <b> & [Full report](https://x.example/r.html)"}),
        ("json", {"text": "a <b> & Full report: https://x.example/r.html"}),
    ],
)
def test_text_payload_per_service(httpserver: HTTPServer, fmt: str, expected: dict) -> None:  # type: ignore[type-arg]
    from seamwatch.chatpost import escape

    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    text = escape("a <b> &", fmt) + " " + link("https://x.example/r.html", "Full report", fmt)  # type: ignore[arg-type]
    post_text(httpserver.url_for("/hook"), text, fmt)  # type: ignore[arg-type]
    ((request, _),) = httpserver.log
    assert json.loads(request.data) == expected
    assert request.headers["Content-Type"] == "application/json"


def test_teams_gets_an_adaptive_card(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("", 202)
    post_text(httpserver.url_for("/hook"), "Weekly review [Full report](https://x)", "teams")
    body = json.loads(httpserver.log[0][0].data)
    card = body["attachments"][0]
    assert body["type"] == "message"
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"] == [
        {"type": "TextBlock", "text": "Weekly review [Full report](https://x)", "wrap": True}
    ]


def test_discord_content_is_clipped_to_its_limit(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("", 204)
    post_text(httpserver.url_for("/hook"), "x" * 5000, "discord")
    assert len(json.loads(httpserver.log[0][0].data)["content"]) == 2000


def test_rate_limit_is_retried_after_the_advertised_wait(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/hook").respond_with_data(
        "slow down", 429, headers={"Retry-After": "0"}
    )
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    post_text(httpserver.url_for("/hook"), "hello", "slack")
    assert len(httpserver.log) == 2


def test_permanent_refusal_is_not_retried_and_hides_the_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hooks/T000/secret").respond_with_data("no_service", 404)
    with pytest.raises(ChatPostError) as caught:
        post_text(httpserver.url_for("/hooks/T000/secret"), "hello", "slack")
    assert caught.value.permanent
    assert "secret" not in str(caught.value) and "HTTP 404" in str(caught.value)
    assert len(httpserver.log) == 1


def test_unreachable_webhook_fails_after_retries_without_the_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(ChatPostError) as caught:
        post_text("http://127.0.0.1:9/hooks/secret-token", "hello", "slack", attempts=2, max_wait=0)
    assert str(caught.value).startswith(
        "the chat webhook did not accept the message: connection failed: ConnectError"
    )
    assert not caught.value.permanent
    assert caplog.text.count("attempt") == 2 and "secret-token" not in caplog.text


def test_server_errors_are_retried_and_the_last_status_is_reported(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/hook").respond_with_data("down", 503, headers={"Retry-After": "0"})
    with pytest.raises(ChatPostError) as caught:
        post_text(httpserver.url_for("/hook"), "hello", "slack", attempts=3, max_wait=0)
    assert str(caught.value) == "the chat webhook did not accept the message: HTTP 503"
    assert len(httpserver.log) == 3


def test_a_redirect_is_refused_not_followed(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/hooks/secret-token").respond_with_data(
        "", 302, headers={"Location": "http://127.0.0.1:9/elsewhere"}
    )
    with caplog.at_level(logging.INFO, logger="httpx"), pytest.raises(ChatPostError) as caught:
        post_text(httpserver.url_for("/hooks/secret-token"), "hello", "slack")
    assert caught.value.permanent and "(HTTP 302); check the URL" in str(caught.value)
    assert len(httpserver.log) == 1
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug"))
    assert (
        "HTTP Request: POST" in ours and "secret-token" not in ours
    )  # the test server logs it, we don't
