//! The Mensura node.

mod chain_spec;
mod cli;
mod command;
mod ports;
mod rpc;
mod service;

/// Bounds glibc's malloc arenas to one per core, unless `MALLOC_ARENA_MAX` says
/// otherwise. glibc's default (eight per core) lets each of the node's many threads keep
/// its own 64 MiB arena; under ingestion load their fragmentation alone took the node
/// from about 0.85 to 1.2 GiB resident (`mensura bench`, docs/benchmarks.md) without
/// changing throughput.
fn limit_malloc_arenas() {
	#[cfg(all(target_os = "linux", target_env = "gnu"))]
	if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
		let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
		// SAFETY: called first thing in `main`, before any other thread exists; `mallopt`
		// only tunes the allocator.
		unsafe {
			libc::mallopt(libc::M_ARENA_MAX, cores.clamp(1, 64) as libc::c_int);
		}
	}
}

fn main() {
	limit_malloc_arenas();
	if let Err(error) = command::run() {
		// One line a user can act on, never a panic or a debug dump.
		eprintln!("Error: {}", command::explain(&error));
		std::process::exit(1);
	}
}
