fn main() {
	#[cfg(feature = "std")]
	{
		// The build cache may live outside the checkout ($HOME/.cache/mensura/target),
		// where the WASM builder cannot find the workspace by walking up from its output
		// directory; it would then resolve the runtime's dependencies afresh instead of
		// using this workspace's Cargo.lock. Tell it where the workspace is — here, not in
		// .cargo/config.toml, so that other runtimes in the dependency tree are unaffected.
		let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it");
		let workspace = std::path::Path::new(&manifest_dir)
			.parent()
			.expect("the runtime lives in the workspace");
		std::env::set_var("WASM_BUILD_WORKSPACE_HINT", workspace);
		// Embed the metadata hash of RFC-0078 (CheckMetadataHash): offline signers —
		// Polkadot Vault, Ledger's generic app — sign over it, and a transaction in mode 1
		// is valid only if its hash matches this runtime's. The symbol and decimals are
		// part of the hashed metadata and must equal primitives' TOKEN_SYMBOL and
		// TOKEN_DECIMALS (checked by the node's metadata-hash test).
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_metadata_hash("MSR", 12)
			.build();
	}
}
