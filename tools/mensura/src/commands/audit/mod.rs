//! `mensura audit`: public surveillance from any node. Pulls a range of blocks, re-verifies
//! every frame's signature against the meter's key of the time, re-runs every
//! measurement with the identified LR program (the chain's own interpreter crate),
//! replays registers and hash chains, recomputes invoices, and runs statistical fraud
//! analyses over the meter population. Writes a self-contained HTML report and a JSON
//! summary; findings are never silent (exit code 1), a node lost mid-run leaves a partial
//! report marked incomplete (exit code 3).

mod fetch;
mod finish;
mod indexer;
mod invoices;
mod report;
mod run;
mod statistics;
mod verify;

use crate::{
	chain::value_key,
	client::{hex, Client},
	indexer::Indexer,
	progress::Progress,
	time::parse_duration,
	Error, Exit, Result,
};
use codec::{Decode, Encode};
use fetch::*;
use finish::*;
use indexer::*;
use invoices::*;
use mensura_primitives::{
	billing::{band_of, price},
	display::utc,
	metering::{MeasurementUnit, MeterId, MeterStatus, ModelId, ProgramHash},
	readings::{lr, Measurement, ReadingState},
};
use mensura_runtime::{AccountId, Runtime, RuntimeCall, RuntimeEvent, UncheckedExtrinsic};
use report::*;
pub use run::run;
use serde_json::{json, Value};
use sp_core::H256;
use sp_io::hashing::blake2_256;
use statistics::*;
use std::{
	collections::{BTreeMap, BTreeSet},
	path::PathBuf,
	time::{Duration, Instant},
};
use verify::*;

#[derive(clap::Args)]
pub struct AuditArgs {
	/// The first block to audit.
	#[arg(long, default_value_t = 1)]
	from: u32,
	/// The last block to audit (default: the last finalized block).
	#[arg(long)]
	to: Option<u32>,
	/// The directory to write `report.html` and `summary.json` into.
	#[arg(long, default_value = "mensura-audit")]
	out: PathBuf,
	/// A meter whose mean power lies this many robust standard deviations from its
	/// model's peers (median and MAD of the logarithm, at least 8 peers, each with an
	/// hour of measurements in the range) is an outlier.
	#[arg(long, default_value_t = 3.5)]
	outlier_z: f64,
	/// An active meter with no measurement ending within this time before the last
	/// audited block is silent (ms, s, m, h or d).
	#[arg(long, default_value = "15m")]
	silent_after: String,
	/// This many consecutive equal quantities of one meter, each of at least 1,000
	/// register steps, are a flat profile.
	#[arg(long, default_value_t = 8)]
	flat_run: usize,
	/// Print the summary as JSON on standard output.
	#[arg(long)]
	json: bool,
	/// No progress display.
	#[arg(long)]
	quiet: bool,
	/// Score the audit against a scenario: the JSON summary `mensura simulate --scenario
	/// tampering --json` printed. Adds which injected faults were found and which honest
	/// meters were flagged.
	#[arg(long, value_name = "FILE")]
	scenario: Option<PathBuf>,
	/// Also check `mensura-indexer` at this URL (e.g. http://127.0.0.1:9955): for every
	/// audited meter, recompute the hash chain over the history the indexer serves and
	/// compare it with the chain's `chain_head` (finding `indexer-mismatch`).
	#[arg(long, env = "MENSURA_INDEXER")]
	indexer: Option<String>,
}

/// Which injected faults the audit flagged, and which honest meters it flagged too.
fn score(scenario: &Value, flagged: &BTreeSet<MeterId>, findings: &[Finding]) -> Value {
	let injected: Vec<Value> = scenario["scenario"]["injected"]
		.as_array()
		.cloned()
		.unwrap_or_default()
		.into_iter()
		.map(|fault| {
			let meter = fault["meter"].as_u64().unwrap_or(u64::MAX);
			let kinds: BTreeSet<&str> =
				findings.iter().filter(|f| f.meter == Some(meter)).map(|f| f.kind).collect();
			json!({"meter": meter, "fault": fault["fault"], "found": flagged.contains(&meter), "by": kinds})
		})
		.collect();
	let honest: BTreeSet<MeterId> = scenario["scenario"]["honest"]
		.as_array()
		.map(|a| a.iter().filter_map(Value::as_u64).collect())
		.unwrap_or_default();
	let false_positives: Vec<MeterId> = honest.intersection(flagged).copied().collect();
	json!({
		"found": injected.iter().filter(|f| f["found"] == json!(true)).count(),
		"injected": injected,
		"honest": honest.len(),
		"honestFlagged": false_positives,
	})
}

/// Integrity findings mean the ledger disagrees with itself or with the frames; anomalies
/// are statistical signs of fraud or malfunction for a notified body to look at.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Class {
	Integrity,
	Anomaly,
}

#[derive(Clone, Debug)]
struct Finding {
	class: Class,
	kind: &'static str,
	meter: Option<MeterId>,
	block: Option<u32>,
	detail: String,
}

impl Finding {
	fn json(&self) -> Value {
		json!({
			"class": match self.class { Class::Integrity => "integrity", Class::Anomaly => "anomaly" },
			"kind": self.kind,
			"meter": self.meter,
			"block": self.block,
			"detail": self.detail,
		})
	}
}

/// One measurement as the audit saw it, with its frame.
#[derive(Clone, Debug)]
struct Seen {
	block: u32,
	index: u64,
	measurement: Measurement<u32>,
}

/// A check-meter pair's comparisons in the range.
#[derive(Default)]
struct PairTally {
	check: MeterId,
	windows: u32,
	discrepancies: u32,
	measured: u128,
	counter: u128,
}

impl PairTally {
	/// A window the chain compared between the meter and its check meter `check`.
	fn add_window(&mut self, check: MeterId, measured: u128, counter: u128) {
		self.check = check;
		self.windows += 1;
		self.measured += measured;
		self.counter += counter;
	}
}

/// Model characteristics the statistics need.
#[derive(Clone)]
struct ModelInfo {
	unit: MeasurementUnit,
	/// The register step, in thousandths of the unit.
	resolution: u32,
}

type MeterRecord = pallet_meters::MeterOf<Runtime>;
type ProgramRecord = pallet_lr_programs::ProgramRecordOf<Runtime>;
type EventRecord = frame_system::EventRecord<RuntimeEvent, H256>;

/// Everything a run collects.
#[derive(Default)]
struct Audit {
	findings: Vec<Finding>,
	blocks: u32,
	frames: u64,
	verified: u64,
	measurements: BTreeMap<MeterId, Vec<Seen>>,
	/// Each meter's reading state, replayed measurement by measurement.
	replays: BTreeMap<MeterId, ReadingState<AccountId>>,
	meters: BTreeMap<MeterId, (String, MeterRecord)>,
	programs: BTreeMap<ProgramHash, Option<lr::Program>>,
	models: BTreeMap<ModelId, Option<ModelInfo>>,
	invoices: Vec<(u64, String, u32)>,
	invoices_checked: u32,
	invoices_partly: u32,
	pairs: BTreeMap<MeterId, PairTally>,
	samples_seen: BTreeMap<H256, (MeterId, u64)>,
	/// Meters compared with their model's peers (an hour of measurements, groups of 8).
	peers_compared: usize,
	/// Sequence gaps by meter: `(block, last sequence before, next sequence)`.
	gaps: BTreeMap<MeterId, Vec<(u32, u64, u64)>>,
	/// Meters whose indexed history was recomputed against the chain (with --indexer).
	indexer_checked: Option<usize>,
}

impl Audit {
	fn find(
		&mut self,
		class: Class,
		kind: &'static str,
		meter: Option<MeterId>,
		block: Option<u32>,
		detail: String,
	) {
		self.findings.push(Finding { class, kind, meter, block, detail });
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn robust_z_singles_out_the_outlier_and_not_the_spread() {
		let z = robust_z(&[10.0, 11.0, 9.0, 10.5, 9.5, 30.0]).unwrap();
		assert!(z[5] > 3.5, "{z:?}");
		assert!(z[..5].iter().all(|z| z.abs() < 1.5), "{z:?}");
		assert!(robust_z(&[5.0, 5.0, 5.0]).is_none(), "no spread, no score");
	}

	#[test]
	fn flat_runs_count_equal_non_zero_neighbours() {
		assert_eq!(longest_flat_run(&[1, 2, 2, 2, 3, 0, 0, 0, 0]), (3, 1));
		assert_eq!(longest_flat_run(&[0, 0, 0]), (0, 0));
		assert_eq!(longest_flat_run(&[7]), (1, 0));
	}

	#[test]
	fn ceilings_are_per_hour_in_thousandths() {
		assert_eq!(ceiling_per_hour(MeasurementUnit::WattHour), 69_000_000.0);
	}
}
