//! What the program registry offers other pallets: the approved program a meter runs
//! ([`LrProgramProvider`](mensura_primitives::readings::LrProgramProvider)) and whom a
//! measurement pays ([`ProgramMeasurer`](mensura_primitives::billing::ProgramMeasurer)).

use crate::*;
#[cfg(feature = "runtime-benchmarks")]
use frame_support::pallet_prelude::*;
use mensura_primitives::{metering::ProgramHash, readings::lr};
#[cfg(feature = "runtime-benchmarks")]
use sp_runtime::traits::Zero;

impl<T: Config> mensura_primitives::metering::OnNotifiedBodyRemoved<T::AccountId> for Pallet<T> {
	fn body_removed(body: &T::AccountId) {
		Self::drop_approvals_of(body)
	}

	/// Every program the body approved: read and written, with an audit entry each, and
	/// [`ApprovedOps`] for each that is no longer approved.
	fn weight() -> frame_support::weights::Weight {
		use frame_support::traits::Get;
		let programs = u64::from(T::MaxProgramsPerBody::get());
		T::DbWeight::get().reads_writes(1 + 4 * programs, 1 + 4 * programs)
	}
}

impl<T: Config> mensura_primitives::readings::LrProgramProvider for Pallet<T> {
	fn usable_program(
		hash: &ProgramHash,
	) -> Result<lr::Program, mensura_primitives::readings::ProgramUnusable> {
		use mensura_primitives::readings::ProgramUnusable;
		let record = Programs::<T>::get(hash).ok_or(ProgramUnusable::Unknown)?;
		match record.status {
			ProgramStatus::Approved => {
				lr::Program::decode(&record.code).map_err(|_| ProgramUnusable::NotApproved)
			}
			ProgramStatus::Proposed => Err(ProgramUnusable::NotApproved),
			ProgramStatus::Deprecated => Err(ProgramUnusable::Deprecated),
		}
	}

	fn most_ops() -> u32 {
		ApprovedOps::<T>::get().most()
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_approved_program(program: &lr::Program) -> ProgramHash {
		let code: CodeOf<T> = program
			.encode()
			.expect("benchmark programs are valid")
			.try_into()
			.expect("benchmark programs fit MaxProgramLen");
		let hash = ProgramHash::from(sp_io::hashing::blake2_256(&code));
		let body: T::AccountId = frame_benchmarking::account("benchmark-body", 0, 0);
		if Programs::<T>::get(hash).is_none_or(|r| r.status != ProgramStatus::Approved) {
			Self::count_code(&code, true);
		}
		Programs::<T>::insert(
			hash,
			ProgramRecord {
				measurer: frame_benchmarking::account("benchmark-measurer", 0, 0),
				version: Default::default(),
				code,
				status: ProgramStatus::Approved,
				approvals: BoundedVec::truncate_from(alloc::vec![body]),
				published: Zero::zero(),
				deposit: Zero::zero(),
			},
		);
		hash
	}
}

impl<T: Config> mensura_primitives::billing::ProgramMeasurer<T::AccountId> for Pallet<T> {
	fn measurer(program: &ProgramHash) -> Option<T::AccountId> {
		Programs::<T>::get(program).map(|record| record.measurer)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_program(measurer: T::AccountId) -> ProgramHash {
		// The measurer's encoding in a scaling makes the program distinct per measurer.
		let tag = measurer.encode();
		let numerator = tag
			.iter()
			.fold(1i64, |n, b| (n.wrapping_mul(31).wrapping_add(i64::from(*b))).rem_euclid(1 << 30))
			.max(1);
		let program = lr::Program {
			inputs: 1,
			ops: alloc::vec![
				lr::Op::Sum { channel: 0 },
				lr::Op::Scale { numerator, denominator: 1 }
			],
		};
		let hash =
			<Self as mensura_primitives::readings::LrProgramProvider>::benchmark_approved_program(
				&program,
			);
		Programs::<T>::mutate(hash, |record| {
			if let Some(record) = record {
				record.measurer = measurer;
			}
		});
		hash
	}
}
