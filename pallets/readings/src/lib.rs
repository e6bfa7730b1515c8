//! # Readings: signed frames in, identified measurements out
//!
//! ## Overview
//!
//! A meter signs a **frame** of raw samples (byte format: `mensura_lr::frame`; the signed
//! message binds the chain's genesis hash). Anyone — the meter's gateway, a data
//! concentrator — submits it, with no account and no fee: the call is authorised by the
//! meter's signature through `#[pallet::authorize]` (a general transaction whose
//! `AuthorizeCall` extension runs [`Pallet::authorize_frame`] or
//! [`Pallet::authorize_frames`]). Exposed in the runtime as `Readings`.
//!
//! Every check runs **before the transaction pool accepts** the frame, and again when a
//! block includes it: known and active meter; valid signature by its current device key;
//! sequence number above the last accepted one and at most [`Config::MaxSequenceGap`]
//! above it; interval non-empty, not before the end of
//! the last one, not ending later than the chain's time plus [`Config::MaxClockDrift`];
//! an approved, non-deprecated LR program bound to the meter; and the program computing a
//! quantity from the frame without overflow. A refused frame is reported by the pool as
//! `InvalidTransaction::Custom(code)`, `code` naming a
//! [`mensura_primitives::readings::FrameRejection`]; it never reaches a block. A frame
//! whose interval ends after the chain's clock is not valid *yet*: it is
//! `UnknownTransaction::Custom(code)`, which the pool does not ban, so the same bytes may
//! be sent again once blocks have moved the clock on.
//! The cheap checks (format, meter, sequence, interval, program) run before the costly
//! ones (hash, signature, program run), for every frame of a batch, and a transaction that
//! cannot fit (in any block, in the pool; in the block being built, there) is refused
//! before any of them. The pool tags each frame `(meter, sequence)`, so a replay or a
//! duplicate cannot even wait in the pool next to the original, and ranks transactions
//! by their earliest interval ([`frame_priority`]), so a meter's frames reach blocks in
//! order. A block being built leaves a frame that skips sequence numbers in the pool
//! until the frame is [`Config::MissingFrameWait`] old (its interval's end against the
//! block's time): the frames it skips, which its meter sent before it, may have missed
//! the builder's view of the pool and still arrive.
//!
//! An accepted frame becomes a **measurement**: its interval, the quantity in thousandths
//! of the model's unit, the program hash and the frame hash. The meter's cumulative
//! **register** advances by the quantity. A gap in sequence numbers is accepted and
//! counted (`missed_frames`, event `FramesMissed`): lost frames are a fact an auditor
//! wants; so is a gap in time between intervals (event `TimeSkipped`).
//!
//! ## Batches
//!
//! [`Pallet::submit_frames`] carries up to [`Config::MaxBatchFrames`] frames of any
//! meters. Each is checked on its own, in order, against the state its predecessors in
//! the batch leave (several frames of one meter may follow each other). A batch is
//! **all or nothing**: one bad frame refuses the whole batch with that frame's reason,
//! so that no bad frame ever reaches a block. Gateways pre-check frames with the
//! `ReadingsApi::check_frame` runtime API and drop those it refuses.
//!
//! ## What state keeps
//!
//! State keeps what consensus reads again, one record per meter ([`Readings`]): register,
//! measurement count, last sequence number and interval end, hash-chain head, frames in
//! the last block, and the meter registry's rules for the meter's frames (status, device
//! key, program, its model's interval bounds), which the registry keeps current
//! (`OnFrameRulesChanged`): checking a frame reads this one record and nothing else of
//! its meter. A measurement itself is not kept in state: it is in the `Measured`
//! event of the block that stored it, and its frame is in that block's body. Its history
//! is served by `mensura-indexer`, which follows those events (docs/indexer.md); any copy
//! of it is checked against the meter's `chain_head`, the hash chain
//! `H(previous ‖ meter ‖ index ‖ measurement)` over all of them.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
mod impl_traits;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(any(test, feature = "runtime-benchmarks"))]
mod reference;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use frame_support::weights::Weight;
use mensura_primitives::readings::Measurement;

/// The frame the weights are calibrated on: two channels (voltage, current) of 60
/// samples each — a 15-minute interval sampled every 15 seconds — 516 bytes.
pub const REFERENCE_SAMPLES: u32 = 120;

/// The reference frame's length in version 1: its header and four bytes a sample.
pub const REFERENCE_LEN: usize =
	mensura_primitives::readings::lr::FRAME_HEADER_LEN + 4 * REFERENCE_SAMPLES as usize;

/// The operators of the program the weights are calibrated on
/// (`mensura_lr::examples::electricity_active_energy`).
pub const REFERENCE_OPS: u32 = 7;

/// The pool priority of a transaction whose earliest frame interval starts at `start`
/// (milliseconds since the Unix epoch): the older the interval, the higher. Of two frames
/// of one meter the earlier always ranks first, so a block builder — which takes ready
/// transactions by priority — never includes a frame before its predecessor (which the
/// successor would make `Replayed`) while both are in the pool, whatever order the pool
/// received or re-validated them in; across meters the oldest measurements go first.
/// Counted down from 2^42 ms (the year 2109), below the priority a tip buys signed
/// transactions (tip × transactions per block): a zero-tip transaction ranks below
/// frames, a tipped one above.
pub fn frame_priority(start: u64) -> frame_support::pallet_prelude::TransactionPriority {
	FRAME_PRIORITY_HORIZON.saturating_sub(start)
}

/// Where [`frame_priority`] counts down from: 2^42 ms after the Unix epoch.
pub const FRAME_PRIORITY_HORIZON: u64 = 1 << 42;

/// The dispatch class of frame transactions: `Operational`, FRAME's class with block space
/// reserved for it. Ordinary transactions (`Normal`) may use only the runtime's normal
/// share of a block's weight and length; frames may use the whole block, so the rest is
/// theirs whatever ordinary transactions pay or tip. (Frames pay no fee, so the class's
/// fee multiplier never applies to them; their pool priority is [`frame_priority`].)
pub const FRAME_CLASS: frame_support::dispatch::DispatchClass =
	frame_support::dispatch::DispatchClass::Operational;

/// What a frame makes the chain do, as its weight counts it: its samples, whether they
/// are version 2's varints to decode (see `docs/frame-format.md`), and its bytes, which
/// storing it hashes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FrameLoad {
	/// The samples over all channels.
	pub samples: u32,
	/// Version 2 (compact): the samples are zig-zag varint differences.
	pub compact: bool,
	/// The frame's length in bytes.
	pub bytes: u32,
}

impl FrameLoad {
	/// The load of the frame `bytes`, read from its header. Bytes whose header does not
	/// read are refused by the first check; they count as a version-1 frame of their
	/// length, more than that check costs.
	pub fn of(bytes: &[u8]) -> Self {
		use mensura_primitives::readings::lr::{frame::FrameHeader, FrameFormat};
		match FrameHeader::read(bytes) {
			Ok(header) => FrameLoad {
				samples: header.total_samples(),
				compact: header.format == FrameFormat::Compact,
				bytes: bytes.len().min(u32::MAX as usize) as u32,
			},
			Err(_) => Self::fixed(bytes.len()),
		}
	}

	/// A version-1 frame of `len` bytes (whatever its channel split).
	pub fn fixed(len: usize) -> Self {
		let samples = len.saturating_sub(mensura_primitives::readings::lr::FRAME_HEADER_LEN) / 4;
		FrameLoad {
			samples: samples as u32,
			compact: false,
			bytes: len.min(u32::MAX as usize) as u32,
		}
	}

	/// The samples of the version-1 frame that hashes at least as many bytes as this
	/// one: storing a frame hashes its bytes, which `submit_frame(s)` measures for a
	/// version-1 frame of `s` samples (36 bytes of header, 4 a sample). A version-2
	/// frame is shorter than its version-1 twin unless its varints run long (up to 5
	/// bytes a sample).
	pub fn hashed_samples(&self) -> u32 {
		let header = mensura_primitives::readings::lr::FRAME_HEADER_LEN as u32;
		self.samples.max(self.bytes.saturating_sub(header).div_ceil(4))
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use codec::Encode;
	use frame_support::{dispatch::PostDispatchInfo, pallet_prelude::*, traits::UnixTime};
	use frame_system::pallet_prelude::*;
	use mensura_primitives::{
		metering::{MeterId, MeterRegistry},
		readings::{
			lr, FrameRejection, LrProgramProvider, MeasurementIndex, OnMeasured, Sequence,
			UnixMillis,
		},
	};

	/// 6: the registry's frame rules in the reading record ([`crate::migrations::v6`]).
	pub(crate) const STORAGE_VERSION: StorageVersion = StorageVersion::new(6);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default values for the configuration a test runtime rarely changes.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;

		/// For mock runtimes: the runtime's 16 KiB frames and batches of 256, 1 minute of
		/// drift, weights of `()`.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxFrameBytes = ConstU32<16_384>;
			type MaxBatchFrames = ConstU32<256>;
			type MaxClockDrift = frame_support::traits::ConstU64<60_000>;
			type FrameLongevity = frame_support::traits::ConstU64<64>;
			type MaxSequenceGap = frame_support::traits::ConstU64<1_000_000>;
			type MaxFramesPerMeterPerBlock = ConstU32<16>;
			type MissingFrameWait = frame_support::traits::ConstU64<12_000>;
			type OnMeasured = ();
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The meter registry.
		#[pallet::no_default]
		type Meters: MeterRegistry;

		/// The approved LR programs.
		#[pallet::no_default]
		type Programs: LrProgramProvider;

		/// The chain's time, against which intervals are judged.
		#[pallet::no_default]
		type Time: UnixTime;

		/// The longest frame, in bytes (36 bytes of header, 4 per sample).
		#[pallet::constant]
		type MaxFrameBytes: Get<u32>;

		/// The most frames in one batch.
		#[pallet::constant]
		type MaxBatchFrames: Get<u32>;

		/// How far, in milliseconds, an interval may end after the chain's time (the
		/// meter's clock may run ahead of the last block's timestamp).
		#[pallet::constant]
		type MaxClockDrift: Get<u64>;

		/// How many blocks a valid frame may wait in the pool.
		#[pallet::constant]
		type FrameLongevity: Get<u64>;

		/// How far a frame's sequence number may jump above the meter's last (a first
		/// frame's, above zero): lost frames leave gaps, but no frame may spend the
		/// sequence space a meter has left (a frame numbered `u64::MAX` would end it).
		#[pallet::constant]
		type MaxSequenceGap: Get<u64>;

		/// The most frames of one meter a block may hold (a backlog drains over several
		/// blocks): one meter's key cannot fill blocks, however many valid frames it
		/// signs. A transaction with more is refused; a frame beyond its meter's share
		/// of the block being built waits for the next.
		#[pallet::constant]
		type MaxFramesPerMeterPerBlock: Get<u32>;

		/// How old (in milliseconds, from its interval's end to the block's time) a
		/// frame that skips sequence numbers must be before a block takes it. The pool
		/// holds a meter's frames side by side, and a block builder may see a frame
		/// before the one it follows (a frame submitted while the pool moves to a new
		/// block can miss that block's view): included first, it would make its
		/// predecessor a replay and lose its consumption. The predecessor ended earlier
		/// and was sent earlier, so by then it has been in the pool at least this long.
		/// A frame truly lost delays only the frames after it, by at most this long; a
		/// meter that loses many frames keeps its pace. A gateway uploading a backlog
		/// sends it in batches, whose frames are checked in order within the batch.
		#[pallet::constant]
		type MissingFrameWait: Get<u64>;

		/// Told of every stored measurement (measurer rewards, billing). Its weight is
		/// charged with every frame; it cannot refuse or undo a measurement.
		type OnMeasured: OnMeasured<Self::AccountId>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Each meter's reading state: register, sequence, last interval, hash chain head,
	/// and what billing and surveillance keep of the meter
	/// ([`mensura_primitives::readings::ReadingState`]).
	#[pallet::storage]
	pub type Readings<T: Config> =
		StorageMap<_, Twox64Concat, MeterId, ReadingStateOf<T>, ValueQuery>;

	/// The frames `authorize` has just checked, handed to the dispatch of the same
	/// transaction, which stores them without checking (and computing) them again. Put and
	/// taken within one extrinsic, so it never reaches the database (and is whitelisted in
	/// benchmarks: its cost is the measured time of an in-memory hand-over).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	#[pallet::unbounded]
	pub type JustAuthorized<T: Config> = StorageValue<_, Vec<CheckedFrameOf<T>>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A frame became a measurement; `register` is the meter's register after it.
		Measured {
			meter: MeterId,
			index: MeasurementIndex,
			measurement: MeasurementOf<T>,
			register: u128,
		},
		/// Sequence numbers between `after` and `next` never arrived.
		FramesMissed { meter: MeterId, after: Sequence, next: Sequence, missed: u64 },
		/// No measurement covers the time from `from` (the end of the meter's last
		/// interval) to `to` (the start of its new one): the meter measured nothing then,
		/// or its frames for that time were lost.
		TimeSkipped { meter: MeterId, from: UnixMillis, to: UnixMillis },
	}

	/// Why a frame was refused; the same reasons, in the same order, as
	/// [`FrameRejection`], which the pool reports as `InvalidTransaction::Custom(code)`.
	/// (`pallet::error` needs the list written out; a test checks it against
	/// `FrameRejection::ALL`.)
	#[pallet::error]
	pub enum Error<T> {
		/// The bytes are not a version-1 frame.
		Malformed,
		/// No meter has the frame's meter id.
		UnknownMeter,
		/// The meter is not active.
		MeterNotActive,
		/// The signature is not the meter's over this frame for this chain.
		BadSignature,
		/// The sequence number is not above the meter's last.
		Replayed,
		/// The interval ends at or before its start.
		EmptyInterval,
		/// The interval starts before the meter's last interval ended.
		OverlappingInterval,
		/// The interval ends too far in the future.
		FutureInterval,
		/// No LR program is bound to the meter.
		NoProgramBound,
		/// The bound program is not approved.
		ProgramNotApproved,
		/// The bound program is deprecated.
		ProgramDeprecated,
		/// The frame's channels do not match the program's inputs.
		ChannelMismatch,
		/// The computation overflowed.
		ComputationOverflow,
		/// The computation produced a negative quantity.
		NegativeQuantity,
		/// The register would overflow.
		RegisterOverflow,
		/// The batch is empty.
		EmptyBatch,
		/// The sequence number jumps too far above the meter's last.
		SequenceTooFar,
		/// The interval is shorter than the meter's model allows.
		IntervalTooShort,
		/// The interval is longer than the meter's model allows.
		IntervalTooLong,
		/// The interval starts before the meter was verified.
		BeforeVerification,
		/// The transaction carries more of one meter's frames than a block may hold.
		TooManyFramesOfOneMeter,
		/// The block already holds as many of the meter's frames as one block may.
		MeterBlockQuotaFull,
		/// The frames the frame skips may still arrive.
		AwaitingEarlierFrames,
	}

	impl<T> From<FrameRejection> for Error<T> {
		/// The error at the rejection's position (the two lists are in the same order).
		fn from(rejection: FrameRejection) -> Self {
			Self::decode(&mut &rejection.encode()[..]).unwrap_or(Self::Malformed)
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Looking, at the end of the block, for a hand-over left behind.
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			T::DbWeight::get().reads_writes(1, 1)
		}

		/// Drops a hand-over whose dispatch failed (the failure rolled back its taking):
		/// it must not outlive the block.
		fn on_finalize(_n: BlockNumberFor<T>) {
			if JustAuthorized::<T>::exists() {
				JustAuthorized::<T>::kill();
			}
		}

		fn integrity_test() {
			assert!(
				T::MaxFrameBytes::get() as usize > lr::FRAME_HEADER_LEN,
				"MaxFrameBytes leaves no room for samples"
			);
			assert!(T::MaxBatchFrames::get() > 0, "MaxBatchFrames must allow a frame");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Submits one signed frame. Feeless (`Pays::No`) and without a signer: the meter's signature
		/// authorises it (see the pallet documentation for every check).
		///
		/// Origin: `Authorized` (a general transaction checked by `AuthorizeCall`).
		/// Emits `Measured`, `FramesMissed` after a sequence gap and `TimeSkipped` after a
		/// gap in time.
		#[pallet::call_index(0)]
		#[pallet::weight((
			Pallet::<T>::frame_weight(FrameLoad::of(&frame.frame), lr::MAX_OPS.into(), false),
			FRAME_CLASS,
			Pays::No
		))]
		#[pallet::authorize(Pallet::<T>::authorize_frame)]
		#[pallet::weight_of_authorize(Pallet::<T>::declared_frame_check(frame))]
		pub fn submit_frame(
			origin: OriginFor<T>,
			frame: SignedFrameOf<T>,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			let checked = match Self::take_authorized(core::slice::from_ref(&frame)) {
				Some(mut checked) if checked.len() == 1 => checked.remove(0),
				_ => {
					let (checked, _) =
						Self::check(&frame, false, true).map_err(Error::<T>::from)?;
					Self::charge_recheck(Self::frame_weight(
						FrameLoad::of(&frame.frame),
						checked.ops,
						true,
					));
					checked
				}
			};
			let used = Self::frame_weight(FrameLoad::of(&frame.frame), checked.ops, false)
				.saturating_sub(T::OnMeasured::weight())
				.saturating_add(Self::store(checked));
			T::OnMeasured::end_of_transaction();
			Ok(PostDispatchInfo { actual_weight: Some(used), pays_fee: Pays::No })
		}

		/// Submits a batch of signed frames, of any meters, in order. All or nothing:
		/// every frame must pass every check (see the pallet documentation).
		///
		/// Origin: `Authorized`. Emits one `Measured` per frame, `FramesMissed` after
		/// sequence gaps and `TimeSkipped` after gaps in time.
		#[pallet::call_index(1)]
		#[pallet::weight((
			Pallet::<T>::batch_weight(frames.iter().map(|f| (FrameLoad::of(&f.frame), lr::MAX_OPS.into())), false),
			FRAME_CLASS,
			Pays::No
		))]
		#[pallet::authorize(Pallet::<T>::authorize_frames)]
		#[pallet::weight_of_authorize(Pallet::<T>::declared_batch_check(frames))]
		pub fn submit_frames(
			origin: OriginFor<T>,
			frames: BatchOf<T>,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			let checked = match Self::take_authorized(&frames) {
				Some(checked) => {
					frames.iter().map(|f| FrameLoad::of(&f.frame)).zip(checked).collect()
				}
				None => {
					let checked =
						Self::check_batch(&frames, false, true).map_err(Error::<T>::from)?;
					Self::charge_recheck(Self::batch_weight(
						checked.frames.iter().map(|(load, c)| (*load, c.ops)),
						true,
					));
					checked.frames
				}
			};
			let declared_hooks = T::OnMeasured::weight().saturating_mul(checked.len() as u64);
			let mut used =
				Self::batch_weight(checked.iter().map(|(load, c)| (*load, c.ops)), false)
					.saturating_sub(declared_hooks);
			for (_, c) in checked {
				used = used.saturating_add(Self::store(c));
			}
			T::OnMeasured::end_of_transaction();
			Ok(PostDispatchInfo { actual_weight: Some(used), pays_fee: Pays::No })
		}
	}
}
