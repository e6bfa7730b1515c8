//! The summary (JSON) and the self-contained HTML report with its plots.

use super::*;

pub(super) fn summarise(
	audit: &Audit,
	url: &str,
	from: u32,
	last: u32,
	to: u32,
	stopped: &Option<(u32, String)>,
	end_time: u64,
) -> Value {
	let flagged: BTreeSet<MeterId> = audit.findings.iter().filter_map(|f| f.meter).collect();
	let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
	for f in &audit.findings {
		*kinds.entry(f.kind).or_default() += 1;
	}
	json!({
		"node": url,
		"from": from,
		"to": last,
		"requestedTo": to,
		"complete": stopped.is_none(),
		"stoppedAt": stopped.as_ref().map(|(n, _)| n),
		"stopReason": stopped.as_ref().map(|(_, r)| r),
		"lastBlockTime": (end_time > 0).then(|| utc(end_time)),
		"blocks": audit.blocks,
		"frames": audit.frames,
		"framesReverified": audit.verified,
		"meters": audit.measurements.len(),
		"measurements": audit.measurements.values().map(Vec::len).sum::<usize>(),
		"invoicesRecomputed": audit.invoices_checked,
		"invoicesRecomputedInPart": audit.invoices_partly,
		"metersComparedWithPeers": audit.peers_compared,
		"indexerMetersChecked": audit.indexer_checked,
		"integrityFindings": audit.findings.iter().filter(|f| f.class == Class::Integrity).count(),
		"anomalies": audit.findings.iter().filter(|f| f.class == Class::Anomaly).count(),
		"findingsByKind": kinds,
		"flaggedMeters": flagged,
		"counterProof": audit.pairs.iter().map(|(meter, p)| json!({
			"meter": meter, "check": p.check, "windows": p.windows,
			"discrepancies": p.discrepancies,
			"measured": p.measured.to_string(), "counter": p.counter.to_string(),
			"ratio": (p.counter > 0).then(|| p.measured as f64 / p.counter as f64),
		})).collect::<Vec<_>>(),
		"findings": audit.findings.iter().map(Finding::json).collect::<Vec<_>>(),
	})
}

pub(super) fn escape(text: &str) -> String {
	text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A line plot of a meter's rate per measurement over time, as inline SVG.
pub(super) fn meter_plot(seen: &[Seen], marks: &BTreeSet<u32>) -> String {
	let (w, h, pad) = (640.0, 160.0, 30.0);
	let points: Vec<(f64, f64, u32)> = seen
		.iter()
		.filter(|s| s.measurement.end > s.measurement.start)
		.map(|s| {
			let hours = (s.measurement.end - s.measurement.start) as f64 / 3_600_000.0;
			(s.measurement.start as f64, s.measurement.quantity as f64 / 1000.0 / hours, s.block)
		})
		.collect();
	if points.is_empty() {
		return String::new();
	}
	let (x0, x1) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
	let y1 = points.iter().fold(0.0f64, |m, p| m.max(p.1)).max(1e-9);
	let x = |v: f64| pad + (v - x0) / (x1 - x0).max(1.0) * (w - 2.0 * pad);
	let y = |v: f64| h - pad - v / y1 * (h - 2.0 * pad);
	let line: Vec<String> = points.iter().map(|p| format!("{:.1},{:.1}", x(p.0), y(p.1))).collect();
	let dots: String = points
		.iter()
		.filter(|p| marks.contains(&p.2))
		.map(|p| {
			format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#c0392b\"/>", x(p.0), y(p.1))
		})
		.collect();
	format!(
		"<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\">\
		 <rect width=\"{w}\" height=\"{h}\" fill=\"#fafafa\"/>\
		 <polyline fill=\"none\" stroke=\"#2c6fbb\" stroke-width=\"1.5\" points=\"{}\"/>{dots}\
		 <text x=\"{pad}\" y=\"14\" font-size=\"11\">rate per measurement, units/h (max {y1:.3}); red: blocks with findings</text>\
		 <text x=\"{pad}\" y=\"{}\" font-size=\"10\">{}</text>\
		 <text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text></svg>",
		line.join(" "),
		h - 8.0,
		utc(x0 as u64),
		w - pad,
		h - 8.0,
		utc(x1 as u64)
	)
}

/// Mean rate of every meter, by model, with the flagged ones in red.
pub(super) fn fleet_plot(audit: &Audit, flagged: &BTreeSet<MeterId>) -> String {
	let rates: Vec<(MeterId, f64)> = audit
		.measurements
		.iter()
		.filter_map(|(m, s)| mean_power(s).map(|p| (*m, p / 1000.0)))
		.collect();
	if rates.is_empty() {
		return String::new();
	}
	let (w, h, pad) = (640.0, 140.0, 30.0);
	let max = rates.iter().fold(0.0f64, |m, r| m.max(r.1)).max(1e-9);
	let dots: String = rates
		.iter()
		.enumerate()
		.map(|(i, (meter, rate))| {
			let jitter = (i % 7) as f64 * 8.0;
			format!(
				"<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"><title>meter {meter}: {rate:.3}/h</title></circle>",
				pad + rate / max * (w - 2.0 * pad),
				h / 2.0 - 24.0 + jitter,
				if flagged.contains(meter) { "#c0392b" } else { "#2c6fbb" }
			)
		})
		.collect();
	format!(
		"<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\">\
		 <rect width=\"{w}\" height=\"{h}\" fill=\"#fafafa\"/>{dots}\
		 <text x=\"{pad}\" y=\"14\" font-size=\"11\">mean rate of each meter (units/h, 0 … {max:.3}); red: flagged</text></svg>"
	)
}

pub(super) fn report_html(audit: &Audit, summary: &Value) -> String {
	let flagged: BTreeSet<MeterId> = audit.findings.iter().filter_map(|f| f.meter).collect();
	let mut html = String::from(
		"<!doctype html><html><head><meta charset=\"utf-8\"><title>Mensura audit</title>\
		 <style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}\
		 table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}\
		 .integrity{color:#c0392b}.anomaly{color:#b9770e}.ok{color:#1e8449}</style></head><body>",
	);
	let complete = summary["complete"].as_bool().unwrap_or(false);
	html += &format!(
		"<h1>Mensura audit, blocks {} … {}</h1><p>Node {}. {}</p>",
		summary["from"],
		summary["to"],
		escape(summary["node"].as_str().unwrap_or_default()),
		if complete {
			"The audit covered the whole range.".to_string()
		} else {
			format!(
				"<b class=\"integrity\">INCOMPLETE: stopped at block {} ({})</b>",
				summary["stoppedAt"],
				escape(summary["stopReason"].as_str().unwrap_or_default())
			)
		}
	);
	html += "<table>";
	for (label, key) in [
		("blocks", "blocks"),
		("frames", "frames"),
		("frames re-verified (signature, binding, quantity)", "framesReverified"),
		("meters measured", "meters"),
		("invoices recomputed", "invoicesRecomputed"),
		("invoices recomputed in part (measurements before the range)", "invoicesRecomputedInPart"),
		(
			"meters compared with their model's peers (an hour of data, 8 peers)",
			"metersComparedWithPeers",
		),
		("integrity findings", "integrityFindings"),
		("anomalies", "anomalies"),
	] {
		html += &format!("<tr><th>{label}</th><td>{}</td></tr>", summary[key]);
	}
	html += "</table>";
	if audit.findings.is_empty() {
		html +=
			"<p class=\"ok\">No findings: every frame verifies, every register, hash chain and \
		         invoice agrees, and no statistic stands out.</p>";
	} else {
		html += "<h2>Findings</h2><table><tr><th>class</th><th>kind</th><th>meter</th><th>block</th><th>detail</th></tr>";
		for f in &audit.findings {
			let class = match f.class {
				Class::Integrity => "integrity",
				Class::Anomaly => "anomaly",
			};
			html += &format!(
				"<tr class=\"{class}\"><td>{class}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
				f.kind,
				f.meter.map(|m| m.to_string()).unwrap_or_default(),
				f.block.map(|b| b.to_string()).unwrap_or_default(),
				escape(&f.detail)
			);
		}
		html += "</table>";
	}
	html += "<h2>The fleet</h2>";
	html += &fleet_plot(audit, &flagged);
	if !audit.pairs.is_empty() {
		html +=
			"<h2>Counter-proof (check meters)</h2><table><tr><th>meter</th><th>check meter</th>\
		         <th>windows</th><th>discrepancies</th><th>meter ÷ check</th></tr>";
		for (meter, p) in &audit.pairs {
			let ratio = if p.counter > 0 {
				format!("{:.4}", p.measured as f64 / p.counter as f64)
			} else {
				"—".into()
			};
			html += &format!(
				"<tr><td>{meter}</td><td>{}</td><td>{}</td><td>{}</td><td>{ratio}</td></tr>",
				p.check, p.windows, p.discrepancies
			);
		}
		html += "</table>";
	}
	html += "<h2>Flagged meters</h2>";
	for meter in flagged.iter().take(50) {
		let marks: BTreeSet<u32> = audit
			.findings
			.iter()
			.filter(|f| f.meter == Some(*meter))
			.filter_map(|f| f.block)
			.collect();
		html += &format!("<h3>Meter {meter}</h3><ul>");
		for f in audit.findings.iter().filter(|f| f.meter == Some(*meter)).take(10) {
			html += &format!("<li>{}: {}</li>", f.kind, escape(&f.detail));
		}
		html += "</ul>";
		if let Some(seen) = audit.measurements.get(meter) {
			html += &meter_plot(seen, &marks);
		}
	}
	if flagged.is_empty() {
		html += "<p>None.</p>";
	}
	html += "</body></html>\n";
	html
}
