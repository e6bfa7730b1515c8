//! What ingestion keeps between its checks and its storage.

use crate::Config;
use alloc::{collections::btree_map::BTreeMap, vec::Vec};
use codec::Encode;
use frame_support::pallet_prelude::*;
use mensura_primitives::readings::{lr, Measurement, SignedFrame};
use mensura_primitives::{
	metering::{MeterId, ProgramHash},
	readings::{ReadingState, Sequence},
};
use sp_core::H256;

/// A frame that passed every check, with what storing it needs.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct CheckedFrame {
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
	pub stored: Option<ReadingState>,
}

/// A batch's frames that passed every check, each with its length.
pub(crate) struct CheckedBatch {
	pub(crate) frames: Vec<(usize, CheckedFrame)>,
	/// How many of their signatures were verified one by one rather than together
	/// (frames whose meters do not sign with sr25519).
	pub(crate) apart: u32,
}

/// What the frames of one transaction, checked in order, leave for the next one's checks.
#[derive(Default)]
pub(crate) struct Overlay {
	/// Each meter's reading state after the frames checked so far.
	pub(crate) states: BTreeMap<MeterId, ReadingState>,
	/// How many of the transaction's frames each meter has so far.
	pub(crate) frames: BTreeMap<MeterId, u32>,
	/// The programs decoded so far, each decoded and checked once, with the
	/// interpreter's buffers that the transaction's frames share.
	pub(crate) programs: BTreeMap<ProgramHash, lr::CheckedProgram>,
	/// Whether the frames are checked for the block being built or imported (they may
	/// then have to wait for earlier frames), not for the pool.
	pub(crate) in_block: bool,
}

/// A frame that passed the cheap checks, with what the costly ones need.
pub(crate) struct Prechecked {
	pub(crate) frame: lr::Frame,
	pub(crate) device_key: mensura_primitives::metering::DeviceKey,
	pub(crate) program: ProgramHash,
	/// See [`CheckedFrame::stored`].
	pub(crate) stored: Option<ReadingState>,
}

/// A frame's bytes, bounded by [`Config::MaxFrameBytes`].
pub type FrameBytesOf<T> = BoundedVec<u8, <T as Config>::MaxFrameBytes>;

/// A signed frame as a call carries it.
pub type SignedFrameOf<T> = SignedFrame<FrameBytesOf<T>>;

/// A batch of signed frames.
pub type BatchOf<T> = BoundedVec<SignedFrameOf<T>, <T as Config>::MaxBatchFrames>;

/// A measurement as stored.
pub type MeasurementOf<T> = Measurement<frame_system::pallet_prelude::BlockNumberFor<T>>;
