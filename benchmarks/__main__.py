"""Run every benchmark and print the figures (also written to artifacts/bench.json).

python -m benchmarks            all
python -m benchmarks ingest     one section (ingest, sandbox, status, pages)
"""

import sys

from benchmarks import ingest, pages, sandbox, status

SECTIONS = {"ingest": ingest.run, "sandbox": sandbox.run, "status": status.run, "pages": pages.run}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(SECTIONS)
    for name in chosen:
        SECTIONS[name]()
