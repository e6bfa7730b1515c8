//! A memory limit for a node, enforced by the kernel: a memory cgroup of its own
//! (`--memory-limit`). A node's resident set counts the pages of ParityDB's memory-mapped
//! files for as long as the machine has memory to spare; under a limit the kernel takes
//! those pages back as it needs them, and a node that needs more than the limit for what
//! it allocates itself is killed. Running under the limit shows what a node needs, as on
//! a host or container with that much memory.
//!
//! Works with a cgroup v1 memory hierarchy or a cgroup v2 one with the memory controller,
//! and needs the right to create a cgroup there (root, or a delegated subtree).

use super::*;

#[derive(Debug, PartialEq)]
enum Version {
	V1,
	V2,
}

pub(super) struct MemoryCgroup {
	dir: PathBuf,
	version: Version,
	limit_bytes: u64,
}

/// What a cgroup's memory holds at one moment, in bytes.
#[derive(Debug, PartialEq)]
pub(super) struct MemoryNow {
	/// What its processes allocated themselves (anonymous memory), which the kernel cannot
	/// take back without swap.
	pub(super) own: u64,
	/// The page cache charged to it: its processes' code and files, ParityDB's mapped
	/// tables among them, which the kernel takes back and reads again as it must.
	pub(super) files: u64,
}

/// The least room a node's code and database pages need under the limit: with less, the
/// kernel takes back the pages the node is about to run or read, the node waits on the
/// disk at every step and stops answering without being killed. A node of a full-rate
/// run seen in that state had 3 MiB of files beside 1,008 MiB of its own memory under
/// 1 GiB; the nodes that held under the same limit had at most 943 MiB of their own,
/// which leaves 81 MiB (docs/benchmarks.md, 2026-12-07 night).
pub(super) const LEAST_ROOM_FOR_FILES: u64 = 64 * 1024 * 1024;

/// From a cgroup's `memory.stat` (v1: `rss` and `cache`; v2: `anon` and `file`), what its
/// memory holds.
fn parse_memory_stat(stat: &str, version: &Version) -> Option<MemoryNow> {
	let (own, files) = match version {
		Version::V1 => ("rss", "cache"),
		Version::V2 => ("anon", "file"),
	};
	let field = |name: &str| {
		stat.lines()
			.find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
	};
	Some(MemoryNow { own: field(own)?, files: field(files)? })
}

/// Whether a cgroup's own memory leaves its files less than [`LEAST_ROOM_FOR_FILES`]
/// under `limit_bytes`.
fn starves_files(now: &MemoryNow, limit_bytes: u64) -> bool {
	now.own.saturating_add(LEAST_ROOM_FOR_FILES) > limit_bytes
}

/// The mount point of the memory cgroup hierarchy, from `/proc/self/mountinfo`.
fn memory_hierarchy() -> Option<(PathBuf, Version)> {
	let mounts = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
	parse_memory_hierarchy(&mounts, |root| {
		std::fs::read_to_string(root.join("cgroup.controllers"))
			.is_ok_and(|c| c.split_whitespace().any(|c| c == "memory"))
	})
}

/// In `mountinfo` lines, the memory cgroup hierarchy: a v1 `cgroup` mount with the memory
/// option, else a `cgroup2` mount whose controllers (`v2_has_memory`) include memory.
fn parse_memory_hierarchy(
	mountinfo: &str,
	v2_has_memory: impl Fn(&Path) -> bool,
) -> Option<(PathBuf, Version)> {
	let mut v2 = None;
	for line in mountinfo.lines() {
		let Some((mount, filesystem)) = line.split_once(" - ") else { continue };
		let Some(mount_point) = mount.split(' ').nth(4) else { continue };
		let mut filesystem = filesystem.split(' ');
		let kind = filesystem.next().unwrap_or("");
		let options = filesystem.nth(1).unwrap_or("");
		if kind == "cgroup" && options.split(',').any(|o| o == "memory") {
			return Some((PathBuf::from(mount_point), Version::V1));
		}
		if kind == "cgroup2" && v2_has_memory(Path::new(mount_point)) {
			v2 = Some(PathBuf::from(mount_point));
		}
	}
	v2.map(|root| (root, Version::V2))
}

/// This process's own cgroup in that hierarchy, from `/proc/self/cgroup`, if it is
/// visible under the mount point.
fn own_cgroup(root: &Path, version: &Version) -> Option<PathBuf> {
	let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
	let dir = root.join(parse_own_cgroup(&cgroups, version)?);
	dir.is_dir().then_some(dir)
}

/// In `/proc/<pid>/cgroup` lines (`id:controllers:path`), the path in the memory
/// hierarchy, relative to its mount point.
fn parse_own_cgroup(cgroups: &str, version: &Version) -> Option<String> {
	cgroups.lines().find_map(|line| {
		let mut fields = line.splitn(3, ':');
		let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
		let wanted = match version {
			Version::V1 => controllers.split(',').any(|c| c == "memory"),
			Version::V2 => controllers.is_empty(),
		};
		wanted.then(|| path.trim_start_matches('/').to_string())
	})
}

impl MemoryCgroup {
	/// A new cgroup named `name` limited to `limit_bytes` (no swap beyond it): under this
	/// process's own cgroup in a v1 hierarchy, under the root of a v2 one (where a cgroup
	/// holding processes cannot hand the memory controller to children).
	pub(super) fn create(name: &str, limit_bytes: u64) -> Result<Self> {
		let unavailable = |why: String| {
			Error::usage(format!(
				"--memory-limit needs a memory cgroup this user may create: {why}"
			))
		};
		let (root, version) =
			memory_hierarchy().ok_or_else(|| unavailable("no memory cgroup hierarchy".into()))?;
		let parent = match version {
			Version::V1 => own_cgroup(&root, &version).unwrap_or_else(|| root.clone()),
			Version::V2 => {
				let control = root.join("cgroup.subtree_control");
				let enabled = std::fs::read_to_string(&control)
					.is_ok_and(|c| c.split_whitespace().any(|c| c == "memory"));
				if !enabled {
					std::fs::write(&control, "+memory").map_err(|e| {
						unavailable(format!("cannot enable memory in {}: {e}", control.display()))
					})?;
				}
				root.clone()
			}
		};
		let dir = parent.join(name);
		std::fs::create_dir(&dir)
			.map_err(|e| unavailable(format!("cannot create {}: {e}", dir.display())))?;
		let cgroup = MemoryCgroup { dir, version, limit_bytes };
		let limits: &[&str] = match cgroup.version {
			Version::V1 => &["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"],
			Version::V2 => &["memory.max", "memory.swap.max"],
		};
		for (i, file) in limits.iter().enumerate() {
			let value = if i == 0 || matches!(cgroup.version, Version::V1) {
				limit_bytes.to_string()
			} else {
				"0".to_string()
			};
			let path = cgroup.dir.join(file);
			// The swap limit exists only where the kernel accounts swap.
			if i > 0 && !path.exists() {
				continue;
			}
			std::fs::write(&path, value)
				.map_err(|e| unavailable(format!("cannot write {}: {e}", path.display())))?;
		}
		Ok(cgroup)
	}

	/// Makes the process that `command` starts a member from its first instruction: the
	/// child writes its own pid ("0") to `cgroup.procs` between fork and exec.
	pub(super) fn enter_on_spawn(&self, command: &mut Command) {
		use std::os::unix::process::CommandExt;
		let procs = std::ffi::CString::new(
			self.dir.join("cgroup.procs").into_os_string().into_encoded_bytes(),
		)
		.expect("a cgroup path has no NUL byte");
		// SAFETY: between fork and exec the closure calls only open, write and close,
		// which are async-signal-safe, on memory allocated before the fork.
		unsafe {
			command.pre_exec(move || {
				let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
				if fd < 0 {
					return Err(std::io::Error::last_os_error());
				}
				let written = libc::write(fd, b"0".as_ptr().cast(), 1);
				let error = std::io::Error::last_os_error();
				libc::close(fd);
				if written == 1 {
					Ok(())
				} else {
					Err(error)
				}
			});
		}
	}

	fn read(&self, file: &str) -> Option<String> {
		std::fs::read_to_string(self.dir.join(file)).ok()
	}

	/// The most memory the cgroup has used, page cache included, in bytes.
	pub(super) fn peak_bytes(&self) -> Option<u64> {
		let file = match self.version {
			Version::V1 => "memory.max_usage_in_bytes",
			Version::V2 => "memory.peak",
		};
		self.read(file)?.trim().parse().ok()
	}

	/// The limit, in bytes.
	pub(super) fn limit_bytes(&self) -> u64 {
		self.limit_bytes
	}

	/// What the cgroup's memory holds now.
	pub(super) fn memory_now(&self) -> Option<MemoryNow> {
		parse_memory_stat(&self.read("memory.stat")?, &self.version)
	}

	/// If the node's own memory leaves its code and database pages less than
	/// [`LEAST_ROOM_FOR_FILES`] under the limit: what the memory holds.
	pub(super) fn starving_files(&self) -> Option<MemoryNow> {
		self.memory_now().filter(|now| starves_files(now, self.limit_bytes))
	}

	/// How many times the kernel killed a process of the cgroup for memory.
	pub(super) fn oom_kills(&self) -> Option<u64> {
		let file = match self.version {
			Version::V1 => "memory.oom_control",
			Version::V2 => "memory.events",
		};
		self.read(file)?
			.lines()
			.find_map(|line| line.strip_prefix("oom_kill ")?.trim().parse().ok())
	}
}

/// Takes the pages of every file under `dir`, and of `binary`, out of the page cache
/// (written first, then `posix_fadvise(DONTNEED)`). A page stays charged to the cgroup of
/// the process that first brought it into memory: without this, the pages the first,
/// unlimited start read and wrote (the database, the node's own code) would count in
/// the limited node's resident set but not against its limit.
pub(super) fn forget_cached_pages(dir: &Path, binary: &Path) {
	fn forget(path: &Path) {
		use std::os::fd::AsRawFd;
		let Ok(file) = std::fs::OpenOptions::new().read(true).open(path) else { return };
		let _ = file.sync_data();
		// SAFETY: advice on an open descriptor; it changes no data.
		unsafe {
			libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
		}
	}
	fn walk(dir: &Path) {
		for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
			let path = entry.path();
			match entry.file_type() {
				Ok(kind) if kind.is_dir() => walk(&path),
				Ok(kind) if kind.is_file() => forget(&path),
				_ => {}
			}
		}
	}
	walk(dir);
	forget(binary);
}

impl Drop for MemoryCgroup {
	/// Removes the cgroup once its processes are gone (the kernel refuses before).
	fn drop(&mut self) {
		for _ in 0..50 {
			if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
				return;
			}
			std::thread::sleep(Duration::from_millis(100));
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const MOUNTINFO_V1: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

	#[test]
	fn finds_a_v1_memory_hierarchy_before_a_v2_one() {
		assert_eq!(
			parse_memory_hierarchy(MOUNTINFO_V1, |_| true),
			Some((PathBuf::from("/sys/fs/cgroup/memory"), Version::V1))
		);
	}

	#[test]
	fn finds_a_v2_hierarchy_only_with_the_memory_controller() {
		let v2 = "25 20 0:24 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
		assert_eq!(
			parse_memory_hierarchy(v2, |_| true),
			Some((PathBuf::from("/sys/fs/cgroup"), Version::V2))
		);
		assert_eq!(parse_memory_hierarchy(v2, |_| false), None);
		assert_eq!(parse_memory_hierarchy("garbage\n", |_| true), None);
	}

	#[test]
	fn reads_own_memory_and_page_cache_per_version() {
		let v1 = "cache 10928128\nrss 2588672\nrss_huge 0\nmapped_file 8675328\n\
			total_rss 392531968\n";
		assert_eq!(
			parse_memory_stat(v1, &Version::V1),
			Some(MemoryNow { own: 2_588_672, files: 10_928_128 })
		);
		// v2 names `anon` and `file`; `anon_thp` and `file_mapped` are parts, not totals.
		let v2 = "anon_thp 0\nanon 1056964608\nfile_mapped 2097152\nfile 3145728\n";
		assert_eq!(
			parse_memory_stat(v2, &Version::V2),
			Some(MemoryNow { own: 1_056_964_608, files: 3_145_728 })
		);
		assert_eq!(parse_memory_stat(v1, &Version::V2), None);
		assert_eq!(parse_memory_stat("rss 12\n", &Version::V1), None);
	}

	#[test]
	fn own_memory_near_the_limit_starves_the_files() {
		let mib = 1024 * 1024;
		let limit = 1024 * mib;
		// The stalled node of 2026-12-07 (night), and the peaks of nodes that held under the
		// same limit, their page cache filling the rest.
		assert!(starves_files(&MemoryNow { own: 1008 * mib, files: 3 * mib }, limit));
		assert!(!starves_files(&MemoryNow { own: 943 * mib, files: 81 * mib }, limit));
		assert!(!starves_files(&MemoryNow { own: 745 * mib, files: 279 * mib }, limit));
		assert!(starves_files(&MemoryNow { own: limit - 64 * mib + 1, files: 0 }, limit));
		assert!(!starves_files(&MemoryNow { own: limit - 64 * mib, files: 0 }, limit));
	}

	#[test]
	fn reads_its_own_cgroup_path_per_version() {
		let cgroups = "9:name=systemd:/\n4:memory:/process_api/57c2\n0::/user.slice/a.scope\n";
		assert_eq!(parse_own_cgroup(cgroups, &Version::V1).as_deref(), Some("process_api/57c2"));
		assert_eq!(parse_own_cgroup(cgroups, &Version::V2).as_deref(), Some("user.slice/a.scope"));
		assert_eq!(parse_own_cgroup("1:cpu:/\n", &Version::V1), None);
	}
}
