# Mensura node image, with the indexer.
#
#   docker build -t mensura-node .
#   # a validator of the local testnet; RPC for this host only, safe methods
#   docker run --rm -p 127.0.0.1:9944:9944 -p 30333:30333 mensura-node \
#       --chain /chain-specs/local-testnet.json --rpc-external --rpc-methods safe
#   # the history and the web page beside it (SQLite in the volume, or
#   # --database postgres://…): http://127.0.0.1:9955/
#   docker run --rm --network host --entrypoint /usr/local/bin/mensura-indexer mensura-node \
#       --node ws://127.0.0.1:9944 --database sqlite:///data/index.db
#
# Never expose a `--dev` node beyond localhost: its root key (Alice, sudo) is public, so
# anyone reaching its RPC can rewrite the chain's rules. `--dev` is for a laptop.
#
# Stage 1 builds the node (and the WASM runtime inside it) with the toolchain pinned in
# rust-toolchain.toml; stage 2 is a slim Debian with the binary alone, run as a non-root
# user whose home (/data) holds the chain database. The node links the system's OpenSSL
# (OPENSSL_NO_VENDOR in .cargo/config.toml): libssl-dev to build, libssl3 to run.

FROM docker.io/library/rust:1-bookworm AS builder
RUN apt-get update \
	&& apt-get install -y --no-install-recommends protobuf-compiler pkg-config libssl-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /build
# rust-toolchain.toml first: the toolchain layer is cached across source changes.
COPY rust-toolchain.toml ./
RUN rustup toolchain install
COPY . .
RUN cargo build --release --locked -p mensura-node -p mensura-indexer \
	&& cp target/release/mensura-node target/release/mensura-indexer /usr/local/bin/

FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates libssl3 \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --uid 10001 --user-group --home-dir /data --create-home mensura
COPY --from=builder /usr/local/bin/mensura-node /usr/local/bin/mensura-indexer /usr/local/bin/
COPY chain-specs /chain-specs
USER mensura
WORKDIR /data
# p2p, RPC (HTTP + WebSocket), Prometheus metrics, the indexer's HTTP API and web page
EXPOSE 30333 9944 9615 9955
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/mensura-node", "--base-path", "/data"]
CMD ["--chain", "/chain-specs/local-testnet.json"]
