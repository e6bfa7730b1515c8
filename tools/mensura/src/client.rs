//! A JSON-RPC client for one Mensura node: jsonrpsee's WebSocket client (the node serves
//! WebSocket and HTTP on one port, so `http://` URLs name the same endpoint), behind a
//! blocking interface, with the node calls the tool needs and subscriptions to new and
//! finalized heads for commands that follow the chain.

use crate::{Error, Result};
use codec::{Decode, Encode};
use jsonrpsee::{
	core::{
		client::{ClientT, Error as ClientError, Subscription, SubscriptionClientT},
		params::ArrayParams,
	},
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::{json, Value};
use std::{fmt::Write as _, sync::Arc, time::Duration};

/// The largest answer the client accepts: a whole block of the largest length, hex
/// encoded, with room to spare.
const MAX_RESPONSE_BYTES: u32 = 64 * 1024 * 1024;

/// A node's JSON-RPC endpoint. Connects on first use, and once more if the connection
/// was lost.
pub struct Client {
	url: String,
	/// The same endpoint as a WebSocket URL.
	ws_url: String,
	runtime: tokio::runtime::Runtime,
	rpc: Option<Arc<WsClient>>,
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

/// Which heads a [`Heads`] subscription follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadKind {
	/// Every new best block (`chain_subscribeNewHeads`).
	Best,
	/// Every newly finalized block (`chain_subscribeFinalizedHeads`).
	Finalized,
}

/// A subscription to block headers; read it with [`Client::latest_head`].
pub struct Heads {
	kind: HeadKind,
	subscription: Subscription<Value>,
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
				 RPC port (e.g. ssh -L 9944:127.0.0.1:9944 host) and use ws://127.0.0.1:9944"
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
		// One worker thread: the connection's reader runs on it all the time, so
		// notifications (new heads) are read from the socket as they come, not only
		// while a call waits; a node whose notifications are not read holds back its
		// answers on that connection.
		let runtime = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(1)
			.enable_all()
			.build()
			.map_err(|e| Error::node(format!("cannot start the client's I/O runtime: {e}")))?;
		Ok(Client {
			url: url.to_string(),
			ws_url: format!("ws://{host}:{port}"),
			runtime,
			rpc: None,
		})
	}

	/// The URL as given.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// Opens the connection if there is none (or it was lost).
	fn connect(&mut self) -> Result<()> {
		if self.rpc.as_ref().is_some_and(|rpc| !rpc.is_connected()) {
			self.rpc = None;
		}
		if self.rpc.is_none() {
			let connect = WsClientBuilder::default()
				.max_response_size(MAX_RESPONSE_BYTES)
				.request_timeout(Duration::from_secs(60))
				.connection_timeout(Duration::from_secs(5))
				.build(&self.ws_url);
			let rpc = self.runtime.block_on(connect).map_err(|e| {
				Error::node(format!(
					"cannot reach a Mensura node at {} ({e}); start one with `scripts/dev-node`, \
					 or point --url (or MENSURA_URL) at a running one",
					self.url
				))
			})?;
			self.rpc = Some(Arc::new(rpc));
		}
		Ok(())
	}

	/// Calls `method`; `Ok(Err(…))` is the node's JSON-RPC error, `Err` a transport
	/// failure (the node unreachable, or lost twice).
	pub fn try_call(
		&mut self,
		method: &str,
		params: Value,
	) -> Result<std::result::Result<Value, RpcError>> {
		let mut array = ArrayParams::new();
		for param in params.as_array().into_iter().flatten() {
			array
				.insert(param)
				.map_err(|e| Error::node(format!("{method}: cannot encode a parameter: {e}")))?;
		}
		self.ask(method, |rpc| {
			let array = array.clone();
			async move { rpc.request::<Value, _>(method, array).await }
		})
	}

	/// Runs `call` on the connection (opened if need be): its answer, the node's JSON-RPC
	/// error as `Ok(Err(…))`, or `Err` for a transport failure (the node unreachable, or
	/// the connection lost twice: once lost, a new one is opened and `call` runs again).
	fn ask<T, F, Fut>(&mut self, method: &str, call: F) -> Result<std::result::Result<T, RpcError>>
	where
		F: Fn(Arc<WsClient>) -> Fut,
		Fut: std::future::Future<Output = std::result::Result<T, ClientError>>,
	{
		let mut lost = None;
		for _ in 0..2 {
			self.connect()?;
			let rpc = self.rpc.clone().expect("connected");
			match self.runtime.block_on(call(rpc)) {
				Ok(value) => return Ok(Ok(value)),
				Err(ClientError::Call(error)) => {
					return Ok(Err(RpcError {
						code: error.code().into(),
						message: error.message().to_string(),
						data: error.data().and_then(|raw| serde_json::from_str(raw.get()).ok()),
					}))
				}
				// The connection went away: open a new one and ask once more.
				Err(error @ (ClientError::RestartNeeded(_) | ClientError::Transport(_))) => {
					self.rpc = None;
					lost = Some(error);
				}
				Err(error) => {
					return Err(Error::node(format!(
						"{} answered badly: {method}: {error}",
						self.url
					)))
				}
			}
		}
		Err(Error::node(format!(
			"lost the connection to the node at {} ({})",
			self.url,
			lost.map(|e| e.to_string()).unwrap_or_default()
		)))
	}

	/// Subscribes to the chain's best or finalized heads.
	pub fn subscribe_heads(&mut self, kind: HeadKind) -> Result<Heads> {
		let (subscribe, unsubscribe) = match kind {
			HeadKind::Best => ("chain_subscribeNewHeads", "chain_unsubscribeNewHeads"),
			HeadKind::Finalized => {
				("chain_subscribeFinalizedHeads", "chain_unsubscribeFinalizedHeads")
			}
		};
		self.connect()?;
		let rpc = self.rpc.as_ref().expect("connected");
		let subscription = self
			.runtime
			.block_on(rpc.subscribe(subscribe, ArrayParams::new(), unsubscribe))
			.map_err(|e| Error::node(format!("{subscribe}: {e}")))?;
		Ok(Heads { kind, subscription })
	}

	/// The highest block number among the headers `heads` delivered: waits up to `wait`
	/// for the first, then takes whatever else has arrived. `None` if none came in time.
	pub fn latest_head(&mut self, heads: &mut Heads, wait: Duration) -> Result<Option<u64>> {
		let kind = heads.kind;
		let ended = || Error::node(format!("the node ended the {kind:?} heads subscription"));
		let header = |item: Option<std::result::Result<Value, serde_json::Error>>| match item {
			None => Err(ended()),
			Some(Err(e)) => Err(Error::node(format!("a {kind:?} head does not decode: {e}"))),
			Some(Ok(header)) => number(&header["number"])
				.ok_or_else(|| Error::node(format!("a {kind:?} head without a number"))),
		};
		let first = self
			.runtime
			.block_on(async { tokio::time::timeout(wait, heads.subscription.next()).await.ok() });
		let Some(first) = first else { return Ok(None) };
		let mut latest = header(first)?;
		// Whatever else is already there, without waiting.
		while let Some(Some(item)) = self.now(heads.subscription.next()) {
			latest = latest.max(header(Some(item))?);
		}
		Ok(Some(latest))
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

	/// The hash of block `number` (hex), or an input error if the node has no such block.
	pub fn block_hash(&mut self, number: u64) -> Result<String> {
		let value = self.call("chain_getBlockHash", json!([number]))?;
		value
			.as_str()
			.map(str::to_string)
			.ok_or_else(|| Error::input(format!("the node at {} has no block {number}", self.url)))
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

	/// The last finalized block's number.
	pub fn finalized_number(&mut self) -> Result<u64> {
		let head = self.call("chain_getFinalizedHead", json!([]))?;
		let header = self.call("chain_getHeader", json!([head]))?;
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

	/// `future`'s output if it is ready at once (polled once, on the client's runtime).
	fn now<F: std::future::Future>(&self, future: F) -> Option<F::Output> {
		self.runtime.block_on(async {
			tokio::select! {
				biased;
				output = future => Some(output),
				_ = std::future::ready(()) => None,
			}
		})
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
		write!(text, "{byte:02x}").expect("writing to a String cannot fail");
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
