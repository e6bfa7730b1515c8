//! Meters: the fleet's meters, one meter with its program and contracts, its
//! measurements, its audit trail and events, and the LR programs.

use super::*;

pub(super) fn meter_json(r: &AnyRow) -> Value {
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

pub(super) const METER_SELECT: &str =
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

pub(super) fn contract_json(r: &AnyRow) -> Value {
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

pub(super) fn event_json(r: &AnyRow) -> Value {
	json!({
		"block": r.get::<i64, _>(0), "index": r.get::<i64, _>(1), "extrinsic": opt_i64(r, 2),
		"pallet": text_at(r, 3), "name": text_at(r, 4), "meter": opt_i64(r, 5),
		"fields": parse_json(&text_at(r, 6)), "blockHash": text_at(r, 7), "timestamp": r.get::<i64, _>(8),
	})
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
