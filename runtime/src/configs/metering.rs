//! The metering pallets: the meter registry (`Meters`), the LR program registry
//! (`LrPrograms`), ingestion (`Readings`) and market surveillance (`Surveillance`).

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
	/// A replacement device numbers its frames afresh.
	type OnDeviceKeyRotated = crate::Readings;
	/// A verified meter's frames may not measure time before its verification.
	type OnMeterVerified = crate::Readings;
	/// Ingestion keeps each meter's frame rules in its reading record: one read a frame.
	type OnFrameRulesChanged = crate::Readings;
	/// A removed notified body's program approvals are dropped.
	type OnNotifiedBodyRemoved = crate::LrPrograms;
	/// Two notified bodies replace a meter's device key (or the regulator alone).
	type KeyRotationApprovals = ConstU32<2>;
	type MaxRotationApprovals = ConstU32<16>;
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
	/// A notified body's approvals stand for at most 256 programs in force.
	type MaxProgramsPerBody = ConstU32<256>;
	/// Only current notified bodies' approvals and deprecation votes count.
	type Bodies = crate::Meters;
	type WeightInfo = pallet_lr_programs::weights::SubstrateWeight<Runtime>;
}

impl pallet_readings::Config for Runtime {
	type Meters = crate::Meters;
	type Programs = crate::LrPrograms;
	type Time = crate::Timestamp;
	/// 16 KiB: up to 4,087 samples, e.g. two channels of 2,043 (a 15-minute interval at
	/// over 2 samples a second). The reference frame is 516 bytes.
	type MaxFrameBytes = ConstU32<16_384>;
	/// 256 frames of the largest size are 4 MiB, within the 10 MiB block.
	type MaxBatchFrames = ConstU32<256>;
	/// Meters' clocks may run up to two block times ahead of the last block's timestamp.
	type MaxClockDrift = ConstU64<{ 2 * crate::MILLISECS_PER_BLOCK }>;
	/// A frame may wait 64 blocks (6.4 minutes) in the pool.
	type FrameLongevity = ConstU64<64>;
	/// A million frames may be lost in a row (ten years of 15-minute frames, eleven days
	/// of one-second ones); sequence numbers then last 2^44 frames.
	type MaxSequenceGap = ConstU64<1_000_000>;
	/// A meter's backlog drains at 16 frames a block (a day of 15-minute frames in six
	/// blocks); one meter's key cannot take more of a block.
	type MaxFramesPerMeterPerBlock = ConstU32<16>;
	/// A frame after a gap in its meter's sequence waits until it is two block times
	/// old, time for a predecessor that missed the block builder's view of the pool to
	/// reach a later one.
	type MissingFrameWait = ConstU64<{ 2 * crate::MILLISECS_PER_BLOCK }>;
	/// Every measurement goes to its contract's open billing period, pays its measurer
	/// the fixed fee (billing tells `Rewards` the supplier from the contract it read), and
	/// is compared with its check meter's if it has one.
	type OnMeasured = (crate::Billing, crate::Surveillance);
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
	type Links = crate::Readings;
	type Audit = crate::Meters;
	type Suspension = crate::Meters;
	type InspectorOrigin = pallet_meters::EnsureNotifiedBody<Runtime>;
	type Bodies = crate::Meters;
	type Contracts = crate::Billing;
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
	//! and the block's length limit. Not a speed test: it reads the weights (`weights.rs`,
	//! and what a block counts when frames are applied to it) and the block limits, and
	//! prints the figures `docs/benchmarks.md` records.

	use super::*;
	use frame_support::weights::Weight;
	use pallet_readings::{
		FrameLoad, Pallet as Readings, FRAME_CLASS, REFERENCE_LEN, REFERENCE_OPS, REFERENCE_SAMPLES,
	};

	/// What frames may use of a block: its weight, the base weight of a transaction, its
	/// length.
	fn frame_budget() -> (Weight, Weight, u32) {
		let weights = crate::configs::RuntimeBlockWeights::get();
		let frames = weights.get(FRAME_CLASS);
		let max = frames.max_total.unwrap_or(weights.max_block);
		let length = *crate::configs::RuntimeBlockLength::get().max.get(FRAME_CLASS);
		(max, frames.base_extrinsic, length)
	}

	fn frames_fitting(per_frame: Weight, budget: Weight) -> u64 {
		budget.ref_time() / per_frame.ref_time().max(1)
	}

	#[test]
	fn thousands_of_reference_frames_fit_a_block() {
		let (budget, base, length) = frame_budget();
		let check =
			Readings::<Runtime>::frame_weight(FrameLoad::fixed(REFERENCE_LEN), REFERENCE_OPS, true);
		let store = Readings::<Runtime>::frame_weight(
			FrameLoad::fixed(REFERENCE_LEN),
			REFERENCE_OPS,
			false,
		);
		let single = base + check + store;
		let batch_of = 256u32;
		let frames = core::iter::repeat_n(
			(FrameLoad::fixed(REFERENCE_LEN), REFERENCE_OPS),
			batch_of as usize,
		);
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
			"per block (frames' class, {} ms): {alone} frames one per transaction, {batched} \
			 in batches; the length limit allows about {by_length}",
			budget.ref_time() / 1_000_000_000,
		);
		assert!(alone.min(by_length) >= 1_000, "only {alone} single frames fit a block");
		assert!(batched.min(by_length) >= 1_000, "only {batched} batched frames fit a block");
	}

	/// The development meters' reference frames (two channels of 60 samples over 15
	/// minutes), `per_meter` consecutive ones of each of the three meters, signed by
	/// `//Meter1`…`//Meter3` for the chain whose state is current.
	fn development_frames(per_meter: u64) -> Vec<pallet_readings::SignedFrameOf<Runtime>> {
		use mensura_primitives::readings::{lr, SignedFrame};
		use sp_core::{sr25519, Pair};
		let noise = |i: u64| ((i * 7_919) % 1_000) as i32;
		let mut frames = Vec::new();
		for sequence in 1..=per_meter {
			for meter in 0..3u64 {
				let pair = sr25519::Pair::from_string(&format!("//Meter{}", meter + 1), None)
					.expect("a development meter's seed");
				let start = FRAMES_START + (sequence - 1) * INTERVAL;
				let half = u64::from(REFERENCE_SAMPLES / 2);
				let channels = vec![
					(0..half).map(|i| 230_000 + noise(i + sequence)).collect(),
					(0..half).map(|i| 5_000 + noise(i * 3 + meter)).collect(),
				];
				let frame = lr::Frame { meter, sequence, start, end: start + INTERVAL, channels };
				let bytes = frame.encode().expect("a well-formed frame");
				assert_eq!(bytes.len(), REFERENCE_LEN);
				let message = Readings::<Runtime>::signing_message(&bytes);
				frames.push(SignedFrame {
					frame: bytes.try_into().expect("within MaxFrameBytes"),
					signature: sp_runtime::MultiSignature::Sr25519(pair.sign(&message)),
				});
			}
		}
		frames
	}

	/// Where the test frames' intervals begin (2026-01-01, in ms).
	const FRAMES_START: u64 = 1_767_225_600_000;
	/// Each test frame covers 15 minutes.
	const INTERVAL: u64 = 900_000;

	/// Applies `frames_per_meter` frames of each development meter as one general
	/// transaction (the way meters and gateways submit; `submit_frame` for one frame) to
	/// a block of the development chain once their intervals have passed. Returns what
	/// it added to the block's weight for frames' class, what it declared, and what its
	/// transaction extensions other than `AuthorizeCall` (the frames' check, counted
	/// with the call) declared.
	fn applied(frames_per_meter: u64, alone: bool) -> (Weight, Weight, Weight) {
		use frame_support::dispatch::GetDispatchInfo;
		use sp_runtime::traits::{Header as _, TransactionExtension};
		let storage = crate::genesis_config_presets::development_storage();
		sp_io::TestExternalities::new(storage).execute_with(|| {
			let mut frames = development_frames(frames_per_meter);
			let call = crate::RuntimeCall::Readings(if alone {
				pallet_readings::Call::submit_frame { frame: frames.remove(0) }
			} else {
				pallet_readings::Call::submit_frames {
					frames: frames.try_into().expect("within MaxBatchFrames"),
				}
			});
			let extensions = crate::transaction_extensions(0).weight(&call)
				- frame_system::AuthorizeCall::<Runtime>::new().weight(&call);
			let genesis = frame_system::Pallet::<Runtime>::block_hash(0);
			let header = crate::Header::new(
				1,
				Default::default(),
				Default::default(),
				genesis,
				Default::default(),
			);
			crate::Executive::initialize_block(&header);
			pallet_timestamp::Now::<Runtime>::put(FRAMES_START + frames_per_meter * INTERVAL);
			let xt =
				crate::UncheckedExtrinsic::new_transaction(call, crate::transaction_extensions(0));
			let declared = xt.get_dispatch_info().total_weight();
			let used = || *frame_system::Pallet::<Runtime>::block_weight().get(FRAME_CLASS);
			let before = used();
			crate::Executive::apply_extrinsic(xt)
				.expect("a valid transaction")
				.expect("the frames are stored");
			(used() - before, declared, extensions)
		})
	}

	/// What a block counts for reference frames applied as transactions, base weight and
	/// transaction extensions included, after every refund: the figure blocks fill by.
	#[test]
	fn applied_frames_use_what_blocks_fill_by() {
		let (budget, base, _) = frame_budget();
		// `CheckNonce` and `ChargeTransactionPayment` refund theirs to a transaction
		// without a signer; the others keep it.
		let (alone, alone_declared, extensions) = applied(1, true);
		let per_meter = 16; // a block holds at most 16 frames of one meter
		let count = 3 * per_meter;
		let (batched, batched_declared, _) = applied(per_meter, false);

		let check =
			Readings::<Runtime>::frame_weight(FrameLoad::fixed(REFERENCE_LEN), REFERENCE_OPS, true);
		println!(
			"applied to a block: a reference frame alone uses {} µs (declared {} µs; the \
			 extrinsic base weight is {} µs, the transaction extensions other than the frame's \
			 check declare {} µs); {} frames a block",
			alone.ref_time() / 1_000_000,
			alone_declared.ref_time() / 1_000_000,
			base.ref_time() / 1_000_000,
			extensions.ref_time() / 1_000_000,
			frames_fitting(alone, budget),
		);
		let per_batched =
			Weight::from_parts(batched.ref_time() / count, batched.proof_size() / count);
		println!(
			"applied to a block: in a batch of {count}, a reference frame uses {} µs (declared {} µs); \
			 {} frames a block",
			per_batched.ref_time() / 1_000_000,
			batched_declared.ref_time() / count / 1_000_000,
			frames_fitting(per_batched, budget),
		);
		// Refunds only ever lower what was declared, and the block counts more than the
		// call itself: the base weight and the extensions come on top.
		assert!(alone.all_lte(alone_declared) && batched.all_lte(batched_declared));
		assert!(alone.ref_time() > (base + check).ref_time());
		assert!(frames_fitting(alone, budget) >= 1_000);
		assert!(frames_fitting(per_batched, budget) >= 3_000);
	}
}
