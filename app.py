"""十八条落实看板: declares the pages and draws what every page shares, then runs the current page."""

import streamlit as st

from dashboard import ui

st.set_page_config(page_title="十八条落实看板", page_icon=":material/fact_check:", layout="wide")

page = st.navigation(
    [st.Page("pages/measures.py", title="十八条措施", icon=":material/list_alt:", default=True)],
)
st.title("十八条落实看板")
st.caption("陕西省总工会《关于进一步加强产业工会工作的十八条措施》（陕工发〔2021〕24号）落实情况")
ui.demo_banner()
page.run()
