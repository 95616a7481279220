"""导出: the briefing exports of the year shown — the PowerPoint deck, the Word 情况通报 (province-wide or one unit's),
the 催报函, the data workbook and every chart as PNG/SVG — and the meeting versions (会议版) that freeze what a
meeting saw. Each file is built on request (with a progress indicator) by exports/, from the same data version the
other pages show (the live data or the chosen meeting version), and says which version it came from. Every file
built is written to the audit trail (which document, which data version, who). Meeting names are typed by users:
they are shown through markdown_safe, literally."""

from datetime import datetime
from functools import partial

import streamlit as st

from dashboard import auth, filters, ui
from exports import images, meetings
from exports.brief import build_brief, build_unit_brief
from exports.changes import since_meeting
from exports.deck import build_deck
from exports.letters import build_chase_letters, chase_letters_zip
from exports.workbook import build_data_workbook
from pipeline import audit
from pipeline.warehouse import warehouse_path
from queries.uploads import markdown_safe

BUILT = "_export_built"  # session_state: kind -> (file name, bytes, mime) of the last file built
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"
ALL_RETURNS = ""


def _prefix(demo: bool, meeting) -> str:
    parts = ["演示数据"] if demo else []
    if meeting is not None:
        parts.append(f"会议版_{meeting.folder.name}")
    return "_".join(parts) + ("_" if parts else "")


def record_export(label: str, name: str) -> None:
    """An "export" audit row: the document, its file name and the data version, with who and from where."""
    audit.record(
        "export", actor=auth.actor(), address=auth.client_address(), target=name, outcome="已生成",
        detail=f"文件：{label}；数据版本：{ui.data_version_text()}",
    )  # fmt: skip


def _offer(kind: str, label: str, build, name: str, mime: str) -> None:
    """A 生成 button; once built (and audited), the file's download button stays until the year or version changes."""
    built = st.session_state.setdefault(BUILT, {})
    shown = markdown_safe(label)  # a unit's name is in the label; button labels are markdown
    if st.button(f"生成{shown}", key=f"build_{kind}", icon=":material/build:"):
        with st.spinner(f"正在生成{shown}……"):
            built[kind] = (name, build(), mime)
        record_export(label, name)
    if kind in built and built[kind][0] == name:
        file_name, data, file_mime = built[kind]
        st.download_button(
            f"下载{shown}", data, file_name=file_name, mime=file_mime, key=f"download_{kind}", on_click="ignore",
            icon=":material/download:", type="primary",
        )  # fmt: skip


def _charts_zip(con, book, year: int, demo: bool) -> bytes:
    bar = st.progress(0.0, text="正在生成图表……")

    def progress(done: int, total: int, title: str) -> None:
        bar.progress(done / max(total, 1), text=f"正在生成图表：{title}（{done}/{total}）")

    images.start_browser()  # one kept browser for the server, as the chart pages use
    data = images.year_charts_zip(con, book, year, demo=demo, progress=progress)
    bar.empty()
    return data


def _dated(meeting) -> dict:
    return {"issued_on": meetings.issued_on(meeting)}


def draw_documents(book, year: int, demo: bool, meeting) -> None:
    con = ui.cursor()
    prefix = _prefix(demo, meeting)
    st.subheader(f"{year}年度汇报材料", anchor=False)
    choices = ui.meeting_choices()
    since_name = st.selectbox(
        "与会议版比较（可选）", ["", *choices], format_func=lambda n: choices.get(n, "不比较"), key="export_since",
        help="选定后，汇报稿和情况通报各加一节：与该会议版相比，各条措施和各单位状态的变化、会议以来收到的报表。",
    )  # fmt: skip
    suffix = f"_对比{meetings.find_meeting(since_name).folder.name}" if since_name else ""

    def since() -> dict:  # compared with today's live data, only when a document is built
        return {"since": since_meeting(since_name, ui.live_cursor(), ui.live_status_book(), year)} if since_name else {}

    cols = st.columns(4)
    with cols[0]:
        _offer("deck", "汇报稿（PPT）", lambda: build_deck(con, book, year, demo=demo, **since()),
               f"{prefix}{year}年度汇报稿{suffix}.pptx", PPTX)  # fmt: skip
    with cols[1]:
        _offer("brief", "情况通报（Word）", lambda: build_brief(con, book, year, demo=demo, **since(), **_dated(meeting)),
               f"{prefix}{year}年度情况通报{suffix}.docx", DOCX)  # fmt: skip
    with cols[2]:
        _offer("data", "数据工作簿（Excel）", partial(build_data_workbook, con, book, year, demo=demo,
               source_label=meeting.label if meeting else ""), f"{prefix}{year}年度十八条落实数据.xlsx", XLSX)  # fmt: skip
    with cols[3]:
        _offer("charts", "全部图表（PNG、SVG）", partial(_charts_zip, con, book, year, demo),
               f"{prefix}{year}年度图表.zip", ZIP)  # fmt: skip


def draw_unit_brief(book, year: int, demo: bool, meeting) -> None:
    st.subheader("单位情况通报", anchor=False)
    units = [u.code for kind in ("city", "industry") for u in book.registry.of_type(kind)]
    unit = st.selectbox("单位", units, format_func=lambda c: book.registry.get(c).name, key="export_unit")
    name = book.registry.get(unit).short_name
    _offer("unit_brief", f"{name}单位情况通报", partial(build_unit_brief, ui.cursor(), book, unit, year, demo=demo, **_dated(meeting)),
           f"{_prefix(demo, meeting)}{year}年度{name}单位情况通报.docx", DOCX)  # fmt: skip


def draw_letters(book, year: int, demo: bool, meeting) -> None:
    st.subheader("催报函", anchor=False)
    st.caption("给本年度尚未报送（或只有被退回的文件）的单位各一封，写明截止日期、所缺报表和联系人。")
    returns = [ALL_RETURNS, *book.catalog.returns]
    code = st.selectbox("报表", returns, key="export_letters_return",
                        format_func=lambda c: "全部报表" if c == ALL_RETURNS else f"{c} {book.catalog.returns[c].name}")  # fmt: skip
    per_unit = st.toggle("每个单位一个文件（zip）", key="export_letters_zip")
    build = chase_letters_zip if per_unit else build_chase_letters
    label = "催报函（每单位一个文件）" if per_unit else "催报函（Word）"
    kind_name = f"{_prefix(demo, meeting)}{year}年度催报函{code}{'.zip' if per_unit else '.docx'}"
    _offer("letters", label, partial(build, ui.cursor(), book, year, code or None, demo=demo, **_dated(meeting)), kind_name,
           ZIP if per_unit else DOCX)  # fmt: skip


def draw_meetings(year: int, meeting) -> None:
    st.subheader("会议版", anchor=False)
    st.caption(
        "会议前把当前数据、各条措施的状态和判定标准冻结为一个会议版：会后随时在侧栏“数据版本”中原样查看、原样导出，"
        "并在“会议以来变化”页看会后有什么变化。"
    )
    for version in meetings.list_meetings():
        st.markdown(f"- {markdown_safe(meetings.summary_line(version))}")
    if meeting is not None:
        st.info("正在查看会议版：冻结新的会议版请先在侧栏切换到实时数据。", icon=":material/info:")
        return
    name = st.text_input("会议版名称", placeholder=f"如：{year}年度全省产业工会工作推进会", key="export_meeting_name")
    if st.button("冻结当前数据为会议版", icon=":material/ac_unit:", disabled=not name.strip()):
        try:
            frozen = meetings.freeze(name.strip(), warehouse=warehouse_path(), year=year)
        except meetings.MeetingError as exc:
            st.error(markdown_safe(str(exc)), icon=":material/error:")
            return
        st.success(f"已冻结{markdown_safe(frozen.label)}（{datetime.now():%H:%M}）", icon=":material/check_circle:")


st.header("导出", anchor=False)
st.caption(
    "汇报稿、情况通报、数据工作簿和图表都由本页所示的数据生成，文件中注明数据版本；演示数据生成的文件标有“演示数据”。"
)
with ui.guarded("导出"):
    book = ui.status_book()
    selection = filters.current(book.years, book.registry)
    if selection.year is None:
        st.info("数据仓库中还没有已接收的报表：请先在“数据上传”页装入报表。", icon=":material/database:")
        st.stop()
    demo, meeting = ui.warehouse_summary().is_demo, ui.active_meeting()
    draw_documents(book, selection.year, demo, meeting)
    draw_unit_brief(book, selection.year, demo, meeting)
    draw_letters(book, selection.year, demo, meeting)
    draw_meetings(selection.year, meeting)
