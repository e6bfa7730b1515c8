//! The Mensura node.

mod authoring;
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

/// How often the node hands the memory it has freed back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Hands freed heap memory back to the system every [`TRIM_EVERY`] (glibc's
/// `malloc_trim`), from a thread of its own. glibc returns to the system only the free
/// memory at the top of an arena; what the node frees in the middle — building a large
/// genesis, a block's storage changes, the pool's validated batches — stays resident. A
/// node restarted on a 100,000-meter chain held 415 MiB of anonymous memory idle, and
/// 100 MiB after one trim.
fn return_freed_memory() {
	#[cfg(all(target_os = "linux", target_env = "gnu"))]
	std::thread::Builder::new()
		.name("malloc-trim".into())
		.spawn(|| loop {
			std::thread::sleep(TRIM_EVERY);
			// SAFETY: `malloc_trim` only releases free pages; it takes the allocator's
			// locks like any allocation.
			unsafe {
				libc::malloc_trim(0);
			}
		})
		.map(drop)
		.unwrap_or_else(|e| eprintln!("Warning: cannot start the malloc-trim thread: {e}"));
}

fn main() {
	limit_malloc_arenas();
	return_freed_memory();
	if let Err(error) = command::run() {
		// One line a user can act on, never a panic or a debug dump.
		eprintln!("Error: {}", command::explain(&error));
		std::process::exit(1);
	}
}
