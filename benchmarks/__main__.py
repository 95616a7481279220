"""Run every benchmark and print the figures (also written to artifacts/bench.json)."""

from benchmarks import ingest

if __name__ == "__main__":
    ingest.run()
