"""Cell parsers: exact values for every rule, and hypothesis round trips for the common spellings."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.cell_values import ExcelErrorValue
from pipeline.normalise import (
    ANSWER_WITH_REMARK,
    CONVERTED_NUMBER,
    COUNTING_WORD,
    DATE_WITHOUT_DAY,
    DATE_WITHOUT_YEAR,
    ESTIMATE,
    NOTHING_AS_ZERO,
    AnswerWords,
    Parsed,
    answer_words,
    excel_error,
    parse_bool,
    parse_date,
    parse_number,
    parse_text,
    remove_control_characters,
    to_halfwidth,
)

DATE_HINT = "请按 2023年5月12日 或 2023-05-12 的格式填写"  # the examples of a 2023 return
DATE_HINT_WITHOUT_YEAR = "请写明四位年份和月、日，按“某年某月某日”或“年-月-日”的格式填写"
EXCEL_EPOCH = dt.date(1899, 12, 30)
UNITS = ["万元", "个", "人", "次", "%", "分", "项", "期", "人次"]
FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
LONG_REMARK = "这是一段很长很长很长很长很长很长的说明文字"


def accepted(value: object, note: str | None = None, warning: str | None = None, code: str | None = None) -> Parsed:
    return Parsed(value=value, ok=True, empty=False, warning=warning, error=None, note=note, warning_code=code)


def converted(value: object, note: str, read_as: str | None = None) -> Parsed:
    """A reading that changes what the cell says: accepted with the warning that shows the figure read."""
    return accepted(value, note, read_as or f"按 {value} 读入", CONVERTED_NUMBER)


def rejected(error: str, note: str | None = None) -> Parsed:
    return Parsed(value=None, ok=False, empty=False, warning=None, error=error, note=note)


BLANK = Parsed(value=None, ok=True, empty=True)
NOT_REPORTED = Parsed(value=None, ok=True, empty=True, note="按未填报处理")


def not_a_number(shown: str) -> Parsed:
    return rejected(f"“{shown}”不是数字，请填写阿拉伯数字（如 12 或 3.5）")


def estimate(value: object, note: str | None = None) -> Parsed:
    return accepted(value, note, f"是估计数，按 {value} 读入；如有准确数请更正", ESTIMATE)


# ---------------------------------------------------------------------------------------------
# to_halfwidth
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("１２３", "123"),
        ("１２．５％", "12.5%"),
        ("１，２３４", "1,234"),
        ("ＡＢｃ", "ABc"),
        ("a\u3000b", "a b"),
        ("－３", "-3"),
        ("（备注）", "(备注)"),
        ("中文。、“”", "中文。、“”"),  # Chinese punctuation outside the full-width ASCII block stays
    ],
)
def test_to_halfwidth(text: str, expected: str) -> None:
    assert to_halfwidth(text) == expected


# ---------------------------------------------------------------------------------------------
# parse_number
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "integer", "expected"),
    [
        (1.0, False, accepted(1.0)),
        (1.0, True, accepted(1)),
        (12, False, accepted(12)),
        (12.5, False, accepted(12.5)),
        (1.5, True, rejected("“1.5”应为整数，请填写不带小数的数字")),
        (0.1 * 3 * 10, True, accepted(3)),  # formula noise 3.0000000000000004 is still an integer
        (-4, False, accepted(-4)),
        (0, False, accepted(0)),
        (float("nan"), False, BLANK),
        (float("inf"), False, rejected("“inf”不是有效数值，请检查公式，或直接填写数字")),
        (None, False, BLANK),
        ("", False, BLANK),
        ("   ", False, BLANK),
        ("\u3000\xa0", False, BLANK),
    ],
)
def test_number_from_reader_values(raw: object, integer: bool, expected: Parsed) -> None:
    assert parse_number(raw, integer=integer) == expected


def test_number_keeps_reader_float_type() -> None:
    result = parse_number(1.0)
    assert type(result.value) is float
    assert type(parse_number(1.0, integer=True).value) is int


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", accepted(12)),
        (" 12 ", accepted(12)),
        ("\u300012\xa0", accepted(12)),
        ("3.5", accepted(3.5)),
        ("0", accepted(0)),
        ("0.0", accepted(0)),
        ("+12", accepted(12)),
        ("-12", accepted(-12)),
        ("−12", accepted(-12)),  # U+2212 minus sign
        ("－１２", accepted(-12, "全角数字已转换")),
        (".5", accepted(0.5)),
        ("1.2E+05", accepted(120000)),
        ("１２３", accepted(123, "全角数字已转换")),
        ("１２．５", accepted(12.5, "全角数字已转换")),
        ("1,234", accepted(1234, "已去除千分位分隔符")),
        ("1，234", accepted(1234, "全角字母或符号已转换；已去除千分位分隔符")),
        ("1 234", accepted(1234, "已去除千分位分隔符")),
        ("1\xa0234\xa0567", accepted(1234567, "已去除千分位分隔符")),
        ("12,345,678.25", accepted(12345678.25, "已去除千分位分隔符")),
        ("3。5", converted(3.5, "中文句号已按小数点处理")),
        ("1,5", not_a_number("1,5")),  # not a group of three: maybe a mistyped decimal point, never guessed
        ("12 34", not_a_number("12 34")),
        ("待定", not_a_number("待定")),
        ("见附件", not_a_number("见附件")),
        ("12a", not_a_number("12a")),
        ("1.2.3", not_a_number("1.2.3")),
        ("5.", not_a_number("5.")),
        ("一二三", rejected("“一二三”不是数字，请填写阿拉伯数字（如 12 或 3.5）")),
        ("万", not_a_number("万")),
        ("约", not_a_number("约")),
        (LONG_REMARK, not_a_number(LONG_REMARK[:20] + "…")),  # messages quote at most 20 characters
        ("1" * 81, not_a_number("1" * 20 + "…")),  # longer than any number a person would type
        ("1" + ", " * 40 + "x", not_a_number("1" + ", " * 9 + ",…")),
        ("#DIV/0!", rejected("单元格显示 Excel 错误值“#DIV/0!”，意思是除数为 0；请检查公式，或直接填写数字")),
        ("#n/a", rejected("单元格显示 Excel 错误值“#N/A”，意思是查找的值不存在；请检查公式，或直接填写数字")),
        ("1e999999999", rejected("“1e999999999”位数过多，请核对后填写")),
    ],
)
def test_number_text(raw: str, expected: Parsed) -> None:
    assert parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["-", "--", "—", "——", "/", "／", "\\", "无", "暂无", " 无 "])
def test_number_nothing_reported_marks_are_empty(raw: str) -> None:
    assert parse_number(raw, unit="个") == NOT_REPORTED


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("12个", "个", accepted(12, "已去除单位“个”")),
        ("35人", "人", accepted(35, "已去除单位“人”")),
        ("35 人", "人", accepted(35, "已去除单位“人”")),
        ("35名", "人", accepted(35, "已去除单位“名”")),
        ("3次", "次", accepted(3, "已去除单位“次”")),
        ("120万元", "万元", accepted(120, "已去除单位“万元”")),
        ("12.5分", "分", accepted(12.5, "已去除单位“分”")),
        ("8项", "项", accepted(8, "已去除单位“项”")),
        ("2期", "期", accepted(2, "已去除单位“期”")),
        ("350人次", "人次", accepted(350, "已去除单位“人次”")),
        ("12家", "个", accepted(12, "已去除单位“家”")),
        ("12个", None, accepted(12, "已去除单位“个”")),
        ("12", "万元", accepted(12)),
        ("3000", "万元", accepted(3000)),  # a bare number is already in the cell's unit
        ("12人", "个", rejected("“12人”的单位“人”与本指标的计量单位“个”不一致，请按“个”填写数字")),
        ("5元", "人", rejected("“5元”的单位“元”与本指标的计量单位“人”不一致，请按“人”填写数字")),
        ("12斤斤", "个", not_a_number("12斤斤")),
        ("12个", "个 ", accepted(12, "已去除单位“个”")),  # the catalog's unit is tidied too
    ],
)
def test_number_unit_words(raw: str, unit: str | None, expected: Parsed) -> None:
    assert parse_number(raw, unit=unit) == expected


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("3万", "万元", accepted(3, "已去除单位“万”")),
        ("3.5万元", "万元", accepted(3.5, "已去除单位“万元”")),
        ("35000元", "万元", converted(3.5, "已由元换算为万元", "按 3.5 万元读入")),
        ("35000块", "万元", converted(3.5, "已由元换算为万元", "按 3.5 万元读入")),
        ("1.2亿", "万元", converted(12000, "已由亿元换算为万元", "按 12000 万元读入")),
        ("1.2亿元", "万元", converted(12000, "已由亿元换算为万元", "按 12000 万元读入")),
        ("3千", "万元", converted(0.3, "已由千元换算为万元", "按 0.3 万元读入")),
        ("-3万", "万元", accepted(-3, "已去除单位“万”")),
        ("3万", "人", converted(30000, "已由万人换算为人")),
        ("1.2万人", "人", converted(12000, "已由万人换算为人")),
        ("3万", "个", converted(30000, "已由万个换算为个")),
        ("1.5万人次", "人次", converted(15000, "已由万人次换算为人次")),
        ("-1.5万人次", "人次", converted(-15000, "已由万人次换算为人次")),
        ("35000人次", "万人次", converted(3.5, "已由人次换算为万人次")),
        ("3万", None, converted(30000, "已按“万”换算")),
        ("一万二", "万元", converted(1.2, "中文数字已转换；已由元换算为万元", "按 1.2 万元读入")),
        ("三万", "万元", converted(3, "中文数字已转换；已由元换算为万元", "按 3 万元读入")),
        ("三万", "人", converted(30000, "中文数字已转换")),
    ],
)
def test_number_magnitude_words(raw: str, unit: str | None, expected: Parsed) -> None:
    assert parse_number(raw, unit=unit) == expected


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("12.5%", "%", accepted(12.5, "已去除百分号")),
        ("12.5 %", "%", accepted(12.5, "已去除百分号")),
        ("12.5％", "%", accepted(12.5, "全角字母或符号已转换；已去除百分号")),
        ("0.125", "%", accepted(0.125)),  # a bare number in a % cell is kept as given
        ("100", "%", accepted(100)),
        ("12.5%", "％", accepted(12.5, "已去除百分号")),
        ("12%", "人", rejected("“12%”带有百分号，本指标的计量单位是“人”，请去掉“%”后按“人”填写数字")),
        ("12%", None, rejected("“12%”带有百分号，本项不是百分比，请去掉“%”只填写数字")),
    ],
)
def test_number_percent(raw: str, unit: str | None, expected: Parsed) -> None:
    assert parse_number(raw, unit=unit) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("零", 0),
        ("〇", 0),
        ("一", 1),
        ("三", 3),
        ("两", 2),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十五", 25),
        ("一百", 100),
        ("一百零五", 105),
        ("一百一十", 110),
        ("一百五", 150),  # spoken short form
        ("两千", 2000),
        ("三千零五", 3005),
        ("一千零五十", 1050),
        ("一万", 10000),
        ("一万二", 12000),
        ("一万零二", 10002),
        ("十万", 100000),
        ("一亿二千万", 120000000),
    ],
)
def test_number_chinese_numerals(raw: str, expected: int) -> None:
    assert parse_number(raw) == converted(expected, "中文数字已转换")


@pytest.mark.parametrize("raw", ["二三", "百", "千五", "十十", "五零", "一千百", "一万万", "零万", "一万零", "三点五"])
def test_number_chinese_nonsense_is_rejected(raw: str) -> None:
    assert parse_number(raw) == not_a_number(raw)


def test_number_chinese_numerals_with_unit() -> None:
    assert parse_number("十二人", unit="人") == converted(12, "中文数字已转换；已去除单位“人”")
    assert parse_number("两个", unit="个") == converted(2, "中文数字已转换；已去除单位“个”")
    assert parse_number("两次", unit="次", integer=True) == converted(2, "中文数字已转换；已去除单位“次”")


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("约120", None, estimate(120)),
        ("约 120", None, estimate(120)),
        ("大约120", None, estimate(120)),
        ("大概120", None, estimate(120)),
        ("120左右", None, estimate(120)),
        ("120余", None, estimate(120)),
        ("120多", None, estimate(120)),
        ("120多人", "人", estimate(120, "已去除单位“人”")),
        ("约120人", "人", estimate(120, "已去除单位“人”")),
        ("120人左右", "人", estimate(120, "已去除单位“人”")),
        ("3万余元", "万元", accepted(3, "已去除单位“万元”", "是估计数，按 3 万元读入；如有准确数请更正", ESTIMATE)),
        ("约3万", "人", estimate(30000, "已由万人换算为人")),
        ("三十多", None, estimate(30, "中文数字已转换")),
        ("约１２０", None, estimate(120, "全角数字已转换")),
    ],
)
def test_number_estimates_are_accepted_with_a_warning(raw: str, unit: str | None, expected: Parsed) -> None:
    assert parse_number(raw, unit=unit) == expected


def test_estimate_warning_text_matches_the_agreed_wording() -> None:
    assert parse_number("约120").warning == "是估计数，按 120 读入；如有准确数请更正"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", accepted(12)),
        ("12.0", accepted(12)),
        ("1.5", rejected("“1.5”应为整数，请填写不带小数的数字")),
        ("1.5万", converted(15000, "已由万人换算为人")),
        ("1.23456万", rejected("“1.23456万”应为整数，请填写不带小数的数字", "已由万人换算为人")),
        ("约1.5", rejected("“约1.5”应为整数，请填写不带小数的数字")),
    ],
)
def test_number_integer_mode(raw: str, expected: Parsed) -> None:
    assert parse_number(raw, unit="人", integer=True) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, rejected("这里应填数字，单元格里却是逻辑值（TRUE/FALSE），请改为填写数字")),
        (False, rejected("这里应填数字，单元格里却是逻辑值（TRUE/FALSE），请改为填写数字")),
        (
            dt.datetime(2023, 5, 12),
            rejected(
                "这里应填数字，单元格里却是日期或时间（2023-05-12T00:00:00），多半是单元格格式被设成了日期；"
                "请把单元格格式改为“常规”后重新填写数字"
            ),
        ),
        (
            dt.date(2023, 5, 12),
            rejected(
                "这里应填数字，单元格里却是日期或时间（2023-05-12），多半是单元格格式被设成了日期；"
                "请把单元格格式改为“常规”后重新填写数字"
            ),
        ),
    ],
)
def test_number_cell_holding_bool_or_date(raw: object, expected: Parsed) -> None:
    assert parse_number(raw) == expected


def to_fullwidth_digits(text: str) -> str:
    return text.translate(FULLWIDTH_DIGITS)


@given(n=st.integers(min_value=0, max_value=10**40), unit=st.sampled_from(UNITS))
def test_any_whole_number_round_trips(n: int, unit: str) -> None:
    for text in (str(n), f"{n:,}", to_fullwidth_digits(str(n)), str(n) + unit):
        result = parse_number(text, unit=unit)
        assert result.ok and not result.empty, text
        assert result.value == n, text
        assert type(result.value) is int, text
    assert parse_number(str(n), unit=unit, integer=True).value == n


@given(cents=st.integers(min_value=0, max_value=10**11))
def test_wan_yuan_with_two_decimals_round_trips(cents: int) -> None:
    x = cents / 100
    result = parse_number(f"{x}万元", unit="万元")
    assert result.ok and result.note == "已去除单位“万元”"
    assert result.value == pytest.approx(x, rel=1e-12, abs=1e-12)


@given(cents=st.integers(min_value=0, max_value=10**11))
def test_yuan_amounts_convert_to_wan_yuan(cents: int) -> None:
    yuan = cents / 100
    result = parse_number(f"{yuan}元", unit="万元")
    assert result.value == pytest.approx(yuan / 10_000, rel=1e-12, abs=1e-12)


CN_DIGITS = "零一二三四五六七八九"


def chinese_below_10000(n: int) -> str:
    """Standard spelling of 1..9999, with one 零 for each run of missing places."""
    out, gap = "", False
    for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit = n // size % 10
        if digit == 0:
            gap = gap or bool(out)
            continue
        out += ("零" if gap else "") + CN_DIGITS[digit] + unit
        gap = False
    return out


def chinese_numeral(n: int) -> str:
    high, low = divmod(n, 10_000)
    if not high:
        return chinese_below_10000(low) or "零"
    text = chinese_below_10000(high) + "万"
    if low:
        text += ("零" if low < 1000 else "") + chinese_below_10000(low)
    return text


def test_reference_chinese_speller() -> None:
    assert [chinese_numeral(n) for n in (0, 12, 105, 1050, 10002, 10500, 120000)] == [
        "零", "一十二", "一百零五", "一千零五十", "一万零二", "一万零五百", "一十二万",
    ]  # fmt: skip


@given(n=st.integers(min_value=0, max_value=99_999_999))
def test_standard_chinese_numerals_round_trip(n: int) -> None:
    assert parse_number(chinese_numeral(n), unit="人", integer=True) == converted(n, "中文数字已转换")


# ---------------------------------------------------------------------------------------------
# parse_date
# ---------------------------------------------------------------------------------------------

MAY_12 = dt.date(2023, 5, 12)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (dt.date(2023, 5, 12), accepted(MAY_12)),
        (dt.datetime(2023, 5, 12, 8, 30), accepted(MAY_12)),
        (45058, accepted(MAY_12, "已由Excel日期序号换算")),
        (45058.0, accepted(MAY_12, "已由Excel日期序号换算")),
        (45058.75, accepted(MAY_12, "已由Excel日期序号换算")),  # a serial with a time of day
        ("45058", accepted(MAY_12, "已由Excel日期序号换算")),
        (20230512, accepted(MAY_12, "已按8位数字“年月日”读入")),
        ("2023年5月12日", accepted(MAY_12)),
        ("2023年05月12日", accepted(MAY_12)),
        ("2023年5月12号", accepted(MAY_12)),
        ("2023 年 5 月 12 日", accepted(MAY_12)),
        ("2023.5.12", accepted(MAY_12)),
        ("2023/5/12", accepted(MAY_12)),
        ("2023-05-12", accepted(MAY_12)),
        ("2023-5-12", accepted(MAY_12)),
        ("2023-05-12 00:00:00", accepted(MAY_12)),
        ("2023-05-12T08:30", accepted(MAY_12)),
        ("20230512", accepted(MAY_12, "已按8位数字“年月日”读入")),
        ("２０２３年５月１２日", accepted(MAY_12, "全角数字已转换")),
        ("２０２３－０５－１２", accepted(MAY_12, "全角数字已转换")),
        ("二〇二三年五月十二日", accepted(MAY_12, "中文数字已转换")),
        ("二零二三年十二月三十一日", accepted(dt.date(2023, 12, 31), "中文数字已转换")),
        ("2023年五月二十日", accepted(dt.date(2023, 5, 20), "中文数字已转换")),
        ("2024年2月29日", accepted(dt.date(2024, 2, 29))),
        (None, BLANK),
        ("", BLANK),
        (" \u3000", BLANK),
        (float("nan"), BLANK),
        ("—", NOT_REPORTED),
        ("无", NOT_REPORTED),
    ],
)
def test_date_accepted(raw: object, expected: Parsed) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected_date", "shown"),
    [
        ("2023年5月", dt.date(2023, 5, 1), "2023年5月"),
        ("2023年5月份", dt.date(2023, 5, 1), "2023年5月份"),
        ("2023-05", dt.date(2023, 5, 1), "2023-05"),
        ("2023.10", dt.date(2023, 10, 1), "2023.10"),  # as text the trailing zero survives: October
    ],
)
def test_date_without_day_is_first_of_month_with_warning(raw: str, expected_date: dt.date, shown: str) -> None:
    y, m = expected_date.year, expected_date.month
    warning = f"只有年月，没有日，按 {y}年{m}月1日 读入；如有具体日期请补全"
    assert parse_date(raw) == accepted(expected_date, warning=warning, code=DATE_WITHOUT_DAY)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("2023年2月30日", f"“2023年2月30日”不是有效日期：2023年2月只有28天，{DATE_HINT}"),
        ("2023-04-31", f"“2023-04-31”不是有效日期：2023年4月只有30天，{DATE_HINT}"),
        ("2023.5.0", f"“2023.5.0”不是有效日期：2023年5月只有31天，{DATE_HINT}"),
        ("2023年13月1日", f"“2023年13月1日”的月份 13 不对，月份应为1到12，{DATE_HINT}"),
        ("1800-01-01", f"“1800-01-01”的年份 1800 不合理，{DATE_HINT}"),
        ("13/45/2023", f"“13/45/2023”的年份应写在最前面，{DATE_HINT}"),
        ("5/12/2023", f"“5/12/2023”的年份应写在最前面，{DATE_HINT}"),
        ("23.5.12", f"“23.5.12”的年份请写全四位（如 2023），{DATE_HINT}"),
        ("23年5月12日", f"“23年5月12日”的年份请写全四位（如 2023），{DATE_HINT}"),
        ("下个月", f"“下个月”不是日期，{DATE_HINT}"),
        ("待定", f"“待定”不是日期，{DATE_HINT}"),
        ("2023年", f"“2023年”只有年份，没有月和日，{DATE_HINT}"),
        ("2023", f"“2023”只有年份，没有月和日，{DATE_HINT}"),
        (2023, f"“2023”只有年份，没有月和日，{DATE_HINT}"),
        (2023.1, f"“2023.1”被Excel当成了数字，无法确定是几月，{DATE_HINT}（先把单元格格式设为“文本”）"),
        (12, f"“12”不是日期，{DATE_HINT}"),
        (True, f"这里应填日期，单元格里却是逻辑值（TRUE/FALSE），{DATE_HINT}"),
        (dt.time(8, 30), f"单元格里只有时间（08:30:00），没有日期，{DATE_HINT}"),
        (
            "#VALUE!",
            "单元格显示 Excel 错误值“#VALUE!”，意思是参与计算的单元格类型不对（如把文字当作数字计算）；请检查公式，或直接填写日期",
        ),
        ("2023年5月12日" * 5, f"“{'2023年5月12日' * 2}…”不是日期，{DATE_HINT}"),  # too long to be a date
    ],
)
def test_date_rejected(raw: object, error: str) -> None:
    assert parse_date(raw, reporting_year=2023) == rejected(error)


def test_chinese_date_with_bad_month_word() -> None:
    assert parse_date("2023年五五月1日", reporting_year=2023) == rejected(f"“2023年五五月1日”不是日期，{DATE_HINT}")


dates_2000_2035 = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2035, 12, 31))


@given(d=dates_2000_2035)
def test_dates_round_trip_through_common_spellings(d: dt.date) -> None:
    for text in (
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}.{d.month}.{d.day}",
        d.isoformat(),
        f"{d.year}/{d.month}/{d.day}",
    ):
        assert parse_date(text) == accepted(d), text


@given(d=dates_2000_2035)
def test_dates_round_trip_through_excel_serials(d: dt.date) -> None:
    serial = (d - EXCEL_EPOCH).days
    assert parse_date(serial) == accepted(d, "已由Excel日期序号换算")
    assert parse_date(float(serial) + 0.5).value == d


# ---------------------------------------------------------------------------------------------
# parse_bool
# ---------------------------------------------------------------------------------------------

TRUE_SPELLINGS = ["是", "有", "√", "✓", "Y", "y", "yes", "YES", "true", "TRUE", "1", "已", "是。"]
FALSE_SPELLINGS = ["否", "无", "×", "✗", "N", "n", "no", "No", "false", "FALSE", "0", "未", "没有"]
# The catalog's three yes/no questions, as name and aliases (tests/test_validate_values.py reads the catalog).
BUDGET_QUESTION = answer_words("是否将产业工会经费纳入本级预算", ("纳入本级预算", "是否纳入预算"))
MEETING_QUESTION = answer_words("是否召开专题会议", ("召开专题会议", "是否召开产业工会专题会议"))
SYSTEM_QUESTION = answer_words("是否建立联席（联系）会议制度", ("是否建立联席会议制度", "建立联席会议制度"))


@pytest.mark.parametrize("raw", TRUE_SPELLINGS)
def test_bool_true_spellings(raw: str) -> None:
    assert parse_bool(raw) == accepted(True)


@pytest.mark.parametrize("raw", FALSE_SPELLINGS)
def test_bool_false_spellings(raw: str) -> None:
    assert parse_bool(raw) == accepted(False)


def test_answer_words_come_from_the_question() -> None:
    derived = [BUDGET_QUESTION, MEETING_QUESTION, SYSTEM_QUESTION]
    assert derived == [
        AnswerWords(("纳入",), ("纳入本级预算", "纳入预算")),
        AnswerWords(("召开",), ("召开专题会议", "召开产业工会专题会议")),
        AnswerWords(("建立",), ("建立联席(联系)会议制度", "建立联席会议制度")),
    ]
    # A question about 有 needs no verb: 有 / 无 / 没有 answer it already.
    assert answer_words("是否有专职工作人员") == AnswerWords((), ())
    # Object first, and no alias names the verb: nothing is guessed.
    assert answer_words("是否将经费纳入预算") == AnswerWords((), ())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("已纳入", True),
        ("纳入", True),
        ("已经纳入", True),
        ("已纳入本级预算", True),
        ("纳入预算", True),
        ("未纳入", False),
        ("尚未纳入", False),
        ("暂未纳入", False),
        ("没有纳入", False),
        ("没纳入", False),
        ("不纳入", False),
        ("未纳入预算", False),
        ("是", True),
        ("否", False),
        ("√", True),
        ("×", False),
        ("有", True),
        ("无", False),
    ],
)
def test_bool_answers_with_the_questions_verb(raw: str, expected: bool) -> None:
    assert parse_bool(raw, words=BUDGET_QUESTION) == accepted(expected)


@pytest.mark.parametrize(
    ("raw", "words", "expected"),
    [
        ("已召开", MEETING_QUESTION, True),
        ("召开", MEETING_QUESTION, True),
        ("未召开", MEETING_QUESTION, False),
        ("已召开专题会议", MEETING_QUESTION, True),
        ("已建立", SYSTEM_QUESTION, True),
        ("尚未建立", SYSTEM_QUESTION, False),
        ("已建立联席会议制度", SYSTEM_QUESTION, True),
    ],
)
def test_bool_other_questions_verbs(raw: str, words: AnswerWords, expected: bool) -> None:
    assert parse_bool(raw, words=words) == accepted(expected)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("已纳入", MEETING_QUESTION),  # another question's verb: probably the wrong column
        ("已建立", BUDGET_QUESTION),
        ("已纳入", AnswerWords((), ())),
        ("已纳入其他单位", BUDGET_QUESTION),  # not what the question says
    ],
)
def test_bool_verb_of_another_question_is_refused(raw: str, words: AnswerWords) -> None:
    assert not parse_bool(raw, words=words).ok


def test_bool_refusal_names_the_questions_own_answers() -> None:
    assert parse_bool("也许", words=BUDGET_QUESTION) == rejected(
        "“也许”无法识别，请填写“是”或“否”（也可填“已纳入”或“未纳入”）"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 是 ", accepted(True)),
        ("Ｙ", accepted(True, "全角字母或符号已转换")),
        ("ｎｏ", accepted(False, "全角字母或符号已转换")),
        ("１", accepted(True, "全角数字已转换")),
        (True, accepted(True)),
        (False, accepted(False)),
        (1, accepted(True)),
        (0, accepted(False)),
        (1.0, accepted(True)),
        (0.0, accepted(False)),
        (
            "是（3个）",
            accepted(
                True,
                "全角字母或符号已转换；已忽略“是”后面的说明文字",
                "按“是”读入，后面的说明文字没有读入",
                ANSWER_WITH_REMARK,
            ),
        ),
        (
            "否,尚在筹备",
            accepted(False, "已忽略“否”后面的说明文字", "按“否”读入，后面的说明文字没有读入", ANSWER_WITH_REMARK),
        ),
        (None, BLANK),
        ("", BLANK),
        (float("nan"), BLANK),
        ("/", NOT_REPORTED),
        ("-", NOT_REPORTED),
        ("也许", rejected("“也许”无法识别，请填写“是”或“否”")),
        ("是否", rejected("“是否”无法识别，请填写“是”或“否”")),
        ("已撤销", rejected("“已撤销”无法识别，请填写“是”或“否”")),
        ("已建立", rejected("“已建立”无法识别，请填写“是”或“否”")),  # no question given: no verb is known
        (2, rejected("“2”无法识别，请填写“是”或“否”（也可填 1 或 0）")),
        (dt.date(2023, 5, 12), rejected("“2023-05-12”无法识别，请填写“是”或“否”")),
    ],
)
def test_bool_other_inputs(raw: object, expected: Parsed) -> None:
    assert parse_bool(raw) == expected


def test_bool_with_the_verb_and_a_remark() -> None:
    assert parse_bool("已纳入（50万元）", words=BUDGET_QUESTION) == accepted(
        True,
        "全角字母或符号已转换；已忽略“已纳入”后面的说明文字",
        "按“是”读入，后面的说明文字没有读入",
        ANSWER_WITH_REMARK,
    )


# ---------------------------------------------------------------------------------------------
# parse_text
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("西安市总工会", accepted("西安市总工会")),
        ("  西安市总工会 ", accepted("西安市总工会", "已去除多余空白")),
        ("西安市\u3000总工会", accepted("西安市 总工会", "已去除多余空白")),
        ("第一行\n第二行", accepted("第一行 第二行", "已去除多余空白")),
        ("a  \t b", accepted("a b", "已去除多余空白")),
        ("\u200b张三", accepted("张三", "已去除多余空白")),
        ("无", accepted("无")),  # in a text cell "无" is the answer itself
        ("（全角括号保留）", accepted("（全角括号保留）")),
        (12.0, accepted("12")),
        (12.5, accepted("12.5")),
        (3, accepted("3")),
        (True, accepted("是")),
        (dt.date(2023, 5, 12), accepted("2023-05-12")),
        (dt.datetime(2023, 5, 12, 8, 30), accepted("2023-05-12 08:30:00")),
        (None, BLANK),
        ("", BLANK),
        (" \u3000\n", BLANK),
        (float("nan"), BLANK),
    ],
)
def test_text(raw: object, expected: Parsed) -> None:
    assert parse_text(raw) == expected


# ---------------------------------------------------------------------------------------------
# Never raise, whatever arrives
# ---------------------------------------------------------------------------------------------

awkward_text = st.text(
    alphabet=st.sampled_from(
        list("0123456789０１２３.．,，。 \u3000+-−—/%％约余多左右万亿千元人个次零〇一二两三十百年月日号")
    ),
    max_size=14,
)
reader_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.text(),
    awkward_text,
)


def assert_well_formed(result: Parsed, value_type: type | tuple[type, ...]) -> None:
    assert isinstance(result, Parsed)
    if not result.ok:
        assert isinstance(result.error, str) and result.error
        assert result.value is None and not result.empty
    elif result.empty:
        assert result.value is None and result.error is None
    else:
        assert result.error is None
        assert isinstance(result.value, value_type)
        assert value_type is bool or not isinstance(result.value, bool)


@given(raw=reader_values, unit=st.sampled_from([*UNITS, None]), integer=st.booleans())
def test_parse_number_never_raises(raw: object, unit: str | None, integer: bool) -> None:
    result = parse_number(raw, unit=unit, integer=integer)
    assert_well_formed(result, int if integer else (int, float))
    if result.ok and not result.empty:
        assert math.isfinite(result.value)


@given(raw=reader_values)
def test_parse_date_never_raises(raw: object) -> None:
    result = parse_date(raw)
    assert_well_formed(result, dt.date)
    if result.ok and not result.empty:
        assert type(result.value) is dt.date


@given(raw=reader_values)
def test_parse_bool_never_raises(raw: object) -> None:
    result = parse_bool(raw)
    assert_well_formed(result, bool)
    if result.ok and not result.empty:
        assert type(result.value) is bool


@given(raw=reader_values)
def test_parse_text_never_raises(raw: object) -> None:
    result = parse_text(raw)
    assert result.ok
    if not result.empty:
        assert isinstance(result.value, str) and result.value == result.value.strip() and "  " not in result.value


# ---------------------------------------------------------------------------------------------
# What a careful clerk accepts, and shows: counting words, "无" as 0, dates without a year
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("3个", "个", accepted(3, "已去除单位“个”")),
        ("2家", "个", accepted(2, "已去除单位“家”")),  # a synonym of the unit: nothing to check
        ("9名", "人", accepted(9, "已去除单位“名”")),
        ("4次", "次", accepted(4, "已去除单位“次”")),
        (
            "3项",
            "个",
            accepted(
                3,
                "已去除单位“项”",
                "按 3 读入；计量词“项”与本指标的计量单位“个”不同，请核对是否填错了行",
                COUNTING_WORD,
            ),
        ),
        (
            "4次",
            "个",
            accepted(
                4,
                "已去除单位“次”",
                "按 4 读入；计量词“次”与本指标的计量单位“个”不同，请核对是否填错了行",
                COUNTING_WORD,
            ),
        ),
        (
            "9名",
            "人次",
            accepted(
                9,
                "已去除单位“名”",
                "按 9 读入；计量词“名”与本指标的计量单位“人次”不同，请核对是否填错了行",
                COUNTING_WORD,
            ),
        ),
        ("约3项", "个", estimate(3, "已去除单位“项”")),  # the estimate warning says it all
        ("3天", "个", rejected("“3天”的单位“天”与本指标的计量单位“个”不一致，请按“个”填写数字")),  # not a count
        ("3元", "个", rejected("“3元”的单位“元”与本指标的计量单位“个”不一致，请按“个”填写数字")),
    ],
)
def test_counting_words_in_a_count(raw: str, unit: str, expected: Parsed) -> None:
    assert parse_number(raw, unit=unit, integer=True, counting_words=True) == expected


def test_counting_word_outside_a_count_is_still_an_error() -> None:
    assert parse_number("3项", unit="个") == rejected("“3项”的单位“项”与本指标的计量单位“个”不一致，请按“个”填写数字")


@pytest.mark.parametrize("raw", ["无", "—", "/", "-", "——", "暂无", "／"])
def test_nothing_marks_in_a_required_count_read_as_zero(raw: str) -> None:
    result = parse_number(raw, unit="次", integer=True, counting_words=True, marks_mean_zero=True)
    assert (result.value, result.ok, result.empty) == (0, True, False)
    assert (result.warning, result.warning_code) == ("按“没有”读作 0", NOTHING_AS_ZERO)
    assert parse_number(raw, unit="次", integer=True) == NOT_REPORTED  # elsewhere: not reported


@pytest.mark.parametrize(
    ("raw", "expected_date", "note"),
    [
        ("6月18日", dt.date(2025, 6, 18), None),
        ("6月18号", dt.date(2025, 6, 18), None),
        ("06月08日", dt.date(2025, 6, 8), None),
        ("６月１８日", dt.date(2025, 6, 18), "全角数字已转换"),
        ("六月十八日", dt.date(2025, 6, 18), "中文数字已转换"),
    ],
)
def test_date_without_year_takes_the_reporting_year(raw: str, expected_date: dt.date, note: str | None) -> None:
    day = expected_date.day
    warning = f"没有写年份，按报表年度读作 2025年6月{day}日；如不是2025年请更正"
    assert parse_date(raw, reporting_year=2025) == accepted(expected_date, note, warning, DATE_WITHOUT_YEAR)


def test_date_without_year_needs_the_reporting_year() -> None:
    assert parse_date("6月18日") == rejected(f"“6月18日”没有年份，{DATE_HINT_WITHOUT_YEAR}")
    hint_2025 = "请按 2025年5月12日 或 2025-05-12 的格式填写"
    assert parse_date("2月30日", reporting_year=2025) == rejected(
        f"“2月30日”不是有效日期：2025年2月只有28天，{hint_2025}"
    )
    assert parse_date("13月1日", reporting_year=2025) == rejected(
        f"“13月1日”的月份 13 不对，月份应为1到12，{hint_2025}"
    )


def test_date_hints_give_examples_in_the_reporting_year_or_none() -> None:
    assert parse_date("23年5月12日", reporting_year=2026) == rejected(
        "“23年5月12日”的年份请写全四位（如 2026），请按 2026年5月12日 或 2026-05-12 的格式填写"
    )
    assert parse_date("23年5月12日") == rejected(f"“23年5月12日”的年份请写全四位，{DATE_HINT_WITHOUT_YEAR}")


# ---------------------------------------------------------------------------------------------
# Excel error values and control characters
# ---------------------------------------------------------------------------------------------

DIV0 = ExcelErrorValue("#DIV/0!")
DIV0_SAYS = "单元格显示 Excel 错误值“#DIV/0!”，意思是除数为 0；请检查公式，或直接填写"


@pytest.mark.parametrize(
    ("parse", "expected"),
    [
        (lambda raw: parse_number(raw, unit="个", integer=True, marks_mean_zero=True), rejected(DIV0_SAYS + "数字")),
        (parse_date, rejected(DIV0_SAYS + "日期")),
        (lambda raw: parse_bool(raw, words=BUDGET_QUESTION), rejected(DIV0_SAYS + "“是”或“否”")),
        (parse_text, rejected(DIV0_SAYS + "文字")),
    ],
)
def test_an_excel_error_value_is_never_blank(parse, expected: Parsed) -> None:
    assert parse(DIV0) == expected
    assert parse("#DIV/0!") == expected  # the same error read as text


def test_excel_error_recognises_the_value_and_its_text() -> None:
    assert excel_error(DIV0) is DIV0
    assert excel_error(" #n/a ") == ExcelErrorValue("#N/A")
    assert excel_error("＃REF!") == ExcelErrorValue("#REF!")
    assert [excel_error(raw) for raw in ("", None, 0, "#", "#DIV/0! 见说明", "DIV/0")] == [None] * 6


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张\x00三", accepted("张三", "已去除控制字符")),
        ("\x00", BLANK),
        ("李\x07四\x1b", accepted("李四", "已去除控制字符")),
        ("王\x7f五\x85\x9f", accepted("王五", "已去除控制字符")),
        ("第一行\r\n第二行", accepted("第一行 第二行", "已去除控制字符；已去除多余空白")),
        ("甲\t乙", accepted("甲 乙", "已去除多余空白")),  # tab and line feed are whitespace, not controls
    ],
)
def test_text_loses_control_characters(raw: str, expected: Parsed) -> None:
    assert parse_text(raw) == expected


def test_control_characters_never_reach_a_number_or_an_answer() -> None:
    assert parse_number("1\x002") == accepted(12)  # removed before reading, like an invisible space
    assert parse_number("12\x00") == accepted(12)
    assert parse_bool("是\x00") == accepted(True)
    assert remove_control_characters("a\x00b\tc\nd\x85") == "ab\tc\nd"


@given(raw=st.text())
def test_no_control_character_survives_parse_text(raw: str) -> None:
    value = parse_text(raw).value or ""
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in value)
