//! Guards on the dependency tree that keep the node lean.

mod common;

/// The node stores its state in ParityDB only. RocksDB is a large C++ build; it must not
/// creep back in through a default feature (sc-cli and sc-service default to it) or an
/// umbrella feature (the `polkadot-sdk` crate's `runtime-benchmarks` pulls it in).
#[test]
fn rocksdb_is_not_in_the_lockfile() {
	let lock = std::fs::read_to_string(common::repo_root().join("Cargo.lock")).unwrap();
	let offenders: Vec<_> = lock
		.lines()
		.filter_map(|line| line.strip_prefix("name = \""))
		.map(|name| name.trim_end_matches('"'))
		.filter(|name| name.contains("rocksdb"))
		.collect();
	assert!(offenders.is_empty(), "RocksDB crates in Cargo.lock: {offenders:?}");
}

/// Every polkadot-sdk crate comes from one release: the versions pinned in the workspace
/// manifest, each exact (`=x.y.z`).
#[test]
fn sdk_crates_are_pinned_exactly() {
	let manifest = std::fs::read_to_string(common::repo_root().join("Cargo.toml")).unwrap();
	let block = manifest
		.split("# sdk-versions: begin")
		.nth(1)
		.and_then(|rest| rest.split("# sdk-versions: end").next())
		.expect("the workspace manifest marks its polkadot-sdk block");
	let entries: Vec<_> = block.lines().filter(|l| l.contains("version")).collect();
	assert!(entries.len() > 40, "the polkadot-sdk block lists {} crates", entries.len());
	for entry in entries {
		assert!(entry.contains("version = \"="), "not pinned exactly: {entry}");
	}
}
