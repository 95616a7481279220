"""账户管理, 操作日志 and 修改密码 under AppTest, each page file run directly as a signed-in account."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipeline import audit
from pipeline.access import ROLE_ADMIN, ROLE_LEADER, ROLE_UNIT, AccessStore
from pipeline.warehouse import WAREHOUSE_ENV

PAGES = Path(__file__).resolve().parent.parent / "app_pages"
ADMIN_PASSWORD = "admin-pass-2025"


@pytest.fixture
def store(monkeypatch, tmp_path) -> AccessStore:
    monkeypatch.setenv(audit.ACCESS_ENV, str(tmp_path / "access.sqlite"))
    monkeypatch.setenv(WAREHOUSE_ENV, str(tmp_path / "warehouse.duckdb"))  # created empty: the shipped registry
    monkeypatch.setattr(auth, "client_address", lambda: "10.0.0.8")  # AppTest has no request
    store = AccessStore(tmp_path / "access.sqlite")
    store.add_account(
        "boss", "省总管理员", ROLE_ADMIN, actor="测试", password=ADMIN_PASSWORD, must_change_password=False
    )
    return store


def open_page(store: AccessStore, page: str, username: str = "boss") -> AppTest:
    app = AppTest.from_file(str(PAGES / page), default_timeout=60)
    app.session_state["auth_token"] = store.open_session(username)
    app.session_state["auth_account"] = store.account(username)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def listed(app: AppTest) -> dict[str, dict]:
    table = app.dataframe[0].value
    return {row["用户名"]: row for row in table.to_dict("records")}


def submit(app: AppTest, label: str) -> AppTest:
    next(b for b in app.button if b.label == label).click()
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


# -- 账户管理 ----------------------------------------------------------------------------------------------------------


def test_admin_adds_a_unit_account_and_sees_it_listed(store):
    app = open_page(store, "accounts.py")
    assert list(listed(app)) == ["boss"]
    app.text_input(key="add_username").input("xian_zhang")
    app.text_input(key="add_display").input("<b>西安</b> 张三")
    app.selectbox(key="add_role").select(ROLE_UNIT)
    app.selectbox(key="add_unit").set_value("C01")
    submit(app, "新增账户")
    assert [s.value for s in app.success] == ["已新增账户 xian\\_zhang（填报单位）。"]
    row = listed(app)["xian_zhang"]
    assert (row["显示名"], row["角色"], row["所属单位"], row["状态"]) == (
        "<b>西安</b> 张三",
        ROLE_UNIT,
        "西安市总工会",
        "待改密码",
    )
    password = app.code[0].value
    assert len(password) == 19
    account = store.sign_in("xian_zhang", password).account
    assert account.unit_code == "C01" and account.must_change_password
    newest = audit.entries(store.path, limit=1).iloc[0]
    assert (newest["用户"], newest["操作"], newest["对象"], newest["地址"]) == (
        "boss",
        "新增账户",
        "xian_zhang",
        "10.0.0.8",
    )
    # The one-time password is shown once: the next run no longer has it.
    app.run()
    assert not app.code and not app.success
    assert app.text_input(key="add_username").value == ""


def test_a_unit_account_without_a_unit_is_refused_on_the_page(store):
    app = open_page(store, "accounts.py")
    app.text_input(key="add_username").input("xian")
    app.selectbox(key="add_role").select(ROLE_UNIT)
    submit(app, "新增账户")
    assert [e.value for e in app.error] == ["“填报单位”账户必须指定所属单位。"]
    assert list(listed(app)) == ["boss"] and not app.code
    assert app.text_input(key="add_username").value == "xian"


def test_admin_resets_disables_and_changes_a_role(store):
    store.add_account("li", "李", ROLE_LEADER, actor="boss", password="li-password-1")
    app = open_page(store, "accounts.py")
    app.selectbox(key="accounts_picked").set_value("li")
    app.run()
    submit(app, "重置密码")
    one_time = app.code[0].value
    assert store.sign_in("li", one_time).ok and not store.sign_in("li", "li-password-1").ok
    submit(app, "停用账户")
    assert listed(app)["li"]["状态"] == "停用"
    assert store.account("li").disabled
    submit(app, "启用账户")
    app.selectbox(key="edit_role_li").select(ROLE_UNIT)
    app.selectbox(key="edit_unit_li").set_value("C03")
    submit(app, "变更角色")
    assert listed(app)["li"]["所属单位"] == "宝鸡市总工会"
    actions = audit.entries(store.path, actor="boss")["操作"].tolist()[:4]
    assert actions == ["变更角色或单位", "启用账户", "停用账户", "重置密码"]


def test_admin_cannot_disable_the_account_in_use(store):
    app = open_page(store, "accounts.py")
    submit(app, "停用账户")
    assert [e.value for e in app.error] == ["不能停用自己正在使用的账户；如需停用，请由另一位管理员操作。"]
    assert not store.account("boss").disabled


def test_accounts_page_refuses_other_roles(store):
    store.add_account("li", "李", ROLE_LEADER, actor="boss", password="li-password-1", must_change_password=False)
    app = open_page(store, "accounts.py", "li")
    assert "无权使用“账户管理”页面" in app.error[0].value
    assert not app.dataframe
    newest = audit.entries(store.path, limit=1).iloc[0]
    assert (newest["用户"], newest["操作"], newest["对象"]) == ("li", "拒绝访问", "账户管理")


# -- 操作日志 ----------------------------------------------------------------------------------------------------------


def test_log_page_filters_and_offers_the_filtered_rows_as_excel(store):
    now = datetime.now(UTC)
    audit.record("upload", actor="wang", target="演示_西安_R1_2025.xlsx", outcome="已接收", path=store.path, at=now)
    audit.record("export", actor="li", target='=HYPERLINK("http://x","y")', outcome="成功", path=store.path, at=now)
    # Outside the default range (the last 30 days): not shown until the range is widened.
    audit.record("sign_in", actor="old", path=store.path, at=now - timedelta(days=40))
    app = open_page(store, "audit_log.py")
    assert app.dataframe[0].value["用户"].tolist() == ["li", "wang", "测试"]

    app.selectbox(key="audit_actor").select("wang")
    app.run()
    assert app.dataframe[0].value["对象"].tolist() == ["演示_西安_R1_2025.xlsx"]

    app.selectbox(key="audit_actor").select("")
    app.selectbox(key="audit_action").select("export")
    app.run()
    assert app.dataframe[0].value["对象"].tolist() == ['=HYPERLINK("http://x","y")']
    download = app.get("download_button")[0]
    assert download.proto.label == "下载 Excel（筛选后的全部记录）"
    # The workbook is built (and the export audited, see test_audit) only when the button is clicked.
    assert download.proto.HasField("deferred_file_id")
    assert audit.entries(store.path, action="export")["用户"].tolist() == ["li"]

    app.selectbox(key="audit_action").select("")
    app.text_input(key="audit_text").input("西安")
    app.run()
    assert app.dataframe[0].value["用户"].tolist() == ["wang"]

    app.text_input(key="audit_text").input("没有这个")
    app.run()
    assert not app.dataframe and "没有符合条件的记录" in app.info[0].value

    app.text_input(key="audit_text").input("")
    app.date_input(key="audit_dates").set_value(((now - timedelta(days=41)).date(), (now - timedelta(days=39)).date()))
    app.run()
    assert app.dataframe[0].value["用户"].tolist() == ["old"]


def test_log_workbook_matches_the_filtered_rows(store):
    audit.record("export", actor="li", target='=HYPERLINK("http://x","y")', path=store.path)
    workbook = audit.entries_xlsx(audit.entries(store.path, action="export"))
    sheet = load_workbook(io.BytesIO(workbook)).active
    assert sheet["D2"].value == '\'=HYPERLINK("http://x","y")'


# -- 修改密码 ----------------------------------------------------------------------------------------------------------


def fill_password(app: AppTest, current: str, new: str, repeat: str) -> AppTest:
    fields = {t.label: t for t in app.text_input}
    fields["当前密码"].input(current)
    fields["新密码"].input(new)
    fields["再次输入新密码"].input(repeat)
    return submit(app, "修改密码")


def test_a_wrong_current_password_is_refused(store):
    app = open_page(store, "password.py")
    fill_password(app, "not-my-password", "a-new-passphrase", "a-new-passphrase")
    assert [e.value for e in app.error] == ["当前密码不正确，密码未修改。"]
    assert store.sign_in("boss", ADMIN_PASSWORD).ok
    newest = audit.entries(store.path, action="password_changed").iloc[0]
    assert (newest["用户"], newest["结果"], newest["说明"]) == ("boss", "失败", "当前密码不正确")


def test_mismatched_repeat_and_weak_password_are_refused(store):
    app = open_page(store, "password.py")
    fill_password(app, ADMIN_PASSWORD, "a-new-passphrase", "a-new-passphrasf")
    assert [e.value for e in app.error] == ["两次输入的新密码不一致，请重新输入。"]
    fill_password(app, ADMIN_PASSWORD, "short", "short")
    assert [e.value for e in app.error] == ["密码至少需要 10 个字符（现在是 5 个）。"]
    assert store.sign_in("boss", ADMIN_PASSWORD).ok


def test_changing_the_password_keeps_the_session_and_clears_the_required_change(store):
    password = store.reset_password("boss", actor="测试")
    app = open_page(store, "password.py")
    token = app.session_state["auth_token"]
    assert app.session_state["auth_account"].must_change_password
    fill_password(app, password, "a-new-passphrase", "a-new-passphrase")
    assert "密码已修改" in app.success[0].value
    assert not app.session_state["auth_account"].must_change_password
    assert store.session(token).username == "boss"
    assert store.sign_in("boss", "a-new-passphrase").ok
