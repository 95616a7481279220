"""The inside of a parse worker: the only place where the bytes of a submitted file meet a parser.

A worker is a separate process started by pipeline/sandbox.py as `python -m pipeline.sandbox_worker IN OUT
MEMORY CPU` (IN and OUT: the pipe descriptors it inherits). It limits itself first (address space, CPU
time, no core files), silences its own stdout and stderr (a Rust panic prints a backtrace there), ignores
Ctrl-C (the parent decides what an interrupt means), then answers jobs over a pipe until the pipe closes.

Everything crosses the pipe as JSON with a tagged encoding for the few cell types JSON lacks, never as pickle:
whatever a hostile file could do to a parser in here, the server only ever decodes plain data.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import resource
import signal
import sys
from collections.abc import Iterable
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

from pipeline.cell_values import ExcelErrorValue
from pipeline.issues import Issue, RejectedFile
from pipeline.read import SheetData, WorkbookData, read_workbook, readable_package
from pipeline.report import annotate_workbook

READ_JOB, ANNOTATE_JOB = "read", "annotate"
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


def run_job(header: dict[str, Any], payload: bytes) -> tuple[dict[str, Any], bytes]:
    """One job; every outcome is a reply. Parsers' panics derive from BaseException, so this is where they stop."""
    file_name = str(header.get("file_name", ""))
    try:
        workbook = read_workbook(payload, file_name)  # annotation too starts from bytes that passed every check
        if header.get("job") == ANNOTATE_JOB:
            issues = decode_issues(header.get("issues", []))
            return {"ok": True}, annotate_workbook(readable_package(payload, file_name), file_name, issues)
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


# A worker runs below the server's priority: the dashboard's pages (and the checks of the files already read) come
# first, and the workers take the rest of the processors. In a batch this also keeps the checks abreast of the reads,
# so that little is left to check when the last file has been read (121 returns on 2 cores: 0.27 s, 0.28 s without).
NICENESS = 5


def worker_main(incoming: Connection, outgoing: Connection, memory_bytes: int, cpu_seconds: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _silence_output()
    limit_self(memory_bytes)
    os.nice(NICENESS)
    outgoing.send_bytes(READY)  # the parent's clock for a file starts now, not while the parsers were imported
    while True:
        try:
            header = json.loads(incoming.recv_bytes())
            payload = incoming.recv_bytes()
        except EOFError:
            return
        renew_cpu_budget(cpu_seconds)
        reply, body = run_job(header, payload)
        outgoing.send_bytes(json.dumps(reply, ensure_ascii=False).encode())
        outgoing.send_bytes(body)


if __name__ == "__main__":
    read_fd, write_fd, memory, cpu = (int(arg) for arg in sys.argv[1:5])
    worker_main(Connection(read_fd, writable=False), Connection(write_fd, readable=False), memory, cpu)
