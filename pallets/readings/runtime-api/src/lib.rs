//! Runtime APIs of ingestion (`Readings`) and the LR program registry (`LrPrograms`),
//! shown by Polkadot.js under `api.call.readingsApi` and `api.call.lrProgramsApi`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use mensura_primitives::{
	metering::{MeterId, ProgramHash},
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

	/// Software identification (WELMEC 7.2 / OIML D 31): which LR program is bound to a
	/// meter and which computed a measurement, with its version and approvals.
	pub trait LrProgramsApi<Program>
	where
		Program: Codec,
	{
		/// The program with `hash`, or `None`.
		fn program(hash: ProgramHash) -> Option<Program>;

		/// The program bound to `meter` now, with its hash.
		fn program_of_meter(meter: MeterId) -> Option<(ProgramHash, Program)>;

		/// The program that computed the meter's measurement `index`, with its hash, while
		/// the measurement is retained.
		fn program_of_measurement(meter: MeterId, index: MeasurementIndex) -> Option<(ProgramHash, Program)>;
	}
}
