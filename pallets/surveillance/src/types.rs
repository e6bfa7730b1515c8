//! The records of surveillance: check pairs with their open comparison windows, each
//! meter's role, and inspections.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::traits::fungible::Inspect;
use mensura_primitives::{metering::MeterId, readings::UnixMillis};
use scale_info::TypeInfo;
use sp_runtime::Permill;

/// The balance type of deposits.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// What the two meters of a pair measured over one comparison window, in thousandths of
/// their unit.
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
)]
pub struct WindowTotals {
	/// The window's start (a multiple of the window length).
	pub start: UnixMillis,
	/// The checked meter's quantity over the window.
	pub measured: u128,
	/// The check meter's quantity over the window.
	pub counter: u128,
	/// The whole quantities of the measurements (of either meter) that cross the
	/// window's start or end. Only a share of each, in proportion to time, is counted
	/// in the window, but the load may have run in either part (a kettle in the first
	/// five minutes of a frame): the comparison allows for all of it, so meters whose
	/// frames are not aligned with each other or with the window never differ by
	/// misattribution.
	pub straddling: u128,
}

/// A meter under counter-proof, and where the comparison stands.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct CheckPair<AccountId, Balance, Windows> {
	/// The check meter.
	pub check: MeterId,
	/// Who registered it, and gets the deposit back.
	pub owner: AccountId,
	/// The deposit held from `owner`.
	pub deposit: Balance,
	/// The length of a comparison window, in milliseconds.
	pub window: u64,
	/// The first window compared starts here (the window after registration).
	pub since: UnixMillis,
	/// The start of the first measurement of the checked meter since `since`.
	pub measured_from: Option<UnixMillis>,
	/// The start of the first measurement of the check meter since `since`.
	pub counter_from: Option<UnixMillis>,
	/// The checked meter has measured up to here.
	pub measured_until: UnixMillis,
	/// The check meter has measured up to here.
	pub counter_until: UnixMillis,
	/// Both meters' maximum permissible errors, added.
	pub allowed_error: Permill,
	/// Two register steps of each meter, in thousandths of the unit.
	pub step_allowance: u128,
	/// Windows with measurements not compared yet, oldest first.
	pub windows: Windows,
	/// Windows compared so far.
	pub compared: u32,
	/// Of them, windows with a discrepancy.
	pub discrepancies: u32,
}

/// A meter's part in surveillance: under counter-proof, or the counter-proof of another.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Role<Pair> {
	/// The meter is checked; the pair and its comparison.
	Checked(Pair),
	/// The meter is the check meter of `checked`.
	Checking { checked: MeterId },
}

/// Why a meter is under inspection.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Inspection<BlockNumber> {
	/// The block that found the first discrepancy.
	pub since: BlockNumber,
	/// The check meter that found it.
	pub check: MeterId,
	/// Discrepancies found since (at least 1).
	pub discrepancies: u32,
	/// The last window found out of bounds.
	pub last: WindowTotals,
	/// The difference that window allowed.
	pub allowed: u128,
}
