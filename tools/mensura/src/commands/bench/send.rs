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
	/// Bad frames refused, by kind and reason.
	pub(super) bad_refused: BTreeMap<(Bad, String), u64>,
	/// Bad frames the pool accepted (must stay 0).
	pub(super) bad_accepted: BTreeMap<Bad, u64>,
	/// Seconds each `author_submitExtrinsic` took.
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

pub(super) fn sender(
	url: String,
	jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
	stats: Arc<Mutex<SendStats>>,
	back: mpsc::Sender<Back>,
	follower: mpsc::Sender<Track>,
) -> Result<()> {
	let mut client = Client::new(&url)?;
	loop {
		let job = match jobs.lock().expect("job queue").recv() {
			Ok(job) => job,
			Err(_) => return Ok(()),
		};
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
		let mut stats = stats.lock().expect("stats");
		stats.transactions += 1;
		stats.pool_full_retries += retries;
		stats.submit_seconds.push(took);
		match (job.payload, result) {
			(Payload::Valid(_), Ok(_)) => {}
			(Payload::Valid(frames), Err(error)) => {
				*stats.valid_refused.entry(refusal_reason(&error)).or_default() += 1;
				stats.valid_refused_frames += frames.len() as u64;
				let _ = follower.send(Track::Forget(job.hash));
				let _ = back.send(Back::Release(frames.iter().map(|(m, _)| *m).collect()));
			}
			(Payload::Bad(kind), Ok(_)) => {
				*stats.bad_accepted.entry(kind).or_default() += 1;
			}
			(Payload::Bad(kind), Err(error)) => {
				*stats.bad_refused.entry((kind, refusal_reason(&error))).or_default() += 1;
			}
		}
	}
}

/// How long a sent transaction may go unfinalized before it is sent again.
/// `author_submitExtrinsic` answers once, when the pool takes a transaction, and nothing
/// tells the sender what happens next. A pool at its limits evicts its lowest-priority
/// transactions to take better ones (`enforce_limits`) and bans what it evicted for 30
/// minutes, the same bytes refused as `temporarily banned`; a block holding a
/// transaction may also leave the best chain. A gateway that must lose no frame
/// therefore sends again what is not final after a while: the same bytes first (a pool
/// that still holds them, or a chain that has them, says so), and, if the pool refuses
/// them as banned, the same frames in another batch (new bytes, so not banned; a frame
/// already stored is refused as `Replayed`, which loses nothing).
pub(super) const RESEND_AFTER: Duration = Duration::from_secs(90);

/// The transactions sent again, and what the node answered.
#[derive(Default)]
pub(super) struct Resends {
	/// When each transaction sent again was last sent.
	pub(super) last: HashMap<[u8; 32], Instant>,
	pub(super) transactions: u64,
	pub(super) frames: u64,
	/// Frames sent again in a new batch after the pool refused their batch as banned.
	pub(super) rebatched_frames: u64,
	/// By answer: "taken back" (the pool had dropped it), the refusal's reason, and for
	/// new batches "new batch: …".
	pub(super) answers: BTreeMap<String, u64>,
}

impl Resends {
	/// Sends again, through `client`, every valid transaction that `followed` has not
	/// seen finalized [`RESEND_AFTER`] after it was last sent; `bytes_of` builds a
	/// transaction's bytes from its frames in the order given. A new batch replaces the
	/// banned one in what the follower tracks (`track`).
	pub(super) fn resend_overdue(
		&mut self,
		client: &mut Client,
		followed: &Mutex<Followed>,
		track: &mpsc::Sender<Track>,
		bytes_of: impl Fn(&[(usize, usize)]) -> Result<Vec<u8>>,
	) -> Result<()> {
		let overdue: Vec<([u8; 32], Instant, bool, Vec<(usize, usize)>)> = {
			let state = followed.lock().expect("follower state");
			state
				.tracked
				.iter()
				.filter(|(hash, tracked)| {
					tracked.finalized.is_none()
						&& self.last.get(*hash).copied().unwrap_or(tracked.sent).elapsed()
							>= RESEND_AFTER
				})
				.map(|(hash, tracked)| {
					(*hash, tracked.sent, tracked.included.is_some(), tracked.frames.clone())
				})
				.collect()
		};
		for (hash, first_sent, included, frames) in overdue {
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
				// transaction is banned too; then its block awaits finality.)
				Err(error)
					if error.code == frames::POOL_TEMPORARILY_BANNED
						&& !included && frames.len() > 1 =>
				{
					// The same frames in the other order: another transaction.
					let reordered: Vec<_> = frames.iter().rev().copied().collect();
					let bytes = bytes_of(&reordered)?;
					let new_hash = sp_io::hashing::blake2_256(&bytes);
					// Latencies still count from the frames' first sending.
					let _ = track.send(Track::Forget(hash));
					let _ = track.send(Track::Sent {
						hash: new_hash,
						at: first_sent,
						frames: reordered.clone(),
					});
					self.last.insert(new_hash, Instant::now());
					self.rebatched_frames += reordered.len() as u64;
					match client.submit(&bytes)? {
						Ok(_) => "banned; new batch taken".to_string(),
						Err(error) => {
							// Refused: the follower tracks the old batch again.
							let _ = track.send(Track::Forget(new_hash));
							let _ = track.send(Track::Sent { hash, at: first_sent, frames });
							format!("banned; new batch: {}", refusal_reason(&error))
						}
					}
				}
				Err(error) => refusal_reason(&error),
			};
			*self.answers.entry(answer).or_default() += 1;
		}
		Ok(())
	}
}
