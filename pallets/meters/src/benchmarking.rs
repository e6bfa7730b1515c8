//! Benchmarks of every call, each at its worst case (named in its comment).

use super::*;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, EnsureOrigin, Get};
use mensura_primitives::metering::{
	AuditSubject, DeviceKey, MaxSupplyPointLen, MeasurementUnit, MeterId, MeterKind, MeterStatus,
	ModelId, ModelSpec, ModelStatus, StatusReason,
};
use sp_runtime::{traits::Bounded, Permill};

/// An ECDSA key, the largest kind (33 bytes), distinct for each `seed`.
fn device_key(seed: u32) -> DeviceKey {
	let mut raw = [0u8; 33];
	raw[0] = 2;
	raw[1..5].copy_from_slice(&seed.to_le_bytes());
	DeviceKey::Ecdsa(raw.into())
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

fn name<T: Config>() -> Vec<u8> {
	vec![b'n'; T::MaxNameLen::get() as usize]
}

/// A notified body's origin and account.
fn notified_body<T: Config>() -> (T::RuntimeOrigin, T::AccountId) {
	let origin = T::NotifiedBodyOrigin::try_successful_origin().expect("benchmarkable origin");
	let who = T::NotifiedBodyOrigin::ensure_origin(origin.clone()).expect("just made");
	(origin, who)
}

/// A funded manufacturer's origin and account.
fn manufacturer<T: Config>() -> (T::RuntimeOrigin, T::AccountId) {
	let origin = T::ManufacturerOrigin::try_successful_origin().expect("benchmarkable origin");
	let who = T::ManufacturerOrigin::ensure_origin(origin.clone()).expect("just made");
	T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 2u32.into());
	(origin, who)
}

/// An approved model of a funded manufacturer.
fn approved_model<T: Config>() -> (T::RuntimeOrigin, T::AccountId, ModelId) {
	let (origin, maker) = manufacturer::<T>();
	let (_, body) = notified_body::<T>();
	let model = Pallet::<T>::do_submit_model(maker.clone(), Default::default(), spec()).unwrap();
	Pallet::<T>::do_decide_model(model, body, ModelDecision::Approve).unwrap();
	(origin, maker, model)
}

/// A meter with the given status.
fn meter_with_status<T: Config>(status: MeterStatus) -> MeterId {
	let (_, maker, model) = approved_model::<T>();
	let (_, body) = notified_body::<T>();
	let meter =
		Pallet::<T>::do_provision_meter(maker, model, device_key(1), Default::default()).unwrap();
	if status != MeterStatus::Provisioned {
		Pallet::<T>::do_verify_meter(meter, body.clone(), Default::default()).unwrap();
	}
	if status == MeterStatus::Suspended {
		let reason = StatusReason::Malfunction;
		Pallet::<T>::do_change_status(meter, body, MeterStatus::Suspended, reason).unwrap();
	}
	meter
}

fn pending_model<T: Config>() -> ModelId {
	let (_, maker) = manufacturer::<T>();
	Pallet::<T>::do_submit_model(maker, Default::default(), spec()).unwrap()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Worst case: the longest name.
	#[benchmark]
	fn appoint_notified_body() -> Result<(), BenchmarkError> {
		let origin =
			T::RegulatorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let body: T::AccountId = account("body", 0, 0);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, body.clone(), name::<T>());
		assert!(NotifiedBodies::<T>::contains_key(&body));
		Ok(())
	}

	#[benchmark]
	fn remove_notified_body() -> Result<(), BenchmarkError> {
		let origin =
			T::RegulatorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let (_, body) = notified_body::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, body.clone());
		assert!(!NotifiedBodies::<T>::contains_key(&body));
		Ok(())
	}

	/// Worst case: admitted by a notified body (the regulator check fails first), longest
	/// name.
	#[benchmark]
	fn admit_manufacturer() {
		let (origin, _) = notified_body::<T>();
		let maker: T::AccountId = account("maker", 0, 0);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, maker.clone(), name::<T>());
		assert!(Manufacturers::<T>::contains_key(&maker));
	}

	/// Worst case: removed by a notified body.
	#[benchmark]
	fn remove_manufacturer() {
		let (origin, _) = notified_body::<T>();
		let (_, maker) = manufacturer::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, maker.clone());
		assert!(!Manufacturers::<T>::contains_key(&maker));
	}

	/// Worst case: the longest name.
	#[benchmark]
	fn submit_model() {
		let (origin, _) = manufacturer::<T>();
		let model = NextModelId::<T>::get();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, name::<T>(), spec());
		assert_eq!(Models::<T>::get(model).map(|m| m.status), Some(ModelStatus::Pending));
	}

	#[benchmark]
	fn approve_model() {
		let model = pending_model::<T>();
		let (origin, _) = notified_body::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model);
		assert_eq!(Models::<T>::get(model).map(|m| m.status), Some(ModelStatus::Approved));
	}

	#[benchmark]
	fn reject_model() {
		let model = pending_model::<T>();
		let (origin, _) = notified_body::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model, StatusReason::Other(u16::MAX));
		assert_eq!(Models::<T>::get(model).map(|m| m.status), Some(ModelStatus::Rejected));
	}

	#[benchmark]
	fn withdraw_model_approval() {
		let (_, _, model) = approved_model::<T>();
		let (origin, _) = notified_body::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model, StatusReason::Other(u16::MAX));
		assert_eq!(Models::<T>::get(model).map(|m| m.status), Some(ModelStatus::Withdrawn));
	}

	/// Worst case: the longest serial, the largest key kind (ECDSA), a deposit to hold.
	#[benchmark]
	fn provision_meter() {
		let (origin, maker, model) = approved_model::<T>();
		let serial = vec![b's'; T::MaxSerialLen::get() as usize];
		let meter = NextMeterId::<T>::get();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model, device_key(7), serial);
		let meter = Meters::<T>::get(meter).expect("provisioned");
		assert_eq!(meter.manufacturer, maker);
		assert_eq!(meter.status, MeterStatus::Provisioned);
	}

	/// Worst case: the longest supply point.
	#[benchmark]
	fn verify_meter() {
		let meter = meter_with_status::<T>(MeterStatus::Provisioned);
		let (origin, _) = notified_body::<T>();
		let supply_point = vec![b'p'; <MaxSupplyPointLen as Get<u32>>::get() as usize];
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, meter, supply_point);
		assert_eq!(Meters::<T>::get(meter).map(|m| m.status), Some(MeterStatus::Active));
	}

	#[benchmark]
	fn suspend_meter() {
		let meter = meter_with_status::<T>(MeterStatus::Active);
		let (origin, _) = notified_body::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, meter, StatusReason::SuspectedTampering);
		assert_eq!(Meters::<T>::get(meter).map(|m| m.status), Some(MeterStatus::Suspended));
	}

	#[benchmark]
	fn reinstate_meter() {
		let meter = meter_with_status::<T>(MeterStatus::Suspended);
		let (origin, _) = notified_body::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, meter, StatusReason::IssueResolved);
		assert_eq!(Meters::<T>::get(meter).map(|m| m.status), Some(MeterStatus::Active));
	}

	/// Worst case: the deposit is released.
	#[benchmark]
	fn revoke_meter() {
		let meter = meter_with_status::<T>(MeterStatus::Suspended);
		let (origin, _) = notified_body::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, meter, StatusReason::Decommissioned);
		let stored = Meters::<T>::get(meter).expect("kept");
		assert_eq!(stored.status, MeterStatus::Revoked);
		assert!(stored.deposit == 0u32.into());
	}

	#[benchmark]
	fn rotate_device_key() {
		let meter = meter_with_status::<T>(MeterStatus::Active);
		let (origin, _) = notified_body::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, meter, device_key(99));
		assert_eq!(Meters::<T>::get(meter).map(|m| m.device_key), Some(device_key(99)));
		assert!(AuditLength::<T>::get(AuditSubject::Meter(meter)) > 0);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
