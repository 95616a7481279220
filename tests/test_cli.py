"""The CLI is a thin shell over the pipeline: each command, its output and its exit code."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from pipeline.__main__ import build_parser, main

README = Path(__file__).resolve().parent.parent / "README.md"


def _commands() -> list[str]:
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(subparsers.choices)


def test_every_command_is_documented_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    for command in _commands():
        assert re.search(rf"python -m pipeline {command}\b", readme), f"README 未说明命令 {command}"


def test_exit_codes_are_documented_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    for code in ("0", "1", "2", "3"):
        assert re.search(rf"\|\s*{code}\s*\|", readme)


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ingest_a_folder_reports_each_outcome_and_exits_1_when_some_are_rejected(
    capsys, demo_returns, warehouse, tmp_path
):
    code, out, _ = _run(
        capsys, "--warehouse", str(warehouse), "ingest", str(demo_returns), "--raw-dir", str(tmp_path / "raw")
    )
    assert code == 1
    assert "共处理 121 个文件：已接收 102 个，已接收（有提示） 9 个，被退回 10 个。" in out
    assert "演示_2024_R1_北京市总工会.xlsx”：被退回" in out

    code, out, _ = _run(
        capsys,
        "--warehouse",
        str(warehouse),
        "ingest",
        str(demo_returns),
        "--raw-dir",
        str(tmp_path / "raw"),
        "--quiet",
    )
    assert code == 1  # the rejected files are still rejected
    assert out.strip() == "共处理 121 个文件：被退回 10 个，未变化 111 个。"


def test_a_folder_answers_every_spreadsheet_and_names_the_other_files(capsys, demo_returns, warehouse, tmp_path):
    folder = tmp_path / "收件箱"
    (folder / "西安").mkdir(parents=True)
    shutil.copy(next(demo_returns.glob("*/演示_2025_R1_西安市总工会.xlsx")), folder / "西安" / "西安市.xlsx")
    (folder / "宝鸡市.xlsb").write_bytes(zipped({"xl/workbook.bin": b"\x00"}))
    (folder / "渭南市.ods").write_bytes(zipped({"content.xml": b"<office:document-content/>"}))
    (folder / "铜川市.csv").write_text("指标,数值\n基层工会数,12\n", encoding="utf-8")
    (folder / "报送函.pdf").write_bytes(b"%PDF-1.7\n")
    (folder / "~$西安市.xlsx").write_bytes(b"lock")  # Excel's lock file while the return is open: not a file sent
    (folder / ".DS_Store").write_bytes(b"\x00")

    code, out, err = _run(capsys, "--warehouse", str(warehouse), "check", str(folder))
    assert code == 1
    assert "共校验 4 个文件：" in out and "被退回 3 个" in out
    assert "“宝鸡市.xlsb”：被退回" in out and "Excel 二进制工作簿（.xlsb）" in out
    assert "“渭南市.ods”：被退回" in out and "开放文档格式（.ods）" in out
    assert "“铜川市.csv”：被退回" in out and "纯文本文件" in out
    assert (
        err.strip() == "文件夹中另有 1 个文件不是表格文件，未处理：报送函.pdf。若其中有报表，请另存为 .xlsx 后再处理。"
    )

    code, out, err = _run(
        capsys, "--warehouse", str(warehouse), "ingest", str(folder), "--raw-dir", str(tmp_path / "raw"), "--json"
    )
    assert code == 1
    assert sorted(r["file"] for r in json.loads(out)) == ["宝鸡市.xlsb", "渭南市.ods", "西安市.xlsx", "铜川市.csv"]
    assert "报送函.pdf" in err


def zipped(parts: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_ingest_one_clean_file_exits_0_and_json_lists_the_result(capsys, demo_returns, warehouse, tmp_path):
    clean = demo_returns / "2024" / "演示_2024_R2_陕西省金融工会.xlsx"
    code, out, _ = _run(
        capsys, "--warehouse", str(warehouse), "ingest", str(clean), "--json", "--raw-dir", str(tmp_path / "raw")
    )
    assert code == 0
    [result] = json.loads(out)
    assert (result["status"], result["unit_code"], result["year"], result["return_code"]) == (
        "accepted",
        "I08",
        2024,
        "R2",
    )


def test_check_validates_without_loading(capsys, demo_returns, warehouse):
    broken = demo_returns / "2022" / "演示_2022_R2_陕西省机械冶金建材工会_报送版.xlsx"
    code, out, _ = _run(capsys, "--warehouse", str(warehouse), "check", str(broken))
    assert code == 1
    assert "不是数字" in out
    assert not warehouse.exists()


def test_errors_writes_the_annotated_workbook(capsys, demo_returns, tmp_path):
    broken = tmp_path / "演示_2022_R2_陕西省金融工会_初稿.xlsx"
    shutil.copy(demo_returns / "2022" / broken.name, broken)
    code, out, _ = _run(capsys, "errors", str(broken))
    assert code == 1
    annotated = tmp_path / "演示_2022_R2_陕西省金融工会_初稿_审核意见.xlsx"
    assert f"已生成审核意见工作簿：{annotated}" in out
    workbook = openpyxl.load_workbook(annotated)
    assert workbook.sheetnames[0] == "错误清单"
    header, *listing = [[c.value for c in row] for row in workbook["错误清单"].iter_rows(min_row=3)]
    level, problem = header.index("级别"), header.index("问题")
    assert any(row[level] == "错误" and "大于" in str(row[problem]) for row in listing)


def test_template_writes_the_return_for_a_year(capsys, tmp_path):
    code, out, _ = _run(capsys, "template", "R2", "2024", "--unit", "省金融工会", "--out", str(tmp_path))
    assert code == 0
    [path] = list(tmp_path.glob("*.xlsx"))
    assert path.name == "2024年度_R2_省级产业工会年度报表_陕西省金融工会_模板.xlsx"
    sheet = openpyxl.load_workbook(path)["本级情况"]
    assert sheet["D2"].value == 2024


def test_submissions_lists_current_and_superseded_versions(capsys, demo_warehouse):
    code, out, _ = _run(capsys, "--warehouse", str(demo_warehouse), "submissions", "--year", "2023", "--unit", "宝鸡")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert "第1版" in lines[1] and "被替代" in lines[1]
    assert "更正版" in lines[2] and "\t是\t" in lines[2]

    code, out, _ = _run(
        capsys,
        "--warehouse",
        str(demo_warehouse),
        "submissions",
        "--year",
        "2023",
        "--unit",
        "宝鸡",
        "--current",
        "--json",
    )
    [row] = json.loads(out)
    assert row["file_name"] == "演示_2023_R1_宝鸡市总工会_更正版.xlsx"


def test_usage_errors_exit_2_with_a_chinese_message(capsys, tmp_path):
    code, _, err = _run(capsys, "ingest", str(tmp_path / "没有这个文件.xlsx"))
    assert code == 2
    assert "找不到" in err
    code, _, err = _run(capsys, "template", "R2", "二〇二四")
    assert code == 2
    assert "年份应为四位数字" in err
    code, _, err = _run(capsys, "submissions", "--unit", "火星市总工会")
    assert code == 2
    assert "无法识别" in err


def test_meeting_freeze_list_show_and_export_data_from_it(capsys, demo_warehouse, tmp_path, monkeypatch):
    from exports.meetings import MEETINGS_ENV

    monkeypatch.setenv(MEETINGS_ENV, str(tmp_path / "meetings"))
    base = ("--warehouse", str(demo_warehouse))
    code, out, _ = _run(capsys, *base, "meeting", "freeze", "推进会", "--year", "2025")
    assert code == 0 and out.startswith("已冻结会议版“推进会”（冻结于 ")
    code, out, _ = _run(capsys, *base, "meeting", "freeze", "推进会", "--year", "2025")
    assert code == 2
    code, out, _ = _run(capsys, *base, "meeting", "list")
    assert code == 0 and "推进会　冻结于" in out and "数据版本：截至第121号报送" in out
    code, out, _ = _run(capsys, *base, "meeting", "show", "推进会")
    assert code == 0 and "文件校验：完好（SHA-256 与冻结时一致）" in out and "  第5条　达标　97.1%" in out
    code, out, _ = _run(capsys, *base, "export", "data", "--meeting", "推进会", "--out", str(tmp_path / "out"))
    path = tmp_path / "out" / "演示数据_2025年度十八条落实数据（会议版_推进会）.xlsx"
    assert code == 0 and out.strip().startswith(f"已生成：{path}（会议版“推进会”（冻结于 ")
    board = openpyxl.load_workbook(path)["十八条落实状态"]
    assert board["A2"].value.startswith("会议版“推进会”（冻结于 ") and board["C8"].value == "达标"  # 第5条
    code, _, err = _run(capsys, *base, "export", "data", "--meeting", "没有这个会", "--out", str(tmp_path))
    assert code == 2 and "没有名为“没有这个会”的会议版" in err


def test_nested_commands_are_documented_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    for command in ("meeting freeze", "meeting list", "meeting show", "export data"):
        assert f"python -m pipeline {command}" in readme


def test_status_board_counts_and_shows_not_due_windows(capsys, demo_warehouse):
    code, out, _ = _run(capsys, "--warehouse", str(demo_warehouse), "status", "--year", "2025")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "达标 9 条，预警 7 条，未达标 0 条，未到期 2 条，无数据 0 条"
    assert "   1. 全省产业工会工作会议每3年1次　【未到期】尚未召开" in lines
    assert "      注：窗口期2024–2026，2026年底届满，本窗口期内尚未召开" in lines
    assert any(line.startswith("   9. ") and "【未到期】" in line for line in lines)
    # Figures carry their name and bar; a missing unit carries the rule kind's policy.
    assert any(line.startswith("  17. ") and "【达标】提拔率比值 1.12，达标线 1.0" in line for line in lines)
    assert any(
        line.startswith("  11. ") and "【预警】各项均达到规定次数的单位数 7/8，达标线 每项≥1次" in line
        for line in lines
    )
    assert "      注：1个单位未报送，按未满足计" in lines


def test_status_detail_of_an_open_window_says_when_it_closes(capsys, demo_warehouse):
    code, out, _ = _run(capsys, "--warehouse", str(demo_warehouse), "status", "--year", "2025", "--measure", "9")
    assert code == 0
    assert "状态：未到期" in out
    assert "说明：窗口期2025–2026，2026年底届满，本窗口期内尚未开展专项督查" in out


def test_an_ingest_and_an_export_from_the_command_line_are_audited(
    capsys, monkeypatch, demo_returns, warehouse, tmp_path
):
    from pipeline import audit
    from pipeline.access_cli import cli_actor

    monkeypatch.setenv("SHIBATIAO_ACCESS_DB", str(tmp_path / "access.sqlite"))
    files = [
        demo_returns / "2024" / "演示_2024_R2_陕西省金融工会.xlsx",
        demo_returns / "2024" / "演示_2024_R1_北京市总工会.xlsx",
    ]
    code, _, _ = _run(
        capsys, "--warehouse", str(warehouse), "ingest", *map(str, files), "--raw-dir", str(tmp_path / "raw")
    )
    assert code == 1
    rows = audit.entries(actor=cli_actor(), action="upload").sort_values("对象").to_dict("records")
    assert [(r["对象"], r["结果"]) for r in rows] == [
        ("演示_2024_R1_北京市总工会.xlsx", "退回"), ("演示_2024_R2_陕西省金融工会.xlsx", "接收"),
    ]  # fmt: skip
    assert rows[1]["说明"].startswith("单位：") and "年度：2024；报表：R2" in rows[1]["说明"]
    code, _, _ = _run(capsys, "--warehouse", str(warehouse), "export", "data", "--year", "2024", "--out", str(tmp_path))
    assert code == 0
    [export] = audit.entries(actor=cli_actor(), action="export").to_dict("records")
    assert export["对象"] == "演示数据_2024年度十八条落实数据.xlsx" and "数据版本：实时数据" in export["说明"]
