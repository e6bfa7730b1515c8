//! A test runtime: System, Balances and Meters.

use crate as pallet_meters;
use frame_support::{derive_impl, parameter_types, traits::VariantCountOf};
use frame_system::EnsureRoot;
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
	pub type Meters = pallet_meters;
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

parameter_types! {
	pub const MeterDeposit: u64 = 100;
}

#[derive_impl(pallet_meters::config_preludes::TestDefaultConfig)]
impl pallet_meters::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegulatorOrigin = EnsureRoot<u64>;
	type NotifiedBodyOrigin = pallet_meters::EnsureNotifiedBody<Test>;
	type ManufacturerOrigin = pallet_meters::EnsureManufacturer<Test>;
	type MeterDeposit = MeterDeposit;
}

/// Accounts of the tests.
pub const BODY: u64 = 1;
pub const MAKER: u64 = 2;
pub const OTHER_MAKER: u64 = 3;
pub const NOBODY: u64 = 4;
pub const POOR_MAKER: u64 = 5;

/// Balances, and nothing else, at genesis.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(BODY, 1_000),
			(MAKER, 1_000),
			(OTHER_MAKER, 1_000),
			(NOBODY, 1_000),
			(POOR_MAKER, 150),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
