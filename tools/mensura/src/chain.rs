//! Chain access every command shares, over [`Client`]: a meter by id, many meters at
//! once, storage keys of plain values, waiting until frames are measurements.

use crate::{client::Client, Error, Result};
use mensura_primitives::metering::MeterId;
use mensura_rpc::{MeterInfo, MeterPage};
use serde_json::json;
use sp_io::hashing::twox_128;
use std::{
	collections::BTreeMap,
	time::{Duration, Instant},
};

/// The meter, or an input error naming it.
pub fn meter(client: &mut Client, id: MeterId) -> Result<MeterInfo> {
	client.call_as::<Option<MeterInfo>>("mensura_meter", json!([id]))?.ok_or_else(|| {
		Error::input(format!("there is no meter {id} on the chain at {}", client.url()))
	})
}

/// The storage key of the plain (unkeyed) storage value `pallet::item`.
pub fn value_key(pallet: &str, item: &str) -> Vec<u8> {
	[twox_128(pallet.as_bytes()), twox_128(item.as_bytes())].concat()
}

/// Polls `check` every half second until it returns `Some`, or fails with `timeout_message`.
pub fn poll<T>(
	timeout: Duration,
	timeout_message: impl Fn() -> String,
	mut check: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
	let started = Instant::now();
	loop {
		if let Some(value) = check()? {
			return Ok(value);
		}
		if started.elapsed() > timeout {
			return Err(Error::failure(timeout_message()));
		}
		std::thread::sleep(Duration::from_millis(500));
	}
}

/// Every meter with an id in `ids`, in one or a few `mensura_meters` calls.
pub fn fetch_meters(client: &mut Client, ids: &[MeterId]) -> Result<BTreeMap<MeterId, MeterInfo>> {
	let (Some(&low), Some(&high)) = (ids.iter().min(), ids.iter().max()) else {
		return Ok(BTreeMap::new());
	};
	let mut found = BTreeMap::new();
	let mut from = low;
	while from <= high {
		let limit = (high - from + 1).min(1000);
		let page: MeterPage = client.call_as("mensura_meters", json!([from, limit]))?;
		for meter in page.meters {
			if ids.contains(&meter.id) {
				found.insert(meter.id, meter);
			}
		}
		match page.next {
			Some(next) => from = next,
			None => break,
		}
	}
	Ok(found)
}

/// Waits until each meter's last sequence reaches the highest accepted one.
pub fn wait_until_measured(
	client: &mut Client,
	accepted: &[(MeterId, u64)],
	timeout: Duration,
) -> Result<()> {
	let mut highest: BTreeMap<MeterId, u64> = BTreeMap::new();
	for &(meter, sequence) in accepted {
		let entry = highest.entry(meter).or_default();
		*entry = (*entry).max(sequence);
	}
	let ids: Vec<_> = highest.keys().copied().collect();
	poll(
		timeout,
		|| format!("accepted frames did not become measurements within {}s", timeout.as_secs()),
		|| {
			let meters = fetch_meters(client, &ids)?;
			Ok(highest
				.iter()
				.all(|(id, &sequence)| {
					meters
						.get(id)
						.and_then(|m| m.last_sequence)
						.is_some_and(|last| last >= sequence)
				})
				.then_some(()))
		},
	)
}
