//! # Mensura runtime
//!
//! The WASM runtime of the Mensura chain. It is laid out like polkadot-sdk's parachain
//! template: pallet configurations by concern in [`configs`], every runtime API in
//! [`apis`], and the genesis presets (`development`, `local_testnet`) in
//! [`genesis_config_presets`].
//!
//! It carries the chain foundation — block production (Aura), finality (GRANDPA),
//! balances, transaction payment and sudo (the regulator's root origin until governance
//! arrives) — and the metering pallets: `Meters`, the registry of notified bodies,
//! manufacturers, type-approved models and meters with their audit trails. The metering
//! pallets never depend on the consensus pallets, so they can later be hosted in a
//! parachain runtime.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-style macros expand to deeply nested types.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

// Before `apis`: `define_benchmarks!` makes macros that `apis` uses.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
pub mod weights;

use alloc::vec::Vec;
use sp_runtime::{generic, impl_opaque_keys, traits::BlakeTwo256, MultiAddress};
use sp_version::{runtime_version, RuntimeVersion};

pub use mensura_primitives::{
	AccountId, Balance, BlockNumber, Hash, Moment, Nonce, Signature, DAYS, HOURS, MICRO_UNIT,
	MILLISECS_PER_BLOCK, MILLI_UNIT, MINUTES, SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL, UNIT,
};

/// Opaque types, used by the node to handle blocks and extrinsics without knowing the
/// runtime's call and extension types (they can change with a runtime upgrade).
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;
}

impl_opaque_keys! {
	/// The session keys of a validator: its Aura (block authoring) and GRANDPA
	/// (finality voting) keys.
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

/// The version of this runtime. `spec_version` must be raised with every change of
/// behaviour, `transaction_version` with every change of call or extension encoding.
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("mensura"),
	impl_name: alloc::borrow::Cow::Borrowed("mensura-runtime"),
	authoring_version: 1,
	spec_version: 120,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// The Aura slot length: one block per slot at the target block time.
pub const SLOT_DURATION: Moment = MILLISECS_PER_BLOCK;

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The transaction extensions, checked in this order for every extrinsic.
///
/// `AuthorizeCall` comes first: calls that declare `#[pallet::authorize]` (device-signed
/// meter frames, which come from meters that hold no account and no funds) are
/// authorised by it, and the checks after it then see an authorised origin.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// The transaction extensions a client sends: immortal, no tip, no metadata hash, and
/// `nonce` (0 for general transactions, which have no signer). Clients that build
/// transactions from this crate's types (the `mensura` tool, the node's tests) use it, so
/// the tuple is spelled out once.
pub fn transaction_extensions(nonce: Nonce) -> TxExtension {
	(
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		frame_system::WeightReclaim::<Runtime>::new(),
	)
}

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations to run on the next runtime upgrade, beyond the pallets' own.
/// Upgrades start from runtime 111 (readings' storage version 4, billing's 2).
#[allow(unused_parens)]
type Migrations = (
	// The reading records' new layout first; billing then moves its open periods in.
	pallet_readings::migrations::v5::MigrateToV5<Runtime>,
	pallet_billing::migrations::v3::MigrateToV3<Runtime>,
	// The registry's frame rules copied into every meter's reading record.
	pallet_readings::migrations::v6::MigrateToV6<Runtime>,
	// The approved programs counted by operators, which frames' weights are declared with.
	pallet_lr_programs::migrations::v2::MigrateToV2<Runtime>,
);

/// Executive: dispatches calls to the pallets and runs their hooks.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	// Metering pallets from index 10 on.
	#[runtime::pallet_index(10)]
	pub type Meters = pallet_meters;

	#[runtime::pallet_index(11)]
	pub type LrPrograms = pallet_lr_programs;

	#[runtime::pallet_index(12)]
	pub type Readings = pallet_readings;

	#[runtime::pallet_index(13)]
	pub type Rewards = pallet_rewards;

	#[runtime::pallet_index(14)]
	pub type Billing = pallet_billing;

	#[runtime::pallet_index(15)]
	pub type Surveillance = pallet_surveillance;
}
