"""导出 and 会议以来变化 in Chromium at 1920×1080 and 1280×720: a deck built and downloaded from the page, a meeting
version frozen, chosen in the sidebar and shown with its banner; screenshots in artifacts/screenshots/ (export_*.png)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator

import pptx
import pytest

from tests.browser.conftest import screenshot, start_dashboard, stop_dashboard, wait_for_app

pytestmark = pytest.mark.browser
VIEWPORTS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}
TIMEOUT = 90_000


@pytest.fixture
def export_server(browser, demo_warehouse, tmp_path, monkeypatch) -> Iterator[str]:
    """A dashboard of its own (a copy of the demo warehouse, meeting versions in a temporary folder)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    monkeypatch.setenv("SHIBATIAO_MEETINGS", str(tmp_path / "meetings"))
    process, url = start_dashboard(warehouse, tmp_path / "streamlit.log")
    page = browser.new_page()
    page.goto(url)
    page.locator("[data-testid='stSidebarNav']").get_by_text("导出").wait_for(timeout=TIMEOUT)
    page.close()
    yield url
    stop_dashboard(process)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_build_a_deck_and_freeze_a_meeting_version(browser, export_server, viewport):
    width, height = VIEWPORTS[viewport]
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(f"{export_server}/export")
    wait_for_app(page)
    page.get_by_text("2025年度汇报材料").wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="生成汇报稿（PPT）").click()
    download_button = page.get_by_role("button", name="下载汇报稿（PPT）")
    download_button.wait_for(timeout=TIMEOUT)
    with page.expect_download(timeout=TIMEOUT) as download:
        download_button.click()
    assert download.value.suggested_filename == "演示数据_2025年度汇报稿.pptx"
    deck = pptx.Presentation(io.BytesIO(download.value.path().read_bytes()))
    assert len(deck.slides) >= 8
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, f"export_{viewport}")

    page.get_by_label("会议版名称").fill(f"推进会{viewport}")
    page.get_by_label("会议版名称").press("Enter")
    page.get_by_role("button", name="冻结当前数据为会议版").click()
    page.get_by_text(f"已冻结会议版“推进会{viewport}”").wait_for(timeout=TIMEOUT)
    page.close()

    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(f"{export_server}/changes?meeting=推进会{viewport}")
    wait_for_app(page)
    page.get_by_text(f"正在查看会议版“推进会{viewport}”").first.wait_for(timeout=TIMEOUT)
    page.get_by_text("会议以来，该年度的落实状态、关键数值和判定标准都没有变化").wait_for(timeout=TIMEOUT)
    page.get_by_text("状态变化的措施").wait_for(timeout=TIMEOUT)
    page.get_by_text("不是实时数据").first.wait_for(timeout=TIMEOUT)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, f"changes_{viewport}")
    page.close()
