//! Benchmarks of the LR program registry. Worst cases: publishing the longest program;
//! the decisive approval of a program that already has all approvals but one.

use super::*;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, EnsureOrigin, Get};
use frame_system::RawOrigin;
use mensura_primitives::{
	metering::ProgramHash,
	readings::{lr, LrProgramBinding},
};
use sp_runtime::traits::Bounded;

/// A valid program of about `len` bytes: a sum and then 17-byte scalings.
fn code_of_len(len: u32) -> Vec<u8> {
	let scalings = len.saturating_sub(5) / 17;
	let mut ops = vec![lr::Op::Sum { channel: 0 }];
	ops.extend(
		(0..scalings.min(u32::from(lr::MAX_OPS) - 1))
			.map(|_| lr::Op::Scale { numerator: 1, denominator: 1 }),
	);
	lr::Program { inputs: 1, ops }.encode().expect("a sum and scalings are valid")
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 4u32.into());
	who
}

fn body<T: Config>() -> (T::RuntimeOrigin, T::AccountId) {
	let origin = T::NotifiedBodyOrigin::try_successful_origin().expect("a notified body origin");
	let who = T::NotifiedBodyOrigin::ensure_origin(origin.clone()).expect("it is one");
	(origin, who)
}

fn published<T: Config>() -> (T::AccountId, ProgramHash) {
	let measurer = funded::<T>("measurer", 0);
	let hash = Pallet::<T>::do_publish(measurer.clone(), code_of_len(500), b"1.0.0".to_vec())
		.expect("publishable");
	(measurer, hash)
}

fn approved<T: Config>() -> (T::AccountId, ProgramHash) {
	let (measurer, hash) = published::<T>();
	let (_, who) = body::<T>();
	Pallet::<T>::do_approve(hash, who).expect("approvable");
	(measurer, hash)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn publish_program(l: Linear<5, 532>) {
		let measurer = funded::<T>("measurer", 0);
		let code = code_of_len(l);
		let hash = ProgramHash::from(sp_io::hashing::blake2_256(&code));
		#[extrinsic_call]
		_(RawOrigin::Signed(measurer), code, b"1.0.0".to_vec());
		assert!(Programs::<T>::contains_key(hash));
	}

	#[benchmark]
	fn approve_program() {
		let max = T::MaxApprovals::get();
		RequiredApprovals::<T>::put(max);
		let (_, hash) = published::<T>();
		for i in 1..max {
			Pallet::<T>::do_approve(hash, account("other-body", i, 0)).expect("approvable");
		}
		let (origin, _) = body::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, hash);
		assert_eq!(Programs::<T>::get(hash).map(|p| p.status), Some(ProgramStatus::Approved));
	}

	#[benchmark]
	fn withdraw_program() {
		let (measurer, hash) = published::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(measurer), hash);
		assert!(!Programs::<T>::contains_key(hash));
	}

	#[benchmark]
	fn deprecate_program() {
		let (measurer, hash) = approved::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(measurer), hash);
		assert_eq!(Programs::<T>::get(hash).map(|p| p.status), Some(ProgramStatus::Deprecated));
	}

	#[benchmark]
	fn bind_meter() {
		let (_, hash) = approved::<T>();
		let meter = T::Binding::benchmark_meter();
		let (origin, _) = body::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, meter, hash);
	}

	#[benchmark]
	fn set_required_approvals() -> Result<(), BenchmarkError> {
		let origin =
			T::RegulatorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 2);
		assert_eq!(RequiredApprovals::<T>::get(), 2);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
