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
			ApprovedBy::<T>::try_mutate(&body, |programs| programs.try_push(program))
				.map_err(|_| Error::<T>::TooManyProgramsApproved)?;
			let approvals = record.approvals.len() as u32;
			let decisive = record.status == ProgramStatus::Proposed
				&& approvals >= RequiredApprovals::<T>::get();
			if decisive {
				record.status = ProgramStatus::Approved;
				Self::count_code(&record.code, true);
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

	/// Deprecates the approved `program` for `by`: its deposit is released, its frames
	/// refused from now on.
	pub(crate) fn deprecate(
		program: ProgramHash,
		mut record: ProgramRecordOf<T>,
		by: Actor<T::AccountId>,
	) -> DispatchResult {
		ensure!(record.status == ProgramStatus::Approved, Error::<T>::ProgramNotApproved);
		Self::release(&record)?;
		Self::count_code(&record.code, false);
		record.status = ProgramStatus::Deprecated;
		record.deposit = Zero::zero();
		Programs::<T>::insert(program, record);
		DeprecationVotes::<T>::remove(program);
		T::Audit::record(
			AuditSubject::Program(program),
			by.clone(),
			AuditChange::ProgramDeprecated,
		);
		Self::deposit_event(Event::ProgramDeprecated { program, by });
		Ok(())
	}

	/// `body` votes to deprecate `program`; it is deprecated once as many current
	/// notified bodies as [`RequiredApprovals`] voted.
	pub(crate) fn vote_deprecation(program: ProgramHash, body: T::AccountId) -> DispatchResult {
		use mensura_primitives::metering::NotifiedBodies;
		let record = Programs::<T>::get(program).ok_or(Error::<T>::UnknownProgram)?;
		ensure!(record.status == ProgramStatus::Approved, Error::<T>::ProgramNotApproved);
		let mut votes = DeprecationVotes::<T>::get(program);
		// A removed body's vote no longer counts.
		votes.retain(|b| T::Bodies::is_notified_body(b));
		ensure!(!votes.contains(&body), Error::<T>::AlreadyVoted);
		votes.try_push(body.clone()).map_err(|_| Error::<T>::AlreadyVoted)?;
		let count = votes.len() as u32;
		Self::deposit_event(Event::ProgramDeprecationVoted {
			program,
			by: body.clone(),
			votes: count,
		});
		if count >= RequiredApprovals::<T>::get() {
			Self::deprecate(program, record, Actor::Account(body))
		} else {
			DeprecationVotes::<T>::insert(program, votes);
			Ok(())
		}
	}

	/// Drops the approvals of `body`, which the regulator removed: each program it
	/// approved loses its approval, and an approved one left with fewer than
	/// [`RequiredApprovals`] is proposed again (frames of its meters are refused until
	/// enough bodies approve it).
	pub(crate) fn drop_approvals_of(body: &T::AccountId) {
		let required = RequiredApprovals::<T>::get();
		for program in ApprovedBy::<T>::take(body) {
			let lost = Programs::<T>::mutate(program, |entry| {
				// A deprecated program keeps the approvals it had, as history.
				let Some(record) = entry.as_mut().filter(|r| r.status != ProgramStatus::Deprecated)
				else {
					return false;
				};
				record.approvals.retain(|b| b != body);
				let lost = record.status == ProgramStatus::Approved
					&& (record.approvals.len() as u32) < required;
				if lost {
					record.status = ProgramStatus::Proposed;
					Self::count_code(&record.code, false);
				}
				lost
			});
			if lost {
				T::Audit::record(
					AuditSubject::Program(program),
					Actor::Regulator,
					AuditChange::ProgramApprovalLost,
				);
				Self::deposit_event(Event::ProgramApprovalLost { program });
			}
		}
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

	/// Counts the program of `code` in [`ApprovedOps`] as approved (`true`) or no longer
	/// approved.
	pub(crate) fn count_code(code: &[u8], approved: bool) {
		// Stored code decoded when it was published.
		let Ok(program) = lr::Program::decode(code) else { return };
		ApprovedOps::<T>::mutate(|counts| match approved {
			true => counts.add(program.ops.len()),
			false => counts.remove(program.ops.len()),
		});
	}

	/// The programs [`ApprovedOps`] should count, counted from [`Programs`].
	pub(crate) fn recount_approved() -> OpsCounts {
		let mut counts = OpsCounts::default();
		for record in Programs::<T>::iter_values() {
			if record.status == ProgramStatus::Approved {
				if let Ok(program) = lr::Program::decode(&record.code) {
					counts.add(program.ops.len());
				}
			}
		}
		counts
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
			// Each approval of a program still in force is indexed under its body.
			if record.status != ProgramStatus::Deprecated {
				for body in &record.approvals {
					ensure!(
						ApprovedBy::<T>::get(body).contains(&hash),
						"an approval is missing from its body's index"
					);
				}
			}
		}
		for (body, programs) in ApprovedBy::<T>::iter() {
			for program in programs {
				ensure!(
					Programs::<T>::get(program).is_none_or(|r| r.approvals.contains(&body)),
					"a body's index lists a program it did not approve"
				);
			}
		}
		ensure!(
			ApprovedOps::<T>::get() == Self::recount_approved(),
			"the approved programs' operator counts differ from the programs"
		);
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
