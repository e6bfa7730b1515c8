//! The nodes of a run: started on the bench's chain spec, sampled (memory, CPU, block
//! build and import times) and stopped.

use super::*;

pub(super) struct Node {
	pub(super) name: &'static str,
	pub(super) child: Child,
	pub(super) rpc: u16,
	pub(super) prometheus: u16,
	pub(super) log: PathBuf,
	/// Peak resident memory sampled under load, in KiB.
	pub(super) peak_rss_kib: u64,
	/// Peak anonymous resident memory (what the node allocated, without ParityDB's
	/// memory-mapped files), in KiB.
	pub(super) peak_anon_kib: u64,
	/// Resident memory, in KiB, of the first start (the one that built the genesis state)
	/// once it was ready, before it was stopped: 0 for that first start itself.
	pub(super) first_start_rss_kib: u64,
	/// The memory cgroup the node runs in under `--memory-limit`.
	pub(super) cgroup: Option<MemoryCgroup>,
	/// Whether the run has already said that this node exited, and why.
	pub(super) exit_reported: bool,
	/// Under `--memory-limit`: the memory samples in which the node's own memory left its
	/// code and database pages too little room ([`cgroup::LEAST_ROOM_FOR_FILES`]).
	pub(super) files_starved_samples: u64,
}

/// CPU time (user + system) a process has used, in seconds, from `/proc/<pid>/stat`.
pub(super) fn cpu_seconds(pid: &str) -> Option<f64> {
	let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
	// Fields after the command name (which is in parentheses and may hold spaces).
	let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
	let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
	// SAFETY: sysconf only reads a system constant.
	let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
	(per_second > 0.0).then(|| ticks / per_second)
}

impl Node {
	pub(super) fn cpu_seconds(&self) -> Option<f64> {
		cpu_seconds(&self.child.id().to_string())
	}

	pub(super) fn status_kib(&self, field: &str) -> Option<u64> {
		let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
		status
			.lines()
			.find_map(|l| l.strip_prefix(field))
			.and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
	}

	/// Stops the node: SIGTERM, then SIGKILL if it has not exited within 20 s.
	fn stop(&mut self) {
		// A node that is gone already died during the run: say why, unless the run did,
		// since what the run reports then may be only that the node stopped answering.
		if let Some(exit) = self.exited() {
			eprintln!("{exit}");
			return;
		}
		if let Ok(Some(_)) = self.child.try_wait() {
			return;
		}
		// A node that stopped answering may be alive and stuck at its memory limit: the run
		// then reports only a timeout, so say what the limit left it.
		let starving =
			self.cgroup.as_ref().and_then(|c| Some((c.starving_files()?, c.limit_bytes())));
		if let Some((now, limit)) = starving {
			eprintln!(
				"{} was at its memory limit when stopped: {} MiB of its own memory under a {} MiB \
				 limit left {} MiB for its code and database pages, which the kernel then reads \
				 from disk again at every step (a node in that state answers late or not at all; \
				 docs/network.md says how much memory a validator needs)",
				self.name,
				now.own / (1024 * 1024),
				limit / (1024 * 1024),
				now.files / (1024 * 1024)
			);
		}
		#[cfg(unix)]
		unsafe {
			libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
		}
		let deadline = Instant::now() + Duration::from_secs(20);
		loop {
			match self.child.try_wait() {
				Ok(Some(_)) => break,
				Ok(None) if Instant::now() < deadline => {
					std::thread::sleep(Duration::from_millis(100))
				}
				_ => {
					let _ = self.child.kill();
					let _ = self.child.wait();
					break;
				}
			}
		}
	}

	/// If the node has exited and the run has not said so yet: that it did, and why.
	pub(super) fn exited(&mut self) -> Option<String> {
		if self.exit_reported {
			return None;
		}
		let status = self.child.try_wait().ok()??;
		self.exit_reported = true;
		Some(format!("{} exited during the run ({})", self.name, self.exit_reason(status)))
	}

	/// Why the node exited: its status, and whether the kernel killed it for memory.
	pub(super) fn exit_reason(&self, status: std::process::ExitStatus) -> String {
		match self.cgroup.as_ref().and_then(MemoryCgroup::oom_kills) {
			Some(kills) if kills > 0 => format!("{status}; killed for memory above its limit"),
			_ => status.to_string(),
		}
	}

	/// Samples resident memory: KiB now (0 if the process is gone).
	pub(super) fn sample_memory(&mut self) -> u64 {
		let rss = self.status_kib("VmRSS:").unwrap_or(0);
		self.peak_rss_kib = self.peak_rss_kib.max(rss);
		self.peak_anon_kib = self.peak_anon_kib.max(self.status_kib("RssAnon:").unwrap_or(0));
		if self.cgroup.as_ref().and_then(MemoryCgroup::starving_files).is_some() {
			self.files_starved_samples += 1;
		}
		rss
	}

	/// The process's lifetime peak (`VmHWM`), which includes building the genesis state.
	pub(super) fn lifetime_peak_kib(&self) -> u64 {
		self.status_kib("VmHWM:").unwrap_or(0)
	}

	pub(super) fn url(&self) -> String {
		format!("http://127.0.0.1:{}", self.rpc)
	}

	/// The node's Prometheus metrics by name, a metric with labels besides the chain's as
	/// `name{label="value",…}` (the chain's label left out).
	pub(super) fn metrics(&self) -> HashMap<String, f64> {
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
				Some((metric_key(name), value.parse().ok()?))
			})
			.collect()
	}

	/// Each block this node authored: (number, milliseconds to build it, extrinsics, why
	/// building ended), from its log's `Prepared block for proposing at N (T ms) … end:
	/// R; extrinsics_count: E` lines.
	pub(super) fn authored(&self) -> Vec<(u64, u64, u64, String)> {
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

	/// How many of this node's proposals Aura threw away because building them outlasted
	/// the slot's proposing time (`Discarding proposal for slot S; block production took
	/// too long` in its log): each is a slot without a block.
	pub(super) fn discarded_proposals(&self) -> u64 {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		text.lines().filter(|line| line.contains("Discarding proposal for slot")).count() as u64
	}
}

/// The mean of a Prometheus histogram between two scrapes, in milliseconds.
pub(super) fn histogram_mean_ms(
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
pub(super) struct Network {
	pub(super) nodes: Vec<Node>,
	pub(super) dir: PathBuf,
	pub(super) keep: bool,
}

impl Drop for Network {
	fn drop(&mut self) {
		for node in &mut self.nodes {
			node.stop();
		}
		if !self.keep {
			let _ = std::fs::remove_dir_all(&self.dir);
		}
	}
}

/// The last non-empty line of a node's log, for an error message (the log itself goes
/// with the run's directory unless `--keep`).
pub(super) fn log_tail(log: &Path) -> String {
	std::fs::read_to_string(log)
		.ok()
		.and_then(|text| text.lines().rev().find(|l| !l.trim().is_empty()).map(str::to_string))
		.map(|line| line.trim().to_string())
		.unwrap_or_else(|| "no log".into())
}

pub(super) fn free_port() -> Result<u16> {
	std::net::TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.map_err(|e| Error::failure(format!("no free local port: {e}")))
}

/// The node's `Local node identity is: <peer id>` line, once it has logged it.
pub(super) fn peer_id(log: &Path, timeout: Duration) -> Result<String> {
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

/// Starts the run's nodes, each twice: the first start builds the genesis state (for a
/// bench chain, 100,000 meters in one commit: about 175 MB of storage), then every node
/// is stopped and started again on its database. A node runs like this after its first
/// start; the run measures that, not what committing a genesis this large leaves behind.
/// Measured (2026-12-07, one node, heaptrack): the hash tables that commit grew keep
/// their capacity — sc-state-db's overlay of unfinalized trie nodes 239 MiB, ParityDB's
/// commit overlay 206 MiB — and ParityDB's state-journal file keeps 246 MiB of pages
/// mapped; ready after its first start the node held 1,038 MiB, after the restart
/// 272 MiB. The first start's figure stays in the run's output. Under `--memory-limit`
/// only the second start is limited (building the genesis needs about 2.4 GiB), and the
/// files the first start touched leave the page cache before it (see
/// [`forget_cached_pages`]).
pub(super) fn start_network(
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
	launch(&mut network, node, settings, &spec_path, extra, "-first-start", 0, None)?;
	let first_rss: Vec<u64> =
		network.nodes.iter().map(|n| n.status_kib("VmRSS:").unwrap_or(0)).collect();
	let mut finalized = 0;
	for node in &mut network.nodes {
		finalized = finalized.max(Client::new(&node.url())?.finalized_number()?);
		node.stop();
	}
	network.nodes.clear();
	let limit = settings.memory_limit_mib.map(|mib| mib * 1024 * 1024);
	if limit.is_some() {
		forget_cached_pages(&dir, node);
	}
	launch(&mut network, node, settings, &spec_path, extra, "", finalized, limit)?;
	for (node, rss) in network.nodes.iter_mut().zip(first_rss) {
		node.first_start_rss_kib = rss;
	}
	Ok(network)
}

/// Starts every validator of the run on the base paths in `network.dir` (logging to
/// `<name><log_suffix>.log`) and waits until each has built or imported, and finalized,
/// a block after block `after`; with `memory_limit` (bytes), each in a memory cgroup of
/// its own.
#[allow(clippy::too_many_arguments)]
fn launch(
	network: &mut Network,
	node: &Path,
	settings: &Settings,
	spec_path: &Path,
	extra: &[String],
	log_suffix: &str,
	after: u64,
	memory_limit: Option<u64>,
) -> Result<()> {
	let dir = network.dir.clone();
	let mut bootnode: Option<String> = None;
	for name in &VALIDATORS[..settings.validators] {
		let base = dir.join(name);
		let log = dir.join(format!("{name}{log_suffix}.log"));
		let (rpc, p2p, prometheus) = (free_port()?, free_port()?, free_port()?);
		let mut command = Command::new(node);
		command
			.arg("--chain")
			.arg(spec_path)
			.arg("--base-path")
			.arg(&base)
			.arg(format!("--{name}"))
			.args(["--rpc-port", &rpc.to_string(), "--port", &p2p.to_string()])
			.args(["--prometheus-port", &prometheus.to_string()])
			.args(["--no-telemetry", "--no-mdns"])
			.arg("--node-key")
			.arg(hex(&sp_io::hashing::blake2_256(name.as_bytes()))[2..].to_string());
		// The pool keeps the node's own limits (8,192 transactions, 20 MiB: about four
		// full blocks of frames, alone or batched), as an operator's node would: a load
		// above what blocks take waits in the senders (which back off and send again when
		// the pool is full, as a gateway does), not as a backlog every new block's view
		// of the pool revalidates. `--node-arg=--pool-limit=N` changes them.
		if settings.validators == 1 {
			command.arg("--force-authoring");
		}
		command.args(extra);
		if let Some(boot) = &bootnode {
			command.args(["--bootnodes", boot]);
		}
		let cgroup = match memory_limit {
			Some(bytes) => {
				let cgroup = MemoryCgroup::create(
					&format!("mensura-bench-{}-{name}", std::process::id()),
					bytes,
				)?;
				cgroup.enter_on_spawn(&mut command);
				Some(cgroup)
			}
			None => None,
		};
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
			first_start_rss_kib: 0,
			cgroup,
			exit_reported: false,
			files_starved_samples: 0,
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
				node.exit_reported = true;
				return Err(Error::node(format!(
					"{} exited ({}) while starting: {}",
					node.name,
					node.exit_reason(status),
					log_tail(&node.log)
				)));
			}
			if client.best_number().is_ok_and(|n| n > after)
				&& client.finalized_number().is_ok_and(|n| n > after)
			{
				break;
			}
			if started.elapsed() > Duration::from_secs(300) {
				return Err(Error::node(format!(
					"{} produced, imported or finalized no block after #{after} within 300 s: {}",
					node.name,
					log_tail(&node.log)
				)));
			}
			std::thread::sleep(Duration::from_millis(500));
		}
	}
	Ok(())
}

/// A metric's key in [`Node::metrics`]: its name, and its labels but the chain's (every
/// metric of a node carries that one). Label values hold no `,` in the node's metrics.
fn metric_key(sample: &str) -> String {
	let Some((name, labels)) = sample.split_once('{') else { return sample.to_string() };
	let others: Vec<&str> = labels
		.trim_end_matches('}')
		.split(',')
		.filter(|label| !label.is_empty() && !label.starts_with("chain="))
		.collect();
	if others.is_empty() {
		name.to_string()
	} else {
		format!("{name}{{{}}}", others.join(","))
	}
}

#[cfg(test)]
mod tests {
	use super::metric_key;

	#[test]
	fn a_metric_is_keyed_by_its_name_and_its_labels_but_the_chain() {
		assert_eq!(
			metric_key("substrate_ready_transactions_number"),
			"substrate_ready_transactions_number"
		);
		assert_eq!(
			metric_key(r#"substrate_sub_txpool_validations_finished{chain="mensura_dev"}"#),
			"substrate_sub_txpool_validations_finished"
		);
		assert_eq!(
			metric_key(r#"mensura_sr25519_batches_total{answer="remembered",chain="mensura_dev"}"#),
			r#"mensura_sr25519_batches_total{answer="remembered"}"#
		);
		assert_eq!(
			metric_key(
				r#"substrate_block_verification_and_import_time_bucket{chain="local_testnet",le="0.5"}"#
			),
			r#"substrate_block_verification_and_import_time_bucket{le="0.5"}"#
		);
	}
}
