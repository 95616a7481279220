"""Every page runs under Streamlit's AppTest, on the demo warehouse and on an empty one, showing real values."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.catalog import load_catalog
from pipeline.warehouse import WAREHOUSE_ENV
from tests.accounts import signed_in

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def run_app(monkeypatch, warehouse: Path) -> AppTest:
    monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
    app = signed_in(APP, default_timeout=60)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def run_measures_page(monkeypatch, warehouse: Path) -> AppTest:
    app = run_app(monkeypatch, warehouse)
    app.switch_page("app_pages/measures.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _texts(app: AppTest) -> str:
    return "\n".join(
        [m.value for m in app.markdown] + [h.value for h in app.subheader] + [c.value for c in app.caption]
    )


def test_every_page_says_demo_data_and_how_fresh_it_is(monkeypatch, demo_warehouse):
    app = run_app(monkeypatch, demo_warehouse)
    assert [w.value for w in app.warning if "当前看板展示的是系统生成的演示数据" in w.value]
    assert "数据截至 2026年01月29日" in _texts(app)


def test_measures_page_on_demo_data(monkeypatch, demo_warehouse):
    app = run_measures_page(monkeypatch, demo_warehouse)
    text = _texts(app)
    catalog = load_catalog()
    for measure in catalog.measures:
        assert f"第{measure.number}条　{measure.short_name}" in text
        assert measure.text in text
    assert [h.value for h in app.subheader][:6] == [f"{c.number}、{c.heading}" for c in catalog.chapters]


@pytest.mark.parametrize("name", ["empty.duckdb"])
def test_measures_page_on_an_empty_warehouse(monkeypatch, tmp_path, name):
    app = run_app(monkeypatch, tmp_path / name)
    assert not [w for w in app.warning if "演示数据" in w.value]
    assert any("还没有已接收的报表" in i.value for i in app.info)
