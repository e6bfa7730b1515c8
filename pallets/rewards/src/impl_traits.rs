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
	/// measurer; `on_finalize` settles them. The quantity plays no part. Measurements of
	/// one transaction, one supplier and one program are summed first
	/// ([`PendingTransactionFees`]): the first reads the fee and the measurer and pays
	/// for recording the sum in [`BlockFees`]; the others only add to it.
	fn on_supplied(m: &StoredMeasurement, supplier: Option<&T::AccountId>) -> Weight {
		let Some(supplier) = supplier else {
			if BlockUnfunded::<T>::mutate(|n| core::mem::replace(n, n.saturating_add(1))) == 0 {
				Self::register_settlement(T::DbWeight::get().reads_writes(1, 1));
			}
			return T::WeightInfo::record_measurement();
		};
		let extrinsic = frame_system::Pallet::<T>::extrinsic_index();
		let pending = PendingTransactionFees::<T>::get();
		if let Some(mut same) = pending
			.as_ref()
			.filter(|p| {
				p.extrinsic == extrinsic && p.program == m.program && &p.fees.supplier == supplier
			})
			.cloned()
		{
			same.fees.measurements = same.fees.measurements.saturating_add(1);
			PendingTransactionFees::<T>::put(same);
			return T::WeightInfo::record_measurement_summed();
		}
		// Another payer (or the transaction's first): what was summed joins the block's.
		if let Some(previous) = pending {
			Self::record_block_fees(previous.fees);
		}
		let Some(measurer) = T::Measurers::measurer(&m.program) else {
			// The program just computed `m`, so it exists.
			frame_support::defensive!("a measurement's program has no measurer");
			PendingTransactionFees::<T>::kill();
			return T::WeightInfo::record_measurement();
		};
		PendingTransactionFees::<T>::put(TransactionFees {
			extrinsic,
			program: m.program,
			fees: PendingFees {
				supplier: supplier.clone(),
				measurer,
				fee: MeasuringFee::<T>::get(),
				measurements: 1,
			},
		});
		T::WeightInfo::record_measurement()
	}

	fn end_of_transaction() {
		if let Some(pending) = PendingTransactionFees::<T>::take() {
			Self::record_block_fees(pending.fees);
		}
	}

	fn weight() -> Weight {
		T::WeightInfo::record_measurement()
	}
}

impl<T: Config> Pallet<T> {
	/// Adds a transaction's summed fees to this block's ([`BlockFees`]), which
	/// `on_finalize` settles; settles them at once if the block already sums as many
	/// payers as it can. Paid for by the first measurement of the sum
	/// (`record_measurement`).
	pub(crate) fn record_block_fees(fees: PendingFees<T::AccountId, BalanceOf<T>>) {
		let mut pending = BlockFees::<T>::get();
		if let Some(same) = pending.iter_mut().find(|p| {
			p.supplier == fees.supplier && p.measurer == fees.measurer && p.fee == fees.fee
		}) {
			same.measurements = same.measurements.saturating_add(fees.measurements);
		} else if let Err(fees) = pending.try_push(fees) {
			// More payers in this block than it sums: settle these now.
			Self::settle(&fees.supplier, &fees.measurer, fees.fee, fees.measurements);
			Self::register_settlement(Self::settlement_weight());
			return;
		} else {
			Self::register_settlement(Self::settlement_weight());
		}
		BlockFees::<T>::put(pending);
	}
}
