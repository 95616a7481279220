"""Command line: a thin shell over the pipeline's functions.

    python -m pipeline ingest PATH...          load returns (files or folders) into the warehouse
    python -m pipeline check PATH...           validate without loading (what would happen)
    python -m pipeline submissions             who submitted what, current and superseded
    python -m pipeline errors FILE             write the annotated workbook to send back to the submitter
    python -m pipeline template TYPE YEAR      write a blank return template
    python -m pipeline status --year 2024      the board of 18 measures (--measure 9 for one, --json)
    python -m pipeline prune-rejected --older-than 180   delete archived originals of old rejected files
    python -m pipeline meeting freeze NAME --year 2025  freeze a meeting version (also: meeting list, meeting show NAME)
    python -m pipeline export deck|brief|letters|charts|data --year 2025 --out DIR   briefing exports (exports/cli.py)
    python -m pipeline settings list|show N|restore N --reason WHY   saved settings: versions, one version, restore

Exit codes:
    0  every file accepted (possibly with warnings) or unchanged; other commands succeeded
    1  at least one file was rejected
    2  the command line was wrong (unknown command, missing file, bad year)
    3  an internal error (logged; please report it)
  130  interrupted (Ctrl-C); the output says which files were kept
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from exports import cli as export_cli
from pipeline import access_cli, cli_output
from pipeline.ingest import (
    DEFAULT_RAW_DIR,
    BatchInterrupted,
    FileResult,
    check_paths,
    collect,
    ingest_paths,
)
from pipeline.reference import Reference, load_reference
from pipeline.report import annotated_filename, issues_to_json
from pipeline.sandbox import default_workers
from pipeline.templates import template_filename, write_template
from pipeline.warehouse import open_reader, warehouse_path

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
log = logging.getLogger("pipeline")


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"年份应为四位数字，如 2024（收到“{text}”）") from None
    if not 2000 <= year <= date.today().year + 1:
        raise argparse.ArgumentTypeError(f"年份 {year} 不在合理范围内")
    return year


def _received(text: str) -> datetime:
    for layout in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
        if moment > datetime.now():
            raise argparse.ArgumentTypeError(f"接收时间 {text} 晚于当前时间")
        return moment
    raise argparse.ArgumentTypeError(f"接收时间应写成 2025-01-20 或 2025-01-20 14:30（收到“{text}”）")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="十八条落实看板：报表装载与核对工具",
        epilog="退出码：0 成功；1 有文件被退回；2 命令用法错误；3 内部错误",
    )
    parser.add_argument("--warehouse", type=Path, help="数据仓库文件（默认 data/warehouse.duckdb）")
    commands = parser.add_subparsers(dest="command", required=True, metavar="命令")

    ingest = commands.add_parser("ingest", help="装载报表（文件或文件夹）")
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    ingest.add_argument("--year", type=_year, help="本批报表的年度；与文件中的年度不符的文件将被退回")
    ingest.add_argument("--json", action="store_true", help="以 JSON 输出每个文件的结果")
    ingest.add_argument("--quiet", action="store_true", help="只输出最后的汇总")
    ingest.add_argument(
        "--received",
        type=_received,
        metavar="时间",
        help="本批文件的接收时间，如 2025-01-20 或 2025-01-20 14:30（默认取文件的修改时间；修改时间不可信时取装载时间）",
    )
    ingest.add_argument("--raw-dir", type=Path, default=DEFAULT_RAW_DIR, help=argparse.SUPPRESS)

    check = commands.add_parser("check", help="只校验、不装载")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    check.add_argument("--year", type=_year)
    check.add_argument("--json", action="store_true")

    submissions = commands.add_parser("submissions", help="列出报送记录（当前版本与被替代的版本）")
    submissions.add_argument("--year", type=_year)
    submissions.add_argument("--unit", help="单位代码或名称")
    submissions.add_argument("--return-type", choices=["R1", "R2", "R3", "R4"])
    submissions.add_argument("--current", action="store_true", help="只列当前有效版本")
    submissions.add_argument("--json", action="store_true")

    errors = commands.add_parser("errors", help="生成标注了问题的工作簿，可直接退回填报单位")
    errors.add_argument("file", type=Path, metavar="FILE")
    errors.add_argument("--out", type=Path, help="输出文件（默认与原文件同目录，文件名加“_审核意见”）")
    errors.add_argument("--year", type=_year)

    template = commands.add_parser("template", help="生成空白报表模板")
    template.add_argument("return_type", choices=["R1", "R2", "R3", "R4"], metavar="TYPE")
    template.add_argument("year", type=_year, metavar="YEAR")
    template.add_argument("--unit", help="为某个单位预填单位名称（和区县明细）")
    template.add_argument("--out", type=Path, default=Path("."), help="输出目录")
    status = commands.add_parser("status", help="十八条措施落实状态（--measure 查看某一条的完整解释）")
    status.add_argument("--year", type=_year, help="报表年度（默认最近一年）")
    status.add_argument("--measure", type=int, choices=range(1, 19), metavar="N", help="措施编号 1–18")
    status.add_argument("--json", action="store_true", help="以 JSON 输出")

    prune = commands.add_parser("prune-rejected", help="删除较早的被退回文件的原件存档（记录保留）")
    prune.add_argument("--older-than", type=int, required=True, metavar="天数", help="只删除接收时间早于这么多天的")
    prune.add_argument("--dry-run", action="store_true", help="只列出将删除的文件，不删除")
    export_cli.add_commands(commands, _year)
    access_cli.add_commands(commands)

    saved = commands.add_parser("settings", help="已保存的设置（阈值、截止日期、单位名录）：版本列表、查看、恢复")
    actions = saved.add_subparsers(dest="settings_command", required=True, metavar="操作")
    actions.add_parser("list", help="列出全部设置版本（最新的为现行）")
    show = actions.add_parser("show", help="查看某个版本与默认值不同的各项设置")
    show.add_argument("version", type=int, metavar="版本号")
    restore = actions.add_parser("restore", help="恢复到某个版本（0 为默认设置），保存为一个新版本")
    restore.add_argument("version", type=int, metavar="版本号")
    restore.add_argument("--reason", required=True, metavar="原因", help="恢复的原因（记入版本记录和操作日志）")
    restore.add_argument("--dry-run", action="store_true", help="只列出将改变的状态，不恢复")
    return parser


def _missing_paths(paths: list[Path]) -> list[Path]:
    return [p for p in paths if not p.exists()]


def cmd_ingest(args: argparse.Namespace) -> int:
    missing = _missing_paths(args.paths)
    if missing:
        print(f"找不到：{'、'.join(str(p) for p in missing)}", file=sys.stderr)
        return EXIT_USAGE
    files, left_out = collect(args.paths)
    if not files:
        print("没有找到表格文件（.xlsx / .xlsm / .xls 等）。", file=sys.stderr)
        _print_left_out(left_out)
        return EXIT_USAGE
    progress = cli_output.Progress(len(files), enabled=not (args.json or args.quiet))
    try:
        results = ingest_paths(
            files, warehouse=args.warehouse, raw_dir=args.raw_dir, expected_year=args.year,
            received_at=args.received, on_result=progress.advance,
        )  # fmt: skip
    except BatchInterrupted as interrupted:
        progress.close()
        _audit_ingest(interrupted.results)
        _print_ingest_results(args, interrupted.results)
        print(cli_output.interrupted_line(interrupted.results, interrupted.remaining), file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:  # a second Ctrl-C, while the finished files were being saved: the writer kept nothing
        progress.close()
        print("已中断：本批文件均未装入，数据仓库保持不变。请重新运行该命令。", file=sys.stderr)
        return EXIT_INTERRUPTED
    progress.close()
    _audit_ingest(results)
    _print_ingest_results(args, results)
    _print_left_out(left_out)
    return EXIT_REJECTED if any(r.status == "rejected" for r in results) else EXIT_OK


def _print_left_out(left_out: list[Path]) -> None:
    """On stderr, so that --json output stays one JSON document."""
    line = cli_output.left_out_line(left_out)
    if line:
        print(line, file=sys.stderr)


def _audit_ingest(results: list[FileResult]) -> None:
    """The same audit rows as an upload on the page (one per file, one per supersede), by 命令行:<OS user>."""
    from pipeline import audit
    from queries.uploads import audit_entries

    rows = [
        {**r.as_dict(), "errors": sum(i.is_error for i in r.issues),
         "warnings": sum(not i.is_error for i in r.issues)}
        for r in results
    ]  # fmt: skip
    actor = access_cli.cli_actor()
    for action, fields in audit_entries(rows):
        audit.record(action, actor=actor, **fields)


def _print_ingest_results(args: argparse.Namespace, results: list[FileResult]) -> None:
    if args.json:
        print(issues_to_json([r.as_dict() for r in results]))
        return
    if not args.quiet:
        cli_output.print_results(results)
    print(cli_output.summary_line(results))


def cmd_check(args: argparse.Namespace) -> int:
    missing = _missing_paths(args.paths)
    if missing:
        print(f"找不到：{'、'.join(str(p) for p in missing)}", file=sys.stderr)
        return EXIT_USAGE
    files, left_out = collect(args.paths)
    results: list[FileResult] = check_paths(files, expected_year=args.year, warehouse=args.warehouse)
    if args.json:
        print(issues_to_json([r.as_dict() for r in results]))
    else:
        cli_output.print_results(results)
        print(cli_output.summary_line(results, checked_only=True))
    _print_left_out(left_out)
    return EXIT_REJECTED if any(r.status == "rejected" for r in results) else EXIT_OK


def cmd_submissions(args: argparse.Namespace) -> int:
    from pipeline.history import list_submissions

    con = open_reader(args.warehouse)
    registry = load_reference(con).registry
    unit_code = None
    if args.unit:
        unit_code = args.unit if args.unit in registry else None
        if unit_code is None:
            resolution = registry.resolve(args.unit)
            if resolution.unit is None:
                print(resolution.message(), file=sys.stderr)
                return EXIT_USAGE
            unit_code = resolution.unit.code
    rows = list_submissions(
        con, year=args.year, unit_code=unit_code, return_code=args.return_type, current_only=args.current
    )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        print(cli_output.submissions_table(rows, registry))
    return EXIT_OK


def cmd_errors(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        print(f"找不到文件：{args.file}", file=sys.stderr)
        return EXIT_USAGE
    result = check_paths([args.file], expected_year=args.year, warehouse=args.warehouse)[0]
    cli_output.print_results([result])
    if not result.readable:
        print("该文件未通过读取前的安全检查，不生成审核意见工作簿；请按上面的说明处理后重新报送。")
        return EXIT_REJECTED
    out = args.out or args.file.with_name(annotated_filename(args.file.name))
    annotated = default_workers().annotate(args.file.read_bytes(), args.file.name, result.issues)
    if annotated is None:
        print("无法安全地生成审核意见工作簿；请把上面的问题清单发给填报单位。")
        return EXIT_REJECTED
    out.write_bytes(annotated)
    print(f"已生成审核意见工作簿：{out}")
    return EXIT_REJECTED if result.status == "rejected" else EXIT_OK


def _live_reference(args: argparse.Namespace) -> Reference:
    """The catalog and registry in force: catalog/ plus the settings saved in the warehouse (when there is one)."""
    if not Path(args.warehouse).exists():
        return load_reference()
    con = open_reader(args.warehouse)
    try:
        return load_reference(con)
    finally:
        con.close()


def cmd_template(args: argparse.Namespace) -> int:
    reference = _live_reference(args)
    catalog, registry = reference.catalog, reference.registry
    unit_code, unit_name = None, None
    if args.unit:
        resolution = registry.resolve(args.unit)
        if resolution.unit is None:
            print(resolution.message(), file=sys.stderr)
            return EXIT_USAGE
        unit_code, unit_name = resolution.unit.code, resolution.unit.name
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / template_filename(catalog, args.return_type, args.year, unit_name)
    write_template(path, catalog, registry, args.return_type, args.year, unit_code=unit_code)
    print(f"已生成模板：{path}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from pipeline.cli_status import board_text, detail_text, to_json
    from queries.board import StatusBook, measure_board, measure_detail
    from queries.warehouse import warehouse_summary

    con = open_reader(args.warehouse)
    reference = load_reference(con)
    book = StatusBook.from_warehouse(con, catalog=reference.catalog, registry=reference.registry)
    if book.latest_year is None:
        print("数据仓库中还没有已接收的报表：请先运行 python -m pipeline ingest 装载报表。", file=sys.stderr)
        return EXIT_USAGE
    year = args.year or book.latest_year
    if year not in book.years:
        print(f"{year} 年度没有数据；可选年度：{'、'.join(str(y) for y in book.years)}", file=sys.stderr)
        return EXIT_USAGE
    demo = warehouse_summary(con).is_demo
    if args.measure:
        detail = measure_detail(book, args.measure, year)
        print(to_json(detail) if args.json else detail_text(detail, demo=demo))
    else:
        board = measure_board(book, year)
        print(to_json(board) if args.json else board_text(board, demo=demo))
    return EXIT_OK


def cmd_prune_rejected(args: argparse.Namespace) -> int:
    from pipeline.raw_archive import prune_rejected

    if args.older_than < 0:
        print("--older-than 应为不小于 0 的天数", file=sys.stderr)
        return EXIT_USAGE
    con = open_reader(args.warehouse)
    result = prune_rejected(con, args.older_than, dry_run=args.dry_run)
    verb = "将删除" if args.dry_run else "已删除"
    for path in result.removed:
        print(f"{verb}：{path}")
    print(
        f"{verb} {len(result.removed)} 个被退回文件的原件，共 {result.freed_bytes / 1024 / 1024:.1f} MB；报送记录保留。"
    )
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    from pipeline import settings

    con = open_reader(args.warehouse)
    try:
        if args.settings_command == "list":
            return _settings_list(settings.versions(con))
        if args.settings_command == "show":
            return _settings_show(settings, con, args.version)
        changes = settings.preview_restore(con, load_reference(con), args.version)
    except settings.SettingsError as refused:
        print(str(refused), file=sys.stderr)
        return EXIT_USAGE
    finally:
        con.close()
    print("\n".join(c.text for c in changes) if changes else "不改变任何状态。")
    if args.dry_run:
        return EXIT_OK
    return _settings_restore(settings, args)


def _settings_list(saved: list) -> int:
    if not saved:
        print("尚未保存过任何设置：各项均为默认值（catalog/ 中的文件）。")
        return EXIT_OK
    for i, version in enumerate(saved):
        current = "（现行）" if i == 0 else ""
        print(f"第{version.id}版{current}　{version.saved_at:%Y-%m-%d %H:%M}　{version.author}　{version.kind_label}")
        print(f"    {version.summary}")
        print(f"    原因：{version.reason}")
    return EXIT_OK


def _settings_show(settings: Any, con: Any, version_id: int) -> int:
    version = settings.version(con, version_id)
    print(f"第{version.id}版　{version.saved_at:%Y-%m-%d %H:%M}　{version.author}　{version.kind_label}")
    print(f"修改内容：{version.summary}")
    print(f"修改原因：{version.reason}")
    print("该版本与默认值不同的设置：")
    for line in settings.describe_overrides(version.payload):
        print(f"  {line}")
    return EXIT_OK


def _settings_restore(settings: Any, args: argparse.Namespace) -> int:
    """Restore as the server's OS user, audited like a restore on the page (pipeline.audit per the contract)."""
    import getpass

    from pipeline import audit

    actor = f"命令行:{getpass.getuser()}"
    target = f"第{args.version}版" if args.version else "默认设置"
    try:
        restored = settings.restore(args.version, author=actor, reason=args.reason, warehouse=args.warehouse)
    except settings.SettingsError as refused:
        audit.record("settings_restored", actor=actor, target=target, outcome="失败", detail=str(refused))
        print(str(refused), file=sys.stderr)
        return EXIT_USAGE
    audit.record("settings_restored", actor=actor, target=target, outcome="成功",
                 detail=f"第{restored.id}版：{restored.summary}；原因：{restored.reason}")  # fmt: skip
    print(f"已恢复，保存为第{restored.id}版：{restored.summary}")
    return EXIT_OK


COMMANDS = {
    "ingest": cmd_ingest,
    "check": cmd_check,
    "submissions": cmd_submissions,
    "errors": cmd_errors,
    "template": cmd_template,
    "status": cmd_status,
    "prune-rejected": cmd_prune_rejected,
    "meeting": export_cli.cmd_meeting,
    "export": export_cli.cmd_export,
    "users": access_cli.run,
    "audit": access_cli.run,
    "settings": cmd_settings,
}


LOG_PATH = Path(__file__).resolve().parent.parent / "data" / "logs" / "pipeline.log"


def _log_to_file() -> None:
    """Tracebacks go to a log file an operator can read, never to the analyst's terminal."""
    LOG_PATH.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=LOG_PATH,
        level=logging.INFO,
        encoding="utf-8",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: list[str] | None = None) -> int:
    _log_to_file()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    if args.warehouse is None:
        args.warehouse = warehouse_path()
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("已中断，操作未完成。", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:  # noqa: BLE001 - users get a sentence, the log gets the traceback
        log.exception("内部错误（%s）", datetime.now().isoformat(timespec="seconds"))
        print(f"发生内部错误，操作未完成；详细信息已写入 {LOG_PATH}，请联系系统管理员。", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
