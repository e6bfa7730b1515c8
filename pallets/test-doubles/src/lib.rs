//! Test doubles of what Mensura's pallets ask of each other, for their mock runtimes: a
//! meter registry ([`TestMeters`]), an audit trail ([`TestAudit`]), the chain's time
//! ([`TestTime`]), meter suspension ([`TestSuspension`]), notified bodies
//! ([`EnsureNotifiedBody`], [`TestBodies`]) and supply contracts ([`TestContracts`]). Each keeps its state in thread-local tables that the tests
//! set and read; [`reset`] empties them for the next test. The links of meters' reading
//! records ([`TestLinks`]) are kept in storage instead, so a failed call undoes them as
//! it undoes the pallet's own writes. Accounts are `u64`, as in
//! every mock runtime here.
//!
//! Dev-only: pallets use it as a dev-dependency, no runtime depends on it.

use core::cell::RefCell;
use frame_support::traits::{EnsureOrigin, UnixTime};
use frame_system::RawOrigin;
use mensura_primitives::metering::{
	Actor, AuditChange, AuditIndex, AuditSubject, AuditTrail, DeviceKey, MeasurementUnit, MeterId,
	MeterKind, MeterRegistry, MeterStatus, MeterSummary, MeterSuspension, ModelSpec, ProgramHash,
	StatusReason, SupplyPoint,
};
use mensura_primitives::{billing::MeterBilling, readings::MeterLinks};
use sp_core::ed25519;
use sp_runtime::{DispatchError, DispatchResult, Permill};
use std::collections::BTreeMap;

/// The notified body the tests name: accounts 100 … 109 are notified bodies.
pub const BODY: u64 = 100;

/// The accounts that are notified bodies.
pub const NOTIFIED_BODIES: core::ops::Range<u64> = 100..110;

/// An audit-trail entry as [`TestAudit`] keeps it.
pub type TrailEntry = (AuditSubject, Actor<u64>, AuditChange);

thread_local! {
	static METERS: RefCell<BTreeMap<MeterId, MeterSummary>> = const { RefCell::new(BTreeMap::new()) };
	static TRAIL: RefCell<Vec<TrailEntry>> = const { RefCell::new(Vec::new()) };
	static NOW: RefCell<u64> = const { RefCell::new(0) };
	static CONTRACTS: RefCell<BTreeMap<MeterId, (u64, u64)>> = const { RefCell::new(BTreeMap::new()) };
}

/// Forgets every meter and audit entry, and sets the time back to 0.
pub fn reset() {
	METERS.with(|m| m.borrow_mut().clear());
	TRAIL.with(|t| t.borrow_mut().clear());
	CONTRACTS.with(|c| c.borrow_mut().clear());
	set_now(0);
}

/// A meter model: electricity in Wh, 1 % maximum permissible error, 1 mWh register step.
pub fn electricity() -> ModelSpec {
	ModelSpec {
		kind: MeterKind::Electricity,
		unit: MeasurementUnit::WattHour,
		resolution_milli: 1,
		max_permissible_error: Permill::from_percent(1),
		min_interval_ms: 1_000,
		max_interval_ms: 3_600_000,
	}
}

/// Adds (or replaces) an active meter of model 0 with `spec` at `supply_point`, bound to
/// the program `0x0101…01`, its ed25519 device key the id's byte repeated.
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

/// Sets a meter's status; a meter the registry does not know yet is added first (an
/// electricity meter at supply point `SP-<id>`).
pub fn set_status(id: MeterId, status: MeterStatus) {
	if METERS.with(|m| !m.borrow().contains_key(&id)) {
		add_meter(id, &format!("SP-{id}"), electricity());
	}
	METERS.with(|m| {
		if let Some(meter) = m.borrow_mut().get_mut(&id) {
			meter.status = status;
		}
	});
}

/// A meter's status; the meter must be known.
pub fn status(id: MeterId) -> MeterStatus {
	METERS
		.with(|m| m.borrow().get(&id).map(|meter| meter.status))
		.unwrap_or_else(|| panic!("the test registry has no meter {id}"))
}

/// The audit-trail entries written so far, oldest first.
pub fn trail() -> Vec<TrailEntry> {
	TRAIL.with(|t| t.borrow().clone())
}

/// Sets the chain's time (Unix milliseconds) that [`TestTime`] answers.
pub fn set_now(ms: u64) {
	NOW.with(|n| *n.borrow_mut() = ms);
}

/// The meter registry: the meters [`add_meter`] and [`set_status`] made.
pub struct TestMeters;

impl MeterRegistry for TestMeters {
	fn meter(meter: MeterId) -> Option<MeterSummary> {
		METERS.with(|m| m.borrow().get(&meter).cloned())
	}

	fn meter_ids() -> Vec<MeterId> {
		METERS.with(|m| m.borrow().keys().copied().collect())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_active_meter(key: DeviceKey, program: ProgramHash) -> MeterId {
		let id = METERS.with(|m| m.borrow().keys().max().map_or(0, |last| last + 1));
		add_meter(id, "SP-BENCH", electricity());
		METERS.with(|m| {
			if let Some(meter) = m.borrow_mut().get_mut(&id) {
				meter.device_key = key;
				meter.lr_program = Some(program);
			}
		});
		id
	}
}

/// The audit trail: entries appended in order, read back with [`trail`].
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

/// The chain's time, as [`set_now`] set it.
pub struct TestTime;

impl UnixTime for TestTime {
	fn now() -> core::time::Duration {
		core::time::Duration::from_millis(NOW.with(|n| *n.borrow()))
	}
}

/// Suspension of a meter by a notified body, as the registry would do it: only from a
/// status that may become `Suspended`.
pub struct TestSuspension;

impl MeterSuspension<u64> for TestSuspension {
	fn suspend(meter: MeterId, body: u64, _reason: StatusReason) -> DispatchResult {
		assert!(NOTIFIED_BODIES.contains(&body), "{body} is not a notified body");
		let current = TestMeters::meter(meter).ok_or(DispatchError::Other("UnknownMeter"))?.status;
		if !current.can_become(MeterStatus::Suspended) {
			return Err(DispatchError::Other("IllegalStatusTransition"));
		}
		set_status(meter, MeterStatus::Suspended);
		Ok(())
	}

	/// Nobody is told of a test suspension.
	fn notification_weight() -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}

/// The notified bodies are [`NOTIFIED_BODIES`]; every meter of [`TestMeters`] was
/// verified by [`BODY`].
pub struct TestBodies;

impl mensura_primitives::metering::NotifiedBodies<u64> for TestBodies {
	fn is_notified_body(who: &u64) -> bool {
		NOTIFIED_BODIES.contains(who)
	}

	fn verifier_of(meter: MeterId) -> Option<u64> {
		METERS.with(|m| m.borrow().contains_key(&meter)).then_some(BODY)
	}
}

/// Signed by a notified body (an account of [`NOTIFIED_BODIES`]); succeeds with it.
pub struct EnsureNotifiedBody;

impl<O> EnsureOrigin<O> for EnsureNotifiedBody
where
	O: Into<Result<RawOrigin<u64>, O>> + From<RawOrigin<u64>> + Clone,
{
	type Success = u64;

	fn try_origin(origin: O) -> Result<u64, O> {
		match origin.clone().into() {
			Ok(RawOrigin::Signed(who)) if NOTIFIED_BODIES.contains(&who) => Ok(who),
			_ => Err(origin),
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin() -> Result<O, ()> {
		Ok(RawOrigin::Signed(BODY).into())
	}
}

/// Makes `supplier` supply `consumer` through `meter` under an active contract, or ends
/// `meter`'s contract (`None`).
pub fn set_contract(meter: MeterId, parties: Option<(u64, u64)>) {
	CONTRACTS.with(|c| match parties {
		Some(p) => {
			c.borrow_mut().insert(meter, p);
		}
		None => {
			c.borrow_mut().remove(&meter);
		}
	});
}

/// Supply contracts as [`set_contract`] made them: meter → (supplier, consumer).
pub struct TestContracts;

impl mensura_primitives::billing::SupplyContracts<u64> for TestContracts {
	fn supplier_of(meter: MeterId) -> Option<u64> {
		CONTRACTS.with(|c| c.borrow().get(&meter).map(|p| p.0))
	}

	fn consumer_of(meter: MeterId) -> Option<u64> {
		CONTRACTS.with(|c| c.borrow().get(&meter).map(|p| p.1))
	}

	fn supplied_meters(supplier: &u64) -> u32 {
		CONTRACTS.with(|c| c.borrow().values().filter(|p| p.0 == *supplier).count() as u32)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_supply(meter: MeterId, supplier: u64) {
		set_contract(meter, Some((supplier, supplier)));
	}
}

/// The links of meters' reading records, in the test externalities' storage under keys
/// of their own (`("test-links", link, meter)`).
pub struct TestLinks;

impl TestLinks {
	fn key(link: &[u8], meter: MeterId) -> Vec<u8> {
		sp_runtime::codec::Encode::encode(&(b"test-links", link, meter))
	}
}

impl MeterLinks<u64> for TestLinks {
	fn billing(meter: MeterId) -> Option<MeterBilling<u64>> {
		frame_support::storage::unhashed::get(&Self::key(b"billing", meter))
	}

	fn set_billing(meter: MeterId, billing: Option<MeterBilling<u64>>) {
		let key = Self::key(b"billing", meter);
		match billing {
			Some(billing) => frame_support::storage::unhashed::put(&key, &billing),
			None => frame_support::storage::unhashed::kill(&key),
		}
	}

	fn surveilled(meter: MeterId) -> bool {
		frame_support::storage::unhashed::exists(&Self::key(b"surveilled", meter))
	}

	fn set_surveilled(meter: MeterId, surveilled: bool) {
		let key = Self::key(b"surveilled", meter);
		if surveilled {
			frame_support::storage::unhashed::put(&key, &());
		} else {
			frame_support::storage::unhashed::kill(&key);
		}
	}
}
