//! What rewards offers other pallets: it charges the fixed fee of every measurement to
//! the supplier billing names ([`OnSupplied`]).

use crate::*;
use frame_support::pallet_prelude::*;
use mensura_primitives::{
	billing::{OnSupplied, ProgramMeasurer},
	readings::StoredMeasurement,
};

impl<T: Config> OnSupplied<T::AccountId> for Pallet<T> {
	/// Counts the fixed fee for `m` towards this block's fees of `supplier` and its
	/// measurer; `on_finalize` settles them. The quantity plays no part.
	fn on_supplied(m: &StoredMeasurement, supplier: Option<&T::AccountId>) -> Weight {
		let Some(supplier) = supplier else {
			if BlockUnfunded::<T>::mutate(|n| core::mem::replace(n, n.saturating_add(1))) == 0 {
				Self::register_settlement(T::DbWeight::get().reads_writes(1, 1));
			}
			return T::WeightInfo::record_measurement();
		};
		let Some(measurer) = T::Measurers::measurer(&m.program) else {
			// The program just computed `m`, so it exists.
			frame_support::defensive!("a measurement's program has no measurer");
			return T::WeightInfo::record_measurement();
		};
		let fee = MeasuringFee::<T>::get();
		let mut pending = BlockFees::<T>::get();
		if let Some(fees) = pending
			.iter_mut()
			.find(|p| &p.supplier == supplier && p.measurer == measurer && p.fee == fee)
		{
			fees.measurements = fees.measurements.saturating_add(1);
		} else if pending
			.try_push(PendingFees {
				supplier: supplier.clone(),
				measurer: measurer.clone(),
				fee,
				measurements: 1,
			})
			.is_ok()
		{
			Self::register_settlement(Self::settlement_weight());
		} else {
			// More payers in this block than it sums: settle this one now.
			Self::settle(supplier, &measurer, fee, 1);
			Self::register_settlement(Self::settlement_weight());
			return T::WeightInfo::record_measurement();
		}
		BlockFees::<T>::put(pending);
		T::WeightInfo::record_measurement()
	}

	fn weight() -> Weight {
		T::WeightInfo::record_measurement()
	}
}
