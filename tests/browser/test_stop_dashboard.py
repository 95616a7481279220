"""stop_dashboard, the browser tests' way to stop a server: a server that hangs after SIGTERM leaves its threads'
stacks in its log and is killed, with a warning naming the log."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.browser.conftest import stop_dashboard

# Ignores SIGTERM and sleeps in a named function, as a server stuck in a thread would.
HANGING = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
def stuck_waiting_for_a_connection():
    time.sleep(120)
print("ready", flush=True)
stuck_waiting_for_a_connection()
"""


def _started(code: str, log_path) -> subprocess.Popen:
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONFAULTHANDLER": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    process.log_path = log_path
    while "ready" not in log_path.read_text():
        assert process.poll() is None
    return process


def test_a_server_that_stops_is_stopped_without_a_warning(tmp_path, recwarn):
    process = _started("import time\nprint('ready', flush=True)\ntime.sleep(120)", tmp_path / "quick.log")
    stop_dashboard(process, timeout_s=10)
    assert process.returncode == -15  # SIGTERM ended it
    assert not [w for w in recwarn.list if "没有退出" in str(w.message)]


def test_a_hanging_server_is_killed_with_its_stacks_in_its_log(tmp_path):
    process = _started(HANGING, tmp_path / "hang.log")
    with pytest.warns(UserWarning, match="1 秒内没有退出") as warned:
        stop_dashboard(process, timeout_s=1)
    assert process.poll() is not None
    assert str(tmp_path / "hang.log") in str(warned[0].message)
    log = (tmp_path / "hang.log").read_text()
    assert "Fatal Python error: Aborted" in log
    assert "stuck_waiting_for_a_connection" in log  # the stack of the thread that held it up
