"""Who is signed in: the sign-in form, sessions that survive a reload and expire when idle, single sign-on through
Streamlit's st.login where an identity provider is configured, and the refusal a role sees on a page it may not use.

The account store (pipeline/access.py) proves passwords and keeps sessions; this module only carries the result
through Streamlit. The signed-in Account lives in st.session_state (server side, never sent to the browser) with
its session token; the token also goes into a cookie so a reload or a copied link keeps the user signed in. Every
run re-checks the token, so an idle, expired or disabled session ends on the next click, not at the next sign-in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial

import streamlit as st

from dashboard.run_memo import per_run
from pipeline import audit
from pipeline.access import ROLE_UNIT, AccessStore, Account, access_path
from pipeline.registry import Registry
from queries.uploads import markdown_safe

log = logging.getLogger(__name__)

ACCOUNT_KEY = "auth_account"  # st.session_state: the signed-in Account
TOKEN_KEY = "auth_token"  # st.session_state: its session token
NOTICE_KEY = "auth_notice"  # st.session_state: why the last session ended (shown on the sign-in form once)
DENIED_KEY = "auth_denied"  # st.session_state: pages already refused and audited in this session
SESSION_COOKIE = "shibatiao_session"
COOKIE_PENDING_KEY = "auth_cookie"  # st.session_state: the cookie value to write on the next run ("" clears it)
COOKIE_MAX_AGE_S = 12 * 3600  # the store's absolute session lifetime; the idle limit is checked server side


@st.cache_resource
def _store(path: str) -> AccessStore:
    return AccessStore(path)


def store() -> AccessStore:
    """The account store ($SHIBATIAO_ACCESS_DB, default data/access.sqlite), one per process."""
    return _store(str(access_path()))


def current_account() -> Account | None:
    return st.session_state.get(ACCOUNT_KEY)


def actor() -> str:
    """The name written into audit rows for what this session does."""
    account = current_account()
    return account.username if account else "未登录"


def client_address() -> str:
    """The browser's address: as the server sees it, or as the reverse proxy on this machine reports it (read once
    per run: every download button asks)."""
    return per_run("client_address", _client_address)


def _client_address() -> str:
    try:
        return address_of(st.context.ip_address, st.context.headers.get("X-Forwarded-For", ""))
    except Exception:  # noqa: BLE001 - bare scripts have no request
        return ""


def address_of(peer: object, forwarded: object) -> str:
    """The client's address from the connection's peer and its X-Forwarded-For header. Streamlit gives no peer for
    a connection from this machine, which is how the reverse proxy connects (README: Streamlit listens on 127.0.0.1
    only), and the proxy overwrites X-Forwarded-For with the client's address; a remote peer's header is ignored."""
    if peer is None and isinstance(forwarded, str) and forwarded.strip():
        return forwarded.split(",")[-1].strip()[:64]
    return peer if isinstance(peer, str) else ""  # AppTest's request context is a mock


def record(action: str, **fields: str) -> None:
    """An audit row for this session's user (audit.record logs a failure to write, never raises into a page)."""
    audit.record(action, actor=actor(), address=client_address(), **fields)


def role_text(account: Account, registry: Registry | None = None) -> str:
    """管理员, or 填报单位（西安市总工会） with the unit's name from the registry in force."""
    if account.role == ROLE_UNIT and account.unit_code:
        known = registry is not None and account.unit_code in registry
        return f"{account.role}（{registry.get(account.unit_code).name if known else account.unit_code}）"
    return account.role


def audited_download(build: Callable[[], bytes], *, document: str, file_name: str, version: str) -> Callable[[], bytes]:
    """A download's data, built when the button is clicked and written to the audit trail as an export (which
    document, which file, which data version). Streamlit builds deferred downloads outside the page's run, so who
    and from where are taken now."""
    who, where = actor(), client_address()

    def build_and_record() -> bytes:
        data = build()
        audit.record("export", actor=who, address=where, target=file_name, outcome="已生成",
                     detail=f"文件：{document}；数据版本：{version}")  # fmt: skip
        return data

    return build_and_record


# --- the session ------------------------------------------------------------------------------------------------


def _set_cookie(token: str | None) -> None:
    # Set from the page because Streamlit offers no response header; SameSite=Strict keeps it off cross-site
    # requests, Secure is added when the page is served over HTTPS (behind the reverse proxy, see README).
    value = json.dumps(token or "")
    age = COOKIE_MAX_AGE_S if token else 0
    st.html(
        "<script>document.cookie = "
        f'"{SESSION_COOKIE}=" + encodeURIComponent({value}) + "; path=/; max-age={age}; SameSite=Strict"'
        ' + (location.protocol === "https:" ? "; Secure" : "");</script>',
        unsafe_allow_javascript=True,
    )


def _forget(notice: str = "") -> None:
    for key in (ACCOUNT_KEY, TOKEN_KEY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice


def restore() -> Account | None:
    """The signed-in account for this run: from this tab's session, else the browser's cookie, else single sign-on;
    None when nobody is signed in or the session has ended (idle too long, expired, signed out, disabled)."""
    if COOKIE_PENDING_KEY in st.session_state:  # written on the run after a sign-in or sign-out (see _open)
        _set_cookie(st.session_state.pop(COOKIE_PENDING_KEY) or None)
    token = st.session_state.get(TOKEN_KEY) or _cookie_token()
    if token:
        account = store().session(token)
        if account is not None:
            st.session_state[ACCOUNT_KEY], st.session_state[TOKEN_KEY] = account, token
            return account
        if TOKEN_KEY in st.session_state:
            _forget("您已长时间未操作或会话已结束，已自动退出。请重新登录。")
            _set_cookie(None)
        else:
            _forget()
        if sso_identity() is not None:
            st.logout()  # an ended session ends the single sign-on too: the provider must be asked again
    return _single_sign_on()


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest)
        return None
    return token if isinstance(token, str) and token else None


def _open(account: Account, how: str) -> Account:
    token = store().open_session(account.username, address=client_address())
    st.session_state[ACCOUNT_KEY], st.session_state[TOKEN_KEY] = account, token
    st.session_state.pop(NOTICE_KEY, None)
    # The cookie is written on the next run: a sign-in is followed by st.rerun(), which would discard an element
    # drawn now before the browser ran its script.
    st.session_state[COOKIE_PENDING_KEY] = token
    st.session_state[ACCOUNT_KEY] = account
    record("sign_in", target=account.username, outcome="成功", detail=how)
    return account


def sign_out() -> None:
    token = st.session_state.get(TOKEN_KEY)
    record("sign_out", target=actor(), outcome="成功")
    if token:
        store().close_session(token)
    _forget("您已退出登录。")
    st.session_state[COOKIE_PENDING_KEY] = ""
    if sso_identity() is not None:
        st.logout()


# --- single sign-on (OIDC through st.login) ------------------------------------------------------------------------


def sso_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section for st.login."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def sso_identity() -> str | None:
    """The identity st.login has proved (its e-mail, else its subject), None when single sign-on is not configured or
    nobody has signed in with it."""
    if not sso_configured():
        return None
    try:
        if not st.user.is_logged_in:
            return None
        return str(st.user.get("email") or st.user.get("sub") or "")
    except Exception:  # noqa: BLE001 - no user info in this context
        return None


def _single_sign_on() -> Account | None:
    # st.login proves who the person is; whether they may use the dashboard, and as what, is our account table's.
    identity = sso_identity()
    if identity is None:
        return None
    account = store().account_for_identity(identity) if identity else None
    if account is None or account.disabled:
        audit.record("sign_in_failed", actor=identity[:64] or "统一身份认证", target=identity[:64],
                     outcome="失败", detail="统一身份未开通账户或账户已停用", address=client_address())  # fmt: skip
        st.error(
            f"您的统一身份（{markdown_safe(identity) or '未提供邮箱'}）尚未开通本看板的账户，或账户已停用。"
            "请联系省总工会系统管理员开通后再登录。",
            icon=":material/person_off:",
        )
        st.button("退出统一身份认证", on_click=st.logout)
        st.stop()
    return _open(account, "统一身份认证")


# --- what a signed-out visitor sees ----------------------------------------------------------------------------


def sign_in_form(demo_accounts: list[tuple[str, str, str]] | None = None) -> Account | None:
    """The sign-in page; returns the account when this run signed someone in, else None (the caller stops).
    demo_accounts (user, password, role) are listed only for the demo warehouse, labelled as demo."""
    st.title("十八条落实看板", anchor=False)
    st.caption("陕西省总工会《关于进一步加强产业工会工作的十八条措施》（陕工发〔2021〕24号）落实情况")
    notice = st.session_state.pop(NOTICE_KEY, "")
    if notice:
        st.info(notice, icon=":material/logout:")
    with st.form("sign_in", enter_to_submit=True, width=420):
        st.subheader("登录", anchor=False)
        username = st.text_input("用户名", autocomplete="username")
        password = st.text_input("密码", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("登录", type="primary", icon=":material/login:")
    if sso_configured():
        st.button("使用统一身份认证登录", icon=":material/badge:", on_click=partial(st.login))
    if demo_accounts:
        with st.container(border=True, width=560):
            st.markdown("**演示账户**（仅用于演示数据，正式部署不会创建）")
            st.table([{"用户名": u, "密码": p, "角色": r} for u, p, r in demo_accounts], hide_index=True)
    st.caption("忘记密码或需要开通账户，请联系省总工会系统管理员。")
    if not submitted:
        return None
    if not username.strip() or not password:
        st.error("请填写用户名和密码。")
        return None
    result = store().sign_in(username.strip(), password, address=client_address())
    if result.account is None:
        # The visitor is told as little as a stranger may know; the audit trail gets the reason.
        name = username.strip()[:64]
        audit.record("sign_in_failed", actor=name, target=name, outcome="失败", detail=result.reason,
                     address=client_address())  # fmt: skip
        st.error(result.message, icon=":material/lock:")
        return None
    return _open(result.account, result.reason or "用户名和密码")


# --- pages a role may not use ----------------------------------------------------------------------------------


def refuse(page_title: str = "", registry: Registry | None = None) -> None:
    """A page this role may not use, reached by a link: say so (audited once per page and session) and stop."""
    account = current_account()
    denied = st.session_state.setdefault(DENIED_KEY, set())
    if page_title not in denied:
        denied.add(page_title)
        record("access_denied", target=page_title, outcome="拒绝", detail=account.role if account else "")
    who = markdown_safe(role_text(account, registry)) if account else "未登录"
    page = f"“{page_title}”" if page_title else "该"
    st.error(
        f"您的账户（{who}）无权使用{page}页面。请从左侧菜单选择可用的页面；如确需使用，请联系系统管理员。",
        icon=":material/block:",
    )
    st.stop()


def require(*roles: str, page: str = "") -> Account:
    """The signed-in account when its role is one of `roles`; otherwise a refusal and the page stops. app.py already
    keeps a role off the pages it may not use; a page that changes data checks again, in case it is ever run
    some other way."""
    account = current_account()
    if account is None or account.role not in roles:
        refuse(page)
    return account
