//! The worked example of `docs/frame-format.md` is what firmware and gateway writers
//! compare their output with, byte for byte: these tests rebuild it from the documented
//! inputs and check every documented value, down to the transaction's bytes, against the
//! runtime's own types, and send that transaction to a real node.

mod common;

use codec::{Decode, Encode};
use mensura_primitives::{
	metering::DeviceKey,
	readings::{lr, FrameRejection, SignedFrame},
};
use mensura_runtime::{RuntimeCall, UncheckedExtrinsic};
use sp_core::{ed25519, Pair};
use sp_io::hashing::blake2_256;
use sp_runtime::MultiSignature;
use std::collections::BTreeMap;

fn unhex(text: &str) -> Vec<u8> {
	let text: String = text.split_whitespace().collect();
	let text = text.trim_start_matches("0x");
	assert!(text.len().is_multiple_of(2), "odd hex: {text}");
	(0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// The `name = value` lines of the first `text` block after `## Worked example`; values
/// may continue on following lines indented by spaces.
fn worked_example() -> BTreeMap<String, String> {
	example_after("## Worked example")
}

/// The `name = value` lines of the first `text` block after `heading`.
fn example_after(heading: &str) -> BTreeMap<String, String> {
	// The directory `cargo test` runs us for (a binary reused from another checkout of
	// the shared build cache still reads this checkout's document).
	let crate_dir = std::env::var("CARGO_MANIFEST_DIR")
		.unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
	let path = std::path::Path::new(&crate_dir).join("../docs/frame-format.md");
	let doc = std::fs::read_to_string(&path).expect("docs/frame-format.md");
	let section = doc.split(heading).nth(1).expect("a worked example section");
	let block = section.split("```text").nth(1).and_then(|b| b.split("```").next()).unwrap();
	let mut values = BTreeMap::new();
	let mut last = None;
	for line in block.lines() {
		if let Some((name, value)) = line.split_once(" = ") {
			let name = name.trim().to_string();
			values.insert(name.clone(), value.trim().to_string());
			last = Some(name);
		} else if line.starts_with("  ") && !line.trim().is_empty() {
			let name = last.clone().expect("a continuation follows a value");
			values.get_mut(&name).unwrap().push_str(&format!(" {}", line.trim()));
		}
	}
	values
}

/// The frame of the worked example, from its documented fields.
fn documented_frame(v: &BTreeMap<String, String>) -> lr::Frame {
	let get = |name: &str| v.get(name).unwrap_or_else(|| panic!("no `{name}` in the example"));
	let number = |name: &str| get(name).replace('_', "").parse::<u64>().unwrap();
	let samples = |name: &str| -> Vec<i32> {
		get(name)
			.trim_matches(['[', ']'])
			.split(',')
			.map(|s| s.trim().replace('_', "").parse().unwrap())
			.collect()
	};
	lr::Frame {
		meter: number("meter"),
		sequence: number("sequence"),
		start: number("start"),
		end: number("end"),
		channels: vec![samples("voltage (mV)"), samples("current (mA)")],
	}
}

#[test]
fn the_documented_worked_example_is_exact() {
	let v = worked_example();
	let get = |name: &str| v.get(name).unwrap_or_else(|| panic!("no `{name}` in the example"));
	let number = |name: &str| get(name).replace('_', "").parse::<u64>().unwrap();
	let frame = documented_frame(&v);
	let bytes = frame.encode().unwrap();
	assert_eq!(bytes, unhex(get("frame bytes")), "frame bytes");
	assert_eq!(lr::Frame::decode(&bytes).unwrap(), frame);

	let frame_hash = blake2_256(&bytes);
	assert_eq!(frame_hash.to_vec(), unhex(get("frame hash")), "frame hash");
	let genesis: [u8; 32] = unhex(get("genesis hash")).try_into().unwrap();
	let message = lr::frame::signing_message(&genesis, &frame_hash);
	assert_eq!(message.to_vec(), unhex(get("message")), "message");

	// Ed25519 is deterministic: the documented signature is the one firmware must get.
	let seed: [u8; 32] = unhex(get("ed25519 seed")).try_into().unwrap();
	let pair = ed25519::Pair::from_seed(&seed);
	assert_eq!(pair.public().0.to_vec(), unhex(get("ed25519 public key")), "public key");
	let signature = pair.sign(&message);
	assert_eq!(signature.0.to_vec(), unhex(get("signature")), "signature");
	let key = DeviceKey::Ed25519(pair.public());
	assert!(key.verify(&message, &MultiSignature::Ed25519(signature)));

	// What the reference electricity program measures from it.
	let quantity = lr::examples::electricity_active_energy().execute(&frame).unwrap();
	assert_eq!(quantity, u128::from(number("quantity (mWh)")), "quantity");
	let program = lr::examples::electricity_active_energy().encode().unwrap();
	assert_eq!(program, unhex(get("program bytes")), "program bytes");
	assert_eq!(blake2_256(&program).to_vec(), unhex(get("program hash")), "program hash");
}

/// Version 2 of the same frame: its own bytes, hash and signature, the same quantity.
#[test]
fn the_documented_compact_worked_example_is_exact() {
	let v1 = worked_example();
	let v2 = example_after("## Worked example, version 2");
	let number = |name: &str| v1[name].replace('_', "").parse::<u64>().unwrap();
	let frame = documented_frame(&v1);
	let get = |name: &str| v2.get(name).unwrap_or_else(|| panic!("no `{name}` in version 2"));
	let bytes = frame.encode_as(lr::FrameFormat::Compact).unwrap();
	assert_eq!(hex(&bytes), hex(&unhex(get("frame bytes"))), "frame bytes");
	assert_eq!(lr::Frame::decode(&bytes).unwrap(), frame);
	let frame_hash = blake2_256(&bytes);
	assert_eq!(frame_hash.to_vec(), unhex(get("frame hash")), "frame hash");
	let genesis: [u8; 32] = unhex(&v1["genesis hash"]).try_into().unwrap();
	let seed: [u8; 32] = unhex(&v1["ed25519 seed"]).try_into().unwrap();
	let message = lr::frame::signing_message(&genesis, &frame_hash);
	let signature = ed25519::Pair::from_seed(&seed).sign(&message);
	assert_eq!(signature.0.to_vec(), unhex(get("signature")), "signature");
	let quantity = lr::examples::electricity_active_energy().execute(&frame).unwrap();
	assert_eq!(quantity, u128::from(number("quantity (mWh)")));
	// The transaction: the same as version 1's but for the frame.
	let call = RuntimeCall::Readings(pallet_readings::Call::submit_frame {
		frame: SignedFrame {
			frame: bytes.try_into().unwrap(),
			signature: MultiSignature::Ed25519(signature),
		},
	});
	let built =
		UncheckedExtrinsic::new_transaction(call, mensura_runtime::transaction_extensions(0))
			.encode();
	assert_eq!(hex(&built), hex(&unhex(get("transaction"))), "the documented transaction");
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The documented frame, signed as documented, in the runtime's call.
fn documented_call(v: &BTreeMap<String, String>) -> RuntimeCall {
	let frame = unhex(&v["frame bytes"]);
	let signature: [u8; 64] = unhex(&v["signature"]).try_into().unwrap();
	RuntimeCall::Readings(pallet_readings::Call::submit_frame {
		frame: SignedFrame {
			frame: frame.try_into().unwrap(),
			signature: MultiSignature::Ed25519(ed25519::Signature::from_raw(signature)),
		},
	})
}

#[test]
fn the_documented_transaction_is_what_the_runtime_encodes() {
	let v = worked_example();
	let documented = unhex(v.get("transaction").expect("a `transaction` in the example"));
	let call = documented_call(&v);
	let built = UncheckedExtrinsic::new_transaction(
		call.clone(),
		mensura_runtime::transaction_extensions(0),
	)
	.encode();
	assert_eq!(hex(&documented), hex(&built), "the documented transaction");

	// Its parts, as the document lays them out.
	let mut rest = &documented[..];
	let length = <codec::Compact<u32>>::decode(&mut rest).unwrap().0 as usize;
	assert_eq!(length, rest.len(), "the length prefix covers everything after it");
	assert_eq!(&rest[..6], &[0x45, 0x00, 0x00, 0x00, 0x00, 0x00], "version and extensions");
	assert_eq!(&rest[6..8], &[12, 0], "Readings (12), submit_frame (0)");
	assert_eq!(&rest[6..], &call.encode()[..], "the call follows the extensions");
	let batch = RuntimeCall::Readings(pallet_readings::Call::submit_frames {
		frames: vec![match call.clone() {
			RuntimeCall::Readings(pallet_readings::Call::submit_frame { frame }) => frame,
			_ => unreachable!(),
		}]
		.try_into()
		.unwrap(),
	});
	assert_eq!(&batch.encode()[..3], &[12, 1, 4], "submit_frames (1), compact(1) frame");

	// And the runtime reads it back as that call, a general transaction.
	let decoded = UncheckedExtrinsic::decode(&mut &documented[..]).unwrap();
	assert_eq!(decoded.function, call);
	assert!(matches!(
		decoded.preamble,
		sp_runtime::generic::Preamble::General(sp_runtime::traits::ExtensionVariant::V0(_))
	));
}

#[test]
fn the_documented_transaction_reaches_the_frame_checks_of_a_real_node() {
	let v = worked_example();
	let mut node = common::Node::start_dev(&[]);
	node.wait_for("block 1", std::time::Duration::from_secs(60), |n| {
		n.block_number(false).filter(|&b| b >= 1)
	});
	// The pool decodes it and checks the frame: the cheap checks pass (meter 0 is active
	// and bound, the interval is in the past), then the signature, made for a stand-in
	// genesis hash by a key that is not meter 0's, is refused — with the JSON-RPC error
	// the document shows.
	let submit = |node: &common::Node, bytes: &[u8]| -> Result<(), serde_json::Value> {
		node.rpc("author_submitExtrinsic", serde_json::json!([format!("0x{}", hex(bytes))]))
			.map(|_| ())
			.map_err(|e| serde_json::from_str(&e).unwrap_or_else(|_| panic!("not JSON: {e}")))
	};
	let error = submit(&node, &unhex(&v["transaction"])).expect_err("signed for another chain");
	assert_eq!(
		error,
		serde_json::json!({"code": 1010, "message": "Invalid Transaction", "data": "Custom error: 4"})
	);
	assert_eq!(FrameRejection::from_code(4), Some(FrameRejection::BadSignature));

	// The pool's own answers: the same transaction again, and another frame of the same
	// meter and sequence that ranks lower (a later interval) or higher (an earlier one).
	let genesis: [u8; 32] =
		unhex(node.rpc("chain_getBlockHash", serde_json::json!([0])).unwrap().as_str().unwrap())
			.try_into()
			.unwrap();
	let key = sp_core::sr25519::Pair::from_string("//Meter1", None).unwrap();
	let now =
		std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
			as u64;
	let transaction = |start: u64| -> Vec<u8> {
		let frame = lr::Frame {
			meter: 0,
			sequence: 1,
			start,
			end: start + 1_000,
			channels: vec![vec![230_000; 4], vec![5_000; 4]],
		};
		let bytes = frame.encode().unwrap();
		let message = lr::frame::signing_message(&genesis, &blake2_256(&bytes));
		let call = RuntimeCall::Readings(pallet_readings::Call::submit_frame {
			frame: SignedFrame {
				frame: bytes.try_into().unwrap(),
				signature: MultiSignature::Sr25519(key.sign(&message)),
			},
		});
		UncheckedExtrinsic::new_transaction(call, mensura_runtime::transaction_extensions(0))
			.encode()
	};
	let first = transaction(now - 20_000);
	assert_eq!(submit(&node, &first), Ok(()));
	let again = submit(&node, &first).expect_err("the same transaction twice");
	assert_eq!(again["code"], 1013, "{again}");
	assert_eq!(again["message"], "Transaction Already Imported", "{again}");
	let later = submit(&node, &transaction(now - 10_000)).expect_err("same meter and sequence");
	assert_eq!(later["code"], 1014, "{later}");
	assert!(later["message"].as_str().unwrap().starts_with("Priority is too low: ("), "{later}");
	assert_eq!(
		later["data"],
		"The transaction has too low priority to replace another transaction already in the pool.",
	);
	assert_eq!(submit(&node, &transaction(now - 30_000)), Ok(()), "an earlier interval replaces");

	// A frame one byte over MaxFrameBytes (16,384) is not a decodable call: the node says
	// so as the document shows, with no frame check.
	let mut call = vec![12u8, 0];
	codec::Compact(16_385u32).encode_to(&mut call);
	call.extend(std::iter::repeat_n(0u8, 16_385));
	call.push(0x00);
	call.extend([0u8; 64]);
	let mut body = vec![0x45, 0x00, 0x00, 0x00, 0x00, 0x00];
	body.extend(call);
	let oversized = body.encode();
	let error = submit(&node, &oversized).expect_err("an oversized frame");
	assert_eq!(error["code"], 1002, "{error}");
	assert!(
		error["message"].as_str().unwrap().starts_with("Verification Error: Runtime error:"),
		"{error}"
	);
	assert!(node.stop().success());
}
