# Mensura node image.
#
#   docker build -t mensura-node .
#   docker run --rm -p 9944:9944 -p 9615:9615 mensura-node --dev --rpc-external --prometheus-external
#
# Stage 1 builds the node (and the WASM runtime inside it) with the toolchain pinned in
# rust-toolchain.toml; stage 2 is a slim Debian with the binary alone, run as a non-root
# user whose home (/data) holds the chain database.

FROM docker.io/library/rust:1-bookworm AS builder
RUN apt-get update \
	&& apt-get install -y --no-install-recommends protobuf-compiler \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /build
# rust-toolchain.toml first: the toolchain layer is cached across source changes.
COPY rust-toolchain.toml ./
RUN rustup toolchain install
COPY . .
RUN cargo build --release --locked -p mensura-node \
	&& cp target/release/mensura-node /usr/local/bin/mensura-node

FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --uid 10001 --user-group --home-dir /data --create-home mensura
COPY --from=builder /usr/local/bin/mensura-node /usr/local/bin/mensura-node
COPY chain-specs /chain-specs
USER mensura
WORKDIR /data
# p2p, RPC (HTTP + WebSocket), Prometheus metrics
EXPOSE 30333 9944 9615
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/mensura-node", "--base-path", "/data"]
CMD ["--chain", "/chain-specs/local-testnet.json"]
