//! `mensura audit`: public surveillance from any node. Pulls a range of blocks, re-verifies
//! every frame's signature against the meter's key of the time, re-runs every
//! measurement with the identified LR program (the chain's own interpreter crate),
//! replays registers and hash chains, recomputes invoices, and runs statistical fraud
//! analyses over the meter population. Writes a self-contained HTML report and a JSON
//! summary; findings are never silent (exit code 1), a node lost mid-run leaves a partial
//! report marked incomplete (exit code 3).

use crate::{
	client::{hex, Client},
	time::parse_duration,
	Error, Exit, Result,
};
use codec::Decode;
use mensura_primitives::{
	billing::{band_charge, band_of, standing_charge},
	display::utc,
	metering::{MeasurementUnit, MeterId, MeterStatus, ModelId, ProgramHash},
	readings::{lr, Measurement, ReadingState},
};
use mensura_runtime::{Runtime, RuntimeCall, RuntimeEvent, UncheckedExtrinsic};
use serde_json::{json, Value};
use sp_core::H256;
use sp_io::hashing::{blake2_256, twox_128};
use std::{
	collections::{BTreeMap, BTreeSet},
	path::PathBuf,
	time::{Duration, Instant},
};

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
	replays: BTreeMap<MeterId, ReadingState>,
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

/// Calls the node, retrying a lost connection three times (1, 2, 4 s) before giving up.
fn patiently<T>(client: &mut Client, mut call: impl FnMut(&mut Client) -> Result<T>) -> Result<T> {
	let mut wait = Duration::from_secs(1);
	for _ in 0..3 {
		match call(client) {
			Err(error)
				if error.exit == Exit::Node
					&& (error.message.contains("cannot reach")
						|| error.message.contains("answered badly")) =>
			{
				std::thread::sleep(wait);
				wait *= 2;
			}
			other => return other,
		}
	}
	call(client)
}

fn storage_key(pallet: &str, item: &str) -> Vec<u8> {
	[twox_128(pallet.as_bytes()), twox_128(item.as_bytes())].concat()
}

fn block_hash(client: &mut Client, number: u32) -> Result<String> {
	let value = client.call("chain_getBlockHash", json!([number]))?;
	value
		.as_str()
		.map(str::to_string)
		.ok_or_else(|| Error::input(format!("the node has no block {number}")))
}

/// The power ceiling the statistics hold a meter to, in thousandths of its unit per hour:
/// beyond it no supply of the kind delivers.
fn ceiling_per_hour(unit: MeasurementUnit) -> f64 {
	1000.0
		* match unit {
			// A 100 A three-phase connection at 400 V: about 69 kW.
			MeasurementUnit::WattHour => 69_000.0,
			MeasurementUnit::Joule => 69_000.0 * 3600.0,
			// A G25 gas meter's maximum flow.
			MeasurementUnit::CubicMetre => 40.0,
			// A high-flow fuel dispenser: 130 L/min.
			MeasurementUnit::Litre => 7_800.0,
			MeasurementUnit::Kilogram => 7_800.0,
		}
}

/// Median of a non-empty slice (sorted in place).
fn median(values: &mut [f64]) -> f64 {
	values.sort_by(|a, b| a.total_cmp(b));
	let n = values.len();
	if n % 2 == 1 {
		values[n / 2]
	} else {
		(values[n / 2 - 1] + values[n / 2]) / 2.0
	}
}

/// Robust z-scores: `0.6745 (x − median) / MAD`; `None` when the MAD is zero.
fn robust_z(values: &[f64]) -> Option<Vec<f64>> {
	let mut sorted = values.to_vec();
	let med = median(&mut sorted);
	let mut deviations: Vec<f64> = values.iter().map(|v| (v - med).abs()).collect();
	let mad = median(&mut deviations);
	(mad > 0.0).then(|| values.iter().map(|v| 0.6745 * (v - med) / mad).collect())
}

/// The longest run of equal non-zero quantities: `(length, index of its first)`.
fn longest_flat_run(quantities: &[u128]) -> (usize, usize) {
	let (mut best, mut best_at, mut run, mut at) = (0, 0, 0, 0);
	for (i, q) in quantities.iter().enumerate() {
		if *q != 0 && i > 0 && quantities[i - 1] == *q {
			run += 1;
		} else {
			run = 1;
			at = i;
		}
		if *q != 0 && run > best {
			(best, best_at) = (run, at);
		}
	}
	(best, best_at)
}

pub fn run(url: &str, args: AuditArgs) -> Result<()> {
	let silent_after = parse_duration(&args.silent_after, "silent-after")?.as_millis() as u64;
	let mut client = Client::new(url)?;
	let genesis = client.genesis_hash()?;
	let finalized = client.call("chain_getFinalizedHead", json!([]))?;
	let finalized = finalized.as_str().unwrap_or_default().to_string();
	let head = client.call("chain_getHeader", json!([finalized]))?;
	let head = crate::client::number(&head["number"])
		.ok_or_else(|| Error::node("chain_getHeader: no block number"))? as u32;
	let to = args.to.unwrap_or(head);
	if args.from == 0 || args.from > to {
		return Err(Error::usage(format!(
			"--from {} --to {to}: give 1 ≤ from ≤ to (the finalized head is {head})",
			args.from
		)));
	}
	if to > head {
		return Err(Error::usage(format!(
			"--to {to}: the node's last finalized block is {head}; audit finalized blocks only"
		)));
	}

	let mut audit = Audit::default();
	let started = Instant::now();
	let mut last_progress = Instant::now() - Duration::from_secs(1);
	let mut stopped: Option<(u32, String)> = None;
	for number in args.from..=to {
		if !args.quiet && last_progress.elapsed() >= Duration::from_millis(250) {
			last_progress = Instant::now();
			let done = number - args.from;
			let total = to - args.from + 1;
			eprint!(
				"\r  auditing block {number} of {}..{to} ({:.0}%) · {} frames · {} findings   ",
				args.from,
				100.0 * done as f64 / total as f64,
				audit.frames,
				audit.findings.len()
			);
		}
		if let Err(error) = audit_block(&mut client, &mut audit, &genesis, number) {
			if error.exit == Exit::Node {
				stopped = Some((number, error.message));
				break;
			}
			return Err(error);
		}
	}
	if !args.quiet {
		eprintln!(
			"\r  audited {} blocks, {} frames in {:.1} s{}",
			audit.blocks,
			audit.frames,
			started.elapsed().as_secs_f64(),
			" ".repeat(30)
		);
	}
	let last = stopped.as_ref().map_or(to, |(n, _)| n.saturating_sub(1));
	let mut end_time = 0;
	if stopped.is_none() {
		if let Err(error) = finish(&mut client, &mut audit, last, silent_after, &args) {
			if error.exit != Exit::Node {
				return Err(error);
			}
			stopped = Some((last, error.message));
		} else {
			end_time = chain_time(&mut client, last).unwrap_or(0);
		}
	}
	let mut summary = summarise(&audit, url, args.from, last, to, &stopped, end_time);
	if let Some(path) = &args.scenario {
		let text = std::fs::read_to_string(path)
			.map_err(|e| Error::input(format!("--scenario {}: {e}", path.display())))?;
		let scenario: Value = serde_json::from_str(&text).map_err(|e| {
			Error::input(format!("--scenario {}: not a simulate summary ({e})", path.display()))
		})?;
		let flagged: BTreeSet<MeterId> = audit.findings.iter().filter_map(|f| f.meter).collect();
		summary["scenarioScore"] = score(&scenario, &flagged, &audit.findings);
	}
	std::fs::create_dir_all(&args.out)
		.map_err(|e| Error::input(format!("cannot create {}: {e}", args.out.display())))?;
	let summary_path = args.out.join("summary.json");
	std::fs::write(&summary_path, serde_json::to_string_pretty(&summary).expect("JSON"))
		.map_err(|e| Error::input(format!("cannot write {}: {e}", summary_path.display())))?;
	let report_path = args.out.join("report.html");
	std::fs::write(&report_path, report_html(&audit, &summary))
		.map_err(|e| Error::input(format!("cannot write {}: {e}", report_path.display())))?;

	let integrity = audit.findings.iter().filter(|f| f.class == Class::Integrity).count();
	let anomalies = audit.findings.len() - integrity;
	if args.json {
		println!("{}", serde_json::to_string_pretty(&summary).expect("JSON"));
	} else {
		println!(
			"audit of blocks {}..{last}{}: {} frames, {} re-verified (signature, program, \
			 quantity), {} meters, {} invoices recomputed ({} in part)",
			args.from,
			if stopped.is_some() { " (INCOMPLETE)" } else { "" },
			audit.frames,
			audit.verified,
			audit.measurements.len(),
			audit.invoices_checked,
			audit.invoices_partly
		);
		println!("  {integrity} integrity findings, {anomalies} anomalies");
		if let Some(score) = summary.get("scenarioScore") {
			let injected = score["injected"].as_array().cloned().unwrap_or_default();
			println!(
				"  scenario: {} of {} injected faults found; {} of {} honest meters flagged {}",
				score["found"],
				injected.len(),
				score["honestFlagged"].as_array().map_or(0, Vec::len),
				score["honest"],
				score["honestFlagged"]
			);
			for fault in &injected {
				println!(
					"    {:<24} meter {}: {} {}",
					fault["fault"].as_str().unwrap_or_default(),
					fault["meter"],
					if fault["found"] == json!(true) { "found by" } else { "MISSED" },
					fault["by"]
				);
			}
		}
		for finding in audit.findings.iter().take(20) {
			println!(
				"  - {} {}{}: {}",
				finding.kind,
				finding.meter.map(|m| format!("meter {m}")).unwrap_or_default(),
				finding.block.map(|b| format!(" block {b}")).unwrap_or_default(),
				finding.detail
			);
		}
		if audit.findings.len() > 20 {
			println!("  … {} more in the report", audit.findings.len() - 20);
		}
		println!("  wrote {} and {}", report_path.display(), summary_path.display());
	}
	if let Some((number, reason)) = stopped {
		return Err(Error::node(format!(
			"the audit stopped at block {number}: {reason}; the partial report says so"
		)));
	}
	if !audit.findings.is_empty() {
		return Err(Error::failure(format!(
			"{integrity} integrity findings and {anomalies} anomalies (see {})",
			report_path.display()
		)));
	}
	Ok(())
}

fn chain_time(client: &mut Client, number: u32) -> Result<u64> {
	let hash = block_hash(client, number)?;
	let raw = client.storage_at(&storage_key("Timestamp", "Now"), &hash)?;
	Ok(raw.and_then(|r| u64::decode(&mut &r[..]).ok()).unwrap_or(0))
}

/// The meter's record at `at`, cached by meter; fetched again at `at` when `refresh`.
fn meter_at(
	client: &mut Client,
	audit: &mut Audit,
	meter: MeterId,
	at: &str,
	refresh: bool,
) -> Result<Option<MeterRecord>> {
	if !refresh {
		if let Some((_, record)) = audit.meters.get(&meter) {
			return Ok(Some(record.clone()));
		}
	}
	let found: Option<MeterRecord> =
		patiently(client, |c| c.runtime_call_at("MetersApi_meter", meter, at))?;
	if let Some(record) = &found {
		audit.meters.insert(meter, (at.to_string(), record.clone()));
	}
	Ok(found)
}

fn program_at(
	client: &mut Client,
	audit: &mut Audit,
	hash: ProgramHash,
	at: &str,
) -> Result<Option<lr::Program>> {
	if let Some(found) = audit.programs.get(&hash) {
		return Ok(found.clone());
	}
	let record: Option<ProgramRecord> =
		patiently(client, |c| c.runtime_call_at("LrProgramsApi_program", hash, at))?;
	let program = record.and_then(|r| lr::Program::decode(&r.code).ok());
	audit.programs.insert(hash, program.clone());
	Ok(program)
}

/// Audits one block: its frames against its `Measured` events, and the events the
/// statistics need.
fn audit_block(
	client: &mut Client,
	audit: &mut Audit,
	genesis: &[u8; 32],
	number: u32,
) -> Result<()> {
	let hash = patiently(client, |c| block_hash(c, number))?;
	let block = patiently(client, |c| c.call("chain_getBlock", json!([hash])))?;
	audit.blocks += 1;
	let parent = block["block"]["header"]["parentHash"].as_str().unwrap_or_default().to_string();
	let extrinsics: Vec<String> = block["block"]["extrinsics"]
		.as_array()
		.map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
		.unwrap_or_default();
	let raw_events = patiently(client, |c| c.storage_at(&storage_key("System", "Events"), &hash))?;
	let events: Vec<EventRecord> = match raw_events {
		None => Vec::new(),
		Some(raw) => match Vec::<EventRecord>::decode(&mut &raw[..]) {
			Ok(events) => events,
			Err(e) => {
				audit.find(
					Class::Integrity,
					"undecodable-events",
					None,
					Some(number),
					format!("the block's events do not decode ({e}): its frames cannot be matched"),
				);
				return Ok(());
			}
		},
	};
	// Measured events by the extrinsic that emitted them, in order.
	let mut measured: BTreeMap<u32, Vec<(MeterId, u64, Measurement<u32>, u128)>> = BTreeMap::new();
	for record in &events {
		match &record.event {
			RuntimeEvent::Readings(pallet_readings::Event::Measured {
				meter,
				index,
				measurement,
				register,
			}) => {
				let frame_system::Phase::ApplyExtrinsic(i) = record.phase else {
					audit.find(
						Class::Integrity,
						"measurements-without-frames",
						Some(*meter),
						Some(number),
						format!("measurement {index} was stored outside any extrinsic"),
					);
					continue;
				};
				measured.entry(i).or_default().push((
					*meter,
					*index,
					measurement.clone(),
					*register,
				))
			}
			RuntimeEvent::Billing(pallet_billing::Event::InvoiceIssued { invoice, .. }) => {
				audit.invoices.push((*invoice, hash.clone(), number))
			}
			RuntimeEvent::Surveillance(pallet_surveillance::Event::WindowCompared {
				meter,
				check,
				measured,
				counter,
				..
			}) => {
				audit.pairs.entry(*meter).or_default().add_window(*check, *measured, *counter);
			}
			RuntimeEvent::Surveillance(pallet_surveillance::Event::DiscrepancyFound {
				meter,
				check,
				start,
				end,
				measured,
				counter,
				allowed,
			}) => {
				let tally = audit.pairs.entry(*meter).or_default();
				tally.add_window(*check, *measured, *counter);
				tally.discrepancies += 1;
				let detail = format!(
					"check meter {check} over {} .. {}: measured {measured}, counter {counter}, \
					 {} apart, {allowed} allowed",
					utc(*start),
					utc(*end),
					measured.abs_diff(*counter)
				);
				audit.find(
					Class::Anomaly,
					"counter-proof-discrepancy",
					Some(*meter),
					Some(number),
					detail,
				);
			}
			_ => {}
		}
	}
	for (i, encoded) in extrinsics.iter().enumerate() {
		let bytes = match crate::client::unhex(encoded) {
			Ok(bytes) => bytes,
			Err(e) => {
				audit.find(
					Class::Integrity,
					"undecodable-extrinsic",
					None,
					Some(number),
					format!("extrinsic {i}: {e}"),
				);
				continue;
			}
		};
		let extrinsic = match UncheckedExtrinsic::decode(&mut &bytes[..]) {
			Ok(extrinsic) => extrinsic,
			Err(e) => {
				audit.find(
					Class::Integrity,
					"undecodable-extrinsic",
					None,
					Some(number),
					format!("extrinsic {i} does not decode as this runtime's ({e})"),
				);
				continue;
			}
		};
		let frames: Vec<_> = match extrinsic.function {
			RuntimeCall::Readings(pallet_readings::Call::submit_frame { frame }) => vec![frame],
			RuntimeCall::Readings(pallet_readings::Call::submit_frames { frames }) => {
				frames.into_inner()
			}
			_ => continue,
		};
		let events = measured.remove(&(i as u32)).unwrap_or_default();
		if events.len() != frames.len() {
			audit.find(
				Class::Integrity,
				"frames-without-measurements",
				None,
				Some(number),
				format!(
					"extrinsic {i} carries {} frames but the block has {} Measured events for it",
					frames.len(),
					events.len()
				),
			);
		}
		for (signed, event) in frames.iter().zip(events) {
			audit.frames += 1;
			verify_frame(
				client,
				audit,
				genesis,
				number,
				&hash,
				&parent,
				&signed.frame,
				&signed.signature,
				event,
			)?;
		}
	}
	for (i, orphans) in measured {
		audit.find(
			Class::Integrity,
			"measurements-without-frames",
			orphans.first().map(|o| o.0),
			Some(number),
			format!("extrinsic {i} emitted {} Measured events without frames", orphans.len()),
		);
	}
	Ok(())
}

#[allow(clippy::too_many_arguments)]
fn verify_frame(
	client: &mut Client,
	audit: &mut Audit,
	genesis: &[u8; 32],
	number: u32,
	hash: &str,
	parent: &str,
	bytes: &[u8],
	signature: &mensura_primitives::metering::DeviceSignature,
	(meter, index, measurement, register): (MeterId, u64, Measurement<u32>, u128),
) -> Result<()> {
	let at = Some(number);
	let frame_hash = blake2_256(bytes);
	if measurement.frame != H256(frame_hash) {
		audit.find(
			Class::Integrity,
			"frame-hash-mismatch",
			Some(meter),
			at,
			format!(
				"measurement {index} names frame {} but the block carries {}",
				hex(measurement.frame.as_bytes()),
				hex(&frame_hash)
			),
		);
	}
	let frame = match lr::Frame::decode(bytes) {
		Ok(frame) => frame,
		Err(e) => {
			audit.find(
				Class::Integrity,
				"malformed-frame",
				Some(meter),
				at,
				format!("measurement {index}: its frame is not a version-1 frame ({})", e.name()),
			);
			return Ok(());
		}
	};
	if (frame.meter, frame.sequence, frame.start, frame.end)
		!= (meter, measurement.sequence, measurement.start, measurement.end)
	{
		audit.find(
			Class::Integrity,
			"frame-measurement-mismatch",
			Some(meter),
			at,
			format!(
				"measurement {index} (sequence {}, {}..{}) does not match its frame (meter {}, \
			 sequence {}, {}..{})",
				measurement.sequence,
				measurement.start,
				measurement.end,
				frame.meter,
				frame.sequence,
				frame.start,
				frame.end
			),
		);
	}
	// The signature, with the meter's key at the parent block (keys rotate).
	let message = lr::frame::signing_message(genesis, &frame_hash);
	let mut record = meter_at(client, audit, meter, parent, false)?;
	let cached_at = audit.meters.get(&meter).map(|(at, _)| at.clone());
	let signed_ok = |r: &Option<MeterRecord>| {
		r.as_ref().is_some_and(|r| r.device_key.verify(&message, signature))
	};
	let bound_ok = |r: &Option<MeterRecord>| {
		r.as_ref().and_then(|r| r.lr_program) == Some(measurement.program)
	};
	if (!signed_ok(&record) || !bound_ok(&record)) && cached_at.as_deref() != Some(parent) {
		record = meter_at(client, audit, meter, parent, true)?;
	}
	let mut verified = true;
	if record.is_none() {
		audit.find(
			Class::Integrity,
			"unknown-meter",
			Some(meter),
			at,
			format!("measurement {index} of a meter the chain did not know at the parent block"),
		);
		verified = false;
	} else if !signed_ok(&record) {
		audit.find(
			Class::Integrity,
			"bad-signature",
			Some(meter),
			at,
			format!(
				"the frame of measurement {index} (sequence {}) is not signed by the meter's key",
				measurement.sequence
			),
		);
		verified = false;
	}
	if record.is_some() && !bound_ok(&record) {
		audit.find(
			Class::Integrity,
			"program-not-bound",
			Some(meter),
			at,
			format!(
			"measurement {index} was computed by program {}, not the program bound to the meter",
			hex(measurement.program.as_bytes())
		),
		);
		verified = false;
	}
	// The quantity, re-run with the identified program.
	match program_at(client, audit, measurement.program, hash)? {
		None => {
			audit.find(
				Class::Integrity,
				"program-unknown",
				Some(meter),
				at,
				format!(
				"measurement {index}: program {} cannot be found on chain (or does not decode): \
				 the quantity cannot be re-computed",
				hex(measurement.program.as_bytes())
			),
			);
			verified = false;
		}
		Some(program) => match program.execute(&frame) {
			Ok(quantity) if quantity == measurement.quantity => {}
			Ok(quantity) => {
				audit.find(
					Class::Integrity,
					"quantity-mismatch",
					Some(meter),
					at,
					format!(
						"measurement {index}: the ledger says {}, the program computes {quantity}",
						measurement.quantity
					),
				);
				verified = false;
			}
			Err(e) => {
				audit.find(
					Class::Integrity,
					"program-fails",
					Some(meter),
					at,
					format!("measurement {index}: the program fails on the frame ({})", e.name()),
				);
				verified = false;
			}
		},
	}
	if verified {
		audit.verified += 1;
	}
	// Replayed sensor data: the same samples in another frame.
	let samples = H256(blake2_256(bytes.get(lr::FRAME_HEADER_LEN..).unwrap_or_default()));
	if let Some((first_meter, first_sequence)) = audit.samples_seen.get(&samples).copied() {
		audit.find(
			Class::Anomaly,
			"repeated-samples",
			Some(meter),
			at,
			format!(
				"the frame of sequence {} carries exactly the samples of meter {first_meter}'s \
			 sequence {first_sequence}: replayed sensor data",
				measurement.sequence
			),
		);
	} else {
		audit.samples_seen.insert(samples, (meter, measurement.sequence));
	}
	// The register and hash chain, replayed from the state before the meter's first
	// measurement in the range.
	if !audit.replays.contains_key(&meter) {
		let state: ReadingState =
			patiently(client, |c| c.runtime_call_at("ReadingsApi_reading", meter, parent))?;
		audit.replays.insert(meter, state);
	}
	let state = audit.replays.get_mut(&meter).expect("inserted above");
	let mut findings = Vec::new();
	if index != state.measurements {
		findings.push((
			"index-gap",
			format!("measurement {index} follows measurement {}", state.measurements as i128 - 1),
		));
	}
	if let Some(last) = state.last_sequence {
		if measurement.sequence <= last {
			findings.push((
				"sequence-not-increasing",
				format!(
					"sequence {} stored after sequence {last}: a replay reached the ledger",
					measurement.sequence
				),
			));
		}
	}
	if measurement.start < state.last_end {
		findings.push((
			"overlapping-interval",
			format!(
				"measurement {index} starts {} ms before the previous one ended",
				state.last_end - measurement.start
			),
		));
	}
	let gap = state.last_sequence.map_or(0, |last| measurement.sequence.saturating_sub(last + 1));
	state.register = state.register.saturating_add(measurement.quantity);
	if register != state.register {
		findings.push((
			"register-mismatch",
			format!(
				"after measurement {index} the ledger's register is {register}, the sum is {}",
				state.register
			),
		));
		state.register = register;
	}
	state.chain_head =
		mensura_primitives::readings::chain_link(state.chain_head, meter, index, &measurement);
	state.last_sequence = Some(measurement.sequence);
	state.last_end = measurement.end;
	state.measurements = index + 1;
	for (kind, detail) in findings {
		audit.find(Class::Integrity, kind, Some(meter), at, detail);
	}
	if gap > 0 {
		audit.gaps.entry(meter).or_default().push((
			number,
			measurement.sequence - gap - 1,
			measurement.sequence,
		));
	}
	audit.measurements.entry(meter).or_default().push(Seen { block: number, index, measurement });
	Ok(())
}

/// With --indexer: for every audited meter, the hash chain recomputed with
/// `chain_link` over the measurements the indexer serves up to the last audited block
/// (its own links are not trusted) must be the chain's `chain_head` there, and the
/// indexer's links must be the recomputed ones.
fn check_indexer(
	client: &mut Client,
	audit: &mut Audit,
	url: &str,
	last: u32,
	at: &str,
) -> Result<()> {
	let mut indexer = Client::indexer(url)?;
	let get = |indexer: &mut Client, path: &str| match indexer.get_json(path)? {
		(200, value) => Ok(value),
		(code, value) => Err(Error::node(format!("{url}{path}: HTTP {code}: {value}"))),
	};
	let indexed = get(&mut indexer, "/api/status")?["indexed"]["number"].as_u64().unwrap_or(0);
	if indexed < u64::from(last) {
		return Err(Error::input(format!(
			"the indexer at {url} is indexed up to block {indexed}, below the last audited block \
			 {last}: wait for it, or audit --to {indexed}"
		)));
	}
	let meters: Vec<MeterId> = audit.replays.keys().copied().collect();
	for meter in &meters {
		let ledger: ReadingState =
			patiently(client, |c| c.runtime_call_at("ReadingsApi_reading", *meter, at))?;
		let mut head = H256::zero();
		let mut count = 0u64;
		let mut problem = None;
		let mut cursor = String::new();
		'pages: loop {
			let page =
				get(&mut indexer, &format!("/api/meters/{meter}/measurements?limit=1000{cursor}"))?;
			for m in page["measurements"].as_array().cloned().unwrap_or_default() {
				if m["block"].as_u64().unwrap_or(u64::MAX) > u64::from(last) {
					break 'pages;
				}
				let parsed = (|| {
					let hash = |v: &Value| -> Option<H256> {
						let bytes = crate::client::unhex(v.as_str()?).ok()?;
						(bytes.len() == 32).then(|| H256::from_slice(&bytes))
					};
					let measurement = Measurement::<u32> {
						sequence: m["sequence"].as_u64()?,
						start: m["start"].as_u64()?,
						end: m["end"].as_u64()?,
						quantity: m["quantity"].as_str()?.parse().ok()?,
						program: hash(&m["program"])?,
						frame: hash(&m["frame"])?,
						block: u32::try_from(m["block"].as_u64()?).ok()?,
					};
					Some((m["index"].as_u64()?, measurement, hash(&m["link"])?))
				})();
				let Some((index, measurement, link)) = parsed else {
					problem = Some(format!("measurement {count} is malformed: {m}"));
					break 'pages;
				};
				if index != count {
					problem = Some(format!("measurement {index} is served where {count} belongs"));
					break 'pages;
				}
				head = mensura_primitives::readings::chain_link(head, *meter, index, &measurement);
				if link != head {
					problem = Some(format!(
						"the link it serves for measurement {index} is not its hash chain"
					));
					break 'pages;
				}
				count += 1;
			}
			match page["next"].as_u64() {
				Some(next) => cursor = format!("&cursor={next}"),
				None => break,
			}
		}
		let problem = problem.or_else(|| {
			(head != ledger.chain_head || count != ledger.measurements).then(|| {
				format!(
					"the indexer's {count} measurements chain to {}, the chain's {} to {}",
					hex(head.as_bytes()),
					ledger.measurements,
					hex(ledger.chain_head.as_bytes())
				)
			})
		});
		if let Some(detail) = problem {
			audit.find(Class::Integrity, "indexer-mismatch", Some(*meter), Some(last), detail);
		}
	}
	audit.indexer_checked = Some(meters.len());
	Ok(())
}

/// After the last block: the replayed states against the ledger's, invoices, and the
/// statistics over the whole population.
fn finish(
	client: &mut Client,
	audit: &mut Audit,
	last: u32,
	silent_after: u64,
	args: &AuditArgs,
) -> Result<()> {
	let at = patiently(client, |c| block_hash(c, last))?;
	// Registers and hash chains.
	let replayed: Vec<(MeterId, ReadingState)> =
		audit.replays.iter().map(|(m, r)| (*m, r.clone())).collect();
	for (meter, replayed) in replayed {
		let ledger: ReadingState =
			patiently(client, |c| c.runtime_call_at("ReadingsApi_reading", meter, &at))?;
		if ledger.register != replayed.register {
			audit.find(
				Class::Integrity,
				"register-mismatch",
				Some(meter),
				Some(last),
				format!(
					"the register is {} at the last block; the measurements add up to {}",
					ledger.register, replayed.register
				),
			);
		}
		if ledger.chain_head != replayed.chain_head || ledger.measurements != replayed.measurements
		{
			audit.find(
				Class::Integrity,
				"hash-chain-mismatch",
				Some(meter),
				Some(last),
				format!(
				"the ledger's hash chain head {} over {} measurements differs from the replayed \
				 {} over {}",
				hex(ledger.chain_head.as_bytes()),
				ledger.measurements,
				hex(replayed.chain_head.as_bytes()),
				replayed.measurements
			),
			);
		}
	}
	check_invoices(client, audit)?;
	if let Some(indexer) = &args.indexer {
		check_indexer(client, audit, indexer, last, &at)?;
	}
	// Silent meters: active at the last block, nothing recent.
	let end_time = chain_time(client, last)?;
	let mut from = 0;
	let mut active = Vec::new();
	loop {
		let page: Vec<(MeterId, MeterRecord)> =
			patiently(client, |c| c.runtime_call_at("MetersApi_meters", (from, 100u32), &at))?;
		let Some(next) = page.last().map(|(id, _)| id + 1) else { break };
		for (id, record) in page {
			if record.status == MeterStatus::Active && record.lr_program.is_some() {
				active.push((id, record));
			}
		}
		from = next;
	}
	let start_time = chain_time(client, args.from)?;
	for (id, record) in &active {
		// The end of its last measurement by the ledger; a meter that never measured has
		// been silent at least since the range began.
		let last_end = match audit.replays.get(id) {
			Some(state) => state.last_end,
			None => {
				let state: ReadingState =
					patiently(client, |c| c.runtime_call_at("ReadingsApi_reading", *id, &at))?;
				state.last_end
			}
		};
		let since = if last_end > 0 { last_end } else { start_time };
		if end_time > since + silent_after {
			audit.find(
				Class::Anomaly,
				"silent-meter",
				Some(*id),
				Some(last),
				format!(
					"active and bound to a program, but {} since {} ({} s before the last audited \
				 block)",
					if last_end > 0 {
						"no measurement ended"
					} else {
						"it has never measured, at least"
					},
					utc(since),
					(end_time - since) / 1000
				),
			);
		}
		audit.models.entry(record.model).or_insert(None);
	}
	// Models for the statistics.
	let models: Vec<ModelId> = audit.models.keys().copied().collect();
	let ids: Vec<MeterId> = audit.measurements.keys().copied().collect();
	let mut model_of: BTreeMap<MeterId, ModelId> = BTreeMap::new();
	for id in ids {
		let record = match audit.meters.get(&id) {
			Some((_, r)) => Some(r.clone()),
			None => meter_at(client, audit, id, &at, true)?,
		};
		if let Some(r) = record {
			model_of.insert(id, r.model);
		}
	}
	for model in models.into_iter().chain(model_of.values().copied()) {
		if matches!(audit.models.get(&model), Some(Some(_))) {
			continue;
		}
		let found: Option<pallet_meters::ModelOf<Runtime>> =
			patiently(client, |c| c.runtime_call_at("MetersApi_model", model, &at))?;
		audit.models.insert(
			model,
			found.map(|m| ModelInfo {
				unit: m.spec.unit,
				resolution: m.spec.resolution_milli.max(1),
			}),
		);
	}
	statistics(audit, &model_of, args);
	Ok(())
}

/// Mean power per meter (thousandths of the unit per hour) over its measurements.
fn mean_power(seen: &[Seen]) -> Option<f64> {
	let quantity: f64 = seen.iter().map(|s| s.measurement.quantity as f64).sum();
	let duration: f64 = seen.iter().map(|s| (s.measurement.end - s.measurement.start) as f64).sum();
	(duration > 0.0).then(|| quantity / duration * 3_600_000.0)
}

fn statistics(audit: &mut Audit, model_of: &BTreeMap<MeterId, ModelId>, args: &AuditArgs) {
	let mut found = Vec::new();
	// Sequence gaps: frames that never arrived, one finding per meter.
	for (meter, gaps) in &audit.gaps {
		let missing: u64 = gaps.iter().map(|(_, before, next)| next - before - 1).sum();
		let sent = audit.measurements.get(meter).map_or(0, Vec::len) as u64;
		let (block, before, next) = gaps[0];
		found.push((
			Class::Anomaly,
			"sequence-gap",
			*meter,
			Some(block),
			format!(
				"{missing} frames never arrived ({:.1} % of {}), in {} gaps; the first between \
			 sequences {before} and {next}",
				100.0 * missing as f64 / (missing + sent) as f64,
				missing + sent,
				gaps.len()
			),
		));
	}
	// Implausible profiles: power beyond what the kind of supply delivers; flat runs.
	for (meter, seen) in &audit.measurements {
		let model = model_of.get(meter).and_then(|m| audit.models.get(m)).and_then(|m| m.as_ref());
		if let Some(ModelInfo { unit, .. }) = model {
			let ceiling = ceiling_per_hour(*unit);
			let over: Vec<&Seen> = seen
				.iter()
				.filter(|s| {
					let hours = (s.measurement.end - s.measurement.start) as f64 / 3_600_000.0;
					hours > 0.0 && s.measurement.quantity as f64 / hours > ceiling
				})
				.collect();
			if let Some(first) = over.first() {
				found.push((
					Class::Anomaly,
					"implausible-power",
					*meter,
					Some(first.block),
					format!(
						"{} measurements at a rate above {} {}/h, the most a supply of the kind \
					 delivers (first: measurement {})",
						over.len(),
						ceiling / 1000.0,
						unit.symbol(),
						first.index
					),
				));
			}
		}
		// Equal small quantities are the register's resolution, not a flat load: only
		// quantities of at least 1,000 register steps, where a real load's noise of a
		// fraction of a percent shows, count.
		let step = model.map_or(1, |m| u128::from(m.resolution));
		let quantities: Vec<u128> = seen
			.iter()
			.map(
				|s| if s.measurement.quantity >= 1_000 * step { s.measurement.quantity } else { 0 },
			)
			.collect();
		let (run, at) = longest_flat_run(&quantities);
		if run >= args.flat_run {
			found.push((
				Class::Anomaly,
				"flat-profile",
				*meter,
				Some(seen[at].block),
				format!(
				"{run} consecutive measurements of exactly {} from measurement {}: no real load \
				 is that constant",
				quantities[at], seen[at].index
			),
			));
		}
	}
	// Programs: a meter whose program changed within the range; a meter computed by a
	// program that few meters of its model use (an odd binding to look at).
	let mut programs: BTreeMap<ModelId, BTreeMap<ProgramHash, BTreeSet<MeterId>>> = BTreeMap::new();
	for (meter, seen) in &audit.measurements {
		for pair in seen.windows(2) {
			if pair[0].measurement.program != pair[1].measurement.program {
				let rate = |s: &[Seen]| mean_power(s).unwrap_or(0.0);
				let at = seen.iter().position(|s| s.index == pair[1].index).unwrap_or(0);
				found.push((
					Class::Anomaly,
					"program-switch",
					*meter,
					Some(pair[1].block),
					format!(
						"from measurement {} on computed by program {} instead of {}; mean rate \
					 {:.0} before, {:.0} after (thousandths/h)",
						pair[1].index,
						hex(pair[1].measurement.program.as_bytes()),
						hex(pair[0].measurement.program.as_bytes()),
						rate(&seen[..at]),
						rate(&seen[at..])
					),
				));
			}
		}
		if let (Some(model), Some(last)) = (model_of.get(meter), seen.last()) {
			programs
				.entry(*model)
				.or_default()
				.entry(last.measurement.program)
				.or_default()
				.insert(*meter);
		}
	}
	for (model, by_program) in &programs {
		let n: usize = by_program.values().map(BTreeSet::len).sum();
		let Some((majority, most)) = by_program.iter().max_by_key(|(_, m)| m.len()) else {
			continue;
		};
		if n < 8 {
			continue;
		}
		for (program, meters) in by_program {
			if program != majority && meters.len() * 10 < n {
				for meter in meters {
					found.push((
						Class::Anomaly,
						"program-minority",
						*meter,
						None,
						format!(
						"computed by program {}, which {} of the {n} meters of model {model} use; \
						 {} of them use {}",
						hex(program.as_bytes()),
						meters.len(),
						most.len(),
						hex(majority.as_bytes())
					),
					));
				}
			}
		}
	}
	// Peers: mean power against the meter's model, robust z-score of its logarithm
	// (consumption spreads multiplicatively: households differ by factors, not amounts).
	// At least 8 peers.
	// Only meters with an hour of measurements take part (over minutes, one appliance
	// switched on decides a household's level), and a supply point counts once (check
	// meters measure the same supply as the meter they check).
	let checks: BTreeSet<MeterId> = audit.pairs.values().map(|p| p.check).collect();
	let mut by_model: BTreeMap<ModelId, Vec<(MeterId, f64)>> = BTreeMap::new();
	for (meter, seen) in &audit.measurements {
		let span = match (seen.first(), seen.last()) {
			(Some(first), Some(last)) => {
				last.measurement.end.saturating_sub(first.measurement.start)
			}
			_ => 0,
		};
		if span < 3_600_000 || checks.contains(meter) {
			continue;
		}
		if let (Some(model), Some(power)) = (model_of.get(meter), mean_power(seen)) {
			by_model.entry(*model).or_default().push((*meter, power));
		}
	}
	audit.peers_compared = by_model.values().filter(|p| p.len() >= 8).map(Vec::len).sum();
	for (model, peers) in &by_model {
		if peers.len() < 8 {
			continue;
		}
		let powers: Vec<f64> = peers.iter().map(|p| p.1.max(1.0).ln()).collect();
		if let Some(z) = robust_z(&powers) {
			for ((meter, power), z) in peers.iter().zip(z) {
				if z.abs() > args.outlier_z {
					found.push((
						Class::Anomaly,
						"peer-outlier",
						*meter,
						None,
						format!(
						"mean rate {:.0} (thousandths/h) is {z:+.1} robust standard deviations \
						 (of the logarithm) from the {} meters of model {model}",
						power,
						peers.len()
					),
					));
				}
			}
		}
	}
	// The fleet-level counter-proof: the ratio meter/check over every pair's compared
	// windows. One pair's bias is a meter to inspect; a bias shared by the fleet is a
	// systematic error (a model, a program) the individual comparisons may all allow.
	let ratios: Vec<f64> = audit
		.pairs
		.values()
		.filter(|p| p.counter > 0)
		.map(|p| p.measured as f64 / p.counter as f64 - 1.0)
		.collect();
	if ratios.len() >= 3 {
		let n = ratios.len() as f64;
		let mean = ratios.iter().sum::<f64>() / n;
		let sd = (ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
		let t = if sd > 0.0 { mean / (sd / n.sqrt()) } else { 0.0 };
		if t.abs() > 3.0 && mean.abs() > 0.005 {
			found.push((
				Class::Anomaly,
				"fleet-bias",
				0,
				None,
				format!(
				"over {} check-meter pairs the meters read {:+.2} % against their check meters \
				 (t = {t:.1}): a systematic error",
				ratios.len(),
				mean * 100.0
			),
			));
		}
	}
	for (class, kind, meter, block, detail) in found {
		let meter = (kind != "fleet-bias").then_some(meter);
		audit.find(class, kind, meter, block, detail);
	}
}

/// Recomputes every invoice issued in the range: consumption from the registers, band
/// quantities from the measurements (when the audit saw them all), charges from the
/// tariff.
fn check_invoices(client: &mut Client, audit: &mut Audit) -> Result<()> {
	let invoices = std::mem::take(&mut audit.invoices);
	for (id, at, number) in &invoices {
		let view: Option<pallet_billing::InvoiceViewOf<Runtime>> =
			patiently(client, |c| c.runtime_call_at("BillingApi_invoice", *id, at))?;
		let Some(view) = view else {
			audit.find(
				Class::Integrity,
				"invoice-missing",
				None,
				Some(*number),
				format!("invoice {id} was issued but the chain does not have it"),
			);
			continue;
		};
		let invoice = view.invoice;
		let meter = Some(invoice.meter);
		let contract: Option<pallet_billing::ContractOf<Runtime>> =
			patiently(client, |c| c.runtime_call_at("BillingApi_contract", invoice.contract, at))?;
		let tariff: Option<pallet_billing::TariffOf<Runtime>> =
			patiently(client, |c| c.runtime_call_at("BillingApi_tariff", invoice.tariff, at))?;
		let period: u64 =
			patiently(client, |c| c.runtime_call_at("BillingApi_billing_period", (), at))?;
		let (Some(contract), Some(tariff)) = (contract, tariff) else {
			audit.find(
				Class::Integrity,
				"invoice-unverifiable",
				meter,
				Some(*number),
				format!("invoice {id}: its contract or tariff is missing"),
			);
			continue;
		};
		let mut problems = Vec::new();
		let total: u128 = invoice.quantities.iter().sum();
		if invoice.register_to.checked_sub(invoice.register_from) != Some(total) {
			problems.push(format!(
				"its band quantities add up to {total}, its registers differ by {}",
				invoice.register_to as i128 - invoice.register_from as i128
			));
		}
		let energy: Option<u128> = invoice
			.quantities
			.iter()
			.zip(tariff.bands.iter())
			.map(|(q, b)| band_charge(*q, b.price))
			.sum();
		if energy != Some(invoice.energy) {
			problems.push(format!("energy {} where the tariff gives {energy:?}", invoice.energy));
		}
		let standing = standing_charge(tariff.standing_charge, invoice.to - invoice.from, period);
		if standing != Some(invoice.standing) {
			problems.push(format!(
				"standing charge {} where the tariff gives {standing:?}",
				invoice.standing
			));
		}
		if invoice.energy.checked_add(invoice.standing) != Some(invoice.amount) {
			problems.push(format!("amount {} ≠ energy + standing", invoice.amount));
		}
		// Band by band from the measurements, when the audit saw every one of them.
		let mut complete = false;
		if let (Some(first), Some(last)) = (invoice.first, invoice.last) {
			let seen: Vec<&Seen> = audit
				.measurements
				.get(&invoice.meter)
				.map(|s| s.iter().filter(|s| s.index >= first && s.index <= last).collect())
				.unwrap_or_default();
			if seen.len() as u64 == last - first + 1 {
				complete = true;
				let mut bands = vec![0u128; tariff.bands.len()];
				for s in &seen {
					bands[band_of(&tariff.bands, s.measurement.start, contract.utc_offset)] +=
						s.measurement.quantity;
				}
				if bands.as_slice() != invoice.quantities.as_slice() {
					problems.push(format!(
						"band quantities {:?}, the measurements give {bands:?}",
						invoice.quantities.as_slice()
					));
				}
				if seen.len() as u32 != invoice.measurements {
					problems.push(format!(
						"{} measurements counted, {} exist",
						invoice.measurements,
						seen.len()
					));
				}
			}
		} else if total != 0 {
			problems.push(format!("no measurements, yet {total} billed"));
		} else {
			complete = true;
		}
		if complete {
			audit.invoices_checked += 1;
		} else {
			audit.invoices_partly += 1;
		}
		for problem in problems {
			audit.find(
				Class::Integrity,
				"invoice-mismatch",
				meter,
				Some(*number),
				format!("invoice {id}: {problem}"),
			);
		}
	}
	audit.invoices = invoices;
	Ok(())
}

fn summarise(
	audit: &Audit,
	url: &str,
	from: u32,
	last: u32,
	to: u32,
	stopped: &Option<(u32, String)>,
	end_time: u64,
) -> Value {
	let flagged: BTreeSet<MeterId> = audit.findings.iter().filter_map(|f| f.meter).collect();
	let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
	for f in &audit.findings {
		*kinds.entry(f.kind).or_default() += 1;
	}
	json!({
		"node": url,
		"from": from,
		"to": last,
		"requestedTo": to,
		"complete": stopped.is_none(),
		"stoppedAt": stopped.as_ref().map(|(n, _)| n),
		"stopReason": stopped.as_ref().map(|(_, r)| r),
		"lastBlockTime": (end_time > 0).then(|| utc(end_time)),
		"blocks": audit.blocks,
		"frames": audit.frames,
		"framesReverified": audit.verified,
		"meters": audit.measurements.len(),
		"measurements": audit.measurements.values().map(Vec::len).sum::<usize>(),
		"invoicesRecomputed": audit.invoices_checked,
		"invoicesRecomputedInPart": audit.invoices_partly,
		"metersComparedWithPeers": audit.peers_compared,
		"indexerMetersChecked": audit.indexer_checked,
		"integrityFindings": audit.findings.iter().filter(|f| f.class == Class::Integrity).count(),
		"anomalies": audit.findings.iter().filter(|f| f.class == Class::Anomaly).count(),
		"findingsByKind": kinds,
		"flaggedMeters": flagged,
		"counterProof": audit.pairs.iter().map(|(meter, p)| json!({
			"meter": meter, "check": p.check, "windows": p.windows,
			"discrepancies": p.discrepancies,
			"measured": p.measured.to_string(), "counter": p.counter.to_string(),
			"ratio": (p.counter > 0).then(|| p.measured as f64 / p.counter as f64),
		})).collect::<Vec<_>>(),
		"findings": audit.findings.iter().map(Finding::json).collect::<Vec<_>>(),
	})
}

fn escape(text: &str) -> String {
	text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A line plot of a meter's rate per measurement over time, as inline SVG.
fn meter_plot(seen: &[Seen], marks: &BTreeSet<u32>) -> String {
	let (w, h, pad) = (640.0, 160.0, 30.0);
	let points: Vec<(f64, f64, u32)> = seen
		.iter()
		.filter(|s| s.measurement.end > s.measurement.start)
		.map(|s| {
			let hours = (s.measurement.end - s.measurement.start) as f64 / 3_600_000.0;
			(s.measurement.start as f64, s.measurement.quantity as f64 / 1000.0 / hours, s.block)
		})
		.collect();
	if points.is_empty() {
		return String::new();
	}
	let (x0, x1) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
	let y1 = points.iter().fold(0.0f64, |m, p| m.max(p.1)).max(1e-9);
	let x = |v: f64| pad + (v - x0) / (x1 - x0).max(1.0) * (w - 2.0 * pad);
	let y = |v: f64| h - pad - v / y1 * (h - 2.0 * pad);
	let line: Vec<String> = points.iter().map(|p| format!("{:.1},{:.1}", x(p.0), y(p.1))).collect();
	let dots: String = points
		.iter()
		.filter(|p| marks.contains(&p.2))
		.map(|p| {
			format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#c0392b\"/>", x(p.0), y(p.1))
		})
		.collect();
	format!(
		"<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\">\
		 <rect width=\"{w}\" height=\"{h}\" fill=\"#fafafa\"/>\
		 <polyline fill=\"none\" stroke=\"#2c6fbb\" stroke-width=\"1.5\" points=\"{}\"/>{dots}\
		 <text x=\"{pad}\" y=\"14\" font-size=\"11\">rate per measurement, units/h (max {y1:.3}); red: blocks with findings</text>\
		 <text x=\"{pad}\" y=\"{}\" font-size=\"10\">{}</text>\
		 <text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text></svg>",
		line.join(" "),
		h - 8.0,
		utc(x0 as u64),
		w - pad,
		h - 8.0,
		utc(x1 as u64)
	)
}

/// Mean rate of every meter, by model, with the flagged ones in red.
fn fleet_plot(audit: &Audit, flagged: &BTreeSet<MeterId>) -> String {
	let rates: Vec<(MeterId, f64)> = audit
		.measurements
		.iter()
		.filter_map(|(m, s)| mean_power(s).map(|p| (*m, p / 1000.0)))
		.collect();
	if rates.is_empty() {
		return String::new();
	}
	let (w, h, pad) = (640.0, 140.0, 30.0);
	let max = rates.iter().fold(0.0f64, |m, r| m.max(r.1)).max(1e-9);
	let dots: String = rates
		.iter()
		.enumerate()
		.map(|(i, (meter, rate))| {
			let jitter = (i % 7) as f64 * 8.0;
			format!(
				"<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"><title>meter {meter}: {rate:.3}/h</title></circle>",
				pad + rate / max * (w - 2.0 * pad),
				h / 2.0 - 24.0 + jitter,
				if flagged.contains(meter) { "#c0392b" } else { "#2c6fbb" }
			)
		})
		.collect();
	format!(
		"<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\">\
		 <rect width=\"{w}\" height=\"{h}\" fill=\"#fafafa\"/>{dots}\
		 <text x=\"{pad}\" y=\"14\" font-size=\"11\">mean rate of each meter (units/h, 0 … {max:.3}); red: flagged</text></svg>"
	)
}

fn report_html(audit: &Audit, summary: &Value) -> String {
	let flagged: BTreeSet<MeterId> = audit.findings.iter().filter_map(|f| f.meter).collect();
	let mut html = String::from(
		"<!doctype html><html><head><meta charset=\"utf-8\"><title>Mensura audit</title>\
		 <style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}\
		 table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}\
		 .integrity{color:#c0392b}.anomaly{color:#b9770e}.ok{color:#1e8449}</style></head><body>",
	);
	let complete = summary["complete"].as_bool().unwrap_or(false);
	html += &format!(
		"<h1>Mensura audit, blocks {} … {}</h1><p>Node {}. {}</p>",
		summary["from"],
		summary["to"],
		escape(summary["node"].as_str().unwrap_or_default()),
		if complete {
			"The audit covered the whole range.".to_string()
		} else {
			format!(
				"<b class=\"integrity\">INCOMPLETE: stopped at block {} ({})</b>",
				summary["stoppedAt"],
				escape(summary["stopReason"].as_str().unwrap_or_default())
			)
		}
	);
	html += "<table>";
	for (label, key) in [
		("blocks", "blocks"),
		("frames", "frames"),
		("frames re-verified (signature, binding, quantity)", "framesReverified"),
		("meters measured", "meters"),
		("invoices recomputed", "invoicesRecomputed"),
		("invoices recomputed in part (measurements before the range)", "invoicesRecomputedInPart"),
		(
			"meters compared with their model's peers (an hour of data, 8 peers)",
			"metersComparedWithPeers",
		),
		("integrity findings", "integrityFindings"),
		("anomalies", "anomalies"),
	] {
		html += &format!("<tr><th>{label}</th><td>{}</td></tr>", summary[key]);
	}
	html += "</table>";
	if audit.findings.is_empty() {
		html +=
			"<p class=\"ok\">No findings: every frame verifies, every register, hash chain and \
		         invoice agrees, and no statistic stands out.</p>";
	} else {
		html += "<h2>Findings</h2><table><tr><th>class</th><th>kind</th><th>meter</th><th>block</th><th>detail</th></tr>";
		for f in &audit.findings {
			let class = match f.class {
				Class::Integrity => "integrity",
				Class::Anomaly => "anomaly",
			};
			html += &format!(
				"<tr class=\"{class}\"><td>{class}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
				f.kind,
				f.meter.map(|m| m.to_string()).unwrap_or_default(),
				f.block.map(|b| b.to_string()).unwrap_or_default(),
				escape(&f.detail)
			);
		}
		html += "</table>";
	}
	html += "<h2>The fleet</h2>";
	html += &fleet_plot(audit, &flagged);
	if !audit.pairs.is_empty() {
		html +=
			"<h2>Counter-proof (check meters)</h2><table><tr><th>meter</th><th>check meter</th>\
		         <th>windows</th><th>discrepancies</th><th>meter ÷ check</th></tr>";
		for (meter, p) in &audit.pairs {
			let ratio = if p.counter > 0 {
				format!("{:.4}", p.measured as f64 / p.counter as f64)
			} else {
				"—".into()
			};
			html += &format!(
				"<tr><td>{meter}</td><td>{}</td><td>{}</td><td>{}</td><td>{ratio}</td></tr>",
				p.check, p.windows, p.discrepancies
			);
		}
		html += "</table>";
	}
	html += "<h2>Flagged meters</h2>";
	for meter in flagged.iter().take(50) {
		let marks: BTreeSet<u32> = audit
			.findings
			.iter()
			.filter(|f| f.meter == Some(*meter))
			.filter_map(|f| f.block)
			.collect();
		html += &format!("<h3>Meter {meter}</h3><ul>");
		for f in audit.findings.iter().filter(|f| f.meter == Some(*meter)).take(10) {
			html += &format!("<li>{}: {}</li>", f.kind, escape(&f.detail));
		}
		html += "</ul>";
		if let Some(seen) = audit.measurements.get(meter) {
			html += &meter_plot(seen, &marks);
		}
	}
	if flagged.is_empty() {
		html += "<p>None.</p>";
	}
	html += "</body></html>\n";
	html
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
