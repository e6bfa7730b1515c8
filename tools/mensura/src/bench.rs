//! `mensura bench`: ingestion throughput, measured end to end on nodes this command
//! starts itself.
//!
//! 1. Measures this machine's single-core signature-verification rate for the chosen
//!    scheme: the physical limit a frame's check cannot beat.
//! 2. Writes a chain spec: the development world (or, with `--validators 3`, the same with
//!    Alice, Bob and Charlie as validators) plus `--meters` meters of the development
//!    model, each bound to the development LR program and supplied by Eve to Ferdie, so
//!    every frame pays its measuring fee and lands in a billing period as on a real chain.
//! 3. Starts the node(s) on that spec and pre-signs every frame the run may send, outside
//!    the measured window.
//! 4. Sends frames at `--rate` through the public JSON-RPC (`author_submitExtrinsic`),
//!    alone or in gateway batches, with `--bad-percent` of forged and replayed frames
//!    among them; follows best and finalized blocks and times each frame from submission
//!    to inclusion and to finality; probes RPC responsiveness and samples each node's
//!    memory.
//! 5. Counts: every valid frame must be finalized and every bad one refused, and the
//!    chain's per-meter measurement counts must equal what was finalized.
//!
//! A meter has at most one frame in flight: its next frame is sent once the previous is
//! in a block, as a meter that reports every 15 minutes always has. Each frame covers a
//! 15-minute interval in the past, so the chain's clock never refuses one.

use crate::{
	client::{hex, unhex, Client, RpcError},
	frames,
	keys::{MeterKey, Scheme},
	simulate::LoadProfile,
	time::parse_duration,
	Error, Result,
};
use clap::Args;
use codec::Encode;
use mensura_primitives::readings::{lr, SignedFrame};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, ed25519, sr25519, Pair as _};
use std::{
	collections::{BTreeMap, HashMap, VecDeque},
	io::{BufRead, IsTerminal, Write},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{
		atomic::{AtomicBool, Ordering},
		mpsc, Arc, Mutex,
	},
	time::{Duration, Instant},
};

/// The interval each frame covers: 15 minutes, the usual smart-meter period.
const FRAME_INTERVAL_MS: u64 = 15 * 60 * 1000;
/// The slot duration of the chain (`runtime/src/configs`): blocks every 6 s.
const SLOT_SECONDS: f64 = 6.0;
/// The development validators, in the order `--validators` takes them.
const VALIDATORS: [&str; 4] = ["alice", "bob", "charlie", "dave"];

#[derive(Args)]
pub struct BenchArgs {
	/// The node binary. Default: `mensura-node` next to this tool.
	#[arg(long, env = "MENSURA_NODE")]
	node: Option<PathBuf>,
	/// Validators to start: 1 is a development node (Alice, authoring every slot); 2 to 4
	/// is a local network of Alice, Bob, … on this machine, frames spread over all of them.
	#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4))]
	validators: u32,
	/// Distinct meters (each with its own key, contract and measurement state).
	#[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=200_000))]
	meters: u32,
	/// Frames offered per second, valid and bad together.
	#[arg(long, default_value_t = 10_000.0)]
	rate: f64,
	/// How long to offer frames: seconds, or with a unit (90s, 2m).
	#[arg(long, default_value = "60s")]
	duration: String,
	/// Valid frames per transaction: 1 sends each frame alone as a meter would, more sends
	/// gateway batches (`Readings::submit_frames`).
	#[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=256))]
	batch: u16,
	/// Samples per channel of each frame (two channels: voltage and current).
	#[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u16).range(2..=2000))]
	samples: u16,
	/// The meters' signature scheme.
	#[arg(long, value_enum, default_value = "sr25519")]
	scheme: Scheme,
	/// Percentage of the offered frames that are forged (a wrong signature) or replayed
	/// (a frame already in a block), each sent alone; none may be accepted.
	#[arg(long, default_value_t = 5.0)]
	bad_percent: f64,
	/// Threads sending transactions, each with its own RPC connection.
	#[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
	senders: u16,
	/// A short smoke run: 2,000 meters, 200 frames/s for 12 s, batches of 8.
	#[arg(long)]
	quick: bool,
	/// Where to write `bench.json` (every figure and the per-block series) and
	/// `frames-per-second.svg`.
	#[arg(long)]
	out: Option<PathBuf>,
	/// An extra argument for every node (repeatable), e.g. `--node-arg=--trie-cache-size=268435456`.
	#[arg(long = "node-arg", allow_hyphen_values = true)]
	node_args: Vec<String>,
	/// Keep the nodes' directory (spec, databases, logs) instead of deleting it.
	#[arg(long)]
	keep: bool,
	/// No progress display.
	#[arg(long)]
	quiet: bool,
}

struct Settings {
	validators: usize,
	meters: usize,
	rate: f64,
	duration: Duration,
	batch: usize,
	samples: usize,
	scheme: Scheme,
	bad_fraction: f64,
	senders: usize,
}

impl BenchArgs {
	fn settings(&self) -> Result<Settings> {
		let (meters, rate, duration, batch) = if self.quick {
			(2_000, 200.0, Duration::from_secs(12), 8)
		} else {
			(
				self.meters as usize,
				self.rate,
				parse_duration(&self.duration, "duration")?,
				self.batch as usize,
			)
		};
		if !(rate.is_finite() && rate > 0.0 && rate <= 1_000_000.0) {
			return Err(Error::usage(format!(
				"--rate {rate}: expected frames per second, above 0 and at most 1000000"
			)));
		}
		if !(self.bad_percent.is_finite() && (0.0..=50.0).contains(&self.bad_percent)) {
			return Err(Error::usage(format!(
				"--bad-percent {}: expected a percentage from 0 to 50",
				self.bad_percent
			)));
		}
		if duration < Duration::from_secs(1) {
			return Err(Error::usage("--duration: at least one second"));
		}
		Ok(Settings {
			validators: self.validators as usize,
			meters,
			rate,
			duration,
			batch,
			samples: self.samples as usize,
			scheme: self.scheme,
			bad_fraction: self.bad_percent / 100.0,
			senders: self.senders as usize,
		})
	}
}

fn say(quiet: bool, text: &str) {
	if !quiet {
		eprintln!("{text}");
	}
}

// ---------------------------------------------------------------------------------------
// Keys, and the signature-verification rate of one core.

/// The bench meter key `i`: a seed derived from its index, so runs repeat exactly.
fn meter_key(scheme: Scheme, i: usize) -> MeterKey {
	let seed = sp_io::hashing::blake2_256(&(b"mensura-bench-meter", i as u64).encode());
	match scheme {
		Scheme::Sr25519 => MeterKey::Sr25519(sr25519::Pair::from_seed(&seed)),
		Scheme::Ed25519 => MeterKey::Ed25519(ed25519::Pair::from_seed(&seed)),
		Scheme::Ecdsa => MeterKey::Ecdsa(sp_core::ecdsa::Pair::from_seed(&seed)),
	}
}

/// Signature verifications per second on one core, with the library the node's host
/// functions use, over 80-byte frame signing messages; at least `time` of work.
fn verification_rate(scheme: Scheme, time: Duration) -> f64 {
	let key = meter_key(scheme, 0);
	let messages: Vec<[u8; 80]> = (0..64u8).map(|i| [i; 80]).collect();
	let signed: Vec<_> = messages.iter().map(|m| key.sign(m)).collect();
	let device = key.device_key();
	let started = Instant::now();
	let mut done = 0u64;
	while started.elapsed() < time {
		for (message, signature) in messages.iter().zip(&signed) {
			assert!(device.verify(message, signature), "a valid signature verifies");
		}
		done += messages.len() as u64;
	}
	done as f64 / started.elapsed().as_secs_f64()
}

// ---------------------------------------------------------------------------------------
// The chain spec.

fn ss58(public: &[u8; 32]) -> String {
	sp_core::crypto::AccountId32::from(*public)
		.to_ss58check_with_version(mensura_primitives::SS58_PREFIX.into())
}

fn dev_public(name: &str) -> ([u8; 32], [u8; 32]) {
	let uri = format!("//{}{}", name[..1].to_uppercase(), &name[1..]);
	let sr = sr25519::Pair::from_string(&uri, None).expect("well-known URI").public().0;
	let ed = ed25519::Pair::from_string(&uri, None).expect("well-known URI").public().0;
	(sr, ed)
}

/// The development chain spec of `node`, extended with the bench meters (ids from
/// the first free one) and, for several validators, their authorities.
fn chain_spec(node: &Path, settings: &Settings, keys: &[MeterKey]) -> Result<(Value, u64)> {
	let output = Command::new(node)
		.args(["build-spec", "--chain", "dev"])
		.stderr(Stdio::null())
		.output()
		.map_err(|e| Error::input(format!("cannot run {}: {e}", node.display())))?;
	if !output.status.success() {
		return Err(Error::input(format!(
			"{} build-spec --chain dev failed: is it a mensura-node?",
			node.display()
		)));
	}
	let mut spec: Value = serde_json::from_slice(&output.stdout)
		.map_err(|e| Error::input(format!("the node's chain spec is not JSON ({e})")))?;
	let patch = spec
		.pointer_mut("/genesis/runtimeGenesis/patch")
		.ok_or_else(|| Error::input("the node's dev chain spec has no genesis patch"))?;
	let unexpected = || Error::input("the node's dev genesis is not the one this tool knows");

	let meters =
		patch.pointer_mut("/meters/meters").and_then(Value::as_array_mut).ok_or_else(unexpected)?;
	let first = meters.len() as u64;
	let template = meters.first().cloned().ok_or_else(unexpected)?;
	for (i, key) in keys.iter().enumerate() {
		let id = first + i as u64;
		let mut entry = template.clone();
		entry[1] = serde_json::to_value(key.device_key()).map_err(|_| unexpected())?;
		entry[2] = json!(format!("BENCH-{id:06}").into_bytes());
		entry[3] = json!(format!("SP-BENCH-{id:06}").into_bytes());
		meters.push(entry);
	}
	let bound = patch
		.pointer_mut("/lrPrograms/programs/0/4")
		.and_then(Value::as_array_mut)
		.ok_or_else(unexpected)?;
	bound.extend((first..first + keys.len() as u64).map(|id| json!(id)));
	// A realistic billing period (the default 30 days) instead of the dev chain's minute.
	patch["billing"]["billingPeriod"] = json!(0);
	let contracts = patch
		.pointer_mut("/billing/contracts")
		.and_then(Value::as_array_mut)
		.ok_or_else(unexpected)?;
	let template = contracts.first().cloned().ok_or_else(unexpected)?;
	for id in first..first + keys.len() as u64 {
		let mut contract = template.clone();
		contract[0] = json!(id);
		contract[4] = json!("Postpaid");
		contracts.push(contract);
	}
	if settings.validators > 1 {
		let names = &VALIDATORS[..settings.validators];
		patch["aura"]["authorities"] =
			names.iter().map(|n| json!(ss58(&dev_public(n).0))).collect();
		patch["grandpa"]["authorities"] =
			names.iter().map(|n| json!([ss58(&dev_public(n).1), 1])).collect();
		spec["chainType"] = json!("Local");
		spec["id"] = json!("mensura_bench_local");
	} else {
		spec["id"] = json!("mensura_bench_dev");
	}
	spec["name"] = json!("Mensura ingestion benchmark");
	Ok((spec, first))
}

// ---------------------------------------------------------------------------------------
// Nodes.

struct Node {
	name: &'static str,
	child: Child,
	rpc: u16,
	prometheus: u16,
	log: PathBuf,
	/// Peak resident memory sampled under load, in KiB.
	peak_rss_kib: u64,
	/// Peak anonymous resident memory (what the node allocated, without ParityDB's
	/// memory-mapped files), in KiB.
	peak_anon_kib: u64,
}

/// CPU time (user + system) a process has used, in seconds, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: &str) -> Option<f64> {
	let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
	// Fields after the command name (which is in parentheses and may hold spaces).
	let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
	let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
	// SAFETY: sysconf only reads a system constant.
	let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
	(per_second > 0.0).then(|| ticks / per_second)
}

impl Node {
	fn cpu_seconds(&self) -> Option<f64> {
		cpu_seconds(&self.child.id().to_string())
	}

	fn status_kib(&self, field: &str) -> Option<u64> {
		let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
		status
			.lines()
			.find_map(|l| l.strip_prefix(field))
			.and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
	}

	/// Samples resident memory: KiB now (0 if the process is gone).
	fn sample_memory(&mut self) -> u64 {
		let rss = self.status_kib("VmRSS:").unwrap_or(0);
		self.peak_rss_kib = self.peak_rss_kib.max(rss);
		self.peak_anon_kib = self.peak_anon_kib.max(self.status_kib("RssAnon:").unwrap_or(0));
		rss
	}

	/// The process's lifetime peak (`VmHWM`), which includes building the genesis state.
	fn lifetime_peak_kib(&self) -> u64 {
		self.status_kib("VmHWM:").unwrap_or(0)
	}

	fn url(&self) -> String {
		format!("http://127.0.0.1:{}", self.rpc)
	}

	/// The node's Prometheus metrics labelled with nothing but the chain, by name.
	fn metrics(&self) -> HashMap<String, f64> {
		use std::io::Read;
		let mut text = String::new();
		if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.prometheus)) {
			let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
			let _ = stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
			let _ = stream.read_to_string(&mut text);
		}
		text.lines()
			.filter(|l| !l.starts_with('#'))
			.filter_map(|l| {
				let (name, value) = l.rsplit_once(' ')?;
				// Every metric carries the `chain` label; others (buckets, …) are skipped.
				let name = match name.split_once('{') {
					Some((name, labels))
						if !labels.contains(',') && labels.starts_with("chain=") =>
					{
						name
					}
					Some(_) => return None,
					None => name,
				};
				Some((name.to_string(), value.parse().ok()?))
			})
			.collect()
	}

	/// Each block this node authored: (number, milliseconds to build it, extrinsics, why
	/// building ended), from its log's `Prepared block for proposing at N (T ms) … end:
	/// R; extrinsics_count: E` lines.
	fn authored(&self) -> Vec<(u64, u64, u64, String)> {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		text.lines()
			.filter_map(|line| {
				let rest = line.split_once("Prepared block for proposing at ")?.1;
				let (number, rest) = rest.split_once(" (")?;
				let (ms, rest) = rest.split_once(" ms)")?;
				let end = rest.split_once("end: ").map_or("", |e| e.1);
				let end: String = end.chars().take_while(char::is_ascii_alphanumeric).collect();
				let count = rest.split_once("extrinsics_count: ")?.1;
				let count: String = count.chars().take_while(char::is_ascii_digit).collect();
				Some((number.parse().ok()?, ms.parse().ok()?, count.parse().ok()?, end))
			})
			.collect()
	}
}

/// The mean of a Prometheus histogram between two scrapes, in milliseconds.
fn histogram_mean_ms(
	before: &HashMap<String, f64>,
	after: &HashMap<String, f64>,
	name: &str,
) -> Option<f64> {
	let delta = |suffix: &str| {
		let key = format!("{name}_{suffix}");
		after.get(&key).map(|a| a - before.get(&key).copied().unwrap_or(0.0))
	};
	let (sum, count) = (delta("sum")?, delta("count")?);
	(count > 0.0).then(|| 1000.0 * sum / count)
}

/// The nodes of a run; stopped (SIGTERM, then SIGKILL) when dropped.
struct Network {
	nodes: Vec<Node>,
	dir: PathBuf,
	keep: bool,
}

impl Drop for Network {
	fn drop(&mut self) {
		for node in &mut self.nodes {
			#[cfg(unix)]
			unsafe {
				libc::kill(node.child.id() as libc::pid_t, libc::SIGTERM);
			}
			let deadline = Instant::now() + Duration::from_secs(20);
			loop {
				match node.child.try_wait() {
					Ok(Some(_)) => break,
					Ok(None) if Instant::now() < deadline => {
						std::thread::sleep(Duration::from_millis(100))
					}
					_ => {
						let _ = node.child.kill();
						let _ = node.child.wait();
						break;
					}
				}
			}
		}
		if !self.keep {
			let _ = std::fs::remove_dir_all(&self.dir);
		}
	}
}

/// The last non-empty line of a node's log, for an error message (the log itself goes
/// with the run's directory unless `--keep`).
fn log_tail(log: &Path) -> String {
	std::fs::read_to_string(log)
		.ok()
		.and_then(|text| text.lines().rev().find(|l| !l.trim().is_empty()).map(str::to_string))
		.map(|line| line.trim().to_string())
		.unwrap_or_else(|| "no log".into())
}

fn free_port() -> Result<u16> {
	std::net::TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.map_err(|e| Error::failure(format!("no free local port: {e}")))
}

/// The node's `Local node identity is: <peer id>` line, once it has logged it.
fn peer_id(log: &Path, timeout: Duration) -> Result<String> {
	let started = Instant::now();
	while started.elapsed() < timeout {
		if let Ok(file) = std::fs::File::open(log) {
			for line in std::io::BufReader::new(file).lines().map_while(|l| l.ok()) {
				if let Some((_, id)) = line.split_once("Local node identity is: ") {
					return Ok(id.trim().to_string());
				}
			}
		}
		std::thread::sleep(Duration::from_millis(200));
	}
	Err(Error::node(format!("the node did not log its identity; see {}", log.display())))
}

fn start_network(
	node: &Path,
	settings: &Settings,
	spec: &Value,
	extra: &[String],
	keep: bool,
) -> Result<Network> {
	let dir = std::env::temp_dir().join(format!("mensura-bench-{}", std::process::id()));
	std::fs::create_dir_all(&dir)
		.map_err(|e| Error::failure(format!("cannot create {}: {e}", dir.display())))?;
	let spec_path = dir.join("spec.json");
	std::fs::write(&spec_path, serde_json::to_vec(spec).expect("JSON serialises"))
		.map_err(|e| Error::failure(format!("cannot write {}: {e}", spec_path.display())))?;
	let mut network = Network { nodes: Vec::new(), dir: dir.clone(), keep };
	let mut bootnode: Option<String> = None;
	for name in &VALIDATORS[..settings.validators] {
		let base = dir.join(name);
		let log = dir.join(format!("{name}.log"));
		let (rpc, p2p, prometheus) = (free_port()?, free_port()?, free_port()?);
		let mut command = Command::new(node);
		command
			.arg("--chain")
			.arg(&spec_path)
			.arg("--base-path")
			.arg(&base)
			.arg(format!("--{name}"))
			.args(["--rpc-port", &rpc.to_string(), "--port", &p2p.to_string()])
			.args(["--prometheus-port", &prometheus.to_string()])
			.args(["--no-telemetry", "--no-mdns"])
			.arg("--node-key")
			.arg(hex(&sp_io::hashing::blake2_256(name.as_bytes()))[2..].to_string())
			// Sized for the load: a frame of every meter fits the pool (the defaults,
			// 8,192 transactions and 20 MiB, hold fewer single frames than there are meters).
			.args(["--pool-limit", "100000", "--pool-kbytes", "262144"]);
		if settings.validators == 1 {
			command.arg("--force-authoring");
		}
		command.args(extra);
		if let Some(boot) = &bootnode {
			command.args(["--bootnodes", boot]);
		}
		let file = std::fs::File::create(&log)
			.map_err(|e| Error::failure(format!("cannot create {}: {e}", log.display())))?;
		let child = command
			.stdout(Stdio::null())
			.stderr(file)
			.spawn()
			.map_err(|e| Error::input(format!("cannot start {}: {e}", node.display())))?;
		network.nodes.push(Node {
			name,
			child,
			rpc,
			prometheus,
			log: log.clone(),
			peak_rss_kib: 0,
			peak_anon_kib: 0,
		});
		if bootnode.is_none() && settings.validators > 1 {
			let id = peer_id(&log, Duration::from_secs(120))?;
			bootnode = Some(format!("/ip4/127.0.0.1/tcp/{p2p}/p2p/{id}"));
		}
	}
	// Ready: every node has a block, and GRANDPA has finalized one (its first round
	// takes a few blocks; a run should not time that).
	for node in &mut network.nodes {
		let mut client = Client::new(&node.url())?;
		let started = Instant::now();
		loop {
			if let Ok(Some(status)) = node.child.try_wait() {
				return Err(Error::node(format!(
					"{} exited ({status}) while starting: {}",
					node.name,
					log_tail(&node.log)
				)));
			}
			let finalized = client
				.call("chain_getFinalizedHead", json!([]))
				.and_then(|head| client.call("chain_getHeader", json!([head])))
				.ok()
				.and_then(|header| crate::client::number(&header["number"]));
			if client.best_number().is_ok_and(|n| n >= 1) && finalized.is_some_and(|n| n >= 1) {
				break;
			}
			if started.elapsed() > Duration::from_secs(300) {
				return Err(Error::node(format!(
					"{} produced, imported or finalized no block within 300 s: {}",
					node.name,
					log_tail(&node.log)
				)));
			}
			std::thread::sleep(Duration::from_millis(500));
		}
	}
	Ok(network)
}

// ---------------------------------------------------------------------------------------
// Frames.

/// A meter of the run and its pre-signed frames.
struct BenchMeter {
	id: u64,
	frames: Vec<SignedFrame<Vec<u8>>>,
	/// The next frame to send.
	next: usize,
	/// Valid frames of this meter finalized.
	finalized: u64,
}

/// Signs `per_meter` consecutive 15-minute frames for each meter, ending before now, on
/// every core.
fn presign(
	keys: &[MeterKey],
	first_id: u64,
	per_meter: usize,
	samples: usize,
	genesis: [u8; 32],
) -> Result<Vec<BenchMeter>> {
	let now = crate::time::now_ms();
	let origin = (now / FRAME_INTERVAL_MS).saturating_sub(per_meter as u64 + 1) * FRAME_INTERVAL_MS;
	let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
	let chunk = keys.len().div_ceil(threads).max(1);
	std::thread::scope(|scope| {
		let workers: Vec<_> = keys
			.chunks(chunk)
			.enumerate()
			.map(|(part, keys)| {
				scope.spawn(move || -> Result<Vec<BenchMeter>> {
					keys.iter()
						.enumerate()
						.map(|(i, key)| {
							let id = first_id + (part * chunk + i) as u64;
							let mut profile = LoadProfile::new(7, id);
							let frames = (0..per_meter as u64)
								.map(|k| {
									let start = origin + k * FRAME_INTERVAL_MS;
									let frame = lr::Frame {
										meter: id,
										sequence: k + 1,
										start,
										end: start + FRAME_INTERVAL_MS,
										channels: profile.frame(start, samples),
									};
									frames::sign(&frame, key, &genesis)
								})
								.collect::<Result<Vec<_>>>()?;
							Ok(BenchMeter { id, frames, next: 0, finalized: 0 })
						})
						.collect()
				})
			})
			.collect();
		let mut fleet = Vec::with_capacity(keys.len());
		for worker in workers {
			fleet.extend(worker.join().expect("a signing thread panicked")?);
		}
		Ok(fleet)
	})
}

// ---------------------------------------------------------------------------------------
// Sending.

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Ord, PartialOrd)]
enum Bad {
	Forged,
	Replayed,
}

impl Bad {
	fn name(self) -> &'static str {
		match self {
			Bad::Forged => "forged",
			Bad::Replayed => "replayed",
		}
	}
}

enum Payload {
	/// Valid frames: (fleet index, frame index) each.
	Valid(Vec<(usize, usize)>),
	Bad(Bad),
}

struct Job {
	hash: [u8; 32],
	bytes: Vec<u8>,
	payload: Payload,
}

/// What the senders saw.
#[derive(Default)]
struct SendStats {
	transactions: u64,
	/// Submissions the pool turned away for being full and that were sent again.
	pool_full_retries: u64,
	/// Valid transactions the pool refused, by reason: each is a lost frame.
	valid_refused: BTreeMap<String, u64>,
	valid_refused_frames: u64,
	/// Bad frames refused, by kind and reason.
	bad_refused: BTreeMap<(Bad, String), u64>,
	/// Bad frames the pool accepted (must stay 0).
	bad_accepted: BTreeMap<Bad, u64>,
	/// Seconds each `author_submitExtrinsic` took.
	submit_seconds: Vec<f64>,
}

enum Back {
	/// These meters' frames are out of flight (in a block, or refused).
	Release(Vec<usize>),
}

fn refusal_reason(error: &RpcError) -> String {
	match frames::rejection(error) {
		Some(reason) => reason.name().to_string(),
		None => match error.code {
			1012 => "temporarily banned (already in a block)".into(),
			1013 => "already in the pool".into(),
			_ => format!("{} ({})", error.message, error.code),
		},
	}
}

fn sender(
	url: String,
	jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
	stats: Arc<Mutex<SendStats>>,
	back: mpsc::Sender<Back>,
	follower: mpsc::Sender<Track>,
) -> Result<()> {
	let mut client = Client::new(&url)?;
	loop {
		let job = match jobs.lock().expect("job queue").recv() {
			Ok(job) => job,
			Err(_) => return Ok(()),
		};
		let mut retries = 0u64;
		let (result, took) = loop {
			let started = Instant::now();
			let result = client.submit(&job.bytes)?;
			let took = started.elapsed().as_secs_f64();
			match &result {
				// The pool is full: back off and send again, as a gateway would.
				Err(e) if e.code == 1014 || e.code == 1016 => {
					retries += 1;
					std::thread::sleep(Duration::from_millis(100));
				}
				_ => break (result, took),
			}
		};
		let mut stats = stats.lock().expect("stats");
		stats.transactions += 1;
		stats.pool_full_retries += retries;
		stats.submit_seconds.push(took);
		match (job.payload, result) {
			(Payload::Valid(_), Ok(_)) => {}
			(Payload::Valid(frames), Err(error)) => {
				*stats.valid_refused.entry(refusal_reason(&error)).or_default() += 1;
				stats.valid_refused_frames += frames.len() as u64;
				let _ = follower.send(Track::Forget(job.hash));
				let _ = back.send(Back::Release(frames.iter().map(|(m, _)| *m).collect()));
			}
			(Payload::Bad(kind), Ok(_)) => {
				*stats.bad_accepted.entry(kind).or_default() += 1;
			}
			(Payload::Bad(kind), Err(error)) => {
				*stats.bad_refused.entry((kind, refusal_reason(&error))).or_default() += 1;
			}
		}
	}
}

// ---------------------------------------------------------------------------------------
// Following blocks.

enum Track {
	/// A transaction about to be sent.
	Sent { hash: [u8; 32], at: Instant, frames: Vec<(usize, usize)> },
	/// A bad transaction about to be sent: it must never appear in a block.
	Bad { hash: [u8; 32] },
	/// A transaction the pool refused.
	Forget([u8; 32]),
}

struct Tracked {
	sent: Instant,
	frames: Vec<(usize, usize)>,
	included: Option<Instant>,
	finalized: Option<Instant>,
}

/// A block of the run as the follower saw it.
#[derive(Clone)]
struct BlockSeen {
	number: u64,
	/// Seconds after the window opened.
	seen: f64,
	/// Valid bench frames in it.
	frames: u64,
	extrinsics: usize,
	bytes: usize,
	/// The block's normal-class weight (ref time) in µs: what frames fill.
	normal_weight_us: f64,
}

#[derive(Default)]
struct Followed {
	tracked: HashMap<[u8; 32], Tracked>,
	bad: std::collections::HashSet<[u8; 32]>,
	/// Bad transactions found in a block (must stay 0).
	bad_included: u64,
	blocks: Vec<BlockSeen>,
	finalized_number: u64,
}

impl Followed {
	fn pending(&self) -> usize {
		self.tracked.values().filter(|t| t.finalized.is_none()).count()
	}
}

fn block_hashes(client: &mut Client, hash: &str) -> Result<(Vec<[u8; 32]>, usize)> {
	let block = client.call("chain_getBlock", json!([hash]))?;
	let extrinsics = block["block"]["extrinsics"]
		.as_array()
		.ok_or_else(|| Error::node(format!("chain_getBlock {hash}: no extrinsics")))?;
	let mut bytes = 0;
	let hashes = extrinsics
		.iter()
		.map(|x| {
			let raw = unhex(x.as_str().unwrap_or_default())
				.map_err(|e| Error::node(format!("chain_getBlock {hash}: {e}")))?;
			bytes += raw.len();
			Ok(sp_io::hashing::blake2_256(&raw))
		})
		.collect::<Result<_>>()?;
	Ok((hashes, bytes))
}

/// The normal-class weight (ref time, µs) that the block `hash` counted, from its
/// `System::BlockWeight` (kept in the block's state until the next block starts).
fn normal_weight_us(client: &mut Client, hash: &str) -> Result<f64> {
	use codec::Decode;
	let key =
		[sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"BlockWeight")].concat();
	let raw = client
		.storage_at(&key, hash)?
		.ok_or_else(|| Error::node(format!("block {hash}: no System::BlockWeight")))?;
	let consumed = frame_system::ConsumedWeight::decode(&mut &raw[..]).map_err(|e| {
		Error::node(format!("block {hash}: System::BlockWeight does not decode: {e}"))
	})?;
	Ok(consumed.get(frame_support::dispatch::DispatchClass::Normal).ref_time() as f64 / 1e6)
}

fn block_hash_at(client: &mut Client, number: u64) -> Result<String> {
	client
		.call("chain_getBlockHash", json!([number]))?
		.as_str()
		.map(str::to_string)
		.ok_or_else(|| Error::node(format!("chain_getBlockHash {number}: no block")))
}

fn follow(
	url: String,
	origin: Instant,
	start_block: u64,
	tracks: mpsc::Receiver<Track>,
	back: mpsc::Sender<Back>,
	state: Arc<Mutex<Followed>>,
	stop: Arc<AtomicBool>,
) -> Result<()> {
	let mut client = Client::new(&url)?;
	let mut best_done = start_block;
	let mut finalized_done = start_block;
	let mut bodies: HashMap<String, Vec<[u8; 32]>> = HashMap::new();
	loop {
		let stopping = stop.load(Ordering::Relaxed);
		{
			let mut state = state.lock().expect("follower state");
			for track in tracks.try_iter() {
				match track {
					Track::Sent { hash, at, frames } => {
						state.tracked.insert(
							hash,
							Tracked { sent: at, frames, included: None, finalized: None },
						);
					}
					Track::Bad { hash } => {
						state.bad.insert(hash);
					}
					Track::Forget(hash) => {
						state.tracked.remove(&hash);
					}
				}
			}
		}
		let best = client.best_number()?;
		for number in best_done + 1..=best {
			let hash = block_hash_at(&mut client, number)?;
			let (hashes, bytes) = block_hashes(&mut client, &hash)?;
			let now = Instant::now();
			let normal_weight_us = normal_weight_us(&mut client, &hash)?;
			let mut state = state.lock().expect("follower state");
			let mut frames = 0u64;
			let mut released = Vec::new();
			for h in &hashes {
				if state.bad.contains(h) {
					state.bad_included += 1;
				}
				if let Some(tracked) = state.tracked.get_mut(h) {
					if tracked.included.is_none() {
						tracked.included = Some(now);
						frames += tracked.frames.len() as u64;
						released.extend(tracked.frames.iter().map(|(m, _)| *m));
					}
				}
			}
			state.blocks.push(BlockSeen {
				number,
				seen: now.duration_since(origin).as_secs_f64(),
				frames,
				extrinsics: hashes.len(),
				bytes,
				normal_weight_us,
			});
			drop(state);
			bodies.insert(hash, hashes);
			if !released.is_empty() {
				let _ = back.send(Back::Release(released));
			}
		}
		best_done = best_done.max(best);

		let head = client.call("chain_getFinalizedHead", json!([]))?;
		let head = head.as_str().unwrap_or_default().to_string();
		let header = client.call("chain_getHeader", json!([head]))?;
		let finalized = crate::client::number(&header["number"])
			.ok_or_else(|| Error::node("chain_getHeader: no number"))?;
		for number in finalized_done + 1..=finalized {
			let hash = block_hash_at(&mut client, number)?;
			let hashes = match bodies.remove(&hash) {
				Some(hashes) => hashes,
				None => block_hashes(&mut client, &hash)?.0,
			};
			let now = Instant::now();
			let mut state = state.lock().expect("follower state");
			for h in &hashes {
				if let Some(tracked) = state.tracked.get_mut(h) {
					tracked.included.get_or_insert(now);
					tracked.finalized.get_or_insert(now);
				}
			}
			state.finalized_number = number;
		}
		finalized_done = finalized_done.max(finalized);
		// Bodies of blocks that can no longer be finalized (forks) are dropped.
		if bodies.len() > 256 {
			bodies.clear();
		}
		if stopping && state.lock().expect("follower state").pending() == 0 {
			return Ok(());
		}
		std::thread::sleep(Duration::from_millis(100));
	}
}

// ---------------------------------------------------------------------------------------
// Figures.

/// The `q`-quantile of weighted values (value, weight), nearest rank.
fn quantile(values: &mut [(f64, u64)], q: f64) -> Option<f64> {
	values.sort_by(|a, b| a.0.total_cmp(&b.0));
	let total: u64 = values.iter().map(|v| v.1).sum();
	if total == 0 {
		return None;
	}
	let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
	let mut seen = 0;
	for (value, weight) in values.iter() {
		seen += weight;
		if seen >= rank {
			return Some(*value);
		}
	}
	values.last().map(|v| v.0)
}

/// A line plot of frames/s per block over time, with the offered rate, as SVG.
fn plot(blocks: &[BlockSeen], offered: f64, title: &str) -> String {
	let (w, h, left, bottom, top, right) = (760.0, 360.0, 70.0, 40.0, 30.0, 20.0);
	let points: Vec<(f64, f64)> =
		blocks.iter().map(|b| (b.seen, b.frames as f64 / SLOT_SECONDS)).collect();
	let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max);
	let y_max = points.iter().map(|p| p.1).fold(offered, f64::max) * 1.1;
	let x = |v: f64| left + v / x_max * (w - left - right);
	let y = |v: f64| h - bottom - v / y_max * (h - bottom - top);
	let mut svg = format!(
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
		 font-family=\"sans-serif\" font-size=\"12\">\n\
		 <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
		 <text x=\"{}\" y=\"18\" text-anchor=\"middle\">{title}</text>\n",
		w / 2.0
	);
	for i in 0..=5 {
		let v = y_max * i as f64 / 5.0;
		svg += &format!(
			"<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
			 <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.0}</text>\n",
			w - right,
			left - 6.0,
			y(v) + 4.0,
			y = y(v)
		);
	}
	for i in 0..=6 {
		let v = x_max * i as f64 / 6.0;
		svg += &format!(
			"<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{v:.0}</text>\n",
			x(v),
			h - bottom + 16.0
		);
	}
	svg += &format!(
		"<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">seconds since the first frame was sent</text>\n\
		 <text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">frames/s in the block (frames ÷ 6 s)</text>\n",
		(left + w - right) / 2.0,
		h - 6.0,
		h / 2.0,
		h / 2.0
	);
	svg += &format!(
		"<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#c33\" stroke-dasharray=\"6 4\"/>\
		 <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#c33\">offered {offered:.0}/s</text>\n",
		w - right,
		w - right - 4.0,
		y(offered) - 6.0,
		y = y(offered)
	);
	let line: Vec<String> =
		points.iter().map(|(a, b)| format!("{:.1},{:.1}", x(*a), y(*b))).collect();
	svg += &format!(
		"<polyline fill=\"none\" stroke=\"#236\" stroke-width=\"2\" points=\"{}\"/>\n",
		line.join(" ")
	);
	for (a, b) in &points {
		svg +=
			&format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#236\"/>\n", x(*a), y(*b));
	}
	svg + "</svg>\n"
}

fn progress(quiet: bool, terminal: bool, line: &str, done: bool) {
	if quiet {
		return;
	}
	let mut err = std::io::stderr();
	if terminal {
		let _ = write!(err, "\r\x1b[2K{line}");
		if done {
			let _ = writeln!(err);
		}
	} else {
		let _ = writeln!(err, "{line}");
	}
	let _ = err.flush();
}

// ---------------------------------------------------------------------------------------
// The run.

pub fn run(args: BenchArgs) -> Result<()> {
	let settings = args.settings()?;
	let quiet = args.quiet;
	let node_path = match &args.node {
		Some(path) => path.clone(),
		None => std::env::current_exe()
			.map_err(|e| Error::usage(format!("cannot locate this tool ({e}); pass --node")))?
			.with_file_name("mensura-node"),
	};
	if !node_path.exists() {
		return Err(Error::usage(format!(
			"{}: no node binary there; build it (cargo build --release -p mensura-node) or \
			 pass --node",
			node_path.display()
		)));
	}

	say(quiet, &format!("measuring one core's {} verification rate …", settings.scheme.name()));
	let verify_rate = verification_rate(settings.scheme, Duration::from_secs(2));
	say(quiet, &format!("  {verify_rate:.0} verifications/s"));

	say(quiet, &format!("deriving {} meter keys and writing the chain spec …", settings.meters));
	let keys: Vec<MeterKey> = (0..settings.meters).map(|i| meter_key(settings.scheme, i)).collect();
	let (spec, first_id) = chain_spec(&node_path, &settings, &keys)?;
	say(quiet, &format!("starting {} validator(s) …", settings.validators));
	let started_nodes = Instant::now();
	let mut network = start_network(&node_path, &settings, &spec, &args.node_args, args.keep)?;
	say(
		quiet,
		&format!(
			"  up in {:.1}s; logs in {}",
			started_nodes.elapsed().as_secs_f64(),
			network.dir.display()
		),
	);
	let urls: Vec<String> = network.nodes.iter().map(Node::url).collect();
	let mut probe_client = Client::new(&urls[0])?;
	let genesis = probe_client.genesis_hash()?;

	let offered = (settings.rate * settings.duration.as_secs_f64()).ceil() as usize;
	let valid_share = 1.0 - settings.bad_fraction;
	let per_meter = ((offered as f64 * valid_share) / settings.meters as f64).ceil() as usize + 1;
	say(
		quiet,
		&format!(
			"pre-signing {} frames ({} per meter, 2 channels × {} samples) …",
			per_meter * settings.meters,
			per_meter,
			settings.samples
		),
	);
	let signing_started = Instant::now();
	let mut fleet = presign(&keys, first_id, per_meter, settings.samples, genesis)?;
	let frame_bytes = fleet[0].frames[0].frame.len();
	say(
		quiet,
		&format!(
			"  {:.1}s; a frame is {frame_bytes} bytes, {} with its signature",
			signing_started.elapsed().as_secs_f64(),
			fleet[0].frames[0].encoded_size()
		),
	);
	let start_block = probe_client.best_number()?;
	let metrics_before: Vec<_> = network.nodes.iter().map(Node::metrics).collect();
	let cpu_before: Vec<Option<f64>> = network.nodes.iter().map(Node::cpu_seconds).collect();
	let tool_cpu_before = cpu_seconds("self");

	// Threads: senders, the follower, and this one deciding what to send.
	let origin = Instant::now();
	let stats = Arc::new(Mutex::new(SendStats::default()));
	let followed = Arc::new(Mutex::new(Followed::default()));
	let stop = Arc::new(AtomicBool::new(false));
	let (job_tx, job_rx) = mpsc::sync_channel::<Job>(settings.senders * 4);
	let job_rx = Arc::new(Mutex::new(job_rx));
	let (back_tx, back_rx) = mpsc::channel::<Back>();
	let (track_tx, track_rx) = mpsc::channel::<Track>();
	let follower = {
		let (url, back, state, stop) =
			(urls[0].clone(), back_tx.clone(), followed.clone(), stop.clone());
		std::thread::spawn(move || follow(url, origin, start_block, track_rx, back, state, stop))
	};
	let senders: Vec<_> = (0..settings.senders)
		.map(|i| {
			let url = urls[i % urls.len()].clone();
			let (jobs, stats, back, track) =
				(job_rx.clone(), stats.clone(), back_tx.clone(), track_tx.clone());
			std::thread::spawn(move || sender(url, jobs, stats, back, track))
		})
		.collect();
	drop(back_tx);

	let terminal = std::io::stderr().is_terminal();
	let mut ready: VecDeque<usize> = (0..fleet.len()).collect();
	let mut replayable: VecDeque<(usize, usize)> = VecDeque::new();
	let mut in_flight: HashMap<usize, usize> = HashMap::new();
	let (mut valid_sent, mut bad_sent, mut starved) = (0u64, 0u64, 0u64);
	let mut bad_kinds: BTreeMap<Bad, u64> = BTreeMap::new();
	let mut rpc_probe: Vec<(f64, u64)> = Vec::new();
	let mut rpc_probe_failures = 0u64;
	let mut last_probe = Instant::now();
	let mut memory_series: Vec<(f64, Vec<u64>)> = Vec::new();
	let mut last_line = Instant::now();
	let mut exhausted = false;
	let release = |back: Back,
	               ready: &mut VecDeque<usize>,
	               in_flight: &mut HashMap<usize, usize>,
	               replayable: &mut VecDeque<(usize, usize)>| match back {
		Back::Release(meters) => {
			for m in meters {
				if let Some(frame) = in_flight.remove(&m) {
					replayable.push_back((m, frame));
					if replayable.len() > 10_000 {
						replayable.pop_front();
					}
				}
				ready.push_back(m);
			}
		}
	};
	while origin.elapsed() < settings.duration {
		for back in back_rx.try_iter() {
			release(back, &mut ready, &mut in_flight, &mut replayable);
		}
		let due = (settings.rate * origin.elapsed().as_secs_f64()) as u64;
		while valid_sent + bad_sent < due {
			let bad_due = ((valid_sent + bad_sent + 1) as f64 * settings.bad_fraction) as u64;
			if bad_sent < bad_due {
				let replay = bad_sent % 2 == 1 && !replayable.is_empty();
				let (kind, signed) = if replay {
					let (m, f) = replayable[(bad_sent as usize * 7919) % replayable.len()];
					(Bad::Replayed, fleet[m].frames[f].clone())
				} else {
					// The next frame of a meter, with its signature damaged: a forgery of
					// the very frame the meter is about to send.
					let m = (bad_sent as usize * 104_729) % fleet.len();
					let f = fleet[m].next.min(fleet[m].frames.len() - 1);
					let mut signed = fleet[m].frames[f].clone();
					let mut raw = signed.signature.encode();
					if let Some(byte) = raw.last_mut() {
						*byte ^= 0x5a;
					}
					signed.signature =
						codec::Decode::decode(&mut &raw[..]).expect("a signature re-decodes");
					(Bad::Forged, signed)
				};
				let bytes = frames::general_transaction(frames::submission(&[signed])?);
				let hash = sp_io::hashing::blake2_256(&bytes);
				let _ = track_tx.send(Track::Bad { hash });
				job_tx
					.send(Job { hash, bytes, payload: Payload::Bad(kind) })
					.map_err(|_| Error::failure("the senders stopped"))?;
				bad_sent += 1;
				*bad_kinds.entry(kind).or_default() += 1;
				continue;
			}
			// Gateways send full batches.
			let owed = (due - valid_sent - bad_sent) as usize;
			if owed < settings.batch {
				break;
			}
			let want = settings.batch;
			let mut picked = Vec::with_capacity(want);
			while picked.len() < want {
				let Some(m) = ready.pop_front() else { break };
				if fleet[m].next >= fleet[m].frames.len() {
					exhausted = true;
					continue;
				}
				picked.push((m, fleet[m].next));
				fleet[m].next += 1;
			}
			if picked.is_empty() {
				starved += 1;
				break;
			}
			let signed: Vec<_> = picked.iter().map(|&(m, f)| fleet[m].frames[f].clone()).collect();
			let bytes = frames::general_transaction(frames::submission(&signed)?);
			let hash = sp_io::hashing::blake2_256(&bytes);
			for &(m, f) in &picked {
				in_flight.insert(m, f);
			}
			valid_sent += picked.len() as u64;
			let _ = track_tx.send(Track::Sent { hash, at: Instant::now(), frames: picked.clone() });
			job_tx
				.send(Job { hash, bytes, payload: Payload::Valid(picked) })
				.map_err(|_| Error::failure("the senders stopped"))?;
		}
		if last_probe.elapsed() >= Duration::from_millis(500) {
			last_probe = Instant::now();
			let started = Instant::now();
			match probe_client.call("system_health", json!([])) {
				Ok(_) => rpc_probe.push((started.elapsed().as_secs_f64(), 1)),
				Err(_) => rpc_probe_failures += 1,
			}
			let rss: Vec<u64> = network.nodes.iter_mut().map(Node::sample_memory).collect();
			memory_series.push((origin.elapsed().as_secs_f64(), rss));
		}
		if last_line.elapsed() >= Duration::from_secs(if terminal { 1 } else { 5 }) {
			last_line = Instant::now();
			let state = followed.lock().expect("follower state");
			let included: u64 = state.blocks.iter().map(|b| b.frames).sum();
			progress(
				quiet,
				terminal,
				&format!(
					"[{:>5.1}s/{:.0}s] sent {valid_sent} valid + {bad_sent} bad  in blocks {included}  \
					 finalized #{}  in flight {}",
					origin.elapsed().as_secs_f64(),
					settings.duration.as_secs_f64(),
					state.finalized_number,
					in_flight.len()
				),
				false,
			);
		}
		std::thread::sleep(Duration::from_millis(2));
	}
	let window = origin.elapsed();
	drop(job_tx);
	drop(track_tx);
	for sender in senders {
		sender.join().expect("a sender panicked")?;
	}
	// Let everything in flight be finalized.
	stop.store(true, Ordering::Relaxed);
	let drain_started = Instant::now();
	while !follower.is_finished() {
		if drain_started.elapsed() > Duration::from_secs(180) {
			break;
		}
		let rss: Vec<u64> = network.nodes.iter_mut().map(Node::sample_memory).collect();
		memory_series.push((origin.elapsed().as_secs_f64(), rss));
		let state = followed.lock().expect("follower state");
		progress(
			quiet,
			terminal,
			&format!(
				"[drain {:>4.0}s] waiting for {} transactions to be finalized (#{})",
				drain_started.elapsed().as_secs_f64(),
				state.pending(),
				state.finalized_number
			),
			false,
		);
		drop(state);
		std::thread::sleep(Duration::from_secs(1));
	}
	progress(quiet, terminal, "done sending and following", true);
	let drained = follower.is_finished();
	if drained {
		follower.join().expect("the follower panicked")?;
	}
	for node in &mut network.nodes {
		node.sample_memory();
	}

	// The chain's own count: every meter's measurements and last sequence.
	let state = followed.lock().expect("follower state");
	let mut inclusion = Vec::new();
	let mut finality = Vec::new();
	let mut finalized_frames = 0u64;
	let mut unfinalized_frames = 0u64;
	let mut last_finalized_at: Option<Instant> = None;
	for tracked in state.tracked.values() {
		let n = tracked.frames.len() as u64;
		match (tracked.included, tracked.finalized) {
			(Some(included), Some(finalized)) => {
				inclusion.push((included.duration_since(tracked.sent).as_secs_f64(), n));
				finality.push((finalized.duration_since(tracked.sent).as_secs_f64(), n));
				finalized_frames += n;
				last_finalized_at = Some(last_finalized_at.map_or(finalized, |t| t.max(finalized)));
				for &(m, _) in &tracked.frames {
					fleet[m].finalized += 1;
				}
			}
			_ => unfinalized_frames += n,
		}
	}
	let mut chain_measurements: BTreeMap<u64, (u64, Option<u64>)> = BTreeMap::new();
	let mut from = first_id;
	let last_id = first_id + fleet.len() as u64 - 1;
	while from <= last_id {
		let page: mensura_rpc::MeterPage = probe_client
			.call_as("mensura_meters", json!([from, (last_id - from + 1).min(1000)]))?;
		for meter in page.meters {
			chain_measurements.insert(meter.id, (meter.measurements, meter.last_sequence));
		}
		match page.next {
			Some(next) if next <= last_id => from = next,
			_ => break,
		}
	}
	let mut count_mismatches = Vec::new();
	let mut chain_total = 0u64;
	for meter in &fleet {
		let (on_chain, _) = chain_measurements.get(&meter.id).copied().unwrap_or((0, None));
		chain_total += on_chain;
		if on_chain != meter.finalized && count_mismatches.len() < 10 {
			count_mismatches.push(format!(
				"meter {}: {} measurements on chain, {} frames finalized",
				meter.id, on_chain, meter.finalized
			));
		}
	}
	let stats = stats.lock().expect("stats");

	// The run's blocks: from the first with a bench frame to the last.
	let blocks: Vec<BlockSeen> = {
		let with = |b: &&BlockSeen| b.frames > 0;
		let first = state.blocks.iter().position(|b| with(&b)).unwrap_or(0);
		let last = state.blocks.iter().rposition(|b| with(&b)).unwrap_or(0);
		state.blocks.get(first..=last).map(<[BlockSeen]>::to_vec).unwrap_or_default()
	};
	let block_frames: u64 = blocks.iter().map(|b| b.frames).sum();
	let chain_rate = if blocks.is_empty() {
		0.0
	} else {
		block_frames as f64 / (blocks.len() as f64 * SLOT_SECONDS)
	};
	let end_to_end = last_finalized_at
		.map(|t| finalized_frames as f64 / t.duration_since(origin).as_secs_f64())
		.unwrap_or(0.0);
	let peak_block = blocks.iter().map(|b| b.frames).max().unwrap_or(0);
	// What the blocks counted for a frame, its transaction's base weight and extensions
	// included (bench frames are the only normal-class transactions in the run's blocks).
	let weight_per_frame_us = if block_frames > 0 {
		blocks.iter().map(|b| b.normal_weight_us).sum::<f64>() / block_frames as f64
	} else {
		0.0
	};
	// Building and importing the run's blocks.
	let run_numbers =
		blocks.first().map_or(1..=0, |f| f.number..=blocks.last().map_or(0, |l| l.number));
	let authored: Vec<_> = network
		.nodes
		.iter()
		.flat_map(Node::authored)
		.filter(|(number, _, _, _)| run_numbers.contains(number))
		.collect();
	let mut build_ms: Vec<(f64, u64)> =
		authored.iter().map(|(_, ms, _, _)| (*ms as f64, 1)).collect();
	let mut end_reasons: BTreeMap<String, u64> = BTreeMap::new();
	for (_, _, _, end) in &authored {
		*end_reasons.entry(end.clone()).or_default() += 1;
	}
	// CPU: the nodes' and this tool's, over the window and the drain.
	let node_cpu: f64 = network
		.nodes
		.iter()
		.zip(&cpu_before)
		.filter_map(|(node, before)| Some(node.cpu_seconds()? - before.as_ref()?))
		.sum();
	let tool_cpu = cpu_seconds("self").zip(tool_cpu_before).map(|(a, b)| a - b);
	let busy = last_finalized_at.map_or(window, |t| t.duration_since(origin)).as_secs_f64();
	let import_ms: Vec<(String, Option<f64>)> = network
		.nodes
		.iter()
		.zip(&metrics_before)
		.map(|(node, before)| {
			let after = node.metrics();
			(
				node.name.to_string(),
				histogram_mean_ms(before, &after, "substrate_block_verification_and_import_time"),
			)
		})
		.collect();
	let peak_rss: Vec<(String, u64)> =
		network.nodes.iter().map(|n| (n.name.to_string(), n.peak_rss_kib)).collect();
	let peak_anon: Vec<(String, u64)> =
		network.nodes.iter().map(|n| (n.name.to_string(), n.peak_anon_kib)).collect();
	let lifetime_peak: Vec<(String, u64)> =
		network.nodes.iter().map(|n| (n.name.to_string(), n.lifetime_peak_kib())).collect();
	let max_rss_mib = peak_rss.iter().map(|r| r.1).max().unwrap_or(0) as f64 / 1024.0;
	let ms = |v: Option<f64>| v.map(|s| (s * 1000.0).round());
	let mut submit: Vec<(f64, u64)> = stats.submit_seconds.iter().map(|s| (*s, 1)).collect();
	let bad_accepted: u64 = stats.bad_accepted.values().sum();
	let bad_refused: u64 = stats.bad_refused.values().sum();
	let lost = stats.valid_refused_frames + unfinalized_frames;
	let summary = json!({
		"settings": {
			"validators": settings.validators,
			"meters": settings.meters,
			"offeredRate": settings.rate,
			"windowSeconds": window.as_secs_f64(),
			"batch": settings.batch,
			"samplesPerChannel": settings.samples,
			"channels": 2,
			"frameBytes": frame_bytes,
			"scheme": settings.scheme.name(),
			"badPercent": settings.bad_fraction * 100.0,
			"senders": settings.senders,
		},
		"throughput": {
			"chainFramesPerSecond": chain_rate,
			"endToEndFramesPerSecond": end_to_end,
			"blocks": blocks.len(),
			"framesInBlocks": block_frames,
			"peakFramesInABlock": peak_block,
			"blockWeightPerFrameUs": weight_per_frame_us,
		},
		"signatureVerification": {
			"perSecondOneCore": verify_rate,
			"fractionOfOneCore": chain_rate / verify_rate,
		},
		"latencyMs": {
			"inclusionP50": ms(quantile(&mut inclusion, 0.5)),
			"inclusionP95": ms(quantile(&mut inclusion, 0.95)),
			"finalityP50": ms(quantile(&mut finality, 0.5)),
			"finalityP95": ms(quantile(&mut finality, 0.95)),
			"submitP50": ms(quantile(&mut submit, 0.5)),
			"submitP95": ms(quantile(&mut submit, 0.95)),
			"rpcProbeP50": ms(quantile(&mut rpc_probe, 0.5)),
			"rpcProbeMax": ms(rpc_probe.iter().map(|p| p.0).reduce(f64::max)),
			"rpcProbeFailures": rpc_probe_failures,
		},
		"blockTimeMs": {
			"buildP50": quantile(&mut build_ms, 0.5),
			"buildMax": build_ms.iter().map(|b| b.0).reduce(f64::max),
			"buildEndReasons": end_reasons,
			"importMeanByNode": import_ms.iter().map(|(n, ms)| (n.clone(), json!(ms))).collect::<serde_json::Map<_, _>>(),
		},
		"cpu": {
			"nodesCoreSeconds": node_cpu,
			"nodesCores": node_cpu / busy,
			"nodesMsPerFinalizedFrame": if finalized_frames > 0 { 1000.0 * node_cpu / finalized_frames as f64 } else { 0.0 },
			"benchToolCoreSeconds": tool_cpu,
			"seconds": busy,
			"machineCores": std::thread::available_parallelism().map_or(0, |n| n.get()),
		},
		"memory": {
			"peakRssUnderLoadMiB": peak_rss.iter().map(|(n, k)| (n.clone(), json!(*k as f64 / 1024.0))).collect::<serde_json::Map<_, _>>(),
			"peakAnonymousUnderLoadMiB": peak_anon.iter().map(|(n, k)| (n.clone(), json!(*k as f64 / 1024.0))).collect::<serde_json::Map<_, _>>(),
			"rssSeriesMiB": memory_series.iter().map(|(t, rss)| {
				let mut point = vec![json!((t * 10.0).round() / 10.0)];
				point.extend(rss.iter().map(|k| json!(k / 1024)));
				point
			}).collect::<Vec<_>>(),
			"lifetimePeakMiB": lifetime_peak.iter().map(|(n, k)| (n.clone(), json!(*k as f64 / 1024.0))).collect::<serde_json::Map<_, _>>(),
		},
		"frames": {
			"validSent": valid_sent,
			"validFinalized": finalized_frames,
			"validRefusedByPool": stats.valid_refused_frames,
			"validRefusedReasons": stats.valid_refused,
			"validNotFinalized": unfinalized_frames,
			"measurementsOnChain": chain_total,
			"countMismatches": count_mismatches,
			"badSent": bad_kinds.iter().map(|(k, n)| (k.name().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
			"badRefused": stats.bad_refused.iter().map(|((k, r), n)| (format!("{}: {r}", k.name()), json!(n))).collect::<serde_json::Map<_, _>>(),
			"badAccepted": bad_accepted,
			"badInBlocks": state.bad_included,
			"poolFullRetries": stats.pool_full_retries,
			"meterStarvedRounds": starved,
			"framesExhausted": exhausted,
		},
		"blocks": blocks.iter().map(|b| json!({
			"number": b.number, "seenSeconds": b.seen, "frames": b.frames,
			"extrinsics": b.extrinsics, "bytes": b.bytes, "normalWeightUs": b.normal_weight_us,
		})).collect::<Vec<_>>(),
	});

	let title = format!(
		"{} validator(s), {} meters, batches of {}: {:.0} frames/s on chain",
		settings.validators, settings.meters, settings.batch, chain_rate
	);
	if let Some(out) = &args.out {
		std::fs::create_dir_all(out)
			.map_err(|e| Error::failure(format!("cannot create {}: {e}", out.display())))?;
		std::fs::write(
			out.join("bench.json"),
			serde_json::to_string_pretty(&summary).expect("JSON"),
		)
		.map_err(|e| Error::failure(format!("cannot write bench.json: {e}")))?;
		std::fs::write(out.join("frames-per-second.svg"), plot(&blocks, settings.rate, &title))
			.map_err(|e| Error::failure(format!("cannot write the plot: {e}")))?;
	}

	let l = &summary["latencyMs"];
	let f = &summary["frames"];
	println!("Mensura ingestion benchmark — {title}");
	println!(
		"  frames: {} channels × {} samples, {frame_bytes} bytes, {} signatures; offered {:.0}/s for {:.0} s ({}% bad)",
		2,
		settings.samples,
		settings.scheme.name(),
		settings.rate,
		window.as_secs_f64(),
		settings.bad_fraction * 100.0
	);
	println!(
		"  throughput: {chain_rate:.0} frames/s on chain ({block_frames} frames in {} blocks, at most {peak_block} in one, {weight_per_frame_us:.0} µs of block weight each); {end_to_end:.0} frames/s from first send to last finality",
		blocks.len()
	);
	println!(
		"  one core verifies {verify_rate:.0} {} signatures/s: the chain reaches {:.1}% of that",
		settings.scheme.name(),
		100.0 * chain_rate / verify_rate
	);
	println!(
		"  latency: inclusion p50 {} ms, p95 {} ms; finality p50 {} ms, p95 {} ms; submit call p50 {} ms, p95 {} ms",
		l["inclusionP50"], l["inclusionP95"], l["finalityP50"], l["finalityP95"], l["submitP50"], l["submitP95"]
	);
	println!(
		"  blocks: built in p50 {} ms, at most {} ms (6 s slots, 4 s to build); imported by other nodes in {} on average",
		summary["blockTimeMs"]["buildP50"],
		summary["blockTimeMs"]["buildMax"],
		if settings.validators > 1 {
			import_ms
				.iter()
				.map(|(n, ms)| format!("{n} {}", ms.map_or("-".into(), |m| format!("{m:.0} ms"))))
				.collect::<Vec<_>>()
				.join(", ")
		} else {
			"- (one node)".to_string()
		}
	);
	println!(
		"  CPU from the first send to the last finality ({busy:.0} s): nodes {node_cpu:.0} core-seconds ({:.2} of {} cores, {:.2} ms per finalized frame), this tool {:.0}; blocks ended by {:?}",
		node_cpu / busy,
		std::thread::available_parallelism().map_or(0, |n| n.get()),
		if finalized_frames > 0 { 1000.0 * node_cpu / finalized_frames as f64 } else { 0.0 },
		tool_cpu.unwrap_or(0.0),
		end_reasons
	);
	println!(
		"  RPC under load: system_health p50 {} ms, max {} ms, {} failures",
		l["rpcProbeP50"], l["rpcProbeMax"], rpc_probe_failures
	);
	println!(
		"  memory: peak RSS under load {} (max {max_rss_mib:.0} MiB), of it anonymous (not ParityDB's mapped files) {}; lifetime peak, with building the genesis, {}",
		peak_rss.iter().map(|(n, k)| format!("{n} {:.0} MiB", *k as f64 / 1024.0)).collect::<Vec<_>>().join(", "),
		peak_anon.iter().map(|(n, k)| format!("{n} {:.0} MiB", *k as f64 / 1024.0)).collect::<Vec<_>>().join(", "),
		lifetime_peak.iter().map(|(n, k)| format!("{n} {:.0} MiB", *k as f64 / 1024.0)).collect::<Vec<_>>().join(", ")
	);
	println!(
		"  valid frames: {valid_sent} sent, {finalized_frames} finalized, {} refused by the pool, {unfinalized_frames} not finalized; {chain_total} measurements on chain",
		stats.valid_refused_frames
	);
	println!(
		"  bad frames: {bad_sent} sent ({}), {bad_refused} refused ({}), {bad_accepted} accepted, {} in blocks",
		f["badSent"], f["badRefused"], state.bad_included
	);
	println!(
		"  pool-full retries {}, rounds without a free meter {starved}",
		stats.pool_full_retries
	);
	if let Some(out) = &args.out {
		println!(
			"  wrote {} and {}",
			out.join("bench.json").display(),
			out.join("frames-per-second.svg").display()
		);
	}

	let mut problems = Vec::new();
	if !drained {
		problems.push(format!("{} transactions were not finalized within 180 s", state.pending()));
	}
	if lost > 0 {
		problems.push(format!("{lost} valid frames were lost"));
	}
	if !count_mismatches.is_empty() {
		problems.push(format!("the chain's counts differ: {}", count_mismatches.join("; ")));
	}
	if chain_total != finalized_frames {
		problems.push(format!(
			"{chain_total} measurements on chain for {finalized_frames} finalized frames"
		));
	}
	if bad_accepted > 0 || state.bad_included > 0 {
		problems.push(format!(
			"{bad_accepted} bad frames accepted by the pool, {} in blocks",
			state.bad_included
		));
	}
	if rpc_probe_failures > 0 {
		problems.push(format!("{rpc_probe_failures} RPC probes failed under load"));
	}
	if finalized_frames == 0 {
		problems.push("no frame was finalized".into());
	}
	if exhausted {
		problems.push("the pre-signed frames ran out (a bug in the sizing)".into());
	}
	for node in &mut network.nodes {
		if let Ok(Some(status)) = node.child.try_wait() {
			problems.push(format!("{} exited during the run ({status})", node.name));
		}
	}
	if problems.is_empty() {
		Ok(())
	} else {
		Err(Error::failure(problems.join("; ")))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn quantiles_weight_each_value() {
		let mut values = vec![(3.0, 1), (1.0, 8), (2.0, 1)];
		assert_eq!(quantile(&mut values, 0.5), Some(1.0));
		assert_eq!(quantile(&mut values, 0.85), Some(2.0));
		assert_eq!(quantile(&mut values, 0.95), Some(3.0));
		assert_eq!(quantile(&mut [], 0.5), None);
	}

	#[test]
	fn bench_keys_are_distinct_and_repeatable() {
		let a = meter_key(Scheme::Ed25519, 1).public();
		assert_eq!(a, meter_key(Scheme::Ed25519, 1).public());
		assert_ne!(a, meter_key(Scheme::Ed25519, 2).public());
	}
}
