"""Each worker is handed the next file while it still parses one (pipeline/sandbox.py, _Lane): a file queued behind
one that kills, stalls or overflows its worker is not blamed for it but read by the next process; a queued file's
time limit counts from when its worker begins it; files larger than a pipe holds pass both ways without a deadlock;
and closing the pool finishes what it was handed and leaves no process behind."""

import threading
import time

import pytest
from adversarial import looping_ole_chain, panicking_xls, small_xlsx, with_sheet_rows

from pipeline.sandbox import QUEUED_PER_WORKER, ParseWorkers, WorkerLimits

MIB = 1024 * 1024


def many_cells_xlsx(count: int) -> bytes:
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>{r}</v></c></row>' for r in range(1, count))
    return with_sheet_rows(small_xlsx(), body, replace=True)


def small(value: int) -> tuple[str, bytes]:
    return f"小表{value}.xlsx", small_xlsx(B2=value)


def read_value(outcome) -> object:
    assert outcome.issues == (), outcome.issues
    return outcome.workbook.sheets[0].rows[1][1]


def refusal(outcome) -> tuple[str, str]:
    assert outcome.workbook is None and len(outcome.issues) == 1
    return outcome.issues[0].code, outcome.issues[0].message


def on_threads(pool: ParseWorkers, caller, *, callers: int, timeout: float) -> None:
    """caller(1) … caller(callers), each on a thread of its own, all at once; then the pool is closed."""
    try:
        threads = [threading.Thread(target=caller, args=(number,)) for number in range(1, callers + 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
    finally:
        pool.close()


@pytest.fixture
def one_worker():
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=300 * MIB, wall_seconds=30))
    yield pool
    pool.close()


def test_files_queued_behind_one_that_kills_its_worker_are_read_by_the_next(one_worker):
    one_worker.read(*reversed(small(0)))  # started
    [worker] = one_worker._workers
    first = worker._process.pid
    outcomes = list(one_worker.read_in_order([looping_ole_chain(), small(1), small(2), small(3)]))
    assert refusal(outcomes[0]) == (
        "unsafe_file",
        "文件无法安全读取（读取时占用的内存超过 300 MB 上限，或读取程序崩溃），已停止读取，文件未装入",
    )
    assert [read_value(outcome) for outcome in outcomes[1:]] == [1, 2, 3]
    assert worker._process.pid != first


def test_files_queued_behind_a_parser_panic_are_read_by_a_new_process(one_worker):
    one_worker.read(*reversed(small(0)))
    [worker] = one_worker._workers
    first = worker._process.pid
    outcomes = list(one_worker.read_in_order([panicking_xls(), small(4), small(5)]))
    assert refusal(outcomes[0])[0] == "corrupt_file"
    assert [read_value(outcome) for outcome in outcomes[1:]] == [4, 5]
    assert worker._process.pid != first  # the process that panicked is not trusted with the file queued behind


def test_a_file_queued_behind_one_whose_reply_is_too_long_is_read():
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=512 * MIB, wall_seconds=30, output_bytes=64 * 1024))
    try:
        outcomes = list(pool.read_in_order([("大.xlsx", many_cells_xlsx(5_000)), small(6)]))
    finally:
        pool.close()
    assert refusal(outcomes[0]) == ("unsafe_file", "文件无法安全读取（读取结果超过 64 KB），已停止读取，文件未装入")
    assert read_value(outcomes[1]) == 6


def test_a_file_queued_behind_one_that_takes_too_long_is_read():
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=1024 * MIB, wall_seconds=0.3))
    try:
        pool.read(*reversed(small(0)))  # started: the start-up never counts against a file
        outcomes = list(pool.read_in_order([("慢.xlsx", many_cells_xlsx(400_000)), small(7)]))
    finally:
        pool.close()
    assert refusal(outcomes[0]) == ("unsafe_file", "文件无法安全读取（读取时间超过 0.3 秒），已停止读取，文件未装入")
    assert read_value(outcomes[1]) == 7


def test_a_queued_files_time_limit_counts_from_when_its_worker_begins_it(monkeypatch):
    """The deadline each reply is awaited with: the queued file's runs from when the slow file's reply came in (its
    worker begins it then), not from when it was queued. Read from the deadlines themselves, so that no test clock
    races a busy machine."""
    from pipeline import sandbox

    real = sandbox._Worker.receive
    awaited: list[tuple[str, float, float]] = []  # file, the deadline its reply was awaited with, when it came in

    def noting(worker, job, deadline):
        answer = real(worker, job, deadline)
        awaited.append((job.file_name, deadline, time.monotonic()))
        return answer

    monkeypatch.setattr(sandbox._Worker, "receive", noting)
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=1024 * MIB, wall_seconds=30))
    try:
        pool.read(*reversed(small(0)))  # started
        outcomes = list(pool.read_in_order([("慢.xlsx", many_cells_xlsx(25_000)), small(1)]))
    finally:
        pool.close()
    assert outcomes[0].workbook is not None and read_value(outcomes[1]) == 1
    _, (slow, _, slow_in), (queued, queued_deadline, _) = awaited
    assert (slow, queued) == ("慢.xlsx", "小表1.xlsx")
    assert queued_deadline >= slow_in + 30  # its 30 seconds began once the slow file's reply was in


def test_files_larger_than_a_pipe_pass_both_ways_while_another_is_queued():
    # Each request and each reply is several times what a pipe holds (64 KB): the worker writes a long reply while
    # the next long file waits to be written to it; neither side may wait for the other.
    files = [(f"大{n}.xlsx", many_cells_xlsx(40_000 + n)) for n in range(3)]
    assert min(len(data) for _, data in files) > 256 * 1024
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=1024 * MIB, wall_seconds=30))
    outcomes: list = []
    try:
        reading = threading.Thread(target=lambda: outcomes.extend(pool.read_in_order(files)), daemon=True)
        reading.start()
        reading.join(timeout=120)  # a deadlock runs no clock of the worker's: it would wait here for ever
        deadlocked = reading.is_alive()
        if deadlocked:
            pool._workers[0].kill()  # frees both sides, so that the test fails rather than hangs
        assert not deadlocked, "the server and the worker wait for each other"
    finally:
        pool.close()
    assert [len(outcome.workbook.sheets[0].rows) for outcome in outcomes] == [39_999, 40_000, 40_001]


def test_callers_on_many_threads_each_get_their_own_answers_in_order():
    pool = ParseWorkers(2, WorkerLimits(memory_bytes=300 * MIB, wall_seconds=30))
    answers: dict[int, list[object]] = {}

    def caller(number: int) -> None:
        files = [small(100 * number + n) for n in range(8)]
        answers[number] = [read_value(outcome) for outcome in pool.read_in_order(files)]

    on_threads(pool, caller, callers=4, timeout=120)
    assert answers == {number: [100 * number + n for n in range(8)] for number in range(1, 5)}


def test_closing_finishes_the_files_workers_hold_cancels_the_rest_and_stops_every_process():
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=1024 * MIB, wall_seconds=30))
    slow = pool.submit_read(many_cells_xlsx(40_000), "慢.xlsx")
    waiting = [pool.submit_read(data, name) for name, data in (small(n) for n in range(1, 7))]
    for _ in range(600):  # until the worker holds the slow file (its start-up takes a moment)
        if slow.running():
            break
        time.sleep(0.05)
    pool.close()
    assert slow.result(timeout=0).workbook is not None  # finished, not killed and blamed
    finished = [future for future in waiting if not future.cancelled()]
    assert len(finished) <= QUEUED_PER_WORKER - 1  # only what the worker held besides the slow file
    assert [read_value(future.result(timeout=0)) for future in finished] == list(range(1, len(finished) + 1))
    assert all(worker._process is None for worker in pool._workers)
    assert not pool._live_lanes
    assert read_value(pool.read(*reversed(small(9)))) == 9  # used again after closing: started again
    pool.close()
    assert all(worker._process is None for worker in pool._workers)


def test_a_file_cancelled_before_a_worker_took_it_is_never_read(one_worker):
    slow = one_worker.submit_read(many_cells_xlsx(40_000), "慢.xlsx")
    queued = [one_worker.submit_read(data, name) for name, data in (small(n) for n in range(1, 5))]
    cancelled = [future for future in queued if future.cancel()]
    # the worker holds at most QUEUED_PER_WORKER files (the slow one among them): the others were still waiting
    assert len(cancelled) >= len(queued) - (QUEUED_PER_WORKER - 1)
    assert slow.result(timeout=60).workbook is not None
    for future in queued:
        if future not in cancelled:
            assert future.result(timeout=60).workbook is not None
    [worker] = one_worker._workers
    assert worker._jobs == 1 + len(queued) - len(cancelled)


def test_a_worker_that_cannot_be_started_refuses_the_file_and_the_next_is_read(monkeypatch):
    from pipeline import sandbox

    def no_process(*_args, **_kwargs):
        raise OSError(24, "Too many open files")

    pool = ParseWorkers(1, WorkerLimits(memory_bytes=300 * MIB, wall_seconds=30))
    try:
        with monkeypatch.context() as patched:
            patched.setattr(sandbox.subprocess, "Popen", no_process)
            assert refusal(pool.read(*reversed(small(1)))) == (
                "unsafe_file",
                "文件无法安全读取（读取程序无法启动），已停止读取，文件未装入",
            )
        assert read_value(pool.read(*reversed(small(2)))) == 2
    finally:
        pool.close()


def test_a_fault_in_our_own_scheduling_reaches_the_caller_and_the_pool_goes_on(monkeypatch):
    from pipeline import sandbox

    real = sandbox._Worker.messages
    faults = iter([True])

    def faulty(worker, job):
        if next(faults, False):
            raise RuntimeError("调度出错")
        return real(worker, job)

    monkeypatch.setattr(sandbox._Worker, "messages", faulty)
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=300 * MIB, wall_seconds=30))
    try:
        with pytest.raises(RuntimeError, match="调度出错"):
            pool.read(*reversed(small(1)))
        assert read_value(pool.read(*reversed(small(2)))) == 2
    finally:
        pool.close()


def test_a_worker_that_died_while_idle_is_replaced_before_the_next_file(one_worker):
    import os
    import signal

    assert read_value(one_worker.read(*reversed(small(1)))) == 1
    [worker] = one_worker._workers
    dead = worker._process
    os.kill(dead.pid, signal.SIGKILL)
    dead.wait(timeout=10)
    assert read_value(one_worker.read(*reversed(small(2)))) == 2  # not blamed for the death of the one before
    assert worker._process.pid != dead.pid


def test_a_lane_left_without_files_ends_and_its_worker_stays_ready(monkeypatch):
    from pipeline import sandbox

    monkeypatch.setattr(sandbox, "LANE_IDLE_SECONDS", 0.05)
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=300 * MIB, wall_seconds=30))
    try:
        assert read_value(pool.read(*reversed(small(1)))) == 1
        [worker] = pool._workers
        started = worker._process.pid
        lanes = set(pool._live_lanes)
        assert lanes
        for _ in range(400):
            if not pool._live_lanes:
                break
            time.sleep(0.05)
        assert not pool._live_lanes
        assert not any(lane._thread.is_alive() for lane in lanes)  # a process at rest holds no lane thread
        assert worker._process.poll() is None  # the worker itself runs on, started
        assert read_value(pool.read(*reversed(small(2)))) == 2
        assert worker._process.pid == started  # read by the same process, through a new lane
    finally:
        pool.close()


def test_no_file_is_lost_while_lanes_end_and_start_between_files(monkeypatch):
    # A lane that gets no job ends at once here: callers one file at a time on several threads hand files over
    # just as lanes end, and each file must still find a lane.
    from pipeline import sandbox

    monkeypatch.setattr(sandbox, "LANE_IDLE_SECONDS", 0.0)
    pool = ParseWorkers(2, WorkerLimits(memory_bytes=300 * MIB, wall_seconds=30))
    answers: dict[int, list[object]] = {}

    def caller(number: int) -> None:
        answers[number] = [
            read_value(pool.submit_read(data, name).result(timeout=120))
            for name, data in (small(100 * number + n) for n in range(12))
        ]

    on_threads(pool, caller, callers=3, timeout=300)
    assert answers == {number: [100 * number + n for n in range(12)] for number in range(1, 4)}
    assert next(pool._lane_numbers) > 3  # lanes did end and start again meanwhile


def test_callers_are_answered_when_stopping_the_worker_after_our_own_fault_fails_too(monkeypatch):
    from pipeline import sandbox

    real_messages, real_retire = sandbox._Worker.messages, sandbox._Lane._retire
    faults = iter([True])
    retire_faults = iter([True])

    def faulty(worker, job):
        if next(faults, False):
            raise RuntimeError("调度出错")
        return real_messages(worker, job)

    def faulty_retire(lane):
        if next(retire_faults, False):
            raise RuntimeError("停止出错")
        return real_retire(lane)

    monkeypatch.setattr(sandbox._Worker, "messages", faulty)
    monkeypatch.setattr(sandbox._Lane, "_retire", faulty_retire)
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=300 * MIB, wall_seconds=30))
    try:
        with pytest.raises(RuntimeError, match="调度出错"):
            pool.submit_read(*reversed(small(1))).result(timeout=120)
        assert read_value(pool.submit_read(*reversed(small(2))).result(timeout=120)) == 2
    finally:
        pool.close()


class _Stopped(BaseException):
    pass


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_lane_whose_thread_dies_answers_what_it_held_and_another_takes_the_rest(monkeypatch):
    from pipeline import sandbox

    real = sandbox._Lane._settle_oldest
    faults = iter([True])

    def dying(lane):
        if next(faults, False):
            raise _Stopped
        return real(lane)

    monkeypatch.setattr(sandbox._Lane, "_settle_oldest", dying)
    pool = ParseWorkers(1, WorkerLimits(memory_bytes=300 * MIB, wall_seconds=30))
    try:
        futures = [pool.submit_read(data, name) for name, data in (small(n) for n in range(1, 6))]
        answered = []
        for future in futures:
            try:
                answered.append(read_value(future.result(timeout=120)))
            except RuntimeError as error:
                assert str(error) == "解析工作进程的调度中止"
                answered.append(None)
        held = answered.count(None)
        assert 1 <= held <= QUEUED_PER_WORKER  # what the dead lane held, answered with our own fault
        assert answered[held:] == list(range(held + 1, 6))  # the rest read by the lane that replaced it
        assert read_value(pool.read(*reversed(small(9)))) == 9
    finally:
        pool.close()
    assert not pool._live_lanes


def test_stopping_a_worker_the_kernel_has_not_let_go_of_does_not_raise(one_worker):
    import subprocess

    assert read_value(one_worker.read(*reversed(small(1)))) == 1
    [worker] = one_worker._workers
    process = worker._process

    def slow_wait(timeout=None):
        raise subprocess.TimeoutExpired(process.args, timeout)

    process.wait = slow_wait
    worker.stop()  # logged, not raised: it runs where callers are still to be answered
    assert worker._process is None
    del process.wait
    process.wait(timeout=30)  # (killed all the same)
    assert process.returncode == -9
