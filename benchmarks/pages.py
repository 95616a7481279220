"""Page benchmark: server-side run time of each page (AppTest, warm) and time to first chart in Chromium,
each compared with a bare one-line Streamlit page measured in the same run (the floor)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO_ROOT, median, record

PAGES = {
    "总览": ("app_pages/overview.py", "/", "[data-testid='stMetric']"),
    "措施详情": ("app_pages/measure_detail.py", "/measure?m=5", ".js-plotly-plot"),
    "组织覆盖": ("app_pages/coverage.py", "/coverage", ".js-plotly-plot"),
    "经费保障": ("app_pages/funding.py", "/funding", ".js-plotly-plot"),
    "督查结果": ("app_pages/inspections.py", "/inspections", ".js-plotly-plot"),
    "干部队伍": ("app_pages/cadres.py", "/cadres", ".js-plotly-plot"),
    "单位画像": ("app_pages/unit_profile.py", "/unit?unit=C07", "[data-testid='stDataFrame']"),
    "报送情况": ("app_pages/tracker.py", "/tracker", "[data-testid='stDataFrame']"),
    "数据上传": ("app_pages/upload.py", "/upload", "[data-testid='stFileUploader']"),
    "十八条原文": ("app_pages/measures.py", "/measures", "text=第18条"),
}
BARE_PAGE = 'import streamlit as st\nst.write("十八条")\n'


def _apptest_warm(script: str, page: str | None, repeat: int = 5) -> float:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(script, default_timeout=120)
    app.run()
    if page:
        app.switch_page(page)
        app.run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - start)
    return median(times)


def _browser_times(warehouse: Path, bare_dir: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_dashboard

    results = {}
    process, url = start_dashboard(warehouse, bare_dir / "server.log")
    bare_process, bare_url = _start_bare(bare_dir)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(url)  # warm the server: first run builds the status book
            page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
            for name, (_, path, selector) in PAGES.items():
                samples = []
                for _ in range(3):
                    start = time.perf_counter()
                    page.goto(url + path)
                    page.wait_for_selector(selector, timeout=120_000)
                    samples.append(time.perf_counter() - start)
                results[name] = median(samples)
            samples = []
            for _ in range(3):
                start = time.perf_counter()
                page.goto(bare_url)
                page.wait_for_selector("text=十八条", timeout=60_000)
                samples.append(time.perf_counter() - start)
            results["空白页（基准）"] = median(samples)
            browser.close()
    finally:
        for proc in (process, bare_process):
            proc.terminate()
            proc.wait(timeout=20)
    return results


def _start_bare(folder: Path):
    import socket
    import subprocess
    import sys

    from tests.browser.conftest import _wait_healthy

    script = folder / "bare.py"
    script.write_text(BARE_PAGE, encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, process)
    return process, url


def run() -> dict:
    from pipeline.demo.generate import generate
    from pipeline.ingest import ingest_paths

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "returns")
        warehouse = root / "warehouse.duckdb"
        ingest_paths([root / "returns"], warehouse=warehouse, raw_dir=root / "raw")
        os.environ["SHIBATIAO_WAREHOUSE"] = str(warehouse)
        bare = root / "bare"
        bare.mkdir()
        (bare / "bare.py").write_text(BARE_PAGE, encoding="utf-8")
        server_side = {"空白页（基准）": _apptest_warm(str(bare / "bare.py"), None)}
        for name, (script, _, _) in PAGES.items():
            server_side[name] = _apptest_warm(str(REPO_ROOT / "app.py"), script)
        browser = _browser_times(warehouse, bare)
    figures = {
        "apptest_warm_s": {k: round(v, 3) for k, v in server_side.items()},
        "chromium_first_visual_s": {k: round(v, 2) for k, v in browser.items()},
    }
    record("pages", figures)
    floor_server, floor_browser = server_side["空白页（基准）"], browser["空白页（基准）"]
    print(
        f"页面基准（服务端 AppTest 热运行中位数；Chromium 打开到首个图表的中位数）；空白页基准：{floor_server * 1000:.0f} 毫秒 / {floor_browser:.2f} 秒"
    )
    for name in PAGES:
        print(
            f"  {name}：服务端 {server_side[name] * 1000:.0f} 毫秒（{server_side[name] / floor_server:.0f}× 基准），"
            f"浏览器 {browser[name]:.2f} 秒（{browser[name] / floor_browser:.1f}× 基准）"
        )
    return figures
