//! Benchmarks of ingestion: checking (`authorize`) and storing (dispatch) a frame as
//! functions of its samples, running a program as a function of samples × operators, and
//! batches as functions of their size.
//!
//! The cost of a program is proportional to samples × operators, a product the linear
//! fit of a two-component benchmark cannot express; so `execute_program` measures the
//! interpreter per sample-operation (the widest median on noise), and `authorize_frame` /
//! `submit_frame` the rest per sample, with a one-operator program. The weight of a frame
//! charges `execute_program(samples × operators)` once, to check it: `authorize` hands
//! its checks to the dispatch, which stores them without running the program again (the
//! store benchmarks run `authorize` first, as a block does).
//!
//! Worst cases: the operator benchmarked per sample-operation is the widest median filter
//! (15 values sorted per sample); every frame is of a different meter, so each batch frame
//! reads and writes its own reading state; each stored measurement expires an old one
//! (and takes its slot).

use super::*;
use crate::reference::{samples, worst_program, MAX_SAMPLES};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{Authorize, Get};
use frame_system::RawOrigin;
use mensura_primitives::{
	host::mensura_crypto,
	metering::{
		DeviceKey, MeterId, MeterRegistry, MeterStatus, OnDeviceKeyRotated, OnFrameRulesChanged,
		OnMeterVerified,
	},
	readings::{lr, LrProgramProvider, SignedFrame},
};
use sp_core::crypto::KeyTypeId;
use sp_runtime::{transaction_validity::TransactionSource, MultiSignature};

/// The keystore slot of the benchmark meters' keys.
const KEY_TYPE: KeyTypeId = KeyTypeId(*b"mfrm");

/// The largest batch benchmarked (the runtime's `MaxBatchFrames`).
const MAX_BATCH: u32 = 256;

/// A new active meter with a fresh sr25519 key in the keystore, bound to `program`.
fn meter_with<T: Config>(program: &lr::Program) -> (MeterId, sp_core::sr25519::Public) {
	let public = sp_io::crypto::sr25519_generate(KEY_TYPE, None);
	let hash = T::Programs::benchmark_approved_program(program);
	(T::Meters::benchmark_active_meter(DeviceKey::Sr25519(public), hash), public)
}

/// A frame of `meter` with `channels`, over the second starting at the chain's time,
/// signed by `public`.
fn signed_frame<T: Config>(
	meter: MeterId,
	public: &sp_core::sr25519::Public,
	channels: Vec<Vec<i32>>,
) -> SignedFrameOf<T> {
	use frame_support::traits::UnixTime;
	let now = T::Time::now().as_millis() as u64;
	assert!(T::MaxClockDrift::get() >= 1_000, "benchmark frames end a second ahead");
	let frame = lr::Frame { meter, sequence: 1, start: now, end: now + 1_000, channels };
	let bytes = frame.encode().expect("benchmark frames are well formed");
	let message = Pallet::<T>::signing_message(&bytes);
	let signature = sp_io::crypto::sr25519_sign(KEY_TYPE, public, &message)
		.expect("the key was generated in this keystore");
	SignedFrame {
		frame: bytes.try_into().expect("benchmark frames fit MaxFrameBytes"),
		signature: MultiSignature::Sr25519(signature),
	}
}

/// A reference frame (two channels of 60 samples) of a new meter bound to the reference
/// program.
fn reference_frame<T: Config>() -> (MeterId, SignedFrameOf<T>) {
	let (meter, public) = meter_with::<T>(&lr::examples::electricity_active_energy());
	let half = REFERENCE_SAMPLES / 2;
	let voltage = samples(half).into_iter().map(|s| 230_000 + s).collect();
	let current = samples(half).into_iter().map(|s| 5_000 + s).collect();
	(meter, signed_frame::<T>(meter, &public, vec![voltage, current]))
}

/// `n` reference frames of `n` meters.
fn reference_batch<T: Config>(n: u32) -> (Vec<MeterId>, BatchOf<T>) {
	let (meters, frames): (Vec<_>, Vec<_>) = (0..n).map(|_| reference_frame::<T>()).unzip();
	(meters, frames.try_into().expect("benchmark batches fit MaxBatchFrames"))
}

/// `n` signing messages of frames, each signed by its own new sr25519 key.
fn signed_messages(n: u32) -> Vec<mensura_primitives::host::Sr25519Item> {
	(0..n)
		.map(|i| {
			let key = sp_io::crypto::sr25519_generate(KEY_TYPE, None);
			let message = lr::frame::signing_message(&[7; 32], &[i as u8; 32]).to_vec();
			let signature = sp_io::crypto::sr25519_sign(KEY_TYPE, &key, &message)
				.expect("the key was generated in this keystore");
			(signature, key, message)
		})
		.collect()
}

/// `n` frames' signing messages, each signed by a new key of this keystore with `sign`,
/// which returns the key and the signature of the message it is given.
fn signed_apart(
	n: u32,
	sign: impl Fn(&[u8]) -> (DeviceKey, MultiSignature),
) -> Vec<(DeviceKey, MultiSignature, Vec<u8>)> {
	(0..n)
		.map(|i| {
			let message = lr::frame::signing_message(&[7; 32], &[i as u8; 32]).to_vec();
			let (key, signature) = sign(&message);
			(key, signature, message)
		})
		.collect()
}

/// Verifies each signature on its own, as `DeviceKey::verify` does for a frame.
fn verify_apart(items: &[(DeviceKey, MultiSignature, Vec<u8>)]) -> Result<(), BenchmarkError> {
	for (key, signature, message) in items {
		if !key.verify(message, signature) {
			return Err("the benchmark signatures are valid".into());
		}
	}
	Ok(())
}

/// How many measurements a benchmark's meter has before the measured call: a meter in
/// service, whose reading state exists (storing a measurement overwrites it).
const EARLIER_MEASUREMENTS: u64 = 96;

/// Gives the meter a reading state with [`EARLIER_MEASUREMENTS`] measurements (and the
/// frame rules the registry gave it).
fn in_service<T: Config>(meter: MeterId) {
	Readings::<T>::mutate(meter, |state| state.measurements = EARLIER_MEASUREMENTS);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn execute_program(n: Linear<1, MAX_SAMPLES>) -> Result<(), BenchmarkError> {
		// One median filter of the widest window over `n` samples of noise: the costliest
		// sample-operation. Later operators of a longer program work on filtered data and
		// cost less, so charging every sample-operation this much is an upper bound.
		// Checked once, as a transaction's first frame of the program runs it: its
		// buffers are allocated in the measured block.
		let mut program =
			lr::CheckedProgram::new(worst_program(2)).map_err(|_| "the benchmark program")?;
		let frame =
			lr::Frame { meter: 0, sequence: 1, start: 0, end: 1_000, channels: vec![samples(n)] };
		#[block]
		{
			program.execute(&frame).map_err(|_| "the benchmark program computes")?;
		}
		Ok(())
	}

	#[benchmark]
	fn authorize_frame(s: Linear<1, MAX_SAMPLES>) -> Result<(), BenchmarkError> {
		let (meter, public) = meter_with::<T>(&worst_program(1));
		let call =
			Call::<T>::submit_frame { frame: signed_frame::<T>(meter, &public, vec![samples(s)]) };
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("submit_frame is authorised")?
				.map_err(|_| "the benchmark frame is valid")?;
		}
		Ok(())
	}

	/// Decoding a version-2 frame of `s` samples and hashing its bytes, at their
	/// costliest: every sample's difference from the one before takes five bytes (the
	/// most an `i32`'s does), and every header field its longest varint.
	#[benchmark]
	fn decode_compact_frame(s: Linear<1, MAX_SAMPLES>) -> Result<(), BenchmarkError> {
		let channel = (0..s).map(|i| if i % 2 == 0 { i32::MIN } else { i32::MAX }).collect();
		let frame = lr::Frame {
			meter: u64::MAX,
			sequence: u64::MAX,
			start: 0,
			end: u64::MAX,
			channels: vec![channel],
		};
		let bytes =
			frame.encode_as(lr::FrameFormat::Compact).map_err(|_| "the benchmark frame encodes")?;
		#[block]
		{
			let decoded = lr::Frame::decode(&bytes).map_err(|_| "the benchmark frame decodes")?;
			core::hint::black_box((decoded, sp_io::hashing::blake2_256(&bytes)));
		}
		Ok(())
	}

	#[benchmark]
	fn submit_frame(s: Linear<1, MAX_SAMPLES>) {
		let (meter, public) = meter_with::<T>(&worst_program(1));
		in_service::<T>(meter);
		let frame = signed_frame::<T>(meter, &public, vec![samples(s)]);
		// As in a block: `authorize` has just checked the frame and handed it over.
		Call::<T>::submit_frame { frame: frame.clone() }
			.authorize(TransactionSource::InBlock)
			.expect("submit_frame is authorised")
			.expect("the benchmark frame is valid");
		#[extrinsic_call]
		_(RawOrigin::Authorized, frame);
		assert_eq!(Readings::<T>::get(meter).measurements, EARLIER_MEASUREMENTS + 1);
	}

	#[benchmark]
	fn authorize_frames(n: Linear<1, MAX_BATCH>) -> Result<(), BenchmarkError> {
		let (_, frames) = reference_batch::<T>(n);
		let call = Call::<T>::submit_frames { frames };
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("submit_frames is authorised")?
				.map_err(|_| "the benchmark frames are valid")?;
		}
		Ok(())
	}

	/// `n` sr25519 signatures of frames' signing messages verified together, as a batch's
	/// are (one call of the node's host function).
	#[benchmark]
	fn verify_signatures_together(n: Linear<0, MAX_BATCH>) -> Result<(), BenchmarkError> {
		let items = signed_messages(n);
		#[block]
		{
			if !mensura_crypto::sr25519_verify_batch(&items) {
				return Err("the benchmark signatures are valid".into());
			}
		}
		Ok(())
	}

	/// `n` sr25519 signatures of frames' signing messages verified one by one, as a
	/// single frame's is (and a batch's, before its meters' schemes are known).
	#[benchmark]
	fn verify_sr25519_apart(n: Linear<0, MAX_BATCH>) -> Result<(), BenchmarkError> {
		let items: Vec<_> = signed_messages(n)
			.into_iter()
			.map(|(signature, key, message)| {
				(DeviceKey::Sr25519(key), MultiSignature::Sr25519(signature), message)
			})
			.collect();
		#[block]
		{
			verify_apart(&items)?;
		}
		Ok(())
	}

	/// `n` ed25519 signatures verified one by one, as a batch's frames of ed25519 meters
	/// are.
	#[benchmark]
	fn verify_ed25519_apart(n: Linear<0, MAX_BATCH>) -> Result<(), BenchmarkError> {
		let items = signed_apart(n, |message| {
			let key = sp_io::crypto::ed25519_generate(KEY_TYPE, None);
			let signature = sp_io::crypto::ed25519_sign(KEY_TYPE, &key, message)
				.expect("the key was generated in this keystore");
			(DeviceKey::Ed25519(key), MultiSignature::Ed25519(signature))
		});
		#[block]
		{
			verify_apart(&items)?;
		}
		Ok(())
	}

	/// `n` ECDSA signatures verified one by one (a public key recovered from each and
	/// compared), as a batch's frames of ECDSA meters are.
	#[benchmark]
	fn verify_ecdsa_apart(n: Linear<0, MAX_BATCH>) -> Result<(), BenchmarkError> {
		let items = signed_apart(n, |message| {
			let key = sp_io::crypto::ecdsa_generate(KEY_TYPE, None);
			let signature = sp_io::crypto::ecdsa_sign(KEY_TYPE, &key, message)
				.expect("the key was generated in this keystore");
			(DeviceKey::Ecdsa(key), MultiSignature::Ecdsa(signature))
		});
		#[block]
		{
			verify_apart(&items)?;
		}
		Ok(())
	}

	#[benchmark]
	fn submit_frames(n: Linear<1, MAX_BATCH>) {
		let (meters, frames) = reference_batch::<T>(n);
		for meter in &meters {
			in_service::<T>(*meter);
		}
		Call::<T>::submit_frames { frames: frames.clone() }
			.authorize(TransactionSource::InBlock)
			.expect("submit_frames is authorised")
			.expect("the benchmark frames are valid");
		#[extrinsic_call]
		_(RawOrigin::Authorized, frames);
		for meter in meters {
			assert_eq!(Readings::<T>::get(meter).last_sequence, Some(1));
		}
	}

	/// The registry tells ingestion a meter was verified: its reading record is read and
	/// written with the chain's time.
	#[benchmark]
	fn meter_verified() {
		let (meter, _) = meter_with::<T>(&worst_program(1));
		in_service::<T>(meter);
		#[block]
		{
			<Pallet<T> as OnMeterVerified>::meter_verified(meter);
		}
		assert_eq!(Readings::<T>::get(meter).measurements, EARLIER_MEASUREMENTS);
	}

	/// The registry tells ingestion a meter's device key was replaced: its reading
	/// record forgets the last sequence.
	#[benchmark]
	fn device_key_rotated() {
		let (meter, _) = meter_with::<T>(&worst_program(1));
		Readings::<T>::mutate(meter, |state| {
			state.measurements = EARLIER_MEASUREMENTS;
			state.last_sequence = Some(EARLIER_MEASUREMENTS);
		});
		#[block]
		{
			<Pallet<T> as OnDeviceKeyRotated>::device_key_rotated(meter);
		}
		assert_eq!(Readings::<T>::get(meter).last_sequence, None);
	}

	/// The registry tells ingestion a meter's frame rules changed (here: it was
	/// suspended): its reading record takes the new rules.
	#[benchmark]
	fn frame_rules_changed() {
		let (meter, _) = meter_with::<T>(&worst_program(1));
		let mut rules = Readings::<T>::get(meter).frame_rules.expect("the registry told it");
		rules.status = MeterStatus::Suspended;
		#[block]
		{
			<Pallet<T> as OnFrameRulesChanged>::frame_rules_changed(meter, rules.clone());
		}
		assert_eq!(Readings::<T>::get(meter).frame_rules, Some(rules));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
