//! Benchmarks of measurer rewards. Worst cases: a top-up or settlement that pays debts
//! to `d` measurers; recording a measurement of a new payer behind a full list of
//! others; settling a payer's fees at the end of the block, paid (with an author's
//! share) or owed (the supplier's first debt, with its event).

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		EnsureOrigin, Get, Hooks,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use mensura_primitives::{
	billing::{OnSupplied, ProgramMeasurer, SupplyContracts},
	readings::StoredMeasurement,
};
use sp_runtime::{
	traits::{Bounded, Zero},
	Perbill,
};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 4u32.into());
	who
}

fn fee<T: Config>() -> BalanceOf<T> {
	T::Currency::minimum_balance().max(1u32.into())
}

/// A pot with its existential deposit, a fee, and a meter supplied by `supplier`.
fn set_up<T: Config>(supplier: &T::AccountId) {
	let pot = Pallet::<T>::pot();
	T::Currency::set_balance(&pot, T::Currency::minimum_balance());
	MeasuringFee::<T>::put(fee::<T>());
	AuthorShare::<T>::put(Perbill::from_percent(10));
	T::Suppliers::benchmark_supply(0, supplier.clone());
}

fn measurement(program: mensura_primitives::metering::ProgramHash) -> StoredMeasurement {
	StoredMeasurement {
		meter: 0,
		index: 0,
		start: 0,
		end: 1,
		quantity: 1_000,
		program,
		register: 1_000,
		surveilled: false,
	}
}

/// Holds `fees` measuring fees of `supplier`'s balance as its measurement deposit.
fn deposit<T: Config>(supplier: &T::AccountId, fees: u32) {
	T::Currency::hold(&HoldReason::MeasurementDeposit.into(), supplier, fee::<T>() * fees.into())
		.expect("affordable");
}

/// A measurement computed by `measurer`'s program, settled as at the end of a block.
fn measured<T: Config>(measurer: T::AccountId) {
	let program = T::Measurers::benchmark_program(measurer);
	let supplier = T::Suppliers::supplier_of(0);
	let _ = <Pallet<T> as OnSupplied<T::AccountId>>::on_supplied(
		&measurement(program),
		supplier.as_ref(),
	);
	Pallet::<T>::settle_block();
}

/// `supplier` owes one fee to each of `d` measurers.
fn indebted<T: Config>(supplier: &T::AccountId, d: u32) {
	for i in 0..d {
		measured::<T>(account("measurer", i, 0));
	}
	assert_eq!(Debts::<T>::iter_prefix(supplier).count() as u32, d);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_measuring_fee() -> Result<(), BenchmarkError> {
		let origin =
			T::RegulatorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, fee::<T>(), Perbill::from_percent(5));
		assert_eq!(AuthorShare::<T>::get(), Perbill::from_percent(5));
		Ok(())
	}

	#[benchmark]
	fn top_up(d: Linear<0, { T::MaxDebtSettlements::get() }>) {
		let supplier = funded::<T>("supplier", 0);
		set_up::<T>(&supplier);
		indebted::<T>(&supplier, d);
		#[extrinsic_call]
		_(RawOrigin::Signed(supplier.clone()), fee::<T>() * 1_000u32.into());
		assert!(SupplierDebt::<T>::get(&supplier).is_zero());
	}

	#[benchmark]
	fn withdraw() {
		// The supplier supplies a meter: it withdraws down to its deposit floor, which the
		// withdrawal checks.
		let supplier = funded::<T>("supplier", 0);
		set_up::<T>(&supplier);
		deposit::<T>(&supplier, T::DepositFloorFees::get() + 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(supplier.clone()), fee::<T>());
		assert_eq!(Pallet::<T>::deposit_of(&supplier), Pallet::<T>::deposit_floor(&supplier));
	}

	#[benchmark]
	fn claim() {
		let supplier = funded::<T>("supplier", 0);
		set_up::<T>(&supplier);
		deposit::<T>(&supplier, 10);
		let measurer: T::AccountId = account("measurer", 0, 0);
		measured::<T>(measurer.clone());
		assert!(!Accrued::<T>::get(&measurer).is_zero());
		#[extrinsic_call]
		_(RawOrigin::Signed(measurer.clone()));
		assert!(Accrued::<T>::get(&measurer).is_zero());
	}

	#[benchmark]
	fn settle_debts(d: Linear<1, { T::MaxDebtSettlements::get() }>) {
		let supplier = funded::<T>("supplier", 0);
		set_up::<T>(&supplier);
		indebted::<T>(&supplier, d);
		T::Currency::hold(
			&HoldReason::MeasurementDeposit.into(),
			&supplier,
			fee::<T>() * 1_000u32.into(),
		)
		.expect("affordable");
		let caller = funded::<T>("caller", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), supplier.clone());
		assert!(SupplierDebt::<T>::get(&supplier).is_zero());
	}

	#[benchmark]
	fn record_measurement() {
		let supplier = funded::<T>("supplier", 0);
		set_up::<T>(&supplier);
		// Every other pending place taken by other payers, and the transaction's sum so far
		// of yet another: recording that sum is the longest search, then a push.
		let others = T::MaxPendingPayers::get().saturating_sub(1);
		let fees: Vec<_> = (0..others)
			.map(|i| PendingFees {
				supplier: supplier.clone(),
				measurer: account("other", i, 0),
				fee: fee::<T>(),
				measurements: 1,
			})
			.collect();
		BlockFees::<T>::put(BoundedVec::try_from(fees).expect("fewer than the bound"));
		PendingTransactionFees::<T>::put(TransactionFees {
			extrinsic: frame_system::Pallet::<T>::extrinsic_index(),
			program: mensura_primitives::metering::ProgramHash::repeat_byte(0xee),
			fees: PendingFees {
				supplier: supplier.clone(),
				measurer: account("last", 0, 0),
				fee: fee::<T>(),
				measurements: 3,
			},
		});
		let measurer: T::AccountId = account("measurer", 0, 0);
		let m = measurement(T::Measurers::benchmark_program(measurer.clone()));
		#[block]
		{
			let _ = <Pallet<T> as OnSupplied<T::AccountId>>::on_supplied(&m, Some(&supplier));
		}
		assert_eq!(BlockFees::<T>::get().len() as u32, others + 1);
		assert_eq!(PendingTransactionFees::<T>::get().map(|p| p.fees.measurer), Some(measurer));
	}

	#[benchmark]
	fn record_measurement_summed() {
		let supplier = funded::<T>("supplier", 0);
		set_up::<T>(&supplier);
		let measurer: T::AccountId = account("measurer", 0, 0);
		let m = measurement(T::Measurers::benchmark_program(measurer.clone()));
		// The transaction's previous measurement was of the same supplier and program.
		let _ = <Pallet<T> as OnSupplied<T::AccountId>>::on_supplied(&m, Some(&supplier));
		#[block]
		{
			let _ = <Pallet<T> as OnSupplied<T::AccountId>>::on_supplied(&m, Some(&supplier));
		}
		assert_eq!(PendingTransactionFees::<T>::get().map(|p| p.fees.measurements), Some(2));
	}

	#[benchmark]
	fn settle_fees() {
		let supplier = funded::<T>("supplier", 0);
		set_up::<T>(&supplier);
		deposit::<T>(&supplier, 1_000);
		let measurer: T::AccountId = account("measurer", 0, 0);
		let m = measurement(T::Measurers::benchmark_program(measurer.clone()));
		for _ in 0..100 {
			let _ = <Pallet<T> as OnSupplied<T::AccountId>>::on_supplied(&m, Some(&supplier));
		}
		#[block]
		{
			Pallet::<T>::on_finalize(0u32.into());
		}
		// Without a consensus digest there is no block author: the measurer gets it all
		// (the author's share is priced separately in `settlement_weight`).
		assert_eq!(Ledger::<T>::get().charged, fee::<T>() * 100u32.into());
		assert!(!BlockFees::<T>::exists());
	}

	#[benchmark]
	fn owe_fees() {
		let supplier = funded::<T>("supplier", 0);
		set_up::<T>(&supplier);
		let measurer: T::AccountId = account("measurer", 0, 0);
		let m = measurement(T::Measurers::benchmark_program(measurer.clone()));
		for _ in 0..100 {
			let _ = <Pallet<T> as OnSupplied<T::AccountId>>::on_supplied(&m, Some(&supplier));
		}
		#[block]
		{
			Pallet::<T>::on_finalize(0u32.into());
		}
		assert_eq!(SupplierDebt::<T>::get(&supplier), fee::<T>() * 100u32.into());
	}

	#[benchmark]
	fn finalize_without_fees() {
		#[block]
		{
			Pallet::<T>::on_finalize(0u32.into());
		}
		assert!(!BlockFees::<T>::exists());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
