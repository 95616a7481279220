"""总览, 措施详情 and 放映模式 in Chromium at 1920×1080 and 1280×720: Chinese text, no error element, the ← → keys
turning the projector screens; screenshots in artifacts/screenshots/ (board_*.png) for a person to look at."""

from __future__ import annotations

import pytest

from pipeline.status.model import STATUSES
from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser
VIEWPORTS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def board_server(browser, demo_server) -> str:
    """The demo server with its status book computed once, so that no test waits on the first judgement."""
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
    # Elements of a previous run may linger while the new run streams in: wait until none is stale.
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=TIMEOUT)
    return page


def whole_page(page, name: str) -> None:
    """Streamlit scrolls inside its own container, so a full-page shot shows one screen: also take a tall one."""
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": 3200})
    page.wait_for_timeout(1500)
    screenshot(page, f"{name}_whole")


def no_error(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert "暂时无法显示" not in page.inner_text("body")


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_overview_shows_the_board(browser, board_server, viewport):
    page = open_page(browser, f"{board_server}/?year=2024", VIEWPORTS[viewport], "第18条")
    # Streamlit serves lang="en"; the page sets zh-CN as it loads.
    page.wait_for_function('() => document.documentElement.lang === "zh-CN"', timeout=10_000)
    body = page.inner_text("body")
    for text in (
        "十八条措施落实总览（2024年度）",
        "一、建立全省产业工会重大事项重要工作交流制度",
        "专项督查每2年1次",
        "86.3分",
    ):
        assert text in body
    page.locator("[data-testid='stMetric']").nth(len(STATUSES) - 1).wait_for(timeout=TIMEOUT)
    assert page.locator("[data-testid='stMetric']").count() == len(STATUSES)  # one count per status word
    assert page.get_by_role("button", name="查看解读").count() == 18
    # Each tile's one-sentence summary is folded under 摘要 and opens in place.
    summary = page.locator(".st-key-tile_5 .tile-summary")
    assert not summary.is_visible()
    page.locator(".st-key-tile_5 details.tile-more summary").click()
    summary.wait_for(state="visible", timeout=TIMEOUT)
    assert summary.inner_text().startswith("2024年，") and "会费收缴率" in summary.inner_text()
    no_error(page)
    screenshot(page, f"board_overview_{viewport}")
    whole_page(page, f"board_overview_{viewport}")
    page.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_measure_detail_explains_measure_5(browser, board_server, viewport):
    page = open_page(browser, f"{board_server}/measure?m=5&year=2024", VIEWPORTS[viewport], "数据来源（16个单元格）")
    page.locator(".laggards").wait_for(timeout=TIMEOUT)
    page.locator("[data-testid='stPlotlyChart']").wait_for(timeout=TIMEOUT)
    body = page.inner_text("body")
    for text in (
        "第5条　经费收支管理与会费收缴",
        "支持省级产业工会做好经费收支管理工作",
        "省国防邮电工会",
        "88.2%",
        "91.0%",
    ):
        assert text in body
    assert page.locator("[data-testid='stPlotlyChart']").count() == 1
    # plotly's toolbar speaks Chinese (its zh-CN locale, given inline: Streamlit's plotly.js bundles only en).
    page.locator("[data-testid='stPlotlyChart'] .modebar-btn").first.wait_for(state="attached", timeout=TIMEOUT)
    titles = page.locator("[data-testid='stPlotlyChart'] .modebar-btn").evaluate_all(
        "buttons => buttons.map(b => b.getAttribute('data-title'))"
    )
    assert {"下载图表（PNG）", "缩放", "平移", "自动缩放", "重置坐标轴"} <= set(titles)
    no_error(page)
    screenshot(page, f"board_detail_{viewport}")
    whole_page(page, f"board_detail_{viewport}")
    page.close()


def test_a_tile_opens_its_detail(browser, board_server):
    page = open_page(browser, f"{board_server}/?year=2024", VIEWPORTS["1920x1080"], "第18条")
    page.locator(".st-key-open_9 button").click()
    page.get_by_text("第9条　专项督查每2年1次").wait_for(timeout=TIMEOUT)
    page.get_by_text("落后单位").wait_for(timeout=TIMEOUT)
    assert "汉中市" in page.inner_text("body")
    assert "m=9" in page.url
    no_error(page)
    page.close()


def test_projector_mode_turns_screens_with_the_arrow_keys(browser, board_server):
    page = open_page(
        browser,
        f"{board_server}/present?year=2024&mode=present",
        VIEWPORTS["1280x720"],
        "十八条措施落实总览（2024年度）",
    )
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    no_error(page)
    page.wait_for_timeout(1500)  # the buttons' keyboard shortcuts are bound once the page has settled
    page.keyboard.press("ArrowRight")
    page.get_by_role("heading", name="组织覆盖（第3、7、8条）").wait_for(timeout=TIMEOUT)
    page.locator("[data-testid='stPlotlyChart']").wait_for(timeout=TIMEOUT)
    page.wait_for_timeout(1500)  # let the chart draw before the screenshot
    screenshot(page, "board_present_1280x720_coverage")
    page.keyboard.press("ArrowRight")
    page.get_by_role("heading", name="经费保障（第4、5、6条）").wait_for(timeout=TIMEOUT)
    assert page.get_by_text("第3屏 / 共7屏").count() == 1
    page.wait_for_timeout(1500)
    screenshot(page, "board_present_1280x720_funding")
    page.keyboard.press("ArrowLeft")
    page.get_by_role("heading", name="组织覆盖（第3、7、8条）").wait_for(timeout=TIMEOUT)
    page.keyboard.press("Escape")
    page.get_by_text("十八条措施落实总览（2024年度）").wait_for(timeout=TIMEOUT)
    assert "mode=present" not in page.url
    no_error(page)
    page.close()


@pytest.mark.parametrize("path", ["/", "/measure?m=9", "/present"])
def test_empty_warehouse_pages_say_how_to_load_data(browser, empty_server, path):
    page = open_page(browser, f"{empty_server}{path}", VIEWPORTS["1280x720"], "数据仓库中还没有报表")
    assert "python -m pipeline ingest" in page.inner_text("body")
    no_error(page)
    screenshot(page, f"board_empty_{path.strip('/').split('?')[0] or 'overview'}")
    page.close()
