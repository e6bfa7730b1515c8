//! The chains this node knows by name: `dev` and `local`.
//!
//! Both are built from the runtime's genesis presets, so the runtime is the one source
//! of truth for the initial state; only the chain's name, id, type and the token
//! properties are set here, from the constants in `mensura-primitives`.

use mensura_primitives::{SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL};
use sc_service::ChainType;
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};

/// The chain specification type of Mensura (no extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// The token and address-format properties Polkadot.js reads from the chain spec.
pub fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	mensura_runtime::WASM_BINARY.ok_or_else(|| {
		"this node was built without the WASM runtime (SKIP_WASM_BUILD was set); \
		 rebuild it without SKIP_WASM_BUILD or pass a chain spec file with --chain"
			.to_string()
	})
}

/// A chain built from one of the runtime's genesis presets.
fn from_preset(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_protocol_id(&id.replace('_', "-"))
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// `--dev`: a single-validator development chain (Alice).
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	from_preset("Mensura Development", "mensura_dev", ChainType::Development, DEV_RUNTIME_PRESET)
}

/// `--chain local`: a four-validator local testnet (Alice, Bob, Charlie, Dave).
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	from_preset(
		"Mensura Local Testnet",
		"mensura_local",
		ChainType::Local,
		LOCAL_TESTNET_RUNTIME_PRESET,
	)
}
