//! The runtime API of ingestion (`Readings`), shown by Polkadot.js under
//! `api.call.readingsApi`. It answers from state, which keeps each meter's reading state
//! and no measurement: a meter's measurements and its consumption over a period are
//! served by `mensura-indexer` (docs/indexer.md).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use mensura_primitives::{
	metering::MeterId,
	readings::{FrameRejection, ReadingState},
};
use sp_runtime::MultiSignature;

sp_api::decl_runtime_apis! {
	/// Meters' readings: registers and frame checks.
	///
	/// Version 2 drops `measurements` and `consumption` of version 1 (runtimes up to
	/// 109), whose measurements are no longer in state. Version 3 (runtime 114) returns
	/// the reading state with the meter's active supply contract and open billing period
	/// (`billing`) in place of its contract id (`supplyContract`).
	#[api_version(3)]
	pub trait ReadingsApi<AccountId> where AccountId: Codec {
		/// The meter's reading state: cumulative register (thousandths of the model's
		/// unit), last sequence and interval end, measurement count, missed frames, the
		/// head of its measurement hash chain, and its active supply contract with the
		/// open billing period. All zero before its first frame.
		fn reading(meter: MeterId) -> ReadingState<AccountId>;

		/// Checks a signed frame exactly as the transaction pool would, without storing
		/// it: the quantity it would measure, or why it would be refused.
		fn check_frame(frame: Vec<u8>, signature: MultiSignature) -> Result<u128, FrameRejection>;

		/// The 80-byte message a meter signs for `frame` on this chain.
		fn signing_message(frame: Vec<u8>) -> Vec<u8>;
	}
}
