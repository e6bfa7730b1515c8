//! A test runtime: System, Balances, Timestamp and Billing, with the meter registry, the
//! audit trails and the notified bodies of `mensura-test-doubles` and a measurement log
//! kept in a test-controlled table. `measure` stores a measurement and tells Billing, as
//! ingestion does.

use crate as pallet_billing;
use core::cell::RefCell;
use frame_support::{derive_impl, traits::VariantCountOf};
use mensura_primitives::{
	billing::{OnSupplied, PaymentMode, TariffBand},
	metering::{MeterId, MeterStatus},
	readings::{
		MeasurementIndex, MeasurementLog, MeterLinks, OnMeasured, StoredMeasurement, UnixMillis,
	},
};
use sp_core::H256;
use sp_runtime::BuildStorage;
use std::collections::BTreeMap;

pub use mensura_test_doubles::{
	set_status, trail as audit, EnsureNotifiedBody, TestAudit, TestBodies, TestLinks, TestMeters,
	BODY,
};

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(3)]
	pub type Billing = pallet_billing;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
}

#[derive_impl(pallet_timestamp::config_preludes::TestDefaultConfig)]
impl pallet_timestamp::Config for Test {}

thread_local! {
	static LOG: RefCell<BTreeMap<MeterId, Vec<(UnixMillis, UnixMillis, u128)>>> = RefCell::new(BTreeMap::new());
}

thread_local! {
	static FEES: RefCell<Vec<(MeterId, MeasurementIndex, Option<u64>)>> =
		const { RefCell::new(Vec::new()) };
}

/// The measuring fee's side: notes each measurement with the supplier billing named.
pub struct TestFees;
impl OnSupplied<u64> for TestFees {
	fn on_supplied(
		m: &StoredMeasurement,
		supplier: Option<&u64>,
	) -> frame_support::weights::Weight {
		FEES.with(|f| f.borrow_mut().push((m.meter, m.index, supplier.copied())));
		frame_support::weights::Weight::zero()
	}
	fn end_of_transaction() {}
	fn weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::zero()
	}
}

/// Each measurement billing told the fee's side of, in order: `(meter, index, supplier)`.
pub fn fees_told() -> Vec<(MeterId, MeasurementIndex, Option<u64>)> {
	FEES.with(|f| f.borrow().clone())
}

pub struct TestLog;
impl MeasurementLog for TestLog {
	fn register(meter: MeterId) -> u128 {
		LOG.with(|l| l.borrow().get(&meter).map_or(0, |ms| ms.iter().map(|m| m.2).sum()))
	}
}

#[derive_impl(pallet_billing::config_preludes::TestDefaultConfig)]
impl pallet_billing::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Time = Timestamp;
	type Meters = TestMeters;
	type Readings = TestLog;
	type Links = TestLinks;
	type Fees = TestFees;
	type Audit = TestAudit;
	type DisputeResolverOrigin = EnsureNotifiedBody;
	type Bodies = TestBodies;
	type RegulatorOrigin = frame_system::EnsureRoot<u64>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestTime;
}

/// Benchmarks set the time through the timestamp pallet.
#[cfg(feature = "runtime-benchmarks")]
pub struct TestTime;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper for TestTime {
	fn set_time(time: UnixMillis) {
		at(time);
	}
}

pub const SUPPLIER: u64 = 1;
pub const OTHER_SUPPLIER: u64 = 2;
pub const CONSUMER: u64 = 3;
pub const OTHER_CONSUMER: u64 = 4;
pub const STRANGER: u64 = 5;

/// One minute: the billing period of the tests.
pub const PERIOD: u64 = 60_000;
/// 2026-11-24 00:00 UTC, a period boundary.
pub const MIDNIGHT: u64 = 1_795_910_400_000;
pub const HOUR: u64 = 3_600_000;

/// A time-of-use tariff: night 00:00–07:00 at 10 per unit, day 07:00–19:00 at 25,
/// evening 19:00–24:00 at 35; standing charge 600 per period.
pub fn tou_bands() -> Vec<TariffBand<u128>> {
	vec![
		TariffBand { from_minute: 0, to_minute: 420, price: 10 },
		TariffBand { from_minute: 420, to_minute: 1140, price: 25 },
		TariffBand { from_minute: 1140, to_minute: 1440, price: 35 },
	]
}

/// The open period of `contract`, as its meter's record holds it.
pub fn open_period(contract: crate::ContractId) -> crate::OpenPeriod {
	Billing::open_period(contract).expect("an active contract has an open period")
}

/// Sets the chain's time.
pub fn at(time: UnixMillis) {
	pallet_timestamp::Now::<Test>::put(time);
}

/// Stores a measurement of `meter` over `[start, start + length)` and tells Billing, in a
/// transaction of its own.
pub fn measure(meter: MeterId, start: UnixMillis, length: u64, quantity: u128) -> MeasurementIndex {
	let (index, _) = measure_in_transaction(meter, start, length, quantity);
	<Billing as OnMeasured<u64>>::end_of_transaction();
	index
}

/// Stores a measurement of `meter` over `[start, start + length)` and tells Billing,
/// within the current transaction; returns its index and the weight billing took.
pub fn measure_in_transaction(
	meter: MeterId,
	start: UnixMillis,
	length: u64,
	quantity: u128,
) -> (MeasurementIndex, frame_support::weights::Weight) {
	let (index, register) = LOG.with(|l| {
		let mut log = l.borrow_mut();
		let ms = log.entry(meter).or_default();
		ms.push((start, start + length, quantity));
		(ms.len() as u64 - 1, ms.iter().map(|m| m.2).sum())
	});
	// As ingestion does: the meter's record read, handed to billing, written back.
	let mut billing = TestLinks::billing(meter);
	let m = StoredMeasurement {
		meter,
		index,
		start,
		end: start + length,
		quantity,
		program: H256::zero(),
		register,
		surveilled: false,
	};
	let weight = <Billing as OnMeasured<u64>>::on_measured(&m, &mut billing);
	TestLinks::set_billing(meter, billing);
	(index, weight)
}

/// Meters 0, 1 and 2 are active, 3 is suspended; SUPPLIER owns tariff 0 (time of use)
/// and OTHER_SUPPLIER tariff 1 (flat, 20 per unit, no standing charge); both are
/// licensed. The chain's time
/// is MIDNIGHT.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(SUPPLIER, 1_000_000),
			(OTHER_SUPPLIER, 1_000_000),
			(CONSUMER, 1_000_000),
			(OTHER_CONSUMER, 1_000_000),
			(STRANGER, 1_000_000),
			(BODY, 1_000),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_billing::GenesisConfig::<Test> {
		billing_period: PERIOD,
		tariffs: vec![
			(SUPPLIER, b"Time of use".to_vec(), tou_bands(), 600),
			(
				OTHER_SUPPLIER,
				b"Flat".to_vec(),
				vec![TariffBand { from_minute: 0, to_minute: 1440, price: 20 }],
				0,
			),
		],
		contracts: vec![],
		prepaid: vec![],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		mensura_test_doubles::reset();
		LOG.with(|l| l.borrow_mut().clear());
		for meter in 0..3 {
			set_status(meter, MeterStatus::Active);
		}
		set_status(3, MeterStatus::Suspended);
		for supplier in [SUPPLIER, OTHER_SUPPLIER] {
			crate::LicensedSuppliers::<Test>::insert(supplier, ());
		}
		System::set_block_number(1);
		at(MIDNIGHT);
	});
	ext
}

/// Runs `test` and then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Billing::do_try_state().expect("invariants hold");
	});
}

/// SUPPLIER's active contract for meter 0 with CONSUMER under tariff 0, from MIDNIGHT.
pub fn active_contract(payment: PaymentMode, utc_offset: i16) -> crate::ContractId {
	let id = crate::NextContractId::<Test>::get();
	frame_support::assert_ok!(Billing::propose_contract(
		RuntimeOrigin::signed(SUPPLIER),
		0,
		CONSUMER,
		0,
		payment,
		utc_offset
	));
	frame_support::assert_ok!(Billing::accept_contract(RuntimeOrigin::signed(CONSUMER), id));
	id
}
