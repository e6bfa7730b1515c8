//! The metering pallets: the meter registry (`Meters`).

use crate::{Balance, Runtime, RuntimeHoldReason, UNIT};
use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;

parameter_types! {
	/// Held from a manufacturer for each meter until it is revoked: enough that
	/// registering junk meters costs something real, little next to a meter's price.
	pub const MeterDeposit: Balance = UNIT;
}

impl pallet_meters::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// The regulator is root (sudo on a dev chain, governance later).
	type RegulatorOrigin = EnsureRoot<crate::AccountId>;
	type NotifiedBodyOrigin = pallet_meters::EnsureNotifiedBody<Runtime>;
	type ManufacturerOrigin = pallet_meters::EnsureManufacturer<Runtime>;
	type MeterDeposit = MeterDeposit;
	type MaxNameLen = ConstU32<64>;
	type MaxSerialLen = ConstU32<32>;
	type WeightInfo = pallet_meters::weights::SubstrateWeight<Runtime>;
}
