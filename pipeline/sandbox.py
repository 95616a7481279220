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
(PARSE_WORKERS of them, default as many as the processor cores this process may use, at most 4), and replaced after
a failure or after MAX_JOBS_PER_WORKER jobs, as soon as the file that failed has its answer, so that the next file
does not wait for the start-up. Each worker is handed the next file while it parses one (see _Lane): it never waits
for the server's threads, which share the interpreter with the batch's checks, to take its reply and hand over more.
A failure is therefore always the file the worker was parsing; the one queued behind it goes to the new process, and
its time limit counts from when the worker begins it. A lane's threads run only while files come (they end after
LANE_IDLE_SECONDS without one; the worker process stays, started), and every job a lane takes is answered, whatever
goes wrong in our own code: no caller waits for ever. Requests and replies are JSON; the server never unpickles
anything a worker sends (it sends each worker, once, the catalog and registry its checks use, pickled: see
pipeline/sandbox_worker.py).

A batch's files are checked whole in the workers (check: read, locate, validate), so that only each return's typed
figures and issues come back: the server's own interpreter, which every page and the batch's inserts share, is
left with what needs the warehouse (duplicates, versions, last year's figures) and the writing.

Limits, settable through the environment (tests run them low):
    PARSE_WORKER_MEMORY_MB   address space a worker may add to what it has after start-up (default 1536)
    PARSE_WORKER_SECONDS     wall-clock seconds per file (default 60; CPU seconds get the same budget)
    PARSE_WORKER_OUTPUT_MB   largest reply accepted (default 128)
    PARSE_WORKERS            worker processes (default: processor cores, at most 4)
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
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

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

MAX_JOBS_PER_WORKER = 1000  # bounded caches, and a failed parse always replaces its worker
QUEUED_PER_WORKER = 2  # the file a worker parses and the one waiting in its pipe (see _Lane)
LANE_IDLE_SECONDS = 2.0  # a lane that gets no job for this long ends (a later job starts another)
STARTUP_SECONDS = 60
STOP_SECONDS = 5
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


def _size_text(size: int) -> str:
    return f"{size / _MIB:g} MB" if size >= _MIB else f"{size / 1024:g} KB"


def unsafe_file_issue(file_name: str, reason: str) -> Issue:
    return Issue(
        ERROR, "unsafe_file", f"文件无法安全读取（{reason}），已停止读取，文件未装入", UNSAFE_FIX, file=file_name
    )


def _unsafe_outcome(file_name: str, failed: WorkerFailed) -> ReadOutcome:
    """A read's or a check's outcome when the worker failed on the file."""
    return ReadOutcome(None, (unsafe_file_issue(file_name, failed.reason),))


# -- one worker -----------------------------------------------------------------------------------------------------


class _Worker:
    """One worker process and its pipes; started on first use, replaced after any failure. Its lane (below) is the
    only thread that starts, reads or stops it; the lane's sender is the only one that writes to it."""

    def __init__(self, limits: WorkerLimits) -> None:
        self._limits = limits
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: _Duplex | None = None
        self._jobs = 0
        self._retired_cpu = 0.0  # CPU seconds of the processes this worker has replaced
        self._retired_peak_mb = 0.0  # the greatest peak memory of the processes this worker has replaced
        self._reference_token: int | None = None  # the reference data the running process holds (or is sent)
        self._killed = False  # the running process was killed (and its use accounted for) but not yet reaped

    @property
    def served(self) -> bool:
        """Whether the last process started took a job (False when it could not even start)."""
        return self._jobs > 0

    def cpu_seconds(self) -> float:
        """CPU time (user + system) its processes have used, the one running now included (Linux /proc)."""
        process = self._process
        live = _process_cpu_seconds(process.pid) if process is not None and not self._killed else 0.0
        return self._retired_cpu + live

    def peak_rss_mb(self) -> float:
        """The greatest resident memory any of its processes has reached (Linux /proc VmHWM)."""
        process = self._process
        live = _process_peak_mb(process.pid) if process is not None and not self._killed else 0.0
        return max(self._retired_peak_mb, live)

    def _start(self) -> None:
        try:
            self._spawn()
        except OSError as exc:  # no pipe or process to be had (descriptors, memory): as if it could not start
            log.warning("解析工作进程无法启动：%s", exc)
            raise WorkerFailed("读取程序无法启动") from exc
        try:  # the worker says when it is ready, so start-up (importing the parsers) never counts against a file
            ready = self._conn is not None and self._conn.poll(STARTUP_SECONDS) and self._conn.recv_bytes(64) == READY
        except (OSError, EOFError):
            ready = False
        if not ready:
            self.stop()
            raise WorkerFailed("读取程序无法启动")

    def _spawn(self) -> None:
        to_worker_read, to_worker_write = os.pipe()
        try:
            from_worker_read, from_worker_write = os.pipe()
        except OSError:
            os.close(to_worker_read)
            os.close(to_worker_write)
            raise
        command = [
            sys.executable, "-m", "pipeline.sandbox_worker", str(to_worker_read), str(from_worker_write),
            str(self._limits.memory_bytes), str(self._limits.cpu_seconds),
        ]  # fmt: skip
        self._jobs = 0
        self._reference_token = None
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
        except OSError:
            os.close(to_worker_write)
            os.close(from_worker_read)
            raise
        finally:
            os.close(to_worker_read)
            os.close(from_worker_write)
        self._killed = False
        self._conn = _Duplex(Connection(from_worker_read, writable=False), Connection(to_worker_write, readable=False))

    @property
    def needs_start(self) -> bool:
        """No live process, or one that has done its share of jobs: the next job would start a new one."""
        return self.spent or self._process is not None and self._process.poll() is not None

    @property
    def spent(self) -> bool:
        """No process, or one that has done its share of jobs (whether it still runs is not asked: a process that
        died with jobs in flight is found out by reading their replies)."""
        return self._process is None or self._jobs >= MAX_JOBS_PER_WORKER

    def renew(self) -> None:
        """Replace the process now (stopping the old one)."""
        self.stop()
        self._start()

    def messages(self, job: _Job) -> tuple[_Duplex, list[bytes]]:
        """The pipe and the messages that hand `job` to the running process: with a check, the reference data first
        unless the process holds it (or was sent it) already."""
        assert self._conn is not None
        messages: list[bytes] = []
        job.with_reference = job.reference is not None and job.reference[0] != self._reference_token
        if job.with_reference:
            assert job.reference is not None
            token, blob = job.reference
            messages += [json.dumps({"job": REFERENCE_JOB, "token": token}).encode(), blob]
            self._reference_token = token
            self._jobs += 1
        messages += [json.dumps(job.header, ensure_ascii=False).encode(), job.payload]
        self._jobs += 1
        return self._conn, messages

    def receive(self, job: _Job, deadline: float) -> tuple[dict[str, Any], bytes, str | None]:
        """The replies to `job` (sent with `messages`): its reply, its body (only an annotated copy has one), and
        what the process said when it could not load the reference data sent ahead of it (None when it could)."""
        reference_failure = None
        try:
            if job.with_reference:
                loaded = json.loads(self._receive(deadline))
                if not loaded.get("ok"):
                    reference_failure = str(loaded.get("detail", ""))
                    self._reference_token = None  # the next check sends it again
            reply = json.loads(self._receive(deadline))
            body = self._receive(deadline) if reply.get("body") else b""
        except WorkerFailed:
            raise
        except (OSError, EOFError, ValueError) as exc:  # a broken pipe, or a reply that is not JSON
            raise self._failed(self._death_reason()) from exc
        return reply, body, reference_failure

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
        self.kill()
        return WorkerFailed(reason)

    def kill(self) -> None:
        """Kill the running process, leaving its pipes open: the lane's sender may be writing to it, and the pipes
        are closed (stop) only when it has given up."""
        if self._process is not None and not self._killed:
            if self._process.poll() is None:
                self._retired_cpu += _process_cpu_seconds(self._process.pid)
                self._retired_peak_mb = max(self._retired_peak_mb, _process_peak_mb(self._process.pid))
                self._process.kill()
            self._killed = True

    def stop(self) -> None:
        """Kill the process and close its pipes. Never raises: it runs where a caller's answer is still to be given
        (a lane's error handling, close). A killed process the kernel has not let go of within STOP_SECONDS is left
        to subprocess, which reaps it later."""
        self.kill()
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            try:
                self._process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("解析工作进程 %s 已终止但未及时退出", self._process.pid)
        self._process = self._conn = None
        self._killed = False


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


@dataclass(eq=False)
class _Job:
    """One file's job: the request, how its reply becomes the caller's answer, and the answer's future."""

    header: dict[str, Any]
    payload: bytes
    decode: Callable[[dict[str, Any], bytes], Any]  # the reply (and body) as the caller's answer
    refuse: Callable[[WorkerFailed], Any]  # the answer when the worker failed on this file
    reference: tuple[int, bytes] | None = None  # (token, pickled catalog and registry) a check needs in its worker
    unloaded: Callable[[str], Any] | None = None  # the answer when its worker could not load that reference data
    future: Future[Any] = field(default_factory=Future)
    with_reference: bool = False  # the reference data went ahead of it to the process it was handed to
    begun: float | None = None  # when its worker began it (monotonic): its wall-clock limit counts from there

    @property
    def file_name(self) -> str:
        return str(self.header.get("file_name", ""))


class _Sender:
    """Writes each job's messages to its worker's pipe, on a thread of its own. A file waiting behind the one being
    parsed may be larger than the pipe holds, so writing it can block until the worker takes it; meanwhile the lane
    must read the worker's reply to the file before (the worker writes all of it before it reads on)."""

    def __init__(self, name: str) -> None:
        self._writes: queue.Queue[tuple[_Duplex, list[bytes]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def send(self, conn: _Duplex, messages: list[bytes]) -> None:
        self._writes.put((conn, messages))

    def wait_idle(self) -> None:
        """Until every write handed over so far is done or has failed (a killed worker's pipe fails at once)."""
        self._writes.join()

    def close(self) -> None:
        self._writes.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._writes.get()
            try:
                if item is None:
                    return
                conn, messages = item
                for message in messages:
                    conn.send_bytes(message)
            except (OSError, ValueError):  # the worker died or was killed: its lane reads that from the reply pipe
                pass
            except Exception:  # noqa: BLE001 - our own bug; the lane then finds the worker not answering
                log.exception("向解析工作进程发送文件时出错")
            finally:
                self._writes.task_done()


class _Lane:
    """One worker and the thread that feeds it: up to QUEUED_PER_WORKER jobs are handed to the worker at once, so
    that when it finishes a file the next is already in its pipe (it would otherwise wait while the server's
    threads, which share the interpreter with the batch's checks, took its reply and handed over the next file).

    The worker works through its pipe in order, so a failure (death, timeout, a reply too long or malformed) is the
    oldest job's: that file is refused, the process replaced, and the files queued behind it are handed to the new
    process. A job's wall-clock limit counts from when the worker begins it, not from when it was queued."""

    def __init__(self, pool: ParseWorkers, worker: _Worker, index: int, number: int) -> None:
        self._pool, self._worker, self.index = pool, worker, index
        self._in_flight: deque[_Job] = deque()  # handed to the running process, oldest first
        self._again: deque[_Job] = deque()  # queued behind a job that failed: handed to the next process first
        self._handing: _Job | None = None  # taken, not yet in flight
        self._sender = _Sender(f"parse-send-{number}")
        self._thread = threading.Thread(target=self._run, name=f"parse-lane-{number}", daemon=True)
        self._thread.start()

    def join(self) -> None:
        self._thread.join()

    def _run(self) -> None:
        """Until no job has come for LANE_IDLE_SECONDS, or the pool closes: the lane then ends, leaving its worker
        running (the pool stops it on close), and the next job starts a new lane. A lane holds a thread only while
        files come, so a process at rest has none (pipeline/demo/jobs.py forks only a process with one thread)."""
        try:
            while True:
                try:
                    if not self._hand_over():
                        return
                    self._settle_oldest()
                    self._renew_if_idle()
                except Exception as exc:  # noqa: BLE001 - our own bug: no caller may be left waiting for it
                    log.exception("解析工作进程的调度出错")
                    self._fail_all(exc)
        finally:
            if self._held():  # only a BaseException leaves jobs here; their callers are answered all the same
                self._fail_all(RuntimeError("解析工作进程的调度中止"))
            self._sender.close()
            self._pool.lane_ended(self)

    def _held(self) -> list[_Job]:
        return [job for job in (*self._in_flight, self._handing, *self._again) if job is not None]

    def _fail_all(self, failure: Exception) -> None:
        """Every job the lane holds gets `failure` (before anything else can go wrong), then the process is stopped."""
        held = self._held()
        self._in_flight.clear()
        self._again.clear()
        self._handing = None
        for job in held:
            if not job.future.done():
                job.future.set_exception(failure)
        try:
            self._retire()
        except Exception:  # noqa: BLE001 - logged; the next job starts a new process
            log.exception("停止解析工作进程时出错")

    def _hand_over(self) -> bool:
        """Hand the worker jobs until QUEUED_PER_WORKER are in flight (waiting for one only when none is); False when
        nothing is in flight and no job came (the pool is closing, or the lane was idle too long). A process is
        started, or replaced after its share of jobs, only with nothing in flight."""
        while len(self._in_flight) < QUEUED_PER_WORKER:
            if self._in_flight and self._worker.spent:
                break
            job = self._handing = self._next_job(wait=not self._in_flight)
            if job is None:
                break
            if not self._in_flight and self._worker.needs_start:  # (a process that died while idle is replaced)
                try:
                    self._worker.renew()
                except WorkerFailed as failed:
                    self._handing = None
                    self._settle(job, lambda job=job, failed=failed: job.refuse(failed))
                    continue
            conn, messages = self._worker.messages(job)
            job.begun = None if self._in_flight else time.monotonic()
            self._in_flight.append(job)
            self._handing = None
            self._sender.send(conn, messages)
        return bool(self._in_flight)

    def _next_job(self, wait: bool) -> _Job | None:
        if self._again:
            return self._again.popleft()
        while True:
            job = self._pool.take_job(self, wait)
            if job is None or job.future.set_running_or_notify_cancel():  # False: cancelled while it waited
                return job

    def _settle_oldest(self) -> None:
        job = self._in_flight[0]
        assert job.begun is not None
        try:
            reply, body, reference_failure = self._worker.receive(job, job.begun + self._pool.limits.wall_seconds)
        except WorkerFailed as failed:
            self._in_flight.popleft()
            log.warning("文件 %s 的解析工作进程失败：%s", job.file_name, failed.reason)
            self._retire()
            self._settle(job, lambda: job.refuse(failed))
            return
        self._in_flight.popleft()
        if self._in_flight:  # the worker began the next one as it wrote this reply
            self._in_flight[0].begun = time.monotonic()
        if reply.get("recycle"):  # the worker caught a failure (a parser's panic, memory) and is not to be trusted
            self._retire()
        if reference_failure is not None and job.unloaded is not None:
            unloaded = job.unloaded
            self._settle(job, lambda: unloaded(reference_failure))
            return
        try:
            answer = job.decode(reply, body)
        except Exception as exc:  # noqa: BLE001 - any malformation, whatever the decoder raised for it
            # A reply not in the shape our worker writes means the process can no longer be trusted (a file may
            # have taken it over): it is replaced, and the file refused as one that cannot be read safely.
            log.warning("文件 %s 的读取结果格式不对：%s", job.file_name, exc)
            self._retire()
            failed = WorkerFailed("读取程序返回的结果格式不对")
            self._settle(job, lambda: job.refuse(failed))
            return
        job.future.set_result(answer)

    @staticmethod
    def _settle(job: _Job, answer: Callable[[], Any]) -> None:
        try:
            job.future.set_result(answer())
        except Exception as exc:  # noqa: BLE001 - handed to the caller, who sees it as the job's own
            job.future.set_exception(exc)

    def _retire(self) -> None:
        """Stop the process (after its sender has given up on it); the jobs it held but had not begun go to the
        next process first, in their order."""
        self._worker.kill()
        self._sender.wait_idle()
        self._worker.stop()
        self._again.extendleft(reversed(self._in_flight))
        self._in_flight.clear()

    def _renew_if_idle(self) -> None:
        """With nothing in flight, a process that is gone or has done its share is replaced now, so that the next
        file does not wait for the start-up (~0.2 s); the caller already has its answer. Not after a failed start:
        the next file tries again."""
        if self._in_flight or self._again or not self._worker.needs_start or not self._worker.served:
            return
        if self._pool.closing:
            return
        try:
            self._worker.renew()
        except WorkerFailed:
            log.warning("解析工作进程无法重新启动")


class ParseWorkers:
    """A small pool of parse workers shared by every caller in this process (threads included). Callers hand jobs to
    one queue; each worker's lane takes them from it (see _Lane), so answers come back as futures."""

    def __init__(self, size: int = 2, limits: WorkerLimits | None = None) -> None:
        self.size = max(1, size)
        self.limits = limits or WorkerLimits()
        self._workers = [_Worker(self.limits) for _ in range(self.size)]
        self._jobs: deque[_Job] = deque()
        self._jobs_changed = threading.Condition()
        self._serving: dict[int, _Lane] = {}  # worker's index → the lane feeding it (see _start_lanes)
        self._live_lanes: set[_Lane] = set()  # lanes whose threads have not ended (close joins them)
        self._close_lock = threading.Lock()
        self._lane_numbers = itertools.count(1)
        self.closing = False
        self._reference_lock = threading.Lock()
        self._tokens = itertools.count(1)
        # The reference data last sent, kept (and so never collected, so its identity is not reused) with its token
        # and its pickle: each worker is sent it once, not with every file.
        self._reference: tuple[Catalog, Registry, int, bytes] | None = None

    def _submit(self, job: _Job) -> Future[Any]:
        with self._jobs_changed:
            self._jobs.append(job)
            self._start_lanes()
            self._jobs_changed.notify()
        return job.future

    def _start_lanes(self) -> None:
        """A lane for each worker no lane feeds (none yet, or its lane ended); not while closing (a job handed over
        then is cancelled). Called holding the lock."""
        if self.closing:
            return
        for index, worker in enumerate(self._workers):
            if index not in self._serving:
                lane = _Lane(self, worker, index, next(self._lane_numbers))
                self._serving[index] = lane
                self._live_lanes.add(lane)

    def take_job(self, lane: _Lane, wait: bool) -> _Job | None:
        """The next job; with `wait`, waits up to LANE_IDLE_SECONDS for one, and a lane that gets none ends: it is no
        longer the worker's lane from this moment (under the lock), so a job handed over after it starts a new one.
        None while the pool is closing: no new job is begun then."""
        with self._jobs_changed:
            if wait and not self._jobs and not self.closing:
                self._jobs_changed.wait_for(lambda: self._jobs or self.closing, timeout=LANE_IDLE_SECONDS)
            if self._jobs and not self.closing:
                return self._jobs.popleft()
            if wait and self._serving.get(lane.index) is lane:
                del self._serving[lane.index]
            return None

    def lane_ended(self, lane: _Lane) -> None:
        """Called by a lane's thread as it ends. A lane that ended other than by take_job (our own bug) is replaced
        when jobs are waiting, so that none of them waits for ever."""
        with self._jobs_changed:
            self._live_lanes.discard(lane)
            if self._serving.get(lane.index) is lane:
                del self._serving[lane.index]
                if self._jobs:
                    self._start_lanes()

    def _pickled_reference(self, catalog: Catalog, registry: Registry) -> tuple[int, bytes]:
        with self._reference_lock:
            kept = self._reference
            if kept is None or kept[0] is not catalog or kept[1] is not registry:
                token = next(self._tokens)
                kept = self._reference = (catalog, registry, token, pickle.dumps((catalog, registry)))
            return kept[2], kept[3]

    def submit_read(self, data: bytes, file_name: str) -> Future[ReadOutcome]:
        """Read a submitted file in a worker; the outcome never raises for anything the file does."""

        def decode(reply: dict[str, Any], _body: bytes) -> ReadOutcome:
            if reply.get("ok"):
                return ReadOutcome(decode_workbook(reply["workbook"]))
            return ReadOutcome(None, self._refusal(reply, file_name))

        refuse = functools.partial(_unsafe_outcome, file_name)
        return self._submit(_Job({"job": READ_JOB, "file_name": file_name}, data, decode, refuse))

    def submit_check(self, data: bytes, file_name: str, checks: ReturnChecks) -> Future[ReadOutcome]:
        """Read, locate and validate a submitted file in a worker: the validated return, or the issues refusing
        the file; the outcome never raises for anything the file does."""
        reference = self._pickled_reference(checks.catalog, checks.registry)
        header = {
            "job": CHECK_JOB,
            "file_name": file_name,
            "expected_year": checks.expected_year,
            "today": checks.today.isoformat() if checks.today is not None else None,
            "reference": reference[0],
        }

        def decode(reply: dict[str, Any], _body: bytes) -> ReadOutcome:
            if reply.get("ok"):
                return ReadOutcome(None, validated=decode_validated(reply["validated"]))
            if reply.get("failure") == "internal":
                return ReadOutcome(None, internal_error=str(reply.get("detail", "")))
            return ReadOutcome(None, self._refusal(reply, file_name), read_but_refused=reply.get("readable") is True)

        def unloaded(detail: str) -> ReadOutcome:  # our fault, not the file's
            return ReadOutcome(None, internal_error=f"reference data not loaded: {detail}")

        refuse = functools.partial(_unsafe_outcome, file_name)
        return self._submit(_Job(header, data, decode, refuse, reference, unloaded))

    def read(self, data: bytes, file_name: str) -> ReadOutcome:
        return self.submit_read(data, file_name).result()

    def check(self, data: bytes, file_name: str, checks: ReturnChecks) -> ReadOutcome:
        return self.submit_check(data, file_name, checks).result()

    def annotate(self, data: bytes, file_name: str, issues: Sequence[Issue]) -> bytes | None:
        """The annotated copy of a file that passes the reader's checks; None when it cannot be made safely."""
        header = {"job": ANNOTATE_JOB, "file_name": file_name, "issues": encode_issues(tuple(issues))}

        def refuse(_failed: WorkerFailed) -> None:
            return None

        job = _Job(header, data, lambda reply, body: body if reply.get("ok") and body else None, refuse)
        return self._submit(job).result()

    def read_in_order(
        self, items: Iterable[tuple[str, bytes]], ahead: int | None = None, checks: ReturnChecks | None = None
    ) -> ReadAhead:
        """Read many files (with `checks`: check them), yielding outcomes in input order. Reading starts at once
        (the caller may do other work meanwhile); at most `ahead` files (default: what the workers can hold at once,
        and as many again) are held ahead of the consumer, so a long folder is never read in whole."""
        submit = self.submit_read if checks is None else functools.partial(self.submit_check, checks=checks)
        return ReadAhead(submit, items, ahead or 2 * QUEUED_PER_WORKER * self.size)

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
        """Stop every worker, leaving no process or lane behind. The files the workers already hold are finished (at
        most QUEUED_PER_WORKER each, each within its time limit); those still waiting for a worker, and any handed
        over while closing, are cancelled (their callers get CancelledError), so that a server shutting down does not
        wait for the rest of a batch. A job handed over afterwards starts the pool again."""
        with self._close_lock:  # two closes at once (a shutting-down server's threads) run one after the other
            with self._jobs_changed:
                self.closing = True
                waiting, self._jobs = self._jobs, deque()
                lanes = list(self._live_lanes)
                self._jobs_changed.notify_all()
            for job in waiting:
                job.future.cancel()
            for lane in lanes:
                lane.join()
            for worker in self._workers:  # no lane feeds any of them now, and none starts while closing
                worker.stop()
            with self._jobs_changed:
                self.closing = False
                late, self._jobs = self._jobs, deque()
            for job in late:
                job.future.cancel()


class ReadAhead(Iterator[ReadOutcome]):
    """The outcomes of ParseWorkers.read_in_order, in input order; close() (done at the end, or by the consumer
    who stops early) cancels the jobs no worker has taken and waits for those under way."""

    def __init__(
        self,
        submit: Callable[[bytes, str], Future[ReadOutcome]],
        items: Iterable[tuple[str, bytes]],
        ahead: int,
    ) -> None:
        self._submit, self._items, self._ahead = submit, iter(items), max(1, ahead)
        self._pending: deque[Future[ReadOutcome]] = deque()
        self._fill()

    def _fill(self) -> None:
        while len(self._pending) < self._ahead:
            item = next(self._items, None)
            if item is None:
                return
            name, data = item
            self._pending.append(self._submit(data, name))

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
        wait(self._pending)
        self._pending.clear()


_default: ParseWorkers | None = None
_default_lock = threading.Lock()


def default_pool_size() -> int:
    """PARSE_WORKERS, else as many workers as the cores this process may run on (at most 4). A worker handed one
    file ahead (see _Lane) no longer sits idle waiting for the server between files, which a third worker on 2 cores
    used to cover: on 2 cores, 2 such workers took a batch of 121 returns in the same time as 3 (A/B, 36 batches
    each, medians within 3%), with up to 6% less CPU in the workers (each meets its templates' sheets more often)
    and one process fewer."""
    if os.environ.get("PARSE_WORKERS"):
        return max(1, int(_env_number("PARSE_WORKERS", 2)))
    return min(len(os.sched_getaffinity(0)), 4)


def default_workers() -> ParseWorkers:
    """The process-wide pool, started on first use with limits from the environment."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ParseWorkers(default_pool_size(), WorkerLimits.from_environment())
            atexit.register(_default.close)
        return _default
