//! The metering pallets: the meter registry (`Meters`), the LR program registry
//! (`LrPrograms`) and ingestion (`Readings`).

use crate::{Balance, Runtime, RuntimeHoldReason, UNIT};
use frame_support::{
	parameter_types,
	traits::{ConstU32, ConstU64},
};
use frame_system::EnsureRoot;

parameter_types! {
	/// Held from a manufacturer for each meter until it is revoked: enough that
	/// registering junk meters costs something real, little next to a meter's price.
	pub const MeterDeposit: Balance = UNIT;
}

impl pallet_meters::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// The regulator is root (sudo on a dev chain, governance later).
	type RegulatorOrigin = EnsureRoot<crate::AccountId>;
	type NotifiedBodyOrigin = pallet_meters::EnsureNotifiedBody<Runtime>;
	type ManufacturerOrigin = pallet_meters::EnsureManufacturer<Runtime>;
	type MeterDeposit = MeterDeposit;
	type MaxNameLen = ConstU32<64>;
	type MaxSerialLen = ConstU32<32>;
	type WeightInfo = pallet_meters::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Held from a measurer for each published LR program until it is deprecated or
	/// withdrawn, plus a per-byte part for the code it stores.
	pub const ProgramDeposit: Balance = 10 * UNIT;
	pub const ProgramByteDeposit: Balance = crate::MILLI_UNIT;
}

impl pallet_lr_programs::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegulatorOrigin = EnsureRoot<crate::AccountId>;
	type NotifiedBodyOrigin = pallet_meters::EnsureNotifiedBody<Runtime>;
	type Binding = crate::Meters;
	type Audit = crate::Meters;
	type ProgramDeposit = ProgramDeposit;
	type ProgramByteDeposit = ProgramByteDeposit;
	/// A program of the most operators (32) of the widest encoding takes 547 bytes.
	type MaxProgramLen = ConstU32<1024>;
	type MaxApprovals = ConstU32<16>;
	type WeightInfo = pallet_lr_programs::weights::SubstrateWeight<Runtime>;
}

impl pallet_readings::Config for Runtime {
	type Meters = crate::Meters;
	type Programs = crate::LrPrograms;
	type Time = crate::Timestamp;
	/// 16 KiB: up to 4,087 samples, e.g. two channels of 2,043 (a 15-minute interval at
	/// over 2 samples a second). The reference frame is 516 bytes.
	type MaxFrameBytes = ConstU32<16_384>;
	/// 256 frames of the largest size are 4 MiB, within the 5 MiB block.
	type MaxBatchFrames = ConstU32<256>;
	/// Meters' clocks may run up to two block times ahead of the last block's timestamp.
	type MaxClockDrift = ConstU64<{ 2 * crate::MILLISECS_PER_BLOCK }>;
	/// A day of 15-minute measurements per meter in state: at 150 bytes each, about
	/// 14 KiB a meter, 14 GiB for a million meters. Older ones live in blocks and are
	/// proven by each meter's hash chain.
	type RetainedMeasurements = ConstU32<96>;
	/// A frame may wait 64 blocks (6.4 minutes) in the pool.
	type FrameLongevity = ConstU64<64>;
	/// Every measurement goes to its contract's open billing period, pays its measurer
	/// the fixed fee, and is compared with its check meter's if it has one.
	type OnMeasured = (crate::Billing, (crate::Rewards, crate::Surveillance));
	type WeightInfo = pallet_readings::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Held from whoever registers a check meter, for as long as the pair lasts.
	pub const CheckDeposit: Balance = 10 * UNIT;
}

impl pallet_surveillance::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Time = crate::Timestamp;
	type Meters = crate::Meters;
	type Audit = crate::Meters;
	type Suspension = crate::Meters;
	type InspectorOrigin = pallet_meters::EnsureNotifiedBody<Runtime>;
	type CheckDeposit = CheckDeposit;
	/// One minute (a development chain's demonstration) …
	type MinComparisonWindow = ConstU64<60_000>;
	/// … to one day.
	type MaxComparisonWindow = ConstU64<86_400_000>;
	/// A meter may lag its check meter by eight windows before the oldest is given up.
	type MaxOpenWindows = ConstU32<8>;
	type WeightInfo = pallet_surveillance::weights::SubstrateWeight<Runtime>;
}

#[cfg(test)]
mod capacity {
	//! How many frames of the reference size a block holds, by the benchmarked weights
	//! and the block's length limit. Not a speed test: it reads `weights.rs` and the
	//! block limits, and prints the figures `docs/benchmarks.md` records.

	use super::*;
	use frame_support::{dispatch::DispatchClass, weights::Weight};
	use pallet_readings::{Pallet as Readings, REFERENCE_OPS, REFERENCE_SAMPLES};

	const REFERENCE_LEN: usize = 36 + 4 * REFERENCE_SAMPLES as usize;

	fn normal_budget() -> (Weight, Weight, u32) {
		let weights = crate::configs::RuntimeBlockWeights::get();
		let normal = weights.get(DispatchClass::Normal);
		let max = normal.max_total.unwrap_or(weights.max_block);
		let length = *crate::configs::RuntimeBlockLength::get().max.get(DispatchClass::Normal);
		(max, normal.base_extrinsic, length)
	}

	fn frames_fitting(per_frame: Weight, budget: Weight) -> u64 {
		budget.ref_time() / per_frame.ref_time().max(1)
	}

	#[test]
	fn thousands_of_reference_frames_fit_a_block() {
		let (budget, base, length) = normal_budget();
		let check = Readings::<Runtime>::frame_weight(REFERENCE_LEN, REFERENCE_OPS, true);
		let store = Readings::<Runtime>::frame_weight(REFERENCE_LEN, REFERENCE_OPS, false);
		let single = base + check + store;
		let batch_of = 256u32;
		let frames = core::iter::repeat_n((REFERENCE_LEN, REFERENCE_OPS), batch_of as usize);
		let batch = base
			+ Readings::<Runtime>::batch_weight(frames.clone(), true)
			+ Readings::<Runtime>::batch_weight(frames, false);
		let per_batched_frame = Weight::from_parts(
			batch.ref_time() / u64::from(batch_of),
			batch.proof_size() / u64::from(batch_of),
		);
		// One frame in a transaction: ~700 bytes with the signature and extensions.
		let by_length = u64::from(length) / (REFERENCE_LEN as u64 + 100);
		println!(
			"reference frame ({REFERENCE_LEN} bytes, {REFERENCE_OPS} operators): check {} µs + \
			 store {} µs + extrinsic base {} µs = {} µs alone, {} µs in a batch of {batch_of}",
			check.ref_time() / 1_000_000,
			store.ref_time() / 1_000_000,
			base.ref_time() / 1_000_000,
			single.ref_time() / 1_000_000,
			per_batched_frame.ref_time() / 1_000_000,
		);
		let alone = frames_fitting(single, budget);
		let batched = frames_fitting(per_batched_frame, budget);
		println!(
			"per block (normal class, {} ms): {alone} frames one per transaction, {batched} \
			 in batches; the length limit allows about {by_length}",
			budget.ref_time() / 1_000_000_000,
		);
		assert!(alone.min(by_length) >= 1_000, "only {alone} single frames fit a block");
		assert!(batched.min(by_length) >= 1_000, "only {batched} batched frames fit a block");
	}
}
