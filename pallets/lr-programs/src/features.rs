//! What the calls do: programs published with their deposit, approved by notified
//! bodies, bound to meters, deprecated; and the pallet's invariants.

use crate::*;
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use mensura_primitives::{
	metering::{Actor, AuditChange, AuditSubject, AuditTrail, MeterId, ProgramHash},
	readings::{lr, LrProgramBinding},
};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// The deposit for `len` bytes of code.
	pub fn deposit_for(len: usize) -> BalanceOf<T> {
		let len: BalanceOf<T> = (len as u32).into();
		T::ProgramDeposit::get().saturating_add(T::ProgramByteDeposit::get().saturating_mul(len))
	}

	pub(crate) fn do_publish(
		measurer: T::AccountId,
		code: Vec<u8>,
		version: Vec<u8>,
	) -> Result<ProgramHash, DispatchError> {
		let code: CodeOf<T> = code.try_into().map_err(|_| Error::<T>::ProgramTooLong)?;
		let version: ProgramVersion = version.try_into().map_err(|_| Error::<T>::VersionTooLong)?;
		lr::Program::decode(&code).map_err(|_| Error::<T>::InvalidProgram)?;
		let program = ProgramHash::from(sp_io::hashing::blake2_256(&code));
		ensure!(!Programs::<T>::contains_key(program), Error::<T>::ProgramExists);
		let deposit = Self::deposit_for(code.len());
		T::Currency::hold(&HoldReason::ProgramDeposit.into(), &measurer, deposit)
			.map_err(|_| Error::<T>::InsufficientDeposit)?;
		Programs::<T>::insert(
			program,
			ProgramRecord {
				measurer: measurer.clone(),
				version: version.clone(),
				code,
				status: ProgramStatus::Proposed,
				approvals: BoundedVec::new(),
				published: frame_system::Pallet::<T>::block_number(),
				deposit,
			},
		);
		T::Audit::record(
			AuditSubject::Program(program),
			Actor::Account(measurer.clone()),
			AuditChange::ProgramPublished { version: version.clone() },
		);
		Self::deposit_event(Event::ProgramPublished { program, measurer, version, deposit });
		Ok(program)
	}

	pub(crate) fn do_approve(program: ProgramHash, body: T::AccountId) -> DispatchResult {
		let (approvals, decisive) = Programs::<T>::try_mutate(program, |entry| {
			let record = entry.as_mut().ok_or(Error::<T>::UnknownProgram)?;
			ensure!(record.status != ProgramStatus::Deprecated, Error::<T>::ProgramDeprecated);
			ensure!(!record.approvals.contains(&body), Error::<T>::AlreadyApproved);
			record.approvals.try_push(body.clone()).map_err(|_| Error::<T>::TooManyApprovals)?;
			let approvals = record.approvals.len() as u32;
			let decisive = record.status == ProgramStatus::Proposed
				&& approvals >= RequiredApprovals::<T>::get();
			if decisive {
				record.status = ProgramStatus::Approved;
			}
			Ok::<_, DispatchError>((approvals, decisive))
		})?;
		let subject = AuditSubject::Program(program);
		let actor = Actor::Account(body.clone());
		T::Audit::record(subject, actor.clone(), AuditChange::ProgramApprovalGiven { approvals });
		Self::deposit_event(Event::ProgramApprovalGiven { program, by: body, approvals });
		if decisive {
			T::Audit::record(subject, actor, AuditChange::ProgramApproved);
			Self::deposit_event(Event::ProgramApproved { program });
		}
		Ok(())
	}

	pub(crate) fn do_bind(
		meter: MeterId,
		program: ProgramHash,
		body: T::AccountId,
	) -> DispatchResult {
		let record = Programs::<T>::get(program).ok_or(Error::<T>::UnknownProgram)?;
		match record.status {
			ProgramStatus::Approved => {}
			ProgramStatus::Proposed => return Err(Error::<T>::ProgramNotApproved.into()),
			ProgramStatus::Deprecated => return Err(Error::<T>::ProgramDeprecated.into()),
		}
		T::Binding::bind_lr_program(meter, program, Actor::Account(body.clone()))?;
		Self::deposit_event(Event::MeterBound { meter, program, by: body });
		Ok(())
	}

	pub(crate) fn release(record: &ProgramRecordOf<T>) -> DispatchResult {
		T::Currency::release(
			&HoldReason::ProgramDeposit.into(),
			&record.measurer,
			record.deposit,
			Precision::Exact,
		)
		.map(|_| ())
	}

	/// The program with `program`'s hash, as stored.
	pub fn program(program: ProgramHash) -> Option<ProgramRecordOf<T>> {
		Programs::<T>::get(program)
	}

	/// Checks the pallet's invariants (see [`Self::do_try_state`]'s body).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut held = BTreeMap::<T::AccountId, BalanceOf<T>>::new();
		for (hash, record) in Programs::<T>::iter() {
			// A program is stored under the hash of its code, and its code is valid.
			ensure!(
				hash == ProgramHash::from(sp_io::hashing::blake2_256(&record.code)),
				"a program is stored under another hash than its code's"
			);
			ensure!(lr::Program::decode(&record.code).is_ok(), "a stored program is invalid");
			// Approved and deprecated programs were approved; approvals are distinct.
			ensure!(
				record.status == ProgramStatus::Proposed || !record.approvals.is_empty(),
				"a program left `Proposed` without approvals"
			);
			let mut approvers = record.approvals.to_vec();
			approvers.sort();
			approvers.dedup();
			ensure!(approvers.len() == record.approvals.len(), "a body approved twice");
			// Only deprecation releases the deposit of a stored program.
			ensure!(
				(record.status == ProgramStatus::Deprecated) == record.deposit.is_zero()
					|| Self::deposit_for(0).is_zero(),
				"a deposit does not match the program's status"
			);
			let total = held.entry(record.measurer.clone()).or_insert(Zero::zero());
			*total = total.saturating_add(record.deposit);
		}
		for (measurer, total) in held {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ProgramDeposit.into(), &measurer)
					== total,
				"a measurer's hold differs from its programs' deposits"
			);
		}
		Ok(())
	}
}
