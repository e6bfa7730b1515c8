//! `mensura bench`: ingestion throughput, measured end to end on nodes this command
//! starts itself.
//!
//! 1. Measures this machine's single-core signature-verification rate for the chosen
//!    scheme: the physical limit a frame's check cannot beat.
//! 2. Writes a chain spec: the development world (or, with `--validators 3`, the same with
//!    Alice, Bob and Charlie as validators) plus `--meters` meters of the development
//!    model, each bound to the development LR program and supplied by Eve to Ferdie, so
//!    every frame pays its measuring fee and lands in a billing period as on a real chain.
//! 3. Starts the node(s) on that spec and pre-signs every frame the run may send, outside
//!    the measured window.
//! 4. Sends frames at `--rate` through the public JSON-RPC (`author_submitExtrinsic`),
//!    alone or in gateway batches, with `--bad-percent` of forged and replayed frames
//!    among them; follows best and finalized blocks and times each frame from submission
//!    to inclusion and to finality; probes RPC responsiveness and samples each node's
//!    memory.
//! 5. Counts: every valid frame must be finalized and every bad one refused, and the
//!    chain's per-meter measurement counts must equal what was finalized.
//!
//! With `--attack`, one of the meters turns hostile and a spammer joins (see `attack`):
//! the honest meters' figures are then those under attack.
//!
//! A meter has at most one frame in flight: its next frame is sent once the previous is
//! in a block, as a meter that reports every 15 minutes always has. Each frame covers a
//! 15-minute interval in the past, so the chain's clock never refuses one.

mod attack;
mod cgroup;
mod figures;
mod follow;
mod keys;
mod nodes;
mod presign;
mod run;
mod send;
mod spec;
mod state;

use crate::{
	chain::value_key,
	client::{hex, unhex, Client, HeadKind, RpcError},
	frames,
	keys::{MeterKey, Scheme},
	load_profile::LoadProfile,
	progress::Progress,
	time::parse_duration,
	Error, Result,
};
use cgroup::*;
use clap::Args;
use codec::Encode;
use figures::*;
use follow::*;
use keys::*;
use mensura_primitives::{
	billing::PaymentMode,
	readings::{lr, SignedFrame},
	AccountId,
};
use nodes::*;
use presign::*;
pub use run::run;
use send::*;
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, ed25519, sr25519, Pair as _};
use spec::*;
use state::*;
use std::{
	collections::{BTreeMap, HashMap, VecDeque},
	io::{BufRead, Write},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{
		atomic::{AtomicBool, Ordering},
		mpsc, Arc, Mutex,
	},
	time::{Duration, Instant},
};

/// The interval each frame covers: 15 minutes, the usual smart-meter period.
const FRAME_INTERVAL_MS: u64 = 15 * 60 * 1000;
/// The slot duration of the chain (`runtime/src/configs`): blocks every 6 s.
const SLOT_SECONDS: f64 = 6.0;
/// The development validators, in the order `--validators` takes them.
const VALIDATORS: [&str; 4] = ["alice", "bob", "charlie", "dave"];

#[derive(Args)]
pub struct BenchArgs {
	/// The node binary. Default: `mensura-node` next to this tool.
	#[arg(long, env = "MENSURA_NODE")]
	node: Option<PathBuf>,
	/// Validators to start: 1 is a development node (Alice, authoring every slot); 2 to 4
	/// is a local network of Alice, Bob, … on this machine, frames spread over all of them.
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4))]
	validators: u32,
	/// Distinct meters (each with its own key, contract and measurement state).
	#[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=200_000))]
	meters: u32,
	/// Frames offered per second, valid and bad together.
	#[arg(long, default_value_t = 10_000.0)]
	rate: f64,
	/// How long to offer frames: seconds, or with a unit (90s, 2m).
	#[arg(long, default_value = "60s")]
	duration: String,
	/// Valid frames per transaction: 1 sends each frame alone as a meter would, more sends
	/// gateway batches (`Readings::submit_frames`).
	#[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=256))]
	batch: u16,
	/// Samples per channel of each frame (two channels: voltage and current).
	#[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u16).range(2..=2000))]
	samples: u16,
	/// The frame format the meters sign: 2, compact (varints and sample differences); 1,
	/// fixed-width (see docs/frame-format.md).
	#[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
	format_version: u8,
	/// The meters' signature scheme.
	#[arg(long, value_enum, default_value = "sr25519")]
	scheme: Scheme,
	/// Percentage of the offered frames that are forged (a wrong signature) or replayed
	/// (a frame every node has in a finalized block), each sent alone;
	/// none may be accepted.
	#[arg(long, default_value_t = 5.0)]
	bad_percent: f64,
	/// Threads sending transactions, each with its own RPC connection.
	#[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
	senders: u16,
	/// A short smoke run: 2,000 meters, 200 frames/s for 12 s, batches of 8.
	#[arg(long)]
	quick: bool,
	/// Attack while the honest meters send: the last meter floods the pool with its own
	/// frames (2,000 valid ones, 200 of 1 ms) and four funded accounts send 64 KiB
	/// remarks tipping 1 MSR each, 20 a second. Checks that the supplier pays exactly
	/// one fee per measurement.
	#[arg(long)]
	attack: bool,
	/// The peer baseline: the same readings sent the way a generic chain carries them —
	/// each signed frame, as it is, in an ordinary signed `System::remark` from an account
	/// of its meter's own key, funded at genesis (one account per device, as Robonomics'
	/// datalog does). The chain then checks only the transaction's signature, nonce and
	/// fee: no frame is verified, metered, billed or paid for. Frames are sent alone
	/// (`--batch` 1), no bad ones; meters must use sr25519.
	#[arg(long, conflicts_with = "attack")]
	baseline: bool,
	/// Where to write `bench.json` (every figure and the per-block series) and
	/// `frames-per-second.svg`.
	#[arg(long)]
	out: Option<PathBuf>,
	/// An extra argument for every node (repeatable), e.g. `--node-arg=--trie-cache-size=268435456`.
	#[arg(long = "node-arg", allow_hyphen_values = true)]
	node_args: Vec<String>,
	/// Run each node within this much memory, in MiB (page cache included), in a memory
	/// cgroup of its own, as on a host or container of that size: the kernel takes back
	/// ParityDB's mapped pages as it needs them and kills a node that needs more. The
	/// first start, which builds the bench's genesis, runs without it. Needs the right to
	/// create a cgroup (root, or a delegated subtree).
	#[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(64..))]
	memory_limit: Option<u64>,
	/// Keep the nodes' directory (spec, databases, logs) instead of deleting it.
	#[arg(long)]
	keep: bool,
	/// No progress display.
	#[arg(long)]
	quiet: bool,
}

struct Settings {
	validators: usize,
	meters: usize,
	rate: f64,
	duration: Duration,
	batch: usize,
	samples: usize,
	format: lr::FrameFormat,
	scheme: Scheme,
	bad_fraction: f64,
	senders: usize,
	attack: bool,
	baseline: bool,
	/// Each node's memory limit after its first start, in MiB.
	memory_limit_mib: Option<u64>,
}

impl BenchArgs {
	fn settings(&self) -> Result<Settings> {
		let (meters, rate, duration, batch) = if self.quick {
			(2_000, 200.0, Duration::from_secs(12), 8)
		} else {
			(
				self.meters as usize,
				self.rate,
				parse_duration(&self.duration, "duration")?,
				self.batch as usize,
			)
		};
		if !(rate.is_finite() && rate > 0.0 && rate <= 1_000_000.0) {
			return Err(Error::usage(format!(
				"--rate {rate}: expected frames per second, above 0 and at most 1000000"
			)));
		}
		if !(self.bad_percent.is_finite() && (0.0..=50.0).contains(&self.bad_percent)) {
			return Err(Error::usage(format!(
				"--bad-percent {}: expected a percentage from 0 to 50",
				self.bad_percent
			)));
		}
		if self.baseline && self.scheme != Scheme::Sr25519 {
			return Err(Error::usage(
				"--baseline: the meters' keys sign their remarks as accounts, which must be sr25519",
			));
		}
		if duration < Duration::from_secs(1) {
			return Err(Error::usage("--duration: at least one second"));
		}
		Ok(Settings {
			validators: self.validators as usize,
			meters,
			rate,
			duration,
			batch: if self.baseline { 1 } else { batch },
			samples: self.samples as usize,
			format: frames::format_of_version(self.format_version)?,
			scheme: self.scheme,
			bad_fraction: if self.baseline { 0.0 } else { self.bad_percent / 100.0 },
			senders: self.senders as usize,
			attack: self.attack,
			baseline: self.baseline,
			memory_limit_mib: self.memory_limit,
		})
	}
}

fn say(quiet: bool, text: &str) {
	if !quiet {
		eprintln!("{text}");
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn quantiles_weight_each_value() {
		let mut values = vec![(3.0, 1), (1.0, 8), (2.0, 1)];
		assert_eq!(quantile(&mut values, 0.5), Some(1.0));
		assert_eq!(quantile(&mut values, 0.85), Some(2.0));
		assert_eq!(quantile(&mut values, 0.95), Some(3.0));
		assert_eq!(quantile(&mut [], 0.5), None);
	}

	#[test]
	fn bench_keys_are_distinct_and_repeatable() {
		let a = meter_key(Scheme::Ed25519, 1).public();
		assert_eq!(a, meter_key(Scheme::Ed25519, 1).public());
		assert_ne!(a, meter_key(Scheme::Ed25519, 2).public());
	}
}
