//! Storage migrations of the surveillance pallet.

/// Version 2: a meter's reading record says whether surveillance follows the meter
/// ([`mensura_primitives::readings::MeterLinks`]), so a stored frame of a meter in no
/// check pair costs surveillance no read. Every meter of a pair (checked or check meter)
/// is marked. Runs after the readings pallet's own version 4, which gives the records the
/// field.
pub mod v2 {
	use crate::{Config, Pallet, Surveilled};
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use mensura_primitives::readings::MeterLinks;

	/// Marks every meter of a check pair in its reading record, in the upgrade's block.
	pub struct MarkSurveilledMeters<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MarkSurveilledMeters<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut marked = 0u64;
			for meter in Surveilled::<T>::iter_keys() {
				T::Links::set_surveilled(meter, true);
				marked += 1;
			}
			T::DbWeight::get().reads_writes(2 * marked, marked)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			Pallet::<T>::do_try_state()
		}
	}

	/// [`MarkSurveilledMeters`], run once: from storage version 1 to 2.
	pub type MigrateToV2<T> = VersionedMigration<
		1,
		2,
		MarkSurveilledMeters<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
