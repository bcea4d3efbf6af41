#!/usr/bin/env bash
# Fails when the modules of src/ include each other in a cycle.
#
# A module is a file stem (server.c + server.h = server). A module with an x_internal.h is a family
# of files sharing private state, split along its seams: every x_*.c and x_*.h belongs to x
# (conns_handshake.c, config_document.h, replay_compare.c). Module A depends on module B when a file
# of A includes a header of B with quotes. The graph must be acyclic, so each module can be read
# (and tested) knowing only the ones below it.
#
#   scripts/check-includes.sh           check; on a cycle, print it and exit 1
#   scripts/check-includes.sh --graph   print "module: what it includes" for every module, lowest first
#   scripts/check-includes.sh --calls [BUILD_DIR]
#                                       the same modules' call graph, from the symbols of the built
#                                       library's objects (nm): print its loops, if any (report only)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT/src"

module_of() { # FILE -> its module
    local stem=${1%.*} prefix
    stem=${stem%_internal}
    prefix=$stem
    while [[ "$prefix" == *_* ]]; do
        prefix=${prefix%_*}
        if [ -e "${prefix}_internal.h" ]; then stem=$prefix; fi # the outermost family wins
    done
    echo "$stem"
}

if [ "${1:-}" = --calls ]; then
    objects="${2:-$ROOT/build}/CMakeFiles/wsgate_lib.dir/src"
    [ -d "$objects" ] || { echo "check-includes: no objects in $objects (build first)" >&2; exit 1; }
    declare -A defined_in
    for o in "$objects"/*.c.o; do
        m=$(module_of "$(basename "${o%.o}")")
        for sym in $(nm --defined-only -g "$o" | awk '{ print $3 }'); do defined_in[$sym]=$m; done
    done
    calls=$(
        for o in "$objects"/*.c.o; do
            m=$(module_of "$(basename "${o%.o}")")
            echo "$m $m"
            for sym in $(nm -u "$o" | awk '{ print $2 }'); do
                to=${defined_in[$sym]:-}
                if [ -n "$to" ] && [ "$to" != "$m" ]; then echo "$m $to"; fi
            done
        done | sort -u
    )
    if tsort <<<"$calls" >/dev/null 2>&1; then
        echo "check-includes: the call graph has no loop between modules"
    else
        echo "check-includes: loops in the call graph between modules:"
        tsort <<<"$calls" 2>&1 >/dev/null | sed 's/^tsort: -: input contains a loop:/  a loop through:/; s/^tsort: /    /'
    fi
    exit 0
fi

edges=$(
    for file in *.c *.h; do
        from=$(module_of "$file")
        echo "$from $from" # every module appears, even one that includes nothing of ours
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file" | while read -r inc; do
            [ -e "$inc" ] || continue # generated headers (the embedded inspector assets) are leaves
            to=$(module_of "$inc")
            [ "$to" = "$from" ] || echo "$from $to"
        done
    done | sort -u
)

loops=$(mktemp)
trap 'rm -f "$loops"' EXIT
if ! order=$(tsort <<<"$edges" 2>"$loops"); then
    echo "check-includes: the modules of src/ include each other in a cycle:" >&2
    sed 's/^tsort: -: input contains a loop:/  a loop through:/; s/^tsort: /    /' "$loops" >&2
    exit 1
fi

if [ "${1:-}" = --graph ]; then
    # tsort lists a module before what it includes; print lowest first
    for m in $(tac <<<"$order"); do
        deps=$(awk -v m="$m" '$1 == m && $2 != m { printf "%s ", $2 }' <<<"$edges")
        echo "$m: ${deps% }"
    done
    exit 0
fi
echo "check-includes: $(wc -l <<<"$order") modules, no include cycle"
