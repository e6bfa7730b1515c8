//! From a finalized block's events to the rows the database keeps: measurements with
//! their hash-chain links, the objects (meters, contracts, invoices, …) an event
//! touched and that are re-read from the block's state, and one row per other event.
//! Pure functions over the runtime's own types; no I/O.

use crate::chain::BlockEvent;
use mensura_primitives::{
	billing::{ContractId, InvoiceId, TariffId},
	metering::{AuditSubject, MeterId, ModelId, ProgramHash},
	readings::chain_link,
};
use mensura_runtime::{AccountId, RuntimeEvent};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, H256};
use std::collections::BTreeSet;

/// A measurement as indexed: the `Measured` event with where it was found and its
/// hash-chain link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasurementRow {
	pub meter: MeterId,
	pub index: u64,
	pub sequence: u64,
	pub start: u64,
	pub end: u64,
	pub quantity: u128,
	pub register: u128,
	pub program: ProgramHash,
	pub frame: H256,
	pub block: u64,
	pub extrinsic: Option<u32>,
	pub event: u32,
	/// The meter's chain head before this measurement.
	pub previous: H256,
	/// `chain_link(previous, meter, index, measurement)`: the head after it.
	pub link: H256,
}

/// A chain object an event touched, re-read from the block's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Touched {
	Meter(MeterId),
	Model(ModelId),
	Program(ProgramHash),
	Tariff(TariffId),
	Contract(ContractId),
	Invoice(InvoiceId),
	/// A consumer's prepaid balance (the account's bytes).
	Consumer([u8; 32]),
}

impl Touched {
	/// The audit trail the object has, if any.
	pub fn audit_subject(self) -> Option<AuditSubject> {
		match self {
			Touched::Meter(m) => Some(AuditSubject::Meter(m)),
			Touched::Model(m) => Some(AuditSubject::Model(m)),
			Touched::Program(p) => Some(AuditSubject::Program(p)),
			_ => None,
		}
	}
}

/// Any event other than a measurement, as a row.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
	pub block: u64,
	pub index: u32,
	pub extrinsic: Option<u32>,
	pub pallet: String,
	pub name: String,
	/// The meter it concerns, if any.
	pub meter: Option<MeterId>,
	/// Its fields, as JSON (accounts in SS58, amounts as decimal strings, hashes hex).
	pub fields: Value,
}

/// A meter's position in its hash chain: the next index and the head so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Head {
	pub next_index: u64,
	pub link: H256,
}

/// Why a block's events cannot be indexed.
#[derive(Debug, PartialEq, Eq)]
pub enum ExtractError {
	/// A `Measured` event's index is not the meter's next one: the chain and the index
	/// disagree about its history.
	OutOfOrder { meter: MeterId, expected: u64, found: u64, block: u64 },
	/// The event's register is not the previous register plus its quantity.
	RegisterMismatch { meter: MeterId, index: u64, block: u64 },
}

impl std::fmt::Display for ExtractError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			ExtractError::OutOfOrder { meter, expected, found, block } => write!(
				f,
				"block {block}: meter {meter}'s measurement {found} arrived where {expected} \
				 was expected; the index and the chain disagree"
			),
			ExtractError::RegisterMismatch { meter, index, block } => write!(
				f,
				"block {block}: meter {meter}'s measurement {index} does not add up to its \
				 register"
			),
		}
	}
}

/// What one block adds.
#[derive(Default, Debug)]
pub struct Extracted {
	pub measurements: Vec<MeasurementRow>,
	pub events: Vec<EventRow>,
	pub touched: BTreeSet<Touched>,
}

/// The consumer whose prepaid balance an event may change.
fn consumer_of(account: &AccountId) -> Touched {
	Touched::Consumer(account.clone().into())
}

/// An SS58 address (the chain's prefix).
pub fn address(account: &AccountId) -> String {
	account.to_ss58check_with_version(mensura_primitives::SS58_PREFIX.into())
}

/// Where each meter's hash chain and register stand, as extraction reads and advances
/// them.
pub trait Heads {
	/// The meter's position and register before its next measurement.
	fn get(&self, meter: MeterId) -> (Head, u128);
	/// The meter's position, register and last interval end after a measurement.
	fn set(&mut self, meter: MeterId, head: Head, register: u128, end: u64);
}

impl Heads for std::collections::BTreeMap<MeterId, (Head, u128, u64)> {
	fn get(&self, meter: MeterId) -> (Head, u128) {
		self.get(&meter).map(|(h, r, _)| (*h, *r)).unwrap_or_default()
	}
	fn set(&mut self, meter: MeterId, head: Head, register: u128, end: u64) {
		self.insert(meter, (head, register, end));
	}
}

/// The objects an event touched (none for a measurement).
pub fn touched_by(event: &RuntimeEvent) -> Vec<Touched> {
	match event {
		RuntimeEvent::Readings(_)
		| RuntimeEvent::System(_)
		| RuntimeEvent::TransactionPayment(_)
		| RuntimeEvent::Balances(_) => Vec::new(),
		other => describe(other).touched,
	}
}

/// Extracts block `block`'s rows; `heads` gives each meter's hash-chain position before
/// the block and is advanced for every measurement.
pub fn extract(
	block: u64,
	events: &[BlockEvent],
	heads: &mut impl Heads,
) -> Result<Extracted, ExtractError> {
	let mut out = Extracted::default();
	for record in events {
		match &record.event {
			RuntimeEvent::Readings(pallet_readings::Event::Measured {
				meter,
				index,
				measurement,
				register,
			}) => {
				let (before, register_before) = heads.get(*meter);
				if *index != before.next_index {
					return Err(ExtractError::OutOfOrder {
						meter: *meter,
						expected: before.next_index,
						found: *index,
						block,
					});
				}
				if register_before.checked_add(measurement.quantity) != Some(*register) {
					return Err(ExtractError::RegisterMismatch {
						meter: *meter,
						index: *index,
						block,
					});
				}
				let link = chain_link(before.link, *meter, *index, measurement);
				heads.set(*meter, Head { next_index: index + 1, link }, *register, measurement.end);
				out.measurements.push(MeasurementRow {
					meter: *meter,
					index: *index,
					sequence: measurement.sequence,
					start: measurement.start,
					end: measurement.end,
					quantity: measurement.quantity,
					register: *register,
					program: measurement.program,
					frame: measurement.frame,
					block,
					extrinsic: record.extrinsic,
					event: record.index,
					previous: before.link,
					link,
				});
			}
			// Per-transaction bookkeeping: one per extrinsic, nothing a user asks for.
			RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. })
			| RuntimeEvent::TransactionPayment(_) => {}
			event => {
				let described = describe(event);
				out.touched.extend(described.touched.iter().copied());
				out.events.push(EventRow {
					block,
					index: record.index,
					extrinsic: record.extrinsic,
					pallet: described.pallet,
					name: described.name,
					meter: described.meter,
					fields: described.fields,
				});
			}
		}
	}
	Ok(out)
}

/// An event's name, fields and the objects it touched.
pub struct Described {
	pub pallet: String,
	pub name: String,
	pub meter: Option<MeterId>,
	pub fields: Value,
	pub touched: Vec<Touched>,
}

fn amount(value: u128) -> Value {
	Value::String(value.to_string())
}

fn h(hash: &H256) -> Value {
	Value::String(format!("{hash:?}"))
}

fn text(bytes: &[u8]) -> Value {
	Value::String(String::from_utf8_lossy(bytes).into_owned())
}

fn debug(value: &impl std::fmt::Debug) -> Value {
	Value::String(format!("{value:?}"))
}

/// The pallet and variant of `event`, from its `Debug` form
/// (`Pallet(Event::Variant { … })`).
fn names(event: &RuntimeEvent) -> (String, String) {
	let text = format!("{event:?}");
	let (pallet, rest) = text.split_once('(').unwrap_or((&text, ""));
	let rest = rest.strip_prefix("Event::").unwrap_or(rest);
	let name = rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default();
	(pallet.to_string(), name.to_string())
}

/// Describes one event: the Mensura pallets' events field by field, others by their
/// `Debug` form.
pub fn describe(event: &RuntimeEvent) -> Described {
	use pallet_billing::Event as B;
	use pallet_lr_programs::Event as P;
	use pallet_meters::Event as M;
	use pallet_rewards::Event as R;
	use pallet_surveillance::Event as S;
	let (pallet, name) = names(event);
	let (meter, fields, touched): (Option<MeterId>, Value, Vec<Touched>) = match event {
		RuntimeEvent::Meters(e) => match e {
			M::NotifiedBodyAppointed { body } | M::NotifiedBodyRemoved { body } => {
				(None, json!({ "body": address(body) }), vec![])
			}
			M::ManufacturerAdmitted { manufacturer, by }
			| M::ManufacturerRemoved { manufacturer, by } => {
				(None, json!({ "manufacturer": address(manufacturer), "by": actor(by) }), vec![])
			}
			M::ModelSubmitted { model, manufacturer, .. } => (
				None,
				json!({ "model": model, "manufacturer": address(manufacturer) }),
				vec![Touched::Model(*model)],
			),
			M::ModelApproved { model, by } => {
				(None, json!({ "model": model, "by": address(by) }), vec![Touched::Model(*model)])
			}
			M::ModelRejected { model, by, reason }
			| M::ModelApprovalWithdrawn { model, by, reason } => (
				None,
				json!({ "model": model, "by": address(by), "reason": debug(reason) }),
				vec![Touched::Model(*model)],
			),
			M::MeterProvisioned { meter, model, manufacturer, deposit, .. } => (
				Some(*meter),
				json!({ "meter": meter, "model": model, "manufacturer": address(manufacturer), "deposit": amount(*deposit) }),
				vec![Touched::Meter(*meter)],
			),
			M::MeterVerified { meter, by, supply_point } => (
				Some(*meter),
				json!({ "meter": meter, "by": address(by), "supplyPoint": text(supply_point) }),
				vec![Touched::Meter(*meter)],
			),
			M::MeterStatusChanged { meter, by, from, to, reason } => (
				Some(*meter),
				json!({ "meter": meter, "by": address(by), "from": debug(from), "to": debug(to), "reason": debug(reason) }),
				vec![Touched::Meter(*meter)],
			),
			M::MeterDepositReleased { meter, manufacturer, amount: value } => (
				Some(*meter),
				json!({ "meter": meter, "manufacturer": address(manufacturer), "amount": amount(*value) }),
				vec![Touched::Meter(*meter)],
			),
			M::DeviceKeyRotated { meter, by, old, new } => (
				Some(*meter),
				json!({ "meter": meter, "by": actor(by), "old": debug(old), "new": debug(new) }),
				vec![Touched::Meter(*meter)],
			),
			M::DeviceKeyRotationApproved { meter, by, new, approvals } => (
				Some(*meter),
				json!({ "meter": meter, "by": address(by), "new": debug(new), "approvals": approvals }),
				vec![],
			),
			other => (None, debug(other), vec![]),
		},
		RuntimeEvent::LrPrograms(e) => match e {
			P::ProgramPublished { program, measurer, version, deposit } => (
				None,
				json!({ "program": h(program), "measurer": address(measurer), "version": text(version), "deposit": amount(*deposit) }),
				vec![Touched::Program(*program)],
			),
			P::ProgramApprovalGiven { program, by, approvals } => (
				None,
				json!({ "program": h(program), "by": address(by), "approvals": approvals }),
				vec![Touched::Program(*program)],
			),
			P::ProgramApproved { program } | P::ProgramWithdrawn { program } => {
				(None, json!({ "program": h(program) }), vec![Touched::Program(*program)])
			}
			P::ProgramDeprecated { program, by } => (
				None,
				json!({ "program": h(program), "by": actor(by) }),
				vec![Touched::Program(*program)],
			),
			P::ProgramDeprecationVoted { program, by, votes } => {
				(None, json!({ "program": h(program), "by": address(by), "votes": votes }), vec![])
			}
			P::ProgramApprovalLost { program } => {
				(None, json!({ "program": h(program) }), vec![Touched::Program(*program)])
			}
			P::MeterBound { meter, program, by } => (
				Some(*meter),
				json!({ "meter": meter, "program": h(program), "by": address(by) }),
				vec![Touched::Meter(*meter), Touched::Program(*program)],
			),
			P::RequiredApprovalsSet { approvals } => {
				(None, json!({ "approvals": approvals }), vec![])
			}
			other => (None, debug(other), vec![]),
		},
		RuntimeEvent::Readings(e) => match e {
			pallet_readings::Event::FramesMissed { meter, after, next, missed } => (
				Some(*meter),
				json!({ "meter": meter, "after": after, "next": next, "missed": missed }),
				vec![],
			),
			pallet_readings::Event::TimeSkipped { meter, from, to } => {
				(Some(*meter), json!({ "meter": meter, "from": from, "to": to }), vec![])
			}
			other => (None, debug(other), vec![]),
		},
		RuntimeEvent::Billing(e) => match e {
			B::TariffCreated { tariff, supplier } => (
				None,
				json!({ "tariff": tariff, "supplier": address(supplier) }),
				vec![Touched::Tariff(*tariff)],
			),
			B::ContractProposed { contract, meter, supplier, consumer } => (
				Some(*meter),
				json!({ "contract": contract, "meter": meter, "supplier": address(supplier), "consumer": address(consumer) }),
				vec![Touched::Contract(*contract), consumer_of(consumer)],
			),
			B::ContractStarted { contract, meter, start } => (
				Some(*meter),
				json!({ "contract": contract, "meter": meter, "start": start }),
				vec![Touched::Contract(*contract), Touched::Meter(*meter)],
			),
			B::ContractEnded { contract, by } => (
				None,
				json!({ "contract": contract, "by": address(by) }),
				vec![Touched::Contract(*contract)],
			),
			B::TariffChanged { contract, tariff, from } => (
				None,
				json!({ "contract": contract, "tariff": tariff, "from": from }),
				vec![Touched::Contract(*contract), Touched::Tariff(*tariff)],
			),
			B::InvoiceIssued { invoice, contract, consumer, amount: value, from, to, due } => (
				None,
				json!({ "invoice": invoice, "contract": contract, "consumer": address(consumer), "amount": amount(*value), "from": from, "to": to, "due": due }),
				vec![
					Touched::Invoice(*invoice),
					Touched::Contract(*contract),
					consumer_of(consumer),
				],
			),
			B::InvoicePaid { invoice, payer, amount: value, outstanding } => (
				None,
				json!({ "invoice": invoice, "payer": address(payer), "amount": amount(*value), "outstanding": amount(*outstanding) }),
				vec![Touched::Invoice(*invoice), consumer_of(payer)],
			),
			B::PrepaidBalanceLow { contract, consumer, balance } => (
				None,
				json!({ "contract": contract, "consumer": address(consumer), "balance": amount(*balance) }),
				vec![consumer_of(consumer)],
			),
			B::PrepaidToppedUp { consumer, amount: value, balance }
			| B::PrepaidWithdrawn { consumer, amount: value, balance } => (
				None,
				json!({ "consumer": address(consumer), "amount": amount(*value), "balance": amount(*balance) }),
				vec![consumer_of(consumer)],
			),
			B::InvoiceDisputed { invoice, consumer } => (
				None,
				json!({ "invoice": invoice, "consumer": address(consumer) }),
				vec![Touched::Invoice(*invoice)],
			),
			B::DisputeResolved { invoice, body, credit, refund } => (
				None,
				json!({ "invoice": invoice, "body": address(body), "credit": amount(*credit), "refund": amount(*refund) }),
				vec![Touched::Invoice(*invoice)],
			),
			B::DisputeLapsed { invoice } => {
				(None, json!({ "invoice": invoice }), vec![Touched::Invoice(*invoice)])
			}
			B::ContractTerminated { contract, by } => (
				None,
				json!({ "contract": contract, "by": actor(by) }),
				vec![Touched::Contract(*contract)],
			),
			B::TariffOffered { contract, tariff } => (
				None,
				json!({ "contract": contract, "tariff": tariff }),
				vec![Touched::Contract(*contract), Touched::Tariff(*tariff)],
			),
			B::MeasurementBeforeContract { contract, meter, index } => (
				Some(*meter),
				json!({ "contract": contract, "meter": meter, "index": index }),
				vec![],
			),
			other => (None, debug(other), vec![]),
		},
		RuntimeEvent::Rewards(e) => match e {
			R::MeasuringFeeSet { fee, author_share } => {
				(None, json!({ "fee": amount(*fee), "authorShare": debug(author_share) }), vec![])
			}
			R::DepositToppedUp { supplier, amount: value, held }
			| R::DepositWithdrawn { supplier, amount: value, held } => (
				None,
				json!({ "supplier": address(supplier), "amount": amount(*value), "held": amount(*held) }),
				vec![],
			),
			R::DepositExhausted { supplier } => {
				(None, json!({ "supplier": address(supplier) }), vec![])
			}
			R::DebtSettled { supplier, measurer, amount: value } => (
				None,
				json!({ "supplier": address(supplier), "measurer": address(measurer), "amount": amount(*value) }),
				vec![],
			),
			R::RewardsClaimed { who, amount: value } => {
				(None, json!({ "who": address(who), "amount": amount(*value) }), vec![])
			}
			other => (None, debug(other), vec![]),
		},
		RuntimeEvent::Surveillance(e) => match e {
			S::CheckMeterRegistered { meter, check, owner, deposit, window, since } => (
				Some(*meter),
				json!({ "meter": meter, "check": check, "owner": address(owner), "deposit": amount(*deposit), "window": window, "since": since }),
				vec![Touched::Meter(*meter), Touched::Meter(*check)],
			),
			S::CheckMeterRemoved { meter, check, owner } => (
				Some(*meter),
				json!({ "meter": meter, "check": check, "owner": address(owner) }),
				vec![Touched::Meter(*meter), Touched::Meter(*check)],
			),
			S::WindowCompared { meter, check, start, end, measured, counter } => (
				Some(*meter),
				json!({ "meter": meter, "check": check, "start": start, "end": end, "measured": amount(*measured), "counter": amount(*counter) }),
				vec![],
			),
			S::DiscrepancyFound { meter, check, start, end, measured, counter, allowed } => (
				Some(*meter),
				json!({ "meter": meter, "check": check, "start": start, "end": end, "measured": amount(*measured), "counter": amount(*counter), "allowed": amount(*allowed) }),
				vec![Touched::Meter(*meter)],
			),
			S::UnderInspection { meter, check } => (
				Some(*meter),
				json!({ "meter": meter, "check": check }),
				vec![Touched::Meter(*meter)],
			),
			S::ComparisonAbandoned { meter, check, start, measured, counter } => (
				Some(*meter),
				json!({ "meter": meter, "check": check, "start": start, "measured": amount(*measured), "counter": amount(*counter) }),
				vec![],
			),
			S::InspectionCleared { meter, body } => (
				Some(*meter),
				json!({ "meter": meter, "body": address(body) }),
				vec![Touched::Meter(*meter)],
			),
			S::SuspendedAfterInspection { meter, body, reason } => (
				Some(*meter),
				json!({ "meter": meter, "body": address(body), "reason": debug(reason) }),
				vec![Touched::Meter(*meter)],
			),
			other => (None, debug(other), vec![]),
		},
		other => (None, json!({ "debug": format!("{other:?}") }), vec![]),
	};
	Described { pallet, name, meter, fields, touched }
}

/// An actor as JSON: `"regulator"` or an address.
pub fn actor(actor: &mensura_primitives::metering::Actor<AccountId>) -> Value {
	match actor {
		mensura_primitives::metering::Actor::Regulator => Value::String("regulator".into()),
		mensura_primitives::metering::Actor::Account(account) => Value::String(address(account)),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::chain::BlockEvent;
	use mensura_primitives::readings::Measurement;
	use std::collections::BTreeMap;

	fn measured(meter: MeterId, index: u64, quantity: u128, register: u128) -> BlockEvent {
		BlockEvent {
			index: index as u32,
			extrinsic: Some(1),
			event: RuntimeEvent::Readings(pallet_readings::Event::Measured {
				meter,
				index,
				measurement: Measurement {
					sequence: index + 1,
					start: index * 1000,
					end: index * 1000 + 1000,
					quantity,
					program: H256::repeat_byte(7),
					frame: H256::repeat_byte(index as u8),
					block: 3,
				},
				register,
			}),
		}
	}

	fn run(
		heads: &mut BTreeMap<MeterId, (Head, u128, u64)>,
		events: &[BlockEvent],
	) -> Result<Extracted, ExtractError> {
		extract(3, events, heads)
	}

	#[test]
	fn links_follow_the_pallets_chain_function() {
		let mut heads = BTreeMap::new();
		let out = run(&mut heads, &[measured(4, 0, 10, 10), measured(4, 1, 5, 15)]).unwrap();
		assert_eq!(out.measurements.len(), 2);
		let first = &out.measurements[0];
		assert_eq!(first.previous, H256::zero());
		assert_eq!(out.measurements[1].previous, first.link);
		let RuntimeEvent::Readings(pallet_readings::Event::Measured { measurement, .. }) =
			measured(4, 1, 5, 15).event
		else {
			unreachable!()
		};
		assert_eq!(
			out.measurements[1].link,
			pallet_readings::Pallet::<mensura_runtime::Runtime>::chain(
				first.link,
				4,
				1,
				&measurement
			)
		);
		assert_eq!(heads[&4].0.next_index, 2);
	}

	#[test]
	fn a_measurement_out_of_order_is_refused() {
		let mut heads = BTreeMap::new();
		assert_eq!(
			run(&mut heads, &[measured(4, 1, 5, 5)]).unwrap_err(),
			ExtractError::OutOfOrder { meter: 4, expected: 0, found: 1, block: 3 }
		);
	}

	#[test]
	fn a_register_that_does_not_add_up_is_refused() {
		let mut heads = BTreeMap::new();
		assert_eq!(
			run(&mut heads, &[measured(4, 0, 5, 6)]).unwrap_err(),
			ExtractError::RegisterMismatch { meter: 4, index: 0, block: 3 }
		);
	}

	#[test]
	fn events_are_named_by_pallet_and_variant() {
		let event = RuntimeEvent::Billing(pallet_billing::Event::ContractEnded {
			contract: 9,
			by: AccountId::new([1; 32]),
		});
		let described = describe(&event);
		assert_eq!(
			(described.pallet.as_str(), described.name.as_str()),
			("Billing", "ContractEnded")
		);
		assert_eq!(described.touched, vec![Touched::Contract(9)]);
		assert_eq!(described.fields["contract"], 9);
	}
}
