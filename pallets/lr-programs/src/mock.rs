//! A test runtime: System, Balances, Meters (notified bodies, meters, audit trails) and
//! LrPrograms.

use crate as pallet_lr_programs;
use frame_support::{derive_impl, parameter_types, traits::VariantCountOf};
use frame_system::EnsureRoot;
use mensura_primitives::metering::{DeviceKey, MeasurementUnit, MeterKind, ModelSpec};
use sp_runtime::{BuildStorage, Permill};

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
	#[runtime::pallet_index(3)]
	pub type LrPrograms = pallet_lr_programs;
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
	pub const MeterDeposit: u64 = 10;
	pub const ProgramDeposit: u64 = 100;
	pub const ProgramByteDeposit: u64 = 1;
}

#[derive_impl(pallet_meters::config_preludes::TestDefaultConfig)]
impl pallet_meters::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegulatorOrigin = EnsureRoot<u64>;
	type NotifiedBodyOrigin = pallet_meters::EnsureNotifiedBody<Test>;
	type ManufacturerOrigin = pallet_meters::EnsureManufacturer<Test>;
	type MeterDeposit = MeterDeposit;
	type OnNotifiedBodyRemoved = LrPrograms;
}

#[derive_impl(pallet_lr_programs::config_preludes::TestDefaultConfig)]
impl pallet_lr_programs::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegulatorOrigin = EnsureRoot<u64>;
	type NotifiedBodyOrigin = pallet_meters::EnsureNotifiedBody<Test>;
	type Binding = Meters;
	type Bodies = Meters;
	type Audit = Meters;
	type ProgramDeposit = ProgramDeposit;
	type ProgramByteDeposit = ProgramByteDeposit;
}

/// Accounts of the tests.
pub const BODY: u64 = 1;
pub const OTHER_BODY: u64 = 2;
pub const MAKER: u64 = 3;
pub const MEASURER: u64 = 4;
pub const NOBODY: u64 = 5;
pub const POOR_MEASURER: u64 = 6;

/// Two notified bodies, a manufacturer with one approved model and one active meter
/// (id 0), funded measurers.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(BODY, 1_000),
			(OTHER_BODY, 1_000),
			(MAKER, 1_000),
			(MEASURER, 10_000),
			(NOBODY, 1_000),
			(POOR_MEASURER, 101),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let spec = ModelSpec {
		kind: MeterKind::Electricity,
		unit: MeasurementUnit::WattHour,
		resolution_milli: 1,
		max_permissible_error: Permill::from_percent(1),
		min_interval_ms: 1_000,
		max_interval_ms: 3_600_000,
	};
	pallet_meters::GenesisConfig::<Test> {
		notified_bodies: vec![(BODY, b"NB 1".to_vec()), (OTHER_BODY, b"NB 2".to_vec())],
		manufacturers: vec![(MAKER, b"Maker".to_vec())],
		models: vec![(MAKER, b"E1".to_vec(), spec, BODY)],
		meters: vec![(
			0,
			DeviceKey::Ed25519(sp_core::ed25519::Public::from_raw([1; 32])),
			b"SN-1".to_vec(),
			b"SP-1".to_vec(),
			BODY,
		)],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
