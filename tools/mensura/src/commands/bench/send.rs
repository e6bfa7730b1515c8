//! Sending: the senders' connections and what the pool answered.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Ord, PartialOrd)]
pub(super) enum Bad {
	Forged,
	Replayed,
}

impl Bad {
	pub(super) fn name(self) -> &'static str {
		match self {
			Bad::Forged => "forged",
			Bad::Replayed => "replayed",
		}
	}
}

pub(super) enum Payload {
	/// Valid frames: (fleet index, frame index) each.
	Valid(Vec<(usize, usize)>),
	Bad(Bad),
}

pub(super) struct Job {
	pub(super) hash: [u8; 32],
	pub(super) bytes: Vec<u8>,
	pub(super) payload: Payload,
	/// The transaction whose frames this one sends again ([`Rebatches`]): superseded
	/// once the pool takes this one. Should the pool refuse this one, the frames stay in
	/// flight under that one (a refusal here is no lost frame: `Replayed` means that one
	/// reached a block after all).
	pub(super) supersedes: Option<[u8; 32]>,
}

/// What the senders saw.
#[derive(Default)]
pub(super) struct SendStats {
	pub(super) transactions: u64,
	/// Submissions the pool turned away for being full and that were sent again.
	pub(super) pool_full_retries: u64,
	/// Valid transactions the pool refused, by reason: each is a lost frame.
	pub(super) valid_refused: BTreeMap<String, u64>,
	pub(super) valid_refused_frames: u64,
	/// Valid transactions asked about again (sent again, the same bytes) after waiting
	/// [`ASK_AGAIN_AFTER`] in no block, and how many of them the pool took back.
	pub(super) asked_again: u64,
	pub(super) taken_again: u64,
	/// Valid transactions the pool answered "already in the pool" about while blocks
	/// with room for them went by without them ([`HELD_PAST_BLOCKS_WITH_ROOM`]): let go.
	pub(super) held_out: u64,
	/// Answers to asking again other than waiting, banned, or taken back.
	pub(super) asked_again_answers: BTreeMap<String, u64>,
	/// Valid transactions the pool took and later let go (asked again: banned): their
	/// frames go again in a new batch unless a block holds them.
	pub(super) dropped_transactions: u64,
	pub(super) dropped_frames: u64,
	/// Transactions sending frames again that the pool refused, by reason: their frames
	/// stay in flight under the transaction they were to replace.
	pub(super) rebatch_refused: BTreeMap<String, u64>,
	/// Bad frames refused, by kind and reason.
	pub(super) bad_refused: BTreeMap<(Bad, String), u64>,
	/// Bad frames the pool accepted (must stay 0).
	pub(super) bad_accepted: BTreeMap<Bad, u64>,
	/// Seconds each submission took.
	pub(super) submit_seconds: Vec<f64>,
}

pub(super) enum Back {
	/// These meters' frames were refused: out of flight.
	Release(Vec<usize>),
	/// These frames (fleet index, frame index) are in a best block of the node followed:
	/// out of flight.
	Included(Vec<(usize, usize)>),
	/// These frames are finalized: every validator has the block that holds them.
	Finalized(Vec<(usize, usize)>),
	/// The pool took the transaction `hash` and then let it go: its frames, still in
	/// flight, must be sent again in another transaction (its own bytes are banned)
	/// unless a block after `best_then`, the node's best block when the pool said so,
	/// holds it.
	Dropped { hash: [u8; 32], frames: Vec<(usize, usize)>, best_then: u64 },
}

pub(super) fn refusal_reason(error: &RpcError) -> String {
	match frames::rejection(error) {
		Some(reason) => reason.name().to_string(),
		None => match error.code {
			frames::POOL_TEMPORARILY_BANNED => "temporarily banned (already in a block)".into(),
			frames::POOL_ALREADY_IMPORTED => "already in the pool".into(),
			_ => format!("{} ({})", error.message, error.code),
		},
	}
}

/// A valid transaction the pool took, kept by its sender until it is in a block.
struct Sent {
	hash: [u8; 32],
	bytes: Vec<u8>,
	frames: Vec<(usize, usize)>,
	/// When the pool was last asked about it.
	asked: Instant,
	/// The follower's best block then.
	best_asked: u64,
}

/// How long a valid transaction may wait outside any block before its sender asks the
/// pool about it again, and how often it asks.
pub(super) const ASK_AGAIN_AFTER: Duration = Duration::from_secs(6);

/// How many blocks with room for a transaction, per validator, may go by without it
/// before its sender, answered "already in the pool", takes it for let go (with several
/// validators a transaction sent to one reaches the others' pools late, or not at all
/// under load, so it may wait for its own node's slot). A pool that
/// let go of a transaction may still keep it (fork-aware pool: "viewless", in its
/// mempool and banned in every view of a block): it answers "already in the pool" and
/// never offers it to a block. A transaction truly waiting goes in the first block
/// with room built after it arrived, unless it came while that block was being built.
pub(super) const HELD_PAST_BLOCKS_WITH_ROOM: usize = 2;

/// How often a sender looks over what it sent.
const LOOK_OVER_EVERY: Duration = Duration::from_millis(500);

/// A sender: one WebSocket connection, sending the jobs it takes from `jobs` until the
/// channel closes, as a gateway that must lose no frame sends them.
/// `author_submitExtrinsic` answers once, when the pool takes a transaction, and a pool
/// at its limits may later let it go (`enforce_limits` evicts its lowest-priority
/// transactions — for frames, those with the latest intervals — and bans their bytes
/// for 30 minutes). So the sender keeps every valid transaction it sent until the
/// follower sees it in a block, and while it is in none, sends the same bytes again
/// every [`ASK_AGAIN_AFTER`]: the pool answers `already in the pool` (it waits),
/// `temporarily banned` (let go, or just put in a block: the run waits two blocks before
/// sending its frames again in another batch, `Back::Dropped`), or takes it back.
/// Without `ask_again` (the remark baseline: a generic chain's user submits and nothing
/// more) it only sends.
///
/// (Watching each transaction with `author_submitAndWatchExtrinsic` says `dropped` at
/// once, but the node's RPC sockets keep Nagle's algorithm on: a status notification
/// written behind an answer waits for the client's delayed acknowledgement, and so does
/// the answer to the next submission on that connection. Submissions took 44 ms at p95
/// instead of 12, and frames sent alone fell from hundreds a second to 91.)
pub(super) fn sender(
	url: String,
	jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
	stats: Arc<Mutex<SendStats>>,
	back: mpsc::Sender<Back>,
	follower: mpsc::Sender<Track>,
	followed: Arc<Mutex<Followed>>,
	ask_again: bool,
) -> Result<()> {
	let mut client = Client::new(&url)?;
	let mut sent: Vec<Sent> = Vec::new();
	let mut looked = Instant::now();
	loop {
		let next = jobs.lock().expect("job queue").recv_timeout(LOOK_OVER_EVERY);
		let job = match next {
			Ok(job) => Some(job),
			Err(mpsc::RecvTimeoutError::Timeout) => None,
			Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
		};
		if let Some(job) = job {
			send(&mut client, job, &stats, &back, &follower, &followed, &mut sent)?;
			if !ask_again {
				sent.clear();
			}
		}
		if ask_again && looked.elapsed() >= LOOK_OVER_EVERY {
			looked = Instant::now();
			look_over(&mut client, &mut sent, &followed, &stats, &back)?;
		}
	}
}

fn send(
	client: &mut Client,
	job: Job,
	stats: &Mutex<SendStats>,
	back: &mpsc::Sender<Back>,
	follower: &mpsc::Sender<Track>,
	followed: &Mutex<Followed>,
	sent: &mut Vec<Sent>,
) -> Result<()> {
	let mut retries = 0u64;
	let (result, took) = loop {
		let started = Instant::now();
		let result = client.submit(&job.bytes)?;
		let took = started.elapsed().as_secs_f64();
		match &result {
			// The pool is full: back off and send again, as a gateway would.
			Err(e) if frames::pool_full(e) => {
				retries += 1;
				std::thread::sleep(Duration::from_millis(100));
			}
			_ => break (result, took),
		}
	};
	// A pool that answered "full" may have taken the transaction and evicted it at once
	// (`enforce_limits`), banning its bytes: sent again, it is refused as banned. Let go,
	// not refused: its frames go again in another transaction.
	let evicted_at = match &result {
		Err(error) if retries > 0 && error.code == frames::POOL_TEMPORARILY_BANNED => {
			Some(client.best_number()?)
		}
		_ => None,
	};
	let mut stats = stats.lock().expect("stats");
	stats.transactions += 1;
	stats.pool_full_retries += retries;
	stats.submit_seconds.push(took);
	match (job.payload, result, evicted_at) {
		(Payload::Valid(frames), Err(_), Some(best_then)) => {
			if let Some(old) = job.supersedes {
				let _ = follower.send(Track::Supersede(old));
			}
			stats.dropped_transactions += 1;
			stats.dropped_frames += frames.len() as u64;
			let _ = back.send(Back::Dropped { hash: job.hash, frames, best_then });
		}
		(Payload::Valid(frames), Ok(_), _) => {
			if let Some(old) = job.supersedes {
				let _ = follower.send(Track::Supersede(old));
			}
			let best_asked = followed.lock().expect("follower state").best();
			sent.push(Sent {
				hash: job.hash,
				bytes: job.bytes,
				frames,
				asked: Instant::now(),
				best_asked,
			})
		}
		(Payload::Valid(_), Err(error), None) if job.supersedes.is_some() => {
			*stats.rebatch_refused.entry(refusal_reason(&error)).or_default() += 1;
			// "Already in the pool" or "banned": these very bytes were sent before (an
			// order taken back once, forgotten, and chosen again) and may be in the pool
			// or in a block: still followed, so that its frames count wherever they land.
			if !matches!(
				error.code,
				frames::POOL_ALREADY_IMPORTED | frames::POOL_TEMPORARILY_BANNED
			) {
				let _ = follower.send(Track::Forget(job.hash));
			}
		}
		(Payload::Valid(frames), Err(error), None) => {
			*stats.valid_refused.entry(refusal_reason(&error)).or_default() += 1;
			stats.valid_refused_frames += frames.len() as u64;
			let _ = follower.send(Track::Forget(job.hash));
			let _ = back.send(Back::Release(frames.iter().map(|(m, _)| *m).collect()));
		}
		(Payload::Bad(kind), Ok(_), _) => {
			*stats.bad_accepted.entry(kind).or_default() += 1;
		}
		(Payload::Bad(kind), Err(error), _) => {
			*stats.bad_refused.entry((kind, refusal_reason(&error))).or_default() += 1;
		}
	}
	Ok(())
}

/// Forgets what is in a block (or no longer followed: its frames went again in another
/// transaction), and asks the pool again about what has waited [`ASK_AGAIN_AFTER`].
fn look_over(
	client: &mut Client,
	sent: &mut Vec<Sent>,
	followed: &Mutex<Followed>,
	stats: &Mutex<SendStats>,
	back: &mpsc::Sender<Back>,
) -> Result<()> {
	{
		// A transaction the follower has not heard of yet (it reads the tracks between
		// blocks, and a block can take it a second) stays: it is in no block it read.
		let state = followed.lock().expect("follower state");
		sent.retain(|s| {
			state.tracked.get(&s.hash).is_none_or(|t| t.included.is_none() && !t.superseded)
		});
	}
	let mut kept = Vec::with_capacity(sent.len());
	for mut s in sent.drain(..) {
		if s.asked.elapsed() < ASK_AGAIN_AFTER {
			kept.push(s);
			continue;
		}
		s.asked = Instant::now();
		let answer = client.submit(&s.bytes)?;
		// The node's best block when its pool says `banned`: a block after it may hold
		// the transaction (a block being built when the pool let it go).
		let best_then = match &answer {
			Err(error) if error.code == frames::POOL_TEMPORARILY_BANNED => client.best_number()?,
			_ => 0,
		};
		let (best, held_out) = {
			let state = followed.lock().expect("follower state");
			(state.best(), state.held_out(s.best_asked))
		};
		let mut stats = stats.lock().expect("stats");
		stats.asked_again += 1;
		match answer {
			Ok(_) => {
				stats.taken_again += 1;
				s.best_asked = best;
				kept.push(s);
			}
			// Held, while blocks with room for it went by without it: the pool keeps it
			// out of its blocks.
			Err(error) if error.code == frames::POOL_ALREADY_IMPORTED && held_out => {
				stats.held_out += 1;
				stats.dropped_transactions += 1;
				stats.dropped_frames += s.frames.len() as u64;
				let _ =
					back.send(Back::Dropped { hash: s.hash, frames: s.frames, best_then: best });
			}
			Err(error) if error.code == frames::POOL_ALREADY_IMPORTED => kept.push(s),
			Err(error) if error.code == frames::POOL_TEMPORARILY_BANNED => {
				stats.dropped_transactions += 1;
				stats.dropped_frames += s.frames.len() as u64;
				let _ = back.send(Back::Dropped { hash: s.hash, frames: s.frames, best_then });
			}
			// The pool is full (the pool had let it go, and has no room for it now): ask
			// again later.
			Err(error) if frames::pool_full(&error) => kept.push(s),
			// Anything else (`Replayed`: its frames are stored, by this transaction in a
			// block the follower has not read yet, or by another): the follower says.
			Err(error) => {
				*stats.asked_again_answers.entry(refusal_reason(&error)).or_default() += 1;
			}
		}
	}
	*sent = kept;
	Ok(())
}

/// The frames of a transaction, turned by `turn` places: the same frames in another
/// order are another transaction (other bytes, not banned with the first). Turning
/// rather than reversing, so that sending again what was already sent again does not
/// give back the first bytes (a transaction of `n` frames has `n` turns).
pub(super) fn turned(frames: &[(usize, usize)], turn: usize) -> Vec<(usize, usize)> {
	let mut turned = frames.to_vec();
	if !turned.is_empty() {
		turned.rotate_left(turn % frames.len());
	}
	turned
}

/// How many new best blocks a transaction the pool let go has to reach one before its
/// frames go again, with `validators` validators. `dropped` is not the last word: the
/// block being built may already hold the transaction when the pool evicts it, and then
/// the frames sent again would only be refused as `Replayed`. With one validator that
/// block is the next one: a block begun after the eviction takes its transactions from a
/// pool without it. With several, another node's pool may still hold it, and the next
/// block may be another's: one block more.
pub(super) fn dropped_grace_blocks(validators: usize) -> u64 {
	if validators > 1 {
		2
	} else {
		1
	}
}

/// A transaction the pool let go, waiting out [`dropped_grace_blocks`].
pub(super) struct LetGo {
	frames: Vec<(usize, usize)>,
	/// The node's best block when its pool said it let the transaction go.
	best_then: u64,
}

/// Frames of transactions the pool took and let go, sent again in other transactions:
/// the one way frames go again, whoever found them let go (a sender asking again, or
/// [`Resends`]).
#[derive(Default)]
pub(super) struct Rebatches {
	/// Let go, and neither in a block yet nor taken back, by transaction hash.
	pub(super) waiting: HashMap<[u8; 32], LetGo>,
	/// Let go by the pool, and in a block all the same.
	pub(super) included_all_the_same: u64,
	/// Lone frames, each with when it was first sent, waiting for a companion: a
	/// transaction of one frame has no other order, so it goes again beside another
	/// frame (with one validator, the next fresh batch's; with several, only another
	/// lone frame's, as a frame in no block of one node may be in another's).
	pub(super) lone: Vec<((usize, usize), Instant)>,
	pub(super) transactions: u64,
	pub(super) frames: u64,
	/// The peer baseline's: a remark the pool let go is the approach's loss, never sent
	/// again (its signed nonce cannot go in another transaction, and its account's later
	/// remarks wait behind it for good; `frames.baselineLostRemarks`).
	pub(super) remarks: bool,
	/// [`dropped_grace_blocks`] of the run's network.
	pub(super) grace_blocks: u64,
}

impl Rebatches {
	/// For a run's transactions on `validators` validators: the peer baseline's remarks
	/// (`remarks`), or frames.
	pub(super) fn new(remarks: bool, validators: usize) -> Self {
		Rebatches { remarks, grace_blocks: dropped_grace_blocks(validators), ..Default::default() }
	}

	/// Notes that the pool let the transaction `hash` go when the node's best block was
	/// `best_then` (once: a transaction already waiting is not noted twice); a remark
	/// stays lost, its meter in flight.
	pub(super) fn let_go(&mut self, hash: [u8; 32], frames: Vec<(usize, usize)>, best_then: u64) {
		if !self.remarks {
			self.waiting.entry(hash).or_insert(LetGo { frames, best_then });
		}
	}

	/// Whether the transaction `hash` waits to have its frames sent again.
	pub(super) fn holds(&self, hash: &[u8; 32]) -> bool {
		self.waiting.contains_key(hash)
	}

	/// Sends again the frames of every transaction let go that the follower has not seen
	/// in a block [`dropped_grace_blocks`] blocks past the node's best when the pool let
	/// it go; forgets the ones in a block.
	pub(super) fn take_back_due(
		&mut self,
		followed: &Mutex<Followed>,
		track: &mpsc::Sender<Track>,
		jobs: &mpsc::SyncSender<Job>,
		bytes_of: impl Fn(&[(usize, usize)]) -> Result<Vec<u8>>,
	) -> Result<()> {
		if self.waiting.is_empty() {
			return Ok(());
		}
		let mut due = Vec::new();
		{
			let state = followed.lock().expect("follower state");
			let best = state.best();
			let included_all_the_same = &mut self.included_all_the_same;
			let grace = self.grace_blocks;
			self.waiting.retain(|hash, l| {
				if state.tracked.get(hash).is_some_and(|t| t.included.is_some()) {
					*included_all_the_same += 1;
					false
				} else if best >= l.best_then + grace {
					due.push((*hash, core::mem::take(&mut l.frames)));
					false
				} else {
					true
				}
			});
		}
		for (hash, frames) in due {
			self.take_back(hash, frames, followed, track, jobs, &bytes_of)?;
		}
		Ok(())
	}

	/// Takes back the frames of `hash`, which the pool let go, and sends them again in
	/// another transaction through `jobs` (kept by its sender, like any): their first
	/// turn whose transaction was never sent, or, when every turn was (two frames sent
	/// again twice), each frame as a lone one. Latencies still count from the frames'
	/// first sending.
	fn take_back(
		&mut self,
		hash: [u8; 32],
		frames: Vec<(usize, usize)>,
		followed: &Mutex<Followed>,
		track: &mpsc::Sender<Track>,
		jobs: &mpsc::SyncSender<Job>,
		bytes_of: impl Fn(&[(usize, usize)]) -> Result<Vec<u8>>,
	) -> Result<()> {
		let first_sent = followed
			.lock()
			.expect("follower state")
			.tracked
			.get(&hash)
			.map(|t| t.sent)
			.unwrap_or_else(Instant::now);
		let (frames, bytes, new_hash, at) = match unsent_order(&frames, 1, followed, &bytes_of)? {
			Some((order, bytes, new_hash)) => (order, bytes, new_hash, first_sent),
			None => {
				self.lone.extend(frames.iter().map(|&frame| (frame, first_sent)));
				let _ = track.send(Track::Supersede(hash));
				let lone: Vec<_> = self.lone.iter().map(|(frame, _)| *frame).collect();
				if lone.len() < 2 {
					return Ok(());
				}
				// Lone frames together, in an order never sent; or they wait for more
				// (or, with one validator, for the next fresh batch).
				let Some((order, bytes, new_hash)) = unsent_order(&lone, 0, followed, &bytes_of)?
				else {
					return Ok(());
				};
				let at = self.lone.iter().map(|(_, at)| *at).min().unwrap_or(first_sent);
				self.lone.clear();
				(order, bytes, new_hash, at)
			}
		};
		self.transactions += 1;
		self.frames += frames.len() as u64;
		// Tracked before it is sent: the follower reads it before the sender supersedes
		// the old one (same channel), and, draining, ends only when it waits for nothing.
		let _ = track.send(Track::Sent { hash: new_hash, at, frames: frames.clone() });
		jobs.send(Job {
			hash: new_hash,
			bytes,
			payload: Payload::Valid(frames),
			supersedes: Some(hash),
		})
		.map_err(|_| Error::failure("the senders stopped"))
	}
}

/// The first turn of `frames` from `first_turn` on whose transaction was never sent (the
/// follower tracks every transaction sent), with its bytes and hash.
#[allow(clippy::type_complexity)]
fn unsent_order(
	frames: &[(usize, usize)],
	first_turn: usize,
	followed: &Mutex<Followed>,
	bytes_of: impl Fn(&[(usize, usize)]) -> Result<Vec<u8>>,
) -> Result<Option<(Vec<(usize, usize)>, Vec<u8>, [u8; 32])>> {
	for turn in first_turn..frames.len() {
		let order = turned(frames, turn);
		let bytes = bytes_of(&order)?;
		let hash = sp_io::hashing::blake2_256(&bytes);
		if !followed.lock().expect("follower state").tracked.contains_key(&hash) {
			return Ok(Some((order, bytes, hash)));
		}
	}
	Ok(None)
}

/// How long a sent transaction may go unfinalized before it is sent again. The senders
/// ask the pool about each transaction in no block every [`ASK_AGAIN_AFTER`], and what
/// the pool let go goes again in another batch ([`Rebatches`]); this covers what they
/// cannot see: a block that left the best chain, a transaction the pool holds and keeps
/// out of every block. The same bytes go first (a pool that still holds them, or a
/// chain that has them, says so); a transaction in no block that the pool refuses as
/// banned, or still holds, has its frames sent again by [`Rebatches`] (new bytes; a
/// frame already stored is refused as `Replayed`, which loses nothing).
pub(super) const RESEND_AFTER: Duration = Duration::from_secs(90);

/// The transactions sent again, and what the node answered.
#[derive(Default)]
pub(super) struct Resends {
	/// When each transaction sent again was last sent.
	pub(super) last: HashMap<[u8; 32], Instant>,
	pub(super) transactions: u64,
	pub(super) frames: u64,
	/// Frames handed to [`Rebatches`] after the pool refused their transaction as banned
	/// or kept holding it.
	pub(super) rebatched_frames: u64,
	/// By answer: "taken back" (the pool had dropped it), the refusal's reason, and
	/// "…; re-batched" for those handed to [`Rebatches`].
	pub(super) answers: BTreeMap<String, u64>,
}

impl Resends {
	/// Sends again, through `client`, every valid transaction that `followed` has not
	/// seen finalized [`RESEND_AFTER`] after it was last sent; `bytes_of` builds a
	/// transaction's bytes from its frames in the order given. One the pool refuses as
	/// banned, or still holds, and that is in no block goes to `rebatches`.
	pub(super) fn resend_overdue(
		&mut self,
		client: &mut Client,
		followed: &Mutex<Followed>,
		rebatches: &mut Rebatches,
		bytes_of: impl Fn(&[(usize, usize)]) -> Result<Vec<u8>>,
	) -> Result<()> {
		let overdue: Vec<([u8; 32], bool, Vec<(usize, usize)>)> = {
			let state = followed.lock().expect("follower state");
			state
				.tracked
				.iter()
				.filter(|(hash, tracked)| {
					tracked.finalized.is_none()
						&& !tracked.superseded
						&& !rebatches.holds(hash)
						&& self.last.get(*hash).copied().unwrap_or(tracked.sent).elapsed()
							>= RESEND_AFTER
				})
				.map(|(hash, tracked)| (*hash, tracked.included.is_some(), tracked.frames.clone()))
				.collect()
		};
		for (hash, included, frames) in overdue {
			let bytes = bytes_of(&frames)?;
			if sp_io::hashing::blake2_256(&bytes) != hash {
				return Err(Error::failure("a transaction sent again differs from the one sent"));
			}
			self.last.insert(hash, Instant::now());
			self.transactions += 1;
			self.frames += frames.len() as u64;
			let answer = match client.submit(&bytes)? {
				Ok(_) => "taken back".to_string(),
				// Banned and in no block the follower saw: evicted. (Once in a block, a
				// transaction is banned too; then its block awaits finality.) Or held by a
				// pool that has not put it in a block for all that time (a pool at its
				// limits may keep a transaction it took out of every block's view).
				Err(error)
					if (error.code == frames::POOL_TEMPORARILY_BANNED
						|| error.code == frames::POOL_ALREADY_IMPORTED)
						&& !included =>
				{
					let held = if error.code == frames::POOL_TEMPORARILY_BANNED {
						"banned"
					} else {
						"held in the pool"
					};
					self.rebatched_frames += frames.len() as u64;
					rebatches.let_go(hash, frames, client.best_number()?);
					format!("{held}; re-batched")
				}
				Err(error) => refusal_reason(&error),
			};
			*self.answers.entry(answer).or_default() += 1;
		}
		Ok(())
	}
}

#[cfg(test)]
pub(super) mod tests {
	use super::*;

	fn frames(n: usize) -> Vec<(usize, usize)> {
		(0..n).map(|m| (m, 0)).collect()
	}

	/// Bytes of a made-up transaction: one per order of frames, as the real encoding is.
	fn bytes_of(picked: &[(usize, usize)]) -> Result<Vec<u8>> {
		Ok(format!("{picked:?}").into_bytes())
	}

	fn hash_of(picked: &[(usize, usize)]) -> [u8; 32] {
		sp_io::hashing::blake2_256(&bytes_of(picked).unwrap())
	}

	fn tracked(frames: Vec<(usize, usize)>) -> Tracked {
		Tracked { sent: Instant::now(), frames, included: None, finalized: None, superseded: false }
	}

	#[test]
	fn turning_again_never_gives_back_the_first_order() {
		let first = frames(64);
		let once = turned(&first, 1);
		assert_ne!(once, first);
		// Sending again what was sent again: reversing twice gave back the banned bytes.
		assert_ne!(turned(&once, 1), first);
		assert_ne!(turned(&once, 1), once);
		let mut sorted = turned(&first, 5);
		sorted.sort();
		assert_eq!(sorted, first, "a turn keeps every frame once");
		assert_eq!(turned(&first, 64), first);
	}

	/// What the re-batching works with: the follower's state, the channels to the
	/// follower and the senders, and the re-batching itself.
	struct Harness {
		followed: Mutex<Followed>,
		track_tx: mpsc::Sender<Track>,
		track_rx: mpsc::Receiver<Track>,
		job_tx: mpsc::SyncSender<Job>,
		job_rx: mpsc::Receiver<Job>,
		rebatches: Rebatches,
	}

	impl Harness {
		fn new() -> Self {
			let (track_tx, track_rx) = mpsc::channel();
			let (job_tx, job_rx) = mpsc::sync_channel(16);
			Harness {
				followed: Mutex::new(Followed::default()),
				track_tx,
				track_rx,
				job_tx,
				job_rx,
				rebatches: Rebatches::new(false, 3),
			}
		}

		/// The same, for a network of one validator.
		fn alone() -> Self {
			Harness { rebatches: Rebatches::new(false, 1), ..Self::new() }
		}

		/// Follows a transaction of `order` as sent; returns its hash.
		fn sent(&self, order: &[(usize, usize)]) -> [u8; 32] {
			let hash = hash_of(order);
			self.followed.lock().unwrap().tracked.insert(hash, tracked(order.to_vec()));
			hash
		}

		fn block_seen(&self, number: u64) {
			self.followed.lock().unwrap().blocks.push(block(number, 0));
		}

		fn take_back_due(&mut self) {
			self.rebatches
				.take_back_due(&self.followed, &self.track_tx, &self.job_tx, bytes_of)
				.unwrap();
		}

		fn take_back(&mut self, order: &[(usize, usize)]) {
			self.rebatches
				.take_back(
					hash_of(order),
					order.to_vec(),
					&self.followed,
					&self.track_tx,
					&self.job_tx,
					bytes_of,
				)
				.unwrap();
		}
	}

	pub(in super::super) fn block(number: u64, frames: u64) -> BlockSeen {
		BlockSeen { number, seen: 0.0, frames, extrinsics: 0, bytes: 0, frame_weight_us: 0.0 }
	}

	#[test]
	fn a_remark_let_go_is_the_baselines_loss_and_never_goes_again() {
		let mut remarks = Rebatches::new(true, 1);
		remarks.let_go([1; 32], vec![(0, 0)], 10);
		remarks.let_go([2; 32], vec![(1, 0)], 10);
		assert!(remarks.waiting.is_empty() && !remarks.holds(&[1; 32]));
		let mut frames = Rebatches::new(false, 1);
		frames.let_go([1; 32], vec![(0, 0)], 10);
		assert!(frames.holds(&[1; 32]));
	}

	#[test]
	fn with_one_validator_frames_let_go_wait_for_the_block_being_built_alone() {
		let mut h = Harness::alone();
		let first = frames(4);
		let hash = h.sent(&first);
		// The node's best was 10 when its pool said `banned`: block 11 may hold it.
		h.rebatches.let_go(hash, first.clone(), 10);
		h.block_seen(10);
		h.take_back_due();
		assert!(h.job_rx.try_recv().is_err(), "the block being built may still hold it");
		h.block_seen(11);
		h.take_back_due();
		let job = h.job_rx.try_recv().expect("sent again once that block is read without it");
		assert_eq!(job.supersedes, Some(hash));
		assert!(h.rebatches.waiting.is_empty());
	}

	#[test]
	fn with_several_validators_frames_let_go_wait_two_blocks_past_the_nodes_best_then_go_in_a_new_order(
	) {
		let mut h = Harness::new();
		let first = frames(4);
		let hash = h.sent(&first);
		// The node's best was 10 when its pool said `banned`; the follower reads 11.
		h.rebatches.let_go(hash, first.clone(), 10);
		h.rebatches.let_go(hash, first.clone(), 10);
		assert_eq!(h.rebatches.waiting.len(), 1, "noted once");
		h.block_seen(11);
		h.take_back_due();
		assert!(h.job_rx.try_recv().is_err(), "a block being built may still hold it");
		h.block_seen(12);
		h.take_back_due();
		let job = h.job_rx.try_recv().expect("sent again after two blocks");
		assert_eq!(job.supersedes, Some(hash));
		let Payload::Valid(again) = job.payload else { panic!("valid frames") };
		assert_eq!(again, turned(&first, 1));
		assert_eq!(job.hash, hash_of(&again));
		match h.track_rx.try_recv() {
			Ok(Track::Sent { hash, frames, .. }) => {
				assert_eq!((hash, frames), (job.hash, again.clone()))
			}
			_ => panic!("the new transaction is tracked before it is sent"),
		}
		assert!(h.rebatches.waiting.is_empty());
	}

	#[test]
	fn frames_let_go_in_a_block_all_the_same_are_not_sent_again() {
		let mut h = Harness::new();
		let first = frames(3);
		let hash = h.sent(&first);
		h.followed.lock().unwrap().tracked.get_mut(&hash).unwrap().included = Some(Instant::now());
		h.rebatches.let_go(hash, first, 0);
		h.take_back_due();
		assert!(h.job_rx.try_recv().is_err());
		assert_eq!(h.rebatches.included_all_the_same, 1);
		assert!(h.rebatches.waiting.is_empty());
	}

	#[test]
	fn a_pair_sent_again_twice_waits_as_lone_frames() {
		let mut h = Harness::new();
		let first = frames(2);
		let again = turned(&first, 1);
		// Both orders were sent already: no third order exists.
		h.sent(&first);
		h.sent(&again);
		h.take_back(&again);
		assert!(h.job_rx.try_recv().is_err(), "no order of the pair is unsent");
		assert_eq!(h.rebatches.lone.len(), 2, "they wait for a companion");
		// A third lone frame gives them an order never sent.
		let third = vec![(7, 0)];
		h.sent(&third);
		h.take_back(&third);
		let job = h.job_rx.try_recv().expect("three lone frames go together");
		let Payload::Valid(together) = job.payload else { panic!("valid frames") };
		assert_eq!(together.len(), 3);
		assert!(!h.followed.lock().unwrap().tracked.contains_key(&job.hash));
		assert!(h.rebatches.lone.is_empty());
	}
}
