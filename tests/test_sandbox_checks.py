"""Returns checked whole in the parse workers (read, locate, validate): the same answer as checking them here, the
reference data sent to each worker once per version, strict decoding of what comes back, and our own failures told
apart from damaged files."""

import dataclasses
import datetime
import io
import json
import pickle
from concurrent.futures import Future
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipeline.ingest import collect_files, ingest_paths
from pipeline.issues import RejectedFile
from pipeline.locate import locate_return
from pipeline.reference import load_reference
from pipeline.registry import Registry
from pipeline.sandbox import ParseWorkers, ReadOutcome, ReturnChecks, WorkerLimits
from pipeline.sandbox_worker import (
    CHECK_JOB,
    REFERENCE_JOB,
    WorkerState,
    decode_validated,
    decode_values,
    encode_validated,
    json_default,
    run_job,
)
from pipeline.validate import validate_return
from pipeline.validated import ValidatedReturn, ValueRow

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def pool():
    workers = ParseWorkers(2, WorkerLimits(memory_bytes=400 * MIB, wall_seconds=30))
    yield workers
    workers.close()


@pytest.fixture(scope="module")
def reference():
    return load_reference(None)


def _checked_here(data: bytes, name: str, reference, pool) -> ValidatedReturn | tuple:
    reading = pool.read(data, name)
    if reading.workbook is None:
        return reading.issues
    try:
        located = locate_return(reading.workbook, reference.catalog)
    except RejectedFile as rejected:
        return tuple(rejected.issues)
    return validate_return(reading.workbook, located, reference.catalog, reference.registry)


def test_a_worker_checks_every_demo_return_as_this_process_would(demo_returns, pool, reference):
    checks = ReturnChecks(reference.catalog, reference.registry)
    files = collect_files([demo_returns])
    compared = 0
    for path in files:
        data = path.read_bytes()
        outcome = pool.check(data, path.name, checks)
        here = _checked_here(data, path.name, reference, pool)
        if isinstance(here, ValidatedReturn):
            assert outcome.validated == here, path.name
            assert outcome.readable and outcome.workbook is None and outcome.issues == ()
            compared += len(here.values)
        else:
            assert outcome.validated is None and outcome.issues == here, path.name
    assert compared > 1000  # the figures themselves were compared, not only the files' statuses


def test_a_workbook_that_is_no_return_was_read_and_a_file_that_is_no_workbook_was_not(pool, reference):
    checks = ReturnChecks(reference.catalog, reference.registry)
    book = Workbook()
    book.active["A1"] = "会议签到表"
    out = io.BytesIO()
    book.save(out)
    unknown = pool.check(out.getvalue(), "签到表.xlsx", checks)
    assert [issue.code for issue in unknown.issues] == ["unknown_return_type"]
    assert unknown.readable and unknown.read_but_refused
    not_excel = pool.check(b"%PDF-1.7 not a workbook", "通知.xlsx", checks)
    assert [issue.code for issue in not_excel.issues] == ["not_excel"]
    assert not not_excel.readable


@pytest.fixture(scope="module")
def accepted(demo_returns, pool, reference) -> Path:
    """A demo return accepted without warnings (the demo also holds returns broken on purpose)."""
    for path in collect_files([demo_returns]):
        here = _checked_here(path.read_bytes(), path.name, reference, pool)
        if isinstance(here, ValidatedReturn) and here.status == "accepted":
            return path
    raise AssertionError("no accepted demo return")


def test_the_reference_goes_to_each_worker_once_and_again_when_it_changes(accepted, reference):
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=400 * MIB, wall_seconds=30))
    try:
        [worker] = pool._workers
        path = accepted
        checks = ReturnChecks(reference.catalog, reference.registry)
        first = pool.check(path.read_bytes(), path.name, checks)
        token = worker._reference_token
        assert first.validated is not None and token is not None
        pool.check(path.read_bytes(), path.name, checks)
        assert worker._reference_token == token  # the same reference data: not sent again
        # Another registry (the unit renamed in the settings, its old name forgotten) is sent before the next
        # check, and used by it: the name on the return no longer resolves.
        code = first.validated.unit_code
        renamed = _renamed(reference.registry, code)
        changed = pool.check(path.read_bytes(), path.name, ReturnChecks(reference.catalog, renamed))
        assert worker._reference_token != token
        assert changed.validated.unit_code is None
        assert "unknown_unit" in {issue.code for issue in changed.validated.issues}
        # A replaced worker process holds nothing: it is sent the reference data again.
        worker.renew()
        assert worker._reference_token is None
        again = pool.check(path.read_bytes(), path.name, checks)
        assert again.validated == first.validated
    finally:
        pool.close()


def _renamed(registry: Registry, code: str) -> Registry:
    """The registry with one unit renamed in the settings, its old name forgotten."""
    return Registry(
        [
            dataclasses.replace(unit, name="改名后的工会", short_name="改名后", aliases=(), former_names=())
            if unit.code == code
            else unit
            for unit in registry.units
        ]
    )


def test_checks_queued_together_each_use_the_reference_they_were_given(accepted, reference):
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=400 * MIB, wall_seconds=30))
    data, name = accepted.read_bytes(), accepted.name
    checks = ReturnChecks(reference.catalog, reference.registry)
    try:
        code = pool.check(data, name, checks).validated.unit_code
        renamed = ReturnChecks(reference.catalog, _renamed(reference.registry, code))
        queued = [pool.submit_check(data, name, given) for given in (checks, renamed, renamed, checks)]
        units = [future.result(timeout=60).validated.unit_code for future in queued]
    finally:
        pool.close()
    assert units == [code, None, None, code]


def test_reference_data_a_worker_cannot_load_is_our_fault_and_is_sent_again(accepted, reference, monkeypatch):
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=400 * MIB, wall_seconds=30))
    data, name = accepted.read_bytes(), accepted.name
    checks = ReturnChecks(reference.catalog, reference.registry)
    try:
        with monkeypatch.context() as patched:
            patched.setattr(pool, "_pickled_reference", lambda _catalog, _registry: (99, b"not a pickle"))
            broken = pool.check(data, name, checks)
        assert (broken.validated, broken.issues) == (None, ())  # not the file's fault: nothing said about it
        assert broken.internal_error.startswith("reference data not loaded: UnpicklingError")
        assert pool.check(data, name, checks).validated is not None
    finally:
        pool.close()


def test_the_year_settings_reach_the_worker(accepted, pool, reference):
    path = accepted
    data = path.read_bytes()
    plain = pool.check(data, path.name, ReturnChecks(reference.catalog, reference.registry))
    year = plain.validated.year
    other = pool.check(data, path.name, ReturnChecks(reference.catalog, reference.registry, expected_year=year + 1))
    assert "wrong_year" in {issue.code for issue in other.validated.issues}
    # A reporting year after the current one is refused; the current day comes from the batch: as checked here.
    today = datetime.date(year - 1, 12, 31)
    early = pool.check(data, path.name, ReturnChecks(reference.catalog, reference.registry, today=today))
    reading = pool.read(data, path.name)
    here = validate_return(
        reading.workbook, locate_return(reading.workbook, reference.catalog), reference.catalog, reference.registry,
        today=today,
    )  # fmt: skip
    assert early.validated == here
    assert "wrong_year" in {issue.code for issue in early.validated.issues}
    assert "wrong_year" not in {issue.code for issue in plain.validated.issues}


# -- the codec --------------------------------------------------------------------------------------------------------


def _validated(values: tuple[ValueRow, ...]) -> ValidatedReturn:
    return ValidatedReturn(
        file_name="西安市.xlsx", sha256="ab" * 32, return_code="R1", year=2023, unit_code="6101", submitter="张三",
        phone=None, filled_on=datetime.date(2024, 1, 15), values=values, issues=(), is_demo=True,
    )  # fmt: skip


VALUES = (
    ValueRow("I01", "6101", 0, 438.0, None, None, None, "438", None, "表1", "C5", None),
    ValueRow("I02", "6101", 0, None, "已建立", None, None, "已建立", "说明", "表1", "C6", "全角数字已转换"),
    ValueRow("I03", "6101", 0, None, None, datetime.date(2023, 5, 4), None, "2023-05-04", None, "表1", "C7", None),
    ValueRow("I04", "610102", 3, None, None, None, True, "是", None, "表2", "D9", None),
    ValueRow("I05", "610102", 4, 0.0, None, None, False, "0", None, "表2", "E9", None),
)


def _round_trip(validated: ValidatedReturn) -> ValidatedReturn:
    return decode_validated(json.loads(json.dumps(encode_validated(validated), default=json_default)))


def test_the_codec_round_trips_a_validated_return():
    validated = _validated(VALUES)
    assert _round_trip(validated) == validated
    assert type(_round_trip(validated).values[0].value_num) is float
    assert _round_trip(_validated(())) == _validated(())


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("row_no", 3.0),  # a float where an int belongs
        ("row_no", True),  # a bool is no row number, though Python counts it an int
        ("value_num", "438"),  # text where a number belongs
        ("value_bool", 1),
        ("indicator", None),
        ("value_date", "2023-13-40"),  # not a date
    ],
)
def test_the_codec_refuses_a_field_of_the_wrong_type(field, bad):
    rows = json.loads(json.dumps(VALUES, default=json_default))
    rows[0][ValueRow._fields.index(field)] = bad
    with pytest.raises(ValueError):
        decode_values(rows)


def test_the_codec_refuses_malformed_shapes():
    with pytest.raises(ValueError):
        decode_values({"not": "a list"})
    with pytest.raises(ValueError):
        decode_values([["I01", "6101", 0]])  # too few fields
    encoded = json.loads(json.dumps(encode_validated(_validated(VALUES)), default=json_default))
    with pytest.raises(ValueError):
        decode_validated({**encoded, "year": "2023"})
    with pytest.raises(ValueError):
        decode_validated({**encoded, "is_demo": "true"})
    with pytest.raises(ValueError):
        decode_validated({**encoded, "filled_on": 20240115})


def test_only_a_plain_date_is_written_as_a_date():
    assert json_default(datetime.date(2024, 1, 2)) == "2024-01-02"
    with pytest.raises(TypeError):
        json_default(datetime.datetime(2024, 1, 2, 3, 4))  # would lose its time in a date column
    with pytest.raises(TypeError):
        json_default(object())


# -- failures of our own code ------------------------------------------------------------------------------------------


def test_a_check_without_the_reference_data_is_an_internal_failure(accepted, reference):
    path = accepted
    state = WorkerState()
    header = {"job": CHECK_JOB, "file_name": path.name, "reference": 1}
    reply, _ = run_job(header, path.read_bytes(), state)
    assert reply["failure"] == "internal" and not reply.get("recycle")
    run_job({"job": REFERENCE_JOB, "token": 1}, pickle.dumps((reference.catalog, reference.registry)), state)
    reply, _ = run_job(header, path.read_bytes(), state)
    assert reply["ok"] and reply["validated"]["file_name"] == path.name
    reply, _ = run_job({"job": REFERENCE_JOB, "token": 2}, b"not a pickle", state)
    assert reply["failure"] == "internal"


class _BrokenChecks(ParseWorkers):
    """Workers whose checks fail in our own code (or answer about other bytes) for one file."""

    def __init__(self, broken: str, how: str) -> None:
        super().__init__(1, WorkerLimits(memory_bytes=400 * MIB, wall_seconds=30))
        self.broken, self.how = broken, how

    def submit_check(self, data, file_name, checks):
        checked = super().submit_check(data, file_name, checks)
        if file_name != self.broken:
            return checked
        broken: Future = Future()
        checked.add_done_callback(lambda done: broken.set_result(self._broken(done.result())))
        return broken

    def _broken(self, outcome):
        if self.how == "internal":
            return ReadOutcome(None, internal_error="KeyError: 'I01'")
        return dataclasses.replace(outcome, validated=dataclasses.replace(outcome.validated, sha256="0" * 64))


@pytest.mark.parametrize("how", ["internal", "other bytes"])
def test_a_failure_of_our_own_checks_is_an_internal_error_and_loads_nothing_of_that_file(
    demo_returns, accepted, tmp_path, how
):
    others = [path for path in collect_files([demo_returns]) if path != accepted][:2]
    files = [others[0], accepted, others[1]]
    pool = _BrokenChecks(accepted.name, how)
    try:
        results = ingest_paths(files, warehouse=tmp_path / "wh.duckdb", raw_dir=tmp_path / "raw", workers=pool)
    finally:
        pool.close()
    broken = results[1]
    assert broken.status == "rejected" and [i.code for i in broken.issues] == ["internal_error"]
    assert broken.submission_id is None  # not recorded: it can be sent again once the fault is fixed
    assert results[0].submission_id is not None and results[2].submission_id is not None  # the others load


def test_a_batch_into_a_new_warehouse_checks_each_file_once(demo_returns, tmp_path):
    asked: list[str] = []

    class Counting(ParseWorkers):
        def submit_check(self, data, file_name, checks):
            asked.append(file_name)
            return super().submit_check(data, file_name, checks)

    files = collect_files([demo_returns])[:6]
    pool = Counting(2, WorkerLimits(memory_bytes=400 * MIB, wall_seconds=30))
    try:
        ingest_paths(files, warehouse=tmp_path / "wh.duckdb", raw_dir=tmp_path / "raw", workers=pool)
    finally:
        pool.close()
    # checked while the warehouse was being created, against the reference data a new warehouse starts with
    assert sorted(asked) == sorted(path.name for path in files)


@pytest.mark.parametrize("job", ["read", "check"])
def test_a_reply_in_a_shape_our_worker_never_writes_stops_that_worker(accepted, reference, monkeypatch, job):
    """As if a file had taken the worker over: its reply is refused, the file with it, and the process replaced."""
    from pipeline import sandbox

    pool = ParseWorkers(1, WorkerLimits(memory_bytes=400 * MIB, wall_seconds=30))
    checks = ReturnChecks(reference.catalog, reference.registry)
    ask = pool.read if job == "read" else lambda data, name: pool.check(data, name, checks)
    data = accepted.read_bytes()
    try:
        [worker] = pool._workers
        assert ask(data, accepted.name).issues == ()
        before = worker._process.pid

        def malformed(_data):
            raise ValueError("a field of the wrong type")

        monkeypatch.setattr(sandbox, "decode_workbook" if job == "read" else "decode_validated", malformed)
        outcome = ask(data, accepted.name)
        assert outcome.workbook is None and outcome.validated is None and not outcome.readable
        assert [issue.code for issue in outcome.issues] == ["unsafe_file"]
        assert "读取程序返回的结果格式不对" in outcome.issues[0].message
        monkeypatch.undo()
        again = ask(data, accepted.name)  # a new process answers the next file
        assert again.issues == () and (again.workbook or again.validated) is not None
        assert worker._process.pid != before
    finally:
        pool.close()
