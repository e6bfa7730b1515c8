//! A JSON-RPC client for one Mensura node over HTTP/1.1 (the node serves HTTP and
//! WebSocket on the same port, so `ws://` URLs work too), with one kept-alive
//! connection, and the node calls the tool needs; the same connection handling serves
//! `GET`s of the indexer's HTTP API ([`Client::indexer`]).

use crate::{Error, Result};
use codec::{Decode, Encode};
use serde_json::{json, Value};
use std::{
	io::{BufRead, BufReader, Read, Write},
	net::{TcpStream, ToSocketAddrs},
	time::Duration,
};

/// A node's JSON-RPC endpoint.
pub struct Client {
	url: String,
	host: String,
	port: u16,
	connection: Option<BufReader<TcpStream>>,
	next_id: u64,
	/// What serves `url`: "a Mensura node" or "a Mensura indexer" (for error messages).
	service: &'static str,
}

/// A JSON-RPC error object the node answered with.
#[derive(Debug, Clone)]
pub struct RpcError {
	pub code: i64,
	pub message: String,
	pub data: Option<Value>,
}

impl std::fmt::Display for RpcError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{} (JSON-RPC error {})", self.message, self.code)?;
		if let Some(data) = &self.data {
			write!(
				f,
				": {}",
				data.as_str().map(str::to_string).unwrap_or_else(|| data.to_string())
			)?;
		}
		Ok(())
	}
}

impl Client {
	/// A client for `url`: `http://host:port` or `ws://host:port` (port 9944 if none).
	pub fn new(url: &str) -> Result<Client> {
		let rest = if let Some(rest) = url.strip_prefix("http://") {
			rest
		} else if let Some(rest) = url.strip_prefix("ws://") {
			rest
		} else if url.starts_with("https://") || url.starts_with("wss://") {
			return Err(Error::usage(format!(
				"{url}: TLS endpoints are not supported; run a node locally or tunnel its \
				 RPC port (e.g. ssh -L 9944:127.0.0.1:9944 host) and use http://127.0.0.1:9944"
			)));
		} else {
			return Err(Error::usage(format!(
				"{url}: not a node URL; expected http://host:port or ws://host:port"
			)));
		};
		let authority = rest.split('/').next().unwrap_or_default();
		let (host, port) = match authority.rsplit_once(':') {
			Some((host, port)) => (
				host.to_string(),
				port.parse::<u16>()
					.map_err(|_| Error::usage(format!("{url}: `{port}` is not a port number")))?,
			),
			None => (authority.to_string(), 9944),
		};
		if host.is_empty() {
			return Err(Error::usage(format!("{url}: no host")));
		}
		Ok(Client {
			url: url.to_string(),
			host,
			port,
			connection: None,
			next_id: 1,
			service: "a Mensura node",
		})
	}

	/// A client for the HTTP API of `mensura-indexer` at `url` (`http://host:port`).
	pub fn indexer(url: &str) -> Result<Client> {
		if !url.starts_with("http://") {
			return Err(Error::usage(format!(
				"{url}: not an indexer URL; expected http://host:port (e.g. http://127.0.0.1:9955)"
			)));
		}
		Ok(Client { service: "a Mensura indexer", ..Client::new(url)? })
	}

	/// The URL as given.
	pub fn url(&self) -> &str {
		&self.url
	}

	fn connect(&self) -> Result<BufReader<TcpStream>> {
		let unreachable = |reason: String| {
			Error::node(format!(
				"cannot reach {} at {} ({reason}); start one with `scripts/dev-node`, \
				 or point {} at a running one",
				self.service,
				self.url,
				if self.service == "a Mensura node" {
					"--url (or MENSURA_URL)"
				} else {
					"--indexer (or MENSURA_INDEXER)"
				}
			))
		};
		let address = (self.host.as_str(), self.port)
			.to_socket_addrs()
			.map_err(|e| unreachable(e.to_string()))?
			.next()
			.ok_or_else(|| unreachable("the host name has no address".into()))?;
		let stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
			.map_err(|e| unreachable(e.to_string()))?;
		stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
		stream.set_nodelay(true).ok();
		Ok(BufReader::new(stream))
	}

	/// One HTTP exchange on the kept-alive connection: the status code and the body.
	fn exchange(&mut self, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
		let connection = match self.connection.as_mut() {
			Some(connection) => connection,
			None => {
				return Err(std::io::Error::new(std::io::ErrorKind::NotConnected, "no connection"))
			}
		};
		write!(
			connection.get_mut(),
			"{method} {path} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\n\
			 Content-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
			self.host,
			self.port,
			body.len()
		)?;
		let mut status = String::new();
		if connection.read_line(&mut status)? == 0 {
			return Err(std::io::Error::new(
				std::io::ErrorKind::UnexpectedEof,
				"connection closed",
			));
		}
		let mut length = None;
		let mut chunked = false;
		let mut close = false;
		loop {
			let mut line = String::new();
			connection.read_line(&mut line)?;
			let line = line.trim_end();
			if line.is_empty() {
				break;
			}
			let lower = line.to_ascii_lowercase();
			if let Some(value) = lower.strip_prefix("content-length:") {
				length = value.trim().parse::<usize>().ok();
			} else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
				chunked = true;
			} else if lower.starts_with("connection:") && lower.contains("close") {
				close = true;
			}
		}
		let mut bytes = Vec::new();
		if chunked {
			loop {
				let mut size = String::new();
				connection.read_line(&mut size)?;
				let size = usize::from_str_radix(size.trim(), 16)
					.map_err(|_| std::io::Error::other("bad chunk size"))?;
				let mut chunk = vec![0; size + 2];
				connection.read_exact(&mut chunk)?;
				if size == 0 {
					break;
				}
				bytes.extend_from_slice(&chunk[..size]);
			}
		} else if let Some(length) = length {
			bytes.resize(length, 0);
			connection.read_exact(&mut bytes)?;
		} else {
			connection.read_to_end(&mut bytes)?;
			close = true;
		}
		if close {
			self.connection = None;
		}
		let code = status.split_whitespace().nth(1).and_then(|c| c.parse().ok());
		let body = String::from_utf8_lossy(&bytes).into_owned();
		match code {
			Some(code) => Ok((code, body)),
			None => Err(std::io::Error::other(format!("bad HTTP status line: {}", status.trim()))),
		}
	}

	/// One request, on the kept-alive connection or a new one (a kept-alive connection
	/// the server closed is reopened once): the status code and the body.
	fn send(&mut self, method: &str, path: &str, body: &str) -> Result<(u16, String)> {
		let mut attempt = 0;
		loop {
			if self.connection.is_none() {
				self.connection = Some(self.connect()?);
			}
			match self.exchange(method, path, body) {
				Ok(answer) => return Ok(answer),
				Err(error) if attempt == 0 && error.kind() != std::io::ErrorKind::Other => {
					self.connection = None;
					attempt += 1;
				}
				Err(error) => {
					self.connection = None;
					return Err(Error::node(format!("{} answered badly: {error}", self.url)));
				}
			}
		}
	}

	/// `GET path` of an HTTP JSON API (the indexer's): the status code and the JSON body.
	pub fn get_json(&mut self, path: &str) -> Result<(u16, Value)> {
		let (code, text) = self.send("GET", path, "")?;
		let value = serde_json::from_str(&text).map_err(|e| {
			Error::node(format!("{} answered GET {path} with invalid JSON ({e})", self.url))
		})?;
		Ok((code, value))
	}

	/// Calls `method`; `Ok(Err(…))` is the node's JSON-RPC error, `Err` a transport
	/// failure (node unreachable).
	pub fn try_call(
		&mut self,
		method: &str,
		params: Value,
	) -> Result<std::result::Result<Value, RpcError>> {
		let id = self.next_id;
		self.next_id += 1;
		let body =
			json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
		let text = match self.send("POST", "/", &body)? {
			(200, text) => text,
			(code, text) => {
				return Err(Error::node(format!(
					"{} answered badly: HTTP {code}: {}",
					self.url,
					text.trim()
				)))
			}
		};
		let value: Value = serde_json::from_str(&text)
			.map_err(|e| Error::node(format!("{} answered with invalid JSON ({e})", self.url)))?;
		if let Some(error) = value.get("error") {
			return Ok(Err(RpcError {
				code: error["code"].as_i64().unwrap_or(0),
				message: error["message"].as_str().unwrap_or("").to_string(),
				data: error.get("data").cloned().filter(|d| !d.is_null()),
			}));
		}
		Ok(Ok(value.get("result").cloned().unwrap_or(Value::Null)))
	}

	/// Calls `method`; a JSON-RPC error becomes an `Error` naming the method.
	pub fn call(&mut self, method: &str, params: Value) -> Result<Value> {
		self.try_call(method, params)?.map_err(|error| {
			if error.code == -32601 {
				Error::node(format!(
					"{} does not serve `{method}`: is it a Mensura node of this version?",
					self.url
				))
			} else {
				Error::node(format!("{method}: {error}"))
			}
		})
	}

	/// Calls `method` and decodes its JSON result.
	pub fn call_as<T: serde::de::DeserializeOwned>(
		&mut self,
		method: &str,
		params: Value,
	) -> Result<T> {
		let value = self.call(method, params)?;
		serde_json::from_value(value)
			.map_err(|e| Error::node(format!("{method}: unexpected answer ({e})")))
	}

	/// Calls the runtime API function `function` (e.g. `ReadingsApi_reading`) with SCALE
	/// arguments, at the best block, and decodes its SCALE result.
	pub fn runtime_call<T: Decode>(&mut self, function: &str, args: impl Encode) -> Result<T> {
		let result = self.call("state_call", json!([function, hex(&args.encode())]))?;
		let bytes = unhex(result.as_str().unwrap_or_default())
			.map_err(|e| Error::node(format!("{function}: {e}")))?;
		T::decode(&mut &bytes[..]).map_err(|e| {
			Error::node(format!(
				"{function}: cannot decode the answer ({e}); is the node's runtime this \
				 tool's version?"
			))
		})
	}

	/// Calls the runtime API function `function` at the block with hash `at` (hex).
	pub fn runtime_call_at<T: Decode>(
		&mut self,
		function: &str,
		args: impl Encode,
		at: &str,
	) -> Result<T> {
		let result = self.call("state_call", json!([function, hex(&args.encode()), at]))?;
		let bytes = unhex(result.as_str().unwrap_or_default())
			.map_err(|e| Error::node(format!("{function}: {e}")))?;
		T::decode(&mut &bytes[..]).map_err(|e| {
			Error::node(format!(
				"{function} at {at}: cannot decode the answer ({e}); is the node's runtime this \
				 tool's version?"
			))
		})
	}

	/// The raw value of storage `key` at the block with hash `at`; `None` if empty.
	pub fn storage_at(&mut self, key: &[u8], at: &str) -> Result<Option<Vec<u8>>> {
		let value = self.call("state_getStorage", json!([hex(key), at]))?;
		match value.as_str() {
			None => Ok(None),
			Some(text) => {
				unhex(text).map(Some).map_err(|e| Error::node(format!("state_getStorage: {e}")))
			}
		}
	}

	/// The genesis hash: what frames are signed for.
	pub fn genesis_hash(&mut self) -> Result<[u8; 32]> {
		let value = self.call("chain_getBlockHash", json!([0]))?;
		let bytes = unhex(value.as_str().unwrap_or_default())
			.map_err(|e| Error::node(format!("chain_getBlockHash: {e}")))?;
		bytes.try_into().map_err(|_| Error::node("chain_getBlockHash: not a 32-byte hash"))
	}

	/// The best block's number.
	pub fn best_number(&mut self) -> Result<u64> {
		let header = self.call("chain_getHeader", json!([]))?;
		number(&header["number"]).ok_or_else(|| Error::node("chain_getHeader: no block number"))
	}

	/// The runtime's `(spec_version, transaction_version)`.
	pub fn runtime_version(&mut self) -> Result<(u32, u32)> {
		let version = self.call("state_getRuntimeVersion", json!([]))?;
		match (version["specVersion"].as_u64(), version["transactionVersion"].as_u64()) {
			(Some(spec), Some(tx)) => Ok((spec as u32, tx as u32)),
			_ => Err(Error::node("state_getRuntimeVersion: unexpected answer")),
		}
	}

	/// The next nonce of `account` (SS58), counting transactions in the pool.
	pub fn next_nonce(&mut self, account: &str) -> Result<u32> {
		let value = self.call("system_accountNextIndex", json!([account]))?;
		value
			.as_u64()
			.map(|n| n as u32)
			.ok_or_else(|| Error::node("system_accountNextIndex: not a number"))
	}

	/// Submits an encoded extrinsic: its hash, or the pool's refusal.
	pub fn submit(&mut self, extrinsic: &[u8]) -> Result<std::result::Result<String, RpcError>> {
		Ok(self
			.try_call("author_submitExtrinsic", json!([hex(extrinsic)]))?
			.map(|hash| hash.as_str().unwrap_or_default().to_string()))
	}
}

/// A JSON number or `0x` hex string as a number.
pub fn number(value: &Value) -> Option<u64> {
	match value {
		Value::Number(n) => n.as_u64(),
		Value::String(s) => match s.strip_prefix("0x") {
			Some(hex) => u64::from_str_radix(hex, 16).ok(),
			None => s.parse().ok(),
		},
		_ => None,
	}
}

/// `0x`-prefixed lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
	let mut text = String::with_capacity(2 + 2 * bytes.len());
	text.push_str("0x");
	for byte in bytes {
		text.push_str(&format!("{byte:02x}"));
	}
	text
}

/// Hex, with or without `0x`, to bytes.
pub fn unhex(text: &str) -> std::result::Result<Vec<u8>, String> {
	let text = text.trim();
	let text = text.strip_prefix("0x").unwrap_or(text);
	if text.len() % 2 != 0 {
		return Err("odd number of hex digits".into());
	}
	(0..text.len())
		.step_by(2)
		.map(|i| {
			u8::from_str_radix(&text[i..i + 2], 16)
				.map_err(|_| format!("`{}` is not hex", &text[i..i + 2]))
		})
		.collect()
}
