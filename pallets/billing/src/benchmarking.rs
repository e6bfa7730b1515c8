//! Benchmarks of billing. Worst cases: tariffs of `b` bands; closing a prepaid period
//! that settles from the prepaid balance, switches to a changed tariff and opens a period
//! of `b` bands; resolving a dispute with a credit note that refunds.

use super::*;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Mutate, MutateHold},
	EnsureOrigin, Get,
};
use frame_system::RawOrigin;
use mensura_primitives::{
	billing::{PaymentMode, TariffBand},
	metering::{DeviceKey, MeterId, MeterRegistry, ProgramHash},
	readings::{MeterLinks, OnMeasured, StoredMeasurement},
};

/// 2026-11-24 00:00 UTC.
const MIDNIGHT: u64 = 1_795_910_400_000;

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Currency::set_balance(&who, u128::MAX / 4);
	who
}

/// `b` bands of equal length (the last takes the rest of the day).
/// A funded supplier the regulator licensed.
fn licensed_supplier<T: Config>() -> T::AccountId {
	let supplier = funded::<T>("supplier", 0);
	LicensedSuppliers::<T>::insert(&supplier, ());
	supplier
}

fn bands(b: u32) -> Vec<TariffBand<u128>> {
	let b = b.max(1) as u16;
	let width = 1440 / b;
	(0..b)
		.map(|i| TariffBand {
			from_minute: i * width,
			to_minute: if i + 1 == b { 1440 } else { (i + 1) * width },
			price: 1_000_000 + u128::from(i),
		})
		.collect()
}

fn now<T: Config>(at: u64) {
	T::BenchmarkHelper::set_time(at);
}

fn active_meter<T: Config>() -> MeterId {
	let next = NextContractId::<T>::get();
	let mut raw = [0u8; 33];
	raw[1..9].copy_from_slice(&(next + 1_000_000).to_le_bytes());
	let key = <DeviceKey as codec::Decode>::decode(&mut &raw[..]).expect("an ed25519 key");
	T::Meters::benchmark_active_meter(key, ProgramHash::zero())
}

/// A measurement of `meter` over the minute from 01:00 on MIDNIGHT's day.
fn measurement_at_one<T: Config>(meter: MeterId) -> StoredMeasurement {
	StoredMeasurement {
		meter,
		index: 1_000,
		start: MIDNIGHT + 3_600_000,
		end: MIDNIGHT + 3_660_000,
		quantity: 1_000,
		program: ProgramHash::zero(),
		register: 1_000,
		surveilled: false,
	}
}

/// Bills `m` as ingestion does: the meter's record read, handed to billing, written back.
/// The record's read and write are ingestion's (`submit_frames` measures them).
fn bill_as_stored<T: Config>(m: &StoredMeasurement) {
	let mut billing = T::Links::billing(m.meter);
	let _ = Pallet::<T>::bill(m, &mut billing);
	T::Links::set_billing(m.meter, billing);
}

/// An active contract of `b` bands with a measurement in every band, a changed tariff
/// waiting, and a prepaid balance that covers the invoice.
fn contract_to_close<T: Config>(b: u32, payment: PaymentMode) -> (ContractId, T::AccountId) {
	now::<T>(MIDNIGHT);
	BillingPeriod::<T>::put(86_400_000);
	let supplier = licensed_supplier::<T>();
	let consumer = funded::<T>("consumer", 0);
	let tariff = Pallet::<T>::do_create_tariff(supplier.clone(), b"tou".to_vec(), bands(b), 1_000)
		.expect("a valid tariff");
	let next = Pallet::<T>::do_create_tariff(supplier.clone(), b"next".to_vec(), bands(b), 2_000)
		.expect("a valid tariff");
	let meter = active_meter::<T>();
	let contract =
		Pallet::<T>::do_propose(supplier.clone(), meter, consumer.clone(), tariff, payment, 60)
			.expect("proposable");
	Pallet::<T>::do_accept(consumer.clone(), contract, MIDNIGHT).expect("acceptable");
	let width = 86_400_000 / u64::from(b.max(1));
	for i in 0..u64::from(b) {
		bill_as_stored::<T>(&StoredMeasurement {
			meter,
			index: i,
			start: MIDNIGHT + i * width + 60_000,
			end: MIDNIGHT + i * width + 120_000,
			quantity: 1_000_000,
			program: ProgramHash::zero(),
			register: 1_000_000 * u128::from(i + 1),
			surveilled: false,
		});
	}
	// Those measurements were other transactions'.
	TransactionTariff::<T>::kill();
	Contracts::<T>::mutate(contract, |c| {
		if let Some(c) = c {
			c.next_tariff = Some(next);
		}
	});
	T::Currency::hold(&HoldReason::PrepaidBalance.into(), &consumer, u128::MAX / 8)
		.expect("affordable");
	(contract, consumer)
}

/// An issued postpaid invoice.
fn invoice<T: Config>() -> (InvoiceId, T::AccountId) {
	let (contract, consumer) = contract_to_close::<T>(1, PaymentMode::Postpaid);
	now::<T>(MIDNIGHT + 86_400_000);
	assert!(Pallet::<T>::close_if_due(contract, MIDNIGHT + 86_400_000));
	(NextInvoiceId::<T>::get() - 1, consumer)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	// The worst case, `MaxBands` bands, without a component: the cost barely depends on
	// the bands (a check and a copy of a few dozen bytes each).
	#[benchmark]
	fn create_tariff() {
		let supplier = licensed_supplier::<T>();
		let name = vec![b'n'; T::MaxNameLen::get() as usize];
		let tariff = NextTariffId::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(supplier), name, bands(T::MaxBands::get()), 1_000);
		assert!(Tariffs::<T>::contains_key(tariff));
	}

	#[benchmark]
	fn propose_contract() {
		let supplier = licensed_supplier::<T>();
		let consumer = funded::<T>("consumer", 0);
		let tariff = Pallet::<T>::do_create_tariff(supplier.clone(), b"t".to_vec(), bands(1), 0)
			.expect("valid");
		let meter = active_meter::<T>();
		let contract = NextContractId::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(supplier), meter, consumer, tariff, PaymentMode::Prepaid, 60);
		assert!(Contracts::<T>::contains_key(contract));
	}

	#[benchmark]
	fn accept_contract() {
		now::<T>(MIDNIGHT);
		let supplier = licensed_supplier::<T>();
		let consumer = funded::<T>("consumer", 0);
		let tariff = Pallet::<T>::do_create_tariff(
			supplier.clone(),
			b"t".to_vec(),
			bands(T::MaxBands::get()),
			0,
		)
		.expect("valid");
		let meter = active_meter::<T>();
		let contract = Pallet::<T>::do_propose(
			supplier,
			meter,
			consumer.clone(),
			tariff,
			PaymentMode::Prepaid,
			0,
		)
		.expect("proposable");
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), contract);
		assert_eq!(T::Links::supply_contract(meter), Some(contract));
	}

	#[benchmark]
	fn end_contract(b: Linear<1, { T::MaxBands::get() }>) {
		let (contract, consumer) = contract_to_close::<T>(b, PaymentMode::Prepaid);
		now::<T>(MIDNIGHT + 43_200_000);
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), contract);
		assert_eq!(Contracts::<T>::get(contract).map(|c| c.status), Some(ContractStatus::Ended));
	}

	#[benchmark]
	fn change_tariff() {
		let (contract, _) = contract_to_close::<T>(1, PaymentMode::Postpaid);
		let supplier: T::AccountId = account("supplier", 0, 0);
		let tariff = Pallet::<T>::do_create_tariff(supplier.clone(), b"t".to_vec(), bands(1), 0)
			.expect("valid");
		#[extrinsic_call]
		_(RawOrigin::Signed(supplier), contract, tariff);
		assert_eq!(Contracts::<T>::get(contract).and_then(|c| c.offered_tariff), Some(tariff));
	}

	#[benchmark]
	fn accept_tariff() {
		let (contract, consumer) = contract_to_close::<T>(1, PaymentMode::Postpaid);
		let supplier: T::AccountId = account("supplier", 0, 0);
		let tariff = Pallet::<T>::do_create_tariff(supplier.clone(), b"t".to_vec(), bands(1), 0)
			.expect("valid");
		Pallet::<T>::do_change_tariff(supplier, contract, tariff).expect("offerable");
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), contract);
		assert_eq!(Contracts::<T>::get(contract).and_then(|c| c.next_tariff), Some(tariff));
	}

	#[benchmark]
	fn terminate_contract(b: Linear<1, { T::MaxBands::get() }>) -> Result<(), BenchmarkError> {
		// By a notified body: the regulator's origin is tried, and refused, first.
		let (contract, _) = contract_to_close::<T>(b, PaymentMode::Prepaid);
		now::<T>(MIDNIGHT + 43_200_000);
		let origin = T::DisputeResolverOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, contract);
		assert_eq!(Contracts::<T>::get(contract).map(|c| c.status), Some(ContractStatus::Ended));
		Ok(())
	}

	#[benchmark]
	fn license_supplier() -> Result<(), BenchmarkError> {
		let origin =
			T::RegulatorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let supplier: T::AccountId = account("supplier", 0, 0);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, supplier.clone());
		assert!(LicensedSuppliers::<T>::contains_key(&supplier));
		Ok(())
	}

	#[benchmark]
	fn withdraw_supplier_licence() -> Result<(), BenchmarkError> {
		let origin =
			T::RegulatorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let supplier = licensed_supplier::<T>();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, supplier.clone());
		assert!(!LicensedSuppliers::<T>::contains_key(&supplier));
		Ok(())
	}

	#[benchmark]
	fn close_period(b: Linear<1, { T::MaxBands::get() }>) {
		let (contract, _) = contract_to_close::<T>(b, PaymentMode::Prepaid);
		now::<T>(MIDNIGHT + 86_400_000);
		let caller = funded::<T>("caller", 0);
		let invoice = NextInvoiceId::<T>::get();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), contract);
		assert!(Invoices::<T>::contains_key(invoice));
	}

	#[benchmark]
	fn pay_invoice() {
		let (invoice, consumer) = invoice::<T>();
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), invoice);
		assert_eq!(Invoices::<T>::get(invoice).map(|i| i.status), Some(InvoiceStatus::Paid));
	}

	#[benchmark]
	fn top_up_prepaid() {
		let consumer = funded::<T>("consumer", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer.clone()), 1_000_000);
		assert_eq!(Pallet::<T>::prepaid_of(&consumer), 1_000_000);
	}

	#[benchmark]
	fn withdraw_prepaid() {
		let consumer = funded::<T>("consumer", 0);
		T::Currency::hold(&HoldReason::PrepaidBalance.into(), &consumer, 2_000_000)
			.expect("affordable");
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer.clone()), 1_000_000);
		assert_eq!(Pallet::<T>::prepaid_of(&consumer), 1_000_000);
	}

	#[benchmark]
	fn dispute_invoice() {
		let (invoice, consumer) = invoice::<T>();
		let reason = vec![b'r'; T::MaxReasonLen::get() as usize];
		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), invoice, reason);
		assert!(Disputes::<T>::contains_key(invoice));
	}

	#[benchmark]
	fn resolve_dispute() -> Result<(), BenchmarkError> {
		let (invoice, consumer) = invoice::<T>();
		// Paid in full, then corrected: the supplier refunds.
		Pallet::<T>::pay_invoice(RawOrigin::Signed(consumer.clone()).into(), invoice)
			.map_err(|_| BenchmarkError::Stop("payable"))?;
		Pallet::<T>::dispute_invoice(RawOrigin::Signed(consumer).into(), invoice, b"r".to_vec())
			.map_err(|_| BenchmarkError::Stop("disputable"))?;
		let origin = T::DisputeResolverOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, invoice, Resolution::Corrected { credit: 1 });
		assert_eq!(Invoices::<T>::get(invoice).map(|i| i.credited), Some(1));
		Ok(())
	}

	#[benchmark]
	fn lapse_dispute() -> Result<(), BenchmarkError> {
		// Paid in full, disputed, and left unresolved past the deadline.
		let (invoice, consumer) = invoice::<T>();
		Pallet::<T>::pay_invoice(RawOrigin::Signed(consumer.clone()).into(), invoice)
			.map_err(|_| BenchmarkError::Stop("payable"))?;
		Pallet::<T>::dispute_invoice(RawOrigin::Signed(consumer).into(), invoice, b"r".to_vec())
			.map_err(|_| BenchmarkError::Stop("disputable"))?;
		let raised = Disputes::<T>::get(invoice).map(|d| d.raised).unwrap_or_default();
		now::<T>(raised + T::DisputeDeadline::get() + 1);
		let caller = funded::<T>("caller", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), invoice);
		assert!(Disputes::<T>::get(invoice).is_some_and(|d| d.lapsed));
		Ok(())
	}

	#[benchmark]
	fn visit_contract() {
		// A contract whose period is not over: read and left alone.
		let (contract, _) = contract_to_close::<T>(1, PaymentMode::Postpaid);
		#[block]
		{
			assert!(!Pallet::<T>::close_if_due(contract, MIDNIGHT + 1));
		}
	}

	#[benchmark]
	fn add_measurement() {
		let (contract, _) = contract_to_close::<T>(T::MaxBands::get(), PaymentMode::Postpaid);
		let meter = Contracts::<T>::get(contract).map(|c| c.meter).unwrap_or_default();
		let m = measurement_at_one::<T>(meter);
		let mut billing = T::Links::billing(meter);
		let invoices = NextInvoiceId::<T>::get();
		#[block]
		{
			let _ = Pallet::<T>::bill(&m, &mut billing);
		}
		assert_eq!(NextInvoiceId::<T>::get(), invoices, "nothing closed");
		assert_eq!(billing.map(|b| b.period.last), Some(Some(m.index)), "billed");
	}

	/// A measurement of a transaction whose previous measurement was of another meter
	/// under the same tariff: the billing period and the tariff as that one read them.
	#[benchmark]
	fn add_measurement_cached() {
		let (contract, _) = contract_to_close::<T>(T::MaxBands::get(), PaymentMode::Postpaid);
		let record = Contracts::<T>::get(contract).expect("just created");
		let consumer = funded::<T>("consumer", 1);
		let other = active_meter::<T>();
		let second = Pallet::<T>::do_propose(
			record.supplier.clone(),
			other,
			consumer.clone(),
			record.tariff,
			PaymentMode::Postpaid,
			60,
		)
		.expect("proposable");
		Pallet::<T>::do_accept(consumer, second, MIDNIGHT).expect("acceptable");
		bill_as_stored::<T>(&measurement_at_one::<T>(other));
		assert!(TransactionTariff::<T>::exists());
		let invoices = NextInvoiceId::<T>::get();
		let m = measurement_at_one::<T>(record.meter);
		let mut billing = T::Links::billing(record.meter);
		#[block]
		{
			let _ = Pallet::<T>::bill(&m, &mut billing);
		}
		assert_eq!(NextInvoiceId::<T>::get(), invoices, "nothing closed");
		assert_eq!(billing.map(|b| b.period.last), Some(Some(m.index)), "billed");
	}

	/// A measurement of a meter under no contract, as billing and the fees' side are
	/// told of it: what storing a measurement costs of them at the least.
	#[benchmark]
	fn add_measurement_unsupplied() {
		now::<T>(MIDNIGHT);
		let meter = active_meter::<T>();
		let m = StoredMeasurement {
			meter,
			index: 0,
			start: MIDNIGHT,
			end: MIDNIGHT + 60_000,
			quantity: 1_000,
			program: ProgramHash::zero(),
			register: 1_000,
			surveilled: false,
		};
		let mut billing = T::Links::billing(meter);
		#[block]
		{
			let _ = <Pallet<T> as OnMeasured<T::AccountId>>::on_measured(&m, &mut billing);
		}
		assert!(billing.is_none());
	}

	#[benchmark]
	fn add_measurement_closing(b: Linear<1, { T::MaxBands::get() }>) {
		let (contract, _) = contract_to_close::<T>(b, PaymentMode::Prepaid);
		let meter = Contracts::<T>::get(contract).map(|c| c.meter).unwrap_or_default();
		now::<T>(MIDNIGHT + 86_400_000);
		let m = StoredMeasurement {
			meter,
			index: 1_000,
			start: MIDNIGHT + 86_400_000,
			end: MIDNIGHT + 86_460_000,
			quantity: 1_000,
			program: ProgramHash::zero(),
			register: 1_000,
			surveilled: false,
		};
		let mut billing = T::Links::billing(meter);
		let invoice = NextInvoiceId::<T>::get();
		#[block]
		{
			let _ = Pallet::<T>::bill(&m, &mut billing);
		}
		assert!(Invoices::<T>::contains_key(invoice), "the period closed");
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
