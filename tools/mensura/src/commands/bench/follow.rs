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

/// The frames a run's blocks (from the first with a bench frame to the last) carried per
/// second of chain time: over their slots, one 6-second slot a block, or over the time
/// they took to come if that was longer. A node that cannot build or import its blocks
/// in their slots misses slots (three validators sharing two cores do), and a block
/// that comes 20 s after the one before it held 20 s of frames, not 6.
pub(super) fn chain_rate(blocks: &[BlockSeen]) -> f64 {
	let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
		return 0.0;
	};
	let frames: u64 = blocks.iter().map(|b| b.frames).sum();
	let slots = blocks.len() as f64 * super::SLOT_SECONDS;
	// The first block's frames came in the slot before it.
	let span = last.seen - first.seen + super::SLOT_SECONDS;
	frames as f64 / slots.max(span)
}

#[derive(Default)]
pub(super) struct Followed {
	pub(super) tracked: HashMap<[u8; 32], Tracked>,
	pub(super) bad: std::collections::HashSet<[u8; 32]>,
	/// Bad transactions found in a block (must stay 0).
	pub(super) bad_included: u64,
	pub(super) blocks: Vec<BlockSeen>,
	pub(super) finalized_number: u64,
	/// The most weight (ref time, µs) a block may count in the run's dispatch class.
	pub(super) class_limit_us: f64,
	/// What the run's largest transaction declares (ref time, µs, with the extrinsic base
	/// weight): a block builder takes a transaction only while this much is left in the
	/// class, whatever the transaction then uses. 0 when unknown.
	pub(super) declared_us: f64,
	/// The validators of the run: each authors one slot in so many.
	pub(super) validators: usize,
	/// Frames in finalized blocks, whichever transaction carried them.
	pub(super) finalized_frames: std::collections::HashSet<(usize, usize)>,
}

impl Followed {
	/// The best block followed so far (0 before the first).
	pub(super) fn best(&self) -> u64 {
		self.blocks.last().map_or(0, |b| b.number)
	}

	/// Whether a transaction that its pool still holds was left out of
	/// [`HELD_PAST_BLOCKS_WITH_ROOM`] blocks with room for it per validator, since the
	/// follower's best block was `after`.
	pub(super) fn held_out(&self, after: u64) -> bool {
		self.blocks_with_room(after) >= self.held_out_after()
	}

	/// How many blocks with room a held transaction is let go after:
	/// [`HELD_PAST_BLOCKS_WITH_ROOM`] per validator.
	pub(super) fn held_out_after(&self) -> usize {
		HELD_PAST_BLOCKS_WITH_ROOM * self.validators.max(1)
	}

	/// How many blocks after `after` had room left for a transaction of the run: the
	/// weight the run's largest transaction declares ([`Followed::declared_us`]; until
	/// 2026-12-07 a transaction's frames at the most weight a frame had used in a block of the run,
	/// which took every full block for one with room, as a batch declares about four
	/// times what its frames use). A smaller transaction declares less: counted at the
	/// largest, it is let go later, never too early. Before the declared weight is known,
	/// no block has room.
	pub(super) fn blocks_with_room(&self, after: u64) -> usize {
		if self.declared_us == 0.0 {
			return 0;
		}
		self.blocks
			.iter()
			.filter(|b| {
				b.number > after && b.frame_weight_us + self.declared_us <= self.class_limit_us
			})
			.count()
	}

	/// Transactions waited for: not finalized, not superseded unless in a block, and
	/// with a frame no finalized block holds yet (a transaction in a block that left the
	/// best chain may never be final, its frames final in another).
	pub(super) fn pending(&self) -> usize {
		self.tracked
			.values()
			.filter(|t| {
				t.finalized.is_none()
					&& (!t.superseded || t.included.is_some())
					&& !t.frames.iter().all(|f| self.finalized_frames.contains(f))
			})
			.count()
	}
}

/// How many blocks in a row without a run's transaction end a baseline's drain.
pub(super) const SETTLED_AFTER_BLOCKS: usize = 5;

/// Whether nothing more of the run is coming: the last [`SETTLED_AFTER_BLOCKS`] blocks
/// carried none of the run's transactions, and the last block that did is final (what
/// is still unfinalized, the pool keeps out of its blocks). GRANDPA votes below the
/// best block, so the best block itself is never final while blocks are built.
pub(super) fn settled(state: &Followed) -> bool {
	let quiet = state.blocks.iter().rev().take_while(|b| b.frames == 0).count();
	let last_carrying = state.blocks.iter().rev().find(|b| b.frames > 0).map(|b| b.number);
	quiet >= SETTLED_AFTER_BLOCKS && last_carrying.is_none_or(|n| state.finalized_number >= n)
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
			state.finalized_frames.extend(finalized.iter().copied());
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

#[cfg(test)]
mod tests {
	use super::*;
	use crate::commands::bench::send::tests::block;

	#[test]
	fn blocks_that_miss_their_slots_count_the_time_they_took() {
		let at = |number, seen, frames| BlockSeen { seen, ..block(number, frames) };
		// On time: one block a slot, whatever the jitter.
		let on_time = [at(6, 14.7, 6_000), at(7, 19.9, 6_000), at(8, 26.1, 6_000)];
		assert_eq!(chain_rate(&on_time), 18_000.0 / 18.0);
		// Three blocks 22 s apart held 50 s of frames, not 18.
		let late = [at(6, 10.0, 6_000), at(7, 32.0, 6_000), at(8, 54.0, 6_000)];
		assert_eq!(chain_rate(&late), 18_000.0 / 50.0);
		assert_eq!(chain_rate(&[]), 0.0);
	}

	#[test]
	fn a_baseline_is_settled_once_its_last_block_is_final_and_five_blocks_carry_none_of_it() {
		let mut state = Followed::default();
		state.blocks = (1..=4).map(|n| block(n, 0)).collect();
		state.blocks.push(block(5, 300));
		state.blocks.extend((6..=9).map(|n| block(n, 0)));
		state.finalized_number = 8;
		assert!(!settled(&state), "block 5 carried remarks: four quiet blocks are not enough");
		state.blocks.push(block(10, 0));
		assert!(settled(&state), "five quiet blocks, block 5 final: the best need not be");
		state.finalized_number = 4;
		assert!(!settled(&state), "block 5 is not final yet");
	}

	#[test]
	fn blocks_with_room_count_those_after_the_asking_that_could_have_taken_the_transaction() {
		// A batch of 256 declares 80 ms; its frames use about 23 ms.
		let mut state =
			Followed { class_limit_us: 2_000_000.0, declared_us: 80_000.0, ..Default::default() };
		let full = |number| BlockSeen { frame_weight_us: 1_927_000.0, ..block(number, 21_760) };
		state.blocks = vec![full(5), full(6)];
		// 73 ms left: room for what a batch's frames use, not for what it declares.
		assert_eq!(state.blocks_with_room(4), 0, "a full block has no room for a batch");
		state.blocks.push(BlockSeen { frame_weight_us: 1_000_000.0, ..block(7, 11_000) });
		state.blocks.push(block(8, 0));
		assert_eq!(state.blocks_with_room(4), 2);
		assert_eq!(state.blocks_with_room(7), 1, "only blocks after the asking count");
		assert_eq!(
			Followed { declared_us: 0.0, ..state }.blocks_with_room(4),
			0,
			"no declared weight known: no block counts as having room"
		);
	}

	#[test]
	fn held_out_takes_two_blocks_with_room_per_validator() {
		let mut state = Followed {
			class_limit_us: 2_000_000.0,
			declared_us: 80_000.0,
			validators: 1,
			..Default::default()
		};
		state.blocks.push(BlockSeen { frame_weight_us: 1_000_000.0, ..block(1, 11_000) });
		assert!(!state.held_out(0), "one block with room may have been built before it came");
		state.blocks.push(block(2, 0));
		assert!(state.held_out(0));
		state.validators = 3;
		assert!(!state.held_out(0), "its node may author only one block in three");
		state.blocks.extend((3..=6).map(|n| block(n, 0)));
		assert!(state.held_out(0));
	}

	#[test]
	fn a_transaction_whose_frames_are_final_in_another_is_not_waited_for() {
		let mut state = Followed::default();
		let tracked = |frames: Vec<(usize, usize)>| Tracked {
			sent: Instant::now(),
			frames,
			included: Some(Instant::now()),
			finalized: None,
			superseded: false,
		};
		// In a block that left the best chain: never final itself.
		state.tracked.insert([1; 32], tracked(vec![(1, 0), (2, 0)]));
		assert_eq!(state.pending(), 1);
		state.finalized_frames.insert((1, 0));
		assert_eq!(state.pending(), 1, "one of its frames is not final yet");
		state.finalized_frames.insert((2, 0));
		assert_eq!(state.pending(), 0);
	}
}
