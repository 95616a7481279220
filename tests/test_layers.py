"""The layer rules as a test: pipeline/, queries/ and exports/ (and the pure chart modules) never import streamlit,
so the CLI and the exports run without it and the pages stay thin shells over plain functions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_DASHBOARD = ("dashboard.charts", "dashboard.figures", "dashboard.theme")


def _modules(package: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if path.name == "__main__.py":
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


@pytest.mark.parametrize("package", ["pipeline", "queries", "exports"])
def test_no_layer_below_the_pages_imports_streamlit(package):
    modules = _modules(package) + (list(PURE_DASHBOARD) if package == "exports" else [])
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", f"{package} imports streamlit"
    assert len(modules) > 5
