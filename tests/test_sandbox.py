"""The bounded parse worker against the adversarial corpus: every file gets a plain-data outcome, the worker's
failures become Chinese refusals, and the pool recovers for the next file."""

import datetime
import io
import resource
import zipfile

import pytest
from adversarial import (
    backslash_zip_entries,
    biff4_worksheet,
    compression_bomb,
    control_characters_xls,
    control_characters_xlsx,
    empty_relationship_id,
    excel_error_values_xls,
    excel_error_values_xlsx,
    looping_ole_chain,
    macro_sheet_xlsm,
    panicking_xls,
    shared_string_bomb,
    small_xlsx,
    truncated_xls,
    upper_case_stream_names,
    with_sheet_rows,
    xlrd_refuses_calamine_reads,
)

from pipeline.cell_values import ExcelErrorValue
from pipeline.issues import Issue
from pipeline.sandbox import UNSAFE_FIX, ParseWorkers, WorkerLimits
from pipeline.sandbox_worker import decode_workbook, encode_workbook

MIB = 1024 * 1024
CORRUPT_FIX = "请在 Excel/WPS 中打开确认后重新保存并上传"
SAVE_AS_FIX = "请在 Excel/WPS 中打开后另存为 .xlsx 再上传"


@pytest.fixture(scope="module")
def workers():
    pool = ParseWorkers(2, WorkerLimits(memory_bytes=300 * MIB, wall_seconds=30))
    yield pool
    pool.close()


def refusal(workers, built) -> Issue:
    name, data = built
    outcome = workers.read(data, name)
    assert outcome.workbook is None
    assert len(outcome.issues) == 1
    return outcome.issues[0]


def rows(workers, built) -> list[tuple]:
    name, data = built
    outcome = workers.read(data, name)
    assert outcome.issues == ()
    return [sheet.rows for sheet in outcome.workbook.sheets]


def test_a_looping_ole_chain_costs_the_worker_not_the_server(workers):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    issue = refusal(workers, looping_ole_chain())
    assert issue == Issue(
        "error", "unsafe_file", "文件无法安全读取（读取时占用的内存超过 300 MB 上限，或读取程序崩溃），已停止读取，文件未装入",
        UNSAFE_FIX, file="循环扇区链.xls",
    )  # fmt: skip
    # This process's peak memory did not grow by anything like what calamine tried to allocate (4 GB).
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB
    assert rows(workers, upper_case_stream_names()) == [(("hello",), (12.5,))]  # the pool recovered


def test_a_parser_panic_is_a_corrupt_file_not_a_dead_thread(workers):
    assert refusal(workers, panicking_xls()) == Issue(
        "error", "corrupt_file", "文件已损坏或不完整（读取程序无法解析该文件）", CORRUPT_FIX, file="记录损坏.xls"
    )


def test_a_truncated_xls_is_corrupt(workers):
    assert refusal(workers, truncated_xls()) == Issue(
        "error", "corrupt_file", "文件已损坏或不完整（无法读取工作表内容）", CORRUPT_FIX, file="被截断.xls"
    )


def test_one_reader_does_not_veto_another(workers):
    assert rows(workers, xlrd_refuses_calamine_reads()) == [(("hello",), (12.5,))]


def test_upper_case_ole_stream_names_are_an_excel_file(workers):
    assert rows(workers, upper_case_stream_names()) == [(("hello",), (12.5,))]


def test_biff4_is_an_old_excel_format(workers):
    assert refusal(workers, biff4_worksheet()) == Issue(
        "error", "old_excel_format", "文件是 Excel 4.0 或更早版本（1994 年以前的 Excel 2.x–4.0）的格式，本系统无法读取",
        SAVE_AS_FIX, file="Excel4.xls",
    )  # fmt: skip


def test_backslash_zip_entries_are_read_as_office_reads_them(workers):
    assert rows(workers, backslash_zip_entries()) == [(("市总工会年度报表", None), (None, 12.0))]


def test_a_macro_sheet_is_left_out_and_named(workers):
    name, data = macro_sheet_xlsm()
    outcome = workers.read(data, name)
    assert [sheet.name for sheet in outcome.workbook.sheets] == ["本级情况"]
    assert outcome.workbook.sheets[0].rows == (("市总工会年度报表", None), (None, 12.0))
    assert outcome.workbook.format == "xlsm"
    assert outcome.workbook.ignored_sheets == (("宏表", "Excel 4.0 宏表（宏不会被执行，宏表内容不读取）"),)


def test_a_sheet_with_an_empty_relationship_id_is_left_out(workers):
    name, data = empty_relationship_id()
    outcome = workers.read(data, name)
    assert [sheet.name for sheet in outcome.workbook.sheets] == ["本级情况"]
    assert outcome.workbook.ignored_sheets == (("空引用", "工作簿目录中登记了该工作表，但文件中没有它的内容"),)


def test_excel_error_values_are_not_blanks(workers):
    assert rows(workers, excel_error_values_xlsx()) == [
        (
            ("市总工会年度报表", None, None),
            (None, 12.0, None),
            (None, ExcelErrorValue("#DIV/0!"), None),
            (None, None, ExcelErrorValue("#N/A")),
        )
    ]
    assert rows(workers, excel_error_values_xls()) == [
        (("市总工会年度报表", None), (None, 12), (None, ExcelErrorValue("#DIV/0!")))
    ]


def test_a_shared_string_bomb_is_refused_before_it_expands(workers):
    assert refusal(workers, shared_string_bomb()) == Issue(
        "error", "file_too_large",
        "文件中单元格文字共约 60000 万字（工作表“本级情况”最多），超过 1000 万字的上限，疑似同一段长文字被大量单元格重复引用",
        "一份报表的文字通常不到 10 万字。请删除误粘贴的长文字后重新保存", file="共享字符串炸弹.xlsx",
    )  # fmt: skip


def test_a_compression_bomb_is_refused_by_its_ratio(workers):
    issue = refusal(workers, compression_bomb())
    assert (issue.code, issue.message) == (
        "zip_bomb",
        "文件内部部件“xl/worksheets/sheet1.xml”压缩比超过 200 倍，疑似压缩炸弹，已拒绝读取",
    )


def test_control_characters_reach_the_reader_as_typed(workers):
    # The read stage keeps what the cell holds; normalisation removes control characters from every value.
    assert rows(workers, control_characters_xlsx())[0][1:] == (
        (None, "张\x00三"),
        (None, '=HYPERLINK("http://example.invalid","点击")'),
        (None, "李\x07四"),
    )
    assert rows(workers, control_characters_xls())[0][1] == (None, "张\x00三")


def many_cells_xlsx(count: int) -> bytes:
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>{r}</v></c></row>' for r in range(1, count))
    return with_sheet_rows(small_xlsx(), body, replace=True)


def test_a_file_that_takes_too_long_is_stopped():
    slow = many_cells_xlsx(400_000)
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=1024 * MIB, wall_seconds=0.3))
    try:
        issue = pool.read(slow, "慢.xlsx").issues[0]
        assert (issue.code, issue.message) == (
            "unsafe_file",
            "文件无法安全读取（读取时间超过 0.3 秒），已停止读取，文件未装入",
        )
        assert pool.read(small_xlsx(B2=5), "快.xlsx").workbook.sheets[0].rows[1] == (None, 5)
    finally:
        pool.close()


def test_a_reply_over_the_output_limit_is_refused():
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=512 * MIB, wall_seconds=30, output_bytes=64 * 1024))
    try:
        issue = pool.read(many_cells_xlsx(5_000), "大.xlsx").issues[0]
        assert (issue.code, issue.message) == (
            "unsafe_file",
            "文件无法安全读取（读取结果超过 64 KB），已停止读取，文件未装入",
        )
        assert pool.read(small_xlsx(B2=5), "小.xlsx").workbook is not None
    finally:
        pool.close()


def test_read_in_order_keeps_the_input_order(workers):
    batch = [upper_case_stream_names(), panicking_xls(), backslash_zip_entries(), biff4_worksheet()]
    outcomes = list(workers.read_in_order(batch))
    assert [o.workbook.file_name if o.workbook else o.issues[0].file for o in outcomes] == [n for n, _ in batch]
    assert [o.issues[0].code if o.issues else "ok" for o in outcomes] == [
        "ok",
        "corrupt_file",
        "ok",
        "old_excel_format",
    ]


def test_an_annotated_copy_is_made_only_from_bytes_that_pass_the_reader(workers):
    issue = Issue("error", "not_a_number", "不是数字", "请填数字", "反斜杠路径.xlsx", "本级情况", "B2", "12")
    name, data = backslash_zip_entries()
    annotated = workers.annotate(data, name, [issue])
    with zipfile.ZipFile(io.BytesIO(annotated)) as archive:
        assert "xl/worksheets/sheet2.xml" in archive.namelist()  # 错误清单 in front of the submitter's sheet
    for hostile in (looping_ole_chain(), shared_string_bomb(), panicking_xls()):
        assert workers.annotate(hostile[1], hostile[0], [issue]) is None


def test_the_codec_round_trips_every_cell_type():
    from pipeline.read import SheetData, WorkbookData

    values = (
        None, "文字", 3, 2.5, True, datetime.date(2024, 5, 12), datetime.datetime(2024, 5, 12, 8, 30),
        datetime.time(9, 15), datetime.timedelta(hours=2), ExcelErrorValue("#REF!"),
    )  # fmt: skip
    workbook = WorkbookData(
        "a.xlsx", "0" * 64, 10, "xlsx", (SheetData("表", False, (values,), ("A1:B1",)),), {"demo_data": "1"},
        (("表", "C3"),), (("宏表", "宏表"),),
    )  # fmt: skip
    assert decode_workbook(encode_workbook(workbook)) == workbook


def test_workers_run_below_the_servers_priority_and_the_pool_has_one_per_core(monkeypatch):
    import os

    from pipeline.sandbox import default_pool_size
    from pipeline.sandbox_worker import NICENESS

    pool = ParseWorkers(1, WorkerLimits(memory_bytes=300 * MIB, wall_seconds=30))
    try:
        assert pool.read(small_xlsx(), "小表.xlsx").workbook is not None
        (worker,) = pool._workers
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, worker._process.pid) == min(ours + NICENESS, 19)
    finally:
        pool.close()
    monkeypatch.delenv("PARSE_WORKERS", raising=False)
    cores = len(os.sched_getaffinity(0))
    assert default_pool_size() == min(cores, 4)
    monkeypatch.setenv("PARSE_WORKERS", "1")
    assert default_pool_size() == 1
