//! The questions the HTTP API answers, as functions over the database. Every answer
//! names the block it is indexed up to (`indexed`), and reads nothing beyond it, so an
//! answer never mixes two heights.

use crate::store::{text_at, Store};
use mensura_primitives::billing::{band_of, TariffBand};
use serde_json::{json, Value};
use sqlx::{any::AnyRow, Row};
use std::collections::BTreeMap;

mod billing;
mod chain;
mod meters;

pub use billing::*;
pub use chain::*;
pub use meters::*;

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
