#!/bin/sh
# fuzz-replay.sh: build every fuzz target (fuzz/fuzz_<name>.c) as a plain binary with gcc and
# -fsanitize=address,undefined, then run it over every file of its committed corpus
# fuzz/corpus/<name>/. Exits non-zero if a build fails or any input gives a sanitizer report
# (or a crash / abort in the target's own checks). No libFuzzer needed: CI runs this.
#
# usage: scripts/fuzz-replay.sh [BUILD_DIR]       (default: build-fuzz-replay in the repo)
#        CC=clang scripts/fuzz-replay.sh ...       (another compiler; gcc by default)
#        FUZZ_REPLAY_EXTRA="DIR..." adds directories (e.g. a libFuzzer work corpus) to every run.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build-fuzz-replay"}
cc=${CC:-gcc}

names=""
for src in "$root"/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    names="$names ${name#fuzz_}"
done
if [ -z "$names" ]; then
    echo "fuzz-replay: no fuzz/fuzz_*.c targets" >&2
    exit 1
fi

# WSGATE_FUZZ=ON adds fuzz/ to the build; with gcc only the *_replay binaries are defined.
# WSGATE_SANITIZE=ON compiles the project (libwsgate) with ASan+UBSan, UB not recoverable.
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug \
    -DWSGATE_SANITIZE=ON -DWSGATE_FUZZ=ON >/dev/null
targets=""
for name in $names; do
    targets="$targets fuzz_${name}_replay"
done
# shellcheck disable=SC2086 # word splitting of the target list is wanted
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target $targets

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=86}
export ASAN_OPTIONS UBSAN_OPTIONS

status=0
for name in $names; do
    corpus="$root/fuzz/corpus/$name"
    if [ ! -d "$corpus" ]; then
        echo "fuzz-replay: $name: no corpus directory fuzz/corpus/$name" >&2
        status=1
        continue
    fi
    log="$build/fuzz-replay-$name.log"
    # shellcheck disable=SC2086 # FUZZ_REPLAY_EXTRA is a list of directories
    if "$build/fuzz/fuzz_${name}_replay" "$corpus" ${FUZZ_REPLAY_EXTRA:-} >"$log" 2>&1 &&
        ! grep -q -e 'runtime error:' -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' "$log"; then
        echo "fuzz-replay: $name: ok ($(tail -n 1 "$log" | sed 's/^replay: //'))"
    else
        echo "fuzz-replay: $name: FAILED, log follows" >&2
        cat "$log" >&2
        status=1
    fi
done
exit $status
