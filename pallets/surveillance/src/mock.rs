//! A test runtime: System, Balances and Surveillance, with meters, the audit trails, the
//! chain's time and the notified body kept in test-controlled tables.

use crate as pallet_surveillance;
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64, EnsureOrigin, UnixTime, VariantCountOf},
};
use frame_system::RawOrigin;
use mensura_primitives::{
	billing::{OnMeasured, StoredMeasurement},
	metering::{
		Actor, AuditChange, AuditIndex, AuditSubject, AuditTrail, DeviceKey, MeasurementUnit,
		MeterId, MeterKind, MeterRegistry, MeterStatus, MeterSummary, MeterSuspension, ModelSpec,
		ProgramHash, StatusReason, SupplyPoint,
	},
};
use sp_core::{ed25519, H256};
use sp_runtime::{BuildStorage, DispatchResult, Permill};
use std::collections::BTreeMap;

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

/// The notified body.
pub const BODY: u64 = 100;
/// An account that is not one.
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
/// The deposit for a check meter.
pub const DEPOSIT: u64 = 50;
/// The comparison window: one hour.
pub const HOUR: u64 = 3_600_000;
/// A 15-minute frame interval.
pub const QUARTER: u64 = 900_000;

thread_local! {
	static METERS: RefCell<BTreeMap<MeterId, MeterSummary>> = RefCell::new(BTreeMap::new());
	static TRAIL: RefCell<Vec<(AuditSubject, Actor<u64>, AuditChange)>> = const { RefCell::new(Vec::new()) };
	static NOW: RefCell<u64> = const { RefCell::new(0) };
}

/// A meter model: electricity in Wh, 1 % MPE, 1 mWh register step, unless changed.
pub fn electricity() -> ModelSpec {
	ModelSpec {
		kind: MeterKind::Electricity,
		unit: MeasurementUnit::WattHour,
		resolution_milli: 1,
		max_permissible_error: Permill::from_percent(1),
	}
}

/// Adds an active meter at `supply_point` with `spec`.
pub fn add_meter(id: MeterId, supply_point: &str, spec: ModelSpec) {
	let summary = MeterSummary {
		model: 0,
		spec,
		device_key: DeviceKey::Ed25519(ed25519::Public::from_raw([id as u8; 32])),
		status: MeterStatus::Active,
		supply_point: Some(SupplyPoint::truncate_from(supply_point.as_bytes().to_vec())),
		lr_program: Some(ProgramHash::repeat_byte(1)),
	};
	METERS.with(|m| m.borrow_mut().insert(id, summary));
}

pub fn set_status(id: MeterId, status: MeterStatus) {
	METERS.with(|m| m.borrow_mut().get_mut(&id).unwrap().status = status);
}

pub fn status(id: MeterId) -> MeterStatus {
	METERS.with(|m| m.borrow()[&id].status)
}

/// The audit trail entries written so far.
pub fn trail() -> Vec<(AuditSubject, Actor<u64>, AuditChange)> {
	TRAIL.with(|t| t.borrow().clone())
}

/// Sets the chain's time.
pub fn set_now(ms: u64) {
	NOW.with(|n| *n.borrow_mut() = ms);
}

pub struct TestMeters;
impl MeterRegistry for TestMeters {
	fn meter(meter: MeterId) -> Option<MeterSummary> {
		METERS.with(|m| m.borrow().get(&meter).cloned())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_active_meter(key: DeviceKey, program: ProgramHash) -> MeterId {
		let id = METERS.with(|m| m.borrow().len() as MeterId);
		add_meter(id, "SP-BENCH", electricity());
		METERS.with(|m| {
			let mut m = m.borrow_mut();
			let meter = m.get_mut(&id).unwrap();
			meter.device_key = key;
			meter.lr_program = Some(program);
		});
		id
	}
}

pub struct TestAudit;
impl AuditTrail<u64> for TestAudit {
	fn record(subject: AuditSubject, actor: Actor<u64>, change: AuditChange) -> AuditIndex {
		TRAIL.with(|t| {
			let mut t = t.borrow_mut();
			t.push((subject, actor, change));
			t.len() as AuditIndex - 1
		})
	}
}

pub struct TestSuspension;
impl MeterSuspension<u64> for TestSuspension {
	fn suspend(meter: MeterId, body: u64, _reason: StatusReason) -> DispatchResult {
		assert_eq!(body, BODY);
		let current = status(meter);
		if !current.can_become(MeterStatus::Suspended) {
			return Err(sp_runtime::DispatchError::Other("IllegalStatusTransition"));
		}
		set_status(meter, MeterStatus::Suspended);
		Ok(())
	}
}

pub struct TestTime;
impl UnixTime for TestTime {
	fn now() -> core::time::Duration {
		core::time::Duration::from_millis(NOW.with(|n| *n.borrow()))
	}
}

/// Signed by [`BODY`].
pub struct EnsureBody;
impl EnsureOrigin<RuntimeOrigin> for EnsureBody {
	type Success = u64;
	fn try_origin(origin: RuntimeOrigin) -> Result<u64, RuntimeOrigin> {
		match origin.clone().into() {
			Ok(RawOrigin::Signed(BODY)) => Ok(BODY),
			_ => Err(origin),
		}
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin() -> Result<RuntimeOrigin, ()> {
		Ok(RawOrigin::Signed(BODY).into())
	}
}

parameter_types! {
	pub const CheckDeposit: u64 = DEPOSIT;
}

impl pallet_surveillance::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Time = TestTime;
	type Meters = TestMeters;
	type Audit = TestAudit;
	type Suspension = TestSuspension;
	type InspectorOrigin = EnsureBody;
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
	};
	<Surveillance as OnMeasured>::on_measured(&m);
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	METERS.with(|m| m.borrow_mut().clear());
	TRAIL.with(|t| t.borrow_mut().clear());
	set_now(0);
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
