use crate::{mock::*, Error, Event, ProgramStatus, Programs, RequiredApprovals};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use mensura_primitives::{
	metering::{Actor, AuditChange, AuditSubject, MeterRegistry, ProgramHash},
	readings::{lr, LrProgramProvider, ProgramUnusable},
};
use sp_runtime::DispatchError;

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn code() -> Vec<u8> {
	lr::examples::electricity_active_energy().encode().unwrap()
}

fn hash_of(code: &[u8]) -> ProgramHash {
	ProgramHash::from(sp_io::hashing::blake2_256(code))
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&crate::HoldReason::ProgramDeposit.into(), &who)
}

/// Runs `test`, then checks the pallets' invariants.
fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		LrPrograms::do_try_state().unwrap();
		Meters::do_try_state().unwrap();
	});
}

fn published() -> ProgramHash {
	assert_ok!(LrPrograms::publish_program(signed(MEASURER), code(), b"1.0.0".to_vec()));
	hash_of(&code())
}

fn approved() -> ProgramHash {
	let program = published();
	assert_ok!(LrPrograms::approve_program(signed(BODY), program));
	program
}

fn audit(program: ProgramHash) -> Vec<AuditChange> {
	Meters::audit_trail(AuditSubject::Program(program), 0, 100)
		.into_iter()
		.map(|(_, entry)| entry.change)
		.collect()
}

#[test]
fn publishing_identifies_the_program_by_its_hash_and_holds_the_deposit() {
	run(|| {
		let program = published();
		let record = Programs::<Test>::get(program).unwrap();
		assert_eq!(record.measurer, MEASURER);
		assert_eq!(record.version.to_vec(), b"1.0.0".to_vec());
		assert_eq!(record.status, ProgramStatus::Proposed);
		let deposit = 100 + code().len() as u64;
		assert_eq!(record.deposit, deposit);
		assert_eq!(held(MEASURER), deposit);
		System::assert_last_event(
			Event::ProgramPublished {
				program,
				measurer: MEASURER,
				version: record.version.clone(),
				deposit,
			}
			.into(),
		);
		assert_eq!(audit(program), vec![AuditChange::ProgramPublished { version: record.version }]);
		assert_eq!(LrPrograms::usable_program(&program), Err(ProgramUnusable::NotApproved));
	});
}

#[test]
fn bad_programs_are_refused_and_change_nothing() {
	run(|| {
		assert_noop!(
			LrPrograms::publish_program(signed(MEASURER), vec![1, 1, 1, 0x7f], b"1".to_vec()),
			Error::<Test>::InvalidProgram
		);
		assert_noop!(
			LrPrograms::publish_program(signed(MEASURER), vec![0; 1025], b"1".to_vec()),
			Error::<Test>::ProgramTooLong
		);
		assert_noop!(
			LrPrograms::publish_program(signed(MEASURER), code(), vec![b'1'; 33]),
			Error::<Test>::VersionTooLong
		);
		assert_noop!(
			LrPrograms::publish_program(signed(POOR_MEASURER), code(), b"1".to_vec()),
			Error::<Test>::InsufficientDeposit
		);
		published();
		assert_noop!(
			LrPrograms::publish_program(signed(NOBODY), code(), b"2.0.0".to_vec()),
			Error::<Test>::ProgramExists
		);
	});
}

#[test]
fn a_program_becomes_usable_only_with_the_required_approvals_of_notified_bodies() {
	run(|| {
		assert_ok!(LrPrograms::set_required_approvals(RuntimeOrigin::root(), 2));
		let program = published();
		assert_noop!(
			LrPrograms::approve_program(signed(NOBODY), program),
			DispatchError::BadOrigin
		);
		assert_ok!(LrPrograms::approve_program(signed(BODY), program));
		assert_noop!(
			LrPrograms::approve_program(signed(BODY), program),
			Error::<Test>::AlreadyApproved
		);
		assert_eq!(Programs::<Test>::get(program).unwrap().status, ProgramStatus::Proposed);
		assert_eq!(LrPrograms::usable_program(&program), Err(ProgramUnusable::NotApproved));
		assert_ok!(LrPrograms::approve_program(signed(OTHER_BODY), program));
		System::assert_last_event(Event::ProgramApproved { program }.into());
		let record = Programs::<Test>::get(program).unwrap();
		assert_eq!(record.status, ProgramStatus::Approved);
		assert_eq!(record.approvals.to_vec(), vec![BODY, OTHER_BODY]);
		assert_eq!(
			LrPrograms::usable_program(&program),
			Ok(lr::examples::electricity_active_energy())
		);
		assert_eq!(
			audit(program)[1..],
			[
				AuditChange::ProgramApprovalGiven { approvals: 1 },
				AuditChange::ProgramApprovalGiven { approvals: 2 },
				AuditChange::ProgramApproved,
			]
		);
		assert_noop!(
			LrPrograms::approve_program(signed(BODY), ProgramHash::repeat_byte(1)),
			Error::<Test>::UnknownProgram
		);
	});
}

#[test]
fn required_approvals_are_set_by_the_regulator_within_bounds() {
	run(|| {
		assert_eq!(RequiredApprovals::<Test>::get(), 1);
		assert_noop!(LrPrograms::set_required_approvals(signed(BODY), 2), DispatchError::BadOrigin);
		assert_noop!(
			LrPrograms::set_required_approvals(RuntimeOrigin::root(), 0),
			Error::<Test>::BadApprovalCount
		);
		assert_noop!(
			LrPrograms::set_required_approvals(RuntimeOrigin::root(), 5),
			Error::<Test>::BadApprovalCount
		);
		assert_ok!(LrPrograms::set_required_approvals(RuntimeOrigin::root(), 4));
		assert_eq!(RequiredApprovals::<Test>::get(), 4);
	});
}

#[test]
fn a_notified_body_binds_meters_to_approved_programs_only() {
	run(|| {
		let program = published();
		assert_noop!(
			LrPrograms::bind_meter(signed(BODY), 0, program),
			Error::<Test>::ProgramNotApproved
		);
		assert_ok!(LrPrograms::approve_program(signed(BODY), program));
		assert_noop!(
			LrPrograms::bind_meter(signed(MEASURER), 0, program),
			DispatchError::BadOrigin
		);
		assert_noop!(
			LrPrograms::bind_meter(signed(BODY), 0, ProgramHash::repeat_byte(1)),
			Error::<Test>::UnknownProgram
		);
		assert_noop!(
			LrPrograms::bind_meter(signed(BODY), 7, program),
			pallet_meters::Error::<Test>::UnknownMeter
		);
		assert_ok!(LrPrograms::bind_meter(signed(BODY), 0, program));
		System::assert_last_event(Event::MeterBound { meter: 0, program, by: BODY }.into());
		assert_eq!(<Meters as MeterRegistry>::lr_program(0), Some(program));
		let last = Meters::audit_trail(AuditSubject::Meter(0), 0, 100).pop().unwrap().1;
		assert_eq!(last.change, AuditChange::LrProgramBound { program });
	});
}

#[test]
fn a_proposed_program_is_withdrawn_by_its_measurer_only() {
	run(|| {
		let program = published();
		assert_noop!(
			LrPrograms::withdraw_program(signed(NOBODY), program),
			Error::<Test>::NotProgramMeasurer
		);
		assert_ok!(LrPrograms::withdraw_program(signed(MEASURER), program));
		assert!(Programs::<Test>::get(program).is_none());
		assert_eq!(held(MEASURER), 0);
		assert_eq!(LrPrograms::usable_program(&program), Err(ProgramUnusable::Unknown));

		let program = approved();
		assert_noop!(
			LrPrograms::withdraw_program(signed(MEASURER), program),
			Error::<Test>::ProgramNotProposed
		);
	});
}

#[test]
fn deprecation_stops_the_program_keeps_its_record_and_releases_the_deposit() {
	run(|| {
		let proposed = published();
		assert_noop!(
			LrPrograms::deprecate_program(signed(MEASURER), proposed),
			Error::<Test>::ProgramNotApproved
		);
		assert_ok!(LrPrograms::approve_program(signed(BODY), proposed));
		assert_noop!(
			LrPrograms::deprecate_program(signed(NOBODY), proposed),
			Error::<Test>::NotProgramMeasurer
		);
		assert_ok!(LrPrograms::bind_meter(signed(BODY), 0, proposed));
		// Notified bodies may deprecate a measurer's program: as many as approve one
		// (here one).
		assert_ok!(LrPrograms::deprecate_program(signed(OTHER_BODY), proposed));
		System::assert_last_event(
			Event::ProgramDeprecated { program: proposed, by: Actor::Account(OTHER_BODY) }.into(),
		);
		let record = Programs::<Test>::get(proposed).unwrap();
		assert_eq!(record.status, ProgramStatus::Deprecated);
		assert_eq!(record.deposit, 0);
		assert_eq!(held(MEASURER), 0);
		assert_eq!(LrPrograms::usable_program(&proposed), Err(ProgramUnusable::Deprecated));
		assert_eq!(audit(proposed).last(), Some(&AuditChange::ProgramDeprecated));
		assert_noop!(
			LrPrograms::bind_meter(signed(BODY), 0, proposed),
			Error::<Test>::ProgramDeprecated
		);
		assert_noop!(
			LrPrograms::approve_program(signed(BODY), proposed),
			Error::<Test>::ProgramDeprecated
		);
		assert_noop!(
			LrPrograms::deprecate_program(signed(MEASURER), proposed),
			Error::<Test>::ProgramNotApproved
		);
	});
}

#[test]
fn one_notified_body_cannot_deprecate_a_program_alone() {
	run(|| {
		assert_ok!(LrPrograms::set_required_approvals(RuntimeOrigin::root(), 2));
		let program = published();
		assert_ok!(LrPrograms::approve_program(signed(BODY), program));
		assert_ok!(LrPrograms::approve_program(signed(OTHER_BODY), program));
		assert_ok!(LrPrograms::bind_meter(signed(BODY), 0, program));
		// One body votes: the program, and every meter bound to it, computes on.
		assert_ok!(LrPrograms::deprecate_program(signed(BODY), program));
		System::assert_last_event(
			Event::ProgramDeprecationVoted { program, by: BODY, votes: 1 }.into(),
		);
		assert_noop!(
			LrPrograms::deprecate_program(signed(BODY), program),
			Error::<Test>::AlreadyVoted
		);
		assert!(LrPrograms::usable_program(&program).is_ok());
		// A second body's vote deprecates it.
		assert_ok!(LrPrograms::deprecate_program(signed(OTHER_BODY), program));
		assert_eq!(Programs::<Test>::get(program).unwrap().status, ProgramStatus::Deprecated);
		assert!(crate::DeprecationVotes::<Test>::get(program).is_empty());
		// The regulator deprecates alone.
		let other = {
			let code = lr::examples::pulse_volume(10).encode().unwrap();
			assert_ok!(LrPrograms::publish_program(signed(MEASURER), code.clone(), b"w".to_vec()));
			hash_of(&code)
		};
		assert_ok!(LrPrograms::approve_program(signed(BODY), other));
		assert_ok!(LrPrograms::approve_program(signed(OTHER_BODY), other));
		assert_ok!(LrPrograms::deprecate_program(RuntimeOrigin::root(), other));
		System::assert_last_event(
			Event::ProgramDeprecated { program: other, by: Actor::Regulator }.into(),
		);
	});
}

#[test]
fn a_removed_bodys_approvals_no_longer_count() {
	run(|| {
		let program = approved();
		assert_ok!(LrPrograms::bind_meter(signed(BODY), 0, program));
		assert!(LrPrograms::usable_program(&program).is_ok());
		// The regulator removes BODY, the program's only approver: the program is
		// proposed again and computes nothing until another body approves it.
		assert_ok!(Meters::remove_notified_body(RuntimeOrigin::root(), BODY));
		System::assert_has_event(Event::ProgramApprovalLost { program }.into());
		let record = Programs::<Test>::get(program).unwrap();
		assert_eq!((record.status, record.approvals.len()), (ProgramStatus::Proposed, 0));
		assert_eq!(LrPrograms::usable_program(&program), Err(ProgramUnusable::NotApproved));
		assert_eq!(audit(program).last(), Some(&AuditChange::ProgramApprovalLost));
		assert_ok!(LrPrograms::approve_program(signed(OTHER_BODY), program));
		assert!(LrPrograms::usable_program(&program).is_ok());
	});
}

#[test]
fn only_the_body_that_verified_a_meter_binds_its_program() {
	run(|| {
		let program = approved();
		// Meter 0 was verified by BODY: another body cannot switch its program.
		assert_noop!(
			LrPrograms::bind_meter(signed(OTHER_BODY), 0, program),
			pallet_meters::Error::<Test>::NotVerifyingBody
		);
		assert_ok!(LrPrograms::bind_meter(signed(BODY), 0, program));
	});
}

#[test]
fn try_state_detects_a_program_under_a_foreign_hash_and_a_wrong_hold() {
	new_test_ext().execute_with(|| {
		let program = approved();
		assert_ok!(LrPrograms::do_try_state());
		let record = Programs::<Test>::take(program).unwrap();
		Programs::<Test>::insert(ProgramHash::repeat_byte(3), record.clone());
		assert!(LrPrograms::do_try_state().is_err());
		Programs::<Test>::remove(ProgramHash::repeat_byte(3));
		Programs::<Test>::insert(program, crate::ProgramRecord { deposit: 1, ..record });
		assert!(LrPrograms::do_try_state().is_err());
	});
}

#[test]
fn genesis_publishes_approves_and_binds() {
	use sp_runtime::BuildStorage;
	let program = hash_of(&code());
	let mut ext: sp_io::TestExternalities = RuntimeGenesisConfig {
		balances: pallet_balances::GenesisConfig {
			balances: vec![(BODY, 1_000), (MAKER, 1_000), (MEASURER, 10_000)],
			..Default::default()
		},
		meters: pallet_meters::GenesisConfig {
			notified_bodies: vec![(BODY, b"NB".to_vec())],
			manufacturers: vec![(MAKER, b"M".to_vec())],
			models: vec![(
				MAKER,
				b"E".to_vec(),
				mensura_primitives::metering::ModelSpec {
					kind: mensura_primitives::metering::MeterKind::Electricity,
					unit: mensura_primitives::metering::MeasurementUnit::WattHour,
					resolution_milli: 1,
					max_permissible_error: sp_runtime::Permill::from_percent(1),
					min_interval_ms: 1_000,
					max_interval_ms: 3_600_000,
				},
				BODY,
			)],
			meters: vec![(
				0,
				mensura_primitives::metering::DeviceKey::Ed25519(
					sp_core::ed25519::Public::from_raw([1; 32]),
				),
				b"S".to_vec(),
				b"P".to_vec(),
				BODY,
			)],
		},
		lr_programs: crate::GenesisConfig {
			required_approvals: 1,
			programs: vec![(MEASURER, b"1.0.0".to_vec(), code(), vec![BODY], vec![0])],
		},
		..Default::default()
	}
	.build_storage()
	.unwrap()
	.into();
	ext.execute_with(|| {
		assert_eq!(Programs::<Test>::get(program).unwrap().status, ProgramStatus::Approved);
		assert_eq!(<Meters as MeterRegistry>::lr_program(0), Some(program));
		LrPrograms::do_try_state().unwrap();
	});
}

/// A valid program of `ops` operators: a sum and then scalings by one.
fn code_of_ops(ops: usize) -> Vec<u8> {
	let mut program = vec![lr::Op::Sum { channel: 0 }];
	program.extend((1..ops).map(|_| lr::Op::Scale { numerator: 1, denominator: 1 }));
	lr::Program { inputs: 1, ops: program }.encode().unwrap()
}

fn published_of_ops(ops: usize) -> ProgramHash {
	let code = code_of_ops(ops);
	assert_ok!(LrPrograms::publish_program(signed(MEASURER), code.clone(), b"ops".to_vec()));
	hash_of(&code)
}

#[test]
fn the_most_operators_follow_what_is_approved_now() {
	run(|| {
		assert_eq!(LrPrograms::most_ops(), 0, "nothing approved");
		let small = published_of_ops(3);
		let large = published_of_ops(usize::from(lr::MAX_OPS));
		assert_eq!(LrPrograms::most_ops(), 0, "proposed programs compute nothing");
		assert_ok!(LrPrograms::approve_program(signed(BODY), small));
		assert_eq!(LrPrograms::most_ops(), 3);
		assert_ok!(LrPrograms::approve_program(signed(OTHER_BODY), large));
		assert_eq!(LrPrograms::most_ops(), u32::from(lr::MAX_OPS));
		// A second program of three operators, then the large one deprecated by its
		// measurer: three again, and still three once one of the two small ones goes.
		let twin = {
			let ops = vec![
				lr::Op::Sum { channel: 0 },
				lr::Op::Scale { numerator: 2, denominator: 1 },
				lr::Op::Scale { numerator: 1, denominator: 2 },
			];
			let code = lr::Program { inputs: 1, ops }.encode().unwrap();
			assert_ok!(LrPrograms::publish_program(signed(MEASURER), code.clone(), b"t".to_vec()));
			hash_of(&code)
		};
		assert_ok!(LrPrograms::approve_program(signed(BODY), twin));
		assert_ok!(LrPrograms::deprecate_program(signed(MEASURER), large));
		assert_eq!(LrPrograms::most_ops(), 3);
		assert_ok!(LrPrograms::deprecate_program(RuntimeOrigin::root(), twin));
		assert_eq!(LrPrograms::most_ops(), 3);
		assert_eq!(crate::ApprovedOps::<Test>::get().0[3], 1);
		// The regulator removes BODY, the small program's only approver: it is proposed
		// again, and nothing approved is left.
		assert_ok!(Meters::remove_notified_body(RuntimeOrigin::root(), BODY));
		assert_eq!(LrPrograms::most_ops(), 0);
		// Approved again by the other body: counted again.
		assert_ok!(LrPrograms::approve_program(signed(OTHER_BODY), small));
		assert_eq!(LrPrograms::most_ops(), 3);
	});
}

#[test]
fn a_refused_approval_counts_nothing() {
	run(|| {
		assert_ok!(LrPrograms::set_required_approvals(RuntimeOrigin::root(), 2));
		let program = published_of_ops(5);
		assert_ok!(LrPrograms::approve_program(signed(BODY), program));
		assert_eq!(LrPrograms::most_ops(), 0, "one approval of two");
		assert_noop!(
			LrPrograms::approve_program(signed(BODY), program),
			Error::<Test>::AlreadyApproved
		);
		assert_ok!(LrPrograms::approve_program(signed(OTHER_BODY), program));
		assert_eq!(LrPrograms::most_ops(), 5);
		// A third body's approval of an approved program counts it once.
		assert_eq!(crate::ApprovedOps::<Test>::get().0[5], 1);
	});
}

#[test]
fn try_state_detects_operator_counts_that_differ_from_the_programs() {
	new_test_ext().execute_with(|| {
		approved();
		assert_ok!(LrPrograms::do_try_state());
		crate::ApprovedOps::<Test>::mutate(|counts| counts.add(usize::from(lr::MAX_OPS)));
		assert!(LrPrograms::do_try_state().is_err());
		crate::ApprovedOps::<Test>::kill();
		assert!(LrPrograms::do_try_state().is_err());
	});
}

#[test]
fn migration_to_v2_counts_the_approved_programs() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	new_test_ext().execute_with(|| {
		let program = approved();
		let large = published_of_ops(usize::from(lr::MAX_OPS));
		assert_ok!(LrPrograms::approve_program(signed(BODY), large));
		assert_ok!(LrPrograms::deprecate_program(signed(MEASURER), large));
		published_of_ops(9);
		let before = crate::ApprovedOps::<Test>::get();
		// A chain of storage version 1 has no counts.
		crate::ApprovedOps::<Test>::kill();
		StorageVersion::new(1).put::<LrPrograms>();
		crate::migrations::v2::MigrateToV2::<Test>::on_runtime_upgrade();
		assert_eq!(crate::ApprovedOps::<Test>::get(), before);
		let ops = lr::Program::decode(&Programs::<Test>::get(program).unwrap().code).unwrap();
		assert_eq!(LrPrograms::most_ops(), ops.ops.len() as u32);
		assert_eq!(LrPrograms::on_chain_storage_version(), StorageVersion::new(2));
		LrPrograms::do_try_state().unwrap();
		// Run again, it changes nothing.
		crate::ApprovedOps::<Test>::kill();
		crate::migrations::v2::MigrateToV2::<Test>::on_runtime_upgrade();
		assert_eq!(crate::ApprovedOps::<Test>::get(), Default::default());
	});
}
