//! Supply contracts: proposed by a supplier for a meter, accepted by the consumer, ended
//! by either party.

use crate::*;
use frame_support::pallet_prelude::*;
use mensura_primitives::{
	billing::{MeterBilling, OpenPeriod, PaymentMode, MAX_UTC_OFFSET, MIN_UTC_OFFSET},
	metering::{Actor, AuditChange, AuditSubject, AuditTrail, MeterId, MeterRegistry, MeterStatus},
	readings::{MeasurementLog, MeterLinks, UnixMillis},
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_propose(
		supplier: T::AccountId,
		meter: MeterId,
		consumer: T::AccountId,
		tariff: TariffId,
		payment: PaymentMode,
		utc_offset: i16,
	) -> Result<ContractId, DispatchError> {
		ensure!(LicensedSuppliers::<T>::contains_key(&supplier), Error::<T>::NotLicensedSupplier);
		ensure!(supplier != consumer, Error::<T>::SupplierIsConsumer);
		let record = Tariffs::<T>::get(tariff).ok_or(Error::<T>::UnknownTariff)?;
		ensure!(record.supplier == supplier, Error::<T>::NotTariffOwner);
		let status = T::Meters::status(meter).ok_or(Error::<T>::UnknownMeter)?;
		ensure!(status == MeterStatus::Active, Error::<T>::MeterNotActive);
		ensure!(T::Links::supply_contract(meter).is_none(), Error::<T>::MeterUnderContract);
		ensure!((MIN_UTC_OFFSET..=MAX_UTC_OFFSET).contains(&utc_offset), Error::<T>::BadUtcOffset);
		let contract = NextContractId::<T>::get();
		NextContractId::<T>::put(contract.checked_add(1).ok_or(Error::<T>::Overflow)?);
		Contracts::<T>::insert(
			contract,
			Contract {
				meter,
				supplier: supplier.clone(),
				consumer: consumer.clone(),
				tariff,
				next_tariff: None,
				offered_tariff: None,
				payment,
				utc_offset,
				status: ContractStatus::Proposed,
				start: 0,
			},
		);
		ContractsOf::<T>::insert(&supplier, contract, ());
		ContractsOf::<T>::insert(&consumer, contract, ());
		Self::deposit_event(Event::ContractProposed { contract, meter, supplier, consumer });
		Ok(contract)
	}

	/// Makes a proposed contract active from `start` (0: from the first block).
	pub(crate) fn do_accept(
		consumer: T::AccountId,
		contract: ContractId,
		start: UnixMillis,
	) -> DispatchResult {
		let mut record = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
		ensure!(record.consumer == consumer, Error::<T>::NotConsumer);
		ensure!(record.status == ContractStatus::Proposed, Error::<T>::NotProposed);
		ensure!(
			T::Meters::status(record.meter) == Some(MeterStatus::Active),
			Error::<T>::MeterNotActive
		);
		ensure!(T::Links::supply_contract(record.meter).is_none(), Error::<T>::MeterUnderContract);
		let bands = Tariffs::<T>::get(record.tariff).map_or(0, |t| t.bands.len());
		record.status = ContractStatus::Active;
		record.start = start;
		SuppliedMeters::<T>::mutate(&record.supplier, |n| *n = n.saturating_add(1));
		T::Links::set_billing(
			record.meter,
			Some(MeterBilling {
				contract,
				supplier: record.supplier.clone(),
				tariff: record.tariff,
				utc_offset: record.utc_offset,
				start,
				period: OpenPeriod::new(start, T::Readings::register(record.meter), bands),
			}),
		);
		T::Audit::record(
			AuditSubject::Meter(record.meter),
			Actor::Account(consumer),
			AuditChange::SupplyContractStarted {
				contract,
				tariff: record.tariff,
				payment: record.payment,
			},
		);
		Self::deposit_event(Event::ContractStarted { contract, meter: record.meter, start });
		Contracts::<T>::insert(contract, record);
		Ok(())
	}

	/// Ends `contract` as `who`, a party to it ([`Pallet::end_contract`]).
	pub(crate) fn do_end_contract(who: T::AccountId, contract: ContractId) -> DispatchResult {
		let record = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
		ensure!(who == record.supplier || who == record.consumer, Error::<T>::NotParty);
		Self::finish(record, contract, Actor::Account(who.clone()))?;
		Self::deposit_event(Event::ContractEnded { contract, by: who });
		Ok(())
	}

	/// Ends `contract` as an authority ([`Pallet::terminate_contract`]).
	pub(crate) fn do_terminate_contract(
		by: Actor<T::AccountId>,
		contract: ContractId,
	) -> DispatchResult {
		let record = Contracts::<T>::get(contract).ok_or(Error::<T>::UnknownContract)?;
		Self::finish(record, contract, by.clone())?;
		Self::deposit_event(Event::ContractTerminated { contract, by });
		Ok(())
	}

	/// Ends a proposed or active contract for `by`: an active one's open period is
	/// closed with its final invoice, the meter is free, and its trail says who ended it.
	fn finish(
		mut record: ContractOf<T>,
		contract: ContractId,
		by: Actor<T::AccountId>,
	) -> DispatchResult {
		match record.status {
			ContractStatus::Ended => return Err(Error::<T>::ContractNotActive.into()),
			ContractStatus::Proposed => {}
			ContractStatus::Active => {
				let now = Self::now();
				ensure!(now > 0, Error::<T>::NoTime);
				if let Some(mut billing) = Self::billing_of(&record, contract) {
					Self::activate_genesis_period(&mut billing, now);
					let to = now.max(billing.period.start);
					Self::close(&mut record, &mut billing, to, true);
					T::Links::set_billing(record.meter, None);
				}
				SuppliedMeters::<T>::mutate_exists(&record.supplier, |n| {
					*n = n.map(|n| n.saturating_sub(1)).filter(|&n| n > 0)
				});
				T::Audit::record(
					AuditSubject::Meter(record.meter),
					by,
					AuditChange::SupplyContractEnded { contract, at: now },
				);
			}
		}
		record.status = ContractStatus::Ended;
		Contracts::<T>::insert(contract, record);
		Ok(())
	}

	/// A contract of the genesis block opens its first period the first time it is
	/// touched. It keeps no start: it was in force before the chain began, so every
	/// measurement of its meter, even of time before that first touch (a gateway's
	/// frames of the minutes before the chain's first block), is its consumer's.
	pub(crate) fn activate_genesis_period(billing: &mut MeterBillingOf<T>, now: UnixMillis) {
		if billing.period.start == 0 && now > 0 {
			billing.period.start = now;
		}
	}
}
