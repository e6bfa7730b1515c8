//! Mensura's own JSON-RPC methods, `mensura_*`.
//!
//! The runtime APIs (`api.call.metersApi`, `readingsApi`, `lrProgramsApi`) answer in SCALE
//! and one page at a time. These methods serve scripts, dashboards and the `mensura`
//! command-line tool in plain JSON instead:
//!
//! - one call gives a meter with its model, program and reading state
//!   ([`MensuraApiServer::meter`]);
//! - pages of up to [`MAX_PAGE`] meters come with a `next` cursor, all read at one block
//!   so that a page never mixes two states;
//! - quantities and balances are decimal strings (they exceed JavaScript's safe
//!   integers), hashes are `0x` hex, accounts are SS58 addresses.
//!
//! Every method takes an optional block hash `at`; without it, the best block is read.
//! Limits are enforced with JSON-RPC error `-32602` (invalid params) and a message that
//! names the limit; the other errors are listed in [`error`].
//!
//! They answer from state, which keeps no measurement: a meter's measurements and its
//! consumption over a period are `mensura-indexer`'s (`/api/meters/{id}/measurements`,
//! `/api/meters/{id}/consumption`; docs/indexer.md). Runtimes up to 109 kept each meter's
//! latest 96 and nodes served them as `mensura_measurements` and `mensura_consumption`.

use std::{marker::PhantomData, sync::Arc};

use jsonrpsee::{
	core::{async_trait, RpcResult},
	proc_macros::rpc,
	types::ErrorObjectOwned,
};
use mensura_primitives::{
	metering::{DeviceKey, MeterId, ProgramHash},
	readings::{MeasurementIndex, UnixMillis},
	SS58_PREFIX,
};
use mensura_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Runtime};
use pallet_lr_programs_runtime_api::LrProgramsApi;
use pallet_meters_runtime_api::MetersApi;
use pallet_readings_runtime_api::ReadingsApi;
use serde::{Deserialize, Serialize};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::Ss58Codec, H256};

/// The most meters one call returns.
pub const MAX_PAGE: u32 = 1000;

/// The page size when the caller gives none.
pub const DEFAULT_PAGE: u32 = 100;

/// The error codes of `mensura_*` methods.
pub mod error {
	use super::*;

	/// Invalid parameters (the JSON-RPC standard code): a limit out of `1..=`[`MAX_PAGE`].
	pub const INVALID_PARAMS: i32 = -32602;
	/// A runtime API call failed (e.g. the block `at` is unknown or pruned).
	pub const RUNTIME: i32 = 9001;

	pub(crate) fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
		ErrorObjectOwned::owned(INVALID_PARAMS, message.into(), None::<()>)
	}

	pub(crate) fn runtime(what: &str, error: impl std::fmt::Display) -> ErrorObjectOwned {
		ErrorObjectOwned::owned(RUNTIME, format!("{what} failed: {error}"), None::<()>)
	}
}

/// A meter as `mensura_meter` and `mensura_meters` give it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterInfo {
	pub id: MeterId,
	pub model: u32,
	/// The model's register unit (`Wh`, `m3`, …); `null` if the model is gone.
	pub unit: Option<String>,
	/// The model's register step, in thousandths of the unit.
	pub resolution_milli: Option<u32>,
	/// The shortest interval one of its frames may cover, in milliseconds (the model's).
	pub min_interval_ms: Option<u64>,
	/// The longest interval one of its frames may cover, in milliseconds (the model's).
	pub max_interval_ms: Option<u64>,
	/// SS58 address.
	pub manufacturer: String,
	pub serial: String,
	/// `Provisioned`, `Active`, `Suspended` or `Revoked`.
	pub status: String,
	pub supply_point: Option<String>,
	/// `sr25519`, `ed25519` or `ecdsa`.
	pub key_scheme: String,
	/// The device public key, hex.
	pub device_key: String,
	pub lr_program: Option<ProgramInfo>,
	/// The held deposit, in the smallest token unit.
	pub deposit: String,
	/// The cumulative register, in thousandths of `unit`.
	pub register: String,
	/// How many measurements the meter has (the next index).
	pub measurements: MeasurementIndex,
	pub last_sequence: Option<u64>,
	pub last_end: UnixMillis,
	/// When it was verified: its frames may not start earlier (zero for the genesis
	/// block's meters).
	pub measuring_since: UnixMillis,
	pub missed_frames: u64,
	pub chain_head: H256,
}

/// The LR program bound to a meter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgramInfo {
	pub hash: ProgramHash,
	pub version: String,
	/// SS58 address of the measurer paid for its measurements.
	pub measurer: String,
	/// `Proposed`, `Approved` or `Deprecated`.
	pub status: String,
}

/// A page of meters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterPage {
	/// The block read.
	pub at: H256,
	pub meters: Vec<MeterInfo>,
	/// The `from` of the next page; `null` after the last.
	pub next: Option<MeterId>,
}

/// Mensura's JSON-RPC methods.
#[rpc(server)]
pub trait MensuraApi<BlockHash> {
	/// A meter with its model's unit, its LR program and its reading state; `null` for
	/// an unknown id.
	#[method(name = "mensura_meter")]
	fn meter(&self, meter: MeterId, at: Option<BlockHash>) -> RpcResult<Option<MeterInfo>>;

	/// Up to `limit` (default 100, at most 1000) meters from id `from` on.
	#[method(name = "mensura_meters")]
	fn meters(
		&self,
		from: Option<MeterId>,
		limit: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<MeterPage>;
}

/// The implementation, over the node's client.
pub struct Mensura<C> {
	client: Arc<C>,
	_block: PhantomData<Block>,
}

impl<C> Mensura<C> {
	pub fn new(client: Arc<C>) -> Self {
		Self { client, _block: PhantomData }
	}
}

type Hash = <Block as sp_runtime::traits::Block>::Hash;
type Name = pallet_meters::NameOf<Runtime>;
type Serial = pallet_meters::SerialOf<Runtime>;
type Program = pallet_lr_programs::ProgramRecordOf<Runtime>;

fn address(account: &AccountId) -> String {
	account.to_ss58check_with_version(SS58_PREFIX.into())
}

fn text(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

fn page_limit(limit: Option<u32>) -> Result<u32, ErrorObjectOwned> {
	match limit.unwrap_or(DEFAULT_PAGE) {
		0 => Err(error::invalid_params("limit must be at least 1")),
		limit if limit > MAX_PAGE => {
			Err(error::invalid_params(format!("limit {limit} exceeds the maximum of {MAX_PAGE}")))
		}
		limit => Ok(limit),
	}
}

impl<C> Mensura<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: MetersApi<Block, AccountId, Balance, BlockNumber, Name, Serial>
		+ ReadingsApi<Block, AccountId>
		+ LrProgramsApi<Block, Program>,
{
	fn at(&self, at: Option<Hash>) -> Hash {
		at.unwrap_or_else(|| self.client.info().best_hash)
	}

	fn meter_info(
		&self,
		at: Hash,
		id: MeterId,
		meter: pallet_meters::MeterOf<Runtime>,
	) -> RpcResult<MeterInfo> {
		let api = self.client.runtime_api();
		let model = api.model(at, meter.model).map_err(|e| error::runtime("MetersApi_model", e))?;
		let reading = api.reading(at, id).map_err(|e| error::runtime("ReadingsApi_reading", e))?;
		let program = match meter.lr_program {
			Some(hash) => api
				.program(at, hash)
				.map_err(|e| error::runtime("LrProgramsApi_program", e))?
				.map(|record| ProgramInfo {
					hash,
					version: text(&record.version),
					measurer: address(&record.measurer),
					status: format!("{:?}", record.status),
				}),
			None => None,
		};
		let (key_scheme, device_key) = match &meter.device_key {
			DeviceKey::Ed25519(key) => ("ed25519", key.0.to_vec()),
			DeviceKey::Sr25519(key) => ("sr25519", key.0.to_vec()),
			DeviceKey::Ecdsa(key) => ("ecdsa", key.0.to_vec()),
		};
		Ok(MeterInfo {
			id,
			model: meter.model,
			unit: model.as_ref().map(|m| m.spec.unit.symbol().to_string()),
			resolution_milli: model.as_ref().map(|m| m.spec.resolution_milli),
			min_interval_ms: model.as_ref().map(|m| m.spec.min_interval_ms),
			max_interval_ms: model.as_ref().map(|m| m.spec.max_interval_ms),
			manufacturer: address(&meter.manufacturer),
			serial: text(&meter.serial),
			status: format!("{:?}", meter.status),
			supply_point: meter.supply_point.as_ref().map(|point| text(point)),
			key_scheme: key_scheme.into(),
			device_key: format!("0x{}", hex(&device_key)),
			lr_program: program,
			deposit: meter.deposit.to_string(),
			register: reading.register.to_string(),
			measurements: reading.measurements,
			last_sequence: reading.last_sequence,
			last_end: reading.last_end,
			measuring_since: reading.measuring_since,
			missed_frames: reading.missed_frames,
			chain_head: reading.chain_head,
		})
	}
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait]
impl<C> MensuraApiServer<Hash> for Mensura<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: MetersApi<Block, AccountId, Balance, BlockNumber, Name, Serial>
		+ ReadingsApi<Block, AccountId>
		+ LrProgramsApi<Block, Program>,
{
	fn meter(&self, meter: MeterId, at: Option<Hash>) -> RpcResult<Option<MeterInfo>> {
		let at = self.at(at);
		let record = self
			.client
			.runtime_api()
			.meter(at, meter)
			.map_err(|e| error::runtime("MetersApi_meter", e))?;
		record.map(|record| self.meter_info(at, meter, record)).transpose()
	}

	fn meters(
		&self,
		from: Option<MeterId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<MeterPage> {
		let limit = page_limit(limit)?;
		let at = self.at(at);
		let api = self.client.runtime_api();
		let mut meters = Vec::new();
		let mut cursor = from.unwrap_or(0);
		let mut exhausted = false;
		while meters.len() < limit as usize {
			let want = (limit as usize - meters.len())
				.min(pallet_meters_runtime_api::MAX_METER_PAGE as usize) as u32;
			let page =
				api.meters(at, cursor, want).map_err(|e| error::runtime("MetersApi_meters", e))?;
			let got = page.len();
			for (id, record) in page {
				cursor = id.saturating_add(1);
				meters.push(self.meter_info(at, id, record)?);
			}
			if got < want as usize {
				exhausted = true;
				break;
			}
		}
		Ok(MeterPage { at, meters, next: (!exhausted).then_some(cursor) })
	}
}
