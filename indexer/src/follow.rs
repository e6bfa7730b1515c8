//! Following the finalized chain: catch up from the indexed height to the node's
//! finalized head, fetching blocks concurrently and writing them in order, a run of
//! blocks per transaction; then wait for the next finalized head from the
//! subscription. A broken connection is retried until the node is back; a node whose
//! blocks do not chain to the indexed ones stops the indexer.

use crate::{
	chain::{Block, Chain, ChainError},
	extract::{extract, Head, Touched},
	objects,
	store::{Arg, Batch, Store},
};
use futures::{stream, StreamExt, TryStreamExt};
use mensura_primitives::metering::AuditSubject;
use mensura_runtime::Runtime;
use serde::Serialize;
use sp_core::H256;
use std::{
	collections::{BTreeMap, BTreeSet},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

/// What the indexer is doing, for `GET /api/status` and the log.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
	/// The node's URL.
	pub node: String,
	pub connected: bool,
	/// The node's finalized height, as last seen.
	pub finalized: Option<u64>,
	/// The last problem, until it is over (`null` when all is well).
	pub last_error: Option<String>,
	/// Measurements inserted per second over the last catch-up run of at least 1,000.
	pub catch_up_rate: Option<f64>,
}

pub type SharedStatus = Arc<Mutex<Status>>;

/// Settings of the follower.
#[derive(Clone, Debug)]
pub struct Settings {
	pub node: String,
	/// Blocks fetched at once.
	pub concurrency: usize,
	/// Blocks per database transaction (at most).
	pub batch_blocks: usize,
	/// Measurements per database transaction (a run of blocks stops there).
	pub batch_measurements: usize,
	/// Exit once the index reaches the node's finalized head (for benchmarks).
	pub exit_when_caught_up: bool,
}

/// Why following stopped for good.
#[derive(Debug)]
pub struct Fatal(pub String);

/// The follower's memory of where each meter's hash chain and audit trail stand.
struct Tracker {
	heads: BTreeMap<u64, (Head, u128, u64)>,
	/// The indexed block: number and hash.
	tip: Option<(u64, H256)>,
	/// The fees charged up to the indexed block.
	fees_charged: u128,
}

fn log(message: impl std::fmt::Display) {
	eprintln!("[mensura-indexer] {message}");
}

/// Follows the chain until a fatal error (or, with `exit_when_caught_up`, until caught
/// up). Connection losses are retried every 2 s.
pub async fn run(settings: Settings, store: Store, status: SharedStatus) -> Result<(), Fatal> {
	status.lock().unwrap().node = settings.node.clone();
	loop {
		match session(&settings, &store, &status).await {
			Ok(()) => return Ok(()),
			Err(ChainErrorOr::Fatal(f)) => {
				let mut s = status.lock().unwrap();
				s.connected = false;
				s.last_error = Some(f.0.clone());
				return Err(f);
			}
			Err(ChainErrorOr::Chain(error)) => {
				log(format!("{error}; trying again in 2 s"));
				{
					let mut s = status.lock().unwrap();
					s.connected = false;
					s.last_error = Some(format!("{error}; retrying"));
				}
				tokio::time::sleep(Duration::from_secs(2)).await;
			}
		}
	}
}

enum ChainErrorOr {
	Chain(ChainError),
	Fatal(Fatal),
}

impl From<ChainError> for ChainErrorOr {
	fn from(error: ChainError) -> Self {
		match error {
			ChainError::BadData(e) => {
				ChainErrorOr::Fatal(Fatal(format!("the node sent bad data: {e}")))
			}
			unreachable => ChainErrorOr::Chain(unreachable),
		}
	}
}

impl From<String> for ChainErrorOr {
	fn from(error: String) -> Self {
		ChainErrorOr::Fatal(Fatal(error))
	}
}

async fn session(
	settings: &Settings,
	store: &Store,
	status: &SharedStatus,
) -> Result<(), ChainErrorOr> {
	let chain = Chain::connect(&settings.node).await?;
	let genesis = format!("{:?}", chain.genesis_hash().await?);
	match store.meta("genesis").await? {
		Some(indexed) if indexed != genesis => {
			return Err(ChainErrorOr::Fatal(Fatal(format!(
				"the node at {} serves the chain with genesis {genesis}, but this database \
				 indexes the chain with genesis {indexed}: point the indexer at a node of \
				 that chain, or use another database",
				settings.node
			))))
		}
		Some(_) => {}
		None => store.set_genesis(&genesis).await?,
	}
	let mut tracker = Tracker {
		heads: store.heads().await?,
		tip: match store.indexed().await? {
			Some(i) => Some((i.number, crate::store::parse_hash(&i.hash)?)),
			None => None,
		},
		fees_charged: store.fees_charged().await?,
	};
	// The indexed tip must still be on the node's chain.
	if let Some((number, hash)) = tracker.tip {
		let theirs = chain.block_hash(number).await?;
		if theirs != Some(hash) {
			return Err(ChainErrorOr::Fatal(Fatal(format!(
				"the node's block {number} is {theirs:?}, the indexed one {hash:?}: the \
				 node's finalized chain does not chain to the indexed blocks (another \
				 chain, or a node that lies); refusing to index it"
			))));
		}
	}
	let mut heads = chain.finalized_heads().await?;
	{
		let mut s = status.lock().unwrap();
		s.connected = true;
		s.last_error = None;
	}
	log(format!(
		"following {} (genesis {genesis}) from block {}",
		settings.node,
		tracker.tip.map_or(0, |t| t.0 + 1)
	));
	let mut target = chain.finalized_number().await?;
	loop {
		status.lock().unwrap().finalized = Some(target);
		catch_up(settings, store, &chain, &mut tracker, target, status).await?;
		if settings.exit_when_caught_up {
			return Ok(());
		}
		match heads.next().await {
			Some(Ok(header)) => target = target.max(header.number.into()),
			Some(Err(e)) => {
				return Err(ChainErrorOr::Chain(ChainError::BadData(format!(
					"finalized head: {e}"
				))))
			}
			None => {
				return Err(ChainErrorOr::Chain(ChainError::Unreachable(
					"the finalized-heads subscription ended".into(),
				)))
			}
		}
		if !chain.is_connected() {
			return Err(ChainErrorOr::Chain(ChainError::Unreachable("connection closed".into())));
		}
	}
}

/// A fetched block with the object rows and audit entries its events call for.
struct Fetched {
	block: Block,
	objects: Vec<(&'static str, crate::store::Row)>,
	/// The audit-trail entries the block added (of the subjects its events touched).
	audit: Vec<crate::store::Row>,
}

/// Audit subjects read at once.
const AUDIT_CONCURRENCY: usize = 32;

/// The entries each subject's audit trail gained in block `at` (from the trail's length
/// at `parent`, or 0 for the genesis block, to its length at `at`), read concurrently.
async fn audit_added(
	chain: &Chain,
	at: H256,
	parent: Option<H256>,
	subjects: Vec<AuditSubject>,
) -> Result<Vec<crate::store::Row>, ChainError> {
	let per_subject: Vec<Vec<crate::store::Row>> = stream::iter(subjects)
		.map(|subject| async move {
			let now = objects::audit_length(chain, at, &subject).await?;
			let before = match parent {
				Some(parent) => objects::audit_length(chain, parent, &subject).await?,
				None => 0,
			};
			if now > before {
				objects::audit_entries(chain, at, &subject, before, now).await
			} else {
				Ok(Vec::new())
			}
		})
		.buffered(AUDIT_CONCURRENCY)
		.try_collect()
		.await?;
	Ok(per_subject.into_iter().flatten().collect())
}

async fn fetch(chain: &Chain, number: u64) -> Result<Fetched, ChainError> {
	if number == 0 {
		return genesis(chain).await;
	}
	let block = chain.block(number).await?;
	let mut touched = BTreeSet::new();
	for record in &block.events {
		touched.extend(crate::extract::touched_by(&record.event));
	}
	let list: Vec<Touched> = touched.iter().copied().collect();
	let objects = objects::read(chain, block.hash, number, &list)
		.await?
		.into_iter()
		.map(|o| (o.table, o.row))
		.collect();
	let subjects = list.iter().filter_map(|t| t.audit_subject()).collect();
	let audit = audit_added(chain, block.hash, Some(block.parent), subjects).await?;
	Ok(Fetched { block, objects, audit })
}

/// Block 0: its registry state (meters, models, programs, tariffs, contracts and their
/// audit trails), read in full.
async fn genesis(chain: &Chain) -> Result<Fetched, ChainError> {
	let block = chain.block(0).await?;
	let at = block.hash;
	let mut touched = BTreeSet::new();
	let prefix_of = |key: Vec<u8>| key[..32].to_vec();
	let maps: [(Vec<u8>, fn(&[u8]) -> Option<Touched>); 7] = [
		(prefix_of(pallet_meters::Meters::<Runtime>::hashed_key_for(0u64)), |k| {
			tail_u64(k).map(Touched::Meter)
		}),
		(prefix_of(pallet_meters::Models::<Runtime>::hashed_key_for(0u32)), |k| {
			tail_u32(k).map(Touched::Model)
		}),
		(prefix_of(pallet_lr_programs::Programs::<Runtime>::hashed_key_for(H256::zero())), |k| {
			k.get(k.len().checked_sub(32)?..).map(|h| Touched::Program(H256::from_slice(h)))
		}),
		(prefix_of(pallet_billing::Tariffs::<Runtime>::hashed_key_for(0u32)), |k| {
			tail_u32(k).map(Touched::Tariff)
		}),
		(prefix_of(pallet_billing::Contracts::<Runtime>::hashed_key_for(0u64)), |k| {
			tail_u64(k).map(Touched::Contract)
		}),
		(prefix_of(pallet_billing::Invoices::<Runtime>::hashed_key_for(0u64)), |k| {
			tail_u64(k).map(Touched::Invoice)
		}),
		// Every account with a hold: the consumers' prepaid balances among them.
		(
			prefix_of(pallet_balances::Holds::<Runtime>::hashed_key_for(
				mensura_runtime::AccountId::from([0u8; 32]),
			)),
			|k| k.get(k.len().checked_sub(32)?..)?.try_into().ok().map(Touched::Consumer),
		),
	];
	for (prefix, parse) in maps {
		let mut start = None;
		loop {
			let keys = chain.keys_paged(&prefix, 1000, start.clone(), at).await?;
			for key in &keys {
				if let Some(t) = parse(key) {
					touched.insert(t);
				}
			}
			if keys.len() < 1000 {
				break;
			}
			start = keys.last().cloned();
		}
	}
	let list: Vec<Touched> = touched.iter().copied().collect();
	let mut objects = Vec::new();
	let chunks: Vec<Vec<crate::objects::ObjectRow>> = stream::iter(list.chunks(500))
		.map(|chunk| objects::read(chain, at, 0, chunk))
		.buffered(4)
		.try_collect()
		.await?;
	objects.extend(chunks.into_iter().flatten().map(|o| (o.table, o.row)));
	let subjects = list.iter().filter_map(|t| t.audit_subject()).collect();
	let audit = audit_added(chain, at, None, subjects).await?;
	Ok(Fetched { block, objects, audit })
}

/// The `u64` a `Twox64Concat` key ends with.
fn tail_u64(key: &[u8]) -> Option<u64> {
	let bytes: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
	Some(u64::from_le_bytes(bytes))
}

fn tail_u32(key: &[u8]) -> Option<u32> {
	let bytes: [u8; 4] = key.get(key.len().checked_sub(4)?..)?.try_into().ok()?;
	Some(u32::from_le_bytes(bytes))
}

/// Indexes every block after the tip up to `target`.
async fn catch_up(
	settings: &Settings,
	store: &Store,
	chain: &Chain,
	tracker: &mut Tracker,
	target: u64,
	status: &SharedStatus,
) -> Result<(), ChainErrorOr> {
	let mut first = tracker.tip.map_or(0, |t| t.0 + 1);
	if first == 0 {
		// The genesis block's registry, read in full: timed on its own.
		let started = Instant::now();
		let genesis = fetch(chain, 0).await?;
		let (objects, audit) = (genesis.objects.len(), genesis.audit.len());
		let mut batch = Batch::default();
		apply(tracker, &mut batch, genesis)?;
		for (meter, entry) in &batch.heads {
			tracker.heads.insert(*meter, *entry);
		}
		store.commit(batch).await?;
		log(format!(
			"genesis: {objects} objects and {audit} audit-trail entries in {:.1} s",
			started.elapsed().as_secs_f64()
		));
		first = 1;
	}
	if first > target {
		return Ok(());
	}
	let started = Instant::now();
	let mut inserted = 0usize;
	let mut fetched =
		stream::iter(first..=target).map(|n| fetch(chain, n)).buffered(settings.concurrency.max(1));
	let mut batch = Batch::default();
	let mut blocks_in_batch = 0usize;
	let mut last_report = Instant::now();
	while let Some(f) = fetched.try_next().await? {
		apply(tracker, &mut batch, f)?;
		blocks_in_batch += 1;
		let tip = tracker.tip.map(|t| t.0).unwrap_or(0);
		if blocks_in_batch >= settings.batch_blocks
			|| batch.measurements.len() >= settings.batch_measurements
			|| tip == target
		{
			inserted += batch.measurements.len();
			for (meter, entry) in &batch.heads {
				tracker.heads.insert(*meter, *entry);
			}
			store.commit(std::mem::take(&mut batch)).await?;
			blocks_in_batch = 0;
			if last_report.elapsed() > Duration::from_secs(5) || tip == target {
				let seconds = started.elapsed().as_secs_f64();
				let rate = inserted as f64 / seconds.max(1e-9);
				if target - first >= 10 || tip % 100 == 0 {
					log(format!(
						"indexed up to block {tip} of {target}: {inserted} measurements in {seconds:.1} s ({rate:.0}/s)"
					));
				}
				if inserted >= 1000 {
					status.lock().unwrap().catch_up_rate = Some(rate);
				}
				last_report = Instant::now();
			}
		}
	}
	Ok(())
}

/// Adds one fetched block to the batch, checking that it chains to the tip.
fn apply(tracker: &mut Tracker, batch: &mut Batch, f: Fetched) -> Result<(), ChainErrorOr> {
	let Fetched { block, objects, audit } = f;
	if let Some((number, hash)) = tracker.tip {
		if block.number != number + 1 || block.parent != hash {
			return Err(ChainErrorOr::Fatal(Fatal(format!(
				"block {} ({:?}) has parent {:?}, but the indexed block {number} is {hash:?}: \
				 the node's chain does not chain to the indexed blocks (another chain, or a \
				 node that lies); refusing to index it",
				block.number, block.hash, block.parent
			))));
		}
	}
	let mut overlay = Overlay { base: &tracker.heads, pending: &mut batch.heads };
	let extracted = extract(block.number, &block.events, &mut overlay)
		.map_err(|e| ChainErrorOr::Fatal(Fatal(e.to_string())))?;
	batch.audit.extend(audit);
	// Contract dates and tariff history from the billing events.
	for record in &block.events {
		use pallet_billing::Event as B;
		if let mensura_runtime::RuntimeEvent::Billing(event) = &record.event {
			match event {
				B::ContractStarted { contract, start, .. } => {
					batch.contract_starts.push((*contract, *start))
				}
				B::ContractEnded { contract, .. } => {
					batch.contract_ends.push((*contract, block.timestamp))
				}
				B::TariffChanged { contract, tariff, from } => batch.contract_tariffs.push(vec![
					Arg::Int(*contract as i64),
					Arg::Int(*from as i64),
					Arg::Int((*tariff).into()),
				]),
				_ => {}
			}
		}
	}
	// A contract seen for the first time bills by its first tariff from its start on
	// (genesis contracts from time 0).
	for (table, row) in &objects {
		if *table == "contracts" {
			if let (Arg::Int(id), Arg::Int(tariff)) = (&row[0], &row[4]) {
				let start = block.events.iter().find_map(|r| match &r.event {
					mensura_runtime::RuntimeEvent::Billing(
						pallet_billing::Event::ContractStarted { contract, start, .. },
					) if *contract as i64 == *id => Some(*start),
					_ => None,
				});
				if block.number == 0 || start.is_some() {
					let from = start.unwrap_or(0);
					batch.contract_tariffs.push(vec![
						Arg::Int(*id),
						Arg::Int(from as i64),
						Arg::Int(*tariff),
					]);
					if block.number == 0 {
						batch.contract_starts.push((*id as u64, 0));
					}
				}
			}
		}
	}
	dedupe_by_key(&mut batch.contract_tariffs, 2);
	batch.objects.extend(objects);
	let fees_in_block = block.fees_charged.saturating_sub(tracker.fees_charged);
	tracker.fees_charged = block.fees_charged;
	batch.blocks.push(vec![
		Arg::Int(block.number as i64),
		Arg::Text(format!("{:?}", block.hash)),
		Arg::Text(format!("{:?}", block.parent)),
		Arg::Int(block.timestamp as i64),
		Arg::Int(extracted.measurements.len() as i64),
		Arg::Int(block.events.len() as i64),
		Arg::Text(block.fees_charged.to_string()),
		Arg::Text(fees_in_block.to_string()),
	]);
	batch.measurements.extend(extracted.measurements);
	batch.events.extend(extracted.events);
	batch.tip = Some((block.number, format!("{:?}", block.hash)));
	tracker.tip = Some((block.number, block.hash));
	Ok(())
}

/// The committed chain positions with the batch's on top.
struct Overlay<'a> {
	base: &'a BTreeMap<u64, (Head, u128, u64)>,
	pending: &'a mut BTreeMap<u64, (Head, u128, u64)>,
}

impl crate::extract::Heads for Overlay<'_> {
	fn get(&self, meter: u64) -> (Head, u128) {
		self.pending
			.get(&meter)
			.or(self.base.get(&meter))
			.map(|(h, r, _)| (*h, *r))
			.unwrap_or_default()
	}
	fn set(&mut self, meter: u64, head: Head, register: u128, end: u64) {
		self.pending.insert(meter, (head, register, end));
	}
}

/// Keeps the last of the rows that share their first `key` values.
fn dedupe_by_key(rows: &mut Vec<crate::store::Row>, key: usize) {
	let mut seen = BTreeMap::new();
	for (i, row) in rows.iter().enumerate() {
		seen.insert(format!("{:?}", &row[..key]), i);
	}
	let keep: BTreeSet<usize> = seen.into_values().collect();
	let mut i = 0;
	rows.retain(|_| {
		let kept = keep.contains(&i);
		i += 1;
		kept
	});
}
