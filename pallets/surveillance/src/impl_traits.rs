//! What surveillance offers other pallets: it follows every measurement of a watched
//! meter ([`OnMeasured`]).

use crate::*;
use frame_support::pallet_prelude::*;
use mensura_primitives::{
	billing::MeterBilling,
	readings::{OnMeasured, StoredMeasurement},
};

impl<T: Config> OnMeasured<T::AccountId> for Pallet<T> {
	/// Surveillance follows the meter's measurements; what billing keeps in the meter's
	/// record is not its concern.
	fn on_measured(m: &StoredMeasurement, _: &mut Option<MeterBilling<T::AccountId>>) -> Weight {
		if !m.surveilled {
			return T::WeightInfo::measurement_unpaired();
		}
		let Some((meter, mut pair, counter)) = Self::pair_of(m.meter) else {
			return T::WeightInfo::measurement_unpaired();
		};
		Self::add(meter, &mut pair, m, counter);
		Self::compare_next(meter, &mut pair);
		Surveilled::<T>::insert(meter, Role::Checked(pair));
		T::WeightInfo::measurement_compared()
	}

	fn end_of_transaction() {}

	fn weight() -> Weight {
		T::WeightInfo::measurement_compared()
	}

	fn idle_weight() -> Weight {
		T::WeightInfo::measurement_unpaired()
	}
}
