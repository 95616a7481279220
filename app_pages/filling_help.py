"""填报说明: every problem the upload check can find, in the order a file meets them, with what it means and how
to fix it. Generated from the issue-code catalogue (pipeline/issue_codes.py), so it never falls behind the checks."""

import pyarrow as pa
import streamlit as st

from dashboard import ui
from pipeline import issue_codes


@st.cache_resource
def _tables(audience: str) -> list[tuple[str, pa.Table]]:
    # The catalogue is code: its tables are made once per process, as Arrow tables that the page hands over without
    # converting seven tables of text on every run.
    return [(heading, ui.rows_table(issue_codes.help_rows(entries))) for heading, entries in
            issue_codes.by_group(audience)]  # fmt: skip


st.header("填报说明", anchor=False)
st.markdown(
    "报表上传后，系统逐项检查。标为**错误**的问题会使整份报表退回，请按修改方法改正后重新报送；"
    "标为**提示**的问题不影响入库，请核对，如有误请更正后重新报送。每条问题都写明工作表和单元格。"
)
st.caption(f"有疑问请联系：{ui.catalog().reporting.contact}")

for heading, table in _tables(issue_codes.UNIT):
    st.subheader(heading, anchor=False)
    st.table(table, border="horizontal", hide_index=True)

renamed = ui.registry().renamed_units()
if renamed:
    st.subheader("已更名的县（区）", anchor=False)
    st.caption("填写下列曾用名的报表照常读入，并提示按现名读入；以后报送请使用现名。")
    st.table(ui.rows_table(renamed), border="horizontal", hide_index=True)

with st.expander("由省总工会处理的情况"):
    for heading, table in _tables(issue_codes.ANALYST):
        st.markdown(f"**{heading}**")
        st.table(table, border="horizontal", hide_index=True)
