"""系统设置 (管理员): each measure's thresholds and rule parameters, the reporting deadline and the unit registry.

Every form shows the setting in force beside its default (the files in catalog/), validates the change
(pipeline/settings.py, Chinese messages naming the field), previews which statuses it would change on the live
warehouse, asks why, and saves only on a second click (确认保存). 版本记录 lists every saved version (who, when, why,
what) and restores an earlier one, previewed the same way. Saving and restoring are audited. A save is a warehouse
write, so every reader's cached statuses follow without a restart. Unit names, reasons and summaries are shown in
tables or as literal text, never as markup.
"""

import streamlit as st

from dashboard import auth, ui
from pipeline import settings
from pipeline.access import ROLE_ADMIN
from pipeline.catalog import CatalogError
from pipeline.registry import RegistryError
from queries.uploads import markdown_safe

NOTICE = "settings_notice"  # session_state: the last save's message, shown once after the rerun
PENDING = "settings_pending_"  # + form key: the previewed change waiting for 确认保存
UNIT_ACTIONS = ("新增别名", "新增曾用名", "单位更名", "调整所属市", "不再报送", "新增单位")

auth.require(ROLE_ADMIN, page="系统设置")
st.title("系统设置")
st.caption(
    "修改十八条的判定阈值、报送截止日期和单位名录。每项修改先预览会改变哪些状态，填写原因后再确认保存；"
    "保存后所有页面、导出和报表装载立即按新设置执行。catalog/ 中的文件是默认值，可随时恢复。"
)
if notice := st.session_state.pop(NOTICE, None):
    st.success(markdown_safe(notice), icon=":material/check_circle:")

try:
    reference, broken = ui.live_reference(), None
except (CatalogError, RegistryError) as refused:  # saved against catalog files edited since: let a restore fix it
    reference, broken = settings.defaults(), refused


def show_preview(changes: list[settings.StatusChange]) -> None:
    statuses, units = settings.status_rows(changes), settings.judged_unit_rows(changes)
    if not changes:
        st.info("不改变任何状态。", icon=":material/info:")
    if statuses:
        st.markdown(f"**将改变以下 {len(statuses)} 项状态：**")
        st.dataframe(ui.rows_table(statuses), hide_index=True, width="stretch")
    elif changes:
        st.markdown("**不改变任何措施的状态。**")
    if units:
        st.markdown("**参与判定的单位将发生以下变化：**")
        st.dataframe(ui.rows_table(units), hide_index=True, width="stretch")


def confirm(key: str, preview, commit, what: str) -> None:
    """预览 → 原因 → 确认: ``preview()`` returns (status changes, summary); ``commit(reason)`` saves a version."""
    pending_key = PENDING + key
    if st.button("预览修改", key=f"{key}_preview", icon=":material/preview:"):
        try:
            with st.spinner("正在按修改后的设置重新判定各年度状态……"):
                changes, summary = preview()
        except settings.SettingsError as refused:
            st.session_state.pop(pending_key, None)
            st.error(markdown_safe(str(refused)), icon=":material/error:")
        else:
            st.session_state[pending_key] = {"what": what, "version": reference.version, "changes": changes,
                                              "summary": summary}  # fmt: skip
    pending = st.session_state.get(pending_key)
    if pending is None or pending["what"] != what or pending["version"] != reference.version:
        return  # the form changed since its preview, or someone saved meanwhile: preview again
    st.markdown("**修改内容：**")
    st.text(pending["summary"])
    show_preview(pending["changes"])
    reason = st.text_input("修改原因（必填，记入版本记录和操作日志）", key=f"{key}_reason", max_chars=500)
    if st.button("确认保存", key=f"{key}_save", type="primary", icon=":material/save:"):
        try:
            saved = commit(reason)
        except settings.SettingsError as refused:
            st.error(markdown_safe(str(refused)), icon=":material/error:")
            return
        st.session_state.pop(pending_key, None)
        st.session_state[NOTICE] = f"已保存为第{saved.id}版：{saved.summary}"
        st.rerun()


def save_change(change: settings.Change):
    def commit(reason: str) -> settings.SettingsVersion:
        saved = settings.save(change, author=auth.actor(), reason=reason)
        auth.record("settings_saved", target=change.target(), outcome="成功",
                    detail=f"第{saved.id}版：{saved.summary}；原因：{saved.reason}")  # fmt: skip
        return saved

    def preview() -> tuple[list[settings.StatusChange], str]:
        _, _, summary = settings.propose(reference, change)
        return settings.preview(ui.live_cursor(), reference, change), summary

    return preview, commit


def measure_form() -> None:
    measures = {m.number: m for m in reference.catalog.measures}
    number = st.selectbox("措施", list(measures), format_func=lambda n: f"第{n}条 {measures[n].short_name}",
                          key="settings_measure")  # fmt: skip
    rule = measures[number].rule
    st.dataframe(ui.rows_table(settings.threshold_rows(reference, number)), hide_index=True, width="content")
    thresholds, params = {}, {}
    columns = st.columns(max(1, len(rule.thresholds) + sum(1 for p in settings.PARAMS if p in rule.params)))
    for column, (name, value) in zip(columns, rule.thresholds.items(), strict=False):
        label, kind = settings.THRESHOLDS.get(name, (name, "share"))
        key = f"settings_m{number}_{name}"
        if kind == "share":
            typed = column.number_input(f"{label}（%）", 0.0, 100.0, round(value * 100, 4), 1.0, key=key)
            thresholds[name] = round(typed / 100, 6)
        elif kind == "score":
            thresholds[name] = column.number_input(f"{label}（分）", 0.0, 100.0, float(value), 1.0, key=key)
        else:
            thresholds[name] = column.number_input(f"{label}（次）", 1, 100, int(value), 1, key=key)
    for column, name in zip(columns[len(rule.thresholds) :], [p for p in settings.PARAMS if p in rule.params],
                            strict=False):  # fmt: skip
        label, low, high = settings.PARAMS[name]
        params[name] = column.number_input(
            label, low, high, int(rule.params[name]), 1, key=f"settings_m{number}_{name}"
        )
    typed_reading = st.text_area("判定说明（阈值改变时请一并修改）", rule.reading, key=f"settings_m{number}_reading")
    reading = typed_reading if typed_reading != rule.reading else None
    change = settings.MeasureChange(number, thresholds, params, reading)
    confirm("measure", *save_change(change), what=repr(change))


def deadline_form() -> None:
    current = reference.catalog.reporting.deadline_month_day
    default = settings.defaults().catalog.reporting.deadline_month_day
    st.markdown(
        f"现行：某年度的报表应于**{settings.deadline_text(current)}**前报送（默认：{settings.deadline_text(default)}）。"
    )
    month_now, day_now = (int(part) for part in current.split("-"))
    left, right = st.columns(2)
    month = left.number_input("次年 月", 1, 12, month_now, 1, key="settings_deadline_month")
    day = right.number_input("日", 1, 31, day_now, 1, key="settings_deadline_day")
    change = settings.DeadlineChange(int(month), int(day))
    confirm("deadline", *save_change(change), what=repr(change))


def unit_form() -> None:
    registry = reference.registry
    action = st.radio("要做的修改", UNIT_ACTIONS, horizontal=True, key="settings_unit_action")
    cities = [u.code for u in registry.cities()]
    if action == "新增单位":
        kinds = {"county": "县（区）总工会", "city": "市级总工会", "industry": "省级产业工会"}
        kind = st.selectbox("单位类型", list(kinds), format_func=kinds.get, key="settings_add_type")
        left, right = st.columns(2)
        code = left.text_input("单位代码（如 C01-14）", key="settings_add_code")
        parent = (
            right.selectbox("所属市", cities, format_func=lambda c: registry.get(c).name, key="settings_add_parent")
            if kind == "county"
            else registry.province().code
        )
        name = left.text_input("单位名称（县级填区县名，如 西咸新区）", key="settings_add_name")
        short_name = right.text_input("简称（图表中使用）", key="settings_add_short")
        aliases = st.text_input("别名（可选，多个用顿号“、”分隔）", key="settings_add_aliases")
        alias_list = tuple(a.strip() for a in aliases.replace(",", "、").replace("，", "、").split("、") if a.strip())
        change = settings.UnitAdd(code, name, short_name, kind, parent, alias_list)
    else:
        codes = [u.code for u in registry.units if u.type != "province"]
        code = st.selectbox("单位", codes, format_func=lambda c: registry.display_name(registry.get(c)),
                            key="settings_unit_code")  # fmt: skip
        st.dataframe(ui.rows_table(settings.unit_rows(reference, code)), hide_index=True, width="content")
        change = _unit_change(action, code)
    confirm("units", *save_change(change), what=repr(change))


def _unit_change(action: str, code: str) -> settings.Change:
    registry = reference.registry
    if action == "新增别名":
        return settings.UnitAlias(code, st.text_input("新别名（报表中出现的写法）", key="settings_alias"))
    if action == "新增曾用名":
        left, right = st.columns(2)
        name = left.text_input("曾用名（如 旬阳县）", key="settings_former_name")
        until = right.number_input("更名年份", 1949, 2100, 2021, 1, key="settings_former_until")
        return settings.UnitFormerName(code, name, int(until))
    if action == "单位更名":
        left, middle, right = st.columns(3)
        name = left.text_input("新名称", key="settings_rename_name")
        short_name = middle.text_input("新简称（可留空）", key="settings_rename_short")
        year = right.number_input("更名年份", 1949, 2100, 2026, 1, key="settings_rename_year")
        return settings.UnitRename(code, name, int(year), short_name or None)
    if action == "调整所属市":
        cities = [u.code for u in registry.cities()]
        parent = st.selectbox("划归", cities, format_func=lambda c: registry.get(c).name, key="settings_move_parent")
        return settings.UnitMove(code, parent)
    st.caption("不再报送的单位保留已报送的数据和名称，但不再要求报送，也不再参与判定。")
    return settings.UnitRetire(code)


def versions_section() -> None:
    st.subheader("版本记录")
    saved = settings.versions(ui.live_cursor())
    if not saved:
        st.info("尚未保存过任何设置，各项均为默认值（catalog/ 中的文件）。", icon=":material/info:")
        return
    st.dataframe(ui.rows_table(settings.version_rows(saved)), hide_index=True, width="stretch")
    choices = [v.id for v in saved[1:]] + [0]
    labels = {v.id: f"第{v.id}版（{v.saved_at:%Y-%m-%d %H:%M} {v.author}）" for v in saved} | {
        0: "默认设置（catalog/ 中的文件）"
    }
    chosen = st.selectbox("恢复到", choices, format_func=labels.get, key="settings_restore_to")

    def preview() -> tuple[list[settings.StatusChange], str]:
        return settings.preview_restore(ui.live_cursor(), reference, chosen), f"恢复到{labels[chosen]}"

    def commit(reason: str) -> settings.SettingsVersion:
        restored = settings.restore(chosen, author=auth.actor(), reason=reason)
        auth.record("settings_restored", target=labels[chosen], outcome="成功",
                    detail=f"第{restored.id}版：{restored.summary}；原因：{restored.reason}")  # fmt: skip
        return restored

    confirm("restore", preview, commit, what=f"restore:{chosen}")


with ui.guarded("系统设置"):
    if broken is not None:
        st.error(
            markdown_safe(f"已保存的设置与 catalog/ 中的默认文件不再相容：{broken}。")
            + "请在下方“版本记录”中恢复到默认设置或一个相容的版本；恢复之前，其他页面可能无法显示。",
            icon=":material/error:",
        )
        versions_section()
        st.stop()
    tab_measures, tab_deadline, tab_units = st.tabs(["指标阈值与参数", "报送截止日期", "单位名录"])
    with tab_measures:
        measure_form()
    with tab_deadline:
        deadline_form()
    with tab_units:
        unit_form()
    versions_section()
