//! The frames of a run, signed before it starts, on every core.

use super::*;

/// A meter of the run and its pre-signed frames.
pub(super) struct BenchMeter {
	pub(super) id: u64,
	pub(super) frames: Vec<SignedFrame<Vec<u8>>>,
	/// For `--baseline`: each frame as a signed `System::remark` of the meter's account
	/// (nonce = the frame's index), the transaction sent instead of the frame.
	pub(super) remarks: Vec<Vec<u8>>,
	/// The next frame to send.
	pub(super) next: usize,
	/// Valid frames of this meter finalized.
	pub(super) finalized: u64,
}

/// Signs `per_meter` consecutive 15-minute frames for each meter, ending before now, on
/// every core; with `baseline`, each also as its meter account's remark.
pub(super) fn presign(
	keys: &[MeterKey],
	first_id: u64,
	per_meter: usize,
	samples: usize,
	format: lr::FrameFormat,
	genesis: [u8; 32],
	baseline: Option<&frames::ChainContext>,
) -> Result<Vec<BenchMeter>> {
	let now = crate::time::now_ms();
	let origin = (now / FRAME_INTERVAL_MS).saturating_sub(per_meter as u64 + 1) * FRAME_INTERVAL_MS;
	let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
	let chunk = keys.len().div_ceil(threads).max(1);
	std::thread::scope(|scope| {
		let workers: Vec<_> = keys
			.chunks(chunk)
			.enumerate()
			.map(|(part, keys)| {
				scope.spawn(move || -> Result<Vec<BenchMeter>> {
					keys.iter()
						.enumerate()
						.map(|(i, key)| {
							let id = first_id + (part * chunk + i) as u64;
							let mut profile = LoadProfile::new(7, id);
							let frames = (0..per_meter as u64)
								.map(|k| {
									let start = origin + k * FRAME_INTERVAL_MS;
									let frame = lr::Frame {
										meter: id,
										sequence: k + 1,
										start,
										end: start + FRAME_INTERVAL_MS,
										channels: profile.frame(start, samples),
									};
									frames::sign(&frame, format, key, &genesis)
								})
								.collect::<Result<Vec<_>>>()?;
							let remarks = match (baseline, key) {
								(Some(chain), MeterKey::Sr25519(account)) => frames
									.iter()
									.enumerate()
									.map(|(nonce, signed)| {
										let call = mensura_runtime::RuntimeCall::System(
											frame_system::Call::remark { remark: signed.encode() },
										);
										frames::signed_transaction(
											call,
											account,
											nonce as u32,
											chain,
										)
									})
									.collect(),
								(Some(_), _) => {
									return Err(Error::usage(
										"--baseline: meter accounts must be sr25519",
									))
								}
								(None, _) => Vec::new(),
							};
							Ok(BenchMeter { id, frames, remarks, next: 0, finalized: 0 })
						})
						.collect()
				})
			})
			.collect();
		let mut fleet = Vec::with_capacity(keys.len());
		for worker in workers {
			fleet.extend(worker.join().expect("a signing thread panicked")?);
		}
		Ok(fleet)
	})
}
