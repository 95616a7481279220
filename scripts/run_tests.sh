#!/usr/bin/env bash
# Run the whole suite. pytest exits 5 when it collected no test: treat that as a failure, so an
# empty selection can never look green.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
status=$?
if [ $status -eq 5 ]; then
  echo "pytest 没有收集到任何测试：视为失败。"
  exit 1
fi
exit $status
