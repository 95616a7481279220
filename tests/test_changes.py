"""会议以来变化: exactly the changes a test makes after freezing a meeting version, in the query and on the page."""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path

import pytest

from dashboard.figures import BY_KEY
from exports import changes as changes_query
from exports import meetings
from pipeline.catalog import DEFAULT_CATALOG_PATH
from pipeline.warehouse import WAREHOUSE_ENV, open_reader
from queries.board import measure_board
from tests.accounts import signed_in
from tests.test_meetings import book_of, raise_m5_threshold, resubmit_dues

APP = str(Path(__file__).resolve().parent.parent / "app.py")
NAME = "2025年度调度会"


@pytest.fixture(scope="module")
def after_meeting(demo_warehouse, demo_returns, tmp_path_factory):
    """Frozen from the demo warehouse; then 省金融工会 resubmits with dues collected at 48.7%."""
    root = tmp_path_factory.mktemp("changes")
    live = root / "live.duckdb"
    shutil.copy(demo_warehouse, live)
    meeting = meetings.freeze(NAME, warehouse=live, meetings_dir=root / "meetings", year=2025)
    resubmit_dues(demo_returns, live, root / "new")
    return root, live, meeting


def _since(root: Path, live: Path, year: int = 2025, catalog: Path | None = None) -> changes_query.Changes:
    _, old = meetings.meeting_book(NAME, root / "meetings")
    new = book_of(live, catalog)
    frozen = meetings.find_meeting(NAME, root / "meetings")
    received = changes_query.returns_received_since(open_reader(live), frozen.last_submission_id, new.registry)
    return changes_query.changes_since(old, new, year, received=received)


def test_a_resubmitted_return_is_listed_with_exactly_what_it_moved(after_meeting):
    root, live, _ = after_meeting
    changes = _since(root, live)
    assert [m.text for m in changes.measures] == ["第5条：达标 → 预警（下滑；97.1% → 92.3%）"]
    assert [m.text for m in changes.units] == ["第5条（省金融工会）：达标 → 未达标（下滑；97.3% → 48.7%）"]
    assert [(f.measure, f.unit_code, f.metric_name, f.before_text, f.after_text) for f in changes.figures] == [
        (5, "P00", "会费收缴率", "97.1%", "92.3%"),
        (5, "I08", "会费收缴率", "97.3%", "48.7%"),
    ]
    assert changes.fell_behind == (changes_query.UnitMoves("I08", "省金融工会", (5,)),)
    assert changes.caught_up == () and changes.thresholds == ()
    [received] = changes.received
    assert (received.submission_id, received.unit_name, received.year, received.return_code, received.state) == (
        122, "陕西省金融工会", 2025, "R2", "已接收",
    )  # fmt: skip
    assert received.file_name == "演示_2025_R2_陕西省金融工会_更正700.xlsx"


def test_other_years_did_not_move(after_meeting):
    root, live, _ = after_meeting
    changes = _since(root, live, year=2024)
    assert (changes.measures, changes.units, changes.figures, changes.thresholds) == ((), (), (), ())
    assert len(changes.received) == 1  # returns received since are listed whatever the year


def test_a_raised_threshold_moves_exactly_the_units_between_the_old_and_new_bound(
    after_meeting, demo_warehouse, tmp_path
):
    root, live, _ = after_meeting
    catalog = tmp_path / "measures.yaml"
    shutil.copy(DEFAULT_CATALOG_PATH, catalog)
    raise_m5_threshold(catalog, green=0.975)
    changes = _since(root, live, catalog=catalog)
    assert [(t.measure, t.before, t.after) for t in changes.thresholds] == [
        (5, "≥95% 达标，≥85% 预警，否则未达标", "≥97.5% 达标，≥85% 预警，否则未达标")
    ]
    rates = BY_KEY["m5_dues_by_union"].series(open_reader(demo_warehouse), years=[2025])
    between = set(rates.loc[(rates["rate"] >= 0.95) & (rates["rate"] < 0.975), "unit_code"]) - {"I08"}
    assert between  # the demo has units in that band, so the test means something
    moved = {(m.unit_code, m.before, m.after) for m in changes.units}
    assert moved == {(code, "达标", "预警") for code in between} | {("I08", "达标", "未达标")}


def test_a_unit_that_corrects_its_return_after_a_meeting_caught_up(after_meeting, demo_returns, tmp_path):
    root, live, _ = after_meeting
    copy = tmp_path / "live.duckdb"
    shutil.copy(live, copy)
    meetings.freeze("整改前", warehouse=copy, meetings_dir=tmp_path / "meetings")
    resubmit_dues(demo_returns, copy, tmp_path / "new", collected=1400)  # 97.5%
    _, old = meetings.meeting_book("整改前", tmp_path / "meetings")
    changes = changes_query.changes_since(old, book_of(copy), 2025)
    assert changes.caught_up == (changes_query.UnitMoves("I08", "省金融工会", (5,)),)
    assert changes.fell_behind == ()
    assert [m.direction for m in changes.units] == [changes_query.BETTER]


def test_the_changes_page_shows_them(after_meeting, monkeypatch):
    root, live, _ = after_meeting
    monkeypatch.setenv(WAREHOUSE_ENV, str(live))
    monkeypatch.setenv(meetings.MEETINGS_ENV, str(root / "meetings"))
    app = signed_in(APP, default_timeout=60)
    app.run()
    app.switch_page("app_pages/changes.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert [h.value for h in app.header] == ["会议以来变化"]
    assert [m.value for m in app.metric] == ["1条", "1个", "2项", "1份"]
    subheaders = [s.value for s in app.subheader]
    tables = dict(zip([s for s in subheaders], [d.value for d in app.dataframe], strict=False))
    assert subheaders[0] == "措施状态变化"
    assert tables["措施状态变化"].values.tolist() == [
        ["第5条　经费收支管理与会费收缴", "全省", "达标", "预警", "下滑", "97.1%", "92.3%"]
    ]
    assert any("会议时：会议版“2025年度调度会”" in c.value for c in app.caption)


def test_the_sidebar_shows_a_meeting_version_with_a_banner_on_every_page(after_meeting, monkeypatch):
    root, live, meeting = after_meeting
    monkeypatch.setenv(WAREHOUSE_ENV, str(live))
    monkeypatch.setenv(meetings.MEETINGS_ENV, str(root / "meetings"))
    app = signed_in(APP, default_timeout=60)
    app.run()
    assert not [w for w in app.warning if "正在查看会议版" in w.value]  # live data by default
    assert app.sidebar.selectbox(key="_w_meeting").value is None
    app.sidebar.selectbox(key="_w_meeting").set_value(NAME).run()
    banner = f"正在查看会议版“{NAME}”（冻结于 {meeting.created_at:%Y-%m-%d %H:%M}），不是实时数据"
    frozen_tile = measure_board(meetings.meeting_book(NAME, root / "meetings")[1], 2025).tiles[4]
    live_tile = measure_board(book_of(live), 2025).tiles[4]
    assert (frozen_tile.measure.number, frozen_tile.status, live_tile.status) == (5, "达标", "预警")
    shown = "".join(h.value for h in app.html)  # each tile's summary is folded inside its HTML
    assert escape(frozen_tile.summary) in shown and escape(live_tile.summary) not in shown  # the meeting's board
    for page in ("app_pages/overview.py", "app_pages/measure_detail.py", "app_pages/tracker.py"):
        app.switch_page(page)
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        assert [w.value for w in app.warning if banner in w.value], page
    assert app.query_params["meeting"] == NAME  # a copied link opens the same version


def test_the_changes_page_without_meeting_versions_says_how_to_make_one(demo_warehouse, monkeypatch, tmp_path):
    monkeypatch.setenv(WAREHOUSE_ENV, str(demo_warehouse))
    monkeypatch.setenv(meetings.MEETINGS_ENV, str(tmp_path / "none"))
    app = signed_in(APP, default_timeout=60)
    app.run()
    assert not [s for s in app.sidebar.selectbox if s.label == "数据版本"]  # no choice until a version exists
    app.switch_page("app_pages/changes.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    [info] = app.info
    assert "还没有冻结的会议版" in info.value and "python -m pipeline meeting freeze" in info.value


def test_a_window_that_closes_moves_from_not_due():
    from exports.changes import BETTER, WORSE, direction
    from pipeline.status.model import NOT_DUE, OFF_TRACK, ON_TRACK

    assert direction(NOT_DUE, ON_TRACK) == BETTER  # held before the window closed
    assert direction(NOT_DUE, OFF_TRACK) == WORSE  # the window closed without it
    assert direction(ON_TRACK, NOT_DUE) == WORSE
