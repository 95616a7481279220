"""Shared fixtures: the demo returns and a warehouse built from them, made once per test session."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The shared parse workers run with low limits in tests, so hostile files (tests/adversarial.py) stay cheap.
os.environ.setdefault("PARSE_WORKER_MEMORY_MB", "400")
os.environ.setdefault("PARSE_WORKER_SECONDS", "30")
# Accounts, sessions and the audit trail of the whole test session live in a throwaway database, never in data/, one
# per pytest process: the processes of a parallel run (scripts/run_tests.sh) inherit the first one's environment, and
# sharing one database they would race to create the same test accounts.
if os.environ.get("PYTEST_XDIST_WORKER") or "SHIBATIAO_ACCESS_DB" not in os.environ:
    _access_folder = tempfile.mkdtemp(prefix="shibatiao-access-")
    atexit.register(shutil.rmtree, _access_folder, ignore_errors=True)
    os.environ["SHIBATIAO_ACCESS_DB"] = str(Path(_access_folder) / "access.sqlite")
# No background thread judges a test's warehouse behind its back (dashboard/ui.py BookWarmer); tests/test_book_warmer.py
# turns it on where it is the subject.
os.environ.setdefault("SHIBATIAO_WARM_BOOKS", "0")

from pipeline.demo.generate import generate  # noqa: E402
from pipeline.ingest import ingest_paths  # noqa: E402


@pytest.fixture(scope="session")
def demo_returns(tmp_path_factory) -> Path:
    """The seeded demo returns, generated exactly as `make run` does."""
    out = tmp_path_factory.mktemp("demo") / "returns"
    generate(out)
    return out


@pytest.fixture(scope="session")
def demo_manifest(demo_returns) -> dict:
    return json.loads((demo_returns / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_ingest(demo_returns, tmp_path_factory):
    """A warehouse holding every demo return, and the per-file results of loading them."""
    root = tmp_path_factory.mktemp("warehouse")
    warehouse = root / "warehouse.duckdb"
    results = ingest_paths([demo_returns], warehouse=warehouse, raw_dir=root / "raw")
    return warehouse, results


@pytest.fixture(scope="session")
def demo_warehouse(demo_ingest) -> Path:
    return demo_ingest[0]


@pytest.fixture
def demo_warehouse_copy(demo_warehouse, tmp_path) -> Path:
    """A private copy for tests that write."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, copy)
    return copy
