"""Run every benchmark and print the figures (also written to artifacts/bench.json).

    python -m benchmarks            all
    python -m benchmarks ingest     one section (ingest, status)
"""

import sys

from benchmarks import ingest, status

SECTIONS = {"ingest": ingest.run, "status": status.run}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(SECTIONS)
    for name in chosen:
        SECTIONS[name]()
