"""Every source example in the README's Sources section is a valid configuration."""

from __future__ import annotations

import re

from collectors import build_sources
from seamwatch.config import load_settings
from tests.conftest import REPO


def test_readme_source_examples_validate(workspace, monkeypatch):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Sources", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    assert len(blocks) == 6
    for name in ("PROMETHEUS_TOKEN", "IPAAS_KEY", "RABBITMQ_PASSWORD"):
        monkeypatch.setenv(name, "secret")
    workspace.write(
        "config.toml", '[inventory]\npaths = ["inventory/*.toml"]\n' + "\n".join(blocks)
    )
    sources = build_sources(load_settings(workspace.config))
    assert {s.kind for s in sources} == {"prometheus", "http_json", "scrape", "rabbitmq", "probe"}
