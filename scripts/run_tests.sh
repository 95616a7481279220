#!/usr/bin/env bash
# Run the whole suite. pytest exits 5 when it collected no test: treat that as a failure, so an
# empty selection can never look green.
set -uo pipefail
cd "$(dirname "$0")/.."
# The suite runs in several processes, one per core up to four (TEST_WORKERS overrides; 0 runs it in this process):
# most of its time is browsers, dashboards and LibreOffice rendering, which a second process overlaps (2 cores:
# about 11 minutes instead of 14). A test file stays whole in one process (--dist loadfile): its fixtures are built
# once and its tests run in their order. Every process builds its own demo warehouse and dashboards (about 1.5 GB
# each at most), hence the cap.
cores=$(nproc 2>/dev/null || echo 1)
workers=${TEST_WORKERS:-$(( cores < 4 ? cores : 4 ))}
if [ "$workers" -gt 1 ]; then
  .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
else
  .venv/bin/python -m pytest "$@"
fi
status=$?
if [ $status -eq 5 ]; then
  echo "pytest 没有收集到任何测试：视为失败。"
  exit 1
fi
exit $status
