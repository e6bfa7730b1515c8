//! Storage migrations of the billing pallet.

/// Version 2: a meter's active contract moves into its reading record
/// ([`mensura_primitives::readings::MeterLinks`]), where a stored frame finds it without a
/// read of its own. Every entry of `Billing::ActiveContract` is written there, and the
/// map goes. Runs after the readings pallet's own version 4, which gives the records the
/// field.
pub mod v2 {
	use crate::{Config, ContractId, Pallet};
	use frame_support::{
		migrations::VersionedMigration,
		storage_alias,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
		Twox64Concat,
	};
	use mensura_primitives::{metering::MeterId, readings::MeterLinks};

	/// Version 1's map of each meter's active contract.
	#[storage_alias]
	pub type ActiveContract<T: Config> = StorageMap<
		Pallet<T>,
		Twox64Concat,
		MeterId,
		ContractId,
		frame_support::pallet_prelude::OptionQuery,
	>;

	/// Moves every meter's active contract into its reading record, in the upgrade's
	/// block (a read and a write of the map's entry and of the record per meter under
	/// contract; single-block, as the readings pallet's).
	pub struct MoveActiveContracts<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MoveActiveContracts<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut moved = 0u64;
			for (meter, contract) in ActiveContract::<T>::drain() {
				T::Links::set_supply_contract(meter, Some(contract));
				moved += 1;
			}
			T::DbWeight::get().reads_writes(2 * moved, 2 * moved)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			frame_support::ensure!(
				ActiveContract::<T>::iter_keys().next().is_none(),
				"the old map still has entries"
			);
			Pallet::<T>::do_try_state()
		}
	}

	/// [`MoveActiveContracts`], run once: from storage version 1 to 2.
	pub type MigrateToV2<T> = VersionedMigration<
		1,
		2,
		MoveActiveContracts<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
