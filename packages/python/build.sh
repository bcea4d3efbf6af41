#!/usr/bin/env bash
# Builds the wsgate wheel from the relocatable dist (scripts/build-dist.sh): the dist's bin/, lib/
# (and share/) go into wsgate/_bin inside a staging copy; the platform tag is
# manylinux_<the dist's glibc>_x86_64 and the version is the binary's.
# Usage: packages/python/build.sh DIST_DIR OUT_DIR [PYTHON]      Prints the wheel path.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIST=$(realpath "${1:?usage: build.sh DIST_DIR OUT_DIR [PYTHON]}")
OUT=$(realpath -m "${2:?usage: build.sh DIST_DIR OUT_DIR [PYTHON]}")
PY=${3:-python3}
VERSION=$("$DIST/bin/wsgate" --version | awk '{print $2}')
GLIBC=$(sed -n 's/^needs: .*glibc >= \([0-9]*\)\.\([0-9]*\)$/\1_\2/p' "$DIST/share/doc/wsgate/BUILD-INFO")
[ -n "$VERSION" ] && [ -n "$GLIBC" ] || { echo "python build: cannot read version/glibc from $DIST" >&2; exit 1; }
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/wsgate-wheel.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
cp -R "$HERE/." "$STAGE/"
rm -rf "$STAGE/build" "$STAGE"/src/*.egg-info "$STAGE/src/wsgate/_bin"
mkdir -p "$STAGE/src/wsgate/_bin"
cp -R "$DIST/bin" "$DIST/lib" "$STAGE/src/wsgate/_bin/"
[ -d "$DIST/share" ] && cp -R "$DIST/share" "$STAGE/src/wsgate/_bin/"
sed -i "s/^version = \".*\"/version = \"$VERSION\"/" "$STAGE/pyproject.toml"
sed -i "s/^__version__ = \".*\"/__version__ = \"$VERSION\"/" "$STAGE/src/wsgate/__init__.py"
mkdir -p "$OUT"
WSGATE_WHEEL_PLAT="manylinux_${GLIBC}_x86_64" timeout 600 "$PY" -m pip wheel --quiet --disable-pip-version-check \
    --no-deps -w "$OUT" "$STAGE" >&2
ls "$OUT"/wsgate-"$VERSION"-py3-none-manylinux_"$GLIBC"_x86_64.whl
