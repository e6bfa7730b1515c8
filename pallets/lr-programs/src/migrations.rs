//! Storage migrations of the LR program registry.

/// Version 2: [`ApprovedOps`](crate::ApprovedOps) counts the approved programs by their
/// number of operators, which the ingestion pallet declares frames' weights with.
pub mod v2 {
	use crate::{ApprovedOps, Config, Pallet, Programs};
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};

	/// Counts the approved programs into [`ApprovedOps`], in the upgrade's block.
	pub struct CountApprovedOps<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for CountApprovedOps<T> {
		fn on_runtime_upgrade() -> Weight {
			let programs = Programs::<T>::iter_keys().count() as u64;
			ApprovedOps::<T>::put(Pallet::<T>::recount_approved());
			T::DbWeight::get().reads_writes(2 * programs, 1)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			Pallet::<T>::do_try_state()
		}
	}

	/// [`CountApprovedOps`], run once: from storage version 1 to 2.
	pub type MigrateToV2<T> = VersionedMigration<
		1,
		2,
		CountApprovedOps<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
