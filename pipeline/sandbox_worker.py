"""The inside of a parse worker: the only place where the bytes of a submitted file meet a parser.

A worker is a separate process started by pipeline/sandbox.py as `python -m pipeline.sandbox_worker IN OUT
MEMORY CPU` (IN and OUT: the pipe descriptors it inherits). It limits itself first (address space, CPU
time, no core files), silences its own stdout and stderr (a Rust panic prints a backtrace there), ignores
Ctrl-C (the parent decides what an interrupt means), then answers jobs over a pipe until the pipe closes.

Jobs: read (the workbook's cell values), check (read, then locate and validate the return against the reference
data the parent sent before: only the typed figures and the issues go back, not every cell), annotate (the
annotated copy of a rejected file), reference (the catalog and registry later checks use).

Every reply crosses the pipe as JSON with a tagged encoding for the few cell types JSON lacks, never as pickle:
whatever a hostile file could do to a parser in here, the server only ever decodes plain data. The one pickle goes
the other way: the reference job's catalog and registry, which the server made itself.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
import os
import pickle
import resource
import signal
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from multiprocessing.connection import Connection
from typing import Any

from pipeline.catalog import Catalog
from pipeline.cell_values import ExcelErrorValue
from pipeline.collector import BATCH_THRESHOLDS
from pipeline.issues import Issue, RejectedFile
from pipeline.locate import locate_return
from pipeline.read import SheetData, WorkbookData, read_workbook, readable_package
from pipeline.registry import Registry
from pipeline.report import annotate_workbook
from pipeline.validate import validate_return
from pipeline.validated import ValidatedReturn, ValueRow

READ_JOB, CHECK_JOB, ANNOTATE_JOB, REFERENCE_JOB = "read", "check", "annotate", "reference"
READY = b"ready"


# -- the codec: WorkbookData <-> JSON-able data -------------------------------------------------------------------


def encode_cell(value: object) -> object:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.datetime):
        return ["datetime", value.isoformat()]
    if isinstance(value, dt.date):
        return ["date", value.isoformat()]
    if isinstance(value, dt.time):
        return ["time", value.isoformat()]
    if isinstance(value, dt.timedelta):
        return ["timedelta", value.total_seconds()]
    if isinstance(value, ExcelErrorValue):
        return ["error", value.text]
    return str(value)


_DECODERS = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda seconds: dt.timedelta(seconds=float(seconds)),
    "error": lambda text: ExcelErrorValue(str(text)),
}


def decode_cell(value: object) -> object:
    if isinstance(value, list):
        tag, payload = value
        return _DECODERS[tag](payload)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise ValueError(f"unexpected cell value of type {type(value).__name__}")


# What JSON carries as itself, in both directions (every other cell value is tagged); tested by type, not
# isinstance, so a subclass still goes through encode_cell / decode_cell.
_JSON_SCALARS = frozenset({str, int, float, bool})
_PLAIN_CELL_TYPES = _JSON_SCALARS | {type(None)}


def _all_plain(rows: Iterable[Iterable[object]]) -> bool:
    """Whether every cell is None or a JSON scalar, told from the set of the cells' types (built in C)."""
    return _PLAIN_CELL_TYPES.issuperset(set(map(type, itertools.chain.from_iterable(rows))))


def _encode_rows(rows: tuple[tuple[object, ...], ...]) -> object:
    if _all_plain(rows):
        return rows  # json writes tuples as arrays: a sheet without dates or errors crosses without per-cell work
    return [[v if v is None or type(v) in _JSON_SCALARS else encode_cell(v) for v in row] for row in rows]


def encode_workbook(workbook: WorkbookData) -> dict[str, Any]:
    return {
        "file_name": workbook.file_name,
        "sha256": workbook.sha256,
        "size_bytes": workbook.size_bytes,
        "format": workbook.format,
        "sheets": [
            {
                "name": sheet.name,
                "visible": sheet.visible,
                "rows": _encode_rows(sheet.rows),
                "merged": list(sheet.merged),
            }
            for sheet in workbook.sheets
        ],
        "properties": workbook.properties,
        "formulas_without_value": [list(pair) for pair in workbook.formulas_without_value],
        "ignored_sheets": [list(pair) for pair in workbook.ignored_sheets],
    }


def decode_workbook(data: dict[str, Any]) -> WorkbookData:
    """Strict: every field is rebuilt with the type it must have, so a malformed reply fails here, loudly."""
    return WorkbookData(
        file_name=str(data["file_name"]),
        sha256=str(data["sha256"]),
        size_bytes=int(data["size_bytes"]),
        format=str(data["format"]),
        sheets=tuple(
            SheetData(
                str(sheet["name"]),
                bool(sheet["visible"]),
                tuple(
                    tuple([v if v is None or type(v) in _JSON_SCALARS else decode_cell(v) for v in row])
                    for row in sheet["rows"]
                ),
                tuple(str(ref) for ref in sheet["merged"]),
            )
            for sheet in data["sheets"]
        ),
        properties={str(k): str(v) for k, v in data["properties"].items()},
        formulas_without_value=tuple((str(s), str(c)) for s, c in data["formulas_without_value"]),
        ignored_sheets=tuple((str(s), str(why)) for s, why in data["ignored_sheets"]),
    )


# A validated return crosses as JSON too: its figures as arrays in ValueRow's field order (a named tuple is written
# as an array by json's C encoder, no work per figure here), dates as ISO text (see json_default).
_NONE = type(None)
_VALUE_FIELD_TYPES = (
    frozenset({str}),  # indicator
    frozenset({str}),  # entity_code
    frozenset({int}),  # row_no
    frozenset({float, int, _NONE}),  # value_num (JSON writes 3.0 as 3.0: a float stays a float)
    frozenset({str, _NONE}),  # value_text
    frozenset({str, _NONE}),  # value_date, ISO text
    frozenset({bool, _NONE}),  # value_bool
    frozenset({str}),  # raw_text
    frozenset({str, _NONE}),  # remark
    frozenset({str}),  # sheet
    frozenset({str}),  # cell
    frozenset({str, _NONE}),  # note
)
_DATE_FIELD = ValueRow._fields.index("value_date")
assert len(_VALUE_FIELD_TYPES) == len(ValueRow._fields)


def json_default(value: object) -> str:
    """What json writes for a date (a figure's or the filled-on date); anything else is a bug, refused loudly."""
    if type(value) is dt.date:
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode_validated(validated: ValidatedReturn) -> dict[str, Any]:
    """Every field as it is (the figures as they are: see above), the issues as plain dicts."""
    encoded = {field.name: getattr(validated, field.name) for field in fields(validated)}
    encoded["issues"] = encode_issues(validated.issues)
    return encoded


def _optional(value: object, kind: type) -> Any:
    if value is not None and type(value) is not kind:
        raise ValueError(f"expected {kind.__name__} or null, got {type(value).__name__}")
    return value


def _required(value: object, kind: type) -> Any:
    if type(value) is not kind:
        raise ValueError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _optional_date(value: object) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(_required(value, str))


def decode_values(rows: object) -> tuple[ValueRow, ...]:
    """Strict and by column: every field's types are checked as one set (built in C), never trusted or coerced."""
    if type(rows) is not list:
        raise ValueError("values must be a list")
    if not rows:
        return ()
    if set(map(type, rows)) != {list} or set(map(len, rows)) != {len(_VALUE_FIELD_TYPES)}:
        raise ValueError("every value must be a list of the ValueRow fields")
    columns = list(zip(*rows, strict=True))
    for column, allowed in zip(columns, _VALUE_FIELD_TYPES, strict=True):
        if not allowed.issuperset(set(map(type, column))):
            raise ValueError("a value field has the wrong type")
    if any(value is not None for value in columns[_DATE_FIELD]):
        columns[_DATE_FIELD] = tuple(map(_optional_date, columns[_DATE_FIELD]))
    return tuple(map(ValueRow._make, zip(*columns, strict=True)))


def decode_validated(data: dict[str, Any]) -> ValidatedReturn:
    """Strict, as decode_workbook: a malformed reply fails here."""
    year = _optional(data["year"], int)
    return ValidatedReturn(
        file_name=_required(data["file_name"], str),
        sha256=_required(data["sha256"], str),
        return_code=_optional(data["return_code"], str),
        year=year,
        unit_code=_optional(data["unit_code"], str),
        submitter=_optional(data["submitter"], str),
        phone=_optional(data["phone"], str),
        filled_on=_optional_date(data["filled_on"]),
        values=decode_values(data["values"]),
        issues=decode_issues(_required(data["issues"], list)),
        is_demo=_required(data["is_demo"], bool),
    )


def encode_issues(issues: list[Issue] | tuple[Issue, ...]) -> list[dict[str, str]]:
    return [asdict(issue) for issue in issues]


def decode_issues(data: list[dict[str, Any]]) -> tuple[Issue, ...]:
    fields = ("severity", "code", "message", "fix", "file", "sheet", "cell", "value", "indicator")
    return tuple(Issue(**{name: str(item.get(name, "")) for name in fields}) for item in data)


# -- the worker process ---------------------------------------------------------------------------------------------


def _address_space_now() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def limit_self(memory_bytes: int) -> None:
    """Address space: what the worker has after start-up plus memory_bytes. No core files."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    ceiling = _address_space_now() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def renew_cpu_budget(cpu_seconds: int) -> None:
    """A job may use cpu_seconds more than the worker has used so far (the soft limit sends SIGXCPU)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + cpu_seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _silence_output() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


@dataclass
class WorkerState:
    """What a worker keeps between jobs: the reference data checks use, as the parent last sent it."""

    reference_token: int | None = None
    catalog: Catalog | None = None
    registry: Registry | None = None


def run_job(header: dict[str, Any], payload: bytes, state: WorkerState | None = None) -> tuple[dict[str, Any], bytes]:
    """One job; every outcome is a reply. Parsers' panics derive from BaseException, so this is where they stop."""
    state = state if state is not None else WorkerState()
    job = header.get("job")
    if job == REFERENCE_JOB:  # bytes the parent pickled itself (see the module docstring), never a submitted file's
        try:
            state.catalog, state.registry = pickle.loads(payload)
        except Exception as exc:  # noqa: BLE001 - the parent's bug, reported as such
            return {"ok": False, "failure": "internal", "detail": f"{type(exc).__name__}: {str(exc)[:300]}"}, b""
        state.reference_token = header.get("token")
        return {"ok": True}, b""
    file_name = str(header.get("file_name", ""))
    try:
        workbook = read_workbook(payload, file_name)  # annotation too starts from bytes that passed every check
        if job == ANNOTATE_JOB:
            issues = decode_issues(header.get("issues", []))
            return {"ok": True, "body": True}, annotate_workbook(
                readable_package(payload, file_name), file_name, issues
            )
        if job == CHECK_JOB:
            return _check(workbook, header, state), b""
        return {"ok": True, "workbook": encode_workbook(workbook)}, b""
    except RejectedFile as rejected:
        return {"ok": False, "issues": encode_issues(rejected.issues)}, b""
    except MemoryError:
        return {"ok": False, "failure": "memory", "recycle": True}, b""
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - e.g. pyo3_runtime.PanicException from python-calamine
        detail = f"{type(exc).__name__}: {str(exc)[:300]}"
        return {"ok": False, "failure": "parser", "detail": detail, "recycle": True}, b""


def _check(workbook: WorkbookData, header: dict[str, Any], state: WorkerState) -> dict[str, Any]:
    """The read workbook located and validated: its typed figures and issues, or the issues that refuse it
    ("readable": the file was read, the return could not be recognised). A failure of this code itself (not of a
    parser) is an internal error: the server tells the submitter so, rather than calling the file damaged."""
    if state.catalog is None or state.registry is None or header.get("reference") != state.reference_token:
        return {"ok": False, "failure": "internal", "detail": "reference data missing"}
    today = header.get("today")
    try:
        located = locate_return(workbook, state.catalog)
        validated = validate_return(
            workbook, located, state.catalog, state.registry, expected_year=header.get("expected_year"),
            today=dt.date.fromisoformat(today) if today else None,
        )  # fmt: skip
    except RejectedFile as rejected:
        return {"ok": False, "readable": True, "issues": encode_issues(rejected.issues)}
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug in the checks: reported, not taken for a damaged file
        return {"ok": False, "failure": "internal", "detail": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return {"ok": True, "validated": encode_validated(validated)}


# A worker runs below the server's priority: the dashboard's pages (and the checks of the files already read) come
# first, and the workers take the rest of the processors. In a batch this also keeps the checks abreast of the reads,
# so that little is left to check when the last file has been read (121 returns on 2 cores: 0.27 s, 0.28 s without).
NICENESS = 5


# A job makes many short-lived containers (a list per row of every sheet, a tuple per figure), nearly all freed by
# reference counting; the collector's default pace (a pass every 700 of them) spent ~10 ms of a 121-return batch's
# ~300 ms in passes that found almost nothing. It runs at the batch pace here (pipeline/collector.py), and never over
# what start-up made (the parsers' modules), which is frozen out of its passes: cyclic garbage (an exception's
# traceback) is still collected.
GC_THRESHOLDS = BATCH_THRESHOLDS


def worker_main(incoming: Connection, outgoing: Connection, memory_bytes: int, cpu_seconds: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _silence_output()
    limit_self(memory_bytes)
    os.nice(NICENESS)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    outgoing.send_bytes(READY)  # the parent's clock for a file starts now, not while the parsers were imported
    state = WorkerState()
    while True:
        try:
            header = json.loads(incoming.recv_bytes())
            payload = incoming.recv_bytes()
        except EOFError:
            return
        renew_cpu_budget(cpu_seconds)
        reply, body = run_job(header, payload, state)
        outgoing.send_bytes(_reply_bytes(reply))
        if reply.get("body"):  # the annotated copy, in a message of its own (no other job has a body)
            outgoing.send_bytes(body)


def _reply_bytes(reply: dict[str, Any]) -> bytes:
    # ASCII with \u escapes: json's C encoder writes it without the UTF-8 pass (a batch's replies: 7.5 ms against
    # 10.4), for about a seventh more bytes through the pipe; the server's json.loads reads both alike.
    try:
        return json.dumps(reply, default=json_default).encode()
    except (TypeError, ValueError) as exc:  # a bug in an encoder: the file is not the cause
        failure = {"ok": False, "failure": "internal", "detail": f"{type(exc).__name__}: {str(exc)[:300]}"}
        return json.dumps(failure, ensure_ascii=False).encode()


if __name__ == "__main__":
    read_fd, write_fd, memory, cpu = (int(arg) for arg in sys.argv[1:5])
    worker_main(Connection(read_fd, writable=False), Connection(write_fd, readable=False), memory, cpu)
