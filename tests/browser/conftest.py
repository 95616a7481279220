"""A real dashboard server and Debian's Chromium driven by Playwright (a browser download does not work here)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from dashboard.auth import SESSION_COOKIE
from tests.accounts import ROLE_ADMIN, session_token

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# The closed network refuses Chromium's background connections; these flags keep it quiet and fast.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"看板进程提前退出，退出码 {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("看板在限定时间内没有启动")


def start_dashboard(warehouse: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    # faulthandler: a server that hangs when stopped prints every thread's stack to its log (stop_dashboard).
    env = {**os.environ, "SHIBATIAO_WAREHOUSE": str(warehouse), "PYTHONFAULTHANDLER": "1"}
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, process)
    process.log_path = log_path  # type: ignore[attr-defined] - read by stop_dashboard
    return process, url


# How long a server may take to stop after SIGTERM. It is usually under a second; on a loaded machine Streamlit's
# server has once waited longer for a connection to close.
STOP_TIMEOUT_S = 30


def stop_dashboard(process: subprocess.Popen, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM, as a service manager stops it. A server still running after `timeout_s` gets SIGABRT, so that
    faulthandler writes every thread's stack to its log, and is then killed: the tests' subject is what the pages
    show, not how long the server takes to stop, so this warns (naming the log) rather than failing the test. The
    process must have been started by start_dashboard (or with PYTHONFAULTHANDLER=1 and a log_path attribute)."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
        return
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    log_path = getattr(process, "log_path", None)
    warnings.warn(
        f"看板进程在 SIGTERM 后 {timeout_s:g} 秒内没有退出，已强制结束；各线程的调用栈见 {log_path}", stacklevel=2
    )


class SignedInBrowser:
    """Debian's Chromium whose new pages carry a signed-in session cookie for the test servers (cookies are shared
    by every port of 127.0.0.1), as a browser that signed in once would. `as_role` picks the account; `anonymous`
    is a page with no session at all."""

    def __init__(self, browser: Browser) -> None:
        self.raw = browser

    def new_page(self, *, role: str = ROLE_ADMIN, **options) -> Page:
        context = self.raw.new_context(**options)
        context.add_cookies(
            [{"name": SESSION_COOKIE, "value": session_token(role), "domain": "127.0.0.1", "path": "/"}]
        )
        page = context.new_page()
        page.on("close", lambda _: context.close())
        return page

    def anonymous(self, **options) -> Page:
        return self.raw.new_context(**options).new_page()

    def close(self) -> None:
        self.raw.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[SignedInBrowser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("缺少 /usr/bin/chromium：请运行 scripts/system_deps.sh（make test 会自动运行）")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield SignedInBrowser(chromium)
        chromium.close()


@pytest.fixture(scope="session")
def demo_server(demo_warehouse, tmp_path_factory) -> Iterator[str]:
    process, url = start_dashboard(demo_warehouse, tmp_path_factory.mktemp("server") / "streamlit.log")
    yield url
    stop_dashboard(process)


@pytest.fixture(scope="session")
def empty_server(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("empty")
    process, url = start_dashboard(root / "warehouse.duckdb", root / "streamlit.log")
    yield url
    stop_dashboard(process)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_app(page) -> None:
    """Streamlit renders after the websocket connects; wait until no element is still running."""
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]').length > 0",
        timeout=30_000,
    )
