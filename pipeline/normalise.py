"""Turn what people type into Excel cells into typed values.

Every parser returns a :class:`Parsed` instead of raising, so the validator can turn a problem
into a Chinese message that names the cell. Inputs are whatever the Excel readers hand over:
python-calamine gives float/int/str/bool/date/datetime/time and '' for an empty cell, openpyxl
gives int/float/str/bool/datetime/None.

Decisions (each one is a trade-off somebody may ask about later):

* Estimates ("约120", "大约120", "120左右", "120余", "120多") are accepted with a warning rather
  than rejected. Rejecting a whole return for one approximate figure costs more (a round trip to
  the county federation, a late dashboard) than it saves, and the warning travels with the value
  to the dashboard, so nobody mistakes it for an exact count.
* "-", "—", "/", "无" (and a few variants) alone in a number or date cell mean "nothing
  reported": empty=True, ok=True, note "按未填报处理". "0" is zero, never empty. In a required
  count (marks_mean_zero=True) they mean "none of them": 0, with a warning, because a clerk who
  writes "无" under 召开次数 is answering the question, not skipping it.
* Every reading that changes what the cell literally says (两次 → 2, 1.5万 → 15000, 85000元 → 8.5
  万元, 3。5 → 3.5, 约120 → 120, 无 → 0, a date without a year or day) comes back with a warning and
  a warning_code, so the submitter sees it; typographic clean-ups (full-width digits, 1,234, a
  trailing unit word equal to the indicator's unit) are only noted.
* Magnitude words are read as absolute amounts. In a 万元 cell "3万" is 3, "1.2亿" is 12000,
  "35000元" is 3.5 and "3千" is 0.3; a bare number ("3000") is already in the cell's unit. In
  count cells (人, 个, 人次 …) "3万" is 30000. Chinese numerals that contain 千/万/亿 follow
  the same rule ("一万二" in a 万元 cell is 1.2).
* A "%" sign is only allowed in a "%" cell; there a bare number is kept exactly as given (the
  reader decides whether 0.125 was meant as 12.5%).
* Text numbers come back as int when they denote a whole number and as float otherwise; numbers
  the reader already typed keep their type, except that integer=True always yields int (with a
  tolerance for the binary noise Excel formulas leave, e.g. 3.0000000000000004).
* Thousands separators must sit in groups of three: "1,5" is rejected, not guessed, because it
  may be a mistyped decimal point. "3。5" (the Chinese IME full stop between digits) is 3.5.
* Number cells do not accept digit-by-digit Chinese ("一二三"); dates do ("二〇二三年").
* A unit word after a number must be the indicator's unit or a common synonym (名 for 人, 家 for 个,
  块 for 元, 场 for 次); another known unit ("12人" in a 个 cell) is an error naming both units,
  because it usually means the figure was typed into the wrong row. In a count (counting_words=True)
  any counting word is accepted ("3项" under a 个 indicator), with a warning when it is not the
  indicator's unit: people count meetings in 次 or 场 and organisations in 个 or 家 without thinking.
* Number cells longer than 80 characters and date cells longer than 40 are remarks, not values.
* Dates use Excel's 1900 date system; serial numbers are accepted between 20000 and 80000
  (1954–2119). A float such as 2023.1 in a date cell is rejected because Excel has dropped the
  trailing zero of "2023.10" and the month can no longer be known. Years must be 1900–2100.
  Day-first ("12/5/2023") and two-digit years are rejected with a hint, never guessed.
* "年月" without a day is read as the first of the month, with a warning. "月日" without a year
  ("6月18日") takes the reporting year when the caller knows it, with a warning.
* Yes/no cells accept 是/否, ticks and crosses, and the question's own verb: for "是否将经费纳入本级
  预算" that is 纳入 (已纳入 / 未纳入 / 没有纳入 / 不纳入 …). The verb is derived from the
  indicator's name and aliases (answer_words), never listed per indicator.
* Excel error values (#DIV/0!, #N/A …, an ExcelErrorValue from the reader or the same text) are never
  blank: every parser rejects them, naming the error and what it usually means.
* Control characters (C0 except tab and line feed, DEL, C1) are removed from all text before anything
  else: a NUL typed or pasted into a name must not reach the warehouse or the files made from it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import lru_cache
from numbers import Integral, Real

from pipeline.cell_values import EXCEL_ERROR_MEANINGS, ExcelErrorValue

__all__ = [
    "ANSWER_WITH_REMARK",
    "CONVERTED_NUMBER",
    "COUNTING_WORD",
    "DATE_WITHOUT_DAY",
    "DATE_WITHOUT_YEAR",
    "ESTIMATE",
    "NOTHING_AS_ZERO",
    "NO_ANSWER_WORDS",
    "AnswerWords",
    "Parsed",
    "answer_words",
    "excel_error",
    "parse_bool",
    "parse_date",
    "parse_number",
    "parse_text",
    "remove_control_characters",
    "to_halfwidth",
]

# Warning codes: each reading that changes what the cell literally says has one (Parsed.warning_code).
ESTIMATE = "estimate"  # 约120 → 120
CONVERTED_NUMBER = "converted_number"  # 两次 → 2, 1.5万 → 15000, 85000元 → 8.5万元, 3。5 → 3.5
NOTHING_AS_ZERO = "nothing_as_zero"  # 无 / — / / in a required count → 0
COUNTING_WORD = "counting_word"  # 3项 under a 个 indicator → 3
DATE_WITHOUT_YEAR = "date_without_year"  # 6月18日 → the reporting year's 18 June
DATE_WITHOUT_DAY = "date_without_day"  # 2023年5月 → 1 May 2023
ANSWER_WITH_REMARK = "answer_with_remark"  # 是（3个） → 是, the words after it not read


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one cell; never an exception.

    A warning is phrased to follow the indicator's name ("是估计数，按 120 读入；…"): the validator puts
    the name in front, and every display of an issue adds the text as typed ("（填写的是“约120”）").
    """

    value: object | None  # int/float for numbers, datetime.date for dates, bool for yes/no, str for text
    ok: bool  # False when the input could not be understood
    empty: bool  # True when nothing was reported
    warning: str | None = None  # accepted, but the submitter should hear about it (e.g. an estimate)
    error: str | None = None  # what is wrong and how to fix it, when ok is False
    note: str | None = None  # which normalisation was applied, for the provenance
    warning_code: str | None = None  # one of the warning codes above when warning is set


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------

_HALFWIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
# C0 controls except tab and line feed, DEL, and C1 controls: nothing a person means to type, and a NUL
# truncates or breaks strings in the C libraries and file formats the values travel on to.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")
_NOT_REPORTED_MARKS = frozenset({"-", "--", "—", "——", "–", "―", "/", "//", "\\", "无", "暂无"})
_NOT_REPORTED_NOTE = "按未填报处理"
_FORMULA_ERROR = re.compile("|".join(map(re.escape, EXCEL_ERROR_MEANINGS)), re.IGNORECASE)
_SHOWN_MAX = 20
_FULLWIDTH_DIGIT = re.compile("[\uff10-\uff19]")
_FULLWIDTH_FORM = re.compile("[\uff01-\uff5e]")  # full-width ASCII forms: letters, digits and signs


def remove_control_characters(text: str) -> str:
    """The text without NUL and the other control characters (tab and line feed are kept)."""
    return _CONTROL_CHARACTERS.sub("", text)


def excel_error(raw: object) -> ExcelErrorValue | None:
    """The Excel error value a cell holds (from the reader, or as the text "#DIV/0!"); None for anything else."""
    if isinstance(raw, ExcelErrorValue):
        return raw
    # Every error value starts with "#" (full-width "＃" before to_halfwidth): most cells have neither, and are
    # passed without the translation this runs for each label, name and answer read as data.
    if isinstance(raw, str) and len(raw) <= _SHOWN_MAX and ("#" in raw or "＃" in raw):
        text = to_halfwidth(remove_control_characters(raw)).strip()
        if _FORMULA_ERROR.fullmatch(text):
            return ExcelErrorValue(text.upper())
    return None


def _excel_error_message(error: ExcelErrorValue) -> str:
    return f"单元格显示 Excel 错误值“{error.text}”，意思是{error.meaning}；请检查公式，或直接填写"


def to_halfwidth(text: str) -> str:
    """Full-width ASCII forms (１２３．％，) and the ideographic space to their half-width forms.

    Chinese punctuation outside the full-width ASCII block (。、“”) is left alone on purpose:
    it is correct in Chinese text and only the number parser gives "。" a special meaning.
    """
    return text.translate(_HALFWIDTH_TABLE)


def _join(notes: list[str]) -> str | None:
    if not notes:
        return None
    unique = list(dict.fromkeys(notes))
    return "；".join(unique) if unique else None


def _accept(value: object, notes: list[str], warning: str | None = None, code: str | None = None) -> Parsed:
    return Parsed(value=value, ok=True, empty=False, warning=warning, note=_join(notes), warning_code=code)


def _reject(error: str, notes: list[str] | None = None) -> Parsed:
    return Parsed(value=None, ok=False, empty=False, error=error, note=_join(notes or []))


def _blank(note: str | None = None) -> Parsed:
    return Parsed(value=None, ok=True, empty=True, note=note)


def _clean(text: str) -> tuple[str, list[str]]:
    """Half-width, invisible characters removed, whitespace collapsed; plus the note to record."""
    notes: list[str] = []
    if _FULLWIDTH_DIGIT.search(text):
        notes.append("全角数字已转换")
    elif _FULLWIDTH_FORM.search(text):
        notes.append("全角字母或符号已转换")
    cleaned = _WHITESPACE.sub(" ", to_halfwidth(remove_control_characters(text)).translate(_INVISIBLE)).strip()
    return cleaned, notes


def _fmt(value: object) -> str:
    """A number as a person would write it: no exponent, no trailing zeros."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        number = float(value)
        if not math.isfinite(number):
            return str(number)
        return format(Decimal(repr(number)).normalize(), "f")
    return str(value)


def _shown(raw: object) -> str:
    """The cell as the submitter typed it, shortened so a message stays readable."""
    text = _WHITESPACE.sub(" ", raw).strip() if isinstance(raw, str) else _fmt(raw)
    return text if len(text) <= _SHOWN_MAX else text[:_SHOWN_MAX] + "…"


# ---------------------------------------------------------------------------------------------
# Chinese numerals
# ---------------------------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3,
    "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG_UNITS: tuple[tuple[str, int], ...] = (("亿", 10**8), ("万", 10**4))
_CN_ZEROS = "零〇"


def _cn_below_10000(text: str) -> int | None:
    """ "三千零五" → 3005; also the spoken short form "一百五" → 150. None when malformed."""
    if not text:
        return None
    total, pending, last_unit, after_zero = 0, None, 10_000, False
    for ch in text:
        if ch in _CN_DIGITS:
            if pending is not None:  # two digits in a row ("二三") are not a number here
                return None
            if _CN_DIGITS[ch] == 0:
                after_zero = True
            else:
                pending = _CN_DIGITS[ch]
        elif ch in _CN_SMALL_UNITS:
            unit = _CN_SMALL_UNITS[ch]
            # Units must fall ("三千二百"), and only 十 may stand without a digit ("十二").
            if unit >= last_unit or (pending is None and unit != 10):
                return None
            total += (1 if pending is None else pending) * unit
            pending, last_unit, after_zero = None, unit, False
        else:
            return None
    if pending is not None:
        # "一百五" means 150, but "一百零五" and "二十五" mean 105 and 25.
        spoken_short = 10 < last_unit < 10_000 and not after_zero
        total += pending * (last_unit // 10 if spoken_short else 1)
    return total


def _cn_integer(text: str, big_units: tuple[tuple[str, int], ...] = _CN_BIG_UNITS) -> int | None:
    """A Chinese integer with 万/亿 sections, e.g. "一亿二千万零五" or "一万二"."""
    if not big_units:
        return _cn_below_10000(text)
    (char, size), smaller = big_units[0], big_units[1:]
    if char not in text:
        return _cn_integer(text, smaller)
    high_text, low_text = text.split(char, 1)
    high = _cn_integer(high_text, smaller) if high_text else None
    if not high:  # "万" alone or "零万" is not a number
        return None
    low = _cn_low_section(low_text, size, smaller)
    return None if low is None else high * size + low


def _cn_low_section(text: str, size: int, smaller: tuple[tuple[str, int], ...]) -> int | None:
    if not text:
        return 0
    if text[0] in _CN_ZEROS:
        rest = text.lstrip(_CN_ZEROS)
        return _cn_integer(rest, smaller) if rest else None
    if len(text) == 1 and text in _CN_DIGITS:  # "一万二" is spoken for 12000
        return _CN_DIGITS[text] * size // 10
    return _cn_integer(text, smaller)


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

_MAGNITUDES = {"千": Decimal(1000), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
_CN_NUMERAL_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL_UNITS) + "万亿"
# Separators must be followed by three digits so the pattern cannot backtrack over runs of ", , ,".
_ARABIC = r"[0-9]+(?:[, ][0-9]{3})*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+"
_NUMBER_TEXT = re.compile(
    rf"(?P<sign>[+-]?) ?(?P<core>{_ARABIC}|[{_CN_NUMERAL_CHARS}]+) ?"
    r"(?P<magnitude>[千万亿]?)(?P<approx_inner>[余多]?) ?(?P<word>[^0-9]*?) ?"
    r"(?P<approx_outer>左右|上下|余|多)?"
)
_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+")
_GROUPED_DECIMAL = re.compile(r"[0-9]{1,3}(?:[, ][0-9]{3})+(?:\.[0-9]+)?")
_ESTIMATE_PREFIX = re.compile(r"(?:大约|大概|约为|约莫|约) ?")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\ufe63": "-"})
_IME_FULL_STOP = re.compile(r"(?<=[0-9])。(?=[0-9])")
_MAX_EXPONENT = 60  # beyond this a "number" is a typing accident and Decimal would overflow
_MAX_NUMBER_TEXT = 80  # a longer cell is a remark, not a number; also bounds the regex work
_INTEGER_TOLERANCE = 1e-9

# Words people write for the same unit; the indicator's unit is the first.
_UNIT_SYNONYMS = {
    "元": frozenset({"元", "块", "圆"}),
    "人": frozenset({"人", "名", "位"}),
    "个": frozenset({"个", "家", "所", "处"}),
    "次": frozenset({"次", "场"}),
}
# Words that count things (as opposed to measuring time, age or money): any of them is accepted in a count.
_COUNTING_WORDS = frozenset().union(*(_UNIT_SYNONYMS[base] for base in ("人", "个", "次"))) | {
    "人次", "项", "期", "户", "件", "篇", "条", "份", "台", "套", "本", "册", "座", "批", "支", "队",
    "场次", "家次", "个次", "期次",
}  # fmt: skip
_KNOWN_UNITS = _COUNTING_WORDS | _UNIT_SYNONYMS["元"] | {"天", "日", "小时", "分", "岁", "年", "月"}
_CN_NUMERALS_NOTE = "中文数字已转换"
_IME_FULL_STOP_NOTE = "中文句号已按小数点处理"


def _not_a_number(shown: str, integer: bool) -> str:
    """A whole-number cell's hint gives a whole-number example: "3.5" would be refused there."""
    example = "如 12" if integer else "如 12 或 3.5"
    return f"“{shown}”不是数字，请填写阿拉伯数字（{example}）"


def _not_an_integer(shown: str) -> str:
    return f"“{shown}”应为整数，请填写不带小数的数字"


def _percent_error(shown: str, unit: str | None) -> str:
    if unit is None:
        return f"“{shown}”带有百分号，本项不是百分比，请去掉“%”只填写数字"
    return f"“{shown}”带有百分号，本指标的计量单位是“{unit}”，请去掉“%”后按“{unit}”填写数字"


def parse_number(
    raw: object,
    *,
    unit: str | None = None,
    integer: bool = False,
    counting_words: bool = False,
    marks_mean_zero: bool = False,
) -> Parsed:
    """Read a number cell; `unit` is the indicator's unit of measure (万元, 个, 人, %, …).

    counting_words: the cell is a count, so any counting word after the number is accepted (3项, 2家).
    marks_mean_zero: "无", "—", "/" … are read as 0 with a warning instead of "not reported".
    """
    if raw is None:
        return _blank()
    if type(raw) is float or type(raw) is int:  # most cells: what the reader typed as a number (never a bool)
        return _number_from_reader(raw, integer)
    if (error := excel_error(raw)) is not None:
        return _reject(_excel_error_message(error) + "数字")
    if isinstance(raw, bool):  # bool is an int subclass, so this must come first
        return _reject("这里应填数字，单元格里却是逻辑值（TRUE/FALSE），请改为填写数字")
    if isinstance(raw, (dt.date, dt.time)):
        return _reject(
            f"这里应填数字，单元格里却是日期或时间（{raw.isoformat()}），多半是单元格格式被设成了日期；"
            "请把单元格格式改为“常规”后重新填写数字"
        )
    if isinstance(raw, Real):
        return _number_from_reader(raw, integer)
    normalised_unit = (to_halfwidth(unit).strip() or None) if unit else None
    return _number_from_text(str(raw), normalised_unit, integer, counting_words, marks_mean_zero)


def _number_from_reader(raw: Real, integer: bool) -> Parsed:
    """A value the Excel reader already typed as a number."""
    if type(raw) is not float and isinstance(raw, Integral):
        return _accept(int(raw), [])
    number = float(raw)
    if math.isnan(number):  # pandas' way of saying "empty cell"
        return _blank()
    if math.isinf(number):
        return _reject(f"“{_fmt(number)}”不是有效数值，请检查公式，或直接填写数字")
    if not integer:
        return _accept(raw, [])
    nearest = round(number)
    if abs(number - nearest) <= _INTEGER_TOLERANCE * max(1.0, abs(number)):
        return _accept(int(nearest), [])
    return _reject(_not_an_integer(_fmt(number)))


def _number_from_text(raw: str, unit: str | None, integer: bool, counting_words: bool, marks_mean_zero: bool) -> Parsed:
    text, notes = _clean(raw)
    if not text:
        return _blank()
    shown = _shown(raw)
    if text in _NOT_REPORTED_MARKS:
        if marks_mean_zero:
            return _accept(0, [*notes, "按 0 读入"], "按“没有”读作 0", NOTHING_AS_ZERO)
        return _blank(_NOT_REPORTED_NOTE)
    if len(text) > _MAX_NUMBER_TEXT:
        return _reject(_not_a_number(shown, integer), notes)
    body, estimated = _strip_estimate_prefix(_normalise_symbols(text, notes))
    match = _NUMBER_TEXT.fullmatch(body)
    if match is None:
        return _reject(_not_a_number(shown, integer), notes)
    word = match["word"].strip()
    unit_problem = _unit_problem(word, unit, shown, counting_words, integer)
    if unit_problem:
        return _reject(unit_problem, notes)
    core = _core_amount(match["core"], notes)
    if core is None:
        return _reject(_not_a_number(shown, integer), notes)
    amount, magnitude_inside = core
    if amount and abs(amount.adjusted()) > _MAX_EXPONENT:
        return _reject(f"“{shown}”位数过多，请核对后填写", notes)
    absolute = bool(match["magnitude"] or word) or magnitude_inside
    scaled = _to_indicator_unit(amount, match["magnitude"], word, absolute, unit, notes)
    converted = scaled != amount or _CN_NUMERALS_NOTE in notes or _IME_FULL_STOP_NOTE in notes
    value = _decimal_value(-scaled if match["sign"] == "-" else scaled, integer)
    if value is None:
        return _reject(_not_an_integer(shown), notes)
    read_as = _read_as(value, unit)
    if estimated or match["approx_inner"] or match["approx_outer"]:
        return _accept(value, notes, f"是估计数，{read_as}；如有准确数请更正", ESTIMATE)
    if word and word not in _unit_words(unit) and word != "%":
        warning = f"{read_as}；计量词“{word}”与本指标的计量单位“{unit}”不同，请核对是否填错了行"
        return _accept(value, notes, warning, COUNTING_WORD)
    if converted:
        return _accept(value, notes, read_as, CONVERTED_NUMBER)
    return _accept(value, notes)


def _read_as(value: int | float, unit: str | None) -> str:
    """ "按 15000 读入"; money names its unit, because 85000元 read as 8.5 surprises without it."""
    if unit and _split_unit(unit)[1] == "元":
        return f"按 {_fmt(value)} {unit}读入"
    return f"按 {_fmt(value)} 读入"


def _unit_words(unit: str | None) -> frozenset[str]:
    """The words that mean the indicator's own unit: "人" → 人, 名, 位; "万元" → 万元, 元, 块, 圆."""
    if not unit:
        return _KNOWN_UNITS
    base = _split_unit(unit)[1]
    return _UNIT_SYNONYMS.get(base, frozenset({base})) | {unit}


def _normalise_symbols(text: str, notes: list[str]) -> str:
    text = text.translate(_MINUS_SIGNS)
    if _IME_FULL_STOP.search(text):
        notes.append(_IME_FULL_STOP_NOTE)
        text = _IME_FULL_STOP.sub(".", text)
    return text


def _strip_estimate_prefix(text: str) -> tuple[str, bool]:
    match = _ESTIMATE_PREFIX.match(text)
    return (text[match.end() :], True) if match else (text, False)


def _core_amount(core: str, notes: list[str]) -> tuple[Decimal, bool] | None:
    """The digits part as a Decimal, and whether it already contains a magnitude word."""
    core = core.strip()
    if core[0] in _CN_NUMERAL_CHARS:
        number = _cn_integer(core)
        if number is None:
            return None
        notes.append(_CN_NUMERALS_NOTE)
        return Decimal(number), any(ch in _MAGNITUDES for ch in core)
    if _PLAIN_DECIMAL.fullmatch(core):
        return Decimal(core), False
    if _GROUPED_DECIMAL.fullmatch(core):
        notes.append("已去除千分位分隔符")
        return Decimal(re.sub("[, ]", "", core)), False
    return None


def _split_unit(unit: str | None) -> tuple[Decimal, str]:
    """Split a unit into magnitude and base: "万元" → (10000, "元"); "人" → (1, "人")."""
    if not unit:
        return Decimal(1), ""
    if unit in _MAGNITUDES:
        return _MAGNITUDES[unit], ""
    if len(unit) > 1 and unit[0] in _MAGNITUDES:
        return _MAGNITUDES[unit[0]], unit[1:]
    return Decimal(1), unit


def _unit_problem(word: str, unit: str | None, shown: str, counting_words: bool, integer: bool) -> str | None:
    """Why the unit word after the number cannot be accepted, or None when it can."""
    if not word:
        return None
    if word == "%":
        return None if unit == "%" else _percent_error(shown, unit)
    if unit is None:
        return None if word in _KNOWN_UNITS else _not_a_number(shown, integer)
    if word in _unit_words(unit):
        return None
    if counting_words and word in _COUNTING_WORDS:
        return None
    if word in _KNOWN_UNITS:
        return f"“{shown}”的单位“{word}”与本指标的计量单位“{unit}”不一致，请按“{unit}”填写数字"
    return _not_a_number(shown, integer)


def _to_indicator_unit(
    amount: Decimal, magnitude: str, word: str, absolute: bool, unit: str | None, notes: list[str]
) -> Decimal:
    """Scale an amount written with 万/亿/元 into the indicator's unit, recording what was done."""
    unit_scale, unit_base = _split_unit(unit)
    factor = _MAGNITUDES.get(magnitude, Decimal(1)) / unit_scale if absolute else Decimal(1)
    if factor != 1:
        notes.append(f"已由{magnitude}{unit_base}换算为{unit}" if unit else f"已按“{magnitude}”换算")
    elif word == "%":
        notes.append("已去除百分号")
    elif magnitude or word:
        notes.append(f"已去除单位“{magnitude}{word}”")
    with localcontext() as context:
        context.prec = 2 * _MAX_EXPONENT + 20  # exact for every amount that passed the size check
        return amount * factor


def _decimal_value(amount: Decimal, integer: bool) -> int | float | None:
    """int for whole numbers, float otherwise; None when an integer was required but not given."""
    if amount == amount.to_integral_value():
        return int(amount)
    return None if integer else float(amount)


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # 1900 date system, already past Excel's fictitious 1900-02-29
_SERIAL_MIN, _SERIAL_MAX = 20_000, 80_000
_YEAR_MIN, _YEAR_MAX = 1900, 2100
_MAX_DATE_TEXT = 40  # a longer cell is a remark, not a date
_TIME_SUFFIX = re.compile(r"(?:T| )[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?$")
_EIGHT_DIGITS = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_SERIAL_TEXT = re.compile(r"[0-9]{5}(?:\.[0-9]+)?")
_SEPARATED_DATE = re.compile(r"([0-9]{4})([./-])([0-9]{1,2})(?:\2([0-9]{1,2}))?")
_CHINESE_DATE = re.compile(r"(?P<y>[^年]+)年(?:(?P<m>[^月]+)月份?(?:(?P<d>[^日号]+)[日号]?)?)?")
_MONTH_DAY = re.compile(r"(?P<m>[^年月]{1,3})月(?P<d>[^年月日号]{1,3})[日号]?")
_DAY_FIRST = re.compile(r"[0-9]{1,2}([./-])[0-9]{1,2}\1[0-9]{4}")
_SHORT_YEAR = re.compile(r"[0-9]{2}([./-])[0-9]{1,2}\1[0-9]{1,2}")


@dataclass(frozen=True)
class _DateCell:
    """A date cell as messages show it, and the format hint, whose examples use the reporting year."""

    shown: str
    year: int | None

    @property
    def hint(self) -> str:
        if self.year is None:
            return "请写明四位年份和月、日，按“某年某月某日”或“年-月-日”的格式填写"
        return f"请按 {self.year}年5月12日 或 {self.year}-05-12 的格式填写"

    @property
    def four_digits(self) -> str:
        return f"（如 {self.year}）" if self.year is not None else ""


def parse_date(raw: object, *, reporting_year: int | None = None) -> Parsed:
    """Read a date cell: real dates, Excel serials, and the ways people write dates in China.

    reporting_year: the year a date written without one ("6月18日") belongs to, and the year of the examples in
    every hint; without it such a date is rejected, asking for the year.
    """
    if raw is None:
        return _blank()
    if (error := excel_error(raw)) is not None:
        return _reject(_excel_error_message(error) + "日期")
    if isinstance(raw, dt.datetime):
        return _accept(raw.date(), [])
    if isinstance(raw, dt.date):
        return _accept(raw, [])
    cell = _DateCell(_shown(raw), reporting_year)  # for the messages: a real date needs none
    if isinstance(raw, bool):
        return _reject(f"这里应填日期，单元格里却是逻辑值（TRUE/FALSE），{cell.hint}")
    if isinstance(raw, dt.time):
        return _reject(f"单元格里只有时间（{raw.isoformat()}），没有日期，{cell.hint}")
    if isinstance(raw, Real):
        return _date_from_number(float(raw), cell)
    return _date_from_text(str(raw), cell)


def _date_from_serial(serial: float, notes: list[str]) -> Parsed:
    notes.append("已由Excel日期序号换算")
    return _accept(_EXCEL_EPOCH + dt.timedelta(days=math.floor(serial)), notes)


def _date_from_number(number: float, cell: _DateCell) -> Parsed:
    if math.isnan(number):
        return _blank()
    if not math.isfinite(number):
        return _reject(f"“{cell.shown}”不是日期，{cell.hint}")
    if _SERIAL_MIN <= number <= _SERIAL_MAX:
        return _date_from_serial(number, [])
    if number.is_integer() and _EIGHT_DIGITS.fullmatch(str(int(number))):
        return _date_from_eight_digits(str(int(number)), cell, [])
    if _YEAR_MIN <= number < _YEAR_MAX + 1:
        if number.is_integer():
            return _reject(f"“{cell.shown}”只有年份，没有月和日，{cell.hint}")
        # Excel has turned "2023.10" into the number 2023.1; October and January now look alike.
        return _reject(f"“{cell.shown}”被Excel当成了数字，无法确定是几月，{cell.hint}（先把单元格格式设为“文本”）")
    return _reject(f"“{cell.shown}”不是日期，{cell.hint}")


def _date_from_text(raw: str, cell: _DateCell) -> Parsed:
    text, notes = _clean(raw)
    if not text:
        return _blank()
    if text in _NOT_REPORTED_MARKS:
        return _blank(_NOT_REPORTED_NOTE)
    if len(text) > _MAX_DATE_TEXT:
        return _reject(f"“{cell.shown}”不是日期，{cell.hint}", notes)
    compact = _TIME_SUFFIX.sub("", text).replace(" ", "")
    for reader in (_date_from_digit_text, _date_from_separated, _date_from_chinese):
        parsed = reader(compact, cell, notes)
        if parsed is not None:
            return parsed
    month_day = _MONTH_DAY.fullmatch(compact)
    if month_day is not None:
        return _date_in_reporting_year(month_day, cell, notes)
    if _DAY_FIRST.fullmatch(compact):
        return _reject(f"“{cell.shown}”的年份应写在最前面，{cell.hint}", notes)
    if _SHORT_YEAR.fullmatch(compact):
        return _reject(f"“{cell.shown}”的年份请写全四位{cell.four_digits}，{cell.hint}", notes)
    return _reject(f"“{cell.shown}”不是日期，{cell.hint}", notes)


def _date_from_digit_text(text: str, cell: _DateCell, notes: list[str]) -> Parsed | None:
    if _EIGHT_DIGITS.fullmatch(text):
        return _date_from_eight_digits(text, cell, notes)
    if _SERIAL_TEXT.fullmatch(text) and _SERIAL_MIN <= float(text) <= _SERIAL_MAX:
        return _date_from_serial(float(text), notes)
    if len(text) == 4 and text.isascii() and text.isdigit() and _YEAR_MIN <= int(text) <= _YEAR_MAX:
        return _reject(f"“{cell.shown}”只有年份，没有月和日，{cell.hint}", notes)
    return None


def _date_from_eight_digits(text: str, cell: _DateCell, notes: list[str]) -> Parsed:
    notes.append("已按8位数字“年月日”读入")
    return _build_date(int(text[:4]), int(text[4:6]), int(text[6:]), cell, notes)


def _date_from_separated(text: str, cell: _DateCell, notes: list[str]) -> Parsed | None:
    match = _SEPARATED_DATE.fullmatch(text)
    if match is None:
        return None
    day = int(match[4]) if match[4] else None
    return _build_date(int(match[1]), int(match[3]), day, cell, notes)


def _date_from_chinese(text: str, cell: _DateCell, notes: list[str]) -> Parsed | None:
    match = _CHINESE_DATE.fullmatch(text)
    if match is None:
        return None
    if match["m"] is None:
        return _reject(f"“{cell.shown}”只有年份，没有月和日，{cell.hint}", notes)
    year = _year_part(match["y"], notes)
    month = _month_day_part(match["m"], notes)
    day = _month_day_part(match["d"], notes) if match["d"] else None
    if year is None:
        return _reject(f"“{cell.shown}”的年份请写全四位{cell.four_digits}，{cell.hint}", notes)
    if month is None or (match["d"] and day is None):
        return _reject(f"“{cell.shown}”不是日期，{cell.hint}", notes)
    return _build_date(year, month, day, cell, notes)


def _date_in_reporting_year(match: re.Match[str], cell: _DateCell, notes: list[str]) -> Parsed:
    """ "6月18日": the reporting year's date, with a warning; rejected when the year is not known."""
    month, day = _month_day_part(match["m"], notes), _month_day_part(match["d"], notes)
    if month is None or day is None:
        return _reject(f"“{cell.shown}”不是日期，{cell.hint}", notes)
    year = cell.year
    if year is None:
        return _reject(f"“{cell.shown}”没有年份，{cell.hint}", notes)
    parsed = _build_date(year, month, day, cell, notes)
    if not parsed.ok:
        return parsed
    warning = f"没有写年份，按报表年度读作 {year}年{month}月{day}日；如不是{year}年请更正"
    return _accept(parsed.value, notes, warning, DATE_WITHOUT_YEAR)


def _year_part(text: str, notes: list[str]) -> int | None:
    """Four digits, Arabic or Chinese written digit by digit ("二〇二三")."""
    if len(text) != 4:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    if all(ch in _CN_DIGITS and ch != "两" for ch in text):
        notes.append(_CN_NUMERALS_NOTE)
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    return None


def _month_day_part(text: str, notes: list[str]) -> int | None:
    """ "5", "05" or "十二"; None when it is neither."""
    if text.isascii() and text.isdigit() and len(text) <= 2:
        return int(text)
    if len(text) <= 3 and all(ch in _CN_DIGITS or ch == "十" for ch in text):
        number = _cn_below_10000(text)
        if number is not None:
            notes.append(_CN_NUMERALS_NOTE)
        return number
    return None


def _build_date(year: int, month: int, day: int | None, cell: _DateCell, notes: list[str]) -> Parsed:
    if not _YEAR_MIN <= year <= _YEAR_MAX:
        return _reject(f"“{cell.shown}”的年份 {year} 不合理，{cell.hint}", notes)
    if not 1 <= month <= 12:
        return _reject(f"“{cell.shown}”的月份 {month} 不对，月份应为1到12，{cell.hint}", notes)
    warning = code = None
    if day is None:
        day, code = 1, DATE_WITHOUT_DAY
        warning = f"只有年月，没有日，按 {year}年{month}月1日 读入；如有具体日期请补全"
    last_day = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last_day:
        return _reject(f"“{cell.shown}”不是有效日期：{year}年{month}月只有{last_day}天，{cell.hint}", notes)
    return _accept(dt.date(year, month, day), notes, warning, code)


# ---------------------------------------------------------------------------------------------
# Yes / no
# ---------------------------------------------------------------------------------------------

_BOOL_HINT = "请填写“是”或“否”"
_TRUE_WORDS = frozenset({"是", "是的", "有", "对", "已", "√", "✓", "✔", "☑", "y", "yes", "true", "1"})
_FALSE_WORDS = frozenset({"否", "不是", "无", "没有", "未", "×", "✗", "✘", "n", "no", "false", "0"})
_AFFIRMATIONS = ("已经", "均已", "已")
_NEGATIONS = ("尚未", "暂未", "还未", "没有", "未", "没", "不")
_QUESTION_MARK = "是否"
_OBJECT_FIRST = ("将", "把")  # 是否将经费纳入预算: the object comes before the verb
_VERB_LENGTH = 2
_ANSWER_AND_REMARK = re.compile(r"(?P<answer>[^(,;:、。 ]+)[(,;:、。 ](?P<remark>.*)")


@dataclass(frozen=True)
class AnswerWords:
    """What a yes/no question can be answered with besides 是/否: its verbs and the phrases they begin."""

    verbs: tuple[str, ...]  # ("纳入",)
    predicates: tuple[str, ...]  # ("纳入本级预算", "纳入预算"): 已纳入本级预算 answers too

    def is_predicate(self, text: str) -> bool:
        """ "纳入", "纳入预算", "纳入本级预算" (a verb, or a verb with the start of what the question says)."""
        return text.startswith(self.verbs) and any(p.startswith(text) for p in self.predicates)

    def hint(self) -> str:
        if not self.verbs:
            return _BOOL_HINT
        verb = self.verbs[0]
        return f"{_BOOL_HINT}（也可填“已{verb}”或“未{verb}”）"


NO_ANSWER_WORDS = AnswerWords((), ())


def _compact(text: str) -> str:
    return _clean(text)[0].replace(" ", "")


@lru_cache(maxsize=256)
def answer_words(question: str, phrasings: tuple[str, ...] = ()) -> AnswerWords:
    """The verb a yes/no indicator asks about, read from its name and aliases (the catalog's words).

    "是否召开专题会议" asks about 召开, the word after 是否. "是否将产业工会经费纳入本级预算" puts the object
    first; its verb begins the longest alias the question ends with ("纳入本级预算"). A verb is taken as two
    characters, the length of nearly every verb in administrative Chinese (召开, 建立, 纳入, 设立); a question
    about 有 needs no verb, because 有 / 无 / 没有 are answers already.
    """
    phrases = [_compact(p) for p in (question, *phrasings)]
    tails = [p.removeprefix(_QUESTION_MARK) for p in phrases]
    verbs: list[str] = []
    for phrase in phrases:
        if not phrase.startswith(_QUESTION_MARK):
            continue
        asked = phrase.removeprefix(_QUESTION_MARK)
        if asked.startswith(_OBJECT_FIRST):
            endings = [t for t in tails if asked.endswith(t) and not t.startswith(_OBJECT_FIRST)]
            asked = max(endings, key=len, default="")
        verb = asked[:_VERB_LENGTH]
        if len(verb) == _VERB_LENGTH and not verb.startswith("有") and all("\u4e00" <= ch <= "\u9fff" for ch in verb):
            verbs.append(verb)
    unique_verbs = tuple(dict.fromkeys(verbs))
    predicates = tuple(dict.fromkeys(t for t in tails if unique_verbs and t.startswith(unique_verbs)))
    return AnswerWords(unique_verbs, predicates)


def parse_bool(raw: object, *, words: AnswerWords = NO_ANSWER_WORDS) -> Parsed:
    """Read a yes/no cell: 是/否, ticks and crosses, Y/N, 1/0, and answers with the question's verb.

    words: from answer_words(indicator name, aliases); with 纳入 as the verb, 已纳入 / 纳入本级预算 are yes
    and 未纳入 / 尚未纳入 / 没有纳入 / 不纳入 are no.
    """
    if raw is None:
        return _blank()
    if (error := excel_error(raw)) is not None:
        return _reject(_excel_error_message(error) + "“是”或“否”")
    if isinstance(raw, bool):
        return _accept(raw, [])
    if isinstance(raw, Real):
        return _bool_from_number(float(raw), _shown(raw))
    if not isinstance(raw, str):
        return _reject(f"“{_shown(raw)}”无法识别，{words.hint()}")
    text, notes = _clean(raw)
    text = text.rstrip("。.")
    if not text:
        return _blank()
    value = _answer(text, words)
    if value is not None:
        return _accept(value, notes)
    if text in _NOT_REPORTED_MARKS:
        return _blank(_NOT_REPORTED_NOTE)
    remark = _ANSWER_AND_REMARK.fullmatch(text)
    value = _answer(remark["answer"], words) if remark else None
    if value is not None:  # "是（3个）": the answer is clear, the remark belongs in 说明
        notes.append(f"已忽略“{remark['answer']}”后面的说明文字")
        warning = f"按“{'是' if value else '否'}”读入，后面的说明文字没有读入"
        return _accept(value, notes, warning, ANSWER_WITH_REMARK)
    return _reject(f"“{_shown(raw)}”无法识别，{words.hint()}", notes)


def _bool_from_number(number: float, shown: str) -> Parsed:
    if math.isnan(number):
        return _blank()
    if number in (0.0, 1.0):
        return _accept(number == 1.0, [])
    return _reject(f"“{shown}”无法识别，{_BOOL_HINT}（也可填 1 或 0）")


def _answer(text: str, words: AnswerWords) -> bool | None:
    key = text.lower().replace(" ", "")
    if key in _TRUE_WORDS:
        return True
    if key in _FALSE_WORDS:
        return False
    if words.is_predicate(key):
        return True
    for marker in _AFFIRMATIONS:
        if key.startswith(marker) and words.is_predicate(key.removeprefix(marker)):
            return True
    for marker in _NEGATIONS:
        if key.startswith(marker) and words.is_predicate(key.removeprefix(marker)):
            return False
    return None


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------


def parse_text(raw: object) -> Parsed:
    """Read a free-text cell: control characters removed, whitespace stripped and collapsed."""
    if type(raw) is str and len(raw) <= _TEXT_KEPT_CHARS:
        return _parse_short_text(raw)
    return _parse_text(raw)


_TEXT_KEPT_CHARS = 200  # a header field's or a 说明's text; a longer one (a hostile cell) is read afresh


# The same submitters, phones and answers recur in the returns of a batch: each distinct short text is read once.
@lru_cache(maxsize=8192)
def _parse_short_text(raw: str) -> Parsed:
    return _parse_text(raw)


def _parse_text(raw: object) -> Parsed:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return _blank()
    if (error := excel_error(raw)) is not None:
        return _reject(_excel_error_message(error) + "文字")
    text = _text_of(raw)
    without_controls = remove_control_characters(text)
    cleaned = _WHITESPACE.sub(" ", without_controls.translate(_INVISIBLE)).strip()
    if not cleaned:
        return _blank()
    notes = ["已去除控制字符"] if without_controls != text else []
    if cleaned != without_controls:
        notes.append("已去除多余空白")
    return _accept(cleaned, notes)


def _text_of(raw: object) -> str:
    """What a text cell holding a non-text value would display."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, (dt.date, dt.time)):
        return raw.isoformat(sep=" ") if isinstance(raw, dt.datetime) else raw.isoformat()
    return _fmt(raw)
