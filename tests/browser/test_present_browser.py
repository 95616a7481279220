"""放映模式 in Chromium at a meeting room's 1280×720 and a large screen's 1920×1080: every screen, from the overview
of the 18 measures to the last family, fits the window (no scrolling, the chart and every tile inside it), the
header is one quiet line, and /present and ?mode=present open the same mode. Screenshots: present_*.png."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_pages_board_browser import TIMEOUT, VIEWPORTS, board_server, no_error, open_page

__all__ = ["board_server"]  # the fixture, shared with the board tests (one warm server per module)

pytestmark = pytest.mark.browser
SCREENS = (
    "十八条措施落实总览（2024年度）",
    "组织覆盖（第3、7、8条）",
    "经费保障（第4、5、6条）",
    "督查结果（第9、10条）",
    "干部队伍（第16、17条）",
    "工作机制（第1、2、11、12条）",
    "工作机制（第13、14、15、18条）",
)
WITH_CHART = {1, 2, 3, 4}  # 工作机制 has no key chart in the figures registry
GEOMETRY = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const main = document.querySelector('[data-testid="stMain"]');
  const block = document.querySelector('[data-testid="stMainBlockContainer"]');
  const chart = document.querySelector('[data-testid="stPlotlyChart"] .main-svg');
  return {
    main: [main.scrollHeight, main.clientHeight, main.scrollWidth, main.clientWidth],
    block: [block.scrollHeight, block.clientHeight],
    chart: chart ? box(chart) : null,
    tiles: [...document.querySelectorAll('.tile, .present-cell')].map(box),
  };
}"""


def inside(box: list[float], width: int, height: int) -> bool:
    left, top, right, bottom = box
    return left >= 0 and top >= 0 and right <= width + 0.5 and bottom <= height + 0.5


def fits(page, width: int, height: int, screen: int) -> None:
    geometry = page.evaluate(GEOMETRY)
    scroll_height, client_height, scroll_width, client_width = geometry["main"]
    assert scroll_height <= client_height == height, geometry  # no vertical scrollbar, nothing below the window
    assert scroll_width <= client_width
    assert geometry["block"][0] <= geometry["block"][1]
    assert len(geometry["tiles"]) == (18 if screen == 0 else len(geometry["tiles"])) > 0
    assert all(inside(tile, width, height) for tile in geometry["tiles"]), geometry["tiles"]
    if screen in WITH_CHART:
        chart = geometry["chart"]
        assert chart is not None and inside(chart, width, height), chart
        # The chart takes the height the tiles leave: down to the window's foot, never a 100-pixel strip.
        assert chart[3] >= height - 30 and chart[3] - chart[1] >= height * 0.4, chart
    else:
        assert geometry["chart"] is None


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_screen_fits_the_window(browser, board_server, viewport):
    width, height = VIEWPORTS[viewport]
    page = open_page(browser, f"{board_server}/present?year=2024", (width, height), SCREENS[0])
    page.wait_for_function('() => document.documentElement.lang === "zh-CN"', timeout=10_000)
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    for index, heading in enumerate(SCREENS):
        if index:
            page.get_by_role("button", name="下一屏").click()
        page.get_by_role("heading", name=heading).wait_for(timeout=TIMEOUT)
        page.get_by_text(f"第{index + 1}屏 / 共{len(SCREENS)}屏").wait_for(timeout=TIMEOUT)
        if index in WITH_CHART:
            page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for(timeout=TIMEOUT)
        page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=TIMEOUT)
        page.wait_for_timeout(800)  # let plotly size itself to its container
        # One quiet line instead of the demo banner and the freshness line.
        assert page.locator(".projector-line").inner_text() == (
            "十八条落实看板　·　演示数据（非真实报表）　·　2024年度　·　数据截至 2026-01-29"
        )
        assert page.locator("[data-testid='stAlert']").count() == 0
        fits(page, width, height, index)
        no_error(page)
        screenshot(page, f"present_{viewport}_{index + 1}")
    page.close()


def test_overview_screen_shows_every_measure(browser, board_server):
    page = open_page(browser, f"{board_server}/?mode=present&year=2024", VIEWPORTS["1280x720"], SCREENS[0])
    cells = page.locator(".present-cell")
    cells.nth(17).wait_for(timeout=TIMEOUT)  # the heading can paint before the board under it on a busy machine
    assert cells.count() == 18
    assert cells.nth(8).inner_text().split("\n") == ["第9条专项督查每2年1次", "未达标", "86.3分"]
    counts = [line.split() for line in page.locator(".present-counts").inner_text().split("\n")]
    assert {"达标", "预警", "未达标", "无数据"} <= {status for status, _ in counts}
    assert sum(int(number.removesuffix("条")) for _, number in counts) == 18
    page.get_by_text("第1屏 / 共7屏").wait_for(timeout=TIMEOUT)
    no_error(page)
    page.close()


def test_mode_present_on_any_page_opens_the_projector(browser, board_server):
    """?mode=present is the same mode as /present: it starts with the overview screen, on any page's link."""
    page = open_page(browser, f"{board_server}/measure?m=5&mode=present&year=2024", VIEWPORTS["1920x1080"], SCREENS[0])
    page.get_by_text("第1屏 / 共7屏").wait_for(timeout=TIMEOUT)
    # The header line may arrive a moment after the counter on a busy machine; then the run must have finished.
    page.locator(".projector-line").first.wait_for(timeout=TIMEOUT)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=TIMEOUT)
    assert page.locator(".projector-line").count() == 1
    page.get_by_role("button", name="退出放映").click()
    page.get_by_text("十八条措施落实总览（2024年度）").wait_for(timeout=TIMEOUT)
    page.locator("[data-testid='stSidebar']").wait_for(timeout=TIMEOUT)
    assert "mode=present" not in page.url
    no_error(page)
    page.close()
