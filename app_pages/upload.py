"""数据上传: check and load a batch of returns, show each file's outcome with its problems and an annotated copy,
and offer the blank templates with a short guide to filling them.

A 填报单位 account uploads for its own unit only: the page names the unit, offers only its templates and passes
permitted_units to ingest, which refuses any other unit's return. Every file's outcome (and every supersede) is
written to the audit trail with the account and its address. Text from files (names, cell values, unit names) is
shown through markdown_safe: literally, never as markup.
"""

import logging
from functools import partial

import streamlit as st

from dashboard import auth, theme_css, ui
from pipeline import access, audit
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


def own_unit() -> str | None:
    """The unit a 填报单位 account uploads for; None for the analysts (any unit). Stops the page for a unit
    account that has no unit (a misconfigured account must not fall back to uploading for everyone)."""
    account = auth.current_account()
    if account is None or account.role != access.ROLE_UNIT:
        return None
    if not account.unit_code:
        st.error("本账户没有登记所属单位，暂不能上传报表。请联系省总工会系统管理员补登单位。", icon=":material/error:")
        st.stop()
    return account.unit_code


def record_batch(results: list[dict]) -> None:
    """One audit row per file (and per supersede), with who uploaded it and from where."""
    actor, address = auth.actor(), auth.client_address()
    for action, fields in uploads.audit_entries(results):
        audit.record(action, actor=actor, address=address, **fields)


def run_batch(files, expected_year: int | None, unit: str | None) -> None:
    """Load the batch, keep the outcome in session_state, and rerun so every part of the page sees the new data."""
    warehouse = warehouse_path()
    scope = {"permitted_units": frozenset({unit})} if unit else {}
    try:
        with st.spinner(f"正在校验并装入{len(files)}个文件……"):
            results = uploads.upload_batch(
                [(f.name, f.getvalue()) for f in files], expected_year, warehouse, uploads.default_raw_dir(warehouse),
                **scope,
            )  # fmt: skip
    except ValueError as refused:  # a cap or the unit check refused the whole batch before reading it
        st.error(str(refused), icon=":material/error:")
        return
    except Exception:  # noqa: BLE001 - the writer discarded its copy: say so, keep the traceback in the log
        log.exception("上传批次装入失败")
        st.error("装入过程中出错，本批文件均未装入，数据仓库保持不变。请稍后重试；如持续出现，请联系系统管理员。")
        return
    record_batch(results)
    ui.batch_landed()  # the overview of the new data is judged in the background, before a leader opens it
    st.session_state[RESULTS] = {"expected_year": expected_year, "results": results}
    st.session_state[UPLOADER_ROUND] = st.session_state.get(UPLOADER_ROUND, 0) + 1
    st.rerun()


def draw_form(unit: str | None) -> None:
    catalog = ui.live_catalog()  # uploads go to the live warehouse even while a meeting version is shown
    if unit:
        name = uploads.markdown_safe(ui.live_registry().get(unit).name)
        st.info(
            f"本账户为**{name}**上传报表：只能上传本单位的报表，其他单位的报表会被退回、不会装入。"
            "需要代其他单位上传的，请联系省总工会的分析人员。",
            icon=":material/badge:",
        )
    theme_css.localise_uploader()
    # Any type and up to UPLOADER_LIMIT_MB are let through on purpose: the refusals (wrong type, over 20 MB) are
    # then given in Chinese by queries.uploads, not by Streamlit's uploader in English.
    most_mb = uploads.max_total_bytes() // (1024 * 1024)
    files = st.file_uploader(
        f"选择报表文件（.xlsx / .xls，可多选，每批不超过{uploads.max_files()}个、合计不超过 {most_mb} MB，"
        "每个不超过 20 MB）",
        accept_multiple_files=True, max_upload_size=uploads.UPLOADER_LIMIT_MB,
        key=f"upload_files_{st.session_state.get(UPLOADER_ROUND, 0)}",
        help=f"其他类型或超过 20 MB 的文件不会被处理，结果中会逐个说明原因；超过 {uploads.UPLOADER_LIMIT_MB} MB "
        "的文件浏览器会直接拒绝（提示为英文“File must be … or smaller”）。",
    )  # fmt: skip
    choice = st.columns(3)[0].selectbox(
        "本批报表年度", uploads.year_choices(catalog), format_func=_year_word, key="upload_expected_year",
        help="选定年度后，文件中的报表年度与之不符的将被退回；选“不限”则按文件中填写的年度装入。",
    )  # fmt: skip
    # The caps are checked on the sizes the uploader reports, before any file's bytes are read.
    refusal = uploads.batch_refusal([f.size for f in files or ()])
    if refusal:
        st.error(refusal, icon=":material/error:")
    clicked = st.button("校验并装入", type="primary", icon=":material/upload:", disabled=not files or bool(refusal))
    if clicked and not refusal:
        run_batch(files, uploads.expected_year(choice), unit)


def draw_result(index: int, result: dict) -> None:
    with st.container(border=True):
        colour = BADGES[result["status"]]
        if result.get("superseded"):
            result = {**result, "message": f"{result['message']}（替代了此前的版本：{result['superseded']}）"}
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


def draw_results(unit: str | None) -> None:
    batch = st.session_state.get(RESULTS)
    if not batch:
        return
    st.subheader("本批处理结果", anchor=False)
    results = batch["results"]
    st.markdown(f"**{uploads.batch_summary(results)}**（本批报表年度：{_year_word(batch['expected_year'])}）")
    if any(r["status"] in ("accepted", "accepted_with_warnings") for r in results):
        # A 填报单位 sees the tracker as its own submission history (本单位报送), never other units' progress.
        label = "到“本单位报送”页查看本单位的报送记录" if unit else "到“报送情况”页查看各单位报送进度"
        st.page_link("app_pages/tracker.py", label=label, icon=":material/checklist:")
    for index, result in enumerate(results):
        draw_result(index, result)
    if st.button("清除处理结果", icon=":material/clear_all:"):
        del st.session_state[RESULTS]
        st.rerun()


def draw_templates(unit: str | None) -> None:
    """Blank templates per return type and year; a city's own R1 template lists its counties. A 填报单位
    account is offered its own unit's templates only."""
    catalog, registry = ui.live_catalog(), ui.live_registry()
    st.subheader("下载空白模板", anchor=False)
    years = uploads.reporting_years(catalog)
    cols = st.columns(3)
    year = cols[0].selectbox(
        "报表年度", years, index=years.index(uploads.collecting_year(catalog)), format_func=_year_word,
        key="template_year",
    )  # fmt: skip
    code = cols[1].selectbox(
        "报表类型", uploads.template_returns(catalog, registry, unit), format_func=lambda c: return_label(catalog, c),
        key="template_return",
    )  # fmt: skip
    units = [u or GENERIC for u in uploads.template_units(catalog, registry, code, unit)]
    chosen = cols[2].selectbox(
        "填报单位" if unit else "填报单位（可选）", units, key=f"template_unit_{code}",
        format_func=lambda u: "通用模板（不预填单位）" if u == GENERIC else registry.get(u).name,
        help="选定单位后，模板预填单位名称；市级总工会的模板还列出其全部县（区）。",
    )  # fmt: skip
    unit_name = registry.get(chosen).name if chosen else None
    st.download_button(
        f"下载 {year}年度 {return_label(catalog, code)} 模板",
        data=partial(template_bytes, catalog, registry, code, year, unit_code=chosen or None),
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
auth.require(access.ROLE_ANALYST, access.ROLE_ADMIN, access.ROLE_UNIT, page="数据上传")
own = own_unit()
with ui.guarded("上传表单"):
    draw_form(own)
with ui.guarded("处理结果"):
    draw_results(own)
with ui.guarded("模板下载"):
    draw_templates(own)
    draw_help()
