//! Weights measured on this machine for the runtime as a whole and for the polkadot-sdk
//! pallets it uses, by `scripts/benchmark-pallets` (Mensura's pallets keep theirs in each
//! pallet's `weights.rs`).

pub mod block_weights;
pub mod extrinsic_weights;
pub mod frame_system;
pub mod frame_system_extensions;
pub mod pallet_balances;
pub mod pallet_sudo;
pub mod pallet_timestamp;
pub mod pallet_transaction_payment;

/// What a ParityDB storage read and write cost, from `scripts/benchmark-storage`. (The
/// generated file documents each field's statistics in doc comments rustdoc ignores.)
#[allow(unused_doc_comments)]
pub mod paritydb_weights;
