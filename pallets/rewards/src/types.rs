//! The records of measurer rewards: the chain-wide totals, what a measurer has earned, and
//! the fees a block's measurements owe.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::traits::fungible::Inspect;
use scale_info::TypeInfo;

/// A balance of the fee currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The chain-wide totals of the fee accounting.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct Totals<Balance> {
	/// Fees taken from deposits (at measurement, or when a debt was settled).
	pub charged: Balance,
	/// The measurers' part of what was charged.
	pub to_measurers: Balance,
	/// The block authors' part of what was charged.
	pub to_authors: Balance,
	/// Rewards paid out by [`Pallet::claim`].
	pub claimed: Balance,
	/// Measurements of meters without a supply contract: nobody to charge.
	pub unfunded_measurements: u64,
}

/// What a measurer has earned.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct Earnings<Balance> {
	/// Measurements its programs computed for a supplier (paid or owed).
	pub measurements: u64,
	/// The fees, net of the authors' share, credited to it so far.
	pub earned: Balance,
	/// Fees suppliers owe it (their deposits ran dry).
	pub owed: Balance,
}

/// The fees this block's measurements owe one measurer from one supplier, at one fee:
/// summed as measurements arrive and settled once, at the end of the block.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct PendingFees<AccountId, Balance> {
	pub supplier: AccountId,
	pub measurer: AccountId,
	pub fee: Balance,
	pub measurements: u32,
}

/// The measurements of the transaction being dispatched that owe one measurer from one
/// supplier for one program, summed before they join [`crate::BlockFees`]: a gateway's
/// batch is usually of one supplier's meters, so a batch joins `BlockFees` once, not
/// once a frame.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct TransactionFees<AccountId, Balance> {
	/// The extrinsic the measurements are of: a sum left by another (which cannot
	/// happen: every transaction ends by recording it) is recorded, not added to.
	pub extrinsic: Option<u32>,
	/// The program that computed them, which names the measurer.
	pub program: mensura_primitives::ids::ProgramHash,
	pub fees: PendingFees<AccountId, Balance>,
}
