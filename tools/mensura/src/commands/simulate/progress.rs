//! What a run shows while it goes.

use super::*;

pub(super) fn say(args: &SimulateArgs, text: &str) {
	if !args.quiet {
		eprintln!("{text}");
	}
}

/// The progress line: frames sent, accepted by the pool, refused and measured.
pub(super) fn progress_line(
	elapsed: Duration,
	duration: Duration,
	fleet: &[SimMeter],
	block: u64,
) -> String {
	let sum = |f: fn(&SimMeter) -> u64| fleet.iter().map(f).sum::<u64>();
	format!(
		"[{:>5.1}s/{:.0}s] sent {}  accepted {}  refused {}  measured {}  block #{block}",
		elapsed.as_secs_f64(),
		duration.as_secs_f64(),
		sum(|m| m.sent),
		sum(|m| m.accepted),
		sum(|m| m.refused.values().sum()),
		sum(|m| m.measured),
	)
}

/// Reads the fleet's measurement counts and registers from the node; returns the best
/// block's number.
pub(super) fn refresh(client: &mut Client, fleet: &mut [SimMeter]) -> Result<u64> {
	let ids: Vec<_> = fleet.iter().map(|m| m.id).collect();
	let infos = fetch_meters(client, &ids)?;
	for meter in fleet.iter_mut() {
		if let Some(info) = infos.get(&meter.id) {
			meter.measured = info.measurements.saturating_sub(meter.initial_measurements);
			meter.register = info.register.parse().unwrap_or(meter.register);
		}
	}
	client.best_number()
}
