//! Pallet configurations, one file per concern.
//!
//! - this file: the system pallet, block limits, time and the root origin (sudo);
//! - [`consensus`]: block production (Aura) and finality (GRANDPA);
//! - [`monetary`]: balances and transaction fees;
//! - [`metering`]: the metering pallets;
//! - [`billing`]: measurer rewards and billing.

mod billing;
mod consensus;
mod metering;
mod monetary;

pub use monetary::EXISTENTIAL_DEPOSIT;

use crate::{
	AccountId, Block, Hash, Nonce, PalletInfo, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin,
	RuntimeTask, SLOT_DURATION, SS58_PREFIX, VERSION,
};
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::ConstU32,
	weights::{constants::WEIGHT_REF_TIME_PER_SECOND, Weight},
};
use frame_system::limits::{BlockLength, BlockWeights};
use sp_runtime::Perbill;
use sp_version::RuntimeVersion;

/// The share of a block's length that ordinary (`Normal`) transactions may fill. The
/// rest, and all but [`NORMAL_BLOCK_REF_TIME`] of its weight, is reserved for
/// `Operational` ones — measurement frames (`pallet_readings::FRAME_CLASS`) and a
/// regulator's urgent action — which may also use what ordinary ones leave: however much
/// a spammer pays or tips, three quarters of every block's length and five sixths of its
/// weight stay open to frames.
pub const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(25);

/// Compute time ordinary transactions may use in a block: 0.5 s, what a quarter of the
/// block gave them until runtime 119. The block grew (2 s to 2.5 s of weight in runtime
/// 119, 3 s in runtime 120) for the frames, whose blocks the weight limit ended; ordinary
/// transactions — and whoever would fill blocks with them — keep what they had.
pub const NORMAL_BLOCK_REF_TIME: u64 = WEIGHT_REF_TIME_PER_SECOND / 2;

/// Compute time a block may use: 3 s of the 6 s block time, which leaves the rest for
/// gossip and for other nodes to import the block; a node that never saw the block's
/// transactions (one syncing, say) executes it in about that time, as the weights are
/// measured without the node's memory of valid signature batches.
///
/// Until runtime 118 it was 2 s: a lone node then built full blocks of batched frames
/// (21,760) in 1.9 s at p50 while using 1.16 of the machine's 2 cores, and the weight
/// limit, not the CPU, ended 12 blocks of 13 (`scripts/profile-ingestion`,
/// docs/benchmarks.md, 2026-12-07 late night). Runtime 119 made it 2.5 s; once a running
/// node verified each valid batch of signatures once instead of in the pool and again in
/// the block (2026-12-08), it built full blocks of 2.5 s (27,392 frames) in 2.1 s at p50
/// within 1 GiB, 10 of 11 blocks ended by weight, and it used 1.35 of the 2 cores: the
/// weight limit was full again. The block builder takes transactions for 2.65 s of a
/// slot, and a block finished late loses its slot (`node/src/authoring.rs`).
const MAXIMUM_BLOCK_WEIGHT: Weight =
	Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND.saturating_mul(3), u64::MAX);

/// The largest block, in bytes (the node's block builder uses it too: its own default,
/// 4 MiB, would end blocks of frames before the runtime's limit). 10 MiB: with a batch's
/// signatures verified together (runtime 112) a block full by weight holds more batched
/// frames of 583 bytes than 8 MiB does (about 16,000, 9 MiB; at 8 MiB the length ended
/// every full block first, at about 14,400 frames; runtime 111: 145 µs a frame, 13,440 a
/// block, 7.5 MiB; `mensura bench`, docs/benchmarks.md). Below the network's 16 MiB
/// block-response limit; read over RPC, such a block is about 20 MiB of JSON
/// (`mensura-node` raises its default RPC response limit to fit, `node/src/command.rs`).
pub const MAXIMUM_BLOCK_LENGTH: u32 = 10 * 1024 * 1024;

/// What ordinary transactions may use of a block's weight: [`NORMAL_BLOCK_REF_TIME`], and
/// [`NORMAL_DISPATCH_RATIO`] of its proof size.
fn normal_block_weight() -> Weight {
	Weight::from_parts(
		NORMAL_BLOCK_REF_TIME,
		NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT.proof_size(),
	)
}

parameter_types! {
	pub const Version: RuntimeVersion = VERSION;
	/// `with_sensible_defaults`' limits, with the empty block's and every extrinsic's
	/// base weight measured on this machine (`scripts/benchmark-pallets overhead`)
	/// instead of polkadot-sdk's.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::builder()
		.base_block(crate::weights::block_weights::BlockExecutionWeight::get())
		.for_class(DispatchClass::all(), |weights| {
			weights.base_extrinsic = crate::weights::extrinsic_weights::ExtrinsicBaseWeight::get();
		})
		.for_class(DispatchClass::Normal, |weights| {
			weights.max_total = Some(normal_block_weight());
		})
		.for_class(DispatchClass::Operational, |weights| {
			weights.max_total = Some(MAXIMUM_BLOCK_WEIGHT);
			weights.reserved = Some(MAXIMUM_BLOCK_WEIGHT - normal_block_weight());
		})
		.avg_block_initialization(Perbill::from_percent(10))
		.build_or_panic();
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(MAXIMUM_BLOCK_LENGTH)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * *max
		})
		.build();
	pub const SS58Prefix: u16 = SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	/// Nodes store state in ParityDB: storage access costs are ParityDB's, measured on this
	/// machine (`scripts/benchmark-storage`), not the figures polkadot-sdk ships.
	type DbWeight = crate::weights::paritydb_weights::constants::ParityDbWeight;
	/// Benchmarked on this machine (`scripts/benchmark-pallets`), like every weight below.
	type SystemWeightInfo = crate::weights::frame_system::WeightInfo<Runtime>;
	/// A frame sent alone pays these for every transaction; polkadot-sdk's figures (from
	/// its reference machine, storage priced as RocksDB) made them 12 times dearer.
	type ExtensionsWeightInfo = crate::weights::frame_system_extensions::WeightInfo<Runtime>;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<crate::Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_timestamp::Config for Runtime {
	type Moment = crate::Moment;
	type OnTimestampSet = crate::Aura;
	type MinimumPeriod = frame_support::traits::ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = crate::weights::pallet_timestamp::WeightInfo<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = crate::weights::pallet_sudo::WeightInfo<Runtime>;
}
