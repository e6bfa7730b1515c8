//! The runtime API of ingestion (`Readings`), shown by Polkadot.js under
//! `api.call.readingsApi`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use mensura_primitives::{
	metering::MeterId,
	readings::{
		Consumption, ConsumptionError, FrameRejection, Measurement, MeasurementIndex, ReadingState,
		UnixMillis,
	},
};
use sp_runtime::MultiSignature;

/// The most measurements one call returns; ask again from the next index for more.
pub const MAX_MEASUREMENT_PAGE: u32 = 100;

sp_api::decl_runtime_apis! {
	/// Meters' readings: registers, measurements, and frame checks.
	pub trait ReadingsApi<BlockNumber>
	where
		BlockNumber: Codec,
	{
		/// The meter's reading state: cumulative register (thousandths of the model's
		/// unit), last sequence and interval end, measurement count, missed frames and
		/// the head of its measurement hash chain. All zero before its first frame.
		fn reading(meter: MeterId) -> ReadingState;

		/// Up to `limit` (at most [`MAX_MEASUREMENT_PAGE`]) of the meter's retained
		/// measurements from index `from` on, each with its index. Measurements older
		/// than the retention window are not returned (they are in the events of the
		/// blocks that stored them, and the hash chain proves them).
		fn measurements(
			meter: MeterId,
			from: MeasurementIndex,
			limit: u32,
		) -> Vec<(MeasurementIndex, Measurement<BlockNumber>)>;

		/// Checks a signed frame exactly as the transaction pool would, without storing
		/// it: the quantity it would measure, or why it would be refused.
		/// The consumption of `meter` over `[from, to)` (Unix milliseconds): the sum of its
		/// measurements whose interval starts in the period, or why it cannot be given
		/// from the retained measurements.
		fn consumption(meter: MeterId, from: UnixMillis, to: UnixMillis) -> Result<Consumption, ConsumptionError>;

		fn check_frame(frame: Vec<u8>, signature: MultiSignature) -> Result<u128, FrameRejection>;

		/// The 80-byte message a meter signs for `frame` on this chain.
		fn signing_message(frame: Vec<u8>) -> Vec<u8>;
	}
}
