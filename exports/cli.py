"""The export and meeting commands of `python -m pipeline`: a thin shell over exports/.

    python -m pipeline export deck|brief|letters|charts|data --year Y [--meeting NAME] [--since NAME]
                                                          [--unit U] [--return-type R] [--out DIR]
    python -m pipeline meeting freeze NAME --year Y | list | show NAME

The parsers import nothing heavy; each command imports what it builds. Every file says which data version it
was built from (the live warehouse or a meeting version), and files made from demo data are labelled so.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXPORT_KINDS = {
    "deck": "PowerPoint 汇报稿（16:9，图表可编辑）",
    "brief": "Word 情况通报（公文格式；--unit 为单位情况通报）",
    "letters": "Word 催报函（未报送单位各一封；--zip 每个单位一个文件）",
    "charts": "全部图表的 PNG 和 SVG（一个 zip）",
    "data": "数据工作簿（十八条状态、各图表数据、报送情况）",
}
EXIT_OK, EXIT_USAGE = 0, 2


def add_commands(commands: argparse._SubParsersAction, year: Callable[[str], int]) -> None:
    meeting = commands.add_parser("meeting", help="会议版：冻结当前数据、状态和判定标准，会后原样查看和导出")
    actions = meeting.add_subparsers(dest="meeting_action", required=True, metavar="操作")
    freeze = actions.add_parser("freeze", help="把当前数据冻结为一个会议版")
    freeze.add_argument("name", metavar="NAME", help="会议版名称，如“2025年度全省产业工会工作推进会”")
    freeze.add_argument("--year", type=year, required=True, help="会上展示的报表年度")
    freeze.add_argument("--catalog", type=Path, help=argparse.SUPPRESS)  # tests freeze a changed copy
    actions.add_parser("list", help="列出已冻结的会议版")
    show = actions.add_parser("show", help="查看一个会议版：数据版本、文件校验和各条措施的状态")
    show.add_argument("name", metavar="NAME")

    export = commands.add_parser("export", help="导出汇报材料：" + "、".join(EXPORT_KINDS))
    kinds = export.add_subparsers(dest="export_kind", required=True, metavar="类型")
    for kind, help_text in EXPORT_KINDS.items():
        parser = kinds.add_parser(kind, help=help_text)
        parser.add_argument("--year", type=year, help="报表年度（默认最近一年；会议版默认会上展示的年度）")
        parser.add_argument("--meeting", metavar="NAME", help="从某个会议版导出（默认实时数据）")
        parser.add_argument("--out", type=Path, default=Path("."), help="输出目录")
        if kind in ("deck", "brief"):
            parser.add_argument("--since", metavar="NAME", help="加一节：与某个会议版相比的变化")
        if kind in ("brief", "letters"):
            parser.add_argument("--unit", help="单位名称或代码（情况通报：单位情况通报；催报函：只给该单位）")
        if kind == "letters":
            parser.add_argument("--return-type", choices=["R1", "R2", "R3", "R4"], help="只催某一种报表")
            parser.add_argument("--zip", action="store_true", help="每个单位一个文件，打包为 zip")


@dataclass(frozen=True)
class _Source:
    con: Any
    book: Any
    year: int
    demo: bool
    meeting: Any  # MeetingVersion | None
    label: str  # "" for the live data, else the meeting version's label


def _source(args: argparse.Namespace) -> _Source | str:
    """The data to export from (live or a meeting version) and the year; a Chinese usage error as a str."""
    from exports import meetings
    from pipeline.reference import load_reference
    from pipeline.warehouse import open_reader
    from queries.board import StatusBook
    from queries.warehouse import warehouse_summary

    try:
        meeting = meetings.find_meeting(args.meeting) if args.meeting else None
        path = meetings.open_meeting(meeting.name)[0] if meeting else args.warehouse
    except meetings.MeetingError as exc:
        return str(exc)
    con = open_reader(path)
    # A meeting version keeps the catalog, registry and settings in force at its freeze; live data, those now.
    reference = meetings.meeting_reference(meeting) if meeting else load_reference(con)
    book = StatusBook.from_warehouse(con, catalog=reference.catalog, registry=reference.registry)
    chosen = args.year or (meeting.year if meeting and meeting.year else book.latest_year)
    if chosen is None or chosen not in book.years:
        return f"{chosen} 年度没有数据；可选年度：{'、'.join(map(str, book.years)) or '无'}"
    demo = warehouse_summary(con).is_demo
    return _Source(con, book, chosen, demo, meeting, meeting.label if meeting else "")


def _unit_code(book: Any, text: str | None) -> str | None | Exception:
    if not text:
        return None
    if text in book.registry:
        return text
    resolution = book.registry.resolve(text)
    return resolution.unit.code if resolution.unit else ValueError(resolution.message())


def _file_name(kind: str, source: _Source, unit_name: str = "", *, zipped: bool = False) -> str:
    words = {"deck": "汇报稿", "brief": "情况通报", "letters": "催报函", "charts": "图表", "data": "数据"}
    suffix = {"deck": ".pptx", "brief": ".docx", "letters": ".docx", "charts": ".zip", "data": ".xlsx"}[kind]
    if zipped:
        suffix = ".zip"
    parts = ["演示数据"] if source.demo else []
    if source.meeting is not None:
        parts.append(f"会议版_{source.meeting.folder.name}")
    parts.append(f"{source.year}年度{unit_name}{'单位' if unit_name and kind == 'brief' else ''}{words[kind]}")
    return "_".join(parts) + suffix


def _since(args: argparse.Namespace, source: _Source) -> dict[str, Any]:
    """The keyword that adds a 会议以来变化 section (--since NAME), or nothing."""
    if not getattr(args, "since", None):
        return {}
    from exports.changes import since_meeting

    return {"since": since_meeting(args.since, source.con, source.book, source.year)}


def _dated(source: _Source) -> dict[str, Any]:
    from exports.meetings import issued_on

    return {"issued_on": issued_on(source.meeting)}


def _build(args: argparse.Namespace, source: _Source) -> tuple[bytes, str] | str:
    kind = args.export_kind
    if kind == "data":
        from exports.workbook import build_data_workbook, data_workbook_filename

        data = build_data_workbook(source.con, source.book, source.year, demo=source.demo, source_label=source.label)
        folder = source.meeting.folder.name if source.meeting else ""
        return data, data_workbook_filename(source.year, demo=source.demo, meeting=folder)
    if kind == "charts":
        from tqdm import tqdm

        from exports.images import year_charts_zip

        with tqdm(total=None, unit="张", file=sys.stderr, leave=False) as bar:

            def progress(done: int, total: int, title: str) -> None:
                bar.total = total
                bar.set_description(title[:20])
                bar.update(done - bar.n)

            data = year_charts_zip(source.con, source.book, source.year, demo=source.demo, progress=progress)
        return data, _file_name(kind, source)
    if kind == "deck":
        from exports.deck import build_deck

        data = build_deck(source.con, source.book, source.year, demo=source.demo, **_since(args, source))
        return data, _file_name(kind, source)
    unit = _unit_code(source.book, getattr(args, "unit", None))
    if isinstance(unit, Exception):
        return str(unit)
    unit_name = source.book.registry.get(unit).short_name if unit else ""
    if kind == "brief":
        from exports.brief import build_brief, build_unit_brief

        if unit:
            data = build_unit_brief(source.con, source.book, unit, source.year, demo=source.demo, **_dated(source))
        else:
            data = build_brief(
                source.con, source.book, source.year, demo=source.demo, **_since(args, source), **_dated(source)
            )
        return data, _file_name(kind, source, unit_name)
    from exports.letters import build_chase_letters, chase_letters_zip

    build = chase_letters_zip if args.zip else build_chase_letters
    units = frozenset({unit}) if unit else None
    data = build(
        source.con, source.book, source.year, args.return_type, units=units, demo=source.demo, **_dated(source)
    )
    return data, _file_name(kind, source, unit_name, zipped=args.zip)


def cmd_export(args: argparse.Namespace) -> int:
    source = _source(args)
    if isinstance(source, str):
        print(source, file=sys.stderr)
        return EXIT_USAGE
    print(f"正在生成{EXPORT_KINDS[args.export_kind].split('（')[0]}……", file=sys.stderr)
    try:
        built = _build(args, source)
    except _usage_errors() as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    if isinstance(built, str):
        print(built, file=sys.stderr)
        return EXIT_USAGE
    data, name = built
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / name
    out.write_bytes(data)
    _audit_export(args.export_kind, name, source)
    print(f"已生成：{out}（{source.label or '实时数据'}）")
    return EXIT_OK


def _audit_export(kind: str, name: str, source: _Source) -> None:
    """An export from the command line is audited like one from the 导出 page: which document, which data version."""
    from pipeline import audit
    from pipeline.access_cli import cli_actor
    from queries.warehouse import warehouse_summary

    version = source.label or f"实时数据，{warehouse_summary(source.con).version_text}"
    audit.record("export", actor=cli_actor(), target=name, outcome="已生成",
                 detail=f"文件：{EXPORT_KINDS[kind].split('（')[0]}；数据版本：{version}")  # fmt: skip


def _usage_errors() -> tuple[type[Exception], ...]:
    from exports.meetings import MeetingError

    return (MeetingError,)


def cmd_meeting(args: argparse.Namespace) -> int:
    from exports import meetings

    try:
        if args.meeting_action == "freeze":
            catalog = {"catalog_path": args.catalog} if args.catalog else {}
            meeting = meetings.freeze(args.name, warehouse=args.warehouse, year=args.year, **catalog)
            print(f"已冻结{meeting.label}：{meeting.folder}")
        elif args.meeting_action == "list":
            found = meetings.list_meetings()
            print("\n".join(meetings.summary_line(m) for m in found) or "还没有会议版。")
        else:
            print("\n".join(meetings.describe(meetings.find_meeting(args.name))))
    except meetings.MeetingError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
