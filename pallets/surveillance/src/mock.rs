//! A test runtime: System, Balances and Surveillance, with the meter registry, the audit
//! trails, the chain's time and the notified bodies of `mensura-test-doubles`.

use crate as pallet_surveillance;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, VariantCountOf},
};
use mensura_primitives::{
	metering::MeterId,
	readings::{MeterLinks, OnMeasured, StoredMeasurement},
};
use sp_core::H256;
use sp_runtime::BuildStorage;

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
	pub type Surveillance = pallet_surveillance;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
}

pub use mensura_test_doubles::{
	add_meter, electricity, set_contract, set_now, set_status, status, trail, EnsureNotifiedBody,
	TestAudit, TestBodies, TestContracts, TestLinks, TestMeters, TestSuspension, TestTime, BODY,
};

/// An account that is not a notified body.
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
/// The deposit for a check meter.
pub const DEPOSIT: u64 = 50;
/// The comparison window: one hour.
pub const HOUR: u64 = 3_600_000;
/// A 15-minute frame interval.
pub const QUARTER: u64 = 900_000;

parameter_types! {
	pub const CheckDeposit: u64 = DEPOSIT;
}

impl pallet_surveillance::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Time = TestTime;
	type Meters = TestMeters;
	type Links = TestLinks;
	type Audit = TestAudit;
	type Suspension = TestSuspension;
	type InspectorOrigin = EnsureNotifiedBody;
	type Bodies = TestBodies;
	type Contracts = TestContracts;
	type CheckDeposit = CheckDeposit;
	type MinComparisonWindow = ConstU64<60_000>;
	type MaxComparisonWindow = ConstU64<86_400_000>;
	type MaxOpenWindows = ConstU32<4>;
	type WeightInfo = ();
}

/// A measurement of `meter` over `[start, end)` of `quantity` milli-units, as the
/// readings pallet reports it.
pub fn measure(meter: MeterId, start: u64, end: u64, quantity: u128) {
	let m = StoredMeasurement {
		meter,
		index: 0,
		start,
		end,
		quantity,
		program: H256::repeat_byte(1),
		register: 0,
		surveilled: <TestLinks as MeterLinks<u64>>::surveilled(meter),
	};
	<Surveillance as OnMeasured<u64>>::on_measured(&m, &mut None);
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	mensura_test_doubles::reset();
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, 1_000), (BOB, 1_000), (BODY, 1_000)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Events of this pallet so far.
pub fn events() -> Vec<pallet_surveillance::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Surveillance(e) => Some(e),
			_ => None,
		})
		.collect()
}
