//! The fleet: the meters the chain knows, and the missing ones provisioned, verified and
//! bound to the LR program.

use super::*;

pub(super) fn program_hash(text: &str) -> Result<ProgramHash> {
	crate::client::unhex(text)
		.ok()
		.filter(|b| b.len() == 32)
		.map(|b| ProgramHash::from_slice(&b))
		.ok_or_else(|| {
			Error::usage(format!("--program {text}: expected a 32-byte hash (0x + 64 hex digits)"))
		})
}

/// Finds the fleet's meters on chain and registers the missing ones.
pub(super) fn prepare_fleet(
	client: &mut Client,
	args: &SimulateArgs,
	chain: &ChainContext,
) -> Result<Vec<SimMeter>> {
	let keys: Vec<(String, MeterKey)> = (1..=args.meters)
		.map(|i| {
			let uri = format!("{}{i}", args.key_prefix);
			MeterKey::from_uri(crate::keys::Scheme::Sr25519, &uri).map(|key| (uri, key))
		})
		.collect::<Result<_>>()?;
	let lookup = |client: &mut Client, key: &MeterKey| -> Result<Option<MeterId>> {
		client.runtime_call("MetersApi_meter_by_device_key", key.device_key())
	};
	let mut ids: Vec<Option<MeterId>> =
		keys.iter().map(|(_, key)| lookup(client, key)).collect::<Result<_>>()?;

	let missing: Vec<usize> = (0..keys.len()).filter(|&i| ids[i].is_none()).collect();
	if !missing.is_empty() {
		if args.no_register {
			return Err(Error::input(format!(
				"no meter on chain has the key {} (and {} more); drop --no-register to register them",
				keys[missing[0]].0,
				missing.len() - 1
			)));
		}
		let program = match &args.program {
			Some(text) => program_hash(text)?,
			None => chain::meter(client, 0)?
				.lr_program
				.map(|p| p.hash)
				.ok_or_else(|| Error::input("meter 0 has no LR program to copy: pass --program"))?,
		};
		let manufacturer = account_pair(&args.manufacturer, "manufacturer")?;
		let body = account_pair(&args.notified_body, "notified-body")?;
		say(
			args,
			&format!(
				"registering {} meters: provisioning as {}",
				missing.len(),
				address(&manufacturer)
			),
		);
		let provisions = missing
			.iter()
			.map(|&i| {
				let key = &keys[i].1;
				RuntimeCall::Meters(pallet_meters::Call::provision_meter {
					model: args.model,
					device_key: key.device_key(),
					serial: format!("SIM-{}", &hex(&key.public())[2..14]).into_bytes(),
				})
			})
			.collect();
		send_signed(client, chain, &manufacturer, provisions, "manufacturer")?;
		let new_ids = poll(
			Duration::from_secs(90),
			|| {
				format!(
					"the provisioned meters did not appear within 90 s: is {} the manufacturer of \
					 model {} (--manufacturer, --model)?",
					args.manufacturer, args.model
				)
			},
			|| {
				let found: Vec<Option<MeterId>> =
					missing.iter().map(|&i| lookup(client, &keys[i].1)).collect::<Result<_>>()?;
				Ok(found
					.iter()
					.all(Option::is_some)
					.then(|| found.into_iter().flatten().collect::<Vec<_>>()))
			},
		)?;
		say(
			args,
			&format!("verifying and binding them to program {program:?} as {}", address(&body)),
		);
		let mut calls = Vec::new();
		for (&i, &id) in missing.iter().zip(&new_ids) {
			ids[i] = Some(id);
			calls.push(RuntimeCall::Meters(pallet_meters::Call::verify_meter {
				meter: id,
				supply_point: format!("SP-SIM-{}", &hex(&keys[i].1.public())[2..14]).into_bytes(),
			}));
			calls.push(RuntimeCall::LrPrograms(pallet_lr_programs::Call::bind_meter {
				meter: id,
				program,
			}));
		}
		send_signed(client, chain, &body, calls, "notified body")?;
		poll(
			Duration::from_secs(90),
			|| {
				format!(
					"the new meters were not verified and bound within 90 s: is {} a notified \
					 body, and is the program approved?",
					args.notified_body
				)
			},
			|| {
				let meters = fetch_meters(client, &new_ids)?;
				Ok(new_ids
					.iter()
					.all(|id| {
						meters
							.get(id)
							.is_some_and(|m| m.status == "Active" && m.lr_program.is_some())
					})
					.then_some(()))
			},
		)?;
	}

	let ids: Vec<MeterId> = ids.into_iter().flatten().collect();
	let infos = fetch_meters(client, &ids)?;
	let mut programs: BTreeMap<ProgramHash, lr::Program> = BTreeMap::new();
	let mut fleet = Vec::new();
	for ((uri, key), id) in keys.into_iter().zip(ids) {
		let info = infos.get(&id).ok_or_else(|| Error::node(format!("meter {id} vanished")))?;
		if info.status != "Active" {
			return Err(Error::input(format!(
				"meter {id} (key {uri}) is {}: only active meters measure",
				info.status
			)));
		}
		let hash = info.lr_program.as_ref().map(|p| p.hash).ok_or_else(|| {
			Error::input(format!("meter {id} (key {uri}) has no LR program bound"))
		})?;
		if !programs.contains_key(&hash) {
			let found: Option<(
				ProgramHash,
				pallet_lr_programs::ProgramRecordOf<mensura_runtime::Runtime>,
			)> = client.runtime_call("LrProgramsApi_program_of_meter", id)?;
			let (_, record) =
				found.ok_or_else(|| Error::node(format!("the program of meter {id} is gone")))?;
			let program = lr::Program::decode(&record.code).map_err(|e| {
				Error::node(format!("the program of meter {id} does not decode: {e:?}"))
			})?;
			if program.inputs != 2 {
				return Err(Error::input(format!(
					"meter {id}'s program takes {} channels; the simulator makes electricity \
					 frames (voltage and current)",
					program.inputs
				)));
			}
			programs.insert(hash, program);
		}
		let profile = LoadProfile::new(args.seed, id);
		fleet.push(SimMeter::new(id, uri, key, programs[&hash].clone(), profile, info));
	}
	Ok(fleet)
}
