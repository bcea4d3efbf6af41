#!/usr/bin/env bash
# The end-to-end suite against wsgate under valgrind memcheck (issue 10): every wsgate process the
# tests start runs as
#     valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 wsgate ...
# through a wrapper script given to the tests as WSGATE_BIN. A memory error or a definite leak makes
# that process exit 99, which fails its test (the e2e fixture checks every exit status); the
# valgrind logs are also scanned afterwards. Zero errors and no definite leaks expected.
#
#   scripts/memcheck.sh                     # builds build-memcheck (Debug, no sanitizer) first
#   WSGATE_BIN=/path/to/wsgate scripts/memcheck.sh
#   MEMCHECK_TESTS="tests/e2e/test_messages.py tests/e2e/test_limits.py" scripts/memcheck.sh
#   MEMCHECK_K="not something" scripts/memcheck.sh           # pytest -k expression
#
# The default selection is the whole e2e directory except what is about volume or wall-clock time
# rather than memory (10,000 connections, the 10 s slowloris wait), which valgrind's 20-50x
# slowdown would turn into timeouts. Logs: MEMCHECK_OUT (default a new /tmp/wsgate-memcheck.XXXXXX).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
command -v valgrind >/dev/null || { echo "memcheck: valgrind is not installed (apt-get install valgrind)"; exit 77; }
if [ -n "${WSGATE_BIN:-}" ]; then
    REAL=$(cd "$(dirname "$WSGATE_BIN")" && pwd)/$(basename "$WSGATE_BIN")
else
    cmake -S . -B build-memcheck -DCMAKE_BUILD_TYPE=Debug -DWSGATE_SANITIZE=OFF >/dev/null || exit 1
    cmake --build build-memcheck -j"$(nproc)" --target wsgate >/dev/null || exit 1
    REAL=$ROOT/build-memcheck/wsgate
fi
OUT=${MEMCHECK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/wsgate-memcheck.XXXXXX")}
mkdir -p "$OUT/valgrind"
rm -f "$OUT"/valgrind/*.log
cat > "$OUT/wsgate-valgrind" <<WRAP
#!/bin/sh
exec valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \\
    --num-callers=30 --log-file="$OUT/valgrind/wsgate.%p.log" "$REAL" "\$@"
WRAP
chmod +x "$OUT/wsgate-valgrind"

read -r -a TESTS <<<"${MEMCHECK_TESTS:-tests/e2e}"
K=${MEMCHECK_K-not 10000_connections and not slowloris}
echo "memcheck: $REAL under valgrind; tests: ${TESTS[*]} -k '$K'; logs in $OUT"
start=$SECONDS
WSGATE_BIN="$OUT/wsgate-valgrind" "$ROOT/.venv/bin/python" -m pytest "${TESTS[@]}" -q -p no:cacheprovider -k "$K" \
    2>&1 | tee "$OUT/pytest.log" | tail -25
rc=${PIPESTATUS[0]}

logs=("$OUT"/valgrind/*.log)
processes=0 with_errors=0 with_leaks=0
for log in "${logs[@]}"; do
    [ -f "$log" ] || continue
    grep -q "ERROR SUMMARY" "$log" || continue    # exec'd children (none expected) or a killed run
    processes=$((processes + 1))
    grep -Eq "ERROR SUMMARY: [1-9]" "$log" && { with_errors=$((with_errors + 1)); echo "  errors: $log"; }
    grep -Eq "definitely lost: [1-9]" "$log" && { with_leaks=$((with_leaks + 1)); echo "  definite leak: $log"; }
done
echo
echo "memcheck: $processes wsgate processes checked in $((SECONDS - start)) s; $with_errors with errors, $with_leaks with definite leaks; pytest exit $rc"
[ "$rc" -eq 0 ] && [ "$with_errors" -eq 0 ] && [ "$with_leaks" -eq 0 ] && [ "$processes" -gt 0 ]
