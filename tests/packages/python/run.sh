#!/usr/bin/env bash
# Installs the wsgate wheel into a fresh virtualenv OUTSIDE the repository (mktemp) and runs the
# pytest suite that uses its fixture with `websockets` and boto3 (from the copied suite dir, so the
# package is imported from site-packages, never from the source tree).
# Usage: tests/packages/python/run.sh WHEEL [PYTHON]
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WHEEL=$(realpath "${1:?usage: run.sh WHEEL [PYTHON]}")
PY=${2:-python3}
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/wsgate-py-test.XXXXXX")
# wsgate processes started from this scratch dir's packages (a unique path): none may outlive the tests.
leftovers() { pgrep -f "^$SCRATCH/\S*/bin/wsgate( |\$)"; }
cleanup() {
    local pids
    pids=$(leftovers) && kill $pids 2>/dev/null
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() { echo "python-test: FAIL: $*" >&2; exit 1; }

"$PY" -m venv "$SCRATCH/venv" || fail "venv"
PIP=("$SCRATCH/venv/bin/python" -m pip install --quiet --disable-pip-version-check --timeout 30)
timeout 600 "${PIP[@]}" -r "$HERE/requirements.txt" "$WHEEL" || fail "pip install"
mkdir "$SCRATCH/suite"
cp "$HERE/pytest.ini" "$HERE/conftest.py" "$HERE"/test_*.py "$SCRATCH/suite/"
cd "$SCRATCH/suite" || exit 1
"$SCRATCH/venv/bin/wsgate" --version || fail "console script"
# The plugin is loaded through its pytest11 entry point (nothing in the suite imports it).
timeout -k 10 300 "$SCRATCH/venv/bin/python" -m pytest -q ${WSGATE_PYTEST_ARGS:-} -p no:cacheprovider -W error::pytest.PytestUnknownMarkWarning \
    || fail "pytest"
pids=$(leftovers) && fail "wsgate processes left running after the tests: $pids"
echo "  ok   no wsgate process left running"
echo "python-test: PASS"
