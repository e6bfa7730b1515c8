//! End to end: the `mensura` tool against the real node (`--dev --tmp`, free ports), as
//! a user or a script runs it. A fleet is simulated and queried back; forged, replayed
//! and malformed frames are refused with their reason and leave no trace; user errors
//! get one line and an exit code scripts can trust.

#[path = "../../../node/tests/common/mod.rs"]
mod common;

use codec::{Decode, Encode};
use common::*;
use mensura_primitives::readings::SignedFrame;
use serde_json::{json, Value};
use std::{
	collections::BTreeSet,
	io::Write,
	path::{Path, PathBuf},
	process::{Command, Output, Stdio},
	time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Runs `mensura` with `args` against `node` (if any), feeding `stdin`.
fn mensura(node: Option<&Node>, args: &[&str], stdin: &str) -> Output {
	let mut command = Command::new(env!("CARGO_BIN_EXE_mensura"));
	command.env_remove("MENSURA_URL").env_remove("MENSURA_INDEXER");
	if let Some(node) = node {
		command.args(["--url", &format!("http://127.0.0.1:{}", node.rpc_port)]);
	}
	let mut child = command
		.args(args)
		.stdin(Stdio::piped())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.expect("the mensura binary starts");
	// A command that fails on its arguments exits without reading its input.
	if let Err(error) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
		assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
	}
	child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `mensura`, expecting exit code `code`; returns standard output.
fn expect(node: Option<&Node>, args: &[&str], stdin: &str, code: i32) -> String {
	let output = mensura(node, args, stdin);
	assert_eq!(
		output.status.code(),
		Some(code),
		"`mensura {}`\nstdout:\n{}\nstderr:\n{}",
		args.join(" "),
		text(&output.stdout),
		text(&output.stderr)
	);
	text(&output.stdout)
}

/// Runs `mensura … --json`, expecting success, and parses its output.
fn json(node: &Node, args: &[&str]) -> Value {
	let out = expect(Some(node), args, "", 0);
	serde_json::from_str(&out)
		.unwrap_or_else(|e| panic!("`mensura {}`: {e}: {out}", args.join(" ")))
}

fn started_node() -> Node {
	started_node_with(&[])
}

/// A development node with `extra` arguments, once it has block 1.
fn started_node_with(extra: &[&str]) -> Node {
	let mut node = Node::start_dev(extra);
	// Frames are judged against the last block's time: wait for block 1.
	node.wait_for("block 1", Duration::from_secs(60), |n| {
		n.block_number(false).filter(|&b| b >= 1)
	});
	node
}

/// Waits until `indexer` holds `count` measurements of `meter`, asked through the CLI.
fn wait_for_measurements(indexer: &Indexer, node: &Node, meter: u64, count: u64) {
	let started = std::time::Instant::now();
	let url = indexer.url();
	loop {
		let id = meter.to_string();
		let args = ["query", "measurements", &id, "--limit", "1000", "--json", "--indexer", &url];
		let output = mensura(Some(node), &args, "");
		if output.status.success() {
			let page: Value = serde_json::from_slice(&output.stdout).unwrap();
			if page["measurements"].as_array().map(Vec::len) == Some(count as usize) {
				return;
			}
		}
		assert!(
			started.elapsed() < Duration::from_secs(90),
			"the indexer did not reach {count} measurements of meter {meter}: {}; its log:\n{}",
			text(&output.stderr),
			indexer.log()
		);
		std::thread::sleep(Duration::from_millis(500));
	}
}

fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

fn number(value: &Value) -> u128 {
	value.as_str().map(|s| s.parse().unwrap()).or_else(|| value.as_u64().map(u128::from)).unwrap()
}

#[test]
fn a_simulated_fleet_becomes_measurements_that_the_tool_reads_back() {
	let node = started_node();
	// The dev chain's meters 0–2 sign with //Meter1..3; //Meter4 has no meter yet, so the
	// simulator provisions, verifies and binds one through signed transactions.
	let summary = json(
		&node,
		&["simulate", "--meters", "4", "--rate", "2", "--duration", "8s", "--quiet", "--json"],
	);
	assert_eq!(summary["ok"], json!(true), "{summary:#}");
	let sent = summary["sent"].as_u64().unwrap();
	assert!(sent >= 4 * 2 * 7, "a few dozen frames: {sent}");
	assert_eq!(summary["accepted"].as_u64(), Some(sent));
	assert_eq!(summary["measured"].as_u64(), Some(sent));
	assert_eq!(summary["refused"].as_u64(), Some(0));

	// Measurements are history: state keeps none, the indexer serves them.
	let index_dir = std::env::temp_dir().join(format!("mensura-cli-index-{}", std::process::id()));
	std::fs::create_dir_all(&index_dir).unwrap();
	let database = format!("sqlite://{}", index_dir.join("index.db").display());
	let indexer = Indexer::start(node.rpc_port, &database, &[]);
	let url = indexer.url();
	let history = ["--indexer", url.as_str()];
	for meter in 0..4u64 {
		let row = &summary["meters"][meter as usize];
		assert_eq!(row["meter"], json!(meter));
		wait_for_measurements(&indexer, &node, meter, row["measured"].as_u64().unwrap());
		let page = json(
			&node,
			&[
				&["query", "measurements", &meter.to_string(), "--limit", "1000", "--json"][..],
				&history,
			]
			.concat(),
		);
		let measurements = page["measurements"].as_array().unwrap();
		// Every frame became exactly one measurement, in sequence.
		assert_eq!(measurements.len() as u64, row["measured"].as_u64().unwrap());
		for (i, m) in measurements.iter().enumerate() {
			assert_eq!(m["sequence"].as_u64(), Some(i as u64 + 1));
		}
		// The register is the sum of the measurements, and what the program computes.
		let sum: u128 = measurements.iter().map(|m| number(&m["quantity"])).sum();
		let register = json(&node, &["query", "register", &meter.to_string(), "--json"]);
		assert_eq!(number(&register["register"]), sum);
		assert_eq!(number(&row["expectedIncrease"]), sum);
		assert!(sum > 0);
		// Consumption over the whole run is the register too.
		let consumption = json(
			&node,
			&[&["query", "consumption", &meter.to_string(), "--from", "0", "--json"][..], &history]
				.concat(),
		);
		assert_eq!(number(&consumption["quantity"]), sum);
	}

	// Meters 0–2 are under the dev supply contracts: each of their measurements paid
	// Dave the fixed fee (less the block author's share); meter 3 has no contract.
	let contracted: u64 = (0..3).map(|m| summary["meters"][m]["measured"].as_u64().unwrap()).sum();
	let rewards = json(&node, &["query", "rewards", "//Dave", "--json"]);
	let fee = number(&rewards["measuringFee"]);
	let share = fee * u128::from(rewards["authorShare"].as_u64().unwrap()) / 1_000_000_000;
	assert_eq!(rewards["measurements"].as_u64(), Some(contracted), "{rewards:#}");
	assert_eq!(number(&rewards["earned"]), u128::from(contracted) * (fee - share));
	let eve = json(&node, &["query", "rewards", "//Eve", "--json"]);
	assert_eq!(number(&eve["debt"]), 0);
	// Whatever invoices the one-minute periods have produced so far are priced right.
	let invoices = json(&node, &["query", "invoices", "--consumer", "//Ferdie", "--json"]);
	for invoice in invoices.as_array().unwrap() {
		assert_eq!(
			number(&invoice["amount"]),
			number(&invoice["energy"]) + number(&invoice["standing"]),
			"{invoice:#}"
		);
		let quantities: u128 = invoice["quantities"].as_array().unwrap().iter().map(number).sum();
		assert_eq!(number(&invoice["consumption"]), quantities);
	}
	let error = one_line_error(
		&[
			"--url",
			&format!("http://127.0.0.1:{}", node.rpc_port),
			"query",
			"invoices",
			"--contract",
			"99",
		],
		"",
		4,
	);
	assert!(error.contains("no supply contract 99"), "{error}");

	// The meter the simulator registered has its history in the audit trail.
	let trail = json(&node, &["query", "audit", "3", "--json"]);
	let changes: Vec<&str> =
		trail.as_array().unwrap().iter().map(|e| e["change"].as_str().unwrap()).collect();
	assert_eq!(changes.len(), 3, "{trail:#}");
	assert!(changes[0].starts_with("provisioned"));
	assert!(changes[1].starts_with("verified at supply point SP-SIM-"));
	assert!(changes[2].starts_with("bound to LR program"));
	let meter = json(&node, &["query", "meter", "3", "--json"]);
	assert_eq!(meter["status"], json!("Active"));
	assert_eq!(meter["lrProgram"]["version"], json!("electricity-active-energy 1.0.0"));

	// The JSON-RPC methods enforce their limits with a named error.
	let error = node.rpc("mensura_meters", json!([0, 5000])).unwrap_err();
	assert!(error.contains("-32602") && error.contains("exceeds the maximum of 1000"), "{error}");
	let error = node.rpc("mensura_meters", json!([0, 0])).unwrap_err();
	assert!(error.contains("-32602") && error.contains("at least 1"), "{error}");

	// A reader that goes away (`mensura query measurements 3 | head -1`) ends the tool
	// by SIGPIPE, as it ends other Unix tools: no panic, no backtrace.
	let mut child = Command::new(env!("CARGO_BIN_EXE_mensura"))
		.args(["--url", &format!("http://127.0.0.1:{}", node.rpc_port)])
		.args(["query", "measurements", "3", "--indexer", &url])
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.unwrap();
	drop(child.stdout.take());
	let output = child.wait_with_output().unwrap();
	{
		use std::os::unix::process::ExitStatusExt;
		assert_eq!(output.status.signal(), Some(libc::SIGPIPE), "{}", text(&output.stderr));
	}
	assert_eq!(text(&output.stderr), "");
	drop(indexer);
	std::fs::remove_dir_all(&index_dir).ok();
	node.stop();
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
	let path = dir.join(name);
	std::fs::write(&path, contents).unwrap();
	path
}

/// A JSON frame of meter 0: 230 V, 5 A over [start, start + 1 s).
fn frame_json(sequence: u64, start: u64) -> String {
	json!({
		"meter": 0, "sequence": sequence, "start": start, "end": start + 1000,
		"channels": [vec![230_000; 10], vec![5_000; 10]],
	})
	.to_string()
}

/// The meter's state as the node reports it, without what may legitimately differ.
fn meter_state(node: &Node) -> Value {
	let mut meter = json(node, &["query", "meter", "0", "--json"]);
	meter.as_object_mut().unwrap().retain(|key, _| {
		["register", "measurements", "lastSequence", "lastEnd", "missedFrames", "chainHead"]
			.contains(&key.as_str())
	});
	meter
}

#[test]
fn frames_ahead_of_the_chains_clock_are_held_and_sent_again_not_lost() {
	let node = started_node();
	// The chain judges a frame's end against its last block's time, with 12 s of drift.
	// Meters whose clocks run 15 s ahead make frames that end after it, every one of
	// them at first, until blocks move the chain's clock on.
	let summary = json(
		&node,
		&[
			"simulate",
			"--meters",
			"3",
			"--rate",
			"1",
			"--duration",
			"20s",
			"--clock-ahead",
			"15s",
			"--quiet",
			"--json",
		],
	);
	// Every frame reached the chain, in sequence, none refused.
	assert_eq!(summary["ok"], json!(true), "{summary:#}");
	assert_eq!(summary["refused"].as_u64(), Some(0), "{summary:#}");
	let sent = summary["sent"].as_u64().unwrap();
	assert!(sent >= 3 * 18, "{summary:#}");
	assert_eq!(summary["accepted"].as_u64(), Some(sent), "{summary:#}");
	assert_eq!(summary["measured"].as_u64(), Some(sent), "{summary:#}");
	// Held, and sent again as the same bytes: a frame ahead of the chain's clock is of
	// unknown validity, which the pool does not ban (an invalid one it would refuse for
	// 30 minutes).
	let rows = summary["meters"].as_array().unwrap();
	let held: u64 = rows.iter().map(|row| row["heldForChainClock"].as_u64().unwrap()).sum();
	assert!(held > 0, "{summary:#}");
	for row in rows {
		assert_eq!(row["lastSequence"], row["measured"], "{row:#}");
	}
}

/// `mensura bench` builds its genesis natively (the node's WASM genesis builder cannot
/// hold 100,000 meters) with the runtime's `build_genesis_storage`: the state it gives
/// must be, key for key, the one the node builds from the same spec.
#[test]
fn a_genesis_built_natively_is_the_one_the_node_builds() {
	let build_spec = |raw: bool| -> Value {
		let mut command = node_command();
		command.args(["build-spec", "--chain", "dev"]);
		if raw {
			command.arg("--raw");
		}
		let output = command.stderr(Stdio::null()).output().unwrap();
		assert!(output.status.success(), "build-spec failed");
		serde_json::from_slice(&output.stdout).unwrap()
	};
	let (plain, raw) = (build_spec(false), build_spec(true));
	let genesis = &plain["genesis"]["runtimeGenesis"];
	let storage =
		mensura_runtime::genesis_config_presets::build_genesis_storage(genesis["patch"].clone())
			.unwrap();
	assert!(storage.children_default.is_empty());
	let mut native: serde_json::Map<String, Value> = storage
		.top
		.iter()
		.map(|(k, v)| (format!("0x{}", hex(k)), Value::String(format!("0x{}", hex(v)))))
		.collect();
	native.insert(
		format!("0x{}", hex(sp_core::storage::well_known_keys::CODE)),
		genesis["code"].clone(),
	);
	let node = raw["genesis"]["raw"]["top"].as_object().unwrap();
	assert!(native.len() > 100, "{} keys", native.len());
	let differing: Vec<&String> =
		native.keys().chain(node.keys()).filter(|k| native.get(*k) != node.get(*k)).collect();
	assert!(differing.is_empty(), "keys that differ: {differing:?}");
}

#[test]
fn forged_replayed_and_malformed_frames_are_refused_with_their_reason_and_leave_no_trace() {
	let mut node = started_node();
	let dir = std::env::temp_dir().join(format!("mensura-cli-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let genesis =
		json(&node, &["query", "chain", "--json"])["genesisHash"].as_str().unwrap().to_string();
	let start = now_ms() - 5_000;
	let sign = |uri: &str, frame: &Path| -> String {
		expect(
			None,
			&["frame", "sign", "--uri", uri, "--genesis", &genesis, frame.to_str().unwrap()],
			"",
			0,
		)
	};

	// A good frame, signed offline and submitted; --wait returns once it is measured.
	let first = write(&dir, "first.json", &frame_json(1, start));
	let signed = sign("//Meter1", &first);
	let out = expect(Some(&node), &["submit", "--wait"], &signed, 0);
	assert!(out.starts_with("accepted  meter 0 frame 1"), "{out}");
	let before = meter_state(&node);
	assert_eq!(before["lastSequence"], json!(1));

	let second = write(&dir, "second.json", &frame_json(2, start + 1000));
	let refused = |signed: &str, reason: &str| {
		let out = expect(Some(&node), &["submit"], signed, 1);
		assert!(out.contains(reason), "expected {reason}: {out}");
	};
	// Forged: meter 0's frame signed with meter 1's key.
	refused(&sign("//Meter2", &second), "refused   meter 0 frame 2: BadSignature (code 4)");
	// Replayed: the first frame again (signed anew, so not a byte-identical duplicate).
	refused(&sign("//Meter1", &first), "refused   meter 0 frame 1: Replayed (code 5)");
	// Malformed: an unknown frame-format version, and a truncated frame, both signed.
	let good = sign("//Meter1", &second);
	let decoded = SignedFrame::<Vec<u8>>::decode(&mut &common_unhex(good.trim())[..]).unwrap();
	let mut wrong_version = decoded.clone();
	wrong_version.frame[0] = 9;
	let mut truncated = decoded.clone();
	truncated.frame.truncate(truncated.frame.len() - 4);
	for bad in [wrong_version, truncated] {
		refused(&format!("0x{}", hex(&bad.encode())), "Malformed (code 1)");
	}
	// A batch with one forged frame is refused whole, with that frame's reason.
	let third = write(&dir, "third.json", &frame_json(3, start + 2000));
	let batch = format!("{}{}", good, sign("//Meter3", &third));
	let out = expect(Some(&node), &["submit", "--batch", "2"], &batch, 1);
	assert_eq!(out.matches("BadSignature (code 4)").count(), 2, "{out}");

	// Two more blocks: nothing of the above reached one.
	let best = node.block_number(false).unwrap();
	node.wait_for("two more blocks", Duration::from_secs(60), |n| {
		n.block_number(false).filter(|&b| b >= best + 2)
	});
	assert_eq!(meter_state(&node), before);

	// The good second frame still goes through.
	let out = expect(Some(&node), &["submit", "--wait"], &good, 0);
	assert!(out.starts_with("accepted  meter 0 frame 2"), "{out}");
	assert_eq!(meter_state(&node)["lastSequence"], json!(2));
	std::fs::remove_dir_all(&dir).ok();
	node.stop();
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn common_unhex(text: &str) -> Vec<u8> {
	let text = text.trim_start_matches("0x");
	(0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// One line on standard error, starting `mensura: `, and nothing on standard output.
fn one_line_error(args: &[&str], stdin: &str, code: i32) -> String {
	let output = mensura(None, args, stdin);
	let stderr = text(&output.stderr);
	assert_eq!(output.status.code(), Some(code), "`mensura {}`: {stderr}", args.join(" "));
	assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
	assert!(stderr.starts_with("mensura: "), "{stderr}");
	assert!(!stderr.contains("panicked"), "{stderr}");
	stderr
}

#[test]
fn user_errors_get_one_line_and_exit_codes_scripts_can_trust() {
	let dir = std::env::temp_dir().join(format!("mensura-cli-errors-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let port = free_port().to_string();
	let nowhere = format!("http://127.0.0.1:{port}");

	// Node unreachable: exit 3, and the message says what to do.
	let error = one_line_error(&["--url", &nowhere, "query", "meters"], "", 3);
	assert!(
		error.contains("cannot reach a Mensura node") && error.contains("scripts/dev-node"),
		"{error}"
	);
	let error = one_line_error(&["--url", "ftp://example", "query", "meters"], "", 2);
	assert!(error.contains("expected http://host:port"), "{error}");

	// Keys: generate, inspect, and a damaged key file.
	let key = dir.join("meter.key");
	let public = expect(
		None,
		&["key", "generate", "--scheme", "ed25519", "--out", key.to_str().unwrap()],
		"",
		0,
	);
	let inspected: Value = serde_json::from_str(&expect(
		None,
		&["key", "inspect", "--key", key.to_str().unwrap(), "--json"],
		"",
		0,
	))
	.unwrap();
	assert_eq!(inspected["scheme"], json!("ed25519"));
	assert_eq!(inspected["publicKey"].as_str(), Some(public.trim()));
	let error = one_line_error(&["key", "generate", "--out", key.to_str().unwrap()], "", 4);
	assert!(error.contains("File exists"), "never overwrites a key: {error}");
	let damaged = write(&dir, "damaged.key", "{\"scheme\": \"sr25519\"}");
	let error = one_line_error(&["key", "inspect", "--key", damaged.to_str().unwrap()], "", 4);
	assert!(error.contains("not a Mensura key file"), "{error}");
	let error = one_line_error(
		&["key", "inspect", "--key", dir.join("missing.key").to_str().unwrap()],
		"",
		4,
	);
	assert!(error.contains("cannot read the key file"), "{error}");

	// Frames: a bad genesis, a bad frame, an unencodable frame; offline signing works.
	let genesis = format!("0x{}", "ab".repeat(32));
	let frame = frame_json(1, 1_795_996_800_000);
	let error =
		one_line_error(&["frame", "sign", "--uri", "//Meter1", "--genesis", "0x12"], &frame, 2);
	assert!(error.contains("--genesis"), "{error}");
	let error = one_line_error(
		&["frame", "sign", "--uri", "//Meter1", "--genesis", &genesis],
		"{\"meter\": 0}",
		4,
	);
	assert!(error.contains("not a frame"), "{error}");
	let empty_channels =
		json!({"meter": 0, "sequence": 1, "start": 0, "end": 1, "channels": []}).to_string();
	let error = one_line_error(
		&["frame", "sign", "--uri", "//Meter1", "--genesis", &genesis],
		&empty_channels,
		4,
	);
	assert!(error.contains("cannot be encoded"), "{error}");
	let signed = expect(
		None,
		&["frame", "sign", "--key", key.to_str().unwrap(), "--genesis", &genesis],
		&frame,
		0,
	);
	assert_eq!(signed.lines().count(), 1);
	// From a secret URI of another scheme: the worked example of docs/frame-format.md,
	// whose ed25519 signature is deterministic, comes out byte for byte.
	let worked_example = json!({
		"meter": 0, "sequence": 1, "start": 1_795_996_740_000u64, "end": 1_795_996_800_000u64,
		"channels": [[230_000, 230_100, 229_900, 230_000], [5_000, 5_010, 4_990, 5_000]],
	})
	.to_string();
	let seed = "0x49bde466d1ceb6bdc06043d5f06e33a6ea96629d585efb2cf7a5494316a6ed00";
	let signed_example = expect(
		None,
		&["frame", "sign", "--uri", seed, "--scheme", "ed25519", "--genesis", &genesis],
		&worked_example,
		0,
	);
	let bytes = common_unhex(signed_example.trim());
	let decoded = SignedFrame::<Vec<u8>>::decode(&mut &bytes[..]).expect("a SignedFrame");
	assert_eq!(
		hex(&decoded.frame),
		concat!(
			"01",
			"0000000000000000",
			"0100000000000000",
			"a069bf29a2010000",
			"0054c029a2010000",
			"02",
			"0400",
			"70820300",
			"d4820300",
			"0c820300",
			"70820300",
			"88130000",
			"92130000",
			"7e130000",
			"88130000",
		)
	);
	assert_eq!(
		hex(&decoded.signature.encode()),
		concat!(
			"00",
			"e2a8183bd94035f6596b2a36856809fe2c673ed62c8d23ba0816c35b2b93acba",
			"138be6714cbad85f25ecebac198408e95e0822ad57c4c3d05434ee663bc6c601",
		)
	);
	// Version 2 (compact) of the same frame: the second worked example.
	let signed_compact = expect(
		None,
		&[
			"frame",
			"sign",
			"--uri",
			seed,
			"--scheme",
			"ed25519",
			"--genesis",
			&genesis,
			"--format-version",
			"2",
		],
		&worked_example,
		0,
	);
	let bytes = common_unhex(signed_compact.trim());
	let decoded = SignedFrame::<Vec<u8>>::decode(&mut &bytes[..]).expect("a SignedFrame");
	assert_eq!(hex(&decoded.frame), "020001a0d3fdcda234e0d4030204e0891cc8018f03c801904e142714");
	assert_eq!(
		hex(&decoded.signature.encode()),
		concat!(
			"00",
			"84c498a0317b4024f5f10ee5ca708ddf9e1fe43d0f0a72cf11918bd791adde14",
			"8bf30326ff0f48538f227a72ebce2bf9e796c462c6f9def27c48b6caa9594200",
		)
	);
	let error = one_line_error(
		&["frame", "sign", "--uri", seed, "--genesis", &genesis, "--format-version", "3"],
		&worked_example,
		2,
	);
	assert!(error.contains("--format-version"), "{error}");
	// One key source, and --scheme only with --uri: usage errors.
	for args in [
		&["--key", key.to_str().unwrap(), "--uri", "//Meter1"][..],
		&["--scheme", "ed25519"][..],
		&["--key", key.to_str().unwrap(), "--scheme", "ed25519"][..],
		&[][..],
	] {
		let error = one_line_error(
			&[&["frame", "sign", "--genesis", &genesis][..], args].concat(),
			&frame,
			2,
		);
		assert!(error.contains("--key <KEY>") && error.contains("see --help"), "{error}");
	}
	// Every command-line mistake is one line too, with the usage it broke.
	let error = one_line_error(&["frobnicate"], "", 2);
	assert!(error.contains("unrecognized subcommand 'frobnicate'"), "{error}");
	let error = one_line_error(&["query", "measurements"], "", 2);
	assert!(error.contains("<METER>") && error.contains("usage: mensura query measurements"));
	// Signing is offline, and submitting garbage fails before any node is contacted.
	let error = one_line_error(&["--url", &nowhere, "submit"], "not hex\n", 4);
	assert!(error.contains("line 1: not a signed frame"), "{error}");
	let error = one_line_error(&["--url", &nowhere, "submit"], &signed, 3);
	assert!(error.contains("cannot reach"), "{error}");

	// Usage errors: clap's message and exit 2.
	let output = mensura(None, &["simulate", "--batch", "0"], "");
	assert_eq!(output.status.code(), Some(2));
	let error = one_line_error(&["--url", &nowhere, "simulate", "--rate", "0"], "", 2);
	assert!(error.contains("--rate"), "{error}");
	let error = one_line_error(
		&["--url", &nowhere, "query", "consumption", "0", "--from", "yesterday"],
		"",
		2,
	);
	assert!(error.contains("is not a time"), "{error}");
	std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_audit_finds_every_injected_fault_and_flags_no_honest_meter() {
	// The audit reads every block's events from genesis: its node keeps all state, as an
	// auditor's must (a validator keeps 32 blocks, node/src/command.rs).
	let node = started_node_with(&["--state-pruning", "archive-canonical"]);
	// Ten meters for 150 s: the first reads 3 % high against a check meter, the second
	// drops a fifth of its frames, the third replays, the fourth has a low-reading program.
	let scenario = json(
		&node,
		&[
			"simulate",
			"--meters",
			"10",
			"--rate",
			"1",
			"--duration",
			"150s",
			"--scenario",
			"tampering",
			"--quiet",
			"--json",
		],
	);
	assert_eq!(scenario["ok"], json!(true), "{scenario:#}");
	let injected = scenario["scenario"]["injected"].as_array().unwrap();
	let faults: Vec<(&str, u64)> = injected
		.iter()
		.map(|f| (f["fault"].as_str().unwrap(), f["meter"].as_u64().unwrap()))
		.collect();
	assert_eq!(
		faults,
		vec![("scaled", 0), ("drops frames", 1), ("replay", 2), ("forged program binding", 3)]
	);
	assert_eq!(injected[2]["verbatimReplayRefusedWith"], json!("Replayed"));

	let dir = std::env::temp_dir().join(format!("mensura-audit-{}", std::process::id()));
	let out = dir.to_str().unwrap();
	// Findings: exit code 1, never a silent pass.
	let summary: Value = serde_json::from_str(&expect(
		Some(&node),
		&["audit", "--out", out, "--json", "--quiet"],
		"",
		1,
	))
	.unwrap();
	assert_eq!(summary["complete"], json!(true));
	assert_eq!(summary["integrityFindings"], json!(0), "{summary:#}");
	assert!(summary["frames"].as_u64().unwrap() > 1000);
	assert_eq!(summary["frames"], summary["framesReverified"]);
	assert!(summary["invoicesRecomputed"].as_u64().unwrap() > 0, "{summary:#}");
	// Every injected fault is flagged, each by what it did, and nothing else is.
	assert_eq!(summary["flaggedMeters"], json!([0, 1, 2, 3]), "{summary:#}");
	let kinds_of = |meter: u64| -> Vec<String> {
		summary["findings"]
			.as_array()
			.unwrap()
			.iter()
			.filter(|f| f["meter"] == json!(meter))
			.map(|f| f["kind"].as_str().unwrap().to_string())
			.collect()
	};
	assert!(kinds_of(0).contains(&"counter-proof-discrepancy".into()), "{:?}", kinds_of(0));
	assert_eq!(kinds_of(1), vec!["sequence-gap"]);
	assert_eq!(kinds_of(2), vec!["repeated-samples"]);
	assert!(kinds_of(3).contains(&"program-minority".into()), "{:?}", kinds_of(3));
	// Two and a half minutes are too short to compare households' levels: no peer analysis.
	assert_eq!(summary["metersComparedWithPeers"], json!(0));
	let ratio = summary["counterProof"][0]["ratio"].as_f64().unwrap();
	assert!((ratio - 1.03).abs() < 0.005, "{ratio}");
	let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
	assert!(report.contains("<h3>Meter 0</h3>") && report.contains("<svg"));

	// An honest range: the blocks before the scenario started have nothing to report.
	let quiet = expect(Some(&node), &["audit", "--to", "2", "--out", out, "--quiet"], "", 0);
	assert!(quiet.contains("0 integrity findings, 0 anomalies"), "{quiet}");
	// Bad ranges are usage errors; an unreachable node is exit code 3.
	let error = one_line_error(
		&[
			"--url",
			&format!("http://127.0.0.1:{}", node.rpc_port),
			"audit",
			"--to",
			"999999",
			"--out",
			out,
		],
		"",
		2,
	);
	assert!(error.contains("finalized"), "{error}");
	let nowhere = format!("http://127.0.0.1:{}", free_port());
	let error = one_line_error(&["--url", &nowhere, "audit", "--out", out], "", 3);
	assert!(error.contains("cannot reach"), "{error}");
	std::fs::remove_dir_all(&dir).ok();
}

/// The JSON-RPC methods `mensura audit` calls, which the lying proxy forwards.
const AUDIT_METHODS: [&str; 9] = [
	"chain_getBlock",
	"chain_getBlockHash",
	"chain_getFinalizedHead",
	"chain_getHeader",
	"state_call",
	"state_getStorage",
	"state_getRuntimeVersion",
	"system_chain",
	"mensura_meter",
];

/// A JSON-RPC man in the middle on a free port (a jsonrpsee WebSocket server): forwards
/// each call of [`AUDIT_METHODS`] to the node, lets `lie` rewrite `(method, params,
/// response)` — the response as `{"result": …}` or `{"error": …}` — and goes away for
/// good (the server stops) once `lie` returns `false`.
fn lying_proxy(
	node_port: u16,
	lie: impl Fn(&str, &Value, &mut Value) -> bool + Send + Sync + 'static,
) -> u16 {
	use jsonrpsee::{
		core::{
			client::{ClientT, Error as ClientError},
			params::ArrayParams,
		},
		server::{Server, ServerHandle},
		types::ErrorObjectOwned,
		ws_client::WsClientBuilder,
		RpcModule,
	};
	use std::sync::{Arc, OnceLock};
	let lie = Arc::new(lie);
	let (port_tx, port_rx) = std::sync::mpsc::channel();
	std::thread::spawn(move || {
		let runtime = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(1)
			.enable_all()
			.build()
			.unwrap();
		runtime.block_on(async move {
			let node = Arc::new(
				WsClientBuilder::default()
					.max_response_size(64 << 20)
					.build(format!("ws://127.0.0.1:{node_port}"))
					.await
					.unwrap(),
			);
			let server = Server::builder()
				.max_response_body_size(64 << 20)
				.build("127.0.0.1:0")
				.await
				.unwrap();
			let port = server.local_addr().unwrap().port();
			let handle: Arc<OnceLock<ServerHandle>> = Arc::new(OnceLock::new());
			let mut module = RpcModule::new(());
			for method in AUDIT_METHODS {
				let (node, lie, handle) = (node.clone(), lie.clone(), handle.clone());
				module
					.register_async_method(method, move |params, _, _| {
						let (node, lie, handle) = (node.clone(), lie.clone(), handle.clone());
						async move {
							let params: Value = params
								.as_str()
								.and_then(|raw| serde_json::from_str(raw).ok())
								.unwrap_or_else(|| json!([]));
							let mut array = ArrayParams::new();
							for param in params.as_array().into_iter().flatten() {
								array.insert(param).unwrap();
							}
							let mut response = match node.request::<Value, _>(method, array).await {
								Ok(result) => json!({ "result": result }),
								Err(ClientError::Call(error)) => json!({ "error": error }),
								Err(error) => {
									json!({ "error": {"code": -32000, "message": error.to_string()} })
								}
							};
							if !lie(method, &params, &mut response) {
								if let Some(handle) = handle.get() {
									let _ = handle.stop();
								}
								return Err(ErrorObjectOwned::owned(
									-32000,
									"the node went away",
									None::<()>,
								));
							}
							match response.get("error") {
								Some(error) => {
									Err(serde_json::from_value::<ErrorObjectOwned>(error.clone())
										.unwrap())
								}
								None => Ok(response["result"].clone()),
							}
						}
					})
					.unwrap();
			}
			let running = server.start(module);
			let _ = handle.set(running.clone());
			port_tx.send(port).unwrap();
			running.stopped().await;
		});
	});
	port_rx.recv().unwrap()
}

#[test]
fn bad_chain_data_an_unknown_program_and_a_node_lost_mid_run_are_reported_not_crashed_on() {
	let mut node = started_node();
	json(
		&node,
		&["simulate", "--meters", "3", "--rate", "2", "--duration", "20s", "--quiet", "--json"],
	);
	node.wait_for("block 6 finalized", Duration::from_secs(90), |n| {
		n.block_number(true).filter(|&b| b >= 6)
	});
	let dir = std::env::temp_dir().join(format!("mensura-audit-lies-{}", std::process::id()));
	let out = dir.to_str().unwrap();
	let audit = |port: u16, code: i32| -> Value {
		let url = format!("http://127.0.0.1:{port}");
		let output =
			mensura(None, &["--url", &url, "audit", "--out", out, "--json", "--quiet"], "");
		assert_eq!(output.status.code(), Some(code), "{}", text(&output.stderr));
		assert!(!text(&output.stderr).contains("panicked"));
		serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
	};
	let kinds = |summary: &Value| -> BTreeSet<String> {
		summary["findings"]
			.as_array()
			.unwrap()
			.iter()
			.map(|f| f["kind"].as_str().unwrap().to_string())
			.collect()
	};

	// The honest node: nothing to report.
	let honest = audit(node.rpc_port, 0);
	assert_eq!(honest["integrityFindings"], json!(0));
	let frames = honest["frames"].as_u64().unwrap();
	assert!(frames > 20, "{honest:#}");

	// A node that hides the programs, truncates block 2's extrinsics and garbles block
	// 3's events.
	let block_hash = |n: u64| {
		let v = node.rpc("chain_getBlockHash", json!([n])).unwrap();
		v.as_str().unwrap().to_string()
	};
	let (two, three) = (block_hash(2), block_hash(3));
	let port = lying_proxy(node.rpc_port, move |method, params, response| {
		match method {
			"state_call" if params[0] == "LrProgramsApi_program" => {
				response["result"] = json!("0x00")
			}
			"chain_getBlock" if params[0] == json!(two) => {
				for x in response["result"]["block"]["extrinsics"].as_array_mut().unwrap() {
					let truncated = x.as_str().unwrap()[..12].to_string();
					*x = json!(truncated);
				}
			}
			"state_getStorage" if params[1] == json!(three) => {
				response["result"] = json!("0x0c0102")
			}
			_ => {}
		}
		true
	});
	let lied = audit(port, 1);
	assert_eq!(lied["complete"], json!(true));
	let found = kinds(&lied);
	for kind in ["program-unknown", "undecodable-extrinsic", "undecodable-events"] {
		assert!(found.contains(kind), "{kind} not reported: {found:?}");
	}
	assert_eq!(lied["framesReverified"], json!(0), "no quantity passes without its program");

	// A node that goes away after five blocks: a partial report, exit code 3.
	let blocks = std::sync::atomic::AtomicU32::new(0);
	let port = lying_proxy(node.rpc_port, move |method, _, _| {
		method != "chain_getBlock" || blocks.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 5
	});
	let partial = audit(port, 3);
	assert_eq!(partial["complete"], json!(false));
	assert_eq!(partial["stoppedAt"], json!(6));
	assert_eq!(partial["blocks"], json!(5));
	let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
	assert!(report.contains("INCOMPLETE: stopped at block 6"), "{report}");
	std::fs::remove_dir_all(&dir).ok();
}
