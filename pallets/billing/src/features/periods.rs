//! Billing periods: the chain's time, the end of a contract's open period, and closing
//! a period into an invoice.

use crate::*;
use frame_support::{pallet_prelude::*, traits::UnixTime};
use mensura_primitives::{
	billing::{last_boundary, next_boundary, PaymentMode},
	readings::UnixMillis,
};

impl<T: Config> Pallet<T> {
	/// The chain's time in Unix milliseconds (0 before the first block).
	pub fn now() -> UnixMillis {
		T::Time::now().as_millis().min(u64::MAX.into()) as u64
	}

	/// The end of a contract's open period.
	pub fn period_end(record: &ContractOf<T>) -> UnixMillis {
		next_boundary(record.period.start, BillingPeriod::<T>::get())
	}

	/// Closes `contract`'s period if it is over at `now`; true if it closed one.
	pub(crate) fn close_if_due(contract: ContractId, now: UnixMillis) -> bool {
		let Some(mut record) = Contracts::<T>::get(contract) else { return false };
		if record.status != ContractStatus::Active || now == 0 {
			return false;
		}
		if record.period.start == 0 {
			Self::activate_genesis_contract(&mut record, now);
			Contracts::<T>::insert(contract, record);
			return false;
		}
		if Self::period_end(&record) > now {
			return false;
		}
		Self::close(contract, &mut record, last_boundary(now, BillingPeriod::<T>::get()), false);
		Contracts::<T>::insert(contract, record);
		true
	}

	/// Prices the open period of `record` up to `to` into an invoice, settles it from
	/// the prepaid balance of a prepaid contract, and opens the next period at `to`
	/// (with the next tariff, if the supplier changed it). The caller stores `record`.
	pub(crate) fn close(
		contract: ContractId,
		record: &mut ContractOf<T>,
		to: UnixMillis,
		closing: bool,
	) -> InvoiceId {
		let period = BillingPeriod::<T>::get();
		let tariff = Tariffs::<T>::get(record.tariff);
		let (energy, standing) = match &tariff {
			Some(tariff) => {
				Self::price(tariff, &record.period.quantities, record.period.start, to, period)
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
		let open = core::mem::replace(&mut record.period, OpenPeriod::new(to, 0, 0));
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
			quantities: open.quantities,
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
		let bands = Tariffs::<T>::get(record.tariff).map_or(0, |t| t.bands.len());
		record.period = OpenPeriod::new(to, register_to, bands);
		invoice_id
	}
}
