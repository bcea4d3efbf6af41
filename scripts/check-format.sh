#!/usr/bin/env bash
# check-format.sh: the C sources follow .clang-format (the house style: LLVM base, 4-space indent,
# Linux braces, 120 columns). Lists every file that differs and exits 1; `--fix` rewrites them.
# Part of the test command (scripts/test.sh); clang-format comes from scripts/install-deps.sh --all.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null 2>&1 || { echo "check-format: clang-format is not installed (scripts/install-deps.sh --all)" >&2; exit 1; }
mapfile -t files < <(git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c' 'fuzz/*.c')
[ ${#files[@]} -gt 0 ] || { echo "check-format: no C sources found" >&2; exit 1; }
if [ "${1:-}" = "--fix" ]; then
    clang-format -i "${files[@]}"
    echo "check-format: formatted ${#files[@]} files"
    exit 0
fi
bad=0
for f in "${files[@]}"; do
    if ! clang-format "$f" | cmp -s - "$f"; then
        echo "check-format: $f differs from .clang-format (scripts/check-format.sh --fix rewrites it)"
        bad=$((bad + 1))
    fi
done
echo "check-format: ${#files[@]} files, $bad not formatted"
[ $bad -eq 0 ]
