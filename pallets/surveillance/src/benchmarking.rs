//! Benchmarks of surveillance. Worst cases: registering and removing a pair (deposit,
//! audit entry); resolving an inspection; a measurement of a meter in no pair (one read);
//! a measurement of a check meter that reports after a silence, filling every open
//! window, giving up as many old ones, and finding a discrepancy that puts its meter
//! under inspection.

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use mensura_primitives::{
	billing::SupplyContracts,
	metering::{DeviceKey, MeterRegistry, MeterStatus, ProgramHash, StatusReason},
	readings::{MeterLinks, OnMeasured, StoredMeasurement},
};
use sp_runtime::traits::Bounded;

/// An active meter with an ed25519 key unique to `n`.
fn meter<T: Config>(n: u8) -> MeterId {
	let mut raw = [0u8; 33];
	raw[1] = 0xbe;
	raw[2] = n;
	let key = <DeviceKey as codec::Decode>::decode(&mut &raw[..]).expect("variant 0: ed25519");
	T::Meters::benchmark_active_meter(key, ProgramHash::repeat_byte(7))
}

/// A funded account and the pair it registered: `(owner, meter, check meter)`.
fn pair<T: Config>() -> (T::AccountId, MeterId, MeterId) {
	let owner: T::AccountId = account("owner", 0, 0);
	T::Currency::set_balance(&owner, BalanceOf::<T>::max_value() / 4u32.into());
	let (meter, check) = (meter::<T>(1), meter::<T>(2));
	T::Contracts::benchmark_supply(meter, owner.clone());
	Pallet::<T>::register(owner.clone(), meter, check, T::MinComparisonWindow::get())
		.expect("a valid pair");
	(owner, meter, check)
}

/// Puts `meter` under inspection through a window its check meter measured alone.
fn inspect<T: Config>(meter: MeterId, check: MeterId) {
	let Some(Role::Checked(pair)) = Surveilled::<T>::get(meter) else { panic!("paired") };
	let (since, window) = (pair.since, pair.window);
	let measure = |m, quantity| {
		let m = StoredMeasurement {
			meter: m,
			index: 0,
			start: since,
			end: since + window,
			quantity,
			program: ProgramHash::repeat_byte(7),
			register: 0,
			surveilled: T::Links::surveilled(m),
		};
		let _ = <Pallet<T> as OnMeasured<T::AccountId>>::on_measured(&m, &mut None);
	};
	measure(meter, 0);
	measure(check, 1_000_000_000);
	assert!(Inspections::<T>::contains_key(meter));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_check_meter() {
		let owner: T::AccountId = account("owner", 0, 0);
		T::Currency::set_balance(&owner, BalanceOf::<T>::max_value() / 4u32.into());
		let (meter, check) = (meter::<T>(1), meter::<T>(2));
		// The supplier: its stake is found after the consumer's is looked for.
		T::Contracts::benchmark_supply(meter, owner.clone());
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), meter, check, T::MinComparisonWindow::get());
		assert!(Surveilled::<T>::contains_key(check));
	}

	#[benchmark]
	fn remove_check_meter() {
		let (owner, meter, check) = pair::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), meter);
		assert!(!Surveilled::<T>::contains_key(check));
	}

	#[benchmark]
	fn clear_inspection() -> Result<(), BenchmarkError> {
		let (_, meter, check) = pair::<T>();
		inspect::<T>(meter, check);
		let origin =
			T::InspectorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, meter);
		assert!(!Inspections::<T>::contains_key(meter));
		Ok(())
	}

	#[benchmark]
	fn suspend_meter() -> Result<(), BenchmarkError> {
		let (_, meter, check) = pair::<T>();
		inspect::<T>(meter, check);
		let origin =
			T::InspectorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, meter, StatusReason::SuspectedTampering);
		assert_eq!(T::Meters::status(meter), Some(MeterStatus::Suspended));
		Ok(())
	}

	#[benchmark]
	fn measurement_unpaired() {
		let meter = meter::<T>(1);
		let m = StoredMeasurement {
			meter,
			index: 0,
			start: 0,
			end: 900_000,
			quantity: 1_000,
			program: ProgramHash::repeat_byte(7),
			register: 1_000,
			surveilled: T::Links::surveilled(meter),
		};
		#[block]
		{
			let _ = <Pallet<T> as OnMeasured<T::AccountId>>::on_measured(&m, &mut None);
		}
	}

	#[benchmark]
	fn measurement_compared() {
		let (_, meter, check) = pair::<T>();
		let window = T::MinComparisonWindow::get();
		let max = T::MaxOpenWindows::get() as u64;
		// The meter measured 2 × max windows; the check meter only started: the first
		// max windows are open, each far beyond any allowance.
		Surveilled::<T>::mutate(meter, |role| {
			let Some(Role::Checked(pair)) = role else { panic!("paired") };
			let since = pair.since;
			pair.measured_from = Some(since);
			pair.counter_from = Some(since);
			pair.measured_until = since + 2 * max * window;
			let windows: Vec<WindowTotals> = (0..max)
				.map(|i| WindowTotals {
					start: since + i * window,
					measured: 1_000_000_000_000,
					counter: 0,
					straddling: 0,
				})
				.collect();
			pair.windows = BoundedVec::truncate_from(windows);
		});
		let Some(Role::Checked(pair)) = Surveilled::<T>::get(meter) else { panic!("paired") };
		// The check meter reports max - 1 windows in one frame: each is opened and pushes
		// an old one out, and the last old window, which the frame does not straddle, is
		// compared: 0 against plenty. (A window the frame straddles allows for its whole
		// quantity, so a frame over max windows, pushing out all the old ones, could
		// never find a discrepancy.)
		let m = StoredMeasurement {
			meter: check,
			index: 0,
			start: pair.since + max * window,
			end: pair.since + (2 * max - 1) * window,
			quantity: 1_000_000_000,
			program: ProgramHash::repeat_byte(7),
			register: 0,
			surveilled: T::Links::surveilled(check),
		};
		#[block]
		{
			let _ = <Pallet<T> as OnMeasured<T::AccountId>>::on_measured(&m, &mut None);
		}
		assert!(Inspections::<T>::contains_key(meter));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
