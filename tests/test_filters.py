"""Links: a unit named in ?unit= by its short, full or former name opens that unit; a link naming a unit, year,
unit type or measure that does not exist says so in Chinese instead of silently showing something else."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.warehouse import WAREHOUSE_ENV
from tests.accounts import signed_in

APP = str(Path(__file__).resolve().parent.parent / "app.py")
UNIT_PAGE, DETAIL_PAGE = "app_pages/unit_profile.py", "app_pages/measure_detail.py"


def open_link(monkeypatch, warehouse: Path, page: str | None = None, **params: str) -> AppTest:
    monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
    app = signed_in(APP, default_timeout=90)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    if page is not None:
        app.switch_page(page)
        app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def link_warnings(app: AppTest) -> list[str]:
    return [w.value for w in app.warning if w.value.startswith("链接中的")]


@pytest.mark.parametrize("name", ["汉中", "汉中市", "汉中市总工会", "C07"])
def test_a_unit_link_opens_that_unit_by_any_of_its_names(monkeypatch, demo_warehouse, name):
    app = open_link(monkeypatch, demo_warehouse, UNIT_PAGE, unit=name)
    assert app.selectbox(key="_w_unit").value == "C07"
    assert app.radio(key="_w_type").value == "city"
    assert app.query_params["unit"] == "C07"  # the link is rewritten to the unit's code
    assert link_warnings(app) == []


def test_an_industry_union_alias_opens_its_unit(monkeypatch, demo_warehouse):
    app = open_link(monkeypatch, demo_warehouse, UNIT_PAGE, unit="省海员建设工会")
    assert (app.radio(key="_w_type").value, app.selectbox(key="_w_unit").value) == ("industry", "I07")


def test_an_unknown_unit_is_named_in_a_chinese_warning(monkeypatch, demo_warehouse):
    app = open_link(monkeypatch, demo_warehouse, None, unit="火星")
    assert link_warnings(app) == ["链接中的单位“火星”不在单位登记表中，已忽略，请在侧栏选择单位。"]
    assert "unit" not in app.query_params


def test_an_unknown_year_measure_and_type_are_each_named(monkeypatch, demo_warehouse):
    app = open_link(monkeypatch, demo_warehouse, None, year="1999", m="19", type="county")
    assert link_warnings(app) == [
        "链接中的单位类型“county”不存在（可用 city 或 industry），已忽略。",
        "链接中的年度“1999”没有数据（现有2021–2025年度），已显示2025年度。",
        "链接中的措施“19”不存在（十八条措施为第1–18条），已忽略。",
    ]
    assert app.query_params["year"] == "2025"


def test_a_year_and_measure_written_in_chinese_are_read(monkeypatch, demo_warehouse):
    app = open_link(monkeypatch, demo_warehouse, DETAIL_PAGE, year="2024年度", m="第9条")
    assert link_warnings(app) == []
    assert (app.query_params["year"], app.query_params["m"]) == ("2024", "9")
