//! End to end: the real node binary, started as a user would start it, seen through RPC.

mod common;

use common::*;
use std::time::Duration;

/// `--dev` produces and finalises blocks, serves RPC with the chain's token properties and
/// Prometheus metrics, and stops cleanly on SIGTERM, leaving no process behind.
#[test]
fn dev_chain_produces_and_finalizes_blocks_and_stops_cleanly() {
	let mut node = Node::start_dev(&[]);
	let pid = node.pid();

	let finalized = node.wait_for("3 finalized blocks", Duration::from_secs(120), |n| {
		n.block_number(true).filter(|&number| number >= 3)
	});
	let best = node.block_number(false).expect("best block");
	assert!(best >= finalized, "best block {best} behind finalized {finalized}");

	// What Polkadot.js apps reads to show the chain.
	let properties = node.rpc("system_properties", serde_json::json!([])).unwrap();
	assert_eq!(properties["tokenSymbol"], "MSR");
	assert_eq!(properties["tokenDecimals"], 12);
	assert_eq!(properties["ss58Format"], 42);
	assert_eq!(node.rpc("system_chain", serde_json::json!([])).unwrap(), "Mensura Development");
	let version = node.rpc("state_getRuntimeVersion", serde_json::json!([])).unwrap();
	assert_eq!(version["specName"], "mensura");

	// The RPC extensions merged in node/src/rpc.rs answer.
	let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
	let nonce = node.rpc("system_accountNextIndex", serde_json::json!([alice])).unwrap();
	assert_eq!(nonce, 0);

	// JSON-RPC batches are bounded by default (node/src/command.rs): 256 calls are
	// answered, 257 refused whole.
	let batch = |calls: usize| {
		let calls: Vec<_> = (0..calls)
			.map(|id| serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "system_health"}))
			.collect();
		let body = serde_json::to_string(&calls).unwrap();
		http_exchange(node.rpc_port, "POST", "/", Some(&body)).unwrap().2
	};
	let answers: Vec<serde_json::Value> = serde_json::from_str(&batch(256)).unwrap();
	assert_eq!(answers.len(), 256);
	assert!(answers.iter().all(|a| a["result"].is_object()), "{:?}", answers[0]);
	let refused: serde_json::Value = serde_json::from_str(&batch(257)).unwrap();
	assert_eq!(refused["error"]["code"], -32010, "{refused}");

	// The node's own Prometheus metrics.
	let metrics = http_request(node.prometheus_port, "GET", "/metrics", None).unwrap();
	assert!(
		metrics.contains("substrate_block_height{status=\"finalized\""),
		"no finalized block height in the metrics"
	);

	let log = node.log();
	let status = node.stop();
	assert!(status.success(), "node exited with {} on SIGTERM; log:\n{log}", describe(status));
	assert!(!process_exists(pid), "node process {pid} still exists after stop");
	assert!(!log.contains("panicked"), "node log has a panic:\n{log}");
	assert!(log.contains("Database: ParityDb"), "node did not use ParityDB; log:\n{log}");
	// A validator on a new database keeps 32 blocks of state (node/src/command.rs).
	assert!(
		log.contains("State: the last 32 finalized blocks"),
		"the dev node (a validator) did not take the validators' state pruning; log:\n{log}"
	);
}

/// A node dropped without `stop` (as when a test fails) is killed and reaped.
#[test]
fn a_failing_test_leaves_no_node_behind() {
	let node = Node::start_dev(&[]);
	let pid = node.pid();
	let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
		let _node = node;
		panic!("a test failing half-way");
	}));
	assert!(outcome.is_err());
	assert!(!process_exists(pid), "node process {pid} outlived the failed test");
}

fn assert_one_line_error(output: &std::process::Output, expect: &str) {
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(!output.status.success(), "expected failure, got success; stderr:\n{stderr}");
	assert!(!stderr.contains("panicked"), "a panic instead of an error:\n{stderr}");
	assert!(!stderr.contains("stack backtrace"), "a backtrace instead of an error:\n{stderr}");
	let error_lines: Vec<_> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
	assert_eq!(error_lines.len(), 1, "expected one `Error:` line; stderr:\n{stderr}");
	assert!(error_lines[0].contains(expect), "error does not mention `{expect}`:\n{stderr}");
}

#[test]
fn unknown_chain_is_a_one_line_error() {
	let output = run_node(&["--chain", "no-such-chain", "--tmp"], Duration::from_secs(60));
	assert_one_line_error(&output, "unknown chain `no-such-chain`");
}

#[test]
fn malformed_chain_spec_is_a_one_line_error() {
	let dir = std::env::temp_dir().join(format!("mensura-bad-spec-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let spec = dir.join("broken.json");
	std::fs::write(&spec, "{ \"name\": \"half a spec\", ").unwrap();
	let output = run_node(&["--chain", spec.to_str().unwrap(), "--tmp"], Duration::from_secs(60));
	std::fs::remove_dir_all(&dir).unwrap();
	assert_one_line_error(&output, "is not a valid chain spec");
}

/// Starts a dev node whose `flag` port is held by another listener (bound on `bind_ip`).
fn start_with_taken_port(flag: &str, bind_ip: &str) -> std::process::Output {
	let taken = std::net::TcpListener::bind((bind_ip, 0)).unwrap();
	let taken_port = taken.local_addr().unwrap().port();
	let mut args = vec!["--dev".to_string(), "--tmp".to_string()];
	for port_flag in ["--rpc-port", "--port", "--prometheus-port"] {
		let port = if port_flag == flag { taken_port } else { free_port() };
		args.extend([port_flag.to_string(), port.to_string()]);
	}
	let args: Vec<&str> = args.iter().map(String::as_str).collect();
	run_node(&args, Duration::from_secs(60))
}

#[test]
fn taken_rpc_port_is_a_one_line_error() {
	assert_one_line_error(&start_with_taken_port("--rpc-port", "127.0.0.1"), "--rpc-port");
}

#[test]
fn taken_prometheus_port_is_a_one_line_error() {
	let output = start_with_taken_port("--prometheus-port", "127.0.0.1");
	assert_one_line_error(&output, "--prometheus-port");
}

#[test]
fn taken_p2p_port_is_a_one_line_error() {
	assert_one_line_error(&start_with_taken_port("--port", "0.0.0.0"), "with --port");
}
