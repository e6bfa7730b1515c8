//! Dispatches the command line to the node service or a subcommand.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use mensura_runtime::opaque::Block;
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"Mensura Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"the project's issue tracker".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"dev" => Box::new(chain_spec::development_chain_spec()?),
			"" | "local" => Box::new(chain_spec::local_chain_spec()?),
			path => {
				let path = std::path::PathBuf::from(path);
				if !path.exists() {
					return Err(format!(
						"unknown chain `{id}`: use `dev`, `local`, or the path of a chain spec \
						 file (for example chain-specs/local-testnet.json)"
					));
				}
				Box::new(chain_spec::ChainSpec::from_json_file(path.clone()).map_err(|e| {
					format!(
						"{} is not a valid chain spec ({e}); regenerate one with \
						 `mensura-node build-spec --chain local > FILE`",
						path.display()
					)
				})?)
			}
		})
	}
}

/// Turns an error into the one line a user sees. Errors that come from sc-cli are
/// printed with their own text; a few common causes get a hint of what to do.
pub fn explain(error: &sc_cli::Error) -> String {
	let text = error.to_string();
	if text.contains("Address already in use") {
		format!("{text} (another node may be running: stop it or choose other ports)")
	} else {
		text
	}
}

/// The node's state (trie) cache unless `--trie-cache-size` is given: 64 MiB instead of
/// polkadot-sdk's 1 GiB. Under ingestion load a node with 1 GiB grew past 1.5 GiB
/// resident, with 256 MiB to 0.96-1.03 GiB, with 64 MiB to 0.91 GiB, at the same
/// throughput (docs/benchmarks.md): storage reads are weighed at ParityDB's uncached
/// cost anyway.
const TRIE_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The finalized blocks whose state a validator keeps, unless `--state-pruning` is given
/// or its database already exists (which keeps the mode it was created with): 32 instead
/// of polkadot-sdk's 256. For each block in that window sc-state-db keeps in memory the
/// list of trie nodes the block replaced, to delete them when the block leaves the window;
/// a full block of frames replaces about 63,000 (6.3 MB of list). Over 300 s of full
/// blocks a validator's own memory grew from 545 to 1,158 MiB, and 256 blocks would hold
/// 1.6 GB of such lists; 32 hold 200 MB (docs/benchmarks.md). Validators are the nodes
/// that ingest; 32 blocks are 3.2 minutes of state for queries at past blocks. Other nodes
/// (RPC, gateways' nodes) keep polkadot-sdk's 256 blocks, and an indexer's or an
/// auditor's node keeps all of it (`--state-pruning archive-canonical`, docs/indexer.md).
pub const STATE_PRUNING_BLOCKS: u32 = 32;

/// The most calls in one JSON-RPC batch unless `--rpc-max-batch-request-len` (or
/// `--rpc-disable-batch-requests`) is given: polkadot-sdk sets no bound, so one request
/// could carry any number of `mensura_*` pages. The indexer sends batches of at most this.
pub const RPC_MAX_BATCH_LEN: u32 = 256;

/// Calls a minute each connection may make to a node serving RPC beyond localhost
/// (`--rpc-external`, `--unsafe-rpc-external`) unless `--rpc-rate-limit` is given; clients
/// on the node's own host (an indexer, a gateway beside it) are not limited unless
/// `--rpc-rate-limit-whitelisted-ips` is given.
pub const PUBLIC_RPC_CALLS_PER_MINUTE: u32 = 1_200;

/// Parses the command line and runs it.
pub fn run() -> sc_cli::Result<()> {
	let mut cli = Cli::from_args();
	let given =
		|flag: &str| std::env::args().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
	if !given("--trie-cache-size") {
		cli.run.import_params.trie_cache_size = TRIE_CACHE_BYTES;
	}
	let rpc = &mut cli.run.rpc_params;
	if !given("--rpc-max-batch-request-len") && !rpc.rpc_disable_batch_requests {
		rpc.rpc_max_batch_request_len = Some(RPC_MAX_BATCH_LEN);
	}
	if (rpc.rpc_external || rpc.unsafe_rpc_external) && rpc.rpc_rate_limit.is_none() {
		rpc.rpc_rate_limit = std::num::NonZeroU32::new(PUBLIC_RPC_CALLS_PER_MINUTE);
		if rpc.rpc_rate_limit_whitelisted_ips.is_empty() {
			rpc.rpc_rate_limit_whitelisted_ips =
				["127.0.0.0/8", "::1/128"].iter().filter_map(|net| net.parse().ok()).collect();
		}
	}

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		}
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let chain_spec = cli.load_spec(&cmd.chain)?;
			cmd.run(chain_spec)
		}
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		}
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		}
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		}
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		}
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		}
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert = Box::new(|client, _, blocks| {
					sc_consensus_grandpa::revert(client, blocks)?;
					Ok(())
				});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		}
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => run_benchmark(&cli, cmd),
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<Block>(&config))
		}
		None => {
			let runner = cli.create_runner(&cli.run)?;
			runner.run_node_until_exit(|mut config| async move {
				crate::ports::ensure_free(&config).map_err(sc_cli::Error::Input)?;
				full_blocks_fit_rpc_responses(&mut config);
				keep_recent_state(&mut config);
				match config.network.network_backend {
					sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
						sc_network::NetworkWorker<
							Block,
							<Block as sp_runtime::traits::Block>::Hash,
						>,
					>(config)
					.map_err(sc_cli::Error::Service),
					sc_network::config::NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(config)
							.map_err(sc_cli::Error::Service)
					}
				}
			})
		}
	}
}

/// The RPC response limit, in MiB, under which `chain_getBlock` can answer with a full
/// block: its bytes twice over (hex), and room for the JSON around them.
pub fn full_block_response_mib() -> u32 {
	2 * mensura_runtime::configs::MAXIMUM_BLOCK_LENGTH.div_ceil(1024 * 1024) + 2
}

/// Raises the RPC response limit, when left at polkadot-sdk's default (15 MiB, less than
/// a full 10 MiB block in JSON), to [`full_block_response_mib`]: otherwise a full block
/// cannot be read over RPC (`chain_getBlock` answers "Response is too big"), and the
/// indexer, `mensura bench` and any explorer stop at it. An explicit other value of
/// `--rpc-max-response-size` is kept.
fn full_blocks_fit_rpc_responses(config: &mut sc_service::Configuration) {
	let default = sc_cli::RPC_DEFAULT_MAX_RESPONSE_SIZE_MB;
	let needed = full_block_response_mib();
	if config.rpc.max_response_size == default {
		config.rpc.max_response_size = needed;
	}
	for endpoint in config.rpc.addr.iter_mut().flatten() {
		if endpoint.max_payload_out_mb == default {
			endpoint.max_payload_out_mb = needed;
		}
	}
}

/// Makes a validator keep the state of the last [`STATE_PRUNING_BLOCKS`] finalized blocks
/// in a database this start creates, unless `--state-pruning` says otherwise. An existing
/// database keeps the mode it was created with, as polkadot-sdk does without
/// `--state-pruning` (an archive database cannot become a pruned one).
fn keep_recent_state(config: &mut sc_service::Configuration) {
	let exists = config.database.path().is_some_and(|path| {
		std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_some())
	});
	if config.role.is_authority() && config.state_pruning.is_none() && !exists {
		config.state_pruning = Some(sc_service::PruningMode::blocks_pruning(STATE_PRUNING_BLOCKS));
		log::info!(
			"💾 State: the last {STATE_PRUNING_BLOCKS} finalized blocks (a validator's default; --state-pruning changes it)"
		);
	}
}

#[cfg(feature = "runtime-benchmarks")]
fn run_benchmark(cli: &Cli, cmd: &frame_benchmarking_cli::BenchmarkCmd) -> sc_cli::Result<()> {
	use frame_benchmarking_cli::{BenchmarkCmd, SUBSTRATE_REFERENCE_HARDWARE};

	let runner = cli.create_runner(cmd)?;
	runner.sync_run(|config| match cmd {
		BenchmarkCmd::Pallet(cmd) => cmd
			.run_with_spec::<sp_runtime::traits::HashingFor<Block>, service::HostFunctions>(Some(
				config.chain_spec,
			)),
		BenchmarkCmd::Block(cmd) => {
			let PartialComponents { client, .. } = service::new_partial(&config)?;
			cmd.run(client)
		}
		BenchmarkCmd::Storage(cmd) => {
			let PartialComponents { client, backend, .. } = service::new_partial(&config)?;
			let db = backend.expose_db();
			let storage = backend.expose_storage();
			let shared_cache = backend.expose_shared_trie_cache();
			cmd.run(config, client, db, storage, shared_cache)
		}
		BenchmarkCmd::Machine(cmd) => cmd.run(&config, SUBSTRATE_REFERENCE_HARDWARE.clone()),
		// The runtime's base weights: an empty block, and a block of `System::remark`s
		// per extrinsic (signed, with every transaction extension).
		BenchmarkCmd::Overhead(cmd) => cmd
			.run_with_default_builder_and_spec::<Block, service::HostFunctions>(Some(
				config.chain_spec,
			)),
		BenchmarkCmd::Extrinsic(_) => Err("the extrinsic benchmark is not wired into \
			 mensura-node; use `benchmark pallet`, `overhead`, `storage`, `block` or `machine`"
			.into()),
	})
}
