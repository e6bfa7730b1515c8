//! End to end: the dev chain's seeded meters sign frames with their dev keys; the frames
//! go to the real node as general (authorised, unsigned) transactions through
//! `author_submitExtrinsic`, as a gateway would send them, and come back as measurements:
//! the meters' reading states through the runtime API, each measurement in its block's
//! `Measured` event (state keeps none). Bad frames are refused by the pool with their
//! reason.

mod common;

use codec::{Decode, Encode};
use common::*;
use mensura_primitives::{
	metering::ProgramHash,
	readings::{lr, FrameRejection, Measurement, ReadingState, SignedFrame},
};
use mensura_runtime::{AccountId, Runtime, RuntimeCall, UncheckedExtrinsic};
use sp_core::{sr25519, Pair};
use sp_runtime::MultiSignature;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn hex(bytes: &[u8]) -> String {
	format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn unhex(text: &str) -> Vec<u8> {
	let text = text.trim_start_matches("0x");
	(0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// The dev key of meter `meter` (`//Meter1` signs for meter 0).
fn dev_key(meter: u64) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//Meter{}", meter + 1), None).unwrap()
}

fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// 230 V and `amps` A over the interval, 2 channels of 60 samples.
fn frame(meter: u64, sequence: u64, start: u64, end: u64, amps: i32) -> lr::Frame {
	lr::Frame {
		meter,
		sequence,
		start,
		end,
		channels: vec![vec![230_000; 60], vec![amps * 1_000; 60]],
	}
}

fn sign(frame: &lr::Frame, key: &sr25519::Pair, genesis: &[u8; 32]) -> SignedFrame<Vec<u8>> {
	let bytes = frame.encode().unwrap();
	let message = lr::frame::signing_message(genesis, &sp_io::hashing::blake2_256(&bytes));
	SignedFrame { frame: bytes, signature: MultiSignature::Sr25519(key.sign(&message)) }
}

/// A general transaction (extrinsic format v5) carrying `call`: no signer, the
/// transaction extensions with their neutral values; `AuthorizeCall` authorises it.
fn general_transaction(call: RuntimeCall) -> Vec<u8> {
	let extensions = mensura_runtime::transaction_extensions(0);
	UncheckedExtrinsic::new_transaction(call, extensions).encode()
}

fn submit_call(frame: SignedFrame<Vec<u8>>) -> RuntimeCall {
	RuntimeCall::Readings(pallet_readings::Call::submit_frame {
		frame: SignedFrame { frame: frame.frame.try_into().unwrap(), signature: frame.signature },
	})
}

fn batch_call(frames: Vec<SignedFrame<Vec<u8>>>) -> RuntimeCall {
	let frames: Vec<_> = frames
		.into_iter()
		.map(|f| SignedFrame { frame: f.frame.try_into().unwrap(), signature: f.signature })
		.collect();
	RuntimeCall::Readings(pallet_readings::Call::submit_frames {
		frames: frames.try_into().unwrap(),
	})
}

/// Submits the transaction; `Err` carries the JSON-RPC error.
fn submit_raw(node: &Node, call: RuntimeCall) -> Result<(), String> {
	node.rpc("author_submitExtrinsic", serde_json::json!([hex(&general_transaction(call))]))
		.map(|_| ())
}

/// Submits; `Err` carries the pool's rejection, named: `{"code": 1010, "data": "Custom
/// error: <code>"}` for an invalid frame, `{"code": 1011, "data": "Custom(<code>)"}` for
/// one only not valid yet (`FutureInterval`, which the pool must not ban).
fn submit(node: &Node, call: RuntimeCall) -> Result<(), FrameRejection> {
	let Err(error) = submit_raw(node, call) else { return Ok(()) };
	let json: serde_json::Value =
		serde_json::from_str(&error).unwrap_or_else(|_| panic!("not JSON: {error}"));
	let data = json["data"].as_str().unwrap_or_else(|| panic!("no data: {error}"));
	let (code, unknown_validity) = match json["code"].as_i64() {
		Some(1010) => (data.strip_prefix("Custom error: "), false),
		Some(1011) => (data.strip_prefix("Custom(").and_then(|c| c.strip_suffix(')')), true),
		_ => (None, false),
	};
	let rejection = code
		.and_then(|digits| digits.parse::<u8>().ok())
		.and_then(FrameRejection::from_code)
		.unwrap_or_else(|| panic!("not a frame rejection: {error}"));
	assert_eq!(
		unknown_validity,
		rejection == FrameRejection::FutureInterval,
		"only a frame ahead of the chain's clock is of unknown validity: {error}"
	);
	Err(rejection)
}

fn call_api<T: Decode>(node: &Node, method: &str, args: impl Encode) -> T {
	let result = node
		.rpc("state_call", serde_json::json!([method, hex(&args.encode())]))
		.unwrap_or_else(|e| panic!("{method}: {e}"));
	T::decode(&mut &unhex(result.as_str().unwrap())[..]).unwrap()
}

/// `ReadingsApi::check_frame`: what the pool would say, without submitting.
fn dry_run(node: &Node, signed: &SignedFrame<Vec<u8>>) -> Result<u128, FrameRejection> {
	call_api(node, "ReadingsApi_check_frame", (signed.frame.clone(), signed.signature.clone()))
}

fn reading(node: &Node, meter: u64) -> ReadingState<AccountId> {
	call_api(node, "ReadingsApi_reading", meter)
}

/// Every `Measured` event of `meter` in the best chain, oldest first: `(index,
/// measurement)`, read from each block's `System::Events` as an indexer reads them.
fn measured(node: &Node, meter: u64) -> Vec<(u64, Measurement<u32>)> {
	use sp_io::hashing::twox_128;
	let key = hex(&[twox_128(b"System"), twox_128(b"Events")].concat());
	let best = node.block_number(false).expect("a best block");
	let mut found = Vec::new();
	for number in 1..=best {
		let hash = node.rpc("chain_getBlockHash", serde_json::json!([number])).unwrap();
		let raw = node.rpc("state_getStorage", serde_json::json!([key, hash])).unwrap();
		let Some(raw) = raw.as_str() else { continue };
		let records: Vec<frame_system::EventRecord<mensura_runtime::RuntimeEvent, sp_core::H256>> =
			Decode::decode(&mut &unhex(raw)[..]).expect("System::Events decodes");
		for record in records {
			if let mensura_runtime::RuntimeEvent::Readings(pallet_readings::Event::Measured {
				meter: m,
				index,
				measurement,
				..
			}) = record.event
			{
				if m == meter {
					found.push((index, measurement));
				}
			}
		}
	}
	found
}

#[test]
fn seeded_meters_frames_become_measurements_and_bad_frames_never_reach_a_block() {
	let mut node = Node::start_dev(&[]);
	// Frames are judged against the chain's time, which the first block sets.
	node.wait_for("block 1", Duration::from_secs(60), |n| {
		n.block_number(false).filter(|&b| b >= 1)
	});
	let genesis: [u8; 32] =
		unhex(node.rpc("chain_getBlockHash", serde_json::json!([0])).unwrap().as_str().unwrap())
			.try_into()
			.unwrap();

	// What the runtime says a meter signs is what this test signs.
	let sample = frame(0, 1, 0, 1, 5).encode().unwrap();
	let message: Vec<u8> = call_api(&node, "ReadingsApi_signing_message", sample.clone());
	assert_eq!(
		message,
		lr::frame::signing_message(&genesis, &sp_io::hashing::blake2_256(&sample)).to_vec()
	);

	// Meters 0 and 1: ten one-second frames each, one by one. Meter 2: one batch of ten.
	let base = now_ms() - 30_000;
	let interval = |i: u64| (base + 2_000 * i, base + 2_000 * i + 1_000);
	let mut expected = [0u128; 3];
	for meter in 0..2u64 {
		for i in 0..10 {
			let (start, end) = interval(i);
			let f = frame(meter, i + 1, start, end, 5 + meter as i32);
			let signed = sign(&f, &dev_key(meter), &genesis);
			expected[meter as usize] += dry_run(&node, &signed).expect("a valid frame passes");
			assert_eq!(submit(&node, submit_call(signed)), Ok(()));
		}
	}
	let batch: Vec<_> = (0..10)
		.map(|i| {
			let (start, end) = interval(i);
			sign(&frame(2, i + 1, start, end, 7), &dev_key(2), &genesis)
		})
		.collect();
	for signed in &batch {
		// Each frame alone, against the state before the batch.
		expected[2] += dry_run(&node, signed).expect("a valid frame passes");
	}
	assert_eq!(submit(&node, batch_call(batch.clone())), Ok(()));

	node.wait_for("30 measurements", Duration::from_secs(90), |n| {
		(0..3).all(|m| reading(n, m).measurements == 10).then_some(())
	});

	type Program = pallet_lr_programs::ProgramRecordOf<Runtime>;
	let (program, record) =
		call_api::<Option<(ProgramHash, Program)>>(&node, "LrProgramsApi_program_of_meter", 0u64)
			.expect("meter 0 has a program");
	// Software identification: the bound program's hash, version and approvals.
	assert_eq!(program, ProgramHash::from(sp_io::hashing::blake2_256(&record.code)));
	assert_eq!(record.version.to_vec(), b"electricity-active-energy 1.0.0".to_vec());
	assert_eq!(record.approvals.to_vec(), vec![sp_keyring::Sr25519Keyring::Bob.to_account_id()]);
	assert_eq!(record.status, pallet_lr_programs::ProgramStatus::Approved);
	for meter in 0..3u64 {
		let state = reading(&node, meter);
		let measurements = measured(&node, meter);
		assert_eq!(
			measurements.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
			(0..10).collect::<Vec<_>>(),
			"meter {meter}"
		);
		let sum: u128 = measurements.iter().map(|(_, m)| m.quantity).sum();
		assert_eq!(state.register, sum, "meter {meter}: register = sum of measurements");
		assert_eq!(state.register, expected[meter as usize], "meter {meter}");
		assert_eq!(state.last_sequence, Some(10));
		// Software identification of each measurement: its event names the program.
		assert!(measurements.iter().all(|(_, m)| m.program == program));
		// The events prove the meter's whole history: they rebuild its hash chain.
		let head = measurements.iter().fold(sp_core::H256::zero(), |head, (index, m)| {
			mensura_primitives::readings::chain_link(head, meter, *index, m)
		});
		assert_eq!(state.chain_head, head, "meter {meter}: the events rebuild the chain head");
	}

	// Bad frames: each refused by the pool with its reason.
	let (start, end) = interval(20);
	let fresh = frame(0, 11, start, end, 5);
	assert_eq!(
		submit(&node, submit_call(sign(&fresh, &dev_key(1), &genesis))),
		Err(FrameRejection::BadSignature),
		"signed by another meter's key"
	);
	assert_eq!(
		submit(&node, submit_call(sign(&fresh, &dev_key(0), &[0; 32]))),
		Err(FrameRejection::BadSignature),
		"signed for another chain"
	);
	let (start, end) = interval(9);
	assert_eq!(
		submit(&node, submit_call(sign(&frame(0, 10, start, end, 5), &dev_key(0), &genesis))),
		Err(FrameRejection::Replayed),
		"a replay of meter 0's last frame"
	);
	// The batch again, byte for byte: the pool knows it and refuses it before validating.
	let again = submit_raw(&node, batch_call(batch.clone())).expect_err("a resubmitted batch");
	assert!(again.contains("Already Imported"), "unexpected error: {again}");
	// Re-signed (sr25519 signatures differ each time), it is validated and is a replay.
	let resigned: Vec<_> = (0..10)
		.map(|i| {
			let (start, end) = interval(i);
			sign(&frame(2, i + 1, start, end, 7), &dev_key(2), &genesis)
		})
		.collect();
	assert_ne!(resigned[0].signature, batch[0].signature);
	assert_eq!(
		submit(&node, batch_call(resigned)),
		Err(FrameRejection::Replayed),
		"a replayed batch"
	);
	let mut malformed = sign(&fresh, &dev_key(0), &genesis);
	malformed.frame.truncate(40);
	assert_eq!(submit(&node, submit_call(malformed)), Err(FrameRejection::Malformed));
	let future = frame(0, 11, now_ms() + 600_000, now_ms() + 660_000, 5);
	assert_eq!(
		submit(&node, submit_call(sign(&future, &dev_key(0), &genesis))),
		Err(FrameRejection::FutureInterval)
	);
	assert_eq!(
		submit(&node, submit_call(sign(&frame(7, 1, start, end, 5), &dev_key(0), &genesis))),
		Err(FrameRejection::UnknownMeter)
	);

	// Two more blocks: nothing of the refused frames landed.
	let best = node.block_number(false).unwrap();
	node.wait_for("2 more blocks", Duration::from_secs(60), |n| {
		n.block_number(false).filter(|&b| b >= best + 2)
	});
	for meter in 0..3u64 {
		assert_eq!(reading(&node, meter).measurements, 10, "meter {meter} after bad frames");
	}
	let log = node.log();
	assert!(node.stop().success());
	assert!(!log.contains("panicked"), "node log has a panic:\n{log}");
}

#[test]
fn a_meters_frames_sent_newest_first_all_reach_blocks_in_order() {
	let mut node = Node::start_dev(&[]);
	let best = node.wait_for("block 1", Duration::from_secs(60), |n| {
		n.block_number(false).filter(|&b| b >= 1)
	});
	let genesis: [u8; 32] =
		unhex(node.rpc("chain_getBlockHash", serde_json::json!([0])).unwrap().as_str().unwrap())
			.try_into()
			.unwrap();
	// Just after a block, so that all five wait in the pool for the same next one.
	node.wait_for("a new block", Duration::from_secs(30), |n| {
		n.block_number(false).filter(|&b| b > best)
	});
	// Frames 5, 4, 3, 2, 1 of meter 0, in that order: each is valid against the chain's
	// state, which knows none of them. A block that took 5 first would make the four
	// others replays, lost with their consumption; the pool must hand them to the block
	// builder oldest first.
	let base = now_ms() - 30_000;
	let mut expected = 0;
	for i in (0..5u64).rev() {
		let f = frame(0, i + 1, base + 2_000 * i, base + 2_000 * i + 1_000, 5);
		let signed = sign(&f, &dev_key(0), &genesis);
		expected += dry_run(&node, &signed).expect("a valid frame passes");
		assert_eq!(submit(&node, submit_call(signed)), Ok(()), "frame {}", i + 1);
	}
	node.wait_for("5 measurements", Duration::from_secs(60), |n| {
		(reading(n, 0).measurements == 5).then_some(())
	});
	let state = reading(&node, 0);
	assert_eq!((state.last_sequence, state.missed_frames), (Some(5), 0));
	assert_eq!(state.register, expected);
	let measurements = measured(&node, 0);
	assert_eq!(
		measurements.iter().map(|(_, m)| m.sequence).collect::<Vec<_>>(),
		vec![1, 2, 3, 4, 5]
	);
	assert!(node.stop().success());
}
