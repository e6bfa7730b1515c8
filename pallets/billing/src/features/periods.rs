//! Billing periods: the chain's time, the end of a contract's open period, and closing
//! a period into an invoice.

use crate::*;
use frame_support::{pallet_prelude::*, traits::UnixTime};
use mensura_primitives::{
	billing::{last_boundary, next_boundary, PaymentMode},
	readings::{MeterLinks, UnixMillis},
};

impl<T: Config> Pallet<T> {
	/// The chain's time in Unix milliseconds (0 before the first block).
	pub fn now() -> UnixMillis {
		T::Time::now().as_millis().min(u64::MAX.into()) as u64
	}

	/// The end of an open period.
	pub fn period_end(billing: &MeterBillingOf<T>) -> UnixMillis {
		next_boundary(billing.period.start, BillingPeriod::<T>::get())
	}

	/// The open period of an active contract, as its meter's reading record holds it.
	pub fn open_period(contract: ContractId) -> Option<OpenPeriod> {
		let record = Contracts::<T>::get(contract)?;
		if record.status != ContractStatus::Active {
			return None;
		}
		T::Links::billing(record.meter).filter(|b| b.contract == contract).map(|b| b.period)
	}

	/// The meter's billing record of an active contract: what its meter's reading
	/// record holds of it. `None` (defensively reported) if the record names another.
	pub(crate) fn billing_of(
		record: &ContractOf<T>,
		contract: ContractId,
	) -> Option<MeterBillingOf<T>> {
		let billing = T::Links::billing(record.meter).filter(|b| b.contract == contract);
		if billing.is_none() {
			frame_support::defensive!("an active contract is not in its meter's record");
		}
		billing
	}

	/// Closes `contract`'s period if it is over at `now`; true if it closed one.
	pub(crate) fn close_if_due(contract: ContractId, now: UnixMillis) -> bool {
		let Some(mut record) = Contracts::<T>::get(contract) else { return false };
		if record.status != ContractStatus::Active || now == 0 {
			return false;
		}
		let Some(mut billing) = Self::billing_of(&record, contract) else { return false };
		if billing.period.start == 0 {
			Self::activate_genesis_period(&mut billing, now);
			T::Links::set_billing(record.meter, Some(billing));
			return false;
		}
		if Self::period_end(&billing) > now {
			return false;
		}
		Self::close(
			&mut record,
			&mut billing,
			last_boundary(now, BillingPeriod::<T>::get()),
			false,
		);
		T::Links::set_billing(record.meter, Some(billing));
		Contracts::<T>::insert(contract, record);
		true
	}

	/// Prices the open period (`billing`, of the contract `record`) up to `to` into an
	/// invoice, settles it from the prepaid balance of a prepaid contract, and opens the
	/// next period at `to` (with the next tariff, if the consumer accepted one). The
	/// caller stores `record` and `billing`.
	pub(crate) fn close(
		record: &mut ContractOf<T>,
		billing: &mut MeterBillingOf<T>,
		to: UnixMillis,
		closing: bool,
	) -> InvoiceId {
		let contract = billing.contract;
		let period = BillingPeriod::<T>::get();
		let tariff = Tariffs::<T>::get(record.tariff);
		let (energy, standing) = match &tariff {
			Some(tariff) => {
				Self::price(tariff, &billing.period.quantities, billing.period.start, to, period)
			}
			None => {
				frame_support::defensive!("a contract's tariff is gone");
				(0, 0)
			}
		};
		let amount = energy.saturating_add(standing);
		let now = Self::now();
		let due = match record.payment {
			PaymentMode::Postpaid => now.saturating_add(T::PaymentTerm::get()),
			PaymentMode::Prepaid => now,
		};
		let open = core::mem::replace(&mut billing.period, OpenPeriod::new(to, 0, 0));
		let register_to = open.register_start.saturating_add(open.consumption());
		let invoice_id = NextInvoiceId::<T>::get();
		NextInvoiceId::<T>::put(invoice_id.saturating_add(1));
		let mut invoice = Invoice {
			contract,
			meter: record.meter,
			supplier: record.supplier.clone(),
			consumer: record.consumer.clone(),
			tariff: record.tariff,
			from: open.start,
			to,
			register_from: open.register_start,
			register_to,
			quantities: BoundedVec::truncate_from(open.quantities.into_inner()),
			measurements: open.measurements,
			first: open.first,
			last: open.last,
			energy,
			standing,
			amount,
			credited: 0,
			paid: 0,
			issued: now,
			due,
			status: if amount == 0 { InvoiceStatus::Paid } else { InvoiceStatus::Open },
			closing,
		};
		if let Some(last) = open.last {
			LastBilled::<T>::insert(record.meter, last);
		}
		Outstanding::<T>::mutate(&record.consumer, |o| *o = o.saturating_add(amount));
		ContractInvoices::<T>::insert(contract, invoice_id, ());
		ConsumerInvoices::<T>::insert(&record.consumer, invoice_id, ());
		Self::deposit_event(Event::InvoiceIssued {
			invoice: invoice_id,
			contract,
			consumer: record.consumer.clone(),
			amount,
			from: open.start,
			to,
			due,
		});
		if record.payment == PaymentMode::Prepaid && amount > 0 {
			Self::settle_prepaid(invoice_id, &mut invoice, contract);
		}
		Invoices::<T>::insert(invoice_id, invoice);

		// The next period, priced by the next tariff if there is one.
		if let Some(next) = record.next_tariff.take() {
			record.tariff = next;
		}
		billing.tariff = record.tariff;
		let bands = Tariffs::<T>::get(record.tariff).map_or(0, |t| t.bands.len());
		billing.period = OpenPeriod::new(to, register_to, bands);
		invoice_id
	}
}
