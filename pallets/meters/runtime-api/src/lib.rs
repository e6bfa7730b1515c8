//! Runtime API of the meter registry (`Meters`), shown by Polkadot.js under
//! `api.call.metersApi`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
use mensura_primitives::metering::{AuditEntry, AuditIndex, AuditSubject, MeterId, ModelId};
pub use pallet_meters::{Meter, MeterModel};

/// The most audit entries one call returns; ask again from the next index for more.
pub const MAX_AUDIT_PAGE: u32 = 100;

/// The most meters one `meters` call returns.
pub const MAX_METER_PAGE: u32 = 100;

sp_api::decl_runtime_apis! {
	/// Meters, models and audit trails of the registry.
	pub trait MetersApi<AccountId, Balance, BlockNumber, Name, Serial>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
		Name: Codec,
		Serial: Codec,
	{
		/// The meter `meter`, or `None` if there is none.
		fn meter(meter: MeterId) -> Option<Meter<AccountId, Balance, Serial>>;

		/// The meter model `model`, or `None` if there is none.
		/// Up to `limit` meters (at most [`MAX_METER_PAGE`]) from id `from` on, in id
		/// order: how clients list the fleet page by page.
		fn meters(from: MeterId, limit: u32) -> Vec<(MeterId, Meter<AccountId, Balance, Serial>)>;

		fn model(model: ModelId) -> Option<MeterModel<AccountId, Name>>;

		/// The meter whose current or former device key is `device_key`; a key is never
		/// used by two meters.
		fn meter_by_device_key(device_key: mensura_primitives::metering::DeviceKey) -> Option<MeterId>;

		/// The number of entries in `subject`'s audit trail.
		fn audit_length(subject: AuditSubject) -> AuditIndex;

		/// Up to `limit` (at most [`MAX_AUDIT_PAGE`]) entries of `subject`'s audit trail,
		/// from index `from`, each with its index.
		fn audit_trail(
			subject: AuditSubject,
			from: AuditIndex,
			limit: u32,
		) -> Vec<(AuditIndex, AuditEntry<AccountId, BlockNumber>)>;
	}
}
