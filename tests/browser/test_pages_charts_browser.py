"""组织覆盖, 经费保障, 督查结果, 干部队伍 and 单位画像 in Chromium at 1920×1080 and 1280×720: no error element, the plotly
charts drawn with their titles, the key Chinese text; screenshots in artifacts/screenshots/ (charts_*.png) for a
person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser
VIEWPORTS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}
TIMEOUT = 60_000
# name -> (URL path, plotly charts drawn, texts that must be on the page)
PAGES = {
    "coverage": (
        "/coverage?year=2024",
        3,
        (
            "组织覆盖（第3、7、8条）",
            "2024年市县总工会专题会议覆盖率（第3条）",
            "省级产业工会会员覆盖率（第7条）",
            "下载图表数据（CSV）",
        ),
    ),
    "funding": (
        "/funding?year=2024",
        3,
        ("经费保障（第4、5、6条）", "（第4条）", "2024年省级产业工会会费收缴率（第5条）", "（第6条）"),
    ),
    "inspections": (
        "/inspections?year=2024",
        3,
        ("督查结果（第9、10条）", "2024年专项督查（第9条）", "2024年专项督查各单位分项得分（第9条）", "（第10条）"),
    ),
    "cadres": (
        "/cadres?year=2021",
        2,
        ("干部队伍（第16、17条）", "2021年省级产业工会干部培训率（第16条）", "预警"),
    ),
    "unit": (
        "/unit?unit=C07&year=2024",
        0,
        ("单位画像：汉中市总工会（2024年度）", "历年状态", "所辖县（区）情况（2024年度）", "报送记录", "未达标"),
    ),
}


@pytest.fixture(scope="module")
def charts_server(browser, demo_server) -> str:
    """The demo server with its status book computed once, so that no test waits on the first judgement.

    The main page is opened first: on a fresh server, Streamlit runs a URL such as /coverage straight from the
    pages/ folder (without app.py's navigation, year selector and banner) until app.py has run once."""
    page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    page.goto(demo_server)
    page.get_by_text("第18条").first.wait_for(timeout=TIMEOUT)
    page.close()
    return demo_server


def open_page(browser, url: str, viewport: tuple[int, int], ready: str):
    width, height = viewport
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(url)
    wait_for_app(page)
    page.get_by_text(ready).first.wait_for(timeout=TIMEOUT)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)
    return page


def whole_page(page, name: str) -> None:
    """Streamlit scrolls inside its own container, so a full-page shot shows one screen: also take a tall one."""
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": 4200})
    page.wait_for_timeout(1500)
    screenshot(page, f"{name}_whole")


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("name", sorted(PAGES))
def test_chart_page_renders(browser, charts_server, name, viewport):
    path, chart_count, wanted = PAGES[name]
    page = open_page(browser, f"{charts_server}{path}", VIEWPORTS[viewport], wanted[0])
    if chart_count:
        page.wait_for_function(
            f"() => document.querySelectorAll('.js-plotly-plot').length >= {chart_count}", timeout=TIMEOUT
        )
    assert page.locator(".js-plotly-plot").count() == chart_count
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("暂时无法显示").count() == 0
    # Locators read SVG text (the chart titles) and st.html's shadow DOM (the tiles), which innerText does not.
    for item in wanted:
        page.get_by_text(item).first.wait_for(timeout=TIMEOUT)  # fails the test when the text never appears
    screenshot(page, f"charts_{name}_{viewport}")
    whole_page(page, f"charts_{name}_{viewport}")
    page.close()


def test_unit_profile_for_a_unit_without_a_return(browser, charts_server):
    page = open_page(
        browser, f"{charts_server}/unit?unit=C10&year=2025", VIEWPORTS["1280x720"], "单位画像：商洛市总工会（2025年度）"
    )
    page.get_by_text("商洛市总工会2025年度尚未报送《市（区）总工会年度报表》。").wait_for(timeout=TIMEOUT)
    page.get_by_text("商洛市总工会2025年度尚未报送，暂无所辖县（区）明细。").wait_for(timeout=TIMEOUT)
    page.get_by_text("未报送", exact=True).first.wait_for(timeout=TIMEOUT)  # the tiles' key figure
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "charts_unit_not_submitted")
    whole_page(page, "charts_unit_not_submitted")
    page.close()


def test_funding_family_in_projector_mode(browser, charts_server):
    """A family page's link in projector mode opens the one projector mode; its 经费保障 screen draws the family's
    key chart from the figure registry (第5条) beside its three tiles."""
    page = open_page(
        browser, f"{charts_server}/funding?year=2024&mode=present", VIEWPORTS["1920x1080"], "第1屏 / 共7屏"
    )
    assert page.locator("[data-testid='stSidebar']").is_hidden()
    for _ in range(2):  # overview, 组织覆盖, then 经费保障
        page.get_by_role("button", name="下一屏").click()
    page.get_by_text("经费保障（第4、5、6条）").first.wait_for(timeout=TIMEOUT)
    page.get_by_text("2024年省级产业工会会费收缴率（第5条）").wait_for(timeout=TIMEOUT)
    assert page.locator(".tile.large").count() == 3
    screenshot(page, "charts_funding_present")
    page.close()


def test_chart_data_downloads_as_a_chinese_named_csv(browser, charts_server):
    page = open_page(browser, f"{charts_server}/cadres?year=2021", VIEWPORTS["1920x1080"], "干部队伍（第16、17条）")
    # The 第16条 chart's button by its widget key: while a run streams in, the first button in the page may still be
    # 第17条's, so "the first CSV button" is not a stable way to name it.
    csv_button = page.locator(".st-key-csv_m16_training_by_union").get_by_role("button", name="下载图表数据（CSV）")
    with page.expect_download(timeout=TIMEOUT) as download:
        csv_button.click()
    assert download.value.suggested_filename == "【演示数据】第16条_干部培训率_2021年度.csv"
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(
        "\ufeff年度,单位代码,单位,干部人数（人）,本年参加培训的干部人数（人）,干部培训率（%）".encode()
    )
    assert data.decode("utf-8-sig").count("\n") == 9  # the heading and the eight industry unions
    page.close()


# The demo's 2025: 商洛市 sent no R1 (第3、6、8条), 省海员建设工会 no R2 (第5、7、16、17条), and 韩城市 was not inspected
# in the 2023–2024 window (第9条). Each chart draws them in place with the word, as the measure detail lists them.
MISSING_IN_2025 = {
    "coverage": ("商洛市", "未报送", 3),
    "funding": ("省海员建", "未报送", 2),  # 第5条's tick wraps the name; 第6条's panel says 商洛市
    "inspections": ("韩城市", "未督查", 2),
    "cadres": ("省海员建", "未报送", 2),
}


@pytest.mark.parametrize("name", sorted(MISSING_IN_2025))
def test_judged_units_without_figures_are_drawn_in_place(browser, charts_server, name):
    unit, word, charts_with_word = MISSING_IN_2025[name]
    path = PAGES[name][0].split("?")[0] + "?year=2025"
    page = open_page(browser, f"{charts_server}{path}", VIEWPORTS["1920x1080"], PAGES[name][2][0])
    page.wait_for_function(
        f"() => document.querySelectorAll('.js-plotly-plot').length >= {PAGES[name][1]}", timeout=TIMEOUT
    )
    page.wait_for_timeout(1000)
    # SVG text of every chart: the charts that judge the unit name it and print the word.
    texts = page.locator(".js-plotly-plot").evaluate_all("els => els.map(e => e.textContent)")
    assert sum(1 for t in texts if word in t) >= charts_with_word, texts
    assert any(unit in t for t in texts)
    assert page.locator("[data-testid='stException']").count() == 0
    whole_page(page, f"charts_missing_{name}")
    page.close()
