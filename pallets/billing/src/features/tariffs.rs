//! Tariffs: created by suppliers, never changed; a contract moves to another one from
//! its next billing period on. Pricing a period with a tariff.

use crate::*;
use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use mensura_primitives::{
	billing::{check_bands, next_boundary, TariffBand},
	metering::{Actor, AuditChange, AuditSubject, AuditTrail},
	readings::{MeterLinks, UnixMillis},
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_tariff(
		supplier: T::AccountId,
		name: Vec<u8>,
		bands: Vec<TariffBand<u128>>,
		standing_charge: u128,
	) -> Result<TariffId, DispatchError> {
		check_bands(&bands).map_err(Error::<T>::from)?;
		let bands: BoundedVec<_, T::MaxBands> =
			bands.try_into().map_err(|_| Error::<T>::TooManyBands)?;
		let name: BoundedVec<_, T::MaxNameLen> =
			name.try_into().map_err(|_| Error::<T>::NameTooLong)?;
		let tariff = NextTariffId::<T>::get();
		NextTariffId::<T>::put(tariff.checked_add(1).ok_or(Error::<T>::Overflow)?);
		Tariffs::<T>::insert(
			tariff,
			Tariff { supplier: supplier.clone(), name, bands, standing_charge },
		);
		Self::deposit_event(Event::TariffCreated { tariff, supplier });
		Ok(tariff)
	}

	/// Moves `contract` to `tariff` from its next period on ([`Pallet::change_tariff`]).
	pub(crate) fn do_change_tariff(
		supplier: T::AccountId,
		contract: ContractId,
		tariff: TariffId,
	) -> DispatchResult {
		let mut record = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
		ensure!(record.supplier == supplier, Error::<T>::NotSupplier);
		ensure!(record.status == ContractStatus::Active, Error::<T>::ContractNotActive);
		let owner = Tariffs::<T>::get(tariff).ok_or(Error::<T>::UnknownTariff)?.supplier;
		ensure!(owner == supplier, Error::<T>::NotTariffOwner);
		record.offered_tariff = Some(tariff);
		Contracts::<T>::insert(contract, &record);
		Self::deposit_event(Event::TariffOffered { contract, tariff });
		Ok(())
	}

	/// The consumer accepts the tariff its supplier offered: it prices the contract
	/// from the next billing period on ([`Pallet::accept_tariff`]).
	pub(crate) fn do_accept_tariff(consumer: T::AccountId, contract: ContractId) -> DispatchResult {
		let mut record = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
		ensure!(record.consumer == consumer, Error::<T>::NotConsumer);
		ensure!(record.status == ContractStatus::Active, Error::<T>::ContractNotActive);
		let tariff = record.offered_tariff.take().ok_or(Error::<T>::NoTariffOffered)?;
		ensure!(Tariffs::<T>::contains_key(tariff), Error::<T>::UnknownTariff);
		let now = Self::now();
		let mut period_start = 0;
		if let Some(mut billing) = Self::billing_of(&record, contract) {
			if billing.period.start == 0 && now > 0 {
				Self::activate_genesis_period(&mut billing, now);
				T::Links::set_billing(record.meter, Some(billing.clone()));
			}
			period_start = billing.period.start;
		}
		let from = next_boundary(period_start, BillingPeriod::<T>::get());
		record.next_tariff = Some(tariff);
		Contracts::<T>::insert(contract, &record);
		T::Audit::record(
			AuditSubject::Meter(record.meter),
			Actor::Account(consumer),
			AuditChange::TariffChanged { contract, tariff, from },
		);
		Self::deposit_event(Event::TariffChanged { contract, tariff, from });
		Ok(())
	}

	/// The priced consumption and the prorated standing charge of a period
	/// `[from, to)` with `quantities` per band ([`mensura_primitives::billing::price`],
	/// which the auditor checks invoices with).
	pub fn price(
		tariff: &TariffOf<T>,
		quantities: &[u128],
		from: UnixMillis,
		to: UnixMillis,
		period: u64,
	) -> (u128, u128) {
		mensura_primitives::billing::price(
			&tariff.bands,
			tariff.standing_charge,
			quantities,
			from,
			to,
			period,
		)
	}
}
