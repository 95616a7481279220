"""`python -m pipeline status`: the board of 18 measures, or one measure's full explanation, for analysts
checking figures before a meeting. Text for people, JSON for programs; both from the query layer."""

from __future__ import annotations

import json
from dataclasses import asdict

from pipeline.status.model import EXPLANATION_LABELS
from queries.board import Board, MeasureDetail, Tile, explanation_parts


def board_text(board: Board, *, demo: bool) -> str:
    lines = [f"{board.year}年度 十八条措施落实情况" + ("（演示数据）" if demo else "")]
    counts = "，".join(f"{status} {n} 条" for status, n in board.counts.items())
    lines.append(counts)
    for chapter, tiles in board.chapters:
        lines.append("")
        lines.append(f"{chapter.number}、{chapter.heading}")
        for tile in tiles:
            trend = f"（{tile.trend}）" if tile.trend else ""
            # A figure is never bare: "会费收缴率 95.6%，达标线 95%".
            figure = f"{tile.key_figure}，{tile.target}" if tile.key_figure and tile.target else tile.metric_text
            lines.append(f"  {tile.measure.number:>2}. {tile.measure.short_name}　【{tile.status}】{figure}{trend}")
            lines.append(f"      {tile.summary}")
            for caveat in _caveats(tile):
                lines.append(f"      注：{caveat}")
    return "\n".join(lines)


def _caveats(tile: Tile) -> list[str]:
    """Who did not report and how the rule kind counts them, then the note; once when the note already says it."""
    if tile.incomplete and tile.note.startswith(tile.incomplete):
        return [tile.note]
    return [line for line in (tile.incomplete, tile.note) if line]


def detail_text(detail: MeasureDetail, *, demo: bool) -> str:
    measure, overall = detail.measure, detail.overall
    lines = [
        f"第{measure.number}条　{measure.short_name}（{detail.year}年度）" + ("（演示数据）" if demo else ""),
        f"原文：{measure.text}",
        "",
    ]
    if overall is None:
        lines.append("本年度暂无数据。")
        return "\n".join(lines)
    e, labels = overall.explanation, EXPLANATION_LABELS
    lines.append(f"状态：{overall.status}")
    # The same labelled parts, in the same order, as the measure-detail page and the documents.
    lines += [f"{part.label}：{part.text}" for part in explanation_parts(overall)]
    if e.laggards:
        laggards = "；".join(f"{g.unit_name}（{g.value_text}，{g.status}）" for g in e.laggards)
        lines.append(f"{labels['laggards']}：{laggards}")
    if detail.units:
        lines.append("")
        lines.append("各单位：")
        for status in detail.units:
            lines.append(f"  {status.unit_code}　【{status.status}】{status.metric_text}　{status.explanation.summary}")
    if e.sources:
        lines.append("")
        lines.append(f"{labels['sources']}：")
        for source in e.sources:
            lines.append(f"  {source.indicator_name} {source.value_text}　← {source.location()}")
    if e.remarks:
        lines.append("")
        lines.append(f"{labels['remarks']}：")
        lines += [f"  {r.unit_code} {r.indicator}：{r.text}" for r in e.remarks]
    if detail.anomalies:
        lines.append("")
        lines.append("异常波动提示：")
        for anomaly in detail.anomalies:
            remark = f"（填报说明：{anomaly.remark}）" if anomaly.remark else "（未附说明）"
            lines.append(f"  {anomaly.indicator_name}：{anomaly.change_text}{remark}")
    return "\n".join(lines)


def to_json(value: object) -> str:
    return json.dumps(asdict(value), ensure_ascii=False, indent=2, default=str)
