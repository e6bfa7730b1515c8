//! The records of billing: tariffs, supply contracts, invoices and disputes. A contract's
//! open period lives in its meter's reading record
//! ([`mensura_primitives::billing::MeterBilling`]).

use crate::Config;
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::Get, BoundedVec};
use mensura_primitives::{
	billing::{MeterBilling, PaymentMode, TariffBand, TariffId},
	metering::MeterId,
	readings::{MeasurementIndex, UnixMillis},
};
use scale_info::TypeInfo;

/// A supplier's tariff: prices per register unit by time-of-use band, and a standing
/// charge per billing period. Tariffs are never changed once created: a supplier moves a
/// contract to another tariff ([`crate::Pallet::change_tariff`]).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxBands, MaxName))]
#[codec(mel_bound(AccountId: MaxEncodedLen))]
pub struct Tariff<AccountId, MaxBands: Get<u32>, MaxName: Get<u32>> {
	/// The supplier that owns it.
	pub supplier: AccountId,
	/// Its name, for people.
	pub name: BoundedVec<u8, MaxName>,
	/// The bands, in order, covering the local day exactly once.
	pub bands: BoundedVec<TariffBand<u128>, MaxBands>,
	/// The charge per full billing period, whatever the consumption.
	pub standing_charge: u128,
}

/// Where a supply contract stands.
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
pub enum ContractStatus {
	/// Created by the supplier, waiting for the consumer.
	Proposed,
	/// Accepted: the meter's consumption is billed under it.
	Active,
	/// Ended by either party; its final invoice is issued.
	Ended,
}

/// A supply contract: a meter's consumption, supplied by a supplier to a consumer under a
/// tariff. While it is active, its open billing period is in its meter's reading record
/// ([`MeterBilling`], with copies of its supplier, tariff, UTC offset and start), where a
/// stored frame adds to it without reading the contract.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Contract<AccountId> {
	pub meter: MeterId,
	pub supplier: AccountId,
	pub consumer: AccountId,
	/// The tariff that prices the open period.
	pub tariff: crate::TariffId,
	/// The tariff that prices the periods after it, once the consumer accepted the
	/// supplier's offer.
	pub next_tariff: Option<TariffId>,
	/// A tariff the supplier offered and the consumer has not accepted yet: a contract's
	/// prices change only with its consumer's consent.
	pub offered_tariff: Option<TariffId>,
	pub payment: PaymentMode,
	/// The supply point's offset from UTC, in minutes: time-of-use bands are local time.
	pub utc_offset: i16,
	pub status: ContractStatus,
	/// When it began (its consumer accepted it); zero while proposed, and for a contract
	/// of the genesis block, in force before the chain began. Consumption before it is
	/// not its consumer's and is never billed under it.
	pub start: UnixMillis,
}

/// Where an invoice stands. An open postpaid invoice past its due date is **overdue**
/// (see [`InvoiceView::overdue`]).
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
pub enum InvoiceStatus {
	/// Something is left to pay.
	Open,
	/// Nothing is left to pay.
	Paid,
	/// The consumer disputed it; payment waits for a notified body's resolution.
	Disputed,
}

/// An invoice: a contract's consumption over a period, priced by its tariff.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxBands))]
#[codec(mel_bound(AccountId: MaxEncodedLen))]
pub struct Invoice<AccountId, MaxBands: Get<u32>> {
	pub contract: crate::ContractId,
	pub meter: MeterId,
	pub supplier: AccountId,
	pub consumer: AccountId,
	pub tariff: TariffId,
	/// The period it covers, `[from, to)` (Unix ms).
	pub from: UnixMillis,
	pub to: UnixMillis,
	/// The meter's register at the start and at the end of the period: their difference
	/// is the consumption.
	pub register_from: u128,
	pub register_to: u128,
	/// The quantity in each band of the tariff (thousandths of the unit).
	pub quantities: BoundedVec<u128, MaxBands>,
	/// How many measurements, and the first and last of them (by index).
	pub measurements: u32,
	pub first: Option<MeasurementIndex>,
	pub last: Option<MeasurementIndex>,
	/// The priced consumption: `Σ ⌊quantity × price / 1000⌋` over the bands.
	pub energy: u128,
	/// The standing charge, prorated to the period's length.
	pub standing: u128,
	/// `energy + standing`.
	pub amount: u128,
	/// Credit notes from dispute resolutions.
	pub credited: u128,
	/// What has been paid.
	pub paid: u128,
	/// When it was issued, and when a postpaid invoice is due.
	pub issued: UnixMillis,
	pub due: UnixMillis,
	pub status: InvoiceStatus,
	/// The contract's last invoice (the contract ended).
	pub closing: bool,
}

impl<AccountId, MaxBands: Get<u32>> Invoice<AccountId, MaxBands> {
	/// What the consumer owes: `amount − credited − paid`.
	pub fn outstanding(&self) -> u128 {
		self.amount.saturating_sub(self.credited).saturating_sub(self.paid)
	}

	/// The consumption: the register difference.
	pub fn consumption(&self) -> u128 {
		self.register_to.saturating_sub(self.register_from)
	}
}

/// An invoice as clients see it, with what is left to pay and whether it is overdue.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
#[scale_info(skip_type_params(MaxBands))]
pub struct InvoiceView<AccountId, MaxBands: Get<u32>> {
	pub invoice: Invoice<AccountId, MaxBands>,
	pub outstanding: u128,
	/// Open (or disputed) with something left to pay after its due date.
	pub overdue: bool,
}

/// How a notified body resolves a dispute.
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
pub enum Resolution {
	/// The invoice stands as issued.
	Upheld,
	/// The invoice was wrong by `credit`: a credit note reduces it (and refunds what was
	/// paid beyond the corrected amount).
	Corrected { credit: u128 },
}

/// A consumer's dispute of an invoice.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxReason))]
#[codec(mel_bound(AccountId: MaxEncodedLen))]
pub struct Dispute<AccountId, MaxReason: Get<u32>> {
	/// The consumer's reason, for people.
	pub reason: BoundedVec<u8, MaxReason>,
	/// When it was raised.
	pub raised: UnixMillis,
	/// The notified body's resolution and who gave it, once resolved.
	pub resolution: Option<(Resolution, AccountId)>,
	/// The deposit held from the consumer while it waits.
	pub deposit: u128,
	/// No notified body resolved it before its deadline.
	pub lapsed: bool,
}

/// What billing read for the transaction being dispatched, for its next measurements
/// ([`crate::TransactionTariff`]): the billing period, and the bands of the tariff of
/// its last measurement (tariffs never change once created; the period is set at
/// genesis).
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(MaxBands))]
pub struct TariffOfTransaction<MaxBands: Get<u32>> {
	/// The extrinsic it was read for: what another left is not used.
	pub extrinsic: Option<u32>,
	pub period: u64,
	pub tariff: TariffId,
	/// `None`: no such tariff.
	pub bands: Option<BoundedVec<TariffBand<u128>, MaxBands>>,
}

/// A tariff as stored.
pub type TariffOf<T> = Tariff<
	<T as frame_system::Config>::AccountId,
	<T as Config>::MaxBands,
	<T as Config>::MaxNameLen,
>;
/// A supply contract as stored.
pub type ContractOf<T> = Contract<<T as frame_system::Config>::AccountId>;
/// What billing keeps in a meter's reading record: its active contract and open period.
pub type MeterBillingOf<T> = MeterBilling<<T as frame_system::Config>::AccountId>;
/// An invoice as stored.
pub type InvoiceOf<T> = Invoice<<T as frame_system::Config>::AccountId, <T as Config>::MaxBands>;
/// An invoice as clients see it.
pub type InvoiceViewOf<T> =
	InvoiceView<<T as frame_system::Config>::AccountId, <T as Config>::MaxBands>;
/// A dispute as stored.
pub type DisputeOf<T> =
	Dispute<<T as frame_system::Config>::AccountId, <T as Config>::MaxReasonLen>;
/// A contract of the genesis block: meter, supplier, consumer, tariff (index into the
/// genesis tariffs), payment mode, UTC offset in minutes.
pub type GenesisContract<AccountId> = (MeterId, AccountId, AccountId, TariffId, PaymentMode, i16);
/// A tariff of the genesis block: supplier, name, bands, standing charge.
pub type GenesisTariff<AccountId> = (AccountId, Vec<u8>, Vec<TariffBand<u128>>, u128);
