# wsgate: local emulator of AWS API Gateway WebSocket APIs.
#
#   docker build -t wsgate .                      (or: podman build --format docker -t wsgate .)
#   docker run --rm -p 3001:3001 wsgate           -> ws://localhost:3001/local
#   docker run --rm -p 3001:3001 -e WSGATE_BACKEND=http://host.docker.internal:8080/ws wsgate
#   docker run --rm -p 3001:3001 -v wsgate-ca:/var/lib/wsgate wsgate   -> also wss:// and https://;
#       keep the local CA across runs in a volume; `docker run --rm -v wsgate-ca:/var/lib/wsgate wsgate ca`
#       prints it and the trust lines (or mount a host directory and point NODE_EXTRA_CA_CERTS etc. at it)
#
# Configure with flags after the image name or with WSGATE_* variables (docker/entrypoint.sh lists
# them; a flag wins over its variable). Build args: RUN_UNIT_TESTS=0 skips ctest in the build stage.
# podman: use --format docker, otherwise the OCI image format drops the HEALTHCHECK.

############################ build stage
FROM debian:bookworm-slim AS build

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libh2o-evloop-dev libwslay-dev libcurl4-openssl-dev libjansson-dev uuid-dev libssl-dev \
      libyaml-dev check locales \
 && localedef -i de_DE -f UTF-8 de_DE.UTF-8 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
ARG RUN_UNIT_TESTS=1
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j2 \
 && if [ "$RUN_UNIT_TESTS" = 1 ]; then ctest --test-dir build --output-on-failure; fi \
 && install -D -m 0755 -s build/wsgate /out/wsgate

############################ runtime stage
FROM debian:bookworm-slim

# curl is only for the HEALTHCHECK (libcurl4 is needed anyway; the binary adds ~0.5 MB).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libh2o-evloop0.13 libwslay1 libcurl4 libjansson4 libuuid1 libssl3 libyaml-0-2 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 wsgate \
 && useradd --uid 10001 --gid wsgate --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin wsgate \
 && install -d -o 10001 -g 10001 -m 0755 /var/lib/wsgate

COPY --from=build /out/wsgate /usr/local/bin/wsgate
COPY docker/entrypoint.sh /usr/local/bin/wsgate-entrypoint
COPY docker/healthcheck.sh /usr/local/bin/wsgate-healthcheck
# The AWS captures `wsgate replay --aws-scenarios` builds its session from (docs/replay.md).
COPY fixtures/*.json /usr/share/wsgate/fixtures/
RUN chmod 0755 /usr/local/bin/wsgate-entrypoint /usr/local/bin/wsgate-healthcheck

LABEL org.opencontainers.image.title="wsgate" \
      org.opencontainers.image.description="Local emulator of AWS API Gateway WebSocket APIs (WebSocket + @connections management API with SigV4)"

# Listen on all interfaces inside the container; port 3001, stage "local" (wsgate's default).
# These are defaults only: -e WSGATE_PORT=... or a --port flag override them.
# The local CA (TLS on the same port) lives in /var/lib/wsgate: mount a volume there to keep it.
ENV WSGATE_HOST=0.0.0.0 \
    WSGATE_PORT=3001 \
    WSGATE_FIXTURES=/usr/share/wsgate/fixtures \
    WSGATE_STATE_DIR=/var/lib/wsgate

# Numeric, so Kubernetes runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 3001
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/wsgate-healthcheck"]

ENTRYPOINT ["/usr/local/bin/wsgate-entrypoint"]
# No default arguments: host and port come from WSGATE_HOST/WSGATE_PORT above, so that both
# `-e WSGATE_PORT=4000` and `... wsgate --port 4000` work (a CMD carrying --port would make the
# variable silently lose). Arguments given here are passed to wsgate.
CMD []
