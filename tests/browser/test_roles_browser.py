"""Each role in Debian's Chromium: signing in through the form, what the menu lists, a forbidden page reached by its
link, a link naming another unit, a wrong password, throttling and an idle session's end."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.access import ROLE_ADMIN, ROLE_ANALYST, ROLE_LEADER, ROLE_UNIT, AccessStore, access_path
from tests.accounts import PASSWORD, USERS, ensure_accounts
from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser

MENUS = {
    ROLE_UNIT: ["本单位情况", "本单位报送", "数据上传", "十八条原文", "填报说明", "修改密码"],
    ROLE_LEADER: ["总览", "措施详情", "放映模式", "组织覆盖", "经费保障", "督查结果", "干部队伍", "单位画像",
                  "报送情况", "会议以来变化", "导出", "十八条原文", "填报说明", "修改密码"],
}  # fmt: skip
MENUS[ROLE_ANALYST] = MENUS[ROLE_LEADER][:11] + ["数据上传"] + MENUS[ROLE_LEADER][11:]
MENUS[ROLE_ADMIN] = MENUS[ROLE_ANALYST][:-1] + ["系统设置", "账户管理", "操作日志", "修改密码"]


def sign_in(page, username: str, password: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def failed_sign_ins(username: str) -> int:
    """The failed sign-ins the server's access database holds for the account (the test process shares it)."""
    with sqlite3.connect(access_path()) as con:
        return con.execute("select count(*) from failed_sign_ins where username = ?", (username,)).fetchone()[0]


def wait_until_recorded(page, username: str, count: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while failed_sign_ins(username) < count:
        assert time.monotonic() < deadline, f"{timeout_s} 秒内没有记下第 {count} 次登录失败"
        page.wait_for_timeout(100)


def sign_in_page(browser, url: str, path: str = "", size=(1280, 720)):
    page = browser.anonymous(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page.goto(url + path)
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)
    return page


def menu(page) -> list[str]:
    page.locator("[data-testid='stSidebarNavLink']").first.wait_for(timeout=30_000)
    return [t.split("\n")[-1].strip() for t in page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()]


@pytest.mark.parametrize("role", [ROLE_UNIT, ROLE_LEADER, ROLE_ANALYST, ROLE_ADMIN])
def test_each_role_signs_in_and_its_menu_lists_only_its_pages(browser, demo_server, role):
    ensure_accounts()
    page = sign_in_page(browser, demo_server)
    sign_in(page, USERS[role], PASSWORD)
    assert menu(page) == MENUS[role]
    page.get_by_text(f"测试{role}").wait_for(timeout=30_000)  # the account box names who is signed in
    page.get_by_role("button", name="登录", exact=True).wait_for(state="detached", timeout=30_000)  # form gone
    wait_for_app(page)
    if role == ROLE_UNIT:
        page.get_by_text("单位画像：西安市总工会").wait_for(timeout=30_000)
        screenshot(page, "signed_in_unit_1280x720")
    page.close()


def test_a_forbidden_page_by_its_link_shows_a_refusal_not_the_page(browser, demo_server):
    page = browser.new_page(role=ROLE_UNIT, viewport={"width": 1280, "height": 720}, locale="zh-CN")
    page.goto(demo_server + "/measure?m=5")
    page.get_by_text("无权使用“措施详情”页面").wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert "落实情况解读" not in body and "宝鸡" not in body
    assert page.locator(".js-plotly-plot").count() == 0
    screenshot(page, "forbidden_measure_unit_1280x720")
    page.goto(demo_server + "/settings")
    page.get_by_text("无权使用“系统设置”页面").wait_for(timeout=30_000)
    page.close()


def test_a_link_naming_another_unit_shows_only_the_own_unit(browser, demo_server):
    page = browser.new_page(role=ROLE_UNIT, viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page.goto(demo_server + "/unit?unit=宝鸡")
    page.get_by_text("单位画像：西安市总工会").wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert "只能查看西安市总工会的数据" in body and "链接中指定的单位（宝鸡市总工会）" in body
    assert body.count("宝鸡") == 1  # only in the refusal, which names what the link asked for
    page.close()


def test_a_wrong_password_is_refused_and_repeated_failures_throttle_the_account(browser, demo_server):
    store = ensure_accounts()
    if store.account("t_browser_throttle") is None:
        store.add_account("t_browser_throttle", "限流", ROLE_LEADER, actor="测试", password=PASSWORD,
                          must_change_password=False)  # fmt: skip
    page = sign_in_page(browser, demo_server, size=(1920, 1080))
    wait_for_app(page)
    screenshot(page, "sign_in_1920x1080")
    recorded = failed_sign_ins("t_browser_throttle")
    sign_in(page, "t_browser_throttle", "wrong-password-0")
    page.get_by_text("用户名或密码不正确。").wait_for(timeout=30_000)
    for attempt in range(1, 5):
        # Each failure recorded before the next try: on a busy machine a click during the previous run's rerun
        # could otherwise be taken for the same try, and the right password would then get in.
        wait_until_recorded(page, "t_browser_throttle", recorded + attempt)
        sign_in(page, "t_browser_throttle", f"wrong-password-{attempt}")
    wait_until_recorded(page, "t_browser_throttle", recorded + 5)
    sign_in(page, "t_browser_throttle", PASSWORD)
    page.get_by_text("登录失败次数过多").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stSidebarNavLink']").count() == 0
    screenshot(page, "sign_in_throttled_1920x1080")  # the page was opened at 1920×1080
    page.close()


def test_an_idle_session_ends_and_a_reload_keeps_a_live_one(browser, demo_server):
    ensure_accounts()
    page = sign_in_page(browser, demo_server)
    sign_in(page, USERS[ROLE_ANALYST], PASSWORD)
    assert "数据上传" in menu(page)
    page.wait_for_timeout(1500)  # the session cookie is written on the run after the sign-in
    page.reload()
    assert "数据上传" in menu(page)  # a reload keeps the session (the cookie)
    long_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    with sqlite3.connect(access_path()) as con:
        con.execute("update sessions set last_seen = ? where username = ?", (long_ago, USERS[ROLE_ANALYST]))
    page.get_by_role("link", name="十八条原文").click()
    page.get_by_text("长时间未操作").wait_for(timeout=30_000)
    # exact: until the run ends, the signed-in sidebar's "退出登录" may still be on the page beside the form's button
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)
    page.reload()
    page.get_by_role("button", name="登录", exact=True).wait_for(timeout=30_000)  # the ended session is not restored
    page.close()


def test_the_sign_in_page_lists_the_demo_accounts_as_demo(browser, demo_server):
    from pipeline.access import create_demo_accounts
    from pipeline.registry import load_registry

    create_demo_accounts(AccessStore(access_path()), load_registry())
    page = sign_in_page(browser, demo_server)
    page.get_by_text("demo-leader-2025").wait_for(timeout=30_000)
    wait_for_app(page)
    body = page.inner_text("body")
    assert "演示账户" in body and "demo_xian" in body and "填报单位" in body
    screenshot(page, "sign_in_demo_1280x720")
    page.close()
