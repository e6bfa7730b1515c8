//! Money around measurements: measurer rewards (`Rewards`) and billing (`Billing`).

use crate::{AccountId, Runtime, RuntimeHoldReason};
use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32, ConstU64, FindAuthor},
	PalletId,
};
use frame_system::EnsureRoot;
use mensura_primitives::billing::BlockAuthor;

parameter_types! {
	/// The pot of accrued, unclaimed measurer rewards.
	pub const RewardsPotId: PalletId = PalletId(*b"msr/rwds");
}

/// The author of the block being executed: the Aura authority of the slot in the block's
/// pre-runtime digest, as an account (validators' Aura keys are sr25519, and their
/// account is the same public key).
pub struct AuraBlockAuthor;
impl BlockAuthor<AccountId> for AuraBlockAuthor {
	fn block_author() -> Option<AccountId> {
		let digest = frame_system::Pallet::<Runtime>::digest();
		let pre_runtime = digest.logs.iter().filter_map(|d| d.as_pre_runtime());
		let authority = pallet_aura::AuraAuthorId::<Runtime>::find_author(pre_runtime)?;
		Some(AccountId::new(authority.into_inner().0))
	}
}

impl pallet_rewards::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegulatorOrigin = EnsureRoot<AccountId>;
	type Suppliers = crate::Billing;
	type Measurers = crate::LrPrograms;
	type Author = AuraBlockAuthor;
	type PotId = RewardsPotId;
	/// A top-up settles debts to up to 16 measurers; `settle_debts` does the rest.
	type MaxDebtSettlements = ConstU32<16>;
	/// A block sums the fees of up to 64 (supplier, measurer) payers and settles each once at
	/// its end; a 65th payer in one block is settled at once.
	type MaxPendingPayers = ConstU32<64>;
	/// While it supplies meters, a supplier keeps a day of 15-minute measuring fees (96)
	/// for each in its deposit.
	type DepositFloorFees = ConstU32<96>;
	type WeightInfo = pallet_rewards::weights::SubstrateWeight<Runtime>;
}

impl pallet_billing::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Time = crate::Timestamp;
	type Meters = crate::Meters;
	type Readings = crate::Readings;
	type Links = crate::Readings;
	/// Billing names each measurement's supplier to the measuring fee.
	type Fees = crate::Rewards;
	type Audit = crate::Meters;
	type DisputeResolverOrigin = pallet_meters::EnsureNotifiedBody<Runtime>;
	/// Only the body that verified a meter resolves disputes of its invoices.
	type Bodies = crate::Meters;
	/// The regulator licenses suppliers and may end any contract; so may a notified body.
	type RegulatorOrigin = EnsureRoot<AccountId>;
	/// Eight time-of-use bands are more than any tariff in use needs.
	type MaxBands = ConstU32<8>;
	type MaxNameLen = ConstU32<64>;
	type MaxReasonLen = ConstU32<256>;
	/// Postpaid invoices are due 14 days after issue.
	type PaymentTerm = ConstU64<{ 14 * 86_400_000 }>;
	/// Invoices may be disputed for 30 days after issue.
	type DisputeWindow = ConstU64<{ 30 * 86_400_000 }>;
	/// A dispute holds one MSR from the consumer: paid to the supplier if the invoice is
	/// upheld, returned if it is corrected or the dispute lapses.
	type DisputeDeposit = ConstU128<{ crate::UNIT }>;
	/// A notified body has 30 days to resolve a dispute; then it lapses on request.
	type DisputeDeadline = ConstU64<{ 30 * 86_400_000 }>;
	/// `on_idle` looks at up to 64 contracts a block, within the block's leftover weight.
	type MaxContractVisits = ConstU32<64>;
	type WeightInfo = pallet_billing::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TimestampTime;
}

/// Benchmarks set the chain's time in the timestamp pallet.
#[cfg(feature = "runtime-benchmarks")]
pub struct TimestampTime;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_billing::BenchmarkHelper for TimestampTime {
	fn set_time(at: u64) {
		pallet_timestamp::Now::<Runtime>::put(at);
	}
}
