//! The runtime API of ingestion (`Readings`), shown by Polkadot.js under
//! `api.call.readingsApi`. It answers from state, which keeps each meter's reading state
//! and no measurement: a meter's measurements and its consumption over a period are
//! served by `mensura-indexer` (docs/indexer.md).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use mensura_primitives::{
	metering::MeterId,
	readings::{FrameRejection, ReadingState},
};
use sp_runtime::MultiSignature;

sp_api::decl_runtime_apis! {
	/// Meters' readings: registers and frame checks.
	///
	/// Version 2 drops `measurements` and `consumption` of version 1 (runtimes up to
	/// 109), whose measurements are no longer in state.
	#[api_version(2)]
	pub trait ReadingsApi {
		/// The meter's reading state: cumulative register (thousandths of the model's
		/// unit), last sequence and interval end, measurement count, missed frames and
		/// the head of its measurement hash chain. All zero before its first frame.
		fn reading(meter: MeterId) -> ReadingState;

		/// Checks a signed frame exactly as the transaction pool would, without storing
		/// it: the quantity it would measure, or why it would be refused.
		fn check_frame(frame: Vec<u8>, signature: MultiSignature) -> Result<u128, FrameRejection>;

		/// The 80-byte message a meter signs for `frame` on this chain.
		fn signing_message(frame: Vec<u8>) -> Vec<u8>;
	}
}
