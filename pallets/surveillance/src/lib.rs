//! # Surveillance: check meters as counter-proof
//!
//! ## Overview
//!
//! Anyone — a notified body, a consumer group, a supplier — may register a **check
//! meter** as the counter-proof of another meter: a verified, active meter of the same
//! kind and unit at the **same supply point** (installed in series with it), for a
//! deposit held while the pairing lasts. Exposed in the runtime as `Surveillance`.
//!
//! The registrant chooses the pair's comparison window, between
//! [`Config::MinComparisonWindow`] and [`Config::MaxComparisonWindow`] (an hour, a
//! day). From the next window boundary on (windows are aligned to the Unix epoch), every measurement either meter stores is
//! added to the pair's open windows, pro rata of the time its interval overlaps each.
//! Where a measurement crosses a window's edge, the load may have run in either part:
//! its whole quantity widens that window's tolerance (`straddling`), so two meters whose
//! frames are not aligned never differ by misattribution; a pair whose frames cross
//! window edges is checked more tightly the longer its windows are.
//! A window is compared once **both** meters have measured past its end: if the checked
//! meter's quantity `measured` and the check meter's `counter` differ by more than
//!
//! `allowed = ⌈(MPE of the meter + MPE of the check meter) × counter⌉ + 2 × (both register steps) + straddling`
//!
//! (each meter may be off by its maximum permissible error, and each register reading at
//! either end of the window by one step), the chain emits `DiscrepancyFound`, appends a
//! `DiscrepancyFound` entry to the meter's audit trail and puts the meter **under
//! inspection** ([`Inspections`]). A notified body then either clears it
//! ([`Pallet::clear_inspection`]) or suspends the meter ([`Pallet::suspend_meter`]).
//! The meter keeps measuring while under inspection: only a notified body decides.
//!
//! A meter that stops reporting leaves its windows open; after
//! [`Config::MaxOpenWindows`] of them the oldest is given up (`ComparisonAbandoned`)
//! rather than compared against nothing: a silent meter is a fact for the auditor
//! (`missed_frames`, `mensura audit`), not proof of a wrong measurement. A meter that
//! drops frames while its check meter reports is caught: its windows come up short.
//!
//! ## Bounded work
//!
//! A measurement of a meter in no pair costs one storage read. A measurement of a paired
//! meter adds its quantity to at most [`Config::MaxOpenWindows`] windows and compares at
//! most **one** window: the pair's backlog drains with the following measurements (four
//! 15-minute frames per side and hourly window). Frames declare that worst case.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
mod impl_traits;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use mensura_primitives::{metering::MeterId, readings::UnixMillis};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Mutate, MutateHold},
			tokens::Precision,
			UnixTime,
		},
	};
	use frame_system::pallet_prelude::*;
	use mensura_primitives::{
		billing::SupplyContracts,
		metering::{
			Actor, AuditChange, AuditSubject, AuditTrail, MeterRegistry, MeterSuspension,
			NotifiedBodies, StatusReason,
		},
		readings::MeterLinks,
	};

	/// A pair as stored.
	pub type CheckPairOf<T> = CheckPair<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BoundedVec<WindowTotals, <T as Config>::MaxOpenWindows>,
	>;

	/// A role as stored.
	pub type RoleOf<T> = Role<CheckPairOf<T>>;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency of deposits.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The chain's time, to start a new pair at the next window.
		type Time: UnixTime;

		/// The meter registry.
		type Meters: MeterRegistry;

		/// The meters' reading records, which say whether surveillance follows a meter:
		/// a stored frame of a meter in no check pair then costs surveillance nothing.
		type Links: MeterLinks<Self::AccountId>;

		/// The audit trails.
		type Audit: AuditTrail<Self::AccountId>;

		/// Suspends a meter a notified body found wrong.
		type Suspension: MeterSuspension<Self::AccountId>;

		/// Who inspects a meter under inspection: a notified body.
		type InspectorOrigin: EnsureOrigin<Self::RuntimeOrigin, Success = Self::AccountId>;

		/// The notified bodies and which of them verified each meter: the verifying body
		/// may pair a check meter with the meter it verified.
		type Bodies: NotifiedBodies<Self::AccountId>;

		/// The supply contracts: the consumer and the supplier of a meter's active
		/// contract may pair a check meter with it.
		type Contracts: SupplyContracts<Self::AccountId>;

		/// The deposit held for each check meter registered.
		#[pallet::constant]
		type CheckDeposit: Get<BalanceOf<Self>>;

		/// The shortest comparison window a pair may choose, in milliseconds.
		#[pallet::constant]
		type MinComparisonWindow: Get<u64>;

		/// The longest comparison window a pair may choose, in milliseconds.
		#[pallet::constant]
		type MaxComparisonWindow: Get<u64>;

		/// Windows a pair keeps open while one of its meters lags behind.
		#[pallet::constant]
		type MaxOpenWindows: Get<u32>;

		/// Weights of this pallet's calls and of the per-measurement comparison.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit for a registered check meter.
		CheckMeterDeposit,
	}

	/// The meters in surveillance, by meter: the checked ones with their pair, the check
	/// meters with the meter they check. A meter has one role at most.
	#[pallet::storage]
	pub type Surveilled<T: Config> = StorageMap<_, Blake2_128Concat, MeterId, RoleOf<T>>;

	/// Meters under inspection, and why.
	#[pallet::storage]
	pub type Inspections<T: Config> =
		StorageMap<_, Blake2_128Concat, MeterId, Inspection<BlockNumberFor<T>>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Check meters from the start: `(meter, check meter, owner, window)`; the
		/// owner's deposit is held.
		pub check_meters: Vec<(MeterId, MeterId, T::AccountId, u64)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (meter, check, owner, window) in &self.check_meters {
				Pallet::<T>::register(owner.clone(), *meter, *check, *window)
					.expect("genesis: a check meter pair must be valid");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `owner` registered `check` as the counter-proof of `meter`, comparing windows
		/// of `window` milliseconds from `since` on.
		CheckMeterRegistered {
			meter: MeterId,
			check: MeterId,
			owner: T::AccountId,
			deposit: BalanceOf<T>,
			window: u64,
			since: UnixMillis,
		},
		/// The counter-proof of `meter` by `check` ended; the deposit went back to `owner`.
		CheckMeterRemoved { meter: MeterId, check: MeterId, owner: T::AccountId },
		/// A window of `meter` and its check meter was compared and agreed.
		WindowCompared {
			meter: MeterId,
			check: MeterId,
			start: UnixMillis,
			end: UnixMillis,
			measured: u128,
			counter: u128,
		},
		/// A window of `meter` and its check meter differs by more than `allowed`.
		DiscrepancyFound {
			meter: MeterId,
			check: MeterId,
			start: UnixMillis,
			end: UnixMillis,
			measured: u128,
			counter: u128,
			allowed: u128,
		},
		/// `meter` is under inspection: a notified body clears or suspends it.
		UnderInspection { meter: MeterId, check: MeterId },
		/// A window was given up uncompared: one of the meters did not measure past it
		/// while [`Config::MaxOpenWindows`] later windows opened.
		ComparisonAbandoned {
			meter: MeterId,
			check: MeterId,
			start: UnixMillis,
			measured: u128,
			counter: u128,
		},
		/// A notified body inspected `meter` and cleared it.
		InspectionCleared { meter: MeterId, body: T::AccountId },
		/// A notified body inspected `meter` and suspended it.
		SuspendedAfterInspection { meter: MeterId, body: T::AccountId, reason: StatusReason },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No such meter.
		UnknownMeter,
		/// The meter (or the check meter) is not active.
		MeterNotActive,
		/// A meter cannot check itself.
		SameMeter,
		/// The check meter is not verified at the meter's supply point.
		DifferentSupplyPoint,
		/// The two meters measure different quantities or units.
		IncompatibleModels,
		/// The meter already has a check meter.
		AlreadyChecked,
		/// The meter is itself a check meter; it cannot be checked too.
		MeterIsACheckMeter,
		/// The check meter already checks a meter, or is checked itself.
		CheckMeterInUse,
		/// The meter has no check meter.
		NotChecked,
		/// Only the owner of the pair or a notified body may remove it.
		NotOwner,
		/// The meter is not under inspection.
		NotUnderInspection,
		/// The comparison window is shorter or longer than the chain allows.
		WindowOutOfRange,
		/// Only the consumer or the supplier of the meter's active supply contract, or
		/// the notified body that verified the meter, may give it a check meter.
		NoStakeInMeter,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MinComparisonWindow::get() > 0, "a comparison window must have a length");
			assert!(T::MinComparisonWindow::get() <= T::MaxComparisonWindow::get());
			assert!(T::MaxOpenWindows::get() > 0, "a pair must keep at least one window open");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the meter `check` as the counter-proof of `meter`, compared over
		/// windows of `window` milliseconds. Both must be active meters of the same kind
		/// and unit, verified at the same supply point, and in no other pair.
		/// [`Config::CheckDeposit`] is held from the caller until the pair is removed.
		/// Windows are compared from the next window boundary on.
		///
		/// A pairing can put `meter` under inspection, so only a party with a stake in it
		/// may ask for one: the consumer or the supplier of its active supply contract,
		/// or the notified body that verified it.
		///
		/// Origin: that party. Emits `CheckMeterRegistered`.
		/// Errors: `NoStakeInMeter`, `UnknownMeter`, `SameMeter`, `MeterNotActive`, `DifferentSupplyPoint`,
		/// `IncompatibleModels`, `AlreadyChecked`, `MeterIsACheckMeter`,
		/// `CheckMeterInUse`, `WindowOutOfRange`, or the currency's error if the deposit
		/// cannot be held.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_check_meter())]
		pub fn register_check_meter(
			origin: OriginFor<T>,
			meter: MeterId,
			check: MeterId,
			window: u64,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::register(owner, meter, check, window)
		}

		/// Ends the counter-proof of `meter` and returns the deposit to the pair's owner.
		/// An inspection it raised stays until a notified body resolves it.
		///
		/// Origin: the pair's owner or a notified body. Emits `CheckMeterRemoved`.
		/// Errors: `NotChecked`, `NotOwner`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_check_meter())]
		pub fn remove_check_meter(origin: OriginFor<T>, meter: MeterId) -> DispatchResult {
			let (who, inspector) = match T::InspectorOrigin::try_origin(origin) {
				Ok(body) => (body, true),
				Err(origin) => (ensure_signed(origin)?, false),
			};
			let Some(Role::Checked(pair)) = Surveilled::<T>::get(meter) else {
				return Err(Error::<T>::NotChecked.into());
			};
			ensure!(inspector || pair.owner == who, Error::<T>::NotOwner);
			Surveilled::<T>::remove(meter);
			Surveilled::<T>::remove(pair.check);
			T::Links::set_surveilled(meter, false);
			T::Links::set_surveilled(pair.check, false);
			T::Currency::release(
				&HoldReason::CheckMeterDeposit.into(),
				&pair.owner,
				pair.deposit,
				Precision::BestEffort,
			)?;
			T::Audit::record(
				AuditSubject::Meter(meter),
				Actor::Account(who),
				AuditChange::CheckMeterRemoved { check: pair.check },
			);
			Self::deposit_event(Event::CheckMeterRemoved {
				meter,
				check: pair.check,
				owner: pair.owner,
			});
			Ok(())
		}

		/// Clears `meter` of its inspection: a notified body found it measures correctly.
		///
		/// Origin: a notified body. Emits `InspectionCleared`. Errors: `NotUnderInspection`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::clear_inspection())]
		pub fn clear_inspection(origin: OriginFor<T>, meter: MeterId) -> DispatchResult {
			let body = T::InspectorOrigin::ensure_origin(origin)?;
			ensure!(Inspections::<T>::take(meter).is_some(), Error::<T>::NotUnderInspection);
			T::Audit::record(
				AuditSubject::Meter(meter),
				Actor::Account(body.clone()),
				AuditChange::InspectionCleared,
			);
			Self::deposit_event(Event::InspectionCleared { meter, body });
			Ok(())
		}

		/// Ends the inspection of `meter` by suspending it for `reason`, as the meter
		/// registry's `suspend_meter` does: it may not measure until reinstated.
		///
		/// Origin: a notified body. Emits `SuspendedAfterInspection` (and the registry's
		/// `MeterStatusChanged`). Errors: `NotUnderInspection`, or the registry's
		/// (`IllegalStatusTransition` when the meter is not active).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::suspend_meter().saturating_add(T::Suspension::notification_weight()))]
		pub fn suspend_meter(
			origin: OriginFor<T>,
			meter: MeterId,
			reason: StatusReason,
		) -> DispatchResult {
			let body = T::InspectorOrigin::ensure_origin(origin)?;
			ensure!(Inspections::<T>::contains_key(meter), Error::<T>::NotUnderInspection);
			T::Suspension::suspend(meter, body.clone(), reason)?;
			Inspections::<T>::remove(meter);
			Self::deposit_event(Event::SuspendedAfterInspection { meter, body, reason });
			Ok(())
		}
	}
}
