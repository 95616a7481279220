"""The benchmark report: the issue's keys lifted from the sections' dicts, samples summarised, a section that did not
run or failed marked absent (never estimated), sections not run this time kept from the previous report with when
they were measured, the readable table, and ratios taken against the floor of each round."""

from __future__ import annotations

import json
import os
from datetime import datetime

from benchmarks import common
from benchmarks.report import (
    ABSENT_REASON,
    TOP_KEYS,
    build_report,
    read_previous,
    summarise,
    table,
    write_report,
)

INGEST = {"ingest_overhead_ratio": [3.1, 2.9, 3.6], "ingest_peak_rss_mb": 210.4, "files": 121}
STATUS = {
    "status_scale_ratio_10x": {"median": 1.4, "min": 1.3, "max": 1.7},
    "status_scale_ratio_100x": 2.6,
    "status_peak_rss_mb_100x": 388.0,
    "status_peak_rss_mb_1x": 120.0,
    "scales": {"1x": {"seconds": 0.3}},
}
PAGES = {
    "page_ratio": {"总览": {"median": 1.2, "min": 1.1, "max": 1.5}, "经费保障": [3.4, 3.1, 3.9]},
    "first_chart_ratio": {"总览": {"median": 1.1, "min": 1.0, "max": 1.3}},
    "pages_server_peak_rss_mb": 305.0,
}


def test_every_key_given_by_a_section_is_lifted_to_the_top():
    report = build_report({"ingest": INGEST, "status": STATUS, "pages": PAGES, "images": None})
    assert report["ingest_overhead_ratio"] == {"median": 3.1, "min": 2.9, "max": 3.6}
    assert report["status_scale_ratio_10x"] == {"median": 1.4, "min": 1.3, "max": 1.7}
    assert report["status_scale_ratio_100x"] == 2.6 and report["status_peak_rss_mb_100x"] == 388.0
    assert report["page_ratio"] == {
        "总览": {"median": 1.2, "min": 1.1, "max": 1.5},
        "经费保障": {"median": 3.4, "min": 3.1, "max": 3.9},
    }
    assert report["first_chart_ratio"]["总览"]["max"] == 1.3
    # Every peak memory figure is lifted too, from whichever section measured it.
    assert (report["ingest_peak_rss_mb"], report["status_peak_rss_mb_1x"], report["pages_server_peak_rss_mb"]) == (
        210.4,
        120.0,
        305.0,
    )
    assert report["source"]["status_scale_ratio_100x"] == "status" and report["source"]["page_ratio"] == "pages"
    assert report["absent"] == {}
    # The sections' own figures are kept whole, other keys included; one that did not run is left out.
    assert report["sections"]["status"]["scales"] == {"1x": {"seconds": 0.3}}
    assert set(report["sections"]) == {"ingest", "status", "pages"}
    assert "files" not in report


def test_a_missing_section_is_marked_absent_not_invented():
    report = build_report({"ingest": None, "status": {"scales": {}}, "pages": PAGES}, {"ingest": "运行失败：KeyError"})
    for key in (
        "ingest_overhead_ratio",
        "status_scale_ratio_10x",
        "status_scale_ratio_100x",
        "status_peak_rss_mb_100x",
    ):
        assert key in report and report[key] is None
        assert report["absent"][key] == ABSENT_REASON
    assert report["absent"]["section:ingest"] == "运行失败：KeyError"
    assert "page_ratio" not in report["absent"] and report["page_ratio"]["总览"]["median"] == 1.2
    assert set(TOP_KEYS) <= set(report)


def test_summarise_keeps_numbers_and_rounds_to_three_figures():
    assert summarise(2.61803) == 2.62 and summarise(305.046) == 305.05 and summarise(0.012345) == 0.0123
    assert summarise([4, 1, 2, 10]) == {"median": 3.0, "min": 1.0, "max": 10.0}
    assert summarise({"a": [1.0, 3.0]}) == {"a": {"median": 2.0, "min": 1.0, "max": 3.0}}
    assert summarise(None) is None


def test_the_report_is_written_as_json_and_read_as_a_table(tmp_path):
    report = build_report({"ingest": None, "status": STATUS, "pages": PAGES})
    path = tmp_path / "artifacts" / "bench.json"
    write_report(report, path)
    assert json.loads(path.read_text(encoding="utf-8"))["status_scale_ratio_100x"] == 2.6
    text = table(report).splitlines()
    [ingest] = [line for line in text if line.startswith("装载开销比")]
    assert "缺（未测得）" in ingest
    [status] = [line for line in text if line.startswith("状态评判 100 倍数据 ÷ 1 倍")]
    assert "2.6" in status and status.endswith("达到")
    [funding] = [line for line in text if "经费保障" in line]
    assert "3.4（3.1–3.9）" in funding and funding.endswith("未达到")
    assert any("pages_server_peak_rss_mb" in line and "305" in line for line in text)


def test_ratios_are_taken_against_the_floor_of_the_same_round(monkeypatch):
    # Round 1: floor 1 s, page 2 s; round 2 (a slow moment for both): floor 3 s, page 6 s -> the ratio is 2 both times.
    seconds = iter([1.0, 2.0, 0.5, 3.0, 6.0, 1.5])
    monkeypatch.setattr(common, "timed", lambda function: next(seconds))
    ratios = common.interleaved(lambda: None, {"页": lambda: None, "快页": lambda: None}, rounds=2)
    assert ratios == {"": [1.0, 3.0], "页": [2.0, 2.0], "快页": [0.5, 0.5]}
    assert common.spread(ratios["页"]) == {"median": 2.0, "min": 2.0, "max": 2.0}


# --- a run of some sections keeps the others from the previous report ------------------------------------------------

MONDAY, TUESDAY = datetime(2026, 11, 30, 9, 15, 7), datetime(2026, 12, 1, 1, 20, 0)
NEWER_PAGES = {"page_ratio": {"总览": [2.0, 1.8, 2.5], "单位画像": 2.2}, "first_chart_ratio": {"总览": 1.4}}


def _written_and_read(report: dict, tmp_path) -> dict:
    path = tmp_path / "bench.json"
    write_report(report, path)
    return read_previous(path)


def test_sections_not_run_keep_their_figures_and_say_when_they_were_measured(tmp_path):
    monday = build_report({"ingest": INGEST, "status": STATUS, "pages": PAGES}, now=MONDAY)
    previous = _written_and_read(monday, tmp_path)
    tuesday = build_report({"ingest": None, "status": None, "pages": NEWER_PAGES}, previous=previous, now=TUESDAY)
    # Kept: Monday's ingest and status figures, lifted to the top as before and dated Monday.
    assert tuesday["ingest_overhead_ratio"] == {"median": 3.1, "min": 2.9, "max": 3.6}
    assert tuesday["status_scale_ratio_100x"] == 2.6 and tuesday["status_peak_rss_mb_100x"] == 388.0
    assert tuesday["ingest_peak_rss_mb"] == 210.4
    assert tuesday["sections"]["status"]["scales"] == {"1x": {"seconds": 0.3}}
    assert tuesday["measured_at"] == {
        "ingest": "2026-11-30T09:15:07",
        "status": "2026-11-30T09:15:07",
        "pages": "2026-12-01T01:20:00",
    }
    assert tuesday["carried_over"] == ["ingest", "status"] and tuesday["generated_at"] == "2026-12-01T01:20:00"
    # Replaced: the pages section of this run, whole (Monday's 经费保障 is not mixed in).
    assert tuesday["page_ratio"] == {
        "总览": {"median": 2.0, "min": 1.8, "max": 2.5},
        "单位画像": 2.2,
    }
    assert tuesday["first_chart_ratio"] == {"总览": 1.4}
    assert "pages_server_peak_rss_mb" not in tuesday  # Tuesday's pages run did not measure it
    assert tuesday["absent"] == {}
    lines = table(tuesday).splitlines()
    [ingest] = [line for line in lines if line.startswith("装载开销比")]
    assert "3.1（2.9–3.6）" in ingest and ingest.endswith("达到 （测于 2026-11-30 09:15，本次未运行）")
    [pages] = [line for line in lines if line.startswith("页面服务端热运行")]
    assert "测于" not in pages
    [overview] = [line for line in lines if line.strip().startswith("总览") and "2（1.8–2.5）" in line]
    assert overview.endswith("达到")
    assert (
        lines[-1] == "本次未运行、沿用先前结果的部分：ingest（测于 2026-11-30 09:15）、status（测于 2026-11-30 09:15）"
    )


def test_a_section_kept_over_two_runs_keeps_its_first_date(tmp_path):
    monday = build_report({"ingest": INGEST, "status": None, "pages": None}, now=MONDAY)
    tuesday = build_report(
        {"ingest": None, "status": STATUS, "pages": None}, previous=_written_and_read(monday, tmp_path), now=TUESDAY
    )
    wednesday = build_report(
        {"ingest": None, "status": None, "pages": PAGES},
        previous=_written_and_read(tuesday, tmp_path),
        now=datetime(2026, 12, 2, 8, 0),
    )
    assert wednesday["measured_at"] == {
        "ingest": "2026-11-30T09:15:07",
        "status": "2026-12-01T01:20:00",
        "pages": "2026-12-02T08:00:00",
    }
    assert wednesday["ingest_overhead_ratio"]["median"] == 3.1 and wednesday["status_scale_ratio_10x"]["max"] == 1.7
    assert wednesday["source"]["ingest_overhead_ratio"] == "ingest"


def test_a_failed_section_keeps_its_earlier_figures_and_reports_the_failure(tmp_path):
    monday = build_report({"ingest": INGEST, "status": STATUS, "pages": None}, now=MONDAY)
    tuesday = build_report(
        {"ingest": None, "status": None, "pages": PAGES},
        {"status": "运行失败：MemoryError"},
        previous=_written_and_read(monday, tmp_path),
        now=TUESDAY,
    )
    assert tuesday["status_scale_ratio_100x"] == 2.6 and tuesday["measured_at"]["status"] == "2026-11-30T09:15:07"
    assert tuesday["absent"] == {"section:status": "运行失败：MemoryError"}
    assert "未完成的部分 status：运行失败：MemoryError" in table(tuesday)


def test_only_keys_that_no_run_produced_are_absent(tmp_path):
    monday = build_report({"ingest": INGEST, "status": None, "pages": None}, now=MONDAY)
    tuesday = build_report(
        {"ingest": None, "status": None, "pages": PAGES}, previous=_written_and_read(monday, tmp_path), now=TUESDAY
    )
    assert set(tuesday["absent"]) == {
        "status_scale_ratio_10x",
        "status_scale_ratio_100x",
        "status_peak_rss_mb_100x",
    }
    assert set(tuesday["absent"].values()) == {ABSENT_REASON}
    assert tuesday["ingest_overhead_ratio"]["median"] == 3.1 and tuesday["page_ratio"]["经费保障"]["median"] == 3.4


def test_a_report_from_before_dates_existed_is_dated_by_its_file(tmp_path):
    old = build_report({"ingest": INGEST, "status": None, "pages": None})
    for key in ("measured_at", "generated_at", "carried_over"):
        del old[key]
    path = tmp_path / "bench.json"
    write_report(old, path)
    written = datetime(2026, 11, 28, 17, 45, 0)
    os.utime(path, (written.timestamp(), written.timestamp()))
    previous = read_previous(path)
    assert previous["measured_at"] == {"ingest": "2026-11-28T17:45:00"}
    report = build_report({"ingest": None, "status": None, "pages": PAGES}, previous=previous, now=TUESDAY)
    assert report["measured_at"]["ingest"] == "2026-11-28T17:45:00"
    assert "（测于 2026-11-28 17:45，本次未运行）" in table(report)


def test_no_previous_report_or_an_unreadable_one_keeps_nothing(tmp_path):
    assert read_previous(tmp_path / "missing.json") == {}
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert read_previous(broken) == {}
    report = build_report({"ingest": None, "status": None, "pages": PAGES}, previous=read_previous(broken))
    assert report["ingest_overhead_ratio"] is None and report["absent"]["ingest_overhead_ratio"] == ABSENT_REASON
    assert report["carried_over"] == [] and set(report["sections"]) == {"pages"}
