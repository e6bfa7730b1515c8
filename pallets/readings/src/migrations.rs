//! Storage migrations of the readings pallet.

/// Version 3: measurements leave state. Runtimes up to 109 kept each meter's latest
/// measurements (`Readings::Measurements`, a ring of 96 slots) and, for meters whose
/// device key was replaced, the indices where sequence numbers restart
/// (`Readings::SequenceRestarts`). Consensus never read them again: each measurement is in
/// its block's `Measured` event and `mensura-indexer` serves the history. Both maps go.
pub mod v3 {
	use crate::{Config, Pallet};
	use frame_support::{
		migrations::VersionedMigration,
		storage::{storage_prefix, unhashed},
		traits::{Get, PalletInfoAccess, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};

	/// The storage items of version 2 that version 3 no longer has.
	pub const REMOVED: [&str; 2] = ["Measurements", "SequenceRestarts"];

	/// Removes every key of [`REMOVED`] in the upgrade's block: one write for each key
	/// removed, one read for each step of the backend's iteration. It is a single-block
	/// migration: on the chains this runtime runs (development and test networks, at most
	/// a few million retained measurements) that fits one block; a chain holding more
	/// would run it as a multi-block migration instead.
	pub struct RemoveMeasurements<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RemoveMeasurements<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);
			for item in REMOVED {
				let prefix = storage_prefix(Pallet::<T>::name().as_bytes(), item.as_bytes());
				let result = unhashed::clear_prefix(&prefix, None, None);
				reads += u64::from(result.loops);
				writes += u64::from(result.unique);
			}
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			for item in REMOVED {
				let prefix = storage_prefix(Pallet::<T>::name().as_bytes(), item.as_bytes());
				frame_support::ensure!(
					!unhashed::contains_prefixed_key(&prefix),
					"a removed storage item still has keys"
				);
			}
			Pallet::<T>::do_try_state()
		}
	}

	/// [`RemoveMeasurements`], run once: from storage version 2 to 3.
	pub type MigrateToV3<T> = VersionedMigration<
		2,
		3,
		RemoveMeasurements<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
