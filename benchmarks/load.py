"""Load test (make load; not part of make test): the dashboard on loopback with 20 signed-in Chromium contexts paging
through 总览, a chart page and 措施详情 while two command-line batches (python -m pipeline ingest) and one upload
through the 数据上传 page write to the warehouse, all bounded in time.

It reports the time to first chart (p50/p95, over all visits and per page), proves that no session saw an error
element, and that every batch landed whole: each file of each batch has its submission (the count of submissions
grows by exactly the batches' files), each accepted file has its values, and the command-line exit codes say so.
Figures go to artifacts/load.json. Environment: LOAD_SESSIONS (20), LOAD_SECONDS of paging (120).

python -m benchmarks.load
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import REPO_ROOT, cpu_seconds, peak_rss_mb

SESSIONS = int(os.environ.get("LOAD_SESSIONS", "20"))
PAGING_SECONDS = float(os.environ.get("LOAD_SECONDS", "120"))
PAGE_TIMEOUT_MS = 180_000  # one page under the whole load; beyond it the visit counts as failed
WRITERS_TIMEOUT_S = 600
RESULTS_PATH = REPO_ROOT / "artifacts" / "load.json"
PLOT = ".js-plotly-plot .main-svg"
# 2024: a year whose charts exist before, during and after the 2025 batches (2025's 第5条 has no chart until its
# R2 returns land), so every visit has a first chart to wait for while the status book is rebuilt under it.
ROUTE = (
    ("总览", "/?year=2024", "[class*='st-key-tile_']"),
    ("组织覆盖", "/coverage?year=2024", PLOT),
    ("措施详情", "/measure?m=5&year=2024", PLOT),
)
ERROR_SELECTOR = "[data-testid='stException'], [data-testid='stAlertContentError']"
IDLE_SCRIPT = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
BASE_YEARS = ("2021", "2022", "2023", "2024")  # loaded before the test; 2025 arrives during it
UPLOAD_NAME = "演示_2025_R3_陕西省总工会.xlsx"


@dataclass
class Observations:
    first_chart_s: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name, _, _ in ROUTE})
    errors: list[str] = field(default_factory=list)  # what a session saw: page and the error element's text
    failures: list[str] = field(default_factory=list)  # visits that did not draw within the time limit
    visits: int = 0


def _batches(returns: Path, root: Path) -> dict[str, list[Path]]:
    """The 2025 returns in three batches: the cities' R1 (command line), the rest (command line), one for the page."""
    new = sorted((returns / "2025").iterdir())
    batches = {"命令行批次一": root / "batch_1", "命令行批次二": root / "batch_2", "页面上传": root / "upload"}
    for folder in batches.values():
        folder.mkdir()
    for path in new:
        name = "页面上传" if path.name == UPLOAD_NAME else "命令行批次一" if "_R1_" in path.name else "命令行批次二"
        path.rename(batches[name] / path.name)
    return {name: sorted(folder.iterdir()) for name, folder in batches.items()}


def _warehouse_counts(warehouse: Path, files: list[Path]) -> dict[str, object]:
    from pipeline.warehouse import open_reader

    con = open_reader(warehouse)
    try:
        total = con.execute("select count(*) from submissions").fetchone()[0]
        found = {}
        for path in files:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            row = con.execute(
                "select s.status, (select count(*) from raw_values v where v.submission_id = s.submission_id) "
                "from submissions s where s.sha256 = ?",
                [sha],
            ).fetchone()
            found[path.name] = None if row is None else {"status": row[0], "values": int(row[1])}
    finally:
        con.close()
    return {"submissions": int(total), "files": found}


async def _visit(page, url: str, name: str, path: str, selector: str, seen: Observations, session: int) -> None:
    start = time.perf_counter()
    try:
        await page.goto(url + path, timeout=PAGE_TIMEOUT_MS)
        await page.wait_for_selector(selector, state="visible", timeout=PAGE_TIMEOUT_MS)
    except Exception as error:  # noqa: BLE001 - a visit that never drew is counted, the session goes on
        seen.failures.append(f"会话{session} {name}：{type(error).__name__}")
        if len(seen.failures) <= 3:  # what the page showed instead, for the reader of the report
            shot = REPO_ROOT / "artifacts" / "screenshots" / f"load_not_drawn_{len(seen.failures)}.png"
            await page.screenshot(path=str(shot), full_page=True)
        return
    seen.first_chart_s[name].append(time.perf_counter() - start)
    seen.visits += 1
    try:  # let the page finish its run before looking for errors
        await page.wait_for_function(IDLE_SCRIPT, timeout=PAGE_TIMEOUT_MS)
    except Exception:  # noqa: BLE001 - still running after the limit: look at what is there
        seen.failures.append(f"会话{session} {name}：页面在时限内没有运行完")
    for element in await page.query_selector_all(ERROR_SELECTOR):
        seen.errors.append(f"会话{session} {name}：{(await element.inner_text())[:200]}")


async def _session(
    browser, url: str, token: str, deadline: float, seen: Observations, session: int, rounds: int = 0
) -> None:
    """Visit the route's pages in turn until the deadline (or for `rounds` visits, deadline or not)."""
    from dashboard.auth import SESSION_COOKIE

    context = await browser.new_context(viewport={"width": 1600, "height": 1000})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "domain": "127.0.0.1", "path": "/"}])
    page = await context.new_page()
    step = session  # sessions start at different pages
    try:
        while time.monotonic() < deadline or step - session < rounds:
            name, path, selector = ROUTE[step % len(ROUTE)]
            await _visit(page, url, name, path, selector, seen, session)
            step += 1
    finally:
        await context.close()


async def _upload(browser, url: str, token: str, file: Path, seen: Observations) -> dict[str, object]:
    from dashboard.auth import SESSION_COOKIE

    context = await browser.new_context(viewport={"width": 1600, "height": 1000})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "domain": "127.0.0.1", "path": "/"}])
    page = await context.new_page()
    start = time.perf_counter()
    try:
        await page.goto(f"{url}/upload", timeout=PAGE_TIMEOUT_MS)
        await page.get_by_role("button", name="校验并装入").wait_for(timeout=PAGE_TIMEOUT_MS)
        await page.wait_for_function(IDLE_SCRIPT, timeout=PAGE_TIMEOUT_MS)  # files given mid-run would be lost
        uploader = page.locator("[data-testid='stFileUploader'] input[type='file']")
        await uploader.set_input_files(str(file), timeout=PAGE_TIMEOUT_MS)
        await page.locator("[data-testid='stFileChipName']", has_text=file.name[-11:]).wait_for(timeout=PAGE_TIMEOUT_MS)
        button = page.get_by_role("button", name="校验并装入")
        await page.wait_for_function("b => !b.disabled", arg=await button.element_handle(), timeout=PAGE_TIMEOUT_MS)
        await button.click()
        await page.get_by_text("本批共1个文件").wait_for(timeout=PAGE_TIMEOUT_MS)
        for element in await page.query_selector_all(ERROR_SELECTOR):
            seen.errors.append(f"上传页：{(await element.inner_text())[:200]}")
        return {"seconds": round(time.perf_counter() - start, 1), "finished": True}
    except Exception as error:  # noqa: BLE001 - reported as an unfinished upload
        await page.screenshot(path=str(REPO_ROOT / "artifacts" / "screenshots" / "load_upload.png"), full_page=True)
        return {"seconds": round(time.perf_counter() - start, 1), "finished": False, "error": repr(error)[:300]}
    finally:
        await context.close()


async def _cli_batch(warehouse: Path, folder: Path, raw_dir: Path, delay_s: float) -> dict[str, object]:
    await asyncio.sleep(delay_s)
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pipeline", "--warehouse", str(warehouse), "ingest", str(folder), "--json",
        "--raw-dir", str(raw_dir), cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    outcome: dict[str, object] = {"exit_code": process.returncode, "seconds": round(time.perf_counter() - start, 1)}
    try:
        outcome["results"] = {item["file"]: item["status"] for item in json.loads(out.decode("utf-8"))}
    except (ValueError, KeyError, TypeError):
        outcome["stderr"] = err.decode("utf-8", "replace")[-500:]
    return outcome


async def _drive(url: str, warehouse: Path, root: Path, batches: dict[str, list[Path]]) -> tuple[Observations, dict]:
    from playwright.async_api import async_playwright

    from tests.accounts import ROLE_ADMIN, ROLE_ANALYST, ROLE_LEADER, session_token
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    seen = Observations()
    roles = (ROLE_LEADER, ROLE_ANALYST, ROLE_ADMIN)
    tokens = [session_token(roles[i % len(roles)]) for i in range(SESSIONS)]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # One untimed pass first: the server's first run builds the status book, which no visitor waits for twice.
            warm = Observations()
            await _session(browser, url, session_token(ROLE_ADMIN), time.monotonic(), warm, 0, rounds=len(ROUTE))
            seen.errors.extend(warm.errors)
            deadline = time.monotonic() + PAGING_SECONDS
            sessions = [_session(browser, url, token, deadline, seen, i + 1) for i, token in enumerate(tokens)]
            writers = [
                _cli_batch(warehouse, batches["命令行批次一"][0].parent, root / "raw", 10),
                _cli_batch(warehouse, batches["命令行批次二"][0].parent, root / "raw", 20),
                _upload(browser, url, session_token(ROLE_ANALYST), batches["页面上传"][0], seen),
            ]
            *_, batch_1, batch_2, upload = await asyncio.wait_for(
                asyncio.gather(*sessions, *writers), timeout=PAGING_SECONDS + WRITERS_TIMEOUT_S
            )
        finally:
            await browser.close()
    return seen, {"命令行批次一": batch_1, "命令行批次二": batch_2, "页面上传": upload}


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 2)


def _landed_whole(batches: dict[str, list[Path]], before: dict, after: dict, writers: dict) -> dict[str, object]:
    """Every file of every batch has its submission; accepted ones have their values; the count grew by the files."""
    verdict: dict[str, object] = {}
    new_files = 0
    for name, files in batches.items():
        rows = {path.name: after["files"][path.name] for path in files}
        fresh = [path.name for path in files if before["files"][path.name] is None]
        new_files += len({hashlib.sha256(p.read_bytes()).digest() for p in files if p.name in fresh})
        missing = [file for file, row in rows.items() if row is None]
        accepted_without_values = [f for f, r in rows.items() if r and r["status"] != "rejected" and r["values"] == 0]
        exit_code = writers[name].get("exit_code")
        verdict[name] = {
            "files": len(files),
            "recorded": len(files) - len(missing),
            "missing": missing,
            "accepted_without_values": accepted_without_values,
            "statuses": {file: row and row["status"] for file, row in rows.items()},
            "writer": writers[name],
            "whole": not missing and not accepted_without_values and exit_code in (None, 0, 1)
            and writers[name].get("finished", True),
        }  # fmt: skip
    grown = after["submissions"] - before["submissions"]
    verdict["submissions"] = {
        "before": before["submissions"],
        "after": after["submissions"],
        "expected_growth": new_files,
    }
    verdict["count_matches"] = grown == new_files
    return verdict


def run() -> dict:
    from pipeline.demo.generate import generate
    from pipeline.ingest import ingest_paths
    from tests.browser.conftest import start_dashboard

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["SHIBATIAO_ACCESS_DB"] = str(root / "access.sqlite")  # throwaway accounts and sessions
        generate(root / "returns")
        batches = _batches(root / "returns", root)
        warehouse = root / "warehouse.duckdb"
        ingest_paths([root / "returns" / year for year in BASE_YEARS], warehouse=warehouse, raw_dir=root / "raw")
        all_files = [path for files in batches.values() for path in files]
        before = _warehouse_counts(warehouse, all_files)
        process, url = start_dashboard(warehouse, root / "server.log")
        started = time.perf_counter()
        try:
            seen, writers = asyncio.run(_drive(url, warehouse, root, batches))
            server_rss, server_cpu = peak_rss_mb(process.pid), cpu_seconds(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
        wall_s = time.perf_counter() - started
        after = _warehouse_counts(warehouse, all_files)
        landed = _landed_whole(batches, before, after, writers)
    every = [s for values in seen.first_chart_s.values() for s in values]
    figures = {
        "sessions": SESSIONS,
        "paging_seconds": PAGING_SECONDS,
        "wall_seconds": round(wall_s, 1),
        "visits": seen.visits,
        "first_chart_p50_s": _percentile(every, 0.5),
        "first_chart_p95_s": _percentile(every, 0.95),
        "first_chart_by_page": {
            name: {"visits": len(v), "p50_s": _percentile(v, 0.5), "p95_s": _percentile(v, 0.95)}
            for name, v in seen.first_chart_s.items()
        },
        "errors_seen": seen.errors,
        "visits_not_drawn": seen.failures,
        "batches": landed,
        "server_peak_rss_mb": server_rss,
        # The dashboard process's CPU time over the whole test (warm-up included) beside the wall time: how much of
        # the waiting was the server's own work and how much the machine's other load (the 20 Chromium renderers).
        "server_cpu_seconds": server_cpu,
        "mean_first_chart_s": round(statistics.mean(every), 2) if every else None,
    }
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    _print(figures)
    return figures


def _print(figures: dict) -> None:
    batches = figures["batches"]
    print(
        f"负载测试：{figures['sessions']} 个会话翻页 {figures['paging_seconds']:.0f} 秒，共 {figures['visits']} 次页面访问"
    )
    print(f"  首个图表用时：p50 {figures['first_chart_p50_s']} 秒，p95 {figures['first_chart_p95_s']} 秒")
    for name, item in figures["first_chart_by_page"].items():
        print(f"    {name}：{item['visits']} 次，p50 {item['p50_s']} 秒，p95 {item['p95_s']} 秒")
    print(
        f"  会话看到的错误：{len(figures['errors_seen'])} 个；在时限内未画出的访问：{len(figures['visits_not_drawn'])} 次"
    )
    for line in figures["errors_seen"][:10] + figures["visits_not_drawn"][:10]:
        print(f"    {line}")
    for name in ("命令行批次一", "命令行批次二", "页面上传"):
        item = batches[name]
        print(
            f"  {name}：{item['files']} 个文件，已记录 {item['recorded']} 个，"
            f"{'完整装入' if item['whole'] else '不完整'}（用时 {item['writer'].get('seconds')} 秒）"
        )
    count = batches["submissions"]
    print(
        f"  报送记录：{count['before']} → {count['after']}（应增加 {count['expected_growth']}），"
        f"{'相符' if batches['count_matches'] else '不符'}；看板进程内存峰值 {figures['server_peak_rss_mb']} MB，"
        f"CPU 时间 {figures['server_cpu_seconds']} 秒（全程 {figures['wall_seconds']} 秒）"
    )


def passed(figures: dict) -> bool:
    batches = figures["batches"]
    whole = all(batches[name]["whole"] for name in ("命令行批次一", "命令行批次二", "页面上传"))
    return not figures["errors_seen"] and whole and batches["count_matches"]


if __name__ == "__main__":
    sys.exit(0 if passed(run()) else 1)
