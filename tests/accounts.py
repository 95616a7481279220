"""Signed-in test sessions: one account per role in the test session's access database ($SHIBATIAO_ACCESS_DB, set by
tests/conftest.py), and AppTest runs that start signed in through a real session token, so app.py's gate checks
them exactly as it checks a browser's."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipeline.access import ROLE_ADMIN, ROLE_ANALYST, ROLE_LEADER, ROLE_UNIT, AccessStore, access_path
from pipeline.registry import load_registry

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "test-pass-2025!"
UNIT_CODE = "C01"  # 西安市: the 填报单位 account's unit
USERS = {ROLE_ADMIN: "t_admin", ROLE_ANALYST: "t_analyst", ROLE_LEADER: "t_leader", ROLE_UNIT: "t_xian"}


def ensure_accounts(store: AccessStore | None = None) -> AccessStore:
    """The four test accounts (idempotent), with PASSWORD and no forced password change."""
    store = store or AccessStore(access_path())
    registry = load_registry()
    for role, username in USERS.items():
        if store.account(username) is None:
            store.add_account(
                username, f"测试{role}", role, UNIT_CODE if role == ROLE_UNIT else None, actor="测试",
                registry=registry, password=PASSWORD, must_change_password=False,
            )  # fmt: skip
    return store


def session_token(role: str = ROLE_ADMIN) -> str:
    """A live session of the role's test account, as a browser's cookie would carry it."""
    return ensure_accounts().open_session(USERS[role], address="127.0.0.1")


def signed_in(path: str = APP, role: str = ROLE_ADMIN, **kwargs) -> AppTest:
    """AppTest.from_file(path, **kwargs), signed in as the role's test account."""
    store = ensure_accounts()
    app = AppTest.from_file(path, **kwargs)
    app.session_state["auth_token"] = store.open_session(USERS[role], address="127.0.0.1")
    app.session_state["auth_account"] = store.account(USERS[role])
    return app


__all__ = ["APP", "PASSWORD", "ROLE_ADMIN", "ROLE_ANALYST", "ROLE_LEADER", "ROLE_UNIT", "USERS", "signed_in"]
