"""A saved setting is in force for every reader at their next click, with no restart: the overview of a leader who
already had it open, a 填报单位's own statuses, and the chart's threshold line; restoring the earlier version
restores them. The settings page itself (preview, confirm, audit) is tested in test_pages_settings.py."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from pipeline import settings
from pipeline.access import ROLE_LEADER, ROLE_UNIT
from pipeline.warehouse import WAREHOUSE_ENV
from tests.accounts import APP, signed_in


def tile_statuses(app: AppTest) -> dict[int, str]:
    """measure number -> the status word on its tile."""
    found = {}
    for element in app.html:
        number = re.search(r'<span class="tile-no">第(\d+)条</span>', element.value)
        status = re.search(r'class="status-badge status-\d">([^<]+)</span>', element.value)
        if number and status:
            found[int(number.group(1))] = status.group(1)
    return found


def run(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.fixture
def live(monkeypatch, demo_warehouse_copy):
    monkeypatch.setenv(WAREHOUSE_ENV, str(demo_warehouse_copy))
    return demo_warehouse_copy


def test_a_saved_threshold_changes_every_readers_overview_and_a_restore_undoes_it(live):
    leader = run(signed_in(APP, role=ROLE_LEADER, default_timeout=120))
    assert tile_statuses(leader)[12] == "预警"  # 2025: 人员配备率 between 75% and 90%
    other_leader = run(signed_in(APP, role=ROLE_LEADER, default_timeout=120))
    metrics_before = {m.label: m.value for m in leader.metric}

    saved = settings.save(
        settings.MeasureChange(12, thresholds={"green": 0.89}), author="t_admin", reason="测试", warehouse=live
    )
    run(leader)  # the same session's next click, same process: no restart, no cache to clear by hand
    run(other_leader)
    assert tile_statuses(leader)[12] == "达标" and tile_statuses(other_leader)[12] == "达标"
    metrics_after = {m.label: m.value for m in leader.metric}
    assert metrics_after["达标"] == f"{int(metrics_before['达标'].removesuffix('条')) + 1}条"
    assert metrics_after["预警"] == f"{int(metrics_before['预警'].removesuffix('条')) - 1}条"

    settings.restore(0, author="t_admin", reason="恢复", warehouse=live)
    run(leader)
    assert tile_statuses(leader)[12] == "预警"
    assert {m.label: m.value for m in leader.metric} == metrics_before
    assert saved.id == 1


def test_a_renamed_unit_shows_its_new_name_to_its_own_account_at_the_next_click(live):
    unit = run(signed_in(APP, role=ROLE_UNIT, default_timeout=120))
    assert unit.subheader[0].value.startswith("单位画像：西安市总工会")
    settings.save(
        settings.UnitRename("C01", new_name="西安市总工会（新）", year=2026, new_short_name="西安新区"),
        author="t_admin", reason="测试改名", warehouse=live,
    )  # fmt: skip
    run(unit)
    assert unit.subheader[0].value.startswith("单位画像：西安市总工会（新）")


def test_a_chart_draws_the_threshold_in_force_on_screen_and_in_its_exported_image(live):
    from dashboard import charts
    from dashboard.figures import FIGURES
    from exports.images import document_figure, figure_frame
    from pipeline.reference import load_reference
    from pipeline.warehouse import open_reader
    from queries.board import StatusBook

    settings.save(settings.MeasureChange(5, thresholds={"green": 0.97, "amber": 0.9}), author="t_admin",
                  reason="测试", warehouse=live)  # fmt: skip
    con = open_reader(live)
    reference = load_reference(con)
    book = StatusBook.from_warehouse(con, catalog=reference.catalog, registry=reference.registry)
    figure = next(f for f in FIGURES if f.key == "m5_dues_by_union")
    shown = figure_frame(figure, con, book, 2024)

    def dashed(fig) -> list[float]:
        return sorted(shape.y0 for shape in fig.layout.shapes if shape.line.dash == "dash")

    assert dashed(charts.m5_dues_chart(shown.frame, catalog=reference.catalog)) == [0.9, 0.97]
    assert dashed(charts.m5_dues_chart(shown.frame)) == [0.85, 0.95]  # the files' defaults, for comparison
    image = document_figure(figure, shown, book, 2024, demo=True, data_date=None, version="v")
    assert dashed(image) == [0.9, 0.97]
    con.close()


def test_a_chart_page_shared_by_sessions_redraws_with_the_saved_threshold(live):
    import json

    def dashed(app: AppTest) -> list[list[float]]:
        charts = [json.loads(c.proto.spec) for c in app.get("plotly_chart")]
        return [sorted(s["y0"] for s in c["layout"].get("shapes", []) if s.get("line", {}).get("dash") == "dash")
                for c in charts]  # fmt: skip

    app = signed_in(APP, role=ROLE_LEADER, default_timeout=120)
    app.switch_page("app_pages/funding.py")
    run(app)
    assert [0.85, 0.95] in dashed(app)  # 第5条's chart with the files' thresholds
    settings.save(settings.MeasureChange(5, thresholds={"green": 0.97, "amber": 0.9}), author="t_admin",
                  reason="测试", warehouse=live)  # fmt: skip
    run(app)
    assert [0.9, 0.97] in dashed(app) and [0.85, 0.95] not in dashed(app)
