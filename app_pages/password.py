"""修改密码: any signed-in account sets a new password (current one, new one twice). This session stays signed in,
the account's other sessions end, and a required change (first sign-in or after a reset) is cleared. The store
audits the change and counts a wrong current password as a failed sign-in."""

import streamlit as st

from dashboard import auth
from pipeline.access import MIN_PASSWORD_LENGTH, ROLES, AccessError

account = auth.require(*ROLES, page="修改密码")
st.header("修改密码", anchor=False)

st.caption(f"新密码至少 {MIN_PASSWORD_LENGTH} 个字符，不能与用户名相同；建议用几个词组成的短句，便于记忆。")
with st.form("change_password", width=460, enter_to_submit=True):
    st.text_input("用户名", value=account.username, disabled=True, autocomplete="username")
    current = st.text_input("当前密码", type="password", autocomplete="current-password")
    new = st.text_input("新密码", type="password", autocomplete="new-password")
    repeat = st.text_input("再次输入新密码", type="password", autocomplete="new-password")
    submitted = st.form_submit_button("修改密码", type="primary", icon=":material/password:")

if submitted:
    if not current or not new:
        st.error("请填写当前密码和新密码。")
    elif new != repeat:
        st.error("两次输入的新密码不一致，请重新输入。")
    else:
        store = auth.store()
        try:
            store.change_password(
                account.username, current, new,
                keep_session=st.session_state.get(auth.TOKEN_KEY), address=auth.client_address(),
            )  # fmt: skip
        except AccessError as refused:
            st.error(str(refused))
        else:
            st.session_state[auth.ACCOUNT_KEY] = store.account(account.username)
            st.success("密码已修改。本次登录继续有效，您在其他浏览器或设备上的登录已结束。")
            # Any click reruns the app, whose gate now lets the account through (a required change is cleared).
            st.button("继续使用看板", type="primary")
