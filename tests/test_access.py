"""Accounts, passwords, throttling and sessions (pipeline/access.py), with an injected clock."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from pipeline import audit
from pipeline.access import (
    ADMIN_PASSWORD_ENV,
    DEMO_ACCOUNTS,
    ROLE_ADMIN,
    ROLE_ANALYST,
    ROLE_LEADER,
    ROLE_UNIT,
    WRONG_CREDENTIALS,
    AccessError,
    AccessStore,
    access_path,
    create_demo_accounts,
    ensure_admin,
    generate_password,
    idle_timeout,
    password_problem,
    retire_demo_accounts,
)
from pipeline.registry import load_registry

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
# Cheap argon2 parameters: the tests hash dozens of passwords.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
GOOD = "correct-horse-77"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path, clock) -> AccessStore:
    return AccessStore(tmp_path / "access.sqlite", clock=clock, idle=timedelta(minutes=30), hasher=FAST)


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def add(store: AccessStore, username: str = "wang", role: str = ROLE_ANALYST, **kwargs) -> str:
    return store.add_account(username, "王分析", role, actor="admin", password=kwargs.pop("password", GOOD), **kwargs)


def audit_rows(store: AccessStore) -> list[tuple]:
    con = sqlite3.connect(store.path)
    try:
        return con.execute(
            "select actor, action, target, outcome, detail, address from audit_log order by id"
        ).fetchall()
    finally:
        con.close()


# -- passwords ---------------------------------------------------------------------------------------------------------


def test_password_policy_reasons_in_chinese():
    assert password_problem("short", "wang") == "密码至少需要 10 个字符（现在是 5 个）。"
    assert password_problem("Zhangsan01", "zhangsan01") == "密码不能与用户名相同。"
    assert password_problem("          ", "wang") == "密码不能全是空格。"
    assert password_problem("a-long-passphrase", "wang") is None


def test_generated_passwords_are_readable_and_random():
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 19 and password.count("-") == 3
        assert not set(password) & set("0O1lIo")
        assert password_problem(password) is None


def test_password_is_stored_as_argon2id_and_never_in_clear(store):
    add(store)
    con = sqlite3.connect(store.path)
    stored = con.execute("select password_hash from accounts where username = 'wang'").fetchone()[0]
    con.close()
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert GOOD.encode() not in store.path.read_bytes()


def test_add_account_refuses_a_weak_password_and_a_taken_name(store):
    with pytest.raises(AccessError, match="至少需要 10 个字符"):
        add(store, password="short")
    add(store)
    with pytest.raises(AccessError, match="用户名“WANG”已被使用"):
        add(store, "WANG")


def test_a_name_taken_at_the_same_moment_is_refused_in_chinese(store, monkeypatch):
    add(store)
    monkeypatch.setattr(store, "_row", lambda con, username: None)  # as if the other insert landed after our check
    with pytest.raises(AccessError, match="已被使用"):
        add(store, "Wang")


def test_a_generated_one_time_password_signs_in_and_must_be_changed(store):
    password = store.add_account("li", "李", ROLE_LEADER, actor="admin")
    result = store.sign_in("li", password)
    assert result.ok and result.account.must_change_password
    store.change_password("li", password, "a-new-passphrase")
    assert store.sign_in("li", "a-new-passphrase").account.must_change_password is False


def test_rehash_when_parameters_change(tmp_path, clock):
    path = tmp_path / "access.sqlite"
    AccessStore(path, clock=clock, hasher=FAST).add_account("wang", "王", ROLE_LEADER, actor="a", password=GOOD)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    assert AccessStore(path, clock=clock, hasher=stronger).sign_in("wang", GOOD).ok
    con = sqlite3.connect(path)
    stored = con.execute("select password_hash from accounts").fetchone()[0]
    con.close()
    assert "m=2048,t=2,p=1" in stored


def test_unit_accounts_need_a_reporting_unit_of_the_registry(store, registry):
    with pytest.raises(AccessError, match="必须指定所属单位"):
        store.add_account("xa", "西安", ROLE_UNIT, actor="admin", registry=registry)
    with pytest.raises(AccessError, match="不要填写单位"):
        store.add_account("ld", "领导", ROLE_LEADER, "C01", actor="admin", registry=registry)
    with pytest.raises(AccessError, match="没有代码为“X99”的单位"):
        store.add_account("xa", "西安", ROLE_UNIT, "X99", actor="admin", registry=registry)
    county = registry.counties_of("C01")[0]
    with pytest.raises(AccessError, match="只能属于市级总工会或省级产业工会"):
        store.add_account("xa", "西安", ROLE_UNIT, county.code, actor="admin", registry=registry)
    store.add_account("xa", "西安", ROLE_UNIT, "C01", actor="admin", registry=registry)
    assert store.account("XA").unit_code == "C01"


# -- signing in and throttling ---------------------------------------------------------------------------------------


def test_unknown_user_and_wrong_password_read_the_same(store):
    add(store)
    unknown = store.sign_in("nobody", GOOD, address="10.0.0.1")
    wrong = store.sign_in("wang", "wrong-password", address="10.0.0.1")
    assert unknown.message == wrong.message == WRONG_CREDENTIALS
    assert not unknown.ok and not wrong.ok
    # Only the audit trail is told which it was; signing in itself writes no audit row (the page does).
    assert (unknown.reason, wrong.reason) == ("用户名不存在", "密码错误")
    assert [row[1] for row in audit_rows(store)] == ["account_added"]


def test_disabled_account_says_so_only_after_the_right_password(store):
    add(store)
    add(store, "boss", ROLE_ADMIN)
    store.disable("wang", actor="boss")
    assert store.sign_in("wang", "wrong-password").message == WRONG_CREDENTIALS
    disabled = store.sign_in("wang", GOOD)
    assert (disabled.message, disabled.reason) == ("该账户已停用。如需继续使用，请联系系统管理员。", "账户已停用")
    store.enable("wang", actor="boss")
    assert store.sign_in("wang", GOOD).ok


def test_throttling_per_account_refuses_even_the_right_password(store, clock):
    add(store)
    for _ in range(5):
        clock.advance(seconds=30)
        assert store.sign_in("wang", "wrong-password", address=f"10.0.0.{_}").message == WRONG_CREDENTIALS
    refused = store.sign_in("wang", GOOD, address="10.9.9.9")
    # The first failure was at 08:00:30; it leaves the 15-minute window at 08:15:30, 13 min after 08:02:30.
    assert refused.message == "登录失败次数过多，已暂停登录，请 13 分钟后再试。"
    assert refused.reason == "失败次数过多，暂停登录"
    clock.advance(minutes=12, seconds=59)
    assert not store.sign_in("wang", GOOD).ok
    clock.advance(seconds=2)
    assert store.sign_in("wang", GOOD).ok


def test_a_success_clears_the_account_counter(store, clock):
    add(store)
    for _ in range(4):
        store.sign_in("wang", "wrong-password")
    assert store.sign_in("wang", GOOD).ok
    for _ in range(4):
        store.sign_in("wang", "wrong-password")
    assert store.sign_in("wang", GOOD).ok


def test_throttling_per_address_across_accounts(store, clock):
    add(store)
    for n in range(20):
        store.sign_in(f"guess{n}", "wrong-password", address="203.0.113.5")
    assert store.sign_in("wang", GOOD, address="203.0.113.5").message.startswith("登录失败次数过多")
    assert store.sign_in("wang", GOOD, address="198.51.100.7").ok
    clock.advance(minutes=15, seconds=1)
    assert store.sign_in("wang", GOOD, address="203.0.113.5").ok


def test_unknown_names_are_throttled_like_real_ones(store):
    for _ in range(5):
        store.sign_in("ghost", "wrong-password")
    assert store.sign_in("ghost", "wrong-password").message.startswith("登录失败次数过多")


# -- sessions ----------------------------------------------------------------------------------------------------------


def test_session_idle_expiry_is_touched_by_use(store, clock):
    add(store)
    token = store.open_session("wang")
    assert len(token) >= 43
    clock.advance(minutes=29)
    assert store.session(token).username == "wang"
    clock.advance(minutes=29)
    assert store.session(token).username == "wang"
    clock.advance(minutes=30, seconds=1)
    assert store.session(token) is None
    clock.advance(seconds=1)
    assert store.session(token) is None


def test_session_absolute_lifetime(store, clock):
    add(store)
    token = store.open_session("wang")
    for _ in range(12 * 4):
        clock.advance(minutes=15)
        assert store.session(token) is not None
    clock.advance(minutes=1)
    assert store.session(token) is None


def test_old_sessions_and_failures_are_dropped(store, clock):
    add(store)
    store.sign_in("wang", "wrong-password", address="10.0.0.1")
    old = store.open_session("wang")
    clock.advance(hours=12, minutes=1)
    fresh = store.open_session("wang")
    con = sqlite3.connect(store.path)
    counts = [con.execute(f"select count(*) from {table}").fetchone()[0] for table in ("sessions", "failed_sign_ins")]
    con.close()
    assert counts == [1, 0]
    assert store.session(old) is None and store.session(fresh).username == "wang"


def test_token_is_stored_hashed(store):
    add(store)
    token = store.open_session("wang")
    assert token.encode() not in store.path.read_bytes()
    assert store.session(token + "x") is None and store.session("") is None


def test_disable_and_reset_close_sessions(store):
    add(store)
    add(store, "boss", ROLE_ADMIN)
    first = store.open_session("wang")
    store.disable("wang", actor="boss")
    assert store.session(first) is None
    store.enable("wang", actor="boss")
    assert store.session(first) is None
    second = store.open_session("wang")
    one_time = store.reset_password("wang", actor="boss")
    assert store.session(second) is None
    assert store.sign_in("wang", GOOD).message == WRONG_CREDENTIALS
    assert store.sign_in("wang", one_time).account.must_change_password


def test_change_password_keeps_this_session_and_ends_the_others(store):
    add(store)
    here, elsewhere = store.open_session("wang"), store.open_session("wang")
    with pytest.raises(AccessError, match="当前密码不正确"):
        store.change_password("wang", "not-the-password", "another-passphrase", keep_session=here)
    with pytest.raises(AccessError, match="至少需要 10 个字符（现在是 4 个）"):
        store.change_password("wang", GOOD, "WANG", keep_session=here)
    with pytest.raises(AccessError, match="新密码不能与当前密码相同"):
        store.change_password("wang", GOOD, GOOD, keep_session=here)
    store.change_password("wang", GOOD, "another-passphrase", keep_session=here)
    assert store.session(here).username == "wang"
    assert store.session(elsewhere) is None
    assert store.sign_in("wang", "another-passphrase").ok


def test_close_session_signs_out(store):
    add(store)
    token, other = store.open_session("wang"), store.open_session("wang")
    store.close_session(token)
    store.close_session(token)
    assert store.session(token) is None
    assert store.session(other).username == "wang"


def test_idle_timeout_from_the_environment():
    assert idle_timeout({}) == timedelta(minutes=30)
    assert idle_timeout({"SHIBATIAO_SESSION_IDLE_MINUTES": "5"}) == timedelta(minutes=5)
    assert idle_timeout({"SHIBATIAO_SESSION_IDLE_MINUTES": "soon"}) == timedelta(minutes=30)


def test_access_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SHIBATIAO_ACCESS_DB", str(tmp_path / "x.sqlite"))
    assert access_path() == tmp_path / "x.sqlite"


# -- roles, identity and the last administrator --------------------------------------------------------------------


def test_set_role_and_the_last_admin_is_kept(store, registry):
    add(store, "boss", ROLE_ADMIN)
    with pytest.raises(AccessError, match="最后一个启用的管理员"):
        store.disable("boss", actor="boss")
    with pytest.raises(AccessError, match="最后一个启用的管理员"):
        store.set_role("boss", ROLE_LEADER, actor="boss")
    add(store)
    store.set_role("wang", ROLE_UNIT, "C03", actor="boss", registry=registry)
    assert (store.account("wang").role, store.account("wang").unit_code) == (ROLE_UNIT, "C03")
    assert audit_rows(store)[-1][:5] == ("boss", "role_changed", "wang", "成功", "分析员 → 填报单位（宝鸡市总工会）")


def test_identity_maps_an_enabled_account(store):
    add(store, identity="Wang@Example.org")
    add(store, "boss", ROLE_ADMIN)
    assert store.account_for_identity("wang@example.org").username == "wang"
    assert store.account_for_identity("other@example.org") is None
    with pytest.raises(AccessError, match="已对应另一个账户"):
        store.set_identity("boss", "wang@example.org", actor="boss")
    store.disable("wang", actor="boss")
    assert store.account_for_identity("wang@example.org") is None


# -- audit rows of account actions ---------------------------------------------------------------------------------


def test_every_account_action_is_audited_with_its_actor(store, registry):
    store.add_account("boss", "管理员", ROLE_ADMIN, actor="命令行:root", password=GOOD)
    store.add_account("xa", "西安填报", ROLE_UNIT, "C01", actor="boss", registry=registry, address="10.1.1.1")
    password = store.reset_password("xa", actor="boss", address="10.1.1.1")
    with pytest.raises(AccessError):
        store.change_password("xa", "a-wrong-guess", "xian-new-passphrase", address="10.2.2.2")
    store.change_password("xa", password, "xian-new-passphrase", address="10.2.2.2")
    store.disable("xa", actor="boss", address="10.1.1.1")
    store.enable("xa", actor="boss", address="10.1.1.1")
    assert [row[:4] for row in audit_rows(store)] == [
        ("命令行:root", "account_added", "boss", "成功"),
        ("boss", "account_added", "xa", "成功"),
        ("boss", "password_reset", "xa", "成功"),
        ("xa", "password_changed", "xa", "失败"),
        ("xa", "password_changed", "xa", "成功"),
        ("boss", "account_disabled", "xa", "成功"),
        ("boss", "account_enabled", "xa", "成功"),
    ]
    rows = audit_rows(store)
    assert rows[1][4] == "角色：填报单位；单位：西安市总工会" and rows[1][5] == "10.1.1.1"
    assert rows[3][4:] == ("当前密码不正确", "10.2.2.2")
    assert password not in str(rows)


# -- first run and demo accounts -------------------------------------------------------------------------------------


def test_ensure_admin_prints_a_one_time_password_once(store):
    printed: list[str] = []
    assert ensure_admin(store, {}, printed.append) == "admin"
    assert len(printed) == 1 and "一次性密码：" in printed[0] and "只显示这一次" in printed[0]
    password = printed[0].split("一次性密码：")[1].split("\n")[0]
    result = store.sign_in("admin", password)
    assert result.account.role == ROLE_ADMIN and result.account.must_change_password
    assert ensure_admin(store, {}, printed.append) is None
    assert len(printed) == 1


def test_ensure_admin_from_the_environment(store):
    printed: list[str] = []
    with pytest.raises(AccessError, match="SHIBATIAO_ADMIN_PASSWORD.*至少需要 10 个字符"):
        ensure_admin(store, {ADMIN_PASSWORD_ENV: "admin"}, printed.append)
    assert store.accounts() == [] and printed == []
    ensure_admin(store, {ADMIN_PASSWORD_ENV: "set-by-the-operator"}, printed.append)
    assert "set-by-the-operator" not in printed[0] and "首次登录后须修改密码" in printed[0]
    assert store.sign_in("admin", "set-by-the-operator").account.must_change_password


def test_ensure_admin_revives_a_disabled_admin_name(store):
    add(store, "admin", ROLE_LEADER)
    add(store, "old", ROLE_ADMIN)
    con = sqlite3.connect(store.path)
    with con:
        con.execute("update accounts set disabled = 1 where username = 'old'")
    con.close()
    ensure_admin(store, {ADMIN_PASSWORD_ENV: "set-by-the-operator"}, lambda _: None)
    account = store.sign_in("admin", "set-by-the-operator").account
    assert account.role == ROLE_ADMIN and not account.disabled and account.must_change_password


def test_demo_accounts_are_idempotent(store, registry):
    first = create_demo_accounts(store, registry)
    assert [(d.role, d.unit_code) for d in first] == [
        (ROLE_LEADER, None),
        (ROLE_ANALYST, None),
        (ROLE_ADMIN, None),
        (ROLE_UNIT, "C01"),
    ]
    assert first[3].display_name == "演示填报单位（西安市总工会）"
    assert tuple((d.username, d.password, d.role) for d in first) == DEMO_ACCOUNTS
    rows = len(audit_rows(store))
    second = create_demo_accounts(store, registry)
    assert second == first and len(audit_rows(store)) == rows == 4
    for demo in first:
        account = store.sign_in(demo.username, demo.password).account
        assert account.is_demo and not account.must_change_password
    assert ensure_admin(store, {}, lambda _: None) is None


def test_audit_table_is_shared_with_the_store(store):
    add(store)
    assert audit.entries(store.path)["操作"].tolist() == ["新增账户"]


# -- the command line (pipeline/access_cli.py) -------------------------------------------------------------------------


def cli(argv: list[str], path) -> int | None:
    import argparse

    from pipeline import access_cli

    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, default=None)
    access_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([argv[0], "--access-db", str(path), *argv[1:]])
    return access_cli.run(args)


def test_cli_users_add_list_reset_role_disable(tmp_path, capsys, monkeypatch):
    from pipeline import access_cli

    monkeypatch.setattr(access_cli, "cli_actor", lambda: "命令行:ops")
    path = tmp_path / "access.sqlite"
    assert cli(["users", "add", "xa", "--role", "unit", "--unit", "西安", "--display", "西安市填报"], path) == 0
    out = capsys.readouterr().out
    password = out.split("一次性密码：")[1].split("\n")[0]
    assert "已新增账户：xa" in out and "只显示这一次" in out
    store = AccessStore(path)
    assert store.sign_in("xa", password).account.unit_code == "C01"
    assert cli(["users", "add", "li", "--role", "领导", "--unit", "西安"], path) == 1
    assert "未执行：只有“填报单位”账户属于某个单位" in capsys.readouterr().out
    assert cli(["users", "add", "bj", "--role", "填报单位", "--unit", "北京"], path) == 1
    assert "找不到单位“北京”" in capsys.readouterr().out

    assert cli(["users", "list"], path) == 0
    assert "xa\t西安市填报\t填报单位\t西安市总工会\t启用，待改密码" in capsys.readouterr().out

    assert cli(["users", "role", "xa", "analyst"], path) == 0
    assert "账户 xa 的角色现为 分析员。" in capsys.readouterr().out
    assert cli(["users", "reset", "xa"], path) == 0
    new_password = capsys.readouterr().out.split("一次性密码：")[1].split("\n")[0]
    assert new_password != password and store.sign_in("xa", new_password).ok
    assert cli(["users", "disable", "xa"], path) == 0
    assert store.account("xa").disabled
    assert cli(["users", "enable", "xa"], path) == 0
    assert not store.account("xa").disabled
    assert cli(["users", "disable", "nobody"], path) == 1
    assert "没有用户名为“nobody”的账户" in capsys.readouterr().out

    actors = audit.entries(path)[["用户", "操作"]].values.tolist()
    assert actors[:5] == [
        ["命令行:ops", "启用账户"],
        ["命令行:ops", "停用账户"],
        ["命令行:ops", "重置密码"],
        ["命令行:ops", "变更角色或单位"],
        ["命令行:ops", "新增账户"],
    ]


def test_cli_audit_filters_and_xlsx(tmp_path, capsys):
    from openpyxl import load_workbook

    path = tmp_path / "access.sqlite"
    audit.record("export", actor="li", target="情况通报", path=path, at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    audit.record("upload", actor="wang", target="=1+1", path=path, at=datetime(2026, 3, 3, 1, 0, tzinfo=UTC))
    assert cli(["audit", "--actor", "wang"], path) == 0
    out = capsys.readouterr().out
    assert "2026-03-03 09:00:00\twang\t上传报表\t=1+1" in out and "情况通报" not in out
    assert cli(["audit", "--until", "2026-03-02"], path) == 0
    assert "情况通报" in (out := capsys.readouterr().out) and "wang" not in out
    assert cli(["audit", "--action", "改名"], path) == 2
    out_file = tmp_path / "out" / "日志.xlsx"
    assert cli(["audit", "--xlsx", str(out_file)], path) == 0
    sheet = load_workbook(out_file).active
    assert sheet["D2"].value == "'=1+1" and sheet["D3"].value == "情况通报"
    newest = audit.entries(path, limit=1).iloc[0]
    assert (newest["操作"], newest["对象"], newest["说明"]) == ("导出", "操作日志", "2 条，写入 日志.xlsx")
    assert newest["用户"].startswith("命令行:")


def test_cli_run_ignores_other_commands():
    import argparse

    from pipeline import access_cli

    assert access_cli.run(argparse.Namespace(command="ingest")) is None


def test_real_deployments_retire_the_demo_accounts(store, registry):
    demos = create_demo_accounts(store, registry)
    token = store.open_session("demo_admin")
    assert retire_demo_accounts(store) == ["demo_leader", "demo_analyst", "demo_admin", "demo_xian"]
    assert store.session(token) is None
    assert all(store.account(d.username).disabled for d in demos)
    assert retire_demo_accounts(store) == []
    printed: list[str] = []
    assert ensure_admin(store, {}, printed.append) == "admin"
    newest = audit.entries(store.path, action="account_disabled")
    assert newest["对象"].tolist()[0] == "demo_xian" and newest["用户"].tolist()[0] == "系统初始化"


def test_cli_users_init_with_and_without_demo(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(ADMIN_PASSWORD_ENV, raising=False)
    path = tmp_path / "access.sqlite"
    assert cli(["users", "init", "--demo"], path) == 0
    out = capsys.readouterr().out
    assert "demo_xian\tdemo-xian-2025\t填报单位" in out and "管理员账户已存在，无需创建。" in out
    assert cli(["users", "init"], path) == 0
    out = capsys.readouterr().out
    assert "已停用演示账户：demo_leader、demo_analyst、demo_admin、demo_xian" in out
    password = out.split("一次性密码：")[1].split("\n")[0]
    assert AccessStore(path).sign_in("admin", password).account.role == ROLE_ADMIN
    monkeypatch.setenv(ADMIN_PASSWORD_ENV, "short")
    assert cli(["users", "init"], path) == 0
    assert "管理员账户已存在" in capsys.readouterr().out
    assert cli(["users", "init"], tmp_path / "fresh.sqlite") == 1
    assert "未执行：环境变量 SHIBATIAO_ADMIN_PASSWORD 中的管理员密码不符合要求" in capsys.readouterr().out
