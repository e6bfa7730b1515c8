//! Storage migrations of the readings pallet.

/// The number of reading records, before a migration that rewrites them.
#[cfg(feature = "try-runtime")]
fn count_records<T: crate::Config>() -> alloc::vec::Vec<u8> {
	codec::Encode::encode(&(crate::Readings::<T>::iter_keys().count() as u64))
}

/// After a migration that rewrites the reading records: every record counted before it
/// ([`count_records`]) is still there and decodes, and the pallet's invariants hold.
#[cfg(feature = "try-runtime")]
fn check_records_kept<T: crate::Config>(
	before: alloc::vec::Vec<u8>,
) -> Result<(), sp_runtime::TryRuntimeError> {
	let before =
		<u64 as codec::Decode>::decode(&mut &before[..]).map_err(|_| "pre_upgrade's count")?;
	frame_support::ensure!(
		crate::Readings::<T>::iter_values().count() as u64 >= before,
		"a reading record was lost or does not decode"
	);
	crate::Pallet::<T>::do_try_state()
}

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

	/// The storage prefix of the removed item `item` under this pallet's name.
	fn removed_prefix<T: Config>(item: &str) -> [u8; 32] {
		storage_prefix(Pallet::<T>::name().as_bytes(), item.as_bytes())
	}

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
				let result = unhashed::clear_prefix(&removed_prefix::<T>(item), None, None);
				reads += u64::from(result.loops);
				writes += u64::from(result.unique);
			}
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			for item in REMOVED {
				frame_support::ensure!(
					!unhashed::contains_prefixed_key(&removed_prefix::<T>(item)),
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

/// Version 5: a meter's reading record holds its active supply contract with the open
/// billing period ([`mensura_primitives::billing::MeterBilling`]) instead of the
/// contract's id alone, so a stored frame bills its measurement without reading and
/// writing the contract. This step rewrites every record with no billing; billing's own
/// version 3, which runs after it, moves each active contract's open period in. Version 4
/// (runtimes 111 to 113) is the layout it reads: upgrades start from runtime 111.
pub mod v5 {
	use crate::{Config, Pallet, Readings};
	use codec::{Decode, Encode};
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use mensura_primitives::{
		ids::ContractId,
		readings::{MeasurementIndex, ReadingState, Sequence, UnixMillis},
	};
	use sp_core::H256;

	/// A reading record as version 4 stored it.
	#[derive(Encode, Decode)]
	pub struct ReadingStateV4 {
		pub register: u128,
		pub last_sequence: Option<Sequence>,
		pub last_end: UnixMillis,
		pub measurements: MeasurementIndex,
		pub missed_frames: u64,
		pub chain_head: H256,
		pub measuring_since: UnixMillis,
		pub last_block: u32,
		pub frames_in_last_block: u32,
		pub supply_contract: Option<ContractId>,
		pub surveilled: bool,
	}

	impl<AccountId> From<ReadingStateV4> for ReadingState<AccountId> {
		/// Everything but the contract id, which billing's migration replaces with the
		/// contract's billing record.
		fn from(old: ReadingStateV4) -> Self {
			ReadingState {
				register: old.register,
				last_sequence: old.last_sequence,
				last_end: old.last_end,
				measurements: old.measurements,
				missed_frames: old.missed_frames,
				chain_head: old.chain_head,
				measuring_since: old.measuring_since,
				last_block: old.last_block,
				frames_in_last_block: old.frames_in_last_block,
				billing: None,
				surveilled: old.surveilled,
				frame_rules: None,
			}
		}
	}

	/// Rewrites every reading record in the new layout, in the upgrade's block (one read
	/// and one write per meter; single-block, as [`super::v3`]).
	pub struct MakeRoomForBilling<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MakeRoomForBilling<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut records = 0u64;
			Readings::<T>::translate::<ReadingStateV4, _>(|_, old| {
				records += 1;
				Some(old.into())
			});
			T::DbWeight::get().reads_writes(records, records)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(super::count_records::<T>())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			super::check_records_kept::<T>(state)
		}
	}

	/// [`MakeRoomForBilling`], run once: from storage version 4 to 5.
	pub type MigrateToV5<T> = VersionedMigration<
		4,
		5,
		MakeRoomForBilling<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 6: a meter's reading record keeps the registry's rules for its frames
/// ([`mensura_primitives::metering::FrameRules`]: status, device key, program, its
/// model's interval bounds), so that checking a frame reads one storage item, not three.
/// Every registered meter gets its rules: its record is rewritten with them, or written
/// for a meter that has none yet (a provisioned meter).
pub mod v6 {
	use crate::{Config, Pallet, Readings};
	use codec::{Decode, Encode};
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use mensura_primitives::{
		billing::MeterBilling,
		metering::MeterRegistry,
		readings::{MeasurementIndex, ReadingState, Sequence, UnixMillis},
	};
	use sp_core::H256;

	/// A reading record as version 5 stored it.
	#[derive(Encode, Decode)]
	pub struct ReadingStateV5<AccountId> {
		pub register: u128,
		pub last_sequence: Option<Sequence>,
		pub last_end: UnixMillis,
		pub measurements: MeasurementIndex,
		pub missed_frames: u64,
		pub chain_head: H256,
		pub measuring_since: UnixMillis,
		pub last_block: u32,
		pub frames_in_last_block: u32,
		pub billing: Option<MeterBilling<AccountId>>,
		pub surveilled: bool,
	}

	impl<AccountId> From<ReadingStateV5<AccountId>> for ReadingState<AccountId> {
		/// Everything, with no frame rules yet.
		fn from(old: ReadingStateV5<AccountId>) -> Self {
			ReadingState {
				register: old.register,
				last_sequence: old.last_sequence,
				last_end: old.last_end,
				measurements: old.measurements,
				missed_frames: old.missed_frames,
				chain_head: old.chain_head,
				measuring_since: old.measuring_since,
				last_block: old.last_block,
				frames_in_last_block: old.frames_in_last_block,
				billing: old.billing,
				surveilled: old.surveilled,
				frame_rules: None,
			}
		}
	}

	/// Rewrites every reading record with its meter's frame rules, and writes a record
	/// for each registered meter without one, in the upgrade's block (single-block, as
	/// [`super::v3`]): per record one read and one write, per meter its two registry
	/// reads, one read to list it and one to look for its record.
	pub struct CopyFrameRules<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for CopyFrameRules<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut records = 0u64;
			Readings::<T>::translate::<ReadingStateV5<T::AccountId>, _>(|_, old| {
				records += 1;
				Some(old.into())
			});
			let meters = T::Meters::meter_ids();
			for &meter in &meters {
				let rules = T::Meters::frame_rules(meter);
				Readings::<T>::mutate(meter, |state| state.frame_rules = rules);
			}
			let meters = meters.len() as u64;
			T::DbWeight::get().reads_writes(records + 4 * meters, records + meters)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(super::count_records::<T>())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			super::check_records_kept::<T>(state)
		}
	}

	/// [`CopyFrameRules`], run once: from storage version 5 to 6.
	pub type MigrateToV6<T> = VersionedMigration<
		5,
		6,
		CopyFrameRules<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
