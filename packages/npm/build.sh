#!/usr/bin/env bash
# Packs the npm packages from the relocatable dist (scripts/build-dist.sh):
#   wsgate-VERSION.tgz                 the CLI (`npx wsgate`) + startWsgate() + types
#   wsgate-linux-x64-VERSION.tgz       @wsgate/linux-x64: bin/wsgate + lib/ (+ share/) of the dist
#   wsgate-testcontainers-VERSION.tgz  @wsgate/testcontainers
# VERSION is the dist's (CMakeLists.txt); the committed package.json files are stamped with it in a
# staging copy, so they never drift from the binary.
# Usage: packages/npm/build.sh DIST_DIR OUT_DIR     Prints the tarball paths, one a line.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIST=$(realpath "${1:?usage: build.sh DIST_DIR OUT_DIR}")
OUT=$(realpath -m "${2:?usage: build.sh DIST_DIR OUT_DIR}")
VERSION=$("$DIST/bin/wsgate" --version | awk '{print $2}')
[ -n "$VERSION" ] || { echo "npm build: cannot read the version of $DIST/bin/wsgate" >&2; exit 1; }
STAGE=$OUT/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"
cp -R "$HERE/wsgate" "$HERE/linux-x64" "$HERE/testcontainers" "$STAGE/"
cp -R "$DIST/bin" "$DIST/lib" "$STAGE/linux-x64/"
[ -d "$DIST/share" ] && cp -R "$DIST/share" "$STAGE/linux-x64/"
# Every package at VERSION, and wsgate's per-platform packages pinned to exactly that version.
node - "$STAGE" "$VERSION" <<'JS'
const fs = require('fs'), path = require('path');
const [stage, version] = process.argv.slice(2);
for (const dir of ['wsgate', 'linux-x64', 'testcontainers']) {
  const file = path.join(stage, dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  pkg.version = version;
  for (const deps of [pkg.optionalDependencies, pkg.peerDependencies]) {
    for (const name of Object.keys(deps || {})) if (name.startsWith('@wsgate/') || name === 'wsgate') deps[name] = version;
  }
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
}
JS
for dir in linux-x64 wsgate testcontainers; do
    (cd "$STAGE/$dir" && npm pack --silent --pack-destination "$OUT" >/dev/null)
done
rm -rf "$STAGE"
ls "$OUT"/wsgate-"$VERSION".tgz "$OUT"/wsgate-linux-x64-"$VERSION".tgz "$OUT"/wsgate-testcontainers-"$VERSION".tgz
