//! State bytes per meter: every storage entry one meter keeps, keys and values, read from
//! a node at one block with the runtime's own storage types (so a renamed pallet or item
//! is a compile error here, not a silent zero).

use super::*;
use frame_support::{storage::StoragePrefixedMap, Hashable};
use mensura_primitives::{metering::AuditSubject, readings::ReadingState};
use mensura_runtime::{AccountId, Runtime};

/// One kind of entry of a meter: its storage item, how many entries, their bytes.
pub(super) struct Entries {
	pub(super) item: &'static str,
	pub(super) count: usize,
	pub(super) bytes: usize,
}

/// Every entry meter `id` keeps in state at block `at`: its registry record, device key,
/// serial and audit trail; its reading state (no measurement: they are in events); its
/// active contract with its parties' index of it, its invoices and the
/// last billed time; its surveillance role and inspection.
pub(super) fn meter_state(client: &mut Client, id: u64, at: &str) -> Result<Vec<Entries>> {
	let mut entries = Vec::new();
	let meter_key = pallet_meters::Meters::<Runtime>::hashed_key_for(id);
	let meter = value(client, &meter_key, at)?
		.map(|raw| decode::<pallet_meters::MeterOf<Runtime>>(&raw, "a meter"))
		.transpose()?;
	entries.push(exact(client, "Meters.Meters", vec![meter_key], at)?);
	if let Some(meter) = &meter {
		entries.push(exact(
			client,
			"Meters.DeviceKeys",
			vec![pallet_meters::DeviceKeys::<Runtime>::hashed_key_for(&meter.device_key)],
			at,
		)?);
		entries.push(exact(
			client,
			"Meters.Serials",
			vec![pallet_meters::Serials::<Runtime>::hashed_key_for(
				&meter.manufacturer,
				&meter.serial,
			)],
			at,
		)?);
	}
	let subject = AuditSubject::Meter(id);
	entries.push(exact(
		client,
		"Meters.AuditLength",
		vec![pallet_meters::AuditLength::<Runtime>::hashed_key_for(&subject)],
		at,
	)?);
	let audit_prefix =
		[pallet_meters::AuditLog::<Runtime>::final_prefix().to_vec(), subject.blake2_128_concat()]
			.concat();
	entries.push(prefixed(client, "Meters.AuditLog", &audit_prefix, at)?);
	entries.push(exact(
		client,
		"Meters.PendingKeyRotations",
		vec![pallet_meters::PendingKeyRotations::<Runtime>::hashed_key_for(id)],
		at,
	)?);
	// The reading record names the meter's active supply contract.
	let reading_key = pallet_readings::Readings::<Runtime>::hashed_key_for(id);
	let contract_id = value(client, &reading_key, at)?
		.map(|raw| decode::<ReadingState<AccountId>>(&raw, "a reading record"))
		.transpose()?
		.and_then(|reading| reading.supply_contract());
	entries.push(exact(client, "Readings.Readings", vec![reading_key], at)?);
	if let Some(contract_id) = contract_id {
		let contract_key = pallet_billing::Contracts::<Runtime>::hashed_key_for(contract_id);
		let contract = value(client, &contract_key, at)?
			.map(|raw| decode::<pallet_billing::ContractOf<Runtime>>(&raw, "a contract"))
			.transpose()?;
		entries.push(exact(client, "Billing.Contracts", vec![contract_key], at)?);
		if let Some(contract) = contract {
			entries.push(exact(
				client,
				"Billing.ContractsOf",
				[&contract.supplier, &contract.consumer]
					.into_iter()
					.map(|party| {
						pallet_billing::ContractsOf::<Runtime>::hashed_key_for(party, contract_id)
					})
					.collect(),
				at,
			)?);
		}
		let invoices_prefix = [
			pallet_billing::ContractInvoices::<Runtime>::final_prefix().to_vec(),
			contract_id.twox_64_concat(),
		]
		.concat();
		let index = prefixed_keys(client, &invoices_prefix, at)?;
		let invoice_keys: Vec<Vec<u8>> = index
			.iter()
			.filter_map(|key| {
				let id = key.get(key.len().checked_sub(8)?..)?;
				let id = u64::from_le_bytes(id.try_into().ok()?);
				Some(pallet_billing::Invoices::<Runtime>::hashed_key_for(id))
			})
			.collect();
		entries.push(exact(client, "Billing.ContractInvoices", index, at)?);
		entries.push(exact(client, "Billing.Invoices", invoice_keys, at)?);
	}
	entries.push(exact(
		client,
		"Billing.LastBilled",
		vec![pallet_billing::LastBilled::<Runtime>::hashed_key_for(id)],
		at,
	)?);
	entries.push(exact(
		client,
		"Surveillance.Surveilled",
		vec![pallet_surveillance::Surveilled::<Runtime>::hashed_key_for(id)],
		at,
	)?);
	entries.push(exact(
		client,
		"Surveillance.Inspections",
		vec![pallet_surveillance::Inspections::<Runtime>::hashed_key_for(id)],
		at,
	)?);
	Ok(entries)
}

fn decode<T: codec::Decode>(raw: &[u8], what: &str) -> Result<T> {
	T::decode(&mut &raw[..]).map_err(|e| Error::node(format!("{what} does not decode: {e}")))
}

fn value(client: &mut Client, key: &[u8], at: &str) -> Result<Option<Vec<u8>>> {
	client.storage_at(key, at)
}

/// The entries of `keys` that exist, and their bytes (key and value).
fn exact(client: &mut Client, item: &'static str, keys: Vec<Vec<u8>>, at: &str) -> Result<Entries> {
	let (mut count, mut bytes) = (0, 0);
	for key in &keys {
		if let Some(raw) = value(client, key, at)? {
			count += 1;
			bytes += key.len() + raw.len();
		}
	}
	Ok(Entries { item, count, bytes })
}

/// Every key under `prefix`, a page of 1,000 at a time.
fn prefixed_keys(client: &mut Client, prefix: &[u8], at: &str) -> Result<Vec<Vec<u8>>> {
	let mut keys = Vec::new();
	let mut start: Option<String> = None;
	loop {
		let page = client.call("state_getKeysPaged", json!([hex(prefix), 1000, start, at]))?;
		let page =
			page.as_array().ok_or_else(|| Error::node("state_getKeysPaged: not a list of keys"))?;
		for key in page {
			let key = key.as_str().ok_or_else(|| Error::node("state_getKeysPaged: not a key"))?;
			keys.push(unhex(key).map_err(Error::node)?);
		}
		if page.len() < 1000 {
			return Ok(keys);
		}
		start = page.last().and_then(|k| k.as_str()).map(String::from);
	}
}

fn prefixed(client: &mut Client, item: &'static str, prefix: &[u8], at: &str) -> Result<Entries> {
	let keys = prefixed_keys(client, prefix, at)?;
	exact(client, item, keys, at)
}

/// The baseline's state per meter: its account (`System.Account`), which holds its nonce
/// and the balance its remarks' fees come from.
pub(super) fn account_state(client: &mut Client, key: &MeterKey, at: &str) -> Result<Vec<Entries>> {
	let MeterKey::Sr25519(pair) = key else {
		return Err(Error::usage("--baseline: meter accounts must be sr25519"));
	};
	let account = AccountId::from(pair.public());
	Ok(vec![exact(
		client,
		"System.Account",
		vec![frame_system::Account::<Runtime>::hashed_key_for(account)],
		at,
	)?])
}
