"""What a person sees in Chromium: Chinese text, the demo banner, no error element."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser
VIEWPORTS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720)}


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_measures_page_shows_the_eighteen_measures_with_the_demo_banner(browser, demo_server, viewport):
    width, height = VIEWPORTS[viewport]
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(demo_server + "/measures")
    wait_for_app(page)
    page.get_by_text("第18条").first.wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert "十八条落实看板" in body
    assert "演示数据" in body
    assert "一、建立全省产业工会重大事项重要工作交流制度" in body
    assert "每3年召开1次全省产业工会工作会议" in body
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, f"measures_{viewport}")
    page.close()


def test_empty_warehouse_says_what_to_do(browser, empty_server):
    page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    page.goto(empty_server)
    wait_for_app(page)
    page.get_by_text("还没有已接收的报表").wait_for(timeout=30_000)
    assert "当前看板展示的是系统生成的演示数据" not in page.inner_text("body")
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "measures_empty")
    page.close()


def test_a_deep_link_on_a_freshly_started_server_goes_through_app_py(browser, demo_warehouse, tmp_path):
    """A leader opening a shared link right after a restart must get the full page: navigation, year, banner."""
    from tests.browser.conftest import start_dashboard, stop_dashboard

    process, url = start_dashboard(demo_warehouse, tmp_path / "streamlit.log")
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 720}, locale="zh-CN")
        page.goto(url + "/coverage")
        wait_for_app(page)
        page.get_by_text("当前看板展示的是系统生成的演示数据").wait_for(timeout=30_000)
        body = page.inner_text("body")
        assert "组织覆盖" in body and "报表年度" in body
        assert "Page not found" not in body and "coverage" not in body.split("组织覆盖")[0]
        screenshot(page, "deep_link_cold_server")
        page.close()
    finally:
        stop_dashboard(process)
