"""Run every benchmark and print the figures (also written to artifacts/bench.json).

python -m benchmarks            all
python -m benchmarks ingest     one section (ingest, sandbox, status, pages, images, exports)
"""

import sys

from benchmarks import export_images, exports, ingest, pages, sandbox, status

SECTIONS = {
    "ingest": ingest.run,
    "sandbox": sandbox.run,  # the parse worker's cost per file
    "status": status.run,
    "pages": pages.run,
    "images": export_images.run,  # chart images (exports/images.py): cold vs kept browser
    "exports": exports.run,  # deck, 情况通报 and data workbook for a year
}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(SECTIONS)
    for name in chosen:
        SECTIONS[name]()
