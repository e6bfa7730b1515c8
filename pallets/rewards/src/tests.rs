//! Rewards: the fixed fee, the authors' share, debts when a deposit runs dry, claims,
//! and conservation of the accounting across any sequence of operations.

use crate::{
	mock::*, Accrued, BlockFees, BlockUnfunded, Debts, Error, Event, Ledger, MeasurerEarnings,
	PendingTransactionFees, SupplierDebt,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};
use mensura_primitives::billing::OnSupplied;
use sp_runtime::{DispatchError, Perbill};

fn deposit(supplier: u64) -> u64 {
	Rewards::deposit_of(&supplier)
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Rewards(e) => Some(e),
			_ => None,
		})
		.collect()
}

#[test]
fn every_measurement_pays_the_same_fee_whatever_its_quantity() {
	run(|| {
		let pot = Balances::balance(&Rewards::pot());
		for quantity in [0u128, 1, 19_160, u128::MAX / 2] {
			measure(0, MEASURER, quantity);
		}
		assert_eq!(deposit(SUPPLIER), 0, "four fees of 5 from a deposit of 20");
		assert_eq!(Accrued::<Test>::get(MEASURER), 4 * FEE);
		assert_eq!(Balances::balance(&Rewards::pot()), pot + 4 * FEE);
		let earnings = MeasurerEarnings::<Test>::get(MEASURER);
		assert_eq!((earnings.measurements, earnings.earned, earnings.owed), (4, 4 * FEE, 0));
		assert_eq!(Ledger::<Test>::get().charged, 4 * FEE);
	});
}

#[test]
fn a_blocks_measurements_are_settled_once_at_its_end_with_the_same_result() {
	// Everything the settlement moves, for comparing the two ways of settling.
	let accounts = || {
		(
			Accrued::<Test>::get(MEASURER),
			Accrued::<Test>::get(AUTHOR),
			Ledger::<Test>::get(),
			MeasurerEarnings::<Test>::get(MEASURER),
			SupplierDebt::<Test>::get(SUPPLIER),
			deposit(SUPPLIER),
			Ledger::<Test>::get().unfunded_measurements,
		)
	};
	let settled_one_by_one = {
		let mut ext = new_test_ext();
		ext.execute_with(|| {
			set_author(Some(AUTHOR));
			assert_ok!(Rewards::set_measuring_fee(
				RuntimeOrigin::root(),
				3,
				Perbill::from_percent(34)
			));
			for i in 0..9 {
				measure(i % 3, MEASURER, 1);
			}
			accounts()
		})
	};
	run(|| {
		set_author(Some(AUTHOR));
		assert_ok!(Rewards::set_measuring_fee(RuntimeOrigin::root(), 3, Perbill::from_percent(34)));
		let ledger = Ledger::<Test>::get();
		for i in 0..9 {
			measure_in_block(i % 3, MEASURER, 1);
		}
		// Nothing moves until the block ends; the sums are in memory only.
		assert_eq!(Ledger::<Test>::get(), ledger);
		assert_eq!(BlockFees::<Test>::get().len(), 2, "two payers: SUPPLIER and OTHER_SUPPLIER");
		end_block();
		assert!(!BlockFees::<Test>::exists() && !BlockUnfunded::<Test>::exists());
		assert_eq!(accounts(), settled_one_by_one);
		// Six fees of 3 for SUPPLIER from a deposit of 20: six paid (18); OTHER_SUPPLIER
		// has no deposit and owes its three.
		assert_eq!(deposit(SUPPLIER), 20 - 18);
		assert_eq!(Debts::<Test>::get(OTHER_SUPPLIER, MEASURER), 9);
		// The author's share is taken per fee: ⌊3 × 34 %⌋ = 1, six times.
		assert_eq!(Accrued::<Test>::get(AUTHOR), 6);
	});
}

#[test]
fn a_transactions_measurements_of_one_payer_join_the_blocks_fees_once() {
	use crate::weights::WeightInfo;
	run(|| {
		// A gateway's batch: two of SUPPLIER's meters, then OTHER_SUPPLIER's, then
		// SUPPLIER's again, all computed by MEASURER's program.
		let weights: Vec<_> = [0, 1, 2, 0]
			.into_iter()
			.map(|meter| measure_in_transaction(meter, MEASURER, 1))
			.collect();
		assert_eq!(
			weights,
			vec![
				<() as WeightInfo>::record_measurement(),
				<() as WeightInfo>::record_measurement_summed(),
				<() as WeightInfo>::record_measurement(),
				<() as WeightInfo>::record_measurement(),
			],
			"the fee and the measurer read once per payer in a row"
		);
		assert!(
			<() as WeightInfo>::record_measurement_summed()
				.all_lt(<() as WeightInfo>::record_measurement()),
			"adding to the sum is cheaper than starting one"
		);
		// Two sums recorded (SUPPLIER's two, OTHER_SUPPLIER's one); the last still open.
		let recorded: Vec<_> =
			BlockFees::<Test>::get().iter().map(|p| (p.supplier, p.measurements)).collect();
		assert_eq!(recorded, vec![(SUPPLIER, 2), (OTHER_SUPPLIER, 1)]);
		assert_eq!(PendingTransactionFees::<Test>::get().map(|p| p.fees.measurements), Some(1));
		<Rewards as OnSupplied<u64>>::end_of_transaction();
		assert!(!PendingTransactionFees::<Test>::exists());
		let recorded: Vec<_> =
			BlockFees::<Test>::get().iter().map(|p| (p.supplier, p.measurements)).collect();
		assert_eq!(recorded, vec![(SUPPLIER, 3), (OTHER_SUPPLIER, 1)]);
		end_block();
		assert_eq!(MeasurerEarnings::<Test>::get(MEASURER).measurements, 4);
	});
}

#[test]
fn a_sum_left_open_by_its_transaction_is_settled_with_the_block_not_lost() {
	run(|| {
		let _ = measure_in_transaction(0, MEASURER, 1);
		let _ = measure_in_transaction(1, MEASURER, 1);
		assert!(!BlockFees::<Test>::exists());
		end_block();
		assert!(!PendingTransactionFees::<Test>::exists());
		assert_eq!(Ledger::<Test>::get().charged, 2 * FEE);
		assert_eq!(Accrued::<Test>::get(MEASURER), 2 * FEE);
	});
}

#[test]
fn a_fee_change_between_transactions_applies_to_the_next_measurement() {
	run(|| {
		let _ = measure_in_transaction(0, MEASURER, 1);
		<Rewards as OnSupplied<u64>>::end_of_transaction();
		assert_ok!(Rewards::set_measuring_fee(RuntimeOrigin::root(), 2 * FEE, Perbill::zero()));
		// The next transaction (another extrinsic) reads the new fee.
		System::set_extrinsic_index(1);
		let _ = measure_in_transaction(1, MEASURER, 1);
		<Rewards as OnSupplied<u64>>::end_of_transaction();
		end_block();
		assert_eq!(Accrued::<Test>::get(MEASURER), FEE + 2 * FEE);
	});
}

#[test]
fn payers_beyond_what_a_block_sums_are_settled_at_once() {
	run(|| {
		// MaxPendingPayers is 2 in the mock: a third measurer's fee is paid immediately.
		measure_in_block(0, MEASURER, 1);
		measure_in_block(0, 4, 1);
		measure_in_block(0, 5, 1);
		assert_eq!(BlockFees::<Test>::get().len(), 2);
		assert_eq!(Accrued::<Test>::get(5), FEE, "settled at once");
		assert_eq!(Accrued::<Test>::get(MEASURER), 0, "settled at the end of the block");
		measure_in_block(9, MEASURER, 1);
		measure_in_block(9, MEASURER, 1);
		end_block();
		assert_eq!(Accrued::<Test>::get(MEASURER), FEE);
		assert_eq!(Accrued::<Test>::get(4), FEE);
		assert_eq!(Ledger::<Test>::get().unfunded_measurements, 2);
		assert_eq!(Ledger::<Test>::get().charged, 3 * FEE);
	});
}

#[test]
fn the_block_author_gets_its_share_and_the_measurer_the_rest() {
	run(|| {
		assert_ok!(Rewards::set_measuring_fee(
			RuntimeOrigin::root(),
			10,
			Perbill::from_percent(20)
		));
		set_author(Some(AUTHOR));
		measure(0, MEASURER, 7);
		assert_eq!(Accrued::<Test>::get(AUTHOR), 2);
		assert_eq!(Accrued::<Test>::get(MEASURER), 8);
		// Without an author (no consensus digest), the measurer gets the whole fee.
		set_author(None);
		measure(1, MEASURER, 7);
		assert_eq!(Accrued::<Test>::get(MEASURER), 18);
		let ledger = Ledger::<Test>::get();
		assert_eq!((ledger.charged, ledger.to_measurers, ledger.to_authors), (20, 18, 2));
	});
}

#[test]
fn a_dry_deposit_records_the_debt_and_a_top_up_settles_it_first() {
	run(|| {
		for _ in 0..6 {
			measure(0, MEASURER, 1_000);
		}
		assert_eq!(deposit(SUPPLIER), 0);
		assert_eq!(SupplierDebt::<Test>::get(SUPPLIER), 2 * FEE);
		assert_eq!(Debts::<Test>::get(SUPPLIER, MEASURER), 2 * FEE);
		let earnings = MeasurerEarnings::<Test>::get(MEASURER);
		assert_eq!((earnings.measurements, earnings.earned, earnings.owed), (6, 4 * FEE, 2 * FEE));
		// Told once, when the debt began.
		let exhausted = events()
			.into_iter()
			.filter(|e| matches!(e, Event::DepositExhausted { supplier } if *supplier == SUPPLIER))
			.count();
		assert_eq!(exhausted, 1);

		assert_ok!(Rewards::top_up(RuntimeOrigin::signed(SUPPLIER), 100));
		System::assert_has_event(
			Event::DebtSettled { supplier: SUPPLIER, measurer: MEASURER, amount: 2 * FEE }.into(),
		);
		System::assert_last_event(
			Event::DepositToppedUp { supplier: SUPPLIER, amount: 100, held: 100 - 2 * FEE }.into(),
		);
		assert_eq!(SupplierDebt::<Test>::get(SUPPLIER), 0);
		assert_eq!(Accrued::<Test>::get(MEASURER), 6 * FEE, "the fixed fee × 6 measurements");
		assert_eq!(MeasurerEarnings::<Test>::get(MEASURER).owed, 0);
		// And measuring goes on from the deposit.
		measure(0, MEASURER, 1);
		assert_eq!(deposit(SUPPLIER), 100 - 3 * FEE);
	});
}

#[test]
fn debts_to_more_measurers_than_one_call_reaches_are_settled_over_calls() {
	run(|| {
		for _ in 0..4 {
			measure(0, MEASURER, 1);
		}
		// Six measurers owed: programs 3 … 8.
		for measurer in 3..9 {
			measure(1, measurer, 1);
		}
		assert_eq!(SupplierDebt::<Test>::get(SUPPLIER), 6 * FEE);
		assert_ok!(Rewards::top_up(RuntimeOrigin::signed(SUPPLIER), 100));
		assert_eq!(SupplierDebt::<Test>::get(SUPPLIER), 2 * FEE, "MaxDebtSettlements is 4");
		assert_ok!(Rewards::settle_debts(RuntimeOrigin::signed(CONSUMER), SUPPLIER));
		assert_eq!(SupplierDebt::<Test>::get(SUPPLIER), 0);
		for measurer in 4..9 {
			assert_eq!(Accrued::<Test>::get(measurer), FEE, "measurer {measurer}");
		}
		assert_noop!(
			Rewards::settle_debts(RuntimeOrigin::signed(CONSUMER), SUPPLIER),
			Error::<Test>::NoDebt
		);
	});
}

#[test]
fn a_top_up_too_small_for_the_debt_pays_part_of_it() {
	run(|| {
		for _ in 0..7 {
			measure(0, MEASURER, 1);
		}
		assert_eq!(SupplierDebt::<Test>::get(SUPPLIER), 3 * FEE);
		assert_ok!(Rewards::top_up(RuntimeOrigin::signed(SUPPLIER), 7));
		assert_eq!(SupplierDebt::<Test>::get(SUPPLIER), 3 * FEE - 7);
		assert_eq!(deposit(SUPPLIER), 0);
		// Still in debt, so the next fee is owed too, even with money held.
		assert_ok!(Rewards::top_up(RuntimeOrigin::signed(SUPPLIER), 1));
		assert_eq!(SupplierDebt::<Test>::get(SUPPLIER), 3 * FEE - 8);
	});
}

#[test]
fn meters_without_a_supplier_measure_for_free() {
	run(|| {
		measure(9, MEASURER, 500);
		assert_eq!(Ledger::<Test>::get().unfunded_measurements, 1);
		assert_eq!(Ledger::<Test>::get().charged, 0);
		assert_eq!(MeasurerEarnings::<Test>::get(MEASURER).measurements, 0);
		assert_eq!(deposit(SUPPLIER), 4 * FEE);
	});
}

#[test]
fn measurers_claim_what_accrued_and_the_pot_keeps_its_existential_deposit() {
	run(|| {
		measure(0, MEASURER, 1);
		measure(0, MEASURER, 1);
		let before = Balances::balance(&MEASURER);
		assert_ok!(Rewards::claim(RuntimeOrigin::signed(MEASURER)));
		System::assert_last_event(Event::RewardsClaimed { who: MEASURER, amount: 2 * FEE }.into());
		assert_eq!(Balances::balance(&MEASURER), before + 2 * FEE);
		assert_eq!(Balances::balance(&Rewards::pot()), Balances::minimum_balance());
		assert_eq!(Ledger::<Test>::get().claimed, 2 * FEE);
		assert_noop!(
			Rewards::claim(RuntimeOrigin::signed(MEASURER)),
			Error::<Test>::NothingToClaim
		);
	});
}

#[test]
fn deposits_are_withdrawn_only_without_debt_and_within_what_is_held() {
	run(|| {
		assert_noop!(
			Rewards::withdraw(RuntimeOrigin::signed(SUPPLIER), 4 * FEE + 1),
			Error::<Test>::InsufficientDeposit
		);
		assert_noop!(
			Rewards::withdraw(RuntimeOrigin::signed(SUPPLIER), 0),
			Error::<Test>::ZeroAmount
		);
		assert_ok!(Rewards::withdraw(RuntimeOrigin::signed(SUPPLIER), FEE));
		assert_eq!(deposit(SUPPLIER), 3 * FEE);
		for _ in 0..4 {
			measure(0, MEASURER, 1);
		}
		assert_noop!(
			Rewards::withdraw(RuntimeOrigin::signed(SUPPLIER), 1),
			Error::<Test>::DebtOutstanding
		);
	});
}

#[test]
fn a_supplier_cannot_withdraw_its_deposit_and_leave_fees_as_debts() {
	run(|| {
		// SUPPLIER supplies meters 0 and 1: its deposit keeps one fee for each.
		assert_eq!(Rewards::deposit_floor(&SUPPLIER), 2 * FEE);
		assert_noop!(
			Rewards::withdraw(RuntimeOrigin::signed(SUPPLIER), 2 * FEE + 1),
			Error::<Test>::BelowDepositFloor
		);
		assert_ok!(Rewards::withdraw(RuntimeOrigin::signed(SUPPLIER), 2 * FEE));
		assert_eq!(deposit(SUPPLIER), 2 * FEE);
		// Its contracts end: nothing more to cover, and the rest may go.
		set_supplier(0, None);
		set_supplier(1, None);
		assert_eq!(Rewards::deposit_floor(&SUPPLIER), 0);
		assert_ok!(Rewards::withdraw(RuntimeOrigin::signed(SUPPLIER), 2 * FEE));
		assert_eq!(deposit(SUPPLIER), 0);
	});
}

#[test]
fn bad_top_ups_and_fee_changes_are_refused_without_a_trace() {
	run(|| {
		assert_noop!(
			Rewards::top_up(RuntimeOrigin::signed(SUPPLIER), 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Rewards::top_up(RuntimeOrigin::signed(SUPPLIER), u64::MAX),
			Error::<Test>::Overflow
		);
		assert!(Rewards::top_up(RuntimeOrigin::signed(SUPPLIER), 10_000).is_err(), "unaffordable");
		assert_eq!(deposit(SUPPLIER), 4 * FEE);
		assert_noop!(
			Rewards::set_measuring_fee(RuntimeOrigin::signed(SUPPLIER), 1, Perbill::zero()),
			DispatchError::BadOrigin
		);
		assert_ok!(Rewards::set_measuring_fee(RuntimeOrigin::root(), 1, Perbill::zero()));
		System::assert_last_event(
			Event::MeasuringFeeSet { fee: 1, author_share: Perbill::zero() }.into(),
		);
		measure(0, MEASURER, 1);
		assert_eq!(Accrued::<Test>::get(MEASURER), 1);
	});
}

#[test]
fn the_accounting_is_conserved_across_any_sequence_of_operations() {
	// A small deterministic generator: the same sequences on every run.
	let mut state = 0x2545_f491_4f6c_dd1du64;
	let mut next = move |n: u64| {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		state % n
	};
	for _ in 0..20 {
		run(|| {
			for _ in 0..200 {
				let supplier = [SUPPLIER, OTHER_SUPPLIER][next(2) as usize];
				let measurer = 3 + next(3);
				match next(10) {
					0..=2 => measure(next(4), measurer, u128::from(next(1_000_000))),
					3..=4 => {
						for _ in 0..next(6) {
							measure_in_block(next(4), 3 + next(3), u128::from(next(1_000_000)));
						}
						end_block();
					}
					5 => {
						let _ = Rewards::top_up(RuntimeOrigin::signed(supplier), 1 + next(40));
					}
					6 => {
						let _ = Rewards::claim(RuntimeOrigin::signed(measurer));
						let _ = Rewards::claim(RuntimeOrigin::signed(AUTHOR));
					}
					7 => {
						let _ = Rewards::withdraw(RuntimeOrigin::signed(supplier), 1 + next(10));
					}
					8 => {
						let share = Perbill::from_percent(next(101) as u32);
						assert_ok!(Rewards::set_measuring_fee(
							RuntimeOrigin::root(),
							next(8),
							share
						));
						set_author(if next(2) == 0 { Some(AUTHOR) } else { None });
					}
					_ => {
						let _ = Rewards::settle_debts(RuntimeOrigin::signed(CONSUMER), supplier);
					}
				}
				crate::Pallet::<Test>::do_try_state().expect("invariants hold after every step");
			}
			let ledger = Ledger::<Test>::get();
			assert!(ledger.charged > 0 && ledger.claimed > 0, "the sequence charged and claimed");
		});
	}
}
