//! What ingestion keeps between its checks and its storage.

use crate::Config;
use alloc::{collections::btree_map::BTreeMap, vec::Vec};
use codec::Encode;
use frame_support::pallet_prelude::*;
use mensura_primitives::readings::{lr, Measurement, SignedFrame};
use mensura_primitives::{
	metering::{DeviceKey, MeterId, ProgramHash},
	readings::{ReadingState, Sequence},
};
use sp_core::H256;

/// A frame that passed every check, with what storing it needs.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct CheckedFrame<AccountId> {
	pub meter: MeterId,
	pub sequence: Sequence,
	pub start: u64,
	pub end: u64,
	pub quantity: u128,
	pub program: ProgramHash,
	pub frame_hash: H256,
	/// The operators of the program that computed it.
	pub ops: u32,
	/// The meter's reading state as storage held it, carried by the transaction's first
	/// frame of each meter (`None` for its later ones), so that storing does not read it
	/// again: nothing else writes it between a transaction's checks and its dispatch.
	pub stored: Option<ReadingState<AccountId>>,
}

/// A frame that passed every check, in a runtime.
pub type CheckedFrameOf<T> = CheckedFrame<<T as frame_system::Config>::AccountId>;

/// A meter's reading state, in a runtime.
pub type ReadingStateOf<T> = ReadingState<<T as frame_system::Config>::AccountId>;

/// A batch's frames that passed every check, each with its length.
pub(crate) struct CheckedBatch<AccountId> {
	pub(crate) frames: Vec<(crate::FrameLoad, CheckedFrame<AccountId>)>,
	/// The signatures verified one by one rather than together (frames whose meters do
	/// not sign with sr25519), by scheme.
	pub(crate) apart: SignaturesApart,
}

/// How many signatures of a transaction were verified one by one, by their meters' key
/// scheme: each scheme's verification is benchmarked on its own, as their costs differ.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct SignaturesApart {
	pub sr25519: u32,
	pub ed25519: u32,
	pub ecdsa: u32,
}

impl SignaturesApart {
	/// `count` signatures of `key`'s scheme.
	pub fn of(key: &DeviceKey, count: u32) -> Self {
		let mut apart = Self::default();
		*apart.scheme_mut(key) = count;
		apart
	}

	/// Counts one more signature of `key`'s scheme.
	pub fn add(&mut self, key: &DeviceKey) {
		let n = self.scheme_mut(key);
		*n = n.saturating_add(1);
	}

	/// How many there are in all.
	pub fn total(&self) -> u32 {
		self.sr25519.saturating_add(self.ed25519).saturating_add(self.ecdsa)
	}

	fn scheme_mut(&mut self, key: &DeviceKey) -> &mut u32 {
		match key {
			DeviceKey::Sr25519(_) => &mut self.sr25519,
			DeviceKey::Ed25519(_) => &mut self.ed25519,
			DeviceKey::Ecdsa(_) => &mut self.ecdsa,
		}
	}
}

/// What the frames of one transaction, checked in order, leave for the next one's checks.
pub(crate) struct Overlay<AccountId> {
	/// Each meter's reading state after the frames checked so far.
	pub(crate) states: BTreeMap<MeterId, ReadingState<AccountId>>,
	/// How many of the transaction's frames each meter has so far.
	pub(crate) frames: BTreeMap<MeterId, u32>,
	/// The programs decoded so far, each decoded and checked once, with the
	/// interpreter's buffers that the transaction's frames share.
	pub(crate) programs: BTreeMap<ProgramHash, lr::CheckedProgram>,
	/// The operators the transaction's weight was declared with
	/// ([`crate::Pallet::declared_ops`]), read with its first program.
	pub(crate) declared_ops: Option<u32>,
	/// Whether the frames are checked for the block being built or imported (they may
	/// then have to wait for earlier frames), not for the pool.
	pub(crate) in_block: bool,
}

impl<AccountId> Overlay<AccountId> {
	/// Nothing checked yet, for the block (`in_block`) or for the pool.
	pub(crate) fn new(in_block: bool) -> Self {
		Overlay {
			states: BTreeMap::new(),
			frames: BTreeMap::new(),
			programs: BTreeMap::new(),
			declared_ops: None,
			in_block,
		}
	}
}

/// A frame that passed the cheap checks, with what the costly ones need.
pub(crate) struct Prechecked<AccountId> {
	pub(crate) frame: lr::Frame,
	pub(crate) device_key: mensura_primitives::metering::DeviceKey,
	pub(crate) program: ProgramHash,
	/// See [`CheckedFrame::stored`].
	pub(crate) stored: Option<ReadingState<AccountId>>,
}

/// A frame's bytes, bounded by [`Config::MaxFrameBytes`].
pub type FrameBytesOf<T> = BoundedVec<u8, <T as Config>::MaxFrameBytes>;

/// A signed frame as a call carries it.
pub type SignedFrameOf<T> = SignedFrame<FrameBytesOf<T>>;

/// A batch of signed frames.
pub type BatchOf<T> = BoundedVec<SignedFrameOf<T>, <T as Config>::MaxBatchFrames>;

/// A measurement as stored.
pub type MeasurementOf<T> = Measurement<frame_system::pallet_prelude::BlockNumberFor<T>>;
