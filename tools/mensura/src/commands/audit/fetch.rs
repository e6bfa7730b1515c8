//! What the audit reads from the node: calls retried when the connection is lost, the chain's
//! time at a block, and a meter's record and its program as they were at a block.

use super::*;

/// Calls the node, retrying a lost connection three times (1, 2, 4 s) before giving up.
pub(super) fn patiently<T>(
	client: &mut Client,
	mut call: impl FnMut(&mut Client) -> Result<T>,
) -> Result<T> {
	let mut wait = Duration::from_secs(1);
	for _ in 0..3 {
		match call(client) {
			Err(error)
				if error.exit == Exit::Node
					&& (error.message.contains("cannot reach")
						|| error.message.contains("answered badly")) =>
			{
				std::thread::sleep(wait);
				wait *= 2;
			}
			other => return other,
		}
	}
	call(client)
}

pub(super) fn chain_time(client: &mut Client, number: u32) -> Result<u64> {
	let hash = client.block_hash(number.into())?;
	let raw = client.storage_at(&value_key("Timestamp", "Now"), &hash)?;
	Ok(raw.and_then(|r| u64::decode(&mut &r[..]).ok()).unwrap_or(0))
}

/// The meter's record at `at`, cached by meter; fetched again at `at` when `refresh`.
pub(super) fn meter_at(
	client: &mut Client,
	audit: &mut Audit,
	meter: MeterId,
	at: &str,
	refresh: bool,
) -> Result<Option<MeterRecord>> {
	if !refresh {
		if let Some((_, record)) = audit.meters.get(&meter) {
			return Ok(Some(record.clone()));
		}
	}
	let found: Option<MeterRecord> =
		patiently(client, |c| c.runtime_call_at("MetersApi_meter", meter, at))?;
	if let Some(record) = &found {
		audit.meters.insert(meter, (at.to_string(), record.clone()));
	}
	Ok(found)
}

pub(super) fn program_at(
	client: &mut Client,
	audit: &mut Audit,
	hash: ProgramHash,
	at: &str,
) -> Result<Option<lr::Program>> {
	if let Some(found) = audit.programs.get(&hash) {
		return Ok(found.clone());
	}
	let record: Option<ProgramRecord> =
		patiently(client, |c| c.runtime_call_at("LrProgramsApi_program", hash, at))?;
	let program = record.and_then(|r| lr::Program::decode(&r.code).ok());
	audit.programs.insert(hash, program.clone());
	Ok(program)
}
