//! Every invoice of the range recomputed with the chain's own pricing rule.

use super::*;

/// Recomputes every invoice issued in the range: consumption from the registers, band
/// quantities from the measurements (when the audit saw them all), charges from the
/// tariff.
pub(super) fn check_invoices(client: &mut Client, audit: &mut Audit) -> Result<()> {
	let invoices = std::mem::take(&mut audit.invoices);
	for (id, at, number) in &invoices {
		let view: Option<pallet_billing::InvoiceViewOf<Runtime>> =
			patiently(client, |c| c.runtime_call_at("BillingApi_invoice", *id, at))?;
		let Some(view) = view else {
			audit.find(
				Class::Integrity,
				"invoice-missing",
				None,
				Some(*number),
				format!("invoice {id} was issued but the chain does not have it"),
			);
			continue;
		};
		let invoice = view.invoice;
		let meter = Some(invoice.meter);
		let contract: Option<pallet_billing::ContractOf<Runtime>> =
			patiently(client, |c| c.runtime_call_at("BillingApi_contract", invoice.contract, at))?;
		let tariff: Option<pallet_billing::TariffOf<Runtime>> =
			patiently(client, |c| c.runtime_call_at("BillingApi_tariff", invoice.tariff, at))?;
		let period: u64 =
			patiently(client, |c| c.runtime_call_at("BillingApi_billing_period", (), at))?;
		let (Some(contract), Some(tariff)) = (contract, tariff) else {
			audit.find(
				Class::Integrity,
				"invoice-unverifiable",
				meter,
				Some(*number),
				format!("invoice {id}: its contract or tariff is missing"),
			);
			continue;
		};
		let mut problems = Vec::new();
		let total: u128 = invoice.quantities.iter().sum();
		if invoice.register_to.checked_sub(invoice.register_from) != Some(total) {
			problems.push(format!(
				"its band quantities add up to {total}, its registers differ by {}",
				invoice.register_to as i128 - invoice.register_from as i128
			));
		}
		// The chain's own pricing rule, literally: the function billing issues invoices with.
		let (energy, standing) = price(
			&tariff.bands,
			tariff.standing_charge,
			&invoice.quantities,
			invoice.from,
			invoice.to,
			period,
		);
		if energy != invoice.energy {
			problems.push(format!("energy {} where the tariff gives {energy}", invoice.energy));
		}
		if standing != invoice.standing {
			problems.push(format!(
				"standing charge {} where the tariff gives {standing}",
				invoice.standing
			));
		}
		if invoice.energy.checked_add(invoice.standing) != Some(invoice.amount) {
			problems.push(format!("amount {} ≠ energy + standing", invoice.amount));
		}
		// Band by band from the measurements, when the audit saw every one of them.
		let mut complete = false;
		if let (Some(first), Some(last)) = (invoice.first, invoice.last) {
			let seen: Vec<&Seen> = audit
				.measurements
				.get(&invoice.meter)
				.map(|s| s.iter().filter(|s| s.index >= first && s.index <= last).collect())
				.unwrap_or_default();
			if seen.len() as u64 == last - first + 1 {
				complete = true;
				let mut bands = vec![0u128; tariff.bands.len()];
				for s in &seen {
					bands[band_of(&tariff.bands, s.measurement.start, contract.utc_offset)] +=
						s.measurement.quantity;
				}
				if bands.as_slice() != invoice.quantities.as_slice() {
					problems.push(format!(
						"band quantities {:?}, the measurements give {bands:?}",
						invoice.quantities.as_slice()
					));
				}
				if seen.len() as u32 != invoice.measurements {
					problems.push(format!(
						"{} measurements counted, {} exist",
						invoice.measurements,
						seen.len()
					));
				}
			}
		} else if total != 0 {
			problems.push(format!("no measurements, yet {total} billed"));
		} else {
			complete = true;
		}
		if complete {
			audit.invoices_checked += 1;
		} else {
			audit.invoices_partly += 1;
		}
		for problem in problems {
			audit.find(
				Class::Integrity,
				"invoice-mismatch",
				meter,
				Some(*number),
				format!("invoice {id}: {problem}"),
			);
		}
	}
	audit.invoices = invoices;
	Ok(())
}
