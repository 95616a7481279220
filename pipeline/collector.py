"""The garbage collector's pace while files are checked and loaded.

Checking a return and loading a batch make many short-lived containers (a list per row of every sheet, a tuple per
figure, a row object per value), nearly all freed by reference counting. At the collector's default pace (a pass
every 700 new containers) the passes find almost nothing, and now and then a full pass walks the whole heap: in a
server that has loaded pandas, plotly and Streamlit, about 150k objects. Measured on batches of 121 demo returns in
such a process: 21 young passes, 2 middle ones and one full pass every eight batches (about 75 ms, on the batch that
meets it), about 16 ms of CPU per batch in all; at this pace, one young pass of about 7 ms. Cyclic garbage (an
exception's traceback) is still collected, only later.

The parse workers run at this pace for good (pipeline/sandbox_worker.py). The server, whose pages keep the default
between batches, runs at it only while a batch is under way (paced_for_batch).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_THRESHOLDS = (20_000, 20, 20)

_LOCK = threading.Lock()
_batches_under_way = 0
_thresholds_before: tuple[int, int, int] | None = None


@contextmanager
def paced_for_batch() -> Iterator[None]:
    """BATCH_THRESHOLDS while the block runs. Batches may overlap (two uploads at once): the first to start sets the
    pace, the last to finish puts back the one found before the first, whatever order they finish in."""
    global _batches_under_way, _thresholds_before
    with _LOCK:
        if _batches_under_way == 0:
            _thresholds_before = gc.get_threshold()
            gc.set_threshold(*BATCH_THRESHOLDS)
        _batches_under_way += 1
    try:
        yield
    finally:
        with _LOCK:
            _batches_under_way -= 1
            if _batches_under_way == 0 and _thresholds_before is not None:
                gc.set_threshold(*_thresholds_before)
                _thresholds_before = None
