//! End to end: `mensura-indexer` against the real node, as an operator runs it. A fleet
//! is simulated; the index must say what the chain says (every measurement, hash-chain
//! heads equal to chain state, registers, invoices, audit trails); it is killed with
//! SIGKILL at arbitrary points and restarted without gap or duplicate; it waits for a
//! node that went away; and it refuses a node whose chain is not the indexed one. Run
//! against SQLite, and against a real PostgreSQL server (`MENSURA_TEST_POSTGRES`, which
//! `scripts/test` starts).

#[path = "../../node/tests/common/mod.rs"]
mod common;

use common::*;
use serde_json::{json, Value};
use std::{
	path::{Path, PathBuf},
	process::Command,
	thread,
	time::{Duration, Instant},
};

/// The first event of `GET /api/live` (server-sent events), as its text.
fn live_first_event(port: u16) -> String {
	use std::io::{Read, Write};
	let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
	stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
	write!(
		stream,
		"GET /api/live HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
	)
	.unwrap();
	let mut received = Vec::new();
	let mut chunk = [0u8; 4096];
	while !String::from_utf8_lossy(&received).contains("\n\n")
		|| !String::from_utf8_lossy(&received).contains("event:")
	{
		let n = stream.read(&mut chunk).expect("the live stream sends an event at once");
		assert!(n > 0, "the live stream closed");
		received.extend_from_slice(&chunk[..n]);
	}
	let text = String::from_utf8_lossy(&received).into_owned();
	assert!(text.starts_with("HTTP/1.1 200"), "{text}");
	assert!(text.to_lowercase().contains("content-type: text/event-stream"), "{text}");
	let event = text.find("event:").unwrap();
	text[event..].to_string()
}

/// A binary of the workspace next to the node (`cargo test --workspace` builds all).
fn workspace_binary(name: &str) -> PathBuf {
	node_binary().with_file_name(name)
}

fn temp_dir(name: &str) -> PathBuf {
	let dir =
		std::env::temp_dir().join(format!("mensura-indexer-test-{}-{name}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(&dir).unwrap();
	dir
}

/// Runs the `mensura` tool against the node; its JSON output.
fn mensura(node: &Node, args: &[&str]) -> Value {
	let output = Command::new(workspace_binary("mensura"))
		.args(["--url", &format!("http://127.0.0.1:{}", node.rpc_port)])
		.args(args)
		.env_remove("MENSURA_URL")
		.output()
		.expect("the mensura tool runs");
	assert!(
		output.status.success(),
		"mensura {args:?}: {}\n{}",
		String::from_utf8_lossy(&output.stdout),
		String::from_utf8_lossy(&output.stderr)
	);
	serde_json::from_slice(&output.stdout).unwrap()
}

fn started(node: &mut Node) {
	node.wait_for("block 1", Duration::from_secs(90), |n| {
		n.block_number(false).filter(|&b| b >= 1)
	});
}

/// Simulates meters 0–3 for a while; returns the finalized height once every frame is
/// finalized. The simulator's own verdict is not this test's business (the CLI's tests
/// judge it): a frame the pool includes after its successor is refused as `Replayed`
/// (issue 20: frames carry no `requires` tag), and the index must then agree with the
/// chain all the same.
fn simulate(node: &mut Node, duration: &str) -> u64 {
	let output = Command::new(workspace_binary("mensura"))
		.args(["--url", &format!("http://127.0.0.1:{}", node.rpc_port)])
		.args([
			"simulate",
			"--meters",
			"4",
			"--rate",
			"2",
			"--duration",
			duration,
			"--quiet",
			"--json",
		])
		.output()
		.expect("the mensura tool runs");
	assert!(
		matches!(output.status.code(), Some(0 | 1)),
		"{}",
		String::from_utf8_lossy(&output.stderr)
	);
	let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
	assert!(summary["measured"].as_u64().unwrap() > 0, "{summary:#}");
	let best = node.block_number(false).unwrap();
	node.wait_for("finality of the simulated frames", Duration::from_secs(60), |n| {
		n.block_number(true).filter(|&f| f >= best)
	})
}

/// The index agrees with the chain: for each meter, every measurement once, indices
/// 0…n-1 in order, each link following from the previous, and the last link equal to
/// the chain's `chain_head`; the register equals the chain's, and the sum of quantities.
fn assert_index_matches_chain(node: &Node, indexer: &Indexer, meters: u64) -> u64 {
	let mut total = 0;
	for meter in 0..meters {
		let chain = node.rpc("mensura_meter", json!([meter])).unwrap();
		let indexed = indexer.ok(&format!("/api/meters/{meter}"))["meter"].clone();
		let mut all = Vec::new();
		let mut cursor: Option<u64> = None;
		loop {
			let path = match cursor {
				Some(c) => format!("/api/meters/{meter}/measurements?limit=7&cursor={c}"),
				None => format!("/api/meters/{meter}/measurements?limit=7"),
			};
			let page = indexer.ok(&path);
			all.extend(page["measurements"].as_array().unwrap().iter().cloned());
			match page["next"].as_u64() {
				Some(next) => cursor = Some(next),
				None => break,
			}
		}
		let count = chain["measurements"].as_u64().unwrap();
		assert_eq!(all.len() as u64, count, "meter {meter}: every measurement once");
		assert_eq!(indexed["measurements"].as_u64(), Some(count));
		let mut previous = format!("{:?}", sp_core::H256::zero());
		let mut sum: u128 = 0;
		for (i, m) in all.iter().enumerate() {
			assert_eq!(m["index"].as_u64(), Some(i as u64), "meter {meter}: no gap");
			assert_eq!(
				m["previousLink"].as_str(),
				Some(previous.as_str()),
				"meter {meter}: links chain"
			);
			previous = m["link"].as_str().unwrap().to_string();
			sum += m["quantity"].as_str().unwrap().parse::<u128>().unwrap();
			assert_eq!(m["register"].as_str().unwrap().parse::<u128>().unwrap(), sum);
		}
		assert_eq!(
			chain["chainHead"].as_str(),
			Some(previous.as_str()),
			"meter {meter}: chain head"
		);
		assert_eq!(indexed["chainHead"].as_str(), Some(previous.as_str()));
		assert_eq!(chain["register"].as_str().unwrap().parse::<u128>().unwrap(), sum);
		total += count;
	}
	total
}

/// `mensura audit --indexer` up to block `to`: its JSON summary (exit 1, findings, is
/// expected of a short simulated run's anomalies).
fn audit_with_indexer(rpc_port: u16, indexer: &str, to: u64, out: &Path) -> Value {
	let audit = Command::new(workspace_binary("mensura"))
		.args(["--url", &format!("http://127.0.0.1:{rpc_port}"), "audit", "--indexer", indexer])
		.args(["--quiet", "--json", "--to", &to.to_string()])
		.arg("--out")
		.arg(out)
		.output()
		.unwrap();
	assert!(
		matches!(audit.status.code(), Some(0 | 1)),
		"{}",
		String::from_utf8_lossy(&audit.stderr)
	);
	serde_json::from_slice(&audit.stdout).unwrap()
}

#[test]
fn the_index_says_what_the_chain_says_and_survives_kills_restarts_and_lies() {
	let dir = temp_dir("sqlite");
	let rpc_port = free_port();
	let mut node =
		Node::start_dev_in(&dir.join("node"), rpc_port, &["--state-pruning", "archive-canonical"]);
	started(&mut node);
	let database = format!("sqlite://{}", dir.join("index.db").display());

	// Live: the indexer follows while the fleet sends.
	let mut indexer = Indexer::start(rpc_port, &database, &[]);
	let finalized = simulate(&mut node, "12s");
	indexer.wait_indexed(finalized, Duration::from_secs(60));
	let measured = assert_index_matches_chain(&node, &indexer, 4);
	assert!(measured >= 4 * 2 * 10, "the fleet sent frames: {measured}");

	// Fee settlements: every measurement of the contracted meters 0–2 paid the fixed fee,
	// block by block.
	let blocks = indexer.ok("/api/blocks?limit=1000")["blocks"].as_array().unwrap().clone();
	let settled: u128 =
		blocks.iter().map(|b| b["feesInBlock"].as_str().unwrap().parse::<u128>().unwrap()).sum();
	let total: u128 = blocks[0]["feesCharged"].as_str().unwrap().parse().unwrap();
	assert_eq!(settled, total, "the blocks' settlements add up to the ledger");
	let fee: u128 = mensura(&node, &["query", "rewards", "//Dave", "--json"])["measuringFee"]
		.as_str()
		.unwrap()
		.parse()
		.unwrap();
	let contracted: u64 = (0..3)
		.map(|m| node.rpc("mensura_meter", json!([m])).unwrap()["measurements"].as_u64().unwrap())
		.sum();
	assert_eq!(total, fee * u128::from(contracted), "one fixed fee per contracted measurement");

	// The CLI reads the same history through --indexer, and the audit checks it.
	let url = format!("http://127.0.0.1:{}", indexer.port);
	let page = mensura(
		&node,
		&["query", "measurements", "0", "--indexer", &url, "--limit", "1000", "--json"],
	);
	assert_eq!(
		page["measurements"],
		indexer.ok("/api/meters/0/measurements?limit=1000")["measurements"]
	);
	let consumption =
		mensura(&node, &["query", "consumption", "0", "--from", "0", "--indexer", &url, "--json"]);
	assert_eq!(consumption["quantity"], node.rpc("mensura_meter", json!([0])).unwrap()["register"]);
	let summary = audit_with_indexer(rpc_port, &url, finalized, &dir.join("audit"));
	assert_eq!(summary["indexerMetersChecked"], json!(4), "{summary:#}");
	assert!(summary["findingsByKind"].get("indexer-mismatch").is_none(), "{summary:#}");

	// The meter the simulator registered: its audit trail and its program's approvals.
	let meter = indexer.ok("/api/meters/3")["meter"].clone();
	assert_eq!(meter["status"], json!("Active"));
	assert_eq!(meter["programInfo"]["version"], json!("electricity-active-energy 1.0.0"));
	assert!(!meter["programInfo"]["approvedBy"].as_array().unwrap().is_empty(), "{meter:#}");
	let trail = indexer.ok("/api/meters/3/audit")["entries"].as_array().unwrap().clone();
	let chain_trail = mensura(&node, &["query", "audit", "3", "--json"]);
	assert_eq!(trail.len(), chain_trail.as_array().unwrap().len(), "{trail:#?}");
	for (mine, theirs) in trail.iter().zip(chain_trail.as_array().unwrap()) {
		assert_eq!(mine["change"], theirs["change"], "the same words as `mensura query audit`");
		assert_eq!(mine["block"], theirs["block"]);
	}
	assert!(trail[0]["change"].as_str().unwrap().starts_with("provisioned"), "{trail:#?}");

	// Consumption over everything is the register; the band split adds up to it.
	for meter in 0..3 {
		let c = indexer.ok(&format!("/api/meters/{meter}/consumption?from=0"));
		let register = node.rpc("mensura_meter", json!([meter])).unwrap()["register"].clone();
		assert_eq!(c["quantity"], register, "{c:#}");
		let bands: u128 = c["bands"]
			.as_array()
			.unwrap()
			.iter()
			.map(|b| b["quantity"].as_str().unwrap().parse::<u128>().unwrap())
			.sum();
		assert_eq!(bands.to_string(), c["quantity"].as_str().unwrap());
		// Meters 0–2 are under the dev contracts: every measurement falls in a band.
		assert!(c["bands"].as_array().unwrap().iter().all(|b| b["band"].is_u64()), "{c:#}");
		assert_eq!(c["unit"], json!("Wh"));
	}

	// The fleet: the four meters of model 0, all active.
	let fleet = indexer.ok("/api/fleet");
	let active: i64 = fleet["byModelAndStatus"]
		.as_array()
		.unwrap()
		.iter()
		.filter(|g| g["status"] == json!("Active"))
		.map(|g| g["meters"].as_i64().unwrap())
		.sum();
	assert_eq!(active, 4, "{fleet:#}");

	// Malformed questions: 400 with the reason; unknown things: 404.
	for (path, expected) in [
		("/api/meters/x", "not a meter id"),
		("/api/meters/0/measurements?limit=0", "limit"),
		("/api/meters/0/measurements?limit=abc", "limit"),
		("/api/meters/0/measurements?from=9&to=3", "must be after"),
		("/api/meters/0/measurements?form=3", "unknown parameter"),
		("/api/meters?status=Broken", "status"),
		("/api/consumers/not-an-address/invoices", "SS58"),
	] {
		let (status, body) = indexer.get(path);
		assert_eq!(status, 400, "{path}: {body}");
		assert!(body["error"].as_str().unwrap().contains(expected), "{path}: {body}");
	}
	assert_eq!(indexer.get("/api/meters/999").0, 404);
	assert_eq!(indexer.get("/api/invoices/999999").0, 404);
	assert_eq!(indexer.get("/nowhere").0, 404);

	// The one-minute billing periods: wait for invoices, then compare them with the chain.
	let invoices = node.wait_for("an invoice", Duration::from_secs(150), |n| {
		let invoices = mensura(n, &["query", "invoices", "--consumer", "//Ferdie", "--json"]);
		(!invoices.as_array().unwrap().is_empty()).then_some(invoices)
	});
	let best = node.block_number(false).unwrap();
	let finalized = node.wait_for("its finality", Duration::from_secs(60), |n| {
		n.block_number(true).filter(|&f| f >= best)
	});
	indexer.wait_indexed(finalized, Duration::from_secs(60));
	let ferdie = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL";
	let indexed =
		indexer.ok(&format!("/api/consumers/{ferdie}/invoices?limit=1000"))["invoices"].clone();
	for invoice in invoices.as_array().unwrap() {
		let id = invoice["id"].as_u64().unwrap();
		let mine = indexed.as_array().unwrap().iter().find(|i| i["id"].as_u64() == Some(id));
		let mine = mine.unwrap_or_else(|| panic!("invoice {id} is indexed: {indexed:#}"));
		assert_eq!(mine["amount"], invoice["amount"], "{mine:#}\n{invoice:#}");
		assert_eq!(mine["energy"], invoice["energy"]);
		let lines: u128 = mine["lines"]
			.as_array()
			.unwrap()
			.iter()
			.map(|l| l["quantity"].as_str().unwrap().parse::<u128>().unwrap())
			.sum();
		assert_eq!(lines.to_string(), invoice["consumption"].as_str().unwrap());
	}

	// The consumer: its prepaid balance is what the runtime says at the indexed block.
	let consumer = indexer.ok(&format!("/api/consumers/{ferdie}"));
	let at = consumer["indexed"]["hash"].clone();
	let ferdie_key = "0x1cbd2d43530a44705ad088af313e18f80b53ef16b36177cd4b77b846f2a5f07c";
	let prepaid =
		node.rpc("state_call", json!(["BillingApi_prepaid_balance", ferdie_key, at])).unwrap();
	let bytes: Vec<u8> = (2..34)
		.step_by(2)
		.map(|i| u8::from_str_radix(&prepaid.as_str().unwrap()[i..i + 2], 16).unwrap())
		.collect();
	let prepaid = u128::from_le_bytes(bytes.try_into().unwrap());
	assert!(prepaid > 0, "meter 1's contract is prepaid");
	assert_eq!(consumer["prepaid"], json!(prepaid.to_string()), "{consumer:#}");
	assert_eq!(consumer["contracts"].as_array().unwrap().len(), 3, "{consumer:#}");
	let counted: u64 = consumer["invoices"]
		.as_array()
		.unwrap()
		.iter()
		.map(|g| g["invoices"].as_u64().unwrap())
		.sum();
	let all = indexer.ok(&format!("/api/consumers/{ferdie}/invoices?limit=1000"));
	let then = consumer["indexed"]["number"].as_u64().unwrap();
	let issued_then = all["invoices"]
		.as_array()
		.unwrap()
		.iter()
		.filter(|i| i["issuedBlock"].as_u64().unwrap() <= then)
		.count();
	assert_eq!(counted as usize, issued_then);

	// Its supplier: the same three contracts, and the unpaid invoices among all of them.
	let supplier = consumer["contracts"][0]["supplier"].as_str().unwrap().to_string();
	let supplied = indexer.ok(&format!("/api/suppliers/{supplier}?limit=1000"));
	assert_eq!(supplied["contracts"].as_array().unwrap().len(), 3, "{supplied:#}");
	let open = indexer.ok(&format!("/api/suppliers/{supplier}?status=Open&limit=1000"));
	let open_count =
		all["invoices"].as_array().unwrap().iter().filter(|i| i["status"] == json!("Open")).count();
	// Invoices keep coming (a period a minute): count those of the height `all` was read at.
	let bound = all["indexed"]["number"].as_u64().unwrap();
	let open_then = open["invoices"]
		.as_array()
		.unwrap()
		.iter()
		.filter(|i| i["issuedBlock"].as_u64().unwrap() <= bound)
		.count();
	assert_eq!(open_then, open_count);
	assert_eq!(indexer.get(&format!("/api/suppliers/{supplier}?status=Late")).0, 400);

	// A block lists every measurement it holds, with its frame.
	let block = blocks.iter().find(|b| b["measurements"].as_u64() > Some(0)).unwrap();
	let number = block["number"].as_u64().unwrap();
	let detail = indexer.ok(&format!("/api/blocks/{number}"));
	assert_eq!(detail["block"]["hash"], block["hash"]);
	let listed = detail["measurements"].as_array().unwrap();
	assert_eq!(listed.len() as u64, block["measurements"].as_u64().unwrap());
	let first = &listed[0];
	let page = indexer
		.ok(&format!("/api/meters/{}/measurements?limit=1000", first["meter"].as_u64().unwrap()));
	let same = page["measurements"]
		.as_array()
		.unwrap()
		.iter()
		.find(|m| m["index"] == first["index"])
		.unwrap();
	assert_eq!(same["frame"], first["frame"]);
	assert_eq!(same["block"], json!(number));

	// A program with the notified bodies that approved it, as the chain has them.
	let program = mensura(&node, &["query", "program", "0", "--json"]);
	let hash = program["hash"].as_str().unwrap();
	let detail = indexer.ok(&format!("/api/programs/{hash}"));
	assert_eq!(detail["program"]["approvedBy"], program["approvals"]);
	assert!(detail["meters"].as_array().unwrap().contains(&json!(0)));
	assert!(!detail["audit"].as_array().unwrap().is_empty(), "{detail:#}");

	// Bad questions to the new routes.
	assert_eq!(indexer.get("/api/programs/0x12").0, 400);
	assert_eq!(indexer.get(&format!("/api/programs/0x{}", "0".repeat(64))).0, 404);
	assert_eq!(indexer.get("/api/blocks/99999999").0, 404);
	assert_eq!(
		indexer.get("/api/consumers/5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY").0,
		404
	);

	// The web page and its assets, and the live stream's first event.
	for (path, starts) in [
		("/", "<!doctype html>"),
		("/ui.js", "// Mensura's web page"),
		("/app.js", "// Mensura's web page"),
		("/style.css", "/* Mensura's web page"),
	] {
		let (status, _, body) = http_exchange(indexer.port, "GET", path, None).unwrap();
		assert_eq!(status, 200, "{path}");
		assert!(body.starts_with(starts), "{path} is served: {}", &body[..body.len().min(80)]);
	}
	let live = live_first_event(indexer.port);
	assert!(live.starts_with("event: status\ndata: {"), "{live}");

	// Killed with SIGKILL at arbitrary points of a catch-up from scratch, one block per
	// transaction, then restarted: no gap, no duplicate.
	indexer.kill();
	let fresh = format!("sqlite://{}", dir.join("fresh.db").display());
	for delay_ms in [150u64, 400, 90, 700, 250] {
		let mut victim =
			Indexer::start(rpc_port, &fresh, &["--batch-blocks", "1", "--concurrency", "2"]);
		thread::sleep(Duration::from_millis(delay_ms));
		victim.kill();
	}
	let mut indexer = Indexer::start(rpc_port, &fresh, &[]);
	let finalized = node.block_number(true).unwrap();
	indexer.wait_indexed(finalized, Duration::from_secs(120));
	assert_index_matches_chain(&node, &indexer, 4);

	// A tampered index (one quantity raised in the database behind the indexer's back)
	// is caught by the audit: the served history no longer chains to the chain's head.
	indexer.kill();
	let file = dir.join("fresh.db");
	let tamper = Command::new("python3")
		.args(["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
			c.execute(\"UPDATE measurements SET quantity = CAST(CAST(quantity AS INTEGER) + 1 AS TEXT) WHERE meter = 1 AND idx = 2\"); c.commit()"])
		.arg(&file)
		.output()
		.unwrap();
	assert!(tamper.status.success(), "{}", String::from_utf8_lossy(&tamper.stderr));
	let mut indexer = Indexer::start(rpc_port, &fresh, &[]);
	indexer.wait_indexed(finalized, Duration::from_secs(60));
	let url = format!("http://127.0.0.1:{}", indexer.port);
	let summary = audit_with_indexer(rpc_port, &url, finalized, &dir.join("audit-tampered"));
	assert_eq!(summary["findingsByKind"]["indexer-mismatch"], json!(1), "{summary:#}");
	let flagged = summary["findings"]
		.as_array()
		.unwrap()
		.iter()
		.find(|f| f["kind"] == json!("indexer-mismatch"))
		.unwrap();
	assert_eq!(flagged["meter"], json!(1), "{flagged:#}");

	// The node goes away: the indexer says so and waits; the node comes back on the same
	// database and port: it resumes.
	let before = node.block_number(true).unwrap();
	let _ = node.stop();
	let started_waiting = Instant::now();
	loop {
		let status = indexer.ok("/api/status");
		if status["node"]["connected"] == json!(false) {
			assert!(
				status["node"]["lastError"].as_str().unwrap().contains("retrying"),
				"{status:#}"
			);
			break;
		}
		assert!(started_waiting.elapsed() < Duration::from_secs(30), "{status:#}");
		thread::sleep(Duration::from_millis(200));
	}
	let mut node =
		Node::start_dev_in(&dir.join("node"), rpc_port, &["--state-pruning", "archive-canonical"]);
	let after = node.wait_for("finality after the restart", Duration::from_secs(90), |n| {
		n.block_number(true).filter(|&f| f > before + 1)
	});
	indexer.wait_indexed(after, Duration::from_secs(60));
	assert_eq!(indexer.ok("/api/status")["node"]["connected"], json!(true));
	indexer.kill();
	let _ = node.stop();

	// A node of another chain (a fresh dev chain: same genesis, other blocks): refused
	// with a clear error, nothing stored.
	let other_port = free_port();
	let mut other = Node::start_dev_in(&dir.join("other"), other_port, &[]);
	other.wait_for("a few finalized blocks", Duration::from_secs(90), |n| {
		n.block_number(true).filter(|&f| f >= 2)
	});
	let mut liar = Indexer::start(other_port, &fresh, &["--no-api"]);
	assert_eq!(liar.exit_code(Duration::from_secs(60)), Some(1), "{}", liar.log());
	assert!(liar.log().contains("does not chain to the indexed blocks"), "{}", liar.log());
	let _ = other.stop();
	let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh database on the PostgreSQL server `scripts/test` started.
fn postgres_database(name: &str) -> String {
	let server = std::env::var("MENSURA_TEST_POSTGRES").expect(
		"MENSURA_TEST_POSTGRES names the PostgreSQL server for this test (postgres://USER@HOST:PORT); \
		 scripts/test installs and starts one",
	);
	let database = format!("mensura_test_{}_{name}", std::process::id());
	let admin = format!("{server}/postgres");
	for sql in
		[format!("DROP DATABASE IF EXISTS {database}"), format!("CREATE DATABASE {database}")]
	{
		let output = Command::new("psql")
			.args([admin.as_str(), "-v", "ON_ERROR_STOP=1", "-qc", &sql])
			.output()
			.expect("psql runs");
		assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
	}
	format!("{server}/{database}")
}

#[test]
fn postgres_holds_the_same_history_through_kills() {
	let database = postgres_database("kills");
	let mut node = Node::start_dev(&["--state-pruning", "archive-canonical"]);
	started(&mut node);
	let finalized = simulate(&mut node, "10s");
	for delay_ms in [300u64, 120, 600] {
		let mut victim = Indexer::start(
			node.rpc_port,
			&database,
			&["--batch-blocks", "1", "--concurrency", "2"],
		);
		thread::sleep(Duration::from_millis(delay_ms));
		victim.kill();
	}
	let mut indexer = Indexer::start(node.rpc_port, &database, &[]);
	indexer.wait_indexed(finalized, Duration::from_secs(120));
	let measured = assert_index_matches_chain(&node, &indexer, 4);
	assert!(measured > 0);
	assert_eq!(indexer.ok("/api/status")["backend"], json!("postgres"));
	let c = indexer.ok("/api/meters/0/consumption?from=0");
	assert_eq!(c["quantity"], node.rpc("mensura_meter", json!([0])).unwrap()["register"]);
	assert!(!indexer.ok("/api/meters/0/audit")["entries"].as_array().unwrap().is_empty());
}
