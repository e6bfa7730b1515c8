//! A test runtime: System, Timestamp, Balances, Meters, LrPrograms and Readings, with one
//! active meter (id 0) bound to the reference electricity program.

use crate as pallet_readings;
use frame_support::{derive_impl, parameter_types, traits::VariantCountOf, weights::Weight};
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
	#[runtime::pallet_index(4)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(5)]
	pub type Readings = pallet_readings;
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
	type OnDeviceKeyRotated = Readings;
	type OnMeterVerified = Readings;
	type OnFrameRulesChanged = Readings;
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

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = frame_support::traits::ConstU64<1>;
	type WeightInfo = ();
}

parameter_types! {
	/// The runtime's 16; a test of one meter's long batch lifts it.
	pub static FramesPerMeterPerBlock: u32 = 16;
}

#[derive_impl(pallet_readings::config_preludes::TestDefaultConfig)]
impl pallet_readings::Config for Test {
	type Meters = Meters;
	type Programs = LrPrograms;
	type Time = Timestamp;
	type MaxFramesPerMeterPerBlock = FramesPerMeterPerBlock;
	type OnMeasured = Told;
}

/// A measurement as the other pallets were told of it, with the billing its meter's
/// record held then.
pub type TellingOf = (
	mensura_primitives::readings::StoredMeasurement,
	Option<mensura_primitives::billing::MeterBilling<u64>>,
);

std::thread_local! {
	static TOLD: core::cell::RefCell<Vec<TellingOf>> =
		const { core::cell::RefCell::new(Vec::new()) };
}

/// The other pallets' side of every stored measurement: notes what it was told, counts
/// the measurement in the open period it was handed (as billing does), and weighs
/// nothing.
pub struct Told;
impl mensura_primitives::readings::OnMeasured<u64> for Told {
	fn on_measured(
		m: &mensura_primitives::readings::StoredMeasurement,
		billing: &mut Option<mensura_primitives::billing::MeterBilling<u64>>,
	) -> Weight {
		TOLD.with(|t| t.borrow_mut().push((m.clone(), billing.clone())));
		if let Some(billing) = billing {
			billing.period.measurements += 1;
		}
		Weight::zero()
	}
	fn end_of_transaction() {}
	fn weight() -> Weight {
		Weight::zero()
	}
	fn idle_weight() -> Weight {
		Weight::zero()
	}
}

/// Every measurement the other pallets were told of, in order.
pub fn told() -> Vec<TellingOf> {
	TOLD.with(|t| t.borrow().clone())
}

/// The chain's time in the tests: 2026-11-24, in milliseconds.
pub const NOW: u64 = 1_795_996_800_000;

/// The shortest and the longest interval of the test model's frames: 1 s and 1 hour.
pub const MIN_INTERVAL: u64 = 1_000;
pub const MAX_INTERVAL: u64 = 3_600_000;

/// Accounts of the tests.
pub const BODY: u64 = 1;
pub const OTHER_BODY: u64 = 2;
pub const MAKER: u64 = 3;
pub const MEASURER: u64 = 4;
pub const NOBODY: u64 = 5;
pub const POOR_MEASURER: u64 = 6;

/// A notified body, a manufacturer with one approved model, three meters: 0 and 1 active
/// and bound to the reference electricity program, 2 active without a program; the time
/// is [`NOW`].
pub fn new_test_ext() -> sp_io::TestExternalities {
	TOLD.with(|t| t.borrow_mut().clear());
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
		min_interval_ms: MIN_INTERVAL,
		max_interval_ms: MAX_INTERVAL,
	};
	pallet_meters::GenesisConfig::<Test> {
		notified_bodies: vec![(BODY, b"NB 1".to_vec()), (OTHER_BODY, b"NB 2".to_vec())],
		manufacturers: vec![(MAKER, b"Maker".to_vec())],
		models: vec![(MAKER, b"E1".to_vec(), spec, BODY)],
		meters: (0..3u8)
			.map(|i| {
				let key = DeviceKey::Sr25519(sp_core::Pair::public(&meter_key(i.into())));
				(0, key, vec![b'S', i], vec![b'P', i], BODY)
			})
			.collect(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_lr_programs::GenesisConfig::<Test> {
		required_approvals: 1,
		programs: vec![(
			MEASURER,
			b"1.0.0".to_vec(),
			mensura_primitives::readings::lr::examples::electricity_active_energy()
				.encode()
				.unwrap(),
			vec![BODY],
			vec![0, 1],
		)],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| {
		System::set_block_number(1);
		pallet_timestamp::Now::<Test>::put(NOW);
	});
	ext
}

/// The device key of test meter `i`.
pub fn meter_key(i: u64) -> sp_core::sr25519::Pair {
	use sp_core::Pair;
	sp_core::sr25519::Pair::from_string(&format!("//Meter{i}"), None).unwrap()
}
