"""Untrusted bytes are parsed in bounded worker processes; the server and the CLI only receive plain data back.

Why a process: python-calamine can panic (a BaseException that `except Exception` misses), abort the whole
process on a failed allocation, or allocate without bound on a crafted .xls; openpyxl can expand one shared
string into every cell. Limits inside the server's own process cannot stop that. So every parse of a submitted
file (the safety scan, reading, the annotated copy) runs in a worker (pipeline/sandbox_worker.py) that limits
its own address space and CPU time, while this side enforces a wall-clock limit and a cap on the reply's size.
A worker that dies, runs out of memory or time, or answers too much is killed and replaced; its file gets a
Chinese refusal (code unsafe_file) and the rest of the batch goes on.

Mechanism: each worker is a fresh interpreter running this project's own module (`python -m
pipeline.sandbox_worker`, no shell), started in a new session so a Ctrl-C meant for the CLI does not reach it,
with its standard streams closed; it holds none of the server's data (other users' uploads, the warehouse
connection) and runs no Streamlit code. The two ends of a pair of pipes are wrapped in
multiprocessing.connection.Connection, whose recv_bytes(maxlength) enforces the reply cap. Starting a worker
costs about 0.2 s (importing the parsers), so workers are kept and reused across files and batches
(PARSE_WORKERS of them, default one more than the processor cores this process may use, at most 4: while a
worker's reply waits for the server's threads to take it and hand over the next file, another worker computes), and
replaced after a failure or after MAX_JOBS_PER_WORKER jobs, on a thread
of their own, so that neither the file just read nor the next one waits for the start-up. Requests and replies are
JSON; the server never unpickles anything a worker sends (it sends each worker, once, the catalog and registry its
checks use, pickled: see pipeline/sandbox_worker.py).

A batch's files are checked whole in the workers (check: read, locate, validate), so that only each return's typed
figures and issues come back: the server's own interpreter, which every page and the batch's inserts share, is
left with what needs the warehouse (duplicates, versions, last year's figures) and the writing.

Limits, settable through the environment (tests run them low):
    PARSE_WORKER_MEMORY_MB   address space a worker may add to what it has after start-up (default 1536)
    PARSE_WORKER_SECONDS     wall-clock seconds per file (default 60; CPU seconds get the same budget)
    PARSE_WORKER_OUTPUT_MB   largest reply accepted (default 128)
    PARSE_WORKERS            worker processes (default: processor cores + 1, at most 4)
"""

from __future__ import annotations

import atexit
import functools
import itertools
import json
import logging
import math
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from pipeline.catalog import Catalog
from pipeline.issues import ERROR, Issue
from pipeline.read import WorkbookData
from pipeline.registry import Registry
from pipeline.sandbox_worker import (
    ANNOTATE_JOB,
    CHECK_JOB,
    READ_JOB,
    READY,
    REFERENCE_JOB,
    decode_issues,
    decode_validated,
    decode_workbook,
    encode_issues,
)
from pipeline.validated import ValidatedReturn

log = logging.getLogger(__name__)
_Answer = TypeVar("_Answer")

MAX_JOBS_PER_WORKER = 1000  # bounded caches, and a failed parse always replaces its worker
STARTUP_SECONDS = 60
_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_MIB = 1024 * 1024
UNSAFE_FIX = (
    "请在 Excel/WPS 中打开该文件，确认内容无误后另存为新的 .xlsx 文件再上传；如仍出现此提示，请把文件交给系统管理员检查"
)
CORRUPT_FIX = "请在 Excel/WPS 中打开确认后重新保存并上传"


@dataclass(frozen=True)
class WorkerLimits:
    memory_bytes: int = 1536 * _MIB
    wall_seconds: float = 60.0
    output_bytes: int = 128 * _MIB

    @property
    def cpu_seconds(self) -> int:
        return max(1, int(self.wall_seconds))

    @classmethod
    def from_environment(cls) -> WorkerLimits:
        default = cls()
        return cls(
            memory_bytes=int(_env_number("PARSE_WORKER_MEMORY_MB", default.memory_bytes / _MIB) * _MIB),
            wall_seconds=_env_number("PARSE_WORKER_SECONDS", default.wall_seconds),
            output_bytes=int(_env_number("PARSE_WORKER_OUTPUT_MB", default.output_bytes / _MIB) * _MIB),
        )


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    try:
        return float(text) if text else default
    except ValueError:
        log.warning("环境变量 %s 的值 %r 不是数字，使用默认值 %s", name, text, default)
        return default


@dataclass(frozen=True)
class ReadOutcome:
    """A file's read: the workbook, or the issues that refuse it (never both). A check (ParseWorkers.check) gives
    the validated return instead of the workbook, or the issues that refuse the file, noting whether it could be
    read at all (a workbook whose return was not recognised was)."""

    workbook: WorkbookData | None
    issues: tuple[Issue, ...] = ()
    validated: ValidatedReturn | None = None
    read_but_refused: bool = False  # a check's refusal of a file that was read (locate did not recognise it)
    internal_error: str = ""  # a check failed in our own code, not in a parser: what the log should say

    @property
    def readable(self) -> bool:
        """Whether the file could be read (an annotated copy can then be made)."""
        return self.workbook is not None or self.validated is not None or self.read_but_refused


@dataclass(frozen=True)
class ReturnChecks:
    """What a check job checks a return against: the reference data in force and the batch's year settings."""

    catalog: Catalog
    registry: Registry
    expected_year: int | None = None
    today: date | None = None


class WorkerFailed(Exception):
    """The worker did not answer properly; reason is a Chinese phrase for the submitter's message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReferenceNotLoaded(Exception):
    """A worker could not load the reference data the server sent it: our fault, not the file's."""


def _size_text(size: int) -> str:
    return f"{size / _MIB:g} MB" if size >= _MIB else f"{size / 1024:g} KB"


def unsafe_file_issue(file_name: str, reason: str) -> Issue:
    return Issue(
        ERROR, "unsafe_file", f"文件无法安全读取（{reason}），已停止读取，文件未装入", UNSAFE_FIX, file=file_name
    )


# -- one worker -----------------------------------------------------------------------------------------------------


class _Worker:
    """One worker process and its pipes; started on first use, replaced after any failure."""

    def __init__(self, limits: WorkerLimits) -> None:
        self._limits = limits
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._jobs = 0
        self._retired_cpu = 0.0  # CPU seconds of the processes this worker has replaced
        self._retired_peak_mb = 0.0  # the greatest peak memory of the processes this worker has replaced
        self._reference_token: int | None = None  # the reference data the running process holds

    @property
    def served(self) -> bool:
        """Whether the last process started took a job (False when it could not even start)."""
        return self._jobs > 0

    def cpu_seconds(self) -> float:
        """CPU time (user + system) its processes have used, the one running now included (Linux /proc)."""
        live = _process_cpu_seconds(self._process.pid) if self._process is not None else 0.0
        return self._retired_cpu + live

    def peak_rss_mb(self) -> float:
        """The greatest resident memory any of its processes has reached (Linux /proc VmHWM)."""
        live = _process_peak_mb(self._process.pid) if self._process is not None else 0.0
        return max(self._retired_peak_mb, live)

    def _start(self) -> None:
        to_worker_read, to_worker_write = os.pipe()
        from_worker_read, from_worker_write = os.pipe()
        command = [
            sys.executable, "-m", "pipeline.sandbox_worker", str(to_worker_read), str(from_worker_write),
            str(self._limits.memory_bytes), str(self._limits.cpu_seconds),
        ]  # fmt: skip
        try:
            self._process = subprocess.Popen(
                command,
                cwd=_PROJECT_ROOT,
                pass_fds=(to_worker_read, from_worker_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(to_worker_read)
            os.close(from_worker_write)
        self._conn = _Duplex(Connection(from_worker_read, writable=False), Connection(to_worker_write, readable=False))
        self._jobs = 0
        self._reference_token = None
        try:  # the worker says when it is ready, so start-up (importing the parsers) never counts against a file
            ready = self._conn.poll(STARTUP_SECONDS) and self._conn.recv_bytes(64) == READY
        except (OSError, EOFError):
            ready = False
        if not ready:
            self.stop()
            raise WorkerFailed("读取程序无法启动")

    @property
    def needs_start(self) -> bool:
        """No live process, or one that has done its share of jobs: the next call would start a new one."""
        return self._process is None or self._process.poll() is not None or self._jobs >= MAX_JOBS_PER_WORKER

    def renew(self) -> None:
        """Replace the process now (stopping the old one), so the next file does not wait for the start-up."""
        self.stop()
        self._start()

    def call(
        self, header: dict[str, Any], payload: bytes, reference: tuple[int, bytes] | None = None
    ) -> tuple[dict[str, Any], bytes]:
        """One job; with `reference` (token, pickled catalog and registry), the process is sent that reference data
        first unless it holds it already."""
        if self.needs_start:
            self.renew()
        if reference is not None and reference[0] != self._reference_token:
            token, blob = reference
            reply, _ = self._exchange({"job": REFERENCE_JOB, "token": token}, blob)
            if not reply.get("ok"):
                raise ReferenceNotLoaded(str(reply.get("detail", "")))
            self._reference_token = token
        return self._exchange(header, payload)

    def _exchange(self, header: dict[str, Any], payload: bytes) -> tuple[dict[str, Any], bytes]:
        assert self._conn is not None
        self._jobs += 1
        deadline = time.monotonic() + self._limits.wall_seconds
        try:
            self._conn.send_bytes(json.dumps(header, ensure_ascii=False).encode())
            self._conn.send_bytes(payload)
            reply = json.loads(self._receive(deadline))
            body = self._receive(deadline) if reply.get("body") else b""  # only an annotated copy has one
        except WorkerFailed:
            raise
        except (OSError, EOFError, ValueError) as exc:  # a broken pipe, or a reply that is not JSON
            raise self._failed(self._death_reason()) from exc
        if reply.get("recycle"):
            self.stop()
        return reply, body

    def _receive(self, deadline: float) -> bytes:
        assert self._conn is not None
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self._conn.poll(remaining):
            raise self._failed(f"读取时间超过 {self._limits.wall_seconds:g} 秒")
        try:
            return self._conn.recv_bytes(self._limits.output_bytes)
        except EOFError:
            raise self._failed(self._death_reason()) from None
        except OSError as exc:
            if "bad message length" in str(exc):  # recv_bytes refuses a message longer than maxlength
                raise self._failed(f"读取结果超过 {_size_text(self._limits.output_bytes)}") from None
            raise self._failed(self._death_reason()) from None

    def _death_reason(self) -> str:
        assert self._process is not None
        try:
            code = self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "读取程序没有响应"
        if code in (-6, -9, -11, 134, 137):  # abort (a failed allocation), killed, segfault: how an OOM ends
            return f"读取时占用的内存超过 {_size_text(self._limits.memory_bytes)} 上限，或读取程序崩溃"
        if code == -24:  # SIGXCPU
            return f"读取时间超过 {self._limits.cpu_seconds} 秒 CPU 时间"
        return "读取程序意外退出"

    def _failed(self, reason: str) -> WorkerFailed:
        self.stop()
        return WorkerFailed(reason)

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            if self._process.poll() is None:
                self._retired_cpu += _process_cpu_seconds(self._process.pid)
                self._retired_peak_mb = max(self._retired_peak_mb, _process_peak_mb(self._process.pid))
                self._process.kill()
            self._process.wait(timeout=5)
        self._process = self._conn = None


def _process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a live process, from /proc/<pid>/stat; 0 when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _process_peak_mb(pid: int) -> float:
    """Peak resident memory of a live process in MB, from /proc/<pid>/status (VmHWM); 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0.0


class _Duplex:
    """A reading and a writing Connection used as one."""

    def __init__(self, incoming: Connection, outgoing: Connection) -> None:
        self._incoming, self._outgoing = incoming, outgoing
        # One poll object for the pipe's lifetime: Connection.poll builds and tears down a selector on every call.
        self._poller = select.poll()
        self._poller.register(incoming.fileno(), select.POLLIN)

    def send_bytes(self, data: bytes) -> None:
        self._outgoing.send_bytes(data)

    def poll(self, timeout: float) -> bool:
        """Whether a message (or the end of the pipe, which recv_bytes then reports) arrived within timeout seconds."""
        return bool(self._poller.poll(max(0, math.ceil(timeout * 1000))))

    def recv_bytes(self, maxlength: int) -> bytes:
        return self._incoming.recv_bytes(maxlength)

    def close(self) -> None:
        self._incoming.close()
        self._outgoing.close()


# -- the pool -------------------------------------------------------------------------------------------------------


class ParseWorkers:
    """A small pool of parse workers shared by every caller in this process (threads included)."""

    def __init__(self, size: int = 2, limits: WorkerLimits | None = None) -> None:
        self.size = max(1, size)
        self.limits = limits or WorkerLimits()
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._workers = [_Worker(self.limits) for _ in range(self.size)]
        for worker in self._workers:
            self._idle.put(worker)
        self._renewing: list[threading.Thread] = []
        self._renew_lock = threading.Lock()
        self._closed = False
        self._reference_lock = threading.Lock()
        self._tokens = itertools.count(1)
        # The reference data last sent, kept (and so never collected, so its identity is not reused) with its token
        # and its pickle: each worker is sent it once, not with every file.
        self._reference: tuple[Catalog, Registry, int, bytes] | None = None

    def _answer(
        self,
        header: dict[str, Any],
        payload: bytes,
        decode: Callable[[dict[str, Any], bytes], _Answer],
        reference: tuple[int, bytes] | None = None,
    ) -> _Answer:
        """A job's reply (and body) decoded while its worker is held: a reply not in the shape our worker writes
        means the process can no longer be trusted (a file may have taken it over), so it is stopped, and
        replaced, and the file refused as one that cannot be read safely."""
        worker = self._idle.get()
        try:
            reply, body = worker.call(header, payload, reference)
            try:
                return decode(reply, body)
            except Exception as exc:  # noqa: BLE001 - any malformation, whatever the decoder raised for it
                log.warning("文件 %s 的读取结果格式不对：%s", header.get("file_name", ""), exc)
                worker.stop()
                raise WorkerFailed("读取程序返回的结果格式不对") from exc
        finally:
            self._release(worker)

    def _pickled_reference(self, catalog: Catalog, registry: Registry) -> tuple[int, bytes]:
        with self._reference_lock:
            kept = self._reference
            if kept is None or kept[0] is not catalog or kept[1] is not registry:
                token = next(self._tokens)
                kept = self._reference = (catalog, registry, token, pickle.dumps((catalog, registry)))
            return kept[2], kept[3]

    def _release(self, worker: _Worker) -> None:
        """Back to the idle workers; one that has failed or done its share of jobs is replaced first, on a thread
        of its own, so that the caller gets its answer now and the next file finds a started worker (a start-up
        costs ~0.2 s; meanwhile the other workers go on)."""
        if not worker.needs_start or not worker.served:
            self._idle.put(worker)
            return
        with self._renew_lock:
            if self._closed:
                self._idle.put(worker)
                return
            self._renewing = [thread for thread in self._renewing if thread.is_alive()]
            thread = threading.Thread(target=self._renew, args=(worker,), name="parse-renew", daemon=True)
            self._renewing.append(thread)
            thread.start()

    def _renew(self, worker: _Worker) -> None:
        try:
            worker.renew()
        except WorkerFailed:  # the next call tries again, and says so if it cannot start either
            log.warning("解析工作进程无法重新启动")
        finally:
            self._idle.put(worker)

    def read(self, data: bytes, file_name: str) -> ReadOutcome:
        """Read a submitted file in a worker; never raises for anything the file does."""

        def decode(reply: dict[str, Any], _body: bytes) -> ReadOutcome:
            if reply.get("ok"):
                return ReadOutcome(decode_workbook(reply["workbook"]))
            return ReadOutcome(None, self._refusal(reply, file_name))

        try:
            return self._answer({"job": READ_JOB, "file_name": file_name}, data, decode)
        except WorkerFailed as failed:
            log.warning("读取文件 %s 的工作进程失败：%s", file_name, failed.reason)
            return ReadOutcome(None, (unsafe_file_issue(file_name, failed.reason),))

    def check(self, data: bytes, file_name: str, checks: ReturnChecks) -> ReadOutcome:
        """Read, locate and validate a submitted file in a worker: the validated return, or the issues refusing
        the file; never raises for anything the file does."""
        header = {
            "job": CHECK_JOB,
            "file_name": file_name,
            "expected_year": checks.expected_year,
            "today": checks.today.isoformat() if checks.today is not None else None,
        }
        reference = self._pickled_reference(checks.catalog, checks.registry)
        header["reference"] = reference[0]

        def decode(reply: dict[str, Any], _body: bytes) -> ReadOutcome:
            if reply.get("ok"):
                return ReadOutcome(None, validated=decode_validated(reply["validated"]))
            if reply.get("failure") == "internal":
                return ReadOutcome(None, internal_error=str(reply.get("detail", "")))
            return ReadOutcome(None, self._refusal(reply, file_name), read_but_refused=reply.get("readable") is True)

        try:
            return self._answer(header, data, decode, reference)
        except WorkerFailed as failed:
            log.warning("检查文件 %s 的工作进程失败：%s", file_name, failed.reason)
            return ReadOutcome(None, (unsafe_file_issue(file_name, failed.reason),))
        except ReferenceNotLoaded as failed:
            return ReadOutcome(None, internal_error=f"reference data not loaded: {failed}")

    def annotate(self, data: bytes, file_name: str, issues: Sequence[Issue]) -> bytes | None:
        """The annotated copy of a file that passes the reader's checks; None when it cannot be made safely."""
        header = {"job": ANNOTATE_JOB, "file_name": file_name, "issues": encode_issues(tuple(issues))}
        try:
            return self._answer(header, data, lambda reply, body: body if reply.get("ok") and body else None)
        except WorkerFailed as failed:
            log.warning("为文件 %s 生成审核意见的工作进程失败：%s", file_name, failed.reason)
            return None

    def read_in_order(
        self, items: Iterable[tuple[str, bytes]], ahead: int | None = None, checks: ReturnChecks | None = None
    ) -> ReadAhead:
        """Read many files (with `checks`: check them), up to `size` at once, yielding outcomes in input order.
        Reading starts at once (the caller may do other work meanwhile); at most `ahead` files (default 2 × size)
        are held ahead of the consumer, so a long folder is never read in whole."""
        read = self.read if checks is None else functools.partial(self.check, checks=checks)
        return ReadAhead(self, items, ahead or 2 * self.size, read)

    @staticmethod
    def _refusal(reply: dict[str, Any], file_name: str) -> tuple[Issue, ...]:
        if "issues" in reply:
            return decode_issues(reply["issues"])
        if reply.get("failure") == "memory":
            return (unsafe_file_issue(file_name, "读取时占用的内存超过上限"),)
        log.info("读取文件 %s 时解析程序出错：%s", file_name, reply.get("detail", ""))
        issue = Issue(
            ERROR, "corrupt_file", "文件已损坏或不完整（读取程序无法解析该文件）", CORRUPT_FIX, file=file_name
        )
        return (issue,)

    def cpu_seconds(self) -> float:
        """CPU time the pool's worker processes have used so far (for the benchmark's account of a batch)."""
        return sum(worker.cpu_seconds() for worker in self._workers)

    def peak_rss_mb(self) -> float:
        """The greatest peak memory of any of the pool's worker processes so far, in MB (for the benchmark)."""
        return max((worker.peak_rss_mb() for worker in self._workers), default=0.0)

    def close(self) -> None:
        with self._renew_lock:
            self._closed = True
            renewing = list(self._renewing)
        for thread in renewing:
            thread.join()
        for worker in self._workers:
            worker.stop()


class ReadAhead(Iterator[ReadOutcome]):
    """The outcomes of ParseWorkers.read_in_order, in input order; close() (done at the end, or by the consumer
    who stops early) cancels the reads not started and waits for those under way."""

    def __init__(
        self,
        workers: ParseWorkers,
        items: Iterable[tuple[str, bytes]],
        ahead: int,
        read: Callable[[bytes, str], ReadOutcome] | None = None,
    ) -> None:
        self._read, self._items, self._ahead = read or workers.read, iter(items), max(1, ahead)
        self._executor = ThreadPoolExecutor(max_workers=workers.size, thread_name_prefix="parse")
        self._pending: deque[Future[ReadOutcome]] = deque()
        self._fill()

    def _fill(self) -> None:
        while len(self._pending) < self._ahead:
            item = next(self._items, None)
            if item is None:
                return
            name, data = item
            self._pending.append(self._executor.submit(self._read, data, name))

    def __next__(self) -> ReadOutcome:
        if not self._pending:
            self.close()
            raise StopIteration
        try:
            outcome = self._pending.popleft().result()
            self._fill()
        except BaseException:
            self.close()
            raise
        return outcome

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._executor.shutdown(wait=True)


_default: ParseWorkers | None = None
_default_lock = threading.Lock()


def default_pool_size() -> int:
    """PARSE_WORKERS, else one more worker than the cores this process may run on (at most 4). Measured on 2 cores:
    with 2 workers each sat idle about a sixth of a batch, waiting for the server to take a reply and send the next
    file (its threads share the interpreter with the checks); a third computes meanwhile: 121 returns in 0.27 s
    instead of 0.30 s, and a fourth added nothing."""
    if os.environ.get("PARSE_WORKERS"):
        return max(1, int(_env_number("PARSE_WORKERS", 2)))
    return min(len(os.sched_getaffinity(0)) + 1, 4)


def default_workers() -> ParseWorkers:
    """The process-wide pool, started on first use with limits from the environment."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ParseWorkers(default_pool_size(), WorkerLimits.from_environment())
            atexit.register(_default.close)
        return _default
