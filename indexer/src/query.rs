//! The questions the HTTP API answers, as functions over the database. Every answer
//! names the block it is indexed up to (`indexed`), and reads nothing beyond it, so an
//! answer never mixes two heights.

use crate::store::{text_at, Store};
use mensura_primitives::billing::{band_of, TariffBand};
use serde_json::{json, Value};
use sqlx::{any::AnyRow, Row};
use std::collections::BTreeMap;

/// Why a question has no answer.
#[derive(Debug, PartialEq)]
pub enum QueryError {
	/// It names something the index does not have (HTTP 404).
	NotFound(String),
	/// The database failed (HTTP 500).
	Database(String),
}

fn db(what: &'static str) -> impl Fn(sqlx::Error) -> QueryError {
	move |e| QueryError::Database(format!("{what}: {e}"))
}

/// The most rows one page holds.
pub const MAX_LIMIT: u32 = 1000;

/// The indexed height: `{ number, hash, timestamp }`, or `null` before the first block.
pub async fn indexed(store: &Store) -> Result<Value, QueryError> {
	let row =
		sqlx::query("SELECT number, hash, timestamp_ms FROM blocks ORDER BY number DESC LIMIT 1")
			.fetch_optional(store.pool())
			.await
			.map_err(db("indexed height"))?;
	Ok(match row {
		Some(r) => {
			json!({ "number": r.get::<i64, _>(0), "hash": text_at(&r, 1), "timestamp": r.get::<i64, _>(2) })
		}
		None => Value::Null,
	})
}

/// The height answers are bounded by: the indexed block's number, or -1 before any.
fn bound(indexed: &Value) -> i64 {
	indexed["number"].as_i64().unwrap_or(-1)
}

fn quantity(text: &str) -> u128 {
	text.parse().unwrap_or(0)
}

fn opt_i64(row: &AnyRow, i: usize) -> Option<i64> {
	row.try_get::<Option<i64>, _>(i).ok().flatten()
}

fn opt_text(row: &AnyRow, i: usize) -> Option<String> {
	row.try_get::<Option<String>, _>(i).ok().flatten()
}

fn parse_json(text: &str) -> Value {
	serde_json::from_str(text).unwrap_or(Value::Null)
}

/// `GET /api/status`.
pub async fn status(store: &Store, follower: &crate::follow::Status) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let genesis = store.meta("genesis").await.map_err(QueryError::Database)?;
	let lag = match (follower.finalized, indexed["number"].as_u64()) {
		(Some(finalized), Some(number)) => Some(finalized.saturating_sub(number)),
		_ => None,
	};
	Ok(json!({
		"genesis": genesis,
		"indexed": indexed,
		"finalized": follower.finalized,
		"lagBlocks": lag,
		"node": { "url": follower.node, "connected": follower.connected, "lastError": follower.last_error },
		"catchUpRate": follower.catch_up_rate,
		"backend": format!("{:?}", store.backend).to_lowercase(),
	}))
}

fn meter_json(r: &AnyRow) -> Value {
	json!({
		"id": r.get::<i64, _>(0),
		"model": r.get::<i64, _>(1),
		"manufacturer": text_at(r, 2),
		"serial": text_at(r, 3),
		"status": text_at(r, 4),
		"supplyPoint": opt_text(r, 5),
		"program": opt_text(r, 6),
		"deviceKey": text_at(r, 7),
		"measurements": opt_i64(r, 8).unwrap_or(0),
		"chainHead": opt_text(r, 9).unwrap_or_else(|| format!("{:?}", sp_core::H256::zero())),
		"register": opt_text(r, 10).unwrap_or_else(|| "0".into()),
		"lastEnd": opt_i64(r, 11),
		"unit": opt_text(r, 12),
	})
}

const METER_SELECT: &str =
	"SELECT m.id, m.model, m.manufacturer, m.serial, m.status, m.supply_point, \
	m.program, m.device_key, h.next_index, h.link, h.register, h.last_end_ms, d.unit \
	FROM meters m LEFT JOIN meter_heads h ON h.meter = m.id LEFT JOIN models d ON d.id = m.model";

/// `GET /api/meters`: meters by id, optionally of one status or model.
pub async fn meters(
	store: &Store,
	status: Option<String>,
	model: Option<i64>,
	after: Option<i64>,
	limit: u32,
) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
		"{METER_SELECT} WHERE (CAST($1 AS TEXT) IS NULL OR m.status = $1) AND (CAST($2 AS BIGINT) IS NULL OR m.model = $2) \
		 AND m.id > $3 ORDER BY m.id LIMIT $4"
	)))
	.bind(status)
	.bind(model)
	.bind(after.unwrap_or(-1))
	.bind(i64::from(limit))
	.fetch_all(store.pool())
	.await
	.map_err(db("meters"))?;
	let meters: Vec<Value> = rows.iter().map(meter_json).collect();
	let next =
		if meters.len() == limit as usize { meters.last().map(|m| m["id"].clone()) } else { None };
	Ok(json!({ "indexed": indexed, "meters": meters, "next": next }))
}

/// `GET /api/meters/{id}`: the meter with its model, LR program (and who approved it),
/// chain position and contracts.
pub async fn meter(store: &Store, id: i64) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let row = sqlx::query(sqlx::AssertSqlSafe(format!("{METER_SELECT} WHERE m.id = $1")))
		.bind(id)
		.fetch_optional(store.pool())
		.await
		.map_err(db("meter"))?
		.ok_or_else(|| QueryError::NotFound(format!("no meter {id} in the index")))?;
	let mut meter = meter_json(&row);
	let model = sqlx::query(
		"SELECT id, manufacturer, name, kind, unit, resolution_milli, max_permissible_error_ppm, status FROM models WHERE id = $1",
	)
	.bind(row.get::<i64, _>(1))
	.fetch_optional(store.pool())
	.await
	.map_err(db("model"))?;
	meter["modelInfo"] = match model {
		Some(r) => json!({
			"id": r.get::<i64, _>(0), "manufacturer": text_at(&r, 1), "name": text_at(&r, 2),
			"kind": text_at(&r, 3), "unit": text_at(&r, 4), "resolutionMilli": r.get::<i64, _>(5),
			"maxPermissibleErrorPpm": r.get::<i64, _>(6), "status": text_at(&r, 7),
		}),
		None => Value::Null,
	};
	meter["programInfo"] = match opt_text(&row, 6) {
		Some(hash) => program(store, &hash).await?,
		None => Value::Null,
	};
	let contracts = sqlx::query(
		"SELECT id, supplier, consumer, tariff, payment, utc_offset_minutes, status, start_ms, end_ms FROM contracts WHERE meter = $1 ORDER BY id",
	)
	.bind(id)
	.fetch_all(store.pool())
	.await
	.map_err(db("contracts"))?;
	meter["contracts"] = contracts.iter().map(contract_json).collect();
	Ok(json!({ "indexed": indexed, "meter": meter }))
}

fn contract_json(r: &AnyRow) -> Value {
	json!({
		"id": r.get::<i64, _>(0), "supplier": text_at(r, 1), "consumer": text_at(r, 2),
		"tariff": r.get::<i64, _>(3), "payment": text_at(r, 4), "utcOffsetMinutes": r.get::<i64, _>(5),
		"status": text_at(r, 6), "start": opt_i64(r, 7), "end": opt_i64(r, 8),
	})
}

/// An LR program: hash, version, measurer, status and the notified bodies that approved it.
pub async fn program(store: &Store, hash: &str) -> Result<Value, QueryError> {
	let row = sqlx::query("SELECT hash, measurer, version, status, approvals, published_block FROM programs WHERE hash = $1")
		.bind(hash)
		.fetch_optional(store.pool())
		.await
		.map_err(db("program"))?;
	Ok(match row {
		Some(r) => json!({
			"hash": text_at(&r, 0), "measurer": text_at(&r, 1), "version": text_at(&r, 2),
			"status": text_at(&r, 3), "approvedBy": parse_json(&text_at(&r, 4)), "publishedBlock": r.get::<i64, _>(5),
		}),
		None => json!({ "hash": hash }),
	})
}

/// `GET /api/meters/{id}/measurements`: measurements whose interval starts in
/// `[from, to)`, by index, after the `cursor` index, at most `limit`.
pub async fn measurements(
	store: &Store,
	meter: i64,
	from: i64,
	to: i64,
	cursor: Option<i64>,
	limit: u32,
) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let rows = sqlx::query(
		"SELECT m.idx, m.sequence, m.start_ms, m.end_ms, m.quantity, m.register, m.program, m.frame_hash, \
		 m.block, b.hash, m.extrinsic, m.event, m.previous, m.link \
		 FROM measurements m JOIN blocks b ON b.number = m.block \
		 WHERE m.meter = $1 AND m.start_ms >= $2 AND m.start_ms < $3 AND m.idx > $4 AND m.block <= $5 \
		 ORDER BY m.idx LIMIT $6",
	)
	.bind(meter)
	.bind(from)
	.bind(to)
	.bind(cursor.unwrap_or(-1))
	.bind(bound(&indexed))
	.bind(i64::from(limit))
	.fetch_all(store.pool())
	.await
	.map_err(db("measurements"))?;
	let items: Vec<Value> = rows
		.iter()
		.map(|r| {
			json!({
				"index": r.get::<i64, _>(0), "sequence": r.get::<i64, _>(1), "start": r.get::<i64, _>(2),
				"end": r.get::<i64, _>(3), "quantity": text_at(r, 4), "register": text_at(r, 5),
				"program": text_at(r, 6), "frame": text_at(r, 7), "block": r.get::<i64, _>(8),
				"blockHash": text_at(r, 9), "extrinsic": opt_i64(r, 10), "event": r.get::<i64, _>(11),
				"previousLink": text_at(r, 12), "link": text_at(r, 13),
			})
		})
		.collect();
	let next =
		if items.len() == limit as usize { items.last().map(|m| m["index"].clone()) } else { None };
	Ok(json!({ "indexed": indexed, "meter": meter, "measurements": items, "next": next }))
}

/// One contract's tariff history and bands, for splitting consumption by band.
struct Billing {
	id: i64,
	start: i64,
	end: Option<i64>,
	utc_offset: i16,
	/// (from, tariff id, bands), by `from`.
	tariffs: Vec<(i64, i64, Vec<TariffBand<u128>>)>,
}

async fn billing_of(store: &Store, meter: i64) -> Result<Vec<Billing>, QueryError> {
	let contracts = sqlx::query(
		"SELECT id, COALESCE(start_ms, 0), end_ms, utc_offset_minutes FROM contracts WHERE meter = $1 AND start_ms IS NOT NULL ORDER BY id",
	)
	.bind(meter)
	.fetch_all(store.pool())
	.await
	.map_err(db("contracts"))?;
	let mut out = Vec::new();
	for c in &contracts {
		let id = c.get::<i64, _>(0);
		let tariffs = sqlx::query(
			"SELECT ct.from_ms, ct.tariff, t.bands FROM contract_tariffs ct JOIN tariffs t ON t.id = ct.tariff \
			 WHERE ct.contract = $1 ORDER BY ct.from_ms",
		)
		.bind(id)
		.fetch_all(store.pool())
		.await
		.map_err(db("tariffs"))?;
		let tariffs = tariffs
			.iter()
			.map(|t| (t.get::<i64, _>(0), t.get::<i64, _>(1), parse_bands(&text_at(t, 2))))
			.collect();
		out.push(Billing {
			id,
			start: c.get::<i64, _>(1),
			end: opt_i64(c, 2),
			utc_offset: c.get::<i64, _>(3) as i16,
			tariffs,
		});
	}
	Ok(out)
}

fn parse_bands(text: &str) -> Vec<TariffBand<u128>> {
	parse_json(text)
		.as_array()
		.map(|bands| {
			bands
				.iter()
				.map(|b| TariffBand {
					from_minute: b["fromMinute"].as_u64().unwrap_or(0) as u16,
					to_minute: b["toMinute"].as_u64().unwrap_or(0) as u16,
					price: b["price"].as_str().map(quantity).unwrap_or(0),
				})
				.collect()
		})
		.unwrap_or_default()
}

/// `GET /api/meters/{id}/consumption`: the consumption of measurements starting in
/// `[from, to)`, in all and split by the time-of-use band of the contract's tariff in
/// force when each started — the band the runtime bills it in (`band_of`).
pub async fn consumption(
	store: &Store,
	meter: i64,
	from: i64,
	to: i64,
) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let exists = sqlx::query(
		"SELECT d.unit FROM meters m LEFT JOIN models d ON d.id = m.model WHERE m.id = $1",
	)
	.bind(meter)
	.fetch_optional(store.pool())
	.await
	.map_err(db("meter"))?
	.ok_or_else(|| QueryError::NotFound(format!("no meter {meter} in the index")))?;
	let unit = opt_text(&exists, 0);
	let rows = sqlx::query(
		"SELECT idx, start_ms, quantity FROM measurements WHERE meter = $1 AND start_ms >= $2 AND start_ms < $3 AND block <= $4 ORDER BY idx",
	)
	.bind(meter)
	.bind(from)
	.bind(to)
	.bind(bound(&indexed))
	.fetch_all(store.pool())
	.await
	.map_err(db("consumption"))?;
	let billing = billing_of(store, meter).await?;
	let mut total: u128 = 0;
	let mut bands: BTreeMap<
		(Option<i64>, Option<i64>, Option<usize>),
		(u128, u64, Option<TariffBand<u128>>),
	> = BTreeMap::new();
	for r in &rows {
		let start = r.get::<i64, _>(1);
		let q = quantity(&text_at(r, 2));
		total = total.saturating_add(q);
		let contract =
			billing.iter().rev().find(|c| c.start <= start && c.end.map_or(true, |e| start < e));
		let key_and_band = contract.and_then(|c| {
			let (_, tariff, bands) =
				c.tariffs.iter().rev().find(|(f, _, _)| *f <= start).or(c.tariffs.first())?;
			if bands.is_empty() {
				return None;
			}
			let i = band_of(bands, start as u64, c.utc_offset);
			Some(((Some(c.id), Some(*tariff), Some(i)), bands.get(i).copied()))
		});
		let (key, band) = key_and_band.unwrap_or(((contract.map(|c| c.id), None, None), None));
		let entry = bands.entry(key).or_insert((0, 0, band));
		entry.0 = entry.0.saturating_add(q);
		entry.1 += 1;
	}
	let split: Vec<Value> = bands
		.into_iter()
		.map(|((contract, tariff, band), (q, n, b))| {
			json!({
				"contract": contract, "tariff": tariff, "band": band,
				"fromMinute": b.map(|b| b.from_minute), "toMinute": b.map(|b| b.to_minute),
				"quantity": q.to_string(), "measurements": n,
			})
		})
		.collect();
	Ok(json!({
		"indexed": indexed, "meter": meter, "from": from, "to": to, "unit": unit,
		"quantity": total.to_string(), "measurements": rows.len(),
		"first": rows.first().map(|r| r.get::<i64, _>(0)), "last": rows.last().map(|r| r.get::<i64, _>(0)),
		"bands": split,
	}))
}

const INVOICE_SELECT: &str = "SELECT id, contract, meter, supplier, consumer, tariff, from_ms, to_ms, issued_ms, due_ms, \
	register_from, register_to, measurements, first_index, last_index, energy, standing, amount, credited, paid, \
	status, lines, dispute, issued_block FROM invoices";

fn invoice_json(r: &AnyRow) -> Value {
	let amount = quantity(&text_at(r, 17));
	let credited = quantity(&text_at(r, 18));
	let paid = quantity(&text_at(r, 19));
	json!({
		"id": r.get::<i64, _>(0), "contract": r.get::<i64, _>(1), "meter": r.get::<i64, _>(2),
		"supplier": text_at(r, 3), "consumer": text_at(r, 4), "tariff": r.get::<i64, _>(5),
		"from": r.get::<i64, _>(6), "to": r.get::<i64, _>(7), "issued": r.get::<i64, _>(8), "due": r.get::<i64, _>(9),
		"registerFrom": text_at(r, 10), "registerTo": text_at(r, 11), "measurements": r.get::<i64, _>(12),
		"firstIndex": opt_i64(r, 13), "lastIndex": opt_i64(r, 14),
		"energy": text_at(r, 15), "standing": text_at(r, 16), "amount": amount.to_string(),
		"credited": credited.to_string(), "paid": paid.to_string(),
		"outstanding": amount.saturating_sub(credited).saturating_sub(paid).to_string(),
		"status": text_at(r, 20), "lines": parse_json(&text_at(r, 21)),
		"dispute": opt_text(r, 22).map(|d| parse_json(&d)), "issuedBlock": r.get::<i64, _>(23),
	})
}

/// `GET /api/consumers/{account}/invoices`: a consumer's invoices, newest first.
pub async fn invoices(store: &Store, consumer: &str, limit: u32) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
		"{INVOICE_SELECT} WHERE consumer = $1 AND issued_block <= $2 ORDER BY id DESC LIMIT $3"
	)))
	.bind(consumer)
	.bind(bound(&indexed))
	.bind(i64::from(limit))
	.fetch_all(store.pool())
	.await
	.map_err(db("invoices"))?;
	let invoices: Vec<Value> = rows.iter().map(invoice_json).collect();
	Ok(json!({ "indexed": indexed, "consumer": consumer, "invoices": invoices }))
}

/// `GET /api/invoices/{id}`.
pub async fn invoice(store: &Store, id: i64) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let row = sqlx::query(sqlx::AssertSqlSafe(format!("{INVOICE_SELECT} WHERE id = $1")))
		.bind(id)
		.fetch_optional(store.pool())
		.await
		.map_err(db("invoice"))?
		.ok_or_else(|| QueryError::NotFound(format!("no invoice {id} in the index")))?;
	Ok(json!({ "indexed": indexed, "invoice": invoice_json(&row) }))
}

/// `GET /api/meters/{id}/audit`: the meter's audit trail, oldest first.
pub async fn audit(
	store: &Store,
	subject: &str,
	after: Option<i64>,
	limit: u32,
) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let rows = sqlx::query(
		"SELECT idx, block, actor, change FROM audit WHERE subject = $1 AND idx > $2 AND block <= $3 ORDER BY idx LIMIT $4",
	)
	.bind(subject)
	.bind(after.unwrap_or(-1))
	.bind(bound(&indexed))
	.bind(i64::from(limit))
	.fetch_all(store.pool())
	.await
	.map_err(db("audit trail"))?;
	let entries: Vec<Value> = rows
		.iter()
		.map(|r| json!({ "index": r.get::<i64, _>(0), "block": r.get::<i64, _>(1), "actor": text_at(r, 2), "change": text_at(r, 3) }))
		.collect();
	Ok(json!({ "indexed": indexed, "subject": subject, "entries": entries }))
}

/// `GET /api/events`: events (other than measurements), newest first, optionally of
/// one meter, pallet or name.
pub async fn events(
	store: &Store,
	meter: Option<i64>,
	pallet: Option<String>,
	name: Option<String>,
	limit: u32,
) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let rows = sqlx::query(
		"SELECT e.block, e.idx, e.extrinsic, e.pallet, e.name, e.meter, e.fields, b.hash, b.timestamp_ms \
		 FROM events e JOIN blocks b ON b.number = e.block \
		 WHERE (CAST($1 AS BIGINT) IS NULL OR e.meter = $1) AND (CAST($2 AS TEXT) IS NULL OR e.pallet = $2) \
		 AND (CAST($3 AS TEXT) IS NULL OR e.name = $3) AND e.block <= $4 \
		 ORDER BY e.block DESC, e.idx DESC LIMIT $5",
	)
	.bind(meter)
	.bind(pallet)
	.bind(name)
	.bind(bound(&indexed))
	.bind(i64::from(limit))
	.fetch_all(store.pool())
	.await
	.map_err(db("events"))?;
	let events: Vec<Value> = rows.iter().map(event_json).collect();
	Ok(json!({ "indexed": indexed, "events": events }))
}

fn event_json(r: &AnyRow) -> Value {
	json!({
		"block": r.get::<i64, _>(0), "index": r.get::<i64, _>(1), "extrinsic": opt_i64(r, 2),
		"pallet": text_at(r, 3), "name": text_at(r, 4), "meter": opt_i64(r, 5),
		"fields": parse_json(&text_at(r, 6)), "blockHash": text_at(r, 7), "timestamp": r.get::<i64, _>(8),
	})
}

/// `GET /api/fleet`: meters by model and status, meters under inspection, meters
/// silent for `silent_ms` before the indexed block's time, and the latest discrepancies.
pub async fn fleet(store: &Store, silent_ms: i64) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let groups = sqlx::query(
		"SELECT m.model, COALESCE(d.name, ''), m.status, COUNT(*) FROM meters m LEFT JOIN models d ON d.id = m.model \
		 GROUP BY m.model, d.name, m.status ORDER BY m.model, m.status",
	)
	.fetch_all(store.pool())
	.await
	.map_err(db("fleet"))?;
	let by_model: Vec<Value> = groups
		.iter()
		.map(|r| json!({ "model": r.get::<i64, _>(0), "name": text_at(r, 1), "status": text_at(r, 2), "meters": r.get::<i64, _>(3) }))
		.collect();
	let now = indexed["timestamp"].as_i64().unwrap_or(0);
	let silent = sqlx::query(
		"SELECT m.id, h.last_end_ms FROM meters m LEFT JOIN meter_heads h ON h.meter = m.id \
		 WHERE m.status = 'Active' AND (h.last_end_ms IS NULL OR h.last_end_ms < $1) ORDER BY m.id LIMIT 1000",
	)
	.bind(now - silent_ms)
	.fetch_all(store.pool())
	.await
	.map_err(db("silent meters"))?;
	let silent: Vec<Value> = silent
		.iter()
		.map(|r| json!({ "meter": r.get::<i64, _>(0), "lastEnd": opt_i64(r, 1) }))
		.collect();
	let inspections = sqlx::query(
		"SELECT meter, name, block FROM events WHERE pallet = 'Surveillance' \
		 AND name IN ('UnderInspection', 'InspectionCleared', 'SuspendedAfterInspection') ORDER BY block, idx",
	)
	.fetch_all(store.pool())
	.await
	.map_err(db("inspections"))?;
	let mut open: BTreeMap<i64, i64> = BTreeMap::new();
	for r in &inspections {
		let Some(meter) = opt_i64(r, 0) else { continue };
		if text_at(r, 1) == "UnderInspection" {
			open.insert(meter, r.get::<i64, _>(2));
		} else {
			open.remove(&meter);
		}
	}
	let under_inspection: Vec<Value> = open
		.into_iter()
		.map(|(meter, since)| json!({ "meter": meter, "sinceBlock": since }))
		.collect();
	let discrepancies =
		events(store, None, Some("Surveillance".into()), Some("DiscrepancyFound".into()), 100)
			.await?;
	Ok(json!({
		"indexed": indexed, "byModelAndStatus": by_model, "underInspection": under_inspection,
		"silentAfterMs": silent_ms, "silent": silent, "discrepancies": discrepancies["events"],
	}))
}

/// `GET /api/blocks`: the latest indexed blocks, with how many measurements each holds.
pub async fn blocks(store: &Store, limit: u32) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let rows = sqlx::query(
		"SELECT number, hash, parent, timestamp_ms, measurements, events, fees_charged, fees_in_block FROM blocks \
		 ORDER BY number DESC LIMIT $1",
	)
	.bind(i64::from(limit))
	.fetch_all(store.pool())
	.await
	.map_err(db("blocks"))?;
	let blocks: Vec<Value> = rows
		.iter()
		.map(|r| {
			json!({
				"number": r.get::<i64, _>(0), "hash": text_at(r, 1), "parent": text_at(r, 2),
				"timestamp": r.get::<i64, _>(3), "measurements": r.get::<i64, _>(4), "events": r.get::<i64, _>(5),
				"feesCharged": text_at(r, 6), "feesInBlock": text_at(r, 7),
			})
		})
		.collect();
	Ok(json!({ "indexed": indexed, "blocks": blocks }))
}

/// `GET /api/blocks/{number}`: one indexed block with its measurements and events, so
/// that every measurement a page shows can be traced to the block that holds its frame.
pub async fn block(store: &Store, number: i64) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let row = sqlx::query(
		"SELECT number, hash, parent, timestamp_ms, measurements, events, fees_charged, fees_in_block FROM blocks \
		 WHERE number = $1",
	)
	.bind(number)
	.fetch_optional(store.pool())
	.await
	.map_err(db("block"))?
	.ok_or_else(|| QueryError::NotFound(format!("block {number} is not indexed")))?;
	let measurements = sqlx::query(
		"SELECT meter, idx, sequence, start_ms, end_ms, quantity, frame_hash, extrinsic, event FROM measurements \
		 WHERE block = $1 ORDER BY event LIMIT $2",
	)
	.bind(number)
	.bind(i64::from(MAX_LIMIT))
	.fetch_all(store.pool())
	.await
	.map_err(db("block measurements"))?;
	let events = sqlx::query(
		"SELECT e.block, e.idx, e.extrinsic, e.pallet, e.name, e.meter, e.fields, b.hash, b.timestamp_ms \
		 FROM events e JOIN blocks b ON b.number = e.block WHERE e.block = $1 ORDER BY e.idx LIMIT $2",
	)
	.bind(number)
	.bind(i64::from(MAX_LIMIT))
	.fetch_all(store.pool())
	.await
	.map_err(db("block events"))?;
	Ok(json!({
		"indexed": indexed,
		"block": {
			"number": row.get::<i64, _>(0), "hash": text_at(&row, 1), "parent": text_at(&row, 2),
			"timestamp": row.get::<i64, _>(3), "measurements": row.get::<i64, _>(4), "events": row.get::<i64, _>(5),
			"feesCharged": text_at(&row, 6), "feesInBlock": text_at(&row, 7),
		},
		"measurements": measurements.iter().map(|r| json!({
			"meter": r.get::<i64, _>(0), "index": r.get::<i64, _>(1), "sequence": r.get::<i64, _>(2),
			"start": r.get::<i64, _>(3), "end": r.get::<i64, _>(4), "quantity": text_at(r, 5),
			"frame": text_at(r, 6), "extrinsic": opt_i64(r, 7), "event": r.get::<i64, _>(8),
		})).collect::<Vec<_>>(),
		"events": events.iter().map(event_json).collect::<Vec<_>>(),
	}))
}

/// `GET /api/programs/{hash}`: an LR program, the notified bodies that approved it, its
/// audit trail and the meters bound to it.
pub async fn program_detail(store: &Store, hash: &str) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let info = program(store, hash).await?;
	if info.get("measurer").is_none() {
		return Err(QueryError::NotFound(format!("no LR program {hash} in the index")));
	}
	let trail = audit(store, &format!("program:{hash}"), None, MAX_LIMIT).await?;
	let meters = sqlx::query("SELECT id FROM meters WHERE program = $1 ORDER BY id LIMIT $2")
		.bind(hash)
		.bind(i64::from(MAX_LIMIT))
		.fetch_all(store.pool())
		.await
		.map_err(db("program meters"))?;
	Ok(json!({
		"indexed": indexed,
		"program": info,
		"audit": trail["entries"],
		"meters": meters.iter().map(|r| r.get::<i64, _>(0)).collect::<Vec<_>>(),
	}))
}

/// The contracts whose `party` column (`consumer` or `supplier`) is `account`, with
/// their meters.
async fn contracts_where(
	store: &Store,
	party: &'static str,
	account: &str,
) -> Result<Vec<Value>, QueryError> {
	let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
		"SELECT id, supplier, consumer, tariff, payment, utc_offset_minutes, status, start_ms, end_ms, meter \
		 FROM contracts WHERE {party} = $1 ORDER BY id"
	)))
	.bind(account)
	.fetch_all(store.pool())
	.await
	.map_err(db("contracts"))?;
	Ok(rows
		.iter()
		.map(|r| {
			let mut c = contract_json(r);
			c["meter"] = json!(r.get::<i64, _>(9));
			c
		})
		.collect())
}

/// `GET /api/consumers/{account}`: a consumer's contracts, prepaid balance and how many
/// of its invoices are paid, open or disputed (with what is outstanding).
pub async fn consumer(store: &Store, consumer: &str) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let contracts = contracts_where(store, "consumer", consumer).await?;
	let prepaid = sqlx::query("SELECT prepaid FROM consumers WHERE address = $1")
		.bind(consumer)
		.fetch_optional(store.pool())
		.await
		.map_err(db("prepaid balance"))?;
	let invoices = sqlx::query(
		"SELECT status, amount, credited, paid FROM invoices WHERE consumer = $1 AND issued_block <= $2",
	)
	.bind(consumer)
	.bind(bound(&indexed))
	.fetch_all(store.pool())
	.await
	.map_err(db("invoices"))?;
	let prepaid = prepaid.map(|r| text_at(&r, 0)).unwrap_or_else(|| "0".into());
	if contracts.is_empty() && prepaid == "0" && invoices.is_empty() {
		return Err(QueryError::NotFound(format!("{consumer} has no contracts in the index")));
	}
	Ok(json!({
		"indexed": indexed,
		"consumer": consumer,
		"prepaid": prepaid,
		"contracts": contracts,
		"invoices": by_status(&invoices),
	}))
}

/// `GET /api/suppliers/{account}`: a supplier's contracts and its invoices, newest first
/// (at most `limit`, optionally only those of one status), with every invoice counted by
/// status and what is outstanding.
pub async fn supplier(
	store: &Store,
	supplier: &str,
	status: Option<String>,
	limit: u32,
) -> Result<Value, QueryError> {
	let indexed = indexed(store).await?;
	let contracts = contracts_where(store, "supplier", supplier).await?;
	let totals = sqlx::query(
		"SELECT status, amount, credited, paid FROM invoices WHERE supplier = $1 AND issued_block <= $2",
	)
	.bind(supplier)
	.bind(bound(&indexed))
	.fetch_all(store.pool())
	.await
	.map_err(db("invoices"))?;
	if contracts.is_empty() && totals.is_empty() {
		return Err(QueryError::NotFound(format!("{supplier} supplies no contract in the index")));
	}
	let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
		"{INVOICE_SELECT} WHERE supplier = $1 AND issued_block <= $2 AND (CAST($3 AS TEXT) IS NULL OR status = $3) \
		 ORDER BY id DESC LIMIT $4"
	)))
	.bind(supplier)
	.bind(bound(&indexed))
	.bind(status)
	.bind(i64::from(limit))
	.fetch_all(store.pool())
	.await
	.map_err(db("invoices"))?;
	Ok(json!({
		"indexed": indexed,
		"supplier": supplier,
		"contracts": contracts,
		"invoiceTotals": by_status(&totals),
		"invoices": rows.iter().map(invoice_json).collect::<Vec<_>>(),
	}))
}

/// Invoices (rows of status, amount, credited, paid) counted by status, with what is
/// outstanding of each.
fn by_status(rows: &[AnyRow]) -> Vec<Value> {
	let mut by_status: BTreeMap<String, (u64, u128)> = BTreeMap::new();
	for r in rows {
		let outstanding = quantity(&text_at(r, 1))
			.saturating_sub(quantity(&text_at(r, 2)))
			.saturating_sub(quantity(&text_at(r, 3)));
		let entry = by_status.entry(text_at(r, 0)).or_default();
		entry.0 += 1;
		entry.1 = entry.1.saturating_add(outstanding);
	}
	by_status
		.into_iter()
		.map(|(status, (n, outstanding))| {
			json!({ "status": status, "invoices": n, "outstanding": outstanding.to_string() })
		})
		.collect()
}
