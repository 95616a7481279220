"""The benchmark report: the issue's keys lifted from the sections' dicts, samples summarised, a section that did not
run or failed marked absent (never estimated), the readable table, and ratios taken against the floor of each round."""

from __future__ import annotations

import json

from benchmarks import common
from benchmarks.report import ABSENT_REASON, TOP_KEYS, build_report, summarise, table, write_report

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
