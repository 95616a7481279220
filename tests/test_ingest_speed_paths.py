"""The shortcuts that make ingest cheaper give exactly the answers of the long way round.

Each test feeds a shortcut (the sheet scanner's handlers, the parsed-part cache, the worker codec's plain-cell
path, the trimming of calamine's rows, the header-label cache, the number parser's fast path, the bulk catalog
copy) the awkward cases it must still get right.
"""

import io
import time
import zipfile
from concurrent.futures import Future
from datetime import date

import duckdb
import pytest
from openpyxl import Workbook

from pipeline.catalog import load_catalog
from pipeline.cell_values import ExcelErrorValue
from pipeline.issues import RejectedFile
from pipeline.locate import _index, _label_parts, _text_key
from pipeline.normalise import parse_number
from pipeline.read import SheetData, WorkbookData, _scan_sheet, _trim, read_workbook
from pipeline.sandbox_worker import decode_workbook, encode_workbook
from pipeline.warehouse import ensure_schema, sync_catalog

SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_TAIL = b"</sheetData></worksheet>"


def scan(body: bytes, shared_lengths: list[int] | None = None):
    return _scan_sheet(iter([SHEET_HEAD + body + SHEET_TAIL]), "f.xlsx", "表1", shared_lengths or [])


def test_scanner_extent_counts_only_cells_with_a_value_or_formula():
    scanner = scan(
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe6\xa0\x87\xe9\xa2\x98</t></is></c></row>'
        b'<row r="3"><c r="C3"><v>12</v></c><c r="H3" s="2"/><c r="J3" s="2"></c></row>'
        b'<row r="40" ht="15"/>'
    )
    assert (scanner.max_row, scanner.max_col) == (3, 3)
    assert scanner.text_chars == 2  # 标题: characters, not bytes
    assert scanner.formulas_without_value == [] and scanner.error_cells == {}


def test_scanner_running_positions_prefixed_names_and_a_row_beyond_its_cells():
    # No r on the cells: positions run on from the row; x:-prefixed names are the same elements.
    scanner = scan(
        b'<x:row r="7"><x:c><x:v>1</x:v></x:c><x:c t="str"><x:f>A7</x:f><x:v>ab</x:v></x:c></x:row>'
        b'<row r="9"><c r="B2"><v>5</v></c></row>'
    )
    # the row's r (9) errs larger than the cell's own B2
    assert (scanner.max_row, scanner.max_col) == (9, 2)
    assert scanner.text_chars == 2
    assert scanner.formulas_without_value == []


def test_scanner_formulas_errors_and_shared_strings():
    scanner = scan(
        b'<row r="2"><c r="B2"><f>SUM(A1:A2)</f></c><c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        b'<c r="D2" t="s"><v>1</v></c><c r="E2" t="s"><v> 0 </v></c><c r="F2" t="str"><f>"x"</f><v></v></c>'
        b'<c r="G2"><f>A1</f><v></v></c></row>',
        shared_lengths=[3, 40],
    )
    assert scanner.formulas_without_value == ["B2", "G2"]  # a str formula's empty result still counts as saved
    assert scanner.error_cells == {(1, 2): "#DIV/0!"}
    assert scanner.text_chars == 43
    assert (scanner.max_row, scanner.max_col) == (2, 7)


def test_scanner_refuses_malformed_xml():
    with pytest.raises(RejectedFile) as refused:
        scan(b'<row r="1"><c r="A1"><v>1</v></row>')
    assert refused.value.issues[0].message == "文件已损坏或不完整（工作表“表1”的内容格式错误）"


def _package(title: str) -> bytes:
    wb = Workbook()
    wb.active.title = title
    wb.active["B2"] = 7
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, content if info.filename == name else src.read(info.filename))
    return out.getvalue()


def test_parsed_parts_are_shared_only_between_identical_bytes():
    first, second = read_workbook(_package("本级情况"), "a.xlsx"), read_workbook(_package("县级情况"), "b.xlsx")
    assert [s.name for s in first.sheets] == ["本级情况"]
    assert [s.name for s in second.sheets] == ["县级情况"]  # a different workbook.xml is parsed anew
    assert second.sheets[0].rows == ((None, None), (None, 7))
    broken = _with_part(_package("本级情况"), "xl/workbook.xml", b"<workbook><sheets>")
    with pytest.raises(RejectedFile) as refused:
        read_workbook(broken, "c.xlsx")
    assert refused.value.issues[0].message == "文件已损坏或不完整（部件“xl/workbook.xml”格式错误）"


def test_codec_passes_plain_cells_through_and_tags_the_rest():
    workbook = WorkbookData(
        file_name="a.xlsx",
        sha256="0" * 64,
        size_bytes=10,
        format="xlsx",
        sheets=(
            SheetData(
                "表1",
                True,
                ((None, "是", 3, 2.5, True), (date(2024, 5, 12), ExcelErrorValue("#N/A"), None, None, None)),
                ("A1:B1",),
            ),
        ),
        properties={"demo_data": "true"},
        formulas_without_value=(("表1", "C2"),),
    )
    encoded = encode_workbook(workbook)
    assert encoded["sheets"][0]["rows"][1][:2] == [["date", "2024-05-12"], ["error", "#N/A"]]
    assert decode_workbook(encoded) == workbook
    encoded["sheets"][0]["rows"][0][1] = {"not": "a cell"}
    with pytest.raises(ValueError, match="unexpected cell value of type dict"):
        decode_workbook(encoded)


def test_trim_drops_empty_strings_and_trailing_rows_and_columns():
    rows = [["", "a", "", ""], [1.0, "", "", ""], ["", "", 0.0, ""], ["", "", "", ""]]
    assert _trim(rows) == (
        (None, "a", None),
        (1.0, None, None),
        (None, None, 0.0),
    )
    assert _trim([["", ""], [""]]) == ()


def test_header_labels_in_one_cell_are_worked_out_once_and_alike():
    catalog = load_catalog()
    index = _index(catalog)
    text = "填报人：张三  联系电话：029-1234567"
    parts = _label_parts(text, _text_key(text), index)
    assert [code for code, _ in parts] == ["submitter", "phone"]
    assert [value for _, value in parts] == ["张三", "029-1234567"]
    assert _label_parts(text, _text_key(text), index) is parts
    assert _label_parts("填报人：", _text_key("填报人："), index) == (("submitter", None),)
    assert _label_parts("合计", _text_key("合计"), index) == ()


@pytest.mark.parametrize(
    ("raw", "value", "ok", "empty"),
    [(12, 12, True, False), (12.0, 12, True, False), (2.5, None, False, False), (float("nan"), None, True, True)],
)
def test_number_fast_path_reads_as_before(raw, value, ok, empty):
    parsed = parse_number(raw, integer=True)
    assert (parsed.value, parsed.ok, parsed.empty) == (value, ok, empty)
    assert parsed.note is None and parsed.warning is None


def test_a_logical_value_is_still_not_a_number():
    parsed = parse_number(True)
    assert not parsed.ok
    assert parsed.error == "这里应填数字，单元格里却是逻辑值（TRUE/FALSE），请改为填写数字"


def test_catalog_copy_holds_every_measure_and_indicator():
    catalog = load_catalog()
    con = duckdb.connect(":memory:")
    ensure_schema(con)
    sync_catalog(con, catalog)
    measures = con.execute("SELECT number, chapter, short_name FROM catalog_measures ORDER BY number").fetchall()
    assert measures == sorted((m.number, m.chapter, m.short_name) for m in catalog.measures)
    indicators = con.execute("SELECT * FROM catalog_indicators ORDER BY code").fetchall()
    assert indicators == sorted(
        (i.code, i.measure, i.name, i.unit, i.type, i.table, i.return_code, i.level)
        for i in catalog.indicators.values()
    )


class _CountingWorkers:
    """Stands in for ParseWorkers: reads nothing, notes what it was asked to read."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def submit_read(self, data: bytes, file_name: str) -> Future:
        self.asked.append(file_name)
        answer: Future = Future()
        answer.set_result(f"{file_name}:{len(data)}")
        return answer


def test_reading_ahead_starts_at_once_and_holds_only_its_window():
    from pipeline.sandbox import ReadAhead

    pulled: list[int] = []

    def items():
        for n in range(10):
            pulled.append(n)
            yield f"f{n}.xlsx", b"x" * n

    workers = _CountingWorkers()
    reads = ReadAhead(workers.submit_read, items(), ahead=3)
    assert pulled == [0, 1, 2]  # three taken before anyone asked for an outcome
    assert next(reads) == "f0.xlsx:0"
    assert pulled == [0, 1, 2, 3]
    assert list(reads) == [f"f{n}.xlsx:{n}" for n in range(1, 10)]
    assert workers.asked == [f"f{n}.xlsx" for n in range(10)]


def test_a_batch_into_a_new_warehouse_reads_while_creating_it(tmp_path, monkeypatch):
    """The files read before the warehouse exists are the ones decided: same results as an existing one."""
    from pipeline import ingest

    wb = Workbook()
    wb.active["A1"] = "不是报表"
    out = io.BytesIO()
    wb.save(out)
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.xlsx", "b.xlsx"):
        (folder / name).write_bytes(out.getvalue() if name == "a.xlsx" else b"not a workbook")
    made: list[bool] = []
    real = ingest._ReadAhead

    def noting(items, workers, known=None, ahead=None, checks=None):
        made.append(ingest.warehouse_exists(tmp_path / "wh.duckdb"))
        return real(items, workers, known, ahead, checks)

    monkeypatch.setattr(ingest, "_ReadAhead", noting)
    first = ingest.ingest_paths([folder], warehouse=tmp_path / "wh.duckdb", raw_dir=tmp_path / "raw")
    again = ingest.ingest_paths([folder], warehouse=tmp_path / "wh.duckdb", raw_dir=tmp_path / "raw")
    assert made == [False, True]  # read ahead of creating the warehouse only when there was none
    assert [(r.file_name, r.status, r.issues[0].code) for r in first] == [
        ("a.xlsx", "rejected", "unknown_return_type"),
        ("b.xlsx", "rejected", "not_excel"),
    ]
    assert [(r.status, r.submission_id) for r in again] == [(r.status, r.submission_id) for r in first]


def _small_return(value: int) -> bytes:
    wb = Workbook()
    wb.active["B2"] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _replaced(worker, pid: int) -> bool:
    """Whether `worker` runs a live process other than `pid` within a minute (it is replaced on its lane's thread)."""
    for _ in range(600):
        process = worker._process
        if process is not None and process.pid != pid and process.poll() is None:
            return True
        time.sleep(0.1)
    return False


def test_a_worker_that_has_done_its_share_is_replaced_in_the_background(monkeypatch):
    from pipeline import sandbox

    monkeypatch.setattr(sandbox, "MAX_JOBS_PER_WORKER", 2)
    pool = sandbox.ParseWorkers(1, sandbox.WorkerLimits(wall_seconds=30))
    try:
        [worker] = pool._workers
        assert pool.read(_small_return(1), "1.xlsx").workbook.sheets[0].rows[1] == (None, 1)
        first = worker._process.pid
        assert pool.read(_small_return(2), "2.xlsx").workbook.sheets[0].rows[1] == (None, 2)
        # the answer came back at once; the replacement is started before the next file comes
        assert _replaced(worker, first)
        replacement = worker._process.pid
        assert pool.read(_small_return(3), "3.xlsx").workbook.sheets[0].rows[1] == (None, 3)
        assert worker._process.pid == replacement
    finally:
        pool.close()
    assert worker._process is None


def test_closing_the_pool_waits_for_a_replacement_under_way(monkeypatch):
    from pipeline import sandbox

    monkeypatch.setattr(sandbox, "MAX_JOBS_PER_WORKER", 1)
    pool = sandbox.ParseWorkers(1, sandbox.WorkerLimits(wall_seconds=30))
    [worker] = pool._workers
    assert pool.read(_small_return(4), "4.xlsx").workbook is not None
    pool.close()  # the replacement started after the read is stopped too: no process is left behind
    assert worker._process is None
    assert not pool._live_lanes  # nor a thread (each lane leaves the set as its thread ends)


def test_a_folder_ingested_again_tells_each_known_file_what_it_was_told(tmp_path):
    from pipeline.ingest import ingest_paths
    from pipeline.load import recorded_issues, recorded_issues_of
    from pipeline.warehouse import open_reader

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.xlsx").write_bytes(b"not a workbook")
    (folder / "b.xlsx").write_bytes(_small_return(5))
    first = ingest_paths([folder], warehouse=tmp_path / "wh.duckdb", raw_dir=tmp_path / "raw")
    (folder / "a.xlsx").rename(folder / "a again.xlsx")
    again = ingest_paths([folder], warehouse=tmp_path / "wh.duckdb", raw_dir=tmp_path / "raw")
    assert [(r.file_name, r.status) for r in again] == [("a again.xlsx", "rejected"), ("b.xlsx", "rejected")]
    assert [i.message for i in again[0].issues] == [i.message for i in first[0].issues]
    assert {i.file for i in again[0].issues} == {"a again.xlsx"}
    assert [i.code for i in again[1].issues] == [i.code for i in first[1].issues] == ["unknown_return_type"]
    con = open_reader(tmp_path / "wh.duckdb")
    ids = [r.submission_id for r in first]
    assert recorded_issues_of(con, [*ids, 999]) == {sid: recorded_issues(con, sid) for sid in ids}
    con.close()


def test_long_texts_are_read_but_not_kept_by_the_caches():
    from pipeline.read import _ref_position, _short_ref_position

    index = _index(load_catalog())
    note = "说明：" + "很长的说明文字" * 100
    assert _label_parts(note, _text_key(note), index) == ()
    assert note not in index.label_parts
    long_ref = "A" + "0" * 20 + "7"
    before = _short_ref_position.cache_info().currsize
    assert _ref_position(long_ref) == (7, 1)
    assert _short_ref_position.cache_info().currsize == before
    assert _ref_position("XFD1048576") == (1048576, 16384)


def test_a_new_warehouse_is_read_as_empty_while_it_is_created(tmp_path):
    from pipeline import warehouse
    from pipeline.reference import load_reference

    path = tmp_path / "new.duckdb"
    with warehouse.write_session(path) as session:
        assert session.reader.execute("SELECT count(*) FROM submissions").fetchone() == (0,)
        assert load_reference(session.reader).settings_version is None
    assert path.exists()  # created and swapped in although nothing was written, as before
    con = warehouse.open_reader(path)
    assert con.execute("SELECT count(*) FROM catalog_measures").fetchone() == (len(load_catalog().measures),)
    con.close()
    other = tmp_path / "written.duckdb"
    with warehouse.write_session(other) as session:
        session.connection().execute("INSERT INTO warehouse_meta VALUES ('note', '写入')")
    con = warehouse.open_reader(other)
    assert con.execute("SELECT value FROM warehouse_meta WHERE key = 'note'").fetchone() == ("写入",)
    con.close()


def test_a_new_warehouse_that_cannot_be_created_fails_the_session(tmp_path, monkeypatch):
    from contextlib import contextmanager

    from pipeline import warehouse

    @contextmanager
    def failing(path, catalog, swap_unchanged=True):
        raise OSError("磁盘已满")
        yield

    monkeypatch.setattr(warehouse, "_write_cycle", failing)
    path = tmp_path / "never.duckdb"
    with pytest.raises(OSError, match="磁盘已满"), warehouse.write_session(path):
        pass
    assert not path.exists()
