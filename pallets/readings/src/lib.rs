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
//! [`mensura_primitives::readings::FrameRejection`]; it never reaches a block.
//! The cheap checks (format, meter, sequence, interval, program) run before the costly
//! ones (hash, signature, program run), for every frame of a batch, and a transaction that
//! cannot fit (in any block, in the pool; in the block being built, there) is refused
//! before any of them. The pool tags each frame `(meter, sequence)`, so a replay or a
//! duplicate cannot even wait in the pool next to the original, and ranks transactions
//! by their earliest interval ([`frame_priority`]), so a meter's frames reach blocks in
//! order.
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
//! ## Retention
//!
//! Each meter keeps its last [`Config::RetainedMeasurements`] measurements in state;
//! older ones are pruned as new ones arrive, so state is bounded by meters × retention.
//! Every measurement stays provable: the meter's `chain_head` is the hash chain
//! `H(previous ‖ meter ‖ index ‖ measurement)` over all of them, each is in a
//! `Measured` event of the block that stored it, and its frame is in that block's body.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

use frame_support::{weights::Weight, BoundedVec};
use mensura_primitives::readings::{Measurement, SignedFrame};

/// A frame's bytes, bounded by [`Config::MaxFrameBytes`].
pub type FrameBytesOf<T> = BoundedVec<u8, <T as Config>::MaxFrameBytes>;

/// A signed frame as a call carries it.
pub type SignedFrameOf<T> = SignedFrame<FrameBytesOf<T>>;

/// A batch of signed frames.
pub type BatchOf<T> = BoundedVec<SignedFrameOf<T>, <T as Config>::MaxBatchFrames>;

/// A measurement as stored.
pub type MeasurementOf<T> = Measurement<frame_system::pallet_prelude::BlockNumberFor<T>>;

/// The frame the weights are calibrated on: two channels (voltage, current) of 60
/// samples each — a 15-minute interval sampled every 15 seconds — 516 bytes.
pub const REFERENCE_SAMPLES: u32 = 120;

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

/// The samples a frame of `len` bytes carries (whatever its channel split).
pub fn samples_in(len: usize) -> u32 {
	(len.saturating_sub(mensura_primitives::readings::lr::FRAME_HEADER_LEN) / 4) as u32
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::{collections::btree_map::BTreeMap, vec::Vec};
	use codec::Encode;
	use frame_support::{dispatch::PostDispatchInfo, pallet_prelude::*, traits::UnixTime};
	use frame_system::pallet_prelude::*;
	use mensura_primitives::{
		billing::{MeasurementLog, OnMeasured, StoredMeasurement},
		metering::{MeterId, MeterRegistry, MeterStatus, ProgramHash},
		readings::{
			lr, Consumption, ConsumptionError, FrameRejection, LrProgramProvider, MeasurementIndex,
			ReadingState, Sequence, UnixMillis,
		},
	};
	use sp_core::H256;
	use sp_runtime::traits::Zero;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default values for the configuration a test runtime rarely changes.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;

		/// For mock runtimes: the runtime's 16 KiB frames and batches of 256, 1 minute of
		/// drift, 8 retained measurements, weights of `()`.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxFrameBytes = ConstU32<16_384>;
			type MaxBatchFrames = ConstU32<256>;
			type MaxClockDrift = frame_support::traits::ConstU64<60_000>;
			type RetainedMeasurements = ConstU32<8>;
			type FrameLongevity = frame_support::traits::ConstU64<64>;
			type MaxSequenceGap = frame_support::traits::ConstU64<1_000_000>;
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

		/// How many of its latest measurements each meter keeps in state.
		#[pallet::constant]
		type RetainedMeasurements: Get<u32>;

		/// How many blocks a valid frame may wait in the pool.
		#[pallet::constant]
		type FrameLongevity: Get<u64>;

		/// How far a frame's sequence number may jump above the meter's last (a first
		/// frame's, above zero): lost frames leave gaps, but no frame may spend the
		/// sequence space a meter has left (a frame numbered `u64::MAX` would end it).
		#[pallet::constant]
		type MaxSequenceGap: Get<u64>;

		/// Told of every stored measurement (measurer rewards, billing). Its weight is
		/// charged with every frame; it cannot refuse or undo a measurement.
		type OnMeasured: OnMeasured;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Each meter's reading state: register, sequence, last interval, hash chain head.
	#[pallet::storage]
	pub type Readings<T: Config> = StorageMap<_, Twox64Concat, MeterId, ReadingState, ValueQuery>;

	/// The latest measurements of each meter, by index (older ones are pruned).
	#[pallet::storage]
	pub type Measurements<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		MeterId,
		Twox64Concat,
		MeasurementIndex,
		MeasurementOf<T>,
		OptionQuery,
	>;

	/// For meters whose device key was replaced: the indices of retained measurements that
	/// are the first of a new key, whose sequence numbers start afresh (older ones are
	/// pruned with the measurements). Written only by a rotation; read by `try_state`.
	#[pallet::storage]
	pub type SequenceRestarts<T: Config> = StorageMap<
		_,
		Twox64Concat,
		MeterId,
		BoundedVec<MeasurementIndex, T::RetainedMeasurements>,
		ValueQuery,
	>;

	/// The frames `authorize` has just checked, handed to the dispatch of the same
	/// transaction, which stores them without checking (and computing) them again. Put and
	/// taken within one extrinsic, so it never reaches the database (and is whitelisted in
	/// benchmarks: its cost is the measured time of an in-memory hand-over).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	#[pallet::unbounded]
	pub type JustAuthorized<T: Config> = StorageValue<_, Vec<CheckedFrame>, OptionQuery>;

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
			Pallet::<T>::frame_weight(frame.frame.len(), lr::MAX_OPS.into(), false),
			DispatchClass::Normal,
			Pays::No
		))]
		#[pallet::authorize(Pallet::<T>::authorize_frame)]
		#[pallet::weight_of_authorize(
			Pallet::<T>::frame_weight(frame.frame.len(), lr::MAX_OPS.into(), true)
		)]
		pub fn submit_frame(
			origin: OriginFor<T>,
			frame: SignedFrameOf<T>,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			let checked = match Self::take_authorized(core::slice::from_ref(&frame)) {
				Some(mut checked) if checked.len() == 1 => checked.remove(0),
				_ => {
					let checked = Self::check(&frame, &mut BTreeMap::new(), false)
						.map_err(Error::<T>::from)?;
					Self::charge_recheck(Self::frame_weight(frame.frame.len(), checked.ops, true));
					checked
				}
			};
			let used = Self::frame_weight(frame.frame.len(), checked.ops, false)
				.saturating_sub(T::OnMeasured::weight())
				.saturating_add(Self::store(checked));
			Ok(PostDispatchInfo { actual_weight: Some(used), pays_fee: Pays::No })
		}

		/// Submits a batch of signed frames, of any meters, in order. All or nothing:
		/// every frame must pass every check (see the pallet documentation).
		///
		/// Origin: `Authorized`. Emits one `Measured` per frame, `FramesMissed` after
		/// sequence gaps and `TimeSkipped` after gaps in time.
		#[pallet::call_index(1)]
		#[pallet::weight((
			Pallet::<T>::batch_weight(frames.iter().map(|f| (f.frame.len(), lr::MAX_OPS.into())), false),
			DispatchClass::Normal,
			Pays::No
		))]
		#[pallet::authorize(Pallet::<T>::authorize_frames)]
		#[pallet::weight_of_authorize(
			Pallet::<T>::batch_weight(frames.iter().map(|f| (f.frame.len(), lr::MAX_OPS.into())), true)
		)]
		pub fn submit_frames(
			origin: OriginFor<T>,
			frames: BatchOf<T>,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			let checked = match Self::take_authorized(&frames) {
				Some(checked) => frames.iter().map(|f| f.frame.len()).zip(checked).collect(),
				None => {
					let checked = Self::check_batch(&frames, false).map_err(Error::<T>::from)?;
					Self::charge_recheck(Self::batch_weight(
						checked.iter().map(|(len, c)| (*len, c.ops)),
						true,
					));
					checked
				}
			};
			let declared_hooks = T::OnMeasured::weight().saturating_mul(checked.len() as u64);
			let mut used = Self::batch_weight(checked.iter().map(|(len, c)| (*len, c.ops)), false)
				.saturating_sub(declared_hooks);
			for (_, c) in checked {
				used = used.saturating_add(Self::store(c));
			}
			Ok(PostDispatchInfo { actual_weight: Some(used), pays_fee: Pays::No })
		}
	}

	/// A frame that passed the cheap checks, with what the costly ones need.
	struct Prechecked {
		frame: lr::Frame,
		device_key: mensura_primitives::metering::DeviceKey,
		program: ProgramHash,
	}

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
	}

	impl<T: Config> Pallet<T> {
		/// Checks a frame against the chain's state, as the pool and block import do, and
		/// returns the quantity it measures. `overlay` holds the reading states that
		/// earlier frames of the same batch leave; it is updated on success.
		/// `verify_signature` is false only in dispatch, after `authorize` verified it.
		pub fn check(
			signed: &SignedFrameOf<T>,
			overlay: &mut BTreeMap<MeterId, ReadingState>,
			verify_signature: bool,
		) -> Result<CheckedFrame, FrameRejection> {
			let mut programs = BTreeMap::new();
			let prechecked = Self::precheck(signed, overlay, &mut programs)?;
			Self::complete(signed, prechecked, overlay, &programs, verify_signature)
		}

		/// The cheap checks of a frame, which read a few storage items and compare numbers:
		/// its format, its meter, its sequence number, its interval, its program's
		/// standing and inputs. They come before any hash, signature or program run, so that
		/// a frame refused for them costs next to nothing. Advances the meter's sequence and
		/// interval in `overlay`; `programs` caches the programs decoded so far.
		fn precheck(
			signed: &SignedFrameOf<T>,
			overlay: &mut BTreeMap<MeterId, ReadingState>,
			programs: &mut BTreeMap<ProgramHash, lr::Program>,
		) -> Result<Prechecked, FrameRejection> {
			let frame = lr::Frame::decode(&signed.frame).map_err(|_| FrameRejection::Malformed)?;
			let meter = T::Meters::meter(frame.meter).ok_or(FrameRejection::UnknownMeter)?;
			if meter.status != MeterStatus::Active {
				return Err(FrameRejection::MeterNotActive);
			}
			let state =
				overlay.entry(frame.meter).or_insert_with(|| Readings::<T>::get(frame.meter));
			if state.last_sequence.is_some_and(|last| frame.sequence <= last) {
				return Err(FrameRejection::Replayed);
			}
			if frame.sequence - state.last_sequence.unwrap_or(0) > T::MaxSequenceGap::get() {
				return Err(FrameRejection::SequenceTooFar);
			}
			if frame.end <= frame.start {
				return Err(FrameRejection::EmptyInterval);
			}
			if frame.start < state.last_end {
				return Err(FrameRejection::OverlappingInterval);
			}
			let now = T::Time::now().as_millis().min(u64::MAX.into()) as u64;
			if frame.end > now.saturating_add(T::MaxClockDrift::get()) {
				return Err(FrameRejection::FutureInterval);
			}
			let program_hash = meter.lr_program.ok_or(FrameRejection::NoProgramBound)?;
			let inputs = match programs.get(&program_hash) {
				Some(program) => program.inputs,
				None => {
					let program = T::Programs::usable_program(&program_hash)?;
					let inputs = program.inputs;
					programs.insert(program_hash, program);
					inputs
				}
			};
			if frame.channels.len() != usize::from(inputs) {
				return Err(FrameRejection::ChannelMismatch);
			}
			state.last_sequence = Some(frame.sequence);
			state.last_end = frame.end;
			Ok(Prechecked { frame, device_key: meter.device_key, program: program_hash })
		}

		/// The costly checks of a prechecked frame: its hash, its signature (unless
		/// `verify_signature` is false) and its program's run; then its meter's register in
		/// `overlay` advances by the quantity.
		fn complete(
			signed: &SignedFrameOf<T>,
			prechecked: Prechecked,
			overlay: &mut BTreeMap<MeterId, ReadingState>,
			programs: &BTreeMap<ProgramHash, lr::Program>,
			verify_signature: bool,
		) -> Result<CheckedFrame, FrameRejection> {
			let Prechecked { frame, device_key, program: program_hash } = prechecked;
			let frame_hash = H256::from(sp_io::hashing::blake2_256(&signed.frame));
			if verify_signature {
				let message =
					lr::frame::signing_message(&Self::genesis_hash(), frame_hash.as_fixed_bytes());
				if !device_key.verify(&message, &signed.signature) {
					return Err(FrameRejection::BadSignature);
				}
			}
			// `precheck` put every program it passed in the cache.
			let program = programs.get(&program_hash).ok_or(FrameRejection::ProgramNotApproved)?;
			let quantity = program.execute(&frame).map_err(|error| match error {
				lr::ExecError::ChannelCountMismatch { .. } => FrameRejection::ChannelMismatch,
				lr::ExecError::Overflow { .. } => FrameRejection::ComputationOverflow,
				lr::ExecError::NegativeQuantity => FrameRejection::NegativeQuantity,
				lr::ExecError::EmptyInterval => FrameRejection::EmptyInterval,
				lr::ExecError::InvalidProgram(_) => FrameRejection::ProgramNotApproved,
			})?;
			// `precheck` put the meter's state in the overlay.
			let state = overlay.entry(frame.meter).or_default();
			state.register =
				state.register.checked_add(quantity).ok_or(FrameRejection::RegisterOverflow)?;
			Ok(CheckedFrame {
				meter: frame.meter,
				sequence: frame.sequence,
				start: frame.start,
				end: frame.end,
				quantity,
				program: program_hash,
				frame_hash,
				ops: program.ops.len() as u32,
			})
		}

		/// Checks every frame of a batch in order, each against the reading states its
		/// predecessors leave; returns each frame's length and check, or the first refusal.
		/// The cheap checks run over the whole batch before the first signature is
		/// verified: a batch refused for a cheap reason, wherever its bad frame is, costs
		/// no signature and no program run. Each program is decoded once per batch.
		fn check_batch(
			frames: &BatchOf<T>,
			verify_signature: bool,
		) -> Result<Vec<(usize, CheckedFrame)>, FrameRejection> {
			if frames.is_empty() {
				return Err(FrameRejection::EmptyBatch);
			}
			let mut overlay = BTreeMap::new();
			let mut programs = BTreeMap::new();
			let prechecked = frames
				.iter()
				.map(|f| Self::precheck(f, &mut overlay, &mut programs))
				.collect::<Result<Vec<_>, _>>()?;
			frames
				.iter()
				.zip(prechecked)
				.map(|(f, p)| {
					let checked = Self::complete(f, p, &mut overlay, &programs, verify_signature)?;
					Ok((f.frame.len(), checked))
				})
				.collect()
		}

		/// The hash of block 0, which every frame's signed message binds.
		pub fn genesis_hash() -> [u8; 32] {
			let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			<[u8; 32]>::try_from(hash.as_ref()).unwrap_or_default()
		}

		/// The 80-byte message a meter signs for the frame `bytes` on this chain.
		pub fn signing_message(bytes: &[u8]) -> [u8; 80] {
			lr::frame::signing_message(&Self::genesis_hash(), &sp_io::hashing::blake2_256(bytes))
		}

		/// Stores a checked frame as its meter's next measurement; returns the weight
		/// [`Config::OnMeasured`] took.
		fn store(frame: CheckedFrame) -> Weight {
			let meter = frame.meter;
			let mut state = Readings::<T>::get(meter);
			if let Some(last) = state.last_sequence {
				let missed = frame.sequence.saturating_sub(last).saturating_sub(1);
				if missed > 0 {
					state.missed_frames = state.missed_frames.saturating_add(missed);
					Self::deposit_event(Event::FramesMissed {
						meter,
						after: last,
						next: frame.sequence,
						missed,
					});
				}
			}
			if state.measurements > 0 && frame.start > state.last_end {
				Self::deposit_event(Event::TimeSkipped {
					meter,
					from: state.last_end,
					to: frame.start,
				});
			}
			let index = state.measurements;
			let measurement = Measurement {
				sequence: frame.sequence,
				start: frame.start,
				end: frame.end,
				quantity: frame.quantity,
				program: frame.program,
				frame: frame.frame_hash,
				block: frame_system::Pallet::<T>::block_number(),
			};
			state.chain_head = Self::chain(state.chain_head, meter, index, &measurement);
			// `check` proved the addition fits.
			state.register = state.register.saturating_add(frame.quantity);
			state.last_sequence = Some(frame.sequence);
			state.last_end = frame.end;
			state.measurements = index.saturating_add(1);
			Measurements::<T>::insert(meter, index, &measurement);
			if let Some(expired) = index.checked_sub(T::RetainedMeasurements::get().into()) {
				Measurements::<T>::remove(meter, expired);
			}
			let register = state.register;
			Readings::<T>::insert(meter, state);
			let stored = StoredMeasurement {
				meter,
				index,
				start: measurement.start,
				end: measurement.end,
				quantity: measurement.quantity,
				program: measurement.program,
				register,
			};
			Self::deposit_event(Event::Measured { meter, index, measurement, register });
			T::OnMeasured::on_measured(&stored)
		}

		/// One link of a meter's hash chain: `H(previous ‖ meter ‖ index ‖ measurement)`
		/// ([`mensura_primitives::readings::chain_link`]).
		pub fn chain(
			previous: H256,
			meter: MeterId,
			index: MeasurementIndex,
			measurement: &MeasurementOf<T>,
		) -> H256 {
			mensura_primitives::readings::chain_link(previous, meter, index, measurement)
		}

		/// The pool's view of checked frames: each provides the tag `(meter, sequence)`;
		/// the transaction's priority is [`frame_priority`] of its earliest interval.
		fn validity<'a>(
			frames: impl Iterator<Item = &'a CheckedFrame> + Clone,
		) -> Result<ValidTransaction, TransactionValidityError> {
			let earliest = frames.clone().map(|f| f.start).min().unwrap_or(UnixMillis::MAX);
			let mut builder = ValidTransaction::with_tag_prefix("MensuraFrame")
				.priority(frame_priority(earliest))
				.longevity(T::FrameLongevity::get())
				.propagate(true);
			for frame in frames {
				builder = builder.and_provides((frame.meter, frame.sequence));
			}
			builder.build()
		}

		/// Refuses, before any frame of it is checked, a transaction of `call_len` bytes
		/// whose calls weigh `weight` (authorize and dispatch) that cannot be included: in
		/// the pool, one that no block can hold; in a block, one that no longer fits in
		/// it. A necessary condition of `frame_system`'s `CheckWeight` (which also counts
		/// the extensions and the base weight), answered as it answers
		/// (`ExhaustsResources`), so a full block stops trying frames instead of verifying
		/// them to learn they do not fit.
		fn ensure_fits(
			source: TransactionSource,
			weight: Weight,
			call_len: usize,
		) -> Result<(), TransactionValidityError> {
			let weights = <T as frame_system::Config>::BlockWeights::get();
			let normal = weights.get(DispatchClass::Normal);
			let max_len = *<T as frame_system::Config>::BlockLength::get()
				.max
				.get(DispatchClass::Normal) as usize;
			let (used_weight, used_len) = if source == TransactionSource::InBlock {
				(
					*frame_system::Pallet::<T>::block_weight().get(DispatchClass::Normal),
					frame_system::Pallet::<T>::block_size() as usize,
				)
			} else {
				(Weight::zero(), 0)
			};
			let fits = normal
				.max_total
				.map_or(true, |limit| used_weight.saturating_add(weight).all_lte(limit))
				&& normal.max_extrinsic.map_or(true, |max| weight.all_lte(max))
				&& used_len.saturating_add(call_len) <= max_len;
			if fits {
				Ok(())
			} else {
				Err(InvalidTransaction::ExhaustsResources.into())
			}
		}

		fn rejected(rejection: FrameRejection) -> TransactionValidityError {
			InvalidTransaction::Custom(rejection.code()).into()
		}

		/// The checks `authorize` handed over for exactly these frames, taken; `None` if
		/// there are none, or they are of other frames.
		fn take_authorized(frames: &[SignedFrameOf<T>]) -> Option<Vec<CheckedFrame>> {
			let checked = JustAuthorized::<T>::take()?;
			let same = checked.len() == frames.len()
				&& checked
					.iter()
					.zip(frames)
					.all(|(c, f)| c.frame_hash == H256::from(sp_io::hashing::blake2_256(&f.frame)));
			same.then_some(checked)
		}

		/// A dispatch found no hand-over from `authorize` for its frames (in a block,
		/// `authorize` always runs first in the same transaction; a dispatch of frames
		/// `authorize` never saw, e.g. by a test, gets here): it checked them again, and
		/// registers that work.
		fn charge_recheck(weight: Weight) {
			frame_system::Pallet::<T>::register_extra_weight_unchecked(
				weight,
				DispatchClass::Normal,
			);
		}

		/// `authorize` of [`Pallet::submit_frame`].
		pub fn authorize_frame(
			source: TransactionSource,
			frame: &SignedFrameOf<T>,
		) -> TransactionValidityWithRefund {
			let declared = Self::frame_weight(frame.frame.len(), lr::MAX_OPS.into(), true);
			Self::ensure_fits(
				source,
				declared.saturating_add(Self::frame_weight(
					frame.frame.len(),
					lr::MAX_OPS.into(),
					false,
				)),
				frame.encoded_size(),
			)?;
			let checked = Self::check(frame, &mut BTreeMap::new(), true).map_err(Self::rejected)?;
			let used = Self::frame_weight(frame.frame.len(), checked.ops, true);
			let validity = Self::validity(core::iter::once(&checked))?;
			JustAuthorized::<T>::put(alloc::vec![checked]);
			Ok((validity, declared.saturating_sub(used)))
		}

		/// `authorize` of [`Pallet::submit_frames`].
		pub fn authorize_frames(
			source: TransactionSource,
			frames: &BatchOf<T>,
		) -> TransactionValidityWithRefund {
			let declared = Self::batch_weight(
				frames.iter().map(|f| (f.frame.len(), lr::MAX_OPS.into())),
				true,
			);
			let dispatch = Self::batch_weight(
				frames.iter().map(|f| (f.frame.len(), lr::MAX_OPS.into())),
				false,
			);
			Self::ensure_fits(source, declared.saturating_add(dispatch), frames.encoded_size())?;
			let checked = Self::check_batch(frames, true).map_err(Self::rejected)?;
			let used = Self::batch_weight(checked.iter().map(|(len, c)| (*len, c.ops)), true);
			let validity = Self::validity(checked.iter().map(|(_, c)| c))?;
			JustAuthorized::<T>::put(checked.into_iter().map(|(_, c)| c).collect::<Vec<_>>());
			Ok((validity, declared.saturating_sub(used)))
		}

		/// The weight of checking (`authorize`) or storing (dispatch) one frame of `len`
		/// bytes with a program of `ops` operators, from the benchmarks. Checking: the
		/// frame's handling with a one-operator program, plus the interpreter for samples ×
		/// operators (which counts that one operator twice, on the safe side). Storing:
		/// what `authorize` handed over is stored, without running the program again, plus
		/// the most [`Config::OnMeasured`] can weigh.
		pub fn frame_weight(len: usize, ops: u32, authorize: bool) -> Weight {
			let samples = samples_in(len);
			if authorize {
				T::WeightInfo::authorize_frame(samples)
					.saturating_add(T::WeightInfo::execute_program(samples.saturating_mul(ops)))
			} else {
				T::WeightInfo::submit_frame(samples).saturating_add(T::OnMeasured::weight())
			}
		}

		/// The weight of a batch: the benchmarked batch of reference frames (see
		/// [`REFERENCE_SAMPLES`], [`REFERENCE_OPS`]) of the same count, plus what each
		/// frame costs beyond a reference frame, plus (when storing) [`Config::OnMeasured`]
		/// for each frame.
		pub fn batch_weight(frames: impl Iterator<Item = (usize, u32)>, authorize: bool) -> Weight {
			let reference = Self::frame_weight(
				lr::FRAME_HEADER_LEN + 4 * REFERENCE_SAMPLES as usize,
				REFERENCE_OPS,
				authorize,
			);
			let (count, extra) =
				frames.fold((0u32, Weight::zero()), |(count, extra), (len, ops)| {
					let beyond = Self::frame_weight(len, ops, authorize).saturating_sub(reference);
					(count.saturating_add(1), extra.saturating_add(beyond))
				});
			// `extra` cancels `OnMeasured`'s weight out (it is in both terms): add it per frame.
			let batch = if authorize {
				T::WeightInfo::authorize_frames(count)
			} else {
				T::WeightInfo::submit_frames(count)
					.saturating_add(T::OnMeasured::weight().saturating_mul(count.into()))
			};
			batch.saturating_add(extra)
		}

		/// Checks a frame as the pool would, without storing it: the quantity it would
		/// measure, or why it would be refused.
		pub fn dry_run(signed: &SignedFrameOf<T>) -> Result<u128, FrameRejection> {
			Self::check(signed, &mut BTreeMap::new(), true).map(|c| c.quantity)
		}

		/// Up to `limit` retained measurements of `meter`, from index `from` on.
		pub fn measurements(
			meter: MeterId,
			from: MeasurementIndex,
			limit: u32,
		) -> Vec<(MeasurementIndex, MeasurementOf<T>)> {
			let count = Readings::<T>::get(meter).measurements;
			let oldest = count.saturating_sub(T::RetainedMeasurements::get().into());
			let start = from.max(oldest);
			let end = count.min(start.saturating_add(limit.into()));
			(start..end)
				.filter_map(|index| Measurements::<T>::get(meter, index).map(|m| (index, m)))
				.collect()
		}

		/// The consumption of `meter` over `[from, to)`: its measurements whose interval
		/// starts in the period, summed. Refused when the period reaches back before the
		/// oldest retained measurement and older ones have been pruned, since the answer
		/// would then be incomplete. Reads at most `RetainedMeasurements` measurements.
		pub fn consumption(
			meter: MeterId,
			from: UnixMillis,
			to: UnixMillis,
		) -> Result<Consumption, ConsumptionError> {
			if to <= from {
				return Err(ConsumptionError::EmptyPeriod);
			}
			let retained = Self::measurements(meter, 0, T::RetainedMeasurements::get());
			if let Some((oldest, measurement)) = retained.first() {
				if *oldest > 0 && from < measurement.start {
					return Err(ConsumptionError::NotRetained {
						oldest_retained_start: measurement.start,
					});
				}
			}
			let mut consumption =
				Consumption { quantity: 0, measurements: 0, first: None, last: None };
			for (index, measurement) in retained {
				if measurement.start < from || measurement.start >= to {
					continue;
				}
				// The register is the sum of every quantity and did not overflow, so
				// neither does a part of it.
				consumption.quantity = consumption.quantity.saturating_add(measurement.quantity);
				consumption.measurements = consumption.measurements.saturating_add(1);
				consumption.first.get_or_insert(index);
				consumption.last = Some(index);
			}
			Ok(consumption)
		}

		/// Checks the pallet's invariants: each meter keeps exactly its last
		/// `RetainedMeasurements` measurements (or all, if fewer), their sequence numbers
		/// increase under each device key and their intervals never overlap, the last
		/// matches the reading state, and the register is at least the sum of the retained
		/// quantities.
		#[cfg(any(feature = "try-runtime", feature = "std", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			ensure!(!JustAuthorized::<T>::exists(), "an authorize hand-over was left behind");
			for (meter, state) in Readings::<T>::iter() {
				let retained = state.measurements.min(T::RetainedMeasurements::get().into());
				let oldest = state.measurements.saturating_sub(retained);
				let mut sum: u128 = 0;
				let mut previous: Option<MeasurementOf<T>> = None;
				let restarts = SequenceRestarts::<T>::get(meter);
				ensure!(
					restarts.iter().all(|&i| i <= state.measurements),
					"a sequence restart after the meter's last measurement"
				);
				for index in oldest..state.measurements {
					let m = Measurements::<T>::get(meter, index)
						.ok_or("a retained measurement is missing")?;
					if let Some(p) = &previous {
						ensure!(
							m.sequence > p.sequence || restarts.contains(&index),
							"sequence numbers do not increase under one device key"
						);
						ensure!(m.start >= p.end, "intervals overlap");
					}
					sum = sum.saturating_add(m.quantity);
					previous = Some(m);
				}
				if let Some(last) = previous {
					// Since a rotation with no frame of the new key yet, none is known.
					let expected =
						(!restarts.contains(&state.measurements)).then_some(last.sequence);
					ensure!(state.last_sequence == expected, "last sequence differs");
					ensure!(state.last_end == last.end, "last interval end differs");
				}
				ensure!(state.register >= sum, "register below its retained measurements");
				ensure!(
					Measurements::<T>::iter_prefix(meter).count() as u64 == retained,
					"measurements beyond retention are stored"
				);
			}
			for (meter, _, _) in Measurements::<T>::iter() {
				ensure!(Readings::<T>::contains_key(meter), "measurements of a meter never read");
			}
			Ok(())
		}
	}

	impl<T: Config> mensura_primitives::metering::OnDeviceKeyRotated for Pallet<T> {
		/// The new key's frames number afresh: the meter's last sequence is forgotten
		/// (its last interval end is not: no time is measured twice), and the index of
		/// its next measurement is noted as a restart. Frames of the old key, waiting in
		/// the pool or replayed, now fail their signature check.
		fn device_key_rotated(meter: MeterId) {
			let mut state = Readings::<T>::get(meter);
			if state.last_sequence.is_none() {
				return;
			}
			state.last_sequence = None;
			let next = state.measurements;
			let oldest = next.saturating_sub(T::RetainedMeasurements::get().into());
			Readings::<T>::insert(meter, state);
			SequenceRestarts::<T>::mutate(meter, |restarts| {
				restarts.retain(|&i| i > oldest && i != next);
				// Every kept index lies in (oldest, next): fewer than the bound.
				let _ = restarts.try_push(next);
			});
		}

		fn weight() -> Weight {
			T::DbWeight::get().reads_writes(2, 2)
		}
	}

	impl<T: Config> MeasurementLog for Pallet<T> {
		fn register(meter: MeterId) -> u128 {
			Readings::<T>::get(meter).register
		}

		fn measurement(
			meter: MeterId,
			index: MeasurementIndex,
		) -> Option<(UnixMillis, UnixMillis, u128)> {
			Measurements::<T>::get(meter, index).map(|m| (m.start, m.end, m.quantity))
		}
	}
}
