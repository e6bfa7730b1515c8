//! The records of the LR program registry: programs as stored, where each stands, and
//! the genesis form.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::fungible::Inspect, BoundedVec};
use mensura_primitives::metering::ProgramVersion;
use scale_info::TypeInfo;

/// A balance of the deposit currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A program's bytes, bounded.
pub type CodeOf<T> = BoundedVec<u8, <T as Config>::MaxProgramLen>;

/// A program as stored.
pub type ProgramRecordOf<T> = ProgramRecord<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	frame_system::pallet_prelude::BlockNumberFor<T>,
	CodeOf<T>,
	BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxApprovals>,
>;

/// A program in the genesis configuration: measurer, version, code, approving notified
/// bodies, meters bound to it.
pub type GenesisProgram<AccountId> = (
	AccountId,
	alloc::vec::Vec<u8>,
	alloc::vec::Vec<u8>,
	alloc::vec::Vec<AccountId>,
	alloc::vec::Vec<mensura_primitives::metering::MeterId>,
);

/// Where a program stands.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum ProgramStatus {
	/// Published, waiting for approvals.
	Proposed,
	/// Approved by enough notified bodies: meters may be bound to it and it computes.
	Approved,
	/// No longer to be used: frames of meters bound to it are refused.
	Deprecated,
}

/// A published LR program.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ProgramRecord<AccountId, Balance, BlockNumber, Code, Approvals> {
	/// The measurer that published it (and is paid for what it computes).
	pub measurer: AccountId,
	/// Its human version.
	pub version: ProgramVersion,
	/// Its bytes, as hashed.
	pub code: Code,
	/// Where it stands.
	pub status: ProgramStatus,
	/// The notified bodies that approved this exact hash, in order.
	pub approvals: Approvals,
	/// The block it was published in.
	pub published: BlockNumber,
	/// The deposit held for it; zero once released.
	pub deposit: Balance,
}

/// How many approved programs have each number of operators (the index): what the
/// ingestion pallet declares a frame's weight with before it knows the frame's program.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct OpsCounts(pub [u32; mensura_primitives::readings::lr::MAX_OPS as usize + 1]);

impl Default for OpsCounts {
	fn default() -> Self {
		Self([0; mensura_primitives::readings::lr::MAX_OPS as usize + 1])
	}
}

impl OpsCounts {
	/// One more approved program of `ops` operators.
	pub fn add(&mut self, ops: usize) {
		if let Some(count) = self.0.get_mut(ops) {
			*count = count.saturating_add(1);
		}
	}

	/// One approved program of `ops` operators fewer.
	pub fn remove(&mut self, ops: usize) {
		if let Some(count) = self.0.get_mut(ops) {
			*count = count.saturating_sub(1);
		}
	}

	/// The most operators of any approved program; 0 when none is approved.
	pub fn most(&self) -> u32 {
		self.0.iter().rposition(|count| *count > 0).unwrap_or(0) as u32
	}
}
