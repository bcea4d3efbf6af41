#!/usr/bin/env bash
# Builds a relocatable linux-x64 wsgate: one directory (and a .tar.gz of it) that runs on a clean
# Debian 12 or Ubuntu 22.04+ x86-64 machine with none of the build dependencies installed.
#
#   dist/wsgate-VERSION-linux-x64/
#     bin/wsgate                  RUNPATH $ORIGIN/../lib
#     lib/*.so.*                  the shared libraries a bare system lacks, each with RUNPATH $ORIGIN
#     share/wsgate/runtimes/      the bootstraps of functions run by wsgate, when the tree has runtimes/
#     share/doc/wsgate/           README, third-party copyright files of every carried library
#   dist/wsgate-VERSION-linux-x64.tar.gz
#
# How (the auditwheel approach, with Debian's own binaries):
#   - libraries Debian ships as static archives and that nothing else in the process links are
#     linked statically: jansson, libyaml, libuuid (their .so are replaced by the .a in CMake's
#     link line, so a library added to CMakeLists.txt later is picked up as shared, not lost);
#   - everything else in `ldd`'s closure except glibc itself (libc, libm, libpthread, libdl, librt,
#     libresolv, the loader) and libgcc_s is copied into lib/, and patchelf sets RUNPATH. That
#     includes OpenSSL 3 (debian:bookworm-slim has no libssl3; h2o and libcurl link it, so it cannot
#     be made static without two OpenSSLs in one process), h2o-evloop, wslay, libcurl and its
#     dependencies (nghttp2, libssh2, krb5, ldap, gnutls...; a bare system has some of them, but a
#     carried copy is always the one that was linked and tested).
#   - the highest GLIBC_x.y symbol version needed is printed (bookworm builds need <= 2.34, so
#     Ubuntu 22.04's glibc 2.35 is enough); the build fails if it exceeds WSGATE_DIST_MAX_GLIBC.
#
# Usage: scripts/build-dist.sh [OUT_DIR]        (default dist/; build tree in build-dist/)
# Prints the tarball path on the last line of stdout.
# Needs: the build dependencies (scripts/install-deps.sh) and patchelf (install-deps.sh --all).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$(realpath -m "${1:-$ROOT/dist}")
BUILD=${WSGATE_DIST_BUILD_DIR:-$ROOT/build-dist}
MAX_GLIBC=${WSGATE_DIST_MAX_GLIBC:-2.35}
STATIC_LIBS=(jansson yaml uuid)
# glibc and the compiler runtime: present on every glibc system, and must come from the system.
SYSTEM_LIBS_RE='^(linux-vdso|ld-linux-x86-64|libc|libm|libpthread|libdl|librt|libresolv|libutil|libgcc_s)\.so'

log() { echo "build-dist: $*" >&2; }
die() { echo "build-dist: ERROR: $*" >&2; exit 1; }

[ "$(uname -m)" = x86_64 ] || die "only linux-x64 is built here (this is $(uname -m))"
command -v patchelf >/dev/null || die "patchelf is missing (apt-get install patchelf, or scripts/install-deps.sh --all)"
VERSION=$(sed -n 's/^project(wsgate VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$VERSION" ] || die "cannot read the version from CMakeLists.txt"
NAME=wsgate-$VERSION-linux-x64
DIST=$OUT/$NAME

# ---------------------------------------------------------------- 1. build (Release, as the image)
log "building $NAME in $BUILD"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"${WSGATE_DIST_JOBS:-2}" --target wsgate >/dev/null

# ---------------------------------------------------------------- 2. relink with the static archives
link_txt=$BUILD/CMakeFiles/wsgate.dir/link.txt
[ -f "$link_txt" ] || die "no $link_txt (CMake's Makefile generator is expected)"
link_cmd=$(cat "$link_txt")
for l in "${STATIC_LIBS[@]}"; do
    so=$(grep -oE "[^ ]*/lib$l\.so[^ ]*" <<<"$link_cmd" | head -1 || true)
    [ -n "$so" ] || die "lib$l is not in the link line any more; update STATIC_LIBS"
    a=$(dirname "$so")/lib$l.a
    [ -f "$a" ] || die "$a missing (the -dev package ships it)"
    link_cmd=${link_cmd//$so/$a}
done
link_cmd=${link_cmd/ -o wsgate / -o wsgate-dist }
(cd "$BUILD" && eval "$link_cmd") || die "static relink failed: $link_cmd"

# ---------------------------------------------------------------- 3. lay out the directory
rm -rf "$DIST" "$OUT/$NAME.tar.gz"
mkdir -p "$DIST/bin" "$DIST/lib" "$DIST/share/doc/wsgate/third-party"
install -m 0755 "$BUILD/wsgate-dist" "$DIST/bin/wsgate"
strip --strip-unneeded "$DIST/bin/wsgate"

# The closure, resolved against this build machine (ldd follows indirect dependencies).
mapfile -t deps < <(ldd "$DIST/bin/wsgate" | awk '$2 == "=>" && $3 ~ /^\// {print $1 " " $3}')
for l in "${STATIC_LIBS[@]}"; do
    ! printf '%s\n' "${deps[@]}" | grep -q "^lib${l}[.-]" || die "lib$l is still linked dynamically"
done
carried=()
for d in "${deps[@]}"; do
    soname=${d%% *} path=${d#* }
    [[ "$soname" =~ $SYSTEM_LIBS_RE ]] && continue
    cp -L "$path" "$DIST/lib/$soname"
    chmod 0644 "$DIST/lib/$soname"
    patchelf --set-rpath '$ORIGIN' "$DIST/lib/$soname"
    carried+=("$soname")
    # Their licences travel with them.
    pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1 || true)
    [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ] \
        && cp "/usr/share/doc/$pkg/copyright" "$DIST/share/doc/wsgate/third-party/$pkg.copyright"
done
for l in "${STATIC_LIBS[@]}"; do
    pkg=$(dpkg -S "/usr/lib/x86_64-linux-gnu/lib$l.a" 2>/dev/null | head -1 | cut -d: -f1 || true)
    [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ] \
        && cp "/usr/share/doc/$pkg/copyright" "$DIST/share/doc/wsgate/third-party/$pkg.copyright"
done
patchelf --set-rpath '$ORIGIN/../lib' "$DIST/bin/wsgate"
cp README.md "$DIST/share/doc/wsgate/README.md"

# The bootstraps of functions run by wsgate itself: the binary looks for BIN/../share/wsgate/runtimes.
# Whatever runtimes/ holds at build time goes in (e.g. the Java runtime's jars, when fetched), minus
# build leftovers.
if [ -d runtimes ]; then
    mkdir -p "$DIST/share/wsgate/runtimes"
    tar -C runtimes --exclude=target --exclude=node_modules --exclude=__pycache__ --exclude='*.pyc' -cf - . \
        | tar -C "$DIST/share/wsgate/runtimes" -xf -
    log "included runtimes/ as share/wsgate/runtimes ($(find "$DIST/share/wsgate/runtimes" -type f | wc -l) files)"
else
    log "no runtimes/ in this tree: the dist has no share/wsgate/runtimes"
fi

# ---------------------------------------------------------------- 4. check what was produced
# Every dependency must resolve inside lib/ or to glibc, even with the build machine's own copies
# hidden: ask the loader to list what it maps, and refuse anything outside $DIST except glibc.
bad=$(env -i LD_TRACE_LOADED_OBJECTS=1 "$DIST/bin/wsgate" 2>&1 | awk '$2 == "=>" {print $1 " " $3}' \
      | while read -r so where; do
            [[ "$so" =~ $SYSTEM_LIBS_RE ]] && continue
            [[ "$(realpath -m "$where")" == "$DIST/lib/"* ]] || echo "$so=>$where"
        done)
[ -z "$bad" ] || die "libraries resolved outside the dist: $bad"
"$DIST/bin/wsgate" --version >/dev/null || die "the dist binary does not run"
glibc_max=$(for f in "$DIST/bin/wsgate" "$DIST"/lib/*; do objdump -T "$f"; done \
            | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sort -uV | tail -1)
[ "$(printf '%s\n%s\n' "${glibc_max#GLIBC_}" "$MAX_GLIBC" | sort -V | tail -1)" = "$MAX_GLIBC" ] \
    || die "needs $glibc_max, more than glibc $MAX_GLIBC (Ubuntu 22.04)"
cat >"$DIST/share/doc/wsgate/BUILD-INFO" <<EOF
wsgate $VERSION linux-x64, built $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git rev-parse --short HEAD 2>/dev/null || echo unknown) on $(. /etc/os-release && echo "$PRETTY_NAME")
needs: x86-64 Linux with glibc >= ${glibc_max#GLIBC_}
statically linked: ${STATIC_LIBS[*]}
carried in lib/: ${carried[*]}
EOF

tar -C "$OUT" -czf "$OUT/$NAME.tar.gz" "$NAME"
log "$NAME: ${#carried[@]} libraries carried, needs $glibc_max, $(du -sh "$DIST" | cut -f1) ($(du -h "$OUT/$NAME.tar.gz" | cut -f1) gzipped)"
echo "$OUT/$NAME.tar.gz"
