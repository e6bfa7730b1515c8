//! `mensura-indexer`: follows the finalized chain of a Mensura node over WebSocket,
//! decodes every block with the runtime's own types, writes measurements, invoices,
//! fees, findings, audit trails and status changes into SQLite or PostgreSQL, and
//! serves them over HTTP as JSON (`/openapi.json` describes the API).

mod api;
mod chain;
mod extract;
mod follow;
mod objects;
mod query;
mod store;

use clap::Parser;
use std::{
	net::SocketAddr,
	process::ExitCode,
	sync::{Arc, Mutex},
};

/// Measurement history of a Mensura chain, in a database, over HTTP.
///
/// The indexer follows the node's finalized blocks (a WebSocket subscription), writes
/// each run of blocks with the height it reaches in one database transaction, and picks
/// up where it left off after a restart. It needs the state of every block it has not
/// indexed yet: to index a chain from genesis, run the node with
/// `--state-pruning archive-canonical`.
///
/// Exit codes: 0 stopped (Ctrl-C or SIGTERM, or caught up with --exit-when-caught-up); 1 the node's
/// chain does not chain to the indexed blocks, or it sent data the runtime cannot
/// decode; 2 bad command line; 3 the database or the listening address failed.
#[derive(Parser, Debug)]
#[command(name = "mensura-indexer", version)]
struct Cli {
	/// The node's WebSocket RPC endpoint.
	#[arg(long, env = "MENSURA_NODE_WS", default_value = "ws://127.0.0.1:9944")]
	node: String,

	/// The database: `sqlite://FILE` (created if missing) or
	/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
	#[arg(long, env = "MENSURA_DATABASE", default_value = "sqlite://mensura-index.db")]
	database: String,

	/// Where the HTTP API listens.
	#[arg(long, env = "MENSURA_INDEXER_LISTEN", default_value = "127.0.0.1:9955")]
	listen: SocketAddr,

	/// Blocks fetched from the node at once while catching up.
	#[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
	concurrency: u32,

	/// The most blocks written in one database transaction.
	#[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
	batch_blocks: u32,

	/// A run of blocks is written once it holds this many measurements.
	#[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
	batch_measurements: u32,

	/// Stop once the index reaches the node's finalized head (benchmarks, one-off runs).
	#[arg(long)]
	exit_when_caught_up: bool,

	/// Do not serve the HTTP API.
	#[arg(long)]
	no_api: bool,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
	let cli = Cli::parse();
	let store = match store::Store::open(&cli.database).await {
		Ok(store) => store,
		Err(error) => {
			eprintln!("mensura-indexer: {error}");
			return ExitCode::from(3);
		}
	};
	let status = Arc::new(Mutex::new(follow::Status::default()));
	if !cli.no_api {
		let listener = match tokio::net::TcpListener::bind(cli.listen).await {
			Ok(listener) => listener,
			Err(error) => {
				eprintln!("mensura-indexer: cannot listen on {}: {error}", cli.listen);
				return ExitCode::from(3);
			}
		};
		eprintln!(
			"[mensura-indexer] API on http://{}/api/status (description: /openapi.json)",
			cli.listen
		);
		let app = api::router(api::Api { store: store.clone(), status: status.clone() });
		tokio::spawn(async move {
			if let Err(error) = axum::serve(listener, app).await {
				eprintln!("mensura-indexer: the HTTP API stopped: {error}");
			}
		});
	}
	let settings = follow::Settings {
		node: cli.node.clone(),
		concurrency: cli.concurrency as usize,
		batch_blocks: cli.batch_blocks as usize,
		batch_measurements: cli.batch_measurements as usize,
		exit_when_caught_up: cli.exit_when_caught_up,
	};
	tokio::select! {
		result = follow::run(settings, store, status.clone()) => match result {
			Ok(()) => {
				let rate = status.lock().unwrap().catch_up_rate;
				if let Some(rate) = rate {
					eprintln!("[mensura-indexer] caught up at {rate:.0} measurements/s");
				}
				ExitCode::SUCCESS
			},
			Err(follow::Fatal(error)) => {
				eprintln!("mensura-indexer: stopped: {error}");
				ExitCode::from(1)
			},
		},
		_ = stop_signal() => ExitCode::SUCCESS,
	}
}

/// Ctrl-C, or SIGTERM (what service managers send): the index is consistent at every
/// commit, so stopping between two is clean.
async fn stop_signal() {
	let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
		.expect("a SIGTERM handler can be installed");
	tokio::select! {
		_ = tokio::signal::ctrl_c() => {},
		_ = terminate.recv() => {},
	}
}
