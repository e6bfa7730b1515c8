//! Storage migrations of the readings pallet.

/// Version 2: retained measurements move from their index to their slot in a ring of
/// `RetainedMeasurements` slots (`index % RetainedMeasurements`), so that storing a
/// measurement overwrites the one it expires (one write) instead of inserting it and
/// removing the expired one (two).
pub mod v2 {
	use crate::{Config, Measurements, Pallet, Readings};
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};

	/// Moves each meter's retained measurements to their slots; only indices at or above
	/// `RetainedMeasurements` move. A meter retains consecutive indices, fewer than
	/// `RetainedMeasurements` apart, so no two of them share a slot, and a slot an index
	/// moves to is empty (the index it named in version 1 was pruned). One read of each
	/// meter's state, one read and two writes for each measurement that moves.
	pub struct SlotMeasurements<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for SlotMeasurements<T> {
		fn on_runtime_upgrade() -> Weight {
			let retained: u64 = T::RetainedMeasurements::get().into();
			let (mut meters, mut moved) = (0u64, 0u64);
			for (meter, state) in Readings::<T>::iter() {
				meters += 1;
				let oldest = state.measurements.saturating_sub(retained).max(retained);
				for index in oldest..state.measurements {
					if let Some(measurement) = Measurements::<T>::take(meter, index) {
						Measurements::<T>::insert(meter, Pallet::<T>::slot(index), measurement);
						moved += 1;
					}
				}
			}
			T::DbWeight::get().reads_writes(meters + moved, 2 * moved)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			Pallet::<T>::do_try_state()
		}
	}

	/// [`SlotMeasurements`], run once: from storage version 1 to 2.
	pub type MigrateToV2<T> = VersionedMigration<
		1,
		2,
		SlotMeasurements<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
