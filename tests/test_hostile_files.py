"""Hostile and awkward files through the CLI (check, ingest, errors) and the upload path: every file gets a Chinese
outcome, nothing leaks a traceback or a Rust panic, the valid return of a mixed batch still loads, and refused
bytes are never parsed again for an annotated copy."""

from __future__ import annotations

from pathlib import Path

import adversarial
import duckdb
import openpyxl
import pytest

from pipeline.__main__ import main
from pipeline.ingest import ingest_paths
from queries.uploads import upload_batch

# name of the builder -> (the code its file is refused with, whether the bytes passed the reader's checks)
CORPUS = {
    "looping_ole_chain": ("unsafe_file", False),
    "panicking_xls": ("corrupt_file", False),
    "truncated_xls": ("corrupt_file", False),
    "biff4_worksheet": ("old_excel_format", False),
    "shared_string_bomb": ("file_too_large", False),
    "compression_bomb": ("zip_bomb", False),
    # Read fine, but they are not returns: the locator says so, and an annotated copy can be made.
    "xlrd_refuses_calamine_reads": ("unknown_return_type", True),
    "upper_case_stream_names": ("unknown_return_type", True),
    "backslash_zip_entries": ("unknown_return_type", True),
    "macro_sheet_xlsm": ("unknown_return_type", True),
    "empty_relationship_id": ("unknown_return_type", True),
    "excel_error_values_xlsx": ("unknown_return_type", True),
    "control_characters_xlsx": ("unknown_return_type", True),
}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for builder in CORPUS:
        name, data = getattr(adversarial, builder)()
        (folder / name).write_bytes(data)
    return folder


def _file(corpus_dir: Path, builder: str) -> Path:
    return corpus_dir / getattr(adversarial, builder)()[0]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _clean(text: str) -> None:
    assert "Traceback" not in text and "panicked" not in text and "Error" not in text, text


@pytest.mark.parametrize("builder", sorted(CORPUS))
def test_check_ingest_and_errors_answer_every_hostile_file_in_chinese(capsys, tmp_path, corpus_dir, builder):
    code, readable = CORPUS[builder]
    path = _file(corpus_dir, builder)
    warehouse, raw = tmp_path / "w.duckdb", tmp_path / "raw"

    status, out, err = _run(capsys, "check", str(path))
    assert status == 1 and f"文件“{path.name}”：被退回" in out
    _clean(out + err)

    status, out, err = _run(capsys, "--warehouse", str(warehouse), "ingest", str(path), "--raw-dir", str(raw))
    assert status == 1 and f"文件“{path.name}”：被退回" in out and "共处理 1 个文件：被退回 1 个。" in out
    _clean(out + err)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT status FROM submissions").fetchall() == [("rejected",)]
        codes = {row[0] for row in con.execute("SELECT code FROM submission_issues").fetchall()}
    assert code in codes

    report = tmp_path / "审核意见.xlsx"
    status, out, err = _run(capsys, "errors", str(path), "--out", str(report))
    assert status == 1
    _clean(out + err)
    if readable:
        assert f"已生成审核意见工作簿：{report}" in out
        assert openpyxl.load_workbook(report).sheetnames[0] == "错误清单"
    else:
        assert "该文件未通过读取前的安全检查，不生成审核意见工作簿" in out
        assert not report.exists()


def _valid_return(demo_manifest, demo_returns) -> Path:
    entry = next(f for f in demo_manifest["files"] if f["expected_outcome"] == "accepted" and f["year"] == 2024)
    return demo_returns / entry["file"]


def test_a_mixed_batch_loads_the_valid_return_and_refuses_the_rest(tmp_path, corpus_dir, demo_manifest, demo_returns):
    valid = _valid_return(demo_manifest, demo_returns)
    batch = tmp_path / "batch"
    batch.mkdir()
    for path in [*corpus_dir.iterdir(), valid]:
        (batch / path.name).write_bytes(path.read_bytes())
    results = ingest_paths([batch], warehouse=tmp_path / "w.duckdb", raw_dir=tmp_path / "raw")
    outcome = {r.file_name: r.status for r in results}
    assert outcome.pop(valid.name) == "accepted"
    assert set(outcome.values()) == {"rejected"} and len(outcome) == len(CORPUS)


def test_the_upload_path_annotates_only_what_the_reader_took(tmp_path, corpus_dir, demo_manifest, demo_returns):
    valid = _valid_return(demo_manifest, demo_returns)
    files = [(p.name, p.read_bytes()) for p in sorted(corpus_dir.iterdir())] + [(valid.name, valid.read_bytes())]
    results = {r["file"]: r for r in upload_batch(files, None, tmp_path / "w.duckdb", tmp_path / "raw")}
    assert results[valid.name]["status"] == "accepted"
    for builder, (code, readable) in CORPUS.items():
        result = results[getattr(adversarial, builder)()[0]]
        assert result["status"] == "rejected" and code in {i["code"] for i in result["issues"]}
        assert (result["annotated"] is not None) == readable, builder
        assert all("Traceback" not in i["line"] for i in result["issues"])


def test_the_upload_path_refuses_names_types_and_sizes_before_reading(tmp_path):
    files = [
        ("张三\x00.xlsx", adversarial.small_xlsx()),
        ("报表.pdf", b"%PDF-1.4"),
        ("大.xlsx", b"PK\x03\x04" + bytes(21 * 1024 * 1024)),
    ]
    results = upload_batch(files, None, tmp_path / "w.duckdb", tmp_path / "raw")
    assert [(r["status"], r["message"], r["issues"][0]["code"]) for r in results] == [
        ("rejected", "文件名无效，未处理", "bad_file_name"),
        ("rejected", "不是 Excel 报表，未处理", "not_excel"),
        ("rejected", "文件过大，未处理", "file_too_large"),
    ]
    assert results[0]["file"] == "张三?.xlsx"  # shown without the control character
    assert results[1]["issues"][0]["line"].startswith("[错误] 文件“报表.pdf”：文件类型“.pdf”不是 Excel 报表，未处理。")
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").rglob("*.*"))


def test_the_cli_refuses_an_oversize_file_before_archiving_it(capsys, tmp_path):
    big = tmp_path / "大文件.xlsx"
    big.write_bytes(b"PK\x03\x04" + bytes(21 * 1024 * 1024))
    raw = tmp_path / "raw"
    status, out, _ = _run(capsys, "--warehouse", str(tmp_path / "w.duckdb"), "ingest", str(big), "--raw-dir", str(raw))
    assert status == 1
    assert "文件大小为 21.0 MB，超过 20 MB 的上限，未处理、未存档" in out
    assert not raw.exists() or not any(raw.rglob("*.*"))
