use crate::{mock::*, Event, FrameLoad, Readings as ReadingStates, SignaturesApart, SignedFrameOf};
use codec::{Decode, Encode};
use frame_support::{
	assert_ok, assert_storage_noop,
	pallet_prelude::{
		InvalidTransaction, TransactionSource, TransactionValidityError, UnknownTransaction,
	},
	traits::Authorize,
	BoundedVec,
};
use frame_system::RawOrigin;
use mensura_primitives::{
	metering::{MeterRegistry, ProgramHash, StatusReason},
	readings::{lr, FrameRejection},
};
use sp_core::{Pair, H256};
use sp_runtime::MultiSignature;

/// 230 V and 5 A over one minute ending `end`: 19.1667 Wh, 19,167 mWh.
const QUANTITY: u128 = 19_167;
const MINUTE: u64 = 60_000;

fn frame(meter: u64, sequence: u64, end: u64) -> lr::Frame {
	lr::Frame {
		meter,
		sequence,
		start: end - MINUTE,
		end,
		channels: vec![vec![230_000; 60], vec![5_000; 60]],
	}
}

/// `frame` signed by test meter `signer`'s key for this chain.
fn signed_by(signer: u64, frame: &lr::Frame) -> SignedFrameOf<Test> {
	sign_bytes(signer, frame.encode().unwrap(), Readings::genesis_hash())
}

fn sign_bytes(signer: u64, bytes: Vec<u8>, genesis: [u8; 32]) -> SignedFrameOf<Test> {
	let message = lr::frame::signing_message(&genesis, &sp_io::hashing::blake2_256(&bytes));
	SignedFrameOf::<Test> {
		frame: BoundedVec::try_from(bytes).unwrap(),
		signature: MultiSignature::Sr25519(meter_key(signer).sign(&message)),
	}
}

fn signed(frame: &lr::Frame) -> SignedFrameOf<Test> {
	signed_by(frame.meter, frame)
}

/// The rejection the pool is told: `InvalidTransaction::Custom(code)`, or for a frame
/// only not valid yet (`FutureInterval`) `UnknownTransaction::Custom(code)`.
fn reason(error: TransactionValidityError) -> FrameRejection {
	match error {
		TransactionValidityError::Invalid(InvalidTransaction::Custom(code)) => {
			let rejection = FrameRejection::from_code(code).unwrap();
			assert_ne!(rejection, FrameRejection::FutureInterval, "reported as invalid");
			rejection
		}
		TransactionValidityError::Unknown(UnknownTransaction::Custom(code)) => {
			let rejection = FrameRejection::from_code(code).unwrap();
			assert_eq!(rejection, FrameRejection::FutureInterval, "reported as unknown");
			rejection
		}
		other => panic!("not a frame rejection: {other:?}"),
	}
}

/// Authorises `call` as the pool and block import do: a refusal changes no storage; an
/// acceptance leaves only the hand-over of its checks for the dispatch.
fn authorize(call: &crate::Call<Test>) -> Result<(), FrameRejection> {
	let root = sp_io::storage::root(sp_runtime::StateVersion::V1);
	match call.authorize(TransactionSource::External).expect("frames are authorised calls") {
		Err(error) => {
			assert_eq!(sp_io::storage::root(sp_runtime::StateVersion::V1), root);
			Err(reason(error))
		}
		Ok(_) => {
			assert!(crate::JustAuthorized::<Test>::exists(), "authorize hands its checks over");
			Ok(())
		}
	}
}

/// Submits like a block does: `authorize`, then dispatch with the `Authorized` origin,
/// which takes the hand-over.
fn submit(frame: SignedFrameOf<Test>) -> Result<(), FrameRejection> {
	authorize(&crate::Call::<Test>::submit_frame { frame: frame.clone() })?;
	assert_ok!(Readings::submit_frame(RawOrigin::Authorized.into(), frame));
	assert!(!crate::JustAuthorized::<Test>::exists(), "the dispatch took the hand-over");
	Readings::do_try_state().unwrap();
	Ok(())
}

fn submit_batch(frames: Vec<SignedFrameOf<Test>>) -> Result<(), FrameRejection> {
	let frames = BoundedVec::try_from(frames).unwrap();
	authorize(&crate::Call::<Test>::submit_frames { frames: frames.clone() })?;
	assert_ok!(Readings::submit_frames(RawOrigin::Authorized.into(), frames));
	assert!(!crate::JustAuthorized::<Test>::exists(), "the dispatch took the hand-over");
	Readings::do_try_state().unwrap();
	Ok(())
}

fn program() -> ProgramHash {
	<Meters as MeterRegistry>::lr_program(0).unwrap()
}

fn measured_events() -> Vec<(u64, u64, crate::MeasurementOf<Test>)> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::Readings(Event::Measured { meter, index, measurement, .. }) => {
				Some((meter, index, measurement))
			}
			_ => None,
		})
		.collect()
}

/// Meter 0's frames of the twelve minutes up to NOW, one a minute, each accepted.
/// The reading record of genesis meter `meter` before its first frame: nothing but the
/// registry's rules for its frames.
fn unmeasured(meter: u64) -> crate::ReadingStateOf<Test> {
	crate::ReadingStateOf::<Test> {
		frame_rules: <Meters as MeterRegistry>::frame_rules(meter),
		..Default::default()
	}
}

fn twelve_minutes_of_meter_zero() {
	for sequence in 1..=12 {
		let end = NOW - (12 - sequence) * MINUTE;
		assert_eq!(submit(signed(&frame(0, sequence, end))), Ok(()));
	}
}

mod accepted {
	use super::*;

	#[test]
	fn a_signed_frame_becomes_a_measurement_and_advances_the_register() {
		new_test_ext().execute_with(|| {
			let f = frame(0, 1, NOW);
			let bytes = f.encode().unwrap();
			assert_eq!(submit(signed(&f)), Ok(()));
			let (_, _, measurement) = measured_events().pop().unwrap();
			assert_eq!(measurement.sequence, 1);
			assert_eq!((measurement.start, measurement.end), (NOW - MINUTE, NOW));
			assert_eq!(measurement.quantity, QUANTITY);
			assert_eq!(measurement.program, program());
			assert_eq!(measurement.frame, H256::from(sp_io::hashing::blake2_256(&bytes)));
			assert_eq!(measurement.block, 1);
			let state = ReadingStates::<Test>::get(0);
			assert_eq!(
				state,
				crate::ReadingStateOf::<Test> {
					register: QUANTITY,
					last_sequence: Some(1),
					last_end: NOW,
					measurements: 1,
					missed_frames: 0,
					chain_head: Readings::chain(H256::zero(), 0, 0, &measurement),
					measuring_since: 0,
					last_block: 1,
					frames_in_last_block: 1,
					billing: None,
					surveilled: false,
					frame_rules: <Meters as MeterRegistry>::frame_rules(0),
				}
			);
			System::assert_last_event(
				Event::Measured { meter: 0, index: 0, measurement, register: QUANTITY }.into(),
			);

			assert_eq!(submit(signed(&frame(0, 2, NOW + MINUTE))), Ok(()));
			assert_eq!(ReadingStates::<Test>::get(0).register, 2 * QUANTITY);
			assert_eq!(measured_events().len(), 2);
		});
	}

	#[test]
	fn the_pool_tags_each_frame_by_meter_and_sequence_and_frames_are_feeless() {
		new_test_ext().execute_with(|| {
			let call = crate::Call::<Test>::submit_frame { frame: signed(&frame(0, 7, NOW)) };
			let (validity, _) = call.authorize(TransactionSource::External).unwrap().unwrap();
			assert_eq!(validity.provides, vec![("MensuraFrame", (0u64, 7u64)).encode()]);
			assert!(validity.requires.is_empty());
			assert_eq!(validity.priority, crate::frame_priority(NOW - MINUTE));
			use frame_support::dispatch::GetDispatchInfo;
			assert_eq!(call.get_dispatch_info().pays_fee, frame_support::dispatch::Pays::No);
		});
	}

	#[test]
	fn a_dispatch_stores_only_the_checks_authorize_made_of_its_own_frames() {
		new_test_ext().execute_with(|| {
			// `authorize` of one frame, then a dispatch of another (a different quantity):
			// the hand-over is not theirs, so the dispatch checks its own frame again.
			let checked = frame(0, 1, NOW);
			let mut other = frame(0, 1, NOW);
			other.channels = vec![vec![230_000; 60], vec![10_000; 60]];
			let expected = Readings::dry_run(&signed(&other)).unwrap();
			assert_ne!(expected, QUANTITY);
			authorize(&crate::Call::<Test>::submit_frame { frame: signed(&checked) }).unwrap();
			assert_ok!(Readings::submit_frame(RawOrigin::Authorized.into(), signed(&other)));
			assert!(!crate::JustAuthorized::<Test>::exists(), "a stale hand-over is dropped");
			assert_eq!(ReadingStates::<Test>::get(0).register, expected);
			// And one the frames' state no longer admits is refused, not stored.
			let call =
				crate::Call::<Test>::submit_frame { frame: signed(&frame(0, 2, NOW + MINUTE)) };
			authorize(&call).unwrap();
			assert!(Readings::submit_frame(RawOrigin::Authorized.into(), signed(&checked)).is_err());
			// The failed dispatch rolled back its taking; the block's end drops it.
			assert!(crate::JustAuthorized::<Test>::exists());
			<Readings as frame_support::traits::Hooks<u64>>::on_finalize(1);
			Readings::do_try_state().unwrap();
		});
	}

	#[test]
	fn a_sequence_gap_is_accepted_and_recorded() {
		new_test_ext().execute_with(|| {
			assert_eq!(submit(signed(&frame(0, 1, NOW - 5 * MINUTE))), Ok(()));
			assert_eq!(submit(signed(&frame(0, 5, NOW))), Ok(()));
			System::assert_has_event(
				Event::FramesMissed { meter: 0, after: 1, next: 5, missed: 3 }.into(),
			);
			assert_eq!(ReadingStates::<Test>::get(0).missed_frames, 3);
		});
	}

	#[test]
	fn a_gap_in_time_is_accepted_and_recorded() {
		new_test_ext().execute_with(|| {
			assert_eq!(submit(signed(&frame(0, 1, NOW - 10 * MINUTE))), Ok(()));
			// Contiguous: no event.
			assert_eq!(submit(signed(&frame(0, 2, NOW - 9 * MINUTE))), Ok(()));
			assert!(!System::events()
				.iter()
				.any(|r| matches!(r.event, RuntimeEvent::Readings(Event::TimeSkipped { .. }))));
			// Eight minutes measured by nothing.
			assert_eq!(submit(signed(&frame(0, 3, NOW))), Ok(()));
			System::assert_has_event(
				Event::TimeSkipped { meter: 0, from: NOW - 9 * MINUTE, to: NOW - MINUTE }.into(),
			);
		});
	}

	#[test]
	fn state_keeps_one_record_per_meter_and_the_events_prove_every_measurement() {
		new_test_ext().execute_with(|| {
			twelve_minutes_of_meter_zero();
			assert_eq!(submit(signed(&frame(1, 1, NOW))), Ok(()));
			// Under the pallet's prefix there is the reading state of each meter and
			// nothing else: no measurement, whatever the meter's count.
			use frame_support::storage::StoragePrefixedMap;
			let pallet = sp_io::hashing::twox_128(b"Readings");
			let records = ReadingStates::<Test>::final_prefix();
			let mut key = pallet.to_vec();
			let mut keys = 0;
			while let Some(next) = sp_io::storage::next_key(&key) {
				if !next.starts_with(&pallet) {
					break;
				}
				// The pallet's storage version is the one other entry.
				let version = frame_support::traits::STORAGE_VERSION_STORAGE_KEY_POSTFIX;
				assert!(
					next.starts_with(&records) || next.ends_with(version),
					"an entry that is not a reading state: {next:?}"
				);
				keys += usize::from(next.starts_with(&records));
				key = next;
			}
			// One per meter with a reading state (the mock's verified meters and meter 0).
			assert_eq!(keys, ReadingStates::<Test>::iter().count());
			assert!(ReadingStates::<Test>::get(1).measurements == 1 && keys >= 2);
			// The events of the blocks that stored them rebuild the head exactly.
			let head = measured_events()
				.iter()
				.filter(|(meter, _, _)| *meter == 0)
				.fold(H256::zero(), |head, (meter, index, m)| {
					Readings::chain(head, *meter, *index, m)
				});
			let state = ReadingStates::<Test>::get(0);
			assert_eq!(state.chain_head, head);
			assert_eq!(state.register, 12 * QUANTITY);
			assert_eq!(state.measurements, 12);
		});
	}

	#[test]
	fn a_stored_frame_hands_the_other_pallets_the_links_its_record_holds() {
		use mensura_primitives::{
			billing::{MeterBilling, OpenPeriod},
			readings::MeterLinks,
		};
		new_test_ext().execute_with(|| {
			// Billing's contract with its open period, and surveillance's mark, live in
			// the meter's record.
			let billing = MeterBilling {
				contract: 7,
				supplier: NOBODY,
				tariff: 0,
				utc_offset: 60,
				start: NOW - MINUTE,
				period: OpenPeriod::new(NOW - MINUTE, 0, 2),
			};
			Readings::set_billing(0, Some(billing.clone()));
			Readings::set_surveilled(0, true);
			assert_eq!(submit(signed(&frame(0, 1, NOW))), Ok(()));
			assert_eq!(submit(signed(&frame(1, 1, NOW))), Ok(()));
			let told = told();
			assert_eq!(told.len(), 2);
			assert_eq!(
				(told[0].0.meter, told[0].1.as_ref().map(|b| b.contract), told[0].0.surveilled),
				(0, Some(7), true)
			);
			assert_eq!(told[0].1, Some(billing.clone()));
			assert_eq!(
				(told[1].0.meter, told[1].1.clone(), told[1].0.surveilled),
				(1, None, false)
			);
			// The record was written once, after the hooks: what they changed in the open
			// period is kept with the reading.
			let state = ReadingStates::<Test>::get(0);
			assert_eq!(
				(state.supply_contract(), state.surveilled, state.measurements),
				(Some(7), true, 1)
			);
			assert_eq!(state.billing.as_ref().map(|b| b.period.measurements), Some(1));
			assert_eq!(Readings::billing(0).map(|b| b.period.measurements), Some(1));
			// Clearing them leaves the reading alone.
			Readings::set_billing(0, None);
			Readings::set_surveilled(0, false);
			let cleared = ReadingStates::<Test>::get(0);
			assert_eq!((cleared.supply_contract(), cleared.surveilled), (None, false));
			assert_eq!(cleared.chain_head, state.chain_head);
			assert_eq!(cleared.register, state.register);
		});
	}

	#[test]
	fn a_dry_run_reports_the_quantity_without_storing() {
		new_test_ext().execute_with(|| {
			let f = signed(&frame(1, 1, NOW));
			assert_storage_noop!(assert_eq!(Readings::dry_run(&f), Ok(QUANTITY)));
		});
	}
}

mod refused {
	use super::*;

	#[test]
	fn the_pallet_errors_are_the_frame_rejections_in_order() {
		for rejection in FrameRejection::ALL {
			let error: crate::Error<Test> = (*rejection).into();
			assert_eq!(error.encode(), rejection.encode());
			assert_eq!(<&'static str>::from(error), rejection.name());
		}
	}

	#[test]
	fn a_frame_numbered_near_the_end_of_the_sequence_space_cannot_brick_its_meter() {
		new_test_ext().execute_with(|| {
			// Once a frame numbered u64::MAX were stored, no frame of the meter could ever
			// follow it; it is refused, and nothing is stored or charged.
			assert_eq!(
				submit(signed(&frame(0, u64::MAX, NOW))),
				Err(FrameRejection::SequenceTooFar)
			);
			// The mock allows gaps of a million, from zero for a first frame.
			assert_eq!(
				submit(signed(&frame(0, 1_000_001, NOW - 2 * MINUTE))),
				Err(FrameRejection::SequenceTooFar)
			);
			assert_eq!(ReadingStates::<Test>::get(0), unmeasured(0));
			assert_eq!(submit(signed(&frame(0, 1_000_000, NOW - 2 * MINUTE))), Ok(()));
			assert_eq!(
				submit(signed(&frame(0, 2_000_001, NOW - MINUTE))),
				Err(FrameRejection::SequenceTooFar)
			);
			assert_eq!(submit(signed(&frame(0, 2_000_000, NOW - MINUTE))), Ok(()));
			assert_eq!(ReadingStates::<Test>::get(0).missed_frames, 999_999);
			// The check holds inside a batch too, frame by frame.
			let batch =
				vec![signed(&frame(0, 2_000_001, NOW)), signed(&frame(0, 3_000_002, NOW + MINUTE))];
			assert_eq!(submit_batch(batch), Err(FrameRejection::SequenceTooFar));
			assert_eq!(ReadingStates::<Test>::get(0).last_sequence, Some(2_000_000));
		});
	}

	#[test]
	fn forged_signatures_are_refused() {
		new_test_ext().execute_with(|| {
			let f = frame(0, 1, NOW);
			// Signed by another meter's key.
			assert_eq!(submit(signed_by(1, &f)), Err(FrameRejection::BadSignature));
			// Signed for another chain.
			assert_eq!(
				submit(sign_bytes(0, f.encode().unwrap(), [7; 32])),
				Err(FrameRejection::BadSignature)
			);
			// Altered after signing.
			let mut tampered = signed(&f);
			let last = tampered.frame.len() - 1;
			tampered.frame[last] ^= 1;
			assert_eq!(submit(tampered), Err(FrameRejection::BadSignature));
			// A signature of the wrong scheme.
			let mut wrong = signed(&f);
			wrong.signature =
				MultiSignature::Ed25519(sp_core::ed25519::Signature::from_raw([0; 64]));
			assert_eq!(submit(wrong), Err(FrameRejection::BadSignature));
		});
	}

	#[test]
	fn replays_and_duplicates_are_refused() {
		new_test_ext().execute_with(|| {
			let f = frame(0, 5, NOW - MINUTE);
			assert_eq!(submit(signed(&f)), Ok(()));
			assert_eq!(submit(signed(&f)), Err(FrameRejection::Replayed));
			let mut older = frame(0, 4, NOW);
			assert_eq!(submit(signed(&older)), Err(FrameRejection::Replayed));
			older.sequence = 6;
			assert_eq!(submit(signed(&older)), Ok(()));
		});
	}

	#[test]
	fn unknown_and_inactive_meters_are_refused() {
		new_test_ext().execute_with(|| {
			assert_eq!(submit(signed_by(0, &frame(9, 1, NOW))), Err(FrameRejection::UnknownMeter));
			assert_ok!(Meters::suspend_meter(
				RuntimeOrigin::signed(BODY),
				0,
				StatusReason::SuspectedTampering
			));
			assert_eq!(submit(signed(&frame(0, 1, NOW))), Err(FrameRejection::MeterNotActive));
			assert_ok!(Meters::revoke_meter(
				RuntimeOrigin::signed(BODY),
				0,
				StatusReason::Decommissioned
			));
			assert_eq!(submit(signed(&frame(0, 1, NOW))), Err(FrameRejection::MeterNotActive));
		});
	}

	#[test]
	fn intervals_in_the_future_empty_or_overlapping_are_refused() {
		new_test_ext().execute_with(|| {
			// The mock allows one minute of clock drift.
			assert_eq!(
				submit(signed(&frame(0, 1, NOW + MINUTE + 1))),
				Err(FrameRejection::FutureInterval)
			);
			assert_eq!(submit(signed(&frame(0, 1, NOW + MINUTE))), Ok(()));
			let mut empty = frame(0, 2, NOW + MINUTE);
			empty.start = empty.end;
			assert_eq!(submit(signed(&empty)), Err(FrameRejection::EmptyInterval));
			let overlapping = frame(0, 2, NOW + MINUTE - 1);
			assert_eq!(submit(signed(&overlapping)), Err(FrameRejection::OverlappingInterval));
		});
	}

	#[test]
	fn storing_a_compact_frame_of_long_varints_is_weighed_by_its_bytes() {
		// Ten samples of five-byte varints: 50 bytes of samples hash as 13 fixed samples.
		let long = FrameLoad { samples: 10, compact: true, bytes: 36 + 50 };
		assert_eq!(long.hashed_samples(), 13);
		// Short varints: the samples are the bound.
		let short = FrameLoad { samples: 10, compact: true, bytes: 12 + 10 };
		assert_eq!(short.hashed_samples(), 10);
		assert_eq!(FrameLoad::fixed(36 + 40).hashed_samples(), 10);
		assert!(
			Readings::frame_weight(long, 1, false).ref_time()
				> Readings::frame_weight(short, 1, false).ref_time()
		);
		// A real compact frame whose samples jump by the most a varint holds.
		new_test_ext().execute_with(|| {
			let mut wide = frame(1, 1, NOW);
			for channel in wide.channels.iter_mut() {
				for (i, sample) in channel.iter_mut().enumerate() {
					*sample = if i % 2 == 0 { i32::MAX } else { i32::MIN };
				}
			}
			let bytes = wide.encode_as(lr::FrameFormat::Compact).unwrap();
			let load = FrameLoad::of(&bytes);
			assert!(load.hashed_samples() > load.samples, "{load:?}");
		});
	}

	#[test]
	fn a_compact_frame_measures_what_its_fixed_twin_does_in_fewer_bytes() {
		new_test_ext().execute_with(|| {
			let fixed = frame(0, 1, NOW);
			let mut compact = frame(1, 1, NOW);
			compact.channels = fixed.channels.clone();
			let bytes = compact.encode_as(lr::FrameFormat::Compact).unwrap();
			// 120 samples of one byte (the first of each channel three) and a short header.
			assert!(bytes.len() < fixed.encode().unwrap().len() / 3, "{} bytes", bytes.len());
			let signed_compact = sign_bytes(1, bytes.clone(), Readings::genesis_hash());
			assert_eq!(
				FrameLoad::of(&signed_compact.frame),
				FrameLoad { samples: 120, compact: true, bytes: bytes.len() as u32 }
			);
			// Storing hashes the bytes and decodes nothing: a compact frame weighs, stored,
			// what its longer fixed twin does (the twin's samples are the bound).
			let ops = u32::from(lr::MAX_OPS);
			let fixed_load = FrameLoad::of(&fixed.encode().unwrap());
			assert_eq!(
				Readings::frame_weight(FrameLoad::of(&signed_compact.frame), ops, false),
				Readings::frame_weight(fixed_load, ops, false)
			);
			assert!(
				Readings::frame_weight(FrameLoad::of(&signed_compact.frame), ops, true).ref_time()
					> Readings::frame_weight(fixed_load, ops, true).ref_time(),
				"checking decodes the varints"
			);
			assert_eq!(submit(signed(&fixed)), Ok(()));
			assert_eq!(submit(signed_compact), Ok(()));
			let events = measured_events();
			assert_eq!(events[0].2.quantity, QUANTITY);
			assert_eq!(events[1].2.quantity, QUANTITY);
			assert_eq!(events[1].2.frame, H256::from(sp_io::hashing::blake2_256(&bytes)));
			assert_eq!(ReadingStates::<Test>::get(1).register, QUANTITY);
			// Both formats in one batch, the compact one weighed for its decoding too.
			let batch = BoundedVec::try_from(vec![
				signed(&frame(0, 2, NOW + MINUTE)),
				sign_bytes(
					1,
					frame(1, 2, NOW + MINUTE).encode_as(lr::FrameFormat::Compact).unwrap(),
					Readings::genesis_hash(),
				),
			])
			.unwrap();
			// At the most operators, as a batch declares before its meters are read.
			let ops = u32::from(lr::MAX_OPS);
			let loads: Vec<_> = batch.iter().map(|f| (FrameLoad::of(&f.frame), ops)).collect();
			let fixed_only = [(FrameLoad::of(&batch[0].frame), ops); 2];
			assert!(
				Readings::batch_weight(loads.into_iter(), true).ref_time()
					> Readings::batch_weight(fixed_only.into_iter(), true).ref_time(),
				"decoding a compact frame counts"
			);
			System::set_block_number(2);
			assert_ok!(Readings::submit_frames(RawOrigin::Authorized.into(), batch));
			assert_eq!(ReadingStates::<Test>::get(1).register, 2 * QUANTITY);
		});
	}

	#[test]
	fn a_compact_frame_with_more_samples_than_the_largest_fixed_one_is_malformed() {
		new_test_ext().execute_with(|| {
			// 16 KiB of one-byte samples: four times what a version-1 frame of 16 KiB holds,
			// beyond the range its weight is benchmarked over.
			let most = Readings::max_frame_samples();
			assert_eq!(most, 4_087);
			let over = lr::Frame { channels: vec![vec![0; 2_044]; 2], ..frame(0, 1, NOW) };
			let bytes = over.encode_as(lr::FrameFormat::Compact).unwrap();
			assert!(bytes.len() < 16_384);
			assert_eq!(
				submit(sign_bytes(0, bytes, Readings::genesis_hash())),
				Err(FrameRejection::Malformed)
			);
			assert_eq!(ReadingStates::<Test>::get(0), unmeasured(0));
			// Two channels of 2,043 samples (4,086, within the 4,087) are a frame like any.
			let at_most = lr::Frame {
				channels: vec![vec![230_000; 2_043], vec![5_000; 2_043]],
				..frame(0, 1, NOW)
			};
			let bytes = at_most.encode_as(lr::FrameFormat::Compact).unwrap();
			assert_eq!(submit(sign_bytes(0, bytes, Readings::genesis_hash())), Ok(()));
		});
	}

	#[test]
	fn malformed_and_oversized_frames_are_refused() {
		new_test_ext().execute_with(|| {
			let mut bytes = frame(0, 1, NOW).encode().unwrap();
			bytes.push(0);
			assert_eq!(
				submit(sign_bytes(0, bytes, Readings::genesis_hash())),
				Err(FrameRejection::Malformed)
			);
			// A frame over MaxFrameBytes (16 KiB) cannot even be decoded as a call
			// argument, so no transaction carrying it exists.
			let big = lr::Frame { channels: vec![vec![0; 2_100]; 2], ..frame(0, 1, NOW) };
			let encoded =
				(big.encode().unwrap(), MultiSignature::Sr25519(Default::default())).encode();
			assert!(SignedFrameOf::<Test>::decode(&mut &encoded[..]).is_err());
			// Likewise a batch over MaxBatchFrames (256).
			let too_many = vec![signed(&frame(0, 1, NOW)); 257].encode();
			assert!(crate::BatchOf::<Test>::decode(&mut &too_many[..]).is_err());
		});
	}

	#[test]
	fn frames_of_meters_without_a_usable_program_are_refused() {
		new_test_ext().execute_with(|| {
			assert_eq!(submit(signed(&frame(2, 1, NOW))), Err(FrameRejection::NoProgramBound));
			assert_ok!(LrPrograms::deprecate_program(RuntimeOrigin::signed(BODY), program()));
			assert_eq!(submit(signed(&frame(0, 1, NOW))), Err(FrameRejection::ProgramDeprecated));
		});
	}

	#[test]
	fn frames_the_program_cannot_compute_are_refused() {
		new_test_ext().execute_with(|| {
			let one_channel = lr::Frame { channels: vec![vec![1; 60]], ..frame(0, 1, NOW) };
			assert_eq!(submit(signed(&one_channel)), Err(FrameRejection::ChannelMismatch));
			let mut negative = frame(0, 1, NOW);
			negative.channels[1] = vec![-5_000; 60];
			assert_eq!(submit(signed(&negative)), Err(FrameRejection::NegativeQuantity));

			// A program that overflows on large samples, approved and bound to meter 1.
			let gain = lr::Op::Gain { channel: 0, numerator: i32::MAX, denominator: 1 };
			let code =
				lr::Program { inputs: 2, ops: vec![gain, gain, gain, lr::Op::Sum { channel: 0 }] }
					.encode()
					.unwrap();
			let hash = ProgramHash::from(sp_io::hashing::blake2_256(&code));
			assert_ok!(LrPrograms::publish_program(
				RuntimeOrigin::signed(MEASURER),
				code,
				b"x".to_vec()
			));
			assert_ok!(LrPrograms::approve_program(RuntimeOrigin::signed(BODY), hash));
			assert_ok!(LrPrograms::bind_meter(RuntimeOrigin::signed(BODY), 1, hash));
			assert_eq!(submit(signed(&frame(1, 1, NOW))), Err(FrameRejection::ComputationOverflow));
		});
	}

	#[test]
	fn a_register_that_would_overflow_is_refused() {
		new_test_ext().execute_with(|| {
			ReadingStates::<Test>::mutate(0, |s| s.register = u128::MAX);
			assert_eq!(submit(signed(&frame(0, 1, NOW))), Err(FrameRejection::RegisterOverflow));
		});
	}
}

mod batches {
	use super::*;
	use mensura_primitives::metering::DeviceKey;

	#[test]
	fn a_batch_of_many_meters_and_consecutive_frames_is_stored_in_order() {
		new_test_ext().execute_with(|| {
			let frames = vec![
				signed(&frame(0, 1, NOW - MINUTE)),
				signed(&frame(1, 1, NOW)),
				signed(&frame(0, 2, NOW)),
			];
			assert_eq!(submit_batch(frames.clone()), Ok(()));
			assert_eq!(ReadingStates::<Test>::get(0).register, 2 * QUANTITY);
			assert_eq!(ReadingStates::<Test>::get(1).register, QUANTITY);
			let call = crate::Call::<Test>::submit_frames {
				frames: BoundedVec::try_from(frames).unwrap(),
			};
			// Once stored, the same batch is a replay.
			assert_eq!(
				call.authorize(TransactionSource::External).unwrap().map_err(reason).err(),
				Some(FrameRejection::Replayed)
			);
		});
	}

	#[test]
	fn the_pool_tags_every_frame_of_a_batch() {
		new_test_ext().execute_with(|| {
			let frames = BoundedVec::try_from(vec![
				signed(&frame(0, 1, NOW - MINUTE)),
				signed(&frame(1, 4, NOW)),
			])
			.unwrap();
			let call = crate::Call::<Test>::submit_frames { frames };
			let (validity, _) = call.authorize(TransactionSource::External).unwrap().unwrap();
			assert_eq!(
				validity.provides,
				vec![
					("MensuraFrame", (0u64, 1u64)).encode(),
					("MensuraFrame", (1u64, 4u64)).encode()
				]
			);
		});
	}

	#[test]
	fn one_bad_frame_refuses_the_whole_batch_with_its_reason() {
		new_test_ext().execute_with(|| {
			let good = signed(&frame(0, 1, NOW));
			let forged = signed_by(0, &frame(1, 1, NOW));
			assert_eq!(submit_batch(vec![good.clone(), forged]), Err(FrameRejection::BadSignature));
			// The same frame twice in one batch: the second is a replay of the first.
			assert_eq!(
				submit_batch(vec![good.clone(), good.clone()]),
				Err(FrameRejection::Replayed)
			);
			assert_eq!(submit_batch(vec![]), Err(FrameRejection::EmptyBatch));
			assert_eq!(ReadingStates::<Test>::get(0), unmeasured(0));
			assert_eq!(submit_batch(vec![good]), Ok(()));
		});
	}

	#[test]
	fn one_forged_signature_anywhere_among_valid_ones_refuses_the_batch() {
		new_test_ext().execute_with(|| {
			let frames = [frame(0, 1, NOW - MINUTE), frame(1, 1, NOW), frame(0, 2, NOW)];
			for forged_at in 0..frames.len() {
				let batch = frames
					.iter()
					.enumerate()
					.map(|(i, f)| if i == forged_at { signed_by(2, f) } else { signed(f) })
					.collect();
				assert_eq!(submit_batch(batch), Err(FrameRejection::BadSignature), "{forged_at}");
			}
			for meter in 0..2 {
				assert_eq!(ReadingStates::<Test>::get(meter), unmeasured(meter));
			}
			assert_eq!(submit_batch(frames.iter().map(signed).collect()), Ok(()));
		});
	}

	#[test]
	fn signatures_swapped_between_two_frames_of_a_batch_are_refused() {
		new_test_ext().execute_with(|| {
			// Each signature is a valid signature of a frame in the batch, by that frame's
			// meter: checked together, they must still each match their own frame.
			let mut first = signed(&frame(0, 1, NOW));
			let mut second = signed(&frame(1, 1, NOW));
			core::mem::swap(&mut first.signature, &mut second.signature);
			assert_eq!(submit_batch(vec![first, second]), Err(FrameRejection::BadSignature));
			// Two frames of one meter, each carrying the other's signature.
			let mut earlier = signed(&frame(0, 1, NOW - MINUTE));
			let mut later = signed(&frame(0, 2, NOW));
			core::mem::swap(&mut earlier.signature, &mut later.signature);
			assert_eq!(submit_batch(vec![earlier, later]), Err(FrameRejection::BadSignature));
			assert_eq!(ReadingStates::<Test>::get(0), unmeasured(0));
		});
	}

	#[test]
	fn no_mix_of_key_schemes_weighs_more_than_a_batch_declares() {
		// Every count of frames, every number of them verified apart, in one scheme or
		// spread over several: never more than what the batch declared. (Before runtime
		// 117 only every signature apart in one scheme was declared; a batch of two with
		// one sr25519 signature verified together cost more.)
		for count in 1..=256u32 {
			let declared = Readings::declared_signatures_apart(count);
			for k in 0..=count {
				let mixes = [
					SignaturesApart { sr25519: k, ..Default::default() },
					SignaturesApart { ed25519: k, ..Default::default() },
					SignaturesApart { ecdsa: k, ..Default::default() },
					SignaturesApart { ed25519: k / 2, ecdsa: k - k / 2, ..Default::default() },
					SignaturesApart { sr25519: k / 3, ed25519: k / 3, ecdsa: k - 2 * (k / 3) },
				];
				for apart in mixes {
					let used = Readings::signatures_apart_weight(count, apart);
					assert!(
						used.all_lte(declared),
						"{count} frames, {apart:?}: {used:?} > {declared:?}"
					);
				}
			}
		}
		// The costliest mix is not always every signature apart: in a batch of two, one
		// Ed25519 signature apart beside one sr25519 verified together weighs more.
		let one_ed = SignaturesApart { ed25519: 1, ..Default::default() };
		assert!(
			Readings::signatures_apart_weight(2, one_ed).ref_time()
				> Readings::signatures_apart_weight(
					2,
					SignaturesApart { ed25519: 2, ..Default::default() }
				)
				.ref_time()
		);
	}

	#[test]
	fn a_batch_mixing_key_schemes_is_checked_and_weighs_its_signatures_checked_apart() {
		new_test_ext().execute_with(|| {
			// Meter 1 signs with Ed25519: its signature is verified on its own, the sr25519
			// ones together.
			let ed = sp_core::ed25519::Pair::from_string("//Meter1ed", None).unwrap();
			let key = DeviceKey::Ed25519(ed.public());
			assert_ok!(Meters::rotate_device_key(RuntimeOrigin::signed(BODY), 1, key.clone()));
			assert_ok!(Meters::rotate_device_key(RuntimeOrigin::signed(OTHER_BODY), 1, key));
			let ed_signed = |f: &lr::Frame| {
				let bytes = f.encode().unwrap();
				let message = Readings::signing_message(&bytes);
				SignedFrameOf::<Test> {
					frame: BoundedVec::try_from(bytes).unwrap(),
					signature: MultiSignature::Ed25519(ed.sign(&message)),
				}
			};
			let refund = |frames: Vec<SignedFrameOf<Test>>| {
				let frames = BoundedVec::try_from(frames).unwrap();
				let (_, refund) = crate::Call::<Test>::submit_frames { frames }
					.authorize(TransactionSource::External)
					.unwrap()
					.unwrap();
				refund
			};
			let all_sr25519 =
				refund(vec![signed(&frame(0, 1, NOW - MINUTE)), signed(&frame(0, 2, NOW))]);
			crate::JustAuthorized::<Test>::kill();
			let mixed = refund(vec![signed(&frame(0, 1, NOW)), ed_signed(&frame(1, 1, NOW))]);
			crate::JustAuthorized::<Test>::kill();
			// Declared as if every signature were checked on its own; the one that was
			// costs what a batch checked together does not.
			assert!(mixed.ref_time() < all_sr25519.ref_time(), "{mixed:?} {all_sr25519:?}");
			let ed25519_apart = SignaturesApart { ed25519: 1, ..Default::default() };
			assert_eq!(
				all_sr25519.saturating_sub(mixed),
				Readings::signatures_apart_weight(2, ed25519_apart)
			);
			let batch =
				BoundedVec::try_from(vec![signed(&frame(0, 1, NOW)), ed_signed(&frame(1, 1, NOW))])
					.unwrap();
			assert_eq!(Readings::check_batch(&batch, true, false).unwrap().apart, ed25519_apart);
			// A forged Ed25519 signature beside valid sr25519 ones is found.
			let mut forged = ed_signed(&frame(1, 1, NOW));
			let last = forged.frame.len() - 1;
			forged.frame[last] ^= 1;
			assert_eq!(
				submit_batch(vec![signed(&frame(0, 1, NOW)), forged]),
				Err(FrameRejection::BadSignature)
			);
			assert_eq!(
				submit_batch(vec![signed(&frame(0, 1, NOW)), ed_signed(&frame(1, 1, NOW))]),
				Ok(())
			);
			assert_eq!(ReadingStates::<Test>::get(1).register, QUANTITY);
		});
	}

	#[test]
	fn an_ecdsa_meter_s_frame_is_weighed_as_an_ecdsa_signature_checked_apart() {
		new_test_ext().execute_with(|| {
			let pair = sp_core::ecdsa::Pair::from_string("//Meter1ecdsa", None).unwrap();
			let key = DeviceKey::Ecdsa(pair.public());
			assert_ok!(Meters::rotate_device_key(RuntimeOrigin::signed(BODY), 1, key.clone()));
			assert_ok!(Meters::rotate_device_key(RuntimeOrigin::signed(OTHER_BODY), 1, key));
			let ecdsa_signed = |f: &lr::Frame| {
				let bytes = f.encode().unwrap();
				let message = Readings::signing_message(&bytes);
				SignedFrameOf::<Test> {
					frame: BoundedVec::try_from(bytes).unwrap(),
					signature: MultiSignature::Ecdsa(pair.sign(&message)),
				}
			};
			let one_ecdsa = SignaturesApart { ecdsa: 1, ..Default::default() };
			// Alone: its signature counted in its scheme, and the weight used is the
			// sr25519-benchmarked check plus what ECDSA costs beyond it.
			let single = ecdsa_signed(&frame(1, 1, NOW));
			let (checked, verified) = Readings::check(&single, true, false).unwrap();
			assert_eq!(verified, one_ecdsa);
			let (_, refund) = crate::Call::<Test>::submit_frame { frame: single.clone() }
				.authorize(TransactionSource::External)
				.unwrap()
				.unwrap();
			crate::JustAuthorized::<Test>::kill();
			let used = Readings::frame_weight(FrameLoad::of(&single.frame), checked.ops, true)
				.saturating_add(Readings::signature_surcharge(one_ecdsa));
			assert_eq!(Readings::declared_frame_check(&single).saturating_sub(used), refund);
			// Dispatch, which does not verify again, counts no signature.
			assert_eq!(Readings::check(&single, false, false).unwrap().1, Default::default());
			// In a batch beside an sr25519 frame: one ECDSA signature apart.
			let batch =
				BoundedVec::try_from(vec![signed(&frame(0, 1, NOW)), single.clone()]).unwrap();
			assert_eq!(Readings::check_batch(&batch, true, false).unwrap().apart, one_ecdsa);
			// Its signature over another frame is refused, alone and in a batch.
			let mut forged = ecdsa_signed(&frame(1, 2, NOW));
			forged.signature = single.signature.clone();
			assert_eq!(
				Readings::check(&forged, true, false).map(|_| ()),
				Err(FrameRejection::BadSignature)
			);
			assert_eq!(
				submit_batch(vec![signed(&frame(0, 1, NOW)), forged]),
				Err(FrameRejection::BadSignature)
			);
			assert_eq!(submit_batch(vec![signed(&frame(0, 1, NOW)), single]), Ok(()));
			assert_eq!(ReadingStates::<Test>::get(1).register, QUANTITY);
		});
	}
}

mod abuse {
	use super::*;
	use frame_support::dispatch::DispatchClass;
	use mensura_primitives::metering::DeviceKey;

	fn validity_of(
		frames: Vec<SignedFrameOf<Test>>,
	) -> sp_runtime::transaction_validity::ValidTransaction {
		let call =
			crate::Call::<Test>::submit_frames { frames: BoundedVec::try_from(frames).unwrap() };
		call.authorize(TransactionSource::External).unwrap().unwrap().0
	}

	#[test]
	fn a_later_frame_of_a_meter_never_outranks_its_predecessor_in_the_pool() {
		new_test_ext().execute_with(|| {
			// Frames 5 and 6 of meter 0 wait in the pool as two transactions: if a block
			// took 6 first, 5 would become a replay and its consumption would be lost. The
			// pool orders ready transactions by priority, then as it likes: 5 must rank
			// first, whatever order the pool holds them in.
			let fifth = validity_of(vec![signed(&frame(0, 5, NOW - MINUTE))]);
			let sixth = validity_of(vec![signed(&frame(0, 6, NOW))]);
			assert!(fifth.priority > sixth.priority, "{fifth:?} {sixth:?}");
			// A millisecond apart still ranks.
			let mut late = frame(0, 6, NOW);
			late.start = NOW - 2 * MINUTE + 1;
			assert_eq!(validity_of(vec![signed(&late)]).priority + 1, fifth.priority);
			// A batch ranks by its earliest interval: a batch holding frame 5 outranks
			// one holding only later frames.
			let batch =
				validity_of(vec![signed(&frame(1, 1, NOW)), signed(&frame(0, 5, NOW - MINUTE))]);
			assert_eq!(batch.priority, fifth.priority);
			assert!(batch.priority > sixth.priority);
			// The oldest measurement of all goes first, whichever meter it is of.
			let older = validity_of(vec![signed(&frame(1, 1, NOW - 2 * MINUTE))]);
			assert!(older.priority > fifth.priority);
		});
	}

	#[test]
	fn a_batch_with_a_cheap_fault_last_is_refused_before_any_signature_is_verified() {
		new_test_ext().execute_with(|| {
			// 200 frames forged (signed by the wrong key) and a last one that overlaps its
			// predecessor: the cheap check of the last frame refuses the batch before the
			// first forged signature is looked at, so the reason is the overlap. (One
			// meter's long batch: its quota of frames per block is lifted.)
			FramesPerMeterPerBlock::set(256);
			let mut frames: Vec<_> = (0..200)
				.map(|i| signed_by(1, &frame(0, i + 1, NOW - (201 - i) * MINUTE)))
				.collect();
			frames.push(signed(&frame(0, 201, NOW - 2 * MINUTE - 1)));
			assert_eq!(submit_batch(frames), Err(FrameRejection::OverlappingInterval));
			// A single frame: a cheap fault is reported, not the forged signature.
			assert_eq!(
				submit(signed_by(1, &frame(0, u64::MAX, NOW))),
				Err(FrameRejection::SequenceTooFar)
			);
			assert_eq!(ReadingStates::<Test>::get(0), unmeasured(0));
		});
	}

	/// The largest frame: two channels of 2,040 samples, 16,356 bytes.
	fn largest(meter: u64, sequence: u64, end: u64) -> lr::Frame {
		lr::Frame {
			channels: vec![vec![230_000; 2_040], vec![5_000; 2_040]],
			..frame(meter, sequence, end)
		}
	}

	/// Publishes and approves a program of the most operators the interpreter runs
	/// (a sum and scalings by one); returns its hash.
	fn approve_largest_program() -> ProgramHash {
		let mut ops = vec![lr::Op::Sum { channel: 0 }];
		ops.extend((1..lr::MAX_OPS).map(|_| lr::Op::Scale { numerator: 1, denominator: 1 }));
		let code = lr::Program { inputs: 2, ops }.encode().unwrap();
		let origin = RuntimeOrigin::signed(MEASURER);
		assert_ok!(LrPrograms::publish_program(origin, code.clone(), b"32".to_vec()));
		let program = ProgramHash::from(sp_io::hashing::blake2_256(&code));
		assert_ok!(LrPrograms::approve_program(RuntimeOrigin::signed(BODY), program));
		program
	}

	#[test]
	fn a_frame_is_declared_at_the_most_operators_of_an_approved_program() {
		new_test_ext().execute_with(|| {
			use mensura_primitives::readings::LrProgramProvider;
			let reference = lr::examples::electricity_active_energy().ops.len() as u32;
			assert_eq!(Readings::declared_ops(), reference, "the one approved program");
			let one = signed(&frame(0, 1, NOW));
			let batch = BoundedVec::try_from(vec![one.clone(); 8]).unwrap();
			let (frame_before, batch_before) =
				(Readings::declared_frame_check(&one), Readings::declared_batch_check(&batch));
			// A program of 32 operators approved: every frame is declared at 32, as it
			// may be one of its meters' (each sample runs 32 operators instead of
			// `reference`).
			let largest = approve_largest_program();
			assert_eq!(Readings::declared_ops(), u32::from(lr::MAX_OPS));
			use crate::WeightInfo;
			let per_frame = <() as WeightInfo>::execute_program(120 * u32::from(lr::MAX_OPS))
				.saturating_sub(<() as WeightInfo>::execute_program(120 * reference));
			assert!(per_frame.ref_time() > 0);
			assert_eq!(Readings::declared_frame_check(&one), frame_before + per_frame);
			assert_eq!(Readings::declared_batch_check(&batch), batch_before + per_frame * 8);
			// Deprecated, it runs no more: the declared weights are what they were.
			assert_ok!(LrPrograms::deprecate_program(RuntimeOrigin::signed(MEASURER), largest));
			assert_eq!(LrPrograms::most_ops(), reference);
			assert_eq!(Readings::declared_frame_check(&one), frame_before);
			assert_eq!(Readings::declared_batch_check(&batch), batch_before);
			// What a frame of the reference program uses is within what it declared.
			let call = crate::Call::<Test>::submit_frame { frame: one };
			let (_, refund) = call.authorize(TransactionSource::External).unwrap().unwrap();
			assert!(refund.all_lte(frame_before));
		});
	}

	#[test]
	fn a_program_beyond_the_operators_a_frame_was_declared_with_is_not_run() {
		new_test_ext().execute_with(|| {
			// Were the registry's count of approved programs ever wrong (here: emptied),
			// a frame's program would have more operators than its transaction declared
			// and would run unweighed: the frame is refused instead, before its program
			// runs and without any change.
			pallet_lr_programs::ApprovedOps::<Test>::kill();
			assert_eq!(Readings::declared_ops(), 0);
			assert_eq!(submit(signed(&frame(0, 1, NOW))), Err(FrameRejection::ProgramNotApproved));
			assert_eq!(
				submit_batch(vec![signed(&frame(1, 1, NOW))]),
				Err(FrameRejection::ProgramNotApproved)
			);
			assert_eq!(ReadingStates::<Test>::get(0).measurements, 0);
		});
	}

	#[test]
	fn a_batch_no_block_can_hold_is_refused_before_any_frame_is_verified() {
		new_test_ext().execute_with(|| {
			// With a 32-operator program approved, a largest frame may run it over 4,080
			// samples: about 20 ms of declared weight. Find how many fit in one frame
			// transaction. (One meter's long batch: its quota of frames per block is
			// lifted.)
			approve_largest_program();
			FramesPerMeterPerBlock::set(256);
			use frame_support::traits::Get;
			let weights: frame_system::limits::BlockWeights =
				<Test as frame_system::Config>::BlockWeights::get();
			let limit = weights.get(crate::FRAME_CLASS).max_extrinsic.unwrap();
			let load = FrameLoad::of(&largest(0, 1, NOW).encode().unwrap());
			let declared = |n: usize| {
				let frames = || core::iter::repeat_n((load, Readings::declared_ops()), n);
				Readings::batch_weight(frames(), true)
					.saturating_add(Readings::batch_weight(frames(), false))
			};
			let fitting = (1..=256).take_while(|&n| declared(n).all_lte(limit)).last().unwrap();
			assert!((10..256).contains(&fitting), "{fitting} of the largest frames fit");
			// One more than fits: no block can include them, so none is verified to learn
			// it. The signatures are forged: had one been checked, the answer would be
			// `BadSignature`.
			let frames: Vec<_> = (0..=fitting as u64)
				.map(|i| signed_by(1, &largest(0, i + 1, NOW - (300 - i) * MINUTE)))
				.collect();
			let call = crate::Call::<Test>::submit_frames {
				frames: BoundedVec::try_from(frames.clone()).unwrap(),
			};
			let root = sp_io::storage::root(sp_runtime::StateVersion::V1);
			assert_eq!(
				call.authorize(TransactionSource::External).unwrap().map(|_| ()),
				Err(InvalidTransaction::ExhaustsResources.into())
			);
			assert_eq!(sp_io::storage::root(sp_runtime::StateVersion::V1), root);
			// As many as fit are checked.
			assert_eq!(submit_batch(frames[..fitting].to_vec()), Err(FrameRejection::BadSignature));
		});
	}

	#[test]
	fn a_full_block_refuses_frames_without_verifying_them() {
		new_test_ext().execute_with(|| {
			let call = crate::Call::<Test>::submit_frame { frame: signed_by(1, &frame(0, 1, NOW)) };
			// Fill the block being built up to its limit for frames.
			use frame_support::traits::Get;
			let weights: frame_system::limits::BlockWeights =
				<Test as frame_system::Config>::BlockWeights::get();
			let limit = weights.get(crate::FRAME_CLASS).max_total.unwrap();
			frame_system::Pallet::<Test>::register_extra_weight_unchecked(
				limit,
				crate::FRAME_CLASS,
			);
			// In the block, the forged frame is refused as not fitting, unverified.
			assert_eq!(
				call.authorize(TransactionSource::InBlock).unwrap().map(|_| ()),
				Err(InvalidTransaction::ExhaustsResources.into())
			);
			// The pool judges it against an empty block: verified, and forged.
			assert_eq!(
				call.authorize(TransactionSource::External).unwrap().map_err(reason).err(),
				Some(FrameRejection::BadSignature)
			);
			// An honest frame waits for the next block instead.
			let honest = crate::Call::<Test>::submit_frame { frame: signed(&frame(0, 1, NOW)) };
			assert_eq!(
				honest.authorize(TransactionSource::InBlock).unwrap().map(|_| ()),
				Err(InvalidTransaction::ExhaustsResources.into())
			);
			assert!(honest.authorize(TransactionSource::External).unwrap().is_ok());
		});
	}

	#[test]
	fn ordinary_transactions_filling_their_share_of_a_block_leave_frames_their_room() {
		new_test_ext().execute_with(|| {
			// A spammer's remarks (or any ordinary transactions) use all the weight and
			// length ordinary transactions may have in the block being built.
			use frame_support::traits::Get;
			let weights: frame_system::limits::BlockWeights =
				<Test as frame_system::Config>::BlockWeights::get();
			let normal = weights.get(DispatchClass::Normal).max_total.unwrap();
			frame_system::Pallet::<Test>::register_extra_weight_unchecked(
				normal,
				DispatchClass::Normal,
			);
			let length: frame_system::limits::BlockLength =
				<Test as frame_system::Config>::BlockLength::get();
			let normal_len = *length.max.get(DispatchClass::Normal);
			frame_system::BlockSize::<Test>::put(normal_len);
			assert!(*length.max.get(crate::FRAME_CLASS) > normal_len);
			assert!(weights.get(crate::FRAME_CLASS).max_total.unwrap().all_gt(normal));
			// A frame still fits in the same block, and is stored.
			let call = crate::Call::<Test>::submit_frame { frame: signed(&frame(0, 1, NOW)) };
			assert!(call.authorize(TransactionSource::InBlock).unwrap().is_ok());
			assert_ok!(Readings::submit_frame(
				RawOrigin::Authorized.into(),
				signed(&frame(0, 1, NOW))
			));
			assert_eq!(ReadingStates::<Test>::get(0).measurements, 1);
		});
	}

	#[test]
	fn a_key_signing_millisecond_intervals_is_refused() {
		new_test_ext().execute_with(|| {
			// One key, frames of 1 ms each: without a bound, 60,000 valid frames a minute.
			let mut short = frame(0, 1, NOW);
			short.start = NOW - 1;
			assert_eq!(submit(signed(&short)), Err(FrameRejection::IntervalTooShort));
			short.start = NOW - MIN_INTERVAL + 1;
			assert_eq!(submit(signed(&short)), Err(FrameRejection::IntervalTooShort));
			// An interval of exactly the model's shortest is accepted.
			short.start = NOW - MIN_INTERVAL;
			assert_eq!(submit(signed(&short)), Ok(()));
			assert_eq!(ReadingStates::<Test>::get(0).measurements, 1);
		});
	}

	#[test]
	fn one_frame_claiming_decades_of_consumption_is_refused() {
		new_test_ext().execute_with(|| {
			// From 1970 to now in one frame: the program would integrate the samples over
			// 56 years.
			let mut long = frame(0, 1, NOW);
			long.start = 0;
			assert_eq!(submit(signed(&long)), Err(FrameRejection::IntervalTooLong));
			long.start = NOW - MAX_INTERVAL - 1;
			assert_eq!(submit(signed(&long)), Err(FrameRejection::IntervalTooLong));
			long.start = NOW - MAX_INTERVAL;
			assert_eq!(submit(signed(&long)), Ok(()));
		});
	}

	#[test]
	fn frames_measuring_time_before_the_meter_was_verified_are_refused() {
		new_test_ext().execute_with(|| {
			let key = DeviceKey::Sr25519(sp_core::Pair::public(&meter_key(3)));
			assert_ok!(Meters::provision_meter(
				RuntimeOrigin::signed(MAKER),
				0,
				key,
				b"S3".to_vec()
			));
			assert_ok!(Meters::verify_meter(RuntimeOrigin::signed(BODY), 3, b"P3".to_vec()));
			assert_ok!(LrPrograms::bind_meter(RuntimeOrigin::signed(BODY), 3, program()));
			assert_eq!(ReadingStates::<Test>::get(3).measuring_since, NOW);
			// Its key signs a frame of the minute before its verification, and one of 1970.
			assert_eq!(submit(signed(&frame(3, 1, NOW))), Err(FrameRejection::BeforeVerification));
			let mut ancient = frame(3, 1, 2 * MINUTE);
			ancient.start = MINUTE;
			assert_eq!(submit(signed(&ancient)), Err(FrameRejection::BeforeVerification));
			assert_eq!(ReadingStates::<Test>::get(3).measurements, 0);
			// From its verification on, it measures.
			assert_eq!(submit(signed(&frame(3, 1, NOW + MINUTE))), Ok(()));
			assert_eq!(ReadingStates::<Test>::get(3).measurements, 1);
		});
	}

	#[test]
	fn one_meters_key_cannot_fill_a_block() {
		new_test_ext().execute_with(|| {
			let quota: u64 = FramesPerMeterPerBlock::get().into();
			assert_eq!(quota, 16);
			let count = quota + 4;
			let frames: Vec<_> = (1..=count)
				.map(|sequence| signed(&frame(0, sequence, NOW - (count - sequence) * MINUTE)))
				.collect();
			// One transaction with more of its frames than a block may hold: refused, for
			// every block.
			let call = crate::Call::<Test>::submit_frames {
				frames: BoundedVec::try_from(frames[..=quota as usize].to_vec()).unwrap(),
			};
			assert_eq!(
				call.authorize(TransactionSource::External).unwrap().map_err(reason).err(),
				Some(FrameRejection::TooManyFramesOfOneMeter)
			);
			// One by one: the block takes its quota of the meter's frames ...
			for signed in &frames[..quota as usize] {
				assert_eq!(submit(signed.clone()), Ok(()));
			}
			// ... and the next waits, unverified: as for a full block, the pool keeps it.
			let next = crate::Call::<Test>::submit_frame { frame: frames[quota as usize].clone() };
			let forged = crate::Call::<Test>::submit_frame {
				frame: signed_by(1, &frame(0, quota + 1, NOW - 3 * MINUTE)),
			};
			for call in [&next, &forged] {
				assert_eq!(
					call.authorize(TransactionSource::InBlock).unwrap().map(|_| ()),
					Err(InvalidTransaction::ExhaustsResources.into())
				);
			}
			assert_eq!(ReadingStates::<Test>::get(0).measurements, quota);
			// Another meter's frame still gets in.
			assert_eq!(submit(signed(&frame(1, 1, NOW))), Ok(()));
			// The next block takes the rest.
			System::set_block_number(2);
			assert_eq!(submit(frames[quota as usize].clone()), Ok(()));
			assert_eq!(
				submit_batch(frames[quota as usize + 1..].to_vec()),
				Ok(()),
				"a batch within the quota, in a block already holding one of the meter's frames"
			);
			assert_eq!(ReadingStates::<Test>::get(0).measurements, count);
			assert_eq!(ReadingStates::<Test>::get(0).frames_in_last_block, 4);
		});
	}

	/// Authorises `frame` as a block being built does, then stores it.
	fn include(frame: SignedFrameOf<Test>) -> Result<(), TransactionValidityError> {
		let call = crate::Call::<Test>::submit_frame { frame: frame.clone() };
		let root = sp_io::storage::root(sp_runtime::StateVersion::V1);
		if let Err(error) = call.authorize(TransactionSource::InBlock).unwrap() {
			assert_eq!(sp_io::storage::root(sp_runtime::StateVersion::V1), root);
			return Err(error);
		}
		assert_ok!(Readings::submit_frame(RawOrigin::Authorized.into(), frame));
		Readings::do_try_state().unwrap();
		Ok(())
	}

	/// Moves to block `number`, built at `time`.
	fn block_at(number: u64, time: u64) {
		System::set_block_number(number);
		pallet_timestamp::Now::<Test>::put(time);
	}

	#[test]
	fn a_frame_missing_from_the_block_builders_view_is_not_lost_to_its_successor() {
		new_test_ext().execute_with(|| {
			let [first, second, third] =
				[1, 2, 3].map(|s| signed(&frame(0, s, NOW - (3 - s) * MINUTE)));
			assert_eq!(include(first), Ok(()));
			// Frames 2 and 3 both wait in the pool; the builder of block 2, 6 s later, sees
			// only 3 (2 was submitted while the pool moved to block 1's view). Taken now, 3
			// would make 2 a replay and lose its consumption: it is 6 s old, younger than
			// `MissingFrameWait` (12 s), and waits, unverified and uncharged, as for a full
			// block.
			block_at(2, NOW + 6_000);
			let later = crate::Call::<Test>::submit_frame { frame: third.clone() };
			assert!(later.authorize(TransactionSource::External).unwrap().is_ok());
			assert_eq!(include(third.clone()), Err(InvalidTransaction::ExhaustsResources.into()));
			// The next block's builder sees both: 2, then 3.
			block_at(3, NOW + 12_000);
			assert_eq!(include(second), Ok(()));
			assert_eq!(include(third), Ok(()));
			let state = ReadingStates::<Test>::get(0);
			assert_eq!(
				(state.measurements, state.last_sequence, state.missed_frames),
				(3, Some(3), 0)
			);
			assert_eq!(
				measured_events().iter().map(|(_, i, _)| *i).collect::<Vec<_>>(),
				vec![0, 1, 2]
			);
		});
	}

	#[test]
	fn a_frame_after_one_truly_lost_is_measured_once_the_wait_is_over() {
		new_test_ext().execute_with(|| {
			assert_eq!(include(signed(&frame(0, 1, NOW - MINUTE))), Ok(()));
			// Frame 2 never arrives. Frame 3, ending now, waits until it is
			// `MissingFrameWait` (12 s) old by the block's time ...
			let after_gap = signed(&frame(0, 3, NOW));
			for (block, time) in [(1, NOW), (2, NOW + 6_000), (3, NOW + 11_999)] {
				block_at(block, time);
				assert_eq!(
					include(after_gap.clone()),
					Err(InvalidTransaction::ExhaustsResources.into()),
					"block {block}"
				);
			}
			// ... and is then measured, the gap recorded.
			block_at(4, NOW + 12_000);
			assert_eq!(include(after_gap), Ok(()));
			System::assert_has_event(
				Event::FramesMissed { meter: 0, after: 1, next: 3, missed: 1 }.into(),
			);
			// A frame that follows its predecessor never waits.
			assert_eq!(include(signed(&frame(0, 4, NOW + MINUTE))), Ok(()));
			// The wait is the frame's own age, not a time since its meter's last
			// measurement: a meter that loses frames often keeps its pace. Frame 6 (5
			// lost) is old enough in the very next block after frame 4's.
			block_at(5, NOW + 3 * MINUTE + 12_000);
			assert_eq!(include(signed(&frame(0, 6, NOW + 3 * MINUTE))), Ok(()));
			assert_eq!(ReadingStates::<Test>::get(0).missed_frames, 2);
		});
	}
}

mod key_rotation {
	use super::*;
	use mensura_primitives::metering::DeviceKey;

	/// Replaces meter 0's key with test meter 9's, as two notified bodies do for a new
	/// device.
	fn replace_device_of_meter_0() {
		let new = DeviceKey::Sr25519(sp_core::Pair::public(&meter_key(9)));
		assert_ok!(Meters::rotate_device_key(RuntimeOrigin::signed(BODY), 0, new.clone()));
		assert_ok!(Meters::rotate_device_key(RuntimeOrigin::signed(OTHER_BODY), 0, new));
	}

	#[test]
	fn a_replacement_device_numbers_its_frames_afresh() {
		new_test_ext().execute_with(|| {
			for sequence in 1..=3 {
				let end = NOW - (10 - sequence) * MINUTE;
				assert_eq!(submit(signed(&frame(0, sequence, end))), Ok(()));
			}
			replace_device_of_meter_0();
			Readings::do_try_state().unwrap();
			// The new device starts at 1, after the old one's last interval.
			assert_eq!(submit(signed_by(9, &frame(0, 1, NOW - 5 * MINUTE))), Ok(()));
			assert_eq!(submit(signed_by(9, &frame(0, 2, NOW - 4 * MINUTE))), Ok(()));
			let state = ReadingStates::<Test>::get(0);
			assert_eq!(
				(state.last_sequence, state.measurements, state.missed_frames),
				(Some(2), 5, 0)
			);
			assert_eq!(state.register, 5 * QUANTITY);
		});
	}

	#[test]
	fn the_old_keys_frames_and_the_old_time_stay_refused_after_a_rotation() {
		new_test_ext().execute_with(|| {
			assert_eq!(submit(signed(&frame(0, 1, NOW - 5 * MINUTE))), Ok(()));
			let state = ReadingStates::<Test>::get(0);
			replace_device_of_meter_0();
			// The old key's next frame (a stolen key, or a frame still in the pool).
			assert_eq!(
				submit(signed(&frame(0, 2, NOW - 4 * MINUTE))),
				Err(FrameRejection::BadSignature)
			);
			// The new key cannot measure the old device's time again.
			assert_eq!(
				submit(signed_by(9, &frame(0, 1, NOW - 5 * MINUTE))),
				Err(FrameRejection::OverlappingInterval)
			);
			assert_eq!(ReadingStates::<Test>::get(0).register, state.register);
			assert_eq!(ReadingStates::<Test>::get(0).measurements, 1);
			Readings::do_try_state().unwrap();
		});
	}

	#[test]
	fn each_replacement_device_in_turn_numbers_afresh() {
		new_test_ext().execute_with(|| {
			// Five devices in turn, three frames each.
			let devices = [0, 10, 11, 12, 13];
			let mut end = NOW - 40 * MINUTE;
			for (turn, signer) in devices.iter().enumerate() {
				for sequence in 1..=3 {
					end += MINUTE;
					assert_eq!(submit(signed_by(*signer, &frame(0, sequence, end))), Ok(()));
				}
				let next = devices.get(turn + 1).copied().unwrap_or(14);
				let key = DeviceKey::Sr25519(sp_core::Pair::public(&meter_key(next)));
				assert_ok!(Meters::rotate_device_key(RuntimeOrigin::root(), 0, key));
				Readings::do_try_state().unwrap();
			}
			let state = ReadingStates::<Test>::get(0);
			assert_eq!((state.last_sequence, state.measurements), (None, 15));
			assert_eq!(state.register, 15 * QUANTITY);
			// Rotating again before the new device's first frame changes nothing more.
			let key = DeviceKey::Sr25519(sp_core::Pair::public(&meter_key(15)));
			assert_ok!(Meters::rotate_device_key(RuntimeOrigin::root(), 0, key));
			let rules = <Meters as MeterRegistry>::frame_rules(0);
			assert_eq!(
				ReadingStates::<Test>::get(0),
				crate::ReadingStateOf::<Test> { frame_rules: rules, ..state }
			);
			assert_eq!(submit(signed_by(15, &frame(0, 1, end + MINUTE))), Ok(()));
			assert_eq!(ReadingStates::<Test>::get(0).last_sequence, Some(1));
		});
	}
}

mod frame_rules {
	use super::*;
	use mensura_primitives::metering::{DeviceKey, FrameRules, MeterStatus};

	/// The rules meter `meter`'s reading record keeps.
	fn kept(meter: u64) -> Option<FrameRules> {
		ReadingStates::<Test>::get(meter).frame_rules
	}

	/// The record keeps exactly the registry's rules.
	fn assert_mirrors(meter: u64) {
		assert_eq!(kept(meter), <Meters as MeterRegistry>::frame_rules(meter));
		assert!(kept(meter).is_some());
		Readings::do_try_state().unwrap();
	}

	#[test]
	fn a_meter_s_record_keeps_the_registry_s_rules_through_its_whole_life() {
		new_test_ext().execute_with(|| {
			// Genesis provisioned, verified and bound the meters.
			assert_mirrors(0);
			assert_eq!(kept(0).unwrap().status, MeterStatus::Active);
			assert_eq!(kept(0).unwrap().min_interval_ms, MIN_INTERVAL);
			assert_eq!(kept(0).unwrap().max_interval_ms, MAX_INTERVAL);
			assert_eq!(kept(2).unwrap().lr_program, None);
			let key = DeviceKey::Sr25519(meter_key(20).public());
			assert_ok!(Meters::provision_meter(
				RuntimeOrigin::signed(MAKER),
				0,
				key.clone(),
				b"S20".to_vec()
			));
			assert_eq!(kept(3).unwrap().status, MeterStatus::Provisioned);
			assert_mirrors(3);
			assert_ok!(Meters::verify_meter(RuntimeOrigin::signed(BODY), 3, b"P20".to_vec()));
			assert_eq!(kept(3).unwrap().status, MeterStatus::Active);
			assert_mirrors(3);
			assert_ok!(LrPrograms::bind_meter(RuntimeOrigin::signed(BODY), 3, program()));
			assert_eq!(kept(3).unwrap().lr_program, Some(program()));
			assert_mirrors(3);
			assert_ok!(Meters::suspend_meter(
				RuntimeOrigin::signed(BODY),
				3,
				StatusReason::SuspectedTampering
			));
			assert_eq!(kept(3).unwrap().status, MeterStatus::Suspended);
			assert_mirrors(3);
			assert_ok!(Meters::reinstate_meter(
				RuntimeOrigin::signed(BODY),
				3,
				StatusReason::IssueResolved
			));
			assert_eq!(kept(3).unwrap().status, MeterStatus::Active);
			assert_mirrors(3);
			let new = DeviceKey::Sr25519(meter_key(21).public());
			assert_ok!(Meters::rotate_device_key(RuntimeOrigin::root(), 3, new.clone()));
			assert_eq!(kept(3).unwrap().device_key, new);
			assert_mirrors(3);
			assert_ok!(Meters::revoke_meter(
				RuntimeOrigin::signed(BODY),
				3,
				StatusReason::Decommissioned
			));
			assert_eq!(kept(3).unwrap().status, MeterStatus::Revoked);
			assert_mirrors(3);
		});
	}

	#[test]
	fn a_reinstated_meter_measures_again() {
		new_test_ext().execute_with(|| {
			assert_ok!(Meters::suspend_meter(
				RuntimeOrigin::signed(BODY),
				0,
				StatusReason::SuspectedTampering
			));
			assert_eq!(submit(signed(&frame(0, 1, NOW))), Err(FrameRejection::MeterNotActive));
			assert_ok!(Meters::reinstate_meter(
				RuntimeOrigin::signed(BODY),
				0,
				StatusReason::IssueResolved
			));
			assert_eq!(submit(signed(&frame(0, 1, NOW))), Ok(()));
		});
	}

	#[test]
	fn frames_are_checked_against_the_rules_the_record_keeps_alone() {
		new_test_ext().execute_with(|| {
			// Were the record's copy suspended while the registry's is not, the frame is
			// refused: the check reads the record, not the registry.
			ReadingStates::<Test>::mutate(0, |s| {
				s.frame_rules.as_mut().unwrap().status = MeterStatus::Suspended
			});
			assert_eq!(submit(signed(&frame(0, 1, NOW))), Err(FrameRejection::MeterNotActive));
			// A record without rules is a meter the registry does not know.
			ReadingStates::<Test>::mutate(1, |s| s.frame_rules = None);
			assert_eq!(submit(signed_by(1, &frame(1, 1, NOW))), Err(FrameRejection::UnknownMeter));
		});
	}

	#[test]
	fn try_state_detects_frame_rules_that_differ_from_the_registry() {
		new_test_ext().execute_with(|| {
			Readings::do_try_state().unwrap();
			ReadingStates::<Test>::mutate(0, |s| {
				s.frame_rules.as_mut().unwrap().max_interval_ms += 1
			});
			assert!(Readings::do_try_state().is_err());
		});
		new_test_ext().execute_with(|| {
			ReadingStates::<Test>::remove(2);
			assert!(Readings::do_try_state().is_err(), "a registered meter without a record");
		});
	}
}

mod migration {
	use super::*;
	use frame_support::{
		storage::unhashed,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
		Hashable,
	};

	/// The storage key of entry `key` of a version 2 item of the pallet.
	fn old_key(item: &str, key: &[u8]) -> Vec<u8> {
		let prefix = frame_support::storage::storage_prefix(b"Readings", item.as_bytes());
		[prefix.as_slice(), key].concat()
	}

	#[test]
	fn version_two_measurements_and_restarts_leave_state_and_readings_stay() {
		new_test_ext().execute_with(|| {
			twelve_minutes_of_meter_zero();
			let state = ReadingStates::<Test>::get(0);
			// What version 2 kept: measurements in slots, restarts of rotated meters.
			for slot in 0u64..8 {
				let key = [0u64.twox_64_concat(), slot.twox_64_concat()].concat();
				unhashed::put_raw(&old_key("Measurements", &key), &[7u8; 100]);
			}
			unhashed::put_raw(&old_key("SequenceRestarts", &0u64.twox_64_concat()), &[4, 3, 0]);
			StorageVersion::new(2).put::<Readings>();

			crate::migrations::v3::MigrateToV3::<Test>::on_runtime_upgrade();

			assert_eq!(Readings::on_chain_storage_version(), StorageVersion::new(3));
			for item in crate::migrations::v3::REMOVED {
				assert!(!unhashed::contains_prefixed_key(&old_key(item, &[])), "{item}");
			}
			assert_eq!(ReadingStates::<Test>::get(0), state);
			Readings::do_try_state().unwrap();
			// Run again, it changes nothing; the meter measures on.
			crate::migrations::v3::MigrateToV3::<Test>::on_runtime_upgrade();
			assert_eq!(ReadingStates::<Test>::get(0), state);
			assert_eq!(submit(signed(&frame(0, 13, NOW + MINUTE))), Ok(()));
		});
	}

	#[test]
	fn version_four_records_take_the_new_layout_without_billing_and_keep_their_reading() {
		use crate::migrations::v5::{MigrateToV5, ReadingStateV4};
		new_test_ext().execute_with(|| {
			twelve_minutes_of_meter_zero();
			ReadingStates::<Test>::mutate(0, |s| s.surveilled = true);
			let state = ReadingStates::<Test>::get(0);
			// Version 4's layout of the same record (under contract 7), and of a meter
			// that never measured.
			let old = |s: &crate::ReadingStateOf<Test>, contract| ReadingStateV4 {
				register: s.register,
				last_sequence: s.last_sequence,
				last_end: s.last_end,
				measurements: s.measurements,
				missed_frames: s.missed_frames,
				chain_head: s.chain_head,
				measuring_since: s.measuring_since,
				last_block: s.last_block,
				frames_in_last_block: s.frames_in_last_block,
				supply_contract: contract,
				surveilled: s.surveilled,
			};
			let untouched = ReadingStates::<Test>::get(2);
			for (meter, record, contract) in [(0u64, &state, Some(7)), (2, &untouched, None)] {
				unhashed::put_raw(
					&ReadingStates::<Test>::hashed_key_for(meter),
					&old(record, contract).encode(),
				);
			}
			assert!(
				ReadingStates::<Test>::try_get(0).is_err(),
				"the old layout does not decode as the new one"
			);
			StorageVersion::new(4).put::<Readings>();

			MigrateToV5::<Test>::on_runtime_upgrade();

			assert_eq!(Readings::on_chain_storage_version(), StorageVersion::new(5));
			// Version 6 copies the frame rules in.
			let without_rules = |s: &crate::ReadingStateOf<Test>| crate::ReadingStateOf::<Test> {
				frame_rules: None,
				..s.clone()
			};
			assert_eq!(ReadingStates::<Test>::get(0), without_rules(&state));
			assert_eq!(ReadingStates::<Test>::get(2), without_rules(&untouched));
			assert!(state.billing.is_none() && state.surveilled);
			// Run again, it changes nothing.
			MigrateToV5::<Test>::on_runtime_upgrade();
			assert_eq!(ReadingStates::<Test>::get(0), without_rules(&state));
			crate::migrations::v6::MigrateToV6::<Test>::on_runtime_upgrade();
			assert_eq!(ReadingStates::<Test>::get(0), state);
			Readings::do_try_state().unwrap();
			// The meter measures on.
			assert_eq!(submit(signed(&frame(0, 13, NOW + MINUTE))), Ok(()));
		});
	}

	#[test]
	fn version_five_records_take_their_meters_frame_rules_and_every_meter_gets_a_record() {
		use crate::migrations::v6::{MigrateToV6, ReadingStateV5};
		use mensura_primitives::metering::DeviceKey;
		new_test_ext().execute_with(|| {
			twelve_minutes_of_meter_zero();
			let key = DeviceKey::Sr25519(meter_key(20).public());
			assert_ok!(Meters::provision_meter(
				RuntimeOrigin::signed(MAKER),
				0,
				key,
				b"S20".to_vec()
			));
			let states: Vec<_> = (0..4u64).map(ReadingStates::<Test>::get).collect();
			// Version 5's layout of meters 0 to 2; the provisioned meter 3 had no record.
			for (meter, s) in states.iter().enumerate().take(3) {
				let old = ReadingStateV5::<u64> {
					register: s.register,
					last_sequence: s.last_sequence,
					last_end: s.last_end,
					measurements: s.measurements,
					missed_frames: s.missed_frames,
					chain_head: s.chain_head,
					measuring_since: s.measuring_since,
					last_block: s.last_block,
					frames_in_last_block: s.frames_in_last_block,
					billing: s.billing.clone(),
					surveilled: s.surveilled,
				};
				unhashed::put_raw(
					&ReadingStates::<Test>::hashed_key_for(meter as u64),
					&old.encode(),
				);
			}
			ReadingStates::<Test>::remove(3);
			assert!(
				ReadingStates::<Test>::try_get(0).is_err(),
				"the old layout does not decode as the new one"
			);
			assert!(Readings::do_try_state().is_err());
			StorageVersion::new(5).put::<Readings>();

			MigrateToV6::<Test>::on_runtime_upgrade();

			assert_eq!(Readings::on_chain_storage_version(), StorageVersion::new(6));
			for (meter, s) in states.iter().enumerate() {
				assert_eq!(&ReadingStates::<Test>::get(meter as u64), s, "meter {meter}");
			}
			Readings::do_try_state().unwrap();
			// Run again, it changes nothing; the meter measures on.
			MigrateToV6::<Test>::on_runtime_upgrade();
			assert_eq!(ReadingStates::<Test>::get(0), states[0]);
			assert_eq!(submit(signed(&frame(0, 13, NOW + MINUTE))), Ok(()));
		});
	}
}

mod interpreter_cost {
	use super::*;
	use crate::{
		reference::{samples, worst_program, MAX_SAMPLES},
		weights::{SubstrateWeight, WeightInfo as _},
	};
	use std::time::Instant;

	/// Microseconds of `run` per [`MAX_SAMPLES`] (the benchmark frame's samples); `run`
	/// must compute `expected` every time.
	fn per_sample(expected: u128, mut run: impl FnMut() -> u128) -> f64 {
		const RUNS: u32 = 300;
		assert_eq!(run(), expected);
		let start = Instant::now();
		for _ in 0..RUNS {
			assert_eq!(run(), expected);
		}
		start.elapsed().as_secs_f64() * 1e6 / f64::from(RUNS * MAX_SAMPLES)
	}

	/// The figures of `docs/benchmarks.md`: `cargo test --release -p pallet-readings
	/// interpreter_cost -- --nocapture`.
	#[test]
	fn the_native_cost_per_sample_operation_prints_beside_the_benchmarked_weight() {
		// The benchmark's load: the widest median filter over a 16 KiB frame of noise.
		let frame = lr::Frame {
			meter: 0,
			sequence: 1,
			start: 0,
			end: 1_000,
			channels: vec![samples(MAX_SAMPLES)],
		};
		let program = worst_program(2);
		let expected = program.execute(&frame).unwrap();
		let mut checked = lr::CheckedProgram::new(program.clone()).unwrap();
		let alone = per_sample(expected, || program.execute(&frame).unwrap());
		let reused = per_sample(expected, || checked.execute(&frame).unwrap());
		// The fitted weight's slope, in picoseconds of reference time per sample.
		let weight = |n: u32| SubstrateWeight::<Test>::execute_program(n).ref_time() as f64;
		let benchmarked = (weight(MAX_SAMPLES) - weight(1)) / f64::from(MAX_SAMPLES - 1) / 1e6;
		println!("LR interpreter, µs per sample-operation (15-wide median on noise, {MAX_SAMPLES} samples):");
		println!("  benchmarked weight (wasm, execute_program): {benchmarked:.4}");
		println!("  native, checked once, buffers kept (the runtime's path): {reused:.4}");
		println!("  native, checked and allocated per frame (Program::execute): {alone:.4}");

		// The reference frame (two channels of 60 samples) and the development chain's
		// 7-operator electricity program: per frame, what checking and allocating cost.
		let frame = lr::Frame {
			meter: 0,
			sequence: 1,
			start: 0,
			end: 15 * MINUTE,
			channels: vec![samples(60).iter().map(|s| 230_000 + s).collect(), samples(60)],
		};
		let program = lr::examples::electricity_active_energy();
		let expected = program.execute(&frame).unwrap();
		let mut checked = lr::CheckedProgram::new(program.clone()).unwrap();
		let per_frame = f64::from(MAX_SAMPLES);
		let alone = per_sample(expected, || program.execute(&frame).unwrap()) * per_frame;
		let reused = per_sample(expected, || checked.execute(&frame).unwrap()) * per_frame;
		println!("LR interpreter, µs per reference frame (2 × 60 samples, 7 operators):");
		println!("  native, checked once, buffers kept: {reused:.2}");
		println!("  native, checked and allocated per frame: {alone:.2}");
	}
}
