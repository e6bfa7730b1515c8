//! Metering types shared by the pallets, the node and off-chain tools, and the glue
//! traits through which pallets use the meter registry without touching its storage.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_core::{ecdsa, ed25519, sr25519, ConstU32};
use sp_runtime::{
	traits::Verify, BoundedVec, DispatchResult, MultiSignature, MultiSigner, Permill,
};

pub use crate::ids::{AuditIndex, MeterId, ModelId, ProgramHash};
use crate::{
	billing::PaymentMode,
	ids::{ContractId, InvoiceId, TariffId, UnixMillis},
};

/// The longest human version of an LR program, in bytes.
pub type MaxProgramVersionLen = ConstU32<32>;

/// An LR program's human version, e.g. `1.2.0`.
pub type ProgramVersion = BoundedVec<u8, MaxProgramVersionLen>;

/// The longest supply-point identifier, in bytes (an EAN-18 or MPAN-21 fits).
pub type MaxSupplyPointLen = ConstU32<32>;

/// A supply point: where a meter measures (e.g. an electricity connection's EAN code).
pub type SupplyPoint = BoundedVec<u8, MaxSupplyPointLen>;

/// The public key burnt into a meter at manufacture. The meter signs its frames with
/// the matching secret key and holds no account and no funds.
#[derive(
	Clone,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub enum DeviceKey {
	/// An Ed25519 public key.
	Ed25519(ed25519::Public),
	/// A Schnorrkel/Ristretto (sr25519) public key.
	Sr25519(sr25519::Public),
	/// A compressed secp256k1 ECDSA public key (33 bytes); signatures are over the
	/// blake2-256 hash of the message.
	Ecdsa(ecdsa::Public),
}

/// A signature by a meter's device key.
pub type DeviceSignature = MultiSignature;

impl DeviceKey {
	/// Whether `signature` is this key's signature of `message`. A signature of another
	/// scheme than the key's is never valid.
	pub fn verify(&self, message: &[u8], signature: &DeviceSignature) -> bool {
		match (self, signature) {
			(DeviceKey::Ed25519(key), MultiSignature::Ed25519(sig)) => sig.verify(message, key),
			(DeviceKey::Sr25519(key), MultiSignature::Sr25519(sig)) => sig.verify(message, key),
			(DeviceKey::Ecdsa(key), MultiSignature::Ecdsa(sig)) => sig.verify(message, key),
			_ => false,
		}
	}
}

impl From<DeviceKey> for MultiSigner {
	fn from(key: DeviceKey) -> Self {
		match key {
			DeviceKey::Ed25519(k) => MultiSigner::Ed25519(k),
			DeviceKey::Sr25519(k) => MultiSigner::Sr25519(k),
			DeviceKey::Ecdsa(k) => MultiSigner::Ecdsa(k),
		}
	}
}

/// What a meter measures.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub enum MeterKind {
	/// Active electrical energy.
	Electricity,
	/// Gas volume.
	Gas,
	/// Water volume.
	Water,
	/// Fuel dispensed (volume).
	Fuel,
	/// Anything else under legal control.
	Other,
}

/// The unit of a meter's register.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub enum MeasurementUnit {
	/// Watt-hour (electrical energy).
	WattHour,
	/// Cubic metre (gas, water).
	CubicMetre,
	/// Litre (fuel, water).
	Litre,
	/// Kilogram (mass).
	Kilogram,
	/// Joule (heat).
	Joule,
}

impl MeasurementUnit {
	/// The unit's SI symbol: `Wh`, `m3`, `L`, `kg`, `J`.
	pub fn symbol(self) -> &'static str {
		match self {
			Self::WattHour => "Wh",
			Self::CubicMetre => "m3",
			Self::Litre => "L",
			Self::Kilogram => "kg",
			Self::Joule => "J",
		}
	}
}

/// The metrological characteristics a notified body type-approves.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
pub struct ModelSpec {
	/// What the meter measures.
	pub kind: MeterKind,
	/// The unit of its register.
	pub unit: MeasurementUnit,
	/// The smallest step of the register, in thousandths of `unit` (1 000 = one whole
	/// unit, 1 = one milli-unit). Never zero.
	pub resolution_milli: u32,
	/// The maximum permissible error of the accuracy class (e.g. 1 % for class 1).
	pub max_permissible_error: Permill,
	/// The shortest interval one frame may cover, in milliseconds (never zero): with the
	/// rule that intervals never overlap nor start before the meter's verification, it
	/// bounds how many frames a meter's key can ever have valid.
	pub min_interval_ms: u64,
	/// The longest interval one frame may cover, in milliseconds (at least the shortest).
	pub max_interval_ms: u64,
}

/// Where a meter model stands in type approval.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum ModelStatus {
	/// Submitted by its manufacturer, awaiting a notified body.
	Pending,
	/// Type-approved: meters of this model may be provisioned.
	Approved,
	/// Refused by a notified body.
	Rejected,
	/// Its approval was withdrawn: no new meters; existing ones are unaffected.
	Withdrawn,
}

/// The lifecycle of a meter: `Provisioned → Active ⇄ Suspended → Revoked`.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum MeterStatus {
	/// Registered by its manufacturer, not yet verified: it may not measure.
	Provisioned,
	/// Verified by a notified body and bound to a supply point: it measures.
	Active,
	/// Temporarily barred from measuring by a notified body.
	Suspended,
	/// Permanently withdrawn. Its key is never accepted again.
	Revoked,
}

impl MeterStatus {
	/// Whether a meter may move from `self` to `to`.
	pub fn can_become(self, to: MeterStatus) -> bool {
		use MeterStatus::*;
		matches!(
			(self, to),
			(Provisioned, Active)
				| (Active, Suspended)
				| (Suspended, Active)
				| (Provisioned | Active | Suspended, Revoked)
		)
	}
}

/// Why a notified body changed a meter's status.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum StatusReason {
	/// Initial verification passed.
	InitialVerification,
	/// Signs of tampering were found.
	SuspectedTampering,
	/// The instrument malfunctions.
	Malfunction,
	/// A periodic re-verification is overdue.
	ReverificationOverdue,
	/// A re-verification failed.
	FailedReverification,
	/// The cause of an earlier suspension was cleared.
	IssueResolved,
	/// The device key is, or may be, compromised.
	KeyCompromised,
	/// The instrument was taken out of service.
	Decommissioned,
	/// A reason with a code of the notified body's own.
	Other(u16),
}

/// Who made a legally relevant change.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Actor<AccountId> {
	/// The regulator (the root origin).
	Regulator,
	/// An account acting in a role (notified body, manufacturer, …).
	Account(AccountId),
}

/// Whose audit trail an entry belongs to.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum AuditSubject {
	/// A meter's trail.
	Meter(MeterId),
	/// A meter model's trail.
	Model(ModelId),
	/// An LR program's trail.
	Program(ProgramHash),
}

/// A legally relevant change, as written to an audit trail.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum AuditChange {
	/// A manufacturer submitted the model for type approval.
	ModelSubmitted { spec: ModelSpec },
	/// A notified body type-approved the model.
	ModelApproved,
	/// A notified body refused the model.
	ModelRejected { reason: StatusReason },
	/// A notified body withdrew the model's approval.
	ModelApprovalWithdrawn { reason: StatusReason },
	/// A manufacturer provisioned the meter with its device key.
	MeterProvisioned { model: ModelId, device_key: DeviceKey },
	/// A notified body verified the meter and bound it to a supply point.
	MeterVerified { supply_point: SupplyPoint },
	/// The meter's status changed.
	StatusChanged { from: MeterStatus, to: MeterStatus, reason: StatusReason },
	/// A notified body replaced the meter's device key.
	DeviceKeyRotated { old: DeviceKey, new: DeviceKey },
	/// An approved LR program was bound to the meter.
	LrProgramBound { program: ProgramHash },
	/// A measurer published the LR program.
	ProgramPublished { version: ProgramVersion },
	/// A notified body approved the program's hash; `approvals` so far.
	ProgramApprovalGiven { approvals: u32 },
	/// The program reached the approvals required and may now be bound and run.
	ProgramApproved,
	/// The program was deprecated: frames of meters bound to it are refused.
	ProgramDeprecated,
	/// A supply contract on the meter began (the consumer accepted it).
	SupplyContractStarted { contract: ContractId, tariff: TariffId, payment: PaymentMode },
	/// The meter's supply contract ended; its final invoice covers up to `at`.
	SupplyContractEnded { contract: ContractId, at: UnixMillis },
	/// The supplier moved the contract to another tariff, which prices the meter's
	/// consumption from `from` (the start of the next billing period) on.
	TariffChanged { contract: ContractId, tariff: TariffId, from: UnixMillis },
	/// The consumer disputed an invoice of the meter.
	InvoiceDisputed { invoice: InvoiceId },
	/// A notified body resolved the dispute: `credit` is 0 when the invoice was upheld,
	/// the amount of the credit note when it was corrected.
	DisputeResolved { invoice: InvoiceId, credit: u128 },
	/// Someone registered `check`, a verified meter at the same supply point, as this
	/// meter's counter-proof: their measurements are compared window by window.
	CheckMeterRegistered { check: MeterId },
	/// The counter-proof by `check` ended.
	CheckMeterRemoved { check: MeterId },
	/// Over `[start, end)` this meter measured `measured`, its check meter `counter`
	/// (thousandths of the unit), further apart than the `allowed` difference (both
	/// meters' maximum permissible errors and register steps): the meter is under
	/// inspection.
	DiscrepancyFound {
		check: MeterId,
		start: UnixMillis,
		end: UnixMillis,
		measured: u128,
		counter: u128,
		allowed: u128,
	},
	/// A notified body inspected the meter and cleared it: it stays active.
	InspectionCleared,
	/// The program lost an approval of a notified body the regulator removed, and with it
	/// its approved standing: it computes again once enough bodies approve it.
	ProgramApprovalLost,
	/// No notified body resolved the dispute of an invoice of the meter before its
	/// deadline: the invoice is payable again and the consumer's deposit returned.
	DisputeLapsed { invoice: InvoiceId },
}

/// One entry of an audit trail.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct AuditEntry<AccountId, BlockNumber> {
	/// The block in which the change was made.
	pub block: BlockNumber,
	/// Who made it.
	pub actor: Actor<AccountId>,
	/// What changed.
	pub change: AuditChange,
}

/// What other pallets may know of a meter.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct MeterSummary {
	/// The meter's model.
	pub model: ModelId,
	/// The model's type-approved characteristics.
	pub spec: ModelSpec,
	/// The meter's current device key.
	pub device_key: DeviceKey,
	/// Its status.
	pub status: MeterStatus,
	/// The supply point it was verified at, once verified.
	pub supply_point: Option<SupplyPoint>,
	/// The LR program bound to it, once bound.
	pub lr_program: Option<ProgramHash>,
}

/// What a meter's frames are checked against, of what the registry keeps of it: the part
/// of [`MeterSummary`] that ingestion reads for every frame. Ingestion keeps a copy beside
/// the meter's reading state, so that a frame costs one storage read; the registry tells
/// it of every change ([`OnFrameRulesChanged`]).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct FrameRules {
	/// The meter's status: only an active meter's frames are accepted.
	pub status: MeterStatus,
	/// The key its frames must be signed with.
	pub device_key: DeviceKey,
	/// The LR program that computes its measurements, once bound.
	pub lr_program: Option<ProgramHash>,
	/// The shortest interval its model allows, in milliseconds.
	pub min_interval_ms: u64,
	/// The longest interval its model allows, in milliseconds.
	pub max_interval_ms: u64,
}

impl FrameRules {
	/// The rules of the meter `meter` describes.
	pub fn of(meter: &MeterSummary) -> Self {
		FrameRules {
			status: meter.status,
			device_key: meter.device_key.clone(),
			lr_program: meter.lr_program,
			min_interval_ms: meter.spec.min_interval_ms,
			max_interval_ms: meter.spec.max_interval_ms,
		}
	}
}

/// Read access to the meter registry, for pallets that must not touch its storage.
pub trait MeterRegistry {
	/// What the registry knows of `meter`, or `None` for an unknown meter.
	fn meter(meter: MeterId) -> Option<MeterSummary>;

	/// What `meter`'s frames are checked against, or `None` for an unknown meter.
	fn frame_rules(meter: MeterId) -> Option<FrameRules> {
		Self::meter(meter).map(|m| FrameRules::of(&m))
	}

	/// Every registered meter, in id order. Reads the whole registry: for migrations and
	/// invariant checks, never for a transaction.
	fn meter_ids() -> alloc::vec::Vec<MeterId>;

	/// The meter's current device key.
	fn device_key(meter: MeterId) -> Option<DeviceKey> {
		Self::meter(meter).map(|m| m.device_key)
	}

	/// The meter's status.
	fn status(meter: MeterId) -> Option<MeterStatus> {
		Self::meter(meter).map(|m| m.status)
	}

	/// The meter's model and its approved characteristics.
	fn model(meter: MeterId) -> Option<(ModelId, ModelSpec)> {
		Self::meter(meter).map(|m| (m.model, m.spec))
	}

	/// The LR program bound to the meter.
	fn lr_program(meter: MeterId) -> Option<ProgramHash> {
		Self::meter(meter).and_then(|m| m.lr_program)
	}

	/// The supply point the meter measures at.
	fn supply_point(meter: MeterId) -> Option<SupplyPoint> {
		Self::meter(meter).and_then(|m| m.supply_point)
	}

	/// Benchmarks only: registers a new active meter with `key`, bound to `program`.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_active_meter(key: DeviceKey, program: ProgramHash) -> MeterId;
}

/// Suspends meters, for pallets whose findings a notified body acts on (a discrepancy
/// found by a check meter).
pub trait MeterSuspension<AccountId> {
	/// `body`, a notified body, suspends the active `meter` for `reason`, exactly as its
	/// own `suspend_meter` call would.
	fn suspend(meter: MeterId, body: AccountId, reason: StatusReason) -> DispatchResult;
	/// What those the registry tells of a suspension ([`OnFrameRulesChanged`]) may weigh,
	/// declared by the caller beside its own benchmarked weight.
	fn notification_weight() -> sp_runtime::Weight;
}

/// Told when a meter's device key is replaced, for pallets that count something per key:
/// a replacement device numbers its frames afresh.
pub trait OnDeviceKeyRotated {
	/// `meter`'s device key was just replaced.
	fn device_key_rotated(meter: MeterId);
	/// The most [`OnDeviceKeyRotated::device_key_rotated`] can weigh, declared with the
	/// rotation.
	fn weight() -> sp_runtime::Weight;
}

/// Told whenever what a meter's frames are checked against changes: when it is
/// provisioned, verified, suspended, reinstated or revoked, when its device key is
/// replaced and when a program is bound to it.
pub trait OnFrameRulesChanged {
	/// `meter`'s frames are now checked against `rules`.
	fn frame_rules_changed(meter: MeterId, rules: FrameRules);
	/// The most [`OnFrameRulesChanged::frame_rules_changed`] can weigh, declared with
	/// every change.
	fn weight() -> sp_runtime::Weight;
}

impl OnFrameRulesChanged for () {
	fn frame_rules_changed(_: MeterId, _: FrameRules) {}
	fn weight() -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}

/// The notified bodies, and which of them verified each meter: a body's powers over a
/// meter (binding its program, resolving its invoices' disputes) are the verifying body's.
pub trait NotifiedBodies<AccountId> {
	/// Whether `who` is a notified body now (a removed body's past approvals no longer
	/// count).
	fn is_notified_body(who: &AccountId) -> bool;
	/// The notified body that verified `meter`, once it is verified.
	fn verifier_of(meter: MeterId) -> Option<AccountId>;
}

/// Told when the regulator removes a notified body: its approvals stop counting.
pub trait OnNotifiedBodyRemoved<AccountId> {
	/// `body` is no longer a notified body.
	fn body_removed(body: &AccountId);
	/// The most [`OnNotifiedBodyRemoved::body_removed`] can weigh, declared with the
	/// removal.
	fn weight() -> sp_runtime::Weight;
}

impl<AccountId> OnNotifiedBodyRemoved<AccountId> for () {
	fn body_removed(_: &AccountId) {}
	fn weight() -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}

/// Told when a notified body verifies a meter, for pallets that judge its frames: none
/// may measure time before its verification.
pub trait OnMeterVerified {
	/// `meter` was just verified: its frames may cover time from now on.
	fn meter_verified(meter: MeterId);
	/// The most [`OnMeterVerified::meter_verified`] can weigh, declared with the
	/// verification.
	fn weight() -> sp_runtime::Weight;
}

impl OnMeterVerified for () {
	fn meter_verified(_: MeterId) {}
	fn weight() -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}

impl OnDeviceKeyRotated for () {
	fn device_key_rotated(_: MeterId) {}
	fn weight() -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}

/// Appends to the append-only audit trails, for pallets whose changes are legally
/// relevant (an LR program binding, a tariff change, …).
pub trait AuditTrail<AccountId> {
	/// Appends `change` by `actor` to `subject`'s trail and returns its index.
	fn record(subject: AuditSubject, actor: Actor<AccountId>, change: AuditChange) -> AuditIndex;
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::Pair;

	#[test]
	fn status_lifecycle_allows_exactly_the_documented_transitions() {
		use MeterStatus::*;
		let all = [Provisioned, Active, Suspended, Revoked];
		let allowed = [
			(Provisioned, Active),
			(Active, Suspended),
			(Suspended, Active),
			(Provisioned, Revoked),
			(Active, Revoked),
			(Suspended, Revoked),
		];
		for from in all {
			for to in all {
				assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} → {to:?}");
			}
		}
	}

	#[test]
	fn device_keys_verify_their_own_signatures_only() {
		let message = b"mensura frame";
		let ed = ed25519::Pair::from_string("//Meter1", None).unwrap();
		let sr = sr25519::Pair::from_string("//Meter1", None).unwrap();
		let ec = ecdsa::Pair::from_string("//Meter1", None).unwrap();
		let keys = [
			(DeviceKey::Ed25519(ed.public()), MultiSignature::Ed25519(ed.sign(message))),
			(DeviceKey::Sr25519(sr.public()), MultiSignature::Sr25519(sr.sign(message))),
			(DeviceKey::Ecdsa(ec.public()), MultiSignature::Ecdsa(ec.sign(message))),
		];
		for (i, (key, _)) in keys.iter().enumerate() {
			for (j, (_, signature)) in keys.iter().enumerate() {
				assert_eq!(key.verify(message, signature), i == j);
			}
			assert!(!key.verify(b"another message", &keys[i].1));
		}
	}

	#[test]
	fn device_key_converts_to_the_matching_multisigner() {
		let raw = sr25519::Public::from_raw([7; 32]);
		assert_eq!(MultiSigner::from(DeviceKey::Sr25519(raw)), MultiSigner::Sr25519(raw));
	}
}
