//! Weights measured on this machine for the runtime as a whole (the pallets' own weights
//! live in each pallet's `weights.rs`).

/// What a ParityDB storage read and write cost, from `scripts/benchmark-storage`. (The
/// generated file documents each field's statistics in doc comments rustdoc ignores.)
#[allow(unused_doc_comments)]
pub mod paritydb_weights;
