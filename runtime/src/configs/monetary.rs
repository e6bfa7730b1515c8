//! Balances and transaction fees.

use crate::{Balance, Balances, Runtime, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason};
use frame_support::{
	parameter_types,
	traits::{ConstU128, ConstU32, ConstU8, VariantCountOf},
	weights::IdentityFee,
};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_runtime::{
	traits::{Bounded, One},
	FixedPointNumber, Perquintill,
};

/// The smallest balance an account may hold; below it the account is reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = crate::MILLI_UNIT;

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = crate::System;
	type WeightInfo = crate::weights::pallet_balances::WeightInfo<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	/// The fill of ordinary transactions' share of a block (see `configs::NORMAL_DISPATCH_RATIO`)
	/// at which fees hold steady: above it they rise, below it they fall back.
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	/// How fast: 0.3 % a block at most (ordinary transactions' share full), so sustained
	/// congestion doubles fees in about 310 blocks (31 minutes) and multiplies them by ten
	/// in about 1,000 (1 h 43 min); after it, fees fall back at a third of that pace.
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(3, 1_000);
	/// Fees never fall below their base (weight and length at one plank each).
	pub MinimumMultiplier: Multiplier = Multiplier::one();
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

/// The fee multiplier of ordinary transactions: rises while they fill more than
/// [`TargetBlockFullness`] of their share of blocks, so filling blocks with ordinary
/// transactions costs more the longer it lasts. Frames are feeless and in their own
/// dispatch class (`pallet_readings::FRAME_CLASS`): they neither pay it nor drive it.
pub type FeeMultiplierUpdate = TargetedFeeAdjustment<
	Runtime,
	TargetBlockFullness,
	AdjustmentVariable,
	MinimumMultiplier,
	MaximumMultiplier,
>;

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// Fees are burnt for now; a later version shares them with block authors.
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = FeeMultiplierUpdate;
	type WeightInfo = crate::weights::pallet_transaction_payment::WeightInfo<Runtime>;
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::dispatch::DispatchClass;
	use sp_runtime::traits::Convert;

	/// The multiplier after `blocks` blocks in which ordinary transactions use `fill` of
	/// their share and frames fill the rest of the block.
	fn after(blocks: u32, fill: sp_runtime::Perbill, start: Multiplier) -> Multiplier {
		let weights = crate::configs::RuntimeBlockWeights::get();
		let normal = weights.get(DispatchClass::Normal).max_total.unwrap();
		let frames = weights.get(pallet_readings::FRAME_CLASS).max_total.unwrap() - normal;
		sp_io::TestExternalities::new_empty().execute_with(|| {
			let mut multiplier = start;
			for _ in 0..blocks {
				frame_system::Pallet::<Runtime>::reset_events();
				frame_system::BlockWeight::<Runtime>::kill();
				frame_system::Pallet::<Runtime>::register_extra_weight_unchecked(
					fill * normal,
					DispatchClass::Normal,
				);
				frame_system::Pallet::<Runtime>::register_extra_weight_unchecked(
					frames,
					pallet_readings::FRAME_CLASS,
				);
				multiplier = FeeMultiplierUpdate::convert(multiplier);
			}
			multiplier
		})
	}

	#[test]
	fn a_spammer_filling_ordinary_space_pays_more_each_block() {
		use sp_runtime::Perbill;
		let one = Multiplier::one();
		// Blocks full of frames alone never raise ordinary fees.
		assert_eq!(after(100, Perbill::zero(), one), one);
		// Ordinary transactions at the target: steady.
		assert_eq!(after(100, Perbill::from_percent(25), one), one);
		// Their share full: fees double within 310 blocks, and keep rising.
		let half_hour = after(310, Perbill::one(), one);
		assert!(half_hour >= Multiplier::saturating_from_integer(2), "{half_hour}");
		let longer = after(1_030, Perbill::one(), one);
		assert!(longer >= Multiplier::saturating_from_integer(10), "{longer}");
		// Once the spam stops, fees fall back towards their base, never below it.
		let calmer = after(100, Perbill::zero(), longer);
		assert!(calmer < longer && calmer > one, "{calmer}");
		assert_eq!(after(20_000, Perbill::zero(), longer), one);
		println!(
			"fee multiplier with ordinary transactions' share full: {:.2} after 310 blocks, {:.2} \
			 after 1,030; {:.2} after 100 quiet blocks",
			half_hour.to_float(),
			longer.to_float(),
			calmer.to_float(),
		);
	}
}
