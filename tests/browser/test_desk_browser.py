"""A desk at 1280×720 and 1920×1080 in Chromium, on the demo warehouse: the header above a page's title is short and
still says 演示数据, the 报送情况 and 单位画像 tables never scroll sideways, the sidebar's 措施 selector shows whole
measure names, and Streamlit's table toolbar speaks Chinese (全屏, not Fullscreen)."""

from __future__ import annotations

import pytest

from dashboard.theme_css import SIDEBAR_WIDTH_PX, TOOLBAR_LABELS
from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser
VIEWPORTS = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
# Before the compact header the title of a page began 275 px down at 1280×720 (Streamlit's blank 6rem, the product
# line, a 57 px banner, the freshness line); now the product line starts at 2rem and the banner is slim.
TITLE_TOP_MAX_PX = 150  # was ~275 px before the header was reduced to one line and a slim banner
BANNER_HEIGHT_MAX_PX = 44

# Every table on the page, once drawn: its scrolling area's width against its visible width.
TABLE_WIDTHS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(frame => {
  const scroller = frame.querySelector('.dvn-scroller');
  return scroller ? [scroller.scrollWidth, scroller.clientWidth] : null;
})"""
ALL_TABLES_DRAWN = """() => {
  const frames = [...document.querySelectorAll('[data-testid="stDataFrame"]')];
  return frames.length > 0 && frames.every(f => f.querySelector('.dvn-scroller'));
}"""
# Elements whose text is cut: wider content than box (one pixel of rounding allowed).
CUT_TEXT = """root => [root, ...root.querySelectorAll('*')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
  .map(e => (e.value || e.innerText || '').slice(0, 40))"""


@pytest.fixture(scope="module")
def server(browser, demo_server) -> str:
    """The shared demo dashboard, opened once at / so that deep links find st.navigation (see the tracker test)."""
    page = browser.new_page()
    page.goto(demo_server)
    page.locator("[data-testid='stSidebarNav']").get_by_text("报送情况").wait_for(timeout=60_000)
    page.close()
    return demo_server


def _open(browser, url: str, viewport: str):
    width, height = VIEWPORTS[viewport]
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(url)
    wait_for_app(page)
    # Settled: the page's styles are in (the sidebar has its width) and no element is left from an earlier run.
    page.wait_for_function(
        f"""() => document.querySelector('[data-testid="stSidebar"]')?.getBoundingClientRect().width === {SIDEBAR_WIDTH_PX}
              && !document.querySelector('[data-stale="true"]')""",
        timeout=30_000,
    )
    page.wait_for_timeout(300)
    return page


def _tables_fit(page) -> list[list[int]]:
    page.wait_for_function(ALL_TABLES_DRAWN, timeout=30_000)
    page.wait_for_timeout(500)  # columns are laid out in the frame after the canvas appears
    widths = page.evaluate(TABLE_WIDTHS)
    assert widths and all(scroll <= visible for scroll, visible in widths), widths
    return widths


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_header_is_short_and_keeps_the_demo_banner(browser, server, viewport):
    page = _open(browser, f"{server}/tracker", viewport)
    title = page.get_by_role("heading", name="报送情况")
    title.wait_for(timeout=30_000)
    banner = page.locator("[data-testid='stAlert']", has_text="演示数据").first
    product = page.get_by_text("十八条落实看板", exact=True).first
    freshness = page.get_by_text("数据截至", exact=False).first
    boxes = {name: e.bounding_box() for name, e in [("title", title), ("banner", banner), ("product", product),
                                                      ("freshness", freshness)]}  # fmt: skip
    assert boxes["title"]["y"] <= TITLE_TOP_MAX_PX, boxes
    # One quiet line first (the product, the year and the data's date), then the banner, then the title.
    assert abs(boxes["product"]["y"] - boxes["freshness"]["y"]) <= 4, boxes
    assert 0 <= boxes["freshness"]["y"] < boxes["banner"]["y"] < boxes["title"]["y"], boxes
    assert boxes["banner"]["height"] <= BANNER_HEIGHT_MAX_PX, boxes
    assert "演示数据" in banner.inner_text() and banner.is_visible()
    screenshot(page, f"desk_header_{viewport}")
    page.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_tracker_tables_do_not_scroll_sideways(browser, server, viewport):
    page = _open(browser, f"{server}/tracker", viewport)
    page.get_by_text("文件明细：填报日期、被替代的早先版本、被退回的文件").click()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stDataFrame\"] .dvn-scroller').length === 3", timeout=30_000
    )
    assert len(_tables_fit(page)) == 3  # the return table, its 文件明细, the 催报名单
    screenshot(page, f"desk_tracker_{viewport}")
    page.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("unit", ["C07", "I01"])  # 汉中: its counties; 省能源化学地质工会: its anomaly flags
def test_unit_profile_tables_do_not_scroll_sideways(browser, server, viewport, unit):
    page = _open(browser, f"{server}/unit?unit={unit}&year=2024", viewport)
    page.get_by_text("报送记录", exact=True).wait_for(timeout=30_000)
    assert len(_tables_fit(page)) >= 3  # history, counties and/or anomalies, submissions
    page.close()


@pytest.mark.parametrize("measure", [1, 8, 13])  # the two longest names, and one with brackets
def test_the_measure_selector_shows_whole_names(browser, server, measure):
    page = _open(browser, f"{server}/measure?m={measure}", "1280x720")
    selector = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']", has_text="措施")
    field = selector.get_by_role("combobox")
    field.wait_for(timeout=30_000)
    assert field.input_value().startswith(f"第{measure}条　")
    assert field.evaluate("e => e.scrollWidth <= e.clientWidth"), field.input_value()
    field.scroll_into_view_if_needed()
    field.click()
    options = page.locator("[role='option']")
    page.wait_for_function("() => document.querySelectorAll('[role=\"option\"]').length === 18", timeout=30_000)
    assert options.count() == 18
    cut = [text for i in range(18) for text in options.nth(i).evaluate(CUT_TEXT)]
    assert cut == []
    screenshot(page, f"desk_measure_selector_{measure}")
    page.close()


def test_table_toolbar_speaks_chinese(browser, server):
    page = _open(browser, f"{server}/tracker", "1280x720")
    table = page.locator("[data-testid='stDataFrame']").first
    table.wait_for(timeout=30_000)
    table.hover()
    full_screen = page.get_by_role("button", name="全屏", exact=True).first
    full_screen.wait_for(timeout=30_000)
    labels = page.evaluate(
        "() => [...document.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label'))"
    )
    assert not set(labels) & set(TOOLBAR_LABELS), labels
    assert {"全屏", "下载 CSV", "搜索", "显示/隐藏列"} <= set(labels)
    page.get_by_role("button", name="搜索", exact=True).first.click()
    page.locator(".gdg-search-status", has_text="输入文字搜索").wait_for(timeout=10_000)  # not "Type to search"
    table.hover()
    full_screen.hover()
    page.locator("[data-testid='stTooltipContent']", has_text="全屏").wait_for(timeout=10_000)
    full_screen.click()
    page.get_by_role("button", name="退出全屏", exact=True).wait_for(timeout=10_000)
    assert page.get_by_role("button", name="Fullscreen").count() == 0
    page.close()
