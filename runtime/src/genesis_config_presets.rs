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

use crate::{AccountId, BalancesConfig, RuntimeGenesisConfig, SudoConfig, UNIT};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each development account holds at genesis.
pub const DEV_ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// The genesis state for the given validators, regulator (root) and endowed accounts.
fn mensura_genesis(
	validators: Vec<(AuraId, GrandpaId)>,
	endowed: Vec<AccountId>,
	regulator: AccountId,
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
	)
}

/// The `local_testnet` preset: four validators (Alice, Bob, Charlie, Dave).
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

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::BuildStorage;

	/// Every preset must be a complete, buildable genesis: a preset that fails to build
	/// would only be noticed when a user starts a chain with it.
	#[test]
	fn every_preset_builds_a_genesis_state() {
		for id in preset_names() {
			let patch = get_preset(&id).expect("listed presets exist");
			let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
			json_patch_merge(&mut config, serde_json::from_slice(&patch).unwrap());
			let config: RuntimeGenesisConfig = serde_json::from_value(config)
				.unwrap_or_else(|e| panic!("preset {id:?} does not deserialise: {e}"));
			config.build_storage().unwrap_or_else(|e| panic!("preset {id:?}: {e}"));
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
}
