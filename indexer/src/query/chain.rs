//! The fleet and the chain: meters by status, silent and under inspection, and the
//! indexed blocks.

use super::*;

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
