//! The identifiers and instants every part of Mensura refers to, in one module that
//! depends on nothing else in this crate, so that [`metering`](crate::metering),
//! [`readings`](crate::readings) and [`billing`](crate::billing) can all use them
//! without using each other. Each of those modules re-exports the ones it is about.

use sp_core::H256;

/// Identifies a meter. Assigned in sequence when a manufacturer provisions it.
pub type MeterId = u64;

/// Identifies a meter model. Assigned in sequence when a manufacturer submits it.
pub type ModelId = u32;

/// The position of an entry in an audit trail: 0 for the first, then 1, 2, … for ever.
pub type AuditIndex = u32;

/// The content hash of a legally relevant (LR) program (blake2-256 of its encoding).
pub type ProgramHash = H256;

/// A frame's sequence number, strictly increasing per meter.
pub type Sequence = u64;

/// The position of a measurement in its meter's history: 0 for the first, then 1, 2, …
pub type MeasurementIndex = u64;

/// Milliseconds since the Unix epoch, as frames carry time.
pub type UnixMillis = u64;

/// A supply contract's id, from 0.
pub type ContractId = u64;

/// An invoice's id, from 0.
pub type InvoiceId = u64;

/// A tariff's id, from 0.
pub type TariffId = u32;
