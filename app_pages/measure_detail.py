"""措施详情 (?m=9): one measure's original text, indicators, status over the years and the full explanation —
figures, formula, threshold, the units that lag, the submitted cells behind each figure and the anomaly flags."""

import streamlit as st

from dashboard import filters, tiles, ui
from pipeline.status.model import EXPLANATION_LABELS
from queries.board import (
    explanation_parts,
    measure_anomalies,
    measure_detail,
    measure_indicators,
    measure_labels,
    measure_sources,
    measure_unit_table,
    unit_metric,
)
from queries.uploads import markdown_safe

UNIT_COLUMNS = {
    "unit_name": st.column_config.TextColumn("单位", width="medium"),
    "status": st.column_config.TextColumn("状态", width="small"),
    "metric_text": st.column_config.TextColumn("关键指标", width="medium"),
    "summary": st.column_config.TextColumn("说明", width="large"),
}
SOURCE_COLUMNS = {
    "unit_name": "报送单位",
    "entity_name": "涉及单位或县（区）",
    "indicator_name": "指标",
    "value_text": "数值",
    "reading": "读入说明",
    "file_name": "文件",
    "sheet": "工作表",
    "cell": "单元格",
}
ANOMALY_COLUMNS = {
    "unit_name": "报送单位",
    "entity_name": "涉及单位或县（区）",
    "indicator_name": "指标",
    "change_text": "变化",
    "remark": "填报说明",
    "location": "来源单元格",
}
IN_HEADLINE = ("value_text", "summary")  # the explanation's headline tile shows the key figure and the summary

book = ui.status_book()
labels = measure_labels(book.catalog)
selection = filters.measure_selector(book.years, book.registry, labels)
tiles.inject_css()
measure = book.catalog.measure(selection.measure or 1)

st.subheader(f"第{measure.number}条　{measure.short_name}")
with st.container(border=True):
    chapter = next(c for c in book.catalog.chapters if c.number == measure.chapter)
    st.caption(f"原文（{chapter.number}、{chapter.heading}）")
    st.markdown(measure.text)

if selection.year is None:
    st.info(tiles.EMPTY_WAREHOUSE, icon=":material/database:")
    st.stop()

detail = measure_detail(book, measure.number, selection.year)
overall = detail.overall
left, right = st.columns(2, gap="large")

with left, ui.guarded("落实情况解读"):
    st.markdown(f"##### {selection.year}年度落实情况")
    if overall is None:
        st.info(f"{selection.year}年度暂无本条措施的数据。")
    else:
        st.html(tiles.explanation_html(overall))
        # The labelled parts the CLI and the documents give too, in the same order and words.
        for part in explanation_parts(overall):
            if part.field in IN_HEADLINE:
                continue
            if part.field == "missing_units":
                st.warning(f"**{part.label}**：{markdown_safe(part.text)}", icon=":material/warning:")
            else:
                st.markdown(f"**{part.label}**：{markdown_safe(part.text)}")
        if overall.explanation.laggards:
            st.markdown(f"**{EXPLANATION_LABELS['laggards']}**")
            st.html(tiles.laggards_html(overall.explanation.laggards))

with right:
    with ui.guarded("历年状态"):
        st.markdown("##### 历年状态")
        st.html(tiles.history_html(detail.history))
    with ui.guarded("指标"):
        st.markdown("##### 本条措施的指标")
        # A list, not a table: it wraps in the half-width column at 1280×720 instead of scrolling sideways.
        indicators = measure_indicators(book.catalog, measure.number)
        lines = []
        for row in indicators.to_dict("records"):
            unit = f"（{markdown_safe(row['unit'])}）" if row["unit"] else ""
            lines.append(f"- **{markdown_safe(row['name'])}**{unit}　{row['level']} · {markdown_safe(row['return'])}")
        st.markdown("\n".join(lines))

with ui.guarded("各单位情况"):
    units = measure_unit_table(book, measure.number, selection.year)
    if not units.empty:
        st.markdown(f"##### {selection.year}年度各单位情况")
        metric = unit_metric(book, measure.number, selection.year)
        if metric is not None:
            title = metric.chart_title(measure.number, selection.year)
            fig = tiles.unit_status_chart(units, title=title, axis_title=metric.axis_title, percent=metric.percent)
            st.plotly_chart(fig, theme=None, config=ui.plotly_config(displaylogo=False))
        st.dataframe(
            tiles.status_styler(units, "status"),
            hide_index=True,
            column_order=list(UNIT_COLUMNS),
            column_config=UNIT_COLUMNS,
            height=tiles.table_height(len(units)),
        )
    elif measure.judged_per == "province":
        st.caption("本条措施按全省整体判断，不分单位评价。")

with ui.guarded("数据来源"):
    sources = measure_sources(book, measure.number, selection.year)
    st.markdown(f"##### {EXPLANATION_LABELS['sources']}（{len(sources)}个单元格）")
    if sources.empty:
        st.caption("本年度本条措施没有引用报表单元格。")
    else:
        st.dataframe(
            sources, hide_index=True, column_config=SOURCE_COLUMNS, height=tiles.table_height(len(sources), most=16)
        )

with ui.guarded("异常波动提示"):
    flags = measure_anomalies(book, measure.number, selection.year)
    st.markdown("##### 异常波动提示")
    if flags.empty:
        st.caption("本年度本条措施没有需要核实的异常波动。")
    else:
        st.caption("与上年相比变化异常大的数字，请核实；填报单位的说明列在旁边。")
        st.dataframe(flags, hide_index=True, column_config=ANOMALY_COLUMNS)
