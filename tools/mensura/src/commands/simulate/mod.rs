//! `mensura simulate`: a fleet of simulated electricity meters. Each meter has a
//! household load profile (a time-of-day curve, a base load, appliances switching on and
//! off, measurement noise and the odd current spike) and a mains voltage with drift and
//! noise; every `1/rate` seconds it samples both over the interval just ended, signs the
//! frame with its device key and sends it, alone or in gateway batches. Meters the chain
//! does not know yet are provisioned, verified and bound to the LR program first.
//!
//! The chain judges a frame's end against its last block's time (plus the drift it
//! allows): when blocks stall and that clock falls behind, the pool refuses new frames
//! as `FutureInterval`. The simulator then holds them, as a gateway would, and sends
//! them again, in order, once blocks move on; the summary counts these transactions per
//! meter (`heldForChainClock`). Only frames still held when `--settle` runs out count as
//! refused.
//!
//! While it runs, a progress line counts frames sent, accepted by the pool, refused and
//! measured (stored in a block). At the end, a summary compares each meter's register
//! with what the same LR program computes locally from the frames that were sent.

mod fleet;
mod progress;
mod run;
mod scenario;
mod transactions;

use crate::{
	chain::{self, fetch_meters, poll},
	client::{hex, Client},
	frames::{self, ChainContext},
	keys::MeterKey,
	load_profile::{LoadProfile, Random},
	progress::Progress,
	time::{now_ms, parse_duration},
	Error, Result,
};
use clap::Args;
use fleet::*;
use mensura_primitives::display::milli;
use mensura_primitives::{
	metering::{MeterId, ProgramHash},
	readings::{lr, FrameRejection, SignedFrame},
};
use mensura_rpc::MeterInfo;
use mensura_runtime::RuntimeCall;
use progress::*;
pub use run::run;
use scenario::*;
use serde_json::json;
use sp_core::{sr25519, Pair as _};
use std::{
	collections::BTreeMap,
	time::{Duration, Instant},
};
use transactions::*;

#[derive(Args)]
pub struct SimulateArgs {
	/// How many meters. Their sr25519 keys derive from <KEY_PREFIX>1 … <KEY_PREFIX>N.
	#[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
	meters: u32,
	/// Frames per second, per meter. Each frame covers the last 1/RATE seconds.
	#[arg(long, default_value_t = 1.0)]
	rate: f64,
	/// How long to send frames: seconds, or with a unit (90s, 2m).
	#[arg(long, default_value = "30s")]
	duration: String,
	/// Frames per transaction. 1 sends each frame alone, as a meter would; more sends
	/// gateway batches (all or nothing) across meters.
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
	batch: u16,
	/// Samples per channel in each frame (voltage and current channels).
	#[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u16).range(2..=2000))]
	samples: u16,
	/// Seed of the load profiles: the same seed gives the same waveforms.
	#[arg(long, default_value_t = 1)]
	seed: u64,
	/// The frame format the meters sign: 2, compact (varints and sample differences); 1,
	/// fixed-width (see docs/frame-format.md).
	#[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
	format_version: u8,
	/// Secret-URI prefix of the meter keys (the dev chain's meters use //Meter1..3).
	#[arg(long, default_value = "//Meter")]
	key_prefix: String,
	/// Do not register missing meters: fail instead.
	#[arg(long)]
	no_register: bool,
	/// The manufacturer account (secret URI) that provisions missing meters.
	#[arg(long, default_value = "//Charlie")]
	manufacturer: String,
	/// The notified body account (secret URI) that verifies them and binds their program.
	#[arg(long, default_value = "//Bob")]
	notified_body: String,
	/// The model of new meters.
	#[arg(long, default_value_t = 0)]
	model: u32,
	/// The LR program (hash) to bind new meters to; default: meter 0's.
	#[arg(long)]
	program: Option<String>,
	/// How long to wait, after the last frame, for accepted frames to become measurements
	/// (and for frames held for the chain's clock to be taken).
	#[arg(long, default_value = "60s")]
	settle: String,
	/// How far the meters' clocks run ahead of this machine's (a duration, e.g. 15s): their
	/// frames then end after the chain's clock, which allows 12 s of drift beyond its last
	/// block, and are held until blocks catch up.
	#[arg(long, default_value = "0s")]
	clock_ahead: String,
	/// Print the summary as JSON on standard output.
	#[arg(long)]
	json: bool,
	/// No progress display.
	#[arg(long)]
	quiet: bool,
	/// Inject faults for `mensura audit` to find (`tampering`, see docs/surveillance.md):
	/// the fleet's first meter reads 3 % high against a check meter at its supply point,
	/// the second drops a fifth of its frames, the third replays a frame and re-signs old
	/// samples, the fourth is bound to a program that reads 10 % low. The rest are honest.
	/// Needs at least 10 meters.
	#[arg(long, value_parser = ["tampering"])]
	scenario: Option<String>,
	/// The account (secret URI) that registers the check meter in the scenario: the
	/// consumer or the supplier of the first meter's supply contract, or its verifying
	/// body (on the development chain, Ferdie is meter 0's consumer).
	#[arg(long, default_value = "//Ferdie")]
	surveillant: String,
	/// The measurer account (secret URI) that publishes the scenario's low-reading program.
	#[arg(long, default_value = "//Dave")]
	measurer: String,
	/// The scenario's comparison window of the check meter (ms, s, m, h or d; at least 60 s).
	#[arg(long, default_value = "60s")]
	window: String,
}

/// What the tampering scenario does to a meter.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tamper {
	Honest,
	/// Its current channel is scaled: it reads `factor` times the true energy.
	Scaled(f64),
	/// The counter-proof of fleet meter `of`: the same physical load, its own noise.
	Check {
		of: usize,
	},
	/// A fraction of its frames never leave it (the sequence moves on).
	Drops(f64),
	/// Halfway through it re-sends a frame verbatim, then re-signs old samples.
	Replays,
	/// Bound to a program that reads 10 % low.
	ForgedBinding,
}

/// A meter of the fleet and what happened to its frames.
struct SimMeter {
	id: MeterId,
	uri: String,
	key: MeterKey,
	program: lr::Program,
	profile: LoadProfile,
	next_sequence: u64,
	last_end: u64,
	/// The model's register unit (`Wh`, …), for the summary.
	unit: String,
	/// The shortest interval its model allows a frame, in milliseconds.
	min_interval_ms: u64,
	initial_register: u128,
	initial_measurements: u64,
	sent: u64,
	accepted: u64,
	refused: BTreeMap<&'static str, u64>,
	/// Times a transaction with one of its frames was refused because the chain's clock
	/// had not reached the frame's end, and held to be sent again.
	held: u64,
	/// The sum of what the LR program computes locally for the accepted frames.
	expected: u128,
	last_accepted_sequence: Option<u64>,
	measured: u64,
	register: u128,
	tamper: Tamper,
	/// Frames the scenario kept back (`Tamper::Drops`).
	dropped: u64,
	/// The first frame sent and its samples (`Tamper::Replays`).
	first_channels: Option<Vec<Vec<i32>>>,
	first_signed: Option<SignedFrame<Vec<u8>>>,
	/// What the chain answered to the verbatim replay, and the sequence that carried
	/// the replayed samples.
	replay_refusal: Option<String>,
	replayed_samples_sequence: Option<u64>,
}

impl SimMeter {
	fn new(
		id: MeterId,
		uri: String,
		key: MeterKey,
		program: lr::Program,
		profile: LoadProfile,
		info: &MeterInfo,
	) -> SimMeter {
		let register: u128 = info.register.parse().unwrap_or(0);
		SimMeter {
			id,
			uri,
			key,
			program,
			profile,
			next_sequence: info.last_sequence.map_or(1, |s| s + 1),
			// No frame may start before the meter's verification.
			last_end: info.last_end.max(info.measuring_since),
			unit: info.unit.clone().unwrap_or_default(),
			min_interval_ms: info.min_interval_ms.unwrap_or(0),
			initial_register: register,
			initial_measurements: info.measurements,
			sent: 0,
			accepted: 0,
			refused: BTreeMap::new(),
			held: 0,
			expected: 0,
			last_accepted_sequence: None,
			measured: 0,
			register,
			tamper: Tamper::Honest,
			dropped: 0,
			first_channels: None,
			first_signed: None,
			replay_refusal: None,
			replayed_samples_sequence: None,
		}
	}
}
