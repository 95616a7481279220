"""操作日志 (管理员): the audit trail filtered by user, action, date range and text, newest first, and the filtered
rows as an Excel workbook (the download is itself audited as an export). The rows are shown in a table, as text."""

from datetime import datetime, timedelta
from functools import partial

import streamlit as st

from dashboard import auth
from pipeline import audit
from pipeline.access import ROLE_ADMIN, access_path

ALL = ""  # the choice 全部 (a selectbox option of None would show a clear button)
SHOWN_ROWS = 2000  # on screen; the workbook holds every filtered row
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

auth.require(ROLE_ADMIN, page="操作日志")
path = access_path()

st.header("操作日志", anchor=False)
st.caption("登录、上传、导出、设置和账户变更的记录，只能追加，不能修改或删除。时间为北京时间。")

today = datetime.now(audit.LOCAL_TZ).date()  # the trail's days are Beijing days, whatever the server's zone
user_column, action_column, dates_column, text_column = st.columns([1, 1, 1.4, 1.4])
actor = user_column.selectbox(
    "用户", [ALL, *audit.actors(path)], format_func=lambda a: a or "全部", key="audit_actor"
)  # fmt: skip
action = action_column.selectbox(
    "操作", [ALL, *audit.ACTIONS], format_func=lambda a: audit.ACTIONS.get(a, "全部"), key="audit_action"
)
dates = dates_column.date_input(
    "日期范围", value=(today - timedelta(days=30), today), max_value=today, format="YYYY-MM-DD", key="audit_dates"
)
text = text_column.text_input("查找对象或说明", key="audit_text", placeholder="如 文件名、单位、设置项")

since, until = (dates[0], dates[-1]) if isinstance(dates, tuple) and dates else (None, None)
filters = {"actor": actor or None, "action": action or None, "since": since, "until": until, "text": text or None}
frame = audit.entries(path, **filters)

if frame.empty:
    st.info("没有符合条件的记录。可放宽日期范围或清除其他筛选条件。")
else:
    shown = frame.head(SHOWN_ROWS)
    st.dataframe(shown, hide_index=True, width="stretch")
    more = f"（屏幕上显示最近的 {SHOWN_ROWS} 条，Excel 中为全部）" if len(frame) > SHOWN_ROWS else ""
    st.caption(f"共 {len(frame)} 条记录{more}，最新的在前。")
    period = f"{since:%Y%m%d}-{until:%Y%m%d}" if since and until else "全部"
    file_name = f"操作日志_{period}.xlsx"
    # Built on click (in a thread of its own, hence the actor and address taken now), and audited then.
    workbook = partial(
        audit.export_workbook, frame, actor=auth.actor(), address=auth.client_address(), path=path, file_name=file_name
    )
    st.download_button(
        "下载 Excel（筛选后的全部记录）",
        data=workbook,
        file_name=file_name,
        mime=XLSX,
        icon=":material/download:",
        on_click="ignore",
    )
