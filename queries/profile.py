"""The query layer behind 单位画像 and the four chart-family pages (组织覆盖, 经费保障, 督查结果, 干部队伍).

Plain functions, no streamlit: the unit's tiles, status history, anomaly flags, submissions and (for a city)
the county breakdown of its current return; for the chart pages, which years a chart needs, which inspection
round a frame shows, and a chart's data as a CSV with Chinese headers. SQL lives in queries/sql/profile_*.sql,
read whole, with bound parameters only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from pipeline.catalog import Catalog, Indicator, load_catalog
from pipeline.registry import Registry, Unit, load_registry
from pipeline.spreadsheet_text import neutralise_formula
from queries.board import MISSING_COLUMN, NO_REMARK, STATUS_COLUMN, StatusBook, Tile, UnitProfile, target_text
from queries.scope import ALL_UNITS, OutOfScope, Scope, scope_free

SQL_DIR = Path(__file__).resolve().parent / "sql"
NOT_JUDGED = "—"  # a history cell for a year in which the unit was not judged on the measure
LEFT_OUT = "报表中未列出该县（区）"
COUNTY_COLUMN, REMARK_COLUMN = "县（区）", "备注"
STATE_WORDS = {"current": "当前有效", "superseded": "已被新版本替代", "rejected": "被退回"}
UNIT_TYPE_NAMES = {"city": "市级总工会", "industry": "省级产业工会"}


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


# --- the chart-family pages -----------------------------------------------------------------------------------


ONE_YEAR, WITH_LAST_YEAR, TREND = "year", "with_last_year", "trend"  # what span of years a chart shows


def years_up_to(years: Iterable[int], year: int) -> list[int]:
    """Every reporting year up to the selected one (a trend, or the inspection rounds held so far)."""
    return sorted(y for y in years if y <= year)


def chart_years(span: str, years: Iterable[int], year: int) -> list[int]:
    """The years a chart's series is queried for: the selected year, it and the year before, or a trend."""
    if span == ONE_YEAR:
        return [year]
    if span == WITH_LAST_YEAR:
        return [year - 1, year]
    return years_up_to(years, year)


def has_data(df: pd.DataFrame, span: str, year: int) -> bool:
    """Whether a chart has something to draw: a row for the selected year, or any row for a trend."""
    return not df.empty if span == TREND else has_year(df, year)


def has_year(df: pd.DataFrame, year: int) -> bool:
    """Whether a series frame has any row for the year (a chart of one year needs one)."""
    return not df.empty and bool((df["year"] == year).any())


def latest_round_year(df: pd.DataFrame) -> int | None:
    """The year of the latest special-inspection round in a 第9条 series frame; None when there is none."""
    return None if df.empty else int(df["year"].max())


# Column headings of each series' CSV: an indicator code (its catalog name and unit) or a heading; "%" columns
# are rates (0–1 in the series), written as percentages.
# The status column is the engine's verdict (queries.board.with_statuses), the one the bar's colour shows.
COMMON_COLUMNS = {
    "year": "年度",
    "unit_code": "单位代码",
    "unit_name": "单位",
    "unit_type": "单位类型",
    STATUS_COLUMN: "状态",
}
SERIES_COLUMNS: dict[str, dict[str, str]] = {
    "m3_coverage_by_city": {
        "covered": "召开专题会议的市县总工会数（个）",
        "total": "市县总工会总数（个）",
        "rate": "%覆盖率",
    },
    "m7_membership_by_union": {
        "members": "m7_members",
        "employees": "m7_employees",
        "coverage_rate": "%会员覆盖率",
        "grassroots_unions": "m7_grassroots_unions",
    },
    "m8_county_union_share_by_city": {
        "counties_with_union": "已建县级产业工会的县（区）数（个）",
        "counties_total": "县（区）总数（个）",
        "share": "%已建县级产业工会的县（区）比例",
    },
    "m4_special_funds_by_year": {
        "activities": "m4_activities",
        "requested": "m4_funds_requested",
        "approved": "m4_funds_approved",
        "disbursed": "m4_funds_disbursed",
        "disbursed_rate": "%经费拨付率",
    },
    "m5_dues_by_union": {"due": "m5_dues_due", "collected": "m5_dues_collected", "rate": "%会费收缴率"},
    "m6_budget_by_city": {
        "key_work": "m6_budget_key_work",
        "resident_office": "m6_resident_office_funds",
        "total": "合计（万元）",
        "counties_included": "纳入本级预算的县（区）数（个）",
        "counties_total": "县（区）总数（个）",
    },
    "m9_scores_by_unit": {"dimension": "督查内容", "dimension_no": "序号", "score": "得分（分）"},
    "m9_rectification_by_unit": {
        "found": "m9_problems_found",
        "rectified": "m9_problems_rectified",
        "rate": "%整改率",
        "mean_score": "平均得分（分）",
    },
    "m10_random_inspections_by_year": {
        "inspections": "随机督查次数（次）",
        "found": "m10_problems_found",
        "rectified": "m10_problems_rectified",
        "rate": "%问题整改率",
    },
    "m16_training_by_union": {"cadres": "m16_cadres", "trained": "m16_cadres_trained", "rate": "%干部培训率"},
    "m17_promotion_parity_by_union": {
        "eligible": "m17_cadres_eligible",
        "promoted": "m17_cadres_promoted",
        "rate": "%本单位提拔率",
        "organ_rate": "%省总机关提拔率",
        "parity_index": "提拔率比值（倍）",
    },
}


def column_heading(spec: str, catalog: Catalog) -> tuple[str, bool]:
    """(Chinese heading, whether the column is a rate) of a column spec: the CSV's and the data workbook's."""
    if spec.startswith("%"):
        return f"{spec[1:]}（%）", True
    if spec in catalog.indicators:
        return catalog.indicator(spec).label_with_unit.removeprefix("其中："), False
    return spec, False


class ChartColumns(Protocol):
    """What chart_csv needs of a figure of the registry (dashboard.figures.Figure): its CSV headings."""

    @property
    def csv_columns(self) -> Mapping[str, str]: ...


def with_reasons(out: pd.DataFrame, words: pd.Series) -> pd.DataFrame:
    """A judged unit without figures (queries.board.with_judged_units) reads the reason, 未报送 / 未督查, in each of
    its empty figure cells, beside the engine's status."""
    missing = words != ""
    if not missing.any():
        return out
    for column in (c for c in out.columns if c not in COMMON_COLUMNS):
        out[column] = out[column].astype("object").where(~(out[column].isna() & missing), words)
    return out


def chart_csv(df: pd.DataFrame, figure: ChartColumns | str) -> bytes:
    """A figure's frame as the CSV staff download beside a chart: Chinese headings (the figure's csv_columns; a
    figure's key names them too), rates as percentages, UTF-8 with a byte-order mark so that Excel opens the
    Chinese correctly."""
    catalog = load_catalog()
    columns = SERIES_COLUMNS[figure] if isinstance(figure, str) else figure.csv_columns
    specs = {**COMMON_COLUMNS, **columns}
    words = df[MISSING_COLUMN].fillna("").astype(str) if MISSING_COLUMN in df.columns else pd.Series("", index=df.index)
    out = df.drop(columns=MISSING_COLUMN, errors="ignore")
    headings = {}
    for column in out.columns:
        heading, percent = column_heading(specs.get(column, column), catalog)
        headings[column] = heading
        if percent:
            out[column] = (out[column].astype("float64") * 100).round(2)
        elif out[column].dtype == "float64":
            out[column] = out[column].round(4)  # a ratio such as 0.8951048951 reads 0.8951
    if "unit_type" in out.columns:
        out["unit_type"] = out["unit_type"].map(lambda t: UNIT_TYPE_NAMES.get(t, t))
    out = with_reasons(out, words)
    # Text that a spreadsheet would run as a formula (OWASP CSV injection) is written with a leading apostrophe.
    return out.rename(columns=headings).map(neutralise_formula).to_csv(index=False).encode("utf-8-sig")


# --- 单位画像: statuses --------------------------------------------------------------------------------------


@scope_free
def measure_label(book: StatusBook, number: int) -> str:
    return f"第{number}条　{book.catalog.measure(number).short_name}"


@scope_free
def unit_tiles(book: StatusBook, profile: UnitProfile) -> tuple[Tile, ...]:
    """The unit's own status on each measure judged per unit, as tiles (status, key figure, summary)."""
    return tuple(
        Tile(
            measure=book.catalog.measure(s.measure),
            status=s.status,
            metric_text=s.metric_text,
            summary=s.explanation.summary,
            previous_status=None,
            trend="",
            incomplete="",
            note=s.explanation.note,
            # A figure never stands bare: the tile names it and its bar, as the overview's tiles do.
            metric_name=s.explanation.metric_name or book.catalog.measure(s.measure).rule.metric_name,
            target=target_text(book, book.catalog.measure(s.measure)),
        )
        for s in profile.statuses
    )


@scope_free
def unit_history_table(book: StatusBook, profile: UnitProfile) -> pd.DataFrame:
    """措施 and one column per reporting year (2021年 …) holding the unit's status word, NOT_JUDGED when none."""
    columns = [f"{y}年" for y in book.years]
    rows = []
    for number, statuses in profile.history.items():
        by_year = {s.year: s.status for s in statuses}
        rows.append({"措施": measure_label(book, number), **{f"{y}年": by_year.get(y, NOT_JUDGED) for y in book.years}})
    return pd.DataFrame(rows, columns=["措施", *columns])


def _name(registry: Registry, code: str) -> str:
    return registry.get(code).short_name if code in registry else code


@scope_free
def unit_anomaly_table(book: StatusBook, profile: UnitProfile) -> pd.DataFrame:
    """The unit's flagged figures this year with its 说明: 措施, 涉及单位或县（区）, 指标, 变化, 填报说明, 来源单元格."""
    rows = [
        {
            "措施": f"第{book.catalog.indicator(a.indicator).measure}条",
            "涉及单位或县（区）": _name(book.registry, a.entity_code),
            "指标": a.indicator_name,
            "变化": a.change_text,
            "填报说明": a.remark or NO_REMARK,
            "来源单元格": a.source.location() if a.source else "",
        }
        for a in profile.anomalies
    ]
    return pd.DataFrame(rows, columns=["措施", "涉及单位或县（区）", "指标", "变化", "填报说明", "来源单元格"])


# --- 单位画像: submissions -----------------------------------------------------------------------------------


def unit_submissions(
    con: duckdb.DuckDBPyConnection, unit_code: str, *, catalog: Catalog | None = None, scope: Scope = ALL_UNITS
) -> pd.DataFrame:
    """Every file received from the unit, newest year first: submission_id, year, return_code, return_name,
    return_label (R1 市（区）总工会年度报表), file_name, received_at, filled_on, submitter, phone, state (current|superseded|rejected), state_word,
    error_count. OutOfScope for a unit outside the reader's scope."""
    if not scope.allows(unit_code):
        raise OutOfScope(scope.refusal("其他单位的报送记录"))
    returns = [{"code": r.code, "name": r.name} for r in (catalog or load_catalog()).returns.values()]
    df = con.execute(_sql("profile_submissions"), {"unit_code": unit_code, "returns": returns}).df()
    label = (df["return_code"] + " " + df["return_name"]).fillna("（未能识别报表类型）")
    df.insert(df.columns.get_loc("return_name") + 1, "return_label", label)
    df.insert(df.columns.get_loc("state") + 1, "state_word", df["state"].map(STATE_WORDS))
    rejected = df["state"] == "rejected"
    df.loc[rejected, "state_word"] = [f"被退回（{n}个错误）" for n in df.loc[rejected, "error_count"]]
    return df


@scope_free
def expected_returns(catalog: Catalog, unit: Unit) -> list[str]:
    """The return types a unit of this type owes each year (R1 for a city, R2 for an industry union)."""
    return [r.code for r in catalog.returns.values() if r.submitted_by == unit.type]


@scope_free
def missing_return_messages(submissions: pd.DataFrame, catalog: Catalog, unit: Unit, year: int) -> list[str]:
    """One sentence per return the unit owes for the year but has no current version of, e.g.
    商洛市总工会2025年度尚未报送《市（区）总工会年度报表》."""
    of_year = submissions[submissions["year"] == year]
    current = set(of_year.loc[of_year["state"] == "current", "return_code"])
    messages = []
    for code in expected_returns(catalog, unit):
        if code in current:
            continue
        text = f"{unit.name}{year}年度尚未报送《{catalog.returns[code].name}》"
        rejected = int(((of_year["return_code"] == code) & (of_year["state"] == "rejected")).sum())
        if rejected:
            text += f"（已收到{rejected}份被退回的文件，请联系其修改后重新报送）"
        messages.append(text + "。")
    return messages


# --- 单位画像: a city's counties -----------------------------------------------------------------------------


def county_indicators(catalog: Catalog) -> tuple[str, list[Indicator]]:
    """The return holding the county breakdown and its indicators, in the catalog's order."""
    table = next(t for t in catalog.tables.values() if t.level == "county")
    return table.return_code, list(catalog.indicators_of_table(table.code))


def _cell(indicator: Indicator, row: Any) -> object:
    if indicator.type == "bool":
        return None if pd.isna(row.value_bool) else ("是" if row.value_bool else "否")
    if indicator.type in ("count", "amount", "rate", "score"):
        return None if pd.isna(row.value_num) else float(row.value_num)
    return None if pd.isna(row.value_text) else str(row.value_text)


def county_breakdown(
    con: duckdb.DuckDBPyConnection,
    city_code: str,
    year: int,
    registry: Registry | None = None,
    *,
    catalog: Catalog | None = None,
    scope: Scope = ALL_UNITS,
) -> pd.DataFrame:
    """One row per registry county of the city: 县（区）, one column per county indicator (its catalog name
    and unit; 是/否 for yes/no, numbers otherwise), and 备注 (LEFT_OUT when the return did not list the county).
    No rows when the city has no current return for the year. OutOfScope for a city outside the reader's scope."""
    if not scope.allows(city_code):
        raise OutOfScope(scope.refusal("其他单位的县（区）明细"))
    registry, catalog = registry or load_registry(), catalog or load_catalog()
    return_code, indicators = county_indicators(catalog)
    headings = {i.code: i.label_with_unit for i in indicators}
    columns = [COUNTY_COLUMN, *headings.values(), REMARK_COLUMN]
    counties = [{"position": i, "code": u.code, "name": u.name} for i, u in enumerate(registry.counties_of(city_code))]
    if not counties:  # 韩城: no counties (and an empty list has no struct type to bind)
        return pd.DataFrame(columns=columns)
    params = {
        "counties": counties,
        "city": city_code,
        "year": int(year),
        "return_code": return_code,
        "indicators": [i.code for i in indicators],
    }
    long = con.execute(_sql("profile_county_breakdown"), params).df()
    rows = []
    for (_, name), values in long.groupby(["position", "county_name"], sort=True):
        row: dict[str, object] = {COUNTY_COLUMN: name, **dict.fromkeys(headings.values())}
        for value in values.itertuples():
            if value.indicator in headings:
                row[headings[value.indicator]] = _cell(catalog.indicator(value.indicator), value)
        row[REMARK_COLUMN] = LEFT_OUT if values["indicator"].isna().all() else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)
