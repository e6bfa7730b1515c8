//! The node, as the indexer sees it: a JSON-RPC WebSocket connection (jsonrpsee's
//! client) that subscribes to finalized heads and reads blocks, events and storage at
//! any block hash. Everything read is decoded with the runtime's own types.

use codec::Decode;
use jsonrpsee::{
	core::{
		client::{ClientT, Subscription, SubscriptionClientT},
		params::BatchRequestBuilder,
	},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use mensura_runtime::{Header, RuntimeEvent};
use serde_json::Value;
use sp_core::H256;
use std::time::Duration;

/// The most calls the indexer puts in one JSON-RPC batch: `mensura-node`'s default bound
/// (`RPC_MAX_BATCH_LEN`, `--rpc-max-batch-request-len`), so it works with any node that
/// keeps it.
pub const MAX_BATCH_LEN: usize = 256;

/// What went wrong talking to the node.
#[derive(Debug)]
pub enum ChainError {
	/// The node is unreachable or the connection broke: worth trying again.
	Unreachable(String),
	/// The node answered something the runtime's types cannot decode, or nothing where
	/// a finalized block must have data: it is not a Mensura node of this runtime, or
	/// it is lying.
	BadData(String),
}

impl std::fmt::Display for ChainError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			ChainError::Unreachable(e) => write!(f, "node unreachable: {e}"),
			ChainError::BadData(e) => write!(f, "bad data from the node: {e}"),
		}
	}
}

fn unreachable(error: impl std::fmt::Display) -> ChainError {
	ChainError::Unreachable(error.to_string())
}

/// One event of a block, with where it happened.
#[derive(Clone, Debug)]
pub struct BlockEvent {
	/// Its position among the block's events.
	pub index: u32,
	/// The extrinsic that emitted it; `None` for the block's initialisation and
	/// finalisation.
	pub extrinsic: Option<u32>,
	pub event: RuntimeEvent,
}

/// A finalized block as the indexer stores it.
#[derive(Clone, Debug)]
pub struct Block {
	pub number: u64,
	pub hash: H256,
	pub parent: H256,
	/// `Timestamp::Now` at the block (Unix ms); 0 for the genesis block.
	pub timestamp: u64,
	/// The measuring fees charged from suppliers' deposits up to and including the block
	/// (`Rewards::Ledger::charged`).
	pub fees_charged: u128,
	pub events: Vec<BlockEvent>,
}

/// The connection to a node.
pub struct Chain {
	client: WsClient,
}

/// `0x…` hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
	let mut out = String::with_capacity(2 + bytes.len() * 2);
	out.push_str("0x");
	for b in bytes {
		out.push_str(&format!("{b:02x}"));
	}
	out
}

/// The bytes of `0x…` hex.
pub fn unhex(text: &str) -> Result<Vec<u8>, String> {
	let digits = text.strip_prefix("0x").unwrap_or(text);
	if digits.len() % 2 != 0 {
		return Err(format!("odd-length hex: {text}"));
	}
	(0..digits.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|_| format!("not hex: {text}")))
		.collect()
}

fn hash_of(value: &Value) -> Result<H256, ChainError> {
	let text = value.as_str().ok_or_else(|| ChainError::BadData(format!("not a hash: {value}")))?;
	let bytes = unhex(text).map_err(ChainError::BadData)?;
	if bytes.len() != 32 {
		return Err(ChainError::BadData(format!("not a 32-byte hash: {text}")));
	}
	Ok(H256::from_slice(&bytes))
}

/// Decodes SCALE `bytes` as `T`, all of them.
pub fn decode_all<T: Decode>(bytes: &[u8], what: &str) -> Result<T, ChainError> {
	let mut input = bytes;
	let value = T::decode(&mut input)
		.map_err(|e| ChainError::BadData(format!("{what} does not decode: {e}")))?;
	if !input.is_empty() {
		return Err(ChainError::BadData(format!("{what} has {} bytes left over", input.len())));
	}
	Ok(value)
}

impl Chain {
	/// Connects to `url` (`ws://…`).
	pub async fn connect(url: &str) -> Result<Chain, ChainError> {
		let client = WsClientBuilder::default()
			// A block's events can be large; the node's own limit (15 MiB) decides.
			.max_response_size(64 << 20)
			.request_timeout(Duration::from_secs(60))
			.connection_timeout(Duration::from_secs(10))
			.max_concurrent_requests(1024)
			.build(url)
			.await
			.map_err(unreachable)?;
		Ok(Chain { client })
	}

	/// Whether the connection is still up.
	pub fn is_connected(&self) -> bool {
		self.client.is_connected()
	}

	async fn call(
		&self,
		method: &str,
		params: jsonrpsee::core::params::ArrayParams,
	) -> Result<Value, ChainError> {
		self.client.request::<Value, _>(method, params).await.map_err(|e| match e {
			jsonrpsee::core::ClientError::Call(call) => {
				ChainError::BadData(format!("{method}: {}", call.message()))
			}
			other => unreachable(format!("{method}: {other}")),
		})
	}

	/// The hash of block 0.
	pub async fn genesis_hash(&self) -> Result<H256, ChainError> {
		self.block_hash(0).await?.ok_or_else(|| ChainError::BadData("no block 0".into()))
	}

	/// The hash of block `number` of the node's best chain, if it has one.
	pub async fn block_hash(&self, number: u64) -> Result<Option<H256>, ChainError> {
		let value = self.call("chain_getBlockHash", rpc_params![number]).await?;
		if value.is_null() {
			return Ok(None);
		}
		hash_of(&value).map(Some)
	}

	/// The number of the last finalized block.
	pub async fn finalized_number(&self) -> Result<u64, ChainError> {
		let hash = hash_of(&self.call("chain_getFinalizedHead", rpc_params![]).await?)?;
		Ok(self.header(hash).await?.number.into())
	}

	/// The header of block `hash`.
	pub async fn header(&self, hash: H256) -> Result<Header, ChainError> {
		let value = self.call("chain_getHeader", rpc_params![hash]).await?;
		serde_json::from_value(value).map_err(|e| ChainError::BadData(format!("header: {e}")))
	}

	/// Subscribes to finalized heads: each item is a header, in order (GRANDPA may
	/// finalize several blocks at once: only the last is announced).
	pub async fn finalized_heads(&self) -> Result<Subscription<Header>, ChainError> {
		self.client
			.subscribe(
				"chain_subscribeFinalizedHeads",
				rpc_params![],
				"chain_unsubscribeFinalizedHeads",
			)
			.await
			.map_err(unreachable)
	}

	/// The raw value of storage `key` at block `at`.
	pub async fn storage(&self, key: &[u8], at: H256) -> Result<Option<Vec<u8>>, ChainError> {
		let value = self.call("state_getStorage", rpc_params![hex(key), at]).await?;
		match value.as_str() {
			None => Ok(None),
			Some(text) => unhex(text).map(Some).map_err(ChainError::BadData),
		}
	}

	/// The values of several storage keys at block `at`, in batch requests of at most
	/// [`MAX_BATCH_LEN`] calls.
	pub async fn storages(
		&self,
		keys: &[Vec<u8>],
		at: H256,
	) -> Result<Vec<Option<Vec<u8>>>, ChainError> {
		let mut values = Vec::with_capacity(keys.len());
		for chunk in keys.chunks(MAX_BATCH_LEN) {
			values.extend(self.storages_in_one_batch(chunk, at).await?);
		}
		Ok(values)
	}

	async fn storages_in_one_batch(
		&self,
		keys: &[Vec<u8>],
		at: H256,
	) -> Result<Vec<Option<Vec<u8>>>, ChainError> {
		let mut batch = BatchRequestBuilder::new();
		for key in keys {
			batch
				.insert("state_getStorage", rpc_params![hex(key), at])
				.map_err(|e| ChainError::BadData(e.to_string()))?;
		}
		let response = self.client.batch_request::<Value>(batch).await.map_err(unreachable)?;
		let mut values = Vec::with_capacity(keys.len());
		for entry in response.into_iter() {
			let value = entry
				.map_err(|e| ChainError::BadData(format!("state_getStorage: {}", e.message())))?;
			values.push(match value.as_str() {
				None => None,
				Some(text) => Some(unhex(text).map_err(ChainError::BadData)?),
			});
		}
		Ok(values)
	}

	/// Up to `count` keys under `prefix` at block `at`, after `start`.
	pub async fn keys_paged(
		&self,
		prefix: &[u8],
		count: u32,
		start: Option<Vec<u8>>,
		at: H256,
	) -> Result<Vec<Vec<u8>>, ChainError> {
		let keys = self
			.call("state_getKeysPaged", rpc_params![hex(prefix), count, start.map(|k| hex(&k)), at])
			.await?;
		let keys: Vec<String> = serde_json::from_value(keys)
			.map_err(|e| ChainError::BadData(format!("state_getKeysPaged: {e}")))?;
		keys.iter().map(|k| unhex(k)).collect::<Result<_, _>>().map_err(ChainError::BadData)
	}

	/// Block `number` of the finalized chain: its header, timestamp and events.
	pub async fn block(&self, number: u64) -> Result<Block, ChainError> {
		let hash = self
			.block_hash(number)
			.await?
			.ok_or_else(|| ChainError::BadData(format!("no block {number}")))?;
		let header = self.header(hash).await?;
		if u64::from(header.number) != number {
			return Err(ChainError::BadData(format!(
				"block {hash:?} says it is number {}, not {number}",
				header.number
			)));
		}
		let keys = [
			// `System::Events` is private to frame-system: its key is its prefix.
			frame_support::storage::storage_prefix(b"System", b"Events").to_vec(),
			pallet_timestamp::Now::<mensura_runtime::Runtime>::hashed_key().to_vec(),
			pallet_rewards::Ledger::<mensura_runtime::Runtime>::hashed_key().to_vec(),
		];
		let mut values = self.storages(&keys, hash).await?.into_iter();
		let events = match values.next().flatten() {
			Some(bytes) => decode_all::<Vec<frame_system::EventRecord<RuntimeEvent, H256>>>(
				&bytes,
				"System::Events",
			)?,
			None if number == 0 => Vec::new(),
			None => {
				return Err(ChainError::BadData(format!(
					"block {number} has no events in the node's state: is the node pruning \
					 state (run it with --state-pruning archive-canonical)?"
				)))
			}
		};
		let timestamp = match values.next().flatten() {
			Some(bytes) => decode_all::<u64>(&bytes, "Timestamp::Now")?,
			None => 0,
		};
		let fees_charged = match values.next().flatten() {
			Some(bytes) => {
				decode_all::<pallet_rewards::Totals<u128>>(&bytes, "Rewards::Ledger")?.charged
			}
			None => 0,
		};
		let events = events
			.into_iter()
			.enumerate()
			.map(|(index, record)| BlockEvent {
				index: index as u32,
				extrinsic: match record.phase {
					frame_system::Phase::ApplyExtrinsic(i) => Some(i),
					_ => None,
				},
				event: record.event,
			})
			.collect();
		Ok(Block { number, hash, parent: header.parent_hash, timestamp, fees_charged, events })
	}
}
