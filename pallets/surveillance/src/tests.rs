use crate::{mock::*, Error, Event, Inspections, Role, Surveilled};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{InspectHold, Mutate},
		Hooks,
	},
};
use mensura_primitives::metering::{
	Actor, AuditChange, AuditSubject, MeasurementUnit, MeterKind, MeterStatus, ModelSpec,
	StatusReason,
};
use sp_runtime::{DispatchError, Permill};

/// The first window of a pair registered by [`paired`].
const T0: u64 = 10 * HOUR;
const METER: u64 = 0;
const CHECK: u64 = 1;

/// A meter as [`add_meter`] adds it, supplied by Bob to Alice under an active contract.
fn supplied_meter(id: u64, supply_point: &str, spec: ModelSpec) {
	add_meter(id, supply_point, spec);
	set_contract(id, Some((BOB, ALICE)));
}

fn hold(who: u64) -> u64 {
	Balances::balance_on_hold(&crate::HoldReason::CheckMeterDeposit.into(), &who)
}

/// Meter 0 checked by meter 1 at the same supply point, registered by Alice just before
/// `T0`; meter 2 at another supply point.
fn paired() {
	supplied_meter(METER, "SP-1", electricity());
	supplied_meter(CHECK, "SP-1", electricity());
	supplied_meter(2, "SP-2", electricity());
	set_now(T0 - 1);
	assert_ok!(Surveillance::register_check_meter(
		RuntimeOrigin::signed(ALICE),
		METER,
		CHECK,
		HOUR
	));
}

/// Both meters measure the hour starting at `start` in four 15-minute frames, the meter
/// `measured` and the check meter `counter` milli-units in all.
fn measure_hour(start: u64, measured: u128, counter: u128) {
	for q in 0..4u64 {
		let from = start + q * QUARTER;
		measure(METER, from, from + QUARTER, measured / 4 + if q == 3 { measured % 4 } else { 0 });
		measure(CHECK, from, from + QUARTER, counter / 4 + if q == 3 { counter % 4 } else { 0 });
	}
}

fn discrepancies() -> Vec<Event<Test>> {
	events().into_iter().filter(|e| matches!(e, Event::DiscrepancyFound { .. })).collect()
}

fn compared() -> Vec<Event<Test>> {
	events().into_iter().filter(|e| matches!(e, Event::WindowCompared { .. })).collect()
}

fn check_state() {
	Surveillance::do_try_state().expect("state consistent");
}

#[test]
fn registering_holds_the_deposit_and_starts_at_the_next_window() {
	new_test_ext().execute_with(|| {
		paired();
		assert_eq!(hold(ALICE), DEPOSIT);
		let Some(Role::Checked(pair)) = Surveilled::<Test>::get(METER) else {
			panic!("meter 0 is not checked")
		};
		assert_eq!((pair.check, pair.owner, pair.window, pair.since), (CHECK, ALICE, HOUR, T0));
		assert_eq!(pair.allowed_error, Permill::from_percent(2));
		assert_eq!(pair.step_allowance, 4);
		assert_eq!(Surveilled::<Test>::get(CHECK), Some(Role::Checking { checked: METER }));
		assert_eq!(
			trail(),
			vec![(
				AuditSubject::Meter(METER),
				Actor::Account(ALICE),
				AuditChange::CheckMeterRegistered { check: CHECK }
			)]
		);
		assert_eq!(
			events(),
			vec![Event::CheckMeterRegistered {
				meter: METER,
				check: CHECK,
				owner: ALICE,
				deposit: DEPOSIT,
				window: HOUR,
				since: T0
			}]
		);
		check_state();
	});
}

#[test]
fn a_pair_must_be_two_active_compatible_meters_at_one_supply_point_in_no_other_pair() {
	new_test_ext().execute_with(|| {
		paired();
		supplied_meter(3, "SP-1", electricity());
		supplied_meter(4, "SP-1", electricity());
		supplied_meter(5, "SP-1", electricity());
		supplied_meter(6, "SP-1", electricity());
		supplied_meter(7, "SP-2", electricity());
		let register = |meter, check| {
			Surveillance::register_check_meter(RuntimeOrigin::signed(BOB), meter, check, HOUR)
		};
		assert_noop!(register(3, 3), Error::<Test>::SameMeter);
		for window in [59_999, 86_400_001] {
			assert_noop!(
				Surveillance::register_check_meter(RuntimeOrigin::signed(BOB), 3, 4, window),
				Error::<Test>::WindowOutOfRange
			);
		}
		assert_noop!(register(3, 99), Error::<Test>::UnknownMeter);
		assert_noop!(register(99, 3), Error::<Test>::UnknownMeter);
		assert_noop!(register(3, 7), Error::<Test>::DifferentSupplyPoint);
		assert_noop!(register(METER, 3), Error::<Test>::AlreadyChecked);
		assert_noop!(register(CHECK, 3), Error::<Test>::MeterIsACheckMeter);
		assert_noop!(register(3, CHECK), Error::<Test>::CheckMeterInUse);
		assert_noop!(register(3, METER), Error::<Test>::CheckMeterInUse);
		set_status(4, MeterStatus::Suspended);
		assert_noop!(register(3, 4), Error::<Test>::MeterNotActive);
		assert_noop!(register(4, 3), Error::<Test>::MeterNotActive);
		let mut gas = electricity();
		gas.kind = MeterKind::Gas;
		gas.unit = MeasurementUnit::CubicMetre;
		supplied_meter(8, "SP-1", gas);
		assert_noop!(register(3, 8), Error::<Test>::IncompatibleModels);
		// A caller who cannot afford the deposit: account 42, consumer at meter 3.
		set_contract(3, Some((BOB, 42)));
		assert!(register(5, 6).is_ok());
		assert_noop!(
			Surveillance::register_check_meter(RuntimeOrigin::signed(42), 3, 6, HOUR),
			Error::<Test>::CheckMeterInUse
		);
		supplied_meter(9, "SP-1", electricity());
		assert!(Surveillance::register_check_meter(RuntimeOrigin::signed(42), 3, 9, HOUR).is_err());
		assert!(!Surveilled::<Test>::contains_key(3));
		check_state();
	});
}

#[test]
fn meters_that_agree_within_their_errors_are_compared_and_left_alone() {
	new_test_ext().execute_with(|| {
		paired();
		// 1 kWh against 1.0195 kWh: 19.5 Wh apart, 2 % of the check meter's plus 4 steps
		// allow 20.39 Wh.
		measure_hour(T0, 1_000_000, 1_019_500);
		measure_hour(T0 + HOUR, 2_000_000, 2_000_000);
		// The second hour is compared by the first measurement after it.
		measure(METER, T0 + 2 * HOUR, T0 + 2 * HOUR + QUARTER, 1);
		assert_eq!(
			compared(),
			vec![
				Event::WindowCompared {
					meter: METER,
					check: CHECK,
					start: T0,
					end: T0 + HOUR,
					measured: 1_000_000,
					counter: 1_019_500
				},
				Event::WindowCompared {
					meter: METER,
					check: CHECK,
					start: T0 + HOUR,
					end: T0 + 2 * HOUR,
					measured: 2_000_000,
					counter: 2_000_000
				},
			]
		);
		assert!(discrepancies().is_empty());
		assert!(!Inspections::<Test>::contains_key(METER));
		check_state();
	});
}

#[test]
fn the_allowed_difference_is_both_errors_of_the_counter_quantity_plus_two_steps_each() {
	new_test_ext().execute_with(|| {
		paired();
		// 2 % of 1,000,000 = 20,000, plus 4 steps: 20,004 allowed.
		measure_hour(T0, 1_020_004, 1_000_000);
		measure_hour(T0 + HOUR, 1_020_005, 1_000_000);
		measure(METER, T0 + 2 * HOUR, T0 + 2 * HOUR + QUARTER, 1);
		assert_eq!(compared().len(), 1);
		assert_eq!(
			discrepancies(),
			vec![Event::DiscrepancyFound {
				meter: METER,
				check: CHECK,
				start: T0 + HOUR,
				end: T0 + 2 * HOUR,
				measured: 1_020_005,
				counter: 1_000_000,
				allowed: 20_004
			}]
		);
	});
}

#[test]
fn a_meter_reading_3_percent_high_is_put_under_inspection_once_and_on_its_trail_each_time() {
	new_test_ext().execute_with(|| {
		paired();
		System::set_block_number(7);
		measure_hour(T0, 1_030_000, 1_000_000);
		measure_hour(T0 + HOUR, 2_060_000, 2_000_000);
		measure(CHECK, T0 + 2 * HOUR, T0 + 2 * HOUR + QUARTER, 1);
		assert_eq!(discrepancies().len(), 2);
		let under: Vec<_> =
			events().into_iter().filter(|e| matches!(e, Event::UnderInspection { .. })).collect();
		assert_eq!(under, vec![Event::UnderInspection { meter: METER, check: CHECK }]);
		let inspection = Inspections::<Test>::get(METER).expect("under inspection");
		assert_eq!((inspection.since, inspection.check, inspection.discrepancies), (7, CHECK, 2));
		assert_eq!(
			(inspection.last.start, inspection.last.measured, inspection.last.counter),
			(T0 + HOUR, 2_060_000, 2_000_000)
		);
		assert_eq!(inspection.allowed, 40_004);
		let found: Vec<_> = trail()
			.into_iter()
			.filter(|(_, _, c)| matches!(c, AuditChange::DiscrepancyFound { .. }))
			.collect();
		assert_eq!(found.len(), 2);
		assert_eq!(
			found[0],
			(
				AuditSubject::Meter(METER),
				Actor::Account(ALICE),
				AuditChange::DiscrepancyFound {
					check: CHECK,
					start: T0,
					end: T0 + HOUR,
					measured: 1_030_000,
					counter: 1_000_000,
					allowed: 20_004
				}
			)
		);
		let Some(Role::Checked(pair)) = Surveilled::<Test>::get(METER) else { panic!() };
		assert_eq!((pair.compared, pair.discrepancies), (2, 2));
		check_state();
	});
}

#[test]
fn a_meter_dropping_a_frame_comes_up_short_against_its_check_meter() {
	new_test_ext().execute_with(|| {
		paired();
		for q in 0..4u64 {
			let from = T0 + q * QUARTER;
			measure(CHECK, from, from + QUARTER, 250_000);
			// The meter never sends its third quarter.
			if q != 2 {
				measure(METER, from, from + QUARTER, 250_000);
			}
		}
		measure(METER, T0 + HOUR, T0 + HOUR + QUARTER, 250_000);
		assert_eq!(
			discrepancies(),
			vec![Event::DiscrepancyFound {
				meter: METER,
				check: CHECK,
				start: T0,
				end: T0 + HOUR,
				measured: 750_000,
				counter: 1_000_000,
				allowed: 20_004
			}]
		);
		assert!(Inspections::<Test>::contains_key(METER));
	});
}

#[test]
fn a_window_waits_for_the_lagging_meter_and_intervals_across_windows_widen_its_tolerance() {
	new_test_ext().execute_with(|| {
		paired();
		// The meter reports the first two hours in one frame, then half an hour.
		measure(METER, T0, T0 + 2 * HOUR, 2_000_000);
		measure(METER, T0 + 2 * HOUR, T0 + 2 * HOUR + 2 * QUARTER, 500_000);
		assert!(compared().is_empty(), "the check meter has not measured yet");
		measure_hour_check_only(T0, 1_000_000);
		// The check meter has covered hour 1 only: it is compared, hour 2 waits.
		assert_eq!(compared().len(), 1);
		measure_hour_check_only(T0 + HOUR, 1_000_000);
		assert_eq!(compared().len(), 2);
		measure(CHECK, T0 + 2 * HOUR, T0 + 2 * HOUR + 2 * QUARTER, 500_000);
		let Some(Role::Checked(pair)) = Surveilled::<Test>::get(METER) else { panic!() };
		assert_eq!(pair.windows.len(), 1);
		assert_eq!(
			(pair.windows[0].start, pair.windows[0].measured, pair.windows[0].counter),
			(T0 + 2 * HOUR, 500_000, 500_000)
		);
		measure(METER, T0 + 2 * HOUR + 3 * QUARTER, T0 + 3 * HOUR + QUARTER, 1_000_000);
		measure(CHECK, T0 + 2 * HOUR + 2 * QUARTER, T0 + 3 * HOUR + QUARTER, 1_000_000);
		// Hour 3: pro rata, the meter 500,000 + 1,000,000 × 15/30 and the check meter
		// 500,000 + 1,000,000 × 30/45 — but both last frames cross the hour's end, and
		// where in them the load ran is unknown: their 2,000,000 widen the tolerance, and
		// the hour agrees.
		assert_eq!(compared().len(), 3);
		assert!(discrepancies().is_empty());
		assert_eq!(
			compared().last(),
			Some(&Event::WindowCompared {
				meter: METER,
				check: CHECK,
				start: T0 + 2 * HOUR,
				end: T0 + 3 * HOUR,
				measured: 1_000_000,
				counter: 1_166_667,
			})
		);
		check_state();
	});
}

#[test]
fn misaligned_frames_and_a_kettle_at_the_window_edge_put_no_honest_meter_under_inspection() {
	new_test_ext().execute_with(|| {
		paired();
		const MINUTE: u64 = 60_000;
		// Both meters are exact; the base load is 1,000,000 an hour. The meter's
		// 15-minute frames start at :00, the check meter's at :07. A kettle draws 100,000
		// from 0:55 to 1:00 of the first hour: the meter's frame 0:45–1:00 holds it all,
		// the check meter's 0:52–1:07 too, but pro rata it counts 8/15 of it in the first
		// hour and 7/15 in the second.
		let base = |from: u64, to: u64| 1_000_000 * u128::from(to - from) / u128::from(HOUR);
		let kettle = |from: u64, to: u64| {
			let (start, end) = (T0 + 55 * MINUTE, T0 + HOUR);
			if from <= start && to >= end {
				100_000
			} else {
				0
			}
		};
		for q in 0..12u64 {
			let from = T0 + q * QUARTER;
			measure(
				METER,
				from,
				from + QUARTER,
				base(from, from + QUARTER) + kettle(from, from + QUARTER),
			);
		}
		let mut from = T0 - 8 * MINUTE;
		while from < T0 + 3 * HOUR {
			measure(
				CHECK,
				from,
				from + QUARTER,
				base(from, from + QUARTER) + kettle(from, from + QUARTER),
			);
			from += QUARTER;
		}
		// Both hours compared, both agree; no discrepancy, no inspection, no trail entry.
		assert!(discrepancies().is_empty(), "{:?}", discrepancies());
		assert!(compared().len() >= 2, "{:?}", events());
		assert!(Inspections::<Test>::get(METER).is_none());
		assert!(!trail().iter().any(|(_, _, c)| matches!(c, AuditChange::DiscrepancyFound { .. })));
		check_state();
	});
}

#[test]
fn a_meter_reading_high_is_still_caught_against_a_misaligned_check_meter_over_a_long_window() {
	new_test_ext().execute_with(|| {
		supplied_meter(METER, "SP-1", electricity());
		supplied_meter(CHECK, "SP-1", electricity());
		set_now(T0 - 1);
		assert_ok!(Surveillance::register_check_meter(
			RuntimeOrigin::signed(ALICE),
			METER,
			CHECK,
			24 * HOUR
		));
		// A day window from the next midnight after T0; the meter reads 5 % high, its
		// frames start at :00, the check meter's at :07.
		let day = T0 - T0 % (24 * HOUR) + 24 * HOUR;
		const MINUTE: u64 = 60_000;
		for q in 0..(2 * 96 + 1) {
			let from = day + q * QUARTER;
			measure(METER, from, from + QUARTER, 262_500);
			let from = day - 8 * MINUTE + q * QUARTER;
			measure(CHECK, from, from + QUARTER, 250_000);
		}
		// Each day: 24 × 1,050,000 against 24 × 1,000,000, 1,200,000 apart, while the
		// check meter's two frames across the day's edges allow 2 % + 4 steps + 500,000.
		assert_eq!(discrepancies().len(), 2, "{:?}", events());
		assert!(Inspections::<Test>::get(METER).is_some());
		check_state();
	});
}

fn measure_hour_check_only(start: u64, counter: u128) {
	for q in 0..4u64 {
		let from = start + q * QUARTER;
		measure(CHECK, from, from + QUARTER, counter / 4);
	}
}

#[test]
fn measurements_before_the_pair_started_and_a_window_joined_midway_are_not_compared() {
	new_test_ext().execute_with(|| {
		paired();
		// Before the first window: ignored.
		measure(METER, T0 - HOUR, T0, 5_000_000);
		// The check meter joins at 0:30 of the first window.
		measure(METER, T0, T0 + HOUR, 1_000_000);
		measure(CHECK, T0 + 2 * QUARTER, T0 + HOUR, 500_000);
		measure_hour(T0 + HOUR, 1_000_000, 1_000_000);
		measure(METER, T0 + 2 * HOUR, T0 + 2 * HOUR + QUARTER, 1);
		assert!(discrepancies().is_empty());
		assert_eq!(compared().len(), 1);
		assert!(matches!(compared()[0], Event::WindowCompared { start, .. } if start == T0 + HOUR));
		check_state();
	});
}

#[test]
fn a_silent_check_meter_gives_windows_up_instead_of_flagging_the_meter() {
	new_test_ext().execute_with(|| {
		paired();
		measure(CHECK, T0, T0 + QUARTER, 250_000);
		for h in 0..6u64 {
			measure(METER, T0 + h * HOUR, T0 + (h + 1) * HOUR, 1_000_000);
		}
		let abandoned: Vec<_> = events()
			.into_iter()
			.filter_map(|e| match e {
				Event::ComparisonAbandoned { start, measured, counter, .. } => {
					Some((start, measured, counter))
				}
				_ => None,
			})
			.collect();
		// Four windows stay open; the fifth and sixth hour pushed the first two out.
		assert_eq!(abandoned, vec![(T0, 1_000_000, 250_000), (T0 + HOUR, 1_000_000, 0)]);
		assert!(discrepancies().is_empty());
		assert!(!Inspections::<Test>::contains_key(METER));
		let Some(Role::Checked(pair)) = Surveilled::<Test>::get(METER) else { panic!() };
		assert_eq!(pair.windows.len(), 4);
		check_state();
	});
}

#[test]
fn a_long_interval_touches_at_most_the_open_windows() {
	new_test_ext().execute_with(|| {
		paired();
		// One frame over 100 hours: only its last four hours can still be compared.
		measure(METER, T0, T0 + 100 * HOUR, 100_000_000);
		let Some(Role::Checked(pair)) = Surveilled::<Test>::get(METER) else { panic!() };
		let starts: Vec<_> = pair.windows.iter().map(|w| (w.start, w.measured)).collect();
		assert_eq!(starts, (96..100).map(|h| (T0 + h * HOUR, 1_000_000)).collect::<Vec<_>>());
		assert!(events().iter().all(|e| !matches!(e, Event::ComparisonAbandoned { .. })));
		check_state();
	});
}

#[test]
fn measurements_of_meters_in_no_pair_change_nothing() {
	new_test_ext().execute_with(|| {
		paired();
		let root = sp_io::storage::root(sp_runtime::StateVersion::V1);
		measure(2, T0, T0 + QUARTER, 1_000);
		measure(77, T0, T0 + QUARTER, 1_000);
		assert_eq!(sp_io::storage::root(sp_runtime::StateVersion::V1), root);
	});
}

#[test]
fn the_owner_or_a_notified_body_removes_a_pair_and_the_deposit_goes_back() {
	new_test_ext().execute_with(|| {
		paired();
		assert_noop!(
			Surveillance::remove_check_meter(RuntimeOrigin::signed(BOB), METER),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Surveillance::remove_check_meter(RuntimeOrigin::signed(ALICE), CHECK),
			Error::<Test>::NotChecked
		);
		assert_ok!(Surveillance::remove_check_meter(RuntimeOrigin::signed(ALICE), METER));
		assert_eq!(hold(ALICE), 0);
		assert!(!Surveilled::<Test>::contains_key(METER));
		assert!(!Surveilled::<Test>::contains_key(CHECK));
		assert_eq!(
			events().last(),
			Some(&Event::CheckMeterRemoved { meter: METER, check: CHECK, owner: ALICE })
		);
		assert_eq!(
			trail().last().map(|(_, a, c)| (a.clone(), c.clone())),
			Some((Actor::Account(ALICE), AuditChange::CheckMeterRemoved { check: CHECK }))
		);
		// A notified body may end someone else's pair, under inspection or not.
		assert_ok!(Surveillance::register_check_meter(
			RuntimeOrigin::signed(BOB),
			METER,
			CHECK,
			HOUR
		));
		measure_hour(T0, 1_100_000, 1_000_000);
		measure(METER, T0 + HOUR, T0 + HOUR + QUARTER, 1);
		assert!(Inspections::<Test>::contains_key(METER));
		assert_ok!(Surveillance::remove_check_meter(RuntimeOrigin::signed(BODY), METER));
		assert_eq!(hold(BOB), 0);
		assert!(Inspections::<Test>::contains_key(METER), "the inspection stays");
		check_state();
	});
}

#[test]
fn a_notified_body_clears_an_inspection() {
	new_test_ext().execute_with(|| {
		paired();
		assert_noop!(
			Surveillance::clear_inspection(RuntimeOrigin::signed(BODY), METER),
			Error::<Test>::NotUnderInspection
		);
		measure_hour(T0, 1_100_000, 1_000_000);
		measure(METER, T0 + HOUR, T0 + HOUR + QUARTER, 1);
		assert_noop!(
			Surveillance::clear_inspection(RuntimeOrigin::signed(ALICE), METER),
			DispatchError::BadOrigin
		);
		assert_ok!(Surveillance::clear_inspection(RuntimeOrigin::signed(BODY), METER));
		assert!(!Inspections::<Test>::contains_key(METER));
		assert_eq!(status(METER), MeterStatus::Active);
		assert_eq!(events().last(), Some(&Event::InspectionCleared { meter: METER, body: BODY }));
		assert_eq!(
			trail().last().map(|(_, a, c)| (a.clone(), c.clone())),
			Some((Actor::Account(BODY), AuditChange::InspectionCleared))
		);
		// The next discrepancy puts it under inspection again.
		measure_hour(T0 + HOUR, 1_100_000, 1_000_000);
		measure(METER, T0 + 2 * HOUR, T0 + 2 * HOUR + QUARTER, 1);
		assert_eq!(Inspections::<Test>::get(METER).map(|i| i.discrepancies), Some(1));
	});
}

#[test]
fn a_notified_body_suspends_a_meter_under_inspection() {
	new_test_ext().execute_with(|| {
		paired();
		assert_noop!(
			Surveillance::suspend_meter(
				RuntimeOrigin::signed(BODY),
				METER,
				StatusReason::SuspectedTampering
			),
			Error::<Test>::NotUnderInspection
		);
		measure_hour(T0, 1_100_000, 1_000_000);
		measure(METER, T0 + HOUR, T0 + HOUR + QUARTER, 1);
		assert_noop!(
			Surveillance::suspend_meter(
				RuntimeOrigin::signed(ALICE),
				METER,
				StatusReason::SuspectedTampering
			),
			DispatchError::BadOrigin
		);
		set_status(METER, MeterStatus::Revoked);
		assert_noop!(
			Surveillance::suspend_meter(
				RuntimeOrigin::signed(BODY),
				METER,
				StatusReason::SuspectedTampering
			),
			DispatchError::Other("IllegalStatusTransition")
		);
		set_status(METER, MeterStatus::Active);
		assert_ok!(Surveillance::suspend_meter(
			RuntimeOrigin::signed(BODY),
			METER,
			StatusReason::SuspectedTampering
		));
		assert_eq!(status(METER), MeterStatus::Suspended);
		assert!(!Inspections::<Test>::contains_key(METER));
		assert_eq!(
			events().last(),
			Some(&Event::SuspendedAfterInspection {
				meter: METER,
				body: BODY,
				reason: StatusReason::SuspectedTampering
			})
		);
	});
}

#[test]
fn integrity() {
	new_test_ext().execute_with(|| {
		<Surveillance as Hooks<u64>>::integrity_test();
	});
}

#[test]
fn a_stranger_cannot_pair_a_check_meter_with_someone_elses_meter() {
	new_test_ext().execute_with(|| {
		supplied_meter(METER, "SP-1", electricity());
		supplied_meter(CHECK, "SP-1", electricity());
		set_now(T0 - 1);
		const STRANGER: u64 = 7;
		Balances::set_balance(&STRANGER, 1_000);
		// Neither a stranger, nor a notified body that did not verify the meter, nor
		// anyone once the meter has no supply contract (except its verifying body).
		let register = |who| {
			Surveillance::register_check_meter(RuntimeOrigin::signed(who), METER, CHECK, HOUR)
		};
		assert_noop!(register(STRANGER), Error::<Test>::NoStakeInMeter);
		assert_noop!(register(BODY + 1), Error::<Test>::NoStakeInMeter);
		set_contract(METER, None);
		assert_noop!(register(ALICE), Error::<Test>::NoStakeInMeter);
		assert_noop!(register(BOB), Error::<Test>::NoStakeInMeter);
		assert_eq!(hold(STRANGER) + hold(ALICE) + hold(BOB), 0);
		assert!(trail().is_empty() && events().is_empty());
		// The body that verified it may, contract or not; so may its consumer and its
		// supplier.
		assert_ok!(register(BODY));
		assert_ok!(Surveillance::remove_check_meter(RuntimeOrigin::signed(BODY), METER));
		set_contract(METER, Some((BOB, ALICE)));
		for who in [ALICE, BOB] {
			assert_ok!(register(who));
			assert_eq!(hold(who), DEPOSIT);
			assert_ok!(Surveillance::remove_check_meter(RuntimeOrigin::signed(who), METER));
		}
		check_state();
	});
}

#[test]
fn a_pair_is_marked_in_both_meters_reading_records_until_it_is_removed() {
	use mensura_primitives::readings::MeterLinks;
	new_test_ext().execute_with(|| {
		paired();
		assert!(TestLinks::surveilled(METER) && TestLinks::surveilled(CHECK));
		assert!(!TestLinks::surveilled(2));
		check_state();
		// A stored frame of a meter whose record is not marked costs surveillance no
		// read: it is not followed, whatever `Surveilled` holds.
		let before = Surveilled::<Test>::get(METER);
		let unmarked = mensura_primitives::readings::StoredMeasurement {
			meter: METER,
			index: 0,
			start: T0,
			end: T0 + QUARTER,
			quantity: 1_000,
			program: sp_core::H256::repeat_byte(1),
			register: 1_000,
			surveilled: false,
		};
		let weight = <Surveillance as mensura_primitives::readings::OnMeasured<u64>>::on_measured(
			&unmarked, &mut None,
		);
		assert_eq!(weight, <() as crate::WeightInfo>::measurement_unpaired());
		assert_eq!(Surveilled::<Test>::get(METER), before);
		// The invariants catch a pair whose meter lost its mark.
		TestLinks::set_surveilled(CHECK, false);
		assert!(Surveillance::do_try_state().is_err());
		TestLinks::set_surveilled(CHECK, true);
		assert_ok!(Surveillance::remove_check_meter(RuntimeOrigin::signed(ALICE), METER));
		assert!(!TestLinks::surveilled(METER) && !TestLinks::surveilled(CHECK));
		check_state();
	});
}

#[test]
fn version_one_pairs_are_marked_in_their_meters_records_by_the_migration() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	use mensura_primitives::readings::MeterLinks;
	new_test_ext().execute_with(|| {
		paired();
		// Version 1 kept no mark.
		TestLinks::set_surveilled(METER, false);
		TestLinks::set_surveilled(CHECK, false);
		StorageVersion::new(1).put::<Surveillance>();

		crate::migrations::v2::MigrateToV2::<Test>::on_runtime_upgrade();

		assert_eq!(Surveillance::on_chain_storage_version(), StorageVersion::new(2));
		assert!(TestLinks::surveilled(METER) && TestLinks::surveilled(CHECK));
		assert!(!TestLinks::surveilled(2));
		check_state();
	});
}
