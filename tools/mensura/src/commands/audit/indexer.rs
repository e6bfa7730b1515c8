//! With `--indexer`: the indexer's history checked against the chain, link by link.

use super::*;

/// With --indexer: for every audited meter, the hash chain recomputed with
/// `chain_link` over the measurements the indexer serves up to the last audited block
/// (its own links are not trusted) must be the chain's `chain_head` there, and the
/// indexer's links must be the recomputed ones.
pub(super) fn check_indexer(
	client: &mut Client,
	audit: &mut Audit,
	url: &str,
	last: u32,
	at: &str,
) -> Result<()> {
	let indexer = Indexer::new(url)?;
	let get = |indexer: &Indexer, path: &str| match indexer.get_json(path)? {
		(200, value) => Ok(value),
		(code, value) => Err(Error::node(format!("{url}{path}: HTTP {code}: {value}"))),
	};
	let indexed = get(&indexer, "/api/status")?["indexed"]["number"].as_u64().unwrap_or(0);
	if indexed < u64::from(last) {
		return Err(Error::input(format!(
			"the indexer at {url} is indexed up to block {indexed}, below the last audited block \
			 {last}: wait for it, or audit --to {indexed}"
		)));
	}
	let meters: Vec<MeterId> = audit.replays.keys().copied().collect();
	for meter in &meters {
		let ledger: ReadingState<AccountId> =
			patiently(client, |c| c.runtime_call_at("ReadingsApi_reading", *meter, at))?;
		let mut head = H256::zero();
		let mut count = 0u64;
		let mut problem = None;
		let mut cursor = String::new();
		'pages: loop {
			let page =
				get(&indexer, &format!("/api/meters/{meter}/measurements?limit=1000{cursor}"))?;
			for m in page["measurements"].as_array().cloned().unwrap_or_default() {
				if m["block"].as_u64().unwrap_or(u64::MAX) > u64::from(last) {
					break 'pages;
				}
				let parsed = (|| {
					let hash = |v: &Value| -> Option<H256> {
						let bytes = crate::client::unhex(v.as_str()?).ok()?;
						(bytes.len() == 32).then(|| H256::from_slice(&bytes))
					};
					let measurement = Measurement::<u32> {
						sequence: m["sequence"].as_u64()?,
						start: m["start"].as_u64()?,
						end: m["end"].as_u64()?,
						quantity: m["quantity"].as_str()?.parse().ok()?,
						program: hash(&m["program"])?,
						frame: hash(&m["frame"])?,
						block: u32::try_from(m["block"].as_u64()?).ok()?,
					};
					Some((m["index"].as_u64()?, measurement, hash(&m["link"])?))
				})();
				let Some((index, measurement, link)) = parsed else {
					problem = Some(format!("measurement {count} is malformed: {m}"));
					break 'pages;
				};
				if index != count {
					problem = Some(format!("measurement {index} is served where {count} belongs"));
					break 'pages;
				}
				head = mensura_primitives::readings::chain_link(head, *meter, index, &measurement);
				if link != head {
					problem = Some(format!(
						"the link it serves for measurement {index} is not its hash chain"
					));
					break 'pages;
				}
				count += 1;
			}
			match page["next"].as_u64() {
				Some(next) => cursor = format!("&cursor={next}"),
				None => break,
			}
		}
		let problem = problem.or_else(|| {
			(head != ledger.chain_head || count != ledger.measurements).then(|| {
				format!(
					"the indexer's {count} measurements chain to {}, the chain's {} to {}",
					hex(head.as_bytes()),
					ledger.measurements,
					hex(ledger.chain_head.as_bytes())
				)
			})
		});
		if let Some(detail) = problem {
			audit.find(Class::Integrity, "indexer-mismatch", Some(*meter), Some(last), detail);
		}
	}
	audit.indexer_checked = Some(meters.len());
	Ok(())
}
