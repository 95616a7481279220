"""`make bench`: measured, never asserted. Each benchmark prints its figures and adds them to artifacts/bench.json."""
