//! Storage migrations of the billing pallet.

/// Version 3: an active contract's open billing period moves from the contract
/// (`Billing::Contracts`) into its meter's reading record, with copies of the contract's
/// supplier, tariff, UTC offset and start ([`mensura_primitives::billing::MeterBilling`]),
/// where a stored frame bills its measurement without reading or writing the contract.
/// Every contract is rewritten without its period; each active one's period is written
/// into its meter's record. Runs after the readings pallet's own version 5, which gives
/// the records the field. Version 2 (runtimes 111 to 113) is the layout it reads.
pub mod v3 {
	use crate::{Config, ContractStatus, Contracts, Pallet, TariffId};
	use codec::{Decode, Encode};
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
		BoundedVec,
	};
	use mensura_primitives::{
		billing::{MeterBilling, OpenPeriod, PaymentMode},
		metering::MeterId,
		readings::{MeasurementIndex, MeterLinks, UnixMillis},
	};

	/// An open period as version 2 kept it in the contract (its quantities bounded by
	/// the runtime's `MaxBands`, at most [`mensura_primitives::billing::MAX_BANDS`]).
	#[derive(Encode, Decode)]
	pub struct OpenPeriodV2 {
		pub start: UnixMillis,
		pub register_start: u128,
		pub quantities: alloc::vec::Vec<u128>,
		pub measurements: u32,
		pub first: Option<MeasurementIndex>,
		pub last: Option<MeasurementIndex>,
	}

	/// A contract as version 2 stored it, with its open period.
	#[derive(Encode, Decode)]
	pub struct ContractV2<AccountId> {
		pub meter: MeterId,
		pub supplier: AccountId,
		pub consumer: AccountId,
		pub tariff: TariffId,
		pub next_tariff: Option<TariffId>,
		pub offered_tariff: Option<TariffId>,
		pub payment: PaymentMode,
		pub utc_offset: i16,
		pub status: ContractStatus,
		pub start: UnixMillis,
		pub period: OpenPeriodV2,
	}

	/// Rewrites every contract without its period and moves each active contract's period
	/// into its meter's reading record, in the upgrade's block (a read and a write of
	/// each contract, and of the record of each active one; single-block, as the readings
	/// pallet's).
	pub struct MovePeriodsToMeters<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MovePeriodsToMeters<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut contracts, mut active) = (0u64, 0u64);
			Contracts::<T>::translate::<ContractV2<T::AccountId>, _>(|contract, old| {
				contracts += 1;
				if old.status == ContractStatus::Active {
					active += 1;
					let period = OpenPeriod {
						start: old.period.start,
						register_start: old.period.register_start,
						quantities: BoundedVec::truncate_from(old.period.quantities),
						measurements: old.period.measurements,
						first: old.period.first,
						last: old.period.last,
					};
					T::Links::set_billing(
						old.meter,
						Some(MeterBilling {
							contract,
							supplier: old.supplier.clone(),
							tariff: old.tariff,
							utc_offset: old.utc_offset,
							start: old.start,
							period,
						}),
					);
				}
				Some(crate::Contract {
					meter: old.meter,
					supplier: old.supplier,
					consumer: old.consumer,
					tariff: old.tariff,
					next_tariff: old.next_tariff,
					offered_tariff: old.offered_tariff,
					payment: old.payment,
					utc_offset: old.utc_offset,
					status: old.status,
					start: old.start,
				})
			});
			T::DbWeight::get().reads_writes(contracts + active, contracts + active)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok((Contracts::<T>::iter_keys().count() as u64).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "pre_upgrade's count")?;
			frame_support::ensure!(
				Contracts::<T>::iter_values().count() as u64 == before,
				"a contract was lost or does not decode"
			);
			Pallet::<T>::do_try_state()
		}
	}

	/// [`MovePeriodsToMeters`], run once: from storage version 2 to 3.
	pub type MigrateToV3<T> = VersionedMigration<
		2,
		3,
		MovePeriodsToMeters<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
