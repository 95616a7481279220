"""Sign-in, roles and a 填报单位's scope on the real app (AppTest): what each role may open, what a unit account sees
of its own unit and is refused of others, and the sign-in form's answers (wrong password, throttling, expiry)."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.navigation import allowed_files
from pipeline import audit
from pipeline.access import ROLE_ADMIN, ROLE_ANALYST, ROLE_LEADER, ROLE_UNIT, AccessStore, access_path
from pipeline.registry import load_registry
from pipeline.warehouse import WAREHOUSE_ENV
from tests.accounts import APP, PASSWORD, USERS, ensure_accounts, signed_in


def run(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(app: AppTest) -> str:
    parts = [*app.markdown, *app.subheader, *app.header, *app.caption, *app.error, *app.warning, *app.info]
    return "\n".join(str(p.value) for p in parts)


def audit_rows(action: str, actor: str) -> list[dict]:
    frame = audit.entries(actor=actor, action=action)
    return frame.to_dict("records")


def test_each_role_may_use_its_pages_and_no_more():
    unit = set(allowed_files(ROLE_UNIT))
    assert unit == {
        "app_pages/unit_profile.py", "app_pages/tracker.py", "app_pages/upload.py", "app_pages/measures.py",
        "app_pages/filling_help.py", "app_pages/password.py",
    }  # fmt: skip
    leader, analyst, admin = (set(allowed_files(r)) for r in (ROLE_LEADER, ROLE_ANALYST, ROLE_ADMIN))
    assert "app_pages/upload.py" not in leader and "app_pages/upload.py" in analyst
    assert analyst - leader == {"app_pages/upload.py"}
    assert admin - analyst >= {"app_pages/accounts.py", "app_pages/audit_log.py"}
    assert "app_pages/overview.py" in leader and "app_pages/overview.py" not in unit


@pytest.fixture
def unit_app(monkeypatch, demo_warehouse):
    monkeypatch.setenv(WAREHOUSE_ENV, str(demo_warehouse))
    return signed_in(APP, role=ROLE_UNIT, default_timeout=120)


def test_a_unit_account_opens_on_its_own_unit(unit_app):
    app = run(unit_app)
    assert [h.value for h in app.subheader][0].startswith("单位画像：西安市总工会")
    shown = texts(app)
    for other in ("宝鸡", "咸阳", "渭南", "商洛", "韩城"):
        assert other not in shown
    assert "数据截至" not in shown  # when other units last reported is not the unit's business
    tiles = [h.value for h in app.html if "tile-no" in h.value]
    figures = [t for t in tiles if 'class="tile-figure">' in t and "%" in t]
    assert len(figures) >= 2
    for tile in figures:  # the unit's own tiles name their figures and bars, as the overview's do
        assert re.search(r'class="tile-line tile-metric">[^<]+</span><span class="tile-figure">', tile), tile[:300]
        assert 'class="tile-line tile-target">达标线' in tile


def test_a_unit_account_is_refused_a_staff_page_by_its_link_and_the_refusal_is_audited(unit_app):
    app = run(unit_app)
    app.switch_page("app_pages/measure_detail.py")
    run(app)
    assert any("无权使用“措施详情”页面" in e.value for e in app.error)
    assert not app.subheader  # the page did not run
    rows = audit_rows("access_denied", USERS[ROLE_UNIT])
    assert any(r["对象"] == "措施详情" for r in rows)


def test_a_link_naming_another_unit_shows_the_own_unit_and_says_so(unit_app):
    unit_app.query_params["unit"] = "宝鸡"
    app = run(unit_app)
    assert any("只能查看西安市总工会的数据" in w.value and "（宝鸡市总工会）" in w.value for w in app.warning)
    assert [h.value for h in app.subheader][0].startswith("单位画像：西安市总工会")
    assert texts(app).count("宝鸡") == 1  # only in the refusal
    assert any(r["对象"] == "unit=C03" for r in audit_rows("access_denied", USERS[ROLE_UNIT]))


def test_a_unit_account_sees_only_its_own_row_on_the_tracker(unit_app):
    app = run(unit_app)
    app.switch_page("app_pages/tracker.py")
    run(app)
    assert [h.value for h in app.header] == ["本单位报送情况"]
    table = app.dataframe[0].value
    assert list(table["unit_name"]) == ["西安市总工会"]
    shown = texts(app)
    assert "催报名单" not in shown and "无法识别单位或报表类型的文件" not in shown
    assert "应报1个" in shown


def sign_in_page(monkeypatch, warehouse) -> AppTest:
    monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
    return run(AppTest.from_file(APP, default_timeout=120))


def submit(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input[0].set_value(username)
    app.text_input[1].set_value(password)
    app.button[0].click()
    return run(app)


def test_the_sign_in_form_refuses_a_wrong_password_and_admits_the_right_one(monkeypatch, demo_warehouse):
    ensure_accounts()
    app = sign_in_page(monkeypatch, demo_warehouse)
    assert [t.value for t in app.title] == ["十八条落实看板"]
    assert "总览" not in texts(app)
    submit(app, USERS[ROLE_LEADER], "not-the-password")
    assert [e.value for e in app.error] == ["用户名或密码不正确。"]
    failures = audit_rows("sign_in_failed", USERS[ROLE_LEADER])
    assert failures and failures[0]["说明"] == "密码错误"
    submit(app, USERS[ROLE_LEADER], PASSWORD)
    assert [h.value for h in app.subheader][0].startswith("十八条措施落实总览")
    assert app.session_state["auth_account"].role == ROLE_LEADER
    assert audit_rows("sign_in", USERS[ROLE_LEADER])[0]["结果"] == "成功"


def test_repeated_failures_throttle_the_account_even_for_the_right_password(monkeypatch, demo_warehouse):
    store = ensure_accounts()
    store.add_account(
        "t_throttled", "限流测试", ROLE_LEADER, actor="测试", password=PASSWORD, must_change_password=False
    )
    app = sign_in_page(monkeypatch, demo_warehouse)
    for _ in range(5):
        submit(app, "t_throttled", "wrong-password-1")
    submit(app, "t_throttled", PASSWORD)
    assert any("登录失败次数过多" in e.value and "分钟后再试" in e.value for e in app.error)
    assert "auth_account" not in app.session_state


def test_the_demo_accounts_are_listed_only_for_the_demo_warehouse(monkeypatch, demo_warehouse, tmp_path):
    from pipeline.access import create_demo_accounts

    create_demo_accounts(AccessStore(access_path()), load_registry())
    app = sign_in_page(monkeypatch, demo_warehouse)
    listed = app.table[0].value
    assert set(listed["角色"]) == {ROLE_LEADER, ROLE_ANALYST, ROLE_ADMIN, ROLE_UNIT}
    assert "demo-admin-2025" in set(listed["密码"])
    assert "演示账户" in texts(app)
    empty = sign_in_page(monkeypatch, tmp_path / "empty.duckdb")
    assert not empty.table and "演示账户" not in texts(empty)


def test_an_idle_session_ends_at_the_next_click(monkeypatch, demo_warehouse):
    monkeypatch.setenv(WAREHOUSE_ENV, str(demo_warehouse))
    app = run(signed_in(APP, role=ROLE_ANALYST, default_timeout=120))
    assert app.session_state["auth_account"].role == ROLE_ANALYST
    long_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    with sqlite3.connect(access_path()) as con:  # the session was last seen an hour ago
        con.execute("update sessions set last_seen = ? where username = ?", (long_ago, USERS[ROLE_ANALYST]))
    run(app)
    assert [t.value for t in app.title] == ["十八条落实看板"]
    assert any("长时间未操作" in i.value for i in app.info)
    assert "auth_account" not in app.session_state


def test_a_required_password_change_comes_before_any_page(monkeypatch, demo_warehouse):
    store = ensure_accounts()
    store.add_account("t_fresh", "新账户", ROLE_LEADER, actor="测试", password=PASSWORD)  # must change by default
    monkeypatch.setenv(WAREHOUSE_ENV, str(demo_warehouse))
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["auth_token"] = store.open_session("t_fresh")
    run(app)
    assert any("请先设置新密码" in w.value for w in app.warning)
    assert [h.value for h in app.header] == ["修改密码"]
    assert "十八条措施落实总览" not in texts(app)


def test_every_page_a_unit_may_not_use_refuses_it_without_running(unit_app):
    from dashboard.navigation import PAGE_TABLE

    app = run(unit_app)
    forbidden = [(file, title) for _, file, title, _, _, roles in PAGE_TABLE if ROLE_UNIT not in roles]
    assert len(forbidden) == 12
    for file, title in forbidden:
        app.switch_page(file)
        run(app)
        if file == "app_pages/overview.py":  # the home page: a unit is taken to its own unit instead
            assert app.subheader[0].value.startswith("单位画像：西安市总工会")
            continue
        assert [e.value for e in app.error][0].startswith(
            f"您的账户（填报单位（西安市总工会））无权使用“{title}”页面"
        ), file
        assert not app.subheader and not app.header and not app.get("plotly_chart") and not app.dataframe, file
        assert not app.download_button, file


def test_a_download_is_audited_when_it_is_built_with_who_asked_for_it(monkeypatch):
    from dashboard import auth

    monkeypatch.setattr(auth, "actor", lambda: "t_download")
    monkeypatch.setattr(auth, "client_address", lambda: "10.0.0.8")
    build = auth.audited_download(lambda: b"data", document="2025年度催报名单", file_name="催报名单.xlsx",
                                  version="实时数据，第12批")  # fmt: skip
    assert audit_rows("export", "t_download") == []  # nothing is recorded until the file is built
    assert build() == b"data"
    [row] = audit_rows("export", "t_download")
    assert (row["对象"], row["地址"], row["说明"]) == (
        "催报名单.xlsx",
        "10.0.0.8",
        "文件：2025年度催报名单；数据版本：实时数据，第12批",
    )


def test_single_sign_on_maps_a_known_identity_to_its_account_and_refuses_an_unknown_one(monkeypatch, demo_warehouse):
    from dashboard import auth

    store = ensure_accounts()
    store.set_identity(USERS[ROLE_UNIT], "xian.union@example.cn", actor="测试")
    monkeypatch.setattr(auth, "sso_configured", lambda: True)
    monkeypatch.setattr(auth, "sso_identity", lambda: "xian.union@example.cn")
    app = sign_in_page(monkeypatch, demo_warehouse)  # no password: st.login has proved who this is
    assert app.session_state["auth_account"].username == USERS[ROLE_UNIT]
    assert app.subheader[0].value.startswith("单位画像：西安市总工会")
    assert audit_rows("sign_in", USERS[ROLE_UNIT])[0]["说明"] == "统一身份认证"

    monkeypatch.setattr(auth, "sso_identity", lambda: "stranger@example.cn")
    stranger = sign_in_page(monkeypatch, demo_warehouse)
    assert "尚未开通本看板的账户" in stranger.error[0].value
    assert "auth_account" not in stranger.session_state and not stranger.subheader
    assert [b.label for b in stranger.button] == ["退出统一身份认证"]


def test_the_client_address_comes_from_the_local_proxys_header_only():
    from dashboard.auth import address_of

    assert address_of(None, "203.0.113.9") == "203.0.113.9"  # through the reverse proxy on this machine
    assert address_of(None, "10.1.1.1, 203.0.113.9") == "203.0.113.9"  # the proxy's own (last) entry
    assert address_of("198.51.100.7", "203.0.113.9") == "198.51.100.7"  # a direct client cannot choose its address
    assert address_of(None, "") == "" and address_of(object(), "x") == ""
