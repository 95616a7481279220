"""Hostile text in Chromium (issue 11): a unit renamed to markup in the settings, a return whose contact and 说明 are
markup, and files named like tags, shown on the upload result, 报送情况, 总览, 措施详情 and 单位画像. No dialog opens,
no <script> or <img src=x> element is made from the data, and the text is on the page as text."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from pipeline import settings
from pipeline.access import ROLE_ANALYST
from queries import uploads
from tests.browser.conftest import screenshot, start_dashboard, stop_dashboard, wait_for_app
from tests.test_hardening import HOSTILE_NAME, IMG, hostile_r1
from tests.test_tracker_queries import r1_bytes

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOADED = f"{IMG}.xlsx"  # sent through the browser's file chooser
LOADED = "<b onmouseover=alert(2)>宝鸡</b>.xlsx"  # loaded before the server starts (rejected: shows on 报送情况)
# Elements the data would create if it were ever rendered as HTML (none of the dashboard's own markup matches).
INJECTED = """() => [...document.querySelectorAll("script")].filter(s => s.textContent.includes("alert(")).length
    + document.querySelectorAll("img[src='x'], img[onerror], b[onmouseover]").length"""


@pytest.fixture
def hostile_server(browser, demo_warehouse, tmp_path) -> Iterator[str]:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    rename = settings.UnitRename("C10", HOSTILE_NAME, 2025, new_short_name=IMG)
    settings.save(rename, author="测试", reason="测试：名称中的特殊字符", warehouse=warehouse)
    [result] = uploads.upload_batch([(LOADED, r1_bytes("C04", m3_city_meetings=IMG))], None, warehouse)
    assert result["status"] == "rejected"
    process, url = start_dashboard(warehouse, tmp_path / "streamlit.log")
    yield url
    stop_dashboard(process)


def _guarded_page(browser, dialogs: list[str]):
    page = browser.new_page(role=ROLE_ANALYST, viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return page


def _inert(page, shown: str) -> None:
    """The text is on the page as text, and nothing was made of it."""
    page.get_by_text(shown, exact=False).first.wait_for(timeout=60_000)
    assert page.evaluate(INJECTED) == 0
    assert page.locator("[data-testid='stException']").count() == 0


def test_hostile_text_stays_text_in_the_browser(browser, hostile_server):
    dialogs: list[str] = []
    page = _guarded_page(browser, dialogs)

    page.goto(f"{hostile_server}/upload")
    wait_for_app(page)
    chooser = page.locator("[data-testid='stFileUploader'] input[type='file']")
    chooser.set_input_files([{"name": UPLOADED, "mimeType": XLSX, "buffer": hostile_r1("C03")}])
    # The chip shortens a long name in the middle ("<img s...rt(1)>.xlsx").
    page.locator("[data-testid='stFileChipName']", has_text="rt(1)>.xlsx").wait_for(timeout=30_000)
    button = page.get_by_role("button", name="校验并装入")
    page.wait_for_function("b => !b.disabled", arg=button.element_handle(), timeout=30_000)
    button.click()
    page.get_by_text("本批共1个文件").wait_for(timeout=120_000)
    _inert(page, UPLOADED)
    screenshot(page, "hostile_upload_result")

    page.goto(f"{hostile_server}/tracker")
    wait_for_app(page)
    _inert(page, LOADED)  # the rejected file's name
    _inert(page, f"未报送1个：{HOSTILE_NAME}")  # the renamed unit in the summary line
    screenshot(page, "hostile_tracker")

    page.goto(f"{hostile_server}/measure?m=3&year=2025")
    wait_for_app(page)
    _inert(page, f"未报送单位：{IMG}（共1个）")  # the short name, in an explanation (markdown) …
    _inert(page, f"{IMG}　未报送")  # … and in the laggards list (HTML built by the page)

    page.goto(f"{hostile_server}/unit?unit=C10&year=2025")
    wait_for_app(page)
    _inert(page, HOSTILE_NAME)

    page.goto(hostile_server)
    wait_for_app(page)
    page.get_by_text("十八条措施落实总览").first.wait_for(timeout=60_000)
    assert page.evaluate(INJECTED) == 0

    page.wait_for_timeout(1000)  # an onerror handler would have fired by now
    assert dialogs == []
    page.close()
