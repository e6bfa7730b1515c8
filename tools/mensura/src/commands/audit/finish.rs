//! After the last block: the replayed states against the ledger's, the invoices, and the
//! statistics over the whole population.

use super::*;

/// After the last block: the replayed states against the ledger's, invoices, and the
/// statistics over the whole population.
pub(super) fn finish(
	client: &mut Client,
	audit: &mut Audit,
	last: u32,
	silent_after: u64,
	args: &AuditArgs,
) -> Result<()> {
	let at = patiently(client, |c| c.block_hash(last.into()))?;
	// Registers and hash chains.
	let replayed: Vec<(MeterId, ReadingState<AccountId>)> =
		audit.replays.iter().map(|(m, r)| (*m, r.clone())).collect();
	for (meter, replayed) in replayed {
		let ledger: ReadingState<AccountId> =
			patiently(client, |c| c.runtime_call_at("ReadingsApi_reading", meter, &at))?;
		if ledger.register != replayed.register {
			audit.find(
				Class::Integrity,
				"register-mismatch",
				Some(meter),
				Some(last),
				format!(
					"the register is {} at the last block; the measurements add up to {}",
					ledger.register, replayed.register
				),
			);
		}
		if ledger.chain_head != replayed.chain_head || ledger.measurements != replayed.measurements
		{
			audit.find(
				Class::Integrity,
				"hash-chain-mismatch",
				Some(meter),
				Some(last),
				format!(
				"the ledger's hash chain head {} over {} measurements differs from the replayed \
				 {} over {}",
				hex(ledger.chain_head.as_bytes()),
				ledger.measurements,
				hex(replayed.chain_head.as_bytes()),
				replayed.measurements
			),
			);
		}
	}
	check_invoices(client, audit)?;
	if let Some(indexer) = &args.indexer {
		check_indexer(client, audit, indexer, last, &at)?;
	}
	// Silent meters: active at the last block, nothing recent.
	let end_time = chain_time(client, last)?;
	let mut from = 0;
	let mut active = Vec::new();
	loop {
		let page: Vec<(MeterId, MeterRecord)> =
			patiently(client, |c| c.runtime_call_at("MetersApi_meters", (from, 100u32), &at))?;
		let Some(next) = page.last().map(|(id, _)| id + 1) else { break };
		for (id, record) in page {
			if record.status == MeterStatus::Active && record.lr_program.is_some() {
				active.push((id, record));
			}
		}
		from = next;
	}
	let start_time = chain_time(client, args.from)?;
	for (id, record) in &active {
		// The end of its last measurement by the ledger; a meter that never measured has
		// been silent at least since the range began.
		let last_end = match audit.replays.get(id) {
			Some(state) => state.last_end,
			None => {
				let state: ReadingState<AccountId> =
					patiently(client, |c| c.runtime_call_at("ReadingsApi_reading", *id, &at))?;
				state.last_end
			}
		};
		let since = if last_end > 0 { last_end } else { start_time };
		if end_time > since + silent_after {
			audit.find(
				Class::Anomaly,
				"silent-meter",
				Some(*id),
				Some(last),
				format!(
					"active and bound to a program, but {} since {} ({} s before the last audited \
				 block)",
					if last_end > 0 {
						"no measurement ended"
					} else {
						"it has never measured, at least"
					},
					utc(since),
					(end_time - since) / 1000
				),
			);
		}
		audit.models.entry(record.model).or_insert(None);
	}
	// Models for the statistics.
	let models: Vec<ModelId> = audit.models.keys().copied().collect();
	let ids: Vec<MeterId> = audit.measurements.keys().copied().collect();
	let mut model_of: BTreeMap<MeterId, ModelId> = BTreeMap::new();
	for id in ids {
		let record = match audit.meters.get(&id) {
			Some((_, r)) => Some(r.clone()),
			None => meter_at(client, audit, id, &at, true)?,
		};
		if let Some(r) = record {
			model_of.insert(id, r.model);
		}
	}
	for model in models.into_iter().chain(model_of.values().copied()) {
		if matches!(audit.models.get(&model), Some(Some(_))) {
			continue;
		}
		let found: Option<pallet_meters::ModelOf<Runtime>> =
			patiently(client, |c| c.runtime_call_at("MetersApi_model", model, &at))?;
		audit.models.insert(
			model,
			found.map(|m| ModelInfo {
				unit: m.spec.unit,
				resolution: m.spec.resolution_milli.max(1),
			}),
		);
	}
	statistics(audit, &model_of, args);
	Ok(())
}
