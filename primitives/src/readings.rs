//! Frames, measurements and LR programs as the pallets, the node and clients share them,
//! and the glue traits between ingestion (`Readings`), the LR program registry
//! (`LrPrograms`) and the meter registry (`Meters`).

use crate::{
	billing::MeterBilling,
	ids::{ContractId, MeterId, ProgramHash},
	metering::{Actor, FrameRules},
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::{DispatchResult, MultiSignature, Weight};

pub use mensura_lr as lr;

pub use crate::ids::{MeasurementIndex, Sequence, UnixMillis};

/// What a meter measured over one interval, as the chain computed and stored it. It
/// carries everything needed to trace it to its frame and its program.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Measurement<BlockNumber> {
	/// The sequence number of the frame it was computed from.
	pub sequence: Sequence,
	/// The start of the measured interval.
	pub start: UnixMillis,
	/// The end of the measured interval.
	pub end: UnixMillis,
	/// The quantity, in thousandths of the meter model's unit (e.g. mWh for a Wh meter).
	pub quantity: u128,
	/// The LR program that computed it (software identification).
	pub program: ProgramHash,
	/// The BLAKE2b-256 hash of the frame's bytes, as the meter signed it.
	pub frame: H256,
	/// The block that stored it.
	pub block: BlockNumber,
}

/// One link of a meter's hash chain: `BLAKE2b-256(previous ‖ meter ‖ index ‖
/// measurement)`, each SCALE-encoded. The chain starts from all zeroes; its head after
/// the last measurement is the meter's [`ReadingState::chain_head`]. The pallet, the
/// indexer and the auditor all call this function.
pub fn chain_link<BlockNumber: Encode>(
	previous: H256,
	meter: MeterId,
	index: MeasurementIndex,
	measurement: &Measurement<BlockNumber>,
) -> H256 {
	(previous, meter, index, measurement)
		.using_encoded(|bytes| sp_io::hashing::blake2_256(bytes).into())
}

/// A meter's reading state: its register, where its sequence and intervals stand, the
/// head of the hash chain over all its measurements, and what the pallets acting on each
/// measurement keep of the meter (its active supply contract with the open billing
/// period, whether surveillance follows it). A stored frame reads and writes this record
/// and, for a meter under no check and no period closing, nothing else.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ReadingState<AccountId> {
	/// The cumulative register: the sum of all measured quantities, in thousandths of the
	/// model's unit.
	pub register: u128,
	/// The sequence number of the last accepted frame; `None` before the first, and from
	/// a device key rotation to the new key's first frame (a new device numbers afresh).
	pub last_sequence: Option<Sequence>,
	/// The end of the last accepted frame's interval; the next must not start before it.
	pub last_end: UnixMillis,
	/// How many measurements the meter has: the next one gets this index.
	pub measurements: MeasurementIndex,
	/// Sequence numbers skipped between accepted frames: frames lost on the way.
	pub missed_frames: u64,
	/// `H(previous head ‖ meter ‖ index ‖ measurement)` over every measurement so far,
	/// starting from all zeroes: proves the whole history, including pruned measurements.
	pub chain_head: H256,
	/// When the meter was verified: no interval may start before it (zero for the
	/// genesis block's meters, verified before the chain had a time).
	pub measuring_since: UnixMillis,
	/// The block of the meter's last accepted frame.
	pub last_block: u32,
	/// How many of the meter's frames that block holds (bounded per block).
	pub frames_in_last_block: u32,
	/// The meter's active supply contract and its open billing period, kept by billing
	/// ([`MeterLinks`]): the one record of which contract bills the meter's
	/// measurements, and of what the open period holds.
	pub billing: Option<MeterBilling<AccountId>>,
	/// Whether surveillance follows the meter's measurements (it is checked, or it is
	/// a check meter), kept by surveillance ([`MeterLinks`]).
	pub surveilled: bool,
	/// What the meter's frames are checked against, as the meter registry has it, kept
	/// current by the registry ([`crate::metering::OnFrameRulesChanged`]); `None` for a
	/// meter the registry does not know.
	pub frame_rules: Option<FrameRules>,
}

impl<AccountId> Default for ReadingState<AccountId> {
	fn default() -> Self {
		ReadingState {
			register: 0,
			last_sequence: None,
			last_end: 0,
			measurements: 0,
			missed_frames: 0,
			chain_head: H256::zero(),
			measuring_since: 0,
			last_block: 0,
			frames_in_last_block: 0,
			billing: None,
			surveilled: false,
			frame_rules: None,
		}
	}
}

impl<AccountId> ReadingState<AccountId> {
	/// The meter's active supply contract.
	pub fn supply_contract(&self) -> Option<ContractId> {
		self.billing.as_ref().map(|b| b.contract)
	}
}

/// A frame's bytes (see `mensura_lr::frame`) and its meter's signature over
/// `mensura_lr::frame::signing_message`.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct SignedFrame<Bytes> {
	/// The frame, in the version-1 byte format.
	pub frame: Bytes,
	/// The meter's signature.
	pub signature: MultiSignature,
}

/// Declares [`FrameRejection`] from one list: each variant's documentation is its
/// description, its position its code; `ALL`, `name` and `description` are derived.
macro_rules! frame_rejections {
	($($(#[doc = $doc:literal])+ $name:ident,)+) => {
		/// Why a frame is refused. The transaction pool reports it as
		/// `InvalidTransaction::Custom(code)`; [`FrameRejection::from_code`] names it again.
		/// Codes are positions in this list, from 1: new reasons are only ever appended.
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
		pub enum FrameRejection {
			$($(#[doc = $doc])+ $name,)+
		}

		impl FrameRejection {
			/// Every rejection, in code order.
			pub const ALL: &'static [FrameRejection] = &[$(Self::$name,)+];

			/// What the rejection means, in one sentence (the variant's documentation),
			/// for tools that report it to people.
			pub fn description(self) -> &'static str {
				match self {
					$(Self::$name => concat!($($doc),+).trim_ascii(),)+
				}
			}

			/// The rejection's name, as in the documentation.
			pub fn name(self) -> &'static str {
				match self {
					$(Self::$name => stringify!($name),)+
				}
			}
		}
	};
}

frame_rejections! {
	/// The bytes are not a version-1 frame.
	Malformed,
	/// No meter has the frame's meter id.
	UnknownMeter,
	/// The meter is not active (provisioned but unverified, suspended or revoked).
	MeterNotActive,
	/// The signature is not the meter's current key's over this frame for this chain.
	BadSignature,
	/// The sequence number is not above the meter's last: a replay or a duplicate.
	Replayed,
	/// The interval ends at or before its start.
	EmptyInterval,
	/// The interval starts before the meter's last interval ended.
	OverlappingInterval,
	/// The interval ends later than the chain's time plus the allowed clock drift.
	FutureInterval,
	/// No LR program is bound to the meter.
	NoProgramBound,
	/// The bound program is not approved (or unknown).
	ProgramNotApproved,
	/// The bound program has been deprecated.
	ProgramDeprecated,
	/// The frame has a different number of channels from the program's inputs.
	ChannelMismatch,
	/// The computation overflowed its integer range.
	ComputationOverflow,
	/// The computation produced a negative quantity.
	NegativeQuantity,
	/// The meter's register would overflow.
	RegisterOverflow,
	/// A batch with no frames.
	EmptyBatch,
	/// The sequence number jumps further above the meter's last (or, for a first frame,
	/// above zero) than the chain allows.
	SequenceTooFar,
	/// The interval is shorter than the meter's model allows.
	IntervalTooShort,
	/// The interval is longer than the meter's model allows.
	IntervalTooLong,
	/// The interval starts before the meter was verified.
	BeforeVerification,
	/// The transaction carries more of one meter's frames than a block may hold.
	TooManyFramesOfOneMeter,
	/// The block already holds as many of the meter's frames as one block may: the frame
	/// waits for the next block (reported as `ExhaustsResources`, never as a code).
	MeterBlockQuotaFull,
	/// The frame skips sequence numbers while its meter measured in the last few blocks:
	/// the frames it skips may still be on their way, so it waits in the pool for them
	/// (reported as `ExhaustsResources` in a block being built, never as a code).
	AwaitingEarlierFrames,
}

impl FrameRejection {
	/// The code in `InvalidTransaction::Custom(code)`: 1 for `Malformed`, 2 for
	/// `UnknownMeter`, … in declaration order.
	pub fn code(self) -> u8 {
		// The SCALE index of a fieldless enum is its declaration order.
		self.encode().first().copied().unwrap_or(0).saturating_add(1)
	}

	/// The rejection with `code`, if there is one.
	pub fn from_code(code: u8) -> Option<Self> {
		Self::decode(&mut &[code.checked_sub(1)?][..]).ok()
	}
}

/// Why an LR program cannot compute measurements.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProgramUnusable {
	/// No program has the hash.
	Unknown,
	/// Not (yet) approved by enough notified bodies.
	NotApproved,
	/// Deprecated.
	Deprecated,
}

impl From<ProgramUnusable> for FrameRejection {
	fn from(reason: ProgramUnusable) -> Self {
		match reason {
			ProgramUnusable::Unknown | ProgramUnusable::NotApproved => Self::ProgramNotApproved,
			ProgramUnusable::Deprecated => Self::ProgramDeprecated,
		}
	}
}

/// The approved LR programs, for the ingestion pallet.
pub trait LrProgramProvider {
	/// The program with `hash`, decoded, if it may compute measurements now.
	fn usable_program(hash: &ProgramHash) -> Result<lr::Program, ProgramUnusable>;

	/// The most operators of any program [`Self::usable_program`] gives now (0 when it
	/// gives none): a frame's program has at most this many, which is what a frame's
	/// weight is declared with before its meter, hence its program, is read. One
	/// storage read.
	fn most_ops() -> u32;

	/// Benchmarks only: stores `program` as approved and returns its hash.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_approved_program(program: &lr::Program) -> ProgramHash;
}

/// Binding a meter to an LR program, for the LR program registry. The meter registry
/// implements it: it owns the meter record and its audit trail.
pub trait LrProgramBinding<AccountId> {
	/// Binds `meter` to `program` and writes the audit entry. Fails for an unknown or
	/// revoked meter.
	fn bind_lr_program(
		meter: MeterId,
		program: ProgramHash,
		actor: Actor<AccountId>,
	) -> DispatchResult;

	/// What those the registry tells of a binding
	/// ([`crate::metering::OnFrameRulesChanged`]) may weigh, declared by the caller beside
	/// its own benchmarked weight.
	fn notification_weight() -> Weight;

	/// Benchmarks only: registers a new active meter, bound to no program yet.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_meter() -> MeterId;
}

/// A measurement the LR path has just stored, as the pallets that act on it see it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredMeasurement {
	pub meter: MeterId,
	pub index: MeasurementIndex,
	pub start: UnixMillis,
	pub end: UnixMillis,
	/// Thousandths of the model's unit.
	pub quantity: u128,
	/// The LR program that computed it.
	pub program: ProgramHash,
	/// The meter's register after it.
	pub register: u128,
	/// Whether surveillance follows the meter ([`ReadingState::surveilled`]).
	pub surveilled: bool,
}

/// Told of every measurement the LR path stores, in the same dispatch, with the billing
/// part of its meter's reading record ([`ReadingState::billing`]), which the
/// implementations may change: ingestion writes the record once, after them.
/// Implementations must never fail and never undo the measurement: money is settled
/// around measurements, it does not gate them.
///
/// The measurements of one transaction (a gateway's batch) come one after the other,
/// then [`OnMeasured::end_of_transaction`]: an implementation may keep what the first
/// read (a tariff, a fee) for the next ones of the same transaction, and return the
/// smaller weight those then take.
pub trait OnMeasured<AccountId> {
	/// The measurement `m` was stored; returns the weight it took (at most
	/// [`OnMeasured::weight`]), including its share of `end_of_transaction`'s work.
	fn on_measured(m: &StoredMeasurement, billing: &mut Option<MeterBilling<AccountId>>) -> Weight;
	/// The transaction's last measurement was told: whatever was kept for the transaction
	/// is written out or dropped. Its work is in the weights `on_measured` returned.
	fn end_of_transaction();
	/// The most [`OnMeasured::on_measured`] can weigh, declared with every frame.
	fn weight() -> Weight;
	/// What `on_measured` weighs for a measurement that concerns the implementation
	/// least (a meter it knows nothing of): what a benchmark of storing measurements
	/// measured of it, when the meters it stores are unknown to the implementation,
	/// beside [`OnMeasured::weight`] declared on top.
	fn idle_weight() -> Weight;
}

impl<AccountId> OnMeasured<AccountId> for () {
	fn on_measured(_: &StoredMeasurement, _: &mut Option<MeterBilling<AccountId>>) -> Weight {
		Weight::zero()
	}
	fn end_of_transaction() {}
	fn weight() -> Weight {
		Weight::zero()
	}
	fn idle_weight() -> Weight {
		Weight::zero()
	}
}

impl<AccountId, A: OnMeasured<AccountId>, B: OnMeasured<AccountId>> OnMeasured<AccountId>
	for (A, B)
{
	fn on_measured(m: &StoredMeasurement, billing: &mut Option<MeterBilling<AccountId>>) -> Weight {
		A::on_measured(m, billing).saturating_add(B::on_measured(m, billing))
	}
	fn end_of_transaction() {
		A::end_of_transaction();
		B::end_of_transaction();
	}
	fn weight() -> Weight {
		A::weight().saturating_add(B::weight())
	}
	fn idle_weight() -> Weight {
		A::idle_weight().saturating_add(B::idle_weight())
	}
}

/// Read access to meters' registers, for pallets that must not touch readings' storage.
pub trait MeasurementLog {
	/// The meter's cumulative register now.
	fn register(meter: MeterId) -> u128;
}

/// What other pallets keep in a meter's reading record ([`ReadingState`]) so that a
/// stored frame reads one record and hands them what they need: billing the meter's
/// active supply contract with its open period, surveillance whether it follows the
/// meter. Each setter reads and writes the record once.
pub trait MeterLinks<AccountId> {
	/// The meter's active supply contract and its open period.
	fn billing(meter: MeterId) -> Option<MeterBilling<AccountId>>;
	/// Sets (or clears) the meter's active supply contract and its open period.
	fn set_billing(meter: MeterId, billing: Option<MeterBilling<AccountId>>);
	/// The meter's active supply contract.
	fn supply_contract(meter: MeterId) -> Option<ContractId> {
		Self::billing(meter).map(|b| b.contract)
	}
	/// Whether surveillance follows the meter.
	fn surveilled(meter: MeterId) -> bool;
	/// Marks whether surveillance follows the meter.
	fn set_surveilled(meter: MeterId, surveilled: bool);
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn rejection_codes_are_stable_and_round_trip() {
		for (i, rejection) in FrameRejection::ALL.iter().enumerate() {
			assert_eq!(rejection.code() as usize, i + 1);
			assert_eq!(FrameRejection::from_code(rejection.code()), Some(*rejection));
			assert_eq!(format!("{rejection:?}"), rejection.name());
		}
		assert_eq!(FrameRejection::ALL.len(), 23);
		assert_eq!(FrameRejection::from_code(0), None);
		assert_eq!(FrameRejection::from_code(24), None);
		// The codes gateways already handle never move.
		assert_eq!(FrameRejection::Replayed.code(), 5);
		assert_eq!(FrameRejection::EmptyBatch.code(), 16);
		assert_eq!(FrameRejection::SequenceTooFar.code(), 17);
		assert_eq!(FrameRejection::MeterBlockQuotaFull.code(), 22);
		assert_eq!(FrameRejection::AwaitingEarlierFrames.code(), 23);
	}

	#[test]
	fn each_description_is_its_variants_documentation_in_one_sentence() {
		assert_eq!(FrameRejection::Malformed.description(), "The bytes are not a version-1 frame.");
		assert_eq!(
			FrameRejection::SequenceTooFar.description(),
			"The sequence number jumps further above the meter's last (or, for a first frame, \
			 above zero) than the chain allows."
		);
		for rejection in FrameRejection::ALL {
			let text = rejection.description();
			assert!(text.ends_with('.') && !text.starts_with(' '), "{text:?}");
		}
	}
}
