#!/usr/bin/env bash
# The README's first command: install what is missing, build, and start wsgate with its built-in
# demo backend (echo). Extra arguments go to wsgate, e.g. scripts/demo.sh --port 3002.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo
echo "Starting wsgate with the demo backend. In another terminal:"
echo "  npx wscat -c ws://127.0.0.1:3001/local     then type {\"action\":\"echo\",\"message\":\"hi\"}"
echo "  (or: .venv/bin/python scripts/demo-client.py)"
echo "Stop with Ctrl-C."
exec build/wsgate "$@"
