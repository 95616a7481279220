"""`python -m pipeline status`: the board of 18 measures, or one measure's full explanation, for analysts
checking figures before a meeting. Text for people, JSON for programs; both from the query layer."""

from __future__ import annotations

import json
from dataclasses import asdict

from queries.board import Board, MeasureDetail


def board_text(board: Board, *, demo: bool) -> str:
    lines = [f"{board.year}年度 十八条措施落实情况" + ("（演示数据）" if demo else "")]
    counts = "，".join(f"{status} {n} 条" for status, n in board.counts.items())
    lines.append(counts)
    for chapter, tiles in board.chapters:
        lines.append("")
        lines.append(f"{chapter.number}、{chapter.heading}")
        for tile in tiles:
            trend = f"（{tile.trend}）" if tile.trend else ""
            lines.append(
                f"  {tile.measure.number:>2}. {tile.measure.short_name}　【{tile.status}】{tile.metric_text}{trend}"
            )
            lines.append(f"      {tile.summary}")
            if tile.note:
                lines.append(f"      注：{tile.note}")
    return "\n".join(lines)


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
    e = overall.explanation
    lines += [
        f"状态：{overall.status}　{e.metric_name}：{e.value_text or overall.metric_text}",
        f"计算：{e.formula}" if e.formula else "",
        f"阈值：{e.threshold}" if e.threshold else "",
        f"规则：{e.rule}",
        f"结论：{e.summary}",
    ]
    if e.note:
        lines.append(f"说明：{e.note}")
    if e.missing_units:
        lines.append(f"未报送：{'、'.join(e.missing_units)}")
    if e.laggards:
        lines.append("拖后腿的单位：" + "；".join(f"{g.unit_name}（{g.value_text}，{g.status}）" for g in e.laggards))
    if detail.units:
        lines.append("")
        lines.append("各单位：")
        for status in detail.units:
            lines.append(f"  {status.unit_code}　【{status.status}】{status.metric_text}　{status.explanation.summary}")
    if e.sources:
        lines.append("")
        lines.append("数据来源：")
        for source in e.sources:
            lines.append(f"  {source.indicator_name} {source.value_text}　← {source.location()}")
    if e.remarks:
        lines.append("")
        lines.append("填报单位说明：")
        lines += [f"  {r.unit_code} {r.indicator}：{r.text}" for r in e.remarks]
    if detail.anomalies:
        lines.append("")
        lines.append("异常波动提示：")
        for anomaly in detail.anomalies:
            remark = f"（填报说明：{anomaly.remark}）" if anomaly.remark else "（未附说明）"
            lines.append(f"  {anomaly.indicator_name}：{anomaly.change_text}{remark}")
    return "\n".join(line for line in lines if line is not None)


def to_json(value: object) -> str:
    return json.dumps(asdict(value), ensure_ascii=False, indent=2, default=str)
