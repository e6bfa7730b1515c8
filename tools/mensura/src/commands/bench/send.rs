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
