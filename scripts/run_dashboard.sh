#!/usr/bin/env bash
# Start the dashboard on the first free port from ${PORT:-8501} and print its address.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(.venv/bin/python - "${PORT:-8501}" <<'PY'
import socket, sys
start = int(sys.argv[1])
for port in range(start, start + 50):
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            continue
        print(port)
        break
else:
    sys.exit("没有可用端口")
PY
)
# Accounts: on the first run the administrator "admin" is created and its one-time password printed here (or taken
# from SHIBATIAO_ADMIN_PASSWORD); the demo warehouse also gets the demo accounts, real data never keeps them.
if .venv/bin/python -c "import sys; from pipeline.warehouse import open_reader; from queries.warehouse import warehouse_summary; sys.exit(0 if warehouse_summary(open_reader()).is_demo else 1)"; then
  .venv/bin/python -m pipeline users init --demo
else
  .venv/bin/python -m pipeline users init
fi
echo "十八条落实看板：http://localhost:${port}"
exec .venv/bin/streamlit run app.py --server.port "$port" --server.headless true
