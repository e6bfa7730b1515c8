//! Money around measurements: the types and glue traits shared by ingestion
//! (`Readings`), fixed-fee measurer rewards (`Rewards`) and billing (`Billing`), and the
//! pricing arithmetic every side (runtime, auditors, clients) must agree on.
//!
//! - Ingestion tells the others of each stored measurement through [`OnMeasured`].
//! - Billing, which reads a measured meter's supply contract anyway, tells the measuring
//!   fee's side who supplies it through [`OnSupplied`]; Rewards finds whom to pay through
//!   [`ProgramMeasurer`] (and, for the author's share, [`BlockAuthor`]), and how many
//!   meters a supplier supplies through [`SupplyContracts`].
//! - Billing reads registers and measurements through [`MeasurementLog`].
//!
//! Pricing: a tariff divides the day (local time of the supply point) into bands, each
//! with a price per **register unit** (one Wh for a Wh meter). Quantities are in
//! thousandths of the unit, so a band's charge is `⌊quantity × price / 1000⌋`, summed
//! over bands; the standing charge is per billing period, prorated by time for a partial
//! period. See [`band_charge`], [`standing_charge`].

pub use crate::ids::{ContractId, InvoiceId, TariffId};
use crate::ids::{MeasurementIndex, MeterId, ProgramHash, UnixMillis};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::ConstU32;
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding, BoundedVec, Rounding, Weight,
};

/// Minutes in a day: tariff bands divide `[0, 1440)`.
pub const MINUTES_PER_DAY: u16 = 1440;

/// The farthest a supply point's UTC offset may be, in minutes (UTC−12:00 … UTC+14:00).
pub const MIN_UTC_OFFSET: i16 = -720;
/// See [`MIN_UTC_OFFSET`].
pub const MAX_UTC_OFFSET: i16 = 840;

/// The most time-of-use bands any tariff may have: an open period, kept in its meter's
/// reading record, holds one quantity per band. A runtime's own bound (billing's
/// `MaxBands`) may be lower, never higher.
pub const MAX_BANDS: u32 = 8;

/// An open period's quantity in each band of its tariff, in the tariff's band order
/// (thousandths of the unit).
pub type BandQuantities = BoundedVec<u128, ConstU32<MAX_BANDS>>;

/// The billing period a supply contract is in: what has been measured since it began.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct OpenPeriod {
	/// When it began (Unix ms); 0 for a contract of the genesis block until the chain's
	/// first touch of it gives it a time.
	pub start: UnixMillis,
	/// The meter's register when it began.
	pub register_start: u128,
	/// The quantity measured in each band of the contract's tariff.
	pub quantities: BandQuantities,
	/// How many measurements it holds.
	pub measurements: u32,
	/// The index of its first measurement.
	pub first: Option<MeasurementIndex>,
	/// The index of its last measurement.
	pub last: Option<MeasurementIndex>,
}

impl OpenPeriod {
	/// An empty period beginning at `start` with the register at `register_start`, for a
	/// tariff of `bands` bands (at most [`MAX_BANDS`]).
	pub fn new(start: UnixMillis, register_start: u128, bands: usize) -> Self {
		OpenPeriod {
			start,
			register_start,
			quantities: BoundedVec::truncate_from(alloc::vec![0; bands]),
			measurements: 0,
			first: None,
			last: None,
		}
	}

	/// The total quantity measured in the period.
	pub fn consumption(&self) -> u128 {
		self.quantities.iter().fold(0u128, |sum, q| sum.saturating_add(*q))
	}
}

/// What billing keeps of a meter's active supply contract in the meter's reading record
/// ([`crate::readings::ReadingState::billing`]): everything billing one measurement
/// needs — whose contract it is, who pays for it, how it is priced — and the open
/// period it adds to. A stored frame reads and writes that one record; the contract
/// itself (`Billing::Contracts`) is read only when a period closes. The contract's own
/// copies of these fields are the same (billing's `try_state` checks it).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct MeterBilling<AccountId> {
	/// The active supply contract.
	pub contract: ContractId,
	/// Its supplier: the party that pays for the meter's measurements.
	pub supplier: AccountId,
	/// The tariff that prices the open period.
	pub tariff: TariffId,
	/// The supply point's offset from UTC, in minutes.
	pub utc_offset: i16,
	/// When the contract began (0 for a contract of the genesis block): a measurement of
	/// time before it is not billed under it.
	pub start: UnixMillis,
	/// The billing period in progress.
	pub period: OpenPeriod,
}

/// Who supplies a meter's consumer now: the party that pays for its measurements.
pub trait SupplyContracts<AccountId> {
	/// The supplier of `meter`'s active supply contract, if it has one.
	fn supplier_of(meter: MeterId) -> Option<AccountId>;

	/// The consumer of `meter`'s active supply contract, if it has one.
	fn consumer_of(meter: MeterId) -> Option<AccountId>;

	/// How many meters `supplier` supplies under active contracts.
	fn supplied_meters(supplier: &AccountId) -> u32;

	/// Benchmarks: makes `supplier` the supplier of `meter`.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_supply(meter: MeterId, supplier: AccountId);
}

/// Told, for every stored measurement, who supplies its meter (the party that pays for
/// it). Billing tells it from the supply contract it reads for the measurement anyway, so
/// the measuring fee costs no second read of that contract. Like
/// [`crate::readings::OnMeasured`], it never fails and never undoes the measurement.
pub trait OnSupplied<AccountId> {
	/// Measurement `m` of a meter supplied by `supplier` (`None`: under no active
	/// contract) was stored; returns the weight it took (at most [`OnSupplied::weight`]).
	/// Measurements of one transaction may be summed before they are recorded (see
	/// [`crate::readings::OnMeasured`]): the weight includes the measurement's share of
	/// [`OnSupplied::end_of_transaction`].
	fn on_supplied(m: &crate::readings::StoredMeasurement, supplier: Option<&AccountId>) -> Weight;
	/// The transaction's last measurement was told: what was summed for it is recorded.
	fn end_of_transaction();
	/// The most [`OnSupplied::on_supplied`] can weigh.
	fn weight() -> Weight;
}

impl<AccountId> OnSupplied<AccountId> for () {
	fn on_supplied(_: &crate::readings::StoredMeasurement, _: Option<&AccountId>) -> Weight {
		Weight::zero()
	}
	fn end_of_transaction() {}
	fn weight() -> Weight {
		Weight::zero()
	}
}

/// The measurer behind an LR program: the party paid for what it computes.
pub trait ProgramMeasurer<AccountId> {
	/// The account that published `program`.
	fn measurer(program: &ProgramHash) -> Option<AccountId>;

	/// Benchmarks: an approved program published by `measurer`, distinct per measurer.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_program(measurer: AccountId) -> ProgramHash;
}

/// The author of the block being built or imported.
pub trait BlockAuthor<AccountId> {
	fn block_author() -> Option<AccountId>;
}

impl<AccountId> BlockAuthor<AccountId> for () {
	fn block_author() -> Option<AccountId> {
		None
	}
}

/// How a supply contract's invoices are settled.
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
	serde::Serialize,
	serde::Deserialize,
)]
pub enum PaymentMode {
	/// Settled automatically, when the invoice is issued, from the consumer's prepaid
	/// balance (held).
	Prepaid,
	/// Paid by the consumer before the invoice's due date.
	Postpaid,
}

/// One time-of-use band of a tariff: `[from_minute, to_minute)` of the local day.
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
	serde::Serialize,
	serde::Deserialize,
)]
pub struct TariffBand<Balance> {
	/// The first minute of the day in the band, 0 … 1439.
	pub from_minute: u16,
	/// The first minute after the band, 1 … 1440.
	pub to_minute: u16,
	/// The price of one register unit (e.g. one Wh) in the band.
	pub price: Balance,
}

/// Why a list of bands is not a tariff.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BandError {
	/// No band at all.
	NoBands,
	/// A band ends at or before its start, or past the end of the day.
	EmptyBand,
	/// A band starts before the previous one ended.
	OverlappingBands,
	/// The bands leave part of the day without a price (a gap between two, or before
	/// the first, or after the last).
	GappedBands,
}

/// Checks that `bands`, in order, cover the day exactly once: the first starts at
/// minute 0, each starts where the previous ended, the last ends at 1440.
pub fn check_bands<Balance>(bands: &[TariffBand<Balance>]) -> Result<(), BandError> {
	let mut expected_start = 0u16;
	if bands.is_empty() {
		return Err(BandError::NoBands);
	}
	for band in bands {
		if band.to_minute <= band.from_minute || band.to_minute > MINUTES_PER_DAY {
			return Err(BandError::EmptyBand);
		}
		if band.from_minute < expected_start {
			return Err(BandError::OverlappingBands);
		}
		if band.from_minute > expected_start {
			return Err(BandError::GappedBands);
		}
		expected_start = band.to_minute;
	}
	if expected_start != MINUTES_PER_DAY {
		return Err(BandError::GappedBands);
	}
	Ok(())
}

/// The minute of the local day (UTC offset `utc_offset` minutes) at `at`.
pub fn local_minute(at: UnixMillis, utc_offset: i16) -> u16 {
	let minute_of_day = (at / 60_000 % u64::from(MINUTES_PER_DAY)) as i32;
	(minute_of_day + i32::from(utc_offset)).rem_euclid(i32::from(MINUTES_PER_DAY)) as u16
}

/// The position of the band that prices a measurement starting at `start` (the band of
/// its start's local minute). Bands must have passed [`check_bands`].
pub fn band_of<Balance>(
	bands: &[TariffBand<Balance>],
	start: UnixMillis,
	utc_offset: i16,
) -> usize {
	let minute = local_minute(start, utc_offset);
	bands.iter().position(|b| minute < b.to_minute).unwrap_or(bands.len().saturating_sub(1))
}

/// `⌊quantity × price / 1000⌋`: the charge for `quantity` thousandths of a unit at
/// `price` per unit; `None` if it does not fit 128 bits.
pub fn band_charge(quantity: u128, price: u128) -> Option<u128> {
	multiply_by_rational_with_rounding(quantity, price, 1000, Rounding::Down)
}

/// `⌊standing × covered / period⌋`: the standing charge for `covered` milliseconds of a
/// billing period of `period` milliseconds (covered may exceed a period when periods
/// were closed late).
pub fn standing_charge(standing: u128, covered: u64, period: u64) -> Option<u128> {
	if period == 0 {
		return None;
	}
	multiply_by_rational_with_rounding(standing, covered.into(), period.into(), Rounding::Down)
}

/// What a period `[from, to)` costs: `(energy, standing)`. The energy charge is the sum
/// over the bands of [`band_charge`] of the band's quantity (`quantities` in the order of
/// `bands`; a band without a quantity costs nothing), the standing charge
/// [`standing_charge`] of the time covered. A figure that does not fit 128 bits — or a
/// period of zero — is `u128::MAX`, which no account can pay: the invoice stays
/// outstanding rather than wrapping round to a small amount. The chain issues invoices
/// with this function and the auditor checks them with it.
pub fn price(
	bands: &[TariffBand<u128>],
	standing: u128,
	quantities: &[u128],
	from: UnixMillis,
	to: UnixMillis,
	period: u64,
) -> (u128, u128) {
	let energy = bands
		.iter()
		.zip(quantities)
		.map(|(band, q)| band_charge(*q, band.price).unwrap_or(u128::MAX))
		.fold(0u128, |sum, c| sum.saturating_add(c));
	let standing = standing_charge(standing, to.saturating_sub(from), period).unwrap_or(u128::MAX);
	(energy, standing)
}

/// The first billing-period boundary after `at`: periods of `period` milliseconds are
/// aligned to the Unix epoch (UTC).
pub fn next_boundary(at: UnixMillis, period: u64) -> UnixMillis {
	let period = period.max(1);
	(at / period).saturating_add(1).saturating_mul(period)
}

/// The last billing-period boundary at or before `at`.
pub fn last_boundary(at: UnixMillis, period: u64) -> UnixMillis {
	let period = period.max(1);
	at / period * period
}

#[cfg(test)]
mod tests {
	use super::*;

	fn band(from_minute: u16, to_minute: u16, price: u128) -> TariffBand<u128> {
		TariffBand { from_minute, to_minute, price }
	}

	#[test]
	fn bands_must_cover_the_day_exactly_once() {
		assert_eq!(check_bands::<u128>(&[]), Err(BandError::NoBands));
		assert_eq!(check_bands(&[band(0, 1440, 1)]), Ok(()));
		assert_eq!(check_bands(&[band(0, 420, 1), band(420, 1440, 2)]), Ok(()));
		assert_eq!(
			check_bands(&[band(0, 420, 1), band(400, 1440, 2)]),
			Err(BandError::OverlappingBands)
		);
		assert_eq!(
			check_bands(&[band(0, 420, 1), band(480, 1440, 2)]),
			Err(BandError::GappedBands)
		);
		assert_eq!(check_bands(&[band(60, 1440, 1)]), Err(BandError::GappedBands));
		assert_eq!(check_bands(&[band(0, 1380, 1)]), Err(BandError::GappedBands));
		assert_eq!(check_bands(&[band(0, 0, 1), band(0, 1440, 1)]), Err(BandError::EmptyBand));
		assert_eq!(check_bands(&[band(0, 1441, 1)]), Err(BandError::EmptyBand));
	}

	#[test]
	fn the_band_is_the_local_minute_of_the_start() {
		let bands = [band(0, 420, 10), band(420, 1140, 25), band(1140, 1440, 35)];
		// 2026-11-24 06:30 UTC.
		let at = 1_795_933_800_000u64;
		assert_eq!(local_minute(at, 0), 390);
		assert_eq!(band_of(&bands, at, 0), 0);
		assert_eq!(band_of(&bands, at, 60), 1, "07:30 at UTC+1");
		assert_eq!(band_of(&bands, at, -420), 2, "23:30 the day before at UTC−7");
		assert_eq!(local_minute(at, -420), 1410);
	}

	#[test]
	fn charges_round_down_and_refuse_overflow() {
		assert_eq!(band_charge(1_999, 3), Some(5));
		assert_eq!(band_charge(u128::MAX, 1000), Some(u128::MAX));
		assert_eq!(band_charge(u128::MAX, 1001), None);
		assert_eq!(standing_charge(1000, 30_000, 60_000), Some(500));
		assert_eq!(standing_charge(1000, 120_000, 60_000), Some(2000));
		assert_eq!(standing_charge(1000, 1, 0), None);
		assert_eq!(next_boundary(59_999, 60_000), 60_000);
		assert_eq!(next_boundary(60_000, 60_000), 120_000);
		assert_eq!(last_boundary(119_999, 60_000), 60_000);
	}

	#[test]
	fn a_price_that_does_not_fit_saturates_instead_of_wrapping() {
		let bands = [band(0, 420, 100), band(420, 1440, 250)];
		// 2.5 kWh at 0.100 and 1.0 kWh at 0.250 per Wh, half a period of a 1000 charge.
		assert_eq!(price(&bands, 1000, &[2_500_000, 1_000_000], 0, 30_000, 60_000), (500_000, 500));
		// One band alone overflows (twice the largest quantity): the energy charge is
		// u128::MAX, not a sum that wrapped.
		let dear = [band(0, 720, 2000), band(720, 1440, 250)];
		assert_eq!(price(&dear, 0, &[u128::MAX, 1], 0, 0, 60_000), (u128::MAX, 0));
		// Two bands that fit alone but not together.
		let cheap = [band(0, 720, 1000), band(720, 1440, 1000)];
		assert_eq!(price(&cheap, 0, &[u128::MAX, u128::MAX], 0, 0, 60_000).0, u128::MAX);
		// A period of zero, and a standing charge that overflows.
		assert_eq!(price(&bands, 1000, &[0, 0], 0, 60_000, 0), (0, u128::MAX));
		assert_eq!(price(&bands, u128::MAX, &[0, 0], 0, 120_000, 60_000), (0, u128::MAX));
		// An interval that ends before it starts covers no time.
		assert_eq!(price(&bands, 1000, &[0, 0], 60_000, 0, 60_000), (0, 0));
		// Fewer quantities than bands: the missing ones cost nothing.
		assert_eq!(price(&bands, 0, &[1_000], 0, 0, 60_000), (100, 0));
	}
}
