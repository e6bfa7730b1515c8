//! Genesis presets: the starting state of a new Mensura chain.
//!
//! - `development` (`--dev`): one validator, Alice, who is also the regulator (sudo).
//! - `local_testnet` (`--chain local`): four validators — Alice, Bob, Charlie and Dave —
//!   for a local multi-node network; GRANDPA finalises while at least three of them
//!   (more than two thirds) are online. Alice is the regulator.
//!
//! In both, the well-known development accounts (Alice … Ferdie and their `//stash`
//! accounts) are endowed with [`DEV_ENDOWMENT`]. These keys are public: never use these
//! presets for a chain that holds anything of value.
//!
//! Both presets also seed a metering world, so a newcomer sees real data in Polkadot.js
//! apps at once, on one node or on a network (see [`dev_metering`]):
//! - Bob is a notified body ("Mensura Dev Notified Body");
//! - Charlie is a manufacturer ("Mensura Dev Meter Works");
//! - model 0, a single-phase electricity meter (Wh, 1 mWh register step, class 1:
//!   maximum permissible error 1 %, frames of 0.5 s to 1 hour), is type-approved by Bob;
//! - meters 0, 1 and 2 of that model are active, verified by Bob at supply points
//!   `SP-DEV-0001` … `SP-DEV-0003`, with serials `DEV-0001` … `DEV-0003` and the sr25519
//!   device keys of the dev seeds `//Meter1`, `//Meter2` and `//Meter3` (sign frames
//!   with `mensura-node key inspect //Meter1` or any sr25519 tool);
//! - Dave is a measurer: his LR program `electricity-active-energy 1.0.0`
//!   ([`mensura_primitives::readings::lr::examples::electricity_active_energy`]: voltage
//!   in mV × current in mA, integrated to mWh) is approved by Bob, and meters 0–2 are
//!   bound to it, so their signed frames become measurements at once;
//! - Eve is a supplier (see [`dev_billing`]): her time-of-use tariff 0 prices meters
//!   0–2, supplied to Ferdie (meter 1 prepaid, the others postpaid) at a supply point
//!   at UTC+1; billing periods last one minute, so invoices appear within a minute of
//!   the first frames; Eve's measurement deposit pays Dave [`DEV_MEASURING_FEE`] per
//!   measurement, 10 % of it to the block author.

use crate::{
	AccountId, BalancesConfig, BillingConfig, LrProgramsConfig, MetersConfig, RewardsConfig,
	RuntimeGenesisConfig, SudoConfig, MICRO_UNIT, MILLI_UNIT, UNIT,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use mensura_primitives::{
	billing::{PaymentMode, TariffBand},
	metering::{DeviceKey, MeasurementUnit, MeterKind, ModelSpec},
};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{Perbill, Permill};

/// What each development account holds at genesis.
pub const DEV_ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// The sr25519 public keys of the dev meters, derived from `//Meter1` … `//Meter3`
/// (checked by a test).
pub const DEV_METER_KEYS: [[u8; 32]; 3] = [
	hex32("4085a3901741d8751078d95fb46bdabfed00280e2526523e6054dafcaa8dd95e"),
	hex32("5a11019f6d572c9180e4b9c6d8fe725a8c3ef507f30f60c968d2471cb0f9a91e"),
	hex32("345807e2c4785dbac37a8ba980e12056eb7243876c02c029cf6849b66c82f758"),
];

/// Decodes 64 hex digits at compile time.
const fn hex32(hex: &str) -> [u8; 32] {
	const fn digit(c: u8) -> u8 {
		match c {
			b'0'..=b'9' => c - b'0',
			b'a'..=b'f' => c - b'a' + 10,
			_ => panic!("not a lowercase hex digit"),
		}
	}
	let bytes = hex.as_bytes();
	assert!(bytes.len() == 64, "expected 64 hex digits");
	let mut out = [0u8; 32];
	let mut i = 0;
	while i < 32 {
		out[i] = digit(bytes[2 * i]) << 4 | digit(bytes[2 * i + 1]);
		i += 1;
	}
	out
}

/// The electricity meter model seeded in the `development` preset.
pub fn dev_model_spec() -> ModelSpec {
	ModelSpec {
		kind: MeterKind::Electricity,
		unit: MeasurementUnit::WattHour,
		resolution_milli: 1,
		max_permissible_error: Permill::from_percent(1),
		// Half a second: at its fastest, a meter's 16 frames a block (the most a block
		// holds of one meter) cover 8 s, more than a 6 s block, so it keeps up.
		min_interval_ms: 500,
		max_interval_ms: 3_600_000,
	}
}

/// The version under which the dev measurer publishes the reference electricity program.
pub const DEV_PROGRAM_VERSION: &[u8] = b"electricity-active-energy 1.0.0";

/// The `LrPrograms` part of the `development` preset: Dave's electricity program,
/// approved by Bob, bound to meters 0–2.
fn dev_programs() -> LrProgramsConfig {
	let code = mensura_primitives::readings::lr::examples::electricity_active_energy()
		.encode()
		.expect("the reference program is valid; checked by the lr crate's tests");
	LrProgramsConfig {
		required_approvals: 1,
		programs: vec![(
			Sr25519Keyring::Dave.to_account_id(),
			DEV_PROGRAM_VERSION.to_vec(),
			code,
			vec![Sr25519Keyring::Bob.to_account_id()],
			vec![0, 1, 2],
		)],
	}
}

/// The `Meters` part of the `development` preset (see the module documentation).
fn dev_metering() -> MetersConfig {
	let body = Sr25519Keyring::Bob.to_account_id();
	let maker = Sr25519Keyring::Charlie.to_account_id();
	MetersConfig {
		notified_bodies: vec![(body.clone(), b"Mensura Dev Notified Body".to_vec())],
		manufacturers: vec![(maker.clone(), b"Mensura Dev Meter Works".to_vec())],
		models: vec![(
			maker,
			b"DEV-EM-1 single-phase electricity meter".to_vec(),
			dev_model_spec(),
			body.clone(),
		)],
		meters: DEV_METER_KEYS
			.iter()
			.enumerate()
			.map(|(i, key)| {
				(
					0,
					DeviceKey::Sr25519(sp_core::sr25519::Public::from_raw(*key)),
					alloc::format!("DEV-{:04}", i + 1).into_bytes(),
					alloc::format!("SP-DEV-{:04}", i + 1).into_bytes(),
					body.clone(),
				)
			})
			.collect(),
	}
}

/// The fixed fee of every measurement on the development chain.
pub const DEV_MEASURING_FEE: crate::Balance = MILLI_UNIT;

/// The billing period of the development chain: one minute.
pub const DEV_BILLING_PERIOD: u64 = 60_000;

/// The development tariff: prices per Wh by local time of day (night 00:00–07:00 and
/// 23:00–24:00 at 0.10 MSR/kWh, day 07:00–19:00 at 0.25, evening 19:00–23:00 at 0.35),
/// and a standing charge of 0.01 MSR per (one-minute) period.
pub fn dev_tariff_bands() -> Vec<TariffBand<crate::Balance>> {
	vec![
		TariffBand { from_minute: 0, to_minute: 420, price: 100 * MICRO_UNIT },
		TariffBand { from_minute: 420, to_minute: 1140, price: 250 * MICRO_UNIT },
		TariffBand { from_minute: 1140, to_minute: 1380, price: 350 * MICRO_UNIT },
		TariffBand { from_minute: 1380, to_minute: 1440, price: 100 * MICRO_UNIT },
	]
}

/// The `Billing` and `Rewards` parts of the `development` preset (see the module
/// documentation).
fn dev_billing() -> (BillingConfig, RewardsConfig) {
	let supplier = Sr25519Keyring::Eve.to_account_id();
	let consumer = Sr25519Keyring::Ferdie.to_account_id();
	let billing = BillingConfig {
		billing_period: DEV_BILLING_PERIOD,
		tariffs: vec![(
			supplier.clone(),
			b"Mensura Dev time-of-use".to_vec(),
			dev_tariff_bands(),
			10 * MILLI_UNIT,
		)],
		contracts: [PaymentMode::Postpaid, PaymentMode::Prepaid, PaymentMode::Postpaid]
			.into_iter()
			.enumerate()
			.map(|(meter, payment)| {
				(meter as u64, supplier.clone(), consumer.clone(), 0, payment, 60)
			})
			.collect(),
		prepaid: vec![(consumer, 1_000 * UNIT)],
	};
	let rewards = RewardsConfig {
		measuring_fee: DEV_MEASURING_FEE,
		author_share: Perbill::from_percent(10),
		deposits: vec![(supplier, 10_000 * UNIT)],
	};
	(billing, rewards)
}

/// The genesis state for the given validators, regulator (root), endowed accounts and
/// metering world.
fn mensura_genesis(
	validators: Vec<(AuraId, GrandpaId)>,
	endowed: Vec<AccountId>,
	regulator: AccountId,
	metering: MetersConfig,
	programs: LrProgramsConfig,
	(billing, rewards): (BillingConfig, RewardsConfig),
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.into_iter().map(|who| (who, DEV_ENDOWMENT)).collect::<Vec<_>>(),
		},
		aura: pallet_aura::GenesisConfig {
			authorities: validators.iter().map(|(aura, _)| aura.clone()).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: validators
				.into_iter()
				.map(|(_, grandpa)| (grandpa, 1))
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(regulator) },
		meters: metering,
		lr_programs: programs,
		billing,
		rewards,
	})
}

/// The session keys of a development validator, derived from its well-known name.
fn dev_validator(sr: Sr25519Keyring, ed: Ed25519Keyring) -> (AuraId, GrandpaId) {
	(sr.public().into(), ed.public().into())
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// The `development` preset: a single validator (Alice).
pub fn development() -> Value {
	mensura_genesis(
		vec![dev_validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		dev_metering(),
		dev_programs(),
		dev_billing(),
	)
}

/// The `local_testnet` preset: four validators (Alice, Bob, Charlie, Dave), and the same
/// metering and billing world as `development`.
pub fn local_testnet() -> Value {
	mensura_genesis(
		vec![
			dev_validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			dev_validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			dev_validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			dev_validator(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
		dev_metering(),
		dev_programs(),
		dev_billing(),
	)
}

/// The JSON patch of the preset `id`, or `None` for an unknown preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		DEV_RUNTIME_PRESET => development(),
		LOCAL_TESTNET_RUNTIME_PRESET => local_testnet(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("a serde_json::Value always serialises; qed")
			.into_bytes(),
	)
}

/// The names of the presets this runtime provides.
pub fn preset_names() -> Vec<PresetId> {
	vec![PresetId::from(DEV_RUNTIME_PRESET), PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET)]
}

/// The genesis state of a preset `patch` applied to the default configuration, built
/// natively: what the node's genesis builder computes in WASM, for a genesis too large for
/// the WASM allocator (`mensura bench` with 100,000 meters builds its raw chain spec so).
#[cfg(feature = "std")]
pub fn build_genesis_storage(patch: Value) -> Result<sp_runtime::Storage, alloc::string::String> {
	use alloc::string::ToString;
	use sp_runtime::BuildStorage;
	let mut config =
		serde_json::to_value(RuntimeGenesisConfig::default()).map_err(|e| e.to_string())?;
	json_patch_merge(&mut config, patch);
	let config: RuntimeGenesisConfig = serde_json::from_value(config).map_err(|e| e.to_string())?;
	config.build_storage()
}

/// The development chain's genesis state (its preset applied to the default
/// configuration), for tests that run the runtime on it.
#[cfg(test)]
pub(crate) fn development_storage() -> sp_runtime::Storage {
	let patch = get_preset(&PresetId::from(DEV_RUNTIME_PRESET)).expect("the development preset");
	build_genesis_storage(serde_json::from_slice(&patch).unwrap()).unwrap()
}

/// A preset applied to a configuration, as the node's genesis builder does (RFC 7386).
#[cfg(feature = "std")]
fn json_patch_merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (k, v) in patch {
				json_patch_merge(base.entry(k).or_insert(Value::Null), v);
			}
		}
		(base, patch) => *base = patch,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Every preset must be a complete, buildable genesis: a preset that fails to build
	/// would only be noticed when a user starts a chain with it.
	#[test]
	fn every_preset_builds_a_genesis_state() {
		for id in preset_names() {
			let patch = get_preset(&id).expect("listed presets exist");
			build_genesis_storage(serde_json::from_slice(&patch).unwrap())
				.unwrap_or_else(|e| panic!("preset {id:?}: {e}"));
		}
	}

	#[test]
	fn unknown_preset_is_none() {
		assert!(get_preset(&PresetId::from("no-such-preset")).is_none());
	}

	#[test]
	fn local_testnet_has_four_validators_and_development_one() {
		let count = |v: Value| v["aura"]["authorities"].as_array().unwrap().len();
		assert_eq!(count(development()), 1);
		assert_eq!(count(local_testnet()), 4);
		let grandpa = local_testnet()["grandpa"]["authorities"].as_array().unwrap().len();
		assert_eq!(grandpa, 4);
	}

	#[test]
	fn dev_meter_keys_derive_from_the_documented_seeds() {
		use sp_core::{sr25519, Pair};
		for (i, key) in DEV_METER_KEYS.iter().enumerate() {
			let seed = alloc::format!("//Meter{}", i + 1);
			let pair = sr25519::Pair::from_string(&seed, None).unwrap();
			assert_eq!(pair.public().0, *key, "{seed}");
		}
	}

	#[test]
	fn development_seeds_three_active_meters() {
		use mensura_primitives::metering::{MeterRegistry, MeterStatus};
		sp_io::TestExternalities::new(development_storage()).execute_with(|| {
			for meter in 0..3 {
				let summary = <crate::Meters as MeterRegistry>::meter(meter).unwrap();
				assert_eq!(summary.status, MeterStatus::Active);
				assert_eq!(summary.spec, dev_model_spec());
			}
			assert!(<crate::Meters as MeterRegistry>::meter(3).is_none());
			let charlie = Sr25519Keyring::Charlie.to_account_id();
			let deposit: crate::Balance =
				<<crate::Runtime as pallet_meters::Config>::MeterDeposit as frame_support::traits::Get<_>>::get();
			let reason = crate::RuntimeHoldReason::Meters(pallet_meters::HoldReason::MeterDeposit);
			let held = <crate::Balances as frame_support::traits::fungible::InspectHold<_>>::balance_on_hold(&reason, &charlie);
			assert_eq!(held, 3 * deposit);
			crate::Meters::do_try_state().unwrap();
			let program = <crate::Meters as MeterRegistry>::lr_program(0).expect("bound");
			for meter in 1..3 {
				assert_eq!(<crate::Meters as MeterRegistry>::lr_program(meter), Some(program));
			}
			use mensura_primitives::readings::LrProgramProvider;
			assert_eq!(
				crate::LrPrograms::usable_program(&program),
				Ok(mensura_primitives::readings::lr::examples::electricity_active_energy())
			);
			crate::LrPrograms::do_try_state().unwrap();
		});
	}
}
