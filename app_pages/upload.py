"""数据上传: check and load a batch of returns, show each file's outcome with its problems and an annotated copy,
and offer the blank templates with a short guide to filling them."""

import logging
from functools import partial

import streamlit as st

from dashboard import theme_css, ui
from pipeline.templates import template_bytes, template_filename
from pipeline.warehouse import warehouse_path
from queries import uploads
from queries.submissions import return_label

RESULTS = "upload_results"  # session_state: the last batch's outcome as plain dicts and bytes
UPLOADER_ROUND = "upload_round"  # bumped after a batch so the uploader starts empty
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Colour AND word for each outcome (Streamlit's badge colours).
BADGES = {"accepted": "green", "accepted_with_warnings": "orange", "rejected": "red", "unchanged": "gray"}
GENERIC = ""  # the template choice “通用模板” (a selectbox option of None would show a clear button)
log = logging.getLogger(__name__)


def _year_word(year: int | None) -> str:
    return "不限" if year in (None, uploads.ANY_YEAR) else f"{year}年度"


def run_batch(files, expected_year: int | None) -> None:
    """Load the batch, keep the outcome in session_state, and rerun so every part of the page sees the new data."""
    warehouse = warehouse_path()
    try:
        with st.spinner(f"正在校验并装入{len(files)}个文件……"):
            results = uploads.upload_batch(
                [(f.name, f.getvalue()) for f in files], expected_year, warehouse, uploads.default_raw_dir(warehouse)
            )
    except Exception:  # noqa: BLE001 - the writer discarded its copy: say so, keep the traceback in the log
        log.exception("上传批次装入失败")
        st.error("装入过程中出错，本批文件均未装入，数据仓库保持不变。请稍后重试；如持续出现，请联系系统管理员。")
        return
    st.session_state[RESULTS] = {"expected_year": expected_year, "results": results}
    st.session_state[UPLOADER_ROUND] = st.session_state.get(UPLOADER_ROUND, 0) + 1
    st.rerun()


def draw_form() -> None:
    catalog = ui.live_catalog()  # uploads go to the live warehouse even while a meeting version is shown
    theme_css.localise_uploader()
    # Any type and up to UPLOADER_LIMIT_MB are let through on purpose: the refusals (wrong type, over 20 MB) are
    # then given in Chinese by queries.uploads, not by Streamlit's uploader in English.
    files = st.file_uploader(
        f"选择报表文件（.xlsx / .xls，可多选，每批不超过{uploads.MAX_FILES}个，每个不超过 20 MB）",
        accept_multiple_files=True, max_upload_size=uploads.UPLOADER_LIMIT_MB,
        key=f"upload_files_{st.session_state.get(UPLOADER_ROUND, 0)}",
        help=f"其他类型或超过 20 MB 的文件不会被处理，结果中会逐个说明原因；超过 {uploads.UPLOADER_LIMIT_MB} MB "
        "的文件浏览器会直接拒绝（提示为英文“File must be … or smaller”）。",
    )  # fmt: skip
    choice = st.columns(3)[0].selectbox(
        "本批报表年度", uploads.year_choices(catalog), format_func=_year_word, key="upload_expected_year",
        help="选定年度后，文件中的报表年度与之不符的将被退回；选“不限”则按文件中填写的年度装入。",
    )  # fmt: skip
    refusal = uploads.too_many_files(len(files or ()))
    if refusal:
        st.error(refusal, icon=":material/error:")
    clicked = st.button("校验并装入", type="primary", icon=":material/upload:", disabled=not files or bool(refusal))
    if clicked and not refusal:
        run_batch(files, uploads.expected_year(choice))


def draw_result(index: int, result: dict) -> None:
    with st.container(border=True):
        colour = BADGES[result["status"]]
        subject = f"　{uploads.markdown_safe(result['subject'])}" if result["subject"] else ""
        st.markdown(f":{colour}-badge[{result['status_word']}] **{uploads.markdown_safe(result['file'])}**{subject}")
        st.caption(uploads.markdown_safe(result["message"]))
        errors = [i["line"] for i in result["issues"] if i["severity"] == "error"]
        warnings = [i["line"] for i in result["issues"] if i["severity"] != "error"]
        if errors:
            st.error("\n".join(f"- {uploads.markdown_safe(line)}" for line in errors), icon=":material/error:")
        if warnings:
            st.warning("\n".join(f"- {uploads.markdown_safe(line)}" for line in warnings), icon=":material/warning:")
        if result["annotated"]:
            st.download_button(
                "下载标注了问题的工作簿", data=result["annotated"], file_name=result["annotated_name"], mime=XLSX,
                icon=":material/download:", on_click="ignore", key=f"annotated_{index}",
            )  # fmt: skip


def draw_results() -> None:
    batch = st.session_state.get(RESULTS)
    if not batch:
        return
    st.subheader("本批处理结果", anchor=False)
    results = batch["results"]
    st.markdown(f"**{uploads.batch_summary(results)}**（本批报表年度：{_year_word(batch['expected_year'])}）")
    if any(r["status"] in ("accepted", "accepted_with_warnings") for r in results):
        st.page_link("app_pages/tracker.py", label="到“报送情况”页查看各单位报送进度", icon=":material/checklist:")
    for index, result in enumerate(results):
        draw_result(index, result)
    if st.button("清除处理结果", icon=":material/clear_all:"):
        del st.session_state[RESULTS]
        st.rerun()


def draw_templates() -> None:
    """Blank templates per return type and year; a city's own R1 template lists its counties."""
    catalog, registry = ui.live_catalog(), ui.live_registry()
    st.subheader("下载空白模板", anchor=False)
    years = uploads.reporting_years(catalog)
    cols = st.columns(3)
    year = cols[0].selectbox(
        "报表年度", years, index=years.index(uploads.collecting_year(catalog)), format_func=_year_word,
        key="template_year",
    )  # fmt: skip
    code = cols[1].selectbox(
        "报表类型", list(catalog.returns), format_func=lambda c: return_label(catalog, c), key="template_return"
    )
    units = [GENERIC, *(u.code for u in registry.of_type(catalog.returns[code].submitted_by))]
    unit = cols[2].selectbox(
        "填报单位（可选）", units, key=f"template_unit_{code}",
        format_func=lambda u: "通用模板（不预填单位）" if u == GENERIC else registry.get(u).name,
        help="选定单位后，模板预填单位名称；市级总工会的模板还列出其全部县（区）。",
    )  # fmt: skip
    unit_name = registry.get(unit).name if unit else None
    st.download_button(
        f"下载 {year}年度 {return_label(catalog, code)} 模板",
        data=partial(template_bytes, catalog, registry, code, year, unit_code=unit or None),
        file_name=template_filename(catalog, code, year, unit_name), mime=XLSX,
        icon=":material/download:", on_click="ignore", key="template_download",
    )  # fmt: skip


def draw_help() -> None:
    with st.expander("报表填写要求", icon=":material/help:", expanded=False):
        st.markdown(uploads.filling_help(ui.live_catalog()))


st.header("数据上传", anchor=False)
st.caption(
    "上传各单位报送的 Excel 报表：系统逐个校验，通过的装入数据仓库，未通过的退回并指出问题所在的工作表和单元格。"
)
with ui.guarded("上传表单"):
    draw_form()
with ui.guarded("处理结果"):
    draw_results()
with ui.guarded("模板下载"):
    draw_templates()
    draw_help()
