//! `mensura query … --indexer URL`: a meter's measurements, consumption split by
//! time-of-use band and a consumer's invoices, from `mensura-indexer`'s HTTP API rather
//! than the node's state (which keeps no measurement). Every answer names
//! the finalized block it is indexed up to.

use crate::{indexer::Indexer, Error, Result};
use mensura_primitives::display::{milli as milli_of, msr};
use mensura_primitives::metering::MeterId;
use serde_json::Value;

/// `GET path` of the indexer; an answer other than 200 becomes the error it names
/// (404: bad input; anything else: the indexer failed).
fn get(url: &str, path: &str) -> Result<Value> {
	match Indexer::new(url)?.get_json(path)? {
		(200, value) => Ok(value),
		(400 | 404, value) => {
			Err(Error::input(value["error"].as_str().unwrap_or("refused").to_string()))
		}
		(code, value) => Err(Error::node(format!("{url}{path}: HTTP {code}: {value}"))),
	}
}

fn text(value: &Value) -> &str {
	value.as_str().unwrap_or("")
}

fn milli(value: &Value) -> String {
	milli_of(text(value).parse().unwrap_or(0))
}

fn indexed_line(answer: &Value) -> String {
	match answer["indexed"]["number"].as_u64() {
		Some(n) => {
			format!("indexed up to finalized block #{n} {}", text(&answer["indexed"]["hash"]))
		}
		None => "nothing indexed yet".into(),
	}
}

/// A meter's measurements from index `from` on.
pub fn measurements(
	url: &str,
	meter: MeterId,
	from: Option<u64>,
	limit: u32,
	json: bool,
) -> Result<()> {
	let cursor =
		from.and_then(|f| f.checked_sub(1)).map(|c| format!("&cursor={c}")).unwrap_or_default();
	let page = get(
		url,
		&format!("/api/meters/{meter}/measurements?limit={}{cursor}", limit.clamp(1, 1000)),
	)?;
	if json {
		println!("{}", serde_json::to_string_pretty(&page).unwrap_or_default());
		return Ok(());
	}
	println!(
		"{:>6}  {:>8}  {:>13}  {:>13}  {:>16}  {:>7}  link",
		"index", "sequence", "start", "end", "quantity", "block"
	);
	let rows = page["measurements"].as_array().cloned().unwrap_or_default();
	for m in &rows {
		println!(
			"{:>6}  {:>8}  {:>13}  {:>13}  {:>16}  {:>7}  {}",
			m["index"],
			m["sequence"],
			m["start"],
			m["end"],
			milli(&m["quantity"]),
			m["block"],
			text(&m["link"])
		);
	}
	println!(
		"{} measurements; {}{}",
		rows.len(),
		indexed_line(&page),
		page["next"].as_u64().map(|n| format!("; more: --from {}", n + 1)).unwrap_or_default()
	);
	Ok(())
}

/// A meter's consumption over `[from, to)`, in all and by band.
pub fn consumption(url: &str, meter: MeterId, from: u64, to: u64, json: bool) -> Result<()> {
	if to <= from {
		return Err(Error::input(format!("the period [{from}, {to}) is empty")));
	}
	let answer = get(url, &format!("/api/meters/{meter}/consumption?from={from}&to={to}"))?;
	if json {
		println!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
		return Ok(());
	}
	let unit = text(&answer["unit"]).to_string();
	println!(
		"{} {unit} over [{from}, {to}) from {} measurements",
		milli(&answer["quantity"]),
		answer["measurements"]
	);
	for band in answer["bands"].as_array().cloned().unwrap_or_default() {
		let label = match (band["fromMinute"].as_u64(), band["toMinute"].as_u64()) {
			(Some(a), Some(b)) => {
				format!("{:02}:{:02}–{:02}:{:02} local", a / 60, a % 60, b / 60, b % 60)
			}
			_ => "outside any contract".into(),
		};
		println!(
			"  {label:<22} {:>16} {unit}  ({} measurements)",
			milli(&band["quantity"]),
			band["measurements"]
		);
	}
	println!("{}", indexed_line(&answer));
	Ok(())
}

/// A consumer's invoices, newest first.
pub fn invoices(
	url: &str,
	consumer: &mensura_runtime::AccountId,
	limit: u32,
	json: bool,
) -> Result<()> {
	use sp_core::crypto::Ss58Codec;
	let address = consumer.to_ss58check_with_version(mensura_primitives::SS58_PREFIX.into());
	let answer =
		get(url, &format!("/api/consumers/{address}/invoices?limit={}", limit.clamp(1, 1000)))?;
	if json {
		println!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
		return Ok(());
	}
	let invoices = answer["invoices"].as_array().cloned().unwrap_or_default();
	if invoices.is_empty() {
		println!("no invoices; {}", indexed_line(&answer));
		return Ok(());
	}
	println!(
		"{:>5}  {:>8}  {:>5}  {:<19}  {:<19}  {:>20}  {:>20}  status",
		"id", "contract", "meter", "from (UTC)", "to (UTC)", "amount", "outstanding"
	);
	for i in &invoices {
		let amount = |v: &Value| msr(text(v).parse().unwrap_or(0));
		println!(
			"{:>5}  {:>8}  {:>5}  {:<19}  {:<19}  {:>20}  {:>20}  {}",
			i["id"],
			i["contract"],
			i["meter"],
			mensura_primitives::display::utc(i["from"].as_u64().unwrap_or(0)),
			mensura_primitives::display::utc(i["to"].as_u64().unwrap_or(0)),
			amount(&i["amount"]),
			amount(&i["outstanding"]),
			text(&i["status"])
		);
	}
	println!("{}", indexed_line(&answer));
	Ok(())
}
