#!/usr/bin/env bash
# check-source-tour.sh: the README's "Source tour" matches src/: every src/*.c is named there, and
# every src file the tour names exists. Run by the test command's format step; exits 1 with the
# differences.
set -euo pipefail
cd "$(dirname "$0")/.."
# the tour's table: the lines starting with | between "## Source tour" and the next section
tour=$(awk '/^## Source tour/{on=1; next} on && /^## /{exit} on && /^\|/' README.md)
[ -n "$tour" ] || { echo "check-source-tour: README.md has no '## Source tour' section" >&2; exit 1; }
status=0
for f in src/*.c; do
    name=$(basename "$f")
    grep -qE "(^|[^A-Za-z0-9_])$name([^A-Za-z0-9_]|$)" <<<"$tour" ||
        { echo "check-source-tour: $f is not in the README's source tour" >&2; status=1; }
done
while read -r name; do
    [ -e "src/$name" ] || [ -e "$name" ] ||
        { echo "check-source-tour: the source tour names $name, which is not in src/" >&2; status=1; }
done < <(grep -oE "[A-Za-z0-9_]+\.[ch]\b" <<<"$tour" | sort -u)
count=$(find src -maxdepth 1 -name '*.c' | wc -l)
[ $status -eq 0 ] && echo "check-source-tour: $count source files, all in the tour"
exit $status
