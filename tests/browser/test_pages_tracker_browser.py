"""数据上传 and 报送情况 in Chromium, on a private copy of the demo warehouse: a broken file is refused with the
sheet and cell and an annotated copy to download, a valid one is accepted, and the tracker shows both."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator

import docx
import openpyxl
import pytest

from pipeline.catalog import load_catalog
from queries.uploads import collecting_year
from tests.browser.conftest import screenshot, start_dashboard, stop_dashboard, wait_for_app
from tests.test_tracker_queries import count_cell, r1_bytes

pytestmark = pytest.mark.browser
VIEWPORTS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def upload_server(browser, demo_warehouse, tmp_path) -> Iterator[str]:
    """A dashboard of its own on a copy of the demo warehouse: uploads never touch the shared one."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    process, url = start_dashboard(warehouse, tmp_path / "streamlit.log")
    _warm_up(browser, url)
    yield url
    stop_dashboard(process)


def _warm_up(browser, url: str) -> None:
    """Open the root page once. With a pages/ folder next to app.py, Streamlit runs a fresh server in its old
    multipage mode until st.navigation has been called once: the first deep link (/upload) would run the page
    without app.py (no year selector, no demo banner). See the report to the lead."""
    page = browser.new_page()
    page.goto(url)
    page.locator("[data-testid='stSidebarNav']").get_by_text("数据上传").wait_for(timeout=60_000)
    page.close()


def _show(page, text: str) -> None:
    """Scroll a section into view: Streamlit scrolls inside its own container, so a full-page shot shows the top."""
    page.get_by_text(text, exact=True).first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)


def _open(browser, url: str, viewport: str):
    width, height = VIEWPORTS[viewport]
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(url)
    wait_for_app(page)
    return page


def _upload(page, name: str, data: bytes) -> None:
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
        [{"name": name, "mimeType": XLSX, "buffer": data}]
    )
    page.locator("[data-testid='stFileChipName']", has_text=name).wait_for(timeout=30_000)
    button = page.get_by_role("button", name="校验并装入")
    page.wait_for_function("b => !b.disabled", arg=button.element_handle(), timeout=30_000)
    button.click()
    page.get_by_text("本批处理结果").wait_for(timeout=60_000)
    page.locator("[data-testid='stFileChipName']").first.wait_for(state="detached", timeout=30_000)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_upload_a_broken_and_a_valid_return_then_see_them_tracked(browser, upload_server, viewport):
    sheet, cell = count_cell()
    page = _open(browser, f"{upload_server}/upload", viewport)
    page.get_by_text("下载空白模板").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="校验并装入").is_disabled()
    year = collecting_year(load_catalog())
    with page.expect_download() as download:  # the template is built when the button is clicked
        page.get_by_role("button", name=f"下载 {year}年度 R1 市（区）总工会年度报表 模板").click()
    assert download.value.suggested_filename == f"{year}年度_R1_市（区）总工会年度报表_模板.xlsx"
    template = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert template.sheetnames[:2] == ["填表说明", "本级情况"]

    _upload(page, "商洛_2025_R1_初稿.xlsx", r1_bytes("C10", m3_city_meetings="若干"))
    page.get_by_text("本批共1个文件：被退回1个").wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert "被退回" in body and "商洛市总工会 · R1 · 2025年度" in body
    assert f"工作表“{sheet}”，单元格 {cell}，指标“市总工会召开研究产业工会工作专题会议次数”：“若干”不是数字" in body
    page.get_by_role("button", name="下载标注了问题的工作簿").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, f"upload_{viewport}")
    _show(page, "本批处理结果")
    screenshot(page, f"upload_rejected_{viewport}")

    with page.expect_download() as download:
        page.get_by_role("button", name="下载标注了问题的工作簿").click()
    assert download.value.suggested_filename == "商洛_2025_R1_初稿_审核意见.xlsx"

    _upload(page, "商洛_2025_R1.xlsx", r1_bytes("C10"))
    page.get_by_text("本批共1个文件：已接收1个").wait_for(timeout=30_000)
    assert "已接收" in page.inner_text("body")
    assert page.get_by_role("button", name="下载标注了问题的工作簿").count() == 0
    _show(page, "本批处理结果")
    screenshot(page, f"upload_accepted_{viewport}")
    page.close()

    page = _open(browser, f"{upload_server}/tracker", viewport)
    page.get_by_text("2025年度 R1：应报12个，已报送12个（逾期1个），未报送0个").wait_for(timeout=30_000)
    page.get_by_text("无法识别单位或报表类型的文件").wait_for(timeout=30_000)  # the last section
    body = page.inner_text("body")
    assert "商洛_2025_R1_初稿.xlsx" in body  # listed under 被退回的文件 with its reason
    assert "【不是数字】“若干”不是数字" in body and "not_a_number" not in body
    page.get_by_role("button", name="下载催报名单（Excel）").wait_for(timeout=30_000)  # 海员建设 R2 still missing
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, f"tracker_{viewport}")
    _show(page, "被退回的文件")
    screenshot(page, f"tracker_rejected_{viewport}")
    page.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_tracker_on_the_demo_data(browser, demo_server, viewport):
    _warm_up(browser, demo_server)
    page = _open(browser, f"{demo_server}/tracker", viewport)
    page.get_by_text("2025年度 R1：应报12个，已报送11个（逾期0个），未报送1个：商洛市总工会").wait_for(timeout=30_000)
    page.get_by_text("无法识别单位或报表类型的文件").wait_for(timeout=30_000)
    page.get_by_role("button", name="下载催报名单（Excel）").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, f"tracker_demo_{viewport}")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载催报名单（Excel）").click()
    assert download.value.suggested_filename == "演示数据_2025年度催报名单.xlsx"
    title = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active["A1"].value
    assert title.startswith("【演示数据】2025年度催报名单（生成时间 ")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="下载催报函（Word，每单位一封）").click()
    assert download.value.suggested_filename == "演示数据_2025年度催报函.docx"
    letters = docx.Document(io.BytesIO(download.value.path().read_bytes()))
    assert len(letters.sections) == 2  # 商洛 and 海员建设 owe 2025 returns
    _show(page, "2025年度催报名单（全部报表）")
    screenshot(page, f"tracker_demo_chase_{viewport}")
    page.close()
