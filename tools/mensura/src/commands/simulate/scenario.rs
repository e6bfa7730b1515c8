//! The tampering scenario: a scaled meter, a check meter, dropped and replayed frames, and
//! a forged program binding, for the audit to find.

use super::*;

/// The storage key of `Surveillance::Surveilled(meter)`.
pub(super) fn surveilled_key(meter: MeterId) -> Vec<u8> {
	use codec::Encode;
	use sp_io::hashing::{blake2_128, twox_128};
	let id = meter.encode();
	[&twox_128(b"Surveillance")[..], &twox_128(b"Surveilled"), &blake2_128(&id), &id].concat()
}

/// The program the scenario's fourth meter is bound to: the development electricity
/// program with its final scale 10 % low.
pub(super) fn low_reading(program: &lr::Program) -> lr::Program {
	let mut variant = program.clone();
	for op in variant.ops.iter_mut() {
		if let lr::Op::Scale { numerator, denominator } = op {
			*numerator *= 9;
			*denominator *= 10;
		}
	}
	variant
}

/// Signs and sends `calls` as `role`, then waits up to 90 s for `done` to hold.
pub(super) fn act(
	client: &mut Client,
	chain: &ChainContext,
	signer: &sr25519::Pair,
	calls: Vec<RuntimeCall>,
	role: &str,
	what: &str,
	mut done: impl FnMut(&mut Client) -> Result<bool>,
) -> Result<()> {
	send_signed(client, chain, signer, calls, role)?;
	poll(
		Duration::from_secs(90),
		|| format!("{what} did not happen within 90 s"),
		|| Ok(done(client)?.then_some(())),
	)
}

/// Sets up the tampering scenario on a prepared fleet: the check meter of the first
/// meter (provisioned, verified at its supply point, bound, registered as its
/// counter-proof), and the low-reading program bound to the fourth.
pub(super) fn prepare_scenario(
	client: &mut Client,
	args: &SimulateArgs,
	chain: &ChainContext,
	fleet: &mut Vec<SimMeter>,
) -> Result<()> {
	if fleet.len() < 10 {
		return Err(Error::usage(
			"--scenario tampering needs --meters 10 or more (peers to compare)",
		));
	}
	let window = parse_duration(&args.window, "window")?.as_millis() as u64;
	if window < 60_000 {
		return Err(Error::usage(format!("--window {}: at least 60s", args.window)));
	}
	let manufacturer = account_pair(&args.manufacturer, "manufacturer")?;
	let body = account_pair(&args.notified_body, "notified-body")?;
	let surveillant = account_pair(&args.surveillant, "surveillant")?;
	let measurer = account_pair(&args.measurer, "measurer")?;
	let target = fleet[0].id;
	let info = chain::meter(client, target)?;
	let supply_point = info
		.supply_point
		.clone()
		.ok_or_else(|| Error::input(format!("meter {target} has no supply point")))?;
	let program = info
		.lr_program
		.as_ref()
		.map(|p| p.hash)
		.ok_or_else(|| Error::input(format!("meter {target} has no LR program")))?;

	// The check meter.
	let uri = format!("{}Check1", args.key_prefix);
	let key = MeterKey::from_uri(crate::keys::Scheme::Sr25519, &uri)?;
	let device_key = key.device_key();
	let lookup = move |client: &mut Client| -> Result<Option<MeterId>> {
		client.runtime_call("MetersApi_meter_by_device_key", device_key.clone())
	};
	if lookup(client)?.is_none() {
		say(args, &format!("provisioning the check meter of meter {target} ({uri})"));
		let provision = RuntimeCall::Meters(pallet_meters::Call::provision_meter {
			model: args.model,
			device_key: key.device_key(),
			serial: format!("SIM-CHECK-{}", &hex(&key.public())[2..14]).into_bytes(),
		});
		act(client, chain, &manufacturer, vec![provision], "manufacturer", "provisioning", |c| {
			Ok(lookup(c)?.is_some())
		})?;
	}
	let check = lookup(client)?.ok_or_else(|| Error::node("the check meter vanished"))?;
	let ready = |c: &mut Client| -> Result<bool> {
		let m = chain::meter(c, check)?;
		Ok(m.status == "Active" && m.lr_program.is_some())
	};
	if !ready(client)? {
		let calls = vec![
			RuntimeCall::Meters(pallet_meters::Call::verify_meter {
				meter: check,
				supply_point: supply_point.clone().into_bytes(),
			}),
			RuntimeCall::LrPrograms(pallet_lr_programs::Call::bind_meter { meter: check, program }),
		];
		act(client, chain, &body, calls, "notified body", "verifying the check meter", ready)?;
	}
	let paired = |c: &mut Client| -> Result<bool> {
		let at = c.call("chain_getBlockHash", json!([]))?;
		Ok(c.storage_at(&surveilled_key(target), at.as_str().unwrap_or_default())?.is_some())
	};
	if !paired(client)? {
		say(args, &format!("registering meter {check} as the check meter of meter {target}"));
		let register = RuntimeCall::Surveillance(pallet_surveillance::Call::register_check_meter {
			meter: target,
			check,
			window,
		});
		act(client, chain, &surveillant, vec![register], "surveillant", "the pairing", paired)?;
	}

	// The low-reading program, published, approved and bound to the fourth meter.
	let variant = low_reading(&fleet[3].program);
	let code =
		variant.encode().map_err(|e| Error::failure(format!("the variant program: {e:?}")))?;
	let hash = ProgramHash::from(sp_io::hashing::blake2_256(&code));
	let status = move |c: &mut Client| -> Result<Option<String>> {
		let found: Option<pallet_lr_programs::ProgramRecordOf<mensura_runtime::Runtime>> =
			c.runtime_call("LrProgramsApi_program", hash)?;
		Ok(found.map(|r| format!("{:?}", r.status)))
	};
	if status(client)?.is_none() {
		say(args, &format!("publishing the low-reading program {hash:?} as the measurer"));
		let publish = RuntimeCall::LrPrograms(pallet_lr_programs::Call::publish_program {
			code,
			version: b"1.0.0-sim-low".to_vec(),
		});
		act(client, chain, &measurer, vec![publish], "measurer", "publishing", |c| {
			Ok(status(c)?.is_some())
		})?;
	}
	if status(client)?.as_deref() != Some("Approved") {
		let approve =
			RuntimeCall::LrPrograms(pallet_lr_programs::Call::approve_program { program: hash });
		act(client, chain, &body, vec![approve], "notified body", "the approval", |c| {
			Ok(status(c)?.as_deref() == Some("Approved"))
		})?;
	}
	let forged = fleet[3].id;
	let bound = move |c: &mut Client| -> Result<bool> {
		Ok(chain::meter(c, forged)?.lr_program.map(|p| p.hash) == Some(hash))
	};
	if !bound(client)? {
		say(args, &format!("binding meter {forged} to it"));
		let bind = RuntimeCall::LrPrograms(pallet_lr_programs::Call::bind_meter {
			meter: forged,
			program: hash,
		});
		act(client, chain, &body, vec![bind], "notified body", "the binding", bound)?;
	}
	fleet[3].program = variant;

	// The check meter joins the fleet, after its target.
	let checked = chain::meter(client, check)?;
	let program = fleet[0].program.clone();
	let profile = LoadProfile::new(args.seed ^ 0xC4EC, check);
	let mut check_meter = SimMeter::new(check, uri, key, program, profile, &checked);
	check_meter.tamper = Tamper::Check { of: 0 };
	// Both start where the later of the two left off.
	check_meter.last_end = check_meter.last_end.max(fleet[0].last_end);
	fleet[0].last_end = check_meter.last_end;
	fleet.push(check_meter);
	fleet[0].tamper = Tamper::Scaled(1.03);
	fleet[1].tamper = Tamper::Drops(0.2);
	fleet[2].tamper = Tamper::Replays;
	fleet[3].tamper = Tamper::ForgedBinding;
	Ok(())
}
