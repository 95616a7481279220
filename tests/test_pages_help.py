"""填报说明 under AppTest: generated from the issue-code catalogue, addressed to the submitting units, no codes."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipeline.issue_codes import ANALYST, BY_CODE, ISSUE_CODES, UNIT
from pipeline.warehouse import WAREHOUSE_ENV
from tests.accounts import signed_in

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_help(monkeypatch, tmp_path: Path) -> AppTest:
    monkeypatch.setenv(WAREHOUSE_ENV, str(tmp_path / "empty.duckdb"))  # the page needs no data
    app = signed_in(APP, default_timeout=60)
    app.run()
    app.switch_page("app_pages/filling_help.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_help_page_lists_every_unit_facing_problem(monkeypatch, tmp_path):
    app = open_help(monkeypatch, tmp_path)
    assert [h.value for h in app.header] == ["填报说明"]
    assert [s.value for s in app.subheader] == [
        "文件能否读取",
        "报表类型与表格",
        "填报单位、年度与联系人",
        "数值的填写",
        "区县明细与被督查单位",
        "已更名的县（区）",
    ]
    unit_tables = [t.value for t in app.table][:5]
    shown = [title for table in unit_tables for title in table["问题"]]
    assert shown == [e.title for e in ISSUE_CODES if e.acted_on_by == UNIT]
    first = unit_tables[0].iloc[0].to_dict()
    assert first == {
        "问题": "文件是空的",
        "处理": "错误（文件退回）",
        "系统的说明": "文件是空的（0 字节）",
        "修改方法": "请在 Excel 或 WPS 中打开报表，另存为 .xlsx 后重新报送",
    }
    values = unit_tables[3].set_index("问题")
    assert values.loc["必填项未填写", "系统的说明"] == "必填指标“〈指标名称〉”未填写"
    assert values.loc["填写的是估计数", "处理"] == "提示（照常入库）"


def test_help_page_names_the_contact_and_the_renamed_counties(monkeypatch, tmp_path):
    app = open_help(monkeypatch, tmp_path)
    assert "有疑问请联系：省总工会产业工会工作部（联系电话见通知）" in [c.value for c in app.caption]
    renamed = app.table[5].value
    assert renamed.iloc[-1].to_dict() == {"曾用名": "旬阳县", "现名": "旬阳市", "所属": "安康市", "更名年份": "2021年"}
    assert len(renamed) == 11


def test_help_page_keeps_the_analysts_cases_apart(monkeypatch, tmp_path):
    app = open_help(monkeypatch, tmp_path)
    assert [e.label for e in app.expander] == ["由省总工会处理的情况"]
    analyst = [title for t in app.table[6:] for title in t.value["问题"]]
    assert analyst == [e.title for e in ISSUE_CODES if e.acted_on_by == ANALYST]


def test_help_page_shows_no_codes_and_no_registry_file(monkeypatch, tmp_path):
    app = open_help(monkeypatch, tmp_path)
    cells = [str(v) for t in app.table for v in t.value.to_numpy().ravel()]
    texts = cells + [m.value for m in app.markdown] + [c.value for c in app.caption]
    words = {w for text in texts for w in re.findall(r"[a-z]+(?:_[a-z0-9]+)+", text)}
    assert words & set(BY_CODE) == set()
    assert not [t for t in texts if "units.yaml" in t]
