# syntax=docker/dockerfile:1
# The bridge as a small, non-root, read-only-root-friendly image.
#   docker build -t signalr-bridge .
#   docker run --rm --read-only -v spool:/var/lib/signalr-bridge signalr-bridge
# Stages: chef (cargo-chef) -> planner (the dependency recipe) -> builder (dependencies in their
# own cached layer, then the bridge) -> runtime (distroless, glibc + OpenSSL, no shell).

ARG RUST_VERSION=1.95
ARG DEBIAN_SUITE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_SUITE} AS chef
# librdkafka is built from source by rdkafka-sys (configure + make, OpenSSL, zlib, zstd); tini
# is the init that forwards signals in the runtime image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential pkg-config libssl-dev zlib1g-dev perl python3 tini \
    && rm -rf /var/lib/apt/lists/*
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: this layer is rebuilt when Cargo.toml or Cargo.lock change, not on every
# source change.
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin signalr-bridge
COPY . .
# The commit in signalr_bridge_build_info (build.rs): the context has no .git.
ARG REVISION=unknown
# distroless/cc has no zlib, which librdkafka links: stage it under /out/rootfs for the runtime.
RUN SIGNALR_BRIDGE_COMMIT="${REVISION}" cargo build --release --locked --bin signalr-bridge \
    && install -D -m 0755 target/release/signalr-bridge /out/signalr-bridge \
    && install -d -m 0750 /out/var/lib/signalr-bridge \
    && multiarch="$(gcc -print-multiarch)" \
    && install -D -m 0644 "/usr/lib/${multiarch}/libz.so.1" "/out/rootfs/usr/lib/${multiarch}/libz.so.1"

# distroless/cc: glibc, libgcc, OpenSSL 3, CA certificates, tzdata; user 65532 (nonroot). Every
# other shared library the binary needs is copied in (tests/ship.rs checks the list with ldd).
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="signalr-bridge" \
      org.opencontainers.image.description="Bridges SignalR hubs (classic ASP.NET and ASP.NET Core) into Kafka and NATS as versioned CloudEvents." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.vendor="signalr-bridge"
COPY --from=builder /out/rootfs/ /
COPY --from=builder /usr/bin/tini-static /usr/bin/tini
COPY --from=builder /out/signalr-bridge /usr/local/bin/signalr-bridge
# The spool and file-sink directory: mount a volume here when the root filesystem is read-only.
COPY --from=builder --chown=65532:65532 /out/var/lib/signalr-bridge /var/lib/signalr-bridge
COPY config/demo.yaml /etc/signalr-bridge/config.yaml
USER 65532:65532
WORKDIR /var/lib/signalr-bridge
VOLUME ["/var/lib/signalr-bridge"]
# In a container the admin server must be reachable from the kubelet and Prometheus.
ENV SIGNALR_BRIDGE__ADMIN__LISTEN=0.0.0.0:9464 \
    SIGNALR_BRIDGE__LOG__FORMAT=json
EXPOSE 9464
# SIGTERM starts the bridge's drain: stop reading hubs, flush the queue, wait for acks, exit 0.
STOPSIGNAL SIGTERM
# tini runs as PID 1: it forwards SIGTERM/SIGINT to the bridge and reaps orphans; -g sends them
# to the whole process group.
ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/usr/local/bin/signalr-bridge"]
CMD ["run", "--config", "/etc/signalr-bridge/config.yaml"]
