//! Unit tests: every call, every error path, and the storage invariants after each test.

use crate::{
	mock::*, AuditLength, AuditLog, DeviceKeys, Error, Event, HoldReason, Models, NotifiedBodies,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use mensura_primitives::metering::*;
use sp_core::{ed25519, sr25519};
use sp_runtime::{DispatchError, Permill};

/// Runs a test, then checks every storage invariant of the pallet.
fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Meters::do_try_state().expect("storage invariants hold");
	});
}

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn spec() -> ModelSpec {
	ModelSpec {
		kind: MeterKind::Electricity,
		unit: MeasurementUnit::WattHour,
		resolution_milli: 1_000,
		max_permissible_error: Permill::from_percent(1),
		min_interval_ms: 1_000,
		max_interval_ms: 3_600_000,
	}
}

fn key(n: u8) -> DeviceKey {
	DeviceKey::Sr25519(sr25519::Public::from_raw([n; 32]))
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::MeterDeposit.into(), &who)
}

fn audit(subject: AuditSubject) -> Vec<AuditChange> {
	Meters::audit_trail(subject, 0, u32::MAX).into_iter().map(|(_, e)| e.change).collect()
}

/// BODY is a notified body; MAKER and OTHER_MAKER are manufacturers.
fn with_roles() {
	assert_ok!(Meters::appoint_notified_body(root(), BODY, b"Body".to_vec()));
	for maker in [MAKER, OTHER_MAKER, POOR_MAKER] {
		assert_ok!(Meters::admit_manufacturer(root(), maker, b"Maker".to_vec()));
	}
}

/// Roles, plus model 0 of MAKER, approved.
fn with_approved_model() -> ModelId {
	with_roles();
	assert_ok!(Meters::submit_model(signed(MAKER), b"EM-1".to_vec(), spec()));
	assert_ok!(Meters::approve_model(signed(BODY), 0));
	0
}

/// An approved model, plus meter 0 provisioned with key(1) and serial "SN-1".
fn with_provisioned_meter() -> MeterId {
	let model = with_approved_model();
	assert_ok!(Meters::provision_meter(signed(MAKER), model, key(1), b"SN-1".to_vec()));
	0
}

/// Meter 0, verified at supply point "SP-1".
fn with_active_meter() -> MeterId {
	let meter = with_provisioned_meter();
	assert_ok!(Meters::verify_meter(signed(BODY), meter, b"SP-1".to_vec()));
	meter
}

mod roles {
	use super::*;

	#[test]
	fn regulator_appoints_and_removes_notified_bodies() {
		run(|| {
			assert_ok!(Meters::appoint_notified_body(root(), BODY, b"Body".to_vec()));
			System::assert_last_event(Event::NotifiedBodyAppointed { body: BODY }.into());
			assert_eq!(NotifiedBodies::<Test>::get(BODY).unwrap().to_vec(), b"Body".to_vec());
			assert_noop!(
				Meters::appoint_notified_body(root(), BODY, b"Again".to_vec()),
				Error::<Test>::AlreadyNotifiedBody
			);
			assert_ok!(Meters::remove_notified_body(root(), BODY));
			System::assert_last_event(Event::NotifiedBodyRemoved { body: BODY }.into());
			assert_noop!(
				Meters::remove_notified_body(root(), BODY),
				Error::<Test>::NotANotifiedBody
			);
		});
	}

	#[test]
	fn only_the_regulator_manages_notified_bodies() {
		run(|| {
			with_roles();
			assert_noop!(
				Meters::appoint_notified_body(signed(BODY), NOBODY, vec![]),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Meters::remove_notified_body(signed(BODY), BODY),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn oversized_names_are_refused() {
		run(|| {
			let long = vec![b'x'; 65];
			assert_noop!(
				Meters::appoint_notified_body(root(), BODY, long.clone()),
				Error::<Test>::NameTooLong
			);
			assert_noop!(
				Meters::admit_manufacturer(root(), MAKER, long.clone()),
				Error::<Test>::NameTooLong
			);
			with_roles();
			assert_noop!(
				Meters::submit_model(signed(MAKER), long, spec()),
				Error::<Test>::NameTooLong
			);
		});
	}

	#[test]
	fn regulator_or_notified_body_admits_and_removes_manufacturers() {
		run(|| {
			assert_ok!(Meters::admit_manufacturer(root(), MAKER, b"M".to_vec()));
			System::assert_last_event(
				Event::ManufacturerAdmitted { manufacturer: MAKER, by: Actor::Regulator }.into(),
			);
			assert_ok!(Meters::appoint_notified_body(root(), BODY, b"B".to_vec()));
			assert_ok!(Meters::admit_manufacturer(signed(BODY), OTHER_MAKER, b"O".to_vec()));
			System::assert_last_event(
				Event::ManufacturerAdmitted { manufacturer: OTHER_MAKER, by: Actor::Account(BODY) }
					.into(),
			);
			assert_noop!(
				Meters::admit_manufacturer(root(), MAKER, b"M".to_vec()),
				Error::<Test>::AlreadyManufacturer
			);
			assert_ok!(Meters::remove_manufacturer(signed(BODY), MAKER));
			System::assert_last_event(
				Event::ManufacturerRemoved { manufacturer: MAKER, by: Actor::Account(BODY) }.into(),
			);
			assert_noop!(
				Meters::remove_manufacturer(root(), MAKER),
				Error::<Test>::NotAManufacturer
			);
		});
	}

	#[test]
	fn others_cannot_manage_manufacturers() {
		run(|| {
			with_roles();
			assert_noop!(
				Meters::admit_manufacturer(signed(MAKER), NOBODY, vec![]),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Meters::remove_manufacturer(signed(NOBODY), MAKER),
				DispatchError::BadOrigin
			);
		});
	}
}

mod models {
	use super::*;

	#[test]
	fn a_model_is_submitted_then_approved_then_withdrawn_with_its_trail() {
		run(|| {
			with_roles();
			assert_ok!(Meters::submit_model(signed(MAKER), b"EM-1".to_vec(), spec()));
			System::assert_last_event(
				Event::ModelSubmitted { model: 0, manufacturer: MAKER, spec: spec() }.into(),
			);
			assert_eq!(Models::<Test>::get(0).unwrap().status, ModelStatus::Pending);
			assert_ok!(Meters::approve_model(signed(BODY), 0));
			System::assert_last_event(Event::ModelApproved { model: 0, by: BODY }.into());
			let reason = StatusReason::FailedReverification;
			assert_ok!(Meters::withdraw_model_approval(signed(BODY), 0, reason));
			System::assert_last_event(
				Event::ModelApprovalWithdrawn { model: 0, by: BODY, reason }.into(),
			);
			assert_eq!(Models::<Test>::get(0).unwrap().status, ModelStatus::Withdrawn);
			assert_eq!(
				audit(AuditSubject::Model(0)),
				vec![
					AuditChange::ModelSubmitted { spec: spec() },
					AuditChange::ModelApproved,
					AuditChange::ModelApprovalWithdrawn { reason },
				]
			);
		});
	}

	#[test]
	fn a_model_can_be_rejected_once() {
		run(|| {
			with_roles();
			assert_ok!(Meters::submit_model(signed(MAKER), b"EM-1".to_vec(), spec()));
			let reason = StatusReason::Other(42);
			assert_ok!(Meters::reject_model(signed(BODY), 0, reason));
			System::assert_last_event(Event::ModelRejected { model: 0, by: BODY, reason }.into());
			assert_noop!(Meters::approve_model(signed(BODY), 0), Error::<Test>::ModelNotPending);
			assert_noop!(
				Meters::reject_model(signed(BODY), 0, reason),
				Error::<Test>::ModelNotPending
			);
			assert_noop!(
				Meters::withdraw_model_approval(signed(BODY), 0, reason),
				Error::<Test>::ModelNotApproved
			);
		});
	}

	#[test]
	fn bad_model_requests_are_refused() {
		run(|| {
			with_roles();
			let zero = ModelSpec { resolution_milli: 0, ..spec() };
			assert_noop!(
				Meters::submit_model(signed(MAKER), vec![], zero),
				Error::<Test>::ZeroResolution
			);
			// A model whose frames could be a millisecond long, or whose bounds cross.
			for (min, max) in [(0, 1_000), (2_000, 1_000)] {
				let bounds = ModelSpec { min_interval_ms: min, max_interval_ms: max, ..spec() };
				assert_noop!(
					Meters::submit_model(signed(MAKER), vec![], bounds),
					Error::<Test>::InvalidIntervalBounds
				);
			}
			assert_noop!(
				Meters::submit_model(signed(NOBODY), vec![], spec()),
				DispatchError::BadOrigin
			);
			assert_noop!(Meters::approve_model(signed(BODY), 9), Error::<Test>::UnknownModel);
			let reason = StatusReason::Malfunction;
			assert_noop!(
				Meters::reject_model(signed(BODY), 9, reason),
				Error::<Test>::UnknownModel
			);
			assert_noop!(
				Meters::withdraw_model_approval(signed(BODY), 9, reason),
				Error::<Test>::UnknownModel
			);
			assert_ok!(Meters::submit_model(signed(MAKER), vec![], spec()));
			assert_noop!(Meters::approve_model(signed(MAKER), 0), DispatchError::BadOrigin);
			assert_noop!(Meters::reject_model(signed(MAKER), 0, reason), DispatchError::BadOrigin);
			assert_noop!(
				Meters::withdraw_model_approval(signed(NOBODY), 0, reason),
				DispatchError::BadOrigin
			);
		});
	}
}

mod meters {
	use super::*;

	#[test]
	fn provisioning_holds_the_deposit_and_starts_the_trail() {
		run(|| {
			let model = with_approved_model();
			assert_ok!(Meters::provision_meter(signed(MAKER), model, key(1), b"SN-1".to_vec()));
			System::assert_last_event(
				Event::MeterProvisioned {
					meter: 0,
					model,
					manufacturer: MAKER,
					device_key: key(1),
					deposit: 100,
				}
				.into(),
			);
			assert_eq!(held(MAKER), 100);
			let meter = crate::Meters::<Test>::get(0).unwrap();
			assert_eq!(meter.status, MeterStatus::Provisioned);
			assert_eq!(meter.supply_point, None);
			assert_eq!(DeviceKeys::<Test>::get(key(1)), Some(0));
			assert_eq!(
				audit(AuditSubject::Meter(0)),
				vec![AuditChange::MeterProvisioned { model, device_key: key(1) }]
			);
		});
	}

	#[test]
	fn bad_provisioning_is_refused_and_holds_nothing() {
		run(|| {
			let model = with_approved_model();
			assert_ok!(Meters::submit_model(signed(MAKER), vec![], spec()));
			let pending = 1;
			let serial = b"SN-1".to_vec();
			assert_noop!(
				Meters::provision_meter(signed(NOBODY), model, key(1), serial.clone()),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Meters::provision_meter(signed(MAKER), 9, key(1), serial.clone()),
				Error::<Test>::UnknownModel
			);
			assert_noop!(
				Meters::provision_meter(signed(MAKER), pending, key(1), serial.clone()),
				Error::<Test>::ModelNotApproved
			);
			assert_noop!(
				Meters::provision_meter(signed(OTHER_MAKER), model, key(1), serial.clone()),
				Error::<Test>::NotModelManufacturer
			);
			assert_noop!(
				Meters::provision_meter(signed(MAKER), model, key(1), vec![b's'; 33]),
				Error::<Test>::SerialTooLong
			);
			assert_ok!(Meters::provision_meter(signed(MAKER), model, key(1), serial.clone()));
			assert_noop!(
				Meters::provision_meter(signed(MAKER), model, key(2), serial),
				Error::<Test>::SerialInUse
			);
			assert_noop!(
				Meters::provision_meter(signed(MAKER), model, key(1), b"SN-2".to_vec()),
				Error::<Test>::DeviceKeyInUse
			);
			assert_eq!(held(MAKER), 100);
		});
	}

	#[test]
	fn the_same_serial_may_be_used_by_two_manufacturers() {
		run(|| {
			with_approved_model();
			assert_ok!(Meters::submit_model(signed(OTHER_MAKER), vec![], spec()));
			assert_ok!(Meters::approve_model(signed(BODY), 1));
			assert_ok!(Meters::provision_meter(signed(MAKER), 0, key(1), b"SN".to_vec()));
			assert_ok!(Meters::provision_meter(signed(OTHER_MAKER), 1, key(2), b"SN".to_vec()));
		});
	}

	#[test]
	fn a_manufacturer_that_cannot_afford_the_deposit_is_refused() {
		run(|| {
			with_roles();
			assert_ok!(Meters::submit_model(signed(POOR_MAKER), vec![], spec()));
			assert_ok!(Meters::approve_model(signed(BODY), 0));
			assert_ok!(Meters::provision_meter(signed(POOR_MAKER), 0, key(1), b"1".to_vec()));
			assert_noop!(
				Meters::provision_meter(signed(POOR_MAKER), 0, key(2), b"2".to_vec()),
				Error::<Test>::InsufficientDeposit
			);
			assert_eq!(held(POOR_MAKER), 100);
		});
	}

	#[test]
	fn withdrawn_models_get_no_new_meters_but_keep_theirs() {
		run(|| {
			let meter = with_active_meter();
			assert_ok!(Meters::withdraw_model_approval(signed(BODY), 0, StatusReason::Malfunction));
			assert_noop!(
				Meters::provision_meter(signed(MAKER), 0, key(2), b"SN-2".to_vec()),
				Error::<Test>::ModelNotApproved
			);
			assert_eq!(crate::Meters::<Test>::get(meter).unwrap().status, MeterStatus::Active);
		});
	}

	#[test]
	fn verification_activates_and_binds_the_supply_point() {
		run(|| {
			let meter = with_provisioned_meter();
			assert_ok!(Meters::verify_meter(signed(BODY), meter, b"SP-1".to_vec()));
			let supply_point: SupplyPoint = b"SP-1".to_vec().try_into().unwrap();
			System::assert_last_event(
				Event::MeterVerified { meter, by: BODY, supply_point: supply_point.clone() }.into(),
			);
			let stored = crate::Meters::<Test>::get(meter).unwrap();
			assert_eq!(stored.status, MeterStatus::Active);
			assert_eq!(stored.supply_point, Some(supply_point.clone()));
			assert_eq!(
				audit(AuditSubject::Meter(meter))[1],
				AuditChange::MeterVerified { supply_point }
			);
		});
	}

	#[test]
	fn bad_verification_is_refused() {
		run(|| {
			let meter = with_provisioned_meter();
			assert_noop!(
				Meters::verify_meter(signed(MAKER), meter, vec![]),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Meters::verify_meter(signed(BODY), 9, vec![]),
				Error::<Test>::UnknownMeter
			);
			assert_noop!(
				Meters::verify_meter(signed(BODY), meter, vec![b'p'; 33]),
				Error::<Test>::SupplyPointTooLong
			);
			assert_ok!(Meters::verify_meter(signed(BODY), meter, vec![]));
			assert_noop!(
				Meters::verify_meter(signed(BODY), meter, vec![]),
				Error::<Test>::IllegalStatusTransition
			);
		});
	}

	#[test]
	fn suspend_reinstate_revoke_follow_the_lifecycle() {
		run(|| {
			let meter = with_active_meter();
			let tamper = StatusReason::SuspectedTampering;
			assert_ok!(Meters::suspend_meter(signed(BODY), meter, tamper));
			System::assert_last_event(
				Event::MeterStatusChanged {
					meter,
					by: BODY,
					from: MeterStatus::Active,
					to: MeterStatus::Suspended,
					reason: tamper,
				}
				.into(),
			);
			assert_ok!(Meters::reinstate_meter(signed(BODY), meter, StatusReason::IssueResolved));
			assert_eq!(crate::Meters::<Test>::get(meter).unwrap().status, MeterStatus::Active);
			assert_ok!(Meters::revoke_meter(signed(BODY), meter, StatusReason::Decommissioned));
			System::assert_has_event(
				Event::MeterDepositReleased { meter, manufacturer: MAKER, amount: 100 }.into(),
			);
			assert_eq!(held(MAKER), 0);
			assert_eq!(crate::Meters::<Test>::get(meter).unwrap().status, MeterStatus::Revoked);
			let trail = audit(AuditSubject::Meter(meter));
			assert_eq!(trail.len(), 5);
			assert_eq!(
				trail[4],
				AuditChange::StatusChanged {
					from: MeterStatus::Active,
					to: MeterStatus::Revoked,
					reason: StatusReason::Decommissioned
				}
			);
		});
	}

	#[test]
	fn illegal_status_transitions_are_refused() {
		run(|| {
			let meter = with_provisioned_meter();
			let reason = StatusReason::Malfunction;
			// A provisioned meter becomes active only by verification.
			assert_noop!(
				Meters::reinstate_meter(signed(BODY), meter, reason),
				Error::<Test>::IllegalStatusTransition
			);
			assert_noop!(
				Meters::suspend_meter(signed(BODY), meter, reason),
				Error::<Test>::IllegalStatusTransition
			);
			assert_ok!(Meters::verify_meter(signed(BODY), meter, vec![]));
			assert_noop!(
				Meters::reinstate_meter(signed(BODY), meter, reason),
				Error::<Test>::IllegalStatusTransition
			);
			assert_ok!(Meters::revoke_meter(signed(BODY), meter, reason));
			for call in [Meters::suspend_meter, Meters::reinstate_meter, Meters::revoke_meter] {
				assert_noop!(
					call(signed(BODY), meter, reason),
					Error::<Test>::IllegalStatusTransition
				);
			}
			assert_noop!(
				Meters::suspend_meter(signed(BODY), 9, reason),
				Error::<Test>::UnknownMeter
			);
			assert_noop!(
				Meters::suspend_meter(signed(MAKER), meter, reason),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn a_provisioned_meter_can_be_revoked_and_its_deposit_released() {
		run(|| {
			let meter = with_provisioned_meter();
			assert_ok!(Meters::revoke_meter(signed(BODY), meter, StatusReason::Other(7)));
			assert_eq!(held(MAKER), 0);
			assert_eq!(Balances::free_balance(MAKER), 1_000);
		});
	}

	/// A second notified body, NOBODY.
	fn with_second_body() {
		assert_ok!(Meters::appoint_notified_body(root(), NOBODY, b"Body 2".to_vec()));
	}

	#[test]
	fn key_rotation_replaces_the_key_and_retires_the_old_one() {
		run(|| {
			let meter = with_active_meter();
			with_second_body();
			// Two notified bodies approve the same new key; the second approval replaces it.
			assert_ok!(Meters::rotate_device_key(signed(BODY), meter, key(2)));
			assert_eq!(crate::Meters::<Test>::get(meter).unwrap().device_key, key(1));
			assert_ok!(Meters::rotate_device_key(signed(NOBODY), meter, key(2)));
			System::assert_last_event(
				Event::DeviceKeyRotated {
					meter,
					by: Actor::Account(NOBODY),
					old: key(1),
					new: key(2),
				}
				.into(),
			);
			assert_eq!(crate::Meters::<Test>::get(meter).unwrap().device_key, key(2));
			assert!(crate::PendingKeyRotations::<Test>::get(meter).is_none());
			// The retired key cannot come back, on this meter or another.
			assert_noop!(
				Meters::rotate_device_key(signed(BODY), meter, key(1)),
				Error::<Test>::DeviceKeyInUse
			);
			assert_noop!(
				Meters::provision_meter(signed(MAKER), 0, key(1), b"SN-9".to_vec()),
				Error::<Test>::DeviceKeyInUse
			);
			assert_eq!(
				audit(AuditSubject::Meter(meter)).last(),
				Some(&AuditChange::DeviceKeyRotated { old: key(1), new: key(2) })
			);
		});
	}

	#[test]
	fn one_notified_body_cannot_take_a_meter_over_with_a_key_of_its_own() {
		run(|| {
			let meter = with_active_meter();
			with_second_body();
			// BODY gives the meter a key it holds: one approval of two, nothing changes.
			assert_ok!(Meters::rotate_device_key(signed(BODY), meter, key(2)));
			System::assert_last_event(
				Event::DeviceKeyRotationApproved { meter, by: BODY, new: key(2), approvals: 1 }
					.into(),
			);
			assert_noop!(
				Meters::rotate_device_key(signed(BODY), meter, key(2)),
				Error::<Test>::AlreadyApprovedRotation
			);
			assert_eq!(crate::Meters::<Test>::get(meter).unwrap().device_key, key(1));
			// Removed, its approval no longer counts: the other body's is the first.
			assert_ok!(Meters::remove_notified_body(root(), BODY));
			assert_ok!(Meters::rotate_device_key(signed(NOBODY), meter, key(2)));
			System::assert_last_event(
				Event::DeviceKeyRotationApproved { meter, by: NOBODY, new: key(2), approvals: 1 }
					.into(),
			);
			assert_eq!(crate::Meters::<Test>::get(meter).unwrap().device_key, key(1));
			// Another key starts over; the regulator replaces a key alone.
			assert_ok!(Meters::rotate_device_key(root(), meter, key(3)));
			System::assert_last_event(
				Event::DeviceKeyRotated { meter, by: Actor::Regulator, old: key(1), new: key(3) }
					.into(),
			);
			assert!(crate::PendingKeyRotations::<Test>::get(meter).is_none());
		});
	}

	#[test]
	fn bad_key_rotations_are_refused() {
		run(|| {
			let meter = with_active_meter();
			assert_noop!(
				Meters::rotate_device_key(signed(MAKER), meter, key(2)),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Meters::rotate_device_key(signed(BODY), 9, key(2)),
				Error::<Test>::UnknownMeter
			);
			assert_ok!(Meters::revoke_meter(signed(BODY), meter, StatusReason::KeyCompromised));
			assert_noop!(
				Meters::rotate_device_key(signed(BODY), meter, key(2)),
				Error::<Test>::MeterRevoked
			);
		});
	}

	#[test]
	fn every_key_scheme_is_accepted() {
		run(|| {
			let model = with_approved_model();
			let keys = [
				DeviceKey::Ed25519(ed25519::Public::from_raw([1; 32])),
				DeviceKey::Sr25519(sr25519::Public::from_raw([1; 32])),
				DeviceKey::Ecdsa(sp_core::ecdsa::Public::from_raw([2; 33])),
			];
			for (i, key) in keys.into_iter().enumerate() {
				let serial = vec![b'0' + i as u8];
				assert_ok!(Meters::provision_meter(signed(MAKER), model, key, serial));
			}
		});
	}
}

mod audit_trail {
	use super::*;
	use mensura_primitives::metering::AuditTrail;

	#[test]
	fn entries_are_numbered_with_block_and_actor_and_paged() {
		run(|| {
			let meter = with_active_meter();
			System::set_block_number(7);
			assert_ok!(Meters::suspend_meter(signed(BODY), meter, StatusReason::Malfunction));
			let subject = AuditSubject::Meter(meter);
			assert_eq!(AuditLength::<Test>::get(subject), 3);
			let page = Meters::audit_trail(subject, 1, 5);
			assert_eq!(page.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![1, 2]);
			assert_eq!(page[1].1.block, 7);
			assert_eq!(page[1].1.actor, Actor::Account(BODY));
			assert_eq!(page[0].1.block, 1);
			assert!(Meters::audit_trail(subject, 3, 10).is_empty());
			assert_eq!(Meters::audit_trail(subject, 0, 1).len(), 1);
		});
	}

	#[test]
	fn other_pallets_append_through_the_trait_and_nothing_is_overwritten() {
		run(|| {
			let meter = with_active_meter();
			let subject = AuditSubject::Meter(meter);
			let before = Meters::audit_trail(subject, 0, u32::MAX);
			let program = ProgramHash::repeat_byte(9);
			let index = <Meters as AuditTrail<u64>>::record(
				subject,
				Actor::Account(BODY),
				AuditChange::LrProgramBound { program },
			);
			assert_eq!(index, before.len() as u32);
			let after = Meters::audit_trail(subject, 0, u32::MAX);
			assert_eq!(&after[..before.len()], &before[..]);
		});
	}
}

mod registry {
	use super::*;

	#[test]
	fn other_pallets_read_meters_through_the_registry_trait() {
		run(|| {
			let meter = with_active_meter();
			let summary = <Meters as MeterRegistry>::meter(meter).unwrap();
			assert_eq!(summary.status, MeterStatus::Active);
			assert_eq!(summary.spec, spec());
			assert_eq!(<Meters as MeterRegistry>::device_key(meter), Some(key(1)));
			assert_eq!(<Meters as MeterRegistry>::model(meter), Some((0, spec())));
			assert_eq!(
				<Meters as MeterRegistry>::supply_point(meter).map(|s| s.to_vec()),
				Some(b"SP-1".to_vec())
			);
			assert_eq!(<Meters as MeterRegistry>::lr_program(meter), None);
			assert!(<Meters as MeterRegistry>::meter(9).is_none());
		});
	}

	#[test]
	fn binding_an_lr_program_sets_it_and_lands_in_the_audit_trail() {
		use mensura_primitives::readings::LrProgramBinding;
		run(|| {
			let meter = with_active_meter();
			let program = ProgramHash::repeat_byte(7);
			let length = AuditLength::<Test>::get(AuditSubject::Meter(meter));
			assert_ok!(<Meters as LrProgramBinding<u64>>::bind_lr_program(
				meter,
				program,
				Actor::Account(BODY)
			));
			assert_eq!(<Meters as MeterRegistry>::lr_program(meter), Some(program));
			let (index, entry) =
				Meters::audit_trail(AuditSubject::Meter(meter), length, 1).pop().unwrap();
			assert_eq!(index, length);
			assert_eq!(entry.change, AuditChange::LrProgramBound { program });
			assert_eq!(entry.actor, Actor::Account(BODY));

			assert_noop!(
				<Meters as LrProgramBinding<u64>>::bind_lr_program(9, program, Actor::Regulator),
				Error::<Test>::UnknownMeter
			);
			// Another notified body cannot bind a program to a meter BODY verified.
			assert_ok!(Meters::appoint_notified_body(root(), NOBODY, b"Body 2".to_vec()));
			assert_noop!(
				<Meters as LrProgramBinding<u64>>::bind_lr_program(
					meter,
					ProgramHash::repeat_byte(8),
					Actor::Account(NOBODY)
				),
				Error::<Test>::NotVerifyingBody
			);
			assert_eq!(
				<Meters as mensura_primitives::metering::NotifiedBodies<u64>>::verifier_of(meter),
				Some(BODY)
			);
			assert_ok!(Meters::revoke_meter(signed(BODY), meter, StatusReason::Malfunction));
			assert_noop!(
				<Meters as LrProgramBinding<u64>>::bind_lr_program(
					meter,
					program,
					Actor::Regulator
				),
				Error::<Test>::MeterRevoked
			);
		});
	}
}

mod invariants {
	use super::*;

	#[test]
	fn try_state_detects_a_hold_that_does_not_match_the_meters() {
		new_test_ext().execute_with(|| {
			with_active_meter();
			assert_ok!(Meters::do_try_state());
			crate::Meters::<Test>::mutate(0, |m| m.as_mut().unwrap().deposit = 1);
			assert!(Meters::do_try_state().is_err());
		});
	}

	#[test]
	fn try_state_detects_a_gap_in_an_audit_trail() {
		new_test_ext().execute_with(|| {
			with_active_meter();
			AuditLog::<Test>::remove(AuditSubject::Meter(0), 0);
			assert!(Meters::do_try_state().is_err());
		});
	}

	#[test]
	fn try_state_detects_a_shared_device_key() {
		new_test_ext().execute_with(|| {
			with_active_meter();
			assert_ok!(Meters::provision_meter(signed(MAKER), 0, key(2), b"SN-2".to_vec()));
			crate::Meters::<Test>::mutate(1, |m| m.as_mut().unwrap().device_key = key(1));
			assert!(Meters::do_try_state().is_err());
		});
	}
}
