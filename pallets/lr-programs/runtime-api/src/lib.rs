//! The runtime API of the LR program registry (`LrPrograms`), shown by Polkadot.js under
//! `api.call.lrProgramsApi`.

#![cfg_attr(not(feature = "std"), no_std)]

use codec::Codec;
use mensura_primitives::{
	metering::{MeterId, ProgramHash},
	readings::MeasurementIndex,
};

sp_api::decl_runtime_apis! {
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
