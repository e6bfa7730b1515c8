//! The chain specs committed under `chain-specs/` must match what the node builds from
//! the runtime's genesis presets. Regenerate them with `scripts/regenerate-chain-specs`.

mod common;

use common::*;
use sc_executor_common::runtime_blob::RuntimeBlob;
use std::time::Duration;

/// Committed spec file → the `--chain` the node builds it from.
const SPECS: &[(&str, &str)] = &[("local-testnet.json", "local")];

fn build_spec(chain: &str) -> serde_json::Value {
	let output = run_node(
		&["build-spec", "--chain", chain, "--disable-default-bootnode"],
		Duration::from_secs(120),
	);
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	serde_json::from_slice(&output.stdout).expect("build-spec prints JSON")
}

/// Takes the runtime code out of a plain spec and returns the version embedded in it.
fn take_runtime_version(spec: &mut serde_json::Value) -> sp_version::RuntimeVersion {
	let code = spec["genesis"]["runtimeGenesis"]
		.as_object_mut()
		.and_then(|g| g.remove("code"))
		.expect("a plain spec carries the runtime code");
	let code = code.as_str().expect("code is a hex string");
	let bytes = (0..code.len() - 2)
		.step_by(2)
		.map(|i| u8::from_str_radix(&code[2 + i..4 + i], 16).expect("code is hex"))
		.collect::<Vec<_>>();
	let blob = RuntimeBlob::uncompress_if_needed(&bytes).expect("code is a WASM runtime");
	let mut version = sc_executor::read_embedded_version(&blob)
		.expect("the runtime version section decodes")
		.expect("the runtime embeds its version");
	// The APIs are a set; their order in the blob differs from one build to the next.
	let mut apis = version.apis.to_vec();
	apis.sort();
	version.apis = apis.into();
	version
}

#[test]
fn committed_chain_specs_match_the_runtime_presets() {
	for (file, chain) in SPECS {
		let path = repo_root().join("chain-specs").join(file);
		let committed =
			std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
		let mut committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
		let mut fresh = build_spec(chain);

		// The WASM blob embeds the absolute paths of the checkout it was built in, so it
		// differs byte for byte between clones; what must match is the runtime it is: the
		// version (spec name and version, APIs) embedded in it.
		let committed_version = take_runtime_version(&mut committed);
		let fresh_version = take_runtime_version(&mut fresh);
		assert_eq!(
			committed_version, fresh_version,
			"chain-specs/{file} carries an older runtime: run scripts/regenerate-chain-specs"
		);
		assert_eq!(
			committed, fresh,
			"chain-specs/{file} has drifted from the `{chain}` preset: run scripts/regenerate-chain-specs"
		);
	}
}

#[test]
fn committed_local_testnet_spec_has_four_validators_and_token_properties() {
	let path = repo_root().join("chain-specs/local-testnet.json");
	let spec: serde_json::Value =
		serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
	let patch = &spec["genesis"]["runtimeGenesis"]["patch"];
	assert_eq!(patch["aura"]["authorities"].as_array().unwrap().len(), 4);
	assert_eq!(patch["grandpa"]["authorities"].as_array().unwrap().len(), 4);
	assert_eq!(spec["properties"]["tokenSymbol"], "MSR");
	assert_eq!(spec["properties"]["tokenDecimals"], 12);
	assert_eq!(spec["properties"]["ss58Format"], 42);
	assert_eq!(spec["chainType"], "Local");
}
