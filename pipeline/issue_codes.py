"""Every issue code the pipeline emits, listed once: default severity, Chinese title, message template, fix.

In the manner of frictionless's error catalogue. An Issue carries its own message and fix, written for the
case at hand; this list says what each code means in general. It feeds three things: the titles that
pages and printed lists show instead of the machine code (``title``), the 填报说明 help page, and a test
(tests/test_issue_codes.py) that fails when the source emits a code that is not listed here.

Message templates name their blanks in Chinese (``{指标名称}``) so the help page can show them as 〈指标名称〉.
``acted_on_by`` says who must act: the submitting unit (填报单位) or the provincial federation's analyst
(省总工会); the help page sent to units shows the first kind.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from pipeline.issues import ERROR, WARNING

UNIT = "填报单位"
ANALYST = "省总工会"

# Groups in the order a file meets them; the help page follows this order.
GROUPS = (
    ("file", "文件能否读取"),
    ("layout", "报表类型与表格"),
    ("header", "填报单位、年度与联系人"),
    ("value", "数值的填写"),
    ("rows", "区县明细与被督查单位"),
    ("intake", "接收与存档（由省总工会处理）"),
)


@dataclass(frozen=True)
class IssueCode:
    code: str
    severity: str  # the usual severity; a few codes take theirs from the catalog (noted in the fix)
    group: str  # a key of GROUPS
    title: str
    message: str  # template; blanks in braces, named in Chinese
    fix: str
    acted_on_by: str = UNIT

    @property
    def severity_word(self) -> str:
        return "错误（文件退回）" if self.severity == ERROR else "提示（照常入库）"

    def message_outline(self) -> str:
        """The template with its blanks shown as 〈…〉, for people to read."""
        parts = []
        for literal, field, _, _ in string.Formatter().parse(self.message):
            parts.append(literal)
            if field is not None:
                parts.append(f"〈{field}〉")
        return "".join(parts)


_FILE_FIX_SAVE_AS = "请在 Excel 或 WPS 中打开报表，另存为 .xlsx 后重新报送"

# fmt: off
ISSUE_CODES: tuple[IssueCode, ...] = (
    # -- whether the file can be read at all --
    IssueCode("empty_file", ERROR, "file", "文件是空的",
              "文件是空的（0 字节）",
              _FILE_FIX_SAVE_AS),
    IssueCode("file_too_large", ERROR, "file", "文件过大",
              "文件大小为{文件大小}，超过{上限}的上限",
              "真实报表通常只有几十 KB：请删除无关的工作表、图片和表格外误填的内容后重新保存"),
    IssueCode("not_excel", ERROR, "file", "不是 Excel 工作簿",
              "文件不是 Excel 工作簿（是{实际类型}）",
              "请上传用本年度模板填写的 .xlsx 或 .xls 文件"),
    IssueCode("old_excel_format", ERROR, "file", "早期 Excel 格式",
              "文件是 Excel 4.0 或更早版本（BIFF2–4）的格式，无法读取",
              _FILE_FIX_SAVE_AS),
    IssueCode("password_protected", ERROR, "file", "设置了打开密码",
              "工作簿设置了打开密码，无法读取",
              "请取消打开密码后另存为 .xlsx 再报送"),
    IssueCode("corrupt_file", ERROR, "file", "文件已损坏",
              "文件已损坏或不完整（{损坏之处}）",
              "请在 Excel 或 WPS 中打开确认内容完整，重新保存后再报送"),
    IssueCode("zip_bomb", ERROR, "file", "文件结构异常（解压后过大）",
              "文件解压后的大小或内部部件数量超过上限，疑似压缩炸弹，已拒绝读取",
              "请在 Excel 或 WPS 中打开确认后重新保存；若确为正常报表，请删除无关的工作表和图片后重新保存"),
    IssueCode("xml_bomb", ERROR, "file", "文件含有不应有的内容",
              "文件内部的“{部件}”含有文档类型定义（DOCTYPE/ENTITY），Excel 和 WPS 不会生成这种内容，已拒绝读取",
              _FILE_FIX_SAVE_AS),
    IssueCode("unsafe_file", ERROR, "file", "文件无法安全读取",
              "读取文件时超出了内存或时间的上限，文件无法安全读取，已拒绝",
              "请在 Excel 或 WPS 中打开报表，删除无关的工作表和表格外的内容，另存为 .xlsx 后重新报送"),
    IssueCode("bad_file_name", ERROR, "file", "文件名无法使用",
              "文件名“{文件名}”无法使用（{原因}）",
              "请把文件改为“单位名称＋年度＋报表名称.xlsx”这样的简短名称后重新报送"),
    # -- which return it is and where its tables are --
    IssueCode("unknown_return_type", ERROR, "layout", "无法识别报表类型",
              "无法识别报表类型：文件中没有表号和报表名称，也找不到任何报表的表头",
              "请使用省总工会下发的本年度报表模板填报后重新报送"),
    IssueCode("no_tables", ERROR, "layout", "没有找到任何表格",
              "文件中没有找到《{报表名称}》的任何表格",
              "请使用本年度模板填报，保留各表的标题和表头行"),
    IssueCode("missing_table", ERROR, "layout", "缺少表格",
              "未找到“{表格名称}”表",
              "请使用本年度模板，保留该表的标题和表头行"),
    IssueCode("duplicate_table", WARNING, "layout", "同一张表出现了两次",
              "“{表格名称}”表在工作表“{工作表}”和“{另一工作表}”中都出现，已读取“{工作表}”",
              "请删除多余的工作表或表格，只保留要报送的一份"),
    IssueCode("hidden_sheet", WARNING, "layout", "表格在隐藏的工作表中",
              "“{表格名称}”表位于隐藏的工作表“{工作表}”中，已按该表读取",
              "请取消隐藏该工作表并核对数据是否为本次要报送的"),
    IssueCode("missing_indicator", ERROR, "layout", "缺少指标行",
              "“{表格名称}”表中找不到指标“{指标名称}”这一行",
              "请恢复该指标的一行并填写；非必填指标缺行时只作提示"),
    IssueCode("missing_column", ERROR, "layout", "缺少数据列",
              "“{表格名称}”表缺少“{列名}”列",
              "请在表头行恢复该列并逐行填写；非必填的列缺失时只作提示"),
    IssueCode("duplicate_indicator", ERROR, "layout", "指标重复",
              "指标“{指标名称}”出现了两行（另见 {单元格}）",
              "请删除重复的一行，只保留一个数值"),
    IssueCode("unknown_row", WARNING, "layout", "无法识别的行",
              "“{行标题}”不是“{表格名称}”表的指标，该行数据未读取",
              "请核对指标名称，使用模板中的原名称"),
    IssueCode("unrecognised_row", ERROR, "layout", "表格内有无法识别的行",
              "表格内第{行号}行有内容但无法识别（“{表格名称}”表 {单元格}）：{原因}",
              "请把该行内容移到表格以外（如表下的“备注”），或按模板的行名称填写；空行可以删除"),
    IssueCode("unknown_column", WARNING, "layout", "无法识别的列",
              "“{表格名称}”表 {列} 列（{表头}）不是该表的列，其中 {单元格} 的数据未读取",
              "请把数据移到表头对应的列，或把表头改为模板中的列名；不需要的请删除"),
    IssueCode("value_header_year", WARNING, "layout", "数值列表头的年份与报表年度不同",
              "“{表格名称}”表的数值列表头是“{表头}”，与报表年度{报表年度}年不一致，已按{列名}读取",
              "请核对该列是否为本报表年度的数据，并把表头改为模板中的名称"),
    IssueCode("missing_key", ERROR, "layout", "缺少单位名称",
              "第{行号}行填写了数据，但没有填写“{名称列}”",
              "请在该行填写名称，或删除该行"),
    # -- who reports, for which year, and who to call --
    IssueCode("missing_unit", ERROR, "header", "未填写填报单位",
              "未填写填报单位",
              "请在“填报单位（盖章）”后填写单位全称"),
    IssueCode("unknown_unit", ERROR, "header", "无法识别单位名称",
              "无法识别单位名称“{填写的名称}”。最接近的是：{相近的单位}",
              "请按单位全称填写；如名称无误（例如单位新近更名），请与省总工会产业工会工作部联系"),
    IssueCode("unit_not_permitted", ERROR, "header", "不是本单位的报表",
              "本文件是{文件中的单位}的报表，您的账号属于{账号所属单位}，只能报送本单位的报表；本文件未装入、未保存",
              "请由该单位用本单位的账号报送，或请省总工会分析员代为上传；如填报单位填错了，请改正后重新上传"),
    IssueCode("former_unit_name", WARNING, "header", "使用了单位的曾用名",
              "{曾用名}已于{更名年份}年更名为{现名}，按{现名}读入",
              "以后报送请使用现名"),
    IssueCode("wrong_return_type", ERROR, "header", "报表类型与单位不符",
              "{单位名称}是{单位类型}，不填报《{报表名称}》",
              "请改用本单位对应的报表模板重新填报"),
    IssueCode("missing_year", ERROR, "header", "未填写报表年度",
              "未找到报表年度",
              "请在“报表年度”后填写报表所属的年份；最好使用本年度模板"),
    IssueCode("wrong_year", ERROR, "header", "报表年度不对",
              "文件中的报表年度为 {文件中的年度}，与{应报年度}不符",
              "请核对“报表年度”，并使用该年度的模板重新填报"),
    IssueCode("template_year_changed", WARNING, "header", "用上一年度模板改了年度",
              "所用模板是 {模板年度} 年度的，报表年度已改为 {报表年度}；模板版式相同，按 {报表年度} 年度接收",
              "本次不必修改；今后请使用本年度模板填报"),
    IssueCode("missing_submitter", WARNING, "header", "未填写填报人",
              "未填写填报人",
              "请填写填报人姓名，便于核实数据"),
    IssueCode("missing_phone", WARNING, "header", "未填写联系电话",
              "未填写联系电话",
              "请填写联系电话，便于核实数据"),
    IssueCode("bad_filled_on", WARNING, "header", "填报日期无法识别",
              "填报日期“{填写的内容}”无法识别",
              "请按“年-月-日”或“某年某月某日”的格式填写填报日期"),
    # -- the figures themselves --
    IssueCode("not_a_number", ERROR, "value", "不是数字",
              "“{指标名称}”应填数字，填写的“{填写的内容}”无法识别",
              "请填写阿拉伯数字；人数、次数等填整数，金额按万元填写"),
    IssueCode("not_a_date", ERROR, "value", "不是日期",
              "“{指标名称}”应填日期，填写的“{填写的内容}”无法识别",
              "请按“年-月-日”或“某年某月某日”的格式填写"),
    IssueCode("not_a_bool", ERROR, "value", "不是“是”或“否”",
              "“{指标名称}”应填“是”或“否”，填写的“{填写的内容}”无法识别",
              "请从下拉列表中选择“是”或“否”"),
    IssueCode("not_text", ERROR, "value", "文字无法识别",
              "“{指标名称}”应填文字说明，填写的内容无法识别",
              "请填写文字说明"),
    IssueCode("missing_value", ERROR, "value", "必填项未填写",
              "必填指标“{指标名称}”未填写",
              "请填写该项；确无此项的填 0 或“否”"),
    IssueCode("out_of_range", ERROR, "value", "数值超出范围",
              "“{指标名称}”的数值超出允许的范围（{范围}）",
              "请核对后更正；确无此项的填 0"),
    IssueCode("estimate", WARNING, "value", "填写的是估计数",
              "“{指标名称}”填写的“{填写的内容}”是估计数，按 {读入的数} 读入",
              "如有准确数，请更正后重新报送"),
    IssueCode("normalised", WARNING, "value", "数值已换算",
              "“{指标名称}”填写的“{填写的内容}”按 {读入的数} 读入",
              "请核对换算结果；如有误，请更正后重新报送"),
    IssueCode("converted_number", WARNING, "value", "数值已换算",
              "“{指标名称}”填写的“{填写的内容}”按 {读入的数} 读入",
              "请核对读入的数；如不对，请改填阿拉伯数字后重新报送"),
    IssueCode("nothing_as_zero", WARNING, "value", "“无”按 0 读入",
              "“{指标名称}”填写的“{填写的内容}”按“没有”读作 0",
              "如确实为 0 则不必修改（今后可直接填 0）；如有数据请填写后重新报送"),
    IssueCode("counting_word", WARNING, "value", "计量词与指标单位不同",
              "“{指标名称}”填写的“{填写的内容}”按 {读入的数} 读入；计量词与本指标的计量单位不同",
              "请核对这个数是否填在了本指标的行；无误则不必修改"),
    IssueCode("date_without_year", WARNING, "value", "日期没有写年份",
              "“{指标名称}”没有写年份，按报表年度读作 {读入的日期}",
              "如日期无误则不必修改；今后请写明年份"),
    IssueCode("date_without_day", WARNING, "value", "日期没有写日",
              "“{指标名称}”只有年月，没有日，按该月1日读入",
              "如有具体日期，请补全后重新报送"),
    IssueCode("answer_with_remark", WARNING, "value", "“是/否”后面有说明文字",
              "“{指标名称}”按“{是或否}”读入，后面的说明文字没有读入",
              "说明文字请写在“说明”栏"),
    IssueCode("formula_without_value", ERROR, "value", "公式没有计算结果",
              "该单元格是公式，但文件中没有保存计算结果",
              "请用 Excel 或 WPS 打开文件、确认公式结果后保存，再重新报送；也可以把公式改为数值"),
    IssueCode("excel_error_value", ERROR, "value", "单元格是 Excel 错误值",
              "“{指标名称}”所在单元格是 Excel 错误值 {错误值}（{含义}）",
              "请检查该单元格的公式并改正（例如除数为 0）；确无此项的填 0"),
    IssueCode("check_failed", ERROR, "value", "数字之间不一致",
              "{核对规则}：{指标名称} {数值} ＞ {另一指标名称} {另一数值}",
              "请核对这两个数后更正；有的核对只作提示，如确属实，请在“说明”栏写明原因"),
    IssueCode("year_over_year_jump", WARNING, "value", "与上年相比变化异常",
              "“{指标名称}”与上年（{上年}年）相比由 {上年的数} 增至（或降至）{本年的数}；单位的说明：{说明}",
              "请核对这个数；如确属实，请在“说明”栏写明原因（照常接收）；如有误，请更正后重新报送"),
    # -- county breakdown and inspected units --
    IssueCode("unknown_county", ERROR, "rows", "不是本市所辖的县（区）",
              "“{填写的名称}”不是{市名}所辖的县（区）",
              "请填写本市所辖县（区）的名称，每个县（区）一行"),
    IssueCode("empty_row", WARNING, "rows", "整行未填写",
              "“{名称}”这一行没有填写任何数据，按未报送处理",
              "如该单位有数据，请补填后重新报送"),
    IssueCode("duplicate_row", ERROR, "rows", "同一单位出现两次",
              "“{单位名称}”出现了两次（另见 {单元格}）",
              "每个单位只填一行，请合并或删除重复行"),
    IssueCode("missing_counties", WARNING, "rows", "区县明细缺少县（区）",
              "区县明细缺少：{县区名单}（按未开展计）",
              "请为每个所辖县（区）各填一行"),
    # -- receiving and archiving: the provincial federation's side --
    IssueCode("internal_error", ERROR, "intake", "系统内部错误",
              "处理该文件时发生内部错误，文件未装入数据仓库",
              "请把该文件发给系统管理员排查；其他文件不受影响", ANALYST),
    IssueCode("untrusted_received_time", WARNING, "intake", "文件修改时间不可信",
              "文件的修改时间（{修改时间}）晚于当前时间或早于报表年度，接收时间按装载时间计",
              "如需按实际收到的日期判断是否按时，请核对收件记录", ANALYST),
    IssueCode("not_current", WARNING, "intake", "已入库，但不是当前版本",
              "已入库，但同一单位同一年度已有更晚收到的第{编号}号报送，本份仅存档、不作为当前数据",
              "如本份才是最新的版本，请联系填报单位重新报送", ANALYST),
    IssueCode("archive_quota", WARNING, "intake", "被退回文件未存档",
              "被退回文件的存档空间已满，本文件未存档",
              "请管理员清理被退回文件的存档，或调高存档上限", ANALYST),
)
# fmt: on

BY_CODE: dict[str, IssueCode] = {entry.code: entry for entry in ISSUE_CODES}
GROUP_TITLES: dict[str, str] = dict(GROUPS)


def title(code: str) -> str:
    """The Chinese title shown instead of a code; an unlisted code (an old record) reads 其他问题."""
    entry = BY_CODE.get(code)
    return entry.title if entry is not None else "其他问题"


def by_group(acted_on_by: str | None = None) -> list[tuple[str, list[IssueCode]]]:
    """(group title, entries) in the order a file meets them, limited to who must act when given."""
    groups = []
    for key, heading in GROUPS:
        entries = [e for e in ISSUE_CODES if e.group == key and acted_on_by in (None, e.acted_on_by)]
        if entries:
            groups.append((heading, entries))
    return groups


def help_rows(entries: list[IssueCode]) -> list[dict[str, str]]:
    """One row per entry for the 填报说明 page: 问题, 处理, 系统的说明, 修改方法."""
    return [
        {"问题": e.title, "处理": e.severity_word, "系统的说明": e.message_outline(), "修改方法": e.fix}
        for e in entries
    ]
