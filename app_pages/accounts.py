"""账户管理 (管理员): the accounts with their role, unit and state; add one, disable or enable it, reset its password
(the one-time password is shown once), change its role, unit or single-sign-on identity.

Each change goes through pipeline/access.py, which writes the audit row with this administrator and address. The
changes run in widget callbacks, before the page draws, so the list below always shows the result. User-typed text
(display names, identities) is shown in tables and code blocks, never as markup.
"""

import streamlit as st

from dashboard import auth, ui
from pipeline.access import ROLE_ADMIN, ROLE_UNIT, ROLES, UNIT_ACCOUNT_TYPES, AccessError
from queries.uploads import markdown_safe

NOTICE = "accounts_notice"  # session_state: (kind, message) of the last change, shown once
ONE_TIME = "accounts_one_time"  # session_state: (username, password) to show once after an add or a reset
PICKED = "accounts_picked"  # the account chosen under 修改账户

auth.require(ROLE_ADMIN, page="账户管理")
store = auth.store()
registry = ui.live_reference().registry
unit_codes = [unit.code for kind in UNIT_ACCOUNT_TYPES for unit in registry.of_type(kind)]


def unit_label(code: str | None) -> str:
    if not code:
        return "—"
    return registry.get(code).name if code in registry else code


def _done(message: str, one_time: tuple[str, str] | None = None) -> None:
    st.session_state[NOTICE] = ("success", message)
    if one_time:
        st.session_state[ONE_TIME] = one_time


def _attempt(change, message: str) -> None:
    """Run one store change; its refusal (Chinese) becomes the notice instead of a traceback."""
    try:
        result = change()
    except AccessError as refused:
        st.session_state[NOTICE] = ("error", str(refused))
        st.session_state.pop(ONE_TIME, None)
        return
    _done(message, result if isinstance(result, tuple) else None)


def add_account() -> None:
    state = st.session_state
    username, role = state["add_username"].strip(), state["add_role"]
    unit = state["add_unit"] if role == ROLE_UNIT else None

    def change() -> tuple[str, str]:
        password = store.add_account(
            username, state["add_display"], role, unit, actor=auth.actor(), registry=registry,
            identity=state["add_identity"], address=auth.client_address(),
        )  # fmt: skip
        return username, password

    _attempt(change, f"已新增账户 {username}（{role}）。")
    if state[NOTICE][0] == "success":
        for key in ("add_username", "add_display", "add_identity"):
            state[key] = ""


def reset_password(username: str) -> None:
    def change() -> tuple[str, str]:
        return username, store.reset_password(username, actor=auth.actor(), address=auth.client_address())

    _attempt(change, f"已重置 {username} 的密码，其原有的登录已结束。")


def set_disabled(username: str, disabled: bool) -> None:
    if disabled and username == auth.actor():
        st.session_state[NOTICE] = ("error", "不能停用自己正在使用的账户；如需停用，请由另一位管理员操作。")
        return
    action = store.disable if disabled else store.enable
    _attempt(
        lambda: action(username, actor=auth.actor(), address=auth.client_address()),
        f"已{'停用' if disabled else '启用'}账户 {username}。",
    )


def change_role(username: str) -> None:
    state = st.session_state
    role = state[f"edit_role_{username}"]
    unit = state[f"edit_unit_{username}"] if role == ROLE_UNIT else None
    _attempt(
        lambda: store.set_role(
            username, role, unit, actor=auth.actor(), registry=registry, address=auth.client_address()
        ),
        f"账户 {username} 的角色现为 {role}" + (f"（{unit_label(unit)}）" if unit else "") + "。",
    )


def change_identity(username: str) -> None:
    identity = st.session_state[f"edit_identity_{username}"]
    _attempt(
        lambda: store.set_identity(username, identity, actor=auth.actor(), address=auth.client_address()),
        f"已更新 {username} 的统一身份认证标识。",
    )


st.header("账户管理", anchor=False)
if NOTICE in st.session_state:
    kind, message = st.session_state.pop(NOTICE)
    (st.success if kind == "success" else st.error)(markdown_safe(message))
if ONE_TIME in st.session_state:
    username, password = st.session_state.pop(ONE_TIME)
    with st.container(border=True):
        st.markdown(f"**{markdown_safe(username)} 的一次性密码**（只显示这一次，离开或刷新页面后不再显示）：")
        st.code(password, language=None)
        st.caption("请通过安全的渠道交给本人；首次登录后须设置新密码。")

accounts = store.accounts()
st.dataframe(
    [
        {
            "用户名": a.username,
            "显示名": a.display_name,
            "角色": a.role,
            "所属单位": unit_label(a.unit_code),
            "状态": "停用" if a.disabled else ("待改密码" if a.must_change_password else "启用"),
            "统一身份认证标识": a.identity or "",
            "演示账户": "是" if a.is_demo else "",
        }
        for a in accounts
    ],
    hide_index=True,
    width="stretch",
)
st.caption(f"共 {len(accounts)} 个账户。停用账户或重置密码会立即结束该账户的登录。")

adding, editing = st.tabs(["新增账户", "修改账户"])
with adding, st.form("add_account", width=560):
    st.text_input("用户名", key="add_username", help="2–64 个字母、数字、汉字或 . _ - @，不区分大小写")
    st.text_input("显示名", key="add_display", help="如“西安市总工会 张三”；默认同用户名")
    st.selectbox("角色", ROLES, key="add_role")
    st.selectbox(
        "所属单位（仅填报单位账户）", unit_codes, index=None, format_func=unit_label, key="add_unit",
        placeholder="选择单位",
    )  # fmt: skip
    st.text_input("统一身份认证标识（可选）", key="add_identity", help="使用单点登录时，此人身份提供方的邮箱或标识")
    st.form_submit_button("新增账户", type="primary", on_click=add_account)
    st.caption("新增后显示一次性密码；本人首次登录时须设置新密码。")

with editing:
    if not accounts:
        st.info("还没有账户。")
    else:
        by_name = {a.username: a for a in accounts}
        picked = st.selectbox(
            "账户",
            list(by_name),
            key=PICKED,
            format_func=lambda u: f"{u}（{by_name[u].display_name}，{by_name[u].role}）",
        )
        account = by_name[picked]
        left, right = st.columns(2)
        if account.disabled:
            left.button("启用账户", key="enable", on_click=set_disabled, args=(picked, False))
        else:
            left.button("停用账户", key="disable", on_click=set_disabled, args=(picked, True))
        right.button("重置密码", key="reset", on_click=reset_password, args=(picked,))
        with st.form("edit_role", width=560):
            st.selectbox("新角色", ROLES, index=ROLES.index(account.role), key=f"edit_role_{picked}")
            st.selectbox(
                "所属单位（仅填报单位账户）", unit_codes, format_func=unit_label, key=f"edit_unit_{picked}",
                index=unit_codes.index(account.unit_code) if account.unit_code in unit_codes else None,
                placeholder="选择单位",
            )  # fmt: skip
            st.form_submit_button("变更角色", on_click=change_role, args=(picked,))
        with st.form("edit_identity", width=560):
            st.text_input(
                "统一身份认证标识", value=account.identity or "", key=f"edit_identity_{picked}", help="留空即取消映射"
            )
            st.form_submit_button("保存标识", on_click=change_identity, args=(picked,))
