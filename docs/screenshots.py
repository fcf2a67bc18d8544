"""Refresh the README screenshots from the real pipeline: demo -> detect -> dashboard.

Run: .venv/bin/python docs/screenshots.py   (needs Debian's chromium)
Seeds the demo into a temp workspace, runs the detectors, serves the app on a loopback port
and saves docs/screenshot-overview.png and docs/screenshot-integration.png.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.servers_streamlit import CHROMIUM_ARGS, streamlit_server  # noqa: E402

SHOTS = {
    "overview": "",
    "integration": "integration?integration=crm-orders-to-erp&range=28d",
}


def seamwatch(config: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "cli", *args, "--config", str(config), "-q"],
        check=True,
        cwd=REPO,
    )


def main() -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "data" / "inventory", root / "data" / "inventory")
        config = root / "config.toml"
        config.write_text((REPO / "config.toml").read_text(), encoding="utf-8")
        seamwatch(config, "demo")
        seamwatch(config, "detect")
        with streamlit_server(config, root / "streamlit.log") as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            # A fresh `streamlit run` shows the Deploy button in its very first session (the
            # viewer toolbar is set by the app's first run); load it once before the shots.
            page.goto(base)
            page.wait_for_selector("h1", timeout=30_000)
            for name, path in SHOTS.items():
                page.goto(f"{base}/{path}")
                page.wait_for_selector("h1", timeout=30_000)
                page.wait_for_function(
                    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                    timeout=60_000,
                )
                page.wait_for_timeout(2500)
                target = REPO / "docs" / f"screenshot-{name}.png"
                page.screenshot(path=str(target))
                print(f"saved {target}")
            browser.close()


if __name__ == "__main__":
    main()
