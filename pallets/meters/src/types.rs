//! The records this pallet stores, and the invariants that hold between them.

use crate::Config;
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::{traits::fungible::Inspect, BoundedVec};
use mensura_primitives::metering::{
	DeviceKey, MeterStatus, ModelId, ModelSpec, ModelStatus, ProgramHash, SupplyPoint,
};
use scale_info::TypeInfo;

/// An active meter of the genesis block: model id (an index into the genesis models),
/// device key, serial, supply point, verifying notified body.
pub type GenesisMeter<AccountId> =
	(ModelId, DeviceKey, alloc::vec::Vec<u8>, alloc::vec::Vec<u8>, AccountId);

/// A balance of the deposit currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A bounded name (of a notified body, manufacturer or model).
pub type NameOf<T> = BoundedVec<u8, <T as Config>::MaxNameLen>;

/// A bounded serial number.
pub type SerialOf<T> = BoundedVec<u8, <T as Config>::MaxSerialLen>;

/// A meter model as stored.
pub type ModelOf<T> = MeterModel<<T as frame_system::Config>::AccountId, NameOf<T>>;

/// A meter as stored.
pub type MeterOf<T> = Meter<<T as frame_system::Config>::AccountId, BalanceOf<T>, SerialOf<T>>;

/// A device-key rotation waiting for enough notified bodies.
pub type PendingRotationOf<T> =
	PendingRotation<<T as frame_system::Config>::AccountId, <T as Config>::MaxRotationApprovals>;

/// A device-key rotation proposed by notified bodies, applied once
/// [`Config::KeyRotationApprovals`] current bodies approve the same new key.
#[derive(
	frame_support::CloneNoBound,
	frame_support::PartialEqNoBound,
	frame_support::EqNoBound,
	frame_support::DebugNoBound,
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(Max))]
#[codec(mel_bound(AccountId: MaxEncodedLen))]
pub struct PendingRotation<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	Max: frame_support::traits::Get<u32>,
> {
	/// The key the meter would get.
	pub key: DeviceKey,
	/// The bodies that approved it, in order.
	pub approvals: BoundedVec<AccountId, Max>,
}

/// A meter model and where it stands in type approval.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct MeterModel<AccountId, Name> {
	/// The manufacturer that submitted it; only it provisions meters of the model.
	pub manufacturer: AccountId,
	/// The model's name.
	pub name: Name,
	/// The characteristics a notified body approves.
	pub spec: ModelSpec,
	/// Where it stands in type approval.
	pub status: ModelStatus,
}

/// A provisioned meter.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Meter<AccountId, Balance, Serial> {
	/// Its model.
	pub model: ModelId,
	/// The manufacturer that provisioned it and holds its deposit.
	pub manufacturer: AccountId,
	/// Its serial number, unique per manufacturer.
	pub serial: Serial,
	/// The key its frames are signed with now.
	pub device_key: DeviceKey,
	/// Where it is in its lifecycle.
	pub status: MeterStatus,
	/// The supply point it was verified at; `None` until verified.
	pub supply_point: Option<SupplyPoint>,
	/// The notified body that verified it; `None` until verified. Only it binds the
	/// meter's program and resolves disputes of its invoices.
	pub verified_by: Option<AccountId>,
	/// The LR program bound to it; `None` until one is bound.
	pub lr_program: Option<ProgramHash>,
	/// The deposit held for it; zero once revoked and released.
	pub deposit: Balance,
}

/// The invariants of this pallet's storage, checked by `try_state` and by the unit tests
/// after every operation.
#[cfg(any(feature = "try-runtime", feature = "std", test))]
pub mod invariants {
	use crate::{
		AuditLength, AuditLog, Config, DeviceKeys, HoldReason, Meters, Models, NextMeterId,
		NextModelId, Serials,
	};
	use alloc::collections::btree_map::BTreeMap;
	use frame_support::{ensure, traits::fungible::InspectHold};
	use mensura_primitives::metering::MeterStatus;
	use sp_runtime::{
		traits::{Saturating, Zero},
		TryRuntimeError,
	};

	pub fn check<T: Config>() -> Result<(), TryRuntimeError> {
		ids_below_next::<T>()?;
		device_keys_unique::<T>()?;
		serials_indexed::<T>()?;
		audit_trails_contiguous::<T>()?;
		holds_match_meters::<T>()
	}

	/// Every model and meter id is below the next id to assign.
	fn ids_below_next<T: Config>() -> Result<(), TryRuntimeError> {
		let next_model = NextModelId::<T>::get();
		ensure!(Models::<T>::iter_keys().all(|id| id < next_model), "model id >= NextModelId");
		let next_meter = NextMeterId::<T>::get();
		ensure!(Meters::<T>::iter_keys().all(|id| id < next_meter), "meter id >= NextMeterId");
		Ok(())
	}

	/// Each meter's current key is registered to that meter, so no two meters share one;
	/// every registered key belongs to an existing meter.
	fn device_keys_unique<T: Config>() -> Result<(), TryRuntimeError> {
		for (id, meter) in Meters::<T>::iter() {
			ensure!(
				DeviceKeys::<T>::get(&meter.device_key) == Some(id),
				"a meter's device key is not registered to it"
			);
		}
		for (_, id) in DeviceKeys::<T>::iter() {
			ensure!(Meters::<T>::contains_key(id), "a device key names an unknown meter");
		}
		Ok(())
	}

	/// The serial index and the meters agree, both ways.
	fn serials_indexed<T: Config>() -> Result<(), TryRuntimeError> {
		for (id, meter) in Meters::<T>::iter() {
			ensure!(
				Serials::<T>::get(&meter.manufacturer, &meter.serial) == Some(id),
				"a meter's serial is not indexed"
			);
		}
		ensure!(
			Serials::<T>::iter().count() == Meters::<T>::iter().count(),
			"serial index and meters differ in number"
		);
		Ok(())
	}

	/// Each audit trail holds exactly the entries 0 .. length: nothing skipped, nothing
	/// beyond, so counters only ever grew.
	fn audit_trails_contiguous<T: Config>() -> Result<(), TryRuntimeError> {
		let mut counted = BTreeMap::new();
		for (subject, index, _) in AuditLog::<T>::iter() {
			ensure!(
				index < AuditLength::<T>::get(subject),
				"audit entry beyond the trail's length"
			);
			*counted.entry(subject).or_insert(0u32) += 1;
		}
		for (subject, length) in AuditLength::<T>::iter() {
			ensure!(counted.get(&subject).copied().unwrap_or(0) == length, "audit trail has a gap");
		}
		Ok(())
	}

	/// What each manufacturer has on hold for meter deposits is the sum of the deposits
	/// of its meters that are not revoked, and a revoked meter holds nothing.
	fn holds_match_meters<T: Config>() -> Result<(), TryRuntimeError> {
		let mut expected = BTreeMap::new();
		for (_, meter) in Meters::<T>::iter() {
			if meter.status == MeterStatus::Revoked {
				ensure!(meter.deposit.is_zero(), "a revoked meter still has a deposit");
			}
			let total = expected.entry(meter.manufacturer.clone()).or_insert(Zero::zero());
			*total = meter.deposit.saturating_add(*total);
		}
		for (manufacturer, total) in expected {
			let held =
				T::Currency::balance_on_hold(&HoldReason::MeterDeposit.into(), &manufacturer);
			ensure!(held == total, "a manufacturer's hold differs from its meters' deposits");
		}
		Ok(())
	}
}
