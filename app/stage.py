"""The app stage as the roots see it: a dashboard that listens beyond this machine without
sign-in, and sign-in without a provider. `[app]` itself is the spine's (its time zone and base
URL are read by alerts and reports too)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from seamwatch.config import Settings
from seamwatch.errors import ConfigError, ConfigWarning
from seamwatch.inventory import Inventory
from seamwatch.stage import Stage


def check(settings: Settings, inventory: Inventory) -> list[ConfigError]:
    """The exposure warning and a login without an [auth] block."""
    problems: list[ConfigError] = []
    exposure = settings.app.exposure_warning()
    if exposure:
        problems.append(ConfigWarning(exposure, path=settings.config_path, key="app.address"))
    if settings.app.login and not auth_in_secrets_file(settings):
        problems.append(
            ConfigError(
                "login = true needs a sign-in provider: add an [auth] block (redirect_uri, "
                "cookie_secret, client_id, client_secret, server_metadata_url) to "
                ".streamlit/secrets.toml next to config.toml, and `pip install 'seamwatch[auth]'`",
                path=settings.config_path,
                key="app.login",
            )
        )
    return problems


def auth_in_secrets_file(settings: Settings) -> bool:
    """Whether a Streamlit secrets file the dashboard reads holds an [auth] block."""
    for place in (settings.base_dir, Path.cwd(), Path.home()):
        path = place / ".streamlit" / "secrets.toml"
        try:
            if "auth" in tomllib.loads(path.read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
    return False


STAGE = Stage(name="app", check=check, commands=("app",))
