"""Optional sign-in: Streamlit's OIDC login guards every page when `[app] login = true`.

Streamlit reads the provider from `.streamlit/secrets.toml` ([auth], or [auth.<name>] with
`[app] login_provider = "<name>"`) and needs the Authlib package (`pip install
'seamwatch[auth]'`). Without `login`, run the dashboard behind an authenticating proxy.
"""

from __future__ import annotations

import fnmatch
import importlib.util

import streamlit as st

from seamwatch.config import AppSettings


def current_user() -> str | None:
    """The signed-in user's e-mail (or name), None when sign-in is off or nobody signed in."""
    try:
        if not st.user.is_logged_in:
            return None
    except (AttributeError, KeyError):
        return None
    return str(st.user.get("email") or st.user.get("name") or "") or None


def auth_configured() -> bool:
    """Whether Streamlit's secrets hold an [auth] block (without it, `st.user` cannot sign in)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all (StreamlitSecretNotFoundError, FileNotFoundError)
        return False


def allowed(email: str | None, patterns: list[str]) -> bool:
    """Whether an e-mail matches one of the allowed patterns (`*@example.com`); no patterns: all."""
    if not patterns:
        return True
    return bool(email) and any(fnmatch.fnmatch(email.lower(), p.lower()) for p in patterns)


def require_login(app: AppSettings) -> None:
    """Stop the page with a sign-in screen unless sign-in is off or the user may see it."""
    if not app.login:
        return
    if not auth_configured():
        st.error(
            "Sign-in is switched on (`[app] login = true`) but no sign-in provider is configured: "
            "add an `[auth]` block (redirect_uri, cookie_secret, client_id, client_secret, "
            "server_metadata_url) to `.streamlit/secrets.toml`, then restart the dashboard. "
            "`seamwatch check` says the same.",
            icon=":material/lock:",
        )
        st.stop()
    if importlib.util.find_spec("authlib") is None:
        st.error(
            "Sign-in is switched on (`[app] login = true`) but the Authlib package is missing: "
            "`pip install 'seamwatch[auth]'`, then restart the dashboard.",
            icon=":material/lock:",
        )
        st.stop()
    if not st.user.is_logged_in:
        st.title("Seamwatch")
        st.write("Sign in to see the integration fleet.")
        if st.button("Sign in", type="primary", icon=":material/login:"):
            try:
                if app.login_provider:
                    st.login(app.login_provider)
                else:
                    st.login()
            except Exception as exc:  # StreamlitAuthError: the [auth] secrets are incomplete
                st.error(
                    f"Sign-in is not set up correctly: {exc}. See the README's Dashboard section "
                    "for the `.streamlit/secrets.toml` [auth] block.",
                    icon=":material/lock:",
                )
        st.stop()
    email = current_user()
    if not allowed(email, app.allowed_emails):
        st.error(f"{email or 'This account'} may not open this dashboard.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {email}")
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")
