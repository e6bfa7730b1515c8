//! Disputes: a consumer contests an invoice within the dispute window; a notified body
//! upholds it or corrects it with a credit note.

use crate::*;
use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation, Restriction},
	},
};
use mensura_primitives::metering::{Actor, AuditChange, AuditSubject, AuditTrail};

impl<T: Config> Pallet<T> {
	/// `consumer` disputes `invoice` ([`Pallet::dispute_invoice`]).
	pub(crate) fn do_dispute_invoice(
		consumer: T::AccountId,
		invoice: InvoiceId,
		reason: Vec<u8>,
	) -> DispatchResult {
		let mut record = Invoices::<T>::get(invoice).ok_or(Error::<T>::UnknownInvoice)?;
		ensure!(record.consumer == consumer, Error::<T>::NotConsumer);
		let now = Self::now();
		ensure!(
			now <= record.issued.saturating_add(T::DisputeWindow::get()),
			Error::<T>::DisputeWindowClosed
		);
		ensure!(!Disputes::<T>::contains_key(invoice), Error::<T>::AlreadyDisputed);
		let reason: BoundedVec<u8, T::MaxReasonLen> =
			reason.try_into().map_err(|_| Error::<T>::ReasonTooLong)?;
		let deposit = T::DisputeDeposit::get();
		T::Currency::hold(&HoldReason::DisputeDeposit.into(), &consumer, deposit)?;
		record.status = InvoiceStatus::Disputed;
		Disputes::<T>::insert(
			invoice,
			Dispute { reason, raised: now, resolution: None, deposit, lapsed: false },
		);
		T::Audit::record(
			AuditSubject::Meter(record.meter),
			Actor::Account(consumer.clone()),
			AuditChange::InvoiceDisputed { invoice },
		);
		Invoices::<T>::insert(invoice, record);
		Self::deposit_event(Event::InvoiceDisputed { invoice, consumer });
		Ok(())
	}

	/// The notified body `body` resolves the dispute of `invoice` ([`Pallet::resolve_dispute`]).
	pub(crate) fn do_resolve_dispute(
		body: T::AccountId,
		invoice: InvoiceId,
		resolution: Resolution,
	) -> DispatchResult {
		use mensura_primitives::metering::NotifiedBodies;
		let mut record = Invoices::<T>::get(invoice).ok_or(Error::<T>::UnknownInvoice)?;
		if let Some(verifier) = T::Bodies::verifier_of(record.meter) {
			ensure!(verifier == body, Error::<T>::NotVerifyingBody);
		}
		let mut dispute = Disputes::<T>::get(invoice).ok_or(Error::<T>::NotDisputed)?;
		ensure!(
			record.status == InvoiceStatus::Disputed && dispute.resolution.is_none(),
			Error::<T>::NotDisputed
		);
		// An upheld invoice was right: the deposit pays the supplier for the delay. A
		// corrected one was wrong: the deposit goes back.
		let reason = HoldReason::DisputeDeposit.into();
		match resolution {
			Resolution::Upheld => {
				T::Currency::transfer_on_hold(
					&reason,
					&record.consumer,
					&record.supplier,
					dispute.deposit,
					Precision::BestEffort,
					Restriction::Free,
					Fortitude::Polite,
				)?;
			}
			Resolution::Corrected { .. } => {
				T::Currency::release(
					&reason,
					&record.consumer,
					dispute.deposit,
					Precision::BestEffort,
				)?;
			}
		}
		let outstanding_before = record.outstanding();
		let (credit, refund) = match resolution {
			Resolution::Upheld => (0, 0),
			Resolution::Corrected { credit } => {
				let invoiced = record.amount.saturating_sub(record.credited);
				ensure!(credit > 0 && credit <= invoiced, Error::<T>::BadCredit);
				let corrected = invoiced.saturating_sub(credit);
				let refund = record.paid.saturating_sub(corrected);
				if refund > 0 {
					T::Currency::transfer(
						&record.supplier,
						&record.consumer,
						refund,
						Preservation::Expendable,
					)
					.map_err(|_| Error::<T>::RefundFailed)?;
				}
				(credit, refund)
			}
		};
		record.credited = record.credited.saturating_add(credit);
		record.paid = record.paid.saturating_sub(refund);
		let outstanding = record.outstanding();
		Outstanding::<T>::mutate(&record.consumer, |o| {
			*o = o.saturating_sub(outstanding_before).saturating_add(outstanding)
		});
		record.status = if outstanding == 0 { InvoiceStatus::Paid } else { InvoiceStatus::Open };
		dispute.resolution = Some((resolution, body.clone()));
		T::Audit::record(
			AuditSubject::Meter(record.meter),
			Actor::Account(body.clone()),
			AuditChange::DisputeResolved { invoice, credit },
		);
		Invoices::<T>::insert(invoice, record);
		Disputes::<T>::insert(invoice, dispute);
		Self::deposit_event(Event::DisputeResolved { invoice, body, credit, refund });
		Ok(())
	}

	/// Lets the dispute of `invoice` lapse after its deadline ([`Pallet::lapse_dispute`]).
	pub(crate) fn do_lapse_dispute(who: T::AccountId, invoice: InvoiceId) -> DispatchResult {
		let mut record = Invoices::<T>::get(invoice).ok_or(Error::<T>::UnknownInvoice)?;
		let mut dispute = Disputes::<T>::get(invoice).ok_or(Error::<T>::NotDisputed)?;
		ensure!(
			record.status == InvoiceStatus::Disputed && dispute.resolution.is_none(),
			Error::<T>::NotDisputed
		);
		ensure!(
			Self::now() > dispute.raised.saturating_add(T::DisputeDeadline::get()),
			Error::<T>::DisputeDeadlineNotPassed
		);
		T::Currency::release(
			&HoldReason::DisputeDeposit.into(),
			&record.consumer,
			dispute.deposit,
			Precision::BestEffort,
		)?;
		record.status =
			if record.outstanding() == 0 { InvoiceStatus::Paid } else { InvoiceStatus::Open };
		dispute.lapsed = true;
		T::Audit::record(
			AuditSubject::Meter(record.meter),
			Actor::Account(who),
			AuditChange::DisputeLapsed { invoice },
		);
		Invoices::<T>::insert(invoice, record);
		Disputes::<T>::insert(invoice, dispute);
		Self::deposit_event(Event::DisputeLapsed { invoice });
		Ok(())
	}
}
