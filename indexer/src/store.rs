//! The database: one code path over SQLite and PostgreSQL (sqlx's `Any` driver), the
//! schema as migration files, and every write of a run of blocks in one transaction
//! together with the height it brings the index to. Writes are idempotent (keyed by
//! block and event index, or by object id), so a block written twice changes nothing.

use crate::extract::{EventRow, Head, MeasurementRow};
use sqlx::{
	any::{AnyPoolOptions, AnyRow},
	migrate::{Migration, MigrationType, Migrator},
	AnyPool, AssertSqlSafe, Row as _, SqlSafeStr,
};
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::sync::watch;

/// A value bound to a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
	Int(i64),
	OptInt(Option<i64>),
	Text(String),
	OptText(Option<String>),
}

/// A row's values, in its table's column order.
pub type Row = Vec<Arg>;

/// The schema, one migration per file.
fn migrator() -> Migrator {
	let migration = |version, name: &str, sql: &'static str| {
		Migration::new(
			version,
			name.to_string().into(),
			MigrationType::Simple,
			sql.into_sql_str(),
			false,
		)
	};
	Migrator::with_migrations(vec![
		migration(1, "history", include_str!("../migrations/0001_history.sql")),
		migration(2, "accounts", include_str!("../migrations/0002_accounts.sql")),
	])
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
	Sqlite,
	Postgres,
}

impl Backend {
	pub fn of(url: &str) -> Result<Backend, String> {
		if url.starts_with("sqlite:") {
			Ok(Backend::Sqlite)
		} else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
			Ok(Backend::Postgres)
		} else {
			Err(format!(
				"unsupported database URL {url:?}: give sqlite://FILE or postgres://USER@HOST/DB"
			))
		}
	}
}

/// The most parameters one statement binds (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_PARAMS: usize = 30_000;

/// The rows a run of blocks adds, written in one transaction.
#[derive(Default, Debug)]
pub struct Batch {
	pub blocks: Vec<Row>,
	pub measurements: Vec<MeasurementRow>,
	pub events: Vec<EventRow>,
	/// Object rows by table, in the order they were read (a later row of the same
	/// object replaces an earlier one).
	pub objects: Vec<(&'static str, Row)>,
	pub audit: Vec<Row>,
	/// (contract, from, tariff).
	pub contract_tariffs: Vec<Row>,
	/// (contract, start) and (contract, end) from the contract events.
	pub contract_starts: Vec<(u64, u64)>,
	pub contract_ends: Vec<(u64, u64)>,
	/// Each meter's chain position after the batch: head, register, last interval end.
	pub heads: BTreeMap<u64, (Head, u128, u64)>,
	/// The block the batch brings the index to.
	pub tip: Option<(u64, String)>,
}

/// The indexed height: the last block written, and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indexed {
	pub number: u64,
	pub hash: String,
}

/// The database.
#[derive(Clone)]
pub struct Store {
	pool: AnyPool,
	pub backend: Backend,
	/// The indexed height after the last commit.
	indexed: Arc<watch::Sender<Option<u64>>>,
}

fn database_error(what: &str) -> impl Fn(sqlx::Error) -> String + '_ {
	move |e| format!("database: {what}: {e}")
}

impl Store {
	/// Opens (creating if need be) the database at `url` and brings its schema up to date.
	pub async fn open(url: &str) -> Result<Store, String> {
		let backend = Backend::of(url)?;
		sqlx::any::install_default_drivers();
		let url = match backend {
			// Create the file if it does not exist.
			Backend::Sqlite if !url.contains("mode=") => {
				format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
			}
			_ => url.to_string(),
		};
		let pool = AnyPoolOptions::new()
			.max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
			.acquire_timeout(Duration::from_secs(30))
			.after_connect(move |conn, _| {
				Box::pin(async move {
					if backend == Backend::Sqlite {
						// Readers (the HTTP API) do not wait for the writer; a commit is
						// durable against a crash of the indexer (not of the machine).
						sqlx::raw_sql("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;")
							.execute(conn)
							.await?;
					}
					Ok(())
				})
			})
			.connect(&url)
			.await
			.map_err(|e| format!("cannot open the database {url}: {e}"))?;
		migrator()
			.run(&pool)
			.await
			.map_err(|e| format!("cannot bring the database schema up to date: {e}"))?;
		let store = Store { pool, backend, indexed: Arc::new(watch::Sender::new(None)) };
		let indexed = store.indexed().await?.map(|i| i.number);
		store.indexed.send_replace(indexed);
		Ok(store)
	}

	pub fn pool(&self) -> &AnyPool {
		&self.pool
	}

	/// A `meta` value.
	pub async fn meta(&self, key: &str) -> Result<Option<String>, String> {
		let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
			.bind(key)
			.fetch_optional(&self.pool)
			.await
			.map_err(database_error("meta"))?;
		Ok(row.map(|r| r.get::<String, _>(0)))
	}

	/// Records the genesis hash of the chain this database indexes.
	pub async fn set_genesis(&self, genesis: &str) -> Result<(), String> {
		sqlx::query(
			"INSERT INTO meta (key, value) VALUES ('genesis', $1) ON CONFLICT (key) DO NOTHING",
		)
		.bind(genesis)
		.execute(&self.pool)
		.await
		.map_err(database_error("genesis"))?;
		Ok(())
	}

	/// How far the index reaches.
	pub async fn indexed(&self) -> Result<Option<Indexed>, String> {
		let number = self.meta("indexed_number").await?;
		let hash = self.meta("indexed_hash").await?;
		Ok(match (number, hash) {
			(Some(n), Some(hash)) => Some(Indexed {
				number: n.parse().map_err(|_| format!("database: indexed_number {n:?}"))?,
				hash,
			}),
			_ => None,
		})
	}

	/// Every meter's chain position after the indexed height.
	pub async fn heads(&self) -> Result<BTreeMap<u64, (Head, u128, u64)>, String> {
		let rows =
			sqlx::query("SELECT meter, next_index, link, register, last_end_ms FROM meter_heads")
				.fetch_all(&self.pool)
				.await
				.map_err(database_error("meter heads"))?;
		rows.iter()
			.map(|r| {
				let link = parse_hash(&r.get::<String, _>(2))?;
				let register = r
					.get::<String, _>(3)
					.parse()
					.map_err(|_| "database: a register is not a number")?;
				Ok((
					r.get::<i64, _>(0) as u64,
					(
						Head { next_index: r.get::<i64, _>(1) as u64, link },
						register,
						r.get::<i64, _>(4) as u64,
					),
				))
			})
			.collect()
	}

	/// The measuring fees charged up to the last indexed block.
	pub async fn fees_charged(&self) -> Result<u128, String> {
		let row = sqlx::query("SELECT fees_charged FROM blocks ORDER BY number DESC LIMIT 1")
			.fetch_optional(&self.pool)
			.await
			.map_err(database_error("fees"))?;
		match row {
			Some(r) => r
				.get::<String, _>(0)
				.parse()
				.map_err(|_| "database: fees_charged is not a number".into()),
			None => Ok(0),
		}
	}

	/// Writes `batch` and the height it reaches, all or nothing.
	pub async fn commit(&self, batch: Batch) -> Result<(), String> {
		let Some((number, hash)) = batch.tip.clone() else { return Ok(()) };
		let mut tx = self.pool.begin().await.map_err(database_error("begin"))?;
		insert(
			&mut tx,
			self.backend,
			"blocks",
			&[
				"number",
				"hash",
				"parent",
				"timestamp_ms",
				"measurements",
				"events",
				"fees_charged",
				"fees_in_block",
			],
			1,
			false,
			&batch.blocks,
		)
		.await?;
		let measurements: Vec<Row> = batch.measurements.iter().map(measurement_row).collect();
		insert(
			&mut tx,
			self.backend,
			"measurements",
			&[
				"meter",
				"idx",
				"sequence",
				"start_ms",
				"end_ms",
				"quantity",
				"register",
				"program",
				"frame_hash",
				"block",
				"extrinsic",
				"event",
				"previous",
				"link",
			],
			2,
			false,
			&measurements,
		)
		.await?;
		let events: Vec<Row> = batch.events.iter().map(event_row).collect();
		insert(
			&mut tx,
			self.backend,
			"events",
			&["block", "idx", "extrinsic", "pallet", "name", "meter", "fields"],
			2,
			false,
			&events,
		)
		.await?;
		// Objects: the last row of each wins.
		let mut latest: BTreeMap<(&str, String), Row> = BTreeMap::new();
		for (table, row) in &batch.objects {
			latest.insert((*table, format!("{:?}", row[0])), row.clone());
		}
		let mut by_table: BTreeMap<&str, Vec<Row>> = BTreeMap::new();
		for ((table, _), row) in latest {
			by_table.entry(table).or_default().push(row);
		}
		for (table, rows) in by_table {
			insert(&mut tx, self.backend, table, columns_of(table), 1, true, &rows).await?;
		}
		insert(
			&mut tx,
			self.backend,
			"audit",
			crate::objects::AUDIT_COLUMNS,
			2,
			false,
			&batch.audit,
		)
		.await?;
		insert(
			&mut tx,
			self.backend,
			"contract_tariffs",
			&["contract", "from_ms", "tariff"],
			2,
			true,
			&batch.contract_tariffs,
		)
		.await?;
		let starts = batch.contract_starts.iter().map(|c| ("start_ms", c));
		let ends = batch.contract_ends.iter().map(|c| ("end_ms", c));
		for (column, (contract, at)) in starts.chain(ends) {
			sqlx::query(AssertSqlSafe(format!("UPDATE contracts SET {column} = $1 WHERE id = $2")))
				.bind(*at as i64)
				.bind(*contract as i64)
				.execute(&mut *tx)
				.await
				.map_err(database_error("contract period"))?;
		}
		let heads: Vec<Row> = batch
			.heads
			.iter()
			.map(|(meter, (head, register, last_end))| {
				vec![
					Arg::Int(*meter as i64),
					Arg::Int(head.next_index as i64),
					Arg::Text(format!("{:?}", head.link)),
					Arg::Text(register.to_string()),
					Arg::Int(*last_end as i64),
				]
			})
			.collect();
		insert(
			&mut tx,
			self.backend,
			"meter_heads",
			&["meter", "next_index", "link", "register", "last_end_ms"],
			1,
			true,
			&heads,
		)
		.await?;
		for (key, value) in [("indexed_number", number.to_string()), ("indexed_hash", hash)] {
			sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
				.bind(key)
				.bind(value)
				.execute(&mut *tx)
				.await
				.map_err(database_error("height"))?;
		}
		tx.commit().await.map_err(database_error("commit"))?;
		self.indexed.send_replace(Some(number));
		Ok(())
	}

	/// The indexed height, changing each time a run of blocks is committed (for live
	/// views).
	pub fn watch(&self) -> watch::Receiver<Option<u64>> {
		self.indexed.subscribe()
	}
}

fn columns_of(table: &str) -> &'static [&'static str] {
	use crate::objects::*;
	match table {
		"meters" => METER_COLUMNS,
		"models" => MODEL_COLUMNS,
		"programs" => PROGRAM_COLUMNS,
		"tariffs" => TARIFF_COLUMNS,
		"contracts" => CONTRACT_COLUMNS,
		"invoices" => INVOICE_COLUMNS,
		"consumers" => CONSUMER_COLUMNS,
		other => unreachable!("no object table {other}"),
	}
}

/// A `0x…` hash from the database.
pub fn parse_hash(text: &str) -> Result<sp_core::H256, String> {
	let bytes = crate::chain::unhex(text)?;
	if bytes.len() != 32 {
		return Err(format!("database: not a hash: {text}"));
	}
	Ok(sp_core::H256::from_slice(&bytes))
}

fn opt(value: Option<u32>) -> Arg {
	Arg::OptInt(value.map(i64::from))
}

fn measurement_row(m: &MeasurementRow) -> Row {
	vec![
		Arg::Int(m.meter as i64),
		Arg::Int(m.index as i64),
		Arg::Int(m.sequence as i64),
		Arg::Int(m.start as i64),
		Arg::Int(m.end as i64),
		Arg::Text(m.quantity.to_string()),
		Arg::Text(m.register.to_string()),
		Arg::Text(format!("{:?}", m.program)),
		Arg::Text(format!("{:?}", m.frame)),
		Arg::Int(m.block as i64),
		opt(m.extrinsic),
		Arg::Int(m.event.into()),
		Arg::Text(format!("{:?}", m.previous)),
		Arg::Text(format!("{:?}", m.link)),
	]
}

fn event_row(e: &EventRow) -> Row {
	vec![
		Arg::Int(e.block as i64),
		Arg::Int(e.index.into()),
		opt(e.extrinsic),
		Arg::Text(e.pallet.clone()),
		Arg::Text(e.name.clone()),
		Arg::OptInt(e.meter.map(|m| m as i64)),
		Arg::Text(e.fields.to_string()),
	]
}

/// `INSERT INTO table (columns) VALUES …` for `rows`, as few statements as the parameter
/// limit allows; on a key conflict (the first `key` columns) the row is left alone, or
/// (`update`) replaced.
async fn insert(
	tx: &mut sqlx::Transaction<'_, sqlx::Any>,
	backend: Backend,
	table: &str,
	columns: &[&str],
	key: usize,
	update: bool,
	rows: &[Row],
) -> Result<(), String> {
	if rows.is_empty() {
		return Ok(());
	}
	let per_statement = (MAX_PARAMS / columns.len()).max(1);
	// SQLite keeps `$n` and `?n` parameters in a list that sqlx's binding scans once
	// per parameter (sqlite3_bind_parameter_name): quadratic in a statement of
	// thousands, 85 % of a catch-up's CPU when measured. Plain `?` is not listed.
	// PostgreSQL takes `$n` only.
	let placeholder = |n: usize| match backend {
		Backend::Sqlite => "?".to_string(),
		Backend::Postgres => format!("${n}"),
	};
	let conflict = if update {
		let set: Vec<String> =
			columns[key..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
		format!("ON CONFLICT ({}) DO UPDATE SET {}", columns[..key].join(", "), set.join(", "))
	} else {
		format!("ON CONFLICT ({}) DO NOTHING", columns[..key].join(", "))
	};
	for chunk in rows.chunks(per_statement) {
		let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
		let mut n = 0;
		for (i, row) in chunk.iter().enumerate() {
			debug_assert_eq!(row.len(), columns.len(), "{table}");
			sql.push_str(if i == 0 { "(" } else { ", (" });
			for j in 0..row.len() {
				n += 1;
				sql.push_str(if j == 0 { "" } else { ", " });
				sql.push_str(&placeholder(n));
			}
			sql.push(')');
		}
		sql.push(' ');
		sql.push_str(&conflict);
		let mut query = sqlx::query(AssertSqlSafe(sql));
		for row in chunk {
			for arg in row {
				query = match arg {
					Arg::Int(v) => query.bind(*v),
					Arg::OptInt(v) => query.bind(*v),
					Arg::Text(v) => query.bind(v.clone()),
					Arg::OptText(v) => query.bind(v.clone()),
				};
			}
		}
		query.execute(&mut **tx).await.map_err(|e| format!("database: writing {table}: {e}"))?;
	}
	Ok(())
}

/// Reads column `i` of `row` as a text, whatever the backend stored.
pub fn text_at(row: &AnyRow, i: usize) -> String {
	row.try_get::<String, _>(i).unwrap_or_default()
}
