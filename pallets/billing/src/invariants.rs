//! The pallet's invariants (see the crate documentation), checked by `try_state` and by
//! the unit tests after every change.

use crate::*;
use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use mensura_primitives::{metering::MeterId, readings::MeterLinks};

impl<T: Config> Pallet<T> {
	/// Checks the pallet's invariants (see the module documentation).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::btree_map::BTreeMap;
		let period = BillingPeriod::<T>::get();
		let mut outstanding: BTreeMap<T::AccountId, u128> = BTreeMap::new();
		let mut invoices: Vec<(InvoiceId, InvoiceOf<T>)> = Invoices::<T>::iter().collect();
		invoices.sort_by_key(|(id, _)| *id);
		let mut last_of_meter: BTreeMap<MeterId, u64> = BTreeMap::new();
		for (id, invoice) in &invoices {
			let tariff = Tariffs::<T>::get(invoice.tariff).ok_or("an invoice's tariff is gone")?;
			let (energy, standing) =
				Self::price(&tariff, &invoice.quantities, invoice.from, invoice.to, period);
			ensure!(invoice.energy == energy, "an invoice's energy is not its priced consumption");
			ensure!(invoice.standing == standing, "an invoice's standing charge is wrong");
			ensure!(
				invoice.amount == energy.saturating_add(standing),
				"an invoice's amount is not energy plus standing charge"
			);
			let sum = invoice.quantities.iter().fold(0u128, |s, q| s.saturating_add(*q));
			ensure!(
				sum == invoice.consumption(),
				"an invoice's bands differ from its register difference"
			);
			ensure!(
				invoice.paid <= invoice.amount.saturating_sub(invoice.credited),
				"an invoice is paid beyond what is invoiced"
			);
			ensure!(
				invoice.paid.saturating_add(invoice.outstanding())
					== invoice.amount.saturating_sub(invoice.credited),
				"paid + outstanding differs from invoiced"
			);
			ensure!(
				(invoice.status == InvoiceStatus::Paid) == (invoice.outstanding() == 0)
					|| invoice.status == InvoiceStatus::Disputed,
				"an invoice's status disagrees with what is left to pay"
			);
			ensure!(
				ContractInvoices::<T>::contains_key(invoice.contract, id)
					&& ConsumerInvoices::<T>::contains_key(&invoice.consumer, id),
				"an invoice is missing from its indexes"
			);
			*outstanding.entry(invoice.consumer.clone()).or_default() += invoice.outstanding();
			// No measurement billed twice: a meter's invoices cover increasing ranges.
			if let (Some(first), Some(last)) = (invoice.first, invoice.last) {
				ensure!(first <= last, "an invoice's measurements run backwards");
				if let Some(previous) = last_of_meter.get(&invoice.meter) {
					ensure!(first > *previous, "a measurement is billed twice");
				}
				last_of_meter.insert(invoice.meter, last);
				// The bands against the measurements themselves, which state does not keep,
				// are the auditor's (`mensura audit`, from the blocks' `Measured` events).
			} else {
				ensure!(invoice.measurements == 0 && sum == 0, "measurements without indexes");
			}
		}
		for (meter, last) in &last_of_meter {
			ensure!(
				LastBilled::<T>::get(meter) == Some(*last),
				"LastBilled is not the last billed"
			);
		}
		for (consumer, owed) in Outstanding::<T>::iter() {
			ensure!(
				outstanding.get(&consumer).copied().unwrap_or(0) == owed,
				"a consumer's outstanding total differs from its invoices"
			);
		}
		for (consumer, owed) in &outstanding {
			ensure!(Outstanding::<T>::get(consumer) == *owed, "an outstanding total is missing");
		}
		let mut supplied = alloc::collections::btree_map::BTreeMap::new();
		for (contract, record) in Contracts::<T>::iter() {
			let meter = record.meter;
			let billing = T::Links::billing(meter).filter(|b| b.contract == contract);
			if record.status != ContractStatus::Active {
				ensure!(billing.is_none(), "a meter's record names a contract that is not active");
				continue;
			}
			let Some(billing) = billing else {
				return Err("an active contract is not its meter's supply contract".into());
			};
			// The record's copies are the contract's.
			ensure!(
				billing.supplier == record.supplier
					&& billing.tariff == record.tariff
					&& billing.utc_offset == record.utc_offset
					&& billing.start == record.start,
				"a meter's record disagrees with its contract"
			);
			let bands = Tariffs::<T>::get(record.tariff).map_or(0, |t| t.bands.len());
			ensure!(
				billing.period.quantities.len() == bands,
				"an open period's bands are not its tariff's"
			);
			*supplied.entry(record.supplier.clone()).or_insert(0u32) += 1;
			// The open period continues where the last invoice ended.
			if let (Some(first), Some(billed)) = (billing.period.first, LastBilled::<T>::get(meter))
			{
				ensure!(first > billed, "an open period holds a billed measurement");
			}
		}
		for (supplier, count) in SuppliedMeters::<T>::iter() {
			ensure!(
				supplied.get(&supplier) == Some(&count),
				"a supplier's supplied meters differ from its active contracts"
			);
		}
		ensure!(
			supplied.len() == SuppliedMeters::<T>::iter().count(),
			"a supplier with active contracts has no count"
		);
		// What a consumer has on hold for disputes is the deposits of its disputes that
		// still wait for a notified body.
		let mut waiting: BTreeMap<T::AccountId, u128> = BTreeMap::new();
		for (id, dispute) in Disputes::<T>::iter() {
			let invoice = Invoices::<T>::get(id).ok_or("a dispute of no invoice")?;
			ensure!(
				dispute.resolution.is_none() == (invoice.status == InvoiceStatus::Disputed)
					|| dispute.lapsed,
				"a dispute and its invoice disagree on whether it waits"
			);
			if dispute.resolution.is_none() && !dispute.lapsed {
				*waiting.entry(invoice.consumer).or_insert(0) += dispute.deposit;
			}
		}
		for (consumer, held) in &waiting {
			use frame_support::traits::fungible::InspectHold;
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::DisputeDeposit.into(), consumer) == *held,
				"a consumer's dispute deposits differ from its waiting disputes"
			);
		}
		Ok(())
	}
}
