//! Chain objects (meters, models, programs, tariffs, contracts, invoices, audit-trail
//! entries) read from a block's state with the runtime's storage types, as rows.

use crate::{
	chain::{decode_all, hex, Chain, ChainError},
	extract::{actor, address, Touched},
	store::{Arg, Row},
};
use mensura_primitives::{
	billing::{band_charge, TariffBand},
	metering::{AuditIndex, AuditSubject, DeviceKey},
};
use mensura_runtime::Runtime;
use serde_json::{json, Value};
use sp_core::H256;

/// A row to upsert into one of the object tables.
#[derive(Clone, Debug)]
pub struct ObjectRow {
	pub table: &'static str,
	pub row: Row,
}

/// The columns of each object table, key first.
pub const METER_COLUMNS: &[&str] = &[
	"id",
	"model",
	"manufacturer",
	"serial",
	"status",
	"supply_point",
	"program",
	"device_key",
	"updated_block",
];
pub const MODEL_COLUMNS: &[&str] = &[
	"id",
	"manufacturer",
	"name",
	"kind",
	"unit",
	"resolution_milli",
	"max_permissible_error_ppm",
	"status",
	"updated_block",
];
pub const PROGRAM_COLUMNS: &[&str] =
	&["hash", "measurer", "version", "status", "approvals", "published_block", "updated_block"];
pub const TARIFF_COLUMNS: &[&str] =
	&["id", "supplier", "name", "bands", "standing_charge", "updated_block"];
pub const CONTRACT_COLUMNS: &[&str] = &[
	"id",
	"meter",
	"supplier",
	"consumer",
	"tariff",
	"payment",
	"utc_offset_minutes",
	"status",
	"updated_block",
];
pub const INVOICE_COLUMNS: &[&str] = &[
	"id",
	"contract",
	"meter",
	"supplier",
	"consumer",
	"tariff",
	"from_ms",
	"to_ms",
	"issued_ms",
	"due_ms",
	"register_from",
	"register_to",
	"measurements",
	"first_index",
	"last_index",
	"energy",
	"standing",
	"amount",
	"credited",
	"paid",
	"status",
	"lines",
	"dispute",
	"issued_block",
	"updated_block",
];
pub const CONSUMER_COLUMNS: &[&str] = &["address", "prepaid", "updated_block"];
pub const AUDIT_COLUMNS: &[&str] = &["subject", "idx", "block", "actor", "change"];

fn int(value: impl TryInto<i64>) -> Arg {
	Arg::Int(value.try_into().unwrap_or(i64::MAX))
}

fn text(value: impl Into<String>) -> Arg {
	Arg::Text(value.into())
}

fn utf8(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

/// `meter:3`, `model:0`, `program:0x…`: an audit subject as the database names it.
pub fn subject_name(subject: &AuditSubject) -> String {
	match subject {
		AuditSubject::Meter(id) => format!("meter:{id}"),
		AuditSubject::Model(id) => format!("model:{id}"),
		AuditSubject::Program(hash) => format!("program:{hash:?}"),
	}
}

fn device_key(key: &DeviceKey) -> String {
	match key {
		DeviceKey::Ed25519(k) => format!("ed25519:{}", hex(k.as_ref())),
		DeviceKey::Sr25519(k) => format!("sr25519:{}", hex(k.as_ref())),
		DeviceKey::Ecdsa(k) => format!("ecdsa:{}", hex(k.as_ref())),
	}
}

/// The storage key of `touched`'s record.
fn key_of(touched: Touched) -> Vec<u8> {
	match touched {
		Touched::Meter(id) => pallet_meters::Meters::<Runtime>::hashed_key_for(id),
		Touched::Model(id) => pallet_meters::Models::<Runtime>::hashed_key_for(id),
		Touched::Program(hash) => pallet_lr_programs::Programs::<Runtime>::hashed_key_for(hash),
		Touched::Tariff(id) => pallet_billing::Tariffs::<Runtime>::hashed_key_for(id),
		Touched::Contract(id) => pallet_billing::Contracts::<Runtime>::hashed_key_for(id),
		Touched::Invoice(id) => pallet_billing::Invoices::<Runtime>::hashed_key_for(id),
		Touched::Consumer(account) => pallet_balances::Holds::<Runtime>::hashed_key_for(
			mensura_runtime::AccountId::from(account),
		),
	}
}

/// The bands of a tariff as JSON.
pub fn bands_json(bands: &[TariffBand<u128>]) -> Value {
	Value::Array(
		bands
			.iter()
			.map(|b| json!({ "fromMinute": b.from_minute, "toMinute": b.to_minute, "price": b.price.to_string() }))
			.collect(),
	)
}

/// Reads the objects `touched` at block `at` (number `block`) and returns their rows; an
/// object that no longer exists (a withdrawn program) is left as the index last saw it.
pub async fn read(
	chain: &Chain,
	at: H256,
	block: u64,
	touched: &[Touched],
) -> Result<Vec<ObjectRow>, ChainError> {
	let keys: Vec<Vec<u8>> = touched.iter().map(|t| key_of(*t)).collect();
	let values = chain.storages(&keys, at).await?;
	let mut rows = Vec::new();
	for (object, value) in touched.iter().zip(values) {
		if let Touched::Consumer(account) = object {
			// No holds at all is a prepaid balance of nothing.
			rows.push(consumer_row(*account, value.as_deref(), block)?);
			continue;
		}
		let Some(bytes) = value else { continue };
		rows.push(match object {
			Touched::Meter(id) => meter_row(*id, &bytes, block)?,
			Touched::Model(id) => model_row(*id, &bytes, block)?,
			Touched::Program(hash) => program_row(*hash, &bytes, block)?,
			Touched::Tariff(id) => tariff_row(*id, &bytes, block)?,
			Touched::Contract(id) => contract_row(*id, &bytes, block)?,
			Touched::Invoice(id) => invoice_row(chain, at, *id, &bytes, block).await?,
			Touched::Consumer(_) => unreachable!("handled above"),
		});
	}
	Ok(rows)
}

/// A consumer's prepaid balance: what billing holds of the account for it
/// (`Balances::Holds`, the reason `Billing::PrepaidBalance`).
pub fn consumer_row(
	account: [u8; 32],
	holds: Option<&[u8]>,
	block: u64,
) -> Result<ObjectRow, ChainError> {
	let prepaid_reason =
		mensura_runtime::RuntimeHoldReason::Billing(pallet_billing::HoldReason::PrepaidBalance);
	let prepaid: u128 = match holds {
		Some(bytes) => decode_all::<
			Vec<frame_support::traits::tokens::IdAmount<mensura_runtime::RuntimeHoldReason, u128>>,
		>(bytes, "an account's holds")?
		.into_iter()
		.filter(|hold| hold.id == prepaid_reason)
		.map(|hold| hold.amount)
		.sum(),
		None => 0,
	};
	Ok(ObjectRow {
		table: "consumers",
		row: vec![
			text(address(&mensura_runtime::AccountId::from(account))),
			text(prepaid.to_string()),
			int(block),
		],
	})
}

/// A meter record's row.
pub fn meter_row(id: u64, bytes: &[u8], block: u64) -> Result<ObjectRow, ChainError> {
	let meter = decode_all::<pallet_meters::MeterOf<Runtime>>(bytes, "a meter")?;
	Ok(ObjectRow {
		table: "meters",
		row: vec![
			int(id),
			int(meter.model),
			text(address(&meter.manufacturer)),
			text(utf8(&meter.serial)),
			text(format!("{:?}", meter.status)),
			Arg::OptText(meter.supply_point.as_ref().map(|s| utf8(s))),
			Arg::OptText(meter.lr_program.map(|p| format!("{p:?}"))),
			text(device_key(&meter.device_key)),
			int(block),
		],
	})
}

/// A meter model's row.
pub fn model_row(id: u32, bytes: &[u8], block: u64) -> Result<ObjectRow, ChainError> {
	let model = decode_all::<pallet_meters::ModelOf<Runtime>>(bytes, "a meter model")?;
	Ok(ObjectRow {
		table: "models",
		row: vec![
			int(id),
			text(address(&model.manufacturer)),
			text(utf8(&model.name)),
			text(format!("{:?}", model.spec.kind)),
			text(model.spec.unit.symbol()),
			int(model.spec.resolution_milli),
			int(model.spec.max_permissible_error.deconstruct()),
			text(format!("{:?}", model.status)),
			int(block),
		],
	})
}

/// An LR program's row.
pub fn program_row(hash: H256, bytes: &[u8], block: u64) -> Result<ObjectRow, ChainError> {
	let program =
		decode_all::<pallet_lr_programs::ProgramRecordOf<Runtime>>(bytes, "an LR program")?;
	let approvals: Vec<String> = program.approvals.iter().map(address).collect();
	Ok(ObjectRow {
		table: "programs",
		row: vec![
			text(format!("{hash:?}")),
			text(address(&program.measurer)),
			text(utf8(&program.version)),
			text(format!("{:?}", program.status)),
			text(json!(approvals).to_string()),
			int(program.published),
			int(block),
		],
	})
}

/// A tariff's row.
pub fn tariff_row(id: u32, bytes: &[u8], block: u64) -> Result<ObjectRow, ChainError> {
	let tariff = decode_all::<pallet_billing::TariffOf<Runtime>>(bytes, "a tariff")?;
	Ok(ObjectRow {
		table: "tariffs",
		row: vec![
			int(id),
			text(address(&tariff.supplier)),
			text(utf8(&tariff.name)),
			text(bands_json(&tariff.bands).to_string()),
			text(tariff.standing_charge.to_string()),
			int(block),
		],
	})
}

/// A supply contract's row.
pub fn contract_row(id: u64, bytes: &[u8], block: u64) -> Result<ObjectRow, ChainError> {
	let contract = decode_all::<pallet_billing::ContractOf<Runtime>>(bytes, "a contract")?;
	Ok(ObjectRow {
		table: "contracts",
		row: vec![
			int(id),
			int(contract.meter),
			text(address(&contract.supplier)),
			text(address(&contract.consumer)),
			int(contract.tariff),
			text(format!("{:?}", contract.payment)),
			int(contract.utc_offset),
			text(format!("{:?}", contract.status)),
			int(block),
		],
	})
}

/// An invoice's row, with its lines priced by its tariff's bands (`band_charge`, the
/// runtime's own pricing) and its dispute.
async fn invoice_row(
	chain: &Chain,
	at: H256,
	id: u64,
	bytes: &[u8],
	block: u64,
) -> Result<ObjectRow, ChainError> {
	let invoice = decode_all::<pallet_billing::InvoiceOf<Runtime>>(bytes, "an invoice")?;
	let keys = [
		pallet_billing::Tariffs::<Runtime>::hashed_key_for(invoice.tariff),
		pallet_billing::Disputes::<Runtime>::hashed_key_for(id),
	];
	let mut values = chain.storages(&keys, at).await?.into_iter();
	let bands = match values.next().flatten() {
		Some(bytes) => {
			decode_all::<pallet_billing::TariffOf<Runtime>>(&bytes, "a tariff")?.bands.into_inner()
		}
		None => Vec::new(),
	};
	let lines: Vec<Value> = invoice
		.quantities
		.iter()
		.enumerate()
		.map(|(i, quantity)| {
			let band = bands.get(i);
			json!({
				"band": i,
				"fromMinute": band.map(|b| b.from_minute),
				"toMinute": band.map(|b| b.to_minute),
				"price": band.map(|b| b.price.to_string()),
				"quantity": quantity.to_string(),
				"charge": band.and_then(|b| band_charge(*quantity, b.price)).map(|c| c.to_string()),
			})
		})
		.collect();
	let dispute = match values.next().flatten() {
		Some(bytes) => {
			let dispute = decode_all::<pallet_billing::DisputeOf<Runtime>>(&bytes, "a dispute")?;
			Some(
				json!({
					"reason": utf8(&dispute.reason),
					"raised": dispute.raised,
					"resolution": dispute.resolution.as_ref().map(|(r, body)| json!({
						"resolution": format!("{r:?}"),
						"body": address(body),
					})),
				})
				.to_string(),
			)
		}
		None => None,
	};
	Ok(ObjectRow {
		table: "invoices",
		row: vec![
			int(id),
			int(invoice.contract),
			int(invoice.meter),
			text(address(&invoice.supplier)),
			text(address(&invoice.consumer)),
			int(invoice.tariff),
			int(invoice.from),
			int(invoice.to),
			int(invoice.issued),
			int(invoice.due),
			text(invoice.register_from.to_string()),
			text(invoice.register_to.to_string()),
			int(invoice.measurements),
			Arg::OptInt(invoice.first.map(|v| v.try_into().unwrap_or(i64::MAX))),
			Arg::OptInt(invoice.last.map(|v| v.try_into().unwrap_or(i64::MAX))),
			text(invoice.energy.to_string()),
			text(invoice.standing.to_string()),
			text(invoice.amount.to_string()),
			text(invoice.credited.to_string()),
			text(invoice.paid.to_string()),
			text(format!("{:?}", invoice.status)),
			text(Value::Array(lines).to_string()),
			Arg::OptText(dispute),
			int(block),
			int(block),
		],
	})
}

/// The length of `subject`'s audit trail at block `at`.
pub async fn audit_length(
	chain: &Chain,
	at: H256,
	subject: &AuditSubject,
) -> Result<AuditIndex, ChainError> {
	let key = pallet_meters::AuditLength::<Runtime>::hashed_key_for(subject);
	match chain.storage(&key, at).await? {
		Some(bytes) => decode_all::<AuditIndex>(&bytes, "an audit length"),
		None => Ok(0),
	}
}

/// Entries `from..to` of `subject`'s audit trail, read at block `at`.
pub async fn audit_entries(
	chain: &Chain,
	at: H256,
	subject: &AuditSubject,
	from: AuditIndex,
	to: AuditIndex,
) -> Result<Vec<Row>, ChainError> {
	let keys: Vec<Vec<u8>> = (from..to)
		.map(|i| pallet_meters::AuditLog::<Runtime>::hashed_key_for(subject, i))
		.collect();
	let values = chain.storages(&keys, at).await?;
	let mut rows = Vec::new();
	for (i, value) in (from..to).zip(values) {
		let bytes = value.ok_or_else(|| {
			ChainError::BadData(format!("audit entry {i} of {} is missing", subject_name(subject)))
		})?;
		rows.push(audit_row(subject, i, &bytes)?);
	}
	Ok(rows)
}

/// An audit-trail entry's row.
pub fn audit_row(
	subject: &AuditSubject,
	index: AuditIndex,
	bytes: &[u8],
) -> Result<Row, ChainError> {
	let entry = decode_all::<
		mensura_primitives::metering::AuditEntry<
			mensura_runtime::AccountId,
			mensura_runtime::BlockNumber,
		>,
	>(bytes, "an audit entry")?;
	let actor = match actor(&entry.actor) {
		Value::String(s) => s,
		other => other.to_string(),
	};
	Ok(vec![
		text(subject_name(subject)),
		int(index),
		int(entry.block),
		text(actor),
		text(mensura_primitives::display::describe_change(&entry.change)),
	])
}
