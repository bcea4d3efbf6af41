#!/usr/bin/env bash
# Installs what the build and the demo need, idempotently; with --all also what every test needs
# (clang for fuzzing, valgrind, the SDK toolchains). Debian packages (apt) and a Python virtualenv
# (.venv) with the pinned test packages. Safe to run again; installs only what is
# missing. Run as root (CI and the dev machines are root) or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
    build-essential cmake pkg-config
    libh2o-evloop-dev libwslay-dev libcurl4-openssl-dev libjansson-dev uuid-dev libssl-dev
    libyaml-dev check
    python3 python3-venv curl ca-certificates
)

# With --all (the test command): the toolchains of the SDK tests (sdk-tests/) and the container
# test, installed from Debian only when the command is missing, so a machine that already has newer
# ones (e.g. Node 20, Go 1.2x in /usr/local) keeps them. The demo needs none of them.
if [ "${1:-}" = "--all" ]; then
    APT_PACKAGES+=(clang libclang-rt-14-dev valgrind)
    # TLS tests: openssl (certificates), certutil (Chromium's NSS database), headless Chromium
    APT_PACKAGES+=(openssl libnss3-tools chromium)
    command -v java >/dev/null 2>&1 || APT_PACKAGES+=(openjdk-17-jdk-headless)
    command -v mvn >/dev/null 2>&1 || APT_PACKAGES+=(maven)
    command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)
    command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || APT_PACKAGES+=(golang-go)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python test environment. The interpreter is whatever python3 is first on PATH (>= 3.9).
if [ ! -x .venv/bin/python ] || ! cmp -s tests/requirements.txt .venv/.requirements 2>/dev/null; then
    echo "install-deps: preparing .venv"
    python3 -m venv .venv
    timeout 600 .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt \
        || { echo "install-deps: pip install failed (is the PyPI registry reachable?)" >&2; exit 1; }
    cp tests/requirements.txt .venv/.requirements
fi
echo "install-deps: ok"
