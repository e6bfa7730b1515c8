//! # Meters: the registry of legally controlled measuring instruments
//!
//! ## Overview
//!
//! Who may certify, build and operate a meter on Mensura, which meters exist, and an
//! append-only trail of every legally relevant change to them (the event logger of
//! WELMEC 7.2). Exposed in the runtime as `Meters`.
//!
//! 1. The regulator (root) appoints **notified bodies**. The regulator or a notified body
//!    admits **manufacturers**.
//! 2. A manufacturer submits a **meter model** (kind, unit, register resolution, maximum
//!    permissible error). A notified body type-approves or rejects it, and may later
//!    withdraw the approval.
//! 3. A manufacturer **provisions** a meter of one of its approved models with the
//!    device's public key and serial number, holding [`Config::MeterDeposit`] against
//!    spam. A notified body **verifies** it at a supply point; only then is it `Active`.
//! 4. A notified body suspends, reinstates or revokes a meter (each with a reason) and
//!    rotates a compromised device key. A device key is never used by two meters, and
//!    never again once replaced.
//!
//! ## Terminology
//!
//! - **Notified body**: a conformity-assessment body the regulator designates.
//! - **Device key**: the public key burnt into the meter; the meter signs its frames with
//!   it and holds no account.
//! - **Audit trail**: per meter and per model, entries numbered 0, 1, 2, … that are never
//!   overwritten or pruned. Other pallets append to it through
//!   [`mensura_primitives::metering::AuditTrail`].
//!
//! ## Interface
//!
//! Calls, by origin:
//! - regulator: [`Pallet::appoint_notified_body`], [`Pallet::remove_notified_body`];
//! - regulator or notified body: [`Pallet::admit_manufacturer`],
//!   [`Pallet::remove_manufacturer`];
//! - manufacturer: [`Pallet::submit_model`], [`Pallet::provision_meter`];
//! - notified body: [`Pallet::approve_model`], [`Pallet::reject_model`],
//!   [`Pallet::withdraw_model_approval`], [`Pallet::verify_meter`],
//!   [`Pallet::suspend_meter`], [`Pallet::reinstate_meter`], [`Pallet::revoke_meter`],
//!   [`Pallet::rotate_device_key`].
//!
//! Other pallets read meters through [`mensura_primitives::metering::MeterRegistry`],
//! implemented by [`Pallet`]; clients read them through the `MetersApi` runtime API.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
mod impl_traits;
#[cfg(test)]
mod mock;
mod origins;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

pub use origins::{EnsureManufacturer, EnsureNotifiedBody};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use mensura_primitives::metering::{
		Actor, AuditEntry, AuditIndex, AuditSubject, DeviceKey, MeterId, MeterStatus, ModelId,
		ModelSpec, StatusReason, SupplyPoint,
	};

	/// The storage layout version; bumped with every migration.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default values for the configuration a test runtime rarely changes.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;

		/// For mock runtimes: small limits, weights of `()`.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxNameLen = ConstU32<64>;
			type MaxSerialLen = ConstU32<32>;
			type OnDeviceKeyRotated = ();
			type OnMeterVerified = ();
			type OnFrameRulesChanged = ();
			type OnNotifiedBodyRemoved = ();
			type KeyRotationApprovals = ConstU32<2>;
			type MaxRotationApprovals = ConstU32<16>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The currency in which meter deposits are held.
		#[pallet::no_default]
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		#[pallet::no_default]
		type RuntimeHoldReason: From<HoldReason>;

		/// The regulator: appoints and removes notified bodies (root in Mensura).
		#[pallet::no_default]
		type RegulatorOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// A notified body ([`EnsureNotifiedBody`] in Mensura).
		#[pallet::no_default]
		type NotifiedBodyOrigin: EnsureOrigin<Self::RuntimeOrigin, Success = Self::AccountId>;

		/// An admitted manufacturer ([`EnsureManufacturer`] in Mensura).
		#[pallet::no_default]
		type ManufacturerOrigin: EnsureOrigin<Self::RuntimeOrigin, Success = Self::AccountId>;

		/// The deposit a manufacturer holds for each meter until it is revoked.
		#[pallet::constant]
		#[pallet::no_default]
		type MeterDeposit: Get<BalanceOf<Self>>;

		/// The longest name of a notified body, manufacturer or model, in bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// The longest serial number, in bytes.
		#[pallet::constant]
		type MaxSerialLen: Get<u32>;

		/// Told of every device key rotation (ingestion: the new key's frames number
		/// afresh). Its weight is declared with the rotation.
		type OnDeviceKeyRotated: mensura_primitives::metering::OnDeviceKeyRotated;

		/// Told of every meter verification (ingestion: no frame may measure time before
		/// it). Its weight is declared with the verification.
		type OnMeterVerified: mensura_primitives::metering::OnMeterVerified;

		/// Told whenever what a meter's frames are checked against changes (ingestion keeps
		/// a copy beside each meter's reading state). Its weight is declared with every
		/// provisioning, verification, status change and key rotation.
		type OnFrameRulesChanged: mensura_primitives::metering::OnFrameRulesChanged;

		/// Told when the regulator removes a notified body (program approvals: a removed
		/// body's no longer count). Its weight is declared with the removal.
		#[pallet::no_default_bounds]
		type OnNotifiedBodyRemoved: mensura_primitives::metering::OnNotifiedBodyRemoved<
			Self::AccountId,
		>;

		/// How many notified bodies must approve the same new device key before a meter's
		/// key is replaced (the regulator replaces it alone): one body cannot take a meter
		/// over by giving it a key of its own.
		#[pallet::constant]
		type KeyRotationApprovals: Get<u32>;

		/// The most approvals a pending rotation keeps (at least `KeyRotationApprovals`).
		#[pallet::constant]
		type MaxRotationApprovals: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A manufacturer's deposit for a provisioned meter.
		MeterDeposit,
	}

	/// Notified bodies, with their names.
	#[pallet::storage]
	pub type NotifiedBodies<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, NameOf<T>, OptionQuery>;

	/// Device-key rotations waiting for [`Config::KeyRotationApprovals`] notified bodies.
	#[pallet::storage]
	pub type PendingKeyRotations<T: Config> =
		StorageMap<_, Twox64Concat, MeterId, PendingRotationOf<T>, OptionQuery>;

	/// Admitted manufacturers, with their names.
	#[pallet::storage]
	pub type Manufacturers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, NameOf<T>, OptionQuery>;

	/// The id the next submitted model gets.
	#[pallet::storage]
	pub type NextModelId<T: Config> = StorageValue<_, ModelId, ValueQuery>;

	/// Meter models, by id.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelOf<T>, OptionQuery>;

	/// The id the next provisioned meter gets.
	#[pallet::storage]
	pub type NextMeterId<T: Config> = StorageValue<_, MeterId, ValueQuery>;

	/// Meters, by id.
	#[pallet::storage]
	pub type Meters<T: Config> = StorageMap<_, Twox64Concat, MeterId, MeterOf<T>, OptionQuery>;

	/// Every device key ever registered, with its meter. Entries are never removed, so a
	/// key can never serve a second meter, not even after rotation or revocation.
	#[pallet::storage]
	pub type DeviceKeys<T: Config> =
		StorageMap<_, Blake2_128Concat, DeviceKey, MeterId, OptionQuery>;

	/// Meters by manufacturer and serial number (unique per manufacturer).
	#[pallet::storage]
	pub type Serials<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		SerialOf<T>,
		MeterId,
		OptionQuery,
	>;

	/// The number of entries in each audit trail; the next entry's index.
	#[pallet::storage]
	pub type AuditLength<T: Config> =
		StorageMap<_, Blake2_128Concat, AuditSubject, AuditIndex, ValueQuery>;

	/// The audit trails: append-only, never overwritten, never pruned.
	#[pallet::storage]
	pub type AuditLog<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		AuditSubject,
		Twox64Concat,
		AuditIndex,
		AuditEntry<T::AccountId, BlockNumberFor<T>>,
		OptionQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Notified bodies: account and name.
		pub notified_bodies: Vec<(T::AccountId, Vec<u8>)>,
		/// Manufacturers: account and name.
		pub manufacturers: Vec<(T::AccountId, Vec<u8>)>,
		/// Approved models: manufacturer, name, characteristics, approving notified body.
		pub models: Vec<(T::AccountId, Vec<u8>, ModelSpec, T::AccountId)>,
		/// Active meters: model id (index into `models`), device key, serial, supply
		/// point, verifying notified body. Their manufacturers hold the deposit.
		pub meters: Vec<GenesisMeter<T::AccountId>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let bounded = |bytes: &Vec<u8>, what: &str| -> NameOf<T> {
				bytes.clone().try_into().unwrap_or_else(|_| panic!("genesis: {what} too long"))
			};
			for (body, name) in &self.notified_bodies {
				NotifiedBodies::<T>::insert(body, bounded(name, "notified body name"));
			}
			for (manufacturer, name) in &self.manufacturers {
				Manufacturers::<T>::insert(manufacturer, bounded(name, "manufacturer name"));
			}
			for (manufacturer, name, spec, approver) in &self.models {
				assert!(
					Manufacturers::<T>::contains_key(manufacturer),
					"genesis: unknown manufacturer"
				);
				assert!(
					NotifiedBodies::<T>::contains_key(approver),
					"genesis: unknown notified body"
				);
				let model = Pallet::<T>::do_submit_model(
					manufacturer.clone(),
					bounded(name, "model name"),
					*spec,
				)
				.expect("genesis: valid model");
				Pallet::<T>::do_decide_model(model, approver.clone(), ModelDecision::Approve)
					.expect("genesis: model approvable");
			}
			for (model, key, serial, supply_point, verifier) in &self.meters {
				let manufacturer = Models::<T>::get(model)
					.expect("genesis: meter of an unknown model")
					.manufacturer;
				let serial: SerialOf<T> =
					serial.clone().try_into().expect("genesis: serial too long");
				let meter =
					Pallet::<T>::do_provision_meter(manufacturer, *model, key.clone(), serial)
						.expect("genesis: meter provisionable (deposit affordable, key unique)");
				let supply_point: SupplyPoint =
					supply_point.clone().try_into().expect("genesis: supply point too long");
				Pallet::<T>::do_verify_meter(meter, verifier.clone(), supply_point)
					.expect("genesis: meter verifiable");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The regulator appointed a notified body.
		NotifiedBodyAppointed { body: T::AccountId },
		/// The regulator removed a notified body.
		NotifiedBodyRemoved { body: T::AccountId },
		/// A manufacturer was admitted.
		ManufacturerAdmitted { manufacturer: T::AccountId, by: Actor<T::AccountId> },
		/// A manufacturer was removed.
		ManufacturerRemoved { manufacturer: T::AccountId, by: Actor<T::AccountId> },
		/// A manufacturer submitted a model for type approval.
		ModelSubmitted { model: ModelId, manufacturer: T::AccountId, spec: ModelSpec },
		/// A notified body type-approved a model.
		ModelApproved { model: ModelId, by: T::AccountId },
		/// A notified body rejected a model.
		ModelRejected { model: ModelId, by: T::AccountId, reason: StatusReason },
		/// A notified body withdrew a model's approval.
		ModelApprovalWithdrawn { model: ModelId, by: T::AccountId, reason: StatusReason },
		/// A manufacturer provisioned a meter, holding `deposit`.
		MeterProvisioned {
			meter: MeterId,
			model: ModelId,
			manufacturer: T::AccountId,
			device_key: DeviceKey,
			deposit: BalanceOf<T>,
		},
		/// A notified body verified a meter at a supply point; it is now active.
		MeterVerified { meter: MeterId, by: T::AccountId, supply_point: SupplyPoint },
		/// A notified body changed a meter's status (suspended, reinstated or revoked it).
		MeterStatusChanged {
			meter: MeterId,
			by: T::AccountId,
			from: MeterStatus,
			to: MeterStatus,
			reason: StatusReason,
		},
		/// A revoked meter's deposit went back to its manufacturer.
		MeterDepositReleased { meter: MeterId, manufacturer: T::AccountId, amount: BalanceOf<T> },
		/// A meter's device key was replaced: by the regulator, or by the notified body
		/// whose approval completed the rotation.
		DeviceKeyRotated { meter: MeterId, by: Actor<T::AccountId>, old: DeviceKey, new: DeviceKey },
		/// A notified body approved giving `meter` the key `new`; `approvals` current
		/// bodies have so far.
		DeviceKeyRotationApproved {
			meter: MeterId,
			by: T::AccountId,
			new: DeviceKey,
			approvals: u32,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only the notified body that verified the meter may do this.
		NotVerifyingBody,
		/// This notified body already approved this rotation.
		AlreadyApprovedRotation,
		/// The account is a notified body already.
		AlreadyNotifiedBody,
		/// The account is not a notified body.
		NotANotifiedBody,
		/// The account is an admitted manufacturer already.
		AlreadyManufacturer,
		/// The account is not an admitted manufacturer.
		NotAManufacturer,
		/// A name is longer than `MaxNameLen`.
		NameTooLong,
		/// A serial number is longer than `MaxSerialLen`.
		SerialTooLong,
		/// A supply point is longer than 32 bytes.
		SupplyPointTooLong,
		/// A model's register resolution is zero.
		ZeroResolution,
		/// A model's shortest frame interval is zero, or longer than its longest.
		InvalidIntervalBounds,
		/// No model has this id.
		UnknownModel,
		/// The model has been decided already (approved, rejected or withdrawn).
		ModelNotPending,
		/// The model is not (or no longer) type-approved.
		ModelNotApproved,
		/// Only the model's own manufacturer may provision meters of it.
		NotModelManufacturer,
		/// No meter has this id.
		UnknownMeter,
		/// The device key belongs, or belonged, to a meter already.
		DeviceKeyInUse,
		/// The manufacturer has a meter with this serial number already.
		SerialInUse,
		/// The meter's status cannot change that way.
		IllegalStatusTransition,
		/// A revoked meter's key cannot be rotated.
		MeterRevoked,
		/// The manufacturer cannot afford the meter deposit.
		InsufficientDeposit,
		/// No more ids of this kind can be assigned.
		IdsExhausted,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Appoints `body` a notified body, named `name`.
		///
		/// Origin: the regulator. Emits `NotifiedBodyAppointed`.
		/// Errors: `AlreadyNotifiedBody`, `NameTooLong`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::appoint_notified_body())]
		pub fn appoint_notified_body(
			origin: OriginFor<T>,
			body: T::AccountId,
			name: Vec<u8>,
		) -> DispatchResult {
			T::RegulatorOrigin::ensure_origin(origin)?;
			let name: NameOf<T> = name.try_into().map_err(|_| Error::<T>::NameTooLong)?;
			ensure!(!NotifiedBodies::<T>::contains_key(&body), Error::<T>::AlreadyNotifiedBody);
			NotifiedBodies::<T>::insert(&body, name);
			Self::deposit_event(Event::NotifiedBodyAppointed { body });
			Ok(())
		}

		/// Removes the notified body `body`. What it approved and verified stays valid.
		///
		/// Origin: the regulator. Emits `NotifiedBodyRemoved`. Errors: `NotANotifiedBody`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_notified_body().saturating_add(
			<T::OnNotifiedBodyRemoved as mensura_primitives::metering::OnNotifiedBodyRemoved<
				T::AccountId,
			>>::weight()
		))]
		pub fn remove_notified_body(origin: OriginFor<T>, body: T::AccountId) -> DispatchResult {
			T::RegulatorOrigin::ensure_origin(origin)?;
			ensure!(NotifiedBodies::<T>::take(&body).is_some(), Error::<T>::NotANotifiedBody);
			<T::OnNotifiedBodyRemoved as mensura_primitives::metering::OnNotifiedBodyRemoved<
				T::AccountId,
			>>::body_removed(&body);
			Self::deposit_event(Event::NotifiedBodyRemoved { body });
			Ok(())
		}

		/// Admits `manufacturer`, named `name`.
		///
		/// Origin: the regulator or a notified body. Emits `ManufacturerAdmitted`.
		/// Errors: `AlreadyManufacturer`, `NameTooLong`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::admit_manufacturer())]
		pub fn admit_manufacturer(
			origin: OriginFor<T>,
			manufacturer: T::AccountId,
			name: Vec<u8>,
		) -> DispatchResult {
			let by = Self::ensure_regulator_or_notified_body(origin)?;
			let name: NameOf<T> = name.try_into().map_err(|_| Error::<T>::NameTooLong)?;
			ensure!(
				!Manufacturers::<T>::contains_key(&manufacturer),
				Error::<T>::AlreadyManufacturer
			);
			Manufacturers::<T>::insert(&manufacturer, name);
			Self::deposit_event(Event::ManufacturerAdmitted { manufacturer, by });
			Ok(())
		}

		/// Removes `manufacturer`: it can no longer submit models or provision meters. Its
		/// meters, and their deposits, are unaffected.
		///
		/// Origin: the regulator or a notified body. Emits `ManufacturerRemoved`.
		/// Errors: `NotAManufacturer`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_manufacturer())]
		pub fn remove_manufacturer(
			origin: OriginFor<T>,
			manufacturer: T::AccountId,
		) -> DispatchResult {
			let by = Self::ensure_regulator_or_notified_body(origin)?;
			ensure!(
				Manufacturers::<T>::take(&manufacturer).is_some(),
				Error::<T>::NotAManufacturer
			);
			Self::deposit_event(Event::ManufacturerRemoved { manufacturer, by });
			Ok(())
		}

		/// Submits a meter model named `name` with the characteristics `spec` for type
		/// approval. Appends `ModelSubmitted` to the model's audit trail.
		///
		/// Origin: a manufacturer. Emits `ModelSubmitted`.
		/// Errors: `NameTooLong`, `ZeroResolution`, `InvalidIntervalBounds`, `IdsExhausted`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::submit_model())]
		pub fn submit_model(
			origin: OriginFor<T>,
			name: Vec<u8>,
			spec: ModelSpec,
		) -> DispatchResult {
			let manufacturer = T::ManufacturerOrigin::ensure_origin(origin)?;
			let name: NameOf<T> = name.try_into().map_err(|_| Error::<T>::NameTooLong)?;
			Self::do_submit_model(manufacturer, name, spec).map(|_| ())
		}

		/// Type-approves the pending `model`: meters of it may now be provisioned.
		///
		/// Origin: a notified body. Emits `ModelApproved`.
		/// Errors: `UnknownModel`, `ModelNotPending`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::approve_model())]
		pub fn approve_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let body = T::NotifiedBodyOrigin::ensure_origin(origin)?;
			Self::do_decide_model(model, body, ModelDecision::Approve)
		}

		/// Rejects the pending `model` for `reason`.
		///
		/// Origin: a notified body. Emits `ModelRejected`.
		/// Errors: `UnknownModel`, `ModelNotPending`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::reject_model())]
		pub fn reject_model(
			origin: OriginFor<T>,
			model: ModelId,
			reason: StatusReason,
		) -> DispatchResult {
			let body = T::NotifiedBodyOrigin::ensure_origin(origin)?;
			Self::do_decide_model(model, body, ModelDecision::Reject(reason))
		}

		/// Withdraws the approval of `model` for `reason`: no new meters of it may be
		/// provisioned; meters already provisioned are unaffected.
		///
		/// Origin: a notified body. Emits `ModelApprovalWithdrawn`.
		/// Errors: `UnknownModel`, `ModelNotApproved`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::withdraw_model_approval())]
		pub fn withdraw_model_approval(
			origin: OriginFor<T>,
			model: ModelId,
			reason: StatusReason,
		) -> DispatchResult {
			let body = T::NotifiedBodyOrigin::ensure_origin(origin)?;
			Self::do_decide_model(model, body, ModelDecision::Withdraw(reason))
		}

		/// Provisions a meter of the caller's approved `model` with the device's public
		/// key and its serial number, holding `MeterDeposit` from the caller. The meter is
		/// `Provisioned` and may not measure until a notified body verifies it.
		///
		/// Origin: a manufacturer. Emits `MeterProvisioned`.
		/// Errors: `UnknownModel`, `ModelNotApproved`, `NotModelManufacturer`,
		/// `SerialTooLong`, `SerialInUse`, `DeviceKeyInUse`, `InsufficientDeposit`,
		/// `IdsExhausted`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::provision_meter().saturating_add(Pallet::<T>::frame_rules_weight()))]
		pub fn provision_meter(
			origin: OriginFor<T>,
			model: ModelId,
			device_key: DeviceKey,
			serial: Vec<u8>,
		) -> DispatchResult {
			let manufacturer = T::ManufacturerOrigin::ensure_origin(origin)?;
			let serial: SerialOf<T> = serial.try_into().map_err(|_| Error::<T>::SerialTooLong)?;
			Self::do_provision_meter(manufacturer, model, device_key, serial).map(|_| ())
		}

		/// Verifies the provisioned `meter` (initial verification) and binds it to
		/// `supply_point`: the meter becomes `Active`.
		///
		/// Origin: a notified body. Emits `MeterVerified`.
		/// Errors: `UnknownMeter`, `IllegalStatusTransition` (not `Provisioned`),
		/// `SupplyPointTooLong`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::verify_meter()
			.saturating_add(
				<T::OnMeterVerified as mensura_primitives::metering::OnMeterVerified>::weight()
			)
			.saturating_add(Pallet::<T>::frame_rules_weight()))]
		pub fn verify_meter(
			origin: OriginFor<T>,
			meter: MeterId,
			supply_point: Vec<u8>,
		) -> DispatchResult {
			let body = T::NotifiedBodyOrigin::ensure_origin(origin)?;
			let supply_point: SupplyPoint =
				supply_point.try_into().map_err(|_| Error::<T>::SupplyPointTooLong)?;
			Self::do_verify_meter(meter, body, supply_point)
		}

		/// Suspends the active `meter` for `reason`: it may not measure until reinstated.
		///
		/// Origin: a notified body. Emits `MeterStatusChanged`.
		/// Errors: `UnknownMeter`, `IllegalStatusTransition` (not `Active`).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::suspend_meter().saturating_add(Pallet::<T>::frame_rules_weight()))]
		pub fn suspend_meter(
			origin: OriginFor<T>,
			meter: MeterId,
			reason: StatusReason,
		) -> DispatchResult {
			let body = T::NotifiedBodyOrigin::ensure_origin(origin)?;
			Self::do_change_status(meter, body, MeterStatus::Suspended, reason)
		}

		/// Reinstates the suspended `meter` for `reason`: it is `Active` again.
		///
		/// Origin: a notified body. Emits `MeterStatusChanged`.
		/// Errors: `UnknownMeter`, `IllegalStatusTransition` (not `Suspended`).
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::reinstate_meter().saturating_add(Pallet::<T>::frame_rules_weight()))]
		pub fn reinstate_meter(
			origin: OriginFor<T>,
			meter: MeterId,
			reason: StatusReason,
		) -> DispatchResult {
			let body = T::NotifiedBodyOrigin::ensure_origin(origin)?;
			Self::do_change_status(meter, body, MeterStatus::Active, reason)
		}

		/// Revokes `meter` for `reason`, for good: its key is never accepted again, and
		/// its deposit goes back to the manufacturer.
		///
		/// Origin: a notified body. Emits `MeterStatusChanged`, `MeterDepositReleased`.
		/// Errors: `UnknownMeter`, `IllegalStatusTransition` (already `Revoked`).
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::revoke_meter().saturating_add(Pallet::<T>::frame_rules_weight()))]
		pub fn revoke_meter(
			origin: OriginFor<T>,
			meter: MeterId,
			reason: StatusReason,
		) -> DispatchResult {
			let body = T::NotifiedBodyOrigin::ensure_origin(origin)?;
			Self::do_change_status(meter, body, MeterStatus::Revoked, reason)
		}

		/// Replaces the device key of `meter` (a compromised or replaced device) with
		/// `new_key`, which must never have been used by any meter. Frames signed with
		/// the new key number their sequence afresh ([`Config::OnDeviceKeyRotated`]).
		/// The regulator replaces it at once; a notified body approves the replacement,
		/// which happens once [`Config::KeyRotationApprovals`] current bodies approved the
		/// same key (approving another key starts over).
		///
		/// Origin: the regulator or a notified body. Emits `DeviceKeyRotationApproved`
		/// (a body's approval) and `DeviceKeyRotated`.
		/// Errors: `UnknownMeter`, `MeterRevoked`, `DeviceKeyInUse`,
		/// `AlreadyApprovedRotation`.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::rotate_device_key()
			.saturating_add(
				<T::OnDeviceKeyRotated as mensura_primitives::metering::OnDeviceKeyRotated>::weight()
			)
			.saturating_add(Pallet::<T>::frame_rules_weight())
			// The pending rotation, and whether each approving body is still one.
			.saturating_add(T::DbWeight::get().reads_writes(
				1 + u64::from(T::MaxRotationApprovals::get()),
				1,
			)))]
		pub fn rotate_device_key(
			origin: OriginFor<T>,
			meter: MeterId,
			new_key: DeviceKey,
		) -> DispatchResult {
			match T::RegulatorOrigin::try_origin(origin) {
				Ok(_) => Self::do_rotate_device_key(meter, Actor::Regulator, new_key),
				Err(origin) => {
					let body = T::NotifiedBodyOrigin::ensure_origin(origin)?;
					Self::approve_rotation(meter, body, new_key)
				}
			}
		}
	}

	/// What a notified body decides about a model.
	pub(crate) enum ModelDecision {
		Approve,
		Reject(StatusReason),
		Withdraw(StatusReason),
	}
}
