//! Settlement: paying invoices, prepaid balances held from the consumer's balance and
//! the prepaid invoices settled from them, and invoices as clients read them.

use crate::*;
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{InspectHold, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
	},
};

impl<T: Config> Pallet<T> {
	/// A consumer's prepaid balance (held).
	pub fn prepaid_of(consumer: &T::AccountId) -> u128 {
		T::Currency::balance_on_hold(&HoldReason::PrepaidBalance.into(), consumer)
	}

	/// `payer` pays what is left of `invoice` ([`Pallet::pay_invoice`]).
	pub(crate) fn do_pay_invoice(payer: T::AccountId, invoice: InvoiceId) -> DispatchResult {
		let mut record = Invoices::<T>::get(invoice).ok_or(Error::<T>::UnknownInvoice)?;
		ensure!(record.status != InvoiceStatus::Disputed, Error::<T>::UnderDispute);
		let amount = record.outstanding();
		ensure!(record.status == InvoiceStatus::Open && amount > 0, Error::<T>::AlreadyPaid);
		T::Currency::transfer(&payer, &record.supplier, amount, Preservation::Preserve)?;
		record.paid = record.paid.saturating_add(amount);
		record.status = InvoiceStatus::Paid;
		Outstanding::<T>::mutate(&record.consumer, |o| *o = o.saturating_sub(amount));
		Invoices::<T>::insert(invoice, record);
		Self::deposit_event(Event::InvoicePaid { invoice, payer, amount, outstanding: 0 });
		Ok(())
	}

	/// Holds `amount` more as `consumer`'s prepaid balance ([`Pallet::top_up_prepaid`]).
	pub(crate) fn do_top_up_prepaid(consumer: T::AccountId, amount: u128) -> DispatchResult {
		ensure!(amount > 0, Error::<T>::ZeroAmount);
		Self::prepaid_of(&consumer).checked_add(amount).ok_or(Error::<T>::Overflow)?;
		T::Currency::hold(&HoldReason::PrepaidBalance.into(), &consumer, amount)?;
		let balance = Self::prepaid_of(&consumer);
		Self::deposit_event(Event::PrepaidToppedUp { consumer, amount, balance });
		Ok(())
	}

	/// Releases `amount` of `consumer`'s prepaid balance ([`Pallet::withdraw_prepaid`]).
	pub(crate) fn do_withdraw_prepaid(consumer: T::AccountId, amount: u128) -> DispatchResult {
		ensure!(amount > 0, Error::<T>::ZeroAmount);
		ensure!(Self::prepaid_of(&consumer) >= amount, Error::<T>::InsufficientPrepaidBalance);
		T::Currency::release(
			&HoldReason::PrepaidBalance.into(),
			&consumer,
			amount,
			Precision::Exact,
		)?;
		let balance = Self::prepaid_of(&consumer);
		Self::deposit_event(Event::PrepaidWithdrawn { consumer, amount, balance });
		Ok(())
	}

	/// Settles a prepaid invoice from the consumer's prepaid balance, as far as it
	/// goes; tells the consumer when the balance is short or below this invoice's
	/// amount (the next one is likely alike).
	pub(crate) fn settle_prepaid(id: InvoiceId, invoice: &mut InvoiceOf<T>, contract: ContractId) {
		let amount = invoice.outstanding();
		let take = amount.min(Self::prepaid_of(&invoice.consumer));
		if take > 0
			&& T::Currency::transfer_on_hold(
				&HoldReason::PrepaidBalance.into(),
				&invoice.consumer,
				&invoice.supplier,
				take,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Polite,
			)
			.is_ok()
		{
			invoice.paid = invoice.paid.saturating_add(take);
			Outstanding::<T>::mutate(&invoice.consumer, |o| *o = o.saturating_sub(take));
			if invoice.outstanding() == 0 {
				invoice.status = InvoiceStatus::Paid;
			}
			Self::deposit_event(Event::InvoicePaid {
				invoice: id,
				payer: invoice.consumer.clone(),
				amount: take,
				outstanding: invoice.outstanding(),
			});
		}
		let balance = Self::prepaid_of(&invoice.consumer);
		if invoice.outstanding() > 0 || balance < invoice.amount {
			Self::deposit_event(Event::PrepaidBalanceLow {
				contract,
				consumer: invoice.consumer.clone(),
				balance,
			});
		}
	}

	/// The invoice with what is left to pay and whether it is overdue now.
	pub fn invoice_view(id: InvoiceId) -> Option<InvoiceViewOf<T>> {
		let invoice = Invoices::<T>::get(id)?;
		let outstanding = invoice.outstanding();
		let overdue = outstanding > 0 && Self::now() > invoice.due;
		Some(InvoiceView { invoice, outstanding, overdue })
	}

	/// Up to `limit` invoices from `ids`, from id `from` on, in id order.
	pub fn page_of_invoices(
		ids: impl Iterator<Item = InvoiceId>,
		from: InvoiceId,
		limit: u32,
	) -> Vec<(InvoiceId, InvoiceViewOf<T>)> {
		let mut ids: Vec<InvoiceId> = ids.filter(|id| *id >= from).collect();
		ids.sort_unstable();
		ids.into_iter()
			.take(limit as usize)
			.filter_map(|id| Self::invoice_view(id).map(|v| (id, v)))
			.collect()
	}
}
