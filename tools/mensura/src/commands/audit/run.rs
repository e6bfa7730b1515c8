//! The audit from the first block to the last: block by block, then the findings.

use super::*;

pub fn run(url: &str, args: AuditArgs) -> Result<()> {
	let silent_after = parse_duration(&args.silent_after, "silent-after")?.as_millis() as u64;
	let mut client = Client::new(url)?;
	let genesis = client.genesis_hash()?;
	let head = u32::try_from(client.finalized_number()?)
		.map_err(|_| Error::node("the finalized block's number is beyond u32"))?;
	let to = args.to.unwrap_or(head);
	if args.from == 0 || args.from > to {
		return Err(Error::usage(format!(
			"--from {} --to {to}: give 1 ≤ from ≤ to (the finalized head is {head})",
			args.from
		)));
	}
	if to > head {
		return Err(Error::usage(format!(
			"--to {to}: the node's last finalized block is {head}; audit finalized blocks only"
		)));
	}

	let mut audit = Audit::default();
	let started = Instant::now();
	let mut progress = Progress::new(args.quiet);
	let mut stopped: Option<(u32, String)> = None;
	for number in args.from..=to {
		progress.show(
			|| {
				let done = number - args.from;
				let total = to - args.from + 1;
				format!(
					"  auditing block {number} of {}..{to} ({:.0}%) · {} frames · {} findings",
					args.from,
					100.0 * done as f64 / total as f64,
					audit.frames,
					audit.findings.len()
				)
			},
			false,
		);
		if let Err(error) = audit_block(&mut client, &mut audit, &genesis, number) {
			if error.exit == Exit::Node {
				stopped = Some((number, error.message));
				break;
			}
			return Err(error);
		}
	}
	progress.show(
		|| {
			format!(
				"  audited {} blocks, {} frames in {:.1} s",
				audit.blocks,
				audit.frames,
				started.elapsed().as_secs_f64()
			)
		},
		true,
	);
	let last = stopped.as_ref().map_or(to, |(n, _)| n.saturating_sub(1));
	let mut end_time = 0;
	if stopped.is_none() {
		if let Err(error) = finish(&mut client, &mut audit, last, silent_after, &args) {
			if error.exit != Exit::Node {
				return Err(error);
			}
			stopped = Some((last, error.message));
		} else {
			end_time = chain_time(&mut client, last).unwrap_or(0);
		}
	}
	let mut summary = summarise(&audit, url, args.from, last, to, &stopped, end_time);
	if let Some(path) = &args.scenario {
		let text = std::fs::read_to_string(path)
			.map_err(|e| Error::input(format!("--scenario {}: {e}", path.display())))?;
		let scenario: Value = serde_json::from_str(&text).map_err(|e| {
			Error::input(format!("--scenario {}: not a simulate summary ({e})", path.display()))
		})?;
		let flagged: BTreeSet<MeterId> = audit.findings.iter().filter_map(|f| f.meter).collect();
		summary["scenarioScore"] = score(&scenario, &flagged, &audit.findings);
	}
	std::fs::create_dir_all(&args.out)
		.map_err(|e| Error::input(format!("cannot create {}: {e}", args.out.display())))?;
	let summary_path = args.out.join("summary.json");
	std::fs::write(&summary_path, serde_json::to_string_pretty(&summary).expect("JSON"))
		.map_err(|e| Error::input(format!("cannot write {}: {e}", summary_path.display())))?;
	let report_path = args.out.join("report.html");
	std::fs::write(&report_path, report_html(&audit, &summary))
		.map_err(|e| Error::input(format!("cannot write {}: {e}", report_path.display())))?;

	let integrity = audit.findings.iter().filter(|f| f.class == Class::Integrity).count();
	let anomalies = audit.findings.len() - integrity;
	if args.json {
		println!("{}", serde_json::to_string_pretty(&summary).expect("JSON"));
	} else {
		println!(
			"audit of blocks {}..{last}{}: {} frames, {} re-verified (signature, program, \
			 quantity), {} meters, {} invoices recomputed ({} in part)",
			args.from,
			if stopped.is_some() { " (INCOMPLETE)" } else { "" },
			audit.frames,
			audit.verified,
			audit.measurements.len(),
			audit.invoices_checked,
			audit.invoices_partly
		);
		println!("  {integrity} integrity findings, {anomalies} anomalies");
		if let Some(score) = summary.get("scenarioScore") {
			let injected = score["injected"].as_array().cloned().unwrap_or_default();
			println!(
				"  scenario: {} of {} injected faults found; {} of {} honest meters flagged {}",
				score["found"],
				injected.len(),
				score["honestFlagged"].as_array().map_or(0, Vec::len),
				score["honest"],
				score["honestFlagged"]
			);
			for fault in &injected {
				println!(
					"    {:<24} meter {}: {} {}",
					fault["fault"].as_str().unwrap_or_default(),
					fault["meter"],
					if fault["found"] == json!(true) { "found by" } else { "MISSED" },
					fault["by"]
				);
			}
		}
		for finding in audit.findings.iter().take(20) {
			println!(
				"  - {} {}{}: {}",
				finding.kind,
				finding.meter.map(|m| format!("meter {m}")).unwrap_or_default(),
				finding.block.map(|b| format!(" block {b}")).unwrap_or_default(),
				finding.detail
			);
		}
		if audit.findings.len() > 20 {
			println!("  … {} more in the report", audit.findings.len() - 20);
		}
		println!("  wrote {} and {}", report_path.display(), summary_path.display());
	}
	if let Some((number, reason)) = stopped {
		return Err(Error::node(format!(
			"the audit stopped at block {number}: {reason}; the partial report says so"
		)));
	}
	if !audit.findings.is_empty() {
		return Err(Error::failure(format!(
			"{integrity} integrity findings and {anomalies} anomalies (see {})",
			report_path.display()
		)));
	}
	Ok(())
}
