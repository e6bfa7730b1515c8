//! # Mensura primitives
//!
//! The types and constants every side of Mensura shares: the runtime, the node, the
//! pallets and the off-chain tools (meter firmware, gateways, auditors). It is `no_std`
//! and free of FRAME so that firmware and tools can depend on it cheaply.
//!
//! - the chain-wide basics: account, balance and block types, and the token and
//!   address-format constants, chosen once here so that the runtime and the node's
//!   chain-spec properties can never disagree;
//! - [`ids`]: the identifiers (meters, models, programs, measurements, contracts,
//!   invoices, tariffs) and instants, depending on nothing else here;
//! - [`metering`]: meter, model, device-key and audit-trail types, and the glue traits
//!   ([`metering::MeterRegistry`], [`metering::AuditTrail`]) through which pallets use
//!   the meter registry without touching its storage;
//! - [`readings`]: signed frames, measurements, reading state and frame rejections, the
//!   traits between ingestion, the LR program registry and the meter registry, and what
//!   ingestion tells the pallets that act on each measurement
//!   ([`readings::OnMeasured`], [`readings::MeasurementLog`]); it re-exports the LR
//!   interpreter crate as [`readings::lr`];
//! - `display` (with `std`): times, amounts and audit-trail changes in words, one
//!   wording for the CLI, the indexer and the web page;
//! - [`billing`]: tariffs, payment modes and the pricing arithmetic (one [`billing::price`]
//!   for the chain and the auditor), and the traits between billing, the LR program
//!   registry and measurer rewards;
//! - [`host`]: the host functions `mensura-node` provides beside polkadot-sdk's (batch
//!   verification of frames' sr25519 signatures), and what calling them costs.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod billing;
#[cfg(feature = "std")]
pub mod display;
pub mod host;
pub mod ids;
pub mod metering;
pub mod readings;

use sp_runtime::{
	traits::{IdentifyAccount, Verify},
	MultiSignature,
};

/// A block number.
pub type BlockNumber = u32;

/// The signature type of transactions: sr25519, ed25519 or ECDSA.
pub type Signature = MultiSignature;

/// An account identifier: the 32-byte public key (or its hash for ECDSA) of the signer.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// A balance, in the smallest unit ([`TOKEN_DECIMALS`] decimals below one [`TOKEN_SYMBOL`]).
pub type Balance = u128;

/// The index of a transaction of an account.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// A moment in time: milliseconds since the Unix epoch.
pub type Moment = u64;

/// The SS58 address format of Mensura accounts. 42 is the generic Substrate format:
/// Polkadot.js and every Substrate wallet show the familiar `5…` addresses for it.
pub const SS58_PREFIX: u16 = 42;

/// The symbol of the native token, which pays transaction fees, deposits and fees.
pub const TOKEN_SYMBOL: &str = "MSR";

/// The number of decimals of the native token.
pub const TOKEN_DECIMALS: u8 = 12;

/// One whole token in the smallest unit.
pub const UNIT: Balance = 10u128.pow(TOKEN_DECIMALS as u32);

/// A thousandth of a token.
pub const MILLI_UNIT: Balance = UNIT / 1_000;

/// A millionth of a token.
pub const MICRO_UNIT: Balance = UNIT / 1_000_000;

/// The target time between two blocks, in milliseconds. It is also the Aura slot length,
/// which cannot change once a chain has started.
pub const MILLISECS_PER_BLOCK: Moment = 6_000;

/// Blocks per minute at the target block time.
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);

/// Blocks per hour at the target block time.
pub const HOURS: BlockNumber = MINUTES * 60;

/// Blocks per day at the target block time.
pub const DAYS: BlockNumber = HOURS * 24;

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn units_are_consistent() {
		assert_eq!(UNIT, 1_000_000_000_000);
		assert_eq!(MILLI_UNIT * 1_000, UNIT);
		assert_eq!(MICRO_UNIT * 1_000_000, UNIT);
		assert_eq!(MINUTES, 10);
		assert_eq!(DAYS, 14_400);
	}
}
