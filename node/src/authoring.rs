//! Block authoring: the block builder stops taking transactions early enough to finish
//! its block within the slot.

use futures::{future::MapOk, TryFutureExt};
use sp_consensus::{Environment, ProposeArgs, Proposer};
use sp_runtime::traits::Block as BlockT;

/// The share (in percent) of the proposing time Aura gives a block in which the block
/// builder takes transactions; the rest is for finishing the block.
///
/// sc-basic-authorship takes transactions until 90 % of the time it is given, and Aura
/// discards a proposal that is not ready when the time is up. Finishing a full block of
/// frames (`finalize_block` and the storage root of some 21,000 changed meter records)
/// took 0.52–0.76 s of the 4 s proposing time, more than the 0.4 s those 10 % leave: every
/// block that ran into the deadline was discarded and its slot lost (5 to 12 slots of 52
/// in 300 s runs of `mensura bench --memory-limit 1024`, docs/benchmarks.md). With 75 %,
/// transactions are taken until 2.65 s and finishing has 1.27 s: a slow block ends with
/// fewer frames instead of none. Finishing grows with the meters a block changes: with
/// blocks of 2.5 s of weight (runtime 119, up to 27,392 frames) a node within 1 GiB
/// needed up to 1.0 s, and with 85 % (taking until 3.0 s) a 120 s run lost 2 slots of 22
/// to proposals ready after 4.00 and 4.03 s. (With blocks of 2 s, 80 % had cut more blocks
/// short than it saved.) With blocks of 3 s (runtime 120, up to 33,024 frames) and each
/// valid batch's signatures verified once, the slowest block of a 60 s run within 1 GiB
/// was ready after 3.37 s.
pub const TAKING_TRANSACTIONS_PERCENT: u32 = 75;

/// A proposer factory whose block builders are given [`TAKING_TRANSACTIONS_PERCENT`] of the
/// proposing time Aura allows.
pub struct LeavingTimeToFinish<F>(pub F);

impl<B: BlockT, F: Environment<B>> Environment<B> for LeavingTimeToFinish<F> {
	type Proposer = LeavingTimeToFinish<F::Proposer>;
	type CreateProposer =
		MapOk<F::CreateProposer, fn(F::Proposer) -> LeavingTimeToFinish<F::Proposer>>;
	type Error = F::Error;

	fn init(&mut self, parent_header: &B::Header) -> Self::CreateProposer {
		self.0.init(parent_header).map_ok(LeavingTimeToFinish)
	}
}

impl<B: BlockT, P: Proposer<B>> Proposer<B> for LeavingTimeToFinish<P> {
	type Error = P::Error;
	type Proposal = P::Proposal;

	fn propose(self, mut args: ProposeArgs<B>) -> Self::Proposal {
		args.max_duration = args.max_duration * TAKING_TRANSACTIONS_PERCENT / 100;
		self.0.propose(args)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures::future::{ready, Ready};
	use mensura_runtime::opaque::Block;
	use sp_runtime::traits::Header as HeaderT;
	use std::{
		sync::{Arc, Mutex},
		time::Duration,
	};

	/// Records the time each proposal is given, and fails it (no block is needed here).
	#[derive(Clone, Default)]
	struct RecordingProposer(Arc<Mutex<Vec<Duration>>>);

	impl Proposer<Block> for RecordingProposer {
		type Error = sp_consensus::Error;
		type Proposal = Ready<Result<sp_consensus::Proposal<Block>, Self::Error>>;

		fn propose(self, args: ProposeArgs<Block>) -> Self::Proposal {
			self.0.lock().unwrap().push(args.max_duration);
			ready(Err(sp_consensus::Error::StateUnavailable("recorded".into())))
		}
	}

	impl Environment<Block> for RecordingProposer {
		type Proposer = RecordingProposer;
		type CreateProposer = Ready<Result<RecordingProposer, sp_consensus::Error>>;
		type Error = sp_consensus::Error;

		fn init(&mut self, _: &<Block as BlockT>::Header) -> Self::CreateProposer {
			ready(Ok(self.clone()))
		}
	}

	#[test]
	fn the_block_builder_gets_its_share_of_the_proposing_time() {
		let recorder = RecordingProposer::default();
		let mut factory = LeavingTimeToFinish(recorder.clone());
		let header = <<Block as BlockT>::Header as HeaderT>::new(
			1,
			Default::default(),
			Default::default(),
			Default::default(),
			Default::default(),
		);
		let proposer = futures::executor::block_on(factory.init(&header)).unwrap();
		let args = ProposeArgs::<Block> {
			max_duration: Duration::from_millis(3920),
			..Default::default()
		};
		assert!(futures::executor::block_on(proposer.propose(args)).is_err());
		assert_eq!(*recorder.0.lock().unwrap(), vec![Duration::from_millis(2940)]);
	}
}
