"""十八条措施: the eighteen measures grouped by the notice's six chapters, with their original text."""

import streamlit as st

import queries.warehouse as queries
from dashboard import ui

catalog = ui.catalog()
for chapter, measures in queries.measures_by_chapter(catalog):
    st.subheader(f"{chapter.number}、{chapter.heading}")
    for measure in measures:
        with st.container(border=True):
            st.markdown(f"**第{measure.number}条　{measure.short_name}**")
            st.write(measure.text)
