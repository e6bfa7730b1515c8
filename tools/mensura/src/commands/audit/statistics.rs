//! Fraud statistics over the meter population: power ceilings, robust z-scores, flat runs,
//! check-meter comparisons.

use super::*;

/// The power ceiling the statistics hold a meter to, in thousandths of its unit per hour:
/// beyond it no supply of the kind delivers.
pub(super) fn ceiling_per_hour(unit: MeasurementUnit) -> f64 {
	1000.0
		* match unit {
			// A 100 A three-phase connection at 400 V: about 69 kW.
			MeasurementUnit::WattHour => 69_000.0,
			MeasurementUnit::Joule => 69_000.0 * 3600.0,
			// A G25 gas meter's maximum flow.
			MeasurementUnit::CubicMetre => 40.0,
			// A high-flow fuel dispenser: 130 L/min.
			MeasurementUnit::Litre => 7_800.0,
			MeasurementUnit::Kilogram => 7_800.0,
		}
}

/// Median of a non-empty slice (sorted in place).
pub(super) fn median(values: &mut [f64]) -> f64 {
	values.sort_by(|a, b| a.total_cmp(b));
	let n = values.len();
	if n % 2 == 1 {
		values[n / 2]
	} else {
		(values[n / 2 - 1] + values[n / 2]) / 2.0
	}
}

/// Robust z-scores: `0.6745 (x − median) / MAD`; `None` when the MAD is zero.
pub(super) fn robust_z(values: &[f64]) -> Option<Vec<f64>> {
	let mut sorted = values.to_vec();
	let med = median(&mut sorted);
	let mut deviations: Vec<f64> = values.iter().map(|v| (v - med).abs()).collect();
	let mad = median(&mut deviations);
	(mad > 0.0).then(|| values.iter().map(|v| 0.6745 * (v - med) / mad).collect())
}

/// The longest run of equal non-zero quantities: `(length, index of its first)`.
pub(super) fn longest_flat_run(quantities: &[u128]) -> (usize, usize) {
	let (mut best, mut best_at, mut run, mut at) = (0, 0, 0, 0);
	for (i, q) in quantities.iter().enumerate() {
		if *q != 0 && i > 0 && quantities[i - 1] == *q {
			run += 1;
		} else {
			run = 1;
			at = i;
		}
		if *q != 0 && run > best {
			(best, best_at) = (run, at);
		}
	}
	(best, best_at)
}

/// Mean power per meter (thousandths of the unit per hour) over its measurements.
pub(super) fn mean_power(seen: &[Seen]) -> Option<f64> {
	let quantity: f64 = seen.iter().map(|s| s.measurement.quantity as f64).sum();
	let duration: f64 = seen.iter().map(|s| (s.measurement.end - s.measurement.start) as f64).sum();
	(duration > 0.0).then(|| quantity / duration * 3_600_000.0)
}

pub(super) fn statistics(
	audit: &mut Audit,
	model_of: &BTreeMap<MeterId, ModelId>,
	args: &AuditArgs,
) {
	let mut found = Vec::new();
	// Sequence gaps: frames that never arrived, one finding per meter.
	for (meter, gaps) in &audit.gaps {
		let missing: u64 = gaps.iter().map(|(_, before, next)| next - before - 1).sum();
		let sent = audit.measurements.get(meter).map_or(0, Vec::len) as u64;
		let (block, before, next) = gaps[0];
		found.push((
			Class::Anomaly,
			"sequence-gap",
			*meter,
			Some(block),
			format!(
				"{missing} frames never arrived ({:.1} % of {}), in {} gaps; the first between \
			 sequences {before} and {next}",
				100.0 * missing as f64 / (missing + sent) as f64,
				missing + sent,
				gaps.len()
			),
		));
	}
	// Implausible profiles: power beyond what the kind of supply delivers; flat runs.
	for (meter, seen) in &audit.measurements {
		let model = model_of.get(meter).and_then(|m| audit.models.get(m)).and_then(|m| m.as_ref());
		if let Some(ModelInfo { unit, .. }) = model {
			let ceiling = ceiling_per_hour(*unit);
			let over: Vec<&Seen> = seen
				.iter()
				.filter(|s| {
					let hours = (s.measurement.end - s.measurement.start) as f64 / 3_600_000.0;
					hours > 0.0 && s.measurement.quantity as f64 / hours > ceiling
				})
				.collect();
			if let Some(first) = over.first() {
				found.push((
					Class::Anomaly,
					"implausible-power",
					*meter,
					Some(first.block),
					format!(
						"{} measurements at a rate above {} {}/h, the most a supply of the kind \
					 delivers (first: measurement {})",
						over.len(),
						ceiling / 1000.0,
						unit.symbol(),
						first.index
					),
				));
			}
		}
		// Equal small quantities are the register's resolution, not a flat load: only
		// quantities of at least 1,000 register steps, where a real load's noise of a
		// fraction of a percent shows, count.
		let step = model.map_or(1, |m| u128::from(m.resolution));
		let quantities: Vec<u128> = seen
			.iter()
			.map(
				|s| if s.measurement.quantity >= 1_000 * step { s.measurement.quantity } else { 0 },
			)
			.collect();
		let (run, at) = longest_flat_run(&quantities);
		if run >= args.flat_run {
			found.push((
				Class::Anomaly,
				"flat-profile",
				*meter,
				Some(seen[at].block),
				format!(
				"{run} consecutive measurements of exactly {} from measurement {}: no real load \
				 is that constant",
				quantities[at], seen[at].index
			),
			));
		}
	}
	// Programs: a meter whose program changed within the range; a meter computed by a
	// program that few meters of its model use (an odd binding to look at).
	let mut programs: BTreeMap<ModelId, BTreeMap<ProgramHash, BTreeSet<MeterId>>> = BTreeMap::new();
	for (meter, seen) in &audit.measurements {
		for pair in seen.windows(2) {
			if pair[0].measurement.program != pair[1].measurement.program {
				let rate = |s: &[Seen]| mean_power(s).unwrap_or(0.0);
				let at = seen.iter().position(|s| s.index == pair[1].index).unwrap_or(0);
				found.push((
					Class::Anomaly,
					"program-switch",
					*meter,
					Some(pair[1].block),
					format!(
						"from measurement {} on computed by program {} instead of {}; mean rate \
					 {:.0} before, {:.0} after (thousandths/h)",
						pair[1].index,
						hex(pair[1].measurement.program.as_bytes()),
						hex(pair[0].measurement.program.as_bytes()),
						rate(&seen[..at]),
						rate(&seen[at..])
					),
				));
			}
		}
		if let (Some(model), Some(last)) = (model_of.get(meter), seen.last()) {
			programs
				.entry(*model)
				.or_default()
				.entry(last.measurement.program)
				.or_default()
				.insert(*meter);
		}
	}
	for (model, by_program) in &programs {
		let n: usize = by_program.values().map(BTreeSet::len).sum();
		let Some((majority, most)) = by_program.iter().max_by_key(|(_, m)| m.len()) else {
			continue;
		};
		if n < 8 {
			continue;
		}
		for (program, meters) in by_program {
			if program != majority && meters.len() * 10 < n {
				for meter in meters {
					found.push((
						Class::Anomaly,
						"program-minority",
						*meter,
						None,
						format!(
						"computed by program {}, which {} of the {n} meters of model {model} use; \
						 {} of them use {}",
						hex(program.as_bytes()),
						meters.len(),
						most.len(),
						hex(majority.as_bytes())
					),
					));
				}
			}
		}
	}
	// Peers: mean power against the meter's model, robust z-score of its logarithm
	// (consumption spreads multiplicatively: households differ by factors, not amounts).
	// At least 8 peers.
	// Only meters with an hour of measurements take part (over minutes, one appliance
	// switched on decides a household's level), and a supply point counts once (check
	// meters measure the same supply as the meter they check).
	let checks: BTreeSet<MeterId> = audit.pairs.values().map(|p| p.check).collect();
	let mut by_model: BTreeMap<ModelId, Vec<(MeterId, f64)>> = BTreeMap::new();
	for (meter, seen) in &audit.measurements {
		let span = match (seen.first(), seen.last()) {
			(Some(first), Some(last)) => {
				last.measurement.end.saturating_sub(first.measurement.start)
			}
			_ => 0,
		};
		if span < 3_600_000 || checks.contains(meter) {
			continue;
		}
		if let (Some(model), Some(power)) = (model_of.get(meter), mean_power(seen)) {
			by_model.entry(*model).or_default().push((*meter, power));
		}
	}
	audit.peers_compared = by_model.values().filter(|p| p.len() >= 8).map(Vec::len).sum();
	for (model, peers) in &by_model {
		if peers.len() < 8 {
			continue;
		}
		let powers: Vec<f64> = peers.iter().map(|p| p.1.max(1.0).ln()).collect();
		if let Some(z) = robust_z(&powers) {
			for ((meter, power), z) in peers.iter().zip(z) {
				if z.abs() > args.outlier_z {
					found.push((
						Class::Anomaly,
						"peer-outlier",
						*meter,
						None,
						format!(
						"mean rate {:.0} (thousandths/h) is {z:+.1} robust standard deviations \
						 (of the logarithm) from the {} meters of model {model}",
						power,
						peers.len()
					),
					));
				}
			}
		}
	}
	// The fleet-level counter-proof: the ratio meter/check over every pair's compared
	// windows. One pair's bias is a meter to inspect; a bias shared by the fleet is a
	// systematic error (a model, a program) the individual comparisons may all allow.
	let ratios: Vec<f64> = audit
		.pairs
		.values()
		.filter(|p| p.counter > 0)
		.map(|p| p.measured as f64 / p.counter as f64 - 1.0)
		.collect();
	if ratios.len() >= 3 {
		let n = ratios.len() as f64;
		let mean = ratios.iter().sum::<f64>() / n;
		let sd = (ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
		let t = if sd > 0.0 { mean / (sd / n.sqrt()) } else { 0.0 };
		if t.abs() > 3.0 && mean.abs() > 0.005 {
			found.push((
				Class::Anomaly,
				"fleet-bias",
				0,
				None,
				format!(
				"over {} check-meter pairs the meters read {:+.2} % against their check meters \
				 (t = {t:.1}): a systematic error",
				ratios.len(),
				mean * 100.0
			),
			));
		}
	}
	for (class, kind, meter, block, detail) in found {
		let meter = (kind != "fleet-bias").then_some(meter);
		audit.find(class, kind, meter, block, detail);
	}
}
