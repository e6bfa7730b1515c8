//! One block re-verified: every frame's signature against the meter's key of the time,
//! every measurement re-run with its program, registers and hash chains replayed.

use super::*;

/// Audits one block: its frames against its `Measured` events, and the events the
/// statistics need.
pub(super) fn audit_block(
	client: &mut Client,
	audit: &mut Audit,
	genesis: &[u8; 32],
	number: u32,
) -> Result<()> {
	let hash = patiently(client, |c| c.block_hash(number.into()))?;
	let block = patiently(client, |c| c.call("chain_getBlock", json!([hash])))?;
	audit.blocks += 1;
	let parent = block["block"]["header"]["parentHash"].as_str().unwrap_or_default().to_string();
	let extrinsics: Vec<String> = block["block"]["extrinsics"]
		.as_array()
		.map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
		.unwrap_or_default();
	let raw_events = patiently(client, |c| c.storage_at(&value_key("System", "Events"), &hash))?;
	let events: Vec<EventRecord> = match raw_events {
		None => Vec::new(),
		Some(raw) => match Vec::<EventRecord>::decode(&mut &raw[..]) {
			Ok(events) => events,
			Err(e) => {
				audit.find(
					Class::Integrity,
					"undecodable-events",
					None,
					Some(number),
					format!("the block's events do not decode ({e}): its frames cannot be matched"),
				);
				return Ok(());
			}
		},
	};
	// Measured events by the extrinsic that emitted them, in order.
	let mut measured: BTreeMap<u32, Vec<(MeterId, u64, Measurement<u32>, u128)>> = BTreeMap::new();
	for record in &events {
		match &record.event {
			RuntimeEvent::Readings(pallet_readings::Event::Measured {
				meter,
				index,
				measurement,
				register,
			}) => {
				let frame_system::Phase::ApplyExtrinsic(i) = record.phase else {
					audit.find(
						Class::Integrity,
						"measurements-without-frames",
						Some(*meter),
						Some(number),
						format!("measurement {index} was stored outside any extrinsic"),
					);
					continue;
				};
				measured.entry(i).or_default().push((
					*meter,
					*index,
					measurement.clone(),
					*register,
				))
			}
			RuntimeEvent::Billing(pallet_billing::Event::InvoiceIssued { invoice, .. }) => {
				audit.invoices.push((*invoice, hash.clone(), number))
			}
			RuntimeEvent::Surveillance(pallet_surveillance::Event::WindowCompared {
				meter,
				check,
				measured,
				counter,
				..
			}) => {
				audit.pairs.entry(*meter).or_default().add_window(*check, *measured, *counter);
			}
			RuntimeEvent::Surveillance(pallet_surveillance::Event::DiscrepancyFound {
				meter,
				check,
				start,
				end,
				measured,
				counter,
				allowed,
			}) => {
				let tally = audit.pairs.entry(*meter).or_default();
				tally.add_window(*check, *measured, *counter);
				tally.discrepancies += 1;
				let detail = format!(
					"check meter {check} over {} .. {}: measured {measured}, counter {counter}, \
					 {} apart, {allowed} allowed",
					utc(*start),
					utc(*end),
					measured.abs_diff(*counter)
				);
				audit.find(
					Class::Anomaly,
					"counter-proof-discrepancy",
					Some(*meter),
					Some(number),
					detail,
				);
			}
			_ => {}
		}
	}
	for (i, encoded) in extrinsics.iter().enumerate() {
		let bytes = match crate::client::unhex(encoded) {
			Ok(bytes) => bytes,
			Err(e) => {
				audit.find(
					Class::Integrity,
					"undecodable-extrinsic",
					None,
					Some(number),
					format!("extrinsic {i}: {e}"),
				);
				continue;
			}
		};
		let extrinsic = match UncheckedExtrinsic::decode(&mut &bytes[..]) {
			Ok(extrinsic) => extrinsic,
			Err(e) => {
				audit.find(
					Class::Integrity,
					"undecodable-extrinsic",
					None,
					Some(number),
					format!("extrinsic {i} does not decode as this runtime's ({e})"),
				);
				continue;
			}
		};
		let frames: Vec<_> = match extrinsic.function {
			RuntimeCall::Readings(pallet_readings::Call::submit_frame { frame }) => vec![frame],
			RuntimeCall::Readings(pallet_readings::Call::submit_frames { frames }) => {
				frames.into_inner()
			}
			_ => continue,
		};
		let events = measured.remove(&(i as u32)).unwrap_or_default();
		if events.len() != frames.len() {
			audit.find(
				Class::Integrity,
				"frames-without-measurements",
				None,
				Some(number),
				format!(
					"extrinsic {i} carries {} frames but the block has {} Measured events for it",
					frames.len(),
					events.len()
				),
			);
		}
		for (signed, event) in frames.iter().zip(events) {
			audit.frames += 1;
			verify_frame(
				client,
				audit,
				genesis,
				number,
				&hash,
				&parent,
				&signed.frame,
				&signed.signature,
				event,
			)?;
		}
	}
	for (i, orphans) in measured {
		audit.find(
			Class::Integrity,
			"measurements-without-frames",
			orphans.first().map(|o| o.0),
			Some(number),
			format!("extrinsic {i} emitted {} Measured events without frames", orphans.len()),
		);
	}
	Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn verify_frame(
	client: &mut Client,
	audit: &mut Audit,
	genesis: &[u8; 32],
	number: u32,
	hash: &str,
	parent: &str,
	bytes: &[u8],
	signature: &mensura_primitives::metering::DeviceSignature,
	(meter, index, measurement, register): (MeterId, u64, Measurement<u32>, u128),
) -> Result<()> {
	let at = Some(number);
	let frame_hash = blake2_256(bytes);
	if measurement.frame != H256(frame_hash) {
		audit.find(
			Class::Integrity,
			"frame-hash-mismatch",
			Some(meter),
			at,
			format!(
				"measurement {index} names frame {} but the block carries {}",
				hex(measurement.frame.as_bytes()),
				hex(&frame_hash)
			),
		);
	}
	let frame = match lr::Frame::decode(bytes) {
		Ok(frame) => frame,
		Err(e) => {
			audit.find(
				Class::Integrity,
				"malformed-frame",
				Some(meter),
				at,
				format!(
					"measurement {index}: its frame is not a frame of a known format ({})",
					e.name()
				),
			);
			return Ok(());
		}
	};
	if (frame.meter, frame.sequence, frame.start, frame.end)
		!= (meter, measurement.sequence, measurement.start, measurement.end)
	{
		audit.find(
			Class::Integrity,
			"frame-measurement-mismatch",
			Some(meter),
			at,
			format!(
				"measurement {index} (sequence {}, {}..{}) does not match its frame (meter {}, \
			 sequence {}, {}..{})",
				measurement.sequence,
				measurement.start,
				measurement.end,
				frame.meter,
				frame.sequence,
				frame.start,
				frame.end
			),
		);
	}
	// The signature, with the meter's key at the parent block (keys rotate).
	let message = lr::frame::signing_message(genesis, &frame_hash);
	let mut record = meter_at(client, audit, meter, parent, false)?;
	let cached_at = audit.meters.get(&meter).map(|(at, _)| at.clone());
	let signed_ok = |r: &Option<MeterRecord>| {
		r.as_ref().is_some_and(|r| r.device_key.verify(&message, signature))
	};
	let bound_ok = |r: &Option<MeterRecord>| {
		r.as_ref().and_then(|r| r.lr_program) == Some(measurement.program)
	};
	if (!signed_ok(&record) || !bound_ok(&record)) && cached_at.as_deref() != Some(parent) {
		record = meter_at(client, audit, meter, parent, true)?;
	}
	let mut verified = true;
	if record.is_none() {
		audit.find(
			Class::Integrity,
			"unknown-meter",
			Some(meter),
			at,
			format!("measurement {index} of a meter the chain did not know at the parent block"),
		);
		verified = false;
	} else if !signed_ok(&record) {
		audit.find(
			Class::Integrity,
			"bad-signature",
			Some(meter),
			at,
			format!(
				"the frame of measurement {index} (sequence {}) is not signed by the meter's key",
				measurement.sequence
			),
		);
		verified = false;
	}
	if record.is_some() && !bound_ok(&record) {
		audit.find(
			Class::Integrity,
			"program-not-bound",
			Some(meter),
			at,
			format!(
			"measurement {index} was computed by program {}, not the program bound to the meter",
			hex(measurement.program.as_bytes())
		),
		);
		verified = false;
	}
	// The quantity, re-run with the identified program.
	match program_at(client, audit, measurement.program, hash)? {
		None => {
			audit.find(
				Class::Integrity,
				"program-unknown",
				Some(meter),
				at,
				format!(
				"measurement {index}: program {} cannot be found on chain (or does not decode): \
				 the quantity cannot be re-computed",
				hex(measurement.program.as_bytes())
			),
			);
			verified = false;
		}
		Some(program) => match program.execute(&frame) {
			Ok(quantity) if quantity == measurement.quantity => {}
			Ok(quantity) => {
				audit.find(
					Class::Integrity,
					"quantity-mismatch",
					Some(meter),
					at,
					format!(
						"measurement {index}: the ledger says {}, the program computes {quantity}",
						measurement.quantity
					),
				);
				verified = false;
			}
			Err(e) => {
				audit.find(
					Class::Integrity,
					"program-fails",
					Some(meter),
					at,
					format!("measurement {index}: the program fails on the frame ({})", e.name()),
				);
				verified = false;
			}
		},
	}
	if verified {
		audit.verified += 1;
	}
	// Replayed sensor data: the same samples in another frame, in either format (the
	// decoded samples are hashed, not their bytes).
	let samples = H256(blake2_256(&frame.channels.encode()));
	if let Some((first_meter, first_sequence)) = audit.samples_seen.get(&samples).copied() {
		audit.find(
			Class::Anomaly,
			"repeated-samples",
			Some(meter),
			at,
			format!(
				"the frame of sequence {} carries exactly the samples of meter {first_meter}'s \
			 sequence {first_sequence}: replayed sensor data",
				measurement.sequence
			),
		);
	} else {
		audit.samples_seen.insert(samples, (meter, measurement.sequence));
	}
	// The register and hash chain, replayed from the state before the meter's first
	// measurement in the range.
	if !audit.replays.contains_key(&meter) {
		let state: ReadingState<AccountId> =
			patiently(client, |c| c.runtime_call_at("ReadingsApi_reading", meter, parent))?;
		audit.replays.insert(meter, state);
	}
	let state = audit.replays.get_mut(&meter).expect("inserted above");
	let mut findings = Vec::new();
	if index != state.measurements {
		findings.push((
			"index-gap",
			format!("measurement {index} follows measurement {}", state.measurements as i128 - 1),
		));
	}
	if let Some(last) = state.last_sequence {
		if measurement.sequence <= last {
			findings.push((
				"sequence-not-increasing",
				format!(
					"sequence {} stored after sequence {last}: a replay reached the ledger",
					measurement.sequence
				),
			));
		}
	}
	if measurement.start < state.last_end {
		findings.push((
			"overlapping-interval",
			format!(
				"measurement {index} starts {} ms before the previous one ended",
				state.last_end - measurement.start
			),
		));
	}
	let gap = state.last_sequence.map_or(0, |last| measurement.sequence.saturating_sub(last + 1));
	state.register = state.register.saturating_add(measurement.quantity);
	if register != state.register {
		findings.push((
			"register-mismatch",
			format!(
				"after measurement {index} the ledger's register is {register}, the sum is {}",
				state.register
			),
		));
		state.register = register;
	}
	state.chain_head =
		mensura_primitives::readings::chain_link(state.chain_head, meter, index, &measurement);
	state.last_sequence = Some(measurement.sequence);
	state.last_end = measurement.end;
	state.measurements = index + 1;
	for (kind, detail) in findings {
		audit.find(Class::Integrity, kind, Some(meter), at, detail);
	}
	if gap > 0 {
		audit.gaps.entry(meter).or_default().push((
			number,
			measurement.sequence - gap - 1,
			measurement.sequence,
		));
	}
	audit.measurements.entry(meter).or_default().push(Seen { block: number, index, measurement });
	Ok(())
}
