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
    APT_PACKAGES+=(clang libclang-rt-14-dev valgrind locales clang-format)
    APT_PACKAGES+=(patchelf shellcheck)   # packages step: build-dist.sh's RUNPATHs; actionlint's shell checks
    # TLS tests: openssl (certificates), certutil (Chromium's NSS database), headless Chromium;
    # the inspector's browser test: chromium-driver (Selenium drives Chromium through it)
    APT_PACKAGES+=(openssl libnss3-tools chromium chromium-driver)
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

# The unit tests check that request times stay English under another LC_TIME (test_ids.c).
if [ "${1:-}" = "--all" ] && ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
    echo "install-deps: generating the de_DE.UTF-8 locale"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO localedef -i de_DE -f UTF-8 de_DE.UTF-8
fi

# Python test environment. The interpreter is whatever python3 is first on PATH (>= 3.9).
if [ ! -x .venv/bin/python ] || ! cmp -s tests/requirements.txt .venv/.requirements 2>/dev/null; then
    echo "install-deps: preparing .venv"
    python3 -m venv .venv
    timeout 600 .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt \
        || { echo "install-deps: pip install failed (is the PyPI registry reachable?)" >&2; exit 1; }
    cp tests/requirements.txt .venv/.requirements
fi
# With --all: kosoku, the Autobahn|Testsuite runner of scripts/autobahn.sh (its own pin file, so
# the e2e packages above are not reinstalled when it changes).
if [ "${1:-}" = "--all" ] && ! cmp -s tests/requirements-autobahn.txt .venv/.requirements-autobahn 2>/dev/null; then
    timeout 600 .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements-autobahn.txt \
        || { echo "install-deps: pip install of kosoku failed (is the PyPI registry reachable?)" >&2; exit 1; }
    cp tests/requirements-autobahn.txt .venv/.requirements-autobahn
fi
# packages step: actionlint (validates .github/workflows/release.yml), from the Go module proxy.
ACTIONLINT_VERSION=v1.7.7
if [ "${1:-}" = "--all" ]; then
    GO=$(command -v go || echo /usr/local/go/bin/go)
    GOBIN_DIR=$("$GO" env GOPATH 2>/dev/null)/bin
    if ! "$GOBIN_DIR/actionlint" -version 2>/dev/null | grep -qx "$ACTIONLINT_VERSION"; then
        echo "install-deps: installing actionlint $ACTIONLINT_VERSION (go install)"
        timeout 600 "$GO" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" \
            || { echo "install-deps: go install actionlint failed (is the Go module proxy reachable?)" >&2; exit 1; }
    fi
fi
# Functions wsgate runs itself (README, "Run your functions"): AWS's Java runtime interface client,
# from Maven Central into runtimes/java/lib (with --all, or --java-ric alone); with --all also the
# AWS SDK v3 client the Node test handlers import (tests/data/functions/node, as Lambda ships it).
if [ "${1:-}" = "--all" ] || [ "${1:-}" = "--java-ric" ]; then
    if ! ls runtimes/java/lib/aws-lambda-java-runtime-interface-client-*.jar >/dev/null 2>&1; then
        echo "install-deps: fetching AWS's Java runtime interface client (mvn)"
        (cd runtimes/java && timeout 600 mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib) \
            || { echo "install-deps: mvn failed (is Maven Central reachable?)" >&2; exit 1; }
    fi
fi
if [ "${1:-}" = "--all" ] && [ ! -d tests/data/functions/node/node_modules/@aws-sdk/client-apigatewaymanagementapi ]; then
    echo "install-deps: installing the test handlers' AWS SDK v3 client (npm)"
    (cd tests/data/functions/node && timeout 600 npm ci --prefer-offline --no-audit --no-fund --loglevel=error \
        --fetch-timeout=20000 --fetch-retries=1) \
        || { echo "install-deps: npm ci failed (is the npm registry reachable?)" >&2; exit 1; }
fi
echo "install-deps: ok"
