"""Write the demo returns of every unit for 2021–2025, a handful of broken files, and manifest.json.

Everything goes through the template writer (pipeline.templates), so the demo files look exactly like real
returns filled in on the official template. A seed gives byte-identical output: the story is seeded, and
every timestamp inside a workbook is derived from its filing date (see xlsxpost.py).

Layout: <out>/<year>/演示_<year>_<return>_<unit name>[<suffix>].xlsx, the inspection results as
演示_<year>_R4_督查结果表.xlsx, and <out>/manifest.json describing every file. Every workbook carries the custom
property demo_data = "true" and the keyword 演示数据; each file's mtime is its filing date at 09:00.

Filing, as the manifest records it:
- returns are filled in January of the following year; late (after the 31 January deadline): 铜川 R1 2024
  (2025-02-20) and 省财贸轻纺烟草工会 R2 2023 (2024-02-06);
- missing: 商洛 R1 2025 and 省海员建设工会 R2 2025 (listed under "missing");
- resubmitted: 宝鸡 R1 2023, 第1版 with 重点工作经费 ten times too high, then 更正版 (version 2, `supersedes`);
- about a quarter of the returns carry messy-but-valid traits (plan.py, messy.py, messy_sheets.py), two clean
  returns also come as .xls (`clean_twin` names the .xlsx), and ten broken files come on top (defects.py).

Error and warning codes in expected_errors / expected_warnings (the validator's Issue.code):
  wrong_year             the year cell, title or template year disagrees with the year the file is filed under
  missing_table          a required table (R1 区县明细) is not in the workbook
  not_a_number           a number cell holds text that is no number (待定, 若干)
  corrupt_file           the file is damaged (a truncated .xlsx) and cannot be opened
  not_excel              the file is not a workbook at all (a PDF renamed .xlsx)
  empty_file             the file has 0 bytes
  unknown_unit           填报单位 names no unit of the registry (北京市总工会)
  wrong_return_type      the unit does not file this return (an industry union filling R1)
  formula_without_value  a formula cell saved without its cached result
  check_failed           an error-severity arithmetic check fails (of-which larger than its total)
  estimate (warning)     a value typed as an estimate (约40): loaded, with a warning
  year_over_year_jump (warning)  a figure changed implausibly since the unit's return of the year before
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from pipeline.catalog import REPO_ROOT, Catalog, load_catalog
from pipeline.demo.defects import DEFECTS, DefectSpec, broken_file
from pipeline.demo.expected_jumps import add_jump_warnings
from pipeline.demo.filing import RESUBMITTED
from pipeline.demo.jobs import Job, run_jobs
from pipeline.demo.messy import TraitContext
from pipeline.demo.model import ReturnStory, sub_rng
from pipeline.demo.plan import TRAIT_PLAN, XLS_COPIES
from pipeline.demo.story import Story, build_story
from pipeline.demo.traits import apply_traits, formula_cells
from pipeline.demo.writer import filed_at, filled_workbook, xlsx_bytes
from pipeline.demo.xls import xls_bytes
from pipeline.registry import Registry, load_registry

GENERATOR_VERSION = "1.1"  # 1.1: expected_warnings include year_over_year_jump
DEFAULT_SEED = 20211015
DEFAULT_OUT = REPO_ROOT / "data" / "demo" / "returns"
MANIFEST = "manifest.json"
PREFIX = "演示_"
R4_FILE_NAME = "督查结果表"
FIRST_VERSION_SUFFIX, CORRECTED_SUFFIX = "_第1版", "_更正版"


@dataclass
class Output:
    """One file to write and its manifest entry (file and sha256 are added when written)."""

    path: str  # relative to the output folder, with forward slashes
    data: bytes
    filled_on: date
    entry: dict[str, Any]


def relative_path(story: ReturnStory, suffix: str = "", ext: str = ".xlsx") -> str:
    name = R4_FILE_NAME if story.return_code == "R4" else story.unit_name
    return f"{story.year}/{PREFIX}{story.year}_{story.return_code}_{name}{suffix}{ext}"


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def deadline(catalog: Catalog, year: int) -> date:
    """The last on-time filing day of a year's returns (catalog: reporting.deadline_month_day)."""
    month, day = (int(part) for part in catalog.reporting.deadline_month_day.split("-"))
    return date(year + 1, month, day)


def _entry(story: ReturnStory, **fields: Any) -> dict[str, Any]:
    errors, warnings = list(fields.get("errors", ())), sorted(set(fields.get("warnings", ())))
    outcome = "rejected" if errors else "accepted_with_warnings" if warnings else "accepted"
    return {
        "unit_code": story.unit_code or None,
        "unit_name": story.unit_name,
        "return_code": story.return_code,
        "year": story.year,
        "version": fields.get("version", 1),
        "supersedes": fields.get("supersedes"),
        "filled_on": story.filled_on.isoformat(),
        "traits": list(fields.get("traits", ())),
        "trait_details": fields.get("details", {}),
        "defects": list(fields.get("defects", ())),
        "expected_outcome": outcome,
        "expected_warnings": warnings,
        "expected_errors": errors,
        "values": _json(fields.get("values", story.values)),
        "remarks": dict(story.remarks),
        "records": _json(fields.get("records", story.records)),
        "clean_twin": fields.get("clean_twin"),
    }


def _messy(catalog: Catalog, registry: Registry, story: ReturnStory, seed: int) -> list[Output]:
    plan = TRAIT_PLAN[(story.year, story.return_code, story.unit_code)]
    working = copy.deepcopy(story)  # a trait may round a value (约40): the manifest reports what is loaded
    wb, layout = filled_workbook(catalog, registry, working)
    ctx = TraitContext(catalog, registry, working, layout, sub_rng(seed, "traits", *story.key), options=plan)
    apply_traits(wb, ctx, tuple(plan))
    data = xlsx_bytes(wb, story.filled_on, wps=ctx.wps, cached_values=formula_cells(wb, ctx.formula_values))
    entry = _entry(working, traits=sorted(plan), details=ctx.details, warnings=ctx.warnings)
    return [Output(relative_path(story), data, story.filled_on, entry)]


def _clean(catalog: Catalog, registry: Registry, story: ReturnStory, suffix: str = "", **fields: Any) -> list[Output]:
    wb, _ = filled_workbook(catalog, registry, story)
    path = relative_path(story, suffix)
    outputs = [Output(path, xlsx_bytes(wb, story.filled_on), story.filled_on, _entry(story, **fields))]
    if (story.year, story.return_code, story.unit_code) in XLS_COPIES:
        entry = _entry(
            story, traits=["xls_copy"], details={"xls_copy": [{"text": "同一报表另存为 .xls"}]}, clean_twin=path
        )
        outputs.append(Output(relative_path(story, suffix, ".xls"), xls_bytes(wb), story.filled_on, entry))
    return outputs


def _return_jobs(catalog: Catalog, registry: Registry, story: Story) -> list[Job]:
    jobs: list[Job] = []
    for ret in story.filed():
        if (ret.unit_code, ret.return_code, ret.year) == RESUBMITTED:
            first = relative_path(story.first_version, FIRST_VERSION_SUFFIX)
            # A folder is loaded in name order, so 第1版 arrives after 更正版 and, received earlier, is told that
            # it is not the current version (hint not_current).
            jobs.append(
                partial(_clean, catalog, registry, story.first_version, FIRST_VERSION_SUFFIX, warnings=["not_current"])
            )
            jobs.append(partial(_clean, catalog, registry, ret, CORRECTED_SUFFIX, version=2, supersedes=first))
        elif (ret.year, ret.return_code, ret.unit_code) in TRAIT_PLAN:
            jobs.append(partial(_messy, catalog, registry, ret, story.seed))
        else:
            jobs.append(partial(_clean, catalog, registry, ret))
    return jobs


def _broken(catalog: Catalog, registry: Registry, story: Story, spec: DefectSpec) -> list[Output]:
    item = broken_file(catalog, registry, story.returns, spec)
    entry = _entry(item.story, defects=[item.defect], errors=item.errors, values=item.values, records=item.records)
    return [Output(relative_path(item.story, item.suffix), item.data, item.story.filled_on, entry)]


def build_outputs(catalog: Catalog, registry: Registry, seed: int) -> tuple[list[Output], dict[str, Any]]:
    """Every file's bytes and the manifest, in memory."""
    story = build_story(catalog, registry, seed)
    jobs = _return_jobs(catalog, registry, story)
    jobs += [partial(_broken, catalog, registry, story, spec) for spec in DEFECTS]
    outputs = sorted(run_jobs(jobs), key=lambda o: o.path)
    paths = [o.path for o in outputs]
    if len(set(paths)) != len(paths):
        raise ValueError("演示文件名重复")
    files = [
        {
            "file": o.path,
            "sha256": hashlib.sha256(o.data).hexdigest(),
            "late": o.filled_on > deadline(catalog, o.entry["year"]),
            **o.entry,
        }
        for o in outputs
    ]
    add_jump_warnings(files, catalog, registry)
    manifest = {
        "demo_data": True,
        "label": catalog.reporting.demo_label,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "story": story.summary,
        "files": files,
        "missing": [{"unit_code": u, "return_code": r, "year": y} for u, r, y in story.missing],
    }
    return outputs, manifest


def manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_current(out: Path, seed: int) -> bool:
    """True when out already holds this seed's demo files, untouched."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if manifest.get("seed") != seed or manifest.get("generator_version") != GENERATOR_VERSION:
        return False
    return all((out / f["file"]).is_file() and _sha256(out / f["file"]) == f["sha256"] for f in manifest["files"])


def _clear(out: Path) -> None:
    """Remove earlier demo output only: the manifest and files named 演示_ in the year folders."""
    (out / MANIFEST).unlink(missing_ok=True)
    for folder in out.iterdir() if out.is_dir() else ():
        if folder.is_dir() and folder.name.isdigit():
            for path in folder.glob(f"{PREFIX}*"):
                path.unlink()
            if not any(folder.iterdir()):
                shutil.rmtree(folder)


def write_outputs(out: Path, outputs: list[Output], manifest: dict[str, Any]) -> None:
    for output in outputs:
        path = out / output.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(output.data)
        stamp = filed_at(output.filled_on).timestamp()
        os.utime(path, (stamp, stamp))
    # The manifest last: a run cut short leaves no manifest and is redone next time.
    (out / MANIFEST).write_text(manifest_text(manifest), encoding="utf-8")


def generate(
    out: Path = DEFAULT_OUT,
    seed: int = DEFAULT_SEED,
    *,
    force: bool = False,
    catalog: Catalog | None = None,
    registry: Registry | None = None,
) -> dict[str, Any] | None:
    """Write the demo returns into `out`; None when they are already there (unless force)."""
    out = Path(out)
    if not force and is_current(out, seed):
        return None
    catalog = catalog or load_catalog()
    registry = registry or load_registry()
    outputs, manifest = build_outputs(catalog, registry, seed)
    _clear(out)
    write_outputs(out, outputs, manifest)
    return manifest
