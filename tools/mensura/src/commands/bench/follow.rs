//! Following blocks: every new and finalized head, the frames each block holds, and
//! the block weight it counted.

use super::*;

pub(super) enum Track {
	/// A transaction about to be sent.
	Sent { hash: [u8; 32], at: Instant, frames: Vec<(usize, usize)> },
	/// A bad transaction about to be sent: it must never appear in a block.
	Bad { hash: [u8; 32] },
	/// A transaction the pool refused.
	Forget([u8; 32]),
	/// A transaction whose frames went again in another: still followed, as it may reach
	/// a block all the same, but no longer waited for.
	Supersede([u8; 32]),
}

pub(super) struct Tracked {
	pub(super) sent: Instant,
	pub(super) frames: Vec<(usize, usize)>,
	pub(super) included: Option<Instant>,
	pub(super) finalized: Option<Instant>,
	/// Its frames went again in another transaction.
	pub(super) superseded: bool,
}

/// A block of the run as the follower saw it.
#[derive(Clone)]
pub(super) struct BlockSeen {
	pub(super) number: u64,
	/// Seconds after the window opened.
	pub(super) seen: f64,
	/// Valid bench frames in it.
	pub(super) frames: u64,
	pub(super) extrinsics: usize,
	pub(super) bytes: usize,
	/// The block's weight (ref time) in µs in the frames' dispatch class: what frames fill.
	pub(super) frame_weight_us: f64,
}

#[derive(Default)]
pub(super) struct Followed {
	pub(super) tracked: HashMap<[u8; 32], Tracked>,
	pub(super) bad: std::collections::HashSet<[u8; 32]>,
	/// Bad transactions found in a block (must stay 0).
	pub(super) bad_included: u64,
	pub(super) blocks: Vec<BlockSeen>,
	pub(super) finalized_number: u64,
}

impl Followed {
	/// Transactions waited for: not finalized, and not superseded unless in a block.
	pub(super) fn pending(&self) -> usize {
		self.tracked
			.values()
			.filter(|t| t.finalized.is_none() && (!t.superseded || t.included.is_some()))
			.count()
	}
}

pub(super) fn block_hashes(client: &mut Client, hash: &str) -> Result<(Vec<[u8; 32]>, usize)> {
	let block = client.call("chain_getBlock", json!([hash]))?;
	let extrinsics = block["block"]["extrinsics"]
		.as_array()
		.ok_or_else(|| Error::node(format!("chain_getBlock {hash}: no extrinsics")))?;
	let mut bytes = 0;
	let hashes = extrinsics
		.iter()
		.map(|x| {
			let raw = unhex(x.as_str().unwrap_or_default())
				.map_err(|e| Error::node(format!("chain_getBlock {hash}: {e}")))?;
			bytes += raw.len();
			Ok(sp_io::hashing::blake2_256(&raw))
		})
		.collect::<Result<_>>()?;
	Ok((hashes, bytes))
}

/// The weight (ref time, µs) that the block `hash` counted in `class` (the frames'
/// `pallet_readings::FRAME_CLASS`, or `Normal` for the baseline's remarks), from its
/// `System::BlockWeight` (kept in the block's state until the next block starts).
pub(super) fn frame_weight_us(
	client: &mut Client,
	hash: &str,
	class: frame_support::dispatch::DispatchClass,
) -> Result<f64> {
	use codec::Decode;
	let raw = client
		.storage_at(&value_key("System", "BlockWeight"), hash)?
		.ok_or_else(|| Error::node(format!("block {hash}: no System::BlockWeight")))?;
	let consumed = frame_system::ConsumedWeight::decode(&mut &raw[..]).map_err(|e| {
		Error::node(format!("block {hash}: System::BlockWeight does not decode: {e}"))
	})?;
	Ok(consumed.get(class).ref_time() as f64 / 1e6)
}

pub(super) fn follow(
	url: String,
	origin: Instant,
	start_block: u64,
	class: frame_support::dispatch::DispatchClass,
	tracks: mpsc::Receiver<Track>,
	back: mpsc::Sender<Back>,
	state: Arc<Mutex<Followed>>,
	stop: Arc<AtomicBool>,
) -> Result<()> {
	let mut client = Client::new(&url)?;
	// New and finalized heads as the node announces them: no polling.
	let mut best_heads = client.subscribe_heads(HeadKind::Best)?;
	let mut finalized_heads = client.subscribe_heads(HeadKind::Finalized)?;
	let (mut best_seen, mut finalized_seen) = (start_block, start_block);
	let mut best_done = start_block;
	let mut finalized_done = start_block;
	let mut bodies: HashMap<String, Vec<[u8; 32]>> = HashMap::new();
	loop {
		let stopping = stop.load(Ordering::Relaxed);
		{
			let mut state = state.lock().expect("follower state");
			for track in tracks.try_iter() {
				match track {
					Track::Sent { hash, at, frames } => {
						state.tracked.insert(
							hash,
							Tracked {
								sent: at,
								frames,
								included: None,
								finalized: None,
								superseded: false,
							},
						);
					}
					Track::Bad { hash } => {
						state.bad.insert(hash);
					}
					Track::Forget(hash) => {
						state.tracked.remove(&hash);
					}
					Track::Supersede(hash) => {
						if let Some(tracked) = state.tracked.get_mut(&hash) {
							tracked.superseded = true;
						}
					}
				}
			}
		}
		// Waits up to 100 ms for a new head, then works through every block up to it.
		if let Some(number) = client.latest_head(&mut best_heads, Duration::from_millis(100))? {
			best_seen = best_seen.max(number);
		}
		let best = best_seen;
		for number in best_done + 1..=best {
			let hash = client.block_hash(number)?;
			let (hashes, bytes) = block_hashes(&mut client, &hash)?;
			let now = Instant::now();
			let frame_weight_us = frame_weight_us(&mut client, &hash, class)?;
			let mut state = state.lock().expect("follower state");
			let mut frames = 0u64;
			let mut released = Vec::new();
			for h in &hashes {
				if state.bad.contains(h) {
					state.bad_included += 1;
				}
				if let Some(tracked) = state.tracked.get_mut(h) {
					if tracked.included.is_none() {
						tracked.included = Some(now);
						frames += tracked.frames.len() as u64;
						released.extend_from_slice(&tracked.frames);
					}
				}
			}
			state.blocks.push(BlockSeen {
				number,
				seen: now.duration_since(origin).as_secs_f64(),
				frames,
				extrinsics: hashes.len(),
				bytes,
				frame_weight_us,
			});
			drop(state);
			bodies.insert(hash, hashes);
			if !released.is_empty() {
				let _ = back.send(Back::Included(released));
			}
		}
		best_done = best_done.max(best);

		if let Some(number) = client.latest_head(&mut finalized_heads, Duration::ZERO)? {
			finalized_seen = finalized_seen.max(number);
		}
		let finalized = finalized_seen;
		for number in finalized_done + 1..=finalized {
			let hash = client.block_hash(number)?;
			let hashes = match bodies.remove(&hash) {
				Some(hashes) => hashes,
				None => block_hashes(&mut client, &hash)?.0,
			};
			let now = Instant::now();
			let mut state = state.lock().expect("follower state");
			let mut finalized = Vec::new();
			for h in &hashes {
				if let Some(tracked) = state.tracked.get_mut(h) {
					tracked.included.get_or_insert(now);
					if tracked.finalized.is_none() {
						tracked.finalized = Some(now);
						finalized.extend_from_slice(&tracked.frames);
					}
				}
			}
			state.finalized_number = number;
			drop(state);
			if !finalized.is_empty() {
				let _ = back.send(Back::Finalized(finalized));
			}
		}
		finalized_done = finalized_done.max(finalized);
		// Bodies of blocks that can no longer be finalized (forks) are dropped.
		if bodies.len() > 256 {
			bodies.clear();
		}
		if stopping && state.lock().expect("follower state").pending() == 0 {
			return Ok(());
		}
	}
}
