"""Run the benchmarks and write one report: artifacts/bench.json (the issue's keys at the top level, each section's
figures under "sections") and a readable table on the terminal.

python -m benchmarks            every section
python -m benchmarks pages      some sections (ingest, sandbox, status, pages, images, exports); the others keep
                                their figures from the previous artifacts/bench.json, dated when they were measured
"""

import sys
import traceback

from benchmarks import export_images, exports, ingest, pages, sandbox, status
from benchmarks.common import RESULTS_PATH, recorded
from benchmarks.report import build_report, read_previous, table, write_report

SECTIONS = {
    "ingest": ingest.run,
    "sandbox": sandbox.run,  # the parse worker's cost per file
    "status": status.run,
    "pages": pages.run,
    "images": export_images.run,  # chart images (exports/images.py): cold vs kept browser
    "exports": exports.run,  # deck, 情况通报 and data workbook for a year
}


def main(chosen: list[str]) -> int:
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        print(f"没有这一部分基准：{'、'.join(unknown)}（可选：{'、'.join(SECTIONS)}）", file=sys.stderr)
        return 2
    results: dict[str, dict | None] = {name: None for name in SECTIONS}
    errors: dict[str, str] = {}
    for name in chosen:
        try:
            returned = SECTIONS[name]()
        except Exception as error:  # noqa: BLE001 - one failing section is reported, the others still run
            traceback.print_exc()
            errors[name] = f"运行失败：{type(error).__name__}: {error}"
            continue
        results[name] = returned if isinstance(returned, dict) else recorded().get(name)
    report = build_report(results, errors, previous=read_previous(RESULTS_PATH))
    write_report(report, RESULTS_PATH)
    print()
    print(table(report))
    print(f"\n完整结果：{RESULTS_PATH}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or list(SECTIONS)))
