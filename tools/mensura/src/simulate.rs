//! `mensura simulate`: a fleet of simulated electricity meters. Each meter has a
//! household load profile (a time-of-day curve, a base load, appliances switching on and
//! off, measurement noise and the odd current spike) and a mains voltage with drift and
//! noise; every `1/rate` seconds it samples both over the interval just ended, signs the
//! frame with its device key and sends it, alone or in gateway batches. Meters the chain
//! does not know yet are provisioned, verified and bound to the LR program first.
//!
//! While it runs, a progress line counts frames sent, accepted by the pool, refused and
//! measured (stored in a block). At the end, a summary compares each meter's register
//! with what the same LR program computes locally from the frames that were sent.

use crate::{
	client::{hex, Client},
	frames::{self, ChainContext},
	keys::MeterKey,
	query::milli,
	time::{now_ms, parse_duration},
	Error, Result,
};
use clap::Args;
use mensura_primitives::{
	metering::{MeterId, ProgramHash},
	readings::{lr, FrameRejection, SignedFrame},
};
use mensura_rpc::{MeterInfo, MeterPage};
use mensura_runtime::RuntimeCall;
use serde_json::json;
use sp_core::{sr25519, Pair as _};
use std::{
	collections::BTreeMap,
	io::{IsTerminal, Write},
	time::{Duration, Instant},
};

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
	/// How long to wait, after the last frame, for accepted frames to become measurements.
	#[arg(long, default_value = "60s")]
	settle: String,
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
	/// The account (secret URI) that registers the check meter in the scenario.
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

/// SplitMix64: small, fast, and the same sequence on every machine.
pub(crate) struct Random(pub(crate) u64);

impl Random {
	pub(crate) fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}

	/// Uniform in [0, 1).
	pub(crate) fn unit(&mut self) -> f64 {
		(self.next() >> 11) as f64 / (1u64 << 53) as f64
	}

	/// Roughly normal, mean 0 and standard deviation 1 (sum of 12 uniforms).
	pub(crate) fn normal(&mut self) -> f64 {
		(0..12).map(|_| self.unit()).sum::<f64>() - 6.0
	}
}

/// Appliances a household switches on: (current in A, mean frames it stays on).
const APPLIANCES: [(f64, f64); 4] = [(8.7, 4.0), (10.0, 20.0), (2.1, 30.0), (0.8, 60.0)];

/// One simulated household supply.
pub(crate) struct LoadProfile {
	random: Random,
	/// Always-on load, A.
	base: f64,
	/// Appliances that are on: (current, frames left).
	running: Vec<(f64, u32)>,
	/// Slow mains-voltage drift, as a phase.
	drift: f64,
}

impl LoadProfile {
	pub(crate) fn new(seed: u64, meter: u64) -> Self {
		let mut random = Random(seed ^ meter.wrapping_mul(0xA24B_AED4_963E_E407));
		let base = 0.2 + 1.3 * random.unit();
		let drift = random.unit() * std::f64::consts::TAU;
		LoadProfile { random, base, running: Vec::new(), drift }
	}

	/// A household's typical shape over the day: low at night, peaks in the morning and
	/// the evening.
	fn time_of_day(ms: u64) -> f64 {
		let hour = (ms / 1000 % 86_400) as f64 / 3600.0;
		let bump = |centre: f64, width: f64| (-((hour - centre) / width).powi(2)).exp();
		0.5 + 0.8 * bump(7.5, 1.5) + 1.1 * bump(19.5, 2.5) + 0.3 * bump(13.0, 2.0)
	}

	/// The two channels of one frame of the interval starting at `start`: voltage in mV,
	/// current in mA.
	/// Measurement noise of another instrument: roughly normal, standard deviation 1.
	fn noise(&mut self) -> f64 {
		self.random.normal()
	}

	pub(crate) fn frame(&mut self, start: u64, samples: usize) -> Vec<Vec<i32>> {
		// Appliances switch on at a random sample of the frame and run for a while.
		let mut switch_on = None;
		if self.random.unit() < 0.08 {
			let (amps, mean) = APPLIANCES[(self.random.next() % APPLIANCES.len() as u64) as usize];
			let frames = 1 + (self.random.unit() * 2.0 * mean) as u32;
			switch_on = Some(((self.random.next() % samples as u64) as usize, amps, frames));
		}
		let running: f64 = self.running.iter().map(|(amps, _)| amps).sum();
		let load = self.base * Self::time_of_day(start) + running;
		self.drift += 0.01;
		let volts = 230.0 * (1.0 + 0.015 * self.drift.sin());
		let spike =
			(self.random.unit() < 0.02).then(|| (self.random.next() % samples as u64) as usize);

		let mut voltage = Vec::with_capacity(samples);
		let mut current = Vec::with_capacity(samples);
		for i in 0..samples {
			let extra = match switch_on {
				Some((at, amps, _)) if i >= at => amps,
				_ => 0.0,
			};
			let v = volts * (1.0 + 0.002 * self.random.normal());
			let mut a = (load + extra) * (1.0 + 0.01 * self.random.normal());
			if spike == Some(i) {
				a = 90.0; // a switching transient the LR program's median filter removes
			}
			voltage.push((v * 1000.0).round() as i32);
			current.push((a.max(0.0) * 1000.0).round() as i32);
		}
		self.running.retain_mut(|(_, left)| {
			*left = left.saturating_sub(1);
			*left > 0
		});
		if let Some((_, amps, frames)) = switch_on {
			self.running.push((amps, frames));
		}
		vec![voltage, current]
	}
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
	initial_register: u128,
	initial_measurements: u64,
	sent: u64,
	accepted: u64,
	refused: BTreeMap<&'static str, u64>,
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
			last_end: info.last_end,
			unit: info.unit.clone().unwrap_or_default(),
			initial_register: register,
			initial_measurements: info.measurements,
			sent: 0,
			accepted: 0,
			refused: BTreeMap::new(),
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

fn account_pair(uri: &str, role: &str) -> Result<sr25519::Pair> {
	sr25519::Pair::from_string(uri, None)
		.map_err(|e| Error::usage(format!("--{role} {uri}: not a usable secret URI ({e:?})")))
}

fn address(pair: &sr25519::Pair) -> String {
	use sp_core::crypto::Ss58Codec;
	pair.public().to_ss58check_with_version(mensura_primitives::SS58_PREFIX.into())
}

/// Signs and submits `calls` from `signer` with consecutive nonces.
fn send_signed(
	client: &mut Client,
	chain: &ChainContext,
	signer: &sr25519::Pair,
	calls: Vec<RuntimeCall>,
	role: &str,
) -> Result<()> {
	let mut nonce = client.next_nonce(&address(signer))?;
	for call in calls {
		let extrinsic = frames::signed_transaction(call, signer, nonce, chain);
		client.submit(&extrinsic)?.map_err(|error| {
			Error::node(format!(
				"the pool refused a transaction from the {role} ({}): {error}",
				address(signer)
			))
		})?;
		nonce += 1;
	}
	Ok(())
}

/// Polls `check` every half second until it returns `Some`, or fails with `timeout_message`.
fn poll<T>(
	timeout: Duration,
	timeout_message: impl Fn() -> String,
	mut check: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
	let started = Instant::now();
	loop {
		if let Some(value) = check()? {
			return Ok(value);
		}
		if started.elapsed() > timeout {
			return Err(Error::failure(timeout_message()));
		}
		std::thread::sleep(Duration::from_millis(500));
	}
}

/// Every meter with an id in `ids`, in one or a few `mensura_meters` calls.
fn fetch_meters(client: &mut Client, ids: &[MeterId]) -> Result<BTreeMap<MeterId, MeterInfo>> {
	let (Some(&low), Some(&high)) = (ids.iter().min(), ids.iter().max()) else {
		return Ok(BTreeMap::new());
	};
	let mut found = BTreeMap::new();
	let mut from = low;
	while from <= high {
		let limit = (high - from + 1).min(1000);
		let page: MeterPage = client.call_as("mensura_meters", json!([from, limit]))?;
		for meter in page.meters {
			if ids.contains(&meter.id) {
				found.insert(meter.id, meter);
			}
		}
		match page.next {
			Some(next) => from = next,
			None => break,
		}
	}
	Ok(found)
}

/// Waits until each meter's last sequence reaches the highest accepted one.
pub fn wait_until_measured(
	client: &mut Client,
	accepted: &[(MeterId, u64)],
	timeout: Duration,
) -> Result<()> {
	let mut highest: BTreeMap<MeterId, u64> = BTreeMap::new();
	for &(meter, sequence) in accepted {
		let entry = highest.entry(meter).or_default();
		*entry = (*entry).max(sequence);
	}
	let ids: Vec<_> = highest.keys().copied().collect();
	poll(
		timeout,
		|| format!("accepted frames did not become measurements within {}s", timeout.as_secs()),
		|| {
			let meters = fetch_meters(client, &ids)?;
			Ok(highest
				.iter()
				.all(|(id, &sequence)| {
					meters
						.get(id)
						.and_then(|m| m.last_sequence)
						.is_some_and(|last| last >= sequence)
				})
				.then_some(()))
		},
	)
}

fn program_hash(text: &str) -> Result<ProgramHash> {
	crate::client::unhex(text)
		.ok()
		.filter(|b| b.len() == 32)
		.map(|b| ProgramHash::from_slice(&b))
		.ok_or_else(|| {
			Error::usage(format!("--program {text}: expected a 32-byte hash (0x + 64 hex digits)"))
		})
}

/// Finds the fleet's meters on chain and registers the missing ones.
fn prepare_fleet(
	client: &mut Client,
	args: &SimulateArgs,
	chain: &ChainContext,
) -> Result<Vec<SimMeter>> {
	let keys: Vec<(String, MeterKey)> = (1..=args.meters)
		.map(|i| {
			let uri = format!("{}{i}", args.key_prefix);
			MeterKey::from_uri(crate::keys::Scheme::Sr25519, &uri).map(|key| (uri, key))
		})
		.collect::<Result<_>>()?;
	let lookup = |client: &mut Client, key: &MeterKey| -> Result<Option<MeterId>> {
		client.runtime_call("MetersApi_meter_by_device_key", key.device_key())
	};
	let mut ids: Vec<Option<MeterId>> =
		keys.iter().map(|(_, key)| lookup(client, key)).collect::<Result<_>>()?;

	let missing: Vec<usize> = (0..keys.len()).filter(|&i| ids[i].is_none()).collect();
	if !missing.is_empty() {
		if args.no_register {
			return Err(Error::input(format!(
				"no meter on chain has the key {} (and {} more); drop --no-register to register them",
				keys[missing[0]].0,
				missing.len() - 1
			)));
		}
		let program = match &args.program {
			Some(text) => program_hash(text)?,
			None => crate::query::meter(client, 0)?
				.lr_program
				.map(|p| p.hash)
				.ok_or_else(|| Error::input("meter 0 has no LR program to copy: pass --program"))?,
		};
		let manufacturer = account_pair(&args.manufacturer, "manufacturer")?;
		let body = account_pair(&args.notified_body, "notified-body")?;
		say(
			args,
			&format!(
				"registering {} meters: provisioning as {}",
				missing.len(),
				address(&manufacturer)
			),
		);
		let provisions = missing
			.iter()
			.map(|&i| {
				let key = &keys[i].1;
				RuntimeCall::Meters(pallet_meters::Call::provision_meter {
					model: args.model,
					device_key: key.device_key(),
					serial: format!("SIM-{}", &hex(&key.public())[2..14]).into_bytes(),
				})
			})
			.collect();
		send_signed(client, chain, &manufacturer, provisions, "manufacturer")?;
		let new_ids = poll(
			Duration::from_secs(90),
			|| {
				format!(
					"the provisioned meters did not appear within 90 s: is {} the manufacturer of \
					 model {} (--manufacturer, --model)?",
					args.manufacturer, args.model
				)
			},
			|| {
				let found: Vec<Option<MeterId>> =
					missing.iter().map(|&i| lookup(client, &keys[i].1)).collect::<Result<_>>()?;
				Ok(found
					.iter()
					.all(Option::is_some)
					.then(|| found.into_iter().flatten().collect::<Vec<_>>()))
			},
		)?;
		say(
			args,
			&format!("verifying and binding them to program {program:?} as {}", address(&body)),
		);
		let mut calls = Vec::new();
		for (&i, &id) in missing.iter().zip(&new_ids) {
			ids[i] = Some(id);
			calls.push(RuntimeCall::Meters(pallet_meters::Call::verify_meter {
				meter: id,
				supply_point: format!("SP-SIM-{}", &hex(&keys[i].1.public())[2..14]).into_bytes(),
			}));
			calls.push(RuntimeCall::LrPrograms(pallet_lr_programs::Call::bind_meter {
				meter: id,
				program,
			}));
		}
		send_signed(client, chain, &body, calls, "notified body")?;
		poll(
			Duration::from_secs(90),
			|| {
				format!(
					"the new meters were not verified and bound within 90 s: is {} a notified \
					 body, and is the program approved?",
					args.notified_body
				)
			},
			|| {
				let meters = fetch_meters(client, &new_ids)?;
				Ok(new_ids
					.iter()
					.all(|id| {
						meters
							.get(id)
							.is_some_and(|m| m.status == "Active" && m.lr_program.is_some())
					})
					.then_some(()))
			},
		)?;
	}

	let ids: Vec<MeterId> = ids.into_iter().flatten().collect();
	let infos = fetch_meters(client, &ids)?;
	let mut programs: BTreeMap<ProgramHash, lr::Program> = BTreeMap::new();
	let mut fleet = Vec::new();
	for ((uri, key), id) in keys.into_iter().zip(ids) {
		let info = infos.get(&id).ok_or_else(|| Error::node(format!("meter {id} vanished")))?;
		if info.status != "Active" {
			return Err(Error::input(format!(
				"meter {id} (key {uri}) is {}: only active meters measure",
				info.status
			)));
		}
		let hash = info.lr_program.as_ref().map(|p| p.hash).ok_or_else(|| {
			Error::input(format!("meter {id} (key {uri}) has no LR program bound"))
		})?;
		if !programs.contains_key(&hash) {
			let found: Option<(
				ProgramHash,
				pallet_lr_programs::ProgramRecordOf<mensura_runtime::Runtime>,
			)> = client.runtime_call("LrProgramsApi_program_of_meter", id)?;
			let (_, record) =
				found.ok_or_else(|| Error::node(format!("the program of meter {id} is gone")))?;
			let program = lr::Program::decode(&record.code).map_err(|e| {
				Error::node(format!("the program of meter {id} does not decode: {e:?}"))
			})?;
			if program.inputs != 2 {
				return Err(Error::input(format!(
					"meter {id}'s program takes {} channels; the simulator makes electricity \
					 frames (voltage and current)",
					program.inputs
				)));
			}
			programs.insert(hash, program);
		}
		let profile = LoadProfile::new(args.seed, id);
		fleet.push(SimMeter::new(id, uri, key, programs[&hash].clone(), profile, info));
	}
	Ok(fleet)
}

/// The storage key of `Surveillance::Surveilled(meter)`.
fn surveilled_key(meter: MeterId) -> Vec<u8> {
	use codec::Encode;
	use sp_io::hashing::{blake2_128, twox_128};
	let id = meter.encode();
	[&twox_128(b"Surveillance")[..], &twox_128(b"Surveilled"), &blake2_128(&id), &id].concat()
}

/// The program the scenario's fourth meter is bound to: the development electricity
/// program with its final scale 10 % low.
fn low_reading(program: &lr::Program) -> lr::Program {
	let mut variant = program.clone();
	for op in variant.ops.iter_mut() {
		if let lr::Op::Scale { numerator, denominator } = op {
			*numerator *= 9;
			*denominator *= 10;
		}
	}
	variant
}

/// Signs and sends `calls` as `role`, then waits up to 90 s for `done` to hold.
fn act(
	client: &mut Client,
	chain: &ChainContext,
	signer: &sr25519::Pair,
	calls: Vec<RuntimeCall>,
	role: &str,
	what: &str,
	mut done: impl FnMut(&mut Client) -> Result<bool>,
) -> Result<()> {
	send_signed(client, chain, signer, calls, role)?;
	poll(
		Duration::from_secs(90),
		|| format!("{what} did not happen within 90 s"),
		|| Ok(done(client)?.then_some(())),
	)
}

/// Sets up the tampering scenario on a prepared fleet: the check meter of the first
/// meter (provisioned, verified at its supply point, bound, registered as its
/// counter-proof), and the low-reading program bound to the fourth.
fn prepare_scenario(
	client: &mut Client,
	args: &SimulateArgs,
	chain: &ChainContext,
	fleet: &mut Vec<SimMeter>,
) -> Result<()> {
	if fleet.len() < 10 {
		return Err(Error::usage(
			"--scenario tampering needs --meters 10 or more (peers to compare)",
		));
	}
	let window = parse_duration(&args.window, "window")?.as_millis() as u64;
	if window < 60_000 {
		return Err(Error::usage(format!("--window {}: at least 60s", args.window)));
	}
	let manufacturer = account_pair(&args.manufacturer, "manufacturer")?;
	let body = account_pair(&args.notified_body, "notified-body")?;
	let surveillant = account_pair(&args.surveillant, "surveillant")?;
	let measurer = account_pair(&args.measurer, "measurer")?;
	let target = fleet[0].id;
	let info = crate::query::meter(client, target)?;
	let supply_point = info
		.supply_point
		.clone()
		.ok_or_else(|| Error::input(format!("meter {target} has no supply point")))?;
	let program = info
		.lr_program
		.as_ref()
		.map(|p| p.hash)
		.ok_or_else(|| Error::input(format!("meter {target} has no LR program")))?;

	// The check meter.
	let uri = format!("{}Check1", args.key_prefix);
	let key = MeterKey::from_uri(crate::keys::Scheme::Sr25519, &uri)?;
	let device_key = key.device_key();
	let lookup = move |client: &mut Client| -> Result<Option<MeterId>> {
		client.runtime_call("MetersApi_meter_by_device_key", device_key.clone())
	};
	if lookup(client)?.is_none() {
		say(args, &format!("provisioning the check meter of meter {target} ({uri})"));
		let provision = RuntimeCall::Meters(pallet_meters::Call::provision_meter {
			model: args.model,
			device_key: key.device_key(),
			serial: format!("SIM-CHECK-{}", &hex(&key.public())[2..14]).into_bytes(),
		});
		act(client, chain, &manufacturer, vec![provision], "manufacturer", "provisioning", |c| {
			Ok(lookup(c)?.is_some())
		})?;
	}
	let check = lookup(client)?.ok_or_else(|| Error::node("the check meter vanished"))?;
	let ready = |c: &mut Client| -> Result<bool> {
		let m = crate::query::meter(c, check)?;
		Ok(m.status == "Active" && m.lr_program.is_some())
	};
	if !ready(client)? {
		let calls = vec![
			RuntimeCall::Meters(pallet_meters::Call::verify_meter {
				meter: check,
				supply_point: supply_point.clone().into_bytes(),
			}),
			RuntimeCall::LrPrograms(pallet_lr_programs::Call::bind_meter { meter: check, program }),
		];
		act(client, chain, &body, calls, "notified body", "verifying the check meter", ready)?;
	}
	let paired = |c: &mut Client| -> Result<bool> {
		let at = c.call("chain_getBlockHash", json!([]))?;
		Ok(c.storage_at(&surveilled_key(target), at.as_str().unwrap_or_default())?.is_some())
	};
	if !paired(client)? {
		say(args, &format!("registering meter {check} as the check meter of meter {target}"));
		let register = RuntimeCall::Surveillance(pallet_surveillance::Call::register_check_meter {
			meter: target,
			check,
			window,
		});
		act(client, chain, &surveillant, vec![register], "surveillant", "the pairing", paired)?;
	}

	// The low-reading program, published, approved and bound to the fourth meter.
	let variant = low_reading(&fleet[3].program);
	let code =
		variant.encode().map_err(|e| Error::failure(format!("the variant program: {e:?}")))?;
	let hash = ProgramHash::from(sp_io::hashing::blake2_256(&code));
	let status = move |c: &mut Client| -> Result<Option<String>> {
		let found: Option<pallet_lr_programs::ProgramRecordOf<mensura_runtime::Runtime>> =
			c.runtime_call("LrProgramsApi_program", hash)?;
		Ok(found.map(|r| format!("{:?}", r.status)))
	};
	if status(client)?.is_none() {
		say(args, &format!("publishing the low-reading program {hash:?} as the measurer"));
		let publish = RuntimeCall::LrPrograms(pallet_lr_programs::Call::publish_program {
			code,
			version: b"1.0.0-sim-low".to_vec(),
		});
		act(client, chain, &measurer, vec![publish], "measurer", "publishing", |c| {
			Ok(status(c)?.is_some())
		})?;
	}
	if status(client)?.as_deref() != Some("Approved") {
		let approve =
			RuntimeCall::LrPrograms(pallet_lr_programs::Call::approve_program { program: hash });
		act(client, chain, &body, vec![approve], "notified body", "the approval", |c| {
			Ok(status(c)?.as_deref() == Some("Approved"))
		})?;
	}
	let forged = fleet[3].id;
	let bound = move |c: &mut Client| -> Result<bool> {
		Ok(crate::query::meter(c, forged)?.lr_program.map(|p| p.hash) == Some(hash))
	};
	if !bound(client)? {
		say(args, &format!("binding meter {forged} to it"));
		let bind = RuntimeCall::LrPrograms(pallet_lr_programs::Call::bind_meter {
			meter: forged,
			program: hash,
		});
		act(client, chain, &body, vec![bind], "notified body", "the binding", bound)?;
	}
	fleet[3].program = variant;

	// The check meter joins the fleet, after its target.
	let checked = crate::query::meter(client, check)?;
	let program = fleet[0].program.clone();
	let profile = LoadProfile::new(args.seed ^ 0xC4EC, check);
	let mut check_meter = SimMeter::new(check, uri, key, program, profile, &checked);
	check_meter.tamper = Tamper::Check { of: 0 };
	// Both start where the later of the two left off.
	check_meter.last_end = check_meter.last_end.max(fleet[0].last_end);
	fleet[0].last_end = check_meter.last_end;
	fleet.push(check_meter);
	fleet[0].tamper = Tamper::Scaled(1.03);
	fleet[1].tamper = Tamper::Drops(0.2);
	fleet[2].tamper = Tamper::Replays;
	fleet[3].tamper = Tamper::ForgedBinding;
	Ok(())
}

fn say(args: &SimulateArgs, text: &str) {
	if !args.quiet {
		eprintln!("{text}");
	}
}

/// The progress display: one line rewritten in place on a terminal, a line every five
/// seconds otherwise.
struct Progress {
	terminal: bool,
	quiet: bool,
	last_line: Option<Instant>,
}

impl Progress {
	fn show(
		&mut self,
		elapsed: Duration,
		duration: Duration,
		fleet: &[SimMeter],
		block: u64,
		done: bool,
	) {
		if self.quiet {
			return;
		}
		if !self.terminal
			&& !done && self.last_line.is_some_and(|t| t.elapsed() < Duration::from_secs(5))
		{
			return;
		}
		self.last_line = Some(Instant::now());
		let sum = |f: fn(&SimMeter) -> u64| fleet.iter().map(f).sum::<u64>();
		let line = format!(
			"[{:>5.1}s/{:.0}s] sent {}  accepted {}  refused {}  measured {}  block #{block}",
			elapsed.as_secs_f64(),
			duration.as_secs_f64(),
			sum(|m| m.sent),
			sum(|m| m.accepted),
			sum(|m| m.refused.values().sum()),
			sum(|m| m.measured),
		);
		let mut err = std::io::stderr();
		if self.terminal {
			let _ = write!(err, "\r\x1b[2K{line}");
			if done {
				let _ = writeln!(err);
			}
		} else {
			let _ = writeln!(err, "{line}");
		}
		let _ = err.flush();
	}
}

fn refresh(client: &mut Client, fleet: &mut [SimMeter]) -> Result<u64> {
	let ids: Vec<_> = fleet.iter().map(|m| m.id).collect();
	let infos = fetch_meters(client, &ids)?;
	for meter in fleet.iter_mut() {
		if let Some(info) = infos.get(&meter.id) {
			meter.measured = info.measurements.saturating_sub(meter.initial_measurements);
			meter.register = info.register.parse().unwrap_or(meter.register);
		}
	}
	client.best_number()
}

pub fn run(url: &str, args: SimulateArgs) -> Result<()> {
	let duration = parse_duration(&args.duration, "duration")?;
	let settle = parse_duration(&args.settle, "settle")?;
	if !(args.rate.is_finite() && args.rate > 0.0 && args.rate <= 100.0) {
		return Err(Error::usage(format!(
			"--rate {}: expected frames per second per meter, above 0 and at most 100",
			args.rate
		)));
	}
	let interval = ((1000.0 / args.rate).round() as u64).max(10);
	let mut client = Client::new(url)?;
	let genesis = client.genesis_hash()?;
	let (spec_version, transaction_version) = client.runtime_version()?;
	let chain = ChainContext { genesis, spec_version, transaction_version };
	let mut fleet = prepare_fleet(&mut client, &args, &chain)?;
	if args.scenario.is_some() {
		prepare_scenario(&mut client, &args, &chain, &mut fleet)?;
	}
	let ticks = duration.as_millis() as u64 / interval;
	let mut drops = Random(args.seed ^ 0xD409);
	say(
		&args,
		&format!(
			"simulating meters {} for {}s at {} frame(s)/s each, {} per transaction",
			fleet.iter().map(|m| m.id.to_string()).collect::<Vec<_>>().join(", "),
			duration.as_secs_f64(),
			args.rate,
			args.batch
		),
	);

	let mut progress =
		Progress { terminal: std::io::stderr().is_terminal(), quiet: args.quiet, last_line: None };
	let started = Instant::now();
	let origin = now_ms();
	let mut last_refresh = Instant::now();
	let mut block = client.best_number()?;
	let mut tick: u64 = 1;
	loop {
		let end = origin + tick * interval;
		if Duration::from_millis(tick * interval) > duration {
			break;
		}
		// A frame is made once its interval is over.
		let now = now_ms();
		if end > now {
			std::thread::sleep(Duration::from_millis(end - now));
		}
		let mut outgoing: Vec<(usize, SignedFrame<Vec<u8>>, u128)> = Vec::new();
		// The true load of each meter this tick, for its check meter.
		let mut truth: BTreeMap<usize, Vec<Vec<i32>>> = BTreeMap::new();
		for i in 0..fleet.len() {
			let start = fleet[i].last_end.max(end - interval);
			if start >= end {
				continue;
			}
			let mut channels = match fleet[i].tamper {
				// The same physical load through another instrument, with its own small
				// measurement noise.
				Tamper::Check { of } => match truth.get(&of) {
					Some(load) => {
						let profile = &mut fleet[i].profile;
						load.iter()
							.map(|channel| {
								channel
									.iter()
									.map(|s| {
										(*s as f64 * (1.0 + 0.001 * profile.noise())).round() as i32
									})
									.collect()
							})
							.collect()
					}
					None => continue,
				},
				_ => fleet[i].profile.frame(start, args.samples as usize),
			};
			truth.insert(i, channels.clone());
			let meter = &mut fleet[i];
			match meter.tamper {
				Tamper::Scaled(factor) => {
					for sample in channels[1].iter_mut() {
						*sample = (*sample as f64 * factor).round() as i32;
					}
				}
				Tamper::Drops(fraction) if drops.unit() < fraction => {
					meter.next_sequence += 1;
					meter.last_end = end;
					meter.dropped += 1;
					continue;
				}
				Tamper::Replays if tick == ticks / 2 => {
					// The first frame, long in a block: a replay the chain must refuse.
					if let Some(signed) = meter.first_signed.clone() {
						meter.replay_refusal =
							Some(match frames::submit(&mut client, &[signed])? {
								Ok(_) => "ACCEPTED".into(),
								Err(error) => frames::rejection(&error)
									.map(|r| r.name().to_string())
									.unwrap_or_else(|| frames::describe_refusal(&error)),
							});
					}
				}
				Tamper::Replays if tick == ticks / 2 + 1 => {
					if let Some(old) = meter.first_channels.clone() {
						channels = old;
						meter.replayed_samples_sequence = Some(meter.next_sequence);
					}
				}
				_ => {}
			}
			if meter.tamper == Tamper::Replays && meter.first_channels.is_none() {
				meter.first_channels = Some(channels.clone());
			}
			let frame =
				lr::Frame { meter: meter.id, sequence: meter.next_sequence, start, end, channels };

			let quantity = meter.program.execute(&frame).map_err(|e| {
				Error::failure(format!(
					"the LR program refuses a simulated frame of meter {}: {e:?}",
					meter.id
				))
			})?;
			let signed = frames::sign(&frame, &meter.key, &genesis)?;
			if meter.tamper == Tamper::Replays && meter.first_signed.is_none() {
				meter.first_signed = Some(signed.clone());
			}
			meter.next_sequence += 1;
			meter.last_end = end;
			meter.sent += 1;
			outgoing.push((i, signed, quantity as u128));
		}
		for chunk in outgoing.chunks(args.batch as usize) {
			let signed: Vec<_> = chunk.iter().map(|(_, s, _)| s.clone()).collect();
			match frames::submit(&mut client, &signed)? {
				Ok(_) => {
					for (i, s, quantity) in chunk {
						let meter = &mut fleet[*i];
						meter.accepted += 1;
						meter.expected += quantity;
						meter.last_accepted_sequence =
							lr::Frame::decode(&s.frame).ok().map(|f| f.sequence);
					}
				}
				Err(error) => {
					let reason =
						frames::rejection(&error).map(FrameRejection::name).unwrap_or("other");
					for (i, _, _) in chunk {
						*fleet[*i].refused.entry(reason).or_default() += 1;
					}
					if reason == "other" {
						say(&args, &format!("\nrefused: {}", frames::describe_refusal(&error)));
					}
				}
			}
		}
		if last_refresh.elapsed() >= Duration::from_secs(1) {
			block = refresh(&mut client, &mut fleet)?;
			last_refresh = Instant::now();
		}
		progress.show(started.elapsed(), duration, &fleet, block, false);
		tick += 1;
	}

	// Let the accepted frames land.
	let settle_started = Instant::now();
	loop {
		block = refresh(&mut client, &mut fleet)?;
		let pending = fleet.iter().any(|m| m.measured < m.accepted);
		progress.show(started.elapsed(), duration, &fleet, block, !pending);
		if !pending || settle_started.elapsed() > settle {
			if pending {
				progress.show(started.elapsed(), duration, &fleet, block, true);
			}
			break;
		}
		std::thread::sleep(Duration::from_millis(500));
	}
	summarise(&args, &fleet, started.elapsed())
}

fn summarise(args: &SimulateArgs, fleet: &[SimMeter], elapsed: Duration) -> Result<()> {
	let mut problems = Vec::new();
	let mut rows = Vec::new();
	for m in fleet {
		let delta = m.register.saturating_sub(m.initial_register);
		let refused: u64 = m.refused.values().sum();
		let matches = m.measured == m.accepted && delta == m.expected;
		if refused > 0 {
			problems.push(format!("meter {}: {refused} frames refused ({:?})", m.id, m.refused));
		}
		if m.measured != m.accepted {
			problems.push(format!(
				"meter {}: {} frames accepted but {} measured",
				m.id, m.accepted, m.measured
			));
		} else if delta != m.expected {
			problems.push(format!(
				"meter {}: the register rose by {} but the LR program computes {} locally",
				m.id,
				milli(delta),
				milli(m.expected)
			));
		}
		rows.push(json!({
			"meter": m.id, "key": m.uri, "unit": m.unit, "sent": m.sent, "accepted": m.accepted,
			"refused": m.refused, "measured": m.measured,
			"registerBefore": m.initial_register.to_string(), "registerAfter": m.register.to_string(),
			"registerIncrease": delta.to_string(), "expectedIncrease": m.expected.to_string(),
			"lastSequence": m.last_accepted_sequence, "matches": matches,
		}));
	}
	// What the scenario injected, for `mensura audit` to find.
	let mut injected = Vec::new();
	let mut honest = Vec::new();
	for m in fleet {
		match m.tamper {
			Tamper::Honest => honest.push(m.id),
			Tamper::Check { of } => {
				injected.push(
					json!({"meter": fleet[of].id, "fault": "check meter", "checkMeter": m.id}),
				);
				honest.push(m.id);
			}
			Tamper::Scaled(factor) => {
				injected.push(json!({"meter": m.id, "fault": "scaled", "factor": factor}))
			}
			Tamper::Drops(fraction) => injected.push(json!({
				"meter": m.id, "fault": "drops frames", "fraction": fraction, "dropped": m.dropped,
			})),
			Tamper::Replays => {
				if m.replay_refusal.as_deref() == Some("ACCEPTED") {
					problems.push(format!("meter {}: a verbatim replay was accepted", m.id));
				}
				injected.push(json!({
					"meter": m.id, "fault": "replay",
					"verbatimReplayRefusedWith": m.replay_refusal,
					"replayedSamplesSequence": m.replayed_samples_sequence,
				}))
			}
			Tamper::ForgedBinding => injected.push(json!({
				"meter": m.id, "fault": "forged program binding",
				"program": hex(&sp_io::hashing::blake2_256(&m.program.encode().unwrap_or_default())),
			})),
		}
	}
	injected.retain(|f| f["fault"] != "check meter");
	let check_meters: Vec<_> = fleet
		.iter()
		.filter_map(|m| match m.tamper {
			Tamper::Check { of } => Some(json!({"meter": fleet[of].id, "check": m.id})),
			_ => None,
		})
		.collect();
	let total = |f: fn(&SimMeter) -> u64| fleet.iter().map(f).sum::<u64>();
	let (sent, accepted, measured) =
		(total(|m| m.sent), total(|m| m.accepted), total(|m| m.measured));
	let refused = total(|m| m.refused.values().sum());
	if args.json {
		let summary = json!({
			"meters": rows,
			"sent": sent, "accepted": accepted, "refused": refused, "measured": measured,
			"seconds": elapsed.as_secs_f64(),
			"ok": problems.is_empty(), "problems": problems,
		});
		let mut summary = summary;
		if args.scenario.is_some() {
			summary["scenario"] = json!({
				"name": args.scenario, "injected": injected, "checkMeters": check_meters,
				"honest": honest,
			});
		}
		println!("{}", serde_json::to_string_pretty(&summary).expect("JSON serialises"));
	} else {
		println!(
			"{:>5}  {:>6}  {:>8}  {:>7}  {:>8}  {:>18}  {:>18}  match",
			"meter", "sent", "accepted", "refused", "measured", "register increase", "LR computed"
		);
		for m in fleet {
			println!(
				"{:>5}  {:>6}  {:>8}  {:>7}  {:>8}  {:>18}  {:>18}  {}",
				m.id,
				m.sent,
				m.accepted,
				m.refused.values().sum::<u64>(),
				m.measured,
				format!("{} {}", milli(m.register.saturating_sub(m.initial_register)), m.unit),
				format!("{} {}", milli(m.expected), m.unit),
				if m.measured == m.accepted
					&& m.register.saturating_sub(m.initial_register) == m.expected
				{
					"yes"
				} else {
					"NO"
				}
			);
		}
		println!(
			"{sent} frames sent in {:.1}s: {accepted} accepted, {refused} refused, {measured} measured",
			elapsed.as_secs_f64()
		);
		if args.scenario.is_some() {
			println!("injected for the audit to find:");
			for fault in &injected {
				println!("  {fault}");
			}
			println!("honest meters: {honest:?}");
		}
	}
	if problems.is_empty() {
		Ok(())
	} else {
		Err(Error::failure(problems.join("; ")))
	}
}
