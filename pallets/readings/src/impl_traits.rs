//! What ingestion offers other pallets: it is told of meter verifications
//! ([`OnMeterVerified`](mensura_primitives::metering::OnMeterVerified)), device-key
//! rotations ([`OnDeviceKeyRotated`](mensura_primitives::metering::OnDeviceKeyRotated))
//! and every change of a meter's frame rules
//! ([`OnFrameRulesChanged`](mensura_primitives::metering::OnFrameRulesChanged)),
//! serves registers ([`MeasurementLog`]) and keeps what billing and surveillance link
//! to a meter in its reading record ([`MeterLinks`]).

use crate::*;
use frame_support::{pallet_prelude::*, traits::UnixTime};
use mensura_primitives::{
	billing::MeterBilling,
	metering::{FrameRules, MeterId},
	readings::{MeasurementLog, MeterLinks},
};

impl<T: Config> mensura_primitives::metering::OnMeterVerified for Pallet<T> {
	/// The meter measures from now on: its frames may not cover time before the chain's
	/// present (a meter's key cannot sign frames for years before it was installed).
	fn meter_verified(meter: MeterId) {
		let now = T::Time::now().as_millis().min(u64::MAX.into()) as u64;
		Readings::<T>::mutate(meter, |state| {
			state.measuring_since = state.measuring_since.max(now);
		});
	}

	fn weight() -> Weight {
		T::WeightInfo::meter_verified()
	}
}

impl<T: Config> mensura_primitives::metering::OnDeviceKeyRotated for Pallet<T> {
	/// The new key's frames number afresh: the meter's last sequence is forgotten
	/// (its last interval end is not: no time is measured twice). Frames of the old key,
	/// waiting in the pool or replayed, now fail their signature check.
	fn device_key_rotated(meter: MeterId) {
		Readings::<T>::mutate_exists(meter, |state| {
			if let Some(state) = state {
				state.last_sequence = None;
			}
		});
	}

	fn weight() -> Weight {
		T::WeightInfo::device_key_rotated()
	}
}

impl<T: Config> mensura_primitives::metering::OnFrameRulesChanged for Pallet<T> {
	/// Keeps the registry's rules for the meter's frames in its reading record, which a
	/// frame reads anyway.
	fn frame_rules_changed(meter: MeterId, rules: FrameRules) {
		Readings::<T>::mutate(meter, |state| state.frame_rules = Some(rules));
	}

	fn weight() -> Weight {
		T::WeightInfo::frame_rules_changed()
	}
}

impl<T: Config> MeasurementLog for Pallet<T> {
	fn register(meter: MeterId) -> u128 {
		Readings::<T>::get(meter).register
	}
}

impl<T: Config> MeterLinks<T::AccountId> for Pallet<T> {
	fn billing(meter: MeterId) -> Option<MeterBilling<T::AccountId>> {
		Readings::<T>::get(meter).billing
	}

	fn set_billing(meter: MeterId, billing: Option<MeterBilling<T::AccountId>>) {
		Readings::<T>::mutate(meter, |state| state.billing = billing);
	}

	fn surveilled(meter: MeterId) -> bool {
		Readings::<T>::get(meter).surveilled
	}

	fn set_surveilled(meter: MeterId, surveilled: bool) {
		Readings::<T>::mutate(meter, |state| state.surveilled = surveilled);
	}
}
