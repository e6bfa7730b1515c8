//! The worked example of `docs/frame-format.md` is what firmware writers compare their
//! output with, byte for byte: this test rebuilds it from the documented inputs and
//! checks every documented value.

use mensura_primitives::{metering::DeviceKey, readings::lr};
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
	// The directory `cargo test` runs us for (a binary reused from another checkout of
	// the shared build cache still reads this checkout's document).
	let crate_dir = std::env::var("CARGO_MANIFEST_DIR")
		.unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
	let path = std::path::Path::new(&crate_dir).join("../docs/frame-format.md");
	let doc = std::fs::read_to_string(&path).expect("docs/frame-format.md");
	let section = doc.split("## Worked example").nth(1).expect("a worked example section");
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

#[test]
fn the_documented_worked_example_is_exact() {
	let v = worked_example();
	let get = |name: &str| v.get(name).unwrap_or_else(|| panic!("no `{name}` in the example"));
	let number = |name: &str| get(name).replace('_', "").parse::<u64>().unwrap();
	let samples = |name: &str| -> Vec<i32> {
		get(name)
			.trim_matches(['[', ']'])
			.split(',')
			.map(|s| s.trim().replace('_', "").parse().unwrap())
			.collect()
	};

	let frame = lr::Frame {
		meter: number("meter"),
		sequence: number("sequence"),
		start: number("start"),
		end: number("end"),
		channels: vec![samples("voltage (mV)"), samples("current (mA)")],
	};
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
