//! What ingestion offers other pallets: it is told of meter verifications
//! ([`OnMeterVerified`](mensura_primitives::metering::OnMeterVerified)) and device-key
//! rotations ([`OnDeviceKeyRotated`](mensura_primitives::metering::OnDeviceKeyRotated)) and
//! serves
//! registers and retained measurements ([`MeasurementLog`]).

use crate::*;
use frame_support::{pallet_prelude::*, traits::UnixTime};
use mensura_primitives::{
	metering::MeterId,
	readings::{MeasurementIndex, MeasurementLog, UnixMillis},
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
		T::DbWeight::get().reads_writes(2, 1)
	}
}

impl<T: Config> mensura_primitives::metering::OnDeviceKeyRotated for Pallet<T> {
	/// The new key's frames number afresh: the meter's last sequence is forgotten
	/// (its last interval end is not: no time is measured twice), and the index of
	/// its next measurement is noted as a restart. Frames of the old key, waiting in
	/// the pool or replayed, now fail their signature check.
	fn device_key_rotated(meter: MeterId) {
		let mut state = Readings::<T>::get(meter);
		if state.last_sequence.is_none() {
			return;
		}
		state.last_sequence = None;
		let next = state.measurements;
		let oldest = next.saturating_sub(T::RetainedMeasurements::get().into());
		Readings::<T>::insert(meter, state);
		SequenceRestarts::<T>::mutate(meter, |restarts| {
			restarts.retain(|&i| i > oldest && i != next);
			// Every kept index lies in (oldest, next): fewer than the bound.
			let _ = restarts.try_push(next);
		});
	}

	fn weight() -> Weight {
		T::DbWeight::get().reads_writes(2, 2)
	}
}

impl<T: Config> MeasurementLog for Pallet<T> {
	fn register(meter: MeterId) -> u128 {
		Readings::<T>::get(meter).register
	}

	fn measurement(
		meter: MeterId,
		index: MeasurementIndex,
	) -> Option<(UnixMillis, UnixMillis, u128)> {
		Self::retained_measurement(meter, index).map(|m| (m.start, m.end, m.quantity))
	}
}
