//! Ingestion: the cheap checks of every frame first, then signatures and LR programs,
//! in the pool (`authorize`) and in blocks; storing measurements; the weights frames
//! declare; the reads behind the runtime API; and the pallet's invariants.

use crate::*;
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{pallet_prelude::*, traits::UnixTime};
use frame_system::pallet_prelude::*;
use mensura_primitives::{
	host::mensura_crypto,
	metering::{DeviceKey, MeterId, MeterRegistry, MeterStatus},
	readings::{
		lr, FrameRejection, LrProgramProvider, MeasurementIndex, OnMeasured, StoredMeasurement,
		UnixMillis,
	},
};
use sp_core::H256;
use sp_runtime::{
	traits::{UniqueSaturatedInto, Zero},
	MultiSignature,
};

impl<T: Config> Pallet<T> {
	/// Checks a frame on its own against the chain's state, as the pool (`in_block`
	/// false) and blocks (`in_block` true) do; returns its check and the signature it
	/// verified (by scheme; none when `verify_signature` is false, only in dispatch,
	/// after `authorize` verified it).
	pub fn check(
		signed: &SignedFrameOf<T>,
		verify_signature: bool,
		in_block: bool,
	) -> Result<(CheckedFrameOf<T>, SignaturesApart), FrameRejection> {
		let mut overlay = Overlay::new(in_block);
		let prechecked = Self::precheck(signed, &mut overlay)?;
		let verified = SignaturesApart::of(&prechecked.device_key, verify_signature as u32);
		let frame_hash = H256::from(sp_io::hashing::blake2_256(&signed.frame));
		let genesis = verify_signature.then(Self::genesis_hash);
		let checked = Self::complete(signed, prechecked, frame_hash, &mut overlay, genesis)?;
		Ok((checked, verified))
	}

	/// The cheap checks of a frame, which read a few storage items and compare numbers:
	/// its format, its meter, its sequence number, its interval (against its model's
	/// bounds, the meter's verification and its last interval), its meter's share of
	/// the block, its program's standing and inputs. They come before any hash,
	/// signature or program run, so that a frame refused for them costs next to
	/// nothing. Advances the meter's sequence, interval and frame count in `overlay`.
	pub(crate) fn precheck(
		signed: &SignedFrameOf<T>,
		overlay: &mut Overlay<T::AccountId>,
	) -> Result<Prechecked<T::AccountId>, FrameRejection> {
		let frame = lr::Frame::decode(&signed.frame).map_err(|_| FrameRejection::Malformed)?;
		// A version-2 frame carries no more samples than the largest version-1 frame: the
		// range its weight is benchmarked over.
		let samples = frame.channels.iter().map(Vec::len).sum::<usize>();
		if samples > Self::max_frame_samples() as usize {
			return Err(FrameRejection::Malformed);
		}
		// The transaction's first frame of a meter reads its state, and carries it to
		// storing, which then does not read it again. The state holds the registry's
		// rules for the meter's frames: a frame costs this one read.
		let mut stored = None;
		let state = overlay.states.entry(frame.meter).or_insert_with(|| {
			let state = Readings::<T>::get(frame.meter);
			stored = Some(state.clone());
			state
		});
		let meter = state.frame_rules.clone().ok_or(FrameRejection::UnknownMeter)?;
		if meter.status != MeterStatus::Active {
			return Err(FrameRejection::MeterNotActive);
		}
		if state.last_sequence.is_some_and(|last| frame.sequence <= last) {
			return Err(FrameRejection::Replayed);
		}
		if frame.sequence - state.last_sequence.unwrap_or(0) > T::MaxSequenceGap::get() {
			return Err(FrameRejection::SequenceTooFar);
		}
		if frame.end <= frame.start {
			return Err(FrameRejection::EmptyInterval);
		}
		let length = frame.end - frame.start;
		if length < meter.min_interval_ms {
			return Err(FrameRejection::IntervalTooShort);
		}
		if length > meter.max_interval_ms {
			return Err(FrameRejection::IntervalTooLong);
		}
		if frame.start < state.measuring_since {
			return Err(FrameRejection::BeforeVerification);
		}
		if frame.start < state.last_end {
			return Err(FrameRejection::OverlappingInterval);
		}
		let now = T::Time::now().as_millis().min(u64::MAX.into()) as u64;
		if frame.end > now.saturating_add(T::MaxClockDrift::get()) {
			return Err(FrameRejection::FutureInterval);
		}
		let skips = state.last_sequence.is_some_and(|last| frame.sequence > last + 1);
		if overlay.in_block && skips && now < frame.end.saturating_add(T::MissingFrameWait::get()) {
			return Err(FrameRejection::AwaitingEarlierFrames);
		}
		let block = Self::block_number();
		let in_transaction = overlay.frames.entry(frame.meter).or_default();
		*in_transaction = in_transaction.saturating_add(1);
		let quota = T::MaxFramesPerMeterPerBlock::get();
		if *in_transaction > quota {
			return Err(FrameRejection::TooManyFramesOfOneMeter);
		}
		if state.last_block != block {
			state.last_block = block;
			state.frames_in_last_block = 0;
		}
		if state.frames_in_last_block >= quota {
			return Err(FrameRejection::MeterBlockQuotaFull);
		}
		let program_hash = meter.lr_program.ok_or(FrameRejection::NoProgramBound)?;
		let inputs = match overlay.programs.get(&program_hash) {
			Some(program) => program.program().inputs,
			None => {
				let program = T::Programs::usable_program(&program_hash)?;
				// The transaction's weight was declared for programs of at most this many
				// operators; the registry keeps every usable program within it, and a
				// program beyond it would run unweighed, so it is not run.
				let declared = *overlay.declared_ops.get_or_insert_with(Self::declared_ops);
				if program.ops.len() as u32 > declared {
					return Err(FrameRejection::ProgramNotApproved);
				}
				// Approved programs passed this check when they were published.
				let program = lr::CheckedProgram::new(program)
					.map_err(|_| FrameRejection::ProgramNotApproved)?;
				let inputs = program.program().inputs;
				overlay.programs.insert(program_hash, program);
				inputs
			}
		};
		if frame.channels.len() != usize::from(inputs) {
			return Err(FrameRejection::ChannelMismatch);
		}
		state.last_sequence = Some(frame.sequence);
		state.last_end = frame.end;
		state.frames_in_last_block = state.frames_in_last_block.saturating_add(1);
		Ok(Prechecked { frame, device_key: meter.device_key, program: program_hash, stored })
	}

	/// The number of the block being built or validated for, as the reading state keeps
	/// it (in the pool: the block after the best one).
	pub(crate) fn block_number() -> u32 {
		frame_system::Pallet::<T>::block_number().unique_saturated_into()
	}

	/// The costly checks of a prechecked frame whose bytes hash to `frame_hash`: its
	/// signature over the message bound to the chain of genesis hash `verify_with`
	/// (none: not verified here) and its program's run; then its meter's register in
	/// `overlay` advances by the quantity.
	pub(crate) fn complete(
		signed: &SignedFrameOf<T>,
		prechecked: Prechecked<T::AccountId>,
		frame_hash: H256,
		overlay: &mut Overlay<T::AccountId>,
		verify_with: Option<[u8; 32]>,
	) -> Result<CheckedFrameOf<T>, FrameRejection> {
		let Prechecked { frame, device_key, program: program_hash, stored } = prechecked;
		if let Some(genesis) = verify_with {
			let message = lr::frame::signing_message(&genesis, frame_hash.as_fixed_bytes());
			if !device_key.verify(&message, &signed.signature) {
				return Err(FrameRejection::BadSignature);
			}
		}
		// `precheck` put every program it passed in the cache.
		let program =
			overlay.programs.get_mut(&program_hash).ok_or(FrameRejection::ProgramNotApproved)?;
		let quantity = program.execute(&frame).map_err(|error| match error {
			lr::ExecError::ChannelCountMismatch { .. } => FrameRejection::ChannelMismatch,
			lr::ExecError::Overflow { .. } => FrameRejection::ComputationOverflow,
			lr::ExecError::NegativeQuantity => FrameRejection::NegativeQuantity,
			lr::ExecError::EmptyInterval => FrameRejection::EmptyInterval,
			lr::ExecError::InvalidProgram(_) => FrameRejection::ProgramNotApproved,
		})?;
		// `precheck` put the meter's state in the overlay.
		let state = overlay.states.entry(frame.meter).or_default();
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
			ops: program.program().ops.len() as u32,
			stored,
		})
	}

	/// Checks every frame of a batch in order, each against the reading states its
	/// predecessors leave; returns each frame's length and check, and how many
	/// signatures were verified one by one, or the first refusal.
	/// The cheap checks run over the whole batch before the first signature is
	/// verified: a batch refused for a cheap reason, wherever its bad frame is, costs
	/// no signature and no program run. Then the signatures of the frames whose meters
	/// sign with sr25519 are verified together, in one call of the node's host function
	/// ([`mensura_primitives::host`]), before any program runs; the others one by one.
	/// Each program is decoded once per batch.
	pub(crate) fn check_batch(
		frames: &BatchOf<T>,
		verify_signature: bool,
		in_block: bool,
	) -> Result<CheckedBatch<T::AccountId>, FrameRejection> {
		if frames.is_empty() {
			return Err(FrameRejection::EmptyBatch);
		}
		let mut overlay = Overlay::new(in_block);
		let prechecked = frames
			.iter()
			.map(|f| Self::precheck(f, &mut overlay))
			.collect::<Result<Vec<_>, _>>()?;
		let hashes: Vec<H256> =
			frames.iter().map(|f| sp_io::hashing::blake2_256(&f.frame).into()).collect();
		let genesis = verify_signature.then(Self::genesis_hash);
		let mut apart = alloc::vec![genesis; frames.len()];
		if let Some(genesis) = genesis {
			let mut together = Vec::new();
			for (i, (signed, p)) in frames.iter().zip(&prechecked).enumerate() {
				if let (DeviceKey::Sr25519(key), MultiSignature::Sr25519(signature)) =
					(&p.device_key, &signed.signature)
				{
					let message = lr::frame::signing_message(&genesis, hashes[i].as_fixed_bytes());
					together.push((*signature, *key, message.to_vec()));
					apart[i] = None;
				}
			}
			if !together.is_empty() && !mensura_crypto::sr25519_verify_batch(&together) {
				return Err(FrameRejection::BadSignature);
			}
		}
		let mut verified_apart = SignaturesApart::default();
		let checked = frames
			.iter()
			.zip(prechecked)
			.zip(hashes)
			.zip(apart)
			.map(|(((f, p), hash), verify_with)| {
				if verify_with.is_some() {
					verified_apart.add(&p.device_key);
				}
				let checked = Self::complete(f, p, hash, &mut overlay, verify_with)?;
				Ok((FrameLoad::of(&f.frame), checked))
			})
			.collect::<Result<Vec<_>, FrameRejection>>()?;
		Ok(CheckedBatch { frames: checked, apart: verified_apart })
	}

	/// The most samples a frame may carry, in either format: as many as the largest
	/// version-1 frame ([`Config::MaxFrameBytes`]) holds.
	pub fn max_frame_samples() -> u32 {
		FrameLoad::fixed(T::MaxFrameBytes::get() as usize).samples
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

	/// Stores a checked frame as its meter's next measurement, in the slot of the one it
	/// expires; returns the weight [`Config::OnMeasured`] took. Reads the meter's state
	/// only if the check did not carry it (a later frame of the same meter in the
	/// transaction reads what the earlier one wrote).
	pub(crate) fn store(frame: CheckedFrameOf<T>) -> Weight {
		let meter = frame.meter;
		let mut state = match frame.stored {
			Some(state) => state,
			None => Readings::<T>::get(meter),
		};
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
		let block = Self::block_number();
		if state.last_block != block {
			state.last_block = block;
			state.frames_in_last_block = 0;
		}
		state.frames_in_last_block = state.frames_in_last_block.saturating_add(1);
		let stored = StoredMeasurement {
			meter,
			index,
			start: measurement.start,
			end: measurement.end,
			quantity: measurement.quantity,
			program: measurement.program,
			register: state.register,
			surveilled: state.surveilled,
		};
		let register = state.register;
		Self::deposit_event(Event::Measured { meter, index, measurement, register });
		// Billing adds the measurement to the open period in the record, which is then
		// written once: the hooks must not write this meter's record themselves.
		let hooks = T::OnMeasured::on_measured(&stored, &mut state.billing);
		Readings::<T>::insert(meter, state);
		hooks
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
	pub(crate) fn validity<'a>(
		frames: impl Iterator<Item = &'a CheckedFrameOf<T>> + Clone,
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
	pub(crate) fn ensure_fits(
		source: TransactionSource,
		weight: Weight,
		call_len: usize,
	) -> Result<(), TransactionValidityError> {
		let weights = <T as frame_system::Config>::BlockWeights::get();
		let class = weights.get(FRAME_CLASS);
		let max_len =
			*<T as frame_system::Config>::BlockLength::get().max.get(FRAME_CLASS) as usize;
		let (used_weight, used_len) = if source == TransactionSource::InBlock {
			(
				*frame_system::Pallet::<T>::block_weight().get(FRAME_CLASS),
				frame_system::Pallet::<T>::block_size() as usize,
			)
		} else {
			(Weight::zero(), 0)
		};
		let fits =
			class.max_total.map_or(true, |limit| used_weight.saturating_add(weight).all_lte(limit))
				&& class.max_extrinsic.map_or(true, |max| weight.all_lte(max))
				&& used_len.saturating_add(call_len) <= max_len;
		if fits {
			Ok(())
		} else {
			Err(InvalidTransaction::ExhaustsResources.into())
		}
	}

	/// How the pool hears of a refused frame: `InvalidTransaction::Custom(code)`, except
	/// - a meter's full share of the block being built, which only means "not in this
	///   block" and is answered as a full block is (`ExhaustsResources`), so the frame
	///   waits in the pool;
	/// - an interval that ends after the chain's clock: the frame is not invalid, only
	///   not valid *yet*, so it is `UnknownTransaction::Custom(code)`. The pool bans a
	///   transaction it finds invalid for 30 minutes, whatever its bytes later become
	///   worth; one of unknown validity it refuses without a ban, and the same bytes may
	///   be sent again once blocks have moved the chain's clock on.
	pub(crate) fn rejected(rejection: FrameRejection) -> TransactionValidityError {
		match rejection {
			FrameRejection::MeterBlockQuotaFull | FrameRejection::AwaitingEarlierFrames => {
				InvalidTransaction::ExhaustsResources.into()
			}
			FrameRejection::FutureInterval => UnknownTransaction::Custom(rejection.code()).into(),
			rejection => InvalidTransaction::Custom(rejection.code()).into(),
		}
	}

	/// The checks `authorize` handed over for exactly these frames, taken; `None` if
	/// there are none, or they are of other frames.
	pub(crate) fn take_authorized(frames: &[SignedFrameOf<T>]) -> Option<Vec<CheckedFrameOf<T>>> {
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
	pub(crate) fn charge_recheck(weight: Weight) {
		frame_system::Pallet::<T>::register_extra_weight_unchecked(weight, FRAME_CLASS);
	}

	/// `authorize` of [`Pallet::submit_frame`].
	pub fn authorize_frame(
		source: TransactionSource,
		frame: &SignedFrameOf<T>,
	) -> TransactionValidityWithRefund {
		let declared = Self::declared_frame_check(frame);
		Self::ensure_fits(
			source,
			declared.saturating_add(Self::frame_weight(
				FrameLoad::of(&frame.frame),
				lr::MAX_OPS.into(),
				false,
			)),
			frame.encoded_size(),
		)?;
		let in_block = source == TransactionSource::InBlock;
		let (checked, verified) = Self::check(frame, true, in_block).map_err(Self::rejected)?;
		let used = Self::frame_weight(FrameLoad::of(&frame.frame), checked.ops, true)
			.saturating_add(Self::signature_surcharge(verified))
			.saturating_add(T::DbWeight::get().reads(1));
		let validity = Self::validity(core::iter::once(&checked))?;
		JustAuthorized::<T>::put(alloc::vec![checked]);
		Ok((validity, declared.saturating_sub(used)))
	}

	/// `authorize` of [`Pallet::submit_frames`].
	pub fn authorize_frames(
		source: TransactionSource,
		frames: &BatchOf<T>,
	) -> TransactionValidityWithRefund {
		let declared = Self::declared_batch_check(frames);
		let dispatch = Self::batch_weight(
			frames.iter().map(|f| (FrameLoad::of(&f.frame), lr::MAX_OPS.into())),
			false,
		);
		Self::ensure_fits(source, declared.saturating_add(dispatch), frames.encoded_size())?;
		let in_block = source == TransactionSource::InBlock;
		let checked = Self::check_batch(frames, true, in_block).map_err(Self::rejected)?;
		let count = checked.frames.len() as u32;
		let used = Self::batch_weight(checked.frames.iter().map(|(load, c)| (*load, c.ops)), true)
			.saturating_add(Self::signatures_apart_weight(count, checked.apart))
			.saturating_add(T::DbWeight::get().reads(1));
		let validity = Self::validity(checked.frames.iter().map(|(_, c)| c))?;
		JustAuthorized::<T>::put(checked.frames.into_iter().map(|(_, c)| c).collect::<Vec<_>>());
		Ok((validity, declared.saturating_sub(used)))
	}

	/// The weight `authorize` of [`Pallet::submit_frames`] declares before checking
	/// `frames`: every frame at the most operators of any usable program, the costliest
	/// mix of signatures verified one by one ([`Self::declared_signatures_apart`]) (the
	/// frames' programs and key schemes are known only once their meters are read), and
	/// the read of that bound ([`Self::declared_ops`]).
	pub fn declared_batch_check(frames: &BatchOf<T>) -> Weight {
		let count = frames.len() as u32;
		let ops = Self::declared_ops();
		Self::batch_weight(frames.iter().map(|f| (FrameLoad::of(&f.frame), ops)), true)
			.saturating_add(Self::declared_signatures_apart(count))
			.saturating_add(T::DbWeight::get().reads(1))
	}

	/// The most [`Self::signatures_apart_weight`] can give for a batch of `count` frames,
	/// however many of its signatures are verified one by one and in whichever schemes:
	/// a batch's signatures are known only once its meters are read. Verifying
	/// signatures together has a fixed part, so the costliest mix is not always every
	/// signature apart (in a batch of two, one sr25519 signature verified together and
	/// one Ed25519 apart cost more than both apart): both `count` and `count − 1`
	/// apart are weighed, the weight being affine in between (none apart weighs
	/// nothing beyond `authorize_frames`).
	pub fn declared_signatures_apart(count: u32) -> Weight {
		let apart = |k: u32| {
			match count.saturating_sub(k) {
				0 => Weight::zero(),
				n => T::WeightInfo::verify_signatures_together(n),
			}
			.saturating_add(Self::most_apart(k))
			.saturating_sub(T::WeightInfo::verify_signatures_together(count))
		};
		match count {
			0 => Weight::zero(),
			count => apart(count).max(apart(count - 1)),
		}
	}

	/// The most `k` signatures verified one by one weigh, whatever their schemes: every
	/// scheme's fixed part, and `k` times the costliest scheme's part per signature (the
	/// benchmarked weights being affine in the count).
	fn most_apart(k: u32) -> Weight {
		if k == 0 {
			return Weight::zero();
		}
		let schemes: [fn(u32) -> Weight; 3] = [
			T::WeightInfo::verify_sr25519_apart,
			T::WeightInfo::verify_ed25519_apart,
			T::WeightInfo::verify_ecdsa_apart,
		];
		let fixed = schemes.iter().fold(Weight::zero(), |sum, w| sum.saturating_add(w(0)));
		let per_signature = schemes
			.iter()
			.map(|w| w(1).saturating_sub(w(0)))
			.fold(Weight::zero(), |most, w| most.max(w));
		fixed.saturating_add(per_signature.saturating_mul(k.into()))
	}

	/// The weight `authorize` of [`Pallet::submit_frame`] declares before checking
	/// `frame`: the frame at the most operators of any usable program, its signature in
	/// the costliest scheme, and the read of that bound ([`Self::declared_ops`]).
	pub fn declared_frame_check(frame: &SignedFrameOf<T>) -> Weight {
		Self::frame_weight(FrameLoad::of(&frame.frame), Self::declared_ops(), true)
			.saturating_add(Self::costliest_signature())
			.saturating_add(T::DbWeight::get().reads(1))
	}

	/// The operators a frame is weighed with before its program is known: the most of
	/// any program that may compute now ([`LrProgramProvider::most_ops`]), so that a
	/// block is not kept for programs of [`lr::MAX_OPS`] operators nobody runs. A frame
	/// of an unusable program is refused before its program would run. Read wherever a
	/// frame transaction's weight is evaluated, in the state it then runs in, and by its
	/// check: one read counted per transaction, declared and used (the node's cache
	/// serves the others).
	pub fn declared_ops() -> u32 {
		T::Programs::most_ops()
	}

	/// The most [`Self::signature_surcharge`] gives for one signature, over the schemes.
	fn costliest_signature() -> Weight {
		[
			SignaturesApart { sr25519: 1, ..Default::default() },
			SignaturesApart { ed25519: 1, ..Default::default() },
			SignaturesApart { ecdsa: 1, ..Default::default() },
		]
		.into_iter()
		.map(Self::signature_surcharge)
		.fold(Weight::zero(), |most, w| most.max(w))
	}

	/// The signatures `apart` verified one by one, each scheme's benchmark for its own
	/// count (a scheme's fixed part counts only if it is used).
	fn signatures_one_by_one(apart: SignaturesApart) -> Weight {
		let scheme = |n: u32, weight: fn(u32) -> Weight| match n {
			0 => Weight::zero(),
			n => weight(n),
		};
		scheme(apart.sr25519, T::WeightInfo::verify_sr25519_apart)
			.saturating_add(scheme(apart.ed25519, T::WeightInfo::verify_ed25519_apart))
			.saturating_add(scheme(apart.ecdsa, T::WeightInfo::verify_ecdsa_apart))
	}

	/// What a batch of `count` frames of which `apart` have their signatures verified one
	/// by one (not sr25519) weighs beyond `authorize_frames`, benchmarked with every
	/// signature verified together.
	pub fn signatures_apart_weight(count: u32, apart: SignaturesApart) -> Weight {
		let together = match count.saturating_sub(apart.total()) {
			0 => Weight::zero(),
			n => T::WeightInfo::verify_signatures_together(n),
		};
		together
			.saturating_add(Self::signatures_one_by_one(apart))
			.saturating_sub(T::WeightInfo::verify_signatures_together(count))
	}

	/// What the single frame's signature `verified` weighs beyond the sr25519 one
	/// `authorize_frame` is benchmarked with (zero for sr25519, and for none).
	pub fn signature_surcharge(verified: SignaturesApart) -> Weight {
		Self::signatures_one_by_one(verified)
			.saturating_sub(T::WeightInfo::verify_sr25519_apart(verified.total()))
	}

	/// The weight of checking (`authorize`) or storing (dispatch) one frame of `load`
	/// with a program of `ops` operators, from the benchmarks. Checking: the frame's
	/// handling with a one-operator program, plus the interpreter for samples ×
	/// operators (which counts that one operator twice, on the safe side); the handling
	/// is benchmarked with version-1 frames, and a version-2 frame adds decoding and
	/// hashing its bytes at their costliest, one benchmark on top of the other (so
	/// decoding and hashing count twice, on the safe side). Storing: what `authorize`
	/// handed over is stored, without decoding the frame or running the program again,
	/// plus the most [`Config::OnMeasured`] can weigh ([`Pallet::hooks_weight`]); it
	/// hashes the frame's bytes (to match the hand-over), benchmarked as the version-1
	/// frame of as many bytes or more ([`FrameLoad::hashed_samples`]); `ops` counts only
	/// for checking.
	pub fn frame_weight(load: FrameLoad, ops: u32, authorize: bool) -> Weight {
		let samples = load.samples;
		if authorize {
			let compact = match load.compact {
				true => T::WeightInfo::decode_compact_frame(samples),
				false => Weight::zero(),
			};
			T::WeightInfo::authorize_frame(samples)
				.saturating_add(T::WeightInfo::execute_program(samples.saturating_mul(ops)))
				.saturating_add(compact)
		} else {
			Self::hooks_weight(T::WeightInfo::submit_frame(load.hashed_samples()), 1)
		}
	}

	/// A benchmarked weight of storing `count` frames, with [`Config::OnMeasured`] at
	/// its most: the benchmarks ran its cheapest path (their meters are unknown to it),
	/// measured on its own as [`OnMeasured::idle_weight`], which gives way to
	/// [`OnMeasured::weight`], so that the hooks are counted once.
	pub fn hooks_weight(benchmarked: Weight, count: u32) -> Weight {
		benchmarked
			.saturating_sub(T::OnMeasured::idle_weight().saturating_mul(count.into()))
			.saturating_add(T::OnMeasured::weight().saturating_mul(count.into()))
	}

	/// The weight of a batch: the benchmarked batch of reference frames (see
	/// [`REFERENCE_SAMPLES`], [`REFERENCE_OPS`]) of the same count, plus what each
	/// frame costs beyond a reference frame, plus (when storing) [`Config::OnMeasured`]
	/// for each frame.
	pub fn batch_weight(frames: impl Iterator<Item = (FrameLoad, u32)>, authorize: bool) -> Weight {
		let reference =
			Self::frame_weight(FrameLoad::fixed(REFERENCE_LEN), REFERENCE_OPS, authorize);
		let (count, extra) = frames.fold((0u32, Weight::zero()), |(count, extra), (load, ops)| {
			let beyond = Self::frame_weight(load, ops, authorize).saturating_sub(reference);
			(count.saturating_add(1), extra.saturating_add(beyond))
		});
		// `extra` cancels `OnMeasured`'s weight out (it is in both terms): add it per frame.
		let batch = if authorize {
			T::WeightInfo::authorize_frames(count)
		} else {
			Self::hooks_weight(T::WeightInfo::submit_frames(count), count)
		};
		batch.saturating_add(extra)
	}

	/// Checks a frame as the pool would, without storing it: the quantity it would
	/// measure, or why it would be refused.
	pub fn dry_run(signed: &SignedFrameOf<T>) -> Result<u128, FrameRejection> {
		Self::check(signed, true, false).map(|(c, _)| c.quantity)
	}

	/// Checks the pallet's invariants: no authorize hand-over outlives its transaction;
	/// every reading state is a registered meter's, and every registered meter has one
	/// whose frame rules are the registry's; a meter with no measurement has an empty
	/// history (zero register, no sequence, no missed frame, the chain's starting head);
	/// no meter holds more of the last block's frames than its share.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(!JustAuthorized::<T>::exists(), "an authorize hand-over was left behind");
		for meter in T::Meters::meter_ids() {
			ensure!(
				Readings::<T>::get(meter).frame_rules == T::Meters::frame_rules(meter),
				"a meter's frame rules differ from the registry's"
			);
		}
		for (meter, state) in Readings::<T>::iter() {
			ensure!(T::Meters::meter(meter).is_some(), "a reading state of an unknown meter");
			if state.measurements == 0 {
				ensure!(
					state.register == 0
						&& state.last_sequence.is_none()
						&& state.missed_frames == 0
						&& state.chain_head == H256::zero(),
					"a meter without measurements has a history"
				);
			}
			ensure!(
				state.frames_in_last_block <= T::MaxFramesPerMeterPerBlock::get(),
				"a meter has more frames in a block than its share"
			);
		}
		Ok(())
	}
}
