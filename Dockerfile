# Multi-stage build: compile with the Rust toolchain, run on a small Debian image as a
# non-root user. Migrations are embedded in the binary; nothing else is copied.
FROM rust:1.95-bookworm AS builder
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev libssl-dev pkg-config cmake && rm -rf /var/lib/apt/lists/*
# Dependencies first, so source edits do not rebuild them.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir -p src migrations tests/api && echo 'fn main() {}' > src/main.rs && touch src/lib.rs tests/api/main.rs \
    && cargo build --release --locked --bin vhod || true
COPY src ./src
COPY migrations ./migrations
COPY assets ./assets
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin vhod

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libpq5 libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/vhod --create-home vhod
COPY --from=builder /src/target/release/vhod /usr/local/bin/vhod
USER vhod
WORKDIR /var/lib/vhod
# Production: mount the KEK (keys.kek_file) from a secret store and disable generation.
ENV VHOD__SERVER__BIND=0.0.0.0:8080 \
    VHOD__DATABASE__URL=sqlite:///var/lib/vhod/data/vhod.db \
    VHOD__KEYS__KEK_FILE=/run/secrets/vhod-kek \
    VHOD__KEYS__GENERATE_KEK=false \
    VHOD__LOG__FORMAT=json
EXPOSE 8080
# Readiness: GET /health (database + state store); liveness: GET /health/live.
ENTRYPOINT ["/usr/local/bin/vhod"]
CMD ["serve"]
