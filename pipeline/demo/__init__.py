"""Seeded demo returns (演示数据) for the dashboard: `python -m pipeline.demo`, see generate.py."""

from pipeline.demo.generate import DEFAULT_OUT, DEFAULT_SEED, GENERATOR_VERSION, build_outputs, generate

__all__ = ["DEFAULT_OUT", "DEFAULT_SEED", "GENERATOR_VERSION", "build_outputs", "generate"]
