"""Page benchmark, signed in as an administrator: each page's warm server run (AppTest) and its time to first chart in
Chromium, both against the floor of the app shell (app.py: sign-in check, menu, year, banners) running an empty page,
timed in the same rounds (benchmarks.common.interleaved). The empty page is added to the page table of this process
and of the benchmark's own dashboard server; nothing in the repository changes.

page_ratio: page ÷ shell per round, {median, min, max} per page; first_chart_ratio: the same in Chromium, from
navigation to the page's first chart (or its main element where it has no chart) ÷ the shell's first paint.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import REPO_ROOT, interleaved, peak_rss_mb, record, spread

APP = str(REPO_ROOT / "app.py")
SHELL_URL = "bench_shell"
SHELL_TEXT = "数据截至"  # the shell's own header line (product, year, data date), drawn before the page runs
ROUNDS = int(os.environ.get("BENCH_PAGE_ROUNDS", "5"))
BROWSER_ROUNDS = int(os.environ.get("BENCH_BROWSER_ROUNDS", "3"))
# page -> (file, URL path and query, what shows that the page has drawn its first chart or main element)
PLOT = ".js-plotly-plot .main-svg"
PAGES: dict[str, tuple[str, str, str]] = {
    "总览": ("app_pages/overview.py", "/", "[class*='st-key-tile_']"),
    "措施详情": ("app_pages/measure_detail.py", "/measure?m=5", PLOT),
    "组织覆盖": ("app_pages/coverage.py", "/coverage", PLOT),
    "经费保障": ("app_pages/funding.py", "/funding", PLOT),
    "督查结果": ("app_pages/inspections.py", "/inspections", PLOT),
    "干部队伍": ("app_pages/cadres.py", "/cadres", PLOT),
    "单位画像": ("app_pages/unit_profile.py", "/unit?unit=C07", "[data-testid='stDataFrame']"),
    "报送情况": ("app_pages/tracker.py", "/tracker", "[data-testid='stDataFrame']"),
    "数据上传": ("app_pages/upload.py", "/upload", "[data-testid='stFileUploader']"),
    "十八条原文": ("app_pages/measures.py", "/measures", "text=第18条"),
}
SHELL_PAGE = "# 空白页：看板外壳（登录检查、菜单、年度、横幅）之下什么也不画，作为页面基准的下限。\n"
# The dashboard server of this benchmark: app.py with the empty page added to the page table of its process.
SERVER_CODE = """
import sys
from benchmarks.pages import with_shell_page
with_shell_page(sys.argv.pop(1))
from streamlit.web.cli import main
sys.argv = ["streamlit", "run", "app.py", *sys.argv[1:]]
main()
"""


def with_shell_page(shell_file: str) -> None:
    """Add the empty page to dashboard.navigation.PAGE_TABLE of this process (app.py reads it on every run)."""
    from dashboard import navigation

    entry = ("基准", shell_file, "空白页（基准）", ":material/crop_free:", SHELL_URL, navigation.EVERYONE)
    if entry not in navigation.PAGE_TABLE:
        navigation.PAGE_TABLE = (*navigation.PAGE_TABLE, entry)


def _warm_app(page_file: str) -> Callable[[], object]:
    """A signed-in AppTest on the page, run until its caches are warm; returns one more warm run to time."""
    from tests.accounts import signed_in

    app = signed_in(APP, default_timeout=180)
    app.run()
    app.switch_page(page_file)
    for _ in range(2):
        app.run()
    failures = [e.value for e in app.exception] + [e.value for e in app.error]
    if failures:
        raise RuntimeError(f"{page_file} 在基准中出错：{failures[0]}")
    return app.run


def server_side(shell_file: str, rounds: int) -> dict[str, dict[str, float]]:
    floor = _warm_app(shell_file)
    subjects = {name: _warm_app(file) for name, (file, _, _) in PAGES.items()}
    ratios = interleaved(floor, subjects, rounds)
    floor_s = ratios.pop("")
    return {"shell_seconds": spread(floor_s, 3), **{name: spread(values) for name, values in ratios.items()}}


def start_server(warehouse: Path, shell_file: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    from tests.browser.conftest import _free_port, _wait_healthy

    port = _free_port()
    env = {**os.environ, "SHIBATIAO_WAREHOUSE": str(warehouse)}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER_CODE, shell_file, "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true"],
        cwd=REPO_ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, process)
    return process, url


def _open(browser, url: str, selector: str) -> float:
    """Seconds from navigation in a fresh signed-in tab to the selector being visible."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(selector, state="visible", timeout=120_000)
        seconds = time.perf_counter() - start
        if page.query_selector("[data-testid='stException'], [data-testid='stAlertContentError']"):
            raise RuntimeError(f"{url} 在浏览器中显示了错误")
        return seconds
    finally:
        page.close()


def browser_side(url: str, rounds: int) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SignedInBrowser

    with sync_playwright() as playwright:
        browser = SignedInBrowser(playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS))
        try:
            floor = lambda: _open(browser, f"{url}/{SHELL_URL}", f"text={SHELL_TEXT}")  # noqa: E731
            subjects = {
                name: (lambda p=path, s=sel: _open(browser, url + p, s)) for name, (_, path, sel) in PAGES.items()
            }
            for warm in (floor, *subjects.values()):  # the first visit builds the caches: not timed
                warm()
            ratios = interleaved(floor, subjects, rounds)
        finally:
            browser.close()
    floor_s = ratios.pop("")
    return {"shell_first_paint_seconds": spread(floor_s, 3), **{n: spread(v) for n, v in ratios.items()}}


def demo_warehouse(root: Path) -> Path:
    from pipeline.demo.generate import generate
    from pipeline.ingest import ingest_paths

    generate(root / "returns")
    warehouse = root / "warehouse.duckdb"
    ingest_paths([root / "returns"], warehouse=warehouse, raw_dir=root / "raw")
    return warehouse


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # A throwaway access database for the benchmark's own accounts and sessions.
        os.environ["SHIBATIAO_ACCESS_DB"] = str(root / "access.sqlite")
        warehouse = demo_warehouse(root)
        os.environ["SHIBATIAO_WAREHOUSE"] = str(warehouse)
        shell_file = root / "shell_page.py"
        shell_file.write_text(SHELL_PAGE, encoding="utf-8")
        with_shell_page(str(shell_file))
        server = server_side(str(shell_file), ROUNDS)
        process, url = start_server(warehouse, str(shell_file), root / "server.log")
        try:
            browser = browser_side(url, BROWSER_ROUNDS)
            server_rss = peak_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
    figures = {
        "page_ratio": {name: server[name] for name in PAGES},
        "first_chart_ratio": {name: browser[name] for name in PAGES},
        "pages_shell_seconds": server["shell_seconds"],
        "pages_shell_first_paint_seconds": browser["shell_first_paint_seconds"],
        "pages_server_peak_rss_mb": server_rss,
        "rounds": {"apptest": ROUNDS, "chromium": BROWSER_ROUNDS},
    }
    record("pages", figures)
    print(
        f"页面基准：外壳空白页服务端 {server['shell_seconds']['median'] * 1000:.0f} 毫秒，"
        f"浏览器首次绘制 {browser['shell_first_paint_seconds']['median']:.2f} 秒"
    )
    for name in PAGES:
        print(
            f"  {name}：服务端 {server[name]['median']:.1f}× 外壳，浏览器首个图表 {browser[name]['median']:.1f}× 外壳"
        )
    return figures
