//! The runtime API of the LR program registry (`LrPrograms`), shown by Polkadot.js under
//! `api.call.lrProgramsApi`.

#![cfg_attr(not(feature = "std"), no_std)]

use codec::Codec;
use mensura_primitives::metering::{MeterId, ProgramHash};

sp_api::decl_runtime_apis! {
	/// Software identification (WELMEC 7.2 / OIML D 31): which LR program is bound to a
	/// meter, with its version and approvals. Which program computed a measurement is in
	/// the measurement (its `Measured` event, `mensura-indexer`): ask `program` for it.
	///
	/// Version 2 drops `program_of_measurement` of version 1 (runtimes up to 109), whose
	/// measurements are no longer in state.
	#[api_version(2)]
	pub trait LrProgramsApi<Program>
	where
		Program: Codec,
	{
		/// The program with `hash`, or `None`.
		fn program(hash: ProgramHash) -> Option<Program>;

		/// The program bound to `meter` now, with its hash.
		fn program_of_meter(meter: MeterId) -> Option<(ProgramHash, Program)>;
	}
}
