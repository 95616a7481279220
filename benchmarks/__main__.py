"""Run every benchmark and print the figures (also written to artifacts/bench.json).

python -m benchmarks            all
python -m benchmarks ingest     one section (ingest, sandbox, status, pages)
"""

import sys

from benchmarks import export_images, ingest, pages, sandbox, status

SECTIONS = {"ingest": ingest.run, "sandbox": sandbox.run, "status": status.run, "pages": pages.run}
SECTIONS["images"] = export_images.run  # chart images (exports/images.py): cold vs kept browser

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(SECTIONS)
    for name in chosen:
        SECTIONS[name]()
