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
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
