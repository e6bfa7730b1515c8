//! `--attack`: while the honest meters send, one hostile meter floods the pool with
//! frames of its own — thousands of valid ones, far more than a block holds of one meter,
//! and frames of a millisecond that its model never allows — and a spammer fills blocks
//! with large, tipped `System::remark`s from funded accounts (a tip ranks a transaction
//! above every frame in the pool). The run's own checks stay (every honest frame
//! finalized, no bad one in a block); the attack adds what it did and what it got, and
//! whether the supplier paid exactly one measuring fee per measurement stored.

use super::*;
use crate::frames::ChainContext;
use mensura_runtime::{Runtime, RuntimeCall};

/// Valid frames the hostile meter signs (0.5 s each, its model's shortest).
const HOSTILE_FRAMES: u64 = 2_000;
/// Frames of 1 ms it sends on top, which its model refuses.
const HOSTILE_SHORT_FRAMES: u64 = 200;
/// The hostile meter's frames: its model's shortest interval.
const HOSTILE_INTERVAL_MS: u64 = 500;
/// Each spam remark: 64 KiB, so twenty fill ordinary transactions' share of a block.
const REMARK_BYTES: usize = 64 * 1024;
/// The tip of each remark (1 MSR): its pool priority is above any frame's.
const REMARK_TIP: u128 = mensura_runtime::UNIT;
/// The spammer's accounts and how many remarks each sends a second.
const SPAMMERS: [&str; 4] = ["//Alice", "//Bob", "//Charlie", "//Dave"];
const REMARKS_PER_SECOND_EACH: u64 = 5;
/// The supplier of every bench meter (the development chain's).
const SUPPLIER: &str = "//Eve";

/// What the attacker did and what the chain made of it.
#[derive(Default)]
pub(super) struct AttackStats {
	pub(super) hostile_valid_sent: u64,
	pub(super) hostile_valid_accepted: u64,
	pub(super) hostile_short_refused: u64,
	pub(super) hostile_short_accepted: u64,
	pub(super) remarks_sent: u64,
	pub(super) remarks_accepted: u64,
	pub(super) remarks_refused: BTreeMap<String, u64>,
}

/// The hostile meter's transactions, signed before the run.
pub(super) struct Hostile {
	pub(super) id: u64,
	valid: Vec<Vec<u8>>,
	short: Vec<Vec<u8>>,
}

/// Signs the hostile meter's frames: `HOSTILE_FRAMES` consecutive valid ones from
/// `start` on, and `HOSTILE_SHORT_FRAMES` of 1 ms.
pub(super) fn hostile(
	key: &MeterKey,
	id: u64,
	start: u64,
	format: lr::FrameFormat,
	genesis: [u8; 32],
) -> Result<Hostile> {
	let mut profile = LoadProfile::new(11, id);
	let sign = |sequence: u64, start: u64, end: u64, profile: &mut LoadProfile| {
		let frame =
			lr::Frame { meter: id, sequence, start, end, channels: profile.frame(start, 2) };
		let signed = frames::sign(&frame, format, key, &genesis)?;
		Ok::<_, Error>(frames::general_transaction(frames::submission(&[signed])?))
	};
	let valid = (0..HOSTILE_FRAMES)
		.map(|k| {
			let from = start + k * HOSTILE_INTERVAL_MS;
			sign(k + 1, from, from + HOSTILE_INTERVAL_MS, &mut profile)
		})
		.collect::<Result<_>>()?;
	let after = start + HOSTILE_FRAMES * HOSTILE_INTERVAL_MS;
	let short = (0..HOSTILE_SHORT_FRAMES)
		.map(|k| sign(HOSTILE_FRAMES + k + 1, after + k, after + k + 1, &mut profile))
		.collect::<Result<_>>()?;
	Ok(Hostile { id, valid, short })
}

/// The attacker: sends every hostile frame at once, then tipped remarks at a steady pace
/// until `stop`.
pub(super) fn attacker(
	url: String,
	hostile: Hostile,
	stop: Arc<AtomicBool>,
) -> Result<AttackStats> {
	let mut client = Client::new(&url)?;
	let mut stats = AttackStats::default();
	let genesis = client.genesis_hash()?;
	let (spec_version, transaction_version) = client.runtime_version()?;
	let chain = ChainContext { genesis, spec_version, transaction_version };
	for bytes in &hostile.valid {
		stats.hostile_valid_sent += 1;
		if matches!(client.submit(bytes)?, Ok(_)) {
			stats.hostile_valid_accepted += 1;
		}
	}
	for bytes in &hostile.short {
		match client.submit(bytes)? {
			Ok(_) => stats.hostile_short_accepted += 1,
			Err(_) => stats.hostile_short_refused += 1,
		}
	}
	let mut spammers = Vec::new();
	for uri in SPAMMERS {
		let pair = sr25519::Pair::from_string(uri, None)
			.map_err(|e| Error::usage(format!("{uri}: {e:?}")))?;
		let nonce = client.next_nonce(&ss58(&pair.public().0))?;
		spammers.push((pair, nonce));
	}
	let started = Instant::now();
	while !stop.load(Ordering::Relaxed) {
		let due = (started.elapsed().as_secs_f64() * REMARKS_PER_SECOND_EACH as f64) as u64;
		if stats.remarks_sent / SPAMMERS.len() as u64 >= due {
			std::thread::sleep(Duration::from_millis(20));
			continue;
		}
		for (pair, nonce) in &mut spammers {
			let call = RuntimeCall::System(frame_system::Call::remark {
				remark: vec![0xA5; REMARK_BYTES],
			});
			let bytes = frames::signed_transaction_with_tip(call, pair, *nonce, REMARK_TIP, &chain);
			stats.remarks_sent += 1;
			match client.submit(&bytes)? {
				Ok(_) => {
					stats.remarks_accepted += 1;
					*nonce += 1;
				}
				Err(error) => {
					*stats.remarks_refused.entry(refusal_reason(&error)).or_default() += 1;
				}
			}
		}
	}
	Ok(stats)
}

/// What the supplier had paid in measuring fees by the block `at`: what its deposit paid
/// (the ledger's `charged`) and what it owes; and the fee.
pub(super) fn supplier_fees(client: &mut Client, at: &str) -> Result<(u128, u128, u128)> {
	use codec::Decode;
	let read = |client: &mut Client, key: Vec<u8>| -> Result<Option<Vec<u8>>> {
		client.storage_at(&key, at)
	};
	let ledger: pallet_rewards::Totals<u128> =
		match read(client, pallet_rewards::Ledger::<Runtime>::hashed_key().to_vec())? {
			Some(raw) => Decode::decode(&mut &raw[..])
				.map_err(|e| Error::node(format!("Rewards::Ledger does not decode: {e}")))?,
			None => Default::default(),
		};
	let supplier = sr25519::Pair::from_string(SUPPLIER, None)
		.map_err(|e| Error::usage(format!("{SUPPLIER}: {e:?}")))?;
	let account: mensura_primitives::AccountId = supplier.public().into();
	let debt =
		match read(client, pallet_rewards::SupplierDebt::<Runtime>::hashed_key_for(&account))? {
			Some(raw) => u128::decode(&mut &raw[..])
				.map_err(|e| Error::node(format!("Rewards::SupplierDebt does not decode: {e}")))?,
			None => 0,
		};
	let fee = match read(client, pallet_rewards::MeasuringFee::<Runtime>::hashed_key().to_vec())? {
		Some(raw) => u128::decode(&mut &raw[..])
			.map_err(|e| Error::node(format!("Rewards::MeasuringFee does not decode: {e}")))?,
		None => 0,
	};
	Ok((ledger.charged, debt, fee))
}

/// How many measurements `meter` had by the block `at`.
pub(super) fn measurements_at(client: &mut Client, meter: u64, at: &str) -> Result<u64> {
	use codec::Decode;
	let key = pallet_readings::Readings::<Runtime>::hashed_key_for(meter);
	match client.storage_at(&key, at)? {
		Some(raw) => {
			Ok(mensura_primitives::readings::ReadingState::<mensura_primitives::AccountId>::decode(
				&mut &raw[..],
			)
			.map_err(|e| Error::node(format!("Readings::Readings does not decode: {e}")))?
			.measurements)
		}
		None => Ok(0),
	}
}

/// The hash of the best block now.
pub(super) fn best_hash(client: &mut Client) -> Result<String> {
	let best = client.best_number()?;
	client.block_hash(best)
}
