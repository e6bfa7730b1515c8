//! The chain spec: the development world plus the bench meters, typed as the pallets'
//! genesis configs declare them.

use super::*;

/// What each meter account holds at genesis in a `--baseline` run: far more than its
/// remarks' fees.
const BASELINE_ENDOWMENT: mensura_runtime::Balance = 1_000 * mensura_runtime::UNIT;

pub(super) fn ss58(public: &[u8; 32]) -> String {
	sp_core::crypto::AccountId32::from(*public)
		.to_ss58check_with_version(mensura_primitives::SS58_PREFIX.into())
}

pub(super) fn dev_public(name: &str) -> ([u8; 32], [u8; 32]) {
	let uri = format!("//{}{}", name[..1].to_uppercase(), &name[1..]);
	let sr = sr25519::Pair::from_string(&uri, None).expect("well-known URI").public().0;
	let ed = ed25519::Pair::from_string(&uri, None).expect("well-known URI").public().0;
	(sr, ed)
}

/// The development chain spec of `node`, extended with the bench meters (ids from
/// the first free one) and, for several validators, their authorities.
pub(super) fn chain_spec(
	node: &Path,
	settings: &Settings,
	keys: &[MeterKey],
) -> Result<(Value, u64)> {
	let output = Command::new(node)
		.args(["build-spec", "--chain", "dev"])
		.stderr(Stdio::null())
		.output()
		.map_err(|e| Error::input(format!("cannot run {}: {e}", node.display())))?;
	if !output.status.success() {
		return Err(Error::input(format!(
			"{} build-spec --chain dev failed: is it a mensura-node?",
			node.display()
		)));
	}
	let mut spec: Value = serde_json::from_slice(&output.stdout)
		.map_err(|e| Error::input(format!("the node's chain spec is not JSON ({e})")))?;
	let patch = spec
		.pointer_mut("/genesis/runtimeGenesis/patch")
		.ok_or_else(|| Error::input("the node's dev chain spec has no genesis patch"))?;

	// Each section typed as the pallet's genesis config declares it: a change there is a
	// compile error here, not a wrong tuple position in JSON.
	let mut meters: Vec<pallet_meters::GenesisMeter<AccountId>> = section(patch, "/meters/meters")?;
	let first = meters.len() as u64;
	let (model, _, _, _, verifier) = meters.first().cloned().ok_or_else(|| no_template("meter"))?;
	for (i, key) in keys.iter().enumerate() {
		let id = first + i as u64;
		meters.push((
			model,
			key.device_key(),
			format!("BENCH-{id:06}").into_bytes(),
			format!("SP-BENCH-{id:06}").into_bytes(),
			verifier.clone(),
		));
	}
	let bench_meters = first..first + keys.len() as u64;
	// Every bench meter runs the dev chain's program.
	let mut programs: Vec<pallet_lr_programs::GenesisProgram<AccountId>> =
		section(patch, "/lrPrograms/programs")?;
	let (_, _, _, _, bound) = programs.first_mut().ok_or_else(|| no_template("LR program"))?;
	bound.extend(bench_meters.clone());
	// Every bench meter has a postpaid supply contract like the dev chain's first.
	let mut contracts: Vec<pallet_billing::GenesisContract<AccountId>> =
		section(patch, "/billing/contracts")?;
	let (_, supplier, consumer, tariff, _, utc_offset) =
		contracts.first().cloned().ok_or_else(|| no_template("supply contract"))?;
	contracts.extend(bench_meters.map(|meter| {
		(meter, supplier.clone(), consumer.clone(), tariff, PaymentMode::Postpaid, utc_offset)
	}));
	set_section(patch, "/meters/meters", &meters)?;
	set_section(patch, "/lrPrograms/programs", &programs)?;
	set_section(patch, "/billing/contracts", &contracts)?;
	// The baseline: each meter's key is also a funded account, which pays for its remarks.
	if settings.baseline {
		let mut balances: Vec<(AccountId, mensura_runtime::Balance)> =
			section(patch, "/balances/balances")?;
		balances.extend(keys.iter().filter_map(|key| match key {
			MeterKey::Sr25519(pair) => Some((AccountId::from(pair.public()), BASELINE_ENDOWMENT)),
			_ => None,
		}));
		set_section(patch, "/balances/balances", &balances)?;
	}
	// A realistic billing period (the default 30 days) instead of the dev chain's minute.
	set_section(patch, "/billing/billingPeriod", &0u64)?;
	if settings.validators > 1 {
		let names = &VALIDATORS[..settings.validators];
		patch["aura"]["authorities"] =
			names.iter().map(|n| json!(ss58(&dev_public(n).0))).collect();
		patch["grandpa"]["authorities"] =
			names.iter().map(|n| json!([ss58(&dev_public(n).1), 1])).collect();
		spec["chainType"] = json!("Local");
		spec["id"] = json!("mensura_bench_local");
	} else {
		spec["id"] = json!("mensura_bench_dev");
	}
	spec["name"] = json!("Mensura ingestion benchmark");
	Ok((raw(spec)?, first))
}

/// The spec with its genesis state built here, natively, by the runtime's own genesis
/// builder (`build_genesis_storage`, the code the node runs in WASM), and given to the node
/// as raw storage. The node cannot build a genesis of 50,000 meters or more itself: one
/// allocation passes the WASM allocator's 32 MiB limit ("Requested allocation size is too
/// large").
fn raw(mut spec: Value) -> Result<Value> {
	let genesis = spec
		.pointer_mut("/genesis/runtimeGenesis")
		.ok_or_else(|| Error::input("the node's dev chain spec has no runtime genesis"))?;
	let code = genesis["code"]
		.as_str()
		.ok_or_else(|| Error::input("the node's dev chain spec has no runtime code"))?
		.to_string();
	let storage =
		mensura_runtime::genesis_config_presets::build_genesis_storage(genesis["patch"].take())
			.map_err(|e| Error::input(format!("the bench genesis does not build: {e}")))?;
	if !storage.children_default.is_empty() {
		return Err(Error::input(
			"the bench genesis has child tries, which this tool does not write",
		));
	}
	let mut top: serde_json::Map<String, Value> =
		storage.top.iter().map(|(key, value)| (hex(key), Value::String(hex(value)))).collect();
	top.insert(hex(sp_core::storage::well_known_keys::CODE), Value::String(code));
	spec["genesis"] = json!({ "raw": { "top": top, "childrenDefault": {} } });
	Ok(spec)
}

/// The section of a genesis patch at `pointer` (a JSON pointer), as the type its pallet's
/// genesis config gives it.
pub(super) fn section<T: serde::de::DeserializeOwned>(patch: &Value, pointer: &str) -> Result<T> {
	let value = patch
		.pointer(pointer)
		.ok_or_else(|| Error::input(format!("the node's dev genesis has no {pointer}")))?;
	serde_json::from_value(value.clone()).map_err(|e| {
		Error::input(format!("the node's dev genesis has a {pointer} this tool cannot read: {e}"))
	})
}

/// Replaces the section of a genesis patch at `pointer`, which must exist.
pub(super) fn set_section<T: serde::Serialize>(
	patch: &mut Value,
	pointer: &str,
	value: &T,
) -> Result<()> {
	let slot = patch
		.pointer_mut(pointer)
		.ok_or_else(|| Error::input(format!("the node's dev genesis has no {pointer}")))?;
	*slot = serde_json::to_value(value).expect("genesis types serialize to JSON");
	Ok(())
}

pub(super) fn no_template(what: &str) -> Error {
	Error::input(format!("the node's dev genesis has no {what} to model the bench ones on"))
}
