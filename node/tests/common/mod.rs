//! Test harness shared by the end-to-end tests: starts the real `mensura-node` binary on
//! free ports and talks to it over JSON-RPC (jsonrpsee's WebSocket client), as any client
//! would; plain HTTP `GET`s serve the other HTTP endpoints tests read (Prometheus metrics,
//! the indexer's API).
//!
//! A started node is always stopped and reaped: by [`Node::stop`], by `Drop` when a test
//! fails half-way, and — should the test process itself die — by the kernel, which sends
//! it SIGKILL when the thread that started it exits (`PR_SET_PDEATHSIG`).

#![allow(dead_code)]

use jsonrpsee::{
	core::{
		client::{ClientT, Error as ClientError},
		params::ArrayParams,
	},
	ws_client::{WsClient, WsClientBuilder},
};
use std::{
	io::{BufRead, BufReader, Read, Write},
	net::{TcpListener, TcpStream},
	os::unix::process::{CommandExt, ExitStatusExt},
	path::{Path, PathBuf},
	process::{Child, Command, ExitStatus, Output, Stdio},
	sync::{Arc, Mutex},
	thread,
	time::{Duration, Instant},
};

/// The node binary that cargo built for these tests. Other packages' tests (the
/// `mensura` tool's) find it next to their own executable's directory: `cargo test
/// --workspace` builds every binary before it runs any test.
pub fn node_binary() -> PathBuf {
	if let Some(path) = option_env!("CARGO_BIN_EXE_mensura-node") {
		return path.into();
	}
	let test = std::env::current_exe().expect("the test executable has a path");
	let profile_dir = test.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
	let node = profile_dir.join("mensura-node");
	assert!(
		node.exists(),
		"{} is missing: build it first (cargo build --release -p mensura-node)",
		node.display()
	);
	node
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `Command` for the node binary whose process dies with the thread that spawns it.
pub fn node_command() -> Command {
	let mut command = Command::new(node_binary());
	// SAFETY: `prctl` is async-signal-safe and touches no memory of the parent.
	unsafe {
		command.pre_exec(|| {
			if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
				return Err(std::io::Error::last_os_error());
			}
			Ok(())
		});
	}
	command
}

/// Runs the node binary to completion (for subcommands and start-up failures), killing
/// it if it runs longer than `timeout`. Output is drained while it runs, so a command
/// that prints more than a pipe holds (a chain spec) cannot block.
pub fn run_node(args: &[&str], timeout: Duration) -> Output {
	let mut child = node_command()
		.args(args)
		.stdin(Stdio::null())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.expect("the node binary starts");
	let drain = |mut pipe: Box<dyn Read + Send>| {
		thread::spawn(move || {
			let mut bytes = Vec::new();
			let _ = pipe.read_to_end(&mut bytes);
			bytes
		})
	};
	let stdout = drain(Box::new(child.stdout.take().unwrap()));
	let stderr = drain(Box::new(child.stderr.take().unwrap()));
	let started = Instant::now();
	let status = loop {
		if let Some(status) = child.try_wait().unwrap() {
			break status;
		}
		if started.elapsed() > timeout {
			let _ = child.kill();
			let _ = child.wait();
			panic!(
				"`mensura-node {}` still running after {timeout:?}; stderr:\n{}",
				args.join(" "),
				String::from_utf8_lossy(&stderr.join().unwrap())
			);
		}
		thread::sleep(Duration::from_millis(50));
	};
	Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

/// A running node.
pub struct Node {
	child: Option<Child>,
	pub rpc_port: u16,
	pub p2p_port: u16,
	pub prometheus_port: u16,
	log: Arc<Mutex<Vec<String>>>,
	/// The JSON-RPC connection, opened on the first call.
	rpc: Mutex<Option<Rpc>>,
}

impl Node {
	/// Starts `mensura-node --dev --tmp` on free ports, with `extra` arguments.
	pub fn start_dev(extra: &[&str]) -> Node {
		Node::start_dev_with(&["--tmp"], free_port(), extra)
	}

	/// Starts `mensura-node --dev` with its database in `base` (so that it can be stopped
	/// and started again on the same chain) and RPC on `rpc_port`.
	pub fn start_dev_in(base: &Path, rpc_port: u16, extra: &[&str]) -> Node {
		Node::start_dev_with(
			&["--base-path", base.to_str().expect("a UTF-8 path")],
			rpc_port,
			extra,
		)
	}

	fn start_dev_with(storage: &[&str], rpc_port: u16, extra: &[&str]) -> Node {
		let (p2p_port, prometheus_port) = (free_port(), free_port());
		let mut args: Vec<String> = vec![
			"--dev".into(),
			"--no-telemetry".into(),
			"--no-mdns".into(),
			"--rpc-port".into(),
			rpc_port.to_string(),
			"--port".into(),
			p2p_port.to_string(),
			"--prometheus-port".into(),
			prometheus_port.to_string(),
		];
		args.extend(storage.iter().map(|a| a.to_string()));
		args.extend(extra.iter().map(|a| a.to_string()));
		let mut child = node_command()
			.args(&args)
			.stdin(Stdio::null())
			.stdout(Stdio::null())
			.stderr(Stdio::piped())
			.spawn()
			.expect("the node binary starts");

		// Keep the log: it is printed when a test fails.
		let log = Arc::new(Mutex::new(Vec::new()));
		let stderr = child.stderr.take().unwrap();
		let sink = log.clone();
		thread::spawn(move || {
			for line in BufReader::new(stderr).lines().map_while(Result::ok) {
				sink.lock().unwrap().push(line);
			}
		});
		Node { child: Some(child), rpc_port, p2p_port, prometheus_port, log, rpc: Mutex::new(None) }
	}

	/// The process id of the node.
	pub fn pid(&self) -> u32 {
		self.child.as_ref().expect("node is running").id()
	}

	/// The node's log so far.
	pub fn log(&self) -> String {
		self.log.lock().unwrap().join("\n")
	}

	/// Calls a JSON-RPC method and returns its `result`, or the `error` object as `Err`.
	pub fn rpc(
		&self,
		method: &str,
		params: serde_json::Value,
	) -> Result<serde_json::Value, String> {
		let mut rpc = self.rpc.lock().unwrap();
		if rpc.as_ref().is_none_or(|r| !r.client.is_connected()) {
			*rpc = Some(Rpc::connect(self.rpc_port)?);
		}
		rpc.as_ref().expect("connected above").call(method, params)
	}

	/// Waits until `check` returns `Some`, polling every half second.
	pub fn wait_for<T>(
		&mut self,
		what: &str,
		timeout: Duration,
		mut check: impl FnMut(&Node) -> Option<T>,
	) -> T {
		let started = Instant::now();
		loop {
			if let Some(value) = check(self) {
				return value;
			}
			if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
				panic!("the node exited ({status}) while waiting for {what}; log:\n{}", self.log());
			}
			if started.elapsed() > timeout {
				panic!("timed out after {timeout:?} waiting for {what}; log:\n{}", self.log());
			}
			thread::sleep(Duration::from_millis(500));
		}
	}

	/// The number of the best (`finalized = false`) or finalized block.
	pub fn block_number(&self, finalized: bool) -> Option<u64> {
		let header = if finalized {
			let hash = self.rpc("chain_getFinalizedHead", serde_json::json!([])).ok()?;
			self.rpc("chain_getHeader", serde_json::json!([hash])).ok()?
		} else {
			self.rpc("chain_getHeader", serde_json::json!([])).ok()?
		};
		let number = header["number"].as_str()?;
		u64::from_str_radix(number.trim_start_matches("0x"), 16).ok()
	}

	/// Stops the node as an operator would (SIGTERM) and returns how it exited.
	pub fn stop(mut self) -> ExitStatus {
		let mut child = self.child.take().expect("node is running");
		// SAFETY: plain kill(2) on our own child's pid.
		unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
		let started = Instant::now();
		loop {
			if let Some(status) = child.try_wait().unwrap() {
				return status;
			}
			if started.elapsed() > Duration::from_secs(30) {
				let _ = child.kill();
				let status = child.wait().unwrap();
				panic!("the node ignored SIGTERM for 30 s and was killed ({status})");
			}
			thread::sleep(Duration::from_millis(100));
		}
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}
}

/// Whether a process with this pid exists (a reaped child does not).
pub fn process_exists(pid: u32) -> bool {
	// SAFETY: signal 0 only checks for existence.
	unsafe { libc::kill(pid as i32, 0) == 0 }
}

/// The exit code, or the signal that ended the process.
pub fn describe(status: ExitStatus) -> String {
	match (status.code(), status.signal()) {
		(Some(code), _) => format!("exit code {code}"),
		(None, Some(signal)) => format!("signal {signal}"),
		_ => "unknown".into(),
	}
}

/// A blocking JSON-RPC client of one node: jsonrpsee's WebSocket client on a runtime of
/// its own.
pub struct Rpc {
	runtime: tokio::runtime::Runtime,
	client: WsClient,
}

impl Rpc {
	/// Connects to the node's RPC port.
	pub fn connect(port: u16) -> Result<Rpc, String> {
		let runtime = tokio::runtime::Builder::new_current_thread()
			.enable_all()
			.build()
			.map_err(|e| e.to_string())?;
		let client = runtime
			.block_on(
				WsClientBuilder::default()
					.max_response_size(64 * 1024 * 1024)
					.build(format!("ws://127.0.0.1:{port}")),
			)
			.map_err(|e| format!("cannot connect to 127.0.0.1:{port}: {e}"))?;
		Ok(Rpc { runtime, client })
	}

	/// Calls `method` and returns its `result`, or the JSON-RPC error object (as JSON
	/// text) as `Err`; a transport failure is `Err` in words.
	pub fn call(
		&self,
		method: &str,
		params: serde_json::Value,
	) -> Result<serde_json::Value, String> {
		let mut array = ArrayParams::new();
		for param in params.as_array().into_iter().flatten() {
			array.insert(param).map_err(|e| e.to_string())?;
		}
		match self.runtime.block_on(self.client.request(method, array)) {
			Ok(value) => Ok(value),
			Err(ClientError::Call(error)) => Err(serde_json::to_string(&error).unwrap()),
			Err(error) => Err(format!("{method}: {error}")),
		}
	}
}

/// A minimal HTTP/1.1 request; returns the body of a 200 response.
pub fn http_request(
	port: u16,
	method: &str,
	path: &str,
	body: Option<&str>,
) -> std::io::Result<String> {
	let (status, line, body) = http_exchange(port, method, path, body)?;
	if status != 200 {
		return Err(std::io::Error::other(format!("HTTP error: {line}")));
	}
	Ok(body)
}

/// A minimal HTTP/1.1 request; returns the status code, the status line and the body,
/// whatever the status.
pub fn http_exchange(
	port: u16,
	method: &str,
	path: &str,
	body: Option<&str>,
) -> std::io::Result<(u16, String, String)> {
	let mut stream = TcpStream::connect(("127.0.0.1", port))?;
	stream.set_read_timeout(Some(Duration::from_secs(10)))?;
	let body = body.unwrap_or("");
	write!(
		stream,
		"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	)?;
	let mut response = String::new();
	stream.read_to_string(&mut response)?;
	let (head, body) = response
		.split_once("\r\n\r\n")
		.ok_or_else(|| std::io::Error::other("malformed HTTP response"))?;
	let line = head.lines().next().unwrap_or("").to_string();
	let status = line
		.split(' ')
		.nth(1)
		.and_then(|code| code.parse().ok())
		.ok_or_else(|| std::io::Error::other(format!("malformed status line: {line}")))?;
	let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
		dechunk(body)
	} else {
		body.to_string()
	};
	Ok((status, line, body))
}

fn dechunk(mut body: &str) -> String {
	let mut out = String::new();
	while let Some((size, rest)) = body.split_once("\r\n") {
		let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
		if size == 0 || rest.len() < size {
			break;
		}
		out.push_str(&rest[..size]);
		body = rest[size..].trim_start_matches("\r\n");
	}
	out
}

/// The repository root (the workspace directory: the nearest with a Cargo.lock) of the
/// checkout `cargo test` runs us for, which is not necessarily the one that compiled this
/// binary (checkouts share the build cache).
pub fn repo_root() -> PathBuf {
	let crate_dir = std::env::var("CARGO_MANIFEST_DIR")
		.unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
	Path::new(&crate_dir)
		.ancestors()
		.find(|dir| dir.join("Cargo.lock").exists())
		.expect("the crate is inside the workspace")
		.to_path_buf()
}

/// A running `mensura-indexer` (the workspace's binary, next to the node's) on a free
/// port, its standard error kept for failure messages; killed when dropped, and by the
/// kernel should the test process die (`PR_SET_PDEATHSIG`).
pub struct Indexer {
	child: Option<Child>,
	pub port: u16,
	log: Arc<Mutex<Vec<String>>>,
}

impl Indexer {
	/// Starts it on the node at `node_rpc`, with `database` (`sqlite://…` or
	/// `postgres://…`) and `extra` arguments.
	pub fn start(node_rpc: u16, database: &str, extra: &[&str]) -> Indexer {
		let port = free_port();
		let mut command = Command::new(node_binary().with_file_name("mensura-indexer"));
		command
			.args(["--node", &format!("ws://127.0.0.1:{node_rpc}")])
			.args(["--database", database])
			.args(["--listen", &format!("127.0.0.1:{port}")])
			.args(extra)
			.env_remove("MENSURA_DATABASE")
			.stdin(Stdio::null())
			.stdout(Stdio::null())
			.stderr(Stdio::piped());
		// SAFETY: prctl is async-signal-safe.
		unsafe {
			command.pre_exec(|| {
				libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
				Ok(())
			});
		}
		let mut child =
			command.spawn().expect("mensura-indexer starts (cargo test --workspace builds it)");
		let log = Arc::new(Mutex::new(Vec::new()));
		let sink = log.clone();
		let stderr = child.stderr.take().unwrap();
		thread::spawn(move || {
			for line in BufReader::new(stderr).lines().map_while(Result::ok) {
				sink.lock().unwrap().push(line);
			}
		});
		Indexer { child: Some(child), port, log }
	}

	/// Its standard error so far.
	pub fn log(&self) -> String {
		self.log.lock().unwrap().join("\n")
	}

	/// `GET path`: the status code and the JSON body.
	pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
		let (status, line, body) = http_exchange(self.port, "GET", path, None)
			.unwrap_or_else(|e| panic!("GET {path}: {e}; log:\n{}", self.log()));
		let value = serde_json::from_str(&body)
			.unwrap_or_else(|e| panic!("GET {path} ({line}): {e}: {body}"));
		(status, value)
	}

	pub fn ok(&self, path: &str) -> serde_json::Value {
		let (status, value) = self.get(path);
		assert_eq!(status, 200, "GET {path}: {value}");
		value
	}

	/// Waits until the index reaches block `number`.
	pub fn wait_indexed(&mut self, number: u64, timeout: Duration) {
		let started = Instant::now();
		loop {
			if let Ok((200, _, body)) = http_exchange(self.port, "GET", "/api/status", None) {
				let status: serde_json::Value = serde_json::from_str(&body).unwrap();
				if status["indexed"]["number"].as_u64().is_some_and(|n| n >= number) {
					return;
				}
			}
			if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
				panic!("the indexer exited ({status}) before block {number}; log:\n{}", self.log());
			}
			assert!(
				started.elapsed() < timeout,
				"not indexed to {number} in {timeout:?}; log:\n{}",
				self.log()
			);
			thread::sleep(Duration::from_millis(200));
		}
	}

	/// Its API's base URL.
	pub fn url(&self) -> String {
		format!("http://127.0.0.1:{}", self.port)
	}

	/// Kills it (SIGKILL) and reaps it.
	pub fn kill(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}

	/// Waits for the indexer to exit by itself; its exit code.
	pub fn exit_code(&mut self, timeout: Duration) -> Option<i32> {
		let started = Instant::now();
		let child = self.child.as_mut().unwrap();
		loop {
			if let Some(status) = child.try_wait().unwrap() {
				self.child = None;
				return status.code();
			}
			assert!(started.elapsed() < timeout, "the indexer still runs; log:\n{}", self.log());
			thread::sleep(Duration::from_millis(100));
		}
	}
}

impl Drop for Indexer {
	fn drop(&mut self) {
		self.kill();
	}
}
